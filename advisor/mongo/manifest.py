"""Index manifests: index declarations kept as data in JSON / YAML files.

Recognised entries (anything else yields nothing):
- `{collection, key | keys | fields, options?}` with options also allowed beside the keys
  (`name`, `unique`, `sparse`, `expireAfterSeconds`, `partialFilterExpression`...);
- `{collection, index: {key | keys, name?, ...options}}` (as mail servers ship `indexes.yaml`);
a list of entries, or a document with such a list under `indexes`.
- a collection with its list of indexes, `{name | collection, indexes: [...]}`, alone, in a list,
  or under `collections` (as pipeline frameworks configure their databases; also an object of them by
  key, as Reaction's plugins register theirs); each index is one of the forms above without the
  collection, `{field, direction?, args | options?}`, `{index: [{field, direction?}, ...], args |
  options?}` (a compound key as a list of fields), or `[key, options?]` (createIndex's arguments).
"""

from __future__ import annotations

from typing import Any

from advisor.ir import IndexDef, Location
from advisor.mongo.indexes import make_index

_NOT_OPTIONS = ("key", "keys", "fields", "options", "args", "collection", "index", "field", "direction")


def _entries(value: Any) -> list[tuple[Any, tuple]]:
    if isinstance(value, list):
        return [(v, (i,)) for i, v in enumerate(value)]
    if isinstance(value, dict):
        if "collection" in value:
            return [(value, ())]
        if isinstance(value.get("indexes"), list):
            return [(v, ("indexes", i)) for i, v in enumerate(value["indexes"])]
    return []


def _collections(value: Any) -> list[tuple[str, list, tuple]]:
    """(collection, its index list, the list's path) of each collection declared with its indexes."""
    items: list[tuple[Any, tuple]]
    if isinstance(value, dict) and isinstance(value.get("collections"), list):
        items = [(v, ("collections", i)) for i, v in enumerate(value["collections"])]
    elif isinstance(value, dict) and isinstance(value.get("collections"), dict):
        items = [(v, ("collections", k)) for k, v in value["collections"].items()]
    elif isinstance(value, list):
        items = [(v, (i,)) for i, v in enumerate(value)]
    else:
        items = [(value, ())]
    out = []
    for item, path in items:
        if isinstance(item, dict) and isinstance(item.get("indexes"), list):
            name = item.get("collection", item.get("name"))
            if isinstance(name, str) and name:
                out.append((name, item["indexes"], path + ("indexes",)))
    return out


def _keys(spec: dict) -> Any:
    """The key pattern of one index entry, in any recognised form (None: not an index entry)."""
    if "field" in spec:
        return {spec["field"]: spec.get("direction", 1)} if isinstance(spec["field"], str) else None
    index = spec.get("index")
    if (
        isinstance(index, list)
        and index
        and all(isinstance(f, dict) and isinstance(f.get("field"), str) for f in index)
    ):
        return {f["field"]: f.get("direction", 1) for f in index}
    return spec.get("key", spec.get("keys", spec.get("fields")))  # `fields`: Bedrock's createIndexes entries


def _index(collection: str, spec: Any, location: Location | None) -> IndexDef | None:
    if isinstance(spec, list) and 1 <= len(spec) <= 2 and all(isinstance(part, dict) for part in spec):
        spec = {**(spec[1] if len(spec) == 2 else {}), "key": spec[0]}  # [key, options]: createIndex's arguments
    if not isinstance(spec, dict) or location is None:
        return None
    index = spec.get("index")
    if isinstance(index, dict):  # {index: {key, name, ...options}}
        spec = index
    keys = _keys(spec)
    if keys is None:
        return None
    opts: dict = {}
    for held in ("options", "args"):
        if isinstance(spec.get(held), dict):
            opts.update(spec[held])
    opts.update({k: v for k, v in spec.items() if k not in _NOT_OPTIONS})
    return make_index(collection, keys, opts, location)


def manifest_indexes(value: Any, spans: dict[tuple, Location]) -> list[IndexDef]:
    """The index declarations of a parsed JSON / YAML document (`spans`: path -> where it was written)."""
    out: list[IndexDef] = []
    for entry, path in _entries(value):
        if isinstance(entry, dict) and isinstance(entry.get("collection"), str) and "indexes" not in entry:
            ix = _index(entry["collection"], entry, spans.get(path) or spans.get(()))
            if ix is not None:
                out.append(ix)
    for collection, indexes, path in _collections(value):
        for i, spec in enumerate(indexes):
            ix = _index(collection, spec, spans.get(path + (i,)) or spans.get(path[:-1]) or spans.get(()))
            if ix is not None:
                out.append(ix)
    return out
