"""What the command line adds to a project's configuration, for one `advisor check` run."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Options:
    """What the command line adds to the configuration."""

    config: str | None = None  # an explicit config file for every path
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    baseline: str | None = None
    fail_on: str | None = None
    explain: bool = False  # plan queries on a database (issue: EXPLAIN stage)
    analyze: bool = False
    dsn: str | None = None
    mongo_uri: str | None = None
    cache: bool = False  # reuse the results of unchanged files (advisor/cache.py); the CLI turns it on
    allow_outside: bool = False  # config paths may lie outside the project root (advisor/files.py)
