"""SQL identifiers as PostgreSQL folds them: unquoted names fold to lower case,
quoted names keep their case. `quote` renders a name back so DDL we print works.
"""

from __future__ import annotations

import re

from sqlglot import exp

from advisor.reporters import UNSAFE_CHARACTERS

_PLAIN = re.compile(r"[a-z_][a-z0-9_$]*")
_UNSAFE = re.compile(f"[{UNSAFE_CHARACTERS}]")
_WORD = re.compile(r"\w")
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
    if _PLAIN.fullmatch(name) and name not in _RESERVED:
        return name
    return inert('"' + name.replace('"', '""') + '"')  # a control character in it: written as an escape


def inert(sql: str) -> str:
    """SQL text whose quoted identifiers and string literals hold no control, bidirectional or invisible
    character (a column named `c<ESC>[`): each written as an escape PostgreSQL reads back as the same
    character (`U&"c\\001B["`, `E'\\x1b'`), so a terminal, a log or a tool that strips "colour codes" from
    the printed migration sees the statement that was built.  Anything else holding one (a comment)
    gets the character written out as text."""
    if not _UNSAFE.search(sql):
        return sql
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "\"'":
            end = i + 1
            while end < n and not (sql[end] == c and sql[end + 1 : end + 2] != c):
                end += 2 if sql[end] == c else 1
            body = sql[i + 1 : end]
            unicode = sql[max(0, i - 2) : i].upper() == "U&"
            escape = c == "'" and sql[i - 1 : i] in ("E", "e") and not _WORD.fullmatch(sql[i - 2 : i - 1])
            if not _UNSAFE.search(body):
                out.append(sql[i : end + 1])
            elif unicode or escape:  # already escape syntax: only the characters are written as escapes
                out.append(c + _UNSAFE.sub(_unicode_escape if unicode else _c_escape, body) + c)
            elif c == '"':
                out.append("U&" + c + _UNSAFE.sub(_unicode_escape, body.replace("\\", "\\\\")) + c)
            else:
                out.append("E'" + _UNSAFE.sub(_c_escape, body.replace("\\", "\\\\")) + "'")
            i = end + 1
        else:
            out.append(_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", c))
            i += 1
    return "".join(out)


def _unicode_escape(m: re.Match) -> str:
    return f"\\{ord(m.group()):04X}"  # every character of the class is in the BMP


def _c_escape(m: re.Match) -> str:
    return f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x80 else f"\\u{ord(m.group()):04x}"


# a column type as the schema writes it that advisor may put into a statement of its own as it is (the repository's
# text: nothing but a name, words, a typmod and array brackets is ever written into one)
_TYPE_NAME = re.compile(r"[a-z_][a-z0-9_]*(?: [a-z_]+)*(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])*")
_SERIAL = {
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
    "serial2": "smallint",
}


def plain_type(written: str) -> str | None:
    """The type of a column's values as advisor writes it into a statement of its own (a PREPARE's parameter, a
    stand-in table's column): the schema's type in lower case, a serial as the integer it holds; None when it is
    more than a plain type name."""
    typ = " ".join(written.strip().lower().split())
    typ = _SERIAL.get(typ, typ)
    return typ if _TYPE_NAME.fullmatch(typ) else None
