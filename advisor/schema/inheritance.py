"""Table inheritance and partitions that sqlglot does not parse, read from the statement text.

`ALTER TABLE p ATTACH PARTITION c ...`, `DETACH PARTITION`, `ALTER TABLE c [NO] INHERIT p` change which
tables a scan of a parent reads.  And a parent whose children are created at run time (a function that
runs `CREATE TABLE ... INHERITS (parent)` under a name it builds, code that formats one) has children
advisor cannot see: a scan of it reads tables whose indexes advisor does not know (partitions made at run time
get their partitioned table's indexes, so that table stands for them -- unless the code that makes them also
indexes tables it names at run time: then a partition may have indexes of its own, which advisor cannot see).
"""

from __future__ import annotations

import re

_NAME = r'(?:"[^"]+"|[\w$]+)(?:\s*\.\s*(?:"[^"]+"|[\w$]+))?'
_PREFIX = r"^(?:\s*--[^\n]*\n|\s*/\*.*?\*/)*\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?"
_PARTITION = re.compile(
    _PREFIX + rf"(?P<table>{_NAME})\s+(?P<verb>ATTACH|DETACH)\s+PARTITION\s+(?P<other>{_NAME})",
    re.IGNORECASE | re.DOTALL,
)
_INHERIT = re.compile(
    _PREFIX + rf"(?P<table>{_NAME})\s+(?P<verb>NO\s+INHERIT|INHERIT)\s+(?P<other>{_NAME})\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_QUOTED = re.compile(r"'((?:[^']|'')*)'")
_ROUTINE = re.compile(r"\s*(?:CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\b|DO\b)", re.IGNORECASE)
# where a table becomes an inheritance child, in a statement: CREATE TABLE ... INHERITS (a, b), ALTER TABLE ...
# INHERIT a (the child's name may be built at run time).  A partition made at run time (PARTITION OF, ATTACH
# PARTITION) is no unknown: it gets every index of its partitioned table, which the table stands for.
_CHILD_OF = re.compile(
    rf"\bCREATE\s+(?:\w+\s+){{0,2}}TABLE\b[^;]{{0,3000}}?\bINHERITS\s*\((?P<parents>\s*{_NAME}(?:\s*,\s*{_NAME})*)\s*\)"
    rf"|\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?\S+\s+INHERIT\s+(?P<inherited>{_NAME})",
    re.IGNORECASE,
)


def name(text: str) -> str:
    """A possibly qualified name as PostgreSQL folds it, without its schema."""
    last = re.findall(r'"[^"]+"|[\w$]+', text)[-1]
    return last.strip('"') if last.startswith('"') else last.lower()


def relation_change(text: str) -> tuple[str, str, str] | None:
    """(verb, table, other) of `ALTER TABLE table ATTACH|DETACH PARTITION other` or
    `ALTER TABLE table [NO] INHERIT other`; verb is "attach", "detach", "inherit" or "no inherit"."""
    match = _PARTITION.match(text) or _INHERIT.match(text)
    if match is None:
        return None
    verb = " ".join(match.group("verb").lower().split())
    return verb, name(match.group("table")), name(match.group("other"))


# a partition made by formatted SQL, and an index on a table whose name is built at run time (%I, ' || v || ', {t})
_PARTITION_OF = re.compile(rf"\bPARTITION\s+OF\s+(?P<parent>{_NAME})", re.IGNORECASE)
_INDEX_ON_BUILT_NAME = re.compile(
    r"\bCREATE\s+(?:UNIQUE\s+)?INDEX\b[^;]{0,300}?\bON\s+(?:ONLY\s+)?(?:%[IsL]|'\s*\|\||\{|\$\{|\"?%)", re.IGNORECASE
)


def self_indexed_partitions(text: str) -> list[str]:
    """The partitioned tables whose partitions this code creates and indexes one by one (`CREATE TABLE %I
    PARTITION OF items ...; CREATE UNIQUE INDEX %I ON %I (id)`): their partitions have indexes advisor
    cannot see."""
    if _INDEX_ON_BUILT_NAME.search(text) is None:
        return []
    return list(dict.fromkeys(name(m.group("parent")) for m in _PARTITION_OF.finditer(text)))


def run_time_parents(text: str) -> list[str]:
    """The parents of tables a CREATE FUNCTION / PROCEDURE or DO statement creates as it runs: every child
    a function creates (it runs later, under names it may build), the children of a DO block's dynamic SQL
    (its quoted strings; its plain statements are replayed with the file's)."""
    if not routine(text):
        return []
    if text.lstrip()[:2].upper() == "DO":
        return parents_named(" ; ".join(_QUOTED.findall(text)))
    return parents_named(text)


def routine(text: str) -> bool:
    """A CREATE FUNCTION / PROCEDURE or a DO block: code that runs later, or as the file is loaded."""
    return _ROUTINE.match(text) is not None


def templated_parents(text: str) -> list[str]:
    """The parents of tables this statement makes children under a name a template fills in (`CREATE TABLE
    area_{{ p }} () INHERITS (area)` in a `{% for %}` loop, `ALTER TABLE {t} INHERIT area`): the template stands
    for children advisor cannot list, each with indexes of its own, so a scan of the parent is not known whole."""
    from advisor.parse import has_text_template

    found: list[str] = []
    for match in _CHILD_OF.finditer(text):
        head = match.group(0).split("(", 1)[0] if match.group("parents") else match.group(0)
        if has_text_template(head):
            found += _parents(match)
    return list(dict.fromkeys(found))


def parents_named(text: str) -> list[str]:
    """The tables this text makes an inheritance parent: CREATE TABLE ... INHERITS (p), ALTER TABLE ... INHERIT p.
    A name built at run time (`%I`, `{parent}`, `' || v || '`) is no name."""
    return list(dict.fromkeys(p for match in _CHILD_OF.finditer(text) for p in _parents(match)))


def _parents(match: re.Match) -> list[str]:
    if match.group("parents"):
        return [name(p) for p in match.group("parents").split(",")]
    return [name(match.group("inherited"))]
