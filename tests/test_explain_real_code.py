"""`check --explain` on code as real projects write it (a task queue's PL/pgSQL functions and triggers, its
migrations): PL/pgSQL variables planned as typed parameters, NEW/OLD fields of a trigger's row, migrations not
planned, and what PostgreSQL could not plan or load said once per file, as a note. Snippets written here in
the style of such a queue (procrastinate, graphile-worker), none copied."""

import json
import re

from click.testing import CliRunner

from advisor.explain.params import param_types
from advisor.options import Options
from advisor.sources.sql_files import extract_sql
from tests.conftest_db import pg_server  # noqa: F401

DEFER = """CREATE FUNCTION defer_job(queue_name varchar, p_lock text, p_priority integer) RETURNS bigint AS $$
DECLARE
  v_id bigint;
  v_status job_status := 'todo';
BEGIN
  INSERT INTO jobs (queue_name, lock, priority, status)
    VALUES (defer_job.queue_name, p_lock, p_priority, v_status)
    RETURNING id INTO v_id;
  RETURN v_id;
END;
$$ LANGUAGE plpgsql;
"""

TRIGGER = """CREATE FUNCTION job_inserted() RETURNS trigger AS $$
BEGIN
  INSERT INTO events (job_id, type) VALUES (NEW.id, 'deferred');
  PERFORM pg_notify('jobs', json_build_object('id', NEW.id, 'queue', NEW.queue_name, 'job', NEW.id)::text);
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def _body(text: str, name: str = "schema.sql"):
    return [q for q in extract_sql(name, text) if q.origin == "function-body"]


def test_each_variable_is_its_own_parameter_with_its_declared_type():
    (insert,) = [q for q in _body(DEFER) if q.text.lstrip().upper().startswith("INSERT")]
    values = insert.text[insert.text.index("VALUES") :]
    # four variables, four parameters; the text keeps its length, so positions stay the file's
    assert sorted(set(re.findall(r"\$\d+", values))) == ["$1", "$2", "$3", "$4"]
    assert "RETURNING id" in insert.text and "v_id" not in insert.text
    typed = dict(zip(re.findall(r"\$\d+", values), [None] * 4, strict=True))
    for n, typ in enumerate(insert.param_types, 1):
        typed[f"${n}"] = typ
    # the shortest names get the smallest numbers; each keeps the type its declaration gives
    by_name = {
        "p_lock": "text",
        "p_priority": "integer",
        "v_status": "job_status",
        "defer_job.queue_name": "varchar",
    }
    written = DEFER[DEFER.index("VALUES") :].split(")")[0]
    for name, typ in by_name.items():
        at = written.index(name)
        mark = values[at : at + 3].strip().rstrip(",")
        assert typed[mark] == typ, (name, mark, insert.param_types)


def test_a_trigger_rows_fields_are_parameters():
    insert, notify = _body(TRIGGER)
    assert "NEW" not in insert.text and insert.text.count("$1") == 1
    # NEW.id twice is one parameter, NEW.queue_name another
    assert "NEW" not in notify.text and notify.text.count("$1") == 2 and "$2" in notify.text
    assert len(notify.text) == len(TRIGGER[TRIGGER.index("PERFORM") : TRIGGER.index(";", TRIGGER.index("PERFORM"))])


def test_a_sql_function_positional_arguments_take_their_declared_types():
    text = """CREATE FUNCTION jobs_of(bigint, OUT n integer, text) RETURNS SETOF jobs LANGUAGE sql AS $$
  SELECT * FROM jobs WHERE worker_id = $1 AND queue_name = $2
$$;
"""
    (select,) = _body(text)
    assert select.param_types == ("bigint", "text")  # an OUT argument takes no number


def test_a_declared_type_reaches_prepare_only_as_a_plain_type_name():
    crafted = ("integer) AS SELECT 1; DROP TABLE jobs; --", "bigint", "character varying(20)", "job_status[]")
    assert param_types(None, None, 4, crafted) == ["unknown", "bigint", "character varying(20)", "job_status[]"]


SCHEMA = (
    """CREATE TYPE job_status AS ENUM ('todo', 'doing', 'done');
CREATE TABLE jobs (
  id bigserial PRIMARY KEY,
  queue_name varchar(128) NOT NULL,
  lock text,
  priority integer NOT NULL DEFAULT 0,
  status job_status NOT NULL DEFAULT 'todo',
  worker_id bigint
);
CREATE TABLE events (id bigserial PRIMARY KEY, job_id bigint NOT NULL, type text NOT NULL);
"""
    + DEFER
    + TRIGGER
    + """CREATE FUNCTION retry_job(p_id bigint, p_at timestamptz) RETURNS void AS $$
BEGIN
  UPDATE jobs SET status = 'todo', lock = coalesce(lock, p_at::text) WHERE id = p_id AND status = 'doing';
  PERFORM pg_notify('jobs', coalesce(p_at, now())::text);
END;
$$ LANGUAGE plpgsql;
"""
)


def _project(tmp_path):
    root = tmp_path / "queue"
    (root / "sql" / "migrations").mkdir(parents=True)
    (root / "advisor.toml").write_text('dialect = "postgres"\nschema = ["sql/schema.sql"]\n')
    (root / "sql" / "schema.sql").write_text(SCHEMA)
    # an old migration: its statements name what a later one dropped; a backfill is no workload
    (root / "sql" / "migrations" / "00.01.00_01_locks.sql").write_text(
        "UPDATE job_locks SET released = true WHERE released IS NULL;\n"
        "INSERT INTO jobs_archive SELECT * FROM jobs_old;\n"
    )
    (root / "sql" / "queries.sql").write_text(
        "SELECT id FROM jobs WHERE queue_name = %(queue)s AND status = 'todo' LIMIT 1;\n"
        "SELECT * FROM workers WHERE id = %(id)s;\n"
        "SELECT * FROM worker_heartbeats WHERE worker_id = %(id)s;\n"
    )
    return root


def _on_server(tmp_path, name: str, schema: str, files: dict[str, str], monkeypatch, pg_server):  # noqa: F811
    """The root of a project of `files` whose config names `schema`, to be checked against the test server."""
    monkeypatch.setenv("ADVISOR_DSN", pg_server.conninfo())
    root = tmp_path / name
    root.mkdir()
    (root / "advisor.toml").write_text(f'dialect = "postgres"\nschema = ["{schema}"]\n')
    for path, text in files.items():
        (root / path).write_text(text)
    return root


def _check(root, monkeypatch):
    from advisor.cli import main

    monkeypatch.chdir(root.parent)
    result = CliRunner().invoke(main, ["check", "--explain", "--format", "json", "--no-cache", root.name])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["findings"]


def test_check_explain_plans_the_functions_and_says_once_what_it_could_not(tmp_path, monkeypatch, pg_server):
    monkeypatch.setenv("ADVISOR_DSN", pg_server.conninfo())
    findings = _check(_project(tmp_path), monkeypatch)
    notes = [f for f in findings if f["name"] == "explain-error"]
    # the functions' statements are planned (typed variables, the trigger's row, an untyped pg_notify argument)
    assert not [f for f in notes if f["path"].endswith("schema.sql")], notes
    # the migration is not planned at all: no note about its missing tables
    assert not [f for f in findings if "migrations" in f["path"] and f["name"] == "explain-error"]
    # the two statements on tables the schema does not create: one note for the project (8 statements planned:
    # the 3 queries and the functions' 5), at the first, naming both lines
    (note,) = [f for f in notes if f["path"].endswith("queries.sql")]
    assert note["line"] == 2 and note["metrics"]["lines"] == [2, 3] and note["severity"] == "info"
    assert "2 of the 8 statements of this file" in note["message"] and '"workers" does not exist' in note["message"]


def test_psql_variables_are_filled_as_names_of_the_same_length():
    from advisor.seed.load import filled

    text = (
        "create table :APP_SCHEMA.jobs (id bigint, doc text default ':NOT_ME', kind text);\n"
        "comment on table :\"APP_SCHEMA\".jobs is :'LABEL'; -- :NOR_ME\n"
        "select '{}'::json, a[1:n] from t;\n"
        "create function :APP_SCHEMA.f() returns int as $$ select count(*) from :APP_SCHEMA.jobs "
        "where kind = :kind $$ language sql;"
    )
    out = filled(text)
    assert len(out) == len(text)
    assert "create table app_schema .jobs" in out and "':NOT_ME'" in out  # not inside a string
    assert "comment on table \"app_schema\" .jobs is 'label'" in out and "-- :NOR_ME" in out
    assert "'{}'::json, a[1:n]" in out  # casts and slices are no variables
    assert filled("select (a, b):::APP.job_spec") == "select (a, b)::app .job_spec"  # a cast to a variable's type
    # in a function body only a schema name (before a dot) is filled: `:kind` there is the body's own text
    assert "from app_schema .jobs where kind = :kind $$" in out


def test_a_schema_the_files_use_but_do_not_create_is_created(tmp_path, monkeypatch, pg_server):
    """Migrations written for a runner that creates their schema first (`create table "billing"."invoices"`)."""
    from advisor.explain.params import normalise

    migration = (
        'create table if not exists "billing"."invoices" (id bigint primary key, customer text, total int);\n'
        "create table :APP.events (id bigint primary key, invoice_id bigint);\n"
    )
    queries = "SELECT * FROM billing.invoices WHERE customer = $1;\nSELECT * FROM :APP.events WHERE invoice_id = $1;\n"
    findings = _check_migrated(tmp_path / "billing", migration, queries, monkeypatch, pg_server)
    assert not [f for f in findings if f["name"] in ("schema-rejected", "explain-error")], findings
    assert normalise("SELECT * FROM :APP.events WHERE id = :id")[0] == "SELECT * FROM app.events WHERE id = $1"


def test_a_pg_promise_schema_name_of_a_migration_is_the_search_path(tmp_path, monkeypatch, pg_server):
    """ark-core's migrations: `CREATE TABLE ${schema~}.blocks`, its pg-promise runner formatting the schema, its
    queries written `FROM blocks`.  The qualifier goes (same length, so PostgreSQL's positions stay right): the
    tables are made in the search path, where the queries find them and are planned."""
    from advisor.seed.load import filled

    text = "CREATE INDEX b ON $(schema:name) . blocks (h)"
    assert len(filled(text)) == len(text) and filled(text).split() == ["CREATE", "INDEX", "b", "ON", "blocks", "(h)"]
    assert (
        filled("SELECT '${schema~}.t' FROM ${s~}.t WHERE id = ${id}")
        == "SELECT '${schema~}.t' FROM       t WHERE id = ${id}"
    )
    migration = (
        "CREATE TABLE IF NOT EXISTS ${schema~}.blocks (id varchar(64) PRIMARY KEY, height int, generator text);\n"
        'CREATE INDEX IF NOT EXISTS "blocks_height" ON ${schema~}.blocks ("height");\n'
    )
    queries = "SELECT id FROM blocks WHERE height = $1;\n"
    findings = _check_migrated(tmp_path / "ark", migration, queries, monkeypatch, pg_server)
    assert not [f for f in findings if f["name"] in ("schema-rejected", "explain-error")], findings


def test_a_js_templates_schema_qualifier_of_a_code_schema_file_is_the_search_path(tmp_path, monkeypatch, pg_server):
    """openworkflow's migrations (holdout 50): `CREATE TABLE ${quotedSchema}."runs"` in a JS module the config names
    as its schema, its queries written the same way, which advisor reads without the qualifier. The DDL is sent so
    too (a schema it cannot name stays unsent): the tables are made in the search path and the queries planned."""
    from advisor.seed.load import filled

    assert filled('CREATE TABLE ${quotedSchema}."runs" (id text)').split() == [
        "CREATE",
        "TABLE",
        '"runs"',
        "(id",
        "text)",
    ]
    assert filled("CREATE SCHEMA IF NOT EXISTS ${quotedSchema}") == "CREATE SCHEMA IF NOT EXISTS ${quotedSchema}"
    migrations = (
        "export function migrations(schema) {\n"
        "  const quotedSchema = quote(schema);\n"
        "  return [\n"
        "    `CREATE SCHEMA IF NOT EXISTS ${quotedSchema};\n"
        '    CREATE TABLE IF NOT EXISTS ${quotedSchema}."runs" ("id" TEXT PRIMARY KEY, "status" TEXT NOT NULL);\n'
        '    CREATE INDEX IF NOT EXISTS "runs_status" ON ${quotedSchema}."runs" ("status");`,\n'
        "  ];\n"
        "}\n"
    )
    backend = (
        'import postgres from "postgres";\n'
        "export async function due(pg, schema) {\n"
        '  return pg`SELECT "id" FROM ${pg(schema)}."runs" WHERE "status" = ${"pending"}`;\n'
        "}\n"
    )
    package = '{"name": "flow", "dependencies": {"postgres": "^3"}}'
    files = {"package.json": package, "migrations.js": migrations, "backend.js": backend}
    root = _on_server(tmp_path, "flow", "migrations.js", files, monkeypatch, pg_server)
    from advisor.discovery import collect
    from advisor.loader import load

    monkeypatch.chdir(root)
    (query,) = [q for s in load(collect(["."], Options())[0]).sources if s.path == "backend.js" for q in s.queries]
    assert '"runs"' in query.text and "pending" not in query.text  # read, planned below
    findings = _check(root, monkeypatch)
    refused = [f for f in findings if f["name"] == "schema-rejected"]
    assert [(f["line"], f["metrics"].get("count", 1)) for f in refused] == [(4, 1)], refused  # the CREATE SCHEMA only
    assert not [f for f in findings if f["name"] == "explain-error"], findings  # `relation "runs" does not exist`


def test_a_column_a_schema_statement_advisor_did_not_send_makes_is_said_to_be_missing_for_that(
    tmp_path, monkeypatch, pg_server
):
    """Holdout 54: a DO block that adds `meta` holds text the code writes in (`${pg.escapeLiteral(...)}`), so advisor
    does not send it, and the claim query on `meta` cannot be planned. The note says the missing column is made by
    a statement advisor did not load, not only PostgreSQL's `column "meta" does not exist`."""
    init = (
        "export async function init(pool, prefix) {\n"
        "  await pool.query(`CREATE TABLE IF NOT EXISTS tests (run_id UUID NOT NULL, n INT NOT NULL, PRIMARY KEY (run_id, n));\n"
        "    DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM information_schema.columns\n"
        "      WHERE table_name = ${pg.escapeLiteral(prefix)} AND column_name = 'meta') THEN\n"
        "      ALTER TABLE tests ADD COLUMN meta JSONB NOT NULL DEFAULT '{}'::jsonb;\n"
        "    END IF; END $$;`);\n"
        "}\n"
    )
    claim = (
        "export async function claim(pool, runId, project) {\n"
        "  return pool.query(`SELECT n FROM tests WHERE run_id = $1 AND meta->'projects' ? $2 LIMIT 1`, [runId, project]);\n"
        "}\n"
    )
    root = _on_server(tmp_path, "shards", "init.js", {"init.js": init, "claim.js": claim}, monkeypatch, pg_server)
    findings = _check(root, monkeypatch)
    (note,) = [f for f in findings if f["name"] == "explain-error"]
    assert 'column "meta" does not exist' in note["message"], note
    assert '"meta" is made by a schema statement advisor did not load (shards/init.js:3,' in note["message"], note


def _check_migrated(root, migration, queries, monkeypatch, pg_server):
    """`check --explain` of a project of one migration file (its schema) and one file of queries, on the server."""
    monkeypatch.setenv("ADVISOR_DSN", pg_server.conninfo())
    (root / "migrations").mkdir(parents=True)
    (root / "advisor.toml").write_text('dialect = "postgres"\nschema = ["migrations/*.sql"]\n')
    (root / "migrations" / "0001_init.sql").write_text(migration)
    (root / "queries.sql").write_text(queries)
    return _check(root, monkeypatch)


def test_the_size_of_no_relation_is_zero(pg_server):
    from advisor.indexes.verify import relation_bytes
    from advisor.seed.server import connect

    with connect(pg_server.conninfo(), autocommit=True) as conn:
        assert relation_bytes(conn, "no_such_schema.no_such_table") == 0
        assert relation_bytes(conn, "pg_class") > 0


def _migrations(tmp_path):
    """Numbered schema files that redefine and drop functions, as a queue's migrations do."""
    root = tmp_path / "worker"
    (root / "sql").mkdir(parents=True)
    (root / "advisor.toml").write_text('dialect = "postgres"\nschema = ["sql/*.sql"]\n')
    (root / "sql" / "000001.sql").write_text(
        "create table job_queues (queue_name text primary key, job_count int not null);\n"
        "create table jobs (id bigserial primary key, queue_name text, locked_by text);\n"
        "create function get_job(worker_id text) returns jobs as $$\n"
        "begin\n"
        "  update job_queues set job_count = job_count - 1 where queue_name = 'x';\n"
        "  return null;\n"
        "end;\n"
        "$$ language plpgsql;\n"
        "create function jobs__decrease() returns trigger as $$\n"
        "begin\n"
        "  update job_queues set job_count = job_count - 1 where queue_name = old.queue_name;\n"
        "  return old;\n"
        "end;\n"
        "$$ language plpgsql;\n"
    )
    (root / "sql" / "000002.sql").write_text(
        "drop function jobs__decrease();\n"
        "drop table job_queues;\n"
        "create or replace function get_job(worker_id text) returns jobs as $$\n"
        "begin\n"
        "  update jobs set locked_by = worker_id where id = 1;\n"
        "  return null;\n"
        "end;\n"
        "$$ language plpgsql;\n"
    )
    return root


def test_a_function_a_later_schema_file_redefines_or_drops_is_history(tmp_path, monkeypatch, pg_server):
    from advisor.config import find_config
    from advisor.ir import SourceFile
    from advisor.results import schema_contribution
    from advisor.schema.assemble import assemble

    root = _migrations(tmp_path)
    monkeypatch.chdir(root)
    schema, _ = assemble(find_config(root), [])
    assert sorted(loc.line for loc in schema.replaced_routines) == [3, 9]  # get_job's first, jobs__decrease
    # a schema file that defines a routine changes what the files before it mean: cached results depend on it
    defines = SourceFile(
        "sql/000003.sql",
        "",
        extract_sql("sql/000003.sql", "create function f() returns int as $$ select 1 $$ language sql;"),
    )
    assert schema_contribution(defines) != ""
    monkeypatch.setenv("ADVISOR_DSN", pg_server.conninfo())
    findings = _check(root, monkeypatch)
    # the old get_job and the dropped trigger function update job_queues, which no longer exists: not planned
    assert not [f for f in findings if f["name"] in ("explain-error", "schema-rejected")], findings


def test_a_project_without_schema_files_is_checked_and_says_why_nothing_was_planned(tmp_path, monkeypatch):
    root = tmp_path / "client"
    root.mkdir()
    (root / "advisor.toml").write_text('dialect = "postgres"\n')
    (root / "q.sql").write_text("SELECT * FROM accounts WHERE lower(email) = $1;\nSELECT 1;\n")
    findings = _check(root, monkeypatch)
    (note,) = [f for f in findings if f["name"] == "explain-error"]
    assert note["line"] == 1 and note["severity"] == "info" and "names no schema files" in note["message"]
    assert "none of the 2 statements" in note["message"]
    assert any(f["name"] == "function-on-column" for f in findings)  # the static findings stand
    (root / "q.sql").write_text("SELECT * FROM accounts WHERE lower(email) = $1;\n")
    (note,) = [f for f in _check(root, monkeypatch) if f["name"] == "explain-error"]
    assert note["message"].startswith("advisor did not plan the one statement of this project: its config")
    assert note["message"].endswith("so there is no database to plan it on")


def test_the_schemas_the_files_create_are_on_the_search_path(tmp_path, monkeypatch, pg_server):
    """A message store's functions name their tables bare: its role's search path has the store's schema."""
    schema = (
        "CREATE SCHEMA IF NOT EXISTS message_store;\n"
        "CREATE TABLE message_store.messages (id bigserial PRIMARY KEY, stream_name text NOT NULL, data jsonb);\n"
        "CREATE FUNCTION message_store.stream_version(stream text) RETURNS bigint AS $$\n"
        "DECLARE v bigint;\n"
        "BEGIN\n"
        "  SELECT max(id) INTO v FROM messages WHERE stream_name = stream_version.stream;\n"
        "  RETURN v;\n"
        "END;\n"
        "$$ LANGUAGE plpgsql;\n"
    )
    root = _on_server(tmp_path, "store", "schema.sql", {"schema.sql": schema}, monkeypatch, pg_server)
    findings = _check(root, monkeypatch)
    assert not [f for f in findings if f["name"] in ("explain-error", "schema-rejected")], findings


def test_only_a_statement_read_whole_is_planned():
    """A prefix another piece completes at run time (`sql + clause`), or a text with a template, is no statement
    PostgreSQL can plan as written: the EXPLAIN stage leaves it to the static rules (which read it as a sketch)."""
    from advisor.explain.stage import readable
    from advisor.ir import Location, SqlQuery, TextMap

    def query(text: str) -> SqlQuery:
        return SqlQuery(text, Location("q.py", 1, 1), TextMap("q.py", text, ((0, 1, 1),)), "python")

    assert readable(query("SELECT id FROM devices WHERE hidden = '0' AND user_id = $1"))
    assert not readable(query("SELECT count(*) FROM devices WHERE hidden = '0' AND"))  # `sql + clause`
    assert not readable(query("SELECT user_id FROM d WHERE {clause} AND stream_id > ?"))
    assert readable(query("SELECT * FROM :APP.events WHERE id = :id"))  # psql's schema variable: planned


def test_another_databases_file_is_not_planned():
    """cowrie's `output/mysql.py` (`SELECT LAST_INSERT_ID()`, MySQL's): another database's statements, by the file's
    name as the static rules read it, are not planned on PostgreSQL (whose refusal was an explain-error note)."""
    from advisor.explain.stage import plannable
    from advisor.ir import Location, SqlQuery, TextMap

    def query(path: str) -> SqlQuery:
        text = "SELECT LAST_INSERT_ID()"
        return SqlQuery(text, Location(path, 1, 1), TextMap(path, text, ((0, 1, 1),)), "python")

    assert plannable(query("src/cowrie/output/postgresql.py"))
    assert not plannable(query("src/cowrie/output/mysql.py"))
    assert not plannable(query("db/sqlite/queries.py"))


def test_measured_advice_keeps_the_static_premises(tmp_path, monkeypatch, pg_server):
    """No verified index on a table the config says stays small, as the static rules give none: the measurement
    answers the static guess, and nothing is said (no 'no index recommended' note either)."""
    monkeypatch.setenv("ADVISOR_DSN", pg_server.conninfo())
    root = tmp_path / "small"
    root.mkdir()
    config = 'dialect = "postgres"\nschema = ["schema.sql"]\n[seed]\nrows = 2000\n[explain]\nmin_cost = 1\n'
    (root / "advisor.toml").write_text('large-tables = ["queues"]\n' + config)
    (root / "schema.sql").write_text(
        "CREATE TABLE queues (id bigserial PRIMARY KEY, name text NOT NULL, paused bool);\n"
    )
    (root / "q.sql").write_text("SELECT id FROM queues WHERE name = $1;\n")
    advised = [f for f in _check(root, monkeypatch) if f["name"] == "missing-index"]
    assert advised and advised[0]["evidence"] == "measured"  # 2,000 rows: an index on name is verified
    # the seed's 2,000 rows are advisor's, not the table's: without the config's word, the measured claim is kept
    # back as the static one is, and the unknown-size note names the table
    (root / "advisor.toml").write_text(config)
    found = _check(root, monkeypatch)
    assert not [f for f in found if f["name"] == "missing-index"]
    assert [f["message"].split(": ", 1)[1] for f in found if f["name"] == "unknown-size"] == [
        "queues (1 missing-index; first at small/q.sql:1)"
    ]
    # the same 2,000 rows, now said to be the table's size, below [explain] large_table_rows (5,000): it stays small
    (root / "advisor.toml").write_text(config + "[seed.tables.queues]\nrows = 2000\n")
    assert not [f for f in _check(root, monkeypatch) if f["name"] == "missing-index"]


def test_a_note_names_the_first_error_first():
    from advisor.explain.findings import error_summary

    errors = ['extension "uuid-ossp" is not available'] + ['relation "records" does not exist'] * 7 + ["x", "y", "z"]
    assert error_summary(errors) == (
        'extension "uuid-ossp" is not available; relation "records" does not exist (x7); x; and 2 other errors'
    )


def test_a_list_the_driver_expands_after_in_is_not_planned_as_written():
    """kinto's `principal IN :principals` with a tuple: psycopg2 writes `IN ('a', 'b')` there, so the text as written
    is not the statement that runs, and PostgreSQL's syntax error on `IN $1` would be advisor's, not the code's."""
    from advisor.explain.stage import readable

    def statement(text: str):
        return extract_sql("q.py", text + ";\n")[0]

    assert not readable(statement("SELECT object_id FROM access_control_entries WHERE principal IN :principals"))
    assert not readable(statement("SELECT id FROM t WHERE id IN %s"))
    assert readable(statement("SELECT id FROM t WHERE id IN (%s, %s)"))
    assert readable(statement("SELECT id FROM t WHERE id = ANY(%(ids)s)"))


PREFIXED = """\
class Store {
  constructor(options) {
    this.prefix = options.prefix ?? "app";
  }
  async init(client) {
    const jobs = `${this.prefix}_jobs`;
    await client.query(`CREATE TABLE IF NOT EXISTS ${jobs} (id bigint PRIMARY KEY, queue text NOT NULL, run_at timestamptz)`);
    await client.query(`ALTER TABLE ${jobs} ADD COLUMN queue text`);
    await client.query(`CREATE INDEX IF NOT EXISTS idx_${this.prefix}_jobs_queue ON ${jobs} (queue)`);
  }
  async due(client, queue) {
    return client.query(`SELECT id FROM ${this.prefix}_jobs WHERE queue = $1 ORDER BY run_at LIMIT 10`, [queue]);
  }
  async byId(client, id) {
    return client.query(`SELECT id FROM ${this.prefix}_jobs WHERE id = $1`, [id]);
  }
}
module.exports = { Store };
"""


def test_a_table_the_run_names_by_a_prefix_is_loaded_and_planned(tmp_path, monkeypatch, pg_server):
    """Holdout 34's @voltagent/postgres and holdout 26's errsole: every table is `${prefix}_name`, in the DDL and in
    the queries. Read statically as `…_jobs`; loaded and planned under the same stand-in (`___jobs`), so the plan
    stage sees them (it refused every statement, each "filled in where the code runs it"). A column its CREATE
    TABLE already has, added again by a guarded ALTER, is no load error."""
    from advisor.explain.stage import readable
    from advisor.ir import Location, SqlQuery, TextMap
    from advisor.parse import named_stand_ins

    assert named_stand_ins("SELECT a FROM {}_jobs WHERE b = $1") == "SELECT a FROM ___jobs WHERE b = $1"
    assert named_stand_ins("CREATE INDEX idx_${p}_q ON x_{} (q)") == "CREATE INDEX idx______q ON x___ (q)"
    assert named_stand_ins("SELECT a FROM {} WHERE b = $1") is None  # a whole name only the run knows
    assert named_stand_ins("SELECT a FROM {}_jobs {}") is None  # and a clause
    assert named_stand_ins("SELECT a FROM jobs{} ORDER BY a") is None  # a clause some runs append to the text
    from advisor.seed.load import adds_one_column

    assert adds_one_column("ALTER TABLE ___jobs ADD COLUMN queue text")
    assert not adds_one_column("ALTER TABLE ___jobs ADD COLUMN queue text, ADD COLUMN extra text")  # extra: refused too
    assert not adds_one_column("ALTER TABLE ___jobs ADD CONSTRAINT q UNIQUE (queue)")
    text = "SELECT id FROM {}_jobs WHERE id = $1"
    prefixed = SqlQuery(
        text, Location("s.js", 1, 1), TextMap("s.js", text, ((0, 1, 1),)), "js", dynamic=True, complete=False
    )
    assert readable(prefixed)

    monkeypatch.setenv("ADVISOR_DSN", pg_server.conninfo())
    root = tmp_path / "store"
    (root / "lib").mkdir(parents=True)
    (root / "advisor.toml").write_text('dialect = "postgres"\nschema = ["lib/store.js"]\n')
    (root / "lib" / "store.js").write_text(PREFIXED)
    findings = _check(root, monkeypatch)
    assert not [f for f in findings if f["name"] in ("schema-rejected", "explain-error")], findings


def test_a_plan_finding_a_kept_back_claim_explains_is_counted_once(tmp_path, monkeypatch, pg_server):
    """A table read row by row that the statement's own missing-index explains is that claim's evidence, also when
    the claim is kept back for want of the table's size: the unknown-size note counts one claim, not two (holdout
    47's note under --explain counted 11 seq scans twice)."""
    monkeypatch.setenv("ADVISOR_DSN", pg_server.conninfo())
    root = tmp_path / "twice"
    root.mkdir()
    (root / "advisor.toml").write_text(
        'dialect = "postgres"\nschema = ["schema.sql"]\n[seed]\nrows = 6000\n[explain]\nmin_cost = 1\n'
    )
    (root / "schema.sql").write_text("CREATE TABLE links (id bigserial PRIMARY KEY, feed_id bigint NOT NULL);\n")
    (root / "q.sql").write_text("SELECT id FROM links WHERE feed_id = $1;\n")
    notes = [f["message"].split(": ", 1)[1] for f in _check(root, monkeypatch) if f["name"] == "unknown-size"]
    assert notes == ["links (1 missing-index; first at twice/q.sql:1)"]
