"""Split a .sql file into statements with exact positions.

PostgreSQL files are split by a regex scanner that follows psql's lexer (strings, E-strings,
dollar-quoted bodies, nested comments, backslash meta-commands, COPY ... FROM stdin data): it is
several times faster than tokenizing twice (the parser tokenizes again anyway).  Other dialects
are split on the semicolon tokens of the dialect's own sqlglot tokenizer (MySQL's backslash
escapes, backquotes, T-SQL brackets).  Named-query files (aiosql, yesql, sqlc, PugSQL: a
`-- name: x` line before each query, often without semicolons) are first cut at those lines.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import PurePath

from advisor.ir import SqlQuery, TextMap
from advisor.parse import has_text_template
from advisor.sources.function_bodies import body_queries, routine_ddl
from advisor.sources.sql_shape import ROUTINE, uncommented

_SCAN = re.compile(
    r"""
      (?P<line_comment>--[^\n]*)
    | (?P<block_comment>/\*)
    | (?P<estring>(?<![\w$])[eE]'(?:[^'\\]|\\.|'')*(?:'|\Z))
    | (?P<string>'(?:[^']|'')*(?:'|\Z))
    | (?P<ident>"(?:[^"]|"")*(?:"|\Z))
    | (?P<dollar>\$(?P<tag>[A-Za-z_][A-Za-z0-9_]*)?\$)
    | (?P<semi>;)
    | (?P<meta>(?m:^[ \t]*\\[^\n]*))
    """,
    re.VERBOSE | re.DOTALL,
)


def _skip_block_comment(text: str, pos: int) -> int:
    """Position after a (possibly nested) /* */ comment starting at pos."""
    depth, i = 0, pos
    while i < len(text):
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return len(text)


# A comment line naming the query that follows: aiosql/yesql/sqlc `-- name: get_user :one`, PugSQL
# `-- :name x`, procrastinate's `-- fetch_job --`.
_NAME_LINE = re.compile(
    r"^[ \t]*--[ \t]*(?:name[ \t]*:[ \t]*[\w.-]+[!<>*#^$]*(?:[ \t]+:\w+)?|:name[ \t]+[\w.-]+(?:[ \t]+:\w+)*"
    r"|[A-Za-z_][\w.-]*[ \t]*--)[ \t]*\r?$",
    re.MULTILINE | re.IGNORECASE,
)  # the whole line is the name: `-- name: the user's name` inside a CREATE TABLE is a comment
_COPY_FROM_STDIN = re.compile(r"COPY\b[^;]*\bFROM\s+STDIN\b", re.IGNORECASE)
_END_OF_COPY_DATA = re.compile(r"^\\\.[ \t\r]*$", re.MULTILINE)
POSTGRES_DIALECTS = ("postgres", "postgresql")


def split_statements(text: str, dialect: str = "postgres") -> list[tuple[int, int]]:
    """(start, end) offsets of each statement, without its `;` or surrounding comments."""
    first = 1 if text.startswith("\ufeff") else 0  # a UTF-8 byte order mark is not code
    blocks = [first] + [m.start() for m in _NAME_LINE.finditer(text)] + [len(text)]
    splitter = _split_postgres if dialect in POSTGRES_DIALECTS else _split_with_tokenizer
    spans: list[tuple[int, int]] = []
    for start, end in pairwise(blocks):
        if start < end:
            spans += splitter(text, start, end, dialect)
    return spans


def _split_with_tokenizer(text: str, pos: int, n: int, dialect: str) -> list[tuple[int, int]]:
    """Statements of text[pos:n] cut at the semicolon tokens of the dialect's tokenizer."""
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType

    try:
        tokens = Dialect.get_or_raise(dialect).tokenizer().tokenize(text[pos:n])
    except (TokenError, ValueError):  # an unterminated string, an unknown dialect: the PostgreSQL rules
        return _split_postgres(text, pos, n, dialect)
    spans: list[tuple[int, int]] = []
    start: int | None = None
    last_end = 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if start is not None:
                spans.append((pos + start, pos + last_end))
            start = None
            continue
        if start is None:
            start = token.start
        last_end = token.end + 1
    if start is not None:
        spans.append((pos + start, pos + last_end))
    return spans


def _split_postgres(text: str, pos: int, n: int, dialect: str = "postgres") -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start: int | None = None  # offset of the first code character of the current statement
    last_code_end = 0
    while pos < n:
        m = _SCAN.search(text, pos, n)
        code_end = m.start() if m else n
        chunk = text[pos:code_end]
        stripped = chunk.strip()
        if stripped:
            if start is None:
                start = pos + (len(chunk) - len(chunk.lstrip()))
            last_code_end = pos + len(chunk.rstrip())
        if m is None:
            break
        kind = m.lastgroup
        if kind == "tag":
            kind = "dollar"
        if kind == "line_comment":
            pos = m.end()
        elif kind == "block_comment":
            pos = _skip_block_comment(text, m.start())
        elif kind == "meta" and start is None:
            pos = m.end()  # psql meta-command such as \connect
        elif kind == "semi":
            pos = m.end()
            if start is not None:
                spans.append((start, last_code_end))
                if _COPY_FROM_STDIN.match(text, start, last_code_end):  # pg_dump data rows up to `\.`
                    data_end = _END_OF_COPY_DATA.search(text, pos, n)
                    pos = data_end.end() if data_end else n
            start = None
        else:
            if start is None:
                start = m.start()
            if kind == "dollar":
                close = text.find(m.group(0), m.end(), n)
                end = n if close < 0 else close + len(m.group(0))
            elif kind == "meta":
                end = m.start() + 1  # a backslash inside a statement: just a character
            else:
                end = m.end()
            last_code_end = end
            pos = end
    if start is not None:
        spans.append((start, last_code_end))
    return spans


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


_QUERY_NAME = re.compile(r"--\s*(?:name\s*:\s*|:name\s+)?([A-Za-z_][\w.-]*)", re.IGNORECASE)


def _scopes(path: str, text: str) -> list[tuple[int, tuple[str, ...]]]:
    """(offset, scope) from where each named query starts, named as functions are: by its name
    (`-- name: purge_expired`); in a file of unnamed statements, by the file's (`apikeys-purge.sql`:
    the statements of one job, named for it)."""
    named = [(m.start(), _QUERY_NAME.match(m.group(0).strip())) for m in _NAME_LINE.finditer(text)]
    if not named:
        return [(0, (PurePath(path).stem,))]
    return [(0, ())] + [(at, (m.group(1),) if m else ()) for at, m in named]


# where a migration tool's file turns to undoing what it did (its rollback, run only to go back) and back: node-pg-migrate's
# `-- Down Migration` / `-- Up Migration`, dbmate's `-- migrate:down`, goose's `-- +goose Down`, sql-migrate's
# `-- +migrate Down`, MyBatis's `--//@UNDO`
_DIRECTION = re.compile(
    r"^[ \t]*--[ \t]*(?:(?P<down>Down Migration|migrate:down|\+goose Down|\+migrate Down|//[ \t]*@UNDO)"
    r"|(?P<up>Up Migration|migrate:up|\+goose Up|\+migrate Up))\b",
    re.IGNORECASE | re.MULTILINE,
)


def _rollbacks(text: str) -> list[tuple[int, int]]:
    """The spans of a migration file that undo it: from a down marker to the next up marker, or the end."""
    spans, down = [], None
    for m in _DIRECTION.finditer(text):
        if m.group("down") and down is None:
            down = m.start()
        elif m.group("up") and down is not None:
            spans.append((down, m.start()))
            down = None
    return spans + ([(down, len(text))] if down is not None else [])


def extract_sql(path: str, text: str, dialect: str = "postgres", source: str = "sql") -> list[SqlQuery]:
    """Every statement of a SQL file as a query anchored at its first character; not the statements of a
    migration's rollback section (`-- Down Migration` ...), which a fresh database never runs."""
    queries = []
    scopes = _scopes(path, text)
    rollbacks = _rollbacks(text) if "--" in text else []
    line, line_start, counted = 1, 0, 0  # walk the file once: statements come in order
    if text.startswith("\ufeff"):
        line_start = counted = 1  # the byte order mark takes no column
    for start, end in split_statements(text, dialect):
        if any(a <= start < b for a, b in rollbacks):
            continue
        newlines = text.count("\n", counted, start)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", counted, start) + 1
        counted = start
        col = start - line_start + 1
        body = text[start:end]
        textmap = TextMap(path, body, ((0, line, col),))
        query = SqlQuery(
            text=body,
            location=textmap.locate(0, len(body) - 1),
            textmap=textmap,
            source=source,
            dialect=dialect,
            origin="sql-file",
            complete=not has_text_template(body),
            scope=next(scope for at, scope in reversed(scopes) if at <= start),
        )
        queries.append(query)
        queries += routine_statements(query)
    return queries


def routine_creates(query: SqlQuery) -> list[SqlQuery]:
    """The tables and indexes a PL/pgSQL function's body creates, written out (function_bodies.routine_ddl)."""
    if query.dialect not in POSTGRES_DIALECTS or not ROUTINE.match(uncommented(query.text)):
        return []
    return routine_ddl(query, _split_postgres)


def routine_statements(query: SqlQuery) -> list[SqlQuery]:
    """The statements inside a CREATE FUNCTION / PROCEDURE or a DO block, in PostgreSQL (none for anything else),
    located in the file: a .sql file's, or one an execution call of the code runs."""
    if query.dialect not in POSTGRES_DIALECTS or not ROUTINE.match(uncommented(query.text)):
        return []
    return body_queries(query, _split_postgres)
