"""Limits on the statements advisor runs for the repository's schema (no imports of advisor's own: seeding, the
schema load and the index builds all use it)."""

from __future__ import annotations

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
