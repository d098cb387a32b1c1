"""Every node of a parsed Python module, listed once: a dozen readers (queries, helpers, classes, names,
MongoDB calls, index declarations...) each go over the whole module, and `ast.walk` builds its queue anew
each time."""

from __future__ import annotations

import ast
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def position(node: ast.AST) -> tuple[int, int]:
    """Where a node starts, (line, column): what orders a module's nodes."""
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


def walk(tree: ast.AST) -> Iterable[ast.AST]:
    """The nodes of `tree` in `ast.walk`'s order (breadth first); a module's are kept on it after the
    first reading (nothing rewrites a parsed module). A smaller tree is walked as it is."""
    if not isinstance(tree, ast.Module):
        return ast.walk(tree)
    return kept(tree, "nodes", lambda: list(ast.walk(tree)))


def kept(tree: ast.AST, key: str, derive: Callable[[], T]) -> T:
    """What `derive` reads of a parsed module, derived once and kept on it (nothing rewrites a parsed module)."""
    store = tree.__dict__.setdefault("advisor_kept", {})
    if key not in store:
        store[key] = derive()
    return store[key]


Span = tuple[tuple[int, int], tuple[int, int]]  # (line, column) where a piece of code starts, where it ends


def span(first: ast.AST, last: ast.AST | None = None) -> Span:
    """Where `first` starts and `last` (or `first`) ends."""
    last = last or first
    end = (getattr(last, "end_lineno", None) or last.lineno, getattr(last, "end_col_offset", None) or 0)  # type: ignore[attr-defined]
    return (first.lineno, first.col_offset), end  # type: ignore[attr-defined]


def dotted(node: ast.AST) -> str:
    """`self._connection` -> "self._connection"; "" for anything but a name or attributes of a name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(node.id)
    return ".".join(reversed(parts))


class NameUses:
    """The `Name` nodes of a tree, by name in file order, found once: where the next use of a name after
    a point is, a bisection (not a walk of the tree for each question: thousands of `cur.execute` in one
    function)."""

    def __init__(self, tree: ast.AST):
        self.uses: dict[str, list[ast.Name]] = {}
        for node in walk(tree):
            if isinstance(node, ast.Name):
                self.uses.setdefault(node.id, []).append(node)
        self.starts: dict[str, list[tuple[int, int]]] = {}
        for name, nodes in self.uses.items():
            nodes.sort(key=lambda n: (n.lineno, n.col_offset))
            self.starts[name] = [(n.lineno, n.col_offset) for n in nodes]

    def next_after(self, name: str, after: tuple[int, int], outside: list[Span]) -> ast.Name | None:
        """The first use of `name` that starts after `after` and in none of the spans `outside`."""
        starts = self.starts.get(name, [])
        i = bisect_right(starts, after)
        while i < len(starts) and (skip := next((e for s, e in outside if s <= starts[i] < e), None)) is not None:
            i = bisect_left(starts, skip, i + 1)  # past the span the use lies in (spans nest: a few jumps)
        return self.uses[name][i] if i < len(starts) else None


class LineSpans:
    """Spans of lines (functions, classes: nested or apart), each `(first line, last line, ...)`, indexed
    once by line: what is around a line is a look-up, not a pass over every span (thousands of methods,
    a query in each)."""

    def __init__(self, spans: Iterable[tuple]):
        self.by_line: dict[int, list[tuple]] = {}
        for span in spans:
            for line in range(span[0], span[1] + 1):
                self.by_line.setdefault(line, []).append(span)

    def around(self, line: int) -> list[tuple]:
        """The spans around `line`, innermost first (of two as long, the one given first)."""
        return sorted(self.by_line.get(line, ()), key=lambda s: s[1] - s[0])


def scope_at(tree: ast.AST, line: int) -> tuple[str, ...]:
    """The names of the functions and classes around `line`, innermost first (a query's `scope`): the last
    one starting at or before it, and those it lies in that reach it."""
    return tuple(node.name for node in _around(tree, line))


def function_at(tree: ast.AST, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The innermost function or class around `line`, when it is a function (the first of its `scope_at`)."""
    inner = next(_around(tree, line), None)
    return inner if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef) else None


def class_at(tree: ast.AST, line: int) -> ast.ClassDef | None:
    """The innermost class around `line` (its methods' lines among them)."""
    return next((node for node in _around(tree, line) if isinstance(node, ast.ClassDef)), None)


def functions_at(tree: ast.AST, line: int) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The functions around `line`, innermost first, up to the class or module they lie in: a nested function
    runs when (and only when) the one it is written in runs."""
    out = []
    for node in _around(tree, line):
        if isinstance(node, ast.ClassDef):
            break
        out.append(node)
    return out


def _around(tree: ast.AST, line: int) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    starts, spans = _scopes(tree)
    at = bisect_right(starts, line) - 1
    while at >= 0:
        _, end, node, at = spans[at]
        if line <= end:
            yield node


_Scope = tuple[int, int, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, int]


def _scopes(tree: ast.AST) -> tuple[list[int], list[_Scope]]:
    """The module's functions and classes by first line: (start, end, node, the one it lies in or -1), read
    once per module and kept on it (advisor.facts.ast_nodes.kept)."""
    return kept(tree, "scopes", lambda: _read_scopes(tree))


def _read_scopes(tree: ast.AST) -> tuple[list[int], list[_Scope]]:
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    nodes = sorted(
        ((n.lineno, -(n.end_lineno or n.lineno), n) for n in walk(tree) if isinstance(n, kinds)),
        key=lambda n: n[:2],
    )
    spans: list[_Scope] = []
    open_: list[int] = []  # the ones still open at this start, outermost first
    for start, end, node in nodes:
        while open_ and spans[open_[-1]][1] < start:
            open_.pop()
        spans.append((start, -end, node, open_[-1] if open_ else -1))
        open_.append(len(spans) - 1)
    return [s[0] for s in spans], spans
