"""MongoDB rules on an aggregation pipeline's stages: a $lookup no index serves, a $match that could run
earlier."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from advisor.checks import Hit
from advisor.checks.mongo_premises import pins_unique, query_hit, stage_of, walk
from advisor.ir import IndexDef, Schema
from advisor.mongo.candidates import index_fields
from advisor.mongo.filters import FilterInfo, Pred, analyse_filter
from advisor.mongo.indexes import indexes_named
from advisor.mongo.shape import MongoQuery, create_index_spec, format_value


def lookup_unindexed(query: MongoQuery, schema: Schema) -> Iterator[Hit]:
    if not isinstance(query.pipeline, list):
        return
    for path, key, spec in walk(query.pipeline, ("pipeline",)):
        if key not in ("$lookup", "$graphLookup") or not isinstance(spec, dict):
            continue
        source = spec.get("from")
        foreign = spec.get("foreignField") if key == "$lookup" else spec.get("connectToField")
        if not isinstance(source, str) or not isinstance(foreign, str) or foreign == "_id":
            continue
        indexes, coll = indexes_named(schema, source)
        if not indexes or schema.small(coll):
            continue  # nothing declared for it: advisor cannot tell (undeclared_collections); or it stays small
        # a $graphLookup's every step queries restrictSearchWithMatch AND connectToField $in: an index may lead with
        # the fields that match fixes by equality, then the join field (`{tenant_id: 1, entities: 1}`)
        restrict = spec.get("restrictSearchWithMatch") if key == "$graphLookup" else None
        fixed = (
            {p.field for p in analyse_filter(restrict).preds if p.kind == "eq"} if isinstance(restrict, dict) else set()
        )
        if any(_leads_after(index_fields(i), foreign, fixed) for i in indexes):
            continue
        spec_text = create_index_spec(coll, [(foreign, 1)])
        yield query_hit(
            query,
            f"{key} joins {source} on {foreign}, which no index of {source} starts with: every "
            f"input document scans the whole {source} collection",
            query.at(*(path + ("foreignField" if key == "$lookup" else "connectToField",))),
            help=f"index the foreign field: {spec_text}",
            fix=spec_text,
            subject=f"{source}.{foreign}",
        )


def _leads_after(fields: list, foreign: str, fixed: set[str]) -> bool:
    """The index's keys reach `foreign` through fields held equal (`fixed`) alone."""
    for name, *_ in fields:
        if name == foreign:
            return True
        if name not in fixed:
            return False
    return False


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


def match_not_first(query: MongoQuery, indexes: list[IndexDef]) -> Iterator[Hit]:
    """A $match the server cannot move, but that could filter before a $group or $unwind."""
    pipeline = query.pipeline
    if not isinstance(pipeline, list):
        return
    name, first = stage_of(pipeline[0]) if pipeline else (None, None)
    if name == "$match" and isinstance(first, dict) and pins_unique(analyse_filter(first), indexes):
        return  # the pipeline starts from one document found by a unique key: nothing to filter earlier
    for i, stage in enumerate(pipeline):
        name, spec = stage_of(stage)
        if name != "$match" or i == 0 or not isinstance(spec, dict):
            continue
        prev_name, prev_spec = stage_of(pipeline[i - 1])
        info = analyse_filter(spec, ("pipeline", i, "$match"))
        if prev_name == "$group":
            hit = _after_group(query, i, spec, prev_spec, info)
        elif prev_name == "$unwind":
            hit = _after_unwind(query, pipeline, i, spec, prev_spec, info)
        else:
            continue
        if hit is not None:
            yield hit


def _after_group(query: MongoQuery, i: int, spec: dict, group: Any, info: FilterInfo) -> Hit | None:
    """The $match at stage i, after a $group, tests the group key: it could filter the input instead."""
    keys = _group_key_fields(group)
    movable = [p for p in info.preds if p.field in keys]
    if not movable:
        return None
    rewritten = {keys[p.field]: _pred_value(spec, p) for p in movable}
    fix = "{ $match: " + format_value(rewritten) + " }"
    where = "before the $group" + (f" (stage {i})" if i > 1 else "")
    return query_hit(
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


def _after_unwind(query: MongoQuery, pipeline: list, i: int, spec: dict, unwind: Any, info: FilterInfo) -> Hit | None:
    """The $match at stage i, after an $unwind, tests the unwound stored array: a copy before the $unwind
    would drop the documents with no matching element."""
    unwound = unwind if isinstance(unwind, str) else unwind.get("path") if isinstance(unwind, dict) else None
    if not isinstance(unwound, str):
        return None
    field = unwound.lstrip("$")
    if _made_by_pipeline(pipeline[: i - 1], field):
        return None  # not a stored array: no index can serve a $match on it, and after a $lookup the server
        # coalesces $lookup + $unwind + $match into one stage already
    if any(stage_of(s)[0] == "$match" for s in pipeline[: i - 1]):
        return None  # an earlier $match already chose what is unwound: not every document, and whether a
        # copy of this one would drop more of them depends on data advisor does not see
    on_array = [
        p
        for p in info.preds
        if (p.field == field or p.field.startswith(field + ".")) and p.kind in ("eq", "in", "range", "prefix")
    ]
    if not on_array:
        return None
    pre = {p.field: _pred_value(spec, p) for p in on_array}
    fix = "{ $match: " + format_value(pre) + " }"
    return query_hit(
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
        name, spec = stage_of(stage)
        if name == "$group" or (
            name in ("$lookup", "$graphLookup") and isinstance(spec, dict) and spec.get("as") == root
        ):
            return True
    return False


def _pred_value(spec: dict, p: Pred) -> Any:
    return spec.get(p.field, format_value(p.value))
