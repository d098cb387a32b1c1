"""Schema files whose order is not their names' (holdout 32's @axiom-lattice/pg-stores: each migration's order is
a `version` inside it, so `add_agent_web_apps_identity_migration.ts` alters a table that `agent_web_apps_migration.ts`,
after it by name, creates). A statement PostgreSQL refuses for an object not made yet is sent again after the rest,
while a pass loads some; one refused again keeps the error of its last try."""

from advisor.seed.load import load_schema
from tests.conftest_db import fresh_database, pg_server  # noqa: F401

FILES = {
    "a_add_identity.sql": "ALTER TABLE web_apps ADD COLUMN identity text;\nCREATE INDEX web_apps_identity ON web_apps (identity);\n",
    "b_web_apps.sql": "CREATE TABLE web_apps (id bigint PRIMARY KEY, tenant_id text NOT NULL);\n",
    "c_broken.sql": "ALTER TABLE nowhere ADD COLUMN x int;\n",
}


def test_a_statement_waiting_for_a_later_file_is_loaded_after_it(tmp_path, pg_server):  # noqa: F811
    paths = []
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
        paths.append(tmp_path / name)
    with fresh_database(pg_server) as conn:
        errors = load_schema(conn, paths)
        assert [(e.path.rsplit("/", 1)[-1], e.line) for e in errors] == [("c_broken.sql", 1)]
        assert 'relation "nowhere" does not exist' in errors[0].message
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = 'web_apps'::regclass AND attnum > 0 ORDER BY attnum"
            ).fetchall()
        ]
        assert columns == ["id", "tenant_id", "identity"]
        assert conn.execute("SELECT to_regclass('web_apps_identity') IS NOT NULL").fetchone()[0]


STORE = '''
GRAPH = 'SET search_path = ag_catalog, "$user", public'

TABLES = {"JOBS": """CREATE TABLE JOBS (workspace text NOT NULL, id text NOT NULL, name text,
    CONSTRAINT JOBS_PK PRIMARY KEY (workspace, id))"""}


async def names(db, workspace, ids):
    return await db.fetch("SELECT name FROM JOBS WHERE workspace = $1 AND id = ANY($2)", workspace, ids)


async def rename(db, fields):
    return await db.execute("UPDATE JOBS SET " + ", ".join(fields) + " WHERE workspace=$1")
'''


def test_a_code_schema_file_loads_its_ddl_only(tmp_path, pg_server):  # noqa: F811
    """A code file named as schema (LightRAG's postgres_impl.py) holds queries, pieces of queries and a session's
    SET beside its DDL: only the DDL is loaded, so the table lands in public and nothing else is refused."""
    path = tmp_path / "store.py"
    path.write_text(STORE)
    with fresh_database(pg_server) as conn:
        assert [(e.line, e.message) for e in load_schema(conn, [path])] == []
        assert conn.execute("SELECT to_regclass('public.jobs') IS NOT NULL").fetchone()[0]
