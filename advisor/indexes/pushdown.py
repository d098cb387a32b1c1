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
from advisor.ir import Schema
from advisor.names import fold

# views over views are written out at most this deep (a view reading itself is an error PostgreSQL raises),
# and at most this many view reads in all (a view joining another ten times, eight deep, would be 10^8)
VIEW_DEPTH = 8
VIEW_READS = 64


def through_views(tree: exp.Expression, schema: Schema) -> exp.Expression | None:
    """The statement as the planner reads it: each view it reads (FROM, JOIN) written out as the subquery it
    stands for, so that the conditions on it are pushed to its tables like any subquery's; None when it reads no
    view advisor knows the query of.  A view's `SELECT *` over one table whose columns are known is written out
    as those columns (the outer conditions name them)."""
    out = None
    reads = 0
    for _ in range(VIEW_DEPTH):
        views = [t for t in (out or tree).find_all(exp.Table) if _view_of(t, schema)]
        if not views:
            break
        reads += len(views)
        if reads > VIEW_READS:
            return None  # too many to write out: the conditions on them stay unknown, as before
        if out is None:
            out = tree.copy()
            views = [t for t in out.find_all(exp.Table) if _view_of(t, schema)]
        for table in views:
            body = _expanded(_view_of(table, schema), schema)
            if body is None:
                return None  # one it cannot write out: the conditions on it stay unknown, as before
            alias = exp.TableAlias(this=exp.to_identifier(table.alias_or_name))
            table.replace(exp.Subquery(this=body, alias=alias))
    return out


def _view_of(table: exp.Table, schema: Schema) -> str:
    if not isinstance(table.parent, (exp.From, exp.Join)):
        return ""
    known = schema.table(fold(table))
    return known.view_sql if known is not None and known.kind == "view" else ""


def _expanded(sql: str, schema: Schema) -> exp.Select | None:
    from advisor.parse import parse_sql

    body = parse_sql(sql, "postgres")
    if not isinstance(body, exp.Select):
        return None
    body = body.copy()  # parse_sql hands out one tree per text: the statement gets its own
    if any(isinstance(e, exp.Star) for e in body.expressions):
        sources = list(body.find_all(exp.Table))
        known = schema.table(fold(sources[0])) if len(sources) == 1 and not body.args.get("joins") else None
        if known is None or not known.columns or len(body.expressions) != 1:
            return body  # its outputs unknown: nothing is pushed into it (pushdown reads no star)
        body.set("expressions", [exp.column(c, quoted=c != c.lower()) for c in known.columns])
    return body


def add_pushed(access, pushed: list[Predicate]) -> None:
    """The enclosing query's conditions the planner moves into this subquery: filters of this table too."""
    for p in pushed:
        bucket = access.equality if p.op == "eq" else access.ranges
        if p.column not in bucket:
            bucket.append(p.column)
        access.predicates.append(p)


class Pushdown:
    """The outer conditions pushed into each scope of one statement.

    What the branches of one chain of UNIONs share -- whether each UNION is safe to push through, where the
    chain ends -- is found once per statement, by loops: per branch, a chain of N branches was N UNIONs
    each read whole (N * N * N), and recursion past Python's limit."""

    def __init__(self) -> None:
        self._safe: dict[int, bool] = {}  # node id -> every branch under it is pushdown-safe
        self._tops: dict[int, exp.Expression | None] = {}  # node id -> the top of its chain; None: an unsafe UNION
        self._firsts: dict[int, exp.Expression] = {}  # a top UNION's id -> its leftmost branch
        # a scope's node id -> the conditions pushed into it on the output of a subquery of its own: pushed on
        # down into that one (a view over a view) when its turn comes (the facts list enclosing scopes first)
        self._onward: dict[int, list[Predicate]] = {}

    def into(self, scope: Scope) -> list[Predicate]:
        """The outer query's conditions on this scope's output, as predicates on this scope's own tables."""
        node = scope.node
        outer = scope.parent
        if outer is None or not isinstance(node, exp.Select) or not _pushdown_safe(node):
            return []
        top = self._top(node)
        if top is None:
            return []
        subquery = top.parent
        if not isinstance(subquery, exp.Subquery) or not isinstance(subquery.parent, (exp.From, exp.Join)):
            return []
        if isinstance(top, exp.Union) and id(top) not in self._firsts:
            self._firsts[id(top)] = _first_branch(top)  # once per chain, not once per branch
        first = self._firsts[id(top)] if isinstance(top, exp.Union) else node
        conditions = outer.predicates + self._onward.get(id(outer.node), [])
        pushed, onward = _pushed(scope, conditions, outer, node, first, subquery)
        if onward:
            self._onward.setdefault(id(node), []).extend(onward)
        return pushed

    def by_alias(self, scope: Scope) -> dict[str | None, list[Predicate]]:
        """`into(scope)` grouped by the alias each condition lands on: every table of a long join asks for its own."""
        out: dict[str | None, list[Predicate]] = {}
        for p in self.into(scope):
            out.setdefault(p.alias, []).append(p)
        return out

    def _top(self, node: exp.Expression) -> exp.Expression | None:
        """The highest node above `node` through UNIONs and parentheses; None when a UNION on the way is unsafe."""
        path, at = [], node
        while id(at) not in self._tops:
            path.append(at)
            parent = at.parent
            if not isinstance(parent, (exp.Union, exp.Paren)):
                self._tops[id(at)] = at
            elif isinstance(parent, exp.Union) and not self._union_safe(parent):
                self._tops[id(at)] = None
            else:
                at = parent
        top = self._tops[id(at)]
        for step in path:
            self._tops[id(step)] = top
        return top

    def _union_safe(self, union: exp.Union) -> bool:
        limited = any(union.args.get(k) for k in ("limit", "offset", "fetch"))
        return not limited and self._branches_safe(union)

    def _branches_safe(self, node: exp.Expression) -> bool:
        """Every branch under `node` is pushdown-safe: each node's answer from its parts', once."""
        stack = [node]
        while stack:
            at = stack[-1]
            if id(at) in self._safe:
                stack.pop()
                continue
            parts = _parts(at)
            waiting = [p for p in parts if id(p) not in self._safe]
            if waiting:
                stack += waiting
                continue
            self._safe[id(at)] = all(self._safe[id(p)] for p in parts) if parts else _pushdown_safe(at)
            stack.pop()
        return self._safe[id(node)]


def _pushed(
    scope: Scope,
    conditions: list[Predicate],
    outer: Scope,
    node: exp.Select,
    first: exp.Expression,
    subquery: exp.Subquery,
) -> tuple[list[Predicate], list[Predicate]]:
    """(the conditions pushed onto this scope's tables, those pushed onto the output of a subquery of its own)."""
    name = (subquery.alias or "").lower()
    outputs = [(e.alias_or_name or "").lower() for e in first.expressions]
    if not name or name not in outer.derived or any(isinstance(e, exp.Star) or e.is_star for e in first.expressions):
        return [], []
    pushed, onward = [], []
    for p in conditions:
        mine = p.alias == name or (p.alias is None and not p.column_node.table)
        if not mine or p.column not in outputs or outputs.count(p.column) > 1 or not _fixed_comparison(p):
            continue
        target = node.expressions[outputs.index(p.column)] if len(node.expressions) == len(outputs) else None
        target = target.this if isinstance(target, exp.Alias) else target
        if not isinstance(target, exp.Column):
            continue
        column = target.name.lower()
        alias = _alias_of(scope, target)
        if alias is not None:
            pushed.append(
                Predicate(alias, scope.sources[alias], column, p.op, p.node, target, target, p.value, "where")
            )
        elif target.table and target.table.lower() in scope.derived:  # a view over a view: on down, next turn
            onward.append(Predicate(target.table.lower(), None, column, p.op, p.node, target, target, p.value, "where"))
    return pushed, onward


def _parts(node: exp.Expression) -> list[exp.Expression]:
    """What a set operation's branches are read from (a UNION's two sides, what a parenthesis or subquery
    holds); none for a branch itself."""
    if isinstance(node, exp.Union):
        return [node.this, node.expression]
    if isinstance(node, (exp.Paren, exp.Subquery)):
        return [node.this]
    return []


def _first_branch(node: exp.Expression) -> exp.Expression:
    """The leftmost SELECT of a set operation."""
    parts = _parts(node)
    while parts:
        node = parts[0]
        parts = _parts(node)
    return node


def _pushdown_safe(node: exp.Expression) -> bool:
    """A branch the planner pushes conditions into."""
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
