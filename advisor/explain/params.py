"""Placeholders of every driver style normalised to PostgreSQL's `$n`.

`$1` stays; `%s`, `%(name)s`, `:name` and `?` become `$1, $2, ...` (a named
placeholder used twice gets one number).  String literals, quoted identifiers,
comments, dollar-quoted bodies and `::` casts are left alone.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""(?P<skip>'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|(?P<dq>\$[A-Za-z_]*\$).*?(?P=dq)|::)
      |(?P<dollar>\$\d+)
      |(?P<pyfmt>%\((?P<pyname>[A-Za-z_]\w*)\)s)
      |(?P<percent>%s)
      |(?P<colon>(?<![:\w]):(?P<cname>[A-Za-z_]\w*))
      |(?P<qmark>\?(?![|&-]))""",
    re.VERBOSE | re.DOTALL,
)


def normalise(sql: str) -> tuple[str, int]:
    """The statement with `$n` placeholders, and how many distinct parameters it has."""
    names: dict[str, int] = {}
    count = 0
    highest = 0

    def repl(m: re.Match) -> str:
        nonlocal count, highest
        if m.group("skip") is not None:
            return m.group(0)
        if m.group("dollar"):
            highest = max(highest, int(m.group("dollar")[1:]))
            return m.group(0)
        name = m.group("pyname") or m.group("cname")
        if name:
            if name not in names:
                count += 1
                names[name] = count
            return f"${names[name]}"
        count += 1
        return f"${count}"

    out = _TOKEN.sub(repl, sql)
    return out, max(count, highest)


def strip_statement(sql: str) -> str:
    return sql.strip().rstrip(";").strip()
