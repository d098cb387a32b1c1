"""A function or DO block the code creates or runs through an execution call: the statements inside it are
queries, located in the code file, as a .sql file's are (issue 10, holdout 22: hyrex creates its workflow
functions from sqlc-generated Python constants; advance_workflow_run's scan of hyrex_task_run by
workflow_run_id runs after every workflow task)."""

from advisor import engine
from advisor.sources import extract
from advisor.sources.sql_shape import runs_as_sql

SCHEMA = """
CREATE TABLE jobs (id bigint PRIMARY KEY, owner bigint, state text);
"""

CONFIG = 'dialect = "postgres"\nschema = ["schema.sql"]\nlarge-tables = ["jobs"]\n'

APP_PY = '''
import sqlalchemy

CREATE_RELEASE = """-- name: create_release_function \\\\:exec
CREATE OR REPLACE FUNCTION release_jobs(p_owner bigint) RETURNS void AS $$
DECLARE
    n int;
BEGIN
    n \\\\:= 0;
    UPDATE jobs SET state = 'free' WHERE owner = p_owner;
END;
$$ LANGUAGE plpgsql;
"""


def install(conn):
    conn.execute(sqlalchemy.text(CREATE_RELEASE))
'''


def _missing_index(project, files: dict[str, str]) -> list[tuple[str, int]]:
    project({"advisor.toml": CONFIG, "schema.sql": SCHEMA, **files})
    found = engine.check(["."]).active
    return sorted((f.location.path, f.location.line) for f in found if f.rule == "IDX001")


def test_a_function_the_python_code_creates_is_read_statement_by_statement_where_it_is_written(project):
    # the UPDATE inside the body, on line 9 of app.py (the fixture drops the leading newline), past sqlc's
    # `-- name:` header and its `\\:=` escape
    assert _missing_index(project, {"app.py": APP_PY}) == [("app.py", 9)]


def test_a_function_a_javascript_template_creates_is_read_too(project):
    app = """
    async function install(pool) {
      await pool.query(`
        CREATE OR REPLACE FUNCTION release_jobs(p_owner bigint) RETURNS void
        LANGUAGE sql AS $$
          UPDATE jobs SET state = 'free' WHERE owner = p_owner
        $$`);
    }
    """
    assert _missing_index(project, {"app.js": app}) == [("app.js", 5)]


def test_a_do_block_the_code_runs_gives_its_statements_but_not_its_ddl():
    text = '''def migrate(cur):
    cur.execute("""
DO $$
BEGIN
    CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner);
    UPDATE jobs SET state = 'free' WHERE state IS NULL;
END $$;
""")
'''
    inner = [q for q in extract("m.py", text).queries if q.origin == "function-body"]
    assert [(" ".join(q.text.split()), q.location.line, q.location.col) for q in inner] == [
        ("UPDATE jobs SET state = 'free' WHERE state IS NULL", 6, 5)
    ]


def test_a_routine_built_from_values_is_not_read_and_is_not_string_building(project):
    # postgres-meta's shape: a DO block whose body the code fills with values; what a value spliced into a
    # body's code is (a name, a value, a statement) is not what the string-building positions read
    app = """
    async function update(pool, id, name) {
      const sql = `
    do $$
    declare
      new_name text := ${literal(name)};
    begin
      UPDATE jobs SET state = new_name WHERE id = ${literal(id)};
    end $$;`;
      return pool.query(sql);
    }
    """
    project({"advisor.toml": CONFIG, "schema.sql": SCHEMA, "app.js": app})
    assert engine.check(["."]).active == []
    assert not runs_as_sql("DO $$ BEGIN UPDATE jobs SET state = {} WHERE id = 1; END $$")
    assert runs_as_sql("-- name: x\nDO $$ BEGIN UPDATE jobs SET state = 'a' WHERE id = 1; END $$")
    assert runs_as_sql("CREATE TRIGGER t AFTER INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION f()")
    assert not runs_as_sql("Do not run this twice")  # prose that starts like a DO block


def test_sqlalchemy_escapes_in_a_python_routine_are_the_colons_the_server_gets():
    text = '''import sqlalchemy

RETRY = """-- name: retry \\\\:exec
CREATE OR REPLACE FUNCTION retry(p_id uuid) RETURNS TABLE (ok boolean, id uuid) AS $$
BEGIN
    RETURN QUERY SELECT FALSE, NULL\\\\:\\\\:UUID FROM jobs WHERE owner = p_id\\\\:\\\\:text\\\\:\\\\:bigint;
END;
$$ LANGUAGE plpgsql;
"""


def install(conn):
    conn.execute(sqlalchemy.text(RETRY))
'''
    (inner,) = [q for q in extract("r.py", text).queries if q.origin == "function-body"]
    assert "\\\\" not in inner.text and "NULL  ::UUID" in inner.text and "  ::text  ::bigint" in inner.text
    assert (inner.location.line, inner.location.col) == (6, 18)  # the SELECT, after RETURN QUERY
