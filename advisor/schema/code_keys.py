"""The keys of the tables a project's code creates (`CREATE TABLE` in a string the code runs at start-up).

A project that keeps no schema file often creates its tables from code, one definition per back end it
supports (MeshCentral's db.js: `CREATE TABLE IF NOT EXISTS main (id VARCHAR(256) PRIMARY KEY NOT NULL, ...)`
for PostgreSQL, MySQL and SQLite).  Those strings are no queries, so the schema never sees them, and a
lookup by the table's primary key is not known to find one row.  Their primary keys and UNIQUE constraints
are taken, and only those: a key every definition of the table declares, for a table no schema file
defines.  The table itself stays unknown (its columns and other indexes may differ per back end), so no
rule that claims an absence speaks about it.
"""

from __future__ import annotations

import re

from advisor.ir import IndexDef, Location, SourceFile, SqlQuery, TextMap

_CREATE = re.compile(r"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][\w.\"`]*)\s*\(", re.IGNORECASE)
_MAX = 4000  # characters of one definition's body: longer is no literal statement


def code_keys(sources: list[SourceFile], known: set[str]) -> list[IndexDef]:
    """The unique keys every CREATE TABLE of a table in the code files declares (tables in `known` skipped)."""
    from advisor.names import fold

    keys: dict[str, list[IndexDef]] = {}
    definitions: dict[str, int] = {}
    for source in sources:
        if source.path.endswith(".sql") or "CREATE" not in source.text.upper():
            continue
        for text, location in _definitions(source):
            declared = _unique_keys(text, location)
            if declared is None:
                continue  # not read: says nothing of the table's keys
            table = fold(declared[0])
            if table in known:
                continue
            definitions[table] = definitions.get(table, 0) + 1
            keys.setdefault(table, []).extend(declared[1])
    out: list[IndexDef] = []
    for table, found in keys.items():
        seen: set[tuple[str, ...]] = set()
        for index in found:
            every = sum(1 for i in found if i.columns == index.columns) >= definitions[table]
            if every and index.columns not in seen:
                seen.add(index.columns)
                index.options["code"] = True  # declared by a CREATE TABLE the code runs
                out.append(index)
    return out


def _definitions(source: SourceFile):
    """Each `CREATE TABLE name (...)` in the file's text, with its balanced column list."""
    text = source.text
    for match in _CREATE.finditer(text):
        depth, end = 0, None
        for i in range(match.end() - 1, min(len(text), match.end() + _MAX)):
            if text[i] == "(":
                depth += 1
            elif text[i] == ")":
                depth -= 1
                if depth == 0:
                    end = i + 1
                    break
        if end is not None:
            line = text.count("\n", 0, match.start()) + 1
            column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
            yield text[match.start() : end], Location(source.path, line, column)


def _unique_keys(text: str, location: Location) -> tuple[str, list[IndexDef]] | None:
    """(table, its whole-table unique indexes) of one definition, or None when it does not read as one table."""
    from advisor.schema.ddl import schema_from_queries

    query = SqlQuery(text, location, TextMap(location.path, text, ((0, location.line, location.col),)), "schema")
    schema = schema_from_queries([query])
    if len(schema.tables) != 1:
        return None
    (table,) = schema.tables
    return table, [i for i in schema.indexes if i.unique and i.where is None and all(k.is_column for k in i.keys)]
