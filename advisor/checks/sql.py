"""Static SQL rules: read the facts of one statement, the tree where facts say nothing."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlglot import exp

from advisor import oneoff
from advisor.checks import Hit, QueryContext, premises, query_check, served, source_check
from advisor.facts.sql import Predicate, Scope, disjuncts, is_catalog, is_placeholder, parameterised
from advisor.indexes.candidates import access_of
from advisor.indexes.implication import implies, own_conditions
from advisor.ir import SourceFile
from advisor.names import fold, quote
from advisor.schema.ddl import canonical_expression

# --- SELECT * -----------------------------------------------------------------


@query_check("select-star")
def select_star(ctx: QueryContext):
    readers: dict[str, list] = {}  # a derived table's name -> the scopes reading it, found once, not per scope
    for reader in ctx.facts.scopes:
        for name in reader.derived:
            readers.setdefault(name, []).append(reader)
    for scope in ctx.facts.scopes:
        if scope.in_exists or scope.kind != "select":
            continue
        if _feeds_insert(scope.node):
            continue  # INSERT ... SELECT * copies whole rows on purpose
        if _read_by_name(scope, readers):
            continue  # a CTE or derived table whose readers name the columns they take: the planner keeps those
        if scope.parent is None and (ctx.query.returned or ctx.query.columns_from_cursor or ctx.query.result_unread):
            continue  # a function's declared row type names the columns, the code takes them from the cursor,
            # or it never reads the rows (a SELECT * ... FOR UPDATE that only locks them)
        for star in scope.stars:
            qualifier = fold(star.args["table"]) if isinstance(star, exp.Column) and star.table else None
            if qualifier is not None:
                tables = [scope.sources[qualifier]] if qualifier in scope.sources else []
            else:
                tables = sorted(set(scope.sources.values()))
            tables = [t for t in tables if premises.real_table(ctx, t)]
            if not tables:
                continue  # the columns of a CTE, subquery, function or catalog: chosen where they are defined
            which = f"{star.args['table'].name}.*" if qualifier is not None else "*"
            yield ctx.hit(
                star,
                f"SELECT {which} reads every column of {', '.join(tables)}",
                help="name the columns the code uses: narrower rows travel faster, allow index-only scans, "
                "and don't change shape when the table gains a column",
                subject=",".join(tables),
            )


def _feeds_insert(node: exp.Expression) -> bool:
    return isinstance(node.parent, exp.Insert)


def _read_by_name(scope, readers: dict[str, list]) -> bool:
    """The scope is a CTE or a derived table, and every scope reading it names its columns (no `*`)."""
    holder = scope.node.parent
    if not isinstance(holder, (exp.CTE, exp.Subquery)) or not holder.alias:
        return False
    name = fold(holder.args["alias"].this) if isinstance(holder.args.get("alias"), exp.TableAlias) else holder.alias
    return bool(readers.get(name)) and not any(s.stars for s in readers[name])


# --- LIKE '%x' -------------------------------------------------------------------


@query_check("leading-wildcard-like")
def leading_wildcard_like(ctx: QueryContext):
    for scope in ctx.facts.scopes:
        for p in scope.predicates:
            if p.op != "like" or p.negated:
                continue
            if p.leading_wildcard and p.value is not None:
                pinned = premises.pinned_by_key(ctx, scope, p.alias, p.table, {id(p.node)})
                if pinned:
                    continue  # the pattern is matched against the one row a key found
                op = "ILIKE" if isinstance(p.node, exp.ILike) else "LIKE"
                yield ctx.hit(
                    p.node,
                    f"{op} pattern {ctx.text(p.value)} starts with a wildcard: no B-tree index on "
                    f"{_qualified(p)} can be used",
                    help="anchor the pattern at the start ('abc%'), or index the column for substring search: "
                    f"CREATE EXTENSION IF NOT EXISTS pg_trgm; {_trigram_ddl(p)}",
                    fix=_trigram_ddl(p),
                    subject=_qualified(p),
                    withheld=p.table if pinned is None else None,  # the other equalities may be the table's key
                )


def _trigram_ddl(p: Predicate) -> str:
    return (
        f"CREATE INDEX CONCURRENTLY ON {quote(p.table or p.alias or 't')} USING gin ({quote(p.column)} gin_trgm_ops);"
    )


def _qualified(p: Predicate) -> str:
    return f"{p.table or p.alias}.{p.column}" if (p.table or p.alias) else p.column


# --- non-sargable predicates ----------------------------------------------------

_FUNC_NAME = re.compile(r"[A-Za-z_][\w.]*")
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.DPipe)
# jsonb and array operators on the bare column (`flags ?| $1`, `tags @> $1`): a GIN index on it serves them
_GIN_OPERATORS = (
    exp.JSONBContainsAnyTopKeys,
    exp.JSONBContainsAllTopKeys,
    exp.JSONBContainsTopKey,
    exp.ArrayContainsAll,
    exp.ArrayContainedBy,
    exp.ArrayOverlaps,
)


_JSON_EXTRACTS = (exp.JSONExtract, exp.JSONExtractScalar, exp.JSONBExtract, exp.JSONBExtractScalar)


def _describe_wrap(side: exp.Expression, written: str) -> str:
    if isinstance(side, (exp.Cast, exp.TryCast)):
        return f"a cast to {side.to.sql(dialect='postgres')}"
    if isinstance(side, _ARITHMETIC):
        return "arithmetic"
    if isinstance(side, _JSON_EXTRACTS):
        return "a JSON extraction"
    if isinstance(side, exp.Func):
        name = written.split("(")[0].strip()
        return f"{name}()" if _FUNC_NAME.fullmatch(name) else "an expression"  # an operator: no class names
    return "an expression"


def _expression_indexed(ctx: QueryContext, scope, p: Predicate) -> bool:
    """An index keys the wrapped expression, after keys this scope's equalities on the table fix: it seeks on it
    (`type = $1 AND md5(arguments::text) = $2` on an index of `(type, md5(arguments::text))`)."""
    if not p.table:
        return False
    wanted = canonical_expression(p.side)
    fixed = {q.column for q in scope.predicates if q.alias == p.alias and q.op == "eq" and not q.wrapped}
    for index in ctx.schema.indexes_on(p.table):
        for key in index.keys:
            if not key.is_column and key.expr == wanted:
                return True
            if not key.is_column or key.expr not in fixed:
                break
    return False


def _sargable_rewrite(p: Predicate) -> str | None:
    side = p.side
    col = p.column
    day = isinstance(side, exp.Date) or isinstance(side, (exp.Cast, exp.TryCast)) and side.to.is_type("date")
    if day and isinstance(p.node, exp.EQ):  # `DATE(ts) = $1`, `ts::date = $1`: the day's range
        return f"{col} >= <day> AND {col} < <day> + interval '1 day'"
    if isinstance(side, (exp.Add, exp.Sub, exp.Mul, exp.Div)):
        return f"move the arithmetic to the other side so {col} stands alone"
    if isinstance(side, (exp.Year, exp.Month, exp.Day, exp.DateTrunc, exp.TimestampTrunc)):
        return f"compare {col} with a range: {col} >= <start> AND {col} < <end>"
    return None


@query_check("function-on-column")
def function_on_column(ctx: QueryContext):
    said: set[tuple] = set()  # `x COLLATE "C" >= $1 AND x COLLATE "C" < $2`: one claim, not one per bound
    for scope in ctx.facts.scopes:
        for p in scope.predicates:
            if not p.wrapped or p.clause == "having" or p.op == "neq" or not premises.real_table(ctx, p.table):
                continue  # no index to lose on a CTE, subquery, function or catalog
            if (id(scope), p.alias, p.column, _unqualified(p.side)) in said:
                continue
            if isinstance(p.side, _GIN_OPERATORS) and p.side.this is p.column_node:
                continue  # an operator of the column's type, not a function around it
            if isinstance(p.side, exp.Any):
                continue  # `x = ANY(tags)`: the column is the array searched, not wrapped (only @> can use an index)
            if isinstance(p.side, (exp.Column, exp.Literal, exp.AggFunc)) or _expression_indexed(ctx, scope, p):
                continue  # an aggregate is computed over groups, not a condition on each row
            if _combines_row_columns(p, scope):
                continue  # `a + b * interval < now()`: a condition on two columns of the row, no rewrite leaves one bare
            if served.in_usable_partial_index(ctx, scope, p):
                continue  # the index holds only the rows that meet it: no row is evaluated
            # a wrap of a parameter with no rewrite (`MOD(hash(col), $6) = $5`) no index on col could serve however
            # it is written: beside a condition an index searches by, it can only filter the rows found
            removable = not parameterised(p.side) or _sargable_rewrite(p) is not None
            if served.searched_by_another(ctx, scope, p, removable):
                continue  # another condition is what an index finds the rows by: this one filters those
            access = access_of(scope, p.alias, p.table, ctx.schema) if p.table and p.alias else None
            own = [*access.predicates, *([] if p in access.predicates else [p])] if access else []
            if access and premises.retention_sweep(replace(access, predicates=own)):
                continue  # `now() - ts > interval '7 days'`: a periodic purge of what is older, a scan by design
            pinned = premises.pinned_by_key(ctx, scope, p.alias, p.table, {id(p.node)})
            if (
                premises.unseen_condition(ctx, scope)
                or pinned
                or (p.alias and p.table and premises.joined_by_index(ctx, scope, p.alias, p.table))
            ):
                continue  # a residual filter on the rows an index already found
            if isinstance(p.side, _JSON_EXTRACTS) and p.op == "other":
                continue
            expression = ctx.text(p.side)
            if isinstance(p.side, _JSON_EXTRACTS) and "->" not in expression:  # the operator's span: its left side only
                expression = p.side.sql(dialect="postgres")
            wrap = _describe_wrap(p.side, expression)
            table = quote(p.table or p.alias or "t")
            rewrite = _sargable_rewrite(p)
            index = f"CREATE INDEX CONCURRENTLY ON {table} (({_unqualified(p.side)}));"
            if parameterised(p.side):  # no index can be built on an expression of a parameter
                index = ""
                rewrite = rewrite or f"move the parameter out of the expression so {p.column} stands alone"
            elif _zoned(ctx, p):  # PostgreSQL refuses it: functions in index expression must be marked IMMUTABLE
                index = ""
                rewrite = rewrite or (
                    f"fix the time zone in the condition, and index that: ({p.column} AT TIME ZONE 'UTC') in place "
                    f"of {p.column} (on a timestamptz column the expression depends on the session's time zone, "
                    "so PostgreSQL refuses an index on it)"
                )
            help_text = "; or ".join(
                part
                for part in (
                    f"rewrite: {rewrite}" if rewrite else "",
                    f"index the expression: {index}" if index else "",
                )
                if part
            )
            said.add((id(scope), p.alias, p.column, _unqualified(p.side)))
            yield ctx.hit(
                p.side,
                f"{_qualified(p)} is wrapped in {wrap} ({expression}): an index on {p.column} cannot serve this "
                "condition, so every row is evaluated",
                help=help_text,
                fix=index or None,
                subject=f"{_qualified(p)}:{type(p.side).__name__}",
                withheld=p.table if pinned is None else None,  # the other equalities may be the table's key
                # the key an index advisor builds would have: a verified one answers this finding (explain.advise)
                metrics={"table": p.table, "expression": _unqualified(p.side)} if index else {},
            )


_ZONED_WRAPS = (exp.Date, exp.DateTrunc, exp.TimestampTrunc, exp.Extract, exp.Year, exp.Month, exp.Day, exp.TimeToStr)
_ZONED_CASTS = ("date", "timestamp", "time", "text", "varchar", "char")


def _zoned(ctx: QueryContext, p) -> bool:
    """The wrap of a `timestamptz` column gives what the session's time zone makes of it (`DATE(ts)`, `ts::date`,
    `date_trunc('day', ts)`, `EXTRACT(hour FROM ts)`): a function PostgreSQL does not mark IMMUTABLE, so it refuses
    an index on the expression; only the rewrite to a range serves."""
    kind = (ctx.schema.column_type(p.table, p.column) or "") if p.table else ""
    if kind.lower() not in ("timestamptz", "timestamp with time zone"):
        return False
    side = p.side
    if isinstance(side, (exp.Cast, exp.TryCast)):
        return any(side.to.is_type(t) for t in _ZONED_CASTS)
    return isinstance(side, _ZONED_WRAPS)


def _combines_row_columns(p, scope) -> bool:
    """The expression around the column also reads another column of the same row (or one advisor cannot place in
    another table): an index on either column cannot serve it however it is rewritten."""
    for c in p.side.find_all(exp.Column):
        if c is p.column_node or c.name.lower() == p.column:
            continue
        if not c.table or c.table.lower() == (p.alias or "").lower():
            return True
    return False


def _unqualified(node: exp.Expression) -> str:
    return canonical_expression(node)


# --- implicit casts ---------------------------------------------------------------

TYPE_FAMILIES = {
    "int": {
        "int",
        "integer",
        "int2",
        "int4",
        "int8",
        "smallint",
        "bigint",
        "serial",
        "bigserial",
        "smallserial",
        "tinyint",
        "mediumint",
    },
    "numeric": {"numeric", "decimal", "real", "double", "float", "double precision", "money", "float4", "float8"},
    "text": {
        "text",
        "varchar",
        "char",
        "character varying",
        "character",
        "citext",
        "name",
        "bpchar",
        "nvarchar",
        "nchar",
        "string",
    },
    "bool": {"boolean", "bool"},
    "uuid": {"uuid"},
    "date": {"date"},
    "timestamp": {
        "timestamp",
        "timestamptz",
        "datetime",
        "timestampltz",
        "timestamp_s",
        "timestamp_ms",
        "timestamp_ns",
    },
}
_FAMILY_OF = {name: family for family, names in TYPE_FAMILIES.items() for name in names}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")
_DATE = re.compile(
    r"^\d{4}-\d{1,2}-\d{1,2}([ T].*)?$|^(now|today|yesterday|tomorrow|infinity|-infinity|epoch)$", re.IGNORECASE
)
_SPLICED = re.compile(r"%(?:\(\w+\))?[sdif]|\{\w*\}")  # a format's field in a quoted literal: `'%s'`, `'{}'`
_INTEGER = re.compile(r"^\s*[-+]?\d+\s*$")
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def type_family(type_name: str | None) -> str | None:
    return _FAMILY_OF.get((type_name or "").lower())


def _value_kind(value: exp.Expression) -> tuple[str, str] | None:
    """(kind, text) of a literal or an explicitly cast value; None when unknown (a parameter)."""
    if isinstance(value, exp.Neg):
        inner = _value_kind(value.this)
        return (inner[0], "-" + inner[1]) if inner else None
    if isinstance(value, exp.Literal):
        if value.is_string:
            return "string", value.this
        return ("int" if _INTEGER.match(value.this) else "decimal"), value.this
    if isinstance(value, exp.Boolean):
        return "bool", value.sql()
    if isinstance(value, exp.Cast):
        family = type_family(value.to.sql(dialect="postgres").split("(")[0].lower())
        if family:
            return "cast:" + family, value.sql(dialect="postgres")
    return None


def _cast_problem(family: str, kind: str, text: str) -> tuple[str, bool] | None:
    """(problem, per_row) or None when the comparison is fine; per_row: the statement runs, with the column cast
    on every row it reads (a cost), rather than failing."""
    if kind.startswith("cast:"):
        value_family = kind[5:]
        if value_family == family:
            return None
        if family == "int" and value_family == "numeric":
            return "the column is cast to numeric for the comparison, so its index is not used", True
        if family == "date" and value_family == "timestamp":
            return "the date column is cast to timestamp for the comparison, so its index is not used", True
        if {family, value_family} <= {"int", "numeric"} or {family, value_family} <= {"date", "timestamp"}:
            return None
        return (
            f"no {family} = {value_family} operator: PostgreSQL rejects the query (other databases cast every row)",
            False,
        )
    if family == "int":
        if kind == "decimal":
            return (
                f"{text} is not an integer: the column is cast to numeric for every row and its index is not used",
                True,
            )
        if kind == "string" and not _INTEGER.match(text):
            return f"'{text}' is not an integer: PostgreSQL fails with invalid input syntax", False
        if kind == "bool":
            return "an integer column compared with a boolean: PostgreSQL rejects the query", False
    elif family == "numeric":
        if kind == "string" and not _NUMBER.match(text):
            return f"'{text}' is not a number: PostgreSQL fails with invalid input syntax", False
    elif family == "text":
        if kind in ("int", "decimal"):
            return (
                f"a text column compared with the number {text}: PostgreSQL rejects it (operator does not exist), "
                "MySQL and SQLite cast every row and skip the index"
            ), False
    elif family == "uuid":
        if kind == "string" and not _UUID.match(text):
            return f"'{text}' is not a UUID: PostgreSQL fails with invalid input syntax for type uuid", False
        if kind in ("int", "decimal"):
            return "a uuid column compared with a number: PostgreSQL rejects the query", False
    elif family == "bool":
        if kind in ("int", "decimal"):
            return f"a boolean column compared with the number {text}: PostgreSQL rejects it; use TRUE/FALSE", False
    elif family in ("date", "timestamp"):
        if kind in ("int", "decimal"):
            return f"a {family} column compared with the number {text}: PostgreSQL rejects the query", False
        if kind == "string" and not _DATE.match(text.strip()):
            return f"'{text}' is not a valid {family}: PostgreSQL fails with invalid input syntax", False
    return None


@query_check("implicit-cast")
def implicit_cast(ctx: QueryContext):
    if not ctx.schema:
        return
    for scope in ctx.facts.scopes:
        for p in scope.predicates:
            if p.wrapped or p.op not in ("eq", "neq", "range", "in") or not p.table:
                continue
            column_type = ctx.schema.column_type(p.table, p.column)
            family = type_family(column_type)
            if family is None:
                continue
            values = list(p.node.expressions) if isinstance(p.node, exp.In) else [p.value]
            for value in values:
                kind = _value_kind(value) if value is not None else None
                if kind is None or value is None or (kind[0] == "string" and _SPLICED.search(kind[1])):
                    continue  # `'%s'` in a text formatted before it runs: a value spliced in, its content unknown
                problem = _cast_problem(family, kind[0], kind[1])
                if problem is None:
                    continue
                message, per_row = problem
                pinned = premises.pinned_by_key(ctx, scope, p.alias, p.table, {id(p.node)})
                if per_row and pinned:
                    continue  # the cast is evaluated on the one row a key found
                yield ctx.hit(
                    value,
                    f"{_qualified(p)} ({column_type}) compared with {value.sql(dialect='postgres')}: {message}",
                    help=f"compare with a value of the column's own type ({column_type}), or cast the value, never the column",
                    subject=f"{_qualified(p)}={kind[0]}",
                    withheld=p.table if per_row and pinned is None else None,  # the other equalities may be a key
                )


# --- NULL and NOT IN -----------------------------------------------------------


@query_check("equals-null")
def equals_null(ctx: QueryContext):
    for node in ctx.facts.find(exp.EQ, exp.NEQ):
        if node.arg_key == "expressions" and isinstance(node.parent, (exp.Update, exp.OnConflict)):
            continue  # SET col = NULL: an assignment
        if isinstance(node.parent, exp.SetItem):
            continue  # SET name = NULL, a statement of its own: an assignment too
        if isinstance(node.expression, exp.Null) or isinstance(node.this, exp.Null):
            op = "=" if isinstance(node, exp.EQ) else "<>"
            fixed = "IS NULL" if op == "=" else "IS NOT NULL"
            subject = node.this if not isinstance(node.this, exp.Null) else node.expression
            yield ctx.hit(
                node,
                f"{subject.sql(dialect='postgres')} {op} NULL is never true: comparing with NULL yields NULL",
                help=f"use {subject.sql(dialect='postgres')} {fixed}",
                fix=f"{subject.sql(dialect='postgres')} {fixed}",
                subject=subject.sql(dialect="postgres"),
            )


@query_check("not-in-subquery")
def not_in_subquery(ctx: QueryContext):
    tables = any(scope.sources for scope in ctx.facts.scopes)  # once, not per NOT
    for node in ctx.facts.find(exp.Not):
        inner = node.this
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if isinstance(inner, exp.In) and inner.args.get("query") is not None:
            if not tables:
                continue  # only catalogs, functions and CTEs: nothing of the application's grows here
            column = inner.this.sql(dialect="postgres")
            query = inner.args["query"]
            never_null = premises.never_null(ctx, query)
            if never_null and (_bounded(query) or premises.column_not_null(ctx, inner.this)):
                # no NULL on either side: NOT IN means NOT EXISTS; PostgreSQL hashes the subquery's result
                # (a hashed SubPlan) while it fits in hash_mem (bounded: at most LIMIT rows), and from
                # release 19 plans NOT NULL = NOT NULL as an anti-join: the rescan is a guess about data size
                continue
            if never_null:
                nulls = ""
            elif isinstance(inner.this, exp.Tuple):  # a NULL in a row decides only the rows equal on the rest
                nulls = "is never true for a row equal to a subquery row on its other columns when that row holds a NULL, and "
            else:
                nulls = "returns no rows at all if the subquery yields a NULL, and "
            yield ctx.hit(
                node,
                f"{column} NOT IN (SELECT ...) {nulls}cannot be planned as an anti-join: once the subquery's "
                "result outgrows work_mem, PostgreSQL rescans it for every row",
                help="rewrite as NOT EXISTS (SELECT 1 FROM ... WHERE ... = outer.column), which handles NULLs "
                "and is planned as a hash or merge anti-join",
                subject=column,
            )


def _bounded(query: exp.Expression) -> bool:
    """The subquery yields at most LIMIT rows: its result does not grow with its table."""
    select = query.this if isinstance(query, exp.Subquery) else query
    return isinstance(select, exp.Select) and select.args.get("limit") is not None


# --- OR across columns -----------------------------------------------------------


def _branch_predicates(branch: exp.Expression, by_node: dict[int, list]) -> list[Predicate]:
    return [p for n in branch.walk() for p in by_node.get(id(n), ()) if p.op != "join"]


def _columns(predicates: list[Predicate]) -> frozenset[tuple[str | None, str]]:
    return frozenset((p.table, p.column) for p in predicates)


def _served_by_index(ctx: QueryContext, predicates: list[Predicate], whole: bool = False) -> bool:
    """An index leads with the column (or the expression) one of the branch's conditions is on (`whole`: an
    index of every row, not a partial one)."""
    for p in predicates:
        key = canonical_expression(p.side) if p.wrapped else p.column
        if p.table and any(
            i.keys and i.keys[0].expr == key and i.method == "btree" and not (whole and i.where is not None)
            for i in ctx.schema.indexes_on(p.table)
        ):
            return True
    return False


def _correlated(scope: Scope) -> bool:
    """The scope is a subquery tied to its enclosing query by a column equality (`o.lock = jobs.lock`)."""
    own = set(scope.sources) | scope.derived
    return any((e.left[0] in own) != (e.right[0] in own) for e in scope.joins)


@query_check("or-across-columns")
def or_across_columns(ctx: QueryContext):
    for scope in ctx.facts.scopes:
        by_node: dict[int, list] = {}  # looked up per branch node: linear in the size of the OR
        for p in scope.predicates:
            by_node.setdefault(id(p.node), []).append(p)
        for node in scope.ors:
            predicates = [_branch_predicates(b, by_node) for b in disjuncts(node)]
            branches = [_columns(b) for b in predicates]
            if any(not b for b in branches) or len(set(branches)) < 2:
                continue
            if any(t is None or is_catalog(t) for b in branches for t, _ in b):
                continue  # a column of a CTE, subquery or catalog, or one not resolved with certainty
            tables = {t for b in branches for t, _ in b}
            if len(tables) > 1 or len(scope.sources) + len(scope.derived) > 1 or _correlated(scope):
                continue  # in a join (or a correlated subquery), the OR filters the joined rows: the join keys drive
            if not all(premises.seen_whole(ctx, t) for t in tables if t is not None):
                continue  # the claim is that a branch has no index: only true when every index of the table was seen
            if any(p.wrapped and not _expression_indexed(ctx, scope, p) for b in predicates for p in b):
                continue  # `lower(email) = $1 OR ...`: no column index serves that branch, function-on-column says why
            inside = {id(n) for n in node.walk()}
            owners = {(p.alias, p.table) for p in scope.predicates if id(p.node) in inside and p.alias and p.table}
            pinned = {t: premises.pinned_by_key(ctx, scope, a, t, inside) for a, t in owners}
            if any(pinned.values()):
                continue  # a residual filter on the rows an index already found
            bare = [b for b in predicates if not _served_by_index(ctx, b)]
            if not bare:
                continue  # each branch has an index: PostgreSQL combines them with a BitmapOr
            if not any(_served_by_index(ctx, b, whole=True) for b in predicates):
                continue  # no branch alone could use an index: the scan is not the OR's doing (missing-index's)
            names = sorted({f"{t}.{c}" if t else c for b in branches for t, c in b})
            unindexed = ", ".join(sorted({f"{t}.{c}" if t else c for b in bare for t, c in _columns(b)}))
            yield ctx.hit(
                node,
                f"OR across different columns ({', '.join(names)}): no index serves {unindexed}, so PostgreSQL "
                "cannot combine one index per branch (BitmapOr) and scans the table",
                help=f"give {unindexed} an index: the planner then reads each branch by its own index and "
                "combines them (BitmapOr)",
                subject=",".join(names),
                withheld=next((t for t, known in pinned.items() if known is None), None),  # may be pinned by a key
            )


# --- catch-all optional filters ------------------------------------------------------


@query_check("optional-filter")
def optional_filter(ctx: QueryContext):
    if _plain_scan(ctx):
        return  # PostgreSQL keeps custom plans for it: the generic plan never costs less than they do
    if ctx.custom_plans and ctx.query.origin != "function-body":
        return  # the project's drivers send it unnamed or with its values written in: planned with them each run
    for scope in ctx.facts.scopes:
        candidates = [
            (node, p, _indexed_key(ctx, scope, p) if residual is False else None)
            for node in scope.ors
            for p in premises.optional_filters(scope, node)[:1]
            if (residual := _residual(ctx, scope, p, node)) is not True
        ]
        found = [(node, p) for node, p, indexed in candidates if indexed]
        unknown = next((p.table for _, p, indexed in candidates if indexed is None), None)
        if not found:
            if unknown:  # an index advisor has not seen may lead with the column
                yield ctx.hit(
                    candidates[0][0], "optional filter on a column of a table not seen whole", withheld=unknown
                )
            continue  # one finding per query: its optional filters share one cause and one fix
        node = found[0][0]
        columns = ", ".join(dict.fromkeys(_qualified(q) for _, q in found))
        more = " AND ..." if len(found) > 1 else ""
        yield ctx.hit(
            node,
            f"optional filter{'s' if len(found) > 1 else ''} on {columns} ({node.sql(dialect='postgres')}{more}): "
            "if PostgreSQL settles on a generic plan for it (a prepared statement after five runs whose plans "
            "were no cheaper, e.g. runs without the filter; or plan_cache_mode = force_generic_plan), that plan "
            "serves both the NULL and the non-NULL case, so it cannot use an index on these columns and reads "
            "the table on every call",
            help="add the condition only when the value is given (build the WHERE clause from the filters "
            "that are set, or write one statement per combination); for one session, "
            "SET plan_cache_mode = force_custom_plan also avoids it",
            subject=columns,
        )


def _plain_scan(ctx: QueryContext) -> bool:
    """A SELECT of one table with no join, subquery, grouping, aggregate, DISTINCT, ORDER BY or LIMIT.  Its
    generic plan is a full scan with the optional filters as a filter, which costs more than every custom
    plan (a scan without them, or an index scan), so the plan cache never settles on it (tested on the
    embedded server, tests/test_sql_precision.py); with grouping, a sort or a join it does."""
    if len(ctx.facts.scopes) != 1:
        return False
    scope = ctx.facts.scopes[0]
    node = scope.node
    return (
        scope.kind == "select"
        and len(scope.sources) + len(scope.derived) == 1
        and not (scope.order_by or scope.group_by or scope.limit is not None)
        and not node.args.get("distinct")
        and node.find(exp.AggFunc, exp.Window) is None
    )


def _indexed_key(ctx: QueryContext, scope: Scope, p: Predicate) -> bool | None:
    """An index can seek on the filtered column (it leads the index, or follows keys the query holds equal to
    values), so a custom plan, which knows the value, can use it where a generic one cannot: True. False: no
    index of the table can (advisor has seen them all), so every plan filters the rows it reads anyway and the
    catch-all form costs nothing. None: advisor has not seen every index of the table."""
    if not p.alias or not p.table:
        return None
    equal = {q.column for q in scope.predicates_on(p.alias) if q.op == "eq" and not q.wrapped and not q.in_or}
    conditions = own_conditions(scope, p.alias)
    for index in ctx.schema.indexes_on(p.table):
        position = next((n for n, k in enumerate(index.keys) if k.is_column and k.expr == p.column), None)
        if position is None or not all(k.is_column and k.expr in equal for k in index.keys[:position]):
            continue
        if index.method == "hash" and p.op != "eq":
            continue  # a hash index serves equality only
        if index.where is None or implies(conditions, index.where):
            return True
    return False if premises.seen_whole(ctx, p.table) else None


def _residual(ctx: QueryContext, scope, p: Predicate, node: exp.Expression) -> bool | None:
    """The other conditions find the table's rows by a unique key or a partial index's subset: the
    optional filter only sifts what they found (None: they may be a key advisor has not seen)."""
    if not p.alias or not p.table:
        return False
    if premises.in_indexed_subset(ctx, scope, p.alias, p.table):
        return True
    return premises.pinned_by_key(ctx, scope, p.alias, p.table, {id(n) for n in node.walk()})


# --- ordering and paging ------------------------------------------------------------


@query_check("order-by-random")
def order_by_random(ctx: QueryContext):
    for scope in ctx.facts.scopes:
        if any(lock.args.get("wait") is False for lock in scope.node.args.get("locks") or []):
            continue  # FOR UPDATE SKIP LOCKED: workers claiming pending rows, spread at random so they collide less
        for key in scope.order_by:
            target = key.node.this if isinstance(key.node, exp.Ordered) else key.node
            if isinstance(target, exp.Rand) or (
                isinstance(target, exp.Anonymous) and target.name.lower() in ("random", "rand", "newid")
            ):
                yield ctx.hit(
                    key.node,
                    "ORDER BY random() reads and sorts every row to return a few",
                    help="pick random keys instead: TABLESAMPLE SYSTEM_ROWS(n) (tsm_system_rows), or "
                    "WHERE id >= (random key) ORDER BY id LIMIT n",
                    subject="random",
                )


def _is_zero(node: exp.Expression | None) -> bool:
    return isinstance(node, exp.Literal) and not node.is_string and node.this.strip() in ("0", "0.0")


@query_check("offset-pagination")
def offset_pagination(ctx: QueryContext):
    for scope in ctx.facts.scopes:
        if scope.offset is None or _is_zero(scope.offset):
            continue
        if isinstance(scope.limit, exp.Literal) and scope.limit.this == "1":
            continue  # LIMIT 1 OFFSET n finds one boundary row (batching after a keyset bound), not a page
        if premises.counted_alongside(ctx, scope):
            continue  # the request counts the whole filtered set beside the page: OFFSET adds no more than that
        yield ctx.hit(
            scope.offset,
            f"OFFSET {scope.offset.sql(dialect='postgres')} pagination reads and discards every skipped row: "
            "page N costs N pages of work",
            help=keyset_help(scope),
            subject="offset",
        )


def keyset_help(scope: Scope) -> str:
    """The seek predicate that matches the ORDER BY, direction included (a row comparison when every key
    runs the same way, else spelled out), and the index: the query's equality columns, then the keys."""
    order = [k for k in scope.order_by if k.column] or None
    keys: list[tuple[str, bool]] = [(k.column, k.desc) for k in order if k.column] if order else [("id", False)]
    names = ", ".join(c for c, _ in keys)
    if len(keys) == 1:
        seek = f"{names} {'<' if keys[0][1] else '>'} :last_{names}"
    elif len({d for _, d in keys}) == 1:
        seek = f"({names}) {'<' if keys[0][1] else '>'} ({', '.join(':last_' + c for c, _ in keys)})"
    else:  # mixed directions: a row comparison cannot express it
        branches = []
        for i, (col, desc) in enumerate(keys):
            same = [f"{c} = :last_{c}" for c, _ in keys[:i]]
            branches.append("(" + " AND ".join([*same, f"{col} {'<' if desc else '>'} :last_{col}"]) + ")")
        seek = "(" + " OR ".join(branches) + ")"
    aliases = {k.alias for k in order} if order else set()
    equal = list(
        dict.fromkeys(
            p.column
            for p in scope.predicates
            if p.op == "eq"
            and p.clause == "where"
            and not p.in_or
            and not p.negated
            and not p.wrapped
            and p.alias in aliases
            and p.column
            and p.column not in {c for c, _ in keys}
        )
    )
    index = ", ".join(equal + [c + (" DESC" if d else "") for c, d in keys])
    order_sql = ", ".join(c + (" DESC" if d else "") for c, d in keys)
    tie = (
        "" if any(c == "id" for c, _ in keys) else f"; if ({names}) can repeat, end the keys with a unique column (id)"
    )
    return (
        f"use keyset pagination: remember the last row's ({names}) and ask for WHERE {seek} "
        f"ORDER BY {order_sql} LIMIT n (add the other conditions), backed by an index on ({index}){tie}"
    )


@query_check("limit-without-order-by")
def limit_without_order_by(ctx: QueryContext):
    for scope in ctx.facts.scopes:
        if scope.limit is None or scope.order_by or scope.kind != "select" or scope.in_exists:
            continue
        if scope.offset is None or _is_zero(scope.offset):
            continue  # a batch, a sample or a cap: any rows will do; only a page must follow the one before
        if premises.pins_unique_key(ctx, scope):
            continue  # a lookup by a primary or unique key yields one row at most
        node = scope.node
        if node.args.get("group") is None and any(
            isinstance(e, exp.AggFunc) or (isinstance(e, exp.Alias) and isinstance(e.this, exp.AggFunc))
            for e in node.expressions
        ):
            continue  # an aggregate without GROUP BY yields one row
        yield ctx.hit(
            scope.limit,
            f"LIMIT {scope.limit.sql(dialect='postgres')} OFFSET {scope.offset.sql(dialect='postgres')} without ORDER BY pages "
            "through rows in whatever order each run's plan meets them: pages overlap and rows are skipped",
            help="add an ORDER BY on a unique key (or the columns the pages follow, ending in one) so every "
            "page continues the one before",
            subject="limit",
        )


def _projects_constants(node: exp.Expression) -> bool:
    return all(
        isinstance(e, exp.Literal) or (isinstance(e, exp.Alias) and isinstance(e.this, exp.Literal))
        for e in node.expressions
    )


# --- unsafe statements --------------------------------------------------------------


def _constant_true(where: exp.Expression | None) -> bool:
    if where is None:
        return True
    cond = where.this
    while isinstance(cond, exp.Paren):
        cond = cond.this
    if isinstance(cond, exp.Boolean):
        return cond.this is True
    if isinstance(cond, exp.EQ) and isinstance(cond.this, exp.Literal) and isinstance(cond.expression, exp.Literal):
        return cond.this.this == cond.expression.this
    return False


def _statements(ctx: QueryContext, kind: type) -> list[exp.Expression]:
    """Every UPDATE or DELETE node: each is a scope of the facts, so no search of the tree."""
    return [scope.node for scope in ctx.facts.scopes if isinstance(scope.node, kind)]


@query_check("update-without-where")
def update_without_where(ctx: QueryContext):
    for node in _statements(ctx, exp.Update):
        if _constant_true(node.args.get("where")) and not node.args.get("from_") and not node.args.get("from"):
            if premises.whole_table_write(ctx, node.this) is not None or premises.unknown_sketch(ctx, node.this):
                continue
            if premises.filtered_alongside(ctx, node):
                continue  # the everything-case beside a filtered UPDATE of the same table
            table = node.this.sql(dialect="postgres")
            yield ctx.hit(
                node.this,
                f"UPDATE {table} has no WHERE clause: it rewrites every row of the table",
                withheld=premises.withheld(ctx, node.this),
                help="add a WHERE clause; if every row really must change, say so with a comment and "
                "`advisor: ignore update-without-where`, and batch it to keep locks and WAL small",
                subject=table,
            )


@query_check("delete-without-where")
def delete_without_where(ctx: QueryContext):
    for node in _statements(ctx, exp.Delete):
        if _constant_true(node.args.get("where")) and not node.args.get("using"):
            if premises.whole_table_write(ctx, node.this) is not None or premises.unknown_sketch(ctx, node.this):
                continue
            if premises.filtered_alongside(ctx, node):
                continue  # the everything-case beside a filtered DELETE of the same table
            table = node.this.sql(dialect="postgres")
            yield ctx.hit(
                node.this,
                f"DELETE FROM {table} has no WHERE clause: it deletes every row of the table",
                withheld=premises.withheld(ctx, node.this),
                help="add a WHERE clause; to empty a table on purpose use TRUNCATE, which is faster and explicit",
                subject=table,
            )


@query_check("insert-without-columns")
def insert_without_columns(ctx: QueryContext):
    for node in ctx.facts.find(exp.Insert):
        target = node.this
        if isinstance(target, exp.Schema) or node.args.get("default") or not isinstance(target, exp.Table):
            continue  # a column list, or MERGE's WHEN NOT MATCHED THEN INSERT (cols) with no table of its own
        if is_placeholder(fold(target)) or is_catalog(fold(target), target.db or None):
            continue  # a table named at run time, or a catalog whose column order is documented
        known = ctx.schema.table(fold(target))
        if known is not None and known.temporary:
            continue  # a scratch table the code creates itself: its columns are in the order it wrote them
        table = target.sql(dialect="postgres")
        yield ctx.hit(
            target,
            f"INSERT INTO {table} without a column list depends on the table's column order",
            help=f"name the columns: INSERT INTO {table} (col_a, col_b, ...) VALUES (...); the statement then "
            "survives added or reordered columns",
            subject=table,
        )


# --- joins -------------------------------------------------------------------------


def _components(nodes: list[str], edges: list[tuple[str, str]]) -> list[set[str]]:
    """The connected groups of `nodes` (union-find: a query has a handful of tables, no graph
    library is worth importing for it)."""
    parent = {n: n for n in nodes}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in edges:
        parent[root(a)] = root(b)
    groups: dict[str, set[str]] = {}
    for n in nodes:
        groups.setdefault(root(n), set()).add(n)
    return list(groups.values())


@query_check("cartesian-join")
def cartesian_join(ctx: QueryContext):
    if not ctx.query.complete:
        return  # the code adds to the text later (`sql += " and pc.child_name = ds.name"`): its join may be there
    for scope in ctx.facts.scopes:
        tables = [a for a in scope.sources if premises.many_rows(ctx, scope, a)]
        if len(tables) < 2:
            continue
        if any(p.alias is None for p in scope.predicates):
            continue  # a column that could belong to either side may be the join condition: stay silent
        aliases = list(scope.sources) + sorted(scope.derived)
        edges = [(e.left[0], e.right[0]) for e in scope.joins if e.left[0] in aliases and e.right[0] in aliases]
        for group in scope.cross_joins:  # explicit CROSS JOIN or LATERAL: intended
            edges += [(alias, other) for alias in group for other in aliases]
        components = [c for c in _components(aliases, edges) if c & set(tables)]
        if len(components) < 2:
            continue  # what is left unconnected is a CTE, subquery, function or a single row
        groups = " × ".join(
            "{" + ", ".join(sorted(scope.sources[a] for a in c if a in scope.sources)) + "}"
            for c in sorted(components, key=lambda c: sorted(c))
        )
        yield ctx.hit(
            scope.node.args.get("from_") or scope.node,
            f"no join condition connects {groups}: every row of one is paired with every row of the other",
            help="add the join predicate (JOIN ... ON a.id = b.a_id); if the product is intended, write CROSS JOIN",
            subject=groups,
        )


# --- SQL built from strings (host language) ---------------------------------------------


@source_check("sql-string-building")
def sql_string_building(source: SourceFile):
    if not source.string_built:
        return
    from advisor.facts import interpolation

    tree = None
    if source.path.endswith((".py", ".pyi")):
        from advisor.facts.python_parse import parse_python

        code = source.text[1:] if source.text.startswith("\ufeff") else source.text
        tree = parse_python(code, source.path).tree  # the extractor's own parse (advisor.sources.python), cached
        if tree is None:
            return  # extraction reported it
    lines = source.text.splitlines(keepends=True)
    for built in source.string_built:
        if oneoff.runs_once(built.location.path):
            continue  # a migration step or an operator's script: it splices the operator's data, no caller's
        if tree is not None:
            pieces = interpolation.python_pieces(tree, source.text, built.location, source.python_files)
        else:
            segment, offset = premises.segment(lines, built.location)
            pieces = interpolation.js_pieces(segment, source.text, offset, source.path, source.js_files)
        names = {p.text for p in pieces or () if p.as_name}  # `WHERE %s NOT IN (SELECT min(%s) ...)` % (rowid, rowid)
        risky = (
            [p for p in pieces or () if interpolation.reportable(p) and p.text not in names]
            if pieces is not None
            else None
        )
        if risky == []:
            continue  # constants, identifiers, numbers, placeholders or fragments chosen from literals
        what = f" ({', '.join(list(dict.fromkeys(p.text for p in risky))[:3])})" if risky else ""  # each value once
        yield Hit(
            f"SQL built with {built.how} and passed to {built.call}(): values{what} become part of the statement "
            "(SQL injection) and every call is a new statement to plan",
            built.location,
            help=(
                'pass values as parameters: cursor.execute("... WHERE id = %s", (value,)); '
                "for identifiers use psycopg.sql.Identifier"
                if tree is not None
                else "pass values as parameters: client.query('... WHERE id = $1', [value]) (knex: "
                "db.raw('... = ?', [value])); for identifiers, a name checked against a fixed list or "
                "escaped for its double quotes"
            ),
            subject=f"{built.call}:{built.how}",
        )
