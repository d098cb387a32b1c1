"""Limits on the statements advisor runs for the repository's schema (no imports of advisor's own but its one user
error: seeding, the schema load, the index builds and the database stage's time limit all use it)."""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

# all of a schema's statements together (each is also cut at a minute): 1,000 lines of `SELECT pg_sleep(55)` were
# 16 hours; twice the cut of one statement, so one slow statement of a real schema still fits
SCHEMA_LOAD_SECONDS = 120.0


def statement_timeout(rows: int, floor_s: int = 60) -> str:
    """What one statement over a table of `rows` may take: `floor_s` (a minute for seeding), or 100 µs a row
    for its index builds and VACUUM; a DEFAULT, CHECK or index expression the schema makes slow is cut, not
    waited on."""
    return f"{max(floor_s, rows // 10_000)}s"


@dataclass
class Budget:
    """What loading the schema may spend before advisor stops it: the clock (None: SCHEMA_LOAD_SECONDS, read when
    the load starts), and the bytes `spent()` counts written since it started -- the disk budget the seed gets
    what is left of (`why` says where it comes from); None: no byte limit."""

    seconds: float | None = None
    bytes: int | None = None
    spent: Callable[[], int] = lambda: 0
    why: str = ""


# the database stage of one command -- seeding, planning each statement, measuring candidates, choosing a set -- as a
# whole: a repository's config may let each statement run an hour, and its functions make each one slow.  Set by
# whoever runs advisor (ADVISOR_TIME_LIMIT, seconds), never by the repository
DATABASE_SECONDS = 900.0
TIME_LIMIT_ENV = "ADVISOR_TIME_LIMIT"


def database_seconds() -> float:
    """The time limit of the database stage: ADVISOR_TIME_LIMIT, or DATABASE_SECONDS.  ConfigError: not a number > 0
    (checked before any database starts)."""
    from advisor.errors import ConfigError

    raw = os.environ.get(TIME_LIMIT_ENV, "").strip()
    if not raw:
        return DATABASE_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise ConfigError(f"{TIME_LIMIT_ENV} must be a number of seconds above 0, not {raw[:40]!r}")
    return seconds


@dataclass
class Deadline:
    """When the database stage's time runs out (time.monotonic), and what it was."""

    seconds: float
    end: float

    @classmethod
    def start(cls, seconds: float) -> Deadline:
        return cls(seconds, time.monotonic() + seconds)

    @classmethod
    def stage(cls) -> Deadline:
        """The database stage's, starting now (database_seconds)."""
        return cls.start(database_seconds())

    def spent(self) -> str:
        """Why the stage stops ("" while there is time left)."""
        if time.monotonic() < self.end:
            return ""
        return f"advisor's time limit for the database stage ({self.seconds:g} s, {TIME_LIMIT_ENV}) ran out"


class Watch:
    """A thread that asks `spent()` four times a second what has run out ("" while nothing has) and from then on
    cancels the statement each watched connection runs, at every look, until the watch ends: no statement runs past
    it, however long its own timeout.  While one is open (`with`), `watched(conn)` adds a connection to it and
    `over()` says why the work should stop."""

    POLL = 0.25

    def __init__(self, spent: Callable[[], str]):
        self.spent, self.reason = spent, ""
        self.connections: weakref.WeakSet = weakref.WeakSet()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="advisor-time-limit", daemon=True)

    def add(self, conn) -> None:
        self.connections.add(conn)

    def __enter__(self) -> Watch:
        _open.append(self)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join()
        _open.remove(self)

    def _run(self) -> None:
        while not self.done.wait(self.POLL):
            if not self.reason:
                try:
                    self.reason = self.spent()
                except Exception:  # noqa: BLE001  not measured this time: the next look tries again
                    continue
            if self.reason:
                for conn in list(self.connections):
                    try:
                        conn.cancel_safe(timeout=5)
                    except Exception:  # noqa: BLE001  a cancel that cannot be sent: the statement timeout still cuts it
                        pass


_open: list[Watch] = []  # the watches open now, outermost first (one command's: threads it starts share them)


def watched(conn):
    """The connection, watched by every open watch: once one runs out, its statements are cancelled."""
    for watch in _open:
        watch.add(conn)
    return conn


def over() -> str:
    """Why an open watch stops the work ("" when none has run out): a loop asks before each step."""
    return next((w.reason for w in _open if w.reason), "")
