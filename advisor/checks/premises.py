"""What a SQL rule must know before it may speak: the premises the static rules check.

A rule claims something about a table, a column or a statement; these functions say whether
the claim's premises hold (a real application table, a statement seen whole, a row already found
by a unique key, a value that cannot be NULL) so the rules stay short and agree with each other.
"""

from __future__ import annotations

from sqlglot import exp

from advisor.checks import QueryContext
from advisor.facts.sql import (
    Predicate,
    Scope,
    clock_value,
    conjuncts,
    disjuncts,
    is_catalog,
    is_placeholder,
    passed_value,
)
from advisor.indexes.implication import implies, own_conditions, pins_values
from advisor.names import fold
from advisor.oneoff import one_off
from advisor.schema.ddl import canonical_expression

NOT_A_PARAMETER = object()


def real_table(ctx: QueryContext, table: str | None) -> bool:
    """An application table: not a catalog, and in a statement built from fragments, one the schema knows
    (the other names there may be CTEs defined in another fragment)."""
    if not table or is_catalog(table):
        return False
    return ctx.confidence == "certain" or not ctx.schema or ctx.schema.table(table) is not None


def pinned_by_key(ctx: QueryContext, scope: Scope, alias: str | None, table: str | None, besides=frozenset()):
    """Whether other conditions of the scope (not in `besides`) pin the table to one row by a primary or
    unique key (all its columns equal to a value): then a condition on another column sifts that one row.

    True: they do. False: they do not, or no column is held equal to a value. None: advisor cannot tell,
    as columns are held equal to values but it has not seen every index of the table (one may be its key)."""
    if not alias or not table:
        return False
    equal = {
        q.column
        for q in scope.predicates_on(alias)
        if id(q.node) not in besides and q.op == "eq" and not q.wrapped and not q.in_or and not q.negated
    }
    if not equal:
        return False
    if any(
        index.unique and index.where is None and all(k.is_column and k.expr in equal for k in index.keys)
        for index in ctx.schema.indexes_on(table)
    ):
        return True
    return False if seen_whole(ctx, table) else None


def unseen_condition(ctx: QueryContext, scope: Scope) -> bool:
    """The WHERE holds a condition built at run time (`WHERE {clause} AND ...`): it may be the key lookup
    that finds the rows, so no other condition can be said to drive the scan."""
    where = scope.node.args.get("where")
    if where is None or ctx.confidence == "certain":
        return False
    return any(
        isinstance(c, (exp.Placeholder, exp.Parameter)) or (isinstance(c, exp.Column) and is_placeholder(c.name))
        for c in conjuncts(where.this)
    )


def in_indexed_subset(ctx: QueryContext, scope: Scope, alias: str, table: str) -> bool:
    """Other conditions of the scope select the rows a partial index is kept for (`status = 'doing'` of
    `... WHERE status = 'doing'`): a subset the schema reaches by an index, so a filter over it is residual."""
    conditions = own_conditions(scope, alias)
    return bool(conditions) and any(
        index.where is not None and pins_values(index.where) and implies(conditions, index.where)
        for index in ctx.schema.indexes_on(table)
    )


def joined_by_index(ctx: QueryContext, scope: Scope, alias: str, table: str) -> bool:
    """The table is reached from another table of the join through an indexed key of its own."""
    keys = {q.column for q in scope.predicates_on(alias) if q.op == "join" and not q.wrapped}
    keys |= {column for column, merged in scope.using.items() if alias in merged}  # JOIN ... USING (col)
    return bool(keys) and any(
        i.method == "btree" and i.where is None and i.keys and i.keys[0].expr in keys
        for i in ctx.schema.indexes_on(table)
    )


def never_null(ctx: QueryContext, query: exp.Expression) -> bool:
    """Every column the subquery yields is one the schema declares NOT NULL (or the subquery filters with
    IS NOT NULL): one column for `x NOT IN`, each of a row for `(a, b) NOT IN`."""
    select = query.this if isinstance(query, exp.Subquery) else query
    if not isinstance(select, exp.Select) or not select.expressions or select.args.get("joins"):
        return False
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is None or not isinstance(from_.this, exp.Table):
        return False
    where = select.args.get("where")
    tested = {
        c.this.name
        for c in (conjuncts(where.this) if where is not None else [])
        if isinstance(c, exp.Is)
        and c.args.get("negate")
        and isinstance(c.expression, exp.Null)
        and isinstance(c.this, exp.Column)
    }  # ... WHERE col IS NOT NULL
    table = ctx.schema.table(fold(from_.this))
    for column in select.expressions:
        column = column.this if isinstance(column, exp.Alias) else column
        if not isinstance(column, exp.Column):
            return False
        known = table.columns.get(fold(column)) if table is not None else None
        if column.name not in tested and (known is None or not known.not_null):
            return False
    return True


def column_not_null(ctx: QueryContext, node: exp.Expression) -> bool:
    """`node` is a column the schema declares NOT NULL, resolved in the statement that holds it (a row
    `(a, b)`: each of its columns)."""
    if isinstance(node, exp.Tuple):
        return bool(node.expressions) and all(column_not_null(ctx, e) for e in node.expressions)
    if not isinstance(node, exp.Column):
        return False
    holder = node.parent
    while holder is not None and not isinstance(holder, (exp.Select, exp.Update, exp.Delete)):
        holder = holder.parent
    scope = next((s for s in ctx.facts.scopes if s.node is holder), None)
    if scope is None:
        return False
    if node.table:
        table = scope.table_of(fold(node.args["table"]))
    else:
        table = next(iter(scope.sources.values())) if len(scope.sources) == 1 and not scope.derived else None
    known = ctx.schema.table(table) if table else None
    column = known.columns.get(fold(node)) if known is not None else None
    return column is not None and column.not_null


def parameter_key(node: exp.Expression | None):
    """`$1` -> "$1", `%(q)s`/`:q` -> ":q", `%s`/`?` -> None (anonymous); anything else: NOT_A_PARAMETER."""
    while isinstance(node, (exp.Cast, exp.Paren)):
        node = node.this
    if isinstance(node, exp.Parameter):
        return "$" + node.name
    if isinstance(node, exp.Placeholder):
        return ":" + node.name if node.name else None
    return NOT_A_PARAMETER


def optional_filters(scope: Scope, node: exp.Or) -> list[Predicate]:
    """The predicates of `(:p IS NULL OR col = :p)`: a parameter's null test beside a condition on it."""
    branches = disjuncts(node)
    tested = set()
    for branch in branches:
        if isinstance(branch, exp.Is) and isinstance(branch.expression, exp.Null):
            key = parameter_key(branch.this)
            if key is not NOT_A_PARAMETER:
                tested.add(key)
    if not tested:
        return []
    inside = {id(n) for b in branches if not isinstance(b, exp.Is) for n in b.walk()}
    return [
        p
        for p in scope.predicates
        if id(p.node) in inside
        and p.table
        and not is_catalog(p.table)
        and p.op in ("eq", "in", "range", "like")
        and (key := parameter_key(p.value)) is not NOT_A_PARAMETER
        and (key in tested or key is None)
    ]


def pins_unique_key(ctx: QueryContext, scope: Scope) -> bool:
    """A single-table scope whose conditions pin it to one row by a unique key."""
    if len(scope.sources) != 1 or scope.derived:
        return False  # with a join, one row of one table can still meet many of another
    return single_row(ctx, scope, next(iter(scope.sources)))


def single_row(ctx: QueryContext, scope: Scope, alias: str) -> bool:
    """The table is pinned to one row by equalities on a unique key: pairing with it multiplies nothing."""
    return pinned_by_key(ctx, scope, alias, scope.sources[alias]) is True


def seen_whole(ctx: QueryContext, table: str) -> bool:
    """A stored table whose CREATE TABLE and every index advisor has seen (a view has no indexes of its own)."""
    known = ctx.schema.table(table)
    return known is not None and known.kind != "view" and ctx.schema.complete(table)


def many_rows(ctx: QueryContext, scope: Scope, alias: str) -> bool:
    """A relation known to hold many rows here: a table the schema knows (when there is one), not pinned
    to one row by a unique key. A name a schema does not know may be a view, a CTE of another fragment or
    a table renamed since: nothing is known of its rows."""
    table = scope.sources[alias]
    if ctx.schema and ctx.schema.table(table) is None:
        return False
    return not single_row(ctx, scope, alias)


def whole_table_write(ctx: QueryContext, target: exp.Expression) -> str | None:
    """Why a statement without WHERE on this target is not reported: None when it is.

    Only an application table advisor knows whole, outside migrations (a backfill rewrites every row
    on purpose) is worth the claim; a temporary table or a CTE is scratch space."""
    if not isinstance(target, exp.Table) or not isinstance(target.this, exp.Identifier):
        return "not a table"
    name = fold(target)
    if is_placeholder(name):
        return "unknown"
    if (
        name in ctx.facts.ctes
        or is_catalog(name, target.db or None)
        or ctx.query.runs_once
        or one_off(ctx.query.location.path, ctx.schema)
    ):
        return "not application data"
    known = ctx.schema.table(name)
    if known is not None and (known.temporary or known.kind == "view"):
        return "scratch"
    if one_row(ctx, name):
        return "one row"  # a position or version table: its one row is all there is to change
    return None


def one_row(ctx: QueryContext, table: str) -> bool:
    """A unique key whose every column is NOT NULL and held to one constant by a CHECK
    (`lock char(1) NOT NULL DEFAULT 'X' UNIQUE, CHECK (lock = 'X')`): the table holds one row at most."""
    known = ctx.schema.table(table)
    if known is None:
        return False

    def pinned(key) -> bool:
        column = known.columns.get(key.expr) if key.is_column else None
        return column is not None and column.pinned and column.not_null

    return any(
        index.unique and index.where is None and index.keys and all(pinned(k) for k in index.keys)
        for index in ctx.schema.indexes_on(table)
    )


def withheld(ctx: QueryContext, target: exp.Table) -> str | None:
    name = fold(target)
    known = ctx.schema.table(name)
    return None if known is not None and known.location is not None else name


def unknown_sketch(ctx: QueryContext, target: exp.Table) -> bool:
    """A statement built at run time: its WHERE may be one of the pieces advisor cannot see."""
    return ctx.confidence != "certain"


def segment(lines: list[str], loc) -> tuple[str, int]:
    """The source text of a location's span, and the offset where it starts in the file."""
    end_line = loc.end_line or loc.line
    chunk = lines[loc.line - 1 : end_line]
    if not chunk:
        return "", 0
    offset = sum(len(line) for line in lines[: loc.line - 1]) + loc.col - 1
    if len(chunk) == 1:
        return chunk[0][loc.col - 1 : (loc.end_col - 1) if loc.end_col else None], offset
    text = chunk[0][loc.col - 1 :] + "".join(chunk[1:-1]) + chunk[-1][: (loc.end_col - 1) if loc.end_col else None]
    return text, offset


def counted_alongside(ctx: QueryContext, scope: Scope) -> bool:
    """The code runs, just before or after this statement, one that counts the same rows (`SELECT COUNT(*)
    FROM t WHERE <the same conditions>`, the total an admin list returns with its page): the request reads the
    whole filtered set anyway, so a page found by OFFSET costs no more than that count does.  Statements of a
    .sql file are each their own entry point: a count beside a page there says nothing of one request."""
    rows = _rows_read(scope.node)
    if rows is None:
        return False
    for tree in _code_neighbours(ctx):
        if not isinstance(tree, exp.Select) or len(tree.expressions) != 1:
            continue
        total = tree.expressions[0].unalias()
        if isinstance(total, exp.Count) and _rows_read(tree) == rows:  # a count reads every row it counts
            return True
    return False


def _rows_read(select: exp.Expression) -> tuple[str, ...] | None:
    """FROM, joins and WHERE of a plain SELECT as canonical text: two statements that read the same rows."""
    if not isinstance(select, exp.Select) or any(select.args.get(k) for k in ("group", "having", "distinct")):
        return None
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is None:
        return None
    where = select.args.get("where")
    parts = [from_, *(select.args.get("joins") or []), where.this if where is not None else None]
    return tuple(canonical_expression(p) if p is not None else "" for p in parts)


def filtered_alongside(ctx: QueryContext, node: exp.Expression) -> bool:
    """The code's statement just before or after changes the same table with a WHERE (`if none_left: DELETE
    FROM t else: DELETE FROM t WHERE pos <= $1`): this one is the deliberate everything-case of the same step.
    Statements of a .sql file are each their own entry point, so this holds for code only."""
    if not isinstance(node.this, exp.Table):
        return False
    target = fold(node.this)
    for tree in _code_neighbours(ctx):
        if (
            isinstance(tree, type(node))
            and isinstance(tree.this, exp.Table)
            and fold(tree.this) == target
            and tree.args.get("where") is not None
        ):
            return True
    return False


def _code_neighbours(ctx: QueryContext) -> list[exp.Expression]:
    """The parsed statements just before and after this one in code; none for a .sql or schema file,
    whose statements are each their own entry point."""
    from advisor.parse import parse_sql

    if ctx.query.source in ("sql", "schema"):
        return []
    trees = [parse_sql(other.text, other.dialect) for other in ctx.neighbours if other is not None]
    return [tree for tree in trees if isinstance(tree, exp.Expression)]


def retention_sweep(access) -> bool:
    """`DELETE FROM sessions WHERE expiry_time_ms <= ?`, `UPDATE jobs SET locked_at = NULL WHERE locked_at < now() -
    interval '4 hours'`, `SELECT ... WHERE last_seen < ? AND hidden = FALSE`: everything older than a cutoff -- one the
    code passes, or now minus a duration --, with nothing else chosen by a parameter.  A periodic expiry job of this
    shape sweeps the table by design (synapse's session and media purges, graphile-worker's stale-lock reset,
    alerta's housekeeping); a range with a lower bound (`stream_id > ?`) is a feed read, not a sweep, and `run_at <=
    now()` (what is due now) is a queue's poll.  The column may be wrapped in what keeps its order (`now() - ts >
    ?::interval`, `upper(period) < now() - interval '7 days'`, `(expires_ms - ?) <= ?`): the same sweep, written
    around the column."""
    ranges = [p for p in access.predicates if p.op == "range"]
    if access.joins or access.sort or len(ranges) != 1:
        return False
    cut = ranges[0]
    order = _order(cut.side, cut.column_node)
    left = _under(cut.side, cut.node) is cut.node.this
    below = isinstance(cut.node, (exp.LT, exp.LTE)) == left  # the side is held below the value
    if not isinstance(cut.node, (exp.LT, exp.LTE, exp.GT, exp.GTE)) or order == 0 or below != (order > 0):
        return False  # a lower bound on the column: a feed read, not a sweep
    if not (passed_value(cut.value) or _now_minus(cut.value)):
        return False
    return all(_fixed(p) for p in access.predicates if p is not cut)


_KEEPS_ORDER = ("upper", "lower", "date_trunc", "extract", "date_part")  # non-decreasing in the column


def _order(side, column) -> int:
    """+1: `side` grows with the column; -1: it shrinks as the column grows; 0: advisor cannot tell."""
    sign, node = 1, column
    while node is not side:
        parent = node.parent
        if parent is None:
            return 0
        if isinstance(parent, exp.Sub):
            sign = sign if parent.this is node else -sign
        elif isinstance(parent, exp.Mul | exp.Div) and not isinstance(parent.expression, exp.Literal):
            return 0  # times a value of unknown sign
        elif isinstance(parent, exp.Anonymous | exp.Func) and not isinstance(parent, exp.Add | exp.Cast | exp.Paren):
            name = (parent.name if isinstance(parent, exp.Anonymous) else parent.sql_name()).lower()
            if name not in _KEEPS_ORDER and not isinstance(parent, exp.Extract | exp.TimestampTrunc):
                return 0
        elif not isinstance(parent, exp.Add | exp.Cast | exp.Paren | exp.Mul | exp.Div):
            return 0
        node = parent
    return sign


def _under(node, top):
    """The child of `top` that holds `node` (`(a - $1) <= $2`: the parenthesis, not the subtraction)."""
    while node.parent is not None and node.parent is not top:
        node = node.parent
    return node


def _now_minus(node) -> bool:
    """`now() - interval '1 hour'`, `(NOW() at time zone 'utc' - INTERVAL '30 days')`: the clock minus a duration;
    or a time the code passes minus one (`${now} - interval '4 hours'`, graphile-worker's resetLockedAt, where
    `now` is `$1::timestamptz` or `now()`): a cutoff as a passed one is."""
    while isinstance(node, exp.Paren):
        node = node.this
    if not isinstance(node, exp.Sub):
        return False
    clock = node.this.this if isinstance(node.this, exp.AtTimeZone) else node.this
    return (passed_value(clock) or clock_value(clock)) and isinstance(
        node.expression, (exp.Interval, exp.Placeholder, exp.Parameter, exp.Mul)
    )


def _fixed(p) -> bool:
    """A condition on a value the statement fixes: `hidden = FALSE`, `status IN ('closed', 'expired')`."""
    if p.op == "in":
        values = p.node.expressions if isinstance(p.node, exp.In) else []
        return bool(values) and all(isinstance(v, (exp.Literal, exp.Boolean)) for v in values)
    return isinstance(p.value, (exp.Boolean, exp.Literal, exp.Null))
