"""Holdout 24 (a Cashu mint, SQLAlchemy text() over asyncpg): every table name is written through a helper that
qualifies it at run time (`{db.table_with_schema("promises")}`), column types are filled in per database
(`amount {db.big_int}`), black wraps long statements into adjacent literals, and the migrations rebuild tables by
create-copy-drop-rename in one file. advisor had read 2 of its 158 schema statements and no table of its
queries. Snippets are written here in that style; none is copied from the project."""

from advisor import catalogue, engine
from advisor.ir import SqlQuery
from advisor.parse import parse_sql, substitute_templates
from advisor.schema.code_keys import schema_sql
from advisor.sources import extract

MIGRATIONS = '''\
async def m001_initial(db):
    async with db.connect() as conn:
        await conn.execute(
            f"""
                CREATE TABLE IF NOT EXISTS {db.table_with_schema("promises")} (
                    amount {db.big_int} NOT NULL,
                    b_ TEXT NOT NULL,
                    UNIQUE (b_)
                );
            """
        )


async def m002_quote(db):
    async with db.connect() as conn:
        await conn.execute(
            f"ALTER TABLE {db.table_with_schema('promises')} ADD COLUMN"
            " melt_quote TEXT"
        )
'''

CRUD = """\
async def get_by_quote(db, conn, quote):
    return await conn.fetchall(
        f"SELECT * FROM {db.table_with_schema('promises')} WHERE melt_quote = :quote",
        {"quote": quote},
    )
"""


def test_a_table_named_through_a_helper_for_tables_is_that_table():
    (q,) = [q for q in extract("cashu/crud.py", CRUD).queries if isinstance(q, SqlQuery)]
    assert "FROM promises WHERE" in q.text and not q.dynamic  # a name, not a value spliced in: no string building


def test_the_schema_file_reads_helper_names_column_types_and_wrapped_statements():
    sql = schema_sql("cashu/migrations.py", MIGRATIONS)
    assert len(sql) == len(MIGRATIONS)  # every offset stays the file's
    statements = [" ".join(s.split()) for s in sql.split(";") if s.strip()]
    assert statements[0].startswith("CREATE TABLE IF NOT EXISTS promises ( amount {db.big_int} NOT NULL")
    assert statements[1] == "ALTER TABLE promises ADD COLUMN melt_quote TEXT"  # two literals, one statement


def test_a_template_where_a_column_type_stands_is_a_type():
    assert substitute_templates("CREATE TABLE t (amount {db.big_int} NOT NULL, b TEXT)") == (
        "CREATE TABLE t (amount ____________ NOT NULL, b TEXT)"
    )
    assert substitute_templates("ALTER TABLE t ADD COLUMN n {db.big_int} DEFAULT 0").endswith(
        "n ____________ DEFAULT 0"
    )
    assert parse_sql("CREATE TABLE t (amount {db.big_int} NOT NULL, b TEXT)", "postgres").key == "create"
    # elsewhere a template after a name is still what it was: a clause spliced in, or a value
    assert substitute_templates("SELECT a, b {x} FROM t") == "SELECT a, b )   FROM t"
    assert substitute_templates("SELECT a FROM t WHERE b = {x}") == "SELECT a FROM t WHERE b = :x "


def test_the_mint_schema_is_read_and_its_queries_judged_against_it(project):
    project(
        {
            "cashu/mint/migrations.py": MIGRATIONS,
            "cashu/mint/crud.py": CRUD,
            "advisor.toml": 'dialect = "postgres"\nschema = ["cashu/mint/migrations.py"]\nlarge-tables = ["promises"]\n',
        }
    )
    found = [(f.location.path, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active]
    assert ("cashu/mint/crud.py", "missing-index") in found, found  # promises.melt_quote: no index
    assert not [name for _, name in found if name == "incomplete-schema"], found


INIT = """\
export class WorkflowStore {
  async init() {
    await this.sql.unsafe(`
      CREATE SCHEMA IF NOT EXISTS ${this.schemaName};

      DO $$ BEGIN
        CREATE TYPE ${this.schemaName}.step_status AS ENUM ('pending', 'done');
      EXCEPTION WHEN duplicate_object THEN null;
      END $$;

      CREATE TABLE IF NOT EXISTS ${this.schemaName}.workflow_step (
        workflow_step_id UUID PRIMARY KEY,
        status ${this.schemaName}.step_status NOT NULL
      );

      CREATE TABLE IF NOT EXISTS ${this.schemaName}.workflow_step_history (
        history_id UUID PRIMARY KEY,
        workflow_step_id UUID NOT NULL REFERENCES ${this.schemaName}.workflow_step(workflow_step_id) ON DELETE CASCADE
      );
    `)
  }
}
"""


def test_a_script_of_statements_on_templated_names_is_the_schema():
    # holdout 25 (a workflow engine's PostgreSQL services): the schema is one template an init() runs, every table
    # `${this.schemaName}.<table>`, the first statement a CREATE SCHEMA
    from advisor.sources.sql_shape import runs_as_sql

    assert runs_as_sql("CREATE SCHEMA IF NOT EXISTS ${this.schemaName};\n\nCREATE TABLE ${this.schemaName}.t (id int)")
    assert runs_as_sql("CREATE TABLE IF NOT EXISTS {schema}.jobs (id int)")  # an f-string's field, as written
    assert not runs_as_sql("Create the schema; then run the jobs.")
    sql = schema_sql("src/workflow.ts", INIT)
    statements = [" ".join(s.split()) for s in sql.split(";") if s.strip()]
    assert any(s.startswith("CREATE TABLE IF NOT EXISTS ${this.schemaName}.workflow_step_history") for s in statements)


def test_the_templated_schema_is_known_whole(project):
    project({"src/workflow.ts": INIT, "advisor.toml": 'dialect = "postgres"\nschema = ["src/workflow.ts"]\n'})
    from advisor.loader import load_project
    from advisor.options import Options

    schema = load_project(["."], Options()).schema
    assert {"workflow_step", "workflow_step_history"} <= set(schema.tables) and not schema.gaps
    (fk,) = schema.tables["workflow_step_history"].foreign_keys
    assert (fk.columns, fk.ref_table) == (("workflow_step_id",), "workflow_step")


def test_a_query_of_a_module_named_as_schema_is_workload(project):
    # the same store's queries (holdout 25: every lookup of its history table) were read as a migration's
    store = INIT.replace(
        "    `)\n  }\n}\n",
        "    `)\n  }\n\n  async history(id) {\n"
        "    return this.sql.unsafe(`SELECT * FROM ${this.schemaName}.workflow_step_history WHERE workflow_step_id = $1`, [id])\n"
        "  }\n}\n",
    )
    config = 'dialect = "postgres"\nschema = ["src/workflow.ts"]\nlarge-tables = ["*"]\n'
    project({"src/workflow.ts": store, "advisor.toml": config})
    found = [(f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active]
    assert (24, "missing-index") in found, found
