"""Whether a query's own conditions imply a partial index's predicate: PostgreSQL's predicate test, in small.

PostgreSQL uses `CREATE INDEX ... WHERE p` only for a query whose conditions imply `p`. It proves that
by structure (predtest.c): a conjunction implies what one of its conjuncts implies, a disjunction what
every one of its arms implies, `col = 'a'` implies `col IN ('a', 'b')` (an IN list or `= ANY(ARRAY[...])`
is the OR of its equalities), and a strict comparison on a column implies `col IS NOT NULL`.  The same
rules here, over conditions with qualifiers and the casts of literals dropped (pg_dump writes
`status = 'doing'::job_status` where the query says `jobs.status = 'doing'`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import cast

from sqlglot import exp

from advisor.facts.sql import Scope, conjuncts, disjuncts
from advisor.schema.ddl import canonical_expression

_STRICT = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Like, exp.ILike, exp.Between)


def own_conditions(scope: Scope, alias: str) -> list[exp.Expression]:
    """The conditions of the scope on this table alone: the WHERE's conjuncts, and those of the table's own
    JOIN ... ON, whose every column is the table's (qualified with its alias, or resolved to it)."""
    owned = scope.memo.get("own_conditions")
    if owned is None:
        owned = scope.memo["own_conditions"] = _own_conditions(scope)
    return owned.get(alias, [])[:]


def _own_conditions(scope: Scope) -> dict[str, list[exp.Expression]]:
    """alias -> its own conditions, for every alias at once: each conjunct is read once."""
    node = scope.node
    owner = {id(p.column_node): p.alias for p in scope.predicates}
    local = set(scope.sources) | scope.derived
    sole = next(iter(local)) if len(local) == 1 else None

    def whose(column: exp.Column) -> str | None:
        if column.table:
            return column.table.lower()
        return owner.get(id(column), sole)

    def only(condition: exp.Expression) -> str | None:
        """The one table of the scope the condition is on: every column its (or an enclosing query's, a value
        fixed per execution: a correlated subquery's outer row), none unresolved, no subquery."""
        owners = {whose(c) for c in condition.find_all(exp.Column)}
        mine = owners & local
        if None in owners or len(mine) != 1 or condition.find(exp.Select):
            return None
        return next(iter(mine))

    out: dict[str, list[exp.Expression]] = {}
    if node.args.get("where") is not None:
        for condition in conjuncts(node.args["where"].this):
            if (alias := only(condition)) is not None:
                out.setdefault(alias, []).append(condition)
    for join in node.args.get("joins") or []:
        on = join.args.get("on")
        alias = (join.this.alias_or_name or "").lower()
        if on is not None and alias:
            out.setdefault(alias, []).extend(c for c in conjuncts(on) if only(c) == alias)
    return out


def implies(conditions: list[exp.Expression], predicate: str, not_null: frozenset[str] = frozenset()) -> bool:
    """The conditions (a conjunction) imply the index predicate; `not_null` names columns the query compares
    elsewhere with a strict operator (a join key), which implies `col IS NOT NULL` too."""
    wanted = parsed(predicate)
    if wanted is None:
        return False
    have = cast(exp.Expression, exp.and_(*[_normal(c) for c in conditions])) if conditions else None
    return _implies(have, wanted, not_null)


def pins_values(predicate: str) -> bool:
    """The predicate keeps rows by values of a column (`status = 'todo'`, `status IN ('todo', 'doing')`):
    a subset by a state, not `col IS NOT NULL` or `deleted_at IS NULL`, which keep most rows."""
    tree = parsed(predicate)
    return tree is not None and any(
        all(isinstance(arm, exp.EQ) and _is_constant(arm.expression) for arm in disjuncts(c)) for c in conjuncts(tree)
    )


@lru_cache(maxsize=1024)
def parsed(predicate: str) -> exp.Expression | None:
    """A partial index's predicate, normalised; None if unreadable (then it implies nothing)."""
    import sqlglot

    try:
        tree = sqlglot.parse_one(predicate, read="postgres")
    except Exception:  # noqa: BLE001  sqlglot raises assorted errors on odd input
        return None
    return _normal(tree) if isinstance(tree, exp.Expression) else None


def _normal(node: exp.Expression) -> exp.Expression:
    """Without comments, parentheses, qualifiers and casts of literals; IN lists and `= ANY(ARRAY[...])` of constants
    as the OR of their equalities."""
    node = node.copy()
    for part in node.walk():
        part.comments = None  # a comment inside a condition (procrastinate's) changes nothing it says
    for column in list(node.find_all(exp.Column)):
        column.set("table", None)
    for literal_cast in list(node.find_all(exp.Cast)):
        if isinstance(literal_cast.this, exp.Literal):
            literal_cast.replace(literal_cast.this)
    return cast(exp.Expression, node.transform(_unparen_and_expand).unnest())


def _unparen_and_expand(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Paren) and not isinstance(node.this, exp.Select):
        return node.this
    values = None
    if isinstance(node, exp.In) and not node.args.get("query") and node.expressions:
        values = node.expressions
    elif isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
        inner = node.expression.this.unnest() if isinstance(node.expression.this, exp.Paren) else node.expression.this
        values = inner.expressions if isinstance(inner, exp.Array) else None
    if values and all(_is_constant(v) for v in values):
        return cast(exp.Expression, exp.or_(*[exp.EQ(this=node.this.copy(), expression=v.copy()) for v in values]))
    return node


def _is_constant(node: exp.Expression | None) -> bool:
    while isinstance(node, (exp.Cast, exp.Paren)):
        node = node.this
    return isinstance(node, (exp.Literal, exp.Boolean))


def _implies(have: exp.Expression | None, wanted: exp.Expression, not_null: frozenset[str]) -> bool:
    if isinstance(wanted, exp.And):
        return all(_implies(have, w, not_null) for w in conjuncts(wanted))
    if _is_not_null(wanted) in not_null:
        return True
    if have is None:
        return False
    if isinstance(have, exp.Or):
        return all(_implies(arm, wanted, not_null) for arm in disjuncts(have))
    if isinstance(have, exp.And):
        return any(_implies(h, wanted, not_null) for h in conjuncts(have)) or (
            isinstance(wanted, exp.Or) and any(_implies(have, w, not_null) for w in disjuncts(wanted))
        )
    if isinstance(wanted, exp.Or):
        return any(_implies(have, w, not_null) for w in disjuncts(wanted))
    return _atom_implies(have, wanted)


def _atom_implies(have: exp.Expression, wanted: exp.Expression) -> bool:
    if canonical_expression(have) == canonical_expression(wanted):
        return True
    column = _is_not_null(wanted)
    if column is None or not isinstance(have, _STRICT) or have.args.get("negate"):
        return False
    side = have.this
    other = have.args.get("expression")
    return (
        isinstance(side, exp.Column)
        and side.name.lower() == column
        and not isinstance(other, exp.Null)
        and not (isinstance(have, exp.In) and have.args.get("query") is None and not have.expressions)
    )


def _is_not_null(node: exp.Expression) -> str | None:
    """`col IS NOT NULL` (or `NOT col IS NULL`): the column's name."""
    negated = False
    if isinstance(node, exp.Not):
        node, negated = node.this, True
    if (
        isinstance(node, exp.Is)
        and isinstance(node.expression, exp.Null)
        and negated != bool(node.args.get("negate"))
        and isinstance(node.this, exp.Column)
    ):
        return node.this.name.lower()
    return None
