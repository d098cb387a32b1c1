"""Conditions PostgreSQL pushes from an outer query into a FROM subquery.

`SELECT ... FROM (SELECT s.stream_id AS pos, ... FROM deltas AS s WHERE ... UNION ALL SELECT ...) AS c
WHERE c.pos > $1 AND c.pos <= $2`: the planner moves the outer range into every branch of the subquery
(set_subquery_pathlist, qual_is_pushdown_safe), where it is a range on `deltas.stream_id` that an index
on stream_id serves.  Only what the planner certainly pushes is modelled: a plain comparison of one
output column with a value fixed for the statement, into branches without LIMIT, OFFSET, DISTINCT,
GROUP BY, aggregates or window functions, through UNION (ALL) only.
"""

from __future__ import annotations

from sqlglot import exp

from advisor.facts.sql import Predicate, Scope


def pushed_down(scope: Scope) -> list[Predicate]:
    """The outer query's conditions on this scope's output, as predicates on this scope's own tables."""
    node = scope.node
    outer = scope.parent
    if outer is None or not isinstance(node, exp.Select) or not _pushdown_safe(node):
        return []
    top: exp.Expression = node
    while isinstance(top.parent, (exp.Union, exp.Paren)):
        if isinstance(top.parent, exp.Union) and not _pushdown_safe(top.parent):
            return []
        top = top.parent
    subquery = top.parent
    if not isinstance(subquery, exp.Subquery) or not isinstance(subquery.parent, (exp.From, exp.Join)):
        return []
    name = (subquery.alias or "").lower()
    first = _branches(top)[0] if isinstance(top, exp.Union) else node
    outputs = [(e.alias_or_name or "").lower() for e in first.expressions]
    if not name or name not in outer.derived or any(isinstance(e, exp.Star) or e.is_star for e in first.expressions):
        return []
    pushed = []
    for p in outer.predicates:
        mine = p.alias == name or (p.alias is None and not p.column_node.table)
        if not mine or p.column not in outputs or outputs.count(p.column) > 1 or not _fixed_comparison(p):
            continue
        target = node.expressions[outputs.index(p.column)] if len(node.expressions) == len(outputs) else None
        target = target.this if isinstance(target, exp.Alias) else target
        alias = _alias_of(scope, target)
        if alias is not None and isinstance(target, exp.Column):
            column = target.name.lower()
            pushed.append(
                Predicate(alias, scope.sources[alias], column, p.op, p.node, target, target, p.value, "where")
            )
    return pushed


def _branches(node: exp.Expression) -> list[exp.Expression]:
    """The SELECTs of a set operation, left to right."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Union):
        return _branches(node.this) + _branches(node.expression)
    if isinstance(node, exp.Subquery):
        return _branches(node.this)
    return [node]


def _pushdown_safe(node: exp.Expression) -> bool:
    if isinstance(node, exp.Union):
        limited = any(node.args.get(k) for k in ("limit", "offset", "fetch"))
        return not limited and all(_pushdown_safe(b) for b in _branches(node))
    if not isinstance(node, exp.Select):
        return False
    if any(node.args.get(k) for k in ("limit", "offset", "distinct", "group", "having", "fetch")):
        return False
    return not any(e.find(exp.AggFunc, exp.Window) for e in node.expressions)


def _fixed_comparison(p: Predicate) -> bool:
    """`col <op> value` outside any OR or NOT, the value fixed for the statement (a parameter, a constant)."""
    return (
        p.op in ("eq", "range")
        and p.clause == "where"
        and not p.in_or
        and not p.negated
        and not p.wrapped
        and p.value is not None
        and not list(p.value.find_all(exp.Column))
        and not p.value.find(exp.Select)
    )


def _alias_of(scope: Scope, column: exp.Expression | None) -> str | None:
    if not isinstance(column, exp.Column):
        return None
    if column.table:
        alias = column.table.lower()
        return alias if alias in scope.sources else None
    return next(iter(scope.sources)) if len(scope.sources) == 1 and not scope.derived else None
