"""Execution calls a Python module makes on a SQLite connection: their SQL is SQLite's, not the configured
database's (LightRAG's scan spool keeps its candidate files in a `sqlite3` database beside its PostgreSQL
storage).  A receiver is SQLite's when every assignment of its name in the module is `sqlite3.connect(...)`
(or aiosqlite's), a `with ... as` of one, or a `.cursor()` of such a receiver, `None` aside (a connection member
empty until it connects, and again once closed: elephantq's SQLite backend); a name also bound any other way
(a parameter, another call) may hold any connection, so its statements stay the configured database's."""

from __future__ import annotations

import ast

from advisor.facts.ast_nodes import dotted, walk

_CONNECTS = {"sqlite3.connect", "sqlite3.Connection", "aiosqlite.connect"}


def sqlite_receivers(tree: ast.AST) -> set[str]:
    """The dotted names (`conn`, `self._connection`, `cur`) that hold only SQLite connections or their cursors."""
    bound: dict[str, list[ast.expr | None]] = {}
    for node in walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                _bind(bound, target, node.value)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value is not None:
            _bind(bound, node.target, node.value if not isinstance(node, ast.AugAssign) else None)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    _bind(bound, item.optional_vars, item.context_expr)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            _bind(bound, node.target, None)
        elif isinstance(node, ast.arg):
            bound.setdefault(node.arg, []).append(None)
    sqlite: set[str] = set()
    changed = True
    while changed:  # a cursor of a SQLite connection is SQLite's: settled until nothing more is
        changed = False
        for name, values in bound.items():
            given = [v for v in values if not _none(v)]  # `self._conn = None` until it connects: no other database's
            if name not in sqlite and given and all(v is not None and _opens_sqlite(v, sqlite) for v in given):
                sqlite.add(name)
                changed = True
    return sqlite


def runs_on_sqlite(call: ast.Call, receivers: set[str]) -> bool:
    """The call is a method of a SQLite connection or cursor (`conn.execute(...)`, `sqlite3.connect(p).execute`)."""
    if not isinstance(call.func, ast.Attribute):
        return False
    receiver = call.func.value
    return dotted(receiver) in receivers or _opens_sqlite(receiver, receivers)


def _opens_sqlite(value: ast.expr, sqlite: set[str]) -> bool:
    while isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return False
    name = dotted(value.func)
    if name in _CONNECTS:
        return True
    return isinstance(value.func, ast.Attribute) and value.func.attr == "cursor" and dotted(value.func.value) in sqlite


def _none(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Constant) and value.value is None


def _bind(bound: dict[str, list[ast.expr | None]], target: ast.expr, value: ast.expr | None) -> None:
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _bind(bound, element, None)  # one part of what the value gives: not the value
        return
    name = dotted(target)
    if name:
        bound.setdefault(name, []).append(value)
