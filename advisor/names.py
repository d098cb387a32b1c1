"""SQL identifiers as PostgreSQL folds them: unquoted names fold to lower case,
quoted names keep their case. `quote` renders a name back so DDL we print works.
"""

from __future__ import annotations

import re

from sqlglot import exp

_PLAIN = re.compile(r"[a-z_][a-z0-9_$]*")
# reserved words that cannot stand as a bare column name in an index definition
_RESERVED = {
    "all",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "case",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "default",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "into",
    "limit",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "primary",
    "references",
    "select",
    "table",
    "then",
    "to",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "when",
    "where",
    "with",
}


NAMEDATALEN = 64  # PostgreSQL keeps the first 63 bytes of a longer identifier


def truncate(name: str) -> str:
    """A name as PostgreSQL stores it: cut to 63 bytes on a character boundary, so a 70-character
    index name given in code and the 63-byte one in a schema dump are one object."""
    raw = name.encode()
    if len(raw) < NAMEDATALEN:
        return name
    return raw[: NAMEDATALEN - 1].decode(errors="ignore")


def fold(node: exp.Expression | str | None) -> str:
    """The name PostgreSQL sees: lower case unless quoted, at most 63 bytes."""
    if node is None:
        return ""
    if isinstance(node, str):
        return truncate(node.lower())
    if isinstance(node, (exp.Column, exp.Table)) and isinstance(node.this, exp.Identifier):
        node = node.this
    if isinstance(node, exp.Identifier):
        return truncate(node.name if node.quoted else node.name.lower())
    if isinstance(node, exp.Schema):
        return fold(node.this)
    return truncate((getattr(node, "name", "") or "").lower())


def quote(name: str) -> str:
    return name if _PLAIN.fullmatch(name) and name not in _RESERVED else '"' + name.replace('"', '""') + '"'
