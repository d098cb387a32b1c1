"""Where a value spliced into SQL text stands: where SQL expects a name, or a value.

A name (a table, a column, a type, ASC/DESC, an alias) is the code's identifier: the finding belongs
where a caller builds it from input.  A value (a string's content, an operand, a list item of VALUES
or IN) is what injection needs.  Judged from the SQL text around the piece, the pieces before it
written as `?`; used for the whole statement (advisor.facts.interpolation) and for a fragment built
apart and spliced in later (advisor.facts.provenance, advisor.facts.js_values).
"""

from __future__ import annotations

import re

_VALUE_WORDS = {
    "AND",
    "OR",
    "WHERE",
    "NOT",
    "LIKE",
    "ILIKE",
    "LIMIT",
    "OFFSET",
    "THEN",
    "ELSE",
    "WHEN",
    "BY",
    "VALUES",
    "IN",
    "IS",
    "BETWEEN",
    "HAVING",
    "ON",
    "AS",
    "CASE",
    "ALL",
    "ANY",
    "SOME",
    "EXISTS",
    "INTERVAL",
}
_NAME_WORDS = (
    "FROM",
    "JOIN",
    "INTO",
    "UPDATE",
    "TABLE",
    "INDEX",
    "SEQUENCE",
    "VIEW",
    "SCHEMA",
    "TRIGGER",
    "FUNCTION",
    "EXISTS",
    "ONLY",
    "TRUNCATE",
    "ANALYZE",
    "VACUUM",
    "NOTIFY",
    "LISTEN",
    "CHANNEL",
    "SELECT",
    "DISTINCT",
    "SET",
    "RETURNING",
)
# the clause a list item belongs to: names in SELECT/SET/RETURNING lists and column lists, values in VALUES/IN
_LIST_CLAUSE = re.compile(
    r"\b(SELECT\b|SET\b|RETURNING\b|BY\b|VALUES\b|IN\b|INTO\s+[\w.\"?]+\s*\()(?!.*\b(SELECT|SET|RETURNING|BY|VALUES|IN)\b)",
    re.IGNORECASE | re.DOTALL,
)


# within an ORDER BY list: the clause started and no later clause keyword since
_ORDER_ITEM = re.compile(r"\bORDER\s+BY\b(?![\s\S]*\b(?:LIMIT|OFFSET|FROM|WHERE|UNION|FOR|RETURNING)\b)", re.IGNORECASE)

# DDL, settings, privileges, COPY of a table (no query, no predicate inside): what the code splices into them
# outside quotes is a name, a type, a clause or a setting -- there is no value to bind in their place
_COMMAND = re.compile(
    r"\s*(?:SET|SHOW|GRANT|REVOKE|TRUNCATE|LOCK|ALTER|DROP|COPY(?!\s*\()|"
    r"CREATE(?!\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE|TRIGGER|RULE)))\b",
    re.IGNORECASE,
)
# an expression inside a command, where values go: a query, a condition, a default, a policy's USING (...); an
# index's access method (`USING hnsw (embedding ...) WITH (m = 16)`) is a name
_INNER_QUERY = re.compile(
    r"\b(?:SELECT|WHERE|VALUES|CHECK|DEFAULT|DO)\b|\bUSING\b(?!\s+\w+\s*\()|\$\w*\$", re.IGNORECASE
)


# functions whose first argument is an object's name written as text, not a value (a sequence's, a relation's, a
# replication slot's): the literal before the piece opens right there
_RELATION_TEXT = re.compile(
    r"\b(?:nextval|currval|setval|to_regclass|pg_get_serial_sequence|pg_create_(?:logical|physical)_replication_slot"
    r"|pg_drop_replication_slot|pg_replication_slot_advance|pg_logical_slot_(?:get|peek)(?:_binary)?_changes)\s*\(\s*$",
    re.I,
)


# a driver's placeholder just before a piece (`id=%s{rest}`, `%(id)s{rest}`): its letter is no word the piece joins
_PLACEHOLDER_END = re.compile(r"%(?:\([^()]*\))?$")


def name_position(before: str, after: str) -> bool:
    """The piece stands where SQL expects a name: `FROM {t}`, `{s}.jobs`, `"{c}"`, `{col} = %s`, `x {dir}`."""
    if before.count("'") % 2 == 1:
        # inside a string literal: a value, but for a relation's name given as text (`nextval('_{cls}_ids')`)
        return bool(_RELATION_TEXT.search(before[: before.rfind("'")]))
    if before.count('"') % 2 == 1:
        return True  # inside a quoted identifier
    if _COMMAND.match(before) and not _INNER_QUERY.search(before):
        return True  # a command PostgreSQL binds no parameters in: a name, a type, a clause or a setting
    glued = re.search(r"[A-Za-z_]\w*$", before)
    if (glued and not _PLACEHOLDER_END.search(before, 0, glued.start())) or re.match(r"[A-Za-z_]", after):
        return True  # glued to a word: part of one name (`from _{cls}`, `{name}s`, `_{cls}_ids`), never a value
    tail, head = before.rstrip(), after.lstrip()
    if tail.endswith("::"):
        return True  # $2::{type}: the type of a cast
    if re.search(r"(?:^|[\s(,=])(?::|%\()$", tail):
        return True  # :{field}, %({field})s: the name of a bind parameter (the driver binds its value)
    if tail.endswith(".") or head.startswith((".", "(")) and not tail.endswith(("(", ",", "=")):
        return True  # schema.{table}, {schema}.table, {function}(...)
    if re.match(r"(=|<|>|!=|<>|IS\b|IN\b|NOT\s+IN\b|LIKE\b|ILIKE\b|BETWEEN\b|@>|<@|\?)", head, re.IGNORECASE):
        return True  # the left operand of a comparison: a column
    if re.search(r"\b(WHERE|AND|OR|ON)\s*\($", tail, re.IGNORECASE) and re.match(r"\)\s*(=|IN\b)", head, re.IGNORECASE):
        return True  # WHERE ({columns}) IN (VALUES ...): the columns of a row comparison
    if re.search(r"\bON\s+CONFLICT\s*\($", tail, re.IGNORECASE):
        return True  # ON CONFLICT ({key columns})
    if tail.endswith(",") or re.search(r"\bINTO\s+[\w.\"?]+\s*\($", tail, re.IGNORECASE):
        clause = _LIST_CLAUSE.search(tail[-400:])  # which list the item is in
        return clause is not None and clause.group(1).upper() not in ("VALUES", "IN")
    if (
        re.search(r"[\")]\s+$", before)
        and _ORDER_ITEM.search(tail[-400:])
        and re.match(r"\s*(,|$|LIMIT\b|OFFSET\b|NULLS\b)", after, re.IGNORECASE)
    ):
        return True  # ORDER BY "created" {dir}, ORDER BY COALESCE(a, b) {dir}: the direction of a sort key
    word = _last_word(tail).upper()
    if not word:
        return False
    if word in _NAME_WORDS:
        return True
    return word not in _VALUE_WORDS and tail != before  # after a column name: ASC, DESC, an alias


def _last_word(text: str) -> str:
    """The word (`[A-Za-z_]\\w*`) `text` ends with, or "": read backwards, a regular expression searching
    from the front takes quadratic time on a long line."""
    start = len(text)
    while start and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    first = re.search(r"[A-Za-z_]", text[start:])
    return text[start + first.start() :] if first else ""
