"""What one index can do for a filter and a sort: the keys it bounds, whether its order serves the sort,
whether its partial filter or sparseness lets the server use it, whether it covers the query.
(advisor.mongo.planner chooses among these candidates.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from advisor.ir import IndexDef
from advisor.mongo.filters import BOUNDING, RANGE_OPS, FilterInfo, Pred
from advisor.mongo.shape import Placeholder, is_operator


def index_fields(index: IndexDef) -> list[tuple[str, int | str]]:
    """(field, direction) of a Mongo index; direction is 1/-1 or 'text', '2dsphere', 'hashed'..."""
    out: list[tuple[str, int | str]] = []
    for key in index.keys:
        if key.is_column:
            out.append((key.expr, -1 if key.desc else 1))
        else:
            name, _, kind = key.expr.rpartition(":")
            out.append((name or key.expr, kind or "special"))
    return out


def plain_index(index: IndexDef) -> bool:
    return all(k.is_column for k in index.keys)


def _excludes_few(index: IndexDef, preds: list[Pred]) -> bool:
    """Every condition on the index's one key is a `$ne`/`$nin`, and the index is unique: its bounds leave out
    one document per value excluded, and hold every other."""
    return bool(preds) and all(p.kind == "ne" for p in preds) and index.unique and len(index_fields(index)) == 1


def _matches_missing(p: Pred) -> bool:
    """A document without the field matches: `null`, `$exists: false`, a `$ne`/`$nin` not excluding null."""
    if p.kind == "null":
        return True
    if p.kind != "ne":
        return False
    values = p.value if isinstance(p.value, list) else [p.value]
    return None not in values


def _present_only(index: IndexDef, name: str) -> bool:
    """The index holds only documents that have `name` (sparse on that one key, or partial on
    `{name: {$exists: true}}`): `{name: {$exists: true}}` reads its entries, not the collection."""
    if index.options.get("sparse") and len(index.keys) == 1:
        return True
    pfe = index.options.get("partialFilterExpression")
    return isinstance(pfe, dict) and any(
        key == name and isinstance(cond, dict) and cond.get("$exists") in (True, 1) for key, cond in _conjuncts(pfe)
    )


def partial_satisfied(index: IndexDef, info: FilterInfo) -> bool:
    pfe = index.options.get("partialFilterExpression")
    if not pfe:
        return True
    if not isinstance(pfe, dict):
        return False
    by_field: dict[str, list[Pred]] = {}
    for p in info.preds:
        by_field.setdefault(p.field, []).append(p)
    for key, cond in _conjuncts(pfe):
        preds = by_field.get(key, [])
        if isinstance(cond, dict) and cond.get("$exists") in (True, 1):
            if not any(p.kind in ("eq", "in", "range", "prefix", "exists", "elem", "has") for p in preds):
                return False
        elif isinstance(cond, dict) and set(cond) & RANGE_OPS:
            if not all(any(_implies(p, op, bound) for p in preds) for op, bound in cond.items() if op in RANGE_OPS):
                return False
        elif isinstance(cond, dict) and "$type" in cond:
            # the server proves no condition but the same `$type` implies a `$type` (expression_algo's isSubsetOf
            # has no case for one): `{gameId: id}` cannot use an index partial on `{gameId: {$type: 'objectId'}}`
            if not any(p.kind == "other" and p.path[-1:] == ("$type",) and p.value == cond["$type"] for p in preds):
                return False
        elif isinstance(cond, dict) and "$eq" in cond:
            if not any(p.kind == "eq" and (p.value == cond["$eq"] or isinstance(p.value, Placeholder)) for p in preds):
                return False
        else:
            if not any(p.kind == "eq" and (p.value == cond or isinstance(p.value, Placeholder)) for p in preds):
                return False
    return True


def _implies(p: Pred, op: str, bound: Any) -> bool:
    """The predicate keeps the field within `op bound` (a range of a partial filter). A value known only at
    run time gets the benefit of the doubt: the server compares the real one."""
    if p.kind == "in" and isinstance(p.value, list):
        return bool(p.value) and all(_implies(Pred(p.field, "eq", v, p.path), op, bound) for v in p.value)
    if p.kind not in ("eq", "range", "in"):
        return False
    qop = p.path[-1] if p.kind == "range" else "$eq"
    value = p.value
    if isinstance(value, Placeholder) or isinstance(bound, Placeholder):
        return qop == "$eq" or (qop in ("$gt", "$gte")) == (op in ("$gt", "$gte"))
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (value, bound))
    if not numbers and not (isinstance(value, str) and isinstance(bound, str)):
        return False
    if qop != "$eq" and (qop in ("$gt", "$gte")) != (op in ("$gt", "$gte")):
        return False  # a bound on the other side leaves the field unbounded on this one
    strict = qop in ("$gt", "$lt")  # the query excludes the bound itself
    if op in ("$gt", "$gte"):
        return value > bound or (value == bound and (op == "$gte" or strict))
    return value < bound or (value == bound and (op == "$lte" or strict))


def _conjuncts(pfe: dict) -> list[tuple[str, Any]]:
    """(field, condition) of a partialFilterExpression, its top-level $and flattened."""
    out: list[tuple[str, Any]] = []
    for key, cond in pfe.items():
        if key == "$and" and isinstance(cond, list):
            for part in cond:
                out += _conjuncts(part) if isinstance(part, dict) else [("$and", part)]
        else:
            out.append((key, cond))
    return out


@dataclass
class Candidate:
    index: IndexDef
    eq_prefix: int  # leading keys bound by equality ($in counted)
    bounded: int  # keys with bounds before the scan becomes a range over everything after
    sort_served: bool | None
    uses_filter: bool
    range_before: tuple[str, str] | None  # ESR violation: (range field, later equality/sort field)
    covered: bool = False
    filtered: int = 0  # keys with any predicate: tested in the index, before fetching documents
    all_keys: bool = False  # used for `{first: {$exists: true}}`, with bounds [MinKey, MaxKey]: every entry read
    excluding: bool = False  # all_keys by a `$ne`/`$nin` on a unique key: every entry but the excluded ones read

    def score(self) -> tuple:
        return (self.bounded, self.eq_prefix, bool(self.sort_served), self.filtered, -len(self.index.keys))


def serves_sort(fields: list[tuple[str, Any]], eq_fields: set[str], sort: list[tuple[str, int]]) -> bool:
    if not sort:
        return True
    i = 0
    sign = 0
    for name, direction in fields:
        if i == len(sort):
            break
        if not isinstance(direction, int):
            return False
        want, want_dir = sort[i]
        if name == want:
            s = 1 if direction == want_dir else -1
            if sign == 0:
                sign = s
            elif s != sign:
                return False
            i += 1
            continue
        if name in eq_fields:
            continue
        return False
    return i == len(sort)


def evaluate(
    index: IndexDef, info: FilterInfo, sort: list[tuple[str, int]], projection: Any = None
) -> Candidate | None:
    fields = index_fields(index)
    if not fields:
        return None
    by_field: dict[str, list[Pred]] = {}
    for p in info.preds:
        by_field.setdefault(p.field, []).append(p)
    first, first_dir = fields[0]
    if first_dir == "hashed":
        if any(p.kind in ("eq", "in") for p in by_field.get(first, [])):
            return Candidate(index, 1, 1, False if sort else None, True, None)
        return None
    if not plain_index(index):
        return None
    if not partial_satisfied(index, info):
        return None
    sparse = bool(index.options.get("sparse"))
    if sparse and any(_matches_missing(p) for f, _ in fields for p in by_field.get(f, [])):
        return None  # the documents without the field match, and a sparse index leaves them out
    eq_fields = {f for f, ps in by_field.items() if any(p.equality for p in ps)}
    eq_prefix = 0
    bounded = 0
    for name, _ in fields:
        ps = by_field.get(name, [])
        if any(p.equality for p in ps):
            eq_prefix += 1
            bounded += 1
            continue
        if any(p.kind in BOUNDING or p.kind == "exists" and _present_only(index, name) for p in ps):
            bounded += 1
        break
    # `{$exists: true}` on the first key of an index that also holds documents without it (a missing field is a
    # null key): the server still uses the index, with bounds [MinKey, MaxKey], and fetches each entry's document
    all_keys = bounded == 0 and any(p.kind == "exists" for p in by_field.get(first, []))
    # `{_id: {$ne: id}, title: t}`: bounds around the values a `$ne`/`$nin` leaves out of a key no two documents
    # share, so every other entry is read (express-cart's uniqueness checks): no better than a scan
    excluding = bounded == 1 and eq_prefix == 0 and _excludes_few(index, by_field.get(first, []))
    all_keys = all_keys or excluding
    uses_filter = bounded > 0 or all_keys
    served = serves_sort(fields, eq_fields, sort)
    if not uses_filter and not (sort and served):
        return None
    if sparse and not uses_filter:
        return None  # a sparse index would miss documents: not used for a sort alone
    range_before = _range_before(fields, by_field, eq_fields, sort, served)
    covered = _covered(fields, info, projection, all_keys)
    filtered = sum(1 for name, _ in fields if by_field.get(name))
    return Candidate(
        index,
        eq_prefix,
        bounded,
        served if sort else None,
        uses_filter,
        range_before,
        covered,
        filtered,
        all_keys,
        excluding,
    )


def _range_before(
    fields: list[tuple[str, Any]],
    by_field: dict[str, list[Pred]],
    eq_fields: set[str],
    sort: list[tuple[str, int]],
    served: bool,
) -> tuple[str, str] | None:
    """An ESR violation, (range field, later field): a key with a range predicate followed by a key the query binds
    by equality or sorts on. A sort key after a range on a key the sort itself orders by, in an index whose order is
    the sort's, is no violation: the walk in index order is the sorted order, the range only trims it (a queue's
    `{after: {$lte: now}}` sorted by {after, _id} on that very index returns its first entry at once)."""
    range_before = None
    sort_fields = {f for f, _ in sort}
    seen_range = None
    for name, _ in fields:
        ps = by_field.get(name, [])
        if seen_range is None:
            if any(p.kind in ("range", "prefix", "ne") for p in ps) and not any(p.equality for p in ps):
                seen_range = name
            elif not ps and name not in sort_fields:
                break
            continue
        if name in eq_fields or (name in sort_fields and not (served and seen_range in sort_fields)):
            range_before = (seen_range, name)
            break
    return range_before


def _covered(fields: list[tuple[str, Any]], info: FilterInfo, projection: Any, all_keys: bool) -> bool:
    """The projection and the filter read only keys of the index: no document is fetched."""
    covered = False
    if isinstance(projection, dict) and projection:
        index_names = {f for f, _ in fields}
        incl = [k for k, v in projection.items() if v not in (0, False) and not is_operator(k)]
        id_ok = projection.get("_id") in (0, False) or "_id" in index_names
        covered = (
            bool(incl)
            and id_ok
            and all(k in index_names for k in incl if k != "_id")
            and all(p.field in index_names for p in info.preds)
            and not all_keys  # a null key is a missing field or a null: the document tells
            and not any(p.kind == "null" for p in info.preds)
            and not info.ors
            and not info.special
        )
    return covered


def unused_reason(index: IndexDef, info: FilterInfo) -> str:
    """Why an index whose first key the filter names gives the filter no bounds."""
    fields = index_fields(index)
    first, kind = fields[0]
    preds = [p for p in info.preds if p.field == first]
    if kind == "hashed":
        return "a hashed index serves only equality"
    if not plain_index(index):
        return f"a {kind} index serves only its own operators"
    if not partial_satisfied(index, info):
        return "it holds only the documents of its partialFilterExpression, which the filter does not imply"
    ops = sorted({str(p.path[-1]) for p in preds if is_operator(p.path[-1])})
    if index.options.get("sparse") and any(_matches_missing(p) for p in preds):
        what = ", ".join(ops) if ops else "null"
        return f"it is sparse, and {what} also matches the documents without {first}, which it leaves out"
    if any(p.kind == "regex" for p in preds):
        return "an unanchored or case-insensitive regex has no index bounds"
    if any(p.kind == "negation" for p in preds):
        return f"{', '.join(ops) or 'a negation'} has no index bounds"
    return f"{', '.join(ops) or 'its condition'} has no index bounds"


def one_document(info: FilterInfo, indexes: list[IndexDef]) -> bool:
    """The filter gives one value to every key of a unique index that holds the documents it matches:
    at most one document matches (nothing to sort). Not a sparse one given values known only at run time:
    a null there matches every document the index leaves out."""
    eq = {p.field: p.value for p in info.preds if p.kind == "eq" and not isinstance(p.value, list)}
    return any(
        index.unique
        and plain_index(index)
        and all(f in eq for f, _ in index_fields(index))
        and not (index.options.get("sparse") and any(isinstance(eq[f], Placeholder) for f, _ in index_fields(index)))
        and partial_satisfied(index, info)
        for index in indexes
    )
