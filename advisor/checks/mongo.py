"""MongoDB rules: what each query shape makes the server do, and what to change.

Each rule is registered with `mongo_check` and sees a `MongoContext`; `check_query` runs
them on one `MongoQuery` under the rules' guard.  index-option-conflict is a schema check
over every Mongo index.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from advisor import oneoff
from advisor.checks import Hit, mongo_check, project_check, run_rules, schema_check
from advisor.ir import IndexDef, Location, Schema
from advisor.mongo.indexes import describe_index as _describe_index
from advisor.mongo.indexes import indexes_named as _indexes_named
from advisor.mongo.indexes import unread_named
from advisor.mongo.patterns import runtime_anchored
from advisor.mongo.planner import (
    ID_INDEX,
    FilterInfo,
    Pred,
    analyse_filter,
    boundable,
    esr_keys,
    index_fields,
    leading_stages,
    plan_find,
    same_keys,
    unused_reason,
)
from advisor.mongo.shape import (
    MULTI_READ_OPS,
    ONE_DOCUMENT_OPS,
    SINGLE_READ_OPS,
    MongoQuery,
    Placeholder,
    Regex,
    create_index_spec,
    format_value,
    is_operator,
)
from advisor.sources.mongo_names import run_time

SKIP_PAGINATION_LIMIT = 1000
PLANNED = ("collection-scan", "in-memory-sort", "esr-order", "or-unindexed")
# the rules whose claim is the cost of reading many documents: silent on a collection the config says stays small
SIZED = frozenset((*PLANNED, "unbounded-find", "negation-only", "unanchored-regex"))
BLOCKING_STAGES = {
    "$group",
    "$bucket",
    "$bucketAuto",
    "$sortByCount",
    "$facet",
    "$setWindowFields",
    "$replaceRoot",
    "$replaceWith",
    "$unionWith",
    "$sample",
    "$graphLookup",
    "$densify",
    "$fill",
}
DANGEROUS_OPS = {"$where", "$function", "$accumulator"}


# --- helpers ----------------------------------------------------------------------------------


def indexes_for(schema: Schema, query: MongoQuery) -> tuple[list[IndexDef], str]:
    """The Mongo indexes of the query's collection, and the collection's name as the indexes spell it."""
    return _indexes_named(schema, query.collection, query.model)


def _fields_text(keys: list[tuple[str, int]]) -> str:
    return "{ " + ", ".join(f"{k}: {d}" for k, d in keys) + " }"


def _where(query: MongoQuery) -> str:
    return f"{query.collection}.{query.operation}"


def _hit(query: MongoQuery, message: str, location: Location, **kw: Any) -> Hit:
    kw.setdefault("query", query.text or None)
    kw.setdefault("query_location", query.location)
    return Hit(message, location, **kw)


def _known(indexes: list[IndexDef]) -> str:
    if not indexes:
        return "no index is declared for it in the checked code"
    names = ", ".join(i.name for i in indexes[:6])
    more = f" and {len(indexes) - 6} more" if len(indexes) > 6 else ""
    return f"indexes: {names}{more}"


def _walk(value: Any, path: tuple) -> Iterator[tuple[tuple, Any, Any]]:
    """Every (path, key, value) of dicts inside a value."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield path + (k,), k, v
            yield from _walk(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, path + (i,))


def _all_preds(info: FilterInfo) -> Iterator[Pred]:
    yield from info.preds
    for clauses in info.ors:
        for clause in clauses:
            yield from _all_preds(clause)


def _stage(stage: Any) -> tuple[str | None, Any]:
    if isinstance(stage, dict) and len(stage) == 1:
        name, spec = next(iter(stage.items()))
        return name, spec
    return None, None


# --- the entry point -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MongoContext:
    """What a MongoDB rule sees: the query (named as its indexes name its collection), the schema,
    and the indexes of its collection."""

    query: MongoQuery
    schema: Schema
    indexes: list[IndexDef]
    collection: str

    @classmethod
    def of(cls, query: MongoQuery, schema: Schema) -> MongoContext:
        indexes, coll = indexes_for(schema, query)
        if coll != query.collection:  # name it as its indexes do (the model's collection option)
            query = replace(query, collection=coll)
        return cls(query, schema, indexes, coll)

    @cached_property
    def unread(self) -> bool:
        """Some index of the collection has keys advisor could not read: no planner claim either way."""
        return bool(unread_named(self.schema, self.collection, self.query.model))

    @cached_property
    def planner_hits(self) -> list[tuple[str, Hit]]:
        """The hits of the four rules that read the static planner's choice, planned once per query."""
        return list(_planner_rules(self.query, self.indexes, self.collection, self.schema))

    def planned(self, name: str) -> list[Hit]:
        return [h for rule, h in self.planner_hits if rule == name]


def check_query(query: Any, schema: Schema, enabled_name: Callable[[str], bool]) -> list[tuple[str, Hit]]:
    """(rule name, hit) of every enabled MongoDB rule on one query shape, under the rules' guard."""
    if not isinstance(query, MongoQuery):
        return []
    once = oneoff.off_workload(query.location.path, query.scope)
    ctx = MongoContext.of(query, schema)
    small = schema.small(ctx.collection)
    enabled = (lambda name: enabled_name(name) and name not in SIZED) if small else enabled_name
    return run_rules("mongo", ctx, query.location, enabled, once=once)


def _planned_rule(name: str):
    """A rule read from the static planner's choice; silent where no index declaration of the
    collection was seen (undeclared_collections says so, once per project)."""
    return lambda ctx: ctx.planned(name) if ctx.indexes and not ctx.unread else []


mongo_check("where-operator")(lambda ctx: _where_operator(ctx.query, ctx.indexes))
mongo_check("unanchored-regex")(lambda ctx: _unanchored_regex(ctx.query, ctx.indexes))
mongo_check("negation-only")(lambda ctx: _negation_only(ctx.query, ctx.indexes))
mongo_check("missing-projection")(lambda ctx: _missing_projection(ctx.query, ctx.indexes))
mongo_check("unbounded-find")(lambda ctx: _unbounded_find(ctx.query, ctx.indexes))
mongo_check("skip-pagination")(lambda ctx: _skip_pagination(ctx.query))
mongo_check("skip-without-limit")(lambda ctx: _skip_without_limit(ctx.query))
mongo_check("match-not-first")(lambda ctx: _match_not_first(ctx.query, ctx.indexes))
mongo_check("lookup-unindexed")(lambda ctx: _lookup_unindexed(ctx.query, ctx.schema))
for _name in PLANNED:
    mongo_check(_name)(_planned_rule(_name))


def _filters(query: MongoQuery) -> Iterator[tuple[Any, tuple]]:
    """Every filter the query applies: the find filter, and each $match of a pipeline."""
    if query.filter is not None:
        yield query.filter, ("filter",)
    if isinstance(query.pipeline, list):
        for i, stage in enumerate(query.pipeline):
            name, spec = _stage(stage)
            if name == "$match":
                yield spec, ("pipeline", i, "$match")


# --- rules without the planner ---------------------------------------------------------------------


def _where_operator(query: MongoQuery, indexes: list[IndexDef]) -> Iterator[Hit]:
    roots = [(query.filter, ("filter",)), (query.pipeline, ("pipeline",))]
    for value, base in roots:
        if base == ("filter",) and isinstance(value, dict) and _pins_unique(analyse_filter(value), indexes):
            continue  # beside `_id: id` (or every key of a unique index) it runs on that one document
        for path, key, _ in _walk(value, base):
            if key in DANGEROUS_OPS:
                what = {
                    "$where": "runs a JavaScript function on every document",
                    "$function": "runs server-side JavaScript for every document",
                    "$accumulator": "runs server-side JavaScript for every document of every group",
                }[key]
                yield _hit(
                    query,
                    f"{key} in {_where(query)} {what}: no index can serve it, and JavaScript "
                    "execution is slow and disabled on many deployments",
                    query.at(*path),
                    help="express the condition with query operators, or `$expr` with aggregation "
                    "operators (e.g. { $expr: { $gt: ['$spent', '$budget'] } })",
                    subject=f"{query.collection}:{key}",
                )


def _owner_lookup(info: FilterInfo, indexes: list[IndexDef]) -> bool:
    """An equality on the leading key of an index: the query reads one owner's documents (a user's
    mailboxes, a parent's children), which the index finds; what else it tests runs on those only."""
    leading = {index_fields(i)[0][0] for i in indexes if index_fields(i)} | {"_id"}
    return any(p.field in leading and p.kind in ("eq", "in") and p.value is not None for p in info.preds)


def _unanchored_regex(query: MongoQuery, indexes: list[IndexDef]) -> Iterator[Hit]:
    if query.partial:
        return  # a sketch of the filter: keys advisor could not read may narrow what the regex tests
    for flt, base in _filters(query):
        info = analyse_filter(flt, base)
        if info.unknown or _owner_lookup(info, indexes):
            continue  # the regex filters the documents an index already narrowed to (or may, unseen)
        for p in _all_preds(info):
            if p.kind != "regex":
                continue
            rx = p.value if isinstance(p.value, Regex) else None
            if isinstance(p.value, Placeholder):
                if not runtime_anchored(p.value):
                    continue  # the caller's value matched anywhere (or at the end): a search no index order keeps
                shown = f"the pattern {format_value(p.value)}"
                why = "is case-insensitive, so an index cannot bound it even though it is anchored"
            elif rx is None:
                shown = format_value(p.value)
                why = "lists a regular expression in $in"
            elif not rx.anchored:
                shown = str(rx)
                why = "is not anchored with ^, so an index cannot bound it"
            else:
                shown = str(rx)
                why = "is case-insensitive, so an index cannot bound it even though it is anchored"
            yield _hit(
                query,
                f"{_where(query)} filters {p.field} with {shown}, which {why}: every index key "
                "(or every document) is tested",
                query.at(*p.path),
                help=f"anchor the pattern (/^prefix/) and match case in the stored value (store a "
                f"lower-cased copy of {p.field}), or use a text / Atlas Search index for word search",
                subject=f"{query.collection}.{p.field}",
            )


def _negation_only(query: MongoQuery, indexes: list[IndexDef]) -> Iterator[Hit]:
    if _walks_sorted_to_a_limit(query, indexes):
        return  # a negation matches nearly every entry: the walk in sort order stops at the first ones
    for flt, base in _filters(query):
        if base[0] == "pipeline" and base[1] != 0:
            continue  # only the leading $match can use an index
        info = analyse_filter(flt, base)
        if info.unknown or info.ors or info.special or not info.preds or query.partial:
            continue
        used = plan_find(None, None, indexes, info=info).candidate
        if used is not None and used.bounded:
            continue  # an index on the field bounds everything but the excluded values (a distinct on it
            # reads one key per value): the index does narrow the scan
        if all(p.negative for p in info.preds):
            p = info.preds[0]
            ops = ", ".join(sorted({str(k) for pr in info.preds for k in (pr.path[-1],) if is_operator(k)})) or "$ne"
            yield _hit(
                query,
                f"{_where(query)} filters only with negation ({ops} on "
                f"{', '.join(pr.field for pr in info.preds)}): an index cannot narrow the scan, "
                "every other value matches",
                query.at(*p.path),
                help="add a positive condition (an equality or range on an indexed field), or list the "
                "wanted values with $in",
                subject=f"{query.collection}:{','.join(pr.field for pr in info.preds)}",
            )


def _walks_sorted_to_a_limit(query: MongoQuery, indexes: list[IndexDef]) -> bool:
    """One document or a limit, sorted by the leading key of a declared index: the server reads that index in
    order and stops once it has enough matches."""
    if query.is_aggregate or not isinstance(query.sort, dict) or not query.sort:
        return False
    if query.operation not in SINGLE_READ_OPS and query.limit is None:
        return False
    first = next(iter(query.sort))
    return any(index_fields(i) and index_fields(i)[0][0] == first for i in indexes)


def _missing_projection(query: MongoQuery, indexes: list[IndexDef]) -> Iterator[Hit]:
    """Whole documents fetched where the code visibly reads only a few fields of them."""
    if (
        query.projection is not None
        or query.is_aggregate
        or query.explained
        or query.source == "shape"
        or query.whole
        or not query.used
        or _unbounded(query, indexes)
    ):
        return  # whole by design, fields unknown, or unbounded-find speaks for this call (one per call)
    many = query.operation in MULTI_READ_OPS
    if owner_documents(query, analyse_filter(query.filter), {f[0][0] for f in map(index_fields, indexes) if f}):
        return  # a handful of documents: their size is not where the time goes
    if not many and not (query.operation in SINGLE_READ_OPS and query.lean):
        return
    what = "every matching document in full" if many else "the whole document"
    fields = ", ".join(query.used)
    spec = "{ " + ", ".join(f"{k}: 1" for k in query.used) + " }"
    fix = f".select('{' '.join(query.used)}')" if not query.driver else f"{{ projection: {spec} }}"
    yield _hit(
        query,
        f"{_where(query)} returns {what}, but the code reads only {fields}",
        query.location,
        help=f"fetch only those fields: {fix}; smaller documents cross the network, and an index on them "
        "can cover the query",
        fix=fix,
        subject=f"{query.collection}:{query.operation}:{fields}",
    )


def _unbounded(query: MongoQuery, indexes: list[IndexDef]) -> bool:
    """A find that may return a whole collection's worth of documents into memory at once."""
    if (
        query.operation not in MULTI_READ_OPS
        or query.limit is not None
        or query.explained
        or query.source == "shape"
        or query.streamed
        or (query.whole and oneoff.returns_all(query.scope))  # `getAllRoles`: every document is its contract
    ):
        return False
    info = analyse_filter(query.filter)
    if info.unknown or query.partial or _owner_lookup(info, indexes):
        return False
    listed = {p.field for p in info.preds if p.kind == "in"}  # as many as the caller's list
    return not listed and not _pins_unique(info, indexes)


# the clock minus a duration, as code writes it: `new Date(now - maxStaleMs)`, `Date.now() - ttl`,
# `datetime.utcnow() - timedelta(hours=1)`, `moment().subtract(1, 'day')`
_CLOCK_MINUS = re.compile(
    r"\b(?:now|utcnow|Date\.now)\b[^-]*-|\btimedelta\(|\.subtract\(|\bsub(?:Days|Hours|Minutes|Seconds)\(",
    re.IGNORECASE,
)


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
    return all(p.kind in ("eq", "in") and _fixed_value(p.value) for p in info.preds if p is not ranges[0])


def _fixed_value(value) -> bool:
    """A value the code writes: a literal, a list of them, or a constant by its upper-case name."""
    if isinstance(value, (list, tuple)):
        return all(_fixed_value(v) for v in value)
    if isinstance(value, Placeholder):
        return bool(re.fullmatch(r"(?:[\w$]+\.)*[A-Z][A-Z0-9_]*", value.text))
    return isinstance(value, (str, int, float, bool)) or value is None


def _pins_unique(info: FilterInfo, indexes: list[IndexDef]) -> bool:
    """Equalities (or $in lists) on every field of a unique index, or on _id: a handful of documents at most."""
    keyed = {p.field for p in info.preds if p.kind in ("eq", "in")}
    unique_keys = [
        [f for f, _ in index_fields(i)] for i in indexes if i.unique and not i.options.get("partialFilterExpression")
    ] + [["_id"]]
    return any(all(f in keyed for f in keys) for keys in unique_keys)


def _unbounded_find(query: MongoQuery, indexes: list[IndexDef]) -> Iterator[Hit]:
    if not _unbounded(query, indexes):
        return
    whole = " in full" if query.projection is None and not query.whole else ""
    yield _hit(
        query,
        f"{_where(query)} has no limit: it returns every matching document{whole}, "
        "however many the collection grows to",
        query.location,
        help="add .limit(n) (with a sort on an indexed field for stable pages), or stream with a cursor "
        "when the caller really needs them all" + ("; name the fields the code uses in a projection" if whole else ""),
        subject=f"{query.collection}:{format_value(query.filter)}",
    )


def _skips(query: MongoQuery) -> Iterator[tuple[str, tuple, bool]]:
    """The skips a caller of this code does not choose: (as written, where, paged: a limit bounds what follows)."""
    skips: list[tuple[Any, tuple, bool]] = []
    if query.skip is not None:
        skips.append((query.skip, ("skip",), query.limit is not None))
    if isinstance(query.pipeline, list):
        for i, stage in enumerate(query.pipeline):
            name, spec = _stage(stage)
            if name == "$skip":
                later = [_stage(s)[0] for s in query.pipeline[i + 1 :]]
                skips.append((spec, ("pipeline", i), "$limit" in later))
    for value, path, paged in skips:
        dynamic = isinstance(value, Placeholder)
        if dynamic and passed_through(value.text, query.params):
            continue  # the offset is the caller's (a library's skip/start argument): the finding belongs there
        if not dynamic and not (isinstance(value, (int, float)) and value > SKIP_PAGINATION_LIMIT):
            continue
        yield (value.text if isinstance(value, Placeholder) and value.text else format_value(value)), path, paged


def _skip_pagination(query: MongoQuery) -> Iterator[Hit]:
    for shown, path, paged in _skips(query):
        if paged:
            yield _hit(
                query,
                f"{_where(query)} pages with skip({shown}): the server still walks and discards every "
                "skipped document, so page n costs n pages of reads",
                query.at(*path),
                help="paginate by range on the sort key instead: remember the last value seen and query "
                "{ sortKey: { $lt: last } } with the same sort and a limit",
                subject=f"{query.collection}:skip",
            )


def _skip_without_limit(query: MongoQuery) -> Iterator[Hit]:
    for shown, path, paged in _skips(query):
        if not paged:
            yield _hit(
                query,
                f"{_where(query)} skips {shown} documents and reads the rest of the match: every call walks and "
                "discards the skipped ones, however many the match grows to",
                query.at(*path),
                help="to read the last documents, sort the other way and limit (then reverse in the code); to read "
                "what follows a point, query from its sort key: { sortKey: { $gt: last } }",
                subject=f"{query.collection}:skip-all",
            )


def passed_through(text: str, params: tuple) -> bool:
    """`skip`, `opts.skip`, `params.start ? params.start : 0`, `opts.skip ?? 0` (also as TypeScript compiles
    it: `(_b = opts.skip) !== null && _b !== void 0 ? _b : 0`): a parameter of the function, unchanged."""

    def param(part: str) -> bool:
        m = re.fullmatch(r"([A-Za-z_$][\w$]*)(?:\.[A-Za-z_$][\w$]*)*", part.strip())
        return m is not None and m.group(1) in params

    text = text or ""
    compiled = re.fullmatch(
        r"\(\s*(\w+)\s*=\s*([^()]+)\)\s*!==\s*null\s*&&\s*\1\s*!==\s*void 0\s*\?\s*\1\s*:\s*\d+\s*", text
    )
    defaulted = re.fullmatch(r"(.+?)\s*(?:\?\?|\|\|)\s*\d+\s*", text)
    m = re.fullmatch(r"[^?]+\?([^:]+):\s*(\d+)\s*", text)
    part = compiled.group(2) if compiled else defaulted.group(1) if defaulted else m.group(1) if m else text
    return param(part)


def _lookup_unindexed(query: MongoQuery, schema: Schema) -> Iterator[Hit]:
    if not isinstance(query.pipeline, list):
        return
    for path, key, spec in _walk(query.pipeline, ("pipeline",)):
        if key not in ("$lookup", "$graphLookup") or not isinstance(spec, dict):
            continue
        source = spec.get("from")
        foreign = spec.get("foreignField") if key == "$lookup" else spec.get("connectToField")
        if not isinstance(source, str) or not isinstance(foreign, str) or foreign == "_id":
            continue
        indexes, coll = _indexes_named(schema, source)
        if not indexes or schema.small(coll):
            continue  # nothing declared for it: advisor cannot tell (undeclared_collections); or it stays small
        if any(index_fields(i) and index_fields(i)[0][0] == foreign for i in indexes):
            continue
        spec_text = create_index_spec(coll, [(foreign, 1)])
        yield _hit(
            query,
            f"{key} joins {source} on {foreign}, which no index of {source} starts with: every "
            f"input document scans the whole {source} collection",
            query.at(*(path + ("foreignField" if key == "$lookup" else "connectToField",))),
            help=f"index the foreign field: {spec_text}",
            fix=spec_text,
            subject=f"{source}.{foreign}",
        )


def _group_key_fields(spec: Any) -> dict[str, str]:
    """Output field -> input field of a $group key that is a plain field path."""
    if not isinstance(spec, dict):
        return {}
    key = spec.get("_id")
    if isinstance(key, str) and key.startswith("$") and not key.startswith("$$"):
        return {"_id": key[1:]}
    if isinstance(key, dict):
        return {
            f"_id.{k}": v[1:]
            for k, v in key.items()
            if isinstance(v, str) and v.startswith("$") and not v.startswith("$$")
        }
    return {}


def _match_not_first(query: MongoQuery, indexes: list[IndexDef]) -> Iterator[Hit]:
    """A $match the server cannot move, but that could filter before a $group or $unwind."""
    pipeline = query.pipeline
    if not isinstance(pipeline, list):
        return
    name, first = _stage(pipeline[0]) if pipeline else (None, None)
    if name == "$match" and isinstance(first, dict) and _pins_unique(analyse_filter(first), indexes):
        return  # the pipeline starts from one document found by a unique key: nothing to filter earlier
    for i, stage in enumerate(pipeline):
        name, spec = _stage(stage)
        if name != "$match" or i == 0 or not isinstance(spec, dict):
            continue
        prev_name, prev_spec = _stage(pipeline[i - 1])
        info = analyse_filter(spec, ("pipeline", i, "$match"))
        if prev_name == "$group":
            keys = _group_key_fields(prev_spec)
            movable = [p for p in info.preds if p.field in keys]
            if not movable:
                continue
            rewritten = {keys[p.field]: _pred_value(spec, p) for p in movable}
            fix = "{ $match: " + format_value(rewritten) + " }"
            where = "before the $group" + (f" (stage {i})" if i > 1 else "")
            yield _hit(
                query,
                f"$match on the group key {', '.join(p.field for p in movable)} runs after $group: "
                f"every document is grouped first and most groups are thrown away; the server "
                f"does not move it",
                query.at("pipeline", i),
                help=f"filter the input instead: put {fix} {where}, where an index on "
                f"{', '.join(keys[p.field] for p in movable)} can serve it",
                fix=fix,
                subject=f"{query.collection}:$match:{','.join(p.field for p in movable)}",
            )
        elif prev_name == "$unwind":
            unwound = (
                prev_spec
                if isinstance(prev_spec, str)
                else prev_spec.get("path")
                if isinstance(prev_spec, dict)
                else None
            )
            if not isinstance(unwound, str):
                continue
            field = unwound.lstrip("$")
            if _made_by_pipeline(pipeline[: i - 1], field):
                continue  # not a stored array: no index can serve a $match on it, and after a $lookup the server
                # coalesces $lookup + $unwind + $match into one stage already
            if any(_stage(s)[0] == "$match" for s in pipeline[: i - 1]):
                continue  # an earlier $match already chose what is unwound: not every document, and whether a
                # copy of this one would drop more of them depends on data advisor does not see
            on_array = [
                p
                for p in info.preds
                if (p.field == field or p.field.startswith(field + ".")) and p.kind in ("eq", "in", "range", "prefix")
            ]
            if not on_array:
                continue
            pre = {p.field: _pred_value(spec, p) for p in on_array}
            fix = "{ $match: " + format_value(pre) + " }"
            yield _hit(
                query,
                f"$match on the unwound array {field} runs only after $unwind: every document is "
                f"unwound first, even those with no matching element",
                query.at("pipeline", i),
                help=f"add {fix} before the $unwind (it keeps documents with a matching element and can "
                f"use an index); keep this $match to drop the other elements",
                fix=fix,
                subject=f"{query.collection}:$unwind:{field}",
            )


def _made_by_pipeline(stages: list, field: str) -> bool:
    """Whether an earlier stage produced `field` rather than read it from the stored documents: a $lookup's
    `as`, or anything after a $group (whose output has only the fields it makes)."""
    root = field.split(".", 1)[0]
    for stage in stages:
        name, spec = _stage(stage)
        if name == "$group" or (
            name in ("$lookup", "$graphLookup") and isinstance(spec, dict) and spec.get("as") == root
        ):
            return True
    return False


def _pred_value(spec: dict, p: Pred) -> Any:
    return spec.get(p.field, format_value(p.value))


# --- rules from the planner ----------------------------------------------------------------------------


def _planner_rules(query: MongoQuery, indexes: list[IndexDef], coll: str, schema: Schema) -> Iterator[tuple[str, Hit]]:
    """The planner's findings; for keys the code sets only under a condition, only what holds both
    with and without them."""
    hits = list(_planned(query, indexes, coll))
    if query.conditional and isinstance(query.filter, dict):
        bare = {k: v for k, v in query.filter.items() if k not in query.conditional}
        also = {name for name, _ in _planned(replace(query, filter=bare), indexes, coll)}
        hits = [(name, hit) for name, hit in hits if name in also]
    yield from hits


def _planned(query: MongoQuery, indexes: list[IndexDef], coll: str) -> Iterator[tuple[str, Hit]]:
    if query.operation in ("insertOne", "insertMany"):
        return
    if query.is_aggregate:
        if not isinstance(query.pipeline, list):
            return
        lead = leading_stages(query.pipeline)
        if lead is None:
            return
        info = lead.info
        sort = lead.sort
        plan = plan_find(None, sort, indexes, None, info=info, hint=query.hint)
        anchor = query.at("pipeline", lead.match_indexes[0]) if lead.match_indexes else query.location
        sort_anchor = query.at("pipeline", lead.sort_index) if lead.sort_index is not None else anchor
        what = f"the first $match of {query.collection}.aggregate"
    else:
        info = analyse_filter(query.filter)
        sort = query.sort
        plan = plan_find(query.filter, sort, indexes, query.projection, info=info, hint=query.hint)
        anchor = query.location
        sort_anchor = query.at("sort")
        what = f"{_where(query)}({format_value(query.filter)})"
    if plan.stage in ("UNKNOWN", "SPECIAL", "IDHACK") or query.partial:
        return  # a sketch of the filter (spread, keys set under a condition...): no confident claim
    keys = esr_keys(info, sort)
    spec = create_index_spec(coll, keys) if keys else None
    metrics = {"evidence": "static", "plan": plan.describe()}
    # a clause no index could bound (an unanchored regex: unanchored-regex says so) scans whatever is indexed
    if plan.unindexed_clauses and all(boundable(info.ors[0][n]) for n, _ in plan.unindexed_clauses):
        # one finding per $or, at its first unindexed clause: one statement, one problem, an index per clause
        clauses, specs = [], []
        for n, _ in plan.unindexed_clauses:
            clause = info.ors[0][n]
            ckeys = esr_keys(FilterInfo(preds=info.preds + clause.preds), sort)
            clauses.append((n, clause))
            if ckeys:
                specs.append(create_index_spec(coll, ckeys))
        named = "; ".join(f"{n + 1} ({', '.join(c.fields()) or 'no field'})" for n, c in clauses)
        several = len(clauses) > 1
        yield (
            "or-unindexed",
            _hit(
                query,
                f"$or clause{'s' if several else ''} {named} of {what} ha{'ve' if several else 's'} no index, "
                f"so the whole $or scans the collection ({_known(indexes)})",
                query.at(*plan.unindexed_clauses[0][1]),
                help=(
                    f"index {'each' if several else 'that'} clause: {'; '.join(specs)}"
                    if specs
                    else "rewrite the clause so an index can serve it"
                )
                + "; every $or clause needs its own index for the server to use them",
                fix="\n".join(specs) or None,
                subject=f"{coll}:$or:{'|'.join(','.join(c.fields()) for _, c in clauses)}",
                metrics=metrics,
            ),
        )
        if plan.stage == "COLLSCAN" or (plan.candidate is not None and plan.candidate.all_keys):
            return
    if plan.stage == "COLLSCAN":
        if not keys or (not query.is_aggregate and _sweep(info)):
            return  # nothing an index could bound (negation-only / unanchored-regex say why); or a periodic
            # sweep of what is older than a cutoff, which reads the collection by design
        sorted_too = " and sorts the result in memory" if plan.blocking_sort else ""
        unused = _unindexed(info, indexes)
        if not unused:
            return  # only $or clauses, one of which no index could bound: the scan is theirs, not an index's
        yield (
            "collection-scan",
            _hit(
                query,
                f"{what} scans the whole {coll} collection{sorted_too}: {unused} ({_known(indexes)})",
                anchor,
                help=f"create the index in Equality, Sort, Range order: {spec}; if {coll} stays small, give its size "
                f"([seed.tables.{coll}] rows = 100) and advisor makes no claim that rests on its size",
                fix=spec,
                subject=f"{coll}:{_fields_text(keys)}",
                metrics=metrics,
            ),
        )
        return
    if plan.stage == "EMPTY":
        if plan.blocking_sort and plan.sort and keys:
            yield (
                "in-memory-sort",
                _hit(
                    query,
                    f"{what} sorts the whole {coll} collection in memory by {_fields_text(list(plan.sort.items()))}: "
                    "no index provides that order",
                    sort_anchor,
                    help=f"create an index in the sort order: {spec}",
                    fix=spec,
                    subject=f"{coll}:sort:{_fields_text(keys)}",
                    metrics=metrics,
                ),
            )
        return
    if plan.candidate is not None and plan.candidate.all_keys:
        if _wants_few(query) and not _stops_early(query, plan):
            yield "collection-scan", _every_entry(query, what, plan, info, sort, coll, anchor, metrics)
        return
    # with another index that bounds the filter in the sort order, the server races both plans: no claim
    if (
        plan.blocking_sort
        and plan.sort
        and keys
        and plan.sort_alternative is None
        and not (plan.index is not None and same_keys(plan.index, keys))
        and not _owner_sort(query, plan, info)
        and not _listed_documents(query, info, indexes)
    ):
        used = f"uses {_describe_index(plan.index)}" if plan.index is not None else "uses an $or of indexes"
        yield (
            "in-memory-sort",
            _hit(
                query,
                f"{what} {used} but sorts in memory by {_fields_text(list(plan.sort.items()))}: the index "
                "order does not provide the sort (a blocking SORT stage, limited to 100 MB, reads every match "
                "before returning the first)",
                sort_anchor,
                help=f"create the index in Equality, Sort, Range order: {spec}",
                fix=spec,
                subject=f"{coll}:sort:{_fields_text(keys)}",
                metrics=metrics,
            ),
        )
    cand = plan.candidate
    if (
        cand is not None
        and cand.range_before is not None
        and keys
        and plan.index is not None
        and not plan.or_alternative
    ):
        rng, later = cand.range_before
        role = "sort" if plan.sort and later in plan.sort else "equality"
        p = next((p for p in info.preds if p.field == rng), None)
        yield (
            "esr-order",
            _hit(
                query,
                f"index {_describe_index(plan.index)} puts the range on {rng} before the {role} field "
                f"{later}: {what} reads every key in the {rng} range"
                + (" and sorts in memory" if role == "sort" and plan.blocking_sort else "")
                + " instead of only the matching ones",
                query.at(*p.path) if p is not None else anchor,
                help=f"order the keys Equality, Sort, Range: {spec}"
                + (f" (declared at {plan.index.location})" if plan.index.location else ""),
                fix=spec,
                subject=f"{coll}:{plan.index.name}",
                metrics=metrics,
            ),
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
        return any(_stage(s)[0] == "$limit" for s in stages)
    return query.operation in ONE_DOCUMENT_OPS or query.limit is not None


def _stops_early(query: MongoQuery, plan: Any) -> bool:
    """A walk down the index from its largest keys, to a limit: the documents that have the field come first
    (a missing field is a null key, below every value), so the scan stops once it has enough."""
    first = index_fields(plan.index)[0][0]
    return bool(plan.sort_served and plan.sort and plan.sort.get(first) == -1 and not query.is_aggregate)


def _every_entry(
    query: MongoQuery, what: str, plan: Any, info: FilterInfo, sort: Any, coll: str, anchor: Location, metrics: dict
) -> Hit:
    """`{field: {$exists: true}}` on the first key of an index that also holds the documents without the field:
    bounds [MinKey, MaxKey], every entry read and its document fetched to test the field."""
    index, cand = plan.index, plan.candidate
    first = index_fields(index)[0][0]
    if index.options.get("sparse"):
        why, fetched = "a sparse compound index holds every document that has any of its keys", "each one's document"
    else:
        why = f"a document without {first} is indexed under a null key, so the index holds every document"
        fetched = "each one's document" if cand.filtered > 1 else f"every document of the {coll} collection"
    sorted_too = " and sorts the result in memory" if plan.blocking_sort else ""
    keys = esr_keys(info, sort)
    keys += [] if first in dict(keys) else [(first, 1)]
    spec = create_index_spec(coll, keys, present=first)
    return _hit(
        query,
        f"{what} reads every entry of {_describe_index(index)} and fetches {fetched}{sorted_too}: "
        f"{{ {first}: {{ $exists: true }} }} gives the index no bounds ({why})",
        anchor,
        help=f"where {first} is never stored as null, filter with {{ {first}: {{ $ne: null }} }}: its bounds on "
        f"this index skip the null keys; or index only the documents that have {first}: {spec} (sparse: true does "
        f"the same for a one-key index), which a query that must also find documents without {first} cannot use",
        fix=spec,
        subject=f"{coll}:{_fields_text(keys)}",
        metrics=metrics,
    )


def _owner_sort(query: MongoQuery, plan: Any, info: FilterInfo) -> bool:
    """The sort runs on one owner's documents read whole (with a limit it would read every match to return
    a page, which stays a finding)."""
    lead = index_fields(plan.index)[:1] if plan.index is not None else []
    return bool(lead) and owner_documents(query, info, {lead[0][0]})


def _listed_documents(query: MongoQuery, info: FilterInfo, indexes: list[IndexDef]) -> bool:
    """The documents of the keys the caller lists (`_id: {$in: ids}`, or every key of a unique index), all
    returned: sorting them costs no more than reading them (with a limit, reading them all to return a page
    stays a finding)."""
    if query.is_aggregate or query.limit is not None or query.skip is not None:
        return False
    return query.operation in MULTI_READ_OPS and _pins_unique(info, indexes)


def owner_documents(query: MongoQuery, info: FilterInfo, leads: set[str]) -> bool:
    """One owner's documents read whole: a leading index key is equal to a value known only at run time (a
    user id, a parent id: one owner among many, so a handful of documents), and no limit or skip pages over
    them. A constant (`status: 'queued'`) is one value shared by many documents, not an owner. A pipeline's
    first $match is read the same way, when no $limit or $skip stage pages over what it keeps."""
    if query.is_aggregate:
        stages = query.pipeline if isinstance(query.pipeline, list) else []
        if any(_stage(s)[0] in ("$limit", "$skip") for s in stages):
            return False
    elif query.limit is not None or query.skip is not None or query.operation not in MULTI_READ_OPS:
        return False
    return any(p.field in leads and p.kind == "eq" and isinstance(p.value, Placeholder) for p in info.preds)


# --- collections without index declarations --------------------------------------------------------


@project_check("no-index-declarations")
def no_index_declarations(project: Any) -> Iterator[Hit]:
    return undeclared_collections(project.other_queries, project.schema)


def undeclared_collections(queries: Iterable[Any], schema: Schema) -> Iterator[Hit]:
    """One note per project naming each collection with no index declaration in the checked code and how
    many of its queries advisor cannot judge (the planner rules stay quiet on them rather than guess). It
    is about what advisor could not see, not about one query: one note, not one per collection."""
    unjudged: dict[str, list[MongoQuery]] = defaultdict(list)
    for query in queries:
        if (
            not isinstance(query, MongoQuery)
            or query.explained
            or oneoff.off_workload(query.location.path, query.scope)
        ):
            continue  # the planner rules are silent on code off the workload: nothing left unjudged there
        indexes, coll = indexes_for(schema, query)
        if indexes or unread_named(schema, coll, query.model) or schema.small(coll):
            continue
        named = replace(query, collection=coll)
        if any(True for _ in _planner_rules(named, [], coll, schema)):
            unjudged[coll].append(query)
    if not unjudged:
        return
    firsts = {
        coll: min(qs, key=lambda q: (q.location.path, q.location.line, q.location.col)) for coll, qs in unjudged.items()
    }
    order = sorted(unjudged, key=lambda c: (firsts[c].location.path, firsts[c].location.line, c))
    listed = [
        f"{c} ({_count(len(unjudged[c]))}, first at {firsts[c].location.path}:{firsts[c].location.line})"
        for c in order[:8]
    ]
    more = f" and {len(order) - 8} more" if len(order) > 8 else ""
    # at the first of those queries, preferring one no other rule speaks about (one finding per location)
    first = min(firsts.values(), key=lambda q: (_unbounded(q, []), q.location.path, q.location.line, q.location.col))
    if len(order) == 1:
        n = len(unjudged[order[0]])
        message = (
            f"advisor found no index declaration for the {order[0]} collection, so it cannot tell whether "
            + (
                f"this query on {order[0]} scans"
                if n == 1
                else f"this and {n - 1} other {_queries(n - 1)} on {order[0]} scan"
            )
            + " the collection"
        )
    else:
        message = (
            f"advisor found no index declaration for {len(order)} collections, so it cannot tell whether "
            f"their queries scan them and stayed silent on those: {'; '.join(listed)}{more}"
        )
    yield Hit(
        message,
        first.location,
        help="check the code that declares the indexes together with this code (the repository root, or the "
        "folder with an advisor.toml); advisor reads createIndex / createIndexes / ensureIndex calls, "
        "mongoose schema.index() and index: true / unique: true, pymongo create_index(es) and IndexModel",
        subject="no-index-declarations:" + ",".join(sorted(order)),
    )


def _count(n: int) -> str:
    return f"{n} {_queries(n)}"


def _queries(n: int) -> str:
    return "query" if n == 1 else "queries"


# --- schema rule ----------------------------------------------------------------------------------------

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


def _options_text(index: IndexDef) -> str:
    parts = [f"{k}: {format_value(v)}" for k, v in index.options.items() if k in CONFLICT_OPTIONS]
    return "{ " + ", ".join(parts) + " }" if parts else "no options"


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
                yield _options_conflict(first, other)
            elif other.name != first.name:
                yield _name_conflict(first, other)


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
        f"(e.g. db.runCommand({{ collMod: '{first.table}', index: {{ keyPattern: {keys}, "
        "expireAfterSeconds: N } }))",
        fix=f"db.{first.table}.dropIndex({other.name!r})" if other.name != first.name else None,
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


@schema_check("unique-prefix")
def unique_prefix(schema: Schema):
    """A unique compound index whose leading keys are already unique on their own: the longer
    constraint is implied. (A plain compound index behind a unique key still serves sorts and
    covered reads on its later keys, as paging indexes { key: 1, _id: 1 } do: not reported.)"""
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
        if lead is None:
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
            f"by {prefix} too); if {prefix} is, drop this one: db.{index.table}.dropIndex({index.name!r})",
            fix=f"db.{index.table}.dropIndex({index.name!r})",
            subject=f"{index.table}:{index.name}",
        )


def _whole_collection(index: IndexDef) -> bool:
    """A unique index that holds for every document (not sparse, not partial)."""
    return not index.options.get("sparse") and not index.options.get("partialFilterExpression")
