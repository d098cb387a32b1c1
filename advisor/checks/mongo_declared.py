"""MongoDB rules over the declared indexes: one key pattern declared twice with different options or names,
a unique index implied by a unique prefix that no query needs beyond it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from advisor.checks import Hit, schema_check
from advisor.ir import IndexDef, Location, Schema
from advisor.mongo.candidates import index_fields
from advisor.mongo.shape import drop_index_command, format_value, js_string
from advisor.sources.mongo_names import run_time

CONFLICT_OPTIONS = (
    "unique",
    "sparse",
    "expireAfterSeconds",
    "partialFilterExpression",
    "collation",
    "hidden",
    "weights",
    "wildcardProjection",
)


def option_key(index: IndexDef) -> tuple:
    return tuple(
        (k, repr(index.options.get(k)))
        for k in CONFLICT_OPTIONS
        if index.options.get(k) is not None
        and not (k in ("unique", "sparse", "hidden") and index.options.get(k) is False)
    )


def _opt(index: IndexDef, key: str) -> str:
    value = index.options.get(key)
    return "unset" if value is None else format_value(value)


DISTINCT_OPTIONS = ("collation", "partialFilterExpression")  # these make a second index on the same keys


@schema_check("index-option-conflict")
def index_option_conflict(schema: Schema):
    groups: dict[tuple, list[IndexDef]] = defaultdict(list)
    for index in schema.indexes:
        if index.method == "mongo" and not run_time(index.table):  # named at run time: maybe another collection
            distinct = tuple(repr(index.options.get(k)) for k in DISTINCT_OPTIONS)
            fresh = index.options.get("fresh")  # declared after its collection was dropped: meets no earlier one
            groups[(index.table, index.keys, distinct, fresh)].append(index)
    for group in groups.values():
        group = sorted(group, key=lambda i: i.location or Location("", 0))
        for n, other in enumerate(group[1:], 1):
            first = next((i for i in group[:n] if not _alternatives(i, other)), None)
            if other.location is None or first is None:
                continue
            if option_key(other) != option_key(first):
                if _refused_harmlessly(first, other):
                    continue
                yield _options_conflict(first, other)
            elif other.name != first.name:
                yield _name_conflict(first, other)


def _refused_harmlessly(first: IndexDef, other: IndexDef) -> bool:
    """One mongoose model's field index (`id: { unique: true }`) and its schema.index() of the same keys asking
    for nothing the field's does not have (`schema.index({ id: 1 })`): mongoose builds the field's first, so the
    second is refused with a warning and every option asked for is live (@openneuro/server's WorkerTask)."""
    model = first.options.get("model")
    if model is None or model != other.options.get("model") or not first.options.get("field"):
        return False
    return not other.options.get("field") and set(option_key(other)) <= set(option_key(first))


def _alternatives(a: IndexDef, b: IndexDef) -> bool:
    """Declared in a method and in its override (that does not call it): an instance runs one or the other
    (advisor.sources.python_index_when)."""
    variant = a.options.get("variant")
    return (
        variant is not None
        and variant == b.options.get("variant")
        and b.options.get("class") not in str(a.options.get("runs_with", "")).split(",")
    )


def _keys_text(index: IndexDef) -> str:
    return "{ " + ", ".join(f"{f}: {d}" for f, d in index_fields(index)) + " }"


def _options_conflict(first: IndexDef, other: IndexDef) -> Hit:
    assert other.location is not None
    a, b = dict(option_key(first)), dict(option_key(other))
    differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    changes = ", ".join(f"{k} {_opt(other, k)} here, {_opt(first, k)} there" for k in differ)
    keys = _keys_text(first)
    return Hit(
        f"index {keys} on {first.table} is declared again with different options than at "
        f"{first.location} ({changes}): "
        "the server rejects the second createIndex with IndexOptionsConflict, and which options are "
        "live depends on which ran first",
        other.location,
        help="keep one declaration with the options you want; change an existing index with collMod "
        f"(e.g. db.runCommand({{ collMod: {js_string(first.table)}, index: {{ keyPattern: {keys}, "
        "expireAfterSeconds: N } }))",
        fix=drop_index_command(first.table, other.name) if other.name != first.name else None,
        subject=f"{first.table}:{keys}",
    )


def _name_conflict(first: IndexDef, other: IndexDef) -> Hit:
    assert other.location is not None
    keys = _keys_text(first)
    return Hit(
        f"index {keys} on {first.table} is declared again as {other.name!r}, but it already exists as "
        f"{first.name!r} (at {first.location}): the server rejects the second createIndex with "
        f"IndexOptionsConflict (an index with this key pattern exists under another name), so {other.name!r} "
        "never exists and code that hints or drops it by name fails",
        other.location,
        help=f"keep one declaration; if the name matters, drop {first.name!r} and declare it once as {other.name!r}",
        subject=f"{first.table}:{keys}:name",
    )


def unique_prefix(schema: Schema, queries: Iterable[Any] = ()):
    """A unique compound index whose leading keys are already unique on their own: the longer
    constraint is implied. (A plain compound index behind a unique key still serves sorts and
    covered reads on its later keys, as paging indexes { key: 1, _id: 1 } do: not reported. Nor is a
    unique one a query of the project needs for its later keys: `_needs_later_keys`.)"""
    queries = list(queries)
    unique = [
        i for i in schema.indexes if i.method == "mongo" and i.unique and _whole_collection(i) and not run_time(i.table)
    ]
    for index in unique:
        if len(index.keys) < 2 or index.location is None:
            continue
        names = [f for f, _ in index_fields(index)]
        lead = next(
            (
                u
                for u in unique
                if u is not index
                and u.table == index.table
                and len(u.keys) < len(index.keys)
                and [f for f, _ in index_fields(u)] == names[: len(u.keys)]
            ),
            None,
        )
        if lead is None or any(_needs_later_keys(q, schema, index, len(lead.keys)) for q in queries):
            continue
        prefix = ", ".join(names[: len(lead.keys)])
        rest = ", ".join(names[len(lead.keys) :])
        where = f", declared at {lead.location}" if lead.location else ""
        yield Hit(
            f"unique index {index.name} {_keys_text(index)} on {index.table} enforces nothing: {prefix} is already "
            f"unique on its own ({lead.name}{where}), so every ({prefix}, {rest}) is unique too, and a lookup by "
            f"{prefix} finds its one document through {lead.name}; every write still maintains both",
            index.location,
            help=f"decide which key is unique: if ({prefix}, {rest}) is, drop {lead.name} (this index serves lookups "
            f"by {prefix} too); if {prefix} is, drop this one: {drop_index_command(index.table, index.name)}",
            fix=drop_index_command(index.table, index.name),
            subject=f"{index.table}:{index.name}",
        )


def _needs_later_keys(query: Any, schema: Schema, index: IndexDef, lead: int) -> bool:
    """The query on the index's collection tests or sorts by a key after the unique prefix without pinning every
    key of the prefix to one value: a range on the prefix then bounded on a later key (`{ sy, s: { $lte },
    e: { $gte } }`), which only the longer index bounds inside the index. A filter advisor could not read
    whole may be one."""
    from advisor.checks.mongo_premises import all_preds, indexes_for, query_filters, stage_of
    from advisor.mongo.filters import analyse_filter
    from advisor.mongo.shape import MongoQuery, Placeholder

    if not isinstance(query, MongoQuery) or indexes_for(schema, query)[1] != index.table:
        return False
    names = [f for f, _ in index_fields(index)]
    prefix, later = set(names[:lead]), set(names[lead:])
    pipeline = query.pipeline if isinstance(query.pipeline, list) else []
    sorts = [query.sort] + [spec for name, spec in map(stage_of, pipeline) if name == "$sort"]
    if query.partial or isinstance(query.pipeline, Placeholder) or any(isinstance(s, Placeholder) for s in sorts):
        return True
    sorted_by = {k for sort in sorts if isinstance(sort, dict) for k in sort}
    for flt in [f for f, _ in query_filters(query)] or [{}]:  # no filter: every document, in the sort's order
        info = analyse_filter(flt)
        if info.unknown:
            return True
        preds = list(all_preds(info))
        pinned = {p.field for p in preds if p.equality}
        if ({p.field for p in preds} | sorted_by) & later and not prefix <= pinned:
            return True
    return False


def _whole_collection(index: IndexDef) -> bool:
    """A unique index that holds for every document (not sparse, not partial)."""
    return not index.options.get("sparse") and not index.options.get("partialFilterExpression")
