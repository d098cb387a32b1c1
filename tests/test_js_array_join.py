"""Holdout 113 (a PostgreSQL job queue's Node client): every statement is an array of texts joined by a space
(`[ 'SELECT * FROM q.doc_reject(', `'${queue}',`, ... ].join(' ')`), then run. advisor read none of the 26: it
took a text from literals, templates and `+` only. Snippets are written here in that style; none is copied."""

from advisor import catalogue, engine
from advisor.ir import SqlQuery
from advisor.sources import extract

REJECT = """\
const reject = (ctx) => async (queue, subject, message = null, ref = null) => {
  const q = [
    'SELECT * FROM app.reject(',
    `'${queue}',`,
    `'${subject}',`,
    `'${message || ''}'`,
    ref === null ? '' : `, '${ref}'`,
    ')',
  ].join(' ');
  const res = await ctx.pool.query(q);
  return res.rows[0];
};

const stats = (ctx) => async () => {
  const q = ['SELECT * FROM app.stats(', ')'].join(
    '',
  );
  return (await ctx.pool.query(q)).rows;
};

const many = (ctx) => async (queue, docs) => {
  const q = [
    'SELECT * FROM app.push(',
    `'${queue}',`,
    "'{",
    docs.map((d) => [`"${d.subject}"`, `${d.version || 0}`].join(', ')).join(', '),
    "}'",
    ')',
  ].join(' ');
  return ctx.pool.query(q);
};

module.exports = { reject, stats, many };
"""


def queries(code: str) -> list[SqlQuery]:
    return [q for q in extract("lib/doc.js", code).queries if isinstance(q, SqlQuery)]


def test_a_joined_array_is_the_statement_its_texts_make():
    texts = [" ".join(q.text.split()) for q in queries(REJECT)]
    assert texts[0] == "SELECT * FROM app.reject( '{}', '{}', '{}' {} )", texts
    assert texts[1] == "SELECT * FROM app.stats()", texts  # the separator as written, a trailing comma after it


def test_what_it_splices_is_judged_each_value_by_its_text(project):
    project({"lib/doc.js": REJECT})
    found = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "sql-string-building"]
    assert [f.location.line for f in found] == [2, 22], [f.message for f in found]  # not the constant one
    first, last = (f.message for f in found)
    # each value once, as written; a choice between two texts is one value, shown on one line
    assert "values (queue, subject, message || '')" in first, first
    assert 'values (queue, docs.map((d) => [`"${d.subject}"`, `${d.version || 0}`].join(\', \')).join(\', \'))' in last, last
