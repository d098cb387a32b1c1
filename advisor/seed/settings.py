"""The `[seed]` and `[explain]` configuration tables, validated strictly.

[seed]
rows = 10000                       # default rows per table
stats = "prod-stats.json"          # statistics from `advisor stats export`
[seed.csv]
users = "data/users.csv"           # load this CSV instead of generating
[seed.tables.messages]
rows = 200000
[seed.tables.messages.columns.status]
values = ["unread", "read"]        # value list (weights: skew)
distinct = 3                       # distinct values
null_fraction = 0.0
skew = 2.0                         # 0 = uniform; higher: a few values dominate
min = 0                            # ranges for numbers, dates
max = 1000

[explain]
threshold = 0.3                    # minimum relative cost improvement to recommend an index
statement_timeout_ms = 5000
large_table_rows = 5000
cache = true                       # reuse the seeded database across runs
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.config import Config, ConfigError

COLUMN_KEYS = {"distinct", "null_fraction", "skew", "min", "max", "values"}
TABLE_KEYS = {"rows", "columns"}
SEED_KEYS = {"rows", "tables", "csv", "stats", "seed"}
EXPLAIN_KEYS = {"threshold", "statement_timeout_ms", "large_table_rows", "cache", "min_cost", "misestimate_factor",
                "rescan_loops"}


@dataclass
class ColumnShape:
    distinct: int | None = None
    null_fraction: float | None = None
    skew: float = 0.0
    min: Any = None
    max: Any = None
    values: list[Any] | None = None


@dataclass
class SeedSettings:
    rows: int = 10000
    tables: dict[str, int] = field(default_factory=dict)  # rows per table
    columns: dict[tuple[str, str], ColumnShape] = field(default_factory=dict)
    csv: dict[str, str] = field(default_factory=dict)  # table -> absolute path
    stats: str | None = None
    seed: int = 42

    def rows_for(self, table: str) -> int:
        return self.tables.get(table, self.rows)


@dataclass
class ExplainSettings:
    threshold: float = 0.3
    statement_timeout_ms: int = 5000
    large_table_rows: int = 5000
    cache: bool = True
    min_cost: float = 50.0  # below this total cost a query is "cheap already"
    misestimate_factor: float = 10.0
    rescan_loops: int = 1000


def _num(value: Any, where: str, kind=(int, float)) -> Any:
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    return value


def _section(value: Any, where: str, keys: set[str]) -> dict:
    """A TOML table whose keys must all be among `keys`: anything else is a typo, said with where it is."""
    expected = ", ".join(sorted(keys))
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of {expected}")
    for key in value:
        if key not in keys:
            raise ConfigError(f"{where}: unknown key {key!r} (expected one of {expected})")
    return value


def seed_settings(config: Config) -> SeedSettings:
    where = f"{config.label}: [seed]"
    raw = _section(config.seed or {}, where, SEED_KEYS)
    out = SeedSettings()
    if "rows" in raw:
        out.rows = int(_num(raw["rows"], f"{where} rows", int))
    if "seed" in raw:
        out.seed = int(_num(raw["seed"], f"{where} seed", int))
    if "stats" in raw:
        if not isinstance(raw["stats"], str):
            raise ConfigError(f"{where} stats: expected a file path")
        out.stats = str(config.root / raw["stats"])
    csv = raw.get("csv", {})
    if not isinstance(csv, dict):
        raise ConfigError(f"{where} csv: expected a table of table = \"path\"")
    for table, path in csv.items():
        if not isinstance(path, str):
            raise ConfigError(f"{where} csv.{table}: expected a file path")
        out.csv[table.lower()] = str(config.root / path)
    tables = raw.get("tables", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{where} tables: expected a table per table name")
    for table, spec in tables.items():
        tw = f"{where} tables.{table}"
        _section(spec, tw, TABLE_KEYS)
        if "rows" in spec:
            out.tables[table.lower()] = int(_num(spec["rows"], f"{tw}.rows", int))
        for column, shape in (spec.get("columns") or {}).items():
            cw = f"{tw}.columns.{column}"
            _section(shape, cw, COLUMN_KEYS)
            cs = ColumnShape()
            if "distinct" in shape:
                cs.distinct = max(1, int(_num(shape["distinct"], f"{cw}.distinct", int)))
            if "null_fraction" in shape:
                cs.null_fraction = float(_num(shape["null_fraction"], f"{cw}.null_fraction"))
                if not 0 <= cs.null_fraction <= 1:
                    raise ConfigError(f"{cw}.null_fraction: must be between 0 and 1")
            if "skew" in shape:
                cs.skew = float(_num(shape["skew"], f"{cw}.skew"))
            cs.min, cs.max = shape.get("min"), shape.get("max")
            if "values" in shape:
                if not isinstance(shape["values"], list) or not shape["values"]:
                    raise ConfigError(f"{cw}.values: expected a non-empty list")
                cs.values = list(shape["values"])
            out.columns[(table.lower(), column.lower())] = cs
    return out


def explain_settings(config: Config) -> ExplainSettings:
    where = f"{config.label}: [explain]"
    out = ExplainSettings()
    for key, value in _section(config.explain or {}, where, EXPLAIN_KEYS).items():
        if key == "cache":
            if not isinstance(value, bool):
                raise ConfigError(f"{where} cache: expected true or false")
            out.cache = value
        elif key in ("statement_timeout_ms", "large_table_rows", "rescan_loops"):
            setattr(out, key, int(_num(value, f"{where} {key}", int)))
        else:
            setattr(out, key, float(_num(value, f"{where} {key}")))
    return out
