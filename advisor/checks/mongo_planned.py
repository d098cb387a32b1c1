"""The MongoDB rules read from the static planner's choice (collection-scan, in-memory-sort, esr-order,
or-unindexed): one plan per query, and each rule's message."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from advisor.checks import Hit
from advisor.checks.mongo_premises import (
    entity_documents,
    fields_text,
    fixed_value,
    known_indexes,
    operation_text,
    owner_documents,
    pins_unique,
    query_hit,
    stage_of,
)
from advisor.ir import IndexDef, Location, Schema
from advisor.mongo.candidates import index_fields, unused_reason
from advisor.mongo.filters import FilterInfo, analyse_filter, boundable
from advisor.mongo.indexes import describe_index, driver_indexes
from advisor.mongo.planner import ID_INDEX, Plan, esr_keys, leading_stages, plan_find, same_keys
from advisor.mongo.shape import (
    MULTI_READ_OPS,
    ONE_DOCUMENT_OPS,
    MongoQuery,
    Placeholder,
    create_index_spec,
    format_value,
)
from advisor.seed.settings import table_key


def planner_rules(query: MongoQuery, indexes: list[IndexDef], coll: str, schema: Schema) -> Iterator[tuple[str, Hit]]:
    """The planner's findings; for keys the code sets only under a condition, only what holds both
    with and without them."""
    indexes = indexes + [i for i in driver_indexes(coll) if all(i.keys != d.keys for d in indexes)]
    hits = list(_planned(query, indexes, coll))
    if query.conditional and isinstance(query.filter, dict):
        bare = {k: v for k, v in query.filter.items() if k not in query.conditional}
        also = {name for name, _ in _planned(replace(query, filter=bare), indexes, coll)}
        hits = [(name, hit) for name, hit in hits if name in also]
    yield from hits


@dataclass(frozen=True)
class _Planned:
    """One query as the planned rules see it: its filter and sort, the plan, where its hits point, and the
    index advisor would suggest (Equality, Sort, Range)."""

    query: MongoQuery
    indexes: list[IndexDef]
    coll: str
    info: FilterInfo
    sort: Any
    plan: Plan
    anchor: Location
    sort_anchor: Location
    what: str  # the query as a message names it

    @cached_property
    def keys(self) -> list[tuple[str, int]]:
        return esr_keys(self.info, self.sort)

    @cached_property
    def spec(self) -> str | None:
        return create_index_spec(self.coll, self.keys) if self.keys else None

    @cached_property
    def metrics(self) -> dict:
        return {"evidence": "static", "plan": self.plan.describe()}

    def hit(self, message: str, location: Location, **kw: Any) -> Hit:
        return query_hit(self.query, message, location, metrics=self.metrics, **kw)


def _planned_query(query: MongoQuery, indexes: list[IndexDef], coll: str) -> _Planned | None:
    """The query planned, or None where the planner makes no confident claim."""
    if query.operation in ("insertOne", "insertMany"):
        return None
    if query.is_aggregate:
        if not isinstance(query.pipeline, list):
            return None
        lead = leading_stages(query.pipeline)
        if lead is None:
            return None
        info = lead.info
        sort = lead.sort
        plan = plan_find(None, sort, indexes, None, info=info, hint=query.hint)
        anchor = query.at("pipeline", lead.match_indexes[0]) if lead.match_indexes else query.location
        sort_anchor = query.at("pipeline", lead.sort_index) if lead.sort_index is not None else anchor
        # the stages the server plans with the collection: a $match (with the $sort after it), or a leading $sort
        lead_stage = "the first $match" if lead.match_indexes else "the leading $sort"
        what = f"{lead_stage} of {query.collection}.aggregate"
    else:
        info = analyse_filter(query.filter)
        sort = query.sort
        plan = plan_find(query.filter, sort, indexes, query.projection, info=info, hint=query.hint)
        anchor = query.location
        sort_anchor = query.at("sort")
        what = f"{operation_text(query)}({format_value(query.filter)})"
    if plan.stage in ("UNKNOWN", "SPECIAL", "IDHACK") or query.sketch:
        return None  # a sketch of the filter (spread, keys set under a condition...): no confident claim
    return _Planned(query, indexes, coll, info, sort, plan, anchor, sort_anchor, what)


def _planned(query: MongoQuery, indexes: list[IndexDef], coll: str) -> Iterator[tuple[str, Hit]]:
    q = _planned_query(query, indexes, coll)
    if q is None:
        return
    plan, info = q.plan, q.info
    if _retention(query, info):
        return  # a retention delete reads what it removes, by design (whether it should take it at once: no claim)
    # a clause no index could bound (an unanchored regex: unanchored-regex says so) scans whatever is indexed
    if plan.unindexed_clauses and all(boundable(info.ors[0][n]) for n, _ in plan.unindexed_clauses):
        yield "or-unindexed", _or_unindexed(q)
        if plan.stage == "COLLSCAN" or (plan.candidate is not None and plan.candidate.all_keys):
            return
    if plan.stage == "COLLSCAN":
        if not q.keys or (not query.is_aggregate and _sweep(info)):
            return  # nothing an index could bound (negation-only / unanchored-regex say why); or a periodic
            # sweep of what is older than a cutoff, which reads the collection by design
        unused = _unindexed(info, indexes)
        if not unused:
            return  # only $or clauses, one of which no index could bound: the scan is theirs, not an index's
        yield "collection-scan", _collection_scan(q, unused)
        return
    if plan.stage == "EMPTY":
        if plan.blocking_sort and plan.sort and q.keys:
            yield "in-memory-sort", _sorts_collection(q)
        return
    if plan.candidate is not None and plan.candidate.all_keys:
        if plan.candidate.excluding:  # a scan in all but name (every other entry and document): judged as one
            if not _sweep(info) and (hit := _every_other_entry(q)) is not None:
                yield "collection-scan", hit
        elif _wants_few(query) and not _stops_early(query, plan):
            yield "collection-scan", _every_entry(q)
        return
    if plan.candidate is not None and not plan.candidate.uses_filter and info.preds and query.hint is None:
        # nothing bounded: the index is walked whole for its order, each document fetched to test the filter (not
        # an index the code hints: its choice, a partial index's matches among them, is the code's to make)
        unused = _unindexed(info, indexes) if q.keys and not _sweep(info) and not _on_keys(plan, info) else ""
        if unused:
            yield "collection-scan", _walked_for_order(q, unused)
        return
    # with another index that bounds the filter in the sort order, the server races both plans: no claim
    sorted_in_memory = (
        plan.blocking_sort
        and plan.sort
        and q.keys
        and plan.sort_alternative is None
        and not (plan.order_walk is not None and _wants_few(query))  # a page: the walk in order may win the race
        and not (plan.index is not None and same_keys(plan.index, q.keys))
        and not _owner_sort(query, plan, info)
        and not _listed_documents(query, info, indexes)
    )
    cand = plan.candidate
    misordered = (
        cand is not None
        and cand.range_before is not None
        and q.keys
        and plan.index is not None
        and not plan.or_alternative
    )
    if sorted_in_memory:  # one statement, one index to make: its keys out of order are part of this claim's fix
        yield "in-memory-sort", _in_memory_sort(q, misordered=bool(misordered))
    elif misordered:
        yield "esr-order", _esr_order(q)


def _or_unindexed(q: _Planned) -> Hit:
    """One finding per $or, at its first unindexed clause: one statement, one problem, an index per clause."""
    clauses, specs = [], []
    for n, _ in q.plan.unindexed_clauses:
        clause = q.info.ors[0][n]
        ckeys = esr_keys(FilterInfo(preds=q.info.preds + clause.preds), q.sort)
        clauses.append((n, clause))
        if ckeys:
            specs.append(create_index_spec(q.coll, ckeys))
    named = "; ".join(f"{n + 1} ({', '.join(c.fields()) or 'no field'})" for n, c in clauses)
    specs = list(dict.fromkeys(specs))  # clauses on the same fields (`{type: 'tcp'}`, `{type: 'tls'}`): one index
    several = len(clauses) > 1
    return q.hit(
        f"$or clause{'s' if several else ''} {named} of {q.what} ha{'ve' if several else 's'} no index, "
        f"so the whole $or scans the collection ({known_indexes(q.indexes)})",
        q.query.at(*q.plan.unindexed_clauses[0][1]),
        help=(
            "rewrite the clause so an index can serve it"
            if not specs
            else f"index each clause: {'; '.join(specs)}"
            if len(specs) > 1
            else f"one index serves every clause: {specs[0]}"
            if several
            else f"index that clause: {specs[0]}"
        )
        + "; every $or clause needs its own index for the server to use them",
        fix="\n".join(specs) or None,
        subject=f"{q.coll}:$or:{'|'.join(','.join(c.fields()) for _, c in clauses)}",
    )


def _collection_scan(q: _Planned, unused: str) -> Hit:
    sorted_too = " and sorts the result in memory" if q.plan.blocking_sort else ""
    return _scan(q, f"{q.what} scans the whole {q.coll} collection{sorted_too}: {unused} ({known_indexes(q.indexes)})")


def _scan(q: _Planned, message: str) -> Hit:
    """A claim that the query reads every document, with the index to create in Equality, Sort, Range order."""
    return q.hit(
        message,
        q.anchor,
        help=f"create the index in Equality, Sort, Range order: {q.spec}; if {q.coll} stays small, give its size "
        f"([seed.tables.{table_key(q.coll)}] rows = 100) and advisor makes no claim that rests on its size",
        fix=q.spec,
        subject=f"{q.coll}:{fields_text(q.keys)}",
    )


def _on_keys(plan: Any, info: FilterInfo) -> bool:
    """The walked index holds every field the filter tests: the walk tests them on its keys and fetches only the
    matches (every key is still read, but no document it does not return)."""
    fields = {f for f, _ in index_fields(plan.index)}
    return all(p.field in fields for p in info.preds)


def _walked_for_order(q: _Planned, unused: str) -> Hit:
    """A filter no index bounds, sorted by an index's order: the server walks that index from end to end and
    fetches every document to test the filter (as many documents as a collection scan reads, in the index's
    order), for the matches it returns."""
    assert q.plan.index is not None
    return _scan(
        q,
        f"{q.what} reads every document of the {q.coll} collection: {unused}; the server walks "
        f"{describe_index(q.plan.index)} from end to end for its order and fetches each document to test the filter "
        f"({known_indexes(q.indexes)})",
    )


def _sorts_collection(q: _Planned) -> Hit:
    """An empty filter sorted by what no index orders: the whole collection sorted in memory."""
    assert q.plan.sort is not None
    return q.hit(
        f"{q.what} sorts the whole {q.coll} collection in memory by {fields_text(list(q.plan.sort.items()))}: "
        "no index provides that order",
        q.sort_anchor,
        help=f"create an index in the sort order: {q.spec}",
        fix=q.spec,
        subject=f"{q.coll}:sort:{fields_text(q.keys)}",
    )


def _in_memory_sort(q: _Planned, misordered: bool = False) -> Hit:
    """`misordered`: the index used also puts a range before a later key (esr-order's claim), which the one
    index in Equality, Sort, Range order mends too: said in the help, not as a second finding."""
    plan = q.plan
    assert plan.sort is not None
    used = f"uses {describe_index(plan.index)}" if plan.index is not None else "uses an $or of indexes"
    order = ""
    if misordered and plan.candidate is not None and plan.candidate.range_before is not None:
        rng, later = plan.candidate.range_before
        order = f"; it also puts {later} before the range on {rng}, which {plan.index.name if plan.index else 'the index'} does not"
    return q.hit(
        f"{q.what} {used} but sorts in memory by {fields_text(list(plan.sort.items()))}: the index "
        "order does not provide the sort (a blocking SORT stage, limited to 100 MB, reads every match "
        "before returning the first)",
        q.sort_anchor,
        help=f"create the index in Equality, Sort, Range order: {q.spec}{order}",
        fix=q.spec,
        subject=f"{q.coll}:sort:{fields_text(q.keys)}",
    )


def _esr_order(q: _Planned) -> Hit:
    plan, index = q.plan, q.plan.index
    assert plan.candidate is not None and plan.candidate.range_before is not None and index is not None
    rng, later = plan.candidate.range_before
    role = "sort" if plan.sort and later in plan.sort else "equality"
    p = next((p for p in q.info.preds if p.field == rng), None)
    return q.hit(
        f"index {describe_index(index)} puts the range on {rng} before the {role} field "
        f"{later}: {q.what} reads every key in the {rng} range"
        + (" and sorts in memory" if role == "sort" and plan.blocking_sort else "")
        + " instead of only the matching ones",
        q.query.at(*p.path) if p is not None else q.anchor,
        help=f"order the keys Equality, Sort, Range: {q.spec}"
        + (f" (declared at {index.location})" if index.location else ""),
        fix=q.spec,
        subject=f"{q.coll}:{index.name}",
    )


def _unindexed(info: FilterInfo, indexes: list[IndexDef]) -> str:
    """Why no index bounds the filter's fields: those no index starts with, and for each the first key of an
    index, why that index cannot serve it (never "no index starts with" a field one starts with)."""
    fields = list(dict.fromkeys(p.field for p in info.preds if not p.field.startswith("$") and p.kind != "has"))
    leading: dict[str, IndexDef] = {}
    for index in [ID_INDEX, *indexes]:
        keys = index_fields(index)
        if keys:
            leading.setdefault(keys[0][0], index)
    free = [f for f in fields if f not in leading]
    parts = [f"no index starts with {', '.join(free)}"] if free else []
    parts += [f"{leading[f].name} cannot serve {f}: {unused_reason(leading[f], info)}" for f in fields if f in leading]
    return "; ".join(parts)


def _wants_few(query: MongoQuery) -> bool:
    """One document, or a page (a limit): the caller expects few of the matches, so reading every entry to find
    them is the waste. Without one (`deleteMany({done: {$exists: true}})`), the matches may be most documents,
    and then reading them all is no waste: advisor cannot tell which."""
    if query.is_aggregate:
        stages = query.pipeline if isinstance(query.pipeline, list) else []
        return any(stage_of(s)[0] == "$limit" for s in stages)
    return query.operation in ONE_DOCUMENT_OPS or query.limit is not None


def _stops_early(query: MongoQuery, plan: Any) -> bool:
    """A walk down the index from its largest keys, to a limit: the documents that have the field come first
    (a missing field is a null key, below every value), so the scan stops once it has enough."""
    first = index_fields(plan.index)[0][0]
    return bool(plan.sort_served and plan.sort and plan.sort.get(first) == -1 and not query.is_aggregate)


def _every_entry(q: _Planned) -> Hit:
    """`{field: {$exists: true}}` on the first key of an index that also holds the documents without the field:
    bounds [MinKey, MaxKey], every entry read and its document fetched to test the field."""
    plan, coll = q.plan, q.coll
    index, cand = plan.index, plan.candidate
    assert index is not None and cand is not None  # _planned asks only of a plan with a candidate
    first = index_fields(index)[0][0]
    if index.options.get("sparse"):
        why, fetched = "a sparse compound index holds every document that has any of its keys", "each one's document"
    else:
        why = f"a document without {first} is indexed under a null key, so the index holds every document"
        fetched = "each one's document" if cand.filtered > 1 else f"every document of the {coll} collection"
    sorted_too = " and sorts the result in memory" if plan.blocking_sort else ""
    keys = esr_keys(q.info, q.sort)  # a fresh list: extended below
    keys += [] if first in dict(keys) else [(first, 1)]
    spec = create_index_spec(coll, keys, present=first)
    return q.hit(
        f"{q.what} reads every entry of {describe_index(index)} and fetches {fetched}{sorted_too}: "
        f"{{ {first}: {{ $exists: true }} }} gives the index no bounds ({why})",
        q.anchor,
        help=f"where {first} is never stored as null, filter with {{ {first}: {{ $ne: null }} }}: its bounds on "
        f"this index skip the null keys; or index only the documents that have {first}: {spec} (sparse: true does "
        f"the same for a one-key index), which a query that must also find documents without {first} cannot use",
        fix=spec,
        subject=f"{coll}:{fields_text(keys)}",
    )


def _every_other_entry(q: _Planned) -> Hit | None:
    """`{_id: {$ne: id}, title: t}` where no index serves the other conditions: the unique index's bounds leave
    out only the excluded values' entries, so the server reads every other one and fetches its document."""
    plan, coll, index = q.plan, q.coll, q.plan.index
    assert index is not None  # _planned asks only of a plan with a candidate
    first = index_fields(index)[0][0]
    sorted_too = " and sorts the result in memory" if plan.blocking_sort else ""
    keys = [(name, d) for name, d in esr_keys(q.info, q.sort) if name != first]
    if not keys:
        return None  # nothing but the exclusion: the query asks for (almost) every document, by design
    spec = create_index_spec(coll, keys)
    return q.hit(
        f"{q.what} reads every entry of {describe_index(index)} but the ones its $ne/$nin on {first} leaves out, "
        f"and fetches every other document of the {coll} collection{sorted_too}: no two documents share a {first}, "
        f"so the exclusion bounds the index around a value or a few, and no index serves "
        f"{', '.join(name for name, _ in keys)}",
        q.anchor,
        help=f"index what the query finds documents by: {spec}; the {first} exclusion is then tested on the few "
        "documents it finds",
        fix=spec,
        subject=f"{coll}:{fields_text(keys)}",
    )


def _owner_sort(query: MongoQuery, plan: Any, info: FilterInfo) -> bool:
    """The sort runs on one owner's documents read whole, on the documents of the caller's list of keys, or on
    one entity's (`{ user: id }`, `{ orderingKey: k }`) to take the first: a handful sorted in memory costs
    nothing. A page of what a state's value matches (`{ queue: q, state: 'waiting' }`), or of one entity's
    documents, reads every match to return the page, which stays a finding."""
    lead = index_fields(plan.index)[:1] if plan.index is not None else []
    return bool(lead) and (owner_documents(query, info, {lead[0][0]}) or entity_documents(query, info, {lead[0][0]}))


def _listed_documents(query: MongoQuery, info: FilterInfo, indexes: list[IndexDef]) -> bool:
    """The documents of the keys the caller lists (`_id: {$in: ids}`, or every key of a unique index), all
    returned: sorting them costs no more than reading them (with a limit, reading them all to return a page
    stays a finding)."""
    if query.is_aggregate or query.limit is not None or query.skip is not None:
        return False
    return query.operation in MULTI_READ_OPS and pins_unique(info, indexes)


# the clock minus a duration, as code writes it: `new Date(now - maxStaleMs)`, `Date.now() - ttl`,
# `datetime.utcnow() - timedelta(hours=1)`, `moment().subtract(1, 'day')`
_CLOCK_MINUS = re.compile(
    r"\b(?:now|utcnow|Date\.now)\b[^-]*-|\btimedelta\(|\.subtract\(|\bsub(?:Days|Hours|Minutes|Seconds)\(",
    re.IGNORECASE,
)


_MANY_DELETES = frozenset({"deleteMany", "delete_many", "remove"})


def _retention(query: MongoQuery, info: FilterInfo) -> bool:
    """`deleteMany({ $or: [{ completed_at: { $lt: cutoff } }, { failed_at: { $lt: cutoff } }] })`: a delete of
    everything before a cutoff and nothing else (every condition, in every `$or` clause, an upper bound). A
    retention job of this shape removes what it reads, whatever the cutoff (sidequest's deleteFinishedJobs, run
    hourly); a delete that also picks an owner, a state or an id is judged as usual."""
    if query.operation not in _MANY_DELETES or query.is_aggregate:
        return False

    def bounds_only(part: FilterInfo) -> bool:
        if part.special or part.unknown or len(part.ors) > 1:
            return False
        if any(p.kind != "range" or p.path[-1] not in ("$lt", "$lte") for p in part.preds):
            return False
        clauses = part.ors[0] if part.ors else []
        return bool(part.preds or clauses) and all(bounds_only(c) for c in clauses)

    return bounds_only(info)


def _sweep(info: FilterInfo) -> bool:
    """`{ state: 'running', attempted_at: { $lt: new Date(now - maxStaleMs) } }`: everything older than now minus a
    duration, with nothing else chosen at run time.  A periodic expiry or staleness job of this shape sweeps the
    collection by design (sidequest's stale-job release, alerta's housekeeping): no collection-scan claim (whether
    it may take what it finds all at once is unbounded-find's, which still speaks);
    `{ nextRunAt: { $lte: new Date() } }`, what is due now, is a queue's poll and stays a claim."""
    ranges = [p for p in info.preds if p.kind == "range"]
    if info.ors or len(ranges) != 1 or ranges[0].path[-1] not in ("$lt", "$lte"):
        return False
    cutoff = ranges[0].value
    if not (isinstance(cutoff, Placeholder) and _CLOCK_MINUS.search(cutoff.text)):
        return False
    return all(p.kind in ("eq", "in") and fixed_value(p.value) for p in info.preds if p is not ranges[0])
