"""Holdout 110 (a psycopg 3 storage backend): its migration writes each CREATE TABLE and CREATE INDEX as
`sql.SQL("CREATE TABLE {jobs} (...)").format(jobs=t("jobs"))`, `t` a local alias of the function that names its
tables (`t = names.table`), and each index's name filled in the same way. advisor read none of its tables: the
literals scanned on their own are templates whose fields nothing fills. Snippets are written here in that style;
none is copied from the project."""

from advisor import catalogue, engine
from advisor.ir import SqlQuery
from advisor.schema.code_keys import schema_statements
from advisor.sources import extract

MIGRATIONS = """\
from psycopg import sql


def _first(names):
    t = names.table
    i = names.index
    return [
        sql.SQL(
            "CREATE TABLE {jobs} ("
            " id bigint PRIMARY KEY,"
            " queue text NOT NULL,"
            " owner text NOT NULL,"
            " run_at timestamptz)"
        ).format(jobs=t("jobs")),
        sql.SQL("CREATE INDEX {idx} ON {jobs} (run_at) WHERE run_at IS NOT NULL").format(
            idx=i("jobs_due_idx"), jobs=t("jobs")
        ),
        sql.SQL("CREATE INDEX {idx} ON {jobs} (queue, run_at)").format(idx=i("jobs_queue_idx"), jobs=t("jobs")),
    ]


def _version(names):
    return sql.SQL("CREATE TABLE IF NOT EXISTS {v} (version integer PRIMARY KEY)").format(v=names.table("versions"))
"""

STORE = """\
from psycopg import sql


class Store:
    async def by_owner(self, conn, owner):
        t = self._names.table
        return await conn.execute(sql.SQL("SELECT id, queue FROM {jobs} WHERE owner = %s").format(jobs=t("jobs")), (owner,))

    async def due(self, conn, queue):
        q = sql.SQL("SELECT id FROM {jobs} WHERE queue = %s").format(jobs=self._names.table("jobs"))
        return await conn.execute(q, (queue,))
"""


def test_a_composed_schema_statement_is_read_as_the_module_fills_it():
    statements = schema_statements("store/migrations.py", MIGRATIONS)
    texts = [" ".join(q.text.split()) for q in statements]
    assert [t.split(" (")[0] for t in texts] == [
        "CREATE TABLE jobs",
        "CREATE INDEX {} ON jobs",
        "CREATE INDEX {} ON jobs",
        "CREATE TABLE IF NOT EXISTS versions",
    ], texts
    assert [q.location.line for q in statements] == [8, 15, 18, 23]  # each where its composition is written
    assert all(q.source == "schema" for q in statements)


def test_a_local_alias_of_a_function_named_for_tables_names_the_table():
    q = [q for q in extract("store/store.py", STORE).queries if isinstance(q, SqlQuery)][0]
    assert "FROM jobs WHERE owner" in q.text, q.text


def test_the_tables_and_both_indexes_are_known_and_the_query_judged_against_them(project):
    project(
        {
            "store/migrations.py": MIGRATIONS,
            "store/store.py": STORE,
            "advisor.toml": 'dialect = "postgres"\nschema = ["store/migrations.py"]\nlarge-tables = ["jobs"]\n',
        }
    )
    found = [(f.location.path, f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active]
    assert ("store/store.py", 7, "missing-index") in found, found  # jobs.owner: no index leads with it
    # (queue, run_at) serves the due jobs: both indexes kept, though the code names each at run time
    assert [f for f in found if f[1] > 7 and f[2] == "missing-index"] == [], found
    assert not [f for f in found if f[2] in ("incomplete-schema", "duplicate-index")], found
