"""SQL written for pg-format's `format()` and run by an execution call (advisor.sources.js_pg_format): holdout
13 found y-postgresql's whole data path built this way (10 of its 14 statements unread). `%I` reads as a
placeholder name, `%L` as a parameter, `%s` as an unknown piece, `%%` as `%`; pg-format's quoting is not
SQL built from strings. Small programs shaped like the real code (a document store keyed by name), not
copies of it."""

from advisor.ir import SqlQuery
from advisor.parse import parse_sql
from advisor.sources import extract
from tests.test_js_args import fired

STORE = """\
import format from 'pg-format';

export class NoteStore {
\tconstructor(table, pool) {
\t\tthis.table = table;
\t\tthis.pool = pool;
\t}
\tstatic async open(pool, table) {
\t\tawait pool.query(
\t\t\tformat(`CREATE TABLE IF NOT EXISTS %I (id SERIAL PRIMARY KEY, name TEXT NOT NULL, body BYTEA)`, table),
\t\t);
\t\tawait pool.query(format('CREATE INDEX %I_name_idx ON %I (name)', table, table));
\t}
\tasync newest(name) {
\t\tconst sql = format(
\t\t\t`
\t\t\tSELECT id FROM %I
\t\t\tWHERE name = %L
\t\t\tORDER BY id DESC LIMIT 1`,
\t\t\tthis.table,
\t\t\tname,
\t\t);
\t\tconst res = await this.pool.query(sql);
\t\treturn res.rows[0];
\t}
\tasync save(found, name, body) {
\t\tlet sql;
\t\tif (found) {
\t\t\tsql = format('UPDATE %I SET body = %L WHERE id = %L', this.table, body, found.id);
\t\t} else {
\t\t\tsql = format('INSERT INTO %I (name, body) VALUES (%L, %L)', this.table, name, body);
\t\t}
\t\treturn this.pool.query(sql);
\t}
\tasync search(pattern) {
\t\tconst sql = format("SELECT id FROM %1$I WHERE name LIKE '%%' || %2$L AND id > 0", this.table, pattern);
\t\treturn this.pool.query(sql);
\t}
}
"""


def _queries(text: str, path: str = "src/store.ts") -> list[SqlQuery]:
    return [q for q in extract(path, text).queries if isinstance(q, SqlQuery)]


def _flat(q: SqlQuery) -> str:
    return " ".join(q.text.split())


def test_each_format_call_run_by_query_is_a_statement_where_its_text_is_written():
    got = [(q.location.line, _flat(q)) for q in _queries(STORE)]
    assert got == [
        (10, "CREATE TABLE IF NOT EXISTS {} (id SERIAL PRIMARY KEY, name TEXT NOT NULL, body BYTEA)"),
        (12, "CREATE INDEX {}_name_idx ON {} (name)"),
        (16, "SELECT id FROM {} WHERE name = %s ORDER BY id DESC LIMIT 1"),
        (29, "UPDATE {} SET body = %s WHERE id = %s"),
        (31, "INSERT INTO {} (name, body) VALUES (%s, %s)"),
        (36, "SELECT id FROM {} WHERE name LIKE '%' || %s AND id > 0"),
    ]


def test_identifiers_read_as_placeholder_names_and_literals_as_parameters():
    newest = next(q for q in _queries(STORE) if "ORDER BY" in q.text)
    assert newest.dynamic and newest.origin == "constant-reaching-call"
    tree = parse_sql(newest.text)
    assert tree.sql() == "SELECT id FROM __ WHERE name = ? ORDER BY id DESC NULLS FIRST LIMIT 1"


def test_positions_after_a_shorter_stand_in_stay_where_they_are_written():
    search = next(q for q in _queries(STORE) if "LIKE" in q.text)
    line = STORE.splitlines()[35]
    for word in ("WHERE", "AND id"):  # after `%1$I` (4 characters read as 2) and `%%` (2 read as 1)
        at = search.textmap.locate(search.text.index(word))
        assert (at.line, at.col) == (36, line.expandtabs(1).index(word) + 1), word


def test_required_and_compiled_imports_are_pg_format_too():
    code = """\
    "use strict";
    const pg_format_1 = __importDefault(require("pg-format"));
    var fmt = require('pg-format');
    async function drop(client, table, name) {
        await client.query((0, pg_format_1.default)('DELETE FROM %I WHERE name = %L', table, name));
        return client.query(fmt('SELECT count(*) FROM %I', table));
    }
    """
    assert [_flat(q) for q in _queries(code, "lib/drop.js")] == [
        "DELETE FROM {} WHERE name = %s",
        "SELECT count(*) FROM {}",
    ]


def test_another_modules_format_is_not_pg_format():
    code = """\
    import format from './format';
    import { format as fmt } from 'util';
    export async function load(pool, table, id) {
        await pool.query(format('SELECT body FROM %I WHERE id = %L', table, id));
        return pool.query(fmt('SELECT body FROM %s WHERE id = 1', table));
    }
    """
    assert _queries(code) == []


def test_a_format_whose_result_is_never_run_is_not_a_query():
    code = """\
    import format from 'pg-format';
    export function describe(table, id) {
        const sql = format('SELECT body FROM %I WHERE id = %L', table, id);
        console.log(sql);
        return sql.length;
    }
    """
    assert _queries(code) == []


def test_pg_format_quoting_is_not_sql_built_from_strings(project):
    assert fired(project, STORE, "store.ts") == []


def test_a_template_substitution_in_the_format_text_still_is(project):
    code = """\
    import format from 'pg-format';
    export async function listNotes(pool, table, req) {
        return pool.query(format(`SELECT id FROM %I WHERE owner = %L ORDER BY ${req.query.sort}`, table, req.user));
    }
    """
    assert [line for line, _ in fired(project, code, "store.ts")] == [3]


def test_dumbo_sql_and_raw_sql_are_read_as_pg_format_text():
    # @event-driven-io/emmett-postgresql 0.42.0 dist/index.js (holdout 18): the bundle renames dumbo's `sql` to
    # `sql2`; the consumer poll (index.js:776-783) and the stream's last position; `mapRows` is no SQL writer
    code = """\
    import { mapRows, sql as sql2 } from "@event-driven-io/dumbo";
    import { rawSql } from "@event-driven-io/dumbo";
    export const readBatch = async (execute, partition, from) =>
      mapRows(
        execute.query(
          sql2(`SELECT global_position FROM emt_messages WHERE partition = %L AND global_position >= ${from}`, partition)
        ),
        (row) => row
      );
    export const count = (execute) => execute.query(rawSql(`SELECT count(*) FROM emt_streams`));
    export const other = (execute) => execute.query(mapRows(`not sql`));
    """
    assert [_flat(q) for q in _queries(code, "dist/index.js")] == [
        "SELECT global_position FROM emt_messages WHERE partition = %s AND global_position >= {}",
        "SELECT count(*) FROM emt_streams",
    ]
    cjs = """\
    var import_dumbo = require("@event-driven-io/dumbo");
    const last = (execute, partition) =>
      execute.query((0, import_dumbo.sql)(`SELECT max(global_position) FROM emt_messages WHERE partition = %L`, partition));
    """
    assert [_flat(q) for q in _queries(cjs, "dist/index.cjs")] == [
        "SELECT max(global_position) FROM emt_messages WHERE partition = %s"
    ]


def test_dumbo_text_is_sql_by_construction_and_an_object_constant_names_its_table():
    # emmett-postgresql's schema (dist/index.js:3722-3736, holdout 18): DDL kept in a constant, run later from a list
    # of migrations; the table named by `${streamsTable.name}` of a constant object
    code = """\
    import { rawSql as rawSql5 } from "@event-driven-io/dumbo";
    var emmettPrefix = "emt";
    var streamsTable = { name: `${emmettPrefix}_streams` };
    var moved = { name: "a" };
    moved.name = "b";
    var streamsTableSQL = rawSql5(`CREATE TABLE IF NOT EXISTS ${streamsTable.name}(stream_id TEXT NOT NULL)`);
    var movedSQL = rawSql5(`CREATE TABLE IF NOT EXISTS ${moved.name}(id INT)`);
    var notes = `CREATE TABLE ${streamsTable.name}_notes (id INT)`;
    """
    assert [_flat(q) for q in _queries(code, "dist/index.js")] == [
        "CREATE TABLE IF NOT EXISTS emt_streams(stream_id TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {}(id INT)",  # a member the module changes: not one name
    ]  # a plain template reaching no execution call is no statement
