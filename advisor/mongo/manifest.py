"""Index manifests: index declarations kept as data in JSON / YAML files.

Recognised entries (anything else yields nothing):
- `{collection, key | keys, options?}` with options also allowed beside the keys
  (`name`, `unique`, `sparse`, `expireAfterSeconds`, `partialFilterExpression`...);
- `{collection, index: {key | keys, name?, ...options}}` (as mail servers ship `indexes.yaml`);
a list of entries, or a document with such a list under `indexes`.
"""

from __future__ import annotations

from typing import Any

from advisor.ir import IndexDef, Location
from advisor.mongo.indexes import make_index


def _entries(value: Any) -> list[tuple[Any, tuple]]:
    if isinstance(value, list):
        return [(v, (i,)) for i, v in enumerate(value)]
    if isinstance(value, dict):
        if "collection" in value:
            return [(value, ())]
        if isinstance(value.get("indexes"), list):
            return [(v, ("indexes", i)) for i, v in enumerate(value["indexes"])]
    return []


def manifest_indexes(value: Any, spans: dict[tuple, Location]) -> list[IndexDef]:
    """The index declarations of a parsed JSON / YAML document (`spans`: path -> where it was written)."""
    out: list[IndexDef] = []
    for entry, path in _entries(value):
        if not isinstance(entry, dict) or not isinstance(entry.get("collection"), str):
            continue
        index = entry.get("index")
        spec: dict = index if isinstance(index, dict) else entry
        keys = spec.get("key", spec.get("keys"))
        if keys is None:
            continue
        options = spec.get("options")
        opts = dict(options) if isinstance(options, dict) else {}
        opts.update({k: v for k, v in spec.items() if k not in ("key", "keys", "options", "collection", "index")})
        location = spans.get(path) or spans.get(())
        ix = make_index(entry["collection"], keys, opts, location) if location is not None else None
        if ix is not None:
            out.append(ix)
    return out
