"""A static model of MongoDB's query planner.

Given a filter, a sort and a projection, and the indexes known for the
collection, decide what the server would do: which index bounds the equality
prefix, whether the index order serves the sort (directions, equality keys
interleaved, `$in` exploded into a merge sort under 200 points), whether a range
follows, whether the plan is covered, or whether it scans the collection.  `$or`
needs an index for every clause.  For aggregations the leading `$match` / `$sort`
are planned after the reorderings the server applies by itself.

`{$exists: true}` reads every entry of an index that also holds the documents without the field (a
missing field is a null key; only a sparse or partial index leaves them out), fetching each document.

A hint (`{hint: 'name'}`, `.hint({a: 1})`) forces its index: the server scans it, with whatever bounds
it gives, and fails the query when it cannot use it (a partial index whose filter the query does not
imply); a hint advisor cannot tie to a declared index (or `$natural`, a forced scan) makes no plan.

What this does not model: multikey bounds, collations, index intersection,
cached plans, statistics (the real planner races candidate plans; here
the candidate that bounds most keys, then serves the sort, wins).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.ir import IndexDef, IndexKey
from advisor.mongo.patterns import regexp_call, runtime_regex_kind
from advisor.mongo.shape import Placeholder, Regex, is_operator

MAX_EXPLODE = 200  # internalQueryMaxScansToExplode
RANGE_OPS = {"$gt", "$gte", "$lt", "$lte"}
NEGATION_OPS = {"$ne", "$nin", "$not"}
GEO_OPS = {"$near", "$nearSphere", "$geoWithin", "$geoIntersects", "$within"}
SARGABLE = {"eq", "in", "range", "prefix", "elem"}
BOUNDING = {"range", "prefix", "elem", "in", "ne"}  # give index bounds short of one point
ID_INDEX = IndexDef(name="_id_", table="", keys=(IndexKey("_id"),), unique=True, method="mongo")


@dataclass
class Pred:
    field: str
    kind: str  # eq, in, range, prefix, regex, ne ($ne / $nin: bounds around the values), negation, exists,
    # null, elem ($elemMatch on the values), has ($elemMatch on subdocuments: their fields get their own), geo,
    # text, other
    value: Any
    path: tuple  # where it was written, relative to the query's spans
    n_in: int | None = None  # number of values of an $in, when known

    @property
    def sargable(self) -> bool:
        return self.kind in SARGABLE or self.kind == "null"

    @property
    def negative(self) -> bool:
        return self.kind in ("negation", "ne")

    @property
    def equality(self) -> bool:
        return self.kind in ("eq", "null") or (self.kind == "in" and (self.n_in is None or self.n_in <= MAX_EXPLODE))


@dataclass
class FilterInfo:
    preds: list[Pred] = field(default_factory=list)
    ors: list[list[FilterInfo]] = field(default_factory=list)  # each $or: its clauses
    or_paths: list[tuple] = field(default_factory=list)
    special: list[tuple[str, tuple]] = field(default_factory=list)  # ($where, path), ($text, path), ($expr, path)
    unknown: bool = False  # the filter (or part of it) is not known statically

    @property
    def empty(self) -> bool:
        return not self.preds and not self.ors and not self.special and not self.unknown

    def fields(self) -> list[str]:
        return [p.field for p in self.preds]


def _classify(fieldname: str, value: Any, path: tuple) -> list[Pred]:
    if isinstance(value, Regex):
        kind = "prefix" if value.anchored and not value.case_insensitive else "regex"
        return [Pred(fieldname, kind, value, path)]
    if isinstance(value, dict) and value and all(is_operator(k) for k in value):
        preds: list[Pred] = []
        for op, arg in value.items():
            p = path + (op,)
            if op == "$eq":
                preds.append(Pred(fieldname, "null" if arg is None else "eq", arg, p))
            elif op == "$in":
                n = len(arg) if isinstance(arg, list) else None
                if isinstance(arg, list) and any(isinstance(a, Regex) for a in arg):
                    preds.append(Pred(fieldname, "regex", arg, p))
                else:
                    preds.append(Pred(fieldname, "in", arg, p, n_in=n))
            elif op in RANGE_OPS:
                preds.append(Pred(fieldname, "range", arg, p))
            elif (
                op in ("$ne", "$nin")
                and not isinstance(arg, (dict, Regex))
                and not (isinstance(arg, list) and any(isinstance(a, (dict, Regex)) for a in arg))
            ):
                preds.append(Pred(fieldname, "ne", arg, p))  # the index bounds everything but the values
            elif op in NEGATION_OPS:
                preds.append(Pred(fieldname, "negation", arg, p))
            elif op == "$exists":
                preds.append(Pred(fieldname, "exists" if arg not in (False, 0) else "null", arg, p))
            elif op == "$regex":
                pattern = arg.pattern if isinstance(arg, Regex) else arg
                options = value.get("$options", "")
                flags = (arg.flags if isinstance(arg, Regex) else "") + (options if isinstance(options, str) else "")
                if isinstance(pattern, str):
                    rx = Regex(pattern, flags)
                    kind = "prefix" if rx.anchored and not rx.case_insensitive else "regex"
                    preds.append(Pred(fieldname, kind, rx, p))
                else:
                    preds.append(Pred(fieldname, runtime_regex_kind(pattern, flags, options), pattern, p))
            elif op == "$options":
                continue
            elif op == "$elemMatch" and isinstance(arg, dict) and not all(is_operator(k) for k in arg):
                preds += _element_preds(fieldname, arg, p)
            elif op == "$elemMatch":
                preds.append(Pred(fieldname, "elem", arg, p))
            elif op == "$all":
                preds.append(Pred(fieldname, "eq" if isinstance(arg, list) and arg else "other", arg, p))
            elif op in GEO_OPS:
                preds.append(Pred(fieldname, "geo", arg, p))
            else:  # $size, $type, $mod, $bits*, $jsonSchema...
                preds.append(Pred(fieldname, "other", arg, p))
        return preds
    if value is None:
        return [Pred(fieldname, "null", value, path)]
    if isinstance(value, Placeholder) and value.kind == "regex":  # new RegExp(...): a pattern, not a value
        source, given = regexp_call(value.text)
        kind = runtime_regex_kind(Placeholder("string", source), given or "", given) if source else "other"
        return [Pred(fieldname, kind, value, path)]
    return [Pred(fieldname, "eq", value, path)]


def _element_preds(fieldname: str, arg: dict, path: tuple) -> list[Pred]:
    """`{arr: {$elemMatch: {x: 1, y: {$gt: 2}}}}`: the array has an element (a condition that bounds no index
    key, kind "has"), and each condition on the element's fields holds for `arr.x`, `arr.y`, which an index
    on those paths bounds. Only the and-ed conditions: an $or inside is left to the fetch."""
    inner = analyse_filter(arg, path)
    return [Pred(fieldname, "has", arg, path)] + [
        Pred(f"{fieldname}.{p.field}", p.kind, p.value, p.path, p.n_in)
        for p in inner.preds
        if not p.field.startswith("$")
    ]


def analyse_filter(flt: Any, base: tuple = ("filter",)) -> FilterInfo:
    info = FilterInfo()
    if flt is None:
        return info
    if not isinstance(flt, dict):
        info.unknown = True
        return info
    for key, value in flt.items():
        path = base + (key,)
        if key == "$and" and isinstance(value, list):
            for i, clause in enumerate(value):
                sub = analyse_filter(clause, path + (i,))
                info.preds += sub.preds
                info.ors += sub.ors
                info.or_paths += sub.or_paths
                info.special += sub.special
                info.unknown |= sub.unknown
        elif key == "$or" and isinstance(value, list):
            clauses = [analyse_filter(c, path + (i,)) for i, c in enumerate(value)]
            if len(clauses) == 1:
                c = clauses[0]
                info.preds += c.preds
                info.special += c.special
                info.unknown |= c.unknown
            else:
                info.ors.append(clauses)
                info.or_paths.append(path)
        elif key == "$nor":
            info.preds.append(Pred("$nor", "negation", value, path))
        elif key in ("$where", "$expr", "$text", "$jsonSchema", "$comment", "$function"):
            if key != "$comment":
                info.special.append((key, path))
        elif is_operator(key):
            info.special.append((key, path))
        elif isinstance(key, str):
            info.preds += _classify(key, value, path)
        else:
            info.unknown = True
    return info


# --- indexes -----------------------------------------------------------------------------


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


def _plain(index: IndexDef) -> bool:
    return all(k.is_column for k in index.keys)


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


def _partial_satisfied(index: IndexDef, info: FilterInfo) -> bool:
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
            if not any(p.kind in ("eq", "range", "in") for p in preds):
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

    def score(self) -> tuple:
        return (self.bounded, self.eq_prefix, bool(self.sort_served), self.filtered, -len(self.index.keys))


@dataclass
class Plan:
    stage: str  # IDHACK, IXSCAN, COLLSCAN, OR, EMPTY, SPECIAL, UNKNOWN
    index: IndexDef | None = None
    candidate: Candidate | None = None
    sort: dict | None = None
    sort_served: bool | None = None  # None: no sort
    blocking_sort: bool = False
    covered: bool = False
    branches: list[Plan] = field(default_factory=list)
    unindexed_clauses: list[tuple[int, tuple]] = field(default_factory=list)  # (clause number, path) of an $or
    or_path: tuple | None = None
    info: FilterInfo | None = None
    note: str = ""
    sort_alternative: IndexDef | None = None  # another index bounds the filter and gives the order: a race
    or_alternative: bool = False  # an index bounds every $or clause too: the server races that plan (contained $or)

    def describe(self) -> str:
        if self.stage == "IXSCAN" and self.index is not None:
            s = f"IXSCAN {self.index.name}"
        elif self.stage == "OR":
            s = "OR(" + ", ".join(b.describe() for b in self.branches) + ")"
        else:
            s = self.stage
        if self.blocking_sort:
            s = "SORT ← " + s
        return s


def effective_sort(sort: Any, info: FilterInfo) -> list[tuple[str, int]]:
    """The sort keys that matter: a key bound to one value by equality sorts nothing."""
    if not isinstance(sort, dict):
        return []
    eq = {p.field for p in info.preds if p.kind in ("eq", "null")}
    out = []
    for k, d in sort.items():
        if not isinstance(k, str) or is_operator(k):
            continue
        if isinstance(d, dict):  # {$meta: 'textScore'}
            continue
        direction = -1 if (isinstance(d, (int, float)) and d < 0) or d in ("desc", "descending", "-1") else 1
        if k in eq:
            continue
        out.append((k, direction))
    return out


def _sort_served(fields: list[tuple[str, Any]], eq_fields: set[str], sort: list[tuple[str, int]]) -> bool:
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
    if not _plain(index):
        return None
    if not _partial_satisfied(index, info):
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
    uses_filter = bounded > 0 or all_keys
    served = _sort_served(fields, eq_fields, sort)
    if not uses_filter and not (sort and served):
        return None
    if sparse and not uses_filter:
        return None  # a sparse index would miss documents: not used for a sort alone
    # ESR: a key with a range predicate followed by a key the query binds by equality or sorts on. A sort key
    # after a range on a key the sort itself orders by, in an index whose order is the sort's, is no violation:
    # the walk in index order is the sorted order, the range only trims it (a queue's `{after: {$lte: now}}`
    # sorted by {after, _id} on that very index returns its first entry at once)
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
    filtered = sum(1 for name, _ in fields if by_field.get(name))
    return Candidate(
        index, eq_prefix, bounded, served if sort else None, uses_filter, range_before, covered, filtered, all_keys
    )


def plan_find(
    flt: Any,
    sort: Any,
    indexes: list[IndexDef],
    projection: Any = None,
    base: tuple = ("filter",),
    info: FilterInfo | None = None,
    hint: Any = None,
) -> Plan:
    info = info if info is not None else analyse_filter(flt, base)
    eff_sort = effective_sort(sort, info) if not one_document(info, indexes) else []
    sort_dict = dict(eff_sort) if eff_sort else None
    if info.unknown:
        return Plan("UNKNOWN", info=info, sort=sort_dict)
    if hint is not None:
        return _hinted(hinted_index(hint, indexes), info, eff_sort, projection)
    if any(k in ("$text",) for k, _ in info.special) or any(p.kind == "geo" for p in info.preds):
        return Plan("SPECIAL", info=info, sort=sort_dict, note="$text / geo queries need their special index")
    ids = [p for p in info.preds if p.field == "_id" and p.kind == "eq"]
    if ids and not info.ors:
        return Plan("IDHACK", index=ID_INDEX, info=info, sort=sort_dict, sort_served=True if eff_sort else None)
    all_indexes = [ID_INDEX] + [i for i in indexes if i.keys != ID_INDEX.keys]
    cands = [c for c in (evaluate(i, info, eff_sort, projection) for i in all_indexes) if c is not None]
    best = max(cands, key=Candidate.score) if cands else None
    if best is not None and best.uses_filter and not (best.all_keys and info.ors):
        plan = _ix_plan(best, info, sort_dict)
        if best.sort_served is False:  # an index on the same leading equality that gives the order
            lead = index_fields(best.index)[0][0]
            plan.sort_alternative = next(
                (
                    c.index
                    for c in cands
                    if c.sort_served and c.eq_prefix and lead in [f for f, _ in index_fields(c.index)[: c.eq_prefix]]
                ),
                None,
            )
        plan.or_alternative = _contained_or(info, all_indexes)
        return plan
    # the and-ed predicates bound nothing: an $or can still be answered clause by clause
    if info.ors:
        ors = info.ors[0]
        branches, missing = [], []
        for n, clause in enumerate(ors):
            merged = FilterInfo(
                preds=info.preds + clause.preds,
                ors=clause.ors,
                or_paths=clause.or_paths,
                special=clause.special,
                unknown=clause.unknown,
            )
            sub = plan_find(None, sort, indexes, None, info=merged)
            if sub.stage in ("COLLSCAN", "UNKNOWN", "EMPTY") or (
                sub.stage == "IXSCAN" and sub.candidate and (not sub.candidate.uses_filter or sub.candidate.all_keys)
            ):
                missing.append((n, info.or_paths[0] + (n,)))
            branches.append(sub)
        if not missing:
            served = all(b.sort_served in (True, None) for b in branches) if eff_sort else None
            return Plan(
                "OR",
                branches=branches,
                info=info,
                sort=sort_dict,
                sort_served=served,
                blocking_sort=bool(eff_sort) and not served,
                or_path=info.or_paths[0],
            )
        plan = Plan(
            "COLLSCAN",
            info=info,
            sort=sort_dict,
            unindexed_clauses=missing,
            or_path=info.or_paths[0],
            branches=branches,
        )
        if best is not None:  # an index still serves the sort: a full index scan, no blocking sort
            plan = _ix_plan(best, info, sort_dict)
            plan.unindexed_clauses = missing
            plan.or_path = info.or_paths[0]
            return plan
        plan.sort_served = False if eff_sort else None
        plan.blocking_sort = bool(eff_sort)
        return plan
    if best is not None:  # no predicate bound, but the index provides the order
        return _ix_plan(best, info, sort_dict)
    if not info.preds and not info.special:
        return Plan(
            "EMPTY", info=info, sort=sort_dict, sort_served=False if eff_sort else None, blocking_sort=bool(eff_sort)
        )
    return Plan(
        "COLLSCAN", info=info, sort=sort_dict, sort_served=False if eff_sort else None, blocking_sort=bool(eff_sort)
    )


def hinted_index(hint: Any, indexes: list[IndexDef]) -> IndexDef | None:
    """The declared index a hint names: by its name, or by its key pattern (`{a: 1, b: -1}`); None for a
    hint known only at run time, one advisor has seen no declaration of, or `{$natural: 1}`."""
    known = [ID_INDEX] + [i for i in indexes if i.keys != ID_INDEX.keys]
    if isinstance(hint, str):
        return next((i for i in known if i.name == hint), None)
    if isinstance(hint, dict) and hint and all(isinstance(k, str) for k in hint):
        pattern = [(k, (-1 if d < 0 else 1) if isinstance(d, (int, float)) else d) for k, d in hint.items()]
        return next((i for i in known if index_fields(i) == pattern), None)
    return None


def _hinted(index: IndexDef | None, info: FilterInfo, sort: list[tuple[str, int]], projection: Any) -> Plan:
    """The plan a hint forces: its index, with the bounds it gives (none: every entry in key order). A hint
    advisor cannot tie to a declared index, or one the server cannot use (it fails the query), is no plan."""
    sort_dict = dict(sort) if sort else None
    if index is None or not _plain(index) or not _partial_satisfied(index, info):
        return Plan("UNKNOWN", info=info, sort=sort_dict, note="hinted")
    cand = evaluate(index, info, sort, projection)
    if cand is None:  # no bounds and no order: the whole index, in key order
        fields = index_fields(index)
        served = _sort_served(fields, {p.field for p in info.preds if p.equality}, sort) if sort else None
        cand = Candidate(index, 0, 0, served, False, None)
    return _ix_plan(cand, info, sort_dict)


def boundable(info: FilterInfo) -> bool:
    """Some index could bound the filter: it has a predicate with index bounds (an unanchored or
    case-insensitive regex, a negation, `$size`... have none), or an $or every clause of which has."""
    if any(p.equality or p.kind in BOUNDING or p.kind in ("null", "exists") for p in info.preds):
        return True
    return any(all(boundable(c) for c in clauses) for clauses in info.ors)


def unused_reason(index: IndexDef, info: FilterInfo) -> str:
    """Why an index whose first key the filter names gives the filter no bounds."""
    fields = index_fields(index)
    first, kind = fields[0]
    preds = [p for p in info.preds if p.field == first]
    if kind == "hashed":
        return "a hashed index serves only equality"
    if not _plain(index):
        return f"a {kind} index serves only its own operators"
    if not _partial_satisfied(index, info):
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
        and _plain(index)
        and all(f in eq for f, _ in index_fields(index))
        and not (index.options.get("sparse") and any(isinstance(eq[f], Placeholder) for f, _ in index_fields(index)))
        and _partial_satisfied(index, info)
        for index in indexes
    )


def _contained_or(info: FilterInfo, indexes: list[IndexDef]) -> bool:
    """Every clause of the filter's $or, with the and-ed predicates pushed into it, has an index whose bounds
    use the clause: the server enumerates that OR plan too (a "contained $or", MongoDB 3.6+) and races it
    against the index the and-ed predicates chose, so which one reads the keys is not known statically."""
    if not info.ors:
        return False
    for clause in info.ors[0]:
        merged = FilterInfo(preds=info.preds + clause.preds)
        own = {p.field for p in clause.preds}
        if not own or clause.unknown or clause.ors:
            return False
        bounded = (evaluate(i, merged, []) for i in indexes)
        if not any(
            c is not None and c.uses_filter and own & {f for f, _ in index_fields(c.index)[: c.bounded]}
            for c in bounded
        ):
            return False
    return True


def _ix_plan(best: Candidate, info: FilterInfo, sort_dict: dict | None) -> Plan:
    return Plan(
        "IXSCAN",
        index=best.index,
        candidate=best,
        info=info,
        sort=sort_dict,
        sort_served=best.sort_served,
        blocking_sort=best.sort_served is False,
        covered=best.covered,
    )


# --- recommendations -----------------------------------------------------------------


def esr_keys(info: FilterInfo, sort: Any) -> list[tuple[str, int]]:
    """The index for this filter and sort in Equality, Sort, Range order."""
    keys: list[tuple[str, int]] = []
    seen: set[str] = set()

    def add(name: str, direction: int) -> None:
        if name not in seen and not name.startswith("$"):
            seen.add(name)
            keys.append((name, direction))

    for p in info.preds:
        if p.equality:
            add(p.field, 1)
    for name, direction in effective_sort(sort, info):
        add(name, direction)
    for p in info.preds:
        if p.kind in BOUNDING:
            add(p.field, 1)
    return keys


def same_keys(index: IndexDef, keys: list[tuple[str, int]]) -> bool:
    return [(f, d) for f, d in index_fields(index)] == keys


# --- aggregation -----------------------------------------------------------------------

MOVABLE_PAST = {"$project", "$addFields", "$set", "$unset"}
NO_PLAN_FIRST = {
    "$geoNear",
    "$search",
    "$searchMeta",
    "$vectorSearch",
    "$indexStats",
    "$collStats",
    "$documents",
    "$changeStream",
    "$listSessions",
    "$currentOp",
    "$planCacheStats",
    "$listLocalSessions",
    "$listSearchIndexes",
}


@dataclass
class Leading:
    """What the first $match / $sort of a pipeline hand to the query layer."""

    info: FilterInfo
    sort: dict | None
    sort_index: int | None  # position of the $sort stage
    match_indexes: list[int]
    limit: Any = None


def computed_fields(stage_name: str, spec: Any) -> set[str] | None:
    """Fields a projection-like stage computes (None: every field may change)."""
    if stage_name == "$unset":
        return {str(x) for x in spec} if isinstance(spec, list) else {spec} if isinstance(spec, str) else None
    if not isinstance(spec, dict):
        return None
    out = set()
    for k, v in spec.items():
        if stage_name == "$project" and (v in (0, 1, True, False)):
            continue
        out.add(str(k))
    return out


def _touches(info: FilterInfo, fields: set[str]) -> bool:
    def hit(name: str) -> bool:
        return any(name == f or name.startswith(f + ".") or f.startswith(name + ".") for f in fields)

    if any(hit(p.field) for p in info.preds):
        return True
    return any(_touches(c, fields) for clauses in info.ors for c in clauses) or bool(info.special and fields)


def leading_stages(pipeline: list) -> Leading | None:
    """The $match(es) and $sort the server hands to the query planner, after its own reorderings."""
    if not isinstance(pipeline, list) or not pipeline:
        return None
    first = pipeline[0]
    if isinstance(first, dict) and first and next(iter(first)) in NO_PLAN_FIRST:
        return None
    total = FilterInfo()
    sort = None
    sort_index = None
    match_indexes: list[int] = []
    computed: set[str] = set()
    limit = None
    for i, stage in enumerate(pipeline):
        if not isinstance(stage, dict) or len(stage) != 1:
            break
        name, spec = next(iter(stage.items()))
        if name == "$match":
            info = analyse_filter(spec, ("pipeline", i, "$match"))
            if computed and _touches(info, computed):
                break  # depends on computed values: stays where it is
            if info.unknown:
                total.unknown = True
            total.preds += info.preds
            total.ors += info.ors
            total.or_paths += info.or_paths
            total.special += info.special
            match_indexes.append(i)
        elif name == "$sort" and sort is None and not computed and limit is None:
            sort = spec if isinstance(spec, dict) else None
            sort_index = i
        elif name == "$limit":
            limit = spec
            break  # nothing moves ahead of a $limit
        elif name in MOVABLE_PAST:
            fields = computed_fields(name, spec)
            if fields is None:
                break
            computed |= fields
        else:
            break
    return Leading(total, sort, sort_index, match_indexes, limit)
