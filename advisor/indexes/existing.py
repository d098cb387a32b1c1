"""The indexes a table already has, next to the chosen set: which the set makes redundant (a prefix
of a new index's keys) and which no query of the workload uses -- suggestions to drop, with their
size, kept apart from the creates (advisor/indexes/migration.py prints them commented out).

Never suggested: a primary key, a unique index, one backing a constraint (the planner's use is not
all they are for), nor one on a table no query of the workload reads (the workload says nothing of it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from advisor.names import quote

if TYPE_CHECKING:
    from advisor.indexes.candidates import Candidate


def covered_by_existing(c: Candidate, schema, *, keys_only: bool = False) -> bool:
    """An index the schema knows (declared in its files, or built by the code: a background update) has the
    candidate's keys first, the same method and predicate, and its INCLUDE columns: the candidate adds nothing.
    `keys_only`: its INCLUDE columns aside, the access it searches by is served already (it adds a covering copy)."""
    for index in schema.indexes_on(c.table):
        if (
            index.method == c.method
            and (index.where or None) == (c.where or None)
            and tuple(k.expr for k in index.keys[: len(c.keys)]) == tuple(k.expr for k in c.keys)
            and (keys_only or set(c.include) <= set(k.expr for k in index.keys) | set(index.include))
        ):
            return True
    return False


_INDEXES = """
SELECT ic.relname, n.nspname, t.relname, pg_relation_size(i.indexrelid), am.amname,
       pg_get_expr(i.indpred, i.indrelid),
       array(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k)
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_am am ON am.oid = ic.relam
WHERE NOT i.indisprimary AND NOT i.indisunique AND i.indisvalid
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND ic.relname NOT LIKE 'advisor\\_%'
ORDER BY n.nspname, t.relname, ic.relname
"""


@dataclass
class ExistingIndex:
    """An index the database has that the workload, with the chosen set, can do without."""

    name: str  # schema-qualified unless in public
    table: str
    size_bytes: int
    reason: str  # "redundant" (the set has an index its keys lead) or "unused"
    by: str = ""  # the new index that makes it redundant

    def drop_sql(self) -> str:
        return f"DROP INDEX CONCURRENTLY {self.name};"


def droppable(conn, chosen: list[Candidate], used: set[str], tables: set[str]) -> list[ExistingIndex]:
    """The existing indexes on the workload's tables (`tables`: names as the queries write them,
    lowercase, bare or schema-qualified) that a chosen index makes redundant, or that no plan with
    the set uses (`used`: index names in those plans)."""
    out = []
    for name, schema, table, size, method, where, keys in conn.execute(_INDEXES).fetchall():
        qualified = f"{schema}.{table}".lower()
        if table.lower() not in tables and qualified not in tables:
            continue
        shown = quote(name) if schema == "public" else f"{quote(schema)}.{quote(name)}"  # printed in DROP INDEX
        shown_table = table if schema == "public" else f"{schema}.{table}"
        by = next(
            (
                c
                for c in chosen
                if method == c.method == "btree"
                and where is None
                and c.where is None
                and c.table.lower() in (table.lower(), qualified)
                and [k.expr for k in c.keys][: len(keys)] == [k.strip('"') for k in keys]
            ),
            None,
        )
        if by is not None:
            out.append(ExistingIndex(shown, shown_table, size, "redundant", by.describe()))
        elif name not in used:
            out.append(ExistingIndex(shown, shown_table, size, "unused"))
    return out
