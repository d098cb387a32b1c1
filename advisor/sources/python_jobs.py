"""Code of a Python module that runs as a registered one-off job, not as workload.

Synapse registers its data migrations as background updates:
`db_pool.updates.register_background_update_handler("name", self._fn)`.  The handler runs in
batches until it reports itself done, once per database, exactly like a migration; SQL written
inside it (or in a function nested in it, such as the transaction it hands to `runInteraction`)
is a backfill, not a query the application serves.  Only what one module shows for certain is
followed: the handler is a method of the class that registers it, or a function of the module or
of the registering function.  Methods the handler calls are not followed: in a store assembled
from mixins, a subclass in another module may call the same method as workload (Synapse's
`_get_state_groups_from_groups_txn` is both a background update's helper and a hot path).
"""

from __future__ import annotations

import ast

from advisor.facts.ast_nodes import walk

# the registration calls, and the position and keyword of the handler they take
JOB_REGISTRATIONS = {"register_background_update_handler": (1, "update_handler")}

_Function = ast.FunctionDef | ast.AsyncFunctionDef


def one_off_code(tree: ast.Module) -> set[int]:
    """The ids of every node inside a registered one-off job of the module."""
    parents = {id(child): node for node in walk(tree) for child in ast.iter_child_nodes(node)}
    jobs: list[_Function] = []
    registrations: set[int] = set()
    for node in walk(tree):
        handler = _handler(node) if isinstance(node, ast.Call) else None
        function = _resolve(handler, node, tree, parents) if handler is not None else None
        if function is not None:
            jobs.append(function)
            registrations.add(id(handler))
    if not jobs:
        return set()
    # a handler the module also calls as ordinary code is workload too
    references = _references(tree, registrations)
    inside = {id(n) for job in jobs for n in ast.walk(job)}
    jobs = [job for job in jobs if all(u in inside for u in references.get(job.name, []))]
    return {id(n) for job in jobs for n in ast.walk(job)}


def _handler(call: ast.Call) -> ast.expr | None:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in JOB_REGISTRATIONS:
        return None
    position, keyword = JOB_REGISTRATIONS[name]
    for k in call.keywords:
        if k.arg == keyword:
            return k.value
    return call.args[position] if position < len(call.args) else None


def _resolve(handler: ast.expr, call: ast.AST, tree: ast.Module, parents: dict[int, ast.AST]) -> _Function | None:
    """The function `self._fn`, `cls._fn` or `_fn` names where the registration is written."""
    scopes = _enclosing(call, parents)
    if (
        isinstance(handler, ast.Attribute)
        and isinstance(handler.value, ast.Name)
        and handler.value.id in ("self", "cls")
    ):
        owner = next((s for s in scopes if isinstance(s, ast.ClassDef)), None)
        return _defined(owner.body, handler.attr) if owner is not None else None
    if isinstance(handler, ast.Name):
        for scope in scopes:
            if isinstance(scope, ast.ClassDef):
                continue  # a class body is no scope for the names of its methods' code
            found = _defined(scope.body, handler.id)
            if found is not None:
                return found
        return _defined(tree.body, handler.id)
    return None


def _enclosing(node: ast.AST, parents: dict[int, ast.AST]) -> list[_Function | ast.ClassDef]:
    """The functions and classes around a node, innermost first."""
    out: list[_Function | ast.ClassDef] = []
    parent = parents.get(id(node))
    while parent is not None:
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append(parent)
        parent = parents.get(id(parent))
    return out


def _defined(body: list[ast.stmt], name: str) -> _Function | None:
    found = [n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name]
    return found[0] if len(found) == 1 else None  # defined twice (a conditional definition): not certain


def _references(tree: ast.Module, skip: set[int]) -> dict[str, list[int]]:
    """Every place a name is read, as a bare name or an attribute (`self._fn`), by node id."""
    out: dict[str, list[int]] = {}
    for node in walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            out.setdefault(node.id, []).append(id(node))
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            out.setdefault(node.attr, []).append(id(node))
    return out
