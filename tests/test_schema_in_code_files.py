"""A code file the config names as a schema file is read as the SQL of its string literals (sqlc's generated
Python keeps each statement in a constant, `-- name: x :exec` first; hyrex creates its task table's indexes in a
DO block there): each DO block's DDL is schema, as in a `.sql` file, and a docstring or a message is no statement.
Written here in that style, none copied."""

import textwrap

from advisor import catalogue, engine

TABLE = '''
"""The task table (generated)."""
import sqlalchemy

CREATE_TASK_TABLE = """-- name: create_task_table \\\\:exec
CREATE TABLE IF NOT EXISTS task_run (
    id uuid PRIMARY KEY,
    queue text NOT NULL,
    status text NOT NULL,
    workflow_run_id uuid
)
"""

CREATE_TASK_INDEXES = """-- name: create_task_indexes \\\\:exec
DO $$
BEGIN
    CREATE INDEX IF NOT EXISTS ix_task_run_status ON task_run (status);
    CREATE INDEX IF NOT EXISTS ix_task_run_queue_status ON task_run (queue, status);
END $$
"""


class Querier:
    def __init__(self, conn):
        self._conn = conn

    def create(self):
        """Create the table, then its indexes."""
        self._conn.execute(sqlalchemy.text(CREATE_TASK_TABLE))
        self._conn.execute(sqlalchemy.text(CREATE_TASK_INDEXES))
'''

QUERIES = """
SELECT id FROM task_run WHERE queue = $1 AND status = 'QUEUED' LIMIT 1;
SELECT id FROM task_run WHERE workflow_run_id = $1;
"""


def test_the_do_blocks_indexes_of_a_python_schema_file_are_the_schema(project):
    project({
        "advisor.toml": 'dialect = "postgres"\nschema = ["sqlc/_01_create_task.py"]\nlarge-tables = ["*"]\n',
        "sqlc/_01_create_task.py": textwrap.dedent(TABLE),
        "queries.sql": QUERIES,
    })
    found = [(f.location.path, f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active]
    claims = [(p, line) for p, line, rule in found if rule == "missing-index"]
    assert claims == [("queries.sql", 2)], found  # (queue, status) is indexed in the DO block; workflow_run_id is not
    # the two indexes are schema at their own lines: (status) is no prefix of (queue, status), so nothing is redundant
    assert not [f for f in found if f[2] in ("parse-error", "unread-statement", "incomplete-schema")], found


def test_sqlalchemys_escaped_colons_are_read_as_postgresql_writes_them():
    from advisor.schema.code_keys import schema_sql

    source = 'ENUM = """-- name: e \\\\:exec\nDO $$ BEGIN IF NOT EXISTS (SELECT 1 WHERE 1\\\\:\\\\:int = 1) THEN NULL; END IF; END $$\n"""\n'
    sql = schema_sql("m.py", source)
    assert len(sql) == len(source)  # every offset stays the file's
    assert "1    ::int = 1" in sql and "\\" not in sql.split("\n", 1)[1]
    assert sql.startswith(" " * len('ENUM = """'))  # the code around the string is blanked
    assert schema_sql("m.sql", source) == source  # a SQL file is read whole


def test_a_schema_files_own_indexes_are_not_built_again_as_the_codes(project):
    from advisor.loader import load_project
    from advisor.options import Options
    from advisor.seed.prepare import code_declared

    project({
        "advisor.toml": 'dialect = "postgres"\nschema = ["sqlc/_01_create_task.py"]\n',
        "sqlc/_01_create_task.py": textwrap.dedent(TABLE),
    })
    loaded = load_project(["."], Options())
    assert {i.name for i in loaded.schema.indexes_on("task_run")} >= {"ix_task_run_status", "ix_task_run_queue_status"}
    assert code_declared(loaded.schema) == []  # loaded with the schema file, not after it


STORE = '''
import asyncpg

TABLES = {"LIGHTRAG_STATUS": {"ddl": """CREATE TABLE LIGHTRAG_STATUS (
    workspace VARCHAR(255) NOT NULL, id VARCHAR(255) NOT NULL, status VARCHAR(64), name TEXT,
    CONSTRAINT LIGHTRAG_STATUS_PK PRIMARY KEY (workspace, id))"""}}


async def update_fields(db, workspace, doc_id, fields):
    params, sets = [workspace, doc_id], []
    for column, value in fields.items():
        params.append(value)
        sets.append(f"{column} = ${len(params)}")
    sql = (
        "UPDATE LIGHTRAG_STATUS SET "
        + ", ".join(sets)
        + " WHERE workspace=$1 AND id=$2 RETURNING id"
    )
    return await db.fetchrow(sql, *params)


async def search(db, workspace, pattern):
    return await db.fetch(
        """SELECT id FROM LIGHTRAG_STATUS WHERE workspace = $1 AND LOWER(name) LIKE $2 ESCAPE E'\\\\\\\\'""",
        workspace, pattern,
    )
'''


def test_a_code_schema_files_query_pieces_are_no_parse_errors(project):
    """LightRAG keeps its DDL in the module that also builds its queries: a literal that begins a statement the
    code completes at run time (`"UPDATE t SET " + ", ".join(sets) + ...`) is no statement of the schema, and
    `LIKE ... ESCAPE E'\\\\'` (one backslash) is valid PostgreSQL read as written."""
    project({
        "advisor.toml": 'dialect = "postgres"\nschema = ["store.py"]\nlarge-tables = ["*"]\n',
        "store.py": textwrap.dedent(STORE),
    })
    found = [(f.location.line, catalogue.lookup(f.rule).name, f.severity) for f in engine.check(["."]).active]
    assert not [f for f in found if f[1] in ("parse-error", "unread-statement")], found
    # the DDL is still the schema: the table is known whole, so no note says it was not seen
    assert not [f for f in found if f[1] == "incomplete-schema"], found


# accordsync-server (holdout 48): each statement written as adjacent literals, quoted names escaped in the source
ESCAPED = r'''
def _m0002(cur):
    cur.execute(
        'create table "feed" ("seq" bigserial primary key,'
        " \"kind\" text not null check (kind in ('op', 'scope')),"
        ' "record" text not null, "device" text not null, "op_id" text unique,'
        ' constraint "feed_shape" check ('
        "(kind = 'op' and op_id is not null)\n"
        "       or (kind = 'scope' and op_id is null)))"
    )
    cur.execute('create index "feed_record_seq" on "feed" ("record", "seq")')
'''


def test_escaped_quotes_and_newlines_of_a_code_schema_file_are_the_text_they_write(project):
    project({
        "advisor.toml": 'dialect = "postgres"\nschema = ["migrations.py"]\nlarge-tables = ["*"]\n',
        "migrations.py": textwrap.dedent(ESCAPED),
        "queries.sql": "SELECT seq FROM feed WHERE op_id = $1;\nSELECT seq FROM feed WHERE device = $1;\n",
    })
    from advisor.loader import load_project
    from advisor.options import Options

    schema = load_project(["."], Options()).schema
    assert schema.column_type("feed", "kind") == "text"  # `\"kind\"` is the column kind, not `kind ` with a space
    found = [(f.location.path, f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active]
    # the table is seen whole: op_id's unique index serves the first lookup, nothing serves the second
    assert [(p, line) for p, line, rule in found if rule == "missing-index"] == [("queries.sql", 2)], found
    assert not [f for f in found if f[2] in ("parse-error", "unread-statement", "incomplete-schema")], found


CONTINUED = '''\
HISTORY_SCHEMA = """\\
CREATE TABLE IF NOT EXISTS history (
    zoid BIGINT NOT NULL,
    tid BIGINT NOT NULL,
    PRIMARY KEY (zoid, tid)
);
CREATE INDEX IF NOT EXISTS history_tid ON history (tid);
CREATE INDEX IF NOT EXISTS history_zoid_tid ON history (zoid, tid);
"""


def install(conn):
    conn.execute(HISTORY_SCHEMA)
'''


def test_a_script_whose_literal_opens_with_a_continued_line_is_read_whole(project):
    """As holdout 52's storage writes its schema: `\"\"\"\\` then the script, the backslash continuing the line (it writes
    nothing). Read as SQL, its indexes are the schema's, and a copy of the primary key is said where it stands."""
    project({
        "advisor.toml": 'dialect = "postgres"\nschema = ["schema.py"]\n',
        "schema.py": CONTINUED,
    })
    from advisor.loader import load_project
    from advisor.options import Options

    schema = load_project(["."], Options()).schema
    assert sorted(i.name for i in schema.indexes) == ["history_pkey", "history_tid", "history_zoid_tid"]
    found = [(f.location.path, f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active]
    assert ("schema.py", 8, "duplicate-index") in found, found  # (zoid, tid): the primary key's keys


DECLARED = '''\
HISTORY = """
CREATE TABLE IF NOT EXISTS history (zoid BIGINT NOT NULL, tid BIGINT NOT NULL, PRIMARY KEY (zoid, tid));
CREATE INDEX IF NOT EXISTS history_tid ON history (tid);
"""


def install(conn):
    conn.execute(HISTORY)


def convert_to_history_free(conn):
    conn.execute("DROP TABLE history CASCADE")


def m002_add_queue(db):
    db.execute("CREATE TABLE queue (id BIGINT PRIMARY KEY)")


def m003_drop_queue(db):
    db.execute("DROP TABLE queue")
'''


def test_a_functions_drop_of_a_table_the_module_declares_is_no_step_of_its_history(project):
    """As holdout 52's schema module: its scripts, module constants, declare `object_history`; a conversion the code
    runs on request drops it. The declared table stands (and its indexes); a table a function creates and a later one
    drops, as migration steps do, is gone."""
    project({"advisor.toml": 'dialect = "postgres"\nschema = ["schema.py"]\n', "schema.py": DECLARED})
    from advisor.loader import load_project
    from advisor.options import Options

    schema = load_project(["."], Options()).schema
    assert set(schema.tables) == {"history"}
    assert sorted(i.name for i in schema.indexes if i.table == "history") == ["history_pkey", "history_tid"]


REMOVED = '''\
from yoyo import step

sql_create_info = """
CREATE TABLE info (id BIGINT PRIMARY KEY, state SMALLINT NOT NULL)
"""


def apply_step(conn):
    conn.cursor().execute("DROP TABLE info")


def rollback_step(conn):
    conn.cursor().execute(sql_create_info)


steps = [step(apply_step, rollback_step)]
'''


def test_a_migration_step_that_drops_a_table_its_undoing_would_recreate_drops_it(project):
    """holdout 47's news reader: a yoyo step drops `l_entry_process_info`, its module keeping the CREATE in a constant
    for the step's undoing. A module of migration steps is a history: the table is gone."""
    project({
        "advisor.toml": 'dialect = "postgres"\nschema = ["migrations/*.py"]\n',
        "migrations/0001_info.py": 'from yoyo import step\n\nsteps = [step("CREATE TABLE info (id BIGINT PRIMARY KEY)")]\n',
        "migrations/0002_remove_info.py": REMOVED,
    })
    from advisor.loader import load_project
    from advisor.options import Options

    assert "info" not in load_project(["."], Options()).schema.tables
