"""A statement a tagged template starts and `.append()` grows (@nearform/sql, sql-template-strings) is not the whole of
what runs: holdout 92's @nearform/udaru-core planned `UPDATE teams SET team_parent_id = $1,` under --explain and
reported PostgreSQL's syntax error as the statement's, where the code appends `path = ...` and `WHERE id = ...`."""

from advisor.ir import SqlQuery
from advisor.sources import extract

MOVE = """\
const SQL = require('@nearform/sql')

function moveTeam (db, parentId, teamId, path, cb) {
  const sql = SQL`
    UPDATE teams SET
    team_parent_id = ${parentId},
  `
  if (parentId) {
    sql.append(SQL`path = ((SELECT path FROM teams WHERE id = ${parentId}) || ${path})`)
  } else {
    sql.append(SQL`path = text2ltree(${path})`)
  }
  sql.append(SQL` WHERE id = ${teamId}`)
  db.query(sql, cb)
}

function readTeam (db, id, cb) {
  const sql = SQL`SELECT id, name FROM teams WHERE id = ${id}`
  db.query(sql, cb)
}

function readOther (db, id, sql, cb) {
  const query = SQL`SELECT id FROM users WHERE id = ${id}`
  sql.append(SQL` LIMIT 1`)  // another name's statement grows, not this one
  db.query(query, cb)
}
"""


def test_a_statement_grown_by_append_is_not_complete():
    queries = {q.location.line: q for q in extract("lib/ops/teamOps.js", MOVE).queries if isinstance(q, SqlQuery)}
    assert queries[4].text.strip().startswith("UPDATE teams SET") and queries[4].complete is False
    assert queries[18].complete is True  # nothing is appended to it
    assert queries[23].complete is True
