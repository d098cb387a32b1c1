"""DDL inside a template's conditional branch (`{% if drop %} DROP INDEX ... {% else %} ... {% endif %}`).

A project that renders its schema files with Jinja (or any `{% if %}` template) runs one branch or the other;
advisor reads both.  A CREATE in a branch is an object that exists in some configuration, which is all a rule
that credits an index needs; a DROP in a branch may not run at all, so replaying it would forget an object the
other configuration keeps (an index dropped only when the database is frozen for good).
"""

from __future__ import annotations

import re

# one left unclosed runs to the end (tried there from each opener, thousands cost the square of the text); it
# counts for nothing, as before
_TAG = re.compile(r"\{%-?\s*(if|endif)\b.*?(?:(%\})|\Z)", re.IGNORECASE | re.DOTALL)
# what may stand before a statement's first word: blanks, comments, template tags
_LEAD = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/|\{%.*?%\}|\{#.*?#\})*", re.DOTALL)


class Branches:
    """How deep each file's statements lie in `{% if %}` blocks, read statement by statement in file order
    (a tag between two statements is part of the text of the one after it)."""

    def __init__(self) -> None:
        self._depth: dict[str, int] = {}

    def inside(self, path: str, text: str) -> bool:
        """Whether this statement, the next of its file, lies in a conditional branch (then the file's
        depth moves past the tags of its whole text)."""
        lead = _LEAD.match(text)
        start = lead.end() if lead else 0
        depth = self._depth.get(path, 0)
        before = depth + _net(text[:start])
        self._depth[path] = max(0, before + _net(text[start:]))
        return before > 0


def _net(text: str) -> int:
    """`{% if %}` opens a block, `{% endif %}` closes one (elif and else stay inside it)."""
    if "{%" not in text:
        return 0
    return sum(1 if m.group(1).lower() == "if" else -1 for m in _TAG.finditer(text) if m.group(2))
