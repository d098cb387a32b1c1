"""What the engine knows for certain before a SQL rule may speak (issue 10): shapes from synapse
(one-row version and position tables, a temporary table filled by the code that made it, a porting
tool that copies whole rows, batches from work-queue tables), pgmq (a function's declared result),
procrastinate (an OR inside a correlated subquery) and graphile-worker (NOT IN over NOT NULL keys)."""

import psycopg
import pytest

from advisor import catalogue, engine
from tests.conftest_db import pg_server  # noqa: F401

SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (
    Lock CHAR(1) NOT NULL DEFAULT 'X' UNIQUE,  -- Makes sure this table only has one row.
    version INTEGER NOT NULL,
    CHECK (Lock='X')
);
CREATE TABLE event_push_summary_stream_ordering (
    lock character(1) DEFAULT 'X'::bpchar NOT NULL,
    stream_ordering bigint NOT NULL,
    CONSTRAINT event_push_summary_stream_ordering_lock_check CHECK ((lock = 'X'::bpchar))
);
ALTER TABLE ONLY event_push_summary_stream_ordering
    ADD CONSTRAINT event_push_summary_stream_ordering_lock_key UNIQUE (lock);
CREATE TABLE settings (id boolean PRIMARY KEY DEFAULT true CHECK (id), theme text);
CREATE TABLE loose (lock char(1) DEFAULT 'X' UNIQUE, n int, CHECK (lock = 'X'));
CREATE TABLE sessions (id bigint PRIMARY KEY, kind char(1) NOT NULL UNIQUE, CHECK (kind <> 'X'));
CREATE TABLE tasks (id serial PRIMARY KEY, identifier text NOT NULL UNIQUE, parent_id int);
CREATE TABLE jobs (id bigserial PRIMARY KEY, task_id int NOT NULL REFERENCES tasks (id), queue_id int,
  lock text, status text NOT NULL, priority int NOT NULL, note text, run_at timestamptz);
CREATE INDEX jobs_run_at ON jobs (run_at);
CREATE TABLE media (media_id text UNIQUE, created_ts bigint, last_access_ts bigint, url_cache text);
CREATE INDEX media_url_idx ON media (created_ts) WHERE url_cache IS NOT NULL;
"""


def found(project, files, schema=SCHEMA):
    # every rule, the opt-in ones too: its premises are tested here
    project({"advisor.toml": 'schema = ["db/*.sql"]\nselect = ["ALL"]\n', "db/schema.sql": schema, **files})
    return [(catalogue.lookup(f.rule).name, f.location.line) for f in engine.check(["."]).active]


def lines(project, rule, sql, schema=SCHEMA):
    return [line for name, line in found(project, {"q.sql": sql}, schema) if name == rule]


# --- one-row tables --------------------------------------------------------------------------


def test_a_table_pinned_to_one_row_is_cleared_on_purpose(project):
    sql = ("DELETE FROM schema_version;\n"                      # column UNIQUE + table CHECK
           "UPDATE event_push_summary_stream_ordering SET stream_ordering = $1;\n"  # pg_dump's form
           "UPDATE settings SET theme = $1;\n"                  # a boolean primary key CHECK (id)
           "DELETE FROM loose;\n"                               # nullable: UNIQUE admits many NULLs
           "DELETE FROM sessions;\n"                            # unique, but not held to one value
           "UPDATE tasks SET parent_id = NULL;\n")
    assert lines(project, "delete-without-where", sql) == [4, 5]
    assert lines(project, "update-without-where", sql) == [6]


def test_postgresql_holds_those_tables_to_one_row(pg_server):  # noqa: F811
    """The premise, on the real server: a second row violates the unique key the CHECK pins."""
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        with conn.transaction(force_rollback=True):
            conn.execute(SCHEMA.split("CREATE TABLE loose")[0])
            conn.execute("INSERT INTO schema_version (version) VALUES (1)")
            conn.execute("INSERT INTO settings (theme) VALUES ('dark')")
            for table, values in (("schema_version (version)", "(2)"), ("settings (theme)", "('light')")):
                with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
                    conn.execute(f"INSERT INTO {table} VALUES {values}")
            with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
                conn.execute("INSERT INTO schema_version (lock, version) VALUES ('Y', 3)")


# --- LIMIT without ORDER BY ------------------------------------------------------------------


def test_a_batch_from_a_work_queue_is_any_rows_a_page_is_not(project):
    sql = ("SELECT id FROM jobs LIMIT $1;\n"
           "SELECT task_id FROM jobs WHERE queue_id = $1 AND status <> 'done' LIMIT $2;\n"
           "SELECT id FROM jobs WHERE status = 'todo' LIMIT 20 OFFSET $1;\n")
    assert lines(project, "limit-without-order-by", sql) == [3]


# --- a temporary table the code creates ------------------------------------------------------

PURGE = '''
def copy_room(txn, room_id):  # (named for neither maintenance nor a job: the premise is the temp table)
    txn.execute("DROP TABLE IF EXISTS events_to_purge")
    txn.execute(
        "CREATE TEMPORARY TABLE events_to_purge ("
        "    event_id TEXT NOT NULL,"
        "    should_delete BOOLEAN NOT NULL"
        ")"
    )
    txn.execute("INSERT INTO events_to_purge SELECT note, true FROM jobs WHERE task_id = %s", (room_id,))
    txn.execute("SELECT event_id, should_delete FROM events_to_purge")
    txn.execute("DELETE FROM events_to_purge")
    txn.execute("INSERT INTO tasks SELECT * FROM tasks WHERE id = %s", (room_id,))
    txn.execute("SELECT * FROM jobs WHERE id = %s", (room_id,))
'''


def test_a_temporary_table_made_by_the_code_has_the_code_s_columns(project):
    hits = found(project, {"purge.py": PURGE})
    # the temp table (lines 9 and 11): no column-order or whole-table claim; a real table's column order can
    # change (12), and creating a scratch table does not make the module a migration (13)
    assert [line for name, line in hits if name == "insert-without-columns"] == [12]
    assert [line for name, line in hits if name in ("delete-without-where", "incomplete-schema")] == []
    assert ("select-star", 13) in hits


# --- SELECT * whose columns are declared elsewhere -------------------------------------------

FUNCTIONS = """
CREATE FUNCTION list_jobs() RETURNS SETOF jobs AS $$
BEGIN
  RETURN QUERY SELECT * FROM jobs;
END
$$ LANGUAGE plpgsql;
CREATE FUNCTION all_tasks() RETURNS TABLE (id int, identifier text, parent_id int) LANGUAGE sql AS $$
  SELECT * FROM tasks;
$$;
CREATE FUNCTION one_job(j bigint) RETURNS jobs LANGUAGE plpgsql AS $$
DECLARE r jobs;
BEGIN
  SELECT * INTO r FROM jobs WHERE id = j;
  RETURN r;
END
$$;
"""


def test_a_function_s_declared_row_type_names_its_columns(project):
    assert lines(project, "select-star", FUNCTIONS) == [12]  # a row fetched INTO a variable is not the result


PORT = '''
def copy_table(db, table):
    def r(txn):
        txn.execute("SELECT * FROM jobs WHERE id > %s", (0,))
        headers = [column[0] for column in txn.description]
        return headers, txn.fetchall()
    return db.run(r)


def scheduled(txn):
    txn.execute("SELECT * FROM tasks ORDER BY id")
    return txn.fetchall()
'''


def test_code_that_reads_column_names_from_the_cursor_takes_any_columns(project):
    assert [line for name, line in found(project, {"port.py": PORT}) if name == "select-star"] == [10]


# --- OR across columns -----------------------------------------------------------------------


def test_an_or_is_only_blamed_when_it_costs_an_index(project):
    sql = ("SELECT id FROM jobs WHERE run_at < $1 OR note = $2;\n"  # run_at has an index the OR defeats
           "SELECT id FROM jobs WHERE priority > $1 OR note = $2;\n"  # no branch indexed: missing-index's
           # synapse media: created_ts only under a partial index the query does not imply
           "SELECT media_id FROM media WHERE (last_access_ts < $1 OR (created_ts < $2 AND last_access_ts IS NULL));\n"
           # procrastinate: the OR filters the rows of the correlated lock lookup
           "SELECT id FROM jobs j WHERE NOT EXISTS (SELECT 1 FROM jobs o WHERE o.lock = j.lock "
           "AND (o.run_at < now() OR o.priority > j.priority));\n")
    assert lines(project, "or-across-columns", sql) == [1]


# --- NOT IN (SELECT ...) ---------------------------------------------------------------------


def test_not_in_is_reported_where_a_null_can_decide_it(project):
    sql = ("DELETE FROM tasks WHERE tasks.id NOT IN (SELECT jobs.task_id FROM jobs) AND identifier <> ALL ($1);\n"
           "DELETE FROM tasks WHERE id NOT IN (SELECT queue_id FROM jobs WHERE queue_id IS NOT NULL);\n"
           "SELECT id FROM tasks WHERE parent_id NOT IN (SELECT task_id FROM jobs ORDER BY id LIMIT $1);\n"
           "SELECT id FROM tasks WHERE parent_id NOT IN (SELECT task_id FROM jobs);\n"
           "SELECT id FROM tasks WHERE id NOT IN (SELECT queue_id FROM jobs);\n")
    assert lines(project, "not-in-subquery", sql) == [4, 5]


def test_not_in_over_not_null_keys_is_hashed_by_postgresql(pg_server):  # noqa: F811
    """What PostgreSQL does with the shape left unreported: a hashed SubPlan, one pass over the subquery."""
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        with conn.transaction(force_rollback=True):
            conn.execute("CREATE TABLE t (id int PRIMARY KEY); CREATE TABLE r (t_id int NOT NULL)")
            conn.execute("INSERT INTO t SELECT g FROM generate_series(1, 20000) g")
            conn.execute("INSERT INTO r SELECT g * 2 FROM generate_series(1, 50000) g")
            conn.execute("ANALYZE t; ANALYZE r")
            plan = "\n".join(row[0] for row in conn.execute(
                "EXPLAIN DELETE FROM t WHERE id NOT IN (SELECT t_id FROM r)"))
            assert "hashed SubPlan" in plan or "Anti Join" in plan, plan


def test_delete_everything_beside_a_filtered_delete_of_the_same_table_is_deliberate(project):
    # synapse room.py: `if min_id is None: DELETE FROM pending` / `else: DELETE FROM pending WHERE id <= ?`
    code = ("def clear(txn, min_id):\n"
            "    if min_id is None:\n"
            "        txn.execute('DELETE FROM jobs')\n"
            "    else:\n"
            "        txn.execute('DELETE FROM jobs WHERE id <= %s', (min_id,))\n"
            "\n"
            "def wipe(txn):\n"
            "    txn.execute('DELETE FROM tasks')\n"
            "    txn.execute('UPDATE jobs SET note = NULL WHERE id = %s', (1,))\n")
    sql = "DELETE FROM jobs;\nDELETE FROM jobs WHERE id <= $1;\n"
    rules = found(project, {"app.py": code, "q.sql": sql})
    # app.py:8 (alone in its function) and q.sql:1 (a .sql file's statements are each an entry point)
    assert sorted(line for rule, line in rules if rule == "delete-without-where") == [1, 8]


def test_select_star_whose_rows_are_never_read_only_locks_them(project):
    # synapse push_rule.py: `SELECT * FROM push_rules WHERE ... FOR UPDATE` and then the next statement on the
    # same cursor: the rows are locked, never read, so the select list does not matter
    code = ("def add_rule(txn, user_id, sqlite):\n"
            "    if not sqlite:\n"
            "        txn.execute('SELECT * FROM jobs WHERE task_id = %s FOR UPDATE', (user_id,))\n"
            "    else:\n"
            "        lock_table(txn, 'jobs')\n"
            "    txn.execute('SELECT count(*) FROM jobs WHERE task_id = %s', (user_id,))\n"
            "    return txn.fetchone()\n"
            "\n"
            "def read_rule(txn, user_id):\n"
            "    txn.execute('SELECT * FROM jobs WHERE task_id = %s FOR UPDATE', (user_id,))\n"
            "    rows = txn.fetchall()\n"
            "    txn.execute('SELECT 1')\n"
            "    return rows\n"
            "\n"
            "def loop(txn, ids):\n"
            "    for i in ids:\n"
            "        txn.execute('SELECT * FROM jobs WHERE id = %s', (i,))\n"
            "        txn.execute('SELECT 1')\n")
    stars = [line for rule, line in found(project, {"app.py": code}) if rule == "select-star"]
    assert stars == [10, 17]


def test_not_in_over_a_row_reads_each_column_of_the_row(project):
    # a row of NOT NULL columns on both sides means NOT EXISTS, as one column does
    sql = ("DELETE FROM jobs WHERE (task_id, status) NOT IN (SELECT task_id, status FROM jobs ORDER BY id LIMIT 5);\n"
           "DELETE FROM jobs WHERE (task_id, queue_id) NOT IN (SELECT task_id, queue_id FROM jobs LIMIT 5);\n")
    assert lines(project, "not-in-subquery", sql) == [2]
    # a NULL in a row decides only the rows equal to it on the other columns: never "no rows at all"
    project({"q.sql": sql})
    message = next(f.message for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "not-in-subquery")
    assert "no rows at all" not in message and "holds a NULL" in message
