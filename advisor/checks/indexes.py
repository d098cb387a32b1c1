"""missing-index: a table's predicates and ORDER BY that no existing index serves."""

from __future__ import annotations

from dataclasses import replace

from sqlglot import exp

from advisor.checks import QueryContext, query_check
from advisor.checks.premises import retention_sweep
from advisor.facts.sql import is_catalog, is_placeholder, parameterised
from advisor.indexes.candidates import (
    Candidate,
    access_of,
    candidate_for,
    served_by_branches,
    serving_index,
    without_wrapped,
)
from advisor.indexes.pushdown import Pushdown, add_pushed


def _join_served(ctx: QueryContext, table: str, joins: list[str]) -> bool:
    return any(
        index.method == "btree" and index.where is None and index.keys and index.keys[0].expr in joins
        for index in ctx.schema.indexes_on(table)
    )


def _drivers(ctx: QueryContext, scope) -> set[str]:
    """The tables of the scope with filters an existing index serves: a join can start there."""
    out = set()
    for alias, table in scope.sources.items():
        if not ctx.schema.complete(table):
            continue
        access = access_of(scope, alias, table, ctx.schema)
        access.joins = []
        if access.filters and serving_index(ctx.schema, access) is not None:
            out.add(alias)
    return out


def _probed(ctx: QueryContext, scope, drivers: set[str]) -> set[str]:
    """The tables of the join an index finds rows of: the drivers, and each table whose index leads with a join
    key from one found so (`nodes` by its key, then `items` by UNIQUE (node_id, item)). A table probed only from
    one read whole (`entities`, with no condition of its own) is not: its rows are found by reading."""
    found = set(drivers)
    edges = [(e.left, e.right) for e in scope.joins] + [(e.right, e.left) for e in scope.joins]
    grew = True
    while grew:
        grew = False
        for (alias, column), (other, _) in edges:
            table = scope.sources.get(alias)
            if alias in found or other not in found or table is None or not column:
                continue
            if _join_served(ctx, table, [column]):
                found.add(alias)
                grew = True
    return found


def _first_start(ctx: QueryContext, scope, drivers: set[str]) -> str | None:
    """When no table of the join is found by an index of its own, the join starts by reading one whole: the first
    with filters of its own an index could serve (not a flag or NULL test alone) is the table to give one. None when
    some table could start it cheaply or its indexes are not all known (a derived relation, a table not seen whole,
    one that stays small)."""
    if drivers or scope.derived or not ctx.query.complete:
        return None
    first = None
    for alias, table in scope.sources.items():
        if not ctx.schema.complete(table) or ctx.schema.small(table) or is_catalog(table):
            return None
        own = [p for p in access_of(scope, alias, table, ctx.schema).predicates if _against_a_value(p)]
        if _nullable(scope, alias) and not any(p.clause == "where" for p in own):
            continue  # a LEFT JOIN's nullable side: the rows the join keeps come first, and probe it by its keys
        if first is None and own and not all(_two_valued(ctx.schema, table, p) for p in own):
            first = alias
    return first


def _nullable(scope, alias: str) -> bool:
    """The alias is a LEFT JOIN's nullable side. (A condition of WHERE on it makes the join an inner one, which
    PostgreSQL plans as such: `LEFT JOIN concepts c ... WHERE c.source = $1`.)"""
    return any((join.args.get("side") or "").upper() == "LEFT" for join in scope.joins_of(alias))


def _against_a_value(p) -> bool:
    """A condition on a plain column against a value (a parameter, a literal), not against another table's column
    (`a.updated_at < b.updated_at` in a self-join is a condition of the join, no way into either table)."""
    return (
        p.op in ("eq", "in", "range", "like")
        and not p.wrapped
        and p.value is not None
        and not any(isinstance(n, exp.Column) and not is_placeholder(n.name) for n in p.value.walk())
    )


def _drop_anti_join_tests(scope, alias: str, access) -> None:
    """`LEFT JOIN t ... WHERE t.col IS NULL` keeps the rows t has no match for (an anti-join): the test runs
    on the joined result, so it narrows nothing of t's own scan, which the join keys reach."""
    left = any((join.args.get("side") or "").upper() == "LEFT" for join in scope.joins_of(alias))
    if not left:
        return
    tests = [p for p in access.predicates if p.op == "isnull" and p.clause == "where"]
    access.predicates = [p for p in access.predicates if p not in tests]
    dropped = {p.column for p in tests} - {p.column for p in access.predicates if p.op in ("eq", "in", "isnull")}
    access.equality = [e for e in access.equality if e not in dropped]


def unknown_condition(tree: exp.Expression) -> bool:
    """A template standing for a whole condition (`WHERE {clause} AND ...`, `AND %s` filled with
    `room_id IN (...)` at run time): the filter advisor cannot read may be the one an index serves."""
    return any(
        isinstance(node.parent, (exp.And, exp.Or, exp.Where, exp.Not))
        or isinstance(node.parent, exp.Paren)
        and isinstance(node.parent.parent, (exp.And, exp.Or, exp.Where))
        for node in tree.find_all(exp.Placeholder, exp.Parameter)
    )


@query_check("missing-index")
def missing_index(ctx: QueryContext):
    if not ctx.query.complete and unknown_condition(ctx.tree):
        return
    pushdown = Pushdown()
    for scope in ctx.facts.scopes:
        pushed_to = pushdown.by_alias(scope)
        drivers: set[str] | None = None  # read once per scope: every alias of a long join asks
        merged_into: dict[str, list[str]] = {}  # alias -> the USING columns that merge it
        for column, merged in scope.using.items():
            for a in dict.fromkeys(merged):
                merged_into.setdefault(a, []).append(column)
        for alias, table in scope.sources.items():
            known = ctx.schema.table(table)
            if ctx.schema.small(table):
                continue  # it stays small (the config says so, or it holds settings): reading it whole is cheapest
            if is_catalog(table) or (known is not None and (known.temporary or known.kind == "view")):
                continue  # a view's indexes are its tables'; a temporary table lives for one session
            if any(p.wrapped and parameterised(p.side) for p in scope.predicates_on(alias)):
                continue  # `(col - $1) <= $2` is function-on-column's finding: the rewrite, then an index on col
            access = access_of(scope, alias, table, ctx.schema)
            _drop_anti_join_tests(scope, alias, access)
            add_pushed(access, pushed_to.get(alias, []))
            alone = len(scope.sources) + len(scope.derived) == 1
            if not access.filters and not (access.sort and access.has_limit and alone):
                continue  # nothing an index could narrow: joins alone are hashed, full reads stay full;
                # a top-N over a join sorts the joined rows, not this table
            joins = access.joins + merged_into.get(alias, [])
            starts = False  # the join starts here, reading this table whole: no table of it is found by an index
            if joins and _join_served(ctx, table, joins):
                drivers = _drivers(ctx, scope) if drivers is None else drivers
                if alias in _probed(ctx, scope, drivers):
                    continue  # reached by an indexed join key from a table an index finds: its filters are residual
                starts = _first_start(ctx, scope, drivers) == alias
                if starts:  # judged by its own filters: the join key it is probed by comes from a whole read
                    access = replace(access, joins=[])
            # the scan reads the table and every table that inherits from it or is its partition, each by its own indexes
            read = ctx.schema.scanned(table, only=_only(scope, alias))
            unseen = ctx.schema.unseen(table, only=_only(scope, alias))
            if unseen is not None:
                if ctx.confidence == "certain":  # a sketch's tables may be CTEs of other fragments
                    anchor = access.predicates[0].node if access.predicates else scope.order_by[0].node
                    yield ctx.hit(anchor, f"no index on {unseen} is known", withheld=unseen)
                continue  # "no index serves this" is only true when every index of every table read was seen
            if retention_sweep(access):
                continue
            # a parent with children holds none of the rows itself in the schemes that use it (the children do)
            rows = [t for t in read if t != table] or read
            bare = [
                t
                for t in rows
                if serving_index(ctx.schema, replace(access, table=t)) is None
                and not served_by_branches(ctx.schema, scope, replace(access, table=t))
            ]
            if not bare:
                continue
            if (
                access.predicates
                and not access.sort
                and all(_two_valued(ctx.schema, table, p) for p in access.predicates)
            ):
                continue  # `col IS NULL` or a flag alone: an index pays only if few rows match, which the code cannot say
            rest = without_wrapped(access)
            if rest is not None and (
                not rest.filters or all(serving_index(ctx.schema, replace(rest, table=t)) is not None for t in bare)
            ):
                continue  # the wrapped column is function-on-column's finding; the rest is served, or there is none
            keys = candidate_for(access)
            if not keys:
                continue
            target = bare[0]
            ddl = Candidate(target, keys).placed(ctx.schema).ddl()
            what = ", ".join(dict.fromkeys(access.filters)) or "ORDER BY " + ", ".join(str(k) for k in access.sort)
            own = [p for p in access.predicates if _against_a_value(p)] if starts else access.predicates
            anchor = own[0].node if own else scope.order_by[0].node  # where the join starts: its own condition
            child = ctx.schema.table(target)
            kind = "a partition" if child is not None and child.partition_of else "a child table"
            where = "" if target == table else f" ({kind} of {table}, which this query reads)"
            reads = (
                "and no table it joins is found by an index of its own: the join starts by reading a whole table"
                if starts
                else "it reads the whole table"
            )
            yield ctx.hit(
                anchor,
                f"no index on {target}{where} serves this query's access ({what}){', ' if starts else ': '}{reads}",
                help=f"add an index, equality columns first, then sort, then range: {ddl} If {target} stays "
                f"small, give its size ([seed.tables.{target}] rows = 100) and advisor gives it no index advice",
                fix=ddl,
                subject=f"{target}({', '.join(str(k) for k in keys)})",
                unsized=None if ctx.schema.grows(table) or ctx.schema.grows(target) else target,
            )


def _two_valued(schema, table: str, p) -> bool:
    """A test that splits the rows in two: a NULL test, or a boolean column against a constant."""
    if p.op == "isnull":
        return True
    kind = (schema.column_type(table, p.column) or "").lower()
    return kind in ("boolean", "bool") and p.op in ("eq", "neq") and not p.wrapped


def _only(scope, alias: str) -> bool:
    """`FROM ONLY t`: the scan reads t alone, not the tables that inherit from it."""
    return any(t.args.get("only") and (t.alias_or_name or "").lower() == alias for t in scope.node.find_all(exp.Table))
