"""Mongo index declarations as advisor.ir.IndexDef (method "mongo"; "mongo-unread" for a declaration
whose keys advisor cannot read, e.g. `createIndex(this._indices)`)."""

from __future__ import annotations

from typing import Any

from advisor.ir import IndexDef, IndexKey, Location, Schema
from advisor.mongo.candidates import index_fields
from advisor.mongo.shape import Placeholder, mongo_default_index_name, normalise_collection

UNREAD = "mongo-unread"


def unread_index(collection: str, location: Location, model: str | None = None) -> IndexDef:
    """An index is declared on the collection, with keys known only at run time: advisor cannot say
    which queries it serves, so it claims neither a scan nor an absence of declarations there."""
    return IndexDef(
        name=f"(keys not read, {location})",
        table=collection,
        keys=(),
        method=UNREAD,
        location=location,
        options={"model": model} if model else {},
    )


def _field_name(field: Any) -> str:
    """A key as a query names it: a key a name holds (`[(PROJ_QUEUE, 1)]`) as written, `utils.PROJ_QUEUE_KEY`."""
    return (field.text or "…") if isinstance(field, Placeholder) else str(field)


def make_index(collection: str, keys: Any, opts: Any, location: Location, model: str | None = None) -> IndexDef | None:
    if not isinstance(keys, dict) or not keys:
        listed = [(k, 1) if isinstance(k, str) else k for k in keys] if isinstance(keys, list) else []
        if listed and all(isinstance(k, (list, tuple)) and len(k) == 2 for k in listed):
            # [("a", 1), ("b", -1)], and a plain key ascending among them (["a", "b"]), as both drivers read them
            keys = {_field_name(k[0]): k[1] for k in listed}
        elif isinstance(keys, str):
            keys = {keys: 1}
        else:
            return None
    ikeys = []
    pairs: list[tuple[str, str | int]] = []
    for field, direction in keys.items():
        field = _field_name(field)
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
        for k in (
            "unique",
            "sparse",
            "expireAfterSeconds",
            "partialFilterExpression",
            "name",
            "collation",
            "hidden",
            "weights",
            "wildcardProjection",
            "background",
        ):
            if k in opts:
                options[k] = opts[k]
    if model:
        options["model"] = model
    declared = options.get("name")
    name = declared if isinstance(declared, str) else mongo_default_index_name(pairs)
    return IndexDef(
        name=name,
        table=collection,
        keys=tuple(ikeys),
        unique=bool(options.get("unique") is True),
        method="mongo",
        location=location,
        options=options,
    )


def indexes_named(schema: Schema, collection: str, model: str | None = None) -> tuple[list[IndexDef], str]:
    """The Mongo indexes of a collection (by name, by its model, by a loose spelling), and the
    collection's name as the indexes spell it."""
    return _named([i for i in schema.indexes if i.method == "mongo"], collection, model)


# GridFS: what the driver creates on a bucket's collections (`fs.files`, `fs.chunks`) before its first upload
# (the GridFS specification), never declared in the code: (name, keys, unique)
_GRIDFS = {
    "files": ("filename_1_uploadDate_1", ("filename", "uploadDate"), False),
    "chunks": ("files_id_1_n_1", ("files_id", "n"), True),
}


def driver_indexes(collection: str) -> list[IndexDef]:
    """The indexes a collection has without any declaration of the code's, besides `_id_` (the planner's own):
    a GridFS bucket's. They let the planner judge the lookups the driver serves (`chunks.find({files_id})`),
    but are no declaration: a collection with only these is still one advisor saw none for."""
    bucket, _, part = collection.rpartition(".")
    if not bucket or part not in _GRIDFS:
        return []
    name, keys, unique = _GRIDFS[part]
    return [IndexDef(name, collection, tuple(IndexKey(k) for k in keys), unique=unique, method="mongo")]


def unread_named(schema: Schema, collection: str, model: str | None = None) -> list[IndexDef]:
    """The declarations on a collection whose keys advisor could not read."""
    return _named([i for i in schema.indexes if i.method == UNREAD], collection, model)[0]


def _named(mongo: list[IndexDef], collection: str, model: str | None) -> tuple[list[IndexDef], str]:
    exact = [i for i in mongo if i.table == collection]
    by_model = [i for i in mongo if model and i.options.get("model") == model]
    norm = normalise_collection(collection)
    loose = [i for i in mongo if normalise_collection(i.table) == norm]
    found: list[IndexDef] = []
    # each declaration once, by equality as before, but compared only with those of its name and table: a list
    # membership test per index was quadratic (1,000 declarations on one collection: 78 s, red-team pass 7)
    alike: dict[tuple[str, str], list[IndexDef]] = {}
    for group in (exact, by_model, loose):
        for i in group:
            same = alike.setdefault((i.name, i.table), [])
            if i not in same:
                same.append(i)
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
