"""Holdouts 111 and 113. A queue backend runs its statements through a runner's `run()` (pg8000's native API is
`conn.run(sql)` too), which advisor did not take for an execution call: 17 of its call sites unread. And a job
queue's schema file creates its tables inside a PL/pgSQL function the client calls once (`SELECT * FROM
app.init()`): advisor read none of them, as it reads a function's DDL only when a DO block runs it as the file is
loaded. Snippets are written here in that style; none is copied from the projects."""

from advisor import catalogue, engine
from advisor.ir import SqlQuery
from advisor.sources import extract
from tests.conftest_db import pg_server  # noqa: F401

RUNNER = """
import subprocess


def pending(runner, queue):
    return runner.run("SELECT ts, body FROM messages WHERE queue = ? AND NOT claimed", (queue,))


def backup(path):
    subprocess.run("pg_dump --file " + path, shell=True)
    subprocess.run(["vacuumdb", "--all"])
"""


def test_a_runner_s_run_executes_sql_and_a_subprocess_s_does_not():
    queries = [q for q in extract("broker/plugin.py", RUNNER).queries if isinstance(q, SqlQuery)]
    assert [q.text.split(" FROM")[0] for q in queries] == ["SELECT ts, body"]
    assert extract("broker/plugin.py", RUNNER).string_built == []  # a shell command is no SQL built from strings


SCHEMA = """\
CREATE SCHEMA IF NOT EXISTS app;

CREATE OR REPLACE FUNCTION app.init(OUT done boolean) AS $$
BEGIN
    CREATE TABLE IF NOT EXISTS app.jobs (
        id bigserial PRIMARY KEY,
        queue text NOT NULL,
        owner text,
        due timestamptz
    );
    CREATE INDEX IF NOT EXISTS app_jobs_queue_due ON app.jobs (queue, due);
    done = TRUE;
END; $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION app.destroy(OUT done boolean) AS $$
BEGIN
    DROP TABLE IF EXISTS app.jobs;
    done = TRUE;
END; $$ LANGUAGE plpgsql;
"""

CLIENT = """\
export async function init(pool) {
  await pool.query('SELECT * FROM app.init()');
}
export async function destroy(pool) {
  await pool.query('SELECT * FROM app.destroy()');
}
export async function byOwner(pool, owner) {
  return pool.query('SELECT id FROM app.jobs WHERE owner = $1', [owner]);
}
export async function due(pool, queue) {
  return pool.query('SELECT id FROM app.jobs WHERE queue = $1 AND due < now()', [queue]);
}
"""

CONFIG = 'dialect = "postgres"\nschema = ["sql/init.sql"]\nlarge-tables = ["jobs"]\n'


def run(project, files: dict[str, str]) -> list[tuple[str, int, str]]:
    project({"advisor.toml": CONFIG, "sql/init.sql": SCHEMA, **files})
    return [(f.location.path, f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active]


def test_the_tables_a_called_function_creates_are_the_schema(project):
    found = run(project, {"src/client.js": CLIENT})
    assert ("src/client.js", 8, "missing-index") in found, found  # owner: no index, on a table known whole
    assert not [f for f in found if f[0] == "src/client.js" and f[1] == 11], found  # (queue, due) serves it
    assert "incomplete-schema" not in [f[2] for f in found], found  # and the destroy function's DROP undid nothing


def test_a_function_nothing_calls_creates_nothing(project):
    found = run(project, {"src/client.js": CLIENT.replace("app.init()", "app.start()")})
    assert "incomplete-schema" in [f[2] for f in found], found
    assert "missing-index" not in [f[2] for f in found], found


def test_code_that_creates_the_function_does_not_call_it(project):
    # the definition run by the code (its text holds `app.init(`), and nothing calling it: no table
    code = "def install(conn):\n    conn.execute(INIT)\n\n\nINIT = '''" + SCHEMA.split("CREATE OR REPLACE FUNCTION app.destroy")[0] + "'''\n"
    found = run(project, {"src/install.py": code, "src/client.js": CLIENT.replace("app.init()", "app.start()")})
    assert "incomplete-schema" in [f[2] for f in found], found


def test_the_seeded_database_has_the_tables_a_called_function_creates(tmp_path, monkeypatch, pg_server):
    """Under `check --explain` the seeded database is the schema advisor reads: the function's tables are made,
    so the client's statements are planned on them, not refused for a relation that does not exist."""
    import json

    from click.testing import CliRunner

    from advisor.cli import main

    root = tmp_path / "app"
    (root / "sql").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "advisor.toml").write_text(CONFIG + "[seed]\nrows = 20000\n")
    (root / "sql" / "init.sql").write_text(SCHEMA)
    (root / "src" / "client.js").write_text(CLIENT)
    monkeypatch.setenv("ADVISOR_DSN", pg_server.conninfo())
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--explain", "--format", "json", "--no-cache", "app"])
    assert result.exit_code in (0, 1), result.output
    found = json.loads(result.stdout)["findings"]
    assert not [f for f in found if f["name"] in ("explain-error", "schema-rejected")], found
    assert ("app/src/client.js", 8, "missing-index") in {(f["path"], f["line"], f["name"]) for f in found}, found
