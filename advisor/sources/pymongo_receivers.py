"""The collection a pymongo call is made on: `db.users`, `db["users"]`, `self.jobs` (a member or a
property), what `self.get_collection()` returns, a variable or a parameter holding one."""

from __future__ import annotations

import ast
import re

from advisor.sources.mongo_names import is_database, run_time, run_time_name
from advisor.sources.pymongo_names import Names
from advisor.sources.python_classes import self_attr


def database_method(node: ast.AST) -> str | None:
    """`self.get_db().alerts`, `self.get_db()["alerts"]`: the method that gives the database, when it
    is the project that must say it does (advisor.sources.links)."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "with_options":
        node = node.func.value
    db = node.value if isinstance(node, (ast.Attribute, ast.Subscript)) else None
    if isinstance(db, ast.Call) and self_attr(db.func) and not db.args and not db.keywords:
        return getattr(db.func, "attr", None)
    return None


def collection_of(node: ast.AST, names: Names, depth: int = 0) -> str | None:
    if isinstance(node, ast.Subscript) and (is_database(node.value) or database_method(node)):
        key: ast.AST = node.slice
        if isinstance(key, ast.Name) and depth < 4:
            key = names.resolve(key) or key
        elif self_attr(key) and depth < 4:
            key = names.member(key) or key
        if isinstance(key, ast.Constant) and key.value is not None:
            return key.value if isinstance(key.value, str) else None
        # db[datasource], or db[self.name] with `self.name = None` until a subclass names it: at run time
        return run_time_name(ast.unparse(node.slice))  # db[datasource]: named at run time
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and depth < 4:
        if node.func.attr == "with_options":  # the same collection with other options
            return collection_of(node.func.value, names, depth + 1)
    if isinstance(node, ast.Call) and depth < 4:
        returned = names.returned(node)
        if returned:  # self.get_collection(...), get_collection(...): a method or function here giving one
            return _one_of(returned, ast.unparse(node), names, depth)
    if isinstance(node, ast.IfExp) and depth < 4:  # `self.db[target] if target else self.collection`
        return _one_of([node.body, node.orelse], ast.unparse(node), names, depth)
    if isinstance(node, ast.Await) and depth < 4:  # `await self.get_collection()`
        return collection_of(node.value, names, depth + 1)
    if isinstance(node, ast.Attribute) and self_attr(node):  # self.messages: a property or attribute
        held = names.member(node)
        if held is not None and depth < 4:
            name = collection_of(held, names, depth + 1)
            owner = names.held_per_instance(held) if name is not None and run_time(name) else None
            return f"{owner.name}.{node.attr}" if owner is not None else name
        m = re.fullmatch(r"_*(\w*?)_?(collection|coll|col)s?", node.attr, re.IGNORECASE)
        return f"self.{node.attr}" if m else None
    made = names.instance_of(node.value) if isinstance(node, ast.Attribute) and depth < 4 else None
    held = names.classes.members.get(id(made), {}).get(node.attr) if isinstance(node, ast.Attribute) else None
    if made is not None and held is not None:  # jobs.jobs.find() with `jobs = Jobs.alloc(...)`: that class's member
        name = collection_of(held, names, depth + 1)
        owner = names.held_per_instance(held) if name is not None and run_time(name) else None
        return f"{owner.name}.{getattr(node, 'attr', '')}" if owner is not None else name
    if isinstance(node, ast.Attribute) and node.attr == "collection" and not is_database(node.value):
        return run_time_name(ast.unparse(node))  # cursor.collection: the collection a cursor reads
    if isinstance(node, ast.Attribute):
        return node.attr if is_database(node.value) or database_method(node) else None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get_collection"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return str(node.args[0].value)
    if isinstance(node, ast.Name) and node.id == "self" and id(node) in names.collection_class:
        return run_time_name("self")  # a Collection subclass calling its own find_one
    if isinstance(node, ast.Name):
        resolved = (names.resolve(node) or names.item(node)) if depth < 4 else None
        if resolved is not None:
            return collection_of(resolved, names, depth + 1)
        given = names.arguments(node) if depth < 4 else []
        named = [collection_of(arg, names, depth + 1) for arg in given]
        if any(named):  # a parameter the module's calls pass a collection for: that one, else one per call
            return named[0] if len(set(named)) == 1 and not run_time(str(named[0])) else run_time_name(node.id)
        m = re.fullmatch(r"(\w+?)_?(collection|coll)", node.id)
        if m:
            return m.group(1)
    return None


def _one_of(values: list[ast.expr], text: str, names: Names, depth: int) -> str | None:
    """The collection an expression with several possible values holds (a method's returns, the two sides
    of `a if c else b`): the one every value names, or, when they name different ones, a collection named
    at run time (`<text>`); None when a value is no collection (`None` aside: no collection at all)."""
    got = [collection_of(v, names, depth + 1) for v in values if not (isinstance(v, ast.Constant) and v.value is None)]
    if not got or None in got:
        return None
    return got[0] if len(set(got)) == 1 else run_time_name(text)
