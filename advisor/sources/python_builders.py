"""Functions of a Python module that write SQL for their caller (builders).

    class Loader:
        def insert_from(self, staging):
            return "INSERT INTO {} SELECT * FROM {}".format(self.table, staging)

        def load(self, cur, staging):
            cur.execute(self.insert_from(staging))

A function every `return` of which gives SQL text — a literal, or a string built from literals and values
(f-string, `%`, `.format()`, `+`), or a choice between such (`a if x else b`) — is a builder. Its text is a
query only where a call of it reaches an execution call (advisor.sources.python_reach), read where the text
is written, what it splices in unknown (`{}`). `self.m(...)` and `cls.m(...)` are calls of the module's
methods named `m`; `f(...)` of its functions outside classes; every definition of the name must be a
builder. A call that passes nothing is followed whatever the function returns (python_reach); this is for
the calls that pass values.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from advisor.facts.ast_nodes import walk
from advisor.facts.reaching import own_nodes

Defined = ast.FunctionDef | ast.AsyncFunctionDef


def builders(tree: ast.Module, writes_sql: Callable[[ast.expr], bool]) -> dict[tuple[bool, str], list[ast.expr]]:
    """(whether a method, name) -> the texts the builders of that name return; `writes_sql(value)` says
    whether one returned value is SQL text."""
    defined: dict[tuple[bool, str], list[Defined]] = {}
    for owner in walk(tree):
        if isinstance(owner, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            method = isinstance(owner, ast.ClassDef)
            for node in owner.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    defined.setdefault((method, node.name), []).append(node)
    out: dict[tuple[bool, str], list[ast.expr]] = {}
    for key, functions in defined.items():
        texts = [_texts(f, writes_sql) for f in functions]
        if all(t for t in texts):
            out[key] = [value for t in texts for value in t or ()]
    return out


def called(call: ast.Call) -> tuple[bool, str] | None:
    """The builder a call names: (True, m) for `self.m(...)` / `cls.m(...)`, (False, f) for `f(...)`."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
        return True, func.attr
    if isinstance(func, ast.Name):
        return False, func.id
    return None


def _texts(function: Defined, writes_sql: Callable[[ast.expr], bool]) -> list[ast.expr] | None:
    """What `function` returns when every `return` gives SQL text, else None."""
    out: list[ast.expr] = []
    for node in own_nodes(function):
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return None  # a generator returns no text
        if isinstance(node, ast.Return):
            if node.value is None or not _is_text(node.value, writes_sql):
                return None
            out.append(node.value)
    return out or None


def _is_text(value: ast.expr, writes_sql: Callable[[ast.expr], bool]) -> bool:
    if isinstance(value, ast.IfExp):
        return _is_text(value.body, writes_sql) and _is_text(value.orelse, writes_sql)
    return writes_sql(value)
