"""`advisor: ignore RULE[, RULE]` comments, in any language's comment syntax."""

from __future__ import annotations

import re

from advisor.ir import Location, Suppression

_COMMENT = re.compile(r"(?:--|#|//|/\*)\s*advisor:\s*ignore\b(?P<rules>[^\n]*)", re.IGNORECASE)
_RULE = re.compile(r"[A-Za-z]+\d+|[a-z][a-z0-9]*(?:-[a-z0-9]+)+|[A-Za-z]+")


def find_suppressions(path: str, text: str) -> list[Suppression]:
    if "advisor:" not in text:
        return []
    found = []
    line, counted = 1, 0  # lines counted up to `counted`, from one comment to the next: linear in the text
    for m in _COMMENT.finditer(text):
        rules_text = re.split(r"\*/|--\s|\s#|//", m.group("rules"))[0]
        rules = tuple(_RULE.findall(rules_text))
        line += text.count("\n", counted, m.start())
        counted = m.start()
        col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        found.append(Suppression(Location(path, line, col, line, col + len(m.group(0))), rules))
    return found
