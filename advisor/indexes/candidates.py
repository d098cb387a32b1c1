"""Which index would serve a table's access in a query, and whether one already does.

Plain functions over facts and the schema: the static `missing-index` rule and
the plan-verified advice both start from `access_of` and `candidate_for`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from sqlglot import exp

from advisor.facts.sql import Predicate, Scope, columns_in, conjuncts, disjuncts, parameterised
from advisor.indexes.implication import implies, own_conditions, pins_values
from advisor.ir import IndexDef, IndexKey, Schema
from advisor.names import inert, quote
from advisor.schema.ddl import canonical_expression


@dataclass
class Access:
    """How one query reaches one table."""

    alias: str
    table: str
    equality: list[str] = field(default_factory=list)  # columns or canonical expressions
    joins: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    sort: list[IndexKey] = field(default_factory=list)
    has_limit: bool = False
    predicates: list[Predicate] = field(default_factory=list)  # the conditions this access uses
    conditions: list[exp.Expression] = field(default_factory=list)  # the scope's conditions on this table alone

    @property
    def filters(self) -> list[str]:
        return self.equality + self.ranges

    @property
    def leading_candidates(self) -> set[str]:
        keys = set(self.equality) | set(self.joins) | set(self.ranges)
        if not keys and self.sort and self.has_limit:
            # only without filters does an index on the sort key serve (a top-N walk);
            # with filters it would walk the whole index looking for matches
            keys.add(self.sort[0].expr)
        return keys

    @cached_property
    def not_null(self) -> frozenset[str]:
        """Columns compared with a strict operator (a join key among them): each implies `col IS NOT NULL`."""
        return frozenset(
            p.column
            for p in self.predicates
            if p.op in ("eq", "in", "range", "like", "join") and not p.in_or and not p.negated
        )


def _key_of(p: Predicate) -> str:
    return canonical_expression(p.side) if p.wrapped else p.column


def _anchored_like(p: Predicate) -> bool:
    value = p.value
    return (
        isinstance(value, exp.Literal)
        and value.is_string
        and bool(value.this)
        and value.this[0] not in "%_"
        and isinstance(p.node, exp.Like)
    )


def _correlated_column(p: Predicate, alias: str, columns) -> str | None:
    """The column of this table in `outer_col = inner_col`, when the facts gave the predicate to the wrong side.

    In a correlated subquery with one source (`... FROM lineitem WHERE p_partkey = l_partkey`),
    an unqualified outer column is taken for a column of that source; when the schema says the
    table has no such column but has the one on the other side, that one is the column to index
    (it is compared with a value fixed per outer row: an equality).
    """
    value = p.value
    if p.op not in ("eq", "join") or p.wrapped or not isinstance(value, exp.Column) or isinstance(value.this, exp.Star):
        return None
    qualifier = value.table.lower() if value.table else None
    name = value.name.lower()
    if qualifier not in (None, alias) or name not in columns:
        return None
    return name


def _same_row(p: Predicate, alias: str, scope: Scope, schema: Schema | None) -> bool:
    """`attempts = max_attempts`: compared with another column of the same row, which differs row by row,
    so no index on the column serves it (only one on the expression would). An unqualified column is this
    table's when it is the only source, or when the schema shows this table has it and no other source does."""
    if p.op not in ("eq", "range") or p.value is None:
        return False
    columns = columns_in(p.value)  # not a subquery's own (`queue_id = (SELECT id FROM q)`: a value, found once)
    return bool(columns) and all(scope.owns(c, alias, schema) for c in columns)


def row_condition_nodes(scope: Scope, alias: str, table: str, schema: Schema | None = None) -> list[exp.Expression]:
    """`l_commitdate < l_receiptdate`: conditions comparing two columns of the same row, with no parameter
    (the same condition on every call), which no key serves: only a partial index on the condition does.
    Written one way (`_oriented`), so one index stands for both ways of writing it."""
    return [
        _oriented(p.node)
        for p in scope.predicates_on(alias)
        if not (p.in_or or p.negated or p.clause == "having" or p.wrapped)
        and _same_row(p, alias, scope, schema)
        and not parameterised(p.node)
        and _buildable_predicate(p.node)
    ]


FLIPPED: dict[type[exp.Expression], type[exp.Expression]] = {exp.GT: exp.LT, exp.GTE: exp.LTE}


def _oriented(node: exp.Expression) -> exp.Expression:
    """`b > a` as `a < b` (PostgreSQL proves an index predicate from the commuted comparison): TPC-H Q21's
    l_receiptdate > l_commitdate and Q4's l_commitdate < l_receiptdate are one partial index, built once."""
    flipped = FLIPPED.get(type(node))
    return flipped(this=node.expression.copy(), expression=node.this.copy()) if flipped else node


def row_conditions(scope: Scope, alias: str, table: str, schema: Schema | None = None) -> list[str]:
    """The same conditions as index predicates (canonical text)."""
    return [canonical_expression(n) for n in row_condition_nodes(scope, alias, table, schema)]


def _buildable_predicate(node: exp.Expression) -> bool:
    """PostgreSQL refuses an index predicate with a subquery or a function not marked IMMUTABLE: columns,
    constants, operators and casts only (TPC-H Q22's `c_acctbal > (SELECT avg(c_acctbal) ...)` is none)."""
    return not any(
        isinstance(n, (exp.Select, exp.Subquery)) or (isinstance(n, exp.Func) and not isinstance(n, exp.Cast))
        for n in node.walk()
    )


def access_of(scope: Scope, alias: str, table: str, schema: Schema | None = None) -> Access:
    access = Access(alias, table, has_limit=scope.limit is not None, conditions=own_conditions(scope, alias))
    known = schema.table(table) if schema is not None else None
    for p in scope.predicates_on(alias):
        if p.in_or or p.negated or p.clause == "having" or _same_row(p, alias, scope, schema):
            continue
        if p.wrapped and parameterised(p.side):
            continue  # `(col - $1) <= $2`: no index on that expression can exist; the rewrite is function-on-column's
        if known is not None and known.columns and p.column not in known.columns:
            swapped = _correlated_column(p, alias, known.columns)
            if swapped is None:
                continue  # a column the schema does not have: nothing to index
            if swapped not in access.equality:
                access.equality.append(swapped)
            access.predicates.append(p)
            continue
        key = _key_of(p)
        if p.op in ("eq", "in", "isnull"):
            bucket = access.equality
        elif p.op == "join" and not p.wrapped:
            bucket = access.joins
        elif p.op == "range" or (p.op == "like" and _anchored_like(p)):
            bucket = access.ranges
        else:
            continue
        if key not in bucket:
            bucket.append(key)
        access.predicates.append(p)
    order = scope.order_by
    sort = [IndexKey(k.column, True, k.desc) for k in order if k.alias == alias and k.column]
    if order and len(sort) == len(order):  # every key a column of this table: else no index sorts it
        access.sort = sort
    return access


def without_wrapped(access: Access) -> Access | None:
    """The access without its conditions on a wrapped column (`lower(name) = ?`), or None when it has none."""
    wrapped = {_key_of(p) for p in access.predicates if p.wrapped}
    if not wrapped:
        return None
    return replace(
        access,
        equality=[e for e in access.equality if e not in wrapped],
        ranges=[r for r in access.ranges if r not in wrapped],
        predicates=[p for p in access.predicates if not p.wrapped],
    )


def _implies(index: IndexDef, access: Access) -> bool:
    """A partial index is usable only when the query's own conditions imply its predicate."""
    return index.where is None or implies(access.conditions, index.where, access.not_null)


def serving_index(schema: Schema, access: Access) -> IndexDef | None:
    """An existing index whose leading key this access can use, if any."""
    wanted = access.leading_candidates
    for index in schema.indexes_on(access.table):
        if index.method not in ("btree", "hash") or not index.keys:
            continue
        if (index.keys[0].expr in wanted or _predicate_narrows(index, access)) and _implies(index, access):
            return index
    return None


def served_by_branches(schema: Schema, scope: Scope, access: Access) -> bool:
    """An OR among the table's own conditions each branch of which, with the other conditions, an index serves:
    PostgreSQL reads each branch through its index and ORs the bitmaps (a BitmapOr), a partial index included when
    the branch with the rest implies its predicate (`(user_id = $1 OR user_id IS NULL) AND entry_id = ANY($2)` over
    one index `WHERE user_id IS NOT NULL` and one `WHERE user_id IS NULL`)."""
    own = access.conditions
    for either in (c for c in own if isinstance(c, exp.Or)):
        others = [c for c in own if c is not either]
        if all(_branch_served(schema, scope, access, branch, others) for branch in disjuncts(either)):
            return True
    return False


def _branch_served(schema: Schema, scope: Scope, access: Access, branch: exp.Expression, others: list) -> bool:
    inside = {id(n) for n in branch.walk()}
    mine = [p for p in scope.predicates_on(access.alias) if id(p.node) in inside and not p.negated and not p.wrapped]
    equality = [p.column for p in mine if p.op in ("eq", "in", "isnull")]
    ranges = [p.column for p in mine if p.op == "range"]
    arm = replace(
        access,
        equality=[*access.equality, *(c for c in equality if c not in access.equality)],
        ranges=[*access.ranges, *(c for c in ranges if c not in access.ranges)],
        predicates=[*access.predicates, *(replace(p, in_or=False) for p in mine)],
        conditions=[*others, *conjuncts(branch)],
    )
    return serving_index(schema, arm) is not None


def _predicate_narrows(index: IndexDef, access: Access) -> bool:
    """A partial index kept for rows of some values of a column (`WHERE status = 'todo'`), which the query's
    conditions imply, holds only the rows the query wants: the planner reads it whatever its keys."""
    return index.where is not None and pins_values(index.where)


def candidate_for(access: Access) -> tuple[IndexKey, ...]:
    """One composite index in equality → sort → range order; without a LIMIT and with a range, equality →
    range: the sort keys lead the range only to read the first rows in order, and without a LIMIT every
    row is read anyway -- in sort order, the range no longer narrows the scan (TPC-H Q1's (l_returnflag,
    l_linestatus, l_shipdate) would read 98% of lineitem by the index; (l_shipdate) is its candidate)."""
    keys: list[IndexKey] = []
    seen: set[str] = set()
    # an expression only when the parser made it one (its text from the tree): a column's name is a name
    # whatever it holds (`"a)); DROP TABLE t; --("` is one column, quoted where it is written)
    expressions = {_key_of(p) for p in access.predicates if p.wrapped}

    def add(expr: str, desc: bool = False) -> None:
        if expr not in seen:
            seen.add(expr)
            keys.append(IndexKey(expr, expr not in expressions, desc))

    for expr in access.equality + access.joins:
        add(expr)
    if access.has_limit or not access.ranges:
        for key in access.sort:
            add(key.expr, key.desc)
    if access.ranges:
        add(access.ranges[0])
    return tuple(keys)


def index_name(table: str, keys: tuple[IndexKey, ...]) -> str:
    """A name of letters, digits and underscores only, whatever the table and keys are called."""
    parts = [_name_part(table)] + [_name_part(k.expr) for k in keys]
    return f"idx_{'_'.join(parts)}"[:63]


def _name_part(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@dataclass(frozen=True)
class Candidate:
    table: str
    keys: tuple[IndexKey, ...]
    include: tuple[str, ...] = ()
    where: str | None = None
    method: str = "btree"
    opclass: str | None = None  # e.g. gin_trgm_ops
    reason: str = "filter"
    namespace: str = ""  # the table's schema when not public (Table.namespace): the printed DDL names it
    # a partitioned table's partitions as (namespace, name) (Schema.partitions): PostgreSQL builds no index on
    # it CONCURRENTLY, so the printed DDL builds one on each and attaches it; () when they are not all known
    partitions: tuple[tuple[str, str], ...] | None = None

    @property
    def name(self) -> str:
        base = index_name(self.table, self.keys)
        if self.method != "btree":
            base = (base + f"_{self.method}")[:63]
        if self.where:
            base = (base + "_partial")[:63]
        return base

    def key_sql(self) -> str:
        parts = []
        for k in self.keys:
            text = quote(k.expr) if k.is_column else f"({k.expr})"
            if self.opclass:
                text += f" {self.opclass}"
            parts.append(text + (" DESC" if k.desc else ""))
        return ", ".join(parts)

    def placed(self, schema: Schema) -> Candidate:
        """The candidate where the schema says its table is: its namespace and, partitioned, its partitions (what the
        printed DDL needs; the one place every maker of a candidate from a schema asks)."""
        t = schema.table(self.table)
        if t is None:
            return self
        return replace(self, namespace=t.namespace, partitions=schema.partitions(self.table))

    def table_sql(self) -> str:
        """Its table as SQL, in its schema when that is not public (a migration runs on the search path of the
        session that applies it, which need not have the schema advisor's seeded database puts on it)."""
        return (quote(self.namespace) + "." if self.namespace else "") + table_sql(self.table)

    def ddl(
        self, *, concurrently: bool = True, name: str | None = None, partition_names: Sequence[str] = (), sep: str = " "
    ) -> str:
        """CREATE INDEX as printed (or built, concurrently=False).  On a partitioned table, printed: an index ON ONLY
        the table, one built CONCURRENTLY on each partition (named `partition_names`, else from the partition),
        each attached (the table's index is valid once all are), or, when its partitions are not all known, one
        plain CREATE INDEX, which holds writes to every partition while it builds.  Statements are joined by `sep`
        (one line in a finding's help; the migration puts each on its line)."""
        if concurrently and self.partitions is not None:
            return sep.join(self._partitioned_ddl(name or self.name, partition_names))
        return self._create(name or self.name, self.table_sql(), concurrently)

    def partition_names(self) -> list[str]:
        """The names an index on each partition takes by default (from the partition, as a query of it would)."""
        return [replace(self, table=p, namespace=ns, partitions=None).name for ns, p in self.partitions or ()]

    def _create(self, name: str, on: str, concurrently: bool) -> str:
        sql = (
            f"CREATE INDEX {'CONCURRENTLY ' if concurrently else ''}{quote(name)} "
            f"ON {on}{' USING ' + self.method if self.method != 'btree' else ''} ({self.key_sql()})"
        )
        if self.include:
            sql += f" INCLUDE ({', '.join(quote(c) for c in self.include)})"
        if self.where:
            sql += f" WHERE {self.where}"
        return inert(sql + ";")  # the expressions and the predicate are the parser's text, names and literals

    def _partitioned_ddl(self, name: str, partition_names: Sequence[str]) -> list[str]:
        if not self.partitions:
            return [self._create(name, self.table_sql(), False)]
        names = list(partition_names) or self.partition_names()
        parent = (quote(self.namespace) + "." if self.namespace else "") + quote(name)
        out = [self._create(name, "ONLY " + self.table_sql(), False)]
        for (ns, partition), index in zip(self.partitions, names, strict=True):
            schema = quote(ns) + "." if ns else ""
            out.append(self._create(index, schema + table_sql(partition), True))
            out.append(inert(f"ALTER INDEX {parent} ATTACH PARTITION {schema}{quote(index)};"))
        return out

    def describe(self) -> str:
        text = f"{self.table}({', '.join(str(k) for k in self.keys)})"
        if self.method != "btree":
            text += f" USING {self.method}"
        if self.include:
            text += f" INCLUDE ({', '.join(self.include)})"
        if self.where:
            text += f" WHERE {self.where}"
        return text


def table_sql(name: str) -> str:
    """A table name as SQL: each part quoted where it must be (a mixed-case name as one identifier)."""
    return ".".join(quote(p) for p in name.split(".")) if name.islower() else quote(name)


def regclass_text(name: str) -> str:
    """A table name as the text `::regclass` and `to_regclass` read, a bound parameter and never SQL: each part
    double-quoted as written.  Not table_sql: its escapes for a control character (`U&"t\\001B["`) are SQL
    syntax, which the regclass reader does not know ('relation "u&"t\\001b["" does not exist')."""
    parts = name.split(".") if name.islower() else [name]
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)
