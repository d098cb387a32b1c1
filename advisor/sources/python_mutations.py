"""A filter or pipeline the code changes after building it, in Python.

    query = {}
    if institute_id:
        query["collaborators"] = institute_id
    query["status"] = status
    return self.case_collection.find(query).sort("updated_at", -1)

The value advisor reads for `query` is the `{}` it was built as; the keys set later (some under a
condition) are not in it. Such a shape is a sketch (`partial`): the rules that rest on the whole
filter (a scan, an in-memory sort, an unbounded result) stay silent on it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from advisor.facts.ast_nodes import walk

MUTATORS = {"update", "setdefault", "append", "extend", "insert", "pop", "popitem", "remove", "clear"}


def _root(node: ast.AST) -> str | None:
    """The name at the root of `q["a"]["b"]`, `q.x`: `q`."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


class Mutations:
    """The names each function of a module changes in place (`q[k] = v`, `q.update(...)`,
    `q["$match"]["$and"].append(...)`, `del q[k]`), by function (0: module level)."""

    def __init__(self, tree: ast.AST, function: dict[int, int]):
        self.function = function
        self.changed: dict[int, set[str]] = {}
        for node in walk(tree):
            targets: list[ast.AST] = []
            if isinstance(node, ast.Assign):
                targets = [t for t in node.targets if isinstance(t, (ast.Subscript, ast.Attribute))]
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target, ast.Subscript):
                targets = [node.target]
            elif isinstance(node, ast.Delete):
                targets = [t for t in node.targets if isinstance(t, ast.Subscript)]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in MUTATORS
                and isinstance(node.func.value, (ast.Name, ast.Subscript))
            ):
                targets = [ast.Subscript(value=node.func.value, slice=ast.Constant(None))]
            for target in targets:
                name = _root(target)
                if name is not None and name not in ("self", "cls"):
                    self.changed.setdefault(function.get(id(node), 0), set()).add(name)

    def changes(self, argument: ast.AST, resolve: Callable[[ast.Name], ast.AST | None]) -> bool:
        """Whether a name that holds the argument or a part of its structure (`find(query)`,
        `aggregate([match, {...}])`, `{"$and": [base, extra]}`) is changed in place in the argument's
        function. A name used as a value (`{"owner": user["_id"]}`) changes no key: not counted."""
        changed = self.changed.get(self.function.get(id(argument), 0), set())
        todo, seen = [argument], 0
        while changed and todo and seen < 200:
            node = todo.pop()
            seen += 1
            if isinstance(node, ast.Name):
                if node.id in changed:
                    return True
                held = resolve(node)
                if held is not None:
                    todo.append(held)
            elif isinstance(node, ast.Dict):
                todo += [v for v in node.values if v is not None]
            elif isinstance(node, (ast.List, ast.Tuple)):
                todo += node.elts
        return False
