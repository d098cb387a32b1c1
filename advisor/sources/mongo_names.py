"""Collections whose name is known only at run time, in every language's extractor.

`db.collection(this.options.collection)`, `db[datasource]`: the call reaches the driver, so its
shape is extracted, under the expression the name is read from in angle brackets
(`<this.options.collection>`), never under a guessed name.
"""

from __future__ import annotations

import re

from advisor.ir import IndexDef
from advisor.mongo.indexes import unread_index

UNKNOWN = re.compile(r"<.*>", re.DOTALL)


def run_time_name(expression: str) -> str:
    """The name of a collection opened with this expression: `<expression>`."""
    return "<" + " ".join(expression.split())[:80] + ">"


def run_time_names(queries: list, indexes: list[IndexDef]) -> list[IndexDef]:
    """Advisor cannot know the index declarations of a collection named at run time: unless the file
    declares some on the same expression, they are recorded as unread, so no rule claims a scan or
    an absence of declarations there (the rules that need no index still speak)."""
    declared = {i.table for i in indexes}
    out = []
    for q in queries:
        name = getattr(q, "collection", "")
        if isinstance(name, str) and UNKNOWN.fullmatch(name) and name not in declared:
            declared.add(name)
            out.append(unread_index(name, q.location))
    return out
