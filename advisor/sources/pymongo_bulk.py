"""`coll.bulk_write([...])` in Python: one MongoDB shape per operation that has a filter (`UpdateOne(filter,
update)`, `ReplaceOne`, `DeleteMany`...), from the list (or comprehension) written there or held in a variable
of the function;
the caller's operations (a parameter, ralph's `collection.bulk_write(batch)`) are a sketch: writes on the
collection whose filters advisor cannot see (as advisor.sources.js_mongo_bulk reads JavaScript's)."""

from __future__ import annotations

import ast

from advisor.ir import Location
from advisor.mongo.shape import MongoQuery, Placeholder
from advisor.sources.pymongo_names import Names, keyword

BULK_OPS = {
    "UpdateOne": "update_one",
    "UpdateMany": "update_many",
    "ReplaceOne": "replace_one",
    "DeleteOne": "delete_one",
    "DeleteMany": "delete_many",
}  # pymongo's bulk_write operations with a filter


def bulk_write(collection: str, call: ast.Call, names: Names, loc: Location, params: tuple) -> list[MongoQuery]:
    """The shapes of one `bulk_write(requests)` call on `collection`."""
    ops = call.args[0] if call.args else keyword(call, "requests")
    listed = names.resolve(ops) if isinstance(ops, ast.Name) else ops
    if isinstance(ops, ast.Name) and listed is None and ops.id in params:  # the caller's operations
        return [python_shape(collection, "bulk_write", Placeholder("object", ops.id), call, loc, params, partial=True)]
    out = []
    seen: set[tuple[str, str]] = set()
    items = list(listed.elts) if isinstance(listed, (ast.List, ast.Tuple)) else []
    if isinstance(listed, (ast.ListComp, ast.GeneratorExp)):
        items = [listed.elt]  # `[ReplaceOne({...}, ...) for vc in found]`: one operation per item, one shape
    if isinstance(ops, ast.Name) and isinstance(listed, ast.List):
        items += appended(ops, listed, names)
    for op in items:
        f = op.func if isinstance(op, ast.Call) else None
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        given = (op.args[0] if op.args else keyword(op, "filter")) if isinstance(op, ast.Call) else None
        if name in BULK_OPS and given is not None and (name, ast.unparse(given)) not in seen:
            seen.add((name, ast.unparse(given)))  # the same operation appended in two branches: one shape
            q = python_shape(collection, BULK_OPS[name], names.value(given), op, loc, params)
            q.upsert = isinstance(op, ast.Call) and upserts(op, names, 2)  # UpdateOne(filter, update, upsert)
            out.append(q)
    return out


def appended(ops: ast.Name, listed: ast.List, names: Names) -> list[ast.expr]:
    """`ops = []` then `ops.append(UpdateOne(...))` in the same function: the operations appended (those
    of `ops.extend([...])` too)."""
    scope = names.function.get(id(listed))
    out: list[ast.expr] = []
    for node in ast.walk(names.functions.get(scope, names.tree) if scope is not None else names.tree):
        f = node.func if isinstance(node, ast.Call) else None
        if (
            isinstance(f, ast.Attribute)
            and isinstance(f.value, ast.Name)
            and f.value.id == ops.id
            and names.function.get(id(node)) == scope
            and isinstance(node, ast.Call)
            and len(node.args) == 1
        ):
            arg = node.args[0]
            out += (
                [arg]
                if f.attr == "append"
                else list(arg.elts)
                if f.attr == "extend" and isinstance(arg, ast.List)
                else []
            )
    return sorted(out, key=lambda n: (n.lineno, n.col_offset))


def upserts(call: ast.Call, names: Names, at: int) -> bool:
    """The call's `upsert` argument (by keyword, or at position `at`) is True."""
    given = keyword(call, "upsert") or (call.args[at] if len(call.args) > at else None)
    return given is not None and names.value(given) is True


def python_shape(
    collection: str, operation: str, filter: object, node: ast.AST, loc: Location, params: tuple, partial: bool = False
) -> MongoQuery:
    """The shape of one pymongo call (or one operation of a bulk write) at `loc`, its text the call's."""
    return MongoQuery(
        collection=collection,
        operation=operation,
        filter=filter,
        location=loc,
        source="python",
        driver=True,
        text=ast.unparse(node)[:2000],
        spans={(): loc},
        params=params,
        partial=partial,
    )
