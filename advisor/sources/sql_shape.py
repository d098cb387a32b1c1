"""Whether a text in code is a SQL statement, by its start and shape (no parse).

`looks_like_sql` is the test for text anywhere (a constant named as SQL, a JS string): the statements the
rules read, with the shape that tells them from prose ("Select a file", "Update the cache").
`runs_as_sql` is the test for text that reaches an execution call (`cur.execute(text)`, a builder whose
result does): there it is SQL all the same when it is one of PostgreSQL's other commands with its shape —
DDL on tables, indexes, views and schemas, a routine or a trigger written whole, `SET x = ...`, `SHOW x`,
`GRANT ... ON ... TO`, `COPY t FROM` — names possibly `{}` placeholders for what the code fills in.
"""

from __future__ import annotations

import re

# what code fills in at run time, in the statement text read from it (a name, a value or a spliced clause):
# read by advisor.parse as a typed placeholder; one stand-in for the Python and the JavaScript extractors
DYNAMIC_PLACEHOLDER = "{}"

_SQL_START = re.compile(
    r"^\s*(\(\s*)*(SELECT|WITH|INSERT\s+INTO|UPDATE\s+(ONLY\s+)?\S+(\s+(AS\s+)?\w+)?\s+SET|DELETE\s+FROM|CREATE\s+(UNIQUE\s+)?INDEX|"
    r"CREATE\s+TABLE|ALTER\s+TABLE|DROP\s+(TABLE|INDEX)|MERGE\s+INTO|TRUNCATE)\b",
    re.IGNORECASE,
)
_LEADING_COMMENTS = re.compile(r"^(?:\s*(?:--[^\n]*(?:\n|$)|/\*.*?\*/))*", re.DOTALL)  # `-- name: x` headers
_SELECT_SHAPE = re.compile(r"\bFROM\b|\bSET\b|\bVALUES\b|\bINTO\b|^\s*SELECT\s+\S", re.IGNORECASE)

# a scratch table the code defines with its columns (the schema keeps it: advisor.schema.assemble)
_TEMP_TABLE = re.compile(
    r"^\s*CREATE\s+(?:GLOBAL\s+|LOCAL\s+)?TEMP(?:ORARY)?\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[\w.\"]+\s*\(",
    re.IGNORECASE,
)


def looks_like_sql(text: str) -> bool:
    text = uncommented(text)
    if _TEMP_TABLE.match(text):
        return True
    return bool(_SQL_START.match(text)) and bool(_SELECT_SHAPE.search(text)) and len(text) >= 8


def uncommented(text: str) -> str:
    """The text after its leading comments."""
    comments = _LEADING_COMMENTS.match(text)
    return text[comments.end() :] if comments else text


# schema.table, "Quoted", {} (a placeholder), i_{}_{}, and a template's own as a schema file's source writes it
# (`${this.schemaName}.jobs`, an f-string's `{schema}.jobs`)
_NAME = r"(?:[\w$]|\"[^\"\n]*\"|\{[^{}\n]{0,80}\}|\.)+"
_NAMES = rf"{_NAME}(?:\s*,\s*{_NAME})*"
_ENDS = r"\s*(?:;\s*)?$"
# where a routine starts: CREATE FUNCTION / PROCEDURE, or a DO block (advisor.sources.function_bodies reads its body)
ROUTINE = re.compile(r"\s*(?:CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\b|DO\b)", re.IGNORECASE)
# a routine with its body (CREATE [OR REPLACE] FUNCTION|PROCEDURE name(, DO [LANGUAGE x] $$) or a trigger: read
# when its text is fixed; one the code builds from values is code advisor cannot read whole (and a value spliced
# into a body's code stands neither where a name nor where a value does: the string-building positions do not hold)
_ROUTINE_COMMAND = re.compile(
    rf"^\s*(?:CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\s+{_NAME}\s*\("
    r"|DO\s+(?:LANGUAGE\s+'?\w+'?\s+)?\$(?:[A-Za-z_]\w*)?\$"
    rf"|CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+{_NAME}\s+(?:BEFORE|AFTER|INSTEAD\s+OF)\b)",
    re.IGNORECASE,
)
_COMMANDS = [
    # CREATE [TEMP|UNLOGGED|UNIQUE|{}] TABLE|INDEX|VIEW ... with what makes each one
    rf"CREATE\s+(?:(?:OR\s+REPLACE|GLOBAL|LOCAL|TEMP|TEMPORARY|UNLOGGED|\{{\}})\s*)*TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"{_NAME}\s*(?:\(|AS\b|PARTITION\s+OF\b|OF\b)",
    rf"CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:(?:IF\s+NOT\s+EXISTS\s+)?{_NAME}\s+)?ON\s+(?:ONLY\s+)?{_NAME}",
    rf"CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:TEMP|TEMPORARY)\s+)?VIEW\s+{_NAME}(?:\s*\([^)]*\))?\s+AS\b",
    # IF NOT EXISTS: PostgreSQL's for a materialized view only (`CREATE VIEW IF NOT EXISTS` is SQLite's)
    rf"CREATE\s+(?:OR\s+REPLACE\s+)?MATERIALIZED\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?{_NAME}(?:\s*\([^)]*\))?\s+AS\b",
    rf"CREATE\s+(?:SCHEMA|SEQUENCE|EXTENSION)\s+(?:IF\s+NOT\s+EXISTS\s+)?{_NAME}"
    r"(?:\s+(?:AUTHORIZATION|WITH|CASCADE|VERSION|SCHEMA|AS|START|INCREMENT|OWNED|CACHE)\b.*)?(?:;\s*)?$",
    # CREATE TYPE name AS ENUM (...) | AS (...) | AS RANGE, CREATE DOMAIN name AS type
    rf"CREATE\s+TYPE\s+{_NAME}\s+AS\s*(?:ENUM\s*\(|RANGE\b|\()",
    rf"CREATE\s+DOMAIN\s+{_NAME}\s+AS\b",
    rf"ALTER\s+TYPE\s+{_NAME}\s+(?:ADD|DROP|ALTER|RENAME|OWNER|SET)\b",
    rf"ALTER\s+(?:TABLE|INDEX|VIEW|MATERIALIZED\s+VIEW|SEQUENCE|SCHEMA)\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?{_NAME}\s+"
    r"(?:ADD|DROP|ALTER|RENAME|SET|RESET|OWNER|ATTACH|DETACH|VALIDATE|ENABLE|DISABLE|CLUSTER|INHERIT|NO)\b",
    rf"DROP\s+(?:TABLE|INDEX|VIEW|MATERIALIZED\s+VIEW|SEQUENCE|SCHEMA|EXTENSION|TYPE|DOMAIN)\s+(?:CONCURRENTLY\s+)?"
    rf"(?:IF\s+EXISTS\s+)?{_NAMES}(?:\s+(?:CASCADE|RESTRICT))?{_ENDS}",
    rf"TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?{_NAMES}(?:\s+(?:RESTART|CONTINUE)\s+IDENTITY)?(?:\s+(?:CASCADE|RESTRICT))?{_ENDS}",
    rf"REFRESH\s+MATERIALIZED\s+VIEW\s+(?:CONCURRENTLY\s+)?{_NAME}(?:\s+WITH\s+(?:NO\s+)?DATA)?{_ENDS}",
    rf"LOCK\s+(?:TABLE\s+)?(?:ONLY\s+)?{_NAMES}\s+IN\s+[\w ]{{1,40}}?\s+MODE\b",
    # session settings: SET [SESSION|LOCAL] name =|TO value, SET TIME ZONE, SHOW name
    rf"SET\s+(?:SESSION\s+|LOCAL\s+)?(?:{_NAME}\s*(?:=|TO\b)|TIME\s+ZONE\b)",
    rf"SHOW\s+{_NAME}{_ENDS}",
    # privileges: GRANT what ON object TO role, REVOKE what ON object FROM role
    r"GRANT\s+[\w ,()]{1,200}?\s+ON\s+[^;]{1,300}?\s+TO\s+\S",
    r"REVOKE\s+[\w ,()]{1,200}?\s+ON\s+[^;]{1,300}?\s+FROM\s+\S",
    # COPY table [(columns)] FROM|TO ..., COPY (query) TO ...
    rf"COPY\s+(?:{_NAME}(?:\s*\([^)]*\))?|\(.+\))\s+(?:FROM|TO)\b",
]
_COMMAND = re.compile(r"^\s*(?:" + "|".join(f"(?:{c})" for c in _COMMANDS) + ")", re.IGNORECASE | re.DOTALL)
# a transaction opened first: BEGIN [WORK|TRANSACTION] [ISOLATION LEVEL ...], START TRANSACTION
_TRANSACTION = re.compile(
    r"\s*(?:BEGIN(?:\s+(?:WORK|TRANSACTION))?|START\s+TRANSACTION)(?:\s+ISOLATION\s+LEVEL\s+[A-Z ]{4,30}?)?\s*;",
    re.IGNORECASE,
)


def runs_as_sql(text: str) -> bool:
    """`text` is a statement when an execution call runs it: one `looks_like_sql` reads, or a command of
    the shapes above (the schema, session settings, privileges, COPY)."""
    text = uncommented(text)
    opened = _TRANSACTION.match(text)  # `BEGIN; CREATE TABLE ...; COMMIT;`: a migration's script in one transaction
    if opened is not None and text[opened.end() :].strip():
        text = uncommented(text[opened.end() :])
    if _ROUTINE_COMMAND.match(text):
        return DYNAMIC_PLACEHOLDER not in text
    if looks_like_sql(text) or _COMMAND.match(text) is not None:
        return True
    # a script whose first statement is a command the patterns above end at, and its second one too (`CREATE SCHEMA
    # IF NOT EXISTS x; CREATE TABLE x.jobs (...)`)
    first, _, rest = text.partition(";")
    second = uncommented(rest).partition(";")[0]  # the next statement only: a long script costs no more to read
    return (
        bool(second.strip())
        and _COMMAND.match(first + ";") is not None
        and (
            looks_like_sql(second)
            or _COMMAND.match(second + ";") is not None
            or _ROUTINE_COMMAND.match(second) is not None
        )
    )


def sqlalchemy_colons(text: str, backslashes: int = 1) -> str:
    """SQLAlchemy text()'s escaped colon (`\\:` in the string: `x \\:= 1`, `NULL\\:\\:uuid`) read as the `:` the
    server gets, at the same length, so positions hold; `backslashes`: how many stand for one in `text` (2 where
    it is a string literal's source, `"\\\\:"`)."""
    escape = "\\" * backslashes + ":"
    pad = " " * (len(escape) - 1)
    return text.replace(escape * 2, pad * 2 + "::").replace(escape, pad + ":")
