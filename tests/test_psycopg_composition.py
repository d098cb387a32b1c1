"""psycopg's SQL composition read as one statement (issue 10: a query is what reaches an execution call,
with positions in the original text).

The shapes are cut down from the corpus: tilekiln's tile read and upsert (storage.py: `sql.SQL(...) +
helper(...) + sql.SQL("FROM {}.{}").format(sql.Identifier(...), ...) + sql.SQL("WHERE ...")`, named fields,
`sql.Placeholder(...)`, `sep.join([...])`), nominatim's `pysql.SQL("... WHERE ") + pysql.SQL(" or ").join(parts)`.
"""

import ast
import re
import textwrap

import pytest

from advisor import catalogue, engine
from advisor.parse import ParseFailure, parse_sql
from advisor.sources.python import extract_python
from tests.conftest_db import pg_server  # noqa: F401

TILES = '''
from psycopg import sql

METADATA_TABLE = "metadata"


def _generated_columns(layers) -> sql.Composable:
    return sql.SQL(", ").join([sql.Identifier(f"{layer}_generated") for layer in layers])


class Storage:
    def get_tile(self, id, tile, layers):
        with self.pool.connection() as conn:
            with conn.cursor() as cur:
                query = (
                    sql.SQL("SELECT GREATEST(")
                    + _generated_columns(layers)
                    + sql.SQL(") AS generated,")
                    + _generated_columns(layers)
                    + sql.SQL("FROM {}.{}").format(
                        sql.Identifier(self.schema), sql.Identifier(id)
                    )
                    + sql.SQL("WHERE zoom = %s AND x = %s AND y = %s")
                )
                cur.execute(query, (tile.zoom, tile.x, tile.y))
                return cur.fetchone()

    def get_layer_ids(self, id):
        with self.pool.connection() as conn:
            with conn.cursor() as cur:
                cur.execute(
                    sql.SQL("""SELECT layers FROM {}.{}""").format(
                        sql.Identifier(self.schema), sql.Identifier(METADATA_TABLE)
                    )
                    + sql.SQL("""WHERE id = %s"""),
                    (id,),
                )
                return cur.fetchone()

    def save(self, cur, tablename, layers):
        data = [sql.Placeholder(layer) for layer in layers]
        q = (
            sql.SQL("INSERT INTO {}.{} AS store ").format(sql.Identifier(self.schema), sql.Identifier(tablename))
            + sql.SQL("(zoom, x, y, {data}) ").format(data=sql.SQL(", ").join(data))
            + sql.SQL("VALUES ({}, {}, {{}}, ").format(sql.Literal(1), sql.Placeholder())
            + sql.SQL(", ").join([sql.Placeholder("a"), sql.Identifier("b")])
            + sql.SQL(") ON CONFLICT (zoom, x, y) DO NOTHING")
        )
        cur.execute(q, {})
'''


def _queries(code: str, name: str = "storage.py"):
    return {q.text: q for q in extract_python(name, textwrap.dedent(code)).queries}


def test_a_composition_is_one_statement_with_its_where():
    found = _queries(TILES)
    assert set(found) == {
        "SELECT GREATEST({}) AS generated,{} FROM {}.{} WHERE zoom = %s AND x = %s AND y = %s",
        'SELECT layers FROM {}."metadata" WHERE id = %s',  # a module constant, quoted as psycopg quotes it
        'INSERT INTO {}.{} AS store (zoom, x, y, {}) VALUES ({}, %s, {}, %(a)s, "b") ON CONFLICT (zoom, x, y) '
        "DO NOTHING",
    }
    for query in found.values():  # built at run time: no rule may claim a clause is absent
        assert query.dynamic and not query.complete
        assert not isinstance(parse_sql(query.text), ParseFailure), query.text
    tile = found["SELECT GREATEST({}) AS generated,{} FROM {}.{} WHERE zoom = %s AND x = %s AND y = %s"]
    assert tile.origin == "constant-reaching-call"  # `query = (...)` run by cur.execute(query, ...)
    assert tile.location.line == 16 and tile.location.end_line == 23  # the expression assigned


def test_every_literal_piece_maps_to_where_it_is_written():
    code = textwrap.dedent(TILES)
    lines = code.splitlines()
    for query in _queries(TILES).values():
        # each word of the statement's own text: located where the file has that word
        for run in re.finditer(r'(?<![\w"%)])(?<!%\()[A-Za-z_]+', query.text):  # not "quoted", nor %s, %(a)s
            where = query.textmap.locate(run.start())
            written = lines[where.line - 1][where.col - 1 :]
            value_at = written.startswith(("sql.", "_generated", "data", "1"))  # a value: at its expression
            assert written.startswith(run.group()) or value_at, (run.group(), where, written)


def test_the_pieces_of_a_composition_are_no_statements_of_their_own():
    texts = set(_queries(TILES))
    assert "SELECT GREATEST(" not in texts and "SELECT layers FROM {}.{}" not in texts


def test_fields_by_name_by_index_and_escaped_braces():
    found = _queries(
        """
        from psycopg2 import sql
        def f(cur, t, c):
            cur.execute(sql.SQL("SELECT {0}, {1} FROM {t} WHERE {1} = %s AND j @> '{{}}'").format(
                sql.Identifier(c), sql.Identifier("b"), t=sql.Identifier("s", "jobs")), (1,))
        """
    )
    assert set(found) == {"""SELECT {}, "b" FROM "s"."jobs" WHERE "b" = %s AND j @> '{}'"""}


def test_a_composition_of_literals_and_constants_is_complete():
    found = _queries(
        """
        from psycopg.sql import SQL, Identifier, Composed
        def f(cur):
            cur.execute(Composed([SQL("SELECT a FROM "), Identifier("t"), SQL(" WHERE a = %s")]), (1,))
        """
    )
    (query,) = found.values()
    assert query.text == 'SELECT a FROM "t" WHERE a = %s' and query.complete and not query.dynamic


def test_a_template_alone_stays_a_template_and_as_string_is_its_text():
    found = _queries(
        """
        from psycopg import sql
        def f(cur, conn):
            cur.execute(sql.SQL("SELECT * FROM x WHERE y = {}"))
            cur.execute(sql.SQL("SELECT * FROM z WHERE y = %s").as_string(conn), (1,))
        """
    )
    assert not found["SELECT * FROM x WHERE y = {}"].complete  # its fields are filled elsewhere
    assert found["SELECT * FROM z WHERE y = %s"].complete


def fired(project, rule, files):
    project({name: textwrap.dedent(code) for name, code in files.items()})
    found = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == rule]
    return [(f.location.path, f.location.line, f.location.col, f.message) for f in found]


def test_identifiers_literals_and_placeholders_are_no_string_building(project):
    assert fired(project, "sql-string-building", {"storage.py": TILES}) == []


def test_a_text_spliced_raw_is_string_building_where_it_is_built(project):
    code = """
        from psycopg import sql
        def f(cur, name, value):
            cur.execute(sql.SQL(f"SELECT id FROM t WHERE b = '{name}'") + sql.SQL(" LIMIT {}").format(sql.Literal(value)))
            cur.execute(sql.SQL("SELECT id FROM t WHERE a = ") + sql.SQL(f"'{value}'"))
        """
    found = fired(project, "sql-string-building", {"app.py": code})
    lines = textwrap.dedent(code).lstrip("\n").splitlines()
    assert [(line, col) for _, line, col, _ in found] == [(3, lines[2].index('f"') + 1), (4, lines[3].index('f"') + 1)]
    assert ["(name)" in found[0][3], "(value)" in found[1][3]] == [True, True]


SCHEMA = "CREATE TABLE jobs (id bigint PRIMARY KEY, status text NOT NULL, payload text);\n"


def test_the_where_of_a_later_piece_is_judged_where_it_is_written(project):
    code = """
        from psycopg import sql
        JOBS = "jobs"
        def pending(cur, status):
            query = sql.SQL("SELECT id, payload FROM {} ").format(sql.Identifier(JOBS)) + sql.SQL("WHERE status = %s")
            cur.execute(query, (status,))
            return cur.fetchall()
        """
    found = fired(project, "missing-index", {"advisor.toml": 'large-tables = ["*"]\n', "schema.sql": SCHEMA, "app.py": code})
    line = textwrap.dedent(code).splitlines()[4]
    assert [(path, n) for path, n, _, _ in found] == [("app.py", 4)]
    assert line[found[0][2] - 1 :].startswith("status = %s")


@pytest.mark.parametrize(
    "statement",
    [
        'sql.SQL("DELETE FROM jobs WHERE ") + sql.SQL(" AND ").join(conditions)',  # nominatim's freeze
        'sql.SQL("SELECT id FROM jobs {}").format(where)',
    ],
)
def test_an_unknown_clause_is_never_read_as_absent(project, statement):
    code = f"""
        from psycopg import sql
        def f(cur, conditions, where):
            cur.execute({statement})
        """
    project({"schema.sql": SCHEMA, "app.py": textwrap.dedent(code)})
    found = [(catalogue.lookup(f.rule).name, f.message) for f in engine.check(["."]).active]
    assert found == [], found
    (query,) = _queries(code).values()
    assert query.dynamic and not query.complete


def test_a_statement_extended_later_is_not_whole():
    found = _queries(
        """
        from psycopg.sql import SQL, Identifier
        def select(cur, gt):
            statement = SQL("SELECT * FROM {}").format(Identifier("events"))
            if gt is not None:
                statement += SQL(" WHERE version > %s")
            cur.execute(statement, (gt,))
        """
    )
    assert [(q.text, q.complete) for q in found.values()] == [('SELECT * FROM "events"', False)]  # eventsourcing


@pytest.mark.parametrize(
    "expression,chosen",
    [
        ('sql.SQL("SELECT a FROM {} WHERE b = {}").format(sql.Identifier(name), sql.Literal(name))', []),
        ('sql.SQL("SELECT a FROM t WHERE ") + sql.SQL(" AND ").join([sql.Placeholder(name)])', []),
        ('sql.SQL(", ").join([sql.Identifier(c) for c in name])', []),
        ('sql.SQL("SELECT a FROM t WHERE ") + sql.SQL(name)', ["name"]),  # raw text: the caller's
        ('sql.SQL(f"SELECT a FROM t WHERE b = {name}")', ["name"]),
    ],
)
def test_what_a_caller_chooses_in_a_composition(expression, chosen):
    """The provenance reads a composition as it reads a built string: an identifier, a literal and a
    placeholder are the driver's to quote; the text of sql.SQL(x) is spliced in raw."""
    from advisor.facts.provenance import sources
    from advisor.facts.python_scope import Scope

    tree = ast.parse(f"from psycopg import sql\ndef f(name):\n    return {expression}\n")
    function = tree.body[1]
    value = function.body[0].value
    assert sorted(s.text for s in sources(value, Scope(tree, (function,)).at(value))) == chosen
