"""Which execution call runs each SQL text of a Python module. A name like `sql` is read module-wide
(advisor.sources.python_reach): every text assigned to it reaches every call that executes it, and the
call that runs a text is the first after it in its own function. The calls are grouped by the name
their argument reads (its texts found once for all of them), so a module with thousands of
`sql = ...; cur.execute(sql)` pairs no text with every call: each text looks for its call by bisection."""

from __future__ import annotations

import ast
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field

from advisor.facts.ast_nodes import LineSpans


@dataclass
class _Calls:
    """The execution calls given one list of texts, in the order they were found (a walk of the module)."""

    found: list[tuple[int, ast.Call, ast.expr]] = field(default_factory=list)  # (order found, call, argument)
    by_position: list[tuple[tuple[int, int], int, ast.Call, ast.expr]] = field(default_factory=list)

    def sorted(self) -> list[tuple[tuple[int, int], int, ast.Call, ast.expr]]:
        if len(self.by_position) != len(self.found):
            self.by_position = sorted(((c.lineno, c.col_offset), n, c, a) for n, c, a in self.found)
        return self.by_position


class Reached:
    """The texts execution calls reach, in the order first reached, each with the groups of calls it reaches."""

    def __init__(self) -> None:
        self.texts: dict[int, tuple[ast.expr, list[_Calls]]] = {}
        self._groups: dict[object, _Calls] = {}  # by the name an argument reads (`sql`, `self.sql`), or the argument
        self._order = 0

    def add(self, strings: Callable[[ast.expr], list[ast.expr]], call: ast.Call, arg: ast.expr) -> None:
        """`call` executes `arg`; `strings` (Reach.strings) gives the texts it stands for, the same for
        every argument that reads one name."""
        name = arg.id if isinstance(arg, ast.Name) else arg.attr if isinstance(arg, ast.Attribute) else None
        key = name if name is not None else id(arg)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Calls()
            for value in strings(arg):
                self.texts.setdefault(id(value), (value, []))[1].append(group)
        group.found.append((self._order, call, arg))
        self._order += 1

    def nearest(self, value: ast.expr, scopes: LineSpans) -> tuple[ast.Call, ast.expr]:
        """Of the calls `value` reaches, the first after it in its own function (`scopes`: the functions'
        lines; the one that runs it: `sql = "SELECT ..."; txn.execute(sql)`), else the first found."""
        groups = self.texts[id(value)][1]
        inner = next(iter(scopes.around(value.lineno)), None)
        after = []
        for group in groups if inner is not None else ():
            ordered = group.sorted()
            i = bisect_left(ordered, (value.lineno, value.col_offset), key=lambda s: s[0])
            if i < len(ordered) and ordered[i][0][0] <= inner[1]:  # type: ignore[index]
                after.append(ordered[i])
        if after:
            _, _, call, arg = min(after, key=lambda s: (s[0], s[1]))
            return call, arg
        _, call, arg = min((g.found[0] for g in groups), key=lambda s: s[0])
        return call, arg
