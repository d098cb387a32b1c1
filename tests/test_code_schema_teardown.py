"""A code file named as the schema is the application itself: its strings run when their functions do, not in the
file's order. Holdout 98's Archon creates its tables in `init()` and drops every one in a CLI `reset()` written after
it; replayed in the file's order, the schema ended empty and every claim that needs a table's definition (an
expression index on `data ->> 'email'`) was lost or turned false. A DROP TABLE that nothing after it undoes, of a
table the application's own statements still use, is a teardown: left out. Written here in that style, none copied."""

import textwrap

from advisor.loader import load_project
from advisor.options import Options
from tests.conftest_db import pg_server  # noqa: F401

DB = """
async def init(cursor):
    await cursor.execute(
        "CREATE TABLE IF NOT EXISTS members(uid UUID PRIMARY KEY, vekn TEXT, data jsonb)"
    )
    await cursor.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS idx_member_email ON members USING BTREE ((data ->> 'email'::text))"
    )
    await cursor.execute("CREATE TABLE IF NOT EXISTS scratch(id int PRIMARY KEY)")
    await cursor.execute("CREATE TABLE IF NOT EXISTS clients(uid UUID PRIMARY KEY, data jsonb)")


async def reset(cursor):
    await cursor.execute("DROP TABLE IF EXISTS members")
    await cursor.execute("DROP TABLE IF EXISTS scratch")
    await cursor.execute("DROP TABLE IF EXISTS clients")
    await cursor.execute("CREATE TABLE IF NOT EXISTS clients(uid UUID PRIMARY KEY, secret text)")


async def get_by_email(cursor, email):
    await cursor.execute("SELECT data FROM members WHERE data ->> 'email' = %s", [email])
    await cursor.execute("SELECT secret FROM clients WHERE uid = %s", [email])
"""


def _schema(project):
    project({"advisor.toml": 'dialect = "postgres"\nschema = ["db.py"]\n', "db.py": textwrap.dedent(DB).lstrip("\n")})
    return load_project(["."], Options()).schema


def test_a_drop_of_a_table_the_code_uses_is_a_teardown(project):
    schema = _schema(project)
    assert "members" in schema.tables  # queried by get_by_email: reset()'s DROP is not where the schema ends
    assert any(i.name == "idx_member_email" for i in schema.indexes)


def test_a_drop_nothing_uses_or_undone_later_is_replayed(project):
    schema = _schema(project)
    assert "scratch" not in schema.tables  # no statement of the code reads it: dropped as written
    assert set(schema.tables["clients"].columns) == {"uid", "secret"}  # created again after the drop: the later one


def test_the_expression_index_then_serves_the_query(project):
    from advisor import catalogue, engine

    _schema(project)
    names = [catalogue.lookup(f.rule).name for f in engine.check(["."]).active]
    assert "function-on-column" not in names


def test_the_seeded_database_leaves_the_teardown_out_too(project, pg_server):  # noqa: F811
    """The schema advisor reads and the database it seeds are one: the DROPs the schema leaves out are not run."""
    from pathlib import Path

    from advisor.seed.load import load_schema
    from tests.conftest_db import fresh_database

    schema = _schema(project)
    lines = textwrap.dedent(DB).lstrip("\n").splitlines()
    members = next(n for n, text in enumerate(lines, 1) if "DROP TABLE IF EXISTS members" in text)
    assert schema.teardown == {("db.py", members)}  # scratch's drop runs; clients' is undone by its creation after
    with fresh_database(pg_server) as conn:
        load_schema(conn, [Path("db.py")], {Path("db.py"): "db.py"}, skipped=schema.teardown)
        made = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()}
    assert made == {"members", "clients"}


UPGRADE = """
async def start(cursor):
    if await cursor.execute("SELECT id FROM old_shards LIMIT 1"):
        await cursor.execute("DROP TABLE old_shards")
        await cursor.execute("DROP TABLE runners")
    await cursor.execute("CREATE TABLE IF NOT EXISTS runners(address text PRIMARY KEY, last_heartbeat timestamptz)")


async def alive(cursor, since):
    await cursor.execute("SELECT address FROM runners WHERE last_heartbeat > %s", [since])
"""


def test_a_drop_of_tables_nothing_created_before_it_is_an_older_versions(project):
    """@effect/cluster drops its older version's tables when it finds them (`if (hasOldTables)`), before it creates
    the new ones: a new database never has them, so the drop is no step of the schema (a DROP TABLE without IF EXISTS
    replayed there is refused, and said so as a schema-rejected note that blamed the code)."""
    project({"advisor.toml": 'dialect = "postgres"\nschema = ["db.py"]\n', "db.py": textwrap.dedent(UPGRADE).lstrip("\n")})
    loaded = load_project(["."], Options())
    assert set(loaded.schema.tables) == {"runners"}
    assert {line for _, line in loaded.schema.teardown} == {3, 4}  # neither is run on the seeded database either
