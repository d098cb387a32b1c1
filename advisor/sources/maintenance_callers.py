"""A Python function only a maintenance routine calls is part of that routine.

alerta's housekeeping job runs `db.get_unshelve()`, `db.get_unack()` and `db.get_expired()`: each is
named as a question, but every call of it the project makes stands in `housekeeping`, so its statements
are the sweep's, no more workload than a statement written in `purge_expired` itself
(advisor.oneoff.maintenance). The calls are the ones advisor.facts.callers sees: when some cannot be
seen (the name used as a value, a decorator, a name in too many files) or there is none (an entry
point: a library's users, a framework's hooks), the function keeps its own name only. One hop: a
function called only by such a function is not followed further. A function nested in one (synapse's
`_get_local_media_ids_txn` in `get_local_media_ids`) runs when that one runs: its statements follow it.
"""

from __future__ import annotations

import ast
import dataclasses
import re

from advisor.facts.ast_nodes import functions_at
from advisor.facts.callers import Callers, Defined
from advisor.ir import SourceFile, SqlQuery
from advisor.oneoff import maintenance


def mark_maintenance_callees(sources: list[SourceFile], python_files: dict[str, str]) -> None:
    """Append the maintenance routine to the scope of each Python query whose function only it calls."""
    called = _called_in_maintenance(python_files)
    if not called:
        return
    callers = Callers(python_files)
    verdicts: dict[tuple[str, int], str | None] = {}  # (path, function's line) -> the routine, or None
    for source in sources:
        if not source.path.endswith(".py"):
            continue
        for n, query in enumerate(source.queries):
            scope = tuple(query.scope)
            if not called.intersection(scope) or maintenance(scope):
                continue  # the few names a maintenance routine calls are the only ones worth asking about
            tree = callers.tree(source.path)
            functions = functions_at(tree, query.location.line) if tree is not None else []
            if tree is None or [f.name for f in functions] != list(scope[: len(functions)]):
                continue  # a name the reading did not bind
            routine = None
            for function in functions:  # the statement's own function, or one it is nested in
                if function.name in called:
                    key = (source.path, function.lineno)
                    if key not in verdicts:
                        verdicts[key] = _only_caller(function, tree, callers)
                    routine = verdicts[key]
                if routine is not None:
                    break
            if routine is None:
                continue
            if isinstance(query, SqlQuery):  # frozen
                source.queries[n] = dataclasses.replace(query, scope=(*scope, routine))
            else:
                query.scope = (*scope, routine)


_DEF = re.compile(r"^([ \t]*)(?:async[ \t]+)?def[ \t]+(\w+)", re.MULTILINE)
_CALLED = re.compile(r"\b(\w+)\s*\(")  # \b: one try per word, not per letter


def _called_in_maintenance(python_files: dict[str, str]) -> set[str]:
    """The names called in the lines of the project's maintenance routines, read from the text in one pass
    per file: more than the calls (a keyword before a parenthesis); the calls themselves are read later, for
    the few functions so named."""
    names: set[str] = set()
    for text in python_files.values():
        if not any(maintenance((name,)) for _, name in _DEF.findall(text)):
            continue
        inside: int | None = None  # the indentation of the maintenance routine's `def` the lines are in
        for line in text.splitlines():
            stripped = line.lstrip()
            if not stripped or stripped.startswith("#"):
                continue
            indent = len(line) - len(stripped)
            if inside is not None and indent <= inside and not stripped.startswith(")"):
                inside = None  # back at the def's own indentation: its body ended (not its signature's `)`)
            found = _DEF.match(line)
            if inside is None and found is not None and maintenance((found.group(2),)):
                inside = indent
            if inside is not None:
                names.update(_CALLED.findall(line))
    return names


def _only_caller(function: Defined, tree: ast.Module, callers: Callers) -> str | None:
    """The name of a maintenance routine every seen call of `function` is made in (None: no call seen, some
    unseen, or one made elsewhere)."""
    calls = callers.calls(function, tree)
    if not calls:
        return None
    routines = set()
    for call in calls:
        names = tuple(f.name for f in reversed(call.functions) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef))
        if not maintenance(names):
            return None
        routines.add(next(n for n in names if maintenance((n,))))
    return min(routines)
