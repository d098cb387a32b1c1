"""Where a value interpolated into SQL text stands: inside which quote, or as a placeholder's number.

A template literal or a `+` chain is literal text and interpolated expressions.  Read left to right,
the text opens and closes quotes: a value inside '...' is a string's content, inside "..." a quoted
name's, inside E'...' or a $$ body one where doubling a quote does not keep it in (a backslash, a
`$$`, ends it).  Doubling the quote it stands in (`'${s.replace(/'/g, "''")}'`) keeps a string in its
quotes; nothing keeps it in the others.  A fragment that does not close the quotes it opens leaves
where its values stand unknown (`?`).
"""

from __future__ import annotations

import re

from advisor.facts.safe_text import leaves_words
from advisor.sources.js_syntax import JsFile, arg_list, string_value, unescape, unwrap

_DOLLAR = re.compile(r"\$(?:[A-Za-z_]\w*)?\$")  # a dollar-quoted body's tag: quotes inside it are text


def parts(f: JsFile, node) -> list:
    """The literal text (str) and the interpolated expressions (nodes) of a template or a `+` chain."""
    node = unwrap(node)
    if node.type == "template_string":
        out: list = []
        for c in node.named_children:
            if c.type == "template_substitution":
                inner = [x for x in c.named_children if x.type != "comment"]
                out.append(inner[0] if inner else "")
            elif c.type in ("string_fragment", "escape_sequence"):
                out.append(unescape(f.src(c)) if c.type == "escape_sequence" else f.src(c))
        return out
    if node.type == "binary_expression" and f.src(node.child_by_field_name("operator")) == "+":
        return parts(f, node.child_by_field_name("left")) + parts(f, node.child_by_field_name("right"))
    if node.type == "string":
        return [string_value(f, node) or ""]
    return [node]


def scan(f: JsFile, parts: list, quote: str | None) -> list[tuple[object, str | None]]:
    """Each interpolated expression with the quote it stands in: `'`, `"`, `E` (an E'...' string), `?` (not
    known: nothing counts as escaped) or None; `$` for a placeholder's number, `::` for the type of a cast
    (outside quotes: a name, as at the statement's top level).  The text starts in `quote`;
    one that does not end in the quote it started in leaves every quote unknown."""
    state, end = quote, quote
    for part in parts:
        if isinstance(part, str):
            end = _after(part, end)
    if end != quote or quote == "?":
        state = "?"
    out, previous = [], ""
    for part in parts:
        if isinstance(part, str):
            state = _after(part, state)
            previous = part
        else:
            cast = state is None and previous.endswith("::")
            out.append((part, "$" if previous.endswith("$") else "::" if cast else state))
            previous = ""
    return out


def _after(text: str, state: str | None) -> str | None:
    """The quote state at the end of literal SQL text: inside '...', "...", E'...', a $tag$ body, or None."""
    i = 0
    while i < len(text) and state != "?":
        ch = text[i]
        if state is None and ch in "'\"":
            word = text[i - 1 : i] if i else ""
            state = "E" if ch == "'" and word in ("E", "e") and not text[i - 2 : i - 1].isalnum() else ch
        elif state is None and ch == "$" and (tag := _DOLLAR.match(text, i)) is not None:
            state, i = tag.group(0), i + len(tag.group(0)) - 1
        elif state is not None and state.startswith("$") and text.startswith(state, i):
            i += len(state) - 1
            state = None
        elif state is not None and ch == {"E": "'"}.get(state, state):
            state = None
        i += 1
    return state


def escapes(f: JsFile, node, quote: str | None) -> bool:
    """`x.replace(/'/g, "''")` (or replaceAll) inside '...': doubled, the quote cannot end the string."""
    if quote not in ("'", '"') or node.type != "call_expression":
        return False
    fn, args = unwrap(node.child_by_field_name("function")), arg_list(node.child_by_field_name("arguments"))
    if fn is None or fn.type != "member_expression" or len(args) != 2:
        return False
    method = f.src(fn.child_by_field_name("property"))
    pattern, replacement = unwrap(args[0]), unwrap(args[1])
    if replacement.type != "string" or string_value(f, replacement) != quote * 2:
        return False
    if pattern.type == "regex":
        body, flags = pattern.child_by_field_name("pattern"), pattern.child_by_field_name("flags")
        return (
            method in ("replace", "replaceAll")
            and body is not None
            and f.src(body) in (quote, "\\" + quote)
            and flags is not None
            and "g" in f.src(flags)
        )
    return method == "replaceAll" and pattern.type == "string" and string_value(f, pattern) == quote


def word_characters_only(f: JsFile, node) -> bool:
    """`x.replace(/[^a-zA-Z0-9_]/g, "_")`: every character that is not a word character removed or replaced by word
    characters, so no quote, space, dash or semicolon is left to end a literal or a name, wherever it stands (as
    Python's `re.sub`: advisor.facts.safe_text.word_characters_only)."""
    if node.type != "call_expression":
        return False
    fn, args = unwrap(node.child_by_field_name("function")), arg_list(node.child_by_field_name("arguments"))
    if fn is None or fn.type != "member_expression" or len(args) != 2:
        return False
    pattern, replacement = unwrap(args[0]), unwrap(args[1])
    if f.src(fn.child_by_field_name("property")) not in ("replace", "replaceAll") or pattern.type != "regex":
        return False
    body, flags = pattern.child_by_field_name("pattern"), pattern.child_by_field_name("flags")
    return (
        body is not None
        and flags is not None
        and "g" in f.src(flags)  # without it, only the first match is replaced
        and replacement.type == "string"
        and leaves_words(f.src(body), string_value(f, replacement) or "")
    )
