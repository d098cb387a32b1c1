"""MongoDB rules: what each query shape makes the server do, and what to change.

Each rule is registered with `mongo_check` and sees a `MongoContext`; `check_query` runs
them on one `MongoQuery` under the rules' guard.  index-option-conflict is a schema check
over every Mongo index.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Callable, Iterator

from advisor.checks import Hit, mongo_check, run_rules, schema_check
from advisor.ir import IndexDef, Location, Schema
from advisor.mongo.indexes import describe_index as _describe_index, indexes_named as _indexes_named
from advisor.mongo.planner import (FilterInfo, Pred, analyse_filter, esr_keys, index_fields,
                                   leading_stages, plan_find, same_keys)
from advisor.mongo.shape import (MULTI_READ_OPS, SINGLE_READ_OPS, MongoQuery, Placeholder,
                                 Regex, create_index_spec, format_value, is_operator)

SKIP_PAGINATION_LIMIT = 1000
BLOCKING_STAGES = {"$group", "$bucket", "$bucketAuto", "$sortByCount", "$facet", "$setWindowFields",
                   "$replaceRoot", "$replaceWith", "$unionWith", "$sample", "$graphLookup", "$densify", "$fill"}
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
    def of(cls, query: MongoQuery, schema: Schema) -> "MongoContext":
        indexes, coll = indexes_for(schema, query)
        if coll != query.collection:  # name it as its indexes do (the model's collection option)
            query = replace(query, collection=coll)
        return cls(query, schema, indexes, coll)

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
    return run_rules("mongo", MongoContext.of(query, schema), query.location, enabled_name)


mongo_check("where-operator")(lambda ctx: _where_operator(ctx.query))
mongo_check("unanchored-regex")(lambda ctx: _unanchored_regex(ctx.query))
mongo_check("negation-only")(lambda ctx: _negation_only(ctx.query))
mongo_check("missing-projection")(lambda ctx: _missing_projection(ctx.query))
mongo_check("unbounded-find")(lambda ctx: _unbounded_find(ctx.query))
mongo_check("skip-pagination")(lambda ctx: _skip_pagination(ctx.query))
mongo_check("match-not-first")(lambda ctx: _match_not_first(ctx.query))
mongo_check("lookup-unindexed")(lambda ctx: _lookup_unindexed(ctx.query, ctx.schema))
mongo_check("collection-scan")(lambda ctx: ctx.planned("collection-scan"))
mongo_check("in-memory-sort")(lambda ctx: ctx.planned("in-memory-sort"))
mongo_check("esr-order")(lambda ctx: ctx.planned("esr-order"))
mongo_check("or-unindexed")(lambda ctx: ctx.planned("or-unindexed"))


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


def _where_operator(query: MongoQuery) -> Iterator[Hit]:
    roots = [(query.filter, ("filter",)), (query.pipeline, ("pipeline",))]
    for value, base in roots:
        for path, key, _ in _walk(value, base):
            if key in DANGEROUS_OPS:
                what = {"$where": "runs a JavaScript function on every document",
                        "$function": "runs server-side JavaScript for every document",
                        "$accumulator": "runs server-side JavaScript for every document of every group"}[key]
                yield _hit(query, f"{key} in {_where(query)} {what}: no index can serve it, and JavaScript "
                                  "execution is slow and disabled on many deployments",
                           query.at(*path),
                           help="express the condition with query operators, or `$expr` with aggregation "
                                "operators (e.g. { $expr: { $gt: ['$spent', '$budget'] } })",
                           subject=f"{query.collection}:{key}")


def _unanchored_regex(query: MongoQuery) -> Iterator[Hit]:
    for flt, base in _filters(query):
        for p in _all_preds(analyse_filter(flt, base)):
            if p.kind != "regex":
                continue
            rx = p.value if isinstance(p.value, Regex) else None
            if rx is None:
                shown = format_value(p.value)
                why = "a regular expression in $in"
            elif not rx.anchored:
                shown = str(rx)
                why = "is not anchored with ^, so an index cannot bound it"
            else:
                shown = str(rx)
                why = "is case-insensitive, so an index cannot bound it even though it is anchored"
            yield _hit(query, f"{_where(query)} filters {p.field} with {shown}, which {why}: every index key "
                              "(or every document) is tested",
                       query.at(*p.path),
                       help=f"anchor the pattern (/^prefix/) and match case in the stored value (store a "
                            f"lower-cased copy of {p.field}), or use a text / Atlas Search index for word search",
                       subject=f"{query.collection}.{p.field}")


def _negation_only(query: MongoQuery) -> Iterator[Hit]:
    for flt, base in _filters(query):
        if base[0] == "pipeline" and base[1] != 0:
            continue  # only the leading $match can use an index
        info = analyse_filter(flt, base)
        if info.unknown or info.ors or info.special or not info.preds or query.partial:
            continue
        if all(p.kind == "negation" for p in info.preds):
            p = info.preds[0]
            ops = ", ".join(sorted({str(k) for pr in info.preds for k in (pr.path[-1],) if is_operator(k)})) or "$ne"
            yield _hit(query, f"{_where(query)} filters only with negation ({ops} on "
                              f"{', '.join(pr.field for pr in info.preds)}): an index cannot narrow the scan, "
                              "every other value matches",
                       query.at(*p.path),
                       help="add a positive condition (an equality or range on an indexed field), or list the "
                            "wanted values with $in",
                       subject=f"{query.collection}:{','.join(pr.field for pr in info.preds)}")


def _missing_projection(query: MongoQuery) -> Iterator[Hit]:
    if query.projection is not None or query.is_aggregate or query.explained or query.source == "shape":
        return
    many = query.operation in MULTI_READ_OPS
    if not many and not (query.operation in SINGLE_READ_OPS and query.lean):
        return
    what = "every matching document in full" if many else "the whole document"
    yield _hit(query, f"{_where(query)} returns {what}: no projection"
                      + (" or .select()" if not query.driver else ""),
               query.location,
               help="name the fields the code uses: " + (".select('field1 field2')" if not query.driver
                                                           else "{ projection: { field1: 1, field2: 1 } }")
                    + "; a projection also lets an index cover the query",
               subject=f"{query.collection}:{query.operation}")


def _unbounded_find(query: MongoQuery) -> Iterator[Hit]:
    if query.operation not in MULTI_READ_OPS or query.limit is not None or query.explained or query.source == "shape":
        return
    info = analyse_filter(query.filter)
    if any(p.field == "_id" and p.kind == "eq" for p in info.preds):
        return
    yield _hit(query, f"{_where(query)} has no limit: it returns every matching document, "
                      "however many the collection grows to",
               query.location,
               help="add .limit(n) (with a sort on an indexed field for stable pages), or stream with a cursor "
                    "when the caller really needs them all",
               subject=f"{query.collection}:{format_value(query.filter)}")


def _skip_pagination(query: MongoQuery) -> Iterator[Hit]:
    skips: list[tuple[Any, tuple]] = []
    if query.skip is not None:
        skips.append((query.skip, ("skip",)))
    if isinstance(query.pipeline, list):
        for i, stage in enumerate(query.pipeline):
            name, spec = _stage(stage)
            if name == "$skip":
                skips.append((spec, ("pipeline", i)))
    for value, path in skips:
        dynamic = isinstance(value, Placeholder)
        if not dynamic and not (isinstance(value, (int, float)) and value > SKIP_PAGINATION_LIMIT):
            continue
        shown = value.text if isinstance(value, Placeholder) and value.text else format_value(value)
        yield _hit(query, f"{_where(query)} pages with skip({shown}): the server still walks and discards every "
                          "skipped document, so page n costs n pages of reads",
                   query.at(*path),
                   help="paginate by range on the sort key instead: remember the last value seen and query "
                        "{ sortKey: { $lt: last } } with the same sort and a limit",
                   subject=f"{query.collection}:skip")


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
        if any(index_fields(i) and index_fields(i)[0][0] == foreign for i in indexes):
            continue
        spec_text = create_index_spec(coll, [(foreign, 1)])
        yield _hit(query, f"{key} joins {source} on {foreign}, which no index of {source} starts with: every "
                          f"input document scans the whole {source} collection",
                   query.at(*(path + ("foreignField" if key == "$lookup" else "connectToField",))),
                   help=f"index the foreign field: {spec_text}",
                   fix=spec_text, subject=f"{source}.{foreign}")


def _group_key_fields(spec: Any) -> dict[str, str]:
    """Output field -> input field of a $group key that is a plain field path."""
    if not isinstance(spec, dict):
        return {}
    key = spec.get("_id")
    if isinstance(key, str) and key.startswith("$") and not key.startswith("$$"):
        return {"_id": key[1:]}
    if isinstance(key, dict):
        return {f"_id.{k}": v[1:] for k, v in key.items()
                if isinstance(v, str) and v.startswith("$") and not v.startswith("$$")}
    return {}


def _match_not_first(query: MongoQuery) -> Iterator[Hit]:
    """A $match the server cannot move, but that could filter before a $group or $unwind."""
    pipeline = query.pipeline
    if not isinstance(pipeline, list):
        return
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
            yield _hit(query, f"$match on the group key {', '.join(p.field for p in movable)} runs after $group: "
                              f"every document is grouped first and most groups are thrown away; the server "
                              f"does not move it",
                       query.at("pipeline", i),
                       help=f"filter the input instead: put {fix} {where}, where an index on "
                            f"{', '.join(keys[p.field] for p in movable)} can serve it",
                       fix=fix, subject=f"{query.collection}:$match:{','.join(p.field for p in movable)}")
        elif prev_name == "$unwind":
            unwound = prev_spec if isinstance(prev_spec, str) else prev_spec.get("path") if isinstance(prev_spec, dict) else None
            if not isinstance(unwound, str):
                continue
            field = unwound.lstrip("$")
            on_array = [p for p in info.preds if (p.field == field or p.field.startswith(field + "."))
                        and p.kind in ("eq", "in", "range", "prefix")]
            if not on_array:
                continue
            pre = {p.field: _pred_value(spec, p) for p in on_array}
            fix = "{ $match: " + format_value(pre) + " }"
            yield _hit(query, f"$match on the unwound array {field} runs only after $unwind: every document is "
                              f"unwound first, even those with no matching element",
                       query.at("pipeline", i),
                       help=f"add {fix} before the $unwind (it keeps documents with a matching element and can "
                            f"use an index); keep this $match to drop the other elements",
                       fix=fix, subject=f"{query.collection}:$unwind:{field}")


def _pred_value(spec: dict, p: Pred) -> Any:
    return spec.get(p.field, format_value(p.value))


# --- rules from the planner ----------------------------------------------------------------------------


def _planner_rules(query: MongoQuery, indexes: list[IndexDef], coll: str, schema: Schema) -> Iterator[tuple[str, Hit]]:
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
        plan = plan_find(None, sort, indexes, None, info=info)
        anchor = query.at("pipeline", lead.match_indexes[0]) if lead.match_indexes else query.location
        sort_anchor = query.at("pipeline", lead.sort_index) if lead.sort_index is not None else anchor
        what = f"the first $match of {query.collection}.aggregate"
    else:
        info = analyse_filter(query.filter)
        sort = query.sort
        plan = plan_find(query.filter, sort, indexes, query.projection, info=info)
        anchor = query.location
        sort_anchor = query.at("sort")
        what = f"{_where(query)}({format_value(query.filter)})"
    if plan.stage in ("UNKNOWN", "SPECIAL", "IDHACK") or query.partial and plan.stage == "UNKNOWN":
        return
    keys = esr_keys(info, sort)
    spec = create_index_spec(coll, keys) if keys else None
    metrics = {"evidence": "static", "plan": plan.describe()}
    if plan.unindexed_clauses:
        for n, path in plan.unindexed_clauses:
            clause = info.ors[0][n]
            ckeys = esr_keys(FilterInfo(preds=info.preds + clause.preds), sort)
            cspec = create_index_spec(coll, ckeys) if ckeys else None
            yield "or-unindexed", _hit(
                query, f"$or clause {n + 1} of {what} ({', '.join(clause.fields()) or 'no field'}) has no index, "
                       f"so the whole $or scans the collection ({_known(indexes)})",
                query.at(*path),
                help=(f"index that clause: {cspec}" if cspec else "rewrite the clause so an index can serve it")
                + "; every $or clause needs its own index for the server to use them",
                fix=cspec, subject=f"{coll}:$or:{','.join(clause.fields())}", metrics=metrics)
        if plan.stage == "COLLSCAN":
            return
    if plan.stage == "COLLSCAN":
        if not keys:
            return  # nothing an index could bound: negation-only / unanchored-regex say why
        sorted_too = " and sorts the result in memory" if plan.blocking_sort else ""
        fields = ", ".join(dict.fromkeys(p.field for p in info.preds if not p.field.startswith("$")))
        yield "collection-scan", _hit(
            query, f"{what} scans the whole {coll} collection{sorted_too}: no index starts with "
                   f"{fields} ({_known(indexes)})",
            anchor,
            help=f"create the index in Equality, Sort, Range order: {spec}",
            fix=spec, subject=f"{coll}:{_fields_text(keys)}", metrics=metrics)
        return
    if plan.stage == "EMPTY":
        if plan.blocking_sort and keys:
            yield "in-memory-sort", _hit(
                query, f"{what} sorts the whole {coll} collection in memory by {_fields_text(list(plan.sort.items()))}: "
                       "no index provides that order",
                sort_anchor, help=f"create an index in the sort order: {spec}", fix=spec,
                subject=f"{coll}:sort:{_fields_text(keys)}", metrics=metrics)
        return
    if plan.blocking_sort and keys and not (plan.index is not None and same_keys(plan.index, keys)):
        used = f"uses {_describe_index(plan.index)}" if plan.index is not None else "uses an $or of indexes"
        yield "in-memory-sort", _hit(
            query, f"{what} {used} but sorts in memory by {_fields_text(list(plan.sort.items()))}: the index "
                   "order does not provide the sort (a blocking SORT stage, limited to 100 MB, reads every match "
                   "before returning the first)",
            sort_anchor,
            help=f"create the index in Equality, Sort, Range order: {spec}",
            fix=spec, subject=f"{coll}:sort:{_fields_text(keys)}", metrics=metrics)
    cand = plan.candidate
    if cand is not None and cand.range_before is not None and keys and plan.index is not None:
        rng, later = cand.range_before
        role = "sort" if plan.sort and later in plan.sort else "equality"
        p = next((p for p in info.preds if p.field == rng), None)
        yield "esr-order", _hit(
            query, f"index {_describe_index(plan.index)} puts the range on {rng} before the {role} field "
                   f"{later}: {what} reads every key in the {rng} range"
                   + (" and sorts in memory" if role == "sort" and plan.blocking_sort else "")
                   + " instead of only the matching ones",
            query.at(*p.path) if p is not None else anchor,
            help=f"order the keys Equality, Sort, Range: {spec}"
                 + (f" (declared at {plan.index.location})" if plan.index.location else ""),
            fix=spec, subject=f"{coll}:{plan.index.name}", metrics=metrics)


# --- schema rule ----------------------------------------------------------------------------------------

CONFLICT_OPTIONS = ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression", "collation", "hidden",
                    "weights", "wildcardProjection")


def option_key(index: IndexDef) -> tuple:
    return tuple((k, repr(index.options.get(k))) for k in CONFLICT_OPTIONS if index.options.get(k) is not None
                 and not (k in ("unique", "sparse", "hidden") and index.options.get(k) is False))


def _options_text(index: IndexDef) -> str:
    parts = [f"{k}: {format_value(v)}" for k, v in index.options.items() if k in CONFLICT_OPTIONS]
    return "{ " + ", ".join(parts) + " }" if parts else "no options"


def _opt(index: IndexDef, key: str) -> str:
    value = index.options.get(key)
    return "unset" if value is None else format_value(value)


@schema_check("index-option-conflict")
def index_option_conflict(schema: Schema):
    groups: dict[tuple, list[IndexDef]] = defaultdict(list)
    for index in schema.indexes:
        if index.method == "mongo":
            groups[(index.table, index.keys)].append(index)
    for group in groups.values():
        if len(group) < 2:
            continue
        group = sorted(group, key=lambda i: i.location or Location("", 0))
        first = group[0]
        for other in group[1:]:
            if other.location is None or option_key(other) == option_key(first):
                continue
            a, b = dict(option_key(first)), dict(option_key(other))
            differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            changes = ", ".join(f"{k} {_opt(other, k)} here, {_opt(first, k)} there" for k in differ)
            keys = "{ " + ", ".join(f"{f}: {d}" for f, d in index_fields(first)) + " }"
            yield Hit(
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
