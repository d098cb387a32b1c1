"""The `[seed]` and `[explain]` configuration tables, validated strictly.

[seed]
rows = 10000                       # default rows per table
stats = "prod-stats.json"          # statistics from `advisor stats export`: table sizes, null
                                   # fractions and distinct counts shape the data too
shape = "production"               # or "uniform": no default shapes (advisor/seed/shapes.py)
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

import json
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.errors import ConfigError

if TYPE_CHECKING:
    from advisor.config import Config


def table_key(name: str) -> str:
    """A table's name as a `[seed.tables.<key>]` key: quoted unless bare (`"Storage.col"`, a stand-in name)."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)


COLUMN_KEYS = {"distinct", "null_fraction", "skew", "min", "max", "values"}
TABLE_KEYS = {"rows", "columns"}
SEED_KEYS = {"rows", "tables", "csv", "stats", "seed", "shape"}
SHAPES = ("production", "uniform")
EXPLAIN_KEYS = {
    "threshold",
    "statement_timeout_ms",
    "large_table_rows",
    "cache",
    "min_cost",
    "misestimate_factor",
    "rescan_loops",
}


@dataclass
class ColumnShape:
    distinct: int | None = None
    null_fraction: float | None = None
    skew: float = 0.0
    min: Any = None
    max: Any = None
    values: list[Any] | None = None


@dataclass(frozen=True)
class ColumnFacts:
    """Production's statistics of one column, from the `[seed] stats` file."""

    null_frac: float | None = None
    n_distinct: float | None = None  # as pg_stats: below 0, minus a fraction of the rows


@dataclass
class SeedSettings:
    rows: int = 10000
    tables: dict[str, int] = field(default_factory=dict)  # rows per table
    columns: dict[tuple[str, str], ColumnShape] = field(default_factory=dict)
    csv: dict[str, str] = field(default_factory=dict)  # table -> absolute path
    stats: str | None = None
    seed: int = 42
    shape: str = "production"  # "uniform": columns nobody described are filled uniformly
    stats_rows: dict[str, int] = field(default_factory=dict)  # production's row counts, from `stats`
    stats_columns: dict[tuple[str, str], ColumnFacts] = field(default_factory=dict)

    # the config's names are lower-cased (a TOML key is typed as it comes); the catalog's are not
    # ("Wallet", "createdAt"): looked up without case

    def rows_for(self, table: str) -> int:
        """Rows of a table: as configured, else production's count up to `rows` (a lookup table of
        30 rows stays 30 rows), else `rows`."""
        if table.lower() in self.tables:
            return self.tables[table.lower()]
        if self.shape == "production" and table in self.stats_rows:
            return min(self.stats_rows[table], self.rows)
        return self.rows

    def shape_for(self, table: str, column: str) -> ColumnShape | None:
        """The column's shape as the config describes it; None when it does not."""
        return self.columns.get((table.lower(), column.lower()))

    def csv_for(self, table: str) -> str | None:
        return self.csv.get(table.lower())


@dataclass
class ExplainSettings:
    threshold: float = 0.3
    statement_timeout_ms: int = 5000
    large_table_rows: int = 5000
    cache: bool = True
    min_cost: float = 50.0  # below this total cost a query is "cheap already"
    misestimate_factor: float = 10.0
    rescan_loops: int = 1000


MAX_ROWS = 1_000_000_000
# (low, high) of every number: a value outside is refused with its key, never clamped or read as "off"
EXPLAIN_RANGES = {
    "threshold": (0.0, 1.0),
    "statement_timeout_ms": (1, 3_600_000),
    "large_table_rows": (0, MAX_ROWS),
    "min_cost": (0.0, 1e12),
    "misestimate_factor": (1.0, 1e9),
    "rescan_loops": (1, MAX_ROWS),
}


def _num(value: Any, where: str, kind=(int, float), low: float | None = None, high: float | None = None) -> Any:
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{where}: expected {what}, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}: {value} is not a number advisor can use")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{where}: {value} is out of range ({low:g} to {high:g})")
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


def _stats_file(config: Config, value: Any, where: str) -> tuple[str, dict]:
    """The statistics file, inside the project, and its content; when it exists it must be JSON
    (checked now, not when a database is being seeded)."""
    import json

    from advisor import files

    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} stats: expected a file path")
    path = files.config_path(config, "[seed] stats", value)
    data: Any = {}
    if path.exists():
        try:
            data = json.loads(files.read_config_file(config, "[seed] stats", value))
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{where} stats: {value}:{exc.lineno}: not JSON ({exc.msg}); expected the output "
                "of `advisor stats export`"
            ) from None
        except (ValueError, RecursionError):  # a number of thousands of digits, or nesting past the parser's depth
            raise ConfigError(
                f"{where} stats: {value}: not the output of `advisor stats export` (a number too long or nesting "
                "too deep)"
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(f"{where} stats: {value}: expected a JSON object from `advisor stats export`")
        _check_stats(data, f"{where} stats: {value}")
    return str(path), data


# what `advisor stats export` writes: the fields that name a table or column (required), and the numbers of a
# table (optional, null allowed); checked before any of it reaches a database
_NAMES = {"tables": ("schema", "table"), "columns": ("schema", "table", "column")}
_TABLE_NUMBERS = ("relpages", "reltuples", "relallvisible")


def _check_stats(data: dict, where: str) -> None:
    """A version 1 statistics file has the shape `advisor stats export` writes; else a ConfigError naming the
    first entry and key that does not (a file of another version is reported when it is restored)."""
    if data.get("version") != 1:
        return
    for key, names in _NAMES.items():
        entries = data.get(key, [])
        if not isinstance(entries, list):
            raise ConfigError(f"{where}: {key}: expected a list")
        for n, entry in enumerate(entries):
            at = f"{where}: {key}[{n}]"
            if not isinstance(entry, dict):
                raise ConfigError(f"{at}: expected an object")
            for name in names:
                if not isinstance(entry.get(name), str):
                    raise ConfigError(f"{at}.{name}: expected a string")
            if key == "columns" and not isinstance(entry.get("inherited"), bool):
                raise ConfigError(f"{at}.inherited: expected true or false")
            for name in _TABLE_NUMBERS if key == "tables" else ():
                value = entry.get(name)
                if value is not None and _number(value) is None:
                    raise ConfigError(f"{at}.{name}: expected a number or null")


def _number(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def _stats_facts(data: dict, out: SeedSettings) -> None:
    """Table sizes and column facts for seeding from `advisor stats export`'s file (version 1);
    anything else in it is left to restore_stats, which reports what it cannot use."""
    if data.get("version") != 1:
        return
    for t in data.get("tables") or []:
        if not isinstance(t, dict) or not isinstance(t.get("table"), str):
            continue
        name = t["table"] if t.get("schema") in (None, "public") else f"{t['schema']}.{t['table']}"
        tuples = _number(t.get("reltuples"))
        if tuples is not None and tuples >= 1:  # -1: never analysed; 0: no rows known
            out.stats_rows[name] = min(int(round(tuples)), MAX_ROWS)
    for c in data.get("columns") or []:
        if not isinstance(c, dict) or c.get("inherited") or not isinstance(c.get("column"), str):
            continue
        if not isinstance(c.get("table"), str):
            continue
        name = c["table"] if c.get("schema") in (None, "public") else f"{c['schema']}.{c['table']}"
        null_frac, n_distinct = _number(c.get("null_frac")), _number(c.get("n_distinct"))
        if null_frac is not None and not 0 <= null_frac <= 1:
            null_frac = None
        out.stats_columns[(name, c["column"])] = ColumnFacts(null_frac, n_distinct)


def seed_settings(config: Config) -> SeedSettings:
    from advisor import files

    where = f"{config.label}: [seed]"
    raw = _section(config.seed or {}, where, SEED_KEYS)
    out = SeedSettings()
    if "rows" in raw:
        out.rows = int(_num(raw["rows"], f"{where} rows", int, 0, MAX_ROWS))
    if "seed" in raw:
        out.seed = int(_num(raw["seed"], f"{where} seed", int, 0, 2**32 - 1))
    if "shape" in raw:
        if raw["shape"] not in SHAPES:
            raise ConfigError(f"{where} shape: expected one of {', '.join(map(repr, SHAPES))}, got {raw['shape']!r}")
        out.shape = raw["shape"]
    if "stats" in raw:
        out.stats, data = _stats_file(config, raw["stats"], where)
        _stats_facts(data, out)
    csv = raw.get("csv", {})
    if not isinstance(csv, dict):
        raise ConfigError(f'{where} csv: expected a table of table = "path"')
    for table, path in csv.items():
        if not isinstance(path, str) or not path.strip():
            raise ConfigError(f"{where} csv.{table}: expected a file path")
        out.csv[table.lower()] = str(files.config_path(config, f"[seed.csv] {table}", path))
    tables = raw.get("tables", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{where} tables: expected a table per table name")
    for table, spec in tables.items():
        tw = f"{where} tables.{table}"
        _section(spec, tw, TABLE_KEYS)
        if "rows" in spec:
            out.tables[table.lower()] = int(_num(spec["rows"], f"{tw}.rows", int, 0, MAX_ROWS))
        columns = spec.get("columns") or {}
        if not isinstance(columns, dict):
            raise ConfigError(f"{tw}.columns: expected a table per column name")
        for column, shape in columns.items():
            out.columns[(table.lower(), column.lower())] = _column(shape, f"{tw}.columns.{column}")
    return out


def _column(shape: Any, cw: str) -> ColumnShape:
    _section(shape, cw, COLUMN_KEYS)
    cs = ColumnShape()
    if "distinct" in shape:
        cs.distinct = int(_num(shape["distinct"], f"{cw}.distinct", int, 1, MAX_ROWS))
    if "null_fraction" in shape:
        cs.null_fraction = float(_num(shape["null_fraction"], f"{cw}.null_fraction", low=0, high=1))
    if "skew" in shape:
        cs.skew = float(_num(shape["skew"], f"{cw}.skew", low=0, high=100))
    for bound in ("min", "max"):
        if bound in shape and (
            isinstance(shape[bound], (bool, dict, list))
            or (isinstance(shape[bound], float) and not math.isfinite(shape[bound]))
        ):
            raise ConfigError(f"{cw}.{bound}: expected a number, a date or a string, got {shape[bound]!r}")
    cs.min, cs.max = shape.get("min"), shape.get("max")
    if isinstance(cs.min, (int, float)) and isinstance(cs.max, (int, float)) and cs.min > cs.max:
        raise ConfigError(f"{cw}: min {cs.min} is above max {cs.max}")
    if "values" in shape:
        if not isinstance(shape["values"], list) or not shape["values"] or len(shape["values"]) > 100_000:
            raise ConfigError(f"{cw}.values: expected a non-empty list (of at most 100,000 values)")
        cs.values = list(shape["values"])
    return cs


def explain_settings(config: Config) -> ExplainSettings:
    where = f"{config.label}: [explain]"
    out = ExplainSettings()
    for key, value in _section(config.explain or {}, where, EXPLAIN_KEYS).items():
        if key == "cache":
            if not isinstance(value, bool):
                raise ConfigError(f"{where} cache: expected true or false")
            out.cache = value
        elif key in ("statement_timeout_ms", "large_table_rows", "rescan_loops"):
            setattr(out, key, int(_num(value, f"{where} {key}", int, *EXPLAIN_RANGES[key])))
        else:
            setattr(out, key, float(_num(value, f"{where} {key}", (int, float), *EXPLAIN_RANGES[key])))
    return out
