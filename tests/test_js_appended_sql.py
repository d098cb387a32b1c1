"""A statement a JavaScript function builds in a variable with `+=` before it runs it (holdout 28's elizaOS adapter:
`let sql = 'SELECT * FROM goals WHERE "roomId" = $1'; if (params.count) sql += ' LIMIT $2'; pool.query(sql)`) is
read as it runs: what every run appends written in, what only some runs append a placeholder, as a function that
returns such text already was (advisor.sources.js_sql_builders.appended_to). It was read as its first value alone,
a statement that does not run as written, with nothing said of the rest."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

STORE = """\
async function getGoals(pool, params) {
  let sql = `SELECT * FROM goals WHERE "roomId" = $1`;
  const values = [params.roomId];
  if (params.count) {
    sql += ` LIMIT $2`;
    values.push(params.count);
  }
  return pool.query(sql, values);
}
async function recent(pool, type, room) {
  let sql = 'SELECT * FROM memories WHERE type = $1 AND "roomId" = $2';
  sql += ' ORDER BY "createdAt" DESC';
  return pool.query(sql, [type, room]);
}
module.exports = { getGoals, recent };
"""


def test_a_statement_built_with_appends_is_read_as_it_runs(project):
    project({"lib/store.js": STORE, "advisor.toml": 'dialect = "postgres"\n'})
    loaded = load_project(["."], Options())
    read = sorted((q.location.line, q.text, q.dynamic) for s in loaded.sources for q in s.queries)
    assert read == [
        (2, 'SELECT * FROM goals WHERE "roomId" = $1{}', True),  # the LIMIT some runs add: not known to be there
        (11, 'SELECT * FROM memories WHERE type = $1 AND "roomId" = $2 ORDER BY "createdAt" DESC', False),
    ]
    names = {catalogue.lookup(f.rule).name for f in engine.check(["."]).active}
    assert "sql-string-building" not in names  # a literal piece some runs append is the code's own text


def test_a_function_running_one_built_statement_many_times_is_walked_once(monkeypatch):
    """A function that runs its `sql` at a thousand calls: its `+=` appends are looked up by one walk of the
    function, not one per call (a walk per call made the function's reading quadratic)."""
    import advisor.sources.js_sql_builders as builders
    from advisor.sources import extract

    walks = []
    real = builders._own_nodes
    monkeypatch.setattr(builders, "_own_nodes", lambda fn: walks.append(1) or real(fn))
    runs = "".join("  await db.query(sql, [x]);\n" for _ in range(1000))
    code = (
        "async function main(db, x) {\n  let sql = 'SELECT a FROM t WHERE id = $1';\n  sql += ' AND b = 2';\n"
        + runs
        + "}\n"
    )
    queries = extract("a.js", code).queries
    assert len(queries) == 1000 and {q.text for q in queries} == {"SELECT a FROM t WHERE id = $1 AND b = 2"}
    assert len(walks) == 1


PAGED = """\
async function list(pool, options) {
  let sql = 'SELECT * FROM goals WHERE "roomId" = $1';
  const values = [options.roomId];
  let i = 2;
  if (options.status) {
    sql += ` AND status = $${i++}`;
    values.push(options.status);
  }
  if (options.orderBy) {
    sql += ` ORDER BY ${options.orderBy}`;
  }
  return pool.query(sql, values);
}
module.exports = { list };
"""


def test_what_a_piece_some_runs_append_splices_is_judged_where_it_is_written(project):
    # holdout 34's voltagent-postgres appends its caller's ORDER BY on every run; many append it under an `if`
    project({"lib/store.js": PAGED, "advisor.toml": 'dialect = "postgres"\n'})
    found = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "sql-string-building"]
    assert [(f.location.line, "options.orderBy" in f.message) for f in found] == [(10, True)]  # the counter: a number
