"""Mongo index declarations as advisor.ir.IndexDef (method "mongo")."""

from __future__ import annotations

from typing import Any

from advisor.ir import IndexDef, IndexKey, Location, Schema
from advisor.mongo.planner import index_fields
from advisor.mongo.shape import mongo_default_index_name, normalise_collection


def make_index(collection: str, keys: Any, opts: Any, location: Location, model: str | None = None) -> IndexDef | None:
    if not isinstance(keys, dict) or not keys:
        if isinstance(keys, list) and keys and all(isinstance(k, (list, tuple)) and len(k) == 2 for k in keys):
            keys = {str(k[0]): k[1] for k in keys}
        elif isinstance(keys, str):
            keys = {keys: 1}
        else:
            return None
    ikeys = []
    pairs: list[tuple[str, str | int]] = []
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
    declared = options.get("name")
    name = declared if isinstance(declared, str) else mongo_default_index_name(pairs)
    return IndexDef(name=name, table=collection, keys=tuple(ikeys), unique=bool(options.get("unique") is True),
                    method="mongo", location=location, options=options)


def indexes_named(schema: Schema, collection: str, model: str | None = None) -> tuple[list[IndexDef], str]:
    """The Mongo indexes of a collection (by name, by its model, by a loose spelling), and the
    collection's name as the indexes spell it."""
    mongo = [i for i in schema.indexes if i.method == "mongo"]
    exact = [i for i in mongo if i.table == collection]
    by_model = [i for i in mongo if model and i.options.get("model") == model]
    norm = normalise_collection(collection)
    loose = [i for i in mongo if normalise_collection(i.table) == norm]
    found: list[IndexDef] = []
    for group in (exact, by_model, loose):
        for i in group:
            if i not in found:
                found.append(i)
    name = collection
    for group in (by_model, exact, loose):
        if group:
            name = group[0].table
            break
    return found, name


def describe_index(index: IndexDef) -> str:
    if index.name == "_id_":
        return "_id_"
    body = ", ".join(f"{f}: {d if isinstance(d, int) else repr(d)}" for f, d in index_fields(index))
    return f"{index.name} {{ {body} }}"
