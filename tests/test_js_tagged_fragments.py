"""A fragment of the same tag spliced into a tagged template is SQL, not a bound value (holdout 39, @compas/store: a
job queue's poll `query`... ${orderBy ? query`ORDER BY ${orderBy}` : query``} FOR UPDATE SKIP LOCKED LIMIT 1``,
read as `now() $2 FOR UPDATE ...` and left unread). The snippets are written here in the style of such a store; none
is copied from it."""

from advisor.ir import SqlQuery
from advisor.parse import ParseFailure, parse_sql
from advisor.sources import extract

STORE = """\
import { query } from "./query.js";

export function pickJob(sql, where, orderBy) {
  return query`
    UPDATE "job" SET "isComplete" = TRUE
    WHERE id = (
      SELECT "id" FROM "job" j
      WHERE ${where} AND NOT "isComplete" AND "scheduledAt" < now() ${
        orderBy ? query`ORDER BY ${orderBy}` : query``
      } FOR UPDATE SKIP LOCKED
      LIMIT 1
    )
    RETURNING *
  `.exec(sql);
}

export function named(sql, name) {
  return query`SELECT * FROM "job" WHERE ${query`"name" = ${name}`} AND "priority" > ${0}`.exec(sql);
}

export function other(sql, cond, a, b) {
  return query`SELECT "id" FROM "job" WHERE "name" = ${cond ? a : b} ${cond ? query`LIMIT 1` : query`LIMIT 2`}`.exec(sql);
}
"""


def statements(text: str) -> list[SqlQuery]:
    return [q for q in extract("src/queue.js", text).queries if isinstance(q, SqlQuery)]


def test_a_fragment_of_the_same_tag_is_written_into_the_statement_its_values_bound():
    pick, named, other = statements(STORE)
    # the optional ORDER BY is read with its clause, the values of both templates numbered in order
    assert 'AND "scheduledAt" < now() ORDER BY $2 FOR UPDATE SKIP LOCKED' in " ".join(pick.text.split())
    assert " ".join(named.text.split()) == 'SELECT * FROM "job" WHERE "name" = $1 AND "priority" > $2'
    for q in (pick, named):
        assert not isinstance(parse_sql(q.text, "postgres"), ParseFailure), q.text
    # a value chosen by a condition is a value; two fragments, neither empty, stay one unknown piece
    assert " ".join(other.text.split()) == 'SELECT "id" FROM "job" WHERE "name" = $1 $2'


def test_the_spliced_fragment_keeps_its_own_positions():
    pick = statements(STORE)[0]
    at = pick.text.index("ORDER BY")
    line = STORE.splitlines().index('        orderBy ? query`ORDER BY ${orderBy}` : query``') + 1
    assert pick.textmap.locate(at).line == line
    after = pick.text.index("FOR UPDATE")
    assert pick.textmap.locate(after).line == line + 1
