"""Which of the storage budget's options (advisor/indexes/budget.py) can change a query's plan, so that its
search plans only those queries (advisor/indexes/replan.py ConfigPlans).

An index can change a plan only if the plan reads its table (its plan with no new index names the table
or one of its partitions).  And PostgreSQL plans a btree index on columns into a query only where the
query names one of its key columns (a condition, a join, an order, min/max; since PostgreSQL 18 a skip
scan reads past a leading column the query does not name), where every column of the table the query
names is in the index (an index-only scan of the whole index), or -- a partial index -- where the query's
conditions imply its predicate, which needs every column of it named.  What a query names is every
identifier of its text: more than it uses (a string, another table's column of the same name), never
less -- unless its text hides what it reads: a view or an SQL function it names (their own conditions and
columns), NATURAL JOIN (the columns it joins on), `*` beside a positional ORDER BY or GROUP BY, a table
with row-level security (its policies' conditions).  Then, as for an index on an expression or of another
method, every option on a table its plan reads counts.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from advisor.indexes.candidates import regclass_text

if TYPE_CHECKING:
    from advisor.explain.plan import Plan
    from advisor.explain.stage import QueryRun
    from advisor.indexes.candidates import Candidate

NAME = re.compile(r'"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*)')
POSITIONAL = re.compile(r"\b(?:order|group)\s+by\s+\d", re.IGNORECASE)


def names_in(sql: str) -> set[str]:
    """Every identifier of a statement's text, lower case (quoted ones unquoted; words of strings too)."""
    return {(quoted.replace('""', '"') if quoted else bare).lower() for quoted, bare in NAME.findall(sql)}


def can_use(c: Candidate, named: set[str], columns: set[str]) -> bool:
    """Can a plan of a query whose text names `named` use index c (`columns`: its table's, lower case)?"""
    if c.method != "btree" or not all(k.is_column for k in c.keys):
        return True
    if c.where:
        return names_in(c.where) & columns <= named
    keys = {k.expr.lower() for k in c.keys}
    return bool(keys & named) or named & columns <= keys | {x.lower() for x in c.include}


def reach(conn, options: list[Candidate], runs: dict[int, QueryRun], plans: dict[int, Plan]) -> dict[int, set[int]]:
    """Query key -> the positions in `options` of those that can change its plan (module docstring; `runs`,
    `plans`: by query key; a query without a run: every option on a table its plan reads)."""
    tables = {c.table for c in options}
    relations = {t: _relations(conn, t) for t in tables}
    columns = {t: _columns(conn, t) for t in tables}
    secured = {t for t in tables if _row_security(conn, t)}
    hiding = _hiding_names(conn)
    out = {}
    for k, plan in plans.items():
        read = {n.relation for n in plan.root.walk() if n.relation}
        sql = runs[k].sql if k in runs else None
        named = names_in(sql) if sql is not None else set()
        opaque = (
            sql is None or bool(named & hiding) or "natural" in named or ("*" in sql and bool(POSITIONAL.search(sql)))
        )
        out[k] = {
            i
            for i, c in enumerate(options)
            if relations[c.table] & read and (opaque or c.table in secured or can_use(c, named, columns[c.table]))
        }
    return out


def _relations(conn, table: str) -> set[str]:
    """The names a plan gives the relations of this table: its own, and each partition's."""
    rows = conn.execute(
        "SELECT relname FROM pg_class WHERE oid = %s::regclass UNION "
        "SELECT c.relname FROM pg_partition_tree(%s::regclass) t JOIN pg_class c ON c.oid = t.relid",
        (regclass_text(table), regclass_text(table)),
    ).fetchall()
    return {r[0] for r in rows}


def _columns(conn, table: str) -> set[str]:
    rows = conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        (regclass_text(table),),
    ).fetchall()
    return {r[0].lower() for r in rows}


def _row_security(conn, table: str) -> bool:
    row = conn.execute(
        "SELECT relrowsecurity FROM pg_class WHERE oid = %s::regclass", (regclass_text(table),)
    ).fetchone()
    return bool(row and row[0])


def _hiding_names(conn) -> set[str]:
    """Names (lower case) of the views and the SQL functions outside the system catalogues: a query naming one
    may read columns its text does not name."""
    rows = conn.execute(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'v' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        UNION SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            JOIN pg_language l ON l.oid = p.prolang
            WHERE l.lanname = 'sql' AND n.nspname NOT IN ('pg_catalog', 'information_schema')"""
    ).fetchall()
    return {r[0].lower() for r in rows}
