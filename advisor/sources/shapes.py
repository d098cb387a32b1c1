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
from advisor.mongo.shape import MongoQuery, Placeholder, Regex
from advisor.sources import register

STAGES = {"$match", "$group", "$project", "$sort", "$limit", "$skip", "$unwind", "$lookup", "$addFields", "$set",
          "$unset", "$facet", "$bucket", "$bucketAuto", "$count", "$replaceRoot", "$replaceWith", "$sample",
          "$out", "$merge", "$graphLookup", "$geoNear", "$sortByCount", "$unionWith", "$setWindowFields",
          "$densify", "$fill", "$redact", "$search", "$searchMeta", "$vectorSearch", "$documents", "$indexStats",
          "$collStats", "$changeStream"}
QUERY_OPS = {"$and", "$or", "$nor", "$expr", "$text", "$where", "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in",
             "$nin", "$exists", "$regex", "$elemMatch", "$size", "$all", "$not", "$type", "$geoWithin", "$near"}
JSON_SCHEMA_KEYS = {"$schema", "$ref", "$id", "$defs", "$comment", "$anchor", "$vocabulary"}
EXT_JSON = {"$date": "date", "$oid": "objectid", "$numberLong": "number", "$numberInt": "number",
            "$numberDecimal": "number", "$numberDouble": "number", "$timestamp": "date", "$binary": "string",
            "$uuid": "string"}


def _no_alias_loader():
    """PyYAML's safe loader without aliases: a 500-byte file of nested aliases expands to gigabytes."""
    import yaml

    class Loader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                raise yaml.YAMLError("aliases are not read in shape files")
            return super().compose_node(parent, index)

    return Loader


def _build(node, path: str, spans: dict, p: tuple, scalars) -> Any:
    import yaml

    loc = Location(path, node.start_mark.line + 1, node.start_mark.column + 1,
                   node.end_mark.line + 1, node.end_mark.column + 1)
    spans[p] = loc
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k.value)
            out[key] = _build(v, path, spans, p + (key,), scalars)
            spans[p + (key,)] = Location(path, k.start_mark.line + 1, k.start_mark.column + 1,
                                         v.end_mark.line + 1, v.end_mark.column + 1)
        if len(out) == 1:
            (k, v), = out.items()
            if k in EXT_JSON:
                return Placeholder(EXT_JSON[k], f"{{{k}: {v!r}}}")
            if k == "$regularExpression" and isinstance(v, dict):
                return Regex(str(v.get("pattern", "")), str(v.get("options", "")))
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, path, spans, p + (i,), scalars) for i, v in enumerate(node.value)]
    try:
        return scalars.construct_object(node, deep=True)
    except Exception:  # noqa: BLE001
        return node.value


def _is_pipeline(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(
        isinstance(s, dict) and len(s) == 1 and next(iter(s)) in STAGES for s in v)


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
        isinstance(x, dict) and x and all(kk in QUERY_OPS or kk == "$options" for kk in x) for x in v.values())


def _is_shape(v: Any) -> bool:
    return isinstance(v, dict) and isinstance(v.get("collection"), str) and (
        isinstance(v.get("filter", v.get("query")), dict) or _is_pipeline(v.get("pipeline")))


def _query(path: str, collection: str, spec: dict, spans: dict) -> MongoQuery:
    """The query of one shape; `spans`: the locations of the shape's own parts, relative to it
    (so the work per shape is its own size: a file of many shapes costs linear time)."""
    loc = spans.get((), Location(path, 1, 1))
    mine: dict = {(): loc}
    if "pipeline" in spec:
        mine.update((k, v) for k, v in spans.items() if k[:1] == ("pipeline",))
        return MongoQuery(collection=collection, operation="aggregate", pipeline=spec["pipeline"], location=loc,
                          source="shape", driver=True, spans=mine, text=str(spec)[:500])
    key = "filter" if "filter" in spec else "query"
    mine.update((("filter",) + k[1:], v) for k, v in spans.items() if k[:1] == (key,))
    mine.update((k, v) for k, v in spans.items() if k[:1] in (("sort",), ("projection",), ("skip",), ("limit",)))
    op = spec.get("operation") or spec.get("op") or "find"
    return MongoQuery(collection=collection, operation=str(op), filter=spec.get(key), projection=spec.get("projection"),
                      sort=spec.get("sort"), skip=spec.get("skip"), limit=spec.get("limit"), location=loc,
                      source="shape", driver=True, spans=mine, text=str(spec)[:500])


def extract_shapes(path: str, text: str, dialect: str = "postgres") -> SourceFile:
    result = SourceFile(path=path, text=text)
    if "$" not in text and "collection" not in text:
        return result
    try:
        import yaml

        node = yaml.compose(text, Loader=_no_alias_loader())
        if node is None:
            return result
        spans: dict = {}
        scalars = yaml.SafeLoader("")  # one constructor for every scalar
        try:
            value = _build(node, path, spans, (), scalars)
        finally:
            scalars.dispose()
    except Exception:  # noqa: BLE001 - not ours to judge: other JSON/YAML yields nothing
        return result
    stem = PurePath(path).name.split(".")[0]
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
