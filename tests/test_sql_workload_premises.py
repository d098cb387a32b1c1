"""What the query rules must know before they judge workload (issue 10, classes 4 and 7): shapes from
procrastinate (superseded function bodies in migrations, SELECT * in a locking CTE), graphile-worker
(`flags ?| $1`, tables renamed and replaced by views, add_job's key lookups) and synapse (run-time
`WHERE {clause}`, LEFT JOIN ... USING on a primary key)."""

import pytest

from advisor import catalogue, engine

SCHEMA = """
CREATE TABLE jobs (id bigserial PRIMARY KEY, queue_name text NOT NULL, status text NOT NULL,
  lock text, flags jsonb, run_at timestamptz, locked_by text, locked_at timestamptz);
CREATE TABLE job_locks (job_id bigint, lock text);
CREATE TABLE destinations (destination text PRIMARY KEY, retry_last_ts bigint, retry_interval bigint);
CREATE TABLE destination_rooms (destination text NOT NULL, room_id text NOT NULL, stream_ordering bigint);
CREATE INDEX destination_rooms_order ON destination_rooms (stream_ordering);
"""

CONFIG = 'large-tables = ["*"]\nschema = ["db/schema.sql"]\nselect = ["ALL"]\n'  # the opt-in rules' premises too

FETCH_JOB = """CREATE FUNCTION fetch_job(target text) RETURNS jobs LANGUAGE plpgsql AS $$
DECLARE
    found jobs;
BEGIN
    SELECT jobs.* INTO found FROM jobs WHERE status = 'todo' AND queue_name = target LIMIT 1 FOR UPDATE;
    INSERT INTO job_locks VALUES (found.id, found.lock);
    RETURN found;
END;
$$;
"""


def check(project, files):
    project({"advisor.toml": CONFIG, "db/schema.sql": SCHEMA} | files)
    return [(catalogue.lookup(f.rule).name, f.location.path, f.message) for f in engine.check(["."]).active]


def names(project, sql, schema=SCHEMA):
    project({"advisor.toml": CONFIG, "db/schema.sql": schema, "q.sql": sql})
    return sorted(catalogue.lookup(f.rule).name for f in engine.check(["."]).active)


WORKLOAD_RULES = {"select-star", "insert-without-columns", "missing-index"}


def test_a_function_body_in_a_migration_is_superseded(project):
    # procrastinate: migrations/00.05.00_01_x.sql holds an old procrastinate_fetch_job; schema.sql the current one
    found = check(project, {"procrastinate/sql/migrations/00.05.00_01_fix_fetch_job.sql": FETCH_JOB,
                            "procrastinate/sql/functions.sql": FETCH_JOB})
    in_migration = {rule for rule, path, _ in found if "migrations/" in path}
    current = {rule for rule, path, _ in found if path.endswith("functions.sql")}
    assert not in_migration & WORKLOAD_RULES
    assert WORKLOAD_RULES <= current  # the same body where it is current is still judged


def test_a_jsonb_operator_on_the_column_is_not_a_function(project):
    # graphile-worker get_job: `(forbidden_flags is null or (flags ?| forbidden_flags) is not true)`
    sql = ("SELECT id FROM jobs WHERE queue_name = $1 AND ($2::text[] IS NULL OR (flags ?| $2) IS NOT TRUE) "
           "ORDER BY run_at LIMIT 1;\n"
           "SELECT id FROM jobs WHERE upper(queue_name) = $1;\n")
    project({"advisor.toml": CONFIG, "db/schema.sql": SCHEMA, "q.sql": sql})
    hits = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "function-on-column"]
    assert [f.location.line for f in hits] == [2]
    assert "upper()" in hits[0].message
    assert not any("_" in word and word.isupper() for f in engine.check(["."]).active for word in f.message.split())


def test_cartesian_join_needs_tables_the_schema_knows(project):
    # graphile-worker 000011: tasks and job_queues were renamed by a later migration; add_job's
    # `FROM tasks LEFT JOIN job_queues ON job_queues.queue_name = add_job.queue_name` pins each to a row
    sql = ("SELECT t.id, q.id FROM tasks t LEFT JOIN job_queues q ON q.queue_name = $1 WHERE t.identifier = $2;\n"
           "SELECT j.id, d.destination FROM jobs j, destinations d WHERE j.status = $1;\n")
    project({"advisor.toml": CONFIG, "db/schema.sql": SCHEMA, "q.sql": sql})
    hits = [f.location.line for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "cartesian-join"]
    assert hits == [2]


def test_or_on_a_view_says_nothing_of_indexes(project):
    # graphile-worker: `jobs` became a view over _private_jobs; its OR is filtered by the base table's key
    schema = SCHEMA.replace("CREATE TABLE jobs (", "CREATE TABLE private_jobs (") + \
        "CREATE VIEW jobs AS SELECT * FROM private_jobs;\n"
    sql = "UPDATE jobs SET locked_at = NULL WHERE id = ANY($1) AND (locked_by IS NULL OR locked_at < now());\n"
    assert "or-across-columns" not in names(project, sql, schema)
    indexed = SCHEMA + "CREATE INDEX jobs_locked_by ON jobs (locked_by);\n"
    assert "or-across-columns" in names(project, "SELECT id FROM jobs WHERE locked_by = $1 OR locked_at < $2;\n", indexed)


def test_a_condition_built_at_run_time_may_be_the_key_lookup(project):
    # synapse end_to_end_keys: WHERE {clause} AND ts_added_ms < ? AND length(key_id) = 6, clause = user_id IN (...)
    found = check(project, {"store.py": (
        "def load(txn, clause, args):\n"
        "    sql = f\"DELETE FROM jobs WHERE {clause} AND run_at < ? AND length(lock) = 6\"\n"
        "    txn.execute(sql, args)\n"
        "    txn.execute(\"SELECT id FROM jobs WHERE run_at > %s AND length(lock) = 6\", args)\n")})
    # (the same DELETE with the clause left out is a sweep of what is older than a cutoff: no claim either)
    lines = [m for rule, path, m in found if rule == "function-on-column"]
    assert len(lines) == 1


def test_a_filter_on_a_table_reached_by_its_primary_key_is_residual(project):
    # synapse transactions: destination_rooms LEFT JOIN destinations USING (destination) WHERE ... COALESCE(...)
    sql = ("SELECT DISTINCT destination FROM destination_rooms LEFT JOIN destinations USING (destination) "
           "WHERE destination_rooms.stream_ordering > $1 "
           "AND (destinations.retry_last_ts IS NULL OR destinations.retry_last_ts + destinations.retry_interval < $2) "
           "ORDER BY destination LIMIT 25;\n")
    assert "function-on-column" not in names(project, sql)
    assert "function-on-column" in names(project, "SELECT destination FROM destinations "
                                                  "WHERE retry_last_ts + 60000 > $1;\n")
    # two columns of the row combined: no rewrite leaves either bare, so no finding (only an expression index serves it)
    assert "function-on-column" not in names(project, "SELECT destination FROM destinations "
                                                      "WHERE retry_last_ts + retry_interval < $1;\n")


@pytest.mark.parametrize("sql, star", [
    # procrastinate fetch_job: the locked candidate row is read whole, the UPDATE takes its id
    ("WITH candidate AS (SELECT jobs.* FROM jobs WHERE status = 'todo' ORDER BY id LIMIT 1 FOR UPDATE) "
     "UPDATE jobs SET status = 'doing' FROM candidate WHERE candidate.id = jobs.id RETURNING jobs.id;\n", False),
    # procrastinate delete_old_jobs: job.* in a derived table; the outer query names status and queue_name
    ("SELECT j.id FROM (SELECT DISTINCT ON (job.id) job.* FROM jobs job ORDER BY job.id) AS j "
     "WHERE j.status = $1 AND j.queue_name = $2;\n", False),
    ("WITH c AS (SELECT * FROM jobs WHERE status = $1) SELECT * FROM c;\n", True),
])
def test_select_star_read_by_name_downstream(project, sql, star):
    assert ("select-star" in names(project, sql)) is star


# --- sql-string-building: synapse's storage layer (issue 10, class 6) ---------------------------------


def string_building(project, code):
    project({"store.py": code})
    return [f.message for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "sql-string-building"]


@pytest.mark.parametrize("code", [
    # simple_insert: column names of the caller's dict, values bound as ?
    'def insert(txn, table, values):\n'
    '    keys, vals = zip(*values.items())\n'
    '    sql = "INSERT INTO %s (%s) VALUES(%s)" % (table, ", ".join(k for k in keys), ", ".join("?" for _ in keys))\n'
    '    txn.execute(sql, vals)\n',
    # simple_upsert / simple_delete_many: key columns of ON CONFLICT and of a row comparison
    'def upsert(txn, table, keyvalues, names):\n'
    '    txn.execute("INSERT INTO %s (%s) VALUES ? ON CONFLICT (%s) DO NOTHING" % (table, ", ".join(names), '
    '", ".join(keyvalues)), ())\n'
    '    txn.execute("DELETE FROM %s WHERE (%s) IN (VALUES ?)" % (table, ", ".join(k for k in keyvalues)), ())\n',
    # a helper's IN-list clause with the arguments it binds
    'def unread(txn, engine, user_id):\n'
    '    clause, args = make_in_list_sql_clause(engine, "receipt_type", ("m.read", "m.private"))\n'
    '    cte = f"WITH r AS (SELECT room_id FROM receipts WHERE {clause} AND user_id = ?)"\n'
    '    txn.execute(f"{cte} SELECT room_id FROM r", args + [user_id])\n',
    # the engine's row id name: the same piece stands where a column does
    'def dedupe(cur, database_engine):\n'
    '    rowid = database_engine.row_id_name\n'
    '    cur.execute("DELETE FROM g WHERE %s NOT IN (SELECT min(%s) FROM g GROUP BY a, b)" % (rowid, rowid))\n',
])
def test_names_and_bound_fragments_are_not_injection(project, code):
    assert string_building(project, code) == []


def test_a_value_beside_names_is_still_reported(project):
    # barman: slot_name %-formatted into a quoted literal next to a column list
    code = ('def drop(cur, table, keys, slot_name):\n'
            '    cur.execute("INSERT INTO %s (%s) VALUES (\'%s\')" % (table, ", ".join(keys), slot_name))\n')
    messages = string_building(project, code)
    assert len(messages) == 1 and "(slot_name)" in messages[0]


def test_optional_filter_after_a_key_lookup_or_on_an_indexed_subset(project):
    # procrastinate list_jobs_to_abort: WHERE status = 'doing' AND ... AND (%(queue_name)s IS NULL OR ...),
    # with CREATE UNIQUE INDEX ... (lock) WHERE status = 'doing' (pg_dump: 'doing'::procrastinate_job_status)
    schema = SCHEMA + "CREATE UNIQUE INDEX jobs_lock_doing ON jobs (lock) WHERE status = 'doing'::text;\n" \
                      "CREATE INDEX jobs_queue ON jobs (queue_name);\n"  # what a generic plan cannot use
    sql = ("SELECT id FROM jobs WHERE status = 'doing' AND ($1::text IS NULL OR queue_name = $1) ORDER BY id;\n"
           "SELECT id FROM jobs WHERE id = $2 AND ($1::text IS NULL OR queue_name = $1) ORDER BY id;\n"
           "SELECT id FROM jobs WHERE status = 'todo' AND ($1::text IS NULL OR queue_name = $1) ORDER BY id;\n")
    project({"advisor.toml": CONFIG, "db/schema.sql": schema, "q.sql": sql})
    hits = [f.location.line for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "optional-filter"]
    assert hits == [3]
