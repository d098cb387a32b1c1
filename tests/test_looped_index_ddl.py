"""CREATE INDEX text an f-string writes in a loop over the names of tables (LightRAG's check_tables creates
`idx_<t>_workspace_id ON <t>(workspace, id)` on every table of its TABLES dict, each a copy of the table's primary
key): one index per table the loop walks, when those names are the code's own literals. Written in that style,
none copied."""

import ast
import textwrap

from advisor import catalogue, engine
from advisor.sources.python_indexes import looped_indexes

STORE = '''
TABLES = {
    "JOBS": {"ddl": """CREATE TABLE JOBS (workspace VARCHAR(64) NOT NULL, id VARCHAR(64) NOT NULL, body TEXT,
        CONSTRAINT JOBS_PK PRIMARY KEY (workspace, id))"""},
    "RUNS": {"ddl": """CREATE TABLE RUNS (workspace VARCHAR(64) NOT NULL, id VARCHAR(64) NOT NULL, job TEXT,
        CONSTRAINT RUNS_PK PRIMARY KEY (workspace, id))"""},
    "VECTORS": {"ddl": """CREATE TABLE VECTORS (workspace VARCHAR(64) NOT NULL, id VARCHAR(64) NOT NULL,
        CONSTRAINT VECTORS_PK PRIMARY KEY (workspace, id))"""},
}


class Database:
    async def check_tables(self):
        skipped = {"VECTORS"}
        table_names = [k for k in TABLES.keys() if k not in skipped]
        for k in table_names:
            index_name = f"idx_{k.lower()}_workspace_id"
            await self.execute(f"CREATE INDEX IF NOT EXISTS {index_name} ON {k}(workspace, id)")

    async def extra_tables(self):
        for info in [{"name": "RUNS", "description": "runs"}]:
            table_name = info["name"]
            await self.execute(f"CREATE INDEX idx_{table_name.lower()}_job ON {table_name}(job)")

    async def per_model(self, table_name):
        await self.execute(f"CREATE INDEX idx_{table_name.lower()}_id ON {table_name}(id)")  # a parameter: unknown

    async def configured(self, names, column):
        for k in names:  # names the caller passes: unknown
            await self.execute(f"CREATE INDEX idx_{k}_x ON {k}(x)")
        for k in ["JOBS"]:
            await self.execute(f"CREATE INDEX idx_{k}_c ON {k}({column})")  # a field of something else: unread
'''


def test_an_index_for_each_table_a_loop_over_literal_names_walks():
    found = {(i.table, i.name, tuple(k.expr for k in i.keys), i.location.line)
             for i in looped_indexes(ast.parse(textwrap.dedent(STORE)), "store.py")}
    assert found == {
        ("jobs", "idx_jobs_workspace_id", ("workspace", "id"), 18),
        ("runs", "idx_runs_workspace_id", ("workspace", "id"), 18),
        ("runs", "idx_runs_job", ("job",), 23),
    }


def test_the_looped_copies_of_the_primary_keys_are_duplicates(project):
    project({"advisor.toml": 'schema = ["store.py"]\n', "store.py": textwrap.dedent(STORE)})
    found = sorted((f.location.line, catalogue.lookup(f.rule).name, f.message.split(" duplicates")[0])
                   for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "duplicate-index")
    assert found == [(17, "duplicate-index", "index idx_jobs_workspace_id"),
                     (17, "duplicate-index", "index idx_runs_workspace_id")]


SEARCH_PATH = '''
def connect_graph(conn):
    conn.execute('SET search_path = ag_catalog, "$user", public')


TABLES = {"JOBS": """CREATE TABLE JOBS (id text PRIMARY KEY, queue text)"""}


def create(conn):
    conn.execute(TABLES["JOBS"])
    conn.execute("CREATE INDEX jobs_queue ON JOBS (queue)")
'''


def test_a_code_schema_files_search_path_is_its_connections_not_the_files(project):
    """A SET search_path in one string of a code file read as schema sets a connection's path when that code
    runs, not where the file's later strings create their tables: the table stays in public, with its indexes."""
    project({"advisor.toml": 'schema = ["store.py", "later.sql"]\n', "store.py": textwrap.dedent(SEARCH_PATH),
             "later.sql": "CREATE INDEX jobs_queue_again ON jobs (queue);\n"})
    found = [(f.location.path, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active]
    assert [rule for _, rule in found if rule == "duplicate-index"] == ["duplicate-index"], found
