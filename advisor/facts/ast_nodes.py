"""Every node of a parsed Python module, listed once: a dozen readers (queries, helpers, classes, names,
MongoDB calls, index declarations...) each go over the whole module, and `ast.walk` builds its queue anew
each time."""

from __future__ import annotations

import ast
from collections.abc import Iterable


def walk(tree: ast.AST) -> Iterable[ast.AST]:
    """The nodes of `tree` in `ast.walk`'s order (breadth first); a module's are kept on it after the
    first reading (nothing rewrites a parsed module). A smaller tree is walked as it is."""
    if not isinstance(tree, ast.Module):
        return ast.walk(tree)
    nodes = tree.__dict__.get("advisor_nodes")
    if nodes is None:
        nodes = tree.__dict__["advisor_nodes"] = list(ast.walk(tree))
    return nodes
