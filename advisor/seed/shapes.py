"""Production-like shapes for the columns nobody described.

Uniform fake data flatters indexes: every value as common as any other, no NULLs, every parent
with the same number of children.  Advice that wins only on such data is a false positive, so a
column with no `[seed.tables.t.columns.c]` setting takes the shape real data has, as far as the
schema (and `[seed] stats`, when given) can tell:

- a foreign key picks its parent with a long tail: a few parents have most children;
- a short value list (an enum, a CHECK ... IN list, a flag with a default, a number with a default of 0
  or 1 named as a state of the row; a text or integer column named status, type, kind...) has one
  dominant value;
- a nullable column with no default and no part in a key is sometimes NULL;
- a timestamp that must follow another in the same row (a CHECK (b >= a), or updated_at after
  created_at, ended_at after started_at) does, by a long-tailed delay; every other timestamp
  grows with the row number, as in an append-only table.

One law for every skew: Gray et al.'s self-similar distribution with h = 0.2 ("Quickly
generating billion-record synthetic databases", SIGMOD 1994, section 8), the 80/20 rule at
every scale: 80% of the draws land on the first 20% of the values, 64% on the first 4%...
Its Gini coefficient, (a - 1) / (a + 1) with a = ln 0.2 / ln 0.8, is 0.76, as measured on real
user-item data in the Koblenz Network Collection (konect.cc: Epinions ratings 0.77, Filmtipset
0.77, Stack Overflow favourites 0.71, BookCrossing 0.66; Epinions' and Filmtipset's "balanced
inequality ratio" is 0.197: 80.3% of the edges on 19.7% of the nodes).

Explicit settings win: a column described in the config is seeded exactly as described (these
defaults do not add to it), and `[seed] shape = "uniform"` turns them all off.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.seed.settings import ColumnFacts, ColumnShape, SeedSettings

if TYPE_CHECKING:
    from advisor.seed.generate import ColumnInfo, TableInfo

# the `skew` of ColumnShape that makes Gray's self-similar law with h = 0.2: values are drawn as
# 1 + floor(n * u ** (1 + skew)), and Gray's exponent is ln(h) / ln(1 - h) = 7.21
SKEW = math.log(0.2) / math.log(0.8) - 1
# The law is fractal all the way up, which real data is not: at 10,000 parents it would give the
# busiest one 28% of all children, where the busiest user of those networks has 0.5% (Stack
# Overflow favourites) to 6.3% (MovieLens tags) of the edges.  So the busiest 1/625 of the parents
# (the law's fourth level: 41% of the children), and at least 16 of them, share their part evenly:
# no parent has more than 1/16 of the children; at 10,000 parents the busiest has 2.6%.
FANOUT_HEAD = 16
FANOUT_HEAD_FRACTION = 0.2**4
# a follower's delay after its leader: at most this many seconds, 80/20 towards none (median 5 hours)
MAX_DELAY_SECONDS = 30 * 24 * 3600
# distinct values of a status/type column whose values the schema does not list: the fixtures
# built from the seed guides list 3 to 6 for such columns (clearing, dchat, wallet-ledger, defi)
NAMED_DISTINCT = 5

# A NULL can be the common case or the rare one; when the name does not say, half and half, so
# that neither `x IS NULL` nor `x IS NOT NULL` alone can make an index look selective (real
# nullable columns range from 0.2% NULL to 88%: Olist's public orders and reviews datasets).
NULL_UNKNOWN = 0.5
# a soft delete, a revocation: the live rows, those applications read (GORM adds `deleted_at IS
# NULL` to every query of such a model), are the great majority
NULL_TOMBSTONE = 0.9
# a step of the row's life that nearly every row has reached: Olist's orders (99,441) lack
# order_delivered_customer_date in 3.0%, order_delivered_carrier_date in 1.8%, order_approved_at 0.2%
NULL_REACHED = 0.03

TOMBSTONE = set(
    "deleted archived removed revoked cancelled canceled banned blocked suspended disabled deactivated".split()
)
REACHED = set(
    "completed finished ended processed delivered read seen verified confirmed approved acknowledged paid shipped "
    "sent closed resolved updated modified".split()
)
CREATED = {"created", "creation", "inserted"}
STARTED = {"started", "start", "starts", "began", "begin", "begins", "opened", "from"}
# a timestamp named with one of these follows the row's start (when it has one), else its creation
AFTER_START = {"ended", "end", "ends", "finished", "stopped", "completed", "closed", "until", "to"}
AFTER_CREATION = (TOMBSTONE | REACHED | {"edited", "changed", "started", "expires", "expired", "expiry"}) - {"sent"}
LIFECYCLE = {"status", "state", "stage", "phase"}
FLAG_PREFIXES = {"is", "has", "can", "should", "was"}
NAMED_LOW = LIFECYCLE | {"type", "kind", "category", "role", "level", "priority", "tier"}
NAMED_TYPES = ("text", "character varying", "character", "smallint", "integer", "bigint")
# the values a lifecycle settles in: most rows have left the initial state for one of these
# (Olist's orders: 97.0% "delivered"; dchat's guide keeps a partial index for status = 'unread',
# the clearing guide queries status = 'stuck': the states an application looks for are the rare ones)
SETTLED = set(
    "completed complete done success succeeded successful delivered confirmed settled paid fulfilled processed "
    "finished resolved closed read acknowledged published approved accepted active sent".split()
)


@dataclass
class TableShape:
    """What the production-like defaults add to one table's plan."""

    columns: dict[str, ColumnShape] = field(default_factory=dict)  # the shape each undescribed column takes
    fanout: set[str] = field(default_factory=set)  # foreign-key columns that pick parents with a long tail
    follows: dict[str, tuple[str, bool]] = field(default_factory=dict)  # column -> (its leader, strictly after)
    grows: set[str] = field(default_factory=set)  # dates that grow with the row number, as timestamps do


def words(name: str) -> list[str]:
    """The words of a column name: created_at, createdAt and "CreatedAt" are all [created, at]."""
    return [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+", name)]


def is_time(col: ColumnInfo) -> bool:
    return col.base_type == "date" or col.base_type.startswith("timestamp")


def keys_of(table: TableInfo) -> set[str]:
    """Columns in a primary or unique key, a foreign key or the partition key: left as they are."""
    keys = set(table.unique_columns) | set(table.partition_key)
    for cols, _, _ in table.fks:
        keys.update(cols)
    return keys


def table_shape(table: TableInfo, settings: SeedSettings, rows: int, domains: dict[str, list[Any]]) -> TableShape:
    """The defaults for `table`'s columns that no setting describes; `domains`: the values a column
    may take (its enum or CHECK ... IN list), in declaration order."""
    described = {c for c in table.columns if settings.shape_for(table.name, c)}
    keys = keys_of(table)
    out = TableShape(follows=_followers(table, keys | described, settings.shape == "production"))
    if settings.shape != "production":
        return out  # a CHECK (b > a) is honoured all the same: it is a constraint, not a shape
    for cols, _, _ in table.fks:
        if cols[0] not in described:
            out.fanout.add(cols[0])
            parents = _distinct(settings.stats_columns.get((table.name, cols[0]), ColumnFacts()).n_distinct, rows)
            if parents is not None:  # production's count of parents that have children
                out.columns[cols[0]] = ColumnShape(distinct=parents)
    guarded = _null_guarded(table)
    for col in table.columns.values():
        if col.name in described or col.name in keys or col.generated or col.identity:
            continue
        facts = settings.stats_columns.get((table.name, col.name), ColumnFacts())
        shape = ColumnShape()
        if not col.not_null and not col.has_default and col.name not in guarded:
            shape.null_fraction = facts.null_frac if facts.null_frac is not None else _null_fraction(col)
        values = _ranked(col, domains.get(col.name))
        if values:
            shape.values, shape.skew = values, SKEW
        elif col.base_type in NAMED_TYPES and (words(col.name) or [""])[-1] in NAMED_LOW:
            shape.distinct, shape.skew = NAMED_DISTINCT, SKEW
        distinct = _distinct(facts.n_distinct, rows)
        if distinct is not None and not shape.values and not is_time(col):  # a time keeps growing with the row
            shape.distinct, shape.skew = distinct, 0.0  # production's count; its frequencies are not exported
        if shape != ColumnShape():
            out.columns[col.name] = shape
        if col.base_type == "date" and shape.distinct is None and not shape.values:
            out.grows.add(col.name)  # many rows a day, in the order they came
    return out


def _null_fraction(col: ColumnInfo) -> float:
    if is_time(col):
        said = set(words(col.name))
        if said & CREATED:
            return 0.0  # a row is created when it is inserted: whatever the schema allows, it has the time
        if said & TOMBSTONE:
            return NULL_TOMBSTONE
        if said & REACHED:
            return NULL_REACHED
    return NULL_UNKNOWN


def _null_guarded(table: TableInfo) -> set[str]:
    """Columns of a CHECK that speaks of NULL (receiver_id IS NOT NULL OR group_id IS NOT NULL): a
    NULL there may break it, so they get none by default."""
    out: set[str] = set()
    for _, cdef, cols in table.checks:
        if re.search(r"\bNULL\b|num_nulls|num_nonnulls|coalesce", cdef, re.IGNORECASE):
            out.update(cols)
    return out


def _distinct(n_distinct: float | None, rows: int) -> int | None:
    """Production's distinct count scaled to the seeded rows (pg_stats: a count, or minus a fraction)."""
    if n_distinct is None or n_distinct == 0 or n_distinct <= -0.999:
        return None  # unknown, or every row different: the generator's own default
    count = n_distinct if n_distinct > 0 else -n_distinct * rows
    return max(1, min(int(round(count)), rows))


def _integer_flag(col: ColumnInfo) -> bool:
    """An integer column that stands for a boolean: a default of 0 or 1 and a name that says a state the row is in
    (`is_guest`, `has_avatar`, `deactivated`, `processed`), not a count (`retries DEFAULT 0`)."""
    said = words(col.name)
    if col.base_type not in ("smallint", "integer", "bigint") or col.default_value not in (0, 1) or not said:
        return False
    return isinstance(col.default_value, int) and (said[0] in FLAG_PREFIXES or said[-1] in TOMBSTONE | REACHED)


def _ranked(col: ColumnInfo, domain: list[Any] | None) -> list[Any] | None:
    """The column's values, most common first; None when it has no short list of values.

    A flag's default is its common value (is_active DEFAULT true, is_deleted DEFAULT false); with
    no default a flag stays half and half.  In a lifecycle (status, state) the default is the
    initial state rows leave: the settled values come first and the default last; elsewhere (a
    role, a kind) the default comes first, then the order the schema lists them in.
    """
    default = col.default_value
    if col.base_type == "boolean":
        return [default, not default] if isinstance(default, bool) else None
    if not domain and _integer_flag(col):  # `deactivated smallint DEFAULT 0`: a flag kept as a number (Synapse)
        return [default, 1 - default]
    if not domain or len(domain) < 2:
        return None
    if LIFECYCLE & set(words(col.name)):
        settled = [v for v in domain if isinstance(v, str) and set(words(v)) & SETTLED]
        rest = [v for v in domain if v not in settled and v != default]
        return settled + rest + ([default] if default in domain else [])
    if default in domain:
        return [default] + [v for v in domain if v != default]
    return list(domain)


def _followers(table: TableInfo, fixed: set[str], by_name: bool) -> dict[str, tuple[str, bool]]:
    """Timestamps that must come after another of the same row: by a CHECK (b >= a, b > a), or
    (`by_name`) by their names (updated_at after created_at, ended_at after started_at).  Never a
    key or a described column; never a cycle."""
    times = {c.name: c for c in table.columns.values() if is_time(c) and not c.generated}
    out: dict[str, tuple[str, bool]] = {}
    for _, cdef, cols in table.checks:
        if len(cols) != 2 or not all(c in times for c in cols):
            continue
        for left, op, right in re.findall(rf"({_NAME})\s*(>=|>|<=|<)\s*({_NAME})", cdef):
            left, right = _unquote(left), _unquote(right)
            if {left, right} != set(cols):
                continue
            late, early = (left, right) if op.startswith(">") else (right, left)
            if late not in fixed:
                out.setdefault(late, (early, op in (">", "<")))
    created = _first(times, CREATED)
    started = _first(times, STARTED)
    for name in times if by_name else ():
        said = set(words(name))
        if name in out or name in fixed or said & (CREATED | {"timestamp"}):
            continue
        lead = None
        if said & AFTER_START and started and started != name:
            lead = started
        elif said & AFTER_CREATION and created and created != name:
            lead = created
        if lead:
            out[name] = (lead, False)
    # a chain (ended -> started -> created) is fine; a loop (a CHECK against the names) is cut
    for name in list(out):
        seen, at = {name}, out[name][0]
        while at in out:
            if at in seen:
                del out[name]
                break
            seen.add(at)
            at = out[at][0]
    return out


_NAME = r'"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*'


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def _first(columns: dict[str, ColumnInfo], vocabulary: set[str]) -> str | None:
    return next((name for name in columns if set(words(name)) & vocabulary), None)
