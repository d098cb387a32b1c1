"""What a Python `for` loop walks, when it walks the code's own literals: code in its body runs once per element,
with that element (`for f in ("state", "name"): coll.create_index(f)`; LightRAG's `for k in TABLES.keys(): ...
f"CREATE INDEX ... ON {k}(...)"`). One reading for every extractor that declares something per element."""

from __future__ import annotations

import ast
from typing import cast

from advisor.facts.ast_nodes import function_at, kept, walk
from advisor.facts.reaching import bound_values, own_nodes


def loop_items(tree: ast.AST, node: ast.AST, name: str) -> list[ast.expr] | None:
    """The elements the innermost `for name in ...:` loop around `node` gives `name`, when its body never binds
    `name` again and `walked` knows what the loop walks."""
    loops = kept(tree, "name_loops", lambda: _name_loops(tree)).get(id(node), [])
    loop = next((lp for lp in reversed(loops) if cast(ast.Name, lp.target).id == name), None)
    if loop is None or any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
        for stmt in loop.body
        for n in ast.walk(stmt)
    ):
        return None
    return walked(tree, loop.iter, loop)


def walked(tree: ast.AST, iterable: ast.expr, at: ast.AST, depth: int = 0) -> list[ast.expr] | None:
    """The elements a loop over `iterable` (at `at`) walks, each a node of the code: a literal list, tuple or set;
    a dict literal's keys (every one a string); a name the function (or, when the function binds it nowhere, the
    module) assigns once; `X.keys()`, `list(X)`, `tuple(X)`, `sorted(X)`; a comprehension keeping the elements of
    one of those that are in (or not in) a literal set of strings. None for anything else."""
    if depth > 4:
        return None
    node = iterable
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return None if any(isinstance(e, ast.Starred) for e in node.elts) else list(node.elts)
    if isinstance(node, ast.Dict):
        keys = [k for k in node.keys if k is not None and _is_text(k)]
        return keys if len(keys) == len(node.keys) else None  # no `**other`: every key a string
    if isinstance(node, ast.Name):
        held = assigned_once(tree, node.id, at)
        return walked(tree, held, held, depth + 1) if held is not None else None
    if isinstance(node, ast.Call) and not node.keywords:
        if isinstance(node.func, ast.Attribute) and node.func.attr == "keys" and not node.args:
            return walked(tree, node.func.value, at, depth + 1)  # TABLES.keys()
        if isinstance(node.func, ast.Name) and node.func.id in ("list", "tuple", "sorted") and len(node.args) == 1:
            return walked(tree, node.args[0], at, depth + 1)
    if isinstance(node, ast.ListComp) and len(node.generators) == 1:
        return _kept(tree, node, depth)
    return None


def _kept(tree: ast.AST, node: ast.ListComp, depth: int) -> list[ast.expr] | None:
    """`[k for k in X if k not in SKIP]`: the elements of X the literal set of strings keeps."""
    gen = node.generators[0]
    if not (isinstance(gen.target, ast.Name) and isinstance(node.elt, ast.Name) and node.elt.id == gen.target.id):
        return None
    items = walked(tree, gen.iter, node, depth + 1)
    if items is None or gen.is_async:
        return None
    for test in gen.ifs:
        if not (
            isinstance(test, ast.Compare)
            and isinstance(test.left, ast.Name)
            and test.left.id == gen.target.id
            and len(test.ops) == 1
            and isinstance(test.ops[0], (ast.In, ast.NotIn))
        ):
            return None
        among = walked(tree, test.comparators[0], node, depth + 1)
        if among is None or not all(_is_text(a) for a in among):
            return None
        listed = {cast(ast.Constant, a).value for a in among}
        keep = isinstance(test.ops[0], ast.In)
        items = [i for i in items if _is_text(i) and (cast(ast.Constant, i).value in listed) == keep]
    return items


def assigned_once(tree: ast.AST, name: str, at: ast.AST) -> ast.expr | None:
    """The value of the one assignment of `name` in the function around `at` (or, when the function binds it
    nowhere, in the module's own statements); None when it is bound another way or more than once."""
    function = function_at(tree, getattr(at, "lineno", 0))
    if function is not None:
        nodes = list(ast.walk(function))
        if any(isinstance(n, ast.arg) and n.arg == name for n in nodes):
            return None  # a parameter: whatever the caller passes
        if any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) for n in nodes):
            return _one(bound_values(nodes, name))
    return _one(bound_values(list(own_nodes(tree)), name))


def _one(values: list[ast.expr] | None) -> ast.expr | None:
    return values[0] if values is not None and len(values) == 1 else None


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _name_loops(tree: ast.AST) -> dict[int, list[ast.For | ast.AsyncFor]]:
    """Each node in the body of a `for <name> in ...` loop -> those loops around it, outermost first."""
    out: dict[int, list[ast.For | ast.AsyncFor]] = {}
    for loop in walk(tree):  # breadth first: an outer loop before the loops in its body
        if isinstance(loop, (ast.For, ast.AsyncFor)) and isinstance(loop.target, ast.Name):
            for stmt in loop.body:
                for n in ast.walk(stmt):
                    out.setdefault(id(n), []).append(loop)
    return out
