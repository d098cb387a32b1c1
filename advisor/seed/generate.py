"""Fill every table with data shaped like production, inside the server.

Set-based: one `INSERT ... SELECT ... FROM generate_series(lo, hi) AS g` per
chunk of a table, so a million rows never cross the wire.  Deterministic: every
"random" choice is `hashint8extended(g, salt)`, a pure function of the row
number and a per-column salt.

Every column value is an SQL expression of the row number `g`.  A foreign key
picks a parent row number `r` and uses the parent's own expressions with `g :=
r`, so it points at an existing row by construction, for any key type
(integer, text, uuid, composite).  Unique columns use an injective function of
`g`; columns of a composite unique key walk a mixed-radix counter.  CHECK
constraints of the common shapes are honoured (IN lists, ranges, BETWEEN,
the `^0x[0-9a-f]{N}$` pattern); a constraint advisor cannot satisfy is dropped
for the load and added back NOT VALID, and reported.

Fast: a table's indexes and foreign keys are set aside while its rows go in and
re-created after (one sort per index, one validating join per key, instead of work
per row), and expressions avoid per-row costs where the values allow it (a json
column that need not be unique picks one of a few prebuilt documents).
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
import zlib
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from advisor.errors import ConfigError
from advisor.seed import limits
from advisor.seed.limits import statement_timeout
from advisor.seed.settings import ColumnShape, SeedSettings
from advisor.seed.shapes import FANOUT_HEAD, FANOUT_HEAD_FRACTION, MAX_DELAY_SECONDS, SKEW, TableShape, table_shape

BASE_TS = "2025-01-01 00:00:00"
SPAN_SECONDS = 365 * 24 * 3600
CHUNK = 250_000
# the documents of a json column no unique index or `distinct` setting asks more of: every kind with every tag
JSON_DOCS = [f'{{"id": {i}, "kind": "k{i % 5}", "tags": ["t{i % 7}"]}}' for i in range(1, 36)]


@dataclass
class ColumnInfo:
    name: str
    type: str  # format_type
    typtype: str  # b, e, d, c...
    category: str  # pg typcategory of the base type
    base_type: str
    elem_type: str | None
    not_null: bool
    has_default: bool
    identity: str  # '', 'a', 'd'
    generated: str  # '', 's'
    max_length: int | None
    numeric_precision: int | None
    numeric_scale: int | None
    enum_values: list[str] = field(default_factory=list)
    default_value: Any = None  # the DEFAULT when it is a constant (a string, number or boolean)


@dataclass
class TableInfo:
    oid: int
    name: str  # schema-qualified if not public
    qname: str  # quoted
    columns: dict[str, ColumnInfo]
    unique_keys: list[tuple[str, ...]] = field(default_factory=list)
    unique_columns: set[str] = field(default_factory=set)  # in any unique index, as a key or inside an expression
    fks: list[tuple[tuple[str, ...], str, tuple[str, ...]]] = field(default_factory=list)  # cols, parent, parent cols
    checks: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)  # name, def, columns
    partition_key: list[str] = field(default_factory=list)
    partition_bounds: list[str] = field(default_factory=list)
    partitioned: bool = False


class SeedTooLarge(Exception):
    """The seed the configuration asks for would take more disk than advisor may use."""

    def __init__(self, need: int, budget: int):
        super().__init__(need, budget)
        self.need, self.budget = need, budget


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def introspect(conn) -> dict[str, TableInfo]:
    tables: dict[str, TableInfo] = {}
    rows = conn.execute("""
        SELECT c.oid, CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END,
               format('%I.%I', n.nspname, c.relname), c.relkind = 'p'
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
        ORDER BY 2""").fetchall()
    by_oid = {}
    for oid, name, qname, partitioned in rows:
        t = TableInfo(oid, name, qname, {}, partitioned=partitioned)
        tables[name] = t
        by_oid[oid] = t
    if not by_oid:
        return tables
    cols = conn.execute(
        """
        SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), t.typtype,
               bt.typcategory, format_type(bt.oid, NULL), et.typname IS NOT NULL AND bt.typcategory = 'A',
               format_type(et.oid, NULL), a.attnotnull, a.atthasdef, a.attidentity, a.attgenerated,
               information_schema._pg_char_max_length(bt.oid, CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END),
               information_schema._pg_numeric_precision(bt.oid, CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END),
               information_schema._pg_numeric_scale(bt.oid, CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END),
               CASE WHEN bt.typtype = 'e' THEN (SELECT array_agg(enumlabel::text ORDER BY enumsortorder)
                                                 FROM pg_enum WHERE enumtypid = bt.oid) END,
               pg_get_expr(ad.adbin, ad.adrelid)
        FROM pg_attribute a
        LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
        JOIN pg_type t ON t.oid = a.atttypid
        JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
        LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
        WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attrelid, a.attnum""",
        (list(by_oid),),
    ).fetchall()
    for (
        rel,
        name,
        typ,
        typtype,
        cat,
        base,
        is_array,
        elem,
        nn,
        hasdef,
        ident,
        gen,
        maxlen,
        prec,
        scale,
        enum,
        dflt,
    ) in cols:
        by_oid[rel].columns[name] = ColumnInfo(
            name,
            typ,
            typtype,
            cat,
            base,
            elem if is_array else None,
            nn,
            hasdef,
            ident or "",
            gen or "",
            maxlen,
            prec,
            scale,
            list(enum or []),
            _constant(dflt) if hasdef and not gen else None,
        )
    names = {}
    for oid, t in by_oid.items():
        names[oid] = {i + 1: c for i, c in enumerate(t.columns)}  # placeholder, fixed below
    attnames = conn.execute(
        """SELECT attrelid, attnum, attname FROM pg_attribute
                               WHERE attrelid = ANY(%s) AND attnum > 0 AND NOT attisdropped""",
        (list(by_oid),),
    ).fetchall()
    names = {}
    for rel, num, name in attnames:
        names.setdefault(rel, {})[num] = name
    for rel, keys, partial, exprs in conn.execute(
        """
            SELECT indrelid, indkey::int2[], indpred IS NOT NULL, indexprs IS NOT NULL FROM pg_index
            WHERE indisunique AND indrelid = ANY(%s)""",
        (list(by_oid),),
    ).fetchall():
        if partial or exprs or 0 in keys:
            continue
        by_oid[rel].unique_keys.append(tuple(names[rel][k] for k in keys))
    for rel, column in conn.execute(
        """
            SELECT DISTINCT i.indrelid, a.attname FROM pg_index i
            JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = i.indexrelid AND d.refobjid = i.indrelid
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = d.refobjsubid
            WHERE i.indisunique AND i.indrelid = ANY(%s)""",
        (list(by_oid),),
    ).fetchall():
        by_oid[rel].unique_columns.add(column)
    for rel, contype, conname, cdef, conkey, fref, fkey in conn.execute(
        """
            SELECT conrelid, contype, conname, pg_get_constraintdef(oid), conkey, confrelid, confkey
            FROM pg_constraint WHERE conrelid = ANY(%s) AND contype IN ('f', 'c', 'u', 'p')""",
        (list(by_oid),),
    ).fetchall():
        t = by_oid[rel]
        cols_ = tuple(names[rel][k] for k in (conkey or []))
        if contype == "f" and fref in by_oid:
            t.fks.append((cols_, by_oid[fref].name, tuple(names[fref][k] for k in fkey)))
        elif contype == "c":
            t.checks.append((conname, cdef, cols_))
        elif contype in ("u", "p") and cols_ and cols_ not in t.unique_keys:
            t.unique_keys.append(cols_)
    for rel, key in conn.execute(
        """SELECT partrelid, partattrs::int2[] FROM pg_partitioned_table
                                    WHERE partrelid = ANY(%s)""",
        (list(by_oid),),
    ).fetchall():
        by_oid[rel].partition_key = [names[rel][k] for k in key if k]
    for parent, bound in conn.execute(
        """
            SELECT i.inhparent, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = ANY(%s)""",
        (list(by_oid),),
    ).fetchall():
        by_oid[parent].partition_bounds.append(bound)
    for t in by_oid.values():
        t.unique_columns.update(c for key in t.unique_keys for c in key)  # a constraint's index records no column
    return tables


def _constant(expr: str | None) -> Any:
    """A column DEFAULT's value when it is a constant: 'pending'::text, false, 0."""
    if not expr:
        return None
    if expr in ("true", "false"):
        return expr == "true"
    m = re.fullmatch(r"'((?:[^']|'')*)'(?:::[\w\s\".\[\]()]+)?", expr) or re.fullmatch(
        r"\(?(-?\d+(?:\.\d+)?)\)?(?:::\w+)?", expr
    )
    if not m:
        return None
    text = m.group(1).replace("''", "'")
    if expr.startswith("'"):
        return text
    return float(text) if "." in text else int(text)


# --- value expressions -------------------------------------------------------------------


def _uniform(g: str, salt: int) -> str:
    """A deterministic uniform number in [0, 1) from the row number."""
    return f"((hashint8extended(({g})::int8, {salt}) & 4503599627370495)::float8 / 4503599627370496.0)"


def _salt(*parts: str) -> int:
    return zlib.crc32("\0".join(parts).encode()) & 0x7FFFFFFF


@dataclass
class Plan:
    """How a column is filled: a value function of an index k (1-based), and how k comes from g."""

    value: Callable[[str], str]  # k expression -> value expression
    distinct: int
    injective: bool = False


def _check_facts(table: TableInfo, column: str) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    qcol = re.escape(column)
    name = rf'(?:"{qcol}"|{qcol})'
    for _, cdef, cols in table.checks:
        if cols != (column,):
            continue
        m = re.search(r"=\s*ANY\s*\(\s*\(?\s*ARRAY\[(.*?)\]", cdef)
        if m:
            facts["values"] = [v for v in re.findall(r"'((?:[^']|'')*)'", m.group(1))] or [
                float(x) if "." in x else int(x) for x in re.findall(r"-?\d+(?:\.\d+)?", m.group(1))
            ]
        for op, num in re.findall(name + r"\s*(>=|>|<=|<)\s*\(?'?(-?\d+(?:\.\d+)?)", cdef):
            v = float(num) if "." in num else int(num)
            if op == ">=":
                facts["min"] = v
            elif op == ">":
                facts["min"] = v + (1 if isinstance(v, int) else 0.001)
            elif op == "<=":
                facts["max"] = v
            else:
                facts["max"] = v - (1 if isinstance(v, int) else 0.001)
        m = re.search(r"~\s*'\^0x\[0-9a-fA-F\]\{(\d+)\}\$'", cdef) or re.search(
            r"~\*?\s*'\^0x\[0-9a-f\]\{(\d+)\}\$'", cdef
        )
        if m:
            facts["hex"] = int(m.group(1))
    return facts


def _partition_range(table: TableInfo, column: str) -> tuple[str, str] | list[str] | None:
    if table.partition_key != [column] or not table.partition_bounds:
        return None
    lows, highs, values = [], [], []
    for bound in table.partition_bounds:
        m = re.match(r"FOR VALUES FROM \((.*)\) TO \((.*)\)", bound)
        if m:
            lows.append(m.group(1))
            highs.append(m.group(2))
        m = re.match(r"FOR VALUES IN \((.*)\)", bound)
        if m:
            values += [v.strip() for v in m.group(1).split(",")]
    if values:
        return values
    lows = [low for low in lows if low != "MINVALUE"]
    highs = [h for h in highs if h != "MAXVALUE"]
    if lows and highs:
        return min(lows), max(highs)  # literals of one type sort as text for ISO dates and same-width numbers
    return None


_INTEGER_RANGE = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
    "oid": (0, 2**32 - 1),
}


def _bound(table: TableInfo, col: ColumnInfo, key: str, value: object) -> float:
    """A `min` / `max` of a number column as a number, or a ConfigError naming the setting (the config
    is read before the schema: only now is the column's type known)."""
    if isinstance(value, int):
        return value  # exact, however large (a float would round past 2**53)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ConfigError(
            f"[seed.tables.{table.name}.columns.{col.name}] {key}: {value!r} is not a number, and "
            f"{table.name}.{col.name} is {col.type}"
        )
    return number


def value_plan(
    table: TableInfo, col: ColumnInfo, shape: ColumnShape, rows: int, salt: int, unique: bool = False
) -> Plan:
    """unique: the column is in a unique index, so the value must be an injective function of k."""
    facts = _check_facts(table, col.name)
    values = shape.values or facts.get("values") or (col.enum_values or None)
    lo = shape.min if shape.min is not None else facts.get("min")
    hi = shape.max if shape.max is not None else facts.get("max")
    base = col.base_type
    cat = col.category
    prange = _partition_range(table, col.name)
    if isinstance(prange, list):
        values = [v.strip("'") for v in prange]
    if values:
        arr = (
            "ARRAY[" + ", ".join(_lit(v) for v in values) + f"]::{base}[]"
            if col.typtype != "e" and not col.enum_values
            else "ARRAY[" + ", ".join(_lit(v) for v in values) + f"]::{col.type}[]"
        )
        n = len(values)
        return Plan(lambda k: f"({arr})[1 + (({k}) - 1) % {n}]", n)
    if col.elem_type:
        elem = ColumnInfo(col.name, col.elem_type, "b", "", col.elem_type, None, True, False, "", "", None, None, None)
        elem.category = {"integer": "N", "bigint": "N", "smallint": "N", "text": "S", "uuid": "U"}.get(
            col.elem_type, "S"
        )
        inner = value_plan(table, elem, ColumnShape(), rows, salt, unique=True)
        return Plan(lambda k: f"ARRAY[{inner.value(k)}, {inner.value(f'({k}) + 1')}]::{col.type}", rows, True)
    if "hex" in facts:
        width = facts["hex"]
        return Plan(lambda k: f"('0x' || lpad(to_hex(({k})::int8), {width}, '0'))", rows, True)
    if base in ("smallint", "integer", "bigint", "oid"):
        cap = {"smallint": 32767, "integer": 2147483647}.get(base, 2**62)
        if lo is not None or hi is not None:
            lo_ = int(_bound(table, col, "min", lo if lo is not None else 0))
            hi_ = int(_bound(table, col, "max", hi)) if hi is not None else min(cap, lo_ + rows)
            least, most = _INTEGER_RANGE[base]
            for key, given, value in (("min", shape.min, lo_), ("max", shape.max, hi_)):
                # a bound the column cannot hold left the table empty ("integer out of range"), the run going on
                if given is not None and not least <= value <= most:
                    raise ConfigError(
                        f"[seed.tables.{table.name}.columns.{col.name}] {key}: {given!r} is out of range for "
                        f"{table.name}.{col.name}, {col.type} ({least:,} to {most:,})"
                    )
            width = max(1, hi_ - lo_ + 1)
            return Plan(lambda k: f"({lo_} + ((({k}) - 1) % {width}))::{base}", width, width >= rows)
        return Plan(lambda k: f"(({k}) % {cap})::{base}", rows, True)
    if base in ("numeric", "real", "double precision") or cat == "N":
        prec, scale = col.numeric_precision, col.numeric_scale or 0
        top = 10 ** min(prec - scale, 9) - 1 if prec else 100000
        low = _bound(table, col, "min", lo) if lo is not None else 0.0
        high = _bound(table, col, "max", hi) if hi is not None else float(min(top, 100000))
        cast = col.type if base == "numeric" else base
        step = (high - low) / max(rows, 1)
        digits = scale if base == "numeric" and prec else 2
        return Plan(
            lambda k: f"round(({low} + (((({k}) - 1) % {max(rows, 1)}) * {step!r}))::numeric, {digits})::{cast}",
            rows,
            False,
        )
    if base == "boolean":
        return Plan(lambda k: f"((({k}) % 2) = 0)", 2)
    if base == "uuid":
        return Plan(lambda k: f"md5('{salt}:' || ({k}))::uuid", rows, True)
    if base in ("timestamp with time zone", "timestamp without time zone", "date") or base.startswith("timestamp"):
        if isinstance(prange, tuple):
            start, end = prange
            span = f"extract(epoch FROM ({end}::timestamp - {start}::timestamp))"
            begin = f"{start}::timestamp"
        else:
            begin = f"{_lit(lo)}::timestamp" if lo is not None else f"'{BASE_TS}'::timestamp"
            span = f"extract(epoch FROM ({_lit(hi)}::timestamp - {begin}))" if hi is not None else str(SPAN_SECONDS)
        d = max(rows, 1)
        return Plan(
            lambda k: f"({begin} + make_interval(secs => floor(((({k}) - 1) % {d}) * ({span}) / {d})))::{col.type}",
            rows,
            base != "date",
        )
    if base.startswith("time"):
        return Plan(lambda k: f"('00:00'::time + make_interval(secs => ({k}) % 86400))::{col.type}", 86400)
    if base == "interval":
        return Plan(lambda k: f"make_interval(mins => ({k})::int)", rows, True)
    if base in ("jsonb", "json"):
        if not unique and (shape.distinct or 0) <= len(JSON_DOCS):
            # building a document costs a microsecond a row; picking one of a few prebuilt ones, nothing
            docs = "ARRAY[" + ", ".join(_lit(d) for d in JSON_DOCS) + f"]::{base}[]"
            return Plan(lambda k: f"({docs})[1 + (({k}) - 1) % {len(JSON_DOCS)}]", len(JSON_DOCS))
        # every row its own document; parsed from text, half the cost of jsonb_build_object
        return Plan(
            lambda k: (
                f"""('{{"id": ' || ({k}) || ', "kind": "k' || (({k}) % 5) || '", "tags": ["t' """
                f"""|| (({k}) % 7) || '"]}}')::{base}"""
            ),
            rows,
            True,
        )
    if base in ("vector", "halfvec"):  # pgvector's: as many components as the column's size (3 when it has none)
        size = re.fullmatch(r"\w+\((\d+)\)", col.type)
        n = min(int(size.group(1)), 4096) if size else 3
        parts = " || ',' || ".join(f"round(sin(({{k}}) * {i + 1})::numeric, 4)" for i in range(n))
        return Plan(lambda k: f"('[' || {parts.replace('{k}', k)} || ']')::{col.type}", rows, True)
    if base == "bytea":
        return Plan(lambda k: f"decode(md5(({k})::text), 'hex')", rows, True)
    if base in ("inet", "cidr"):
        return Plan(lambda k: f"('10.0.0.0'::inet + ({k})::int8)::{base}", rows, True)
    if base == "tsvector":
        return Plan(lambda k: f"to_tsvector('simple', 'word' || ({k}) || ' w' || (({k}) % 100))", rows, True)
    if cat == "S" or base in ("text", "character varying", "character", "citext", "name"):
        prefix = re.sub(r"[^a-z0-9]", "", col.name.lower())[:10] or "v"
        limit = col.max_length
        if limit is None or limit >= len(prefix) + 11:
            return Plan(lambda k: f"('{prefix}_' || ({k}))", rows, True)
        if limit >= 10:
            return Plan(lambda k: f"(({k})::text)", rows, True)
        return Plan(lambda k: f"right(({k})::text, {limit})", min(rows, 10**limit), rows < 10**limit)
    return Plan(lambda k: f"(({k})::text)::{col.type}", rows, True)


@dataclass
class TableSeed:
    table: TableInfo
    rows: int
    exprs: dict[str, Callable[[str], str]]  # column -> (g expression -> value expression)
    notes: list[str] = field(default_factory=list)


def _k_of(g: str, distinct: int, shape: ColumnShape, salt: int) -> str:
    """A value index in 1..distinct for row g: uniform, or power-law skewed."""
    u = _uniform(g, salt)
    if shape.skew:
        u = f"power({u}, {1.0 + float(shape.skew)!r})"
    return f"(1 + floor({distinct} * {u})::int8)"


def plan_table(
    table: TableInfo,
    settings: SeedSettings,
    seeds: dict[str, TableSeed],
    force_unique: AbstractSet[str] = frozenset(),
    null_off: AbstractSet[str] = frozenset(),
) -> TableSeed:
    rows = settings.rows_for(table.name)
    notes: list[str] = []
    fk_of: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...], int]] = {}
    for cols, parent, pcols in table.fks:
        for i, c in enumerate(cols):
            fk_of.setdefault(c, (parent, pcols[i], cols, pcols, i))
    single_unique = {k[0] for k in table.unique_keys if len(k) == 1} | set(force_unique)
    exprs: dict[str, Callable[[str], str]] = {}
    plans: dict[str, Plan] = {}

    def parent_rows(name: str) -> int:
        return seeds[name].rows if name in seeds else 0

    domains = {c.name: _check_facts(table, c.name).get("values") or c.enum_values for c in table.columns.values()}
    defaults = table_shape(table, settings, rows, domains)

    def shape_of(column: str) -> ColumnShape:  # what the config says, else the production-like default
        return settings.shape_for(table.name, column) or defaults.columns.get(column) or ColumnShape()

    # plain value plans first
    for col in table.columns.values():
        if col.generated:
            continue
        shape = shape_of(col.name)
        plans[col.name] = value_plan(
            table,
            col,
            shape,
            rows,
            _salt(table.name, col.name, str(settings.seed)),
            unique=col.name in table.unique_columns or col.name in force_unique,
        )

    # composite unique keys without an injective member: mixed-radix counters
    radix: dict[str, Callable[[str], str]] = {}
    for key in table.unique_keys:
        if len(key) < 2 or any(c in single_unique for c in key):
            continue
        if any(c in radix for c in key):
            continue
        injective = [c for c in key if c not in fk_of and plans[c].injective]
        if injective:
            single_unique.add(injective[0])  # one injective member makes the tuple unique
            continue
        sizes = []
        for c in key:
            if c in fk_of and fk_of[c][0] in seeds:
                sizes.append(max(1, parent_rows(fk_of[c][0])))
            else:
                sizes.append(max(1, plans[c].distinct if not plans[c].injective else rows))
        root = max(2, int(rows ** (1.0 / len(key))) + 1)
        sizes = [min(s, root) for s in sizes[:-1]] + [sizes[-1]]
        product = 1
        for s in sizes:
            product *= s
        if product < rows:
            notes.append(
                f"{table.name}: only {product} distinct ({', '.join(key)}) combinations; seeding {product} rows"
            )
            rows = product
        div = 1
        for c, s in zip(key, sizes):
            radix[c] = lambda g, div=div, s=s: f"(1 + ((({g}) - 1) / {div}) % {s})"  # type: ignore[misc]  # mypy#15459
            div *= s

    nulls: dict[str, float] = {}
    for col in table.columns.values():
        if col.generated or col.name not in plans:
            continue
        shape = shape_of(col.name)
        salt = _salt(table.name, col.name, str(settings.seed))
        nf = shape.null_fraction if shape.null_fraction is not None else 0.0
        if col.not_null or col.name in null_off:
            nf = 0.0
        fk = fk_of.get(col.name)
        if fk and fk[0] == table.name:  # a row's parent in its own table: filled once its key's values are planned
            exprs[col.name], nulls[col.name] = (lambda g: "NULL"), nf
            continue
        if fk and fk[0] in seeds:
            parent, pcol, cols, pcols, idx = fk
            pseed = seeds[parent]
            n_parent = max(1, pseed.rows)
            if col.name in radix:
                r = radix[col.name]
            elif col.name in single_unique:
                r = lambda g, n_parent=n_parent: f"(1 + ((({g}) - 1) % {n_parent}))"  # type: ignore[misc]  # mypy#15459
            else:
                # the first column of a multi-column FK picks the row; the others follow it
                lead = cols[0]
                lead_salt = _salt(table.name, lead, str(settings.seed))
                lead_shape = shape_of(lead)
                d = min(n_parent, lead_shape.distinct or n_parent)
                if lead in defaults.fanout:
                    r = functools.partial(_fanout, distinct=d, parents=n_parent, salt=lead_salt)
                else:
                    r = functools.partial(_k_of, distinct=d, shape=lead_shape, salt=lead_salt)
            pexpr = pseed.exprs.get(pcol)
            if pexpr is None:
                value = lambda g: "NULL"  # noqa: E731
            else:
                value = _then(r, pexpr)
        else:
            plan = plans[col.name]
            if col.name in radix:
                k = radix[col.name]
            elif col.name in single_unique or (
                (plan.injective or col.name in defaults.grows)
                and shape.distinct is None
                and shape.values is None
                and col.category not in ("B",)
                and col.base_type != "boolean"
                and not shape.skew
                and (_is_continuous(col) or col.name in defaults.grows)
            ):
                k = lambda g: f"({g})"
            else:
                d = shape.distinct or (len(shape.values) if shape.values else plan.distinct)
                d = max(1, min(d, plan.distinct if not plan.injective else d))
                k = functools.partial(_k_of, distinct=d, shape=shape, salt=salt)
            value = _then(k, plan.value)
        exprs[col.name] = value
        nulls[col.name] = nf
    for name, (parent, pcol, *_) in fk_of.items():
        if parent == table.name and name in exprs and pcol in exprs and pcol != name:
            # an earlier row's key (`knowledge.originalId REFERENCES knowledge`): loaded before it, in any batch
            exprs[name] = lambda g, key=exprs[pcol]: key(f"(1 + ((({g}) * 7919) % greatest(({g}) - 1, 1)))")  # type: ignore[misc]  # mypy#15459
    _follow(table, defaults, exprs, settings.seed)
    for name, nf in nulls.items():
        if nf > 0:
            salt = _salt(table.name, name, str(settings.seed))
            exprs[name] = lambda g, inner=exprs[name], salt=salt, nf=nf: (  # type: ignore[misc]  # mypy#15459
                f"(CASE WHEN {_uniform(g, salt ^ 0x5BD1E995)} < {nf!r} THEN NULL ELSE {inner(g)} END)"
            )
    return TableSeed(table, rows, exprs, notes)


def _fanout(g: str, distinct: int, parents: int, salt: int) -> str:
    """A parent row for row g with a long tail (shapes.FANOUT_HEAD): a rank in 1..distinct drawn
    self-similarly, the busiest `head` ranks evenly; each rank a different row, spread over all
    `parents` by a prime step, so the busiest parent is not row 1 (the id an example literal names)."""
    a = 1.0 + SKEW
    head = min(1.0, max(FANOUT_HEAD, distinct * FANOUT_HEAD_FRACTION) / distinct)
    u = _uniform(g, salt)
    # the self-similar inverse u ** a below the head; above it a straight line that meets it there
    x = f"greatest({u} * {head ** (1 - 1 / a)!r}, power({u}, {a!r}))"
    return f"(1 + ((1 + floor({distinct} * {x})::int8) * 2147483647) % {parents})"


def _follow(table: TableInfo, defaults: TableShape, exprs: dict[str, Callable[[str], str]], seed: int) -> None:
    """Timestamps that must come after another of the row take its value plus a delay: none to
    MAX_DELAY_SECONDS, 80/20 towards none; a strict CHECK (b > a) adds a second (a day for a date).
    Built on the leader's value before its NULLs, so a follower never needs its leader."""
    done: set[str] = set()

    def resolve(name: str) -> None:
        lead, strict = defaults.follows[name]
        if name in done or name not in exprs or lead not in exprs:
            return
        done.add(name)
        if lead in defaults.follows:
            resolve(lead)
        col = table.columns[name]
        step = (" + interval '1 day'" if col.base_type == "date" else " + interval '1 second'") if strict else ""
        salt = _salt(table.name, name, str(seed)) ^ 0x2545F491
        lead_value, typ = exprs[lead], col.type
        exprs[name] = lambda g: (
            f"(({lead_value(g)}) + make_interval(secs => floor({MAX_DELAY_SECONDS} * "
            f"power({_uniform(g, salt)}, {1.0 + SKEW!r}))){step})::{typ}"
        )

    for name in defaults.follows:
        resolve(name)


def _then(inner: Callable[[str], str], outer: Callable[[str], str]) -> Callable[[str], str]:
    """g -> outer(inner(g)), bound now (a lambda in the loop would see the loop's last values)."""
    return lambda g: outer(inner(g))


def _is_continuous(col: ColumnInfo) -> bool:
    """Columns whose natural default is "every row different": keys, times, numbers."""
    return (
        col.base_type
        in (
            "smallint",
            "integer",
            "bigint",
            "uuid",
            "numeric",
            "real",
            "double precision",
            "bytea",
            "jsonb",
            "json",
            "interval",
            "inet",
            "tsvector",
        )
        or col.base_type.startswith("timestamp")
        or col.category in ("S",)
        or bool(col.elem_type)
    )


def order_tables(tables: dict[str, TableInfo]) -> list[str]:
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(tables)
    for t in tables.values():
        for _, parent, _ in t.fks:
            if parent != t.name and parent in tables:
                graph.add_edge(parent, t.name)
    while True:
        try:
            return list(nx.lexicographical_topological_sort(graph))
        except nx.NetworkXUnfeasible:
            cycle = nx.find_cycle(graph)
            graph.remove_edge(*cycle[-1][:2])


def insert_sql(seed: TableSeed, lo: int, hi: int) -> str:
    t = seed.table
    cols = [c for c in t.columns.values() if not c.generated and c.name in seed.exprs]
    names = ", ".join(_q(c.name) for c in cols)
    values = ",\n  ".join(seed.exprs[c.name]("g") for c in cols)
    override = " OVERRIDING SYSTEM VALUE" if any(c.identity == "a" for c in cols) else ""
    return f"INSERT INTO {t.qname} ({names}){override}\nSELECT\n  {values}\nFROM generate_series({lo}::int8, {hi}::int8) AS g"


@dataclass
class SeedResult:
    rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


# bytes a seeded value takes, by type category (pg_type.typcategory), beside a row's 24-byte header
_WIDTHS = {"B": 1, "D": 8, "N": 8, "U": 16, "S": 32, "A": 64}


def estimated_bytes(tables: dict[str, TableInfo], settings: SeedSettings) -> int:
    """About how much disk the seed takes: each table's rows times a row's width (its header and one value a
    column, by type), twice over for its indexes and the WAL. An estimate to refuse a seed the disk cannot
    hold before writing any of it, not a measure."""
    total = 0
    for name, table in tables.items():
        width = 24 + sum(_WIDTHS.get(c.category, 16) for c in table.columns.values())
        total += settings.rows_for(name) * width * 2
    return total


def seed_database(
    conn,
    settings: SeedSettings,
    progress: bool = False,
    only: set[str] | None = None,
    disk_budget: int | None = None,
    private: bool = True,
) -> SeedResult:
    """Generate data for every table (CSV files where given), then VACUUM (ANALYZE). `disk_budget`: the bytes
    the seed may take (SeedTooLarge when the estimate is over it). `private`: the server is advisor's own, and
    PostgreSQL's messages are shown whole (secrets.server_message)."""
    import time

    import psycopg

    from advisor.secrets import server_message
    from advisor.seed.csvload import load_csv

    started = time.monotonic()
    conn.autocommit = True
    # the private server commits asynchronously; VACUUM can only mark a page all-visible once the
    # commit of its rows is flushed, so this session commits synchronously (cheap with fsync off)
    conn.execute("SET synchronous_commit = on")
    tables = introspect(conn)
    order = [t for t in order_tables(tables) if only is None or t in only]
    if disk_budget is not None:
        need = estimated_bytes({t: tables[t] for t in order}, settings)
        if need > disk_budget:
            raise SeedTooLarge(need, disk_budget)
    before = conn.execute("SHOW statement_timeout").fetchone()[0]  # the caller's, restored at the end
    conn.execute(
        f"SET statement_timeout = '{statement_timeout(max((settings.rows_for(t) for t in order), default=0))}'"
    )
    result = SeedResult()
    result.notes += unknown_settings(settings, tables)
    seeds: dict[str, TableSeed] = {}
    total = sum(settings.rows_for(t) for t in order)
    bar = _progress(progress, total)
    try:
        for n, name in enumerate(order):
            if limits.over():  # the database stage's time limit: no table more, and no VACUUM
                result.notes.append(f"{limits.over()} while seeding: {len(order) - n} table(s) left empty")
                break
            table = tables[name]
            csv = settings.csv_for(name)
            if csv:
                with _bulk_load(conn, table):
                    n = load_csv(conn, table, csv)
                seeds[name] = _csv_seed(table, n)
                result.rows[name] = n
                if bar:
                    bar.advance(settings.rows_for(name))
                continue
            force: set[str] = set()
            null_off: set[str] = set()
            dropped: list[tuple[str, str]] = []
            for _attempt in range(6):
                seed = plan_table(table, settings, seeds, force, null_off)
                try:
                    _load_table(conn, seed, bar)
                    break
                except psycopg.errors.UniqueViolation as exc:
                    cols = _constraint_columns(conn, exc.diag.constraint_name, table)
                    if not cols or set(cols) <= force:
                        result.notes.append(f"{name}: cannot satisfy {exc.diag.constraint_name}; table left empty")
                        seed = TableSeed(table, 0, seed.exprs)
                        break
                    force |= set(cols)
                except psycopg.errors.CheckViolation as exc:
                    cname = exc.diag.constraint_name
                    cols = _constraint_columns(conn, cname, table)
                    nullable = {c for c in cols if not table.columns[c].not_null} if cols else set()
                    if nullable - null_off:
                        null_off |= nullable
                        continue
                    cdef = next((d for n_, d, _ in table.checks if n_ == cname), None)
                    if cname is None or cdef is None:
                        result.notes.append(f"{name}: cannot satisfy {cname}; table left empty")
                        seed = TableSeed(table, 0, seed.exprs)
                        break
                    conn.execute(f"ALTER TABLE {table.qname} DROP CONSTRAINT {_q(cname)}")
                    dropped.append((cname, cdef))
                    result.notes.append(
                        f"{name}: CHECK {cname} ({cdef}) not satisfied by generated data; "
                        f"loaded without it, added back NOT VALID"
                    )
                except psycopg.Error as exc:
                    # a trigger or a default of the repository's ran: on a user's server its message could quote data;
                    # or the time limit cancelled it (the loop says so at the next table)
                    why = "cut by the time limit" if limits.over() else server_message(exc, name, private)
                    result.notes.append(f"{name}: not seeded: {why}")
                    seed = TableSeed(table, 0, seed.exprs)
                    break
            for cname, cdef in dropped:
                conn.execute(f"ALTER TABLE {table.qname} ADD CONSTRAINT {_q(cname)} {cdef} NOT VALID")
            seeds[name] = seed
            result.rows[name] = seed.rows
            result.notes += seed.notes
        _fix_sequences(conn)
        if tables and not limits.over():  # the user's tables only: the system catalogs would add a tenth of a second
            # VACUUM too: a live, vacuumed production table has its visibility map set, and without
            # it (relallvisible = 0) index-only scans are costed with a heap fetch per row
            conn.execute(f"SET statement_timeout = '{statement_timeout(sum(result.rows.values()))}'")
            conn.execute("VACUUM (ANALYZE) " + ", ".join(t.qname for t in tables.values()))
    finally:
        if bar:
            bar.stop()
        if not conn.closed:
            with contextlib.suppress(psycopg.Error):  # a broken connection: the error that broke it is the one to see
                conn.execute("SELECT set_config('statement_timeout', %s, false)", (before,))
    result.seconds = time.monotonic() - started
    return result


def _load_table(conn, seed: TableSeed, bar: _Bar | None) -> None:
    with _bulk_load(conn, seed.table):
        for lo in range(1, seed.rows + 1, CHUNK):
            hi = min(seed.rows, lo + CHUNK - 1)
            conn.execute(insert_sql(seed, lo, hi), prepare=False)
            if bar:
                bar.advance(hi - lo + 1)


@contextmanager
def _bulk_load(conn, table: TableInfo):
    """A transaction to fill the table in, with its indexes and foreign keys set aside meanwhile.

    Building an index once is several times cheaper than maintaining it row by row, and
    one validating join per foreign key replaces a trigger call per row.  An error (a
    duplicate found when a unique index is rebuilt, a dangling reference when a foreign
    key is re-added) rolls back the rows and the set-aside alike: the schema is as it was.
    """
    with conn.transaction():
        conn.execute("""SELECT set_config('maintenance_work_mem', greatest(setting::int8, 262144) || 'kB', true)
                        FROM pg_settings WHERE name = 'maintenance_work_mem'""")  # index builds sort in memory
        restore = []
        for drop, create in _set_aside(conn, table):
            conn.execute(drop)
            restore.append(create)
        if _wal_skippable(conn, table):
            conn.execute(f"TRUNCATE ONLY {table.qname}")
        # the schema's triggers are its code, not its data: not run for generated rows (pg_restore's
        # --disable-triggers); the foreign keys' system triggers stay
        conn.execute(f"ALTER TABLE {table.qname} DISABLE TRIGGER USER")
        yield
        conn.execute(f"ALTER TABLE {table.qname} ENABLE TRIGGER USER")
        for create in reversed(restore):  # indexes before the foreign keys that need them
            conn.execute(create)


def _wal_skippable(conn, table: TableInfo) -> bool:
    """Would a TRUNCATE let the load skip the WAL, and lose nothing?

    Under wal_level = minimal, a table truncated in the loading transaction gets a new
    file whose rows and index builds are not WAL-logged (about 15% of a load).  Only for
    an empty plain table that no foreign key (left in place) points at and with no ON
    TRUNCATE trigger, so the TRUNCATE itself changes nothing anyone can see.
    """
    oid = int(table.oid)
    return (
        not table.partitioned
        and conn.execute(f"""
        SELECT current_setting('wal_level') = 'minimal' AND NOT EXISTS (SELECT 1 FROM ONLY {table.qname})
          AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' AND confrelid = {oid})
          AND NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = {oid} AND tgtype & 32 <> 0)""").fetchone()[0]
    )


def _set_aside(conn, table: TableInfo) -> list[tuple[str, str]]:
    """(drop, re-create) statements for the foreign keys touching a plain table, then its indexes.

    Only what the definition functions reproduce exactly: plain tables (partitioned ones
    clone their indexes and keys into partitions), default tablespace, and no comment,
    CLUSTER mark, replica identity, storage option or statistics target that re-creating
    would lose.  Everything else stays in place and is maintained row by row, as before.
    """
    oid = int(table.oid)
    fks = conn.execute(f"""
        SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
               format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                      pg_get_constraintdef(c.oid)),
               r.relkind = 'r' AND NOT r.relispartition AND p.relkind = 'r' AND NOT p.relispartition
                 AND obj_description(c.oid, 'pg_constraint') IS NULL,
               c.confrelid = {oid}
        FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_class p ON p.oid = c.confrelid
        WHERE c.contype = 'f' AND c.conparentid = 0 AND {oid} IN (c.conrelid, c.confrelid)
        ORDER BY c.conname""").fetchall()
    movable = [(drop, create) for drop, create, ok, _ in fks if ok]
    if any(not ok and incoming for _, _, ok, incoming in fks):
        return movable  # a foreign key left in place needs this table's unique index
    indexes = conn.execute(f"""
        SELECT CASE WHEN k.oid IS NULL THEN format('DROP INDEX %s', i.indexrelid::regclass)
                    ELSE format('ALTER TABLE %s DROP CONSTRAINT %I', t.oid::regclass, k.conname) END,
               CASE WHEN k.oid IS NULL THEN pg_get_indexdef(i.indexrelid)
                    ELSE format('ALTER TABLE %s ADD CONSTRAINT %I %s', t.oid::regclass, k.conname,
                                pg_get_constraintdef(k.oid)) END
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid
        LEFT JOIN pg_constraint k
               ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x')
        WHERE i.indrelid = {oid} AND t.relkind = 'r' AND NOT t.relispartition
          AND i.indisvalid AND NOT i.indisclustered AND NOT i.indisreplident
          AND x.reltablespace = 0 AND x.reloptions IS NULL
          AND obj_description(i.indexrelid, 'pg_class') IS NULL
          AND (k.oid IS NULL OR obj_description(k.oid, 'pg_constraint') IS NULL)
          AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0)
        ORDER BY x.relname""").fetchall()
    return movable + indexes


def unknown_settings(settings: SeedSettings, tables: dict[str, TableInfo]) -> list[str]:
    """Seed settings naming a table or column the loaded schema does not have: a typo, said, not ignored."""
    notes = []
    known = {name.lower(): t for name, t in tables.items()}  # the config's names are lower-cased
    for table in sorted(set(settings.tables) | set(settings.csv)):
        if table not in known:
            notes.append(f"[seed] names table {table!r}, which the schema does not have: ignored")
    for table, column in sorted(settings.columns):
        if table in known and column not in {c.lower() for c in known[table].columns}:
            notes.append(f"[seed] tables.{table}.columns.{column}: {table} has no column {column!r}: ignored")
        elif table not in known and table not in settings.tables:
            notes.append(f"[seed] names table {table!r}, which the schema does not have: ignored")
    return notes


def _csv_seed(table: TableInfo, n: int) -> TableSeed:
    # children of a CSV-loaded table pick existing key values by row number from a snapshot
    def pick(col: str) -> Callable[[str], str]:
        return lambda g: f"(SELECT {_q(col)} FROM {table.qname} ORDER BY 1 OFFSET (({g}) - 1) % {max(n, 1)} LIMIT 1)"

    return TableSeed(table, n, {col: pick(col) for col in table.columns})


def _constraint_columns(conn, name: str | None, table: TableInfo) -> list[str]:
    if not name:
        return []
    row = conn.execute(
        """SELECT array_agg(a.attname::text) FROM pg_constraint c
                          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
                          WHERE c.conname = %s AND c.conrelid = %s""",
        (name, table.oid),
    ).fetchone()
    if row and row[0]:
        return list(row[0])
    row = conn.execute(
        """
        SELECT array_agg(a.attname::text) FROM pg_class i JOIN pg_index x ON x.indexrelid = i.oid
        JOIN pg_attribute a ON a.attrelid = x.indrelid
        WHERE i.relname = %s AND x.indrelid = %s
          AND (a.attnum = ANY(x.indkey::int2[])
               OR 0 = ANY(x.indkey::int2[]) AND a.attnum IN (  -- an expression, as lower(email): the columns it reads
                   SELECT d.refobjsubid FROM pg_depend d
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = i.oid AND d.refobjid = x.indrelid))""",
        (name, table.oid),
    ).fetchone()
    return list(row[0]) if row and row[0] else []


def _fix_sequences(conn) -> None:
    rows = conn.execute("""
        SELECT format('%I.%I', n.nspname, c.relname), a.attname, pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) IS NOT NULL""").fetchall()
    for qname, col, seq in rows:
        conn.execute(f"SELECT setval(%s, GREATEST(1, (SELECT max({_q(col)}) FROM {qname})::bigint))", (seq,))


class _Bar:
    def __init__(self, total: int):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("seeding"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("seed", total=total)
        self.progress.start()

    def advance(self, n: int) -> None:
        self.progress.advance(self.task, n)

    def stop(self) -> None:
        self.progress.stop()


def _progress(enabled: bool, total: int) -> _Bar | None:
    import sys

    if not enabled or not sys.stderr.isatty():
        return None
    return _Bar(total)
