"""Whether an index of the table already finds the rows a condition is tested on.

A condition no index can serve (`lower(email) = $1`, `ST_GeometryType(geom) IN (...)`) costs a test per row
only when it is what finds the rows.  When an index holds just the rows it keeps (a partial index whose
predicate holds the condition), or another condition of the statement is searched by an index (`bbox && geom`
over a GiST index, `tenant_id = $1` over a B-tree), PostgreSQL reads those rows by the index and tests the
condition on them alone: no claim that every row is evaluated holds.
"""

from __future__ import annotations

from sqlglot import exp

from advisor.checks import QueryContext
from advisor.facts.sql import Predicate, Scope, conjuncts, is_placeholder, parameterised
from advisor.indexes.implication import implies, own_conditions, parsed
from advisor.schema.ddl import canonical_expression

# operators a GiST, SP-GiST, GIN or BRIN index searches by, with the indexed column bare on one side:
# `&&`, `@>`, `<@` (geometry, ranges, arrays), `?`, `?|`, `?&` (jsonb keys), `@@` (text search)
_SEARCH_OPERATORS = (
    exp.ArrayOverlaps,
    exp.ArrayContainsAll,
    exp.ArrayContainedBy,
    exp.JSONBContainsTopKey,
    exp.JSONBContainsAnyTopKeys,
    exp.JSONBContainsAllTopKeys,
    exp.MatchAgainst,
)
_SEARCH_METHODS = ("gist", "spgist", "gin", "brin")


def in_usable_partial_index(ctx: QueryContext, scope: Scope, p: Predicate) -> bool:
    """A partial index of the table whose predicate implies the condition and which the query may use (its own
    conditions imply the predicate): `ST_GeometryType(geom) IN (...)` written to select a partial GiST index."""
    if not (p.table and p.alias):
        return False
    condition = p.node.sql(dialect="postgres")
    conditions: list[exp.Expression] | None = None
    for index in ctx.schema.indexes_on(p.table):
        predicate = parsed(index.where) if index.where else None
        if predicate is None or not implies(conjuncts(predicate), condition):
            continue
        if conditions is None:
            conditions = own_conditions(scope, p.alias)
        if _usable(conditions, index.where):
            return True
    return False


def searched_by_another(ctx: QueryContext, scope: Scope, p: Predicate, removable: bool = True) -> bool:
    """Another condition of the statement on the same table is one an index of it searches by: an equality,
    IN or range with a value the code passes on the column (or the indexed expression) a B-tree index leads
    with, or a `&&`, `@>`, `<@`,
    `?` or `@@` on the column a GiST, SP-GiST or GIN index holds -- an index PostgreSQL may use (a partial
    one only when the statement's conditions imply its predicate).  The condition at `p` then filters the
    rows that index found -- unless a B-tree index has the wrapped column as a key and the wrap is `removable` (a
    rewrite or an expression index would give the column back): the wrap is what keeps the planner from seeking
    on it."""
    if not (p.table and p.alias):
        return False
    indexes = ctx.schema.indexes_on(p.table)
    if not indexes:
        return False
    conditions = own_conditions(scope, p.alias)
    usable = [i for i in indexes if i.keys and (i.where is None or _usable(conditions, i.where))]
    if removable and any(i.method in ("btree", "hash") and any(k.expr == p.column for k in i.keys) for i in usable):
        return False  # the wrap costs that index its use of the column (`(wallet_id, ts)` for `ts::date = $2`)
    leading = {i.keys[0].expr for i in usable if i.method in ("btree", "hash")}
    for q in scope.predicates_on(p.alias):
        if q is p or q.node is p.node or q.in_or or q.negated or q.clause == "having":
            continue
        if q.op in ("eq", "in", "range") and _passed_value(q) and _key(q) in leading:
            return True
    searched = {i.keys[0].expr for i in usable if i.method in _SEARCH_METHODS}
    return any(_searched_column(c) in searched for c in conditions if c is not p.node)


def _key(q: Predicate) -> str:
    return canonical_expression(q.side) if q.wrapped else q.column


def _passed_value(q: Predicate) -> bool:
    """Compared with a value the code passes (`= $1`, `IN (%s, %s)`, `= ANY(:ids)`, `> $1 - interval '1 day'`): the
    entity a call asks for.  A constant is a state (`status = 'active'`) that may hold for most rows, and another
    column of the row no B-tree narrows by."""
    if q.op == "in":
        values = q.node.expressions if isinstance(q.node, exp.In) else []
        return bool(values) and all(parameterised(v) and not _reads_column(v) for v in values)
    return q.value is not None and parameterised(q.value) and not _reads_column(q.value)


def _reads_column(node: exp.Expression) -> bool:
    return any(isinstance(n, exp.Column) and not is_placeholder(n.name) for n in node.walk())


def _searched_column(condition: exp.Expression) -> str | None:
    """The column of `col && $1` / `$1 && col` (any of the search operators), the other side free of columns."""
    while isinstance(condition, exp.Paren):
        condition = condition.this
    if not isinstance(condition, _SEARCH_OPERATORS):
        return None
    for side, other in ((condition.this, condition.expression), (condition.expression, condition.this)):
        if isinstance(side, exp.Column) and isinstance(other, exp.Expression) and not _reads_column(other):
            return side.name.lower()
    return None


def _usable(conditions: list[exp.Expression], where: str | None) -> bool:
    """The statement's conditions imply a partial index's predicate (a range inside its range counts)."""
    predicate = parsed(where) if where else None
    if predicate is None:
        return where is None
    return all(
        implies(conditions, part.sql(dialect="postgres")) or _within_range(conditions, part)
        for part in conjuncts(predicate)
    )


def _within_range(conditions: list[exp.Expression], wanted: exp.Expression) -> bool:
    """`col BETWEEN 5 AND 25` implies `col BETWEEN 1 AND 25`: a range of numbers inside the wanted one."""
    bounds = _number_range(wanted)
    if bounds is None:
        return False
    for have in conditions:
        inner = _number_range(have)
        if inner is not None and inner[0] == bounds[0] and bounds[1] <= inner[1] <= inner[2] <= bounds[2]:
            return True
    return False


def _number_range(node: exp.Expression) -> tuple[str, float, float] | None:
    """`col BETWEEN low AND high` with numbers: (column, low, high)."""
    while isinstance(node, exp.Paren):
        node = node.this
    if not isinstance(node, exp.Between) or node.args.get("symmetric") or not isinstance(node.this, exp.Column):
        return None
    low, high = node.args.get("low"), node.args.get("high")
    if not (isinstance(low, exp.Literal) and isinstance(high, exp.Literal) and low.is_number and high.is_number):
        return None
    return node.this.name.lower(), float(low.this), float(high.this)
