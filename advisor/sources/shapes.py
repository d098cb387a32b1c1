"""Mongo query shapes kept in `.json` / `.yaml` files.

Recognised forms (anything else yields nothing, never an error):
- a shape: `{collection, filter|query, projection, sort, skip, limit}` or `{collection, pipeline}`;
- a list of shapes, or `{queries: [...]}` / `{shapes: [...]}`;
- a bare pipeline: a list of `{"$stage": ...}` documents (collection from the file name);
- a bare filter whose keys use query operators (collection from the file name).
Extended JSON (`{"$date": ...}`, `{"$oid": ...}`) becomes typed placeholders.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from advisor.ir import Location, SourceFile
from advisor.mongo.manifest import manifest_indexes
from advisor.mongo.shape import MongoQuery, Placeholder, Regex
from advisor.sources import register

STAGES = {
    "$match",
    "$group",
    "$project",
    "$sort",
    "$limit",
    "$skip",
    "$unwind",
    "$lookup",
    "$addFields",
    "$set",
    "$unset",
    "$facet",
    "$bucket",
    "$bucketAuto",
    "$count",
    "$replaceRoot",
    "$replaceWith",
    "$sample",
    "$out",
    "$merge",
    "$graphLookup",
    "$geoNear",
    "$sortByCount",
    "$unionWith",
    "$setWindowFields",
    "$densify",
    "$fill",
    "$redact",
    "$search",
    "$searchMeta",
    "$vectorSearch",
    "$documents",
    "$indexStats",
    "$collStats",
    "$changeStream",
}
QUERY_OPS = {
    "$and",
    "$or",
    "$nor",
    "$expr",
    "$text",
    "$where",
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$exists",
    "$regex",
    "$elemMatch",
    "$size",
    "$all",
    "$not",
    "$type",
    "$geoWithin",
    "$near",
}
JSON_SCHEMA_KEYS = {"$schema", "$ref", "$id", "$defs", "$comment", "$anchor", "$vocabulary"}
EXT_JSON = {
    "$date": "date",
    "$oid": "objectid",
    "$numberLong": "number",
    "$numberInt": "number",
    "$numberDecimal": "number",
    "$numberDouble": "number",
    "$timestamp": "date",
    "$binary": "string",
    "$uuid": "string",
}


def _loc(path: str, start, end) -> Location:
    return Location(path, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _finish(value: dict) -> Any:
    """Extended JSON (`{"$date": ...}`, `{"$regularExpression": ...}`) as typed placeholders."""
    if len(value) == 1:
        ((k, v),) = value.items()
        if k in EXT_JSON:
            return Placeholder(EXT_JSON[k], f"{{{k}: {v!r}}}")
        if k == "$regularExpression" and isinstance(v, dict):
            return Regex(str(v.get("pattern", "")), str(v.get("options", "")))
    return value


def _scalar(loader, event) -> Any:
    import yaml

    tag = event.tag if event.tag not in (None, "!") else loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    constructor = loader.yaml_constructors.get(tag)
    if constructor is None:
        return event.value
    try:
        return constructor(loader, yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style))
    except Exception:  # noqa: BLE001 - a bad date or number stays text
        return event.value


def _load(text: str, path: str, spans: dict) -> Any:
    """The document, built from the parser's events in one loop: linear in the file, no recursion
    (nesting depth is free), and no aliases (a 500-byte file of nested aliases expands to
    gigabytes). `spans` receives each value's location by its path of keys and indexes; an
    entry of a mapping spans from its key to the end of its value."""
    import yaml

    loader = yaml.SafeLoader("")  # resolves and constructs scalars; PyYAML's C parser makes the events
    stack: list[list] = []  # [container, path, start mark, pending key, key mark]
    root: list = []
    documents = 0
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.AliasEvent):
                raise ValueError("aliases are not read in shape files")
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise ValueError("one document per shape file")
                continue
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if stack and isinstance(stack[-1][0], dict) and stack[-1][3] is None:
                    raise TypeError("a mapping or list as a key")
                container: dict | list = {} if isinstance(event, yaml.MappingStartEvent) else []
                stack.append([container, _child_path(stack), event.start_mark, None, None])
                continue
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                container, p, start, _, _ = stack.pop()
                spans[p] = _loc(path, start, event.end_mark)
                value = _finish(container) if isinstance(container, dict) else container
                _deliver(stack, root, value, event.end_mark, path, spans)
            elif isinstance(event, yaml.ScalarEvent):
                top = stack[-1] if stack else None
                if top is not None and isinstance(top[0], dict) and top[3] is None:
                    top[3], top[4] = event.value, event.start_mark  # a key: its text, as written
                    continue
                spans[_child_path(stack)] = _loc(path, event.start_mark, event.end_mark)
                _deliver(stack, root, _scalar(loader, event), event.end_mark, path, spans)
    finally:
        loader.dispose()
    return root[0] if root else None


def _child_path(stack: list[list]) -> tuple:
    if not stack:
        return ()
    container, p, _, key, _ = stack[-1]
    return p + ((key,) if isinstance(container, dict) else (len(container),))


def _deliver(stack: list[list], root: list, value: Any, end, path: str, spans: dict) -> None:
    if not stack:
        root.append(value)
        return
    top = stack[-1]
    container, p, _, key, key_mark = top
    if isinstance(container, dict):
        container[key] = value
        spans[p + (key,)] = _loc(path, key_mark, end)
        top[3] = top[4] = None
    else:
        container.append(value)


def _is_pipeline(v: Any) -> bool:
    return (
        isinstance(v, list)
        and bool(v)
        and all(isinstance(s, dict) and len(s) == 1 and next(iter(s)) in STAGES for s in v)
    )


def _has_query_ops(v: Any, depth: int = 0) -> bool:
    if depth > 6:
        return False
    if isinstance(v, dict):
        if set(v) & JSON_SCHEMA_KEYS:
            return False
        return any((k in QUERY_OPS) or _has_query_ops(x, depth + 1) for k, x in v.items())
    if isinstance(v, list):
        return any(_has_query_ops(x, depth + 1) for x in v)
    return False


def _looks_like_filter(v: dict) -> bool:
    if not v or set(v) & JSON_SCHEMA_KEYS or not all(isinstance(k, str) for k in v):
        return False
    if any(k.startswith("$") and k not in QUERY_OPS for k in v):
        return False
    return any(k in QUERY_OPS for k in v) or any(
        isinstance(x, dict) and x and all(kk in QUERY_OPS or kk == "$options" for kk in x) for x in v.values()
    )


def _is_shape(v: Any) -> bool:
    return (
        isinstance(v, dict)
        and isinstance(v.get("collection"), str)
        and (isinstance(v.get("filter", v.get("query")), dict) or _is_pipeline(v.get("pipeline")))
    )


def _query(path: str, collection: str, spec: dict, spans: dict) -> MongoQuery:
    """The query of one shape; `spans`: the locations of the shape's own parts, relative to it
    (so the work per shape is its own size: a file of many shapes costs linear time)."""
    loc = spans.get((), Location(path, 1, 1))
    mine: dict = {(): loc}
    if "pipeline" in spec:
        mine.update((k, v) for k, v in spans.items() if k[:1] == ("pipeline",))
        return MongoQuery(
            collection=collection,
            operation="aggregate",
            pipeline=spec["pipeline"],
            location=loc,
            source="shape",
            driver=True,
            spans=mine,
            text=str(spec)[:500],
        )
    key = "filter" if "filter" in spec else "query"
    mine.update((("filter",) + k[1:], v) for k, v in spans.items() if k[:1] == (key,))
    mine.update((k, v) for k, v in spans.items() if k[:1] in (("sort",), ("projection",), ("skip",), ("limit",)))
    op = spec.get("operation") or spec.get("op") or "find"
    return MongoQuery(
        collection=collection,
        operation=str(op),
        filter=spec.get(key),
        projection=spec.get("projection"),
        sort=spec.get("sort"),
        skip=spec.get("skip"),
        limit=spec.get("limit"),
        location=loc,
        source="shape",
        driver=True,
        spans=mine,
        text=str(spec)[:500],
    )


def extract_shapes(path: str, text: str, dialect: str = "postgres") -> SourceFile:
    result = SourceFile(path=path, text=text)
    if "$" not in text and "collection" not in text:
        return result
    try:
        spans: dict = {}
        value = _load(text, path, spans)
        if value is None:
            return result
    except Exception:  # noqa: BLE001 - not ours to judge: other JSON/YAML yields nothing
        return result
    stem = PurePath(path).name.split(".")[0]
    result.indexes += manifest_indexes(value, spans)  # index manifests (advisor/mongo/manifest.py)
    if _is_pipeline(value):
        result.queries.append(_query(path, stem, {"pipeline": value}, {("pipeline",) + k: v for k, v in spans.items()}))
        return result
    items: list[tuple[Any, tuple]] = []
    if _is_shape(value):
        items = [(value, ())]
    elif isinstance(value, list):
        items = [(v, (i,)) for i, v in enumerate(value) if _is_shape(v)]
    elif isinstance(value, dict):
        for key in ("queries", "shapes"):
            if isinstance(value.get(key), list):
                items = [(v, (key, i)) for i, v in enumerate(value[key]) if _is_shape(v)]
        if not items and _looks_like_filter(value):
            result.queries.append(_query(path, stem, {"filter": value}, {("filter",) + k: v for k, v in spans.items()}))
            return result
    own: dict[tuple, dict] = {base: {} for _, base in items}  # each shape's spans, in one pass over all
    depth = len(items[0][1]) if items else 0
    for k, loc in spans.items():
        if k[:depth] in own:
            own[k[:depth]][k[depth:]] = loc
    for spec, base in items:
        result.queries.append(_query(path, spec["collection"], spec, own[base]))
    return result


register((".json", ".yaml", ".yml"), extract_shapes)
