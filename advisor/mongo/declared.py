"""Index declarations kept as data in Python settings and classes.

- eve: a resource's settings dict with `mongo_indexes: {name: [(field, dir)], name: ([...], {options})}`,
  on the resource's collection (its DOMAIN key, or `datasource: {source: ...}`);
- document classes (MongoEngine style): `meta = {'collection': 'x', 'indexes': ['a', ('a', '-b'),
  {'fields': [...], 'unique': True}]}` on the class's collection (the `collection` key, or the
  class name in snake case).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

from advisor.ir import IndexDef, Location
from advisor.mongo.indexes import make_index

Value = Callable[[ast.AST], Any]  # an expression as a static value


def eve_indexes(tree: ast.AST, value: Value, loc: Callable[[ast.AST], Location]) -> list[IndexDef]:
    out: list[IndexDef] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        for key, settings in zip(node.keys, node.values):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str) and isinstance(settings, ast.Dict)):
                continue
            spec = {k.value: v for k, v in zip(settings.keys, settings.values) if isinstance(k, ast.Constant)}
            if "mongo_indexes" not in spec:
                continue
            source = value(spec["datasource"]) if "datasource" in spec else None
            collection = source.get("source") if isinstance(source, dict) else None
            indexes = spec["mongo_indexes"]
            if not isinstance(indexes, ast.Dict):
                continue
            for name, declared in zip(indexes.keys, indexes.values):
                got = value(declared)
                keys, opts = (
                    (got[0], got[1])
                    if isinstance(got, (list, tuple)) and len(got) == 2 and isinstance(got[1], dict)
                    else (got, {})
                )
                opts = {**opts, "name": value(name)} if isinstance(name, ast.Constant) else opts
                ix = make_index(collection if isinstance(collection, str) else key.value, keys, opts, loc(declared))
                if ix is not None:
                    out.append(ix)
    return out


def class_indexes(tree: ast.AST, value: Value, loc: Callable[[ast.AST], Location]) -> list[IndexDef]:
    out: list[IndexDef] = []
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
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
            if not isinstance(meta, dict) or not isinstance(meta.get("indexes"), list):
                continue
            collection = meta.get("collection")
            if not isinstance(collection, str):
                collection = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.name).lower()
            for spec in meta["indexes"]:
                ix = _document_index(collection, spec, loc(item))
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
