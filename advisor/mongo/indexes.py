"""Mongo index declarations as advisor.ir.IndexDef (method "mongo")."""

from __future__ import annotations

from typing import Any

from advisor.ir import IndexDef, IndexKey, Location
from advisor.mongo.shape import mongo_default_index_name


def make_index(collection: str, keys: Any, opts: Any, location: Location, model: str | None = None) -> IndexDef | None:
    if not isinstance(keys, dict) or not keys:
        if isinstance(keys, list) and keys and all(isinstance(k, (list, tuple)) and len(k) == 2 for k in keys):
            keys = {str(k[0]): k[1] for k in keys}
        elif isinstance(keys, str):
            keys = {keys: 1}
        else:
            return None
    ikeys = []
    pairs = []
    for field, direction in keys.items():
        if isinstance(direction, str) and direction not in ("1", "-1"):
            ikeys.append(IndexKey(f"{field}:{direction}", is_column=False))
            pairs.append((field, direction))
        elif isinstance(direction, (int, float)) and not isinstance(direction, bool):
            ikeys.append(IndexKey(str(field), True, direction < 0))
            pairs.append((field, -1 if direction < 0 else 1))
        elif isinstance(direction, str):
            ikeys.append(IndexKey(str(field), True, direction == "-1"))
            pairs.append((field, int(direction)))
        else:
            ikeys.append(IndexKey(str(field), True, False))
            pairs.append((field, 1))
    options: dict = {}
    if isinstance(opts, dict):
        for k in ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression", "name", "collation",
                  "hidden", "weights", "wildcardProjection", "background"):
            if k in opts:
                options[k] = opts[k]
    if model:
        options["model"] = model
    name = options.get("name") if isinstance(options.get("name"), str) else mongo_default_index_name(pairs)
    return IndexDef(name=name, table=collection, keys=tuple(ikeys), unique=bool(options.get("unique") is True),
                    method="mongo", location=location, options=options)
