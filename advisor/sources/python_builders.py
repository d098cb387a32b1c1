"""What a call of one of a Python module's own functions returns: the one way a string is followed
through a function to the execution call its caller makes (advisor.sources.python_reach).

    class Loader:
        def insert_from(self, staging):
            return "INSERT INTO {} SELECT * FROM {}".format(self.table, staging)

        def load(self, cur, staging):
            cur.execute(self.insert_from(staging))

`self.m(...)` and `cls.m(...)` name the module's methods `m`, `f(...)` its functions outside classes
(`obj.m()`, passing nothing, its methods `m` too). A function every `return` of which gives SQL text — a
literal, or a string built from literals and values (f-string, `%`, `.format()`, `+`), or a choice between
such (`a if x else b`) — is a builder: a call of it gives that text, read where it is written, what it
splices in unknown (`{}`); every definition of the name must be one. A call that passes nothing is followed
whatever the function returns (what it returns is then read as any other value is: a name, a constant...),
since nothing of the caller's can stand in it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from advisor.facts.ast_nodes import walk
from advisor.facts.reaching import own_nodes

Defined = ast.FunctionDef | ast.AsyncFunctionDef


class Returns:
    """The module's functions by the name a call gives them, and what a call of them returns."""

    def __init__(self, tree: ast.Module, writes_sql: Callable[[ast.expr], bool]):
        self.writes_sql = writes_sql  # whether one returned value is SQL text
        self.defined: dict[tuple[bool, str], list[Defined]] = {}
        for owner in walk(tree):
            if isinstance(owner, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                method = isinstance(owner, ast.ClassDef)
                for node in owner.body:
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self.defined.setdefault((method, node.name), []).append(node)

    def of(self, call: ast.Call) -> list[ast.expr]:
        """The values a call of the module's functions may return (empty when it is not followed)."""
        passes = bool(call.args or call.keywords)
        functions = self.defined.get(_named(call, passes) or (False, ""), [])
        returned = [_returned(f) for f in functions]
        if not functions or any(r is None for r in returned):
            return []
        values = [v for r in returned for v in r or ()]
        if passes and not (all(r for r in returned) and all(self._text(v) for v in values)):
            return []  # what it returns may be the caller's value: only a builder's text is followed
        return [v for v in values if v is not None]

    def _text(self, value: ast.expr | None) -> bool:
        if isinstance(value, ast.IfExp):
            return self._text(value.body) and self._text(value.orelse)
        return value is not None and self.writes_sql(value)


def _named(call: ast.Call, passes: bool) -> tuple[bool, str] | None:
    """(True, m) for `self.m(...)` / `cls.m(...)` (and `obj.m()` passing nothing), (False, f) for `f(...)`."""
    func = call.func
    if isinstance(func, ast.Attribute) and (
        not passes or isinstance(func.value, ast.Name) and func.value.id in ("self", "cls")
    ):
        return True, func.attr
    if isinstance(func, ast.Name):
        return False, func.id
    return None


def _returned(function: Defined) -> list[ast.expr | None] | None:
    """The values of `function`'s own `return`s (None for a bare one); None for a generator."""
    out: list[ast.expr | None] = []
    for node in own_nodes(function):
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return None  # a generator returns no text
        if isinstance(node, ast.Return):
            out.append(node.value)
    return out
