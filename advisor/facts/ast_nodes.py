"""Every node of a parsed Python module, listed once: a dozen readers (queries, helpers, classes, names,
MongoDB calls, index declarations...) each go over the whole module, and `ast.walk` builds its queue anew
each time."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


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
