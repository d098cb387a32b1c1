"""A candidate build PostgreSQL picks as a deadlock's victim is built again, never taken for a refusal.

Seen on pg-chameleon under load: `check --explain` builds a table's candidates side by side on several
connections (advisor.explain.advise._build_each), PostgreSQL 18 broke a deadlock between two of them by
failing one, and that statement's advice vanished ("the database refuses an index ... (deadlock
detected)") in one run of four: how busy the machine was changed the findings.  Here a second session
makes the deadlock for real: the build holds its table, the re-plan waits for a table the other session
holds, and the other session then waits for the build's table; the build's session, with the shorter
deadlock_timeout, detects the cycle and is failed."""

import threading
import uuid

from advisor.indexes.verify import Candidate, IndexKey, measure_shared
from advisor.seed.server import connect
from tests.conftest_db import pg_server  # noqa: F401


def test_a_build_failed_by_a_deadlock_is_built_again(pg_server):  # noqa: F811
    name = "d_" + uuid.uuid4().hex[:8]
    with connect(pg_server.conninfo(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with connect(pg_server.conninfo(name), autocommit=True) as setup:
            setup.execute("CREATE TABLE jobs (id int PRIMARY KEY, queue int)")
            setup.execute("INSERT INTO jobs SELECT g, g % 10 FROM generate_series(1, 5000) g")
            setup.execute("CREATE TABLE other (id int)")
            setup.execute("ANALYZE")
        conn = connect(pg_server.conninfo(name), autocommit=True)
        other = connect(pg_server.conninfo(name))  # a transaction open until it has what it waits for
        conn.execute("SET deadlock_timeout = '50ms'")  # the build's session finds the cycle first: the victim
        other.execute("SET deadlock_timeout = '60s'")
        other.execute("LOCK TABLE other IN ACCESS EXCLUSIVE MODE")
        calls = []

        def waits_for_jobs():  # the other session then waits for the build's table: a cycle
            other.execute("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE")
            other.commit()

        def replan(c):
            calls.append(len(calls))
            if len(calls) == 1:
                threading.Thread(target=waits_for_jobs, daemon=True).start()
                c.execute("SELECT pg_sleep(0.3)")  # the other session is queued behind the build's lock
                c.execute("SELECT count(*) FROM other")  # waits for the other session: deadlock
            from advisor.explain.plan import parse_plan

            row = c.execute("EXPLAIN (FORMAT JSON) SELECT id FROM jobs WHERE queue = 3").fetchone()
            return parse_plan(row[0]), None

        (m,) = measure_shared(conn, Candidate("jobs", (IndexKey("queue"),)), [replan])
        assert len(calls) == 2  # failed once by the deadlock, then built again
        assert m.error is None and m.cost_after is not None and m.used
        conn.close()
        other.close()
    finally:
        with connect(pg_server.conninfo(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
