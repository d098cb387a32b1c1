"""What a SQL statement does, per scope and per table.

One walk over the tree produces the facts every rule reads: the tables of each
SELECT/UPDATE/DELETE scope with their aliases, each predicate (which column,
which operator, what the column is wrapped in, what it is compared with), the
join edges, ORDER BY, GROUP BY, LIMIT/OFFSET and the projection.  Rules look
these up instead of walking the tree again.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import cast

from sqlglot import exp

from advisor.ir import Schema
from advisor.names import fold

COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ)
RANGE_OPS = (exp.GT, exp.GTE, exp.LT, exp.LTE)
SCOPE_NODES = (exp.Select, exp.Update, exp.Delete)
CATALOG_SCHEMAS = {"pg_catalog", "information_schema"}
# the schemas common extensions keep their own catalogs in (pg_partman's partman.part_config, pg_cron's
# cron.job, TimescaleDB's, PostGIS topology's): CREATE EXTENSION makes those tables, not the project's DDL
EXTENSION_SCHEMAS = {
    "partman",
    "cron",
    "timescaledb_information",
    "_timescaledb_catalog",
    "_timescaledb_config",
    "topology",
    "pglogical",
}


def is_placeholder(name: str) -> bool:
    """A name extraction put where the source had an unknown piece (`__advisor_param`, `____`)."""
    return name.startswith("__advisor") or (bool(name) and set(name) == {"_"})


def parameterised(node: exp.Expression) -> bool:
    """An expression with a bound parameter in it (`expiration_ts_ms - $1`): no index can be built on it,
    since its value changes with every call."""
    return any(
        isinstance(n, (exp.Placeholder, exp.Parameter)) or (isinstance(n, exp.Column) and is_placeholder(n.name))
        for n in node.walk()
    )


# SQLite's catalogs: code that supports both databases reads them on its SQLite path (synapse)
SQLITE_CATALOGS = {"sqlite_master", "sqlite_schema", "sqlite_sequence", "sqlite_temp_master"}


def is_catalog(table: str, schema: str | None = None) -> bool:
    """A system catalog or statistics view (pg_class, pg_stat_activity, information_schema.tables, SQLite's
    sqlite_master), or an extension's own table (partman.part_config): not an application table, so no index,
    star or join advice applies to it."""
    name = table.lower()
    within = (schema or "").lower()
    return within in CATALOG_SCHEMAS or within in EXTENSION_SCHEMAS or name.startswith("pg_") or name in SQLITE_CATALOGS


@dataclass
class Predicate:
    """One condition on a column of one table."""

    alias: str | None  # the name the query uses for the table
    table: str | None  # the real table, when known
    column: str  # column name (lower case)
    op: str  # eq, in, range, like, isnull, join, neq, other
    node: exp.Expression  # the whole condition
    column_node: exp.Column
    side: exp.Expression  # the column side as written: the column, or what wraps it
    value: exp.Expression | None  # the other side
    clause: str  # where, on, having
    in_or: bool = False
    negated: bool = False

    @property
    def wrapped(self) -> bool:
        """The column is inside a function, cast or arithmetic: no plain index can serve it."""
        return self.side is not self.column_node

    @property
    def leading_wildcard(self) -> bool:
        """A LIKE whose pattern is known to start with a wildcard (`'%x'`, `'%' || $1`): no B-tree serves it.
        A pattern the caller passes (`LIKE $1`) may be a prefix (`'abc%'`), which one does: not known."""
        pattern = _pattern_text(self.value) if self.op == "like" else None
        if pattern is not None and _FORMAT_FIELD.fullmatch(pattern):
            return False  # `name like '%s'` in a text `%` fills: the field the value goes in, not a wildcard
        return pattern is not None and pattern[:1] in ("%", "_")


_FORMAT_FIELD = re.compile(r"%(?:\(\w+\))?[sdr]")  # Python's `%s`, `%(name)s`: a value the code puts there


def _pattern_text(value: exp.Expression | None) -> str | None:
    """The text a pattern starts with, as far as the statement says: a literal's, or a `||` chain's first
    literal (None: not known)."""
    if isinstance(value, exp.Literal) and value.is_string:
        return value.this
    if isinstance(value, exp.DPipe):
        left = _pattern_text(value.this)
        return left if left is not None else ("%" if _pattern_text(value.expression) is None else None)
    return None


@dataclass
class JoinEdge:
    left: tuple[str, str]  # (alias, column)
    right: tuple[str, str]
    node: exp.Expression


@dataclass
class OrderKey:
    alias: str | None
    table: str | None
    column: str | None  # None when the key is an expression
    desc: bool
    node: exp.Expression


@dataclass
class Scope:
    kind: str  # select, update, delete
    node: exp.Expression
    sources: dict[str, str] = field(default_factory=dict)  # alias -> table, real tables only
    derived: set[str] = field(default_factory=set)  # aliases of subqueries, CTEs, functions, catalogs
    cross_joins: set[frozenset[str]] = field(default_factory=set)  # explicit CROSS JOIN / LATERAL pairs
    predicates: list[Predicate] = field(default_factory=list)
    joins: list[JoinEdge] = field(default_factory=list)
    ors: list[exp.Or] = field(default_factory=list)  # OR nodes of WHERE, top level of a conjunct
    order_by: list[OrderKey] = field(default_factory=list)
    group_by: list[exp.Expression] = field(default_factory=list)
    limit: exp.Expression | None = None
    offset: exp.Expression | None = None
    stars: list[exp.Expression] = field(default_factory=list)
    in_exists: bool = False
    has_where: bool = False
    parent: Scope | None = None
    catalogs: set[str] = field(default_factory=set)  # aliases of system catalogs (also in derived)
    using: dict[str, list[str]] = field(default_factory=dict)  # JOIN ... USING column -> aliases it merges
    # lookups by alias, made once the scope is read (a statement of thousands of joins asks of each alias)
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def table_of(self, alias: str | None) -> str | None:
        scope: Scope | None = self
        while scope is not None and alias is not None:
            if alias in scope.sources:
                return scope.sources[alias]
            scope = scope.parent
        return None

    def predicates_on(self, alias: str) -> list[Predicate]:
        return self._by_alias("predicates", lambda: ((p.alias, p) for p in self.predicates)).get(alias, [])[:]

    def joins_of(self, alias: str) -> list[exp.Join]:
        """The JOIN clauses that bring in this alias (its ON, its side)."""
        joins = self.node.args.get("joins") or []
        return self._by_alias("joins", lambda: (((j.this.alias_or_name or "").lower(), j) for j in joins)).get(
            alias, []
        )[:]

    def _by_alias(self, what: str, pairs) -> dict:
        """alias -> its items of `what`, grouped once (again if the scope has grown since: while it is built)."""
        size = len(self.predicates), len(self.node.args.get("joins") or [])
        kept = self.memo.get(what)
        if kept is None or kept[0] != size:
            grouped: dict = {}
            for alias, item in pairs():
                grouped.setdefault(alias, []).append(item)
            kept = self.memo[what] = (size, grouped)
        return kept[1]

    def owns(self, column: exp.Column, alias: str, schema: Schema | None) -> bool:
        """Whether `column` is certainly a column of `alias`'s table: qualified by that alias, or unqualified
        where PostgreSQL resolves it there -- the schema shows the table has it and it is the scope's one relation,
        or no other relation of the scope has a column of that name (a derived relation's or an unknown table's
        columns are not known: then it is not certain)."""
        if column.table:
            return column.table.lower() == alias
        known = schema.table(self.sources[alias]) if schema is not None and alias in self.sources else None
        name = column.name.lower()
        if known is None or name not in known.columns:
            return False
        if len(self.sources) + len(self.derived) == 1:
            return True
        if self.derived or schema is None:
            return False
        others = [schema.table(t) for a, t in self.sources.items() if a != alias]
        return all(o is not None and name not in o.columns for o in others)


@dataclass
class QueryFacts:
    tree: exp.Expression
    scopes: list[Scope]
    ctes: set[str]
    preorder: list[exp.Expression] = field(default_factory=list)  # every node, in tree order

    def find(self, *types: type) -> list[exp.Expression]:
        """Nodes of these classes (or subclasses), in tree order: rules use this, not another walk.

        A scan of the one list: as fast as nodes bucketed by class for the few finds of a statement,
        and one list per statement, not one per class, for the garbage collector to traverse."""
        return [n for n in self.preorder if isinstance(n, types)]

    @property
    def kind(self) -> str:
        return type(self.tree).__name__.lower()


# --- building ---------------------------------------------------------------


def _unparen(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


_NESTED_QUERIES = (exp.Select, exp.Subquery, exp.Union, exp.Except, exp.Intersect)
_SET_PARTS = (exp.Union, exp.Except, exp.Intersect, exp.Subquery, exp.Paren)  # what a query is a branch of


def columns_in(root: exp.Expression | None) -> list[exp.Column]:
    """The columns under root that belong to its scope (not those of nested queries), in the
    order of a walk that visits the last child first."""
    found: list[exp.Column] = []
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            found.append(node)
        stack.extend(child for child in node.iter_expressions() if not isinstance(child, _NESTED_QUERIES))
    return found


def conjuncts(node: exp.Expression) -> list[exp.Expression]:
    return _flatten(node, exp.And)


def _flatten(node: exp.Expression, kind: type) -> list[exp.Expression]:
    """The operands of a chain of AND (or OR), in order. A loop, not recursion: a thousand
    terms make a tree a thousand levels deep."""
    out, stack = [], [node]
    while stack:
        node = _unparen(stack.pop())
        if isinstance(node, kind):
            stack += [node.expression, node.this]
        else:
            out.append(node)
    return out


def disjuncts(node: exp.Expression) -> list[exp.Expression]:
    return _flatten(node, exp.Or)


def _alias(source: exp.Expression) -> str:
    if not isinstance(source, exp.Expression):
        return ""  # sqlglot leaves odd values in some slots of broken statements
    alias = source.args.get("alias")
    if isinstance(alias, exp.TableAlias) and alias.this is not None:
        return fold(alias.this)
    if isinstance(source, exp.Table):
        return fold(source)
    return (source.alias_or_name or "").lower()


def _scope_above(
    node: exp.Expression, above: dict[int, tuple[exp.Expression | None, bool]]
) -> tuple[exp.Expression | None, bool]:
    """The nearest SELECT/UPDATE/DELETE above the node, and whether an EXISTS lies between them.

    Remembered for every node passed on the way up (`above`), so each node is climbed through once:
    the N SELECTs of a chain of N UNIONs, a tree N levels deep, cost N steps, not N * N."""
    path = []
    ancestor = node.parent
    outer: exp.Expression | None = None
    in_exists = False
    while ancestor is not None:
        if isinstance(ancestor, SCOPE_NODES):
            outer = ancestor
            break
        known = above.get(id(ancestor))
        if known is not None:
            outer, in_exists = known[0], known[1] or isinstance(ancestor, exp.Exists)
            break
        path.append(ancestor)
        ancestor = ancestor.parent
    for step in reversed(path):  # from the top down: what lies above each step
        above[id(step)] = (outer, in_exists)
        in_exists = in_exists or isinstance(step, exp.Exists)
    return outer, in_exists


class _Builder:
    def __init__(self, tree: exp.Expression, schema: Schema | None):
        self.tree = tree
        self.schema = schema
        self.ctes: set[str] = set()
        self.scopes: list[Scope] = []
        self._aliases: dict[tuple[int, int], str | None] = {}  # (scope, column) ids -> alias
        self._outside: dict[int, exp.Expression] = {}  # node id -> _outside_set(node)
        self._natural: dict[int, list[exp.Expression]] = {}  # NATURAL JOIN's id -> the columns it joins on

    def build(self) -> QueryFacts:
        facts = QueryFacts(self.tree, self.scopes, self.ctes, cast(list[exp.Expression], list(self.tree.dfs())))
        self.ctes.update(_alias(c) for c in facts.find(exp.CTE))  # before the scopes: a CTE is no table
        by_node: dict[int, Scope] = {}
        above: dict[int, tuple[exp.Expression | None, bool]] = {}
        for node in facts.find(*SCOPE_NODES):  # in tree order: an enclosing scope before the ones inside it
            outer, in_exists = _scope_above(node, above)
            parent = by_node.get(id(outer)) if outer is not None else None
            if outer is not None and parent is None:  # parent links out of tree order: walk up as before
                parent, in_exists = self._enclosing_scope(node, by_node)
            elif parent is not None:
                in_exists = in_exists or parent.in_exists
            scope = by_node[id(node)] = self._scope(node, parent, in_exists)
            self.scopes.append(scope)
        return facts

    @staticmethod
    def _enclosing_scope(node: exp.Expression, by_node: dict[int, Scope]) -> tuple[Scope | None, bool]:
        """The scope of the nearest enclosing SELECT/UPDATE/DELETE, and whether an EXISTS encloses the node."""
        ancestor = node.parent
        in_exists = False
        while ancestor is not None:
            scope = by_node.get(id(ancestor))
            if scope is not None:
                return scope, in_exists or scope.in_exists
            in_exists = in_exists or isinstance(ancestor, exp.Exists)
            ancestor = ancestor.parent
        return None, in_exists

    # -- one scope -------------------------------------------------------------

    def _scope(self, node: exp.Expression, parent: Scope | None, in_exists: bool) -> Scope:
        kind = type(node).__name__.lower()
        scope = Scope(kind=kind, node=node, in_exists=in_exists, parent=parent)
        self._sources(scope)
        where = node.args.get("where")
        scope.has_where = where is not None
        if where is not None:
            self._condition(scope, where.this, "where")
        for join in node.args.get("joins") or []:
            on = join.args.get("on")
            if on is not None:
                self._condition(scope, on, "on")
            using = join.args.get("using") or self._natural.get(id(join))
            if using:
                self._using(scope, join, using)
        having = node.args.get("having")
        if having is not None:
            self._condition(scope, having.this, "having")
        self._order(scope, node.args.get("order"))
        group = node.args.get("group")
        if group is not None:
            scope.group_by = list(group.expressions)
        scope.limit = self._limit_value(node.args.get("limit"))
        offset = node.args.get("offset")
        scope.offset = offset.expression if offset is not None else None
        if scope.offset is None and isinstance(node.args.get("limit"), exp.Limit):
            scope.offset = node.args["limit"].args.get("offset")
        if isinstance(node, exp.Select):
            for projection in node.expressions:
                target = projection.this if isinstance(projection, exp.Alias) else projection
                if isinstance(target, exp.Star) or (
                    isinstance(target, exp.Column) and isinstance(target.this, exp.Star)
                ):
                    scope.stars.append(target)
        return scope

    @staticmethod
    def _limit_value(limit: exp.Expression | None) -> exp.Expression | None:
        if limit is None:
            return None
        if isinstance(limit, (exp.Limit, exp.Fetch)):
            return limit.expression if limit.expression is not None else limit.args.get("count")
        return limit

    def _sources(self, scope: Scope) -> None:
        node = scope.node
        tables: list[tuple[exp.Expression, exp.Join | None]] = []
        if isinstance(node, exp.Select):
            from_ = node.args.get("from_") or node.args.get("from")
            if from_ is not None:
                tables.append((from_.this, None))
        elif isinstance(node, (exp.Update, exp.Delete)):
            tables.append((node.this, None))
            from_ = node.args.get("from_") or node.args.get("from")
            if from_ is not None:
                tables.append((from_.this, None))
            for using in node.args.get("using") or []:
                tables.append((using, None))
        for join in node.args.get("joins") or []:
            tables.append((join.this, join))
        for source, join in tables:
            if not isinstance(source, exp.Expression):
                continue
            alias = _alias(source)
            if join is not None and (join.args.get("method") or "").upper() == "NATURAL":
                self._natural_columns(scope, join, source)
            for ident in (join.args.get("using") or self._natural.get(id(join)) or []) if join is not None else []:
                merged = scope.using.get(fold(ident))
                if merged is None:
                    owner = self._owner(scope, alias, ident)
                    merged = scope.using[fold(ident)] = [] if owner is None else [owner]
                merged.append(alias)
            table = fold(source) if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier) else None
            if table is not None and is_placeholder(table):
                table = None  # an unknown piece of a statement built at run time: nothing is known of it
            if table is not None and is_catalog(table, source.args.get("db") and source.text("db")):
                scope.catalogs.add(alias or table)
                table = None  # a catalog or statistics view: as little a table of the application as a subquery
            if table is not None and table not in self.ctes:
                scope.sources[alias or table] = table
            else:
                scope.derived.add(alias)
            if join is not None:
                kind = (join.args.get("kind") or "").upper()
                lateral = (
                    isinstance(source, exp.Lateral)
                    or not isinstance(source, exp.Table)
                    or isinstance(source.this, exp.Anonymous)
                )
                if kind == "CROSS" or lateral or (join.args.get("method") and id(join) not in self._natural):
                    scope.cross_joins.add(frozenset((alias,)))

    def _natural_columns(self, scope: Scope, join: exp.Join, source: exp.Expression) -> None:
        """A NATURAL JOIN joins on the columns its table shares with the tables before it, as USING would: known
        when the schema describes them all (no subquery or unknown table among them)."""
        if self.schema is None or not isinstance(source, exp.Table) or scope.derived:
            return
        right = self.schema.table(fold(source))
        before = [self.schema.table(t) for t in scope.sources.values()]
        if right is None or not before or any(t is None for t in before):
            return
        earlier = {c for t in before if t is not None for c in t.columns}
        shared = [c for c in right.columns if c in earlier]
        if shared:
            self._natural[id(join)] = [exp.to_identifier(c) for c in shared]

    def _alias_for(self, scope: Scope, column: exp.Column) -> str | None:
        """Memoised: a predicate's column is resolved again when the predicate is recorded."""
        key = (id(scope), id(column))
        if key not in self._aliases:
            self._aliases[key] = self._resolve_alias(scope, column)
        return self._aliases[key]

    def _resolve_alias(self, scope: Scope, column: exp.Column) -> str | None:
        qualifier = fold(column.args["table"]) if column.table else None
        if qualifier:
            return qualifier
        if self.schema:
            outer = self._outer_owner(scope, fold(column))
            if outer is not None:
                return outer
        names = list(scope.sources) + sorted(scope.derived)
        if len(names) == 1:
            return names[0]
        if self.schema:
            owners = [a for a, t in scope.sources.items() if self.schema.column_type(t, column.name)]
            if len(owners) == 1:
                return owners[0]
        return None

    def _owners(self, scope: Scope, name: str) -> list[str] | None:
        """The aliases of this scope's tables that the schema says have the column.  None when none
        does but a source could (a subquery, CTE or function, a table the schema does not describe)."""
        if self.schema is None:
            return None
        owners, unknown = [], bool(scope.derived)
        for alias, table in scope.sources.items():
            tdef = self.schema.table(table)
            if tdef is None or not tdef.columns:
                unknown = True
            elif name in tdef.columns:
                owners.append(alias)
        return None if unknown and not owners else owners

    def _outer_owner(self, scope: Scope, name: str) -> str | None:
        """The alias of an enclosing query's table an unqualified column belongs to, when the schema says
        none of this scope's tables has it: a correlated reference (`... FROM lineitem WHERE p_partkey =
        l_partkey` inside a query on part).  None whenever the schema leaves any doubt."""
        if self._owners(scope, name) != [] or name in self._output_names(scope):
            return None
        child, outer = scope, scope.parent
        while outer is not None:
            # a FROM subquery or CTE does not see the tables of the query it belongs to
            if outer.node is not self._hidden_container(child.node):
                owners = self._owners(outer, name)
                if owners is None or len(owners) > 1:
                    return None  # unknown, or ambiguous: leave the column as it was
                if owners:
                    return owners[0]
            child, outer = outer, outer.parent
        return None

    @staticmethod
    def _output_names(scope: Scope) -> set[str]:
        """Names the scope's select list defines: ORDER BY may use them as columns."""
        if not isinstance(scope.node, exp.Select):
            return set()
        return {
            fold(e.args["alias"])
            for e in scope.node.expressions
            if isinstance(e, exp.Alias) and e.args.get("alias") is not None
        }

    def _hidden_container(self, node: exp.Expression) -> exp.Expr | None:
        """The statement whose own tables a query cannot see: the one it is a CTE of, or the one whose
        FROM/JOIN holds it (unless LATERAL).  None for a subquery in a condition or the select list."""
        node = self._outside_set(node)
        parent = node.parent
        if isinstance(parent, exp.CTE):
            parent = parent.parent  # the With
            return parent.parent if parent is not None else None
        if isinstance(parent, (exp.From, exp.Join)):
            return parent.parent
        return None

    def _outside_set(self, node: exp.Expression) -> exp.Expression:
        """The node's highest ancestor through set operations, subqueries and parentheses (itself if none).
        Remembered for each node passed: asked per branch, a chain of N UNIONs was climbed N times."""
        path = []
        while id(node) not in self._outside and isinstance(node.parent, _SET_PARTS):
            path.append(node)
            node = node.parent
        top = self._outside.get(id(node), node)
        for step in path:
            self._outside[id(step)] = top
        return top

    def _using(self, scope: Scope, join: exp.Join, using: list[exp.Expression]) -> None:
        right = _alias(join.this)
        for ident in using:
            owner = self._owner(scope, right, ident)
            if owner is not None:
                scope.joins.append(JoinEdge((owner, fold(ident)), (right, fold(ident)), join))

    def _owner(self, scope: Scope, right: str | None, ident: exp.Expression) -> str | None:
        """The relation before `right` that a column its join names in USING is of: the one the schema says has
        it (`a JOIN b USING (x) JOIN c USING (y)`: y may be b's), else the first (of thousands of joins: not all
        of them listed), else a subquery's."""
        before = list(itertools.takewhile(lambda a: a != right, scope.sources))
        first = before[0] if before else min((a for a in scope.derived if a != right), default=None)
        if self.schema is None:
            return first
        return next((a for a in before if self.schema.column_type(scope.sources[a], fold(ident))), first)

    def _order(self, scope: Scope, order: exp.Expression | None) -> None:
        if order is None:
            return
        for ordered in order.expressions:
            target = _unparen(ordered.this)
            desc = bool(ordered.args.get("desc"))
            if isinstance(target, exp.Column):
                alias = self._alias_for(scope, target)
                scope.order_by.append(OrderKey(alias, scope.table_of(alias), fold(target), desc, ordered))
            else:
                scope.order_by.append(OrderKey(None, None, None, desc, ordered))

    # -- predicates -------------------------------------------------------------

    def _condition(self, scope: Scope, node: exp.Expression, clause: str, in_or: bool = False) -> None:
        for conjunct in conjuncts(node):
            if isinstance(conjunct, exp.Or):
                if clause == "where" and not in_or:
                    scope.ors.append(conjunct)
                for branch in disjuncts(conjunct):
                    self._condition(scope, branch, clause, in_or=True)
            else:
                self._atom(scope, conjunct, clause, in_or)

    def _atom(self, scope: Scope, node: exp.Expression, clause: str, in_or: bool, negated: bool = False) -> None:
        if isinstance(node, exp.Not):
            inner = _unparen(node.this)
            if isinstance(inner, (exp.And, exp.Or)):
                return  # NOT over a compound: too far from any index to model
            self._atom(scope, inner, clause, in_or, negated=not negated)
            return
        if isinstance(node, (exp.Like, exp.ILike, exp.In)) and node.args.get("negate"):
            negated = not negated  # sqlglot writes `a NOT LIKE b` / `NOT ILIKE` as Like(negate=True)
        if isinstance(node, COMPARISONS):
            self._comparison(scope, node, node.this, node.expression, clause, in_or, negated)
        elif isinstance(node, exp.In):
            op = "neq" if negated else "in"
            self._single(scope, node, node.this, None, op, clause, in_or, negated)
        elif isinstance(node, exp.Between):
            self._single(scope, node, node.this, node.args.get("low"), "range", clause, in_or, negated)
        elif isinstance(node, (exp.Like, exp.ILike)):
            self._single(scope, node, node.this, node.expression, "like", clause, in_or, negated)
        elif isinstance(node, exp.Is):
            negated = negated != bool(node.args.get("negate"))  # sqlglot reads `IS NOT NULL` as Is(negate=True)
            op = "isnull" if isinstance(node.expression, exp.Null) and not negated else "other"
            self._single(scope, node, node.this, node.expression, op, clause, in_or, negated)
        elif isinstance(node, exp.Column):
            self._single(scope, node, node, None, "eq", clause, in_or, negated)  # WHERE is_active

    def _comparison(self, scope, node, left, right, clause, in_or, negated) -> None:
        left_cols, right_cols = columns_in(left), columns_in(right)
        left_aliases = {self._alias_for(scope, c) for c in left_cols}
        right_aliases = {self._alias_for(scope, c) for c in right_cols}
        if left_cols and right_cols and left_aliases != right_aliases:
            lhs, rhs = _unparen(left), _unparen(right)
            if isinstance(node, exp.EQ) and isinstance(lhs, exp.Column) and isinstance(rhs, exp.Column):
                la, ra = self._alias_for(scope, lhs), self._alias_for(scope, rhs)
                if la and ra:
                    scope.joins.append(JoinEdge((la, fold(lhs)), (ra, fold(rhs)), node))
            elif len(left_aliases | right_aliases) >= 2:
                aliases = sorted(a for a in left_aliases | right_aliases if a)
                for other in aliases[1:]:
                    scope.joins.append(JoinEdge((aliases[0], ""), (other, ""), node))
            # each side is also a predicate on its own table: a join column to index,
            # or a wrapped column that function-on-column reports.  With a schema, a column
            # compared with a column of an enclosing query (correlated subquery) is an equality:
            # the other side is a value fixed per outer row, as `= $1` would be
            op = "join" if isinstance(node, exp.EQ) and not negated else self._op(node, negated)
            for side, value, own, theirs, columns in (
                (left, right, left_aliases, right_aliases, left_cols),
                (right, left, right_aliases, left_aliases, right_cols),
            ):
                side_op = op
                if op == "join" and self.schema and self._local(scope, own) and self._enclosing(scope, theirs):
                    side_op = "eq"  # compared with a column of an enclosing query: a value fixed per outer row
                self._add(scope, node, side, value, side_op, clause, in_or, negated, columns)
            return
        if left_cols:
            self._add(scope, node, left, right, self._op(node, negated), clause, in_or, negated, left_cols)
        elif right_cols:
            self._add(
                scope, node, right, left, self._op(node, negated, flipped=True), clause, in_or, negated, right_cols
            )

    def _same_type(self, table: str | None, column: exp.Column, target: exp.Expression) -> bool:
        if not self.schema or table is None or not isinstance(target, exp.DataType):
            return False
        column_type = self.schema.column_type(table, fold(column))
        return column_type is not None and column_type != "" and _cast_changes_nothing(column_type, target)

    @staticmethod
    def _local(scope: Scope, aliases: set[str | None]) -> bool:
        return all(a is not None and (a in scope.sources or a in scope.derived) for a in aliases)

    @staticmethod
    def _enclosing(scope: Scope, aliases: set[str | None]) -> bool:
        """Every alias names a table of an enclosing query (none of this scope's own)."""
        for alias in aliases:
            if alias is None or alias in scope.sources or alias in scope.derived:
                return False
            outer = scope.parent
            while outer is not None and alias not in outer.sources and alias not in outer.derived:
                outer = outer.parent
            if outer is None:
                return False
        return True

    @staticmethod
    def _op(node: exp.Expression, negated: bool, flipped: bool = False) -> str:
        if isinstance(node, (exp.EQ, exp.NullSafeEQ)):
            return "neq" if negated else "eq"
        if isinstance(node, (exp.NEQ, exp.NullSafeNEQ)):
            return "eq" if negated else "neq"
        if isinstance(node, RANGE_OPS):
            return "range"
        return "other"

    def _single(self, scope, node, side, value, op, clause, in_or, negated) -> None:
        self._add(scope, node, side, value, op, clause, in_or, negated, columns_in(side))

    def _add(self, scope, node, side, value, op, clause, in_or, negated, columns) -> None:
        """Record a predicate on the first of `columns` (those of `side`); none: no predicate."""
        if not columns:
            return
        side = _unparen(side)
        if (
            isinstance(side, exp.Tuple)
            and len(columns) > 1
            and all(isinstance(e, exp.Column) for e in side.expressions)
        ):
            # (a, b) IN (...) / (a, b) < ($1, $2): row values a composite index on (a, b) serves
            for column in side.expressions:
                self._add(scope, node, column, value, op, clause, in_or, negated, [column])
            return
        column = columns[0]
        if is_placeholder(fold(column)):
            return  # a column name the code fills in at run time: no rule can speak about it
        alias = self._alias_for(scope, column)
        if alias is None and not column.table and fold(column) in scope.using:
            # JOIN ... USING (room_id): an unqualified room_id is the merged column, equal on every side
            for merged in scope.using[fold(column)]:
                scope.predicates.append(
                    Predicate(
                        merged,
                        scope.table_of(merged),
                        fold(column),
                        op,
                        node,
                        column,
                        side,
                        value,
                        clause,
                        in_or,
                        negated,
                    )
                )
            return
        if (
            isinstance(side, exp.Cast)
            and side.this is column
            and self._same_type(scope.table_of(alias), column, side.to)
        ):
            side = column  # a cast to the column's own type changes nothing: its index still serves
        side = text_already(side) or side
        scope.predicates.append(
            Predicate(alias, scope.table_of(alias), fold(column), op, node, column, side, value, clause, in_or, negated)
        )


def passed_value(node) -> bool:
    """A value the code passes: a parameter, perhaps cast (`%s::interval`)."""
    while isinstance(node, exp.Paren | exp.Cast):
        node = node.this
    return isinstance(node, exp.Placeholder | exp.Parameter)


def clock_value(node) -> bool:
    """The time the statement runs at: `now()`, `CURRENT_TIMESTAMP`, `clock_timestamp()`... (also AT TIME ZONE)."""
    if isinstance(node, exp.AtTimeZone):
        node = node.this
    return isinstance(node, (exp.CurrentTimestamp, exp.CurrentDate)) or (
        isinstance(node, exp.Anonymous)
        and node.name.lower() in ("now", "clock_timestamp", "statement_timestamp", "transaction_timestamp")
    )


def text_already(node: exp.Expression) -> exp.Expression | None:
    """What a cast to text wraps when that is text already (`(data ->> 'uid')::text`: `->>` gives text, so
    PostgreSQL drops the cast and an index on `data ->> 'uid'` serves it); None for any other node."""
    if not isinstance(node, (exp.Cast, exp.TryCast)) or not node.to.is_type("text") or node.to.expressions:
        return None
    inner = _unparen(node.this)
    return inner if isinstance(inner, (exp.JSONExtractScalar, exp.JSONBExtractScalar)) else None


_SAME_TYPE = {
    "bigserial": "bigint",
    "serial": "int",
    "smallserial": "smallint",
    "integer": "int",
    "int4": "int",
    "int8": "bigint",
    "int2": "smallint",
    "timestamp with time zone": "timestamptz",
    "character varying": "varchar",
    "bool": "boolean",
}
_BINARY_COERCIBLE = {("varchar", "text")}  # same operator class: the index on the column serves the cast


def _type_key(name: str) -> str:
    name = name.lower().strip()
    return _SAME_TYPE.get(name, name)


def _cast_changes_nothing(column_type: str, target: exp.DataType) -> bool:
    if target.expressions:  # a length or precision: a coercion function, not a relabelling
        return False
    written = (
        target.this.value.lower() if isinstance(target.this, exp.DataType.Type) else target.sql("postgres").lower()
    )
    have, want = _type_key(column_type.split("(")[0]), _type_key(written)
    return have == want or (have, want) in _BINARY_COERCIBLE


_FACTS: dict[tuple[int, int], tuple[exp.Expression, Schema | None, QueryFacts]] = {}
_FACTS_SIZE = 4096  # as parse_sql's cache: one entry per statement of a large project


def build_facts(tree: exp.Expression, schema: Schema | None = None) -> QueryFacts:
    """The facts of one parsed statement under one schema.

    Cached per (tree, schema) object: parse_sql hands out one tree per statement text, so the
    static rules and the EXPLAIN stage (run_workload, the interactive session) share one build.
    Facts point into the tree (rules compare nodes by identity), hence the tree as key, not the
    text.  Facts are read-only to their users, and a schema is not changed once built.
    """
    key = (id(tree), id(schema))
    cached = _FACTS.get(key)
    if cached is not None and cached[0] is tree and cached[1] is schema:
        return cached[2]
    facts = _Builder(tree, schema).build()
    if len(_FACTS) >= _FACTS_SIZE:
        del _FACTS[next(iter(_FACTS))]  # the oldest entry; the entries hold tree and schema, so ids stay unique
    _FACTS[key] = (tree, schema, facts)
    return facts
