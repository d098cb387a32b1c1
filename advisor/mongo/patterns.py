"""Regular expressions built at run time, read from the code as written: whether a pattern starts with
a literal ^ (`'^' + escape(q)`, `f"^{re.escape(q)}"`, `new RegExp('^' + q, 'i')`), and which flags it has."""

from __future__ import annotations

import re
from typing import Any

from advisor.mongo.shape import Placeholder

ESCAPERS = ("escape", "quote")  # a call named like these returns its input with ^ and $ escaped


def runtime_regex_kind(pattern: Any, flags: str, options: Any) -> str:
    """A pattern built at run time: "prefix" when it starts with a literal ^ ('^' + escape(q)),
    "regex" when advisor knows it does not (an escaped value, a literal without ^), else "other"."""
    text = pattern.text.strip() if isinstance(pattern, Placeholder) else ""
    if not isinstance(options, str) or not text:
        return "other"
    head = literal_head(text)
    if head is None and pattern.kind == "string" and text.startswith("^"):
        head = "^"  # Python's `'^' + q`, read as the text its parts join to (pymongo_calls._joined): `^q`
    if head is not None:
        return "prefix" if head == "^" and "i" not in flags else "regex"
    call = text.split("(", 1)[0].rsplit(".", 1)[-1].lower()
    if "(" in text and any(word in call for word in ESCAPERS):
        return "regex"
    return "other"


_LITERAL = re.compile(r"([rRbBuUfF]{0,2})(['\"`])")


def literal_head(text: str) -> str | None:
    """The first character of the string literal an expression starts with ('^' of `'^' + q`, `f"^{q}"`,
    `` `^${q}` ``); None when it starts with anything else (a call, a name, an interpolated value)."""
    text = text.strip()
    m = _LITERAL.match(text)
    if m is None:
        return None
    rest = text[m.end() :]
    if (m.group(2) == "`" and rest.startswith("${")) or (
        "f" in m.group(1).lower() and rest.startswith("{") and not rest.startswith("{{")
    ):
        return None
    return rest[:1] or None


def runtime_anchored(value: Placeholder) -> bool:
    """A regex built at run time starts with a literal ^."""
    return literal_head(runtime_pattern(value)) == "^"


def regexp_call(text: str) -> tuple[str, str | None]:
    """(pattern text, flags) of `new RegExp(pattern, 'flags')` as written; flags None when they are not a
    literal, pattern "" when the call cannot be read."""
    head, paren, rest = text.partition("(")
    if not paren or not head.replace("new", "").strip().endswith("RegExp") or not rest.rstrip().endswith(")"):
        return "", None
    args, depth, start = [], 0, 0
    inner = rest.rstrip()[:-1]
    for i, ch in enumerate(inner):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            args.append(inner[start:i].strip())
            start = i + 1
    args.append(inner[start:].strip())
    if len(args) == 1:
        return args[0], ""
    flags = args[1]
    literal = len(flags) >= 2 and flags[0] == flags[-1] and flags[0] in "'\"`" and "$" not in flags
    return args[0], flags[1:-1] if literal else None


def runtime_pattern(value: Placeholder) -> str:
    """The pattern of a regex built at run time, as written (the first argument of `new RegExp(...)`)."""
    return regexp_call(value.text)[0] if value.kind == "regex" else value.text.strip()
