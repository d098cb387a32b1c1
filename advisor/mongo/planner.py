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

The filter is classified in `advisor.mongo.filters`, each index judged as a candidate in
`advisor.mongo.candidates`; here the candidates become a plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.ir import IndexDef, IndexKey
from advisor.mongo.candidates import (
    Candidate,
    evaluate,
    index_fields,
    one_document,
    partial_satisfied,
    plain_index,
    serves_sort,
)
from advisor.mongo.filters import BOUNDING, FilterInfo, analyse_filter
from advisor.mongo.shape import is_operator

ID_INDEX = IndexDef(name="_id_", table="", keys=(IndexKey("_id"),), unique=True, method="mongo")


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
    # an index that gives the order from its first key and holds the filter's equality fields, bounding none: for
    # a read of a few documents the server races a walk down it against sorting what the chosen index finds
    order_walk: IndexDef | None = None
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
        if best.sort_served is False:  # another index gives the order: the server races both plans
            lead, key = index_fields(best.index)[0][0], eff_sort[0][0]
            window = _window(info, key)
            plan.sort_alternative = next((c.index for c in cands if _gives_order(c, lead, key, window)), None)
            plan.order_walk = next((c.index for c in cands if _walks_in_order(c, info)), None)
        plan.or_alternative = _contained_or(info, all_indexes)
        return plan
    # the and-ed predicates bound nothing: an $or can still be answered clause by clause
    if info.ors:
        return _or_plan(info, sort, indexes, eff_sort, best)
    if best is not None:  # no predicate bound, but the index provides the order
        return _ix_plan(best, info, sort_dict)
    if not info.preds and not info.special:
        return Plan(
            "EMPTY", info=info, sort=sort_dict, sort_served=False if eff_sort else None, blocking_sort=bool(eff_sort)
        )
    return Plan(
        "COLLSCAN", info=info, sort=sort_dict, sort_served=False if eff_sort else None, blocking_sort=bool(eff_sort)
    )


def _gives_order(c: Candidate, lead: str, key: str, window: bool) -> bool:
    """Candidate c gives the sort's order and bounds the filter as well: its equality keys include the best
    index's leading field, or it reads a two-sided window of the sort key in order (`_window`)."""
    if not c.sort_served:
        return False
    fields = [f for f, _ in index_fields(c.index)]
    return bool(c.eq_prefix and lead in fields[: c.eq_prefix]) or (
        window and fields[c.eq_prefix : c.eq_prefix + 1] == [key]
    )


def _walks_in_order(c: Candidate, info: FilterInfo) -> bool:
    """Candidate c gives the order from its first key, bounding nothing, and holds every field the filter tests
    for equality: a walk down it tests them on its keys and fetches only the matches, a plan the server races
    against sorting what the chosen index finds (a walk that fetches every document to test them, down `_id`,
    is as bad as the sort, and the claim stays)."""
    fields = {f for f, _ in index_fields(c.index)}
    equal = {p.field for p in info.preds if p.kind in ("eq", "in")}
    return bool(c.sort_served) and not c.eq_prefix and bool(equal) and equal <= fields


def _window(info: FilterInfo, key: str) -> bool:
    """Both ends of a range on the sort key (`{t: {$gte: a, $lt: b}}`): an index on it reads that window in the
    order asked for, a plan the server races against sorting another index's matches (which wins depends on
    the data). `{_id: {$gt: cursor}}` is open-ended: in order, it walks everything after the cursor."""
    ends = {p.path[-1] for p in info.preds if p.kind == "range" and p.field == key}
    return bool(ends & {"$gt", "$gte"}) and bool(ends & {"$lt", "$lte"})


def _or_plan(
    info: FilterInfo, sort: Any, indexes: list[IndexDef], eff_sort: list[tuple[str, int]], best: Candidate | None
) -> Plan:
    """The plan of an $or whose and-ed predicates bound nothing: each clause planned with them; a clause no
    index serves leaves the whole $or a collection scan (or a full scan of the index that gives the order)."""
    sort_dict = dict(eff_sort) if eff_sort else None
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
    if index is None or not plain_index(index) or not partial_satisfied(index, info):
        return Plan("UNKNOWN", info=info, sort=sort_dict, note="hinted")
    cand = evaluate(index, info, sort, projection)
    if cand is None:  # no bounds and no order: the whole index, in key order
        fields = index_fields(index)
        served = serves_sort(fields, {p.field for p in info.preds if p.equality}, sort) if sort else None
        cand = Candidate(index, 0, 0, served, False, None)
    return _ix_plan(cand, info, sort_dict)


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
