"""Index declarations kept as data in Python settings and classes.

- eve: a resource's settings dict with `mongo_indexes: {name: [(field, dir)], name: ([...], {options})}`,
  on the resource's collection (its DOMAIN key, or `datasource: {source: ...}`);
- document classes (MongoEngine style): `meta = {'collection': 'x', 'indexes': ['a', ('a', '-b'),
  {'fields': [...], 'unique': True}]}` on the class's collection (the `collection` key, or the
  class name in snake case), and its fields declared `unique=True` or `unique_with=...`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

from advisor.facts.ast_nodes import walk
from advisor.ir import IndexDef, Location
from advisor.mongo.indexes import make_index

Value = Callable[[ast.AST], Any]  # an expression as a static value


def eve_indexes(tree: ast.AST, value: Value, loc: Callable[[ast.AST], Location]) -> list[IndexDef]:
    """The `mongo_indexes` of each resource's settings, on the collection of the DOMAIN key they stand under (or
    their `datasource`'s). Settings under no key written there (`def get_schema(): return {"schema": {...},
    "mongo_indexes": {...}}`, registered as `domain[mod.get_name()] = mod.get_schema()`, Alignak's) declare their
    indexes on a collection only the run names."""
    out: list[IndexDef] = []
    keyed: set[int] = set()
    unkeyed: list[tuple[ast.Dict, dict]] = []
    for node in walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        own = _settings(node)
        if "mongo_indexes" in own and "schema" in own:
            unkeyed.append((node, own))
        for key, settings in zip(node.keys, node.values):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str) and isinstance(settings, ast.Dict)):
                continue
            spec = _settings(settings)
            if "mongo_indexes" not in spec:
                continue
            keyed.add(id(settings))
            out += _eve_list(spec["mongo_indexes"], _source(spec, value) or key.value, value, loc)
    for node, spec in unkeyed:
        if id(node) not in keyed:
            where = loc(node)
            # in angle brackets, as every collection only the run names (advisor.sources.mongo_names.run_time_name)
            source = _source(spec, value)
            named = source or f"<the resource of the settings at {where.path}:{where.line}>"
            declared = _eve_list(spec["mongo_indexes"], named, value, loc)
            for index in declared if source is None else []:  # one resource's, whatever its name: compared with
                index.options["settings"] = f"{where.path}:{where.line}"  # each other (checks.schema.redundant_index)
            out += declared
    return out


def _settings(node: ast.Dict) -> dict[str, ast.AST]:
    """A dict literal's entries under text keys."""
    return {
        k.value: v
        for k, v in zip(node.keys, node.values)
        if isinstance(k, ast.Constant) and isinstance(k.value, str) and v is not None
    }


def _source(spec: dict[str, ast.AST], value: Value) -> str | None:
    """The collection a resource's `datasource: {source: ...}` names, written there."""
    source = value(spec["datasource"]) if "datasource" in spec else None
    collection = source.get("source") if isinstance(source, dict) else None
    return collection if isinstance(collection, str) else None


def eve_resource_indexes(
    cls: ast.ClassDef, value: Value, loc: Callable[[ast.AST], Location]
) -> tuple[str | None, list[IndexDef]]:
    """A resource class's `mongo_indexes = {...}` (Eve's setting as a class attribute, the resource settings
    built from the class): its `datasource = {"source": ...}` collection, None when the collection is the
    name the resource is registered under; with the indexes declared on it (named "" until then)."""
    body: dict[str, ast.AST] = {}
    for item in cls.body:  # `name = value`, `name: Type = value`
        target = (
            item.targets[0]
            if isinstance(item, ast.Assign) and len(item.targets) == 1
            else getattr(item, "target", None)
        )
        if isinstance(item, (ast.Assign, ast.AnnAssign)) and isinstance(target, ast.Name) and item.value:
            body[target.id] = item.value
    if not isinstance(body.get("mongo_indexes"), ast.Dict):
        return None, []
    source = value(body["datasource"]) if "datasource" in body else {}
    collection = source.get("source") if isinstance(source, dict) else None
    if not isinstance(source, dict) or (collection is not None and not isinstance(collection, str)):
        return None, []  # a source named at run time: its collection is unknown
    return collection, _eve_list(body["mongo_indexes"], collection or "", value, loc)


def _eve_list(indexes: ast.AST, collection: str, value: Value, loc: Callable[[ast.AST], Location]) -> list[IndexDef]:
    """`{name: [(field, dir)], name: ([...], {options})}`: Eve's spellings of a resource's indexes."""
    out: list[IndexDef] = []
    for name, declared in zip(indexes.keys, indexes.values) if isinstance(indexes, ast.Dict) else ():
        got = value(declared)
        keys, opts = (
            (got[0], got[1])
            if isinstance(got, (list, tuple)) and len(got) == 2 and isinstance(got[1], dict)
            else (got, {})
        )
        opts = {**opts, "name": value(name)} if isinstance(name, ast.Constant) else opts
        ix = make_index(collection, keys, opts, loc(declared))
        if ix is not None:
            out.append(ix)
    return out


def class_indexes(tree: ast.AST, value: Value, loc: Callable[[ast.AST], Location]) -> list[IndexDef]:
    out: list[IndexDef] = []
    for cls in (n for n in walk(tree) if isinstance(n, ast.ClassDef)):
        for item in cls.body:
            if not (
                isinstance(item, ast.Assign)
                and len(item.targets) == 1
                and isinstance(item.targets[0], ast.Name)
                and item.targets[0].id == "meta"
                and isinstance(item.value, ast.Dict)
            ):
                continue
            meta = value(item.value)
            if not isinstance(meta, dict) or meta.get("abstract") is True:
                continue
            collection = meta.get("collection")
            if not isinstance(collection, str):
                collection = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.name).lower()
            specs = meta.get("indexes")
            for spec in specs if isinstance(specs, list) else []:
                ix = _document_index(collection, spec, loc(item))
                if ix is not None:
                    out.append(ix)
            out += _unique_fields(cls, collection, value, loc)
    return out


def _unique_fields(cls: ast.ClassDef, collection: str, value: Value, loc: Callable[[ast.AST], Location]) -> list:
    """MongoEngine's field options: `name = StringField(unique=True)` is a unique index on name, and
    `unique_with="owner"` (or a list) one on (name, owner): MongoEngine builds them with the collection."""
    out: list[IndexDef] = []
    for item in cls.body:
        if not (isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name)):
            continue
        call, field = item.value, item.targets[0].id
        func = call.func if isinstance(call, ast.Call) else None
        kind = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if not isinstance(call, ast.Call) or not kind.endswith("Field"):
            continue
        options = {k.arg: value(k.value) for k in call.keywords if k.arg in ("unique", "unique_with", "primary_key")}
        with_ = options.get("unique_with")
        others = [with_] if isinstance(with_, str) else with_ if isinstance(with_, list) else []
        if options.get("primary_key") is True or not (options.get("unique") is True or others):
            continue
        if all(isinstance(o, str) for o in others):
            ix = make_index(collection, dict.fromkeys([field, *others], 1), {"unique": True}, loc(item))
            if ix is not None:
                out.append(ix)
    return out


def _document_index(collection: str, spec: Any, location: Location) -> IndexDef | None:
    """'a', '-a', ('a', '-b'), {'fields': [...], 'unique': True, ...}: MongoEngine's spellings."""
    opts: dict = {}
    if isinstance(spec, dict):
        opts = {k: v for k, v in spec.items() if k != "fields"}
        spec = spec.get("fields")
    fields = [spec] if isinstance(spec, str) else spec if isinstance(spec, (list, tuple)) else None
    if not fields or not all(isinstance(f, str) for f in fields):
        return None
    keys = {}
    for field in fields:
        direction: Any = -1 if field.startswith("-") else {"$": "text", "#": "hashed"}.get(field[:1], 1)
        keys[field.lstrip("+-$#")] = direction
    return make_index(collection, keys, opts, location)
