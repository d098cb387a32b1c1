"""What real code taught the SQL rules (issue 10, classes 4, 5 and 7): shapes from task queues
(procrastinate, pgqueuer, graphile-worker, pg-boss) and monitoring tools (pg_activity)."""

import pytest

from advisor import catalogue, engine
from tests.conftest_db import pg_server  # noqa: F401

SCHEMA = """
CREATE TABLE jobs (id bigserial PRIMARY KEY, queue_name text NOT NULL, worker text, status text NOT NULL,
  lock text, scheduled_at timestamptz, args jsonb, created_at timestamptz NOT NULL, code varchar(20));
CREATE INDEX jobs_worker_idx ON jobs (worker) WHERE worker IS NOT NULL;
CREATE INDEX jobs_lower_queue ON jobs (lower(queue_name));
CREATE UNIQUE INDEX jobs_lock_idx ON jobs (lock) WHERE (status = 'doing'::text);
CREATE TABLE events (id bigserial PRIMARY KEY, job_id bigint REFERENCES jobs (id), type text, at timestamptz);
CREATE INDEX events_job ON events (job_id);
CREATE TABLE settings (id int PRIMARY KEY, value text);
"""


def found(project, sql, schema=SCHEMA):
    # every rule, the opt-in select-star too: where it must stay silent is tested here
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["db/*.sql"]\nselect = ["ALL"]\n', "db/schema.sql": schema, "q.sql": sql})
    return [(catalogue.lookup(f.rule).name, f.message) for f in engine.check(["."]).active]


def rules(project, sql, schema=SCHEMA):
    return sorted(name for name, _ in found(project, sql, schema))


@pytest.mark.parametrize("sql", [
    "SELECT id FROM jobs WHERE worker = $1;",  # served by the partial index WHERE worker IS NOT NULL
    "SELECT id FROM jobs WHERE status = 'doing' AND lock = $1;",  # pg_dump's 'doing'::text is the same predicate
    "SELECT id FROM jobs WHERE lower(queue_name) = $1;",  # an expression index
    "SELECT id FROM jobs WHERE id::bigint = $1;",  # a cast to the column's own type
    "SELECT id FROM jobs WHERE code::text = 'x' AND id = $1;",  # varchar to text: the same operator class
])
def test_existing_indexes_are_seen(project, sql):
    assert rules(project, sql) == []


def test_set_column_to_null_is_an_assignment(project):
    sql = ("UPDATE jobs SET worker = NULL, lock = NULL WHERE id = $1;\n"
           "INSERT INTO settings (id, value) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET value = NULL;\n"
           "SET search_path = NULL;\n"  # a SET statement assigns too (MySQL's `SET v = NULL` in a procedure)
           "SELECT id FROM jobs WHERE worker = NULL AND id = $1;\n")
    assert rules(project, sql) == ["equals-null"]


def test_limit_over_a_single_row_needs_no_order(project):
    sql = ("SELECT id, status FROM jobs WHERE id = $1 LIMIT 5 OFFSET $2;\n"
           "SELECT count(*) FROM jobs WHERE status = 'todo' AND worker = $1 LIMIT 1 OFFSET 3;\n"
           "SELECT id FROM jobs WHERE worker = $1 LIMIT 5 OFFSET $2;\n")
    assert [n for n in rules(project, sql) if n == "limit-without-order-by"] == ["limit-without-order-by"]


@pytest.mark.parametrize("sql", [
    # synapse events_bg_updates: a batch from a work-queue table, deleted once processed
    "SELECT id FROM jobs LIMIT $1;",
    # synapse event_federation: at most n of one event's prev events, any of them
    "SELECT id FROM jobs WHERE worker = $1 AND status <> 'done' LIMIT $2;",
    "SELECT id FROM jobs WHERE status = 'todo' LIMIT 100 OFFSET 0;",  # the first page only
])
def test_limit_without_order_by_is_a_defect_only_when_paging(project, sql):
    assert "limit-without-order-by" not in rules(project, sql)
    paged = sql.replace(";", " OFFSET $9;") if "OFFSET" not in sql else sql.replace("OFFSET 0", "OFFSET 100")
    assert "limit-without-order-by" in rules(project, paged)


def test_merge_never_makes_a_rule_fail_or_misfire(project):
    sql = ("MERGE INTO jobs j USING events e ON j.id = e.job_id WHEN MATCHED THEN UPDATE SET status = 'x' "
           "WHEN NOT MATCHED THEN INSERT (queue_name, status, created_at) VALUES ('q', 's', now());\n")
    assert found(project, sql) == []


@pytest.mark.parametrize("sql", [
    "SELECT * FROM pg_stat_activity WHERE state = 'active' OR wait_event IS NOT NULL;",
    "SELECT a.pid, b.relname FROM pg_locks a, pg_class b WHERE a.granted;",
    "SELECT * FROM information_schema.columns WHERE table_name = $1;",
    "SELECT j.id, x FROM jobs j, unnest($1::text[]) AS x WHERE j.id = $2;",
    "SELECT j.id, g FROM jobs j, generate_series(1, 10) AS g WHERE j.id = $1;",
    "WITH t AS (SELECT id FROM jobs WHERE worker = $1) SELECT * FROM t;",
    "SELECT * FROM (SELECT id, status FROM jobs WHERE worker = $1) sub;",
    "SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(a int, b text);",
    "SELECT s.value, j.id FROM settings s, jobs j WHERE s.id = 1 AND j.worker = $1;",  # settings pinned to one row
    "WITH now AS (SELECT now() AS t) SELECT j.id FROM jobs j, now WHERE j.worker = $1;",
])
def test_things_that_are_not_tables_are_not_tables(project, sql):
    assert rules(project, sql) == []


def test_cartesian_join_needs_two_multi_row_tables_and_certainty(project):
    assert rules(project, "SELECT j.id FROM jobs j, events e WHERE j.worker = $1;") == ["cartesian-join"]
    # job_id could only be events' column: the schema says so, and it joins the two
    assert rules(project, "SELECT a.id FROM jobs a, events b WHERE a.id = job_id;") == []
    # without a schema, an unqualified column might be the join condition: silent
    project({"advisor.toml": 'large-tables = ["*"]\n', "db/schema.sql": ""})
    project({"q.sql": "SELECT a.id FROM jobs a, events b WHERE a.id = job_id;\n"})
    assert [f.rule for f in engine.check(["q.sql"]).active] == []


def test_optional_filter(project):
    sql = ("SELECT id FROM jobs WHERE ($1::text IS NULL OR queue_name = $1) AND worker = $2 ORDER BY id LIMIT 50;\n"
           "SELECT status, count(*) FROM jobs WHERE (:q IS NULL OR status = :q) AND worker = :w GROUP BY status;\n"
           "SELECT id FROM jobs WHERE (worker = $1 OR worker = $2) ORDER BY id;\n"
           "SELECT id FROM jobs WHERE ($1::text IS NULL OR $2::text IS NULL) AND worker = $3 ORDER BY id;\n"
           # a plain scan of one table: its generic plan never costs less than its custom plans
           "SELECT id FROM jobs WHERE ($1::text IS NULL OR queue_name = $1) AND worker = $2;\n")
    # queue_name leads an index; status follows worker, which the second statement holds equal to a value
    schema = SCHEMA + "CREATE INDEX jobs_queue ON jobs (queue_name);\nCREATE INDEX jobs_worker_status ON jobs (worker, status);\n"
    messages = [m for name, m in found(project, sql, schema) if name == "optional-filter"]
    assert len(messages) == 2 and "jobs.queue_name" in messages[0] and "jobs.status" in messages[1]
    assert not any("__advisor" in m for m in messages)


def test_optional_filter_needs_an_index_the_filter_could_use(project):
    # no index seeks on code, so a custom plan, which knows the value, reads
    # the same rows a generic plan does: the catch-all form defeats nothing
    sql = "SELECT queue_name, count(*) FROM jobs WHERE ($1::text IS NULL OR code = $1) GROUP BY queue_name;\n"
    assert [name for name, _ in found(project, sql) if name == "optional-filter"] == []
    # (worker, code): code follows a key the statement does not hold equal, so no seek on code either
    schema = SCHEMA + "CREATE INDEX jobs_worker_code ON jobs (worker, code);\n"
    assert [name for name, _ in found(project, sql, schema) if name == "optional-filter"] == []
    # with an index on code, the generic plan gives up what every custom plan with a value uses
    schema = SCHEMA + "CREATE INDEX jobs_code ON jobs (code);\n"
    assert [name for name, _ in found(project, sql, schema) if name == "optional-filter"] == ["optional-filter"]


OPTIONAL = "SELECT status, count(*) FROM jobs WHERE ($1::text IS NULL OR queue_name = $1) GROUP BY status"
QUEUE_INDEX = SCHEMA + "CREATE INDEX jobs_queue ON jobs (queue_name);\n"


@pytest.mark.parametrize("manifest,claimed", [
    ({"package.json": '{"dependencies": {"pg": "^8"}}'}, False),  # node-postgres: unnamed, planned with the values
    ({"package.json": '{"dependencies": {"pg-promise": "^11"}}'}, False),  # values written into the text
    ({"requirements.txt": "psycopg2-binary>=2.9\n"}, False),
    ({"PKG-INFO": "Metadata-Version: 2.1\nRequires-Dist: psycopg2>=2.8\n"}, False),
    ({"package.json": '{"dependencies": {"postgres": "^3"}}'}, True),  # postgres.js prepares every statement
    ({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["asyncpg>=0.29"]\n'}, True),
    ({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["psycopg[binary]>=3.1"]\n'}, True),
    ({"requirements.txt": "psycopg2\npsycopg\n"}, True),  # one driver that prepares is enough
    ({}, True),  # no driver declared: advisor cannot tell
    ({"package.json": "{not json"}, True),
])
def test_optional_filter_only_where_a_driver_prepares_statements(project, manifest, claimed):
    """A generic plan only arises for a statement prepared under a name (asyncpg, psycopg 3, postgres.js):
    node-postgres sends each statement unnamed, and psycopg2 and pg-promise write the values into the text,
    so PostgreSQL plans it with its values on every run."""
    project(manifest)
    names = [name for name, _ in found(project, OPTIONAL + ";\n", QUEUE_INDEX)]
    assert ("optional-filter" in names) == claimed


def test_optional_filter_where_node_postgres_names_a_statement_or_in_a_function(project):
    project({"package.json": '{"dependencies": {"pg": "^8"}}'})
    assert "optional-filter" not in [n for n, _ in found(project, OPTIONAL + ";\n", QUEUE_INDEX)]
    # a query config with a name is a prepared statement, which may settle on a generic plan
    project({"app.js": "const r = await pool.query({ name: 'counts', values: [q], text: 'SELECT 1' })\n"})
    assert "optional-filter" in [n for n, _ in found(project, OPTIONAL + ";\n", QUEUE_INDEX)]
    # PL/pgSQL caches the plans of its statements whatever the driver
    function = (f"CREATE FUNCTION counts(q text) RETURNS TABLE (status text, n bigint) LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n  RETURN QUERY {OPTIONAL.replace('$1', 'q')};\nEND;\n$$;\n")
    project({"app.js": "const r = await pool.query('SELECT 1')\n"})
    assert "optional-filter" in [n for n, _ in found(project, function, QUEUE_INDEX)]


def test_no_missing_index_for_one_off_statements_of_migrations(project):
    schema = SCHEMA + "UPDATE jobs SET status = 'todo' WHERE status = 'new';\n"
    assert rules(project, "SELECT 1;", schema) == []
    project({"migrations/0002_backfill.sql": "UPDATE jobs SET code = 'x' WHERE status = 'old';\n"})
    assert [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "missing-index"] == []


def test_join_using_columns_belong_to_both_sides(project):
    # synapse: ... INNER JOIN room_memberships USING (room_id, event_id) WHERE room_id = ? AND forgotten = 0
    schema = SCHEMA + "CREATE TABLE members (id bigint PRIMARY KEY, job_id bigint, forgotten int);\n" \
                      "CREATE INDEX members_job ON members (job_id);\n"
    sql = "SELECT count(*) FROM events JOIN members USING (job_id) WHERE job_id = $1 AND forgotten = 0;\n"
    assert rules(project, sql, schema) == []


def test_findings_carry_confidence(project):
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["db/*.sql"]\n', "db/schema.sql": SCHEMA,
             "app.py": 'def f(cur, table):\n'
                       '    cur.execute(f"SELECT * FROM {table} WHERE status = NULL")\n'
                       '    cur.execute("SELECT id FROM jobs WHERE worker = NULL")\n'})
    by_line = {f.location.line: f.confidence for f in engine.check(["."]).active if f.rule == "SQL005"}
    assert by_line == {2: "likely", 3: "certain"}


def test_an_index_column_is_never_listed_twice(project):
    sql = ("SELECT id FROM events WHERE at >= $1 AND at < $2 AND type = $3 AND type IN ('a', 'b') "
           "ORDER BY type, at LIMIT 5;\n")
    hits = [m for name, m in found(project, sql) if name == "missing-index"]
    assert len(hits) == 1
    ddl = hits[0].split("(", 1)[1]
    assert "type, at" in ddl and ddl.count("type") == 1 and ddl.count(" at") == 1, hits[0]


def test_no_missing_index_on_a_table_the_config_says_is_tiny(project):
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["db/*.sql"]\n[seed.tables.settings]\nrows = 20\n[seed.tables.events]\nrows = 90000\n',
             "db/schema.sql": SCHEMA,
             "q.sql": "SELECT id FROM settings WHERE value = $1;\nSELECT id FROM events WHERE type = $1;\n"})
    hits = [f for f in engine.check(["."]).active if f.rule == "IDX001"]
    assert [f.location.line for f in hits] == [2]


def test_partial_index_on_an_enum_status(project):
    # procrastinate: CREATE INDEX ... WHERE status = 'todo'::procrastinate_job_status; queries say status = 'todo'
    schema = ("CREATE TYPE job_status AS ENUM ('todo', 'doing');\n"
              "CREATE TABLE q_jobs (id bigserial PRIMARY KEY, queue_name text, status job_status NOT NULL);\n"
              "CREATE INDEX q_jobs_todo ON q_jobs (queue_name) WHERE status = 'todo'::job_status;\n")
    sql = "SELECT id FROM q_jobs WHERE status = 'todo' AND queue_name = $1;\n"
    assert rules(project, sql, schema) == []


def test_a_partial_index_holding_only_the_wanted_rows_serves_the_query(project):
    # procrastinate: procrastinate_jobs_priority_idx_v1 (priority desc, id) WHERE status = 'todo' serves the
    # fetch-job query; the lock index WHERE status = 'doing' serves list_jobs_to_abort
    schema = SCHEMA + "CREATE INDEX jobs_priority_idx ON jobs (scheduled_at DESC, id) WHERE (status = 'todo'::text);\n"
    sql = ("SELECT id FROM jobs WHERE status = 'todo' AND (queue_name = ANY($1) OR $1 IS NULL) "
           "ORDER BY scheduled_at DESC, id LIMIT 1;\n"
           "SELECT id FROM jobs WHERE status = 'doing' AND args IS NOT NULL;\n"
           "SELECT id FROM jobs WHERE status = 'failed' AND args IS NOT NULL;\n")
    assert rules(project, sql, schema) == ["missing-index"]  # 'failed' rows: no partial index holds them


STORE = '''
class MediaStore:
    def __init__(self, db_pool):
        self.db_pool.updates.register_background_index_update(
            update_name="local_media_repository_sha256_idx",
            index_name="local_media_repository_sha256",
            table="local_media_repository",
            where_clause="sha256 IS NOT NULL",
            columns=["sha256"],
        )
        self.db_pool.updates.register_background_index_update(
            "users_lower_name", index_name="users_lower_name", table="users", columns=["lower(name)"])
        self.db_pool.updates.register_background_index_update(
            "users_creation_ts2", index_name="users_creation_ts2", table="users", columns=["creation_ts", "name"],
            replaces_index="users_creation_ts")

    def get_by_hash(self, txn, sha256):
        txn.execute("SELECT media_id FROM local_media_repository WHERE sha256 = ?", (sha256,))

    def by_name(self, txn, name):
        txn.execute("SELECT name FROM users WHERE lower(name) = ?", (name,))

    def by_origin(self, txn, origin):
        txn.execute("SELECT media_id FROM local_media_repository WHERE media_type = ?", (origin,))
'''


def test_indexes_built_by_background_updates_are_indexes(project):
    """synapse creates many indexes from Python (register_background_index_update): they serve queries,
    and the index one replaces is gone (users_creation_ts is no longer a duplicate of anything)."""
    schema = ("CREATE TABLE local_media_repository (media_id text PRIMARY KEY, media_type text, sha256 text);\n"
              "CREATE TABLE users (name text PRIMARY KEY, creation_ts bigint);\n"
              "CREATE INDEX users_creation_ts ON users (creation_ts);\n")
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["db/*.sql"]\n', "db/schema.sql": schema, "media.py": STORE})
    hits = [(catalogue.lookup(f.rule).name, f.location.path, f.location.line) for f in engine.check(["."]).active]
    assert hits == [("missing-index", "media.py", 23)]  # media_type: no index, as before


def test_no_missing_index_for_an_expiry_sweep(project):
    # synapse: `DELETE FROM sessions WHERE expiry_time_ms <= ?`, `... WHERE last_seen < ? AND hidden = FALSE`
    # are periodic purges of everything older than a cutoff; a read of a range with a lower bound is workload
    sql = ("DELETE FROM sessions WHERE expiry_time_ms <= $1;\n"
           "SELECT id FROM sessions WHERE expiry_time_ms < $1 AND hidden = FALSE;\n"
           "SELECT id FROM sessions WHERE expiry_time_ms > $1 AND expiry_time_ms <= $2;\n"
           "DELETE FROM sessions WHERE expiry_time_ms <= $1 AND id = $2;\n")
    table = "CREATE TABLE sessions (id text PRIMARY KEY, expiry_time_ms bigint, hidden boolean);\n"
    assert _missing_index_lines(project, table, sql) == [3]  # the id = $2 one is served by the primary key


def _missing_index_lines(project, table: str, sql: str) -> list[int]:
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["db/*.sql"]\n', "db/schema.sql": SCHEMA + table, "q.sql": sql})
    return [f.location.line for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "missing-index"]


def test_no_missing_index_for_a_sweep_older_than_now_minus_a_duration(project):
    # graphile-worker's stale-lock reset and alerta's housekeeping: the cutoff is the clock minus a duration;
    # what is due now (`<= now()`, a queue's poll) and a sweep that also picks by a parameter stay claims
    table = "CREATE TABLE jobs (id bigint PRIMARY KEY, locked_at timestamptz, status text, run_at timestamptz, queue text);\n"
    sql = ("UPDATE jobs SET locked_at = NULL WHERE locked_at < now() - interval '4 hours';\n"
           "DELETE FROM jobs WHERE status IN ('closed', 'expired') AND locked_at < (NOW() at time zone 'utc' - INTERVAL '2 hours');\n"
           "SELECT id FROM jobs WHERE run_at <= now() AND status = 'new';\n"
           "DELETE FROM jobs WHERE queue = $1 AND locked_at < now() - interval '1 day';\n"
           # the compiled resetLockedAt: `${now}` is `$1::timestamptz` or `now()`, a time the code passes
           "UPDATE jobs SET locked_at = NULL WHERE locked_at < $1::timestamptz - interval '4 hours';\n"
           "SELECT id FROM jobs WHERE locked_at > $1 - interval '4 hours';\n")
    assert _missing_index_lines(project, table, sql) == [3, 4, 6]  # a lower bound: a feed read


def test_no_missing_index_when_a_condition_is_filled_in_at_run_time(project):
    # synapse: `WHERE type = 'm.room.member' AND %s` with room_id IN (...) spliced in by make_in_list_sql_clause
    store = ('def f(txn, rooms):\n'
             '    clause, args = make_in_list_sql_clause(txn.database_engine, "queue_name", rooms)\n'
             '    sql = """SELECT id FROM jobs WHERE status = \'new\' AND %s GROUP BY id"""\n'
             '    txn.execute(sql % (clause,), args)\n'
             '    txn.execute(f"SELECT id FROM jobs WHERE {clause} AND created_at > ?", args)\n'
             '    txn.execute("SELECT id FROM jobs WHERE status = \'new\' AND created_at > ?", args)\n')
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["db/*.sql"]\n', "db/schema.sql": SCHEMA, "store.py": store})
    hits = [f.location.line for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "missing-index"]
    assert hits == [6]


def test_the_optional_filter_trap_on_postgresql(pg_server):  # noqa: F811
    """The claim optional-filter makes, on the embedded server.  A custom plan folds the NULL test away and
    uses the index; after five runs that pass NULL, PostgreSQL settles on the generic plan for an
    aggregate over the table (as procrastinate's per-queue counts), and the next caller's value reads the
    table too.  A plain one-table scan stays on custom plans: its generic plan is never cheaper."""
    import psycopg

    def plan(conn, name: str, value: str) -> str:
        return "\n".join(r[0] for r in conn.execute(f"EXPLAIN EXECUTE {name}({value})"))

    group = "SELECT queue_name, count(*) FROM jobs WHERE ($1::text IS NULL OR queue_name = $1) GROUP BY queue_name"
    with psycopg.connect(pg_server.conninfo(), autocommit=True, prepare_threshold=None) as conn:
        with conn.transaction(force_rollback=True):
            conn.execute("CREATE TABLE jobs (id int PRIMARY KEY, queue_name text NOT NULL)")
            conn.execute("INSERT INTO jobs SELECT g, 'q' || (g % 500) FROM generate_series(1, 200000) g")
            conn.execute("CREATE INDEX jobs_queue ON jobs (queue_name); ANALYZE jobs")
            conn.execute(f"PREPARE fresh(text) AS {group}")
            assert "jobs_queue" in plan(conn, "fresh", "'q7'")  # a custom plan
            conn.execute(f"PREPARE counts(text) AS {group}")
            for _ in range(6):
                conn.execute("EXECUTE counts(NULL)")  # the first runs count every queue
            ((generic, custom),) = conn.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                                                "WHERE name = 'counts'")
            assert generic >= 1 and custom == 5, (generic, custom)
            assert "jobs_queue" not in plan(conn, "counts", "'q7'")  # one queue's count reads the whole table
            conn.execute("PREPARE plain(text) AS SELECT id FROM jobs WHERE ($1::text IS NULL OR queue_name = $1)")
            for _ in range(6):
                conn.execute("EXECUTE plain(NULL)")
            ((generic,),) = conn.execute("SELECT generic_plans FROM pg_prepared_statements WHERE name = 'plain'")
            assert generic == 0 and "jobs_queue" in plan(conn, "plain", "'q7'")  # a plain scan stays custom
            conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            assert "jobs_queue" not in plan(conn, "fresh", "'q7'")


FLAGGED = "CREATE TABLE replicas (id bigint PRIMARY KEY, enabled boolean NOT NULL, name text, seen timestamptz);\n"


@pytest.mark.parametrize("sql,claimed", [
    ("SELECT id FROM replicas WHERE enabled = true;", False),  # a flag alone: pays only if few rows match
    ("SELECT id FROM replicas WHERE enabled;", False),
    ("SELECT id FROM replicas WHERE enabled <> false;", False),
    ("SELECT id FROM replicas WHERE enabled AND name = $1;", True),  # a selective column too
    ("SELECT id FROM replicas WHERE enabled ORDER BY seen LIMIT 10;", True),  # a top-N an index can walk
])
def test_a_flag_alone_makes_no_index_claim(project, sql, claimed):
    assert ("missing-index" in rules(project, sql, FLAGGED)) is claimed


@pytest.mark.parametrize("sql,claimed", [
    # the same sweeps written around the column (pg_chameleon's batch cleanup, temboard's purge, synapse's reminders)
    ("DELETE FROM jobs WHERE now() - created_at > $1::interval;", False),
    ("DELETE FROM jobs WHERE date_trunc('day', created_at) < now() - interval '7 days';", False),
    ("SELECT id FROM jobs WHERE status = 'new' AND (extract(epoch FROM created_at) - $1) <= $2;", False),
    # the recent rows (a lower bound), a sweep that also picks by a parameter, a lookup: claims stay
    ("SELECT id FROM jobs WHERE now() - created_at < $1::interval;", True),
    ("DELETE FROM jobs WHERE queue_name = $2 AND now() - created_at > $1::interval;", True),
    ("SELECT id FROM jobs WHERE date_trunc('day', created_at) = $1;", True),
])
def test_no_function_on_column_claim_for_a_sweep_written_around_the_column(project, sql, claimed):
    assert ("function-on-column" in rules(project, sql)) is claimed


def test_a_limit_placeholder_is_printed_as_written(project):
    # meshcentral's device pager: `LIMIT $4 OFFSET $5` was printed `LIMIT 4 OFFSET $5`
    from advisor import engine

    project({"advisor.toml": 'large-tables = ["*"]\ndialect = "postgres"\n',
             "q.sql": "SELECT doc FROM main WHERE type = $2 LIMIT $4 OFFSET $5;\n"})
    messages = [f.message for f in engine.check(["."]).active]
    assert any(m.startswith("LIMIT $4 OFFSET $5 without ORDER BY") for m in messages), messages


def test_an_unnamed_template_value_shows_no_stand_in(project):
    # r2r's chunk pager: f"... LIMIT ${len(params) + 1} OFFSET ${len(params) + 2}" was printed LIMIT %(p)s OFFSET %(p)s
    from advisor import engine

    project({"advisor.toml": 'dialect = "postgres"\n', "store.py": (
        "def page(conn, params):\n"
        "    conn.fetch(f'SELECT id FROM docs LIMIT ${len(params) + 1} OFFSET ${len(params) + 2}', *params)\n")})
    messages = [f.message for f in engine.check(["."]).active if "LIMIT" in f.message]
    assert messages and not any("%(p" in m or ":p" in m for m in messages), messages
    assert messages[0].startswith("LIMIT … OFFSET … without ORDER BY"), messages


def test_a_named_parameter_glued_to_a_template_shows_no_stand_in(project):
    # langchain-postgres: f"... LIMIT :limit_{suffix_id} OFFSET :offset_{suffix_id}" was printed %(limit___)s
    from advisor import engine

    project({"advisor.toml": 'large-tables = ["*"]\ndialect = "postgres"\n', "store.py": (
        "def page(conn, suffix_id):\n"
        "    conn.execute(text(f'SELECT id FROM docs LIMIT :limit_{suffix_id} OFFSET :offset_{suffix_id}'))\n")})
    messages = [f.message for f in engine.check(["."]).active if "LIMIT" in f.message]
    assert messages and not any("__" in m for m in messages), messages


def test_a_json_extraction_is_described_as_written(project):
    # chainlit's favourites: `s.metadata::jsonb->>'favorite' = 'true'`, once described as a call `s.metadata()`
    found_here = found(project, "SELECT s.id FROM jobs s WHERE s.args::jsonb->>'favorite' = 'true';")
    messages = [message for name, message in found_here if name == "function-on-column"]
    assert messages == [
        "jobs.args is wrapped in a JSON extraction (CAST(s.args AS JSONB) ->> 'favorite'): an index on args cannot "
        "serve this condition, so every row is evaluated"
    ]


# holdout 103's MetaCat: `sql = f"""select {columns} from datasets ds, datasets_parent_child pc where true"""`, then
# `sql += " and pc.child_name=ds.name"` under a condition. The text as first assigned is not the statement the call
# runs: its join is added later, so no claim that there is none. And `name like '%s'` in a text `%` fills is the
# field the value goes in, not a pattern that starts with a wildcard.
GROWN = '''
def list_datasets(db, columns, parent_name=None):
    c = db.cursor()
    sql = f"""select {columns} from jobs j, events e where true"""
    if parent_name:
        sql += " and e.job_id = j.id and e.type = %(parent_name)s"
    c.execute(sql, dict(parent_name=parent_name))


def by_pattern(db, queue, name):
    c = db.cursor()
    c.execute("""select id from jobs where queue_name = '%s' and worker like '%s'""" % (queue, name))
    c.execute("select id from jobs where worker like '%%' || %s", (name,))
'''


def test_a_statement_the_code_grows_later_and_a_format_field_are_not_claimed_on(project):
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["db/*.sql"]\n', "db/schema.sql": SCHEMA, "q.py": GROWN})
    found = [(catalogue.lookup(f.rule).name, f.location.line) for f in engine.check(["."]).active]
    assert "cartesian-join" not in [name for name, _ in found]
    assert ("leading-wildcard-like", 11) not in found
    assert ("leading-wildcard-like", 12) in found  # a pattern that starts with '%' is still one
