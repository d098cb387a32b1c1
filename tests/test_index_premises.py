"""What missing-index and optional-filter must know of indexes and joins before they claim a table is read
whole (issue 10, class 5): shapes from procrastinate (a partial index kept for the states an OR of the
query's conditions allows), synapse (an anti-join on a LEFT JOINed table, an outer range on a UNION ALL
subquery that the planner pushes into its branches) and graphile-worker (`job_queue_id IS NOT NULL`,
`attempts = max_attempts`)."""

import itertools
import json

import psycopg
import pytest
import sqlglot

from advisor import catalogue, engine
from advisor.facts.sql import build_facts, conjuncts
from advisor.indexes.implication import implies
from tests.conftest_db import pg_server  # noqa: F401

JOBS = """
CREATE TYPE job_status AS ENUM ('todo', 'doing', 'succeeded', 'failed');
CREATE TABLE jobs (id bigserial PRIMARY KEY, queue_name text NOT NULL, lock text, priority int NOT NULL,
  status job_status NOT NULL, job_queue_id int, attempts int NOT NULL, max_attempts int NOT NULL,
  locked_at timestamptz);
CREATE INDEX jobs_id_lock_idx ON jobs (id, lock)
  WHERE status = ANY (ARRAY['todo'::job_status, 'doing'::job_status]);
"""


TOML = 'large-tables = ["*"]\nschema = ["db/schema.sql"]\nselect = ["DEFAULT", "offset-pagination"]\n'  # offset-pagination is opt-in


def found(project, sql, schema=JOBS, rule="missing-index"):
    project({"advisor.toml": TOML, "db/schema.sql": schema, "q.sql": sql})
    return [(f.location.line, f.message) for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == rule]


def test_a_partial_index_implied_through_an_or_of_its_states(project):
    # procrastinate fetch_job: `other_jobs.lock = jobs.lock AND (status = 'doing' OR (status = 'todo' AND ...))`
    # is served by (id, lock) WHERE status = ANY(ARRAY['todo', 'doing']): each arm implies the predicate
    sql = ("SELECT id FROM jobs WHERE lock = $1\n"
           "  AND (status = 'doing' /* running */ OR (status = 'todo' AND priority > $2));\n"
           "SELECT id FROM jobs WHERE lock = $1\n"
           "  AND (status = 'doing' OR (status = 'failed' AND priority > $2));\n")
    assert [line for line, _ in found(project, sql)] == [3]  # 'failed' rows: no partial index holds them


def test_an_optional_filter_on_the_subset_an_implied_partial_index_holds(project):
    sql = ("SELECT id FROM jobs WHERE status = 'doing' /* running */ AND ($1::text IS NULL OR queue_name = $1) "
           "ORDER BY id;\n"
           "SELECT id FROM jobs WHERE status = 'failed' AND ($1::text IS NULL OR queue_name = $1) ORDER BY id;\n")
    schema = JOBS + "CREATE INDEX jobs_queue ON jobs (queue_name);\n"  # what a generic plan cannot use
    assert [line for line, _ in found(project, sql, schema, rule="optional-filter")] == [2]


def test_is_not_null_is_no_equality(project):
    # graphile-worker cleanup: `id NOT IN (SELECT job_queue_id FROM jobs WHERE job_queue_id IS NOT NULL)`
    tree = sqlglot.parse_one("SELECT 1 FROM jobs WHERE job_queue_id IS NOT NULL AND lock IS NULL", read="postgres")
    ops = {p.column: (p.op, p.negated) for p in build_facts(tree).scopes[0].predicates}
    assert ops == {"job_queue_id": ("other", True), "lock": ("isnull", False)}
    sql = ("SELECT job_queue_id FROM jobs WHERE job_queue_id IS NOT NULL;\n"
           "SELECT id FROM jobs WHERE job_queue_id IS NULL AND queue_name = $1;\n")
    assert [(line, "job_queue_id" in msg) for line, msg in found(project, sql)] == [(2, True)]


def test_a_comparison_with_a_column_of_the_same_row_is_no_index_filter(project):
    # `attempts = max_attempts` differs row by row: an index on attempts cannot serve it
    (hit,) = found(project, "DELETE FROM jobs WHERE attempts = max_attempts AND queue_name = $1;\n")
    assert "(queue_name)" in hit[1] and "attempts" not in hit[1]


def test_a_left_joined_tables_is_null_test_is_an_anti_join(project):
    # synapse: `LEFT JOIN state_events AS se USING (room_id, event_id) WHERE ... AND se.state_key IS NULL`
    schema = ("CREATE TABLE events (event_id text NOT NULL, type text NOT NULL, stream_ordering bigint);\n"
              "CREATE TABLE state_events (event_id text NOT NULL, state_key text NOT NULL, prev_state text);\n"
              "ALTER TABLE state_events ADD CONSTRAINT state_events_event_id_key UNIQUE (event_id);\n")
    sql = ("SELECT e.event_id FROM events AS e LEFT JOIN state_events AS se USING (event_id)\n"
           "  WHERE e.type = $1 AND se.state_key IS NULL;\n"
           "SELECT e.event_id FROM events AS e JOIN state_events AS se USING (event_id)\n"
           "  WHERE e.type = $1 AND se.prev_state = $2;\n")
    hits = found(project, sql, schema)
    assert [(line, "state_events" in msg) for line, msg in hits] == [(2, False), (4, False), (4, True)]


DELTAS = """
CREATE TABLE deltas (stream_id bigint NOT NULL, room_id text NOT NULL, type text NOT NULL, state_key text NOT NULL,
  event_id text);
CREATE INDEX deltas_stream ON deltas (stream_id);
CREATE TABLE snaps (room_id text NOT NULL, user_id text NOT NULL, event_stream_ordering bigint);
CREATE UNIQUE INDEX snaps_user ON snaps (user_id, room_id);
CREATE TABLE rooms (room_id text PRIMARY KEY, version text);
"""


@pytest.mark.parametrize("branch, outer, reported", [
    # synapse stream.py: the outer stream range reaches the deltas branch's stream_id index
    ("SELECT d.room_id, d.stream_id FROM deltas AS d WHERE d.type = $2 AND d.state_key = $3", "pos > $4 AND pos <= $5",
     False),
    # a LIMIT in the branch: the planner cannot move the range below it
    ("(SELECT d.room_id, d.stream_id FROM deltas AS d WHERE d.type = $2 AND d.state_key = $3 LIMIT 10)",
     "pos > $4 AND pos <= $5", True),
    # the outer condition is on a column no index of deltas serves
    ("SELECT d.room_id, d.event_id FROM deltas AS d WHERE d.type = $2", "pos = $4", True),
    # a range inside an OR stays where it is
    ("SELECT d.room_id, d.stream_id FROM deltas AS d WHERE d.type = $2", "(pos > $4 OR pos IS NULL)", True),
])
def test_outer_conditions_pushed_into_a_union_subquery(project, branch, outer, reported):
    sql = (f"SELECT room_id, pos FROM (\n"
           f"  SELECT s.room_id, s.event_stream_ordering AS pos FROM snaps AS s WHERE s.user_id = $1\n"
           f"  UNION ALL\n  {branch}\n) AS c INNER JOIN rooms USING (room_id)\nWHERE {outer} ORDER BY pos;\n")
    hits = found(project, sql, DELTAS)
    assert any("deltas" in msg for _, msg in hits) == reported


PREDICATES = ["s = 'a'", "s IN ('a','b')", "s = ANY(ARRAY['a','b'])", "n IS NOT NULL", "s = 'a' AND n IS NOT NULL",
              "s = 'a' OR s = 'c'", "NOT n IS NULL"]
CONDITIONS = ["s = 'a'", "s = 'b'", "s = 'a' AND a = 1", "(s = 'a' OR s = 'b')", "(s = 'a' OR (s = 'b' AND a > 2))",
              "s IN ('a','b')", "n > 3", "n = a", "s = 'a' /* c */ AND n = 2", "(s = 'c' OR s = 'a')", "a = 1",
              "s = 'a' OR n = 1", "n IS NULL", "n <> 2", "s LIKE 'a%'", "t.s = 'b'"]


def test_partial_index_implication_agrees_with_postgresql(pg_server):  # noqa: F811
    """advisor says a query's conditions imply a partial index's predicate exactly when PostgreSQL uses the
    index for that query (sequential scans off), over every pair of a grid of predicates and conditions."""
    disagree = []
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS t; CREATE TABLE t (a int, s text, n int);"
                     "INSERT INTO t SELECT g, chr(97 + g % 4), g % 7 FROM generate_series(1, 2000) g; ANALYZE t")
        for predicate, condition in itertools.product(PREDICATES, CONDITIONS):
            with conn.transaction(force_rollback=True):
                conn.execute("SET LOCAL enable_seqscan = off")
                conn.execute(f"CREATE INDEX t_part ON t (a) WHERE {predicate}")
                plan = conn.execute(f"EXPLAIN (FORMAT JSON) SELECT * FROM t WHERE {condition}").fetchone()[0]
            used = "t_part" in json.dumps(plan)
            where = sqlglot.parse_one(f"SELECT * FROM t WHERE {condition}", read="postgres").args["where"].this
            if implies(conjuncts(where), predicate) != used:
                disagree.append((predicate, condition, used))
        conn.execute("DROP TABLE t")
    assert disagree == []
    assert implies(conjuncts(sqlglot.parse_one("s = 'a' AND a = 1", read="postgres")), "s IN ('a', 'b')")


PAGE = "SELECT id FROM jobs WHERE queue_name = %s ORDER BY id DESC LIMIT %s OFFSET %s"


@pytest.mark.parametrize("count, reported", [
    # synapse admin lists: the total over the same rows, then the page
    ("SELECT COUNT(*) AS total FROM jobs WHERE queue_name = %s", False),
    ("SELECT COUNT(*) FROM jobs WHERE status = %s", True),  # other rows
    ("SELECT COUNT(DISTINCT lock) FROM jobs WHERE queue_name = %s", False),
    ("SELECT max(id) FROM jobs WHERE queue_name = %s", True),  # an index finds a max without reading all
])
def test_offset_beside_a_count_of_the_same_rows(project, count, reported):
    code = (f"def page(cur, q, limit, start):\n    cur.execute({count!r}, (q,))\n"
            f"    cur.execute({PAGE!r}, (q, limit, start))\n")
    project({"advisor.toml": TOML, "db/schema.sql": JOBS, "store.py": code})
    hits = [f.location.line for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "offset-pagination"]
    assert hits == ([3] if reported else [])


def test_a_count_beside_a_page_in_a_sql_file_is_another_entry_point(project):
    sql = ("SELECT COUNT(*) FROM jobs WHERE queue_name = $1;\n"
           "SELECT id FROM jobs WHERE queue_name = $1 ORDER BY id DESC LIMIT $2 OFFSET $3;\n")
    assert [line for line, _ in found(project, sql, rule="offset-pagination")] == [2]


USERS = """
CREATE TABLE users (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, name text NOT NULL, email text);
CREATE TABLE accounts (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, email text);
CREATE INDEX accounts_tenant ON accounts (tenant_id);
"""


def test_a_wrapped_column_is_reported_once_by_function_on_column(project):
    # synapse registration.py: `WHERE lower(name) = lower(?)`: function-on-column names the problem and the
    # expression index; missing-index speaks only when the rest of the access needs an index too
    sql = ("SELECT id FROM users WHERE lower(name) = lower($1);\n"
           "SELECT id FROM users WHERE tenant_id = $1 AND lower(email) = $2;\n"
           "SELECT id FROM accounts WHERE tenant_id = $1 AND lower(email) = $2;\n")
    assert [line for line, _ in found(project, sql, USERS)] == [2]
    # (accounts: its tenant_id index finds the rows and lower(email) filters the tenant's alone, with no index on
    # email to defeat: no claim that every row is evaluated, tests/test_sql_access_path.py)
    assert [line for line, _ in found(project, sql, USERS, rule="function-on-column")] == [1, 2]


def test_an_is_null_test_alone_makes_no_index_claim(project):
    # synapse `SELECT COUNT(*) FROM users WHERE appservice_id IS NULL`: nearly every row is NULL there, while an
    # outbox's `sent_at IS NULL` picks a few; the code does not say which, so advisor does not claim an index
    sql = ("SELECT count(*) FROM jobs WHERE job_queue_id IS NULL;\n"
           "SELECT id FROM jobs WHERE job_queue_id IS NULL ORDER BY priority LIMIT 10;\n"
           "SELECT id FROM jobs WHERE job_queue_id IS NULL AND queue_name = $1;\n")
    assert [line for line, _ in found(project, sql)] == [2, 3]


def test_no_index_is_offered_on_an_expression_of_a_parameter(project):
    # after synapse registration.py: `email_sent = FALSE AND (expiration_ts_ms - ?) >= ?`: an index on
    # `expiration_ts_ms - ?` cannot be built; the advice is the rewrite, and missing-index leaves it to that
    # (with `<=` the statement is a sweep of what expires before a cutoff: no claim, test_sql_precision)
    schema = "CREATE TABLE validity (user_id text PRIMARY KEY, email_sent boolean NOT NULL, expiration_ts_ms bigint);\n"
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["db/schema.sql"]\n', "db/schema.sql": schema,
             "q.sql": "SELECT user_id FROM validity WHERE email_sent = FALSE AND (expiration_ts_ms - $1) >= $2;\n"})
    found = engine.check(["."]).active
    assert [catalogue.lookup(f.rule).name for f in found] == ["function-on-column"]
    (hit,) = found
    assert "CREATE INDEX" not in (hit.help or "") and hit.fix is None and "rewrite" in hit.help
