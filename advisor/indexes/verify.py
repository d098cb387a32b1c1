"""Index candidates for one query, built on the seeded data and measured.

Each candidate is created (plain CREATE INDEX) inside a transaction that is
always rolled back, the table analysed where the index adds statistics
(expressions), the query re-planned (and re-run with --analyze), and the
index's size and build time taken before the rollback.  Nothing persists.
On a database advisor does not own, only HypoPG's hypothetical indexes are used.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlglot import exp

from advisor.indexes.candidates import (
    Candidate,
    access_of,
    candidate_for,
    regclass_text,
    row_condition_nodes,
    table_sql,
)
from advisor.ir import IndexKey, Schema

if TYPE_CHECKING:
    from advisor.explain.stage import Explainer
    from advisor.facts.sql import QueryFacts


def _columns_used(scope, alias: str) -> set[str] | None:
    """Columns of one table the scope reads; None when a star reads them all.  In `EXISTS (SELECT * ...)`
    the select list is never read: only the conditions are (TPC-H Q4's subquery is served index-only)."""
    exists = isinstance(scope.node.parent, exp.Exists)
    if scope.stars and not exists:
        return None
    listed = {id(c) for e in scope.node.expressions for c in e.find_all(exp.Column)} if exists else set()
    used = set()
    for col in scope.node.find_all(exp.Column):
        if id(col) in listed:
            continue
        if isinstance(col.this, exp.Star):
            return None
        qualifier = col.table.lower() if col.table else None
        if qualifier == alias or (qualifier is None and len(scope.sources) == 1):
            used.add(col.name.lower())
    return used


def _status_or_flag(value) -> bool:
    """A constant a workload repeats (`status = 'open'`, `deleted = false`), not one query's parameter
    value written inline (`group_id = 42`, `id = '7'`): a partial index tied to one id serves one query."""
    if isinstance(value, exp.Boolean):
        return True
    return isinstance(value, exp.Literal) and value.is_string and not value.this.strip().lstrip("-").isdigit()


def candidates_for(facts: QueryFacts, schema: Schema) -> list[Candidate]:
    """The indexes to measure for a statement: per table it reads, from its own conditions, joins and sort and
    those the planner pushes into it from an enclosing query -- through a view too, which the planner reads as
    the subquery it stands for (pushdown.through_views)."""
    from advisor.facts.sql import build_facts
    from advisor.indexes.pushdown import Pushdown, add_pushed, through_views

    out: list[Candidate] = []

    def add(c: Candidate) -> None:
        c = c.placed(schema)  # where the printed DDL builds it: its schema, its partitions
        if c.keys and c not in out and not _exists(c, schema):
            out.append(c)

    expanded = through_views(facts.tree, schema)
    if expanded is not None:
        facts = build_facts(expanded, schema)
    pushdown = Pushdown()
    for scope in facts.scopes:
        pushed = pushdown.by_alias(scope)
        for alias, table in scope.sources.items():
            tdef = schema.table(table)
            if tdef is None or tdef.kind == "view" or tdef.temporary:
                continue  # a view has no index of its own (its plan reads its tables); a temporary table, one session
            access = access_of(scope, alias, table, schema)
            add_pushed(access, pushed.get(alias, []))
            keys = (
                candidate_for(access) if (access.filters or access.joins or (access.sort and access.has_limit)) else ()
            )
            if keys:
                used = _columns_used(scope, alias)
                fixed = [
                    p
                    for p in access.predicates
                    if not p.wrapped and (p.op == "isnull" or p.op == "eq" and _status_or_flag(p.value))
                ]
                counts = _column_counts(scope, alias, schema)
                reads_more = counts is None or bool(set(counts) - {k.expr for k in keys})
                same_row = row_condition_nodes(scope, alias, table, schema)
                plain_row = [node for node in same_row if _two_columns_of_a_type(node, tdef)]
                if not _partial_serves(keys, fixed, reads_more) and not plain_row:
                    # the partial on a same-row condition (below) holds the entries the composite's scan keeps
                    add(Candidate(table, keys, reason="composite"))
                for n in range(1, len(keys)):
                    if all(k.is_column for k in keys[:n]):
                        # each shorter prefix: a trailing column may buy nothing, and one that makes every
                        # key unique defeats btree deduplication (TPC-H Q4: lineitem(l_orderkey) beside the
                        # primary key (l_orderkey, l_linenumber) is a fraction of its size; Q20 costs the
                        # same on lineitem(l_partkey, l_suppkey) as with l_shipdate after them, 5.8 vs 18 MB)
                        add(Candidate(table, keys[:n], reason="leading" if n == 1 else "prefix"))
                if used is not None:
                    rest = tuple(sorted(c for c in used - {k.expr for k in keys} if c in tdef.columns))
                    # not when it carries only the columns of a same-row condition: the partial on it (below)
                    # is read index-only as well (PostgreSQL needs no column its predicate alone uses), and holds
                    # only the rows that pass (TPC-H Q4: (l_orderkey) WHERE l_commitdate < l_receiptdate saves
                    # 63%, (l_orderkey) INCLUDE (l_commitdate, l_receiptdate) 49%)
                    if 0 < len(rest) <= 3 and all(k.is_column for k in keys) and not _only_in(rest, plain_row, counts):
                        add(Candidate(table, keys, include=rest, reason="index-only"))
                # a condition every call repeats -- a constant equality on a status or a flag, or IS NULL (a
                # soft-delete `deleted_at IS NULL`) --: a partial index on the rest, one per condition and one
                # for all of them.  An IS NULL leading key does not let PostgreSQL read the index in the next
                # key's order (only `=` does), so `ORDER BY created_at ... WHERE deleted_at IS NULL` needs
                # (created_at) WHERE deleted_at IS NULL
                from advisor.schema.ddl import canonical_expression

                for group in [[p] for p in fixed] + ([fixed] if len(fixed) > 1 else []):
                    rest_keys = tuple(k for k in keys if k.expr not in {p.column for p in group})
                    if rest_keys:
                        where = " AND ".join(sorted(canonical_expression(p.node) for p in group))
                        add(Candidate(table, rest_keys, where=where, reason="partial"))
                # a condition between two columns of the row (TPC-H Q4's l_commitdate < l_receiptdate): no key
                # serves it, a partial index holds only the rows it keeps.  It stands for the composite (above):
                # it has the same keys: the same entries in the same order, but only those that pass
                # the condition, which the composite's scan keeps (Q21: lineitem(l_suppkey, l_orderkey) WHERE
                # l_commitdate < l_receiptdate, not also (l_suppkey, l_orderkey)).  A cast may make PostgreSQL
                # refuse the predicate (timestamptz beside date): then the composite is measured too.  Several
                # (Q12: l_commitdate < l_receiptdate AND l_shipdate < l_commitdate): one partial on all of them
                # holds only the rows the query keeps (2.9 MB, cost -73%; each alone, 15 MB and -18%); those
                # of one declared type together, one with a cast apart (it may be refused)
                together = [plain_row] if len(plain_row) > 1 else []
                for conds in together + [[n] for n in same_row if not together or n not in plain_row]:
                    where = " AND ".join(sorted(canonical_expression(n) for n in conds))
                    add(Candidate(table, keys, where=where, reason="partial"))
            for column in access.joins:
                add(Candidate(table, (IndexKey(column),), reason="join"))
            for p in scope.predicates_on(alias):
                # sqlglot writes NOT LIKE as Like(negate=True), which the facts do not count as negated.  A pattern
                # the caller passes may be a prefix, which a B-tree serves and PostgreSQL's custom plan for the value
                # uses; the generic plan cannot, so a trigram index would win there for any pattern: only one known
                # to start with a wildcard is measured
                if (
                    p.leading_wildcard
                    and not p.wrapped
                    and not p.negated
                    and not p.in_or
                    and not p.node.args.get("negate")
                ):
                    add(Candidate(table, (IndexKey(p.column),), method="gin", opclass="gin_trgm_ops", reason="trigram"))
    return [c for c in out if not _held_as_keys(c, out)]


def _column_counts(scope, alias: str, schema: Schema) -> Counter | None:
    """How often the scope names each column of the table (None: a star reads them all); an unqualified
    column counts when it is the scope's one table, or where this scope (not a subquery) names it and it
    is certainly this table's (Scope.owns: as PostgreSQL resolves it)."""
    used = _columns_used(scope, alias)
    if used is None:
        return None
    exists = isinstance(scope.node.parent, exp.Exists)
    listed = {id(c) for e in scope.node.expressions for c in e.find_all(exp.Column)} if exists else set()
    counts: Counter = Counter()
    for col in scope.node.find_all(exp.Column):
        if id(col) in listed:
            continue
        if (
            (col.table and col.table.lower() == alias)
            or (not col.table and len(scope.sources) == 1)
            or (not col.table and col.find_ancestor(exp.Select) is scope.node and scope.owns(col, alias, schema))
        ):
            counts[col.name.lower()] += 1
    return counts


def _two_columns_of_a_type(node: exp.Expression, tdef) -> bool:
    """`l_commitdate < l_receiptdate`: a comparison of two columns the schema declares of one type, which
    PostgreSQL takes in an index predicate (its operator is the type's own).  Between two types, or with
    arithmetic, the operator may depend on the TimeZone setting (timestamptz beside date) and be refused."""
    sides = (
        [node.this, node.expression] if isinstance(node, (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)) else []
    )
    columns = [tdef.columns.get(side.name.lower()) for side in sides if isinstance(side, exp.Column)]
    return len(columns) == 2 and None not in columns and columns[0].type == columns[1].type


def _only_in(columns, conditions: list[exp.Expression], counts: Counter | None) -> bool:
    """Does the scope (`counts`, _column_counts) name these columns only in these conditions?"""
    if counts is None:
        return False
    named = Counter(c.name.lower() for node in conditions for c in node.find_all(exp.Column))
    return all(counts[c] <= named[c] for c in columns)


def _partial_serves(keys: tuple[IndexKey, ...], fixed: list, reads_more: bool) -> bool:
    """Does the partial candidate on a repeated condition (`fixed`) of the composite's leading column serve
    this query at least as well as the composite?  (l_orderkey) WHERE l_returnflag = 'R' holds exactly the
    entries of (l_returnflag, l_orderkey) the query reads, in the same order, and no others: the same heap
    rows read in the same order from a smaller index (TPC-H Q10: 0.4% cheaper by the composite, 43% by the
    partial; a 0.7 s build saved).  After IS NULL the composite does not even give the next key's order.
    Unless the composite covers the query (an index-only scan needs the leading column too)."""
    return len(keys) > 1 and reads_more and any(p.column == keys[0].expr for p in fixed)


def _held_as_keys(c: Candidate, out: list[Candidate]) -> bool:
    """An index-only candidate another candidate holds whole, its INCLUDE columns as keys after the same
    leading keys: (l_partkey) INCLUDE (l_quantity) beside (l_partkey, l_quantity) (TPC-H Q17).  Their leaf
    entries carry the same columns (the key one deduplicates, an INCLUDE one cannot), and the other
    searches on more of them: it serves every scan this one would, no larger, so this one is not built."""
    have = {k.expr for k in c.keys} | set(c.include)
    return bool(c.include) and any(
        (o.table, o.method, o.where, o.opclass) == (c.table, c.method, c.where, c.opclass)
        and len(o.keys) > len(c.keys)
        and o.keys[: len(c.keys)] == c.keys
        and {k.expr for k in o.keys} | set(o.include) == have
        for o in out
    )


def _exists(c: Candidate, schema: Schema) -> bool:
    """An index of the schema is this candidate (same keys, method, predicate, and it holds the INCLUDE
    columns): building it again changes no plan (TPC-H: part(p_partkey) beside part_pkey), so it costs a
    build for nothing. A shorter or narrower index than an existing one is still a candidate."""
    return c.opclass is None and any(
        (i.method, i.keys, i.where) == (c.method, c.keys, c.where) and set(c.include) <= {*i.columns, *i.include}
        for i in schema.indexes_on(c.table)
    )


@dataclass
class Measurement:
    candidate: Candidate
    cost_after: float | None = None
    size_bytes: int | None = None
    build_ms: float | None = None
    time_after_ms: float | None = None
    used: bool = False
    error: str | None = None
    extra_costs: dict[int, float] = field(default_factory=dict)


def index_parts(conn, regclass: str) -> list[tuple[str, int]]:
    """(name, size) of an index and, when it is partitioned, of the index of each partition."""
    return [
        (r[0], r[1])
        for r in conn.execute(
            "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE oid = %s::regclass UNION ALL "
            "SELECT c.relname, pg_relation_size(c.oid) FROM pg_partition_tree(%s::regclass) t "
            "JOIN pg_class c ON c.oid = t.relid WHERE t.level > 0",
            (regclass, regclass),
        ).fetchall()
    ]


def relation_bytes(conn, name: str) -> int:
    """Size of a table or index, its partitions summed (a partitioned parent has none of its own); 0 for a name
    that is no relation of the database (a table a statement names under a schema the static facts did not see)."""
    row = conn.execute(
        """SELECT CASE WHEN c.relkind IN ('p', 'I')
            THEN (SELECT coalesce(sum(pg_relation_size(t.relid)), 0) FROM pg_partition_tree(c.oid) t)
            ELSE pg_relation_size(c.oid) END FROM pg_class c WHERE c.oid = to_regclass(%s)""",
        (name,),
    ).fetchone()
    return int(row[0]) if row else 0


BUILD_FLOOR_S = 10  # the least time a build may take; 100 µs a row above it


@contextmanager
def build_limit(conn, table: str | None) -> Iterator[None]:
    """The statements inside (an index build, the ANALYZE after it) each cut after 10 s, or 100 µs a row of
    the table: an index expression the schema makes slow (an IMMUTABLE function that sleeps) fails the
    candidate, it does not hold the run.  Set in the caller's transaction, restored after; on an error the
    caller's rollback restores it."""
    from advisor.seed.limits import statement_timeout

    if table is None:  # a table not known before the statement runs: the largest one
        rows = conn.execute("SELECT coalesce(max(greatest(reltuples, 0)), 0) FROM pg_class WHERE relkind = 'r'")
    else:  # a partitioned table's rows are its partitions'
        rows = conn.execute(
            """SELECT coalesce(sum(greatest(c.reltuples, 0)), 0) FROM pg_partition_tree(to_regclass(%s)) t
                JOIN pg_class c ON c.oid = t.relid""",
            (regclass_text(table),),
        )
    limit = statement_timeout(int(rows.fetchone()[0]), floor_s=BUILD_FLOOR_S)
    before = conn.execute("SELECT current_setting('statement_timeout')").fetchone()[0]
    conn.execute("SELECT set_config('statement_timeout', %s, true)", (limit,))
    yield
    conn.execute("SELECT set_config('statement_timeout', %s, true)", (before,))


def create(conn, candidate: Candidate, name: str) -> float:
    """Create the candidate as `name` in the caller's transaction, under `build_limit`; its build milliseconds.
    One statement: the extended protocol (binary) refuses a second one."""
    with build_limit(conn, candidate.table):
        started = time.perf_counter()
        conn.execute(candidate.ddl(concurrently=False, name=name), binary=True)
        return (time.perf_counter() - started) * 1000


def analyze(conn, table: str) -> None:
    """The table's statistics again, with those of an expression index on it, under `build_limit`."""
    with build_limit(conn, table):
        conn.execute(f"ANALYZE {table_sql(table)}")


def build(conn, candidate: Candidate, name: str) -> tuple[float, int]:
    """Build the candidate as `name` (schema-qualified as the caller gives it) in the caller's transaction:
    (build milliseconds, its size in bytes)."""
    return create(conn, candidate, name.rsplit(".", 1)[-1]), relation_bytes(conn, name)


def measure(conn, candidate: Candidate, explain_fn: Explainer, owned: bool, hypopg: bool = False) -> Measurement:
    """Build the candidate (rolled back), re-plan with explain_fn(conn) -> Plan; report the numbers."""
    if owned:
        return measure_shared(conn, candidate, [explain_fn])[0]
    return _hypothetical(conn, candidate, explain_fn, hypopg)


DEADLOCK_RETRIES = 3  # builds of one table side by side (advise._build_each) can deadlock in the catalogue


def measure_shared(
    conn, candidate: Candidate, explain_fns: list[Explainer], name: str = "advisor_candidate"
) -> list[Measurement]:
    """The candidate built once (rolled back) and every statement re-planned with it: one
    Measurement per explain_fn, sharing the build's size and time (the build is most of the cost,
    and the statements that propose the same index are many: lineitem(l_orderkey) in 9 of TPC-H's 22).
    `name`: its own per connection when several build at once (a name taken by another open
    transaction would make this one wait for it).  PostgreSQL ends a deadlock by failing one side: that
    side is built again (the other has gone on), so how busy the machine is never changes the advice."""
    import psycopg

    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            return _measure_once(conn, candidate, explain_fns, name)
        except psycopg.errors.DeadlockDetected as exc:
            if attempt == DEADLOCK_RETRIES:
                return [Measurement(candidate, error=str(exc).splitlines()[0]) for _ in explain_fns]
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


def _measure_once(conn, candidate: Candidate, explain_fns: list[Explainer], name: str) -> list[Measurement]:
    import psycopg

    out = [Measurement(candidate) for _ in explain_fns]
    try:
        with conn.transaction(force_rollback=True):
            if candidate.method == "gin" and candidate.opclass == "gin_trgm_ops":
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            build_ms = create(conn, candidate, name)
            if any(not k.is_column for k in candidate.keys):  # the expression's statistics (none for a predicate)
                analyze(conn, candidate.table)
            parts = index_parts(conn, name)  # on a partitioned table, each partition has its own index
            size = sum(size for _, size in parts)
            for m, explain_fn in zip(out, explain_fns, strict=True):
                m.build_ms, m.size_bytes = build_ms, size
                try:
                    plan, time_ms = explain_fn(conn)  # in its own savepoint: a failure leaves the build
                except psycopg.errors.DeadlockDetected:
                    raise  # the whole build again (measure_shared)
                except psycopg.Error as exc:
                    m.error = str(exc).splitlines()[0]
                    continue
                m.cost_after = plan.cost
                m.time_after_ms = time_ms
                m.used = bool(plan.indexes_used() & {part for part, _ in parts})
    except psycopg.errors.DeadlockDetected:
        raise
    except psycopg.Error as exc:  # the build itself was refused: for every statement alike
        for m in out:
            if m.error is None and m.cost_after is None:
                m.error = str(exc).splitlines()[0]
    return out


def _hypothetical(conn, candidate: Candidate, explain_fn: Explainer, hypopg: bool) -> Measurement:
    """On a database advisor does not own: HypoPG's hypothetical index, when the server has it."""
    import psycopg

    m = Measurement(candidate)
    name = "advisor_candidate"
    if hypopg:
        try:
            with conn.transaction(force_rollback=True):
                row = conn.execute(
                    "SELECT indexrelid, indexname FROM hypopg_create_index(%s)",
                    (candidate.ddl(concurrently=False, name=name),),
                ).fetchone()
                m.size_bytes = conn.execute("SELECT hypopg_relation_size(%s)", (row[0],)).fetchone()[0]
                plan, _ = explain_fn(conn)
                m.cost_after = plan.cost
                m.used = any(row[1] in (n.index_name or "") for n in plan.root.walk())
                conn.execute("SELECT hypopg_drop_index(%s)", (row[0],))  # only its own: the session's \try stay
        except psycopg.Error as exc:
            m.error = str(exc).splitlines()[0]
        return m
    m.error = "no write access and no HypoPG: candidates cannot be verified here"
    return m
