"""Find the queries an application issues, with their file positions.

`extract(path, text)` dispatches on the file's extension; each extractor is a
plain function from text to a SourceFile.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import PurePath

from advisor.ir import SourceFile, SqlQuery
from advisor.sources.suppressions import find_suppressions

Extractor = Callable[[str, str, str], SourceFile]


def _sql(path: str, text: str, dialect: str) -> SourceFile:
    from advisor.sources.sql_files import extract_sql

    return SourceFile(path=path, text=text, queries=extract_sql(path, text, dialect))


def _python(path: str, text: str, dialect: str) -> SourceFile:
    from advisor.sources.python import extract_python

    return extract_python(path, text, dialect)


EXTRACTORS: dict[str, Extractor] = {".sql": _sql, ".py": _python, ".pyi": _python}


def register(suffixes: tuple[str, ...], extractor: Extractor) -> None:
    for suffix in suffixes:
        EXTRACTORS[suffix] = extractor


def supported(path: str) -> bool:
    _load_optional()
    return PurePath(path).suffix.lower() in EXTRACTORS


def extract(path: str, text: str, dialect: str = "postgres") -> SourceFile:
    """The queries of a file, by its suffix; a suffix no extractor reads is a schema file the config
    names (`full.sql.postgres`), which is SQL."""
    _load_optional()
    extractor = EXTRACTORS.get(PurePath(path).suffix.lower(), _sql)
    result = extractor(path, text, dialect)
    if extractor is not _sql:
        result.queries += _inside_routines(result.queries)
    result.suppressions = find_suppressions(path, text)
    return result


def _inside_routines(queries: list) -> list[SqlQuery]:
    """The statements of the functions and DO blocks the code's execution calls create or run, as a .sql file's
    are read; their DDL left out (a schema the code changes at run time is not one advisor builds)."""
    from advisor.sources.sql_files import routine_statements

    return [
        inner
        for q in queries
        if isinstance(q, SqlQuery)
        for inner in routine_statements(_unescaped(q))
        if not _SCHEMA_CHANGE.match(inner.text)
    ]


def _unescaped(query: SqlQuery) -> SqlQuery:
    """SQLAlchemy's `\\:` in Python text is the `:` it runs (`x \\:= 1`, `NULL\\:\\:uuid`): read as `:`, at the same
    length, so a body's statements are what the server gets."""
    if query.source != "python" or "\\:" not in query.text:
        return query
    from advisor.sources.sql_shape import sqlalchemy_colons

    return dataclasses.replace(query, text=sqlalchemy_colons(query.text))


_SCHEMA_CHANGE = re.compile(r"\s*(?:CREATE|ALTER|DROP)\b", re.IGNORECASE)
_loaded = False


def _load_optional() -> None:
    """Extractors of other families register themselves when their module exists."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib

    for module in ("advisor.sources.javascript", "advisor.sources.shapes"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
