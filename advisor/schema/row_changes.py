"""Which tables the project's statements add rows to, delete rows from, or change the keys of.

A foreign key's missing index costs a scan of the referencing table each time a referenced row goes away or
changes its key (checks/schema.unindexed_foreign_key). Whether that ever happens is in the statements advisor
read: `DELETE`, `MERGE`, an `UPDATE` that sets a column, and the cascades the schema's keys add to them.
"""

from __future__ import annotations

import re

from advisor.ir import RowChanges, SqlQuery

# a statement that may change rows: the rest (SELECT, DDL) is not parsed here
_CHANGES = re.compile(r"\b(DELETE|INSERT|UPDATE|MERGE|COPY)\b", re.IGNORECASE)
_MERGE = re.compile(r"\bMERGE\s+INTO\b", re.IGNORECASE)
_DELETE_FROM = re.compile(r"\bDELETE\s+FROM\s+(?:ONLY\s+)?(\S+)", re.IGNORECASE)


def row_changes(statements: list[SqlQuery]) -> RowChanges:
    """What the statements do to rows, table by table (bare, folded names, as the schema keys its tables)."""
    from sqlglot import exp

    from advisor.names import fold
    from advisor.parse import is_placeholder_name, parse_sql

    out = RowChanges()

    def name_of(table: exp.Expression | None) -> str | None:
        while isinstance(table, (exp.Schema, exp.Alias)):
            table = table.this
        if not isinstance(table, exp.Table) or not table.name:
            return None
        return None if is_placeholder_name(table.name) else fold(table)

    for query in statements:
        if not _CHANGES.search(query.text):
            continue
        tree = parse_sql(query.text, query.dialect)
        if not isinstance(tree, exp.Expression):
            # unread: the tables its DELETEs name as written, when each is a plain name
            for m in _DELETE_FROM.finditer(query.text):
                bare = m.group(1).rstrip(";),").split(".")[-1]
                out.unknown = out.unknown or not bare.strip('"').isidentifier()
                out.deleted.add(bare.strip('"') if bare.startswith('"') else bare.lower())
            out.unknown = out.unknown or _MERGE.search(query.text) is not None
            continue
        for node in tree.find_all(exp.Delete, exp.Insert, exp.Update, exp.Merge, exp.Copy):
            name = name_of(node.this)
            if name is None:
                out.unknown = out.unknown or isinstance(node, (exp.Delete, exp.Merge))
                continue
            if isinstance(node, exp.Delete):
                out.deleted.add(name)
                if _expiry(node.args.get("where")):
                    out.expired.add(name)
            elif isinstance(node, exp.Update):
                columns = out.set_columns.setdefault(name, set())
                for assignment in node.expressions:
                    if isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column):
                        columns.add(fold(assignment.this))
            elif not isinstance(node, exp.Copy) or node.args.get("kind"):  # COPY ... FROM, not TO
                out.added.add(name)
                if isinstance(node, exp.Merge):  # WHEN MATCHED THEN DELETE / UPDATE: read as both
                    out.deleted.add(name)
                    out.set_columns.setdefault(name, set()).add("*")
    return out


def _expiry(where) -> bool:
    """`WHERE created_at < $1`, `WHERE expires <= now()`, `WHERE ts < now() - interval '7 days'`: every row older
    than a cutoff the run gives, and nothing else chosen -- the purge of a table whose rows pile up with use, as a
    TTL index is for a MongoDB collection (Schema.grows). A literal cutoff (a migration's one-off cleanup) is not."""
    from sqlglot import exp

    test = where.this if where is not None else None
    while isinstance(test, exp.Paren):
        test = test.this
    if not isinstance(test, (exp.LT, exp.LTE, exp.GT, exp.GTE)):
        return False
    column, cutoff = test.this, test.expression
    if isinstance(test, (exp.GT, exp.GTE)):
        column, cutoff = cutoff, column  # `$1 > created_at`
    return isinstance(column, exp.Column) and _run_time(cutoff)


def _run_time(value) -> bool:
    """A value the run gives: a parameter, the clock (now(), CURRENT_TIMESTAMP), or either minus or plus a duration."""
    from sqlglot import exp

    from advisor.facts.sql import clock_value, passed_value

    while isinstance(value, (exp.Paren, exp.Cast)):
        value = value.this
    if isinstance(value, (exp.Sub, exp.Add)):
        return _run_time(value.this)
    return passed_value(value) or clock_value(value)
