"""A candidate build PostgreSQL picks as a deadlock's victim is built again, never taken for a refusal.

Seen on pg-chameleon under load: `check --explain` builds a table's candidates side by side on several
connections (advisor.explain.advise._build_each), PostgreSQL 18 broke a deadlock between two of them by
failing one, and that statement's advice vanished ("the database refuses an index ... (deadlock
detected)") in one run of four: how busy the machine was changed the findings.  Here a second session
makes the deadlock for real: the build holds its table, the re-plan waits for a table the other session
holds, and the other session then waits for the build's table; the build's session, with the shorter
deadlock_timeout, detects the cycle and is failed."""

import contextlib
import threading
import uuid

from advisor.indexes.candidates import Candidate
from advisor.indexes.verify import measure_shared
from advisor.ir import IndexKey
from advisor.seed.server import connect
from tests.conftest_db import pg_server  # noqa: F401


@contextlib.contextmanager
def scratch(server, *ddl: str):
    """A database of its own on `server` with `ddl` run and analysed (its name), dropped afterwards."""
    name = "d_" + uuid.uuid4().hex[:8]
    with connect(server.conninfo(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with connect(server.conninfo(name), autocommit=True) as setup:
            for statement in (*ddl, "ANALYZE"):
                setup.execute(statement)
        yield name
    finally:
        with connect(server.conninfo(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_a_build_failed_by_a_deadlock_is_built_again(pg_server):  # noqa: F811
    with scratch(
        pg_server,
        "CREATE TABLE jobs (id int PRIMARY KEY, queue int)",
        "INSERT INTO jobs SELECT g, g % 10 FROM generate_series(1, 5000) g",
        "CREATE TABLE other (id int)",
    ) as name:
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


def test_a_build_for_a_writing_statement_runs_alone():
    """advise._Gate: builds side by side, but one re-planned for an UPDATE/DELETE/INSERT with no other running
    (its plan's RowExclusiveLock would wait for their ShareLock, and two of them for each other)."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from advisor.explain.advise import _Gate

    gate, lock = _Gate(), threading.Lock()
    running: list[str] = []
    seen: list[tuple[str, tuple[str, ...]]] = []  # each build with what ran beside it when it started

    def build(item: str) -> None:
        gate.enter(item.startswith("w"))
        try:
            with lock:
                running.append(item)
                seen.append((item, tuple(running)))
            time.sleep(0.02)
            with lock:
                running.remove(item)
        finally:
            gate.leave()

    items = ["r1", "r2", "w1", "r3", "r4", "w2", "r5", "r6", "w3", "r7"]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(build, items))
    assert sorted(i for i, _ in seen) == sorted(items)
    assert all(beside == (item,) for item, beside in seen if item.startswith("w"))  # alone
    assert any(len(beside) > 1 for _, beside in seen)  # the others side by side


def test_candidates_of_writing_statements_are_measured_without_a_deadlock(pg_server):  # noqa: F811
    """Candidates on one table proposed by an UPDATE and a DELETE, built on parallel connections: every one
    measured, and PostgreSQL counts no deadlock in the database."""
    from advisor.explain.advise import _build_each
    from advisor.explain.plan import parse_plan

    with scratch(
        pg_server,
        "CREATE TABLE jobs (id int PRIMARY KEY, queue int, state int, worker int, lock text)",
        "INSERT INTO jobs SELECT g, g % 10, g % 3, g % 50, g::text FROM generate_series(1, 20000) g",
    ) as name:
        with connect(pg_server.conninfo(name), autocommit=True) as conn:

            def explainer(sql):
                def plan(c):
                    with c.transaction():
                        return parse_plan(c.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchone()[0]), None

                return plan

            statements = {
                "queue": "UPDATE jobs SET state = 1 WHERE queue = 3",
                "worker": "DELETE FROM jobs WHERE worker = 7",
                "lock": "UPDATE jobs SET worker = NULL WHERE lock = '12'",
                "state": "DELETE FROM jobs WHERE state = 2 AND queue = 1",
            }
            plains = {Candidate("jobs", (IndexKey(col),)): [explainer(sql)] for col, sql in statements.items()}
            deadlocks = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
            before = conn.execute(deadlocks).fetchone()[0]
            for _ in range(3):
                results = _build_each(conn, pg_server.conninfo(name), plains, alone=set(plains))
                assert all(m.error is None and m.cost_after is not None for ms in results.values() for m in ms)
            conn.execute("SELECT pg_stat_force_next_flush()")
            assert conn.execute(deadlocks).fetchone()[0] == before
