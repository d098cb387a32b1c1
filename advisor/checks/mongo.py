"""MongoDB rules: what each query shape makes the server do, and what to change.

Each rule is registered here with `mongo_check` and sees a `MongoContext`; `check_query` runs
them on one `MongoQuery` under the rules' guard.  The rule bodies live by what they read:
`mongo_filters` (what a filter tests), `mongo_reads` (how much a read returns), `mongo_writes`
(what a write relies on), `mongo_pipeline` (a pipeline's stages), `mongo_planned` (the static
planner's choice), over `mongo_premises` (what they share).  index-option-conflict is a schema check over every
Mongo index, and unique-prefix one over them and the project's queries (`mongo_declared`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from advisor import catalogue, oneoff
from advisor.checks import Hit, mongo_check, project_check, run_rules
from advisor.checks.mongo_declared import unique_prefix
from advisor.checks.mongo_filters import negation_only, unanchored_regex, where_operator
from advisor.checks.mongo_pipeline import lookup_unindexed, match_not_first
from advisor.checks.mongo_planned import planner_rules
from advisor.checks.mongo_premises import indexes_for, unbounded
from advisor.checks.mongo_reads import missing_projection, skip_pagination, skip_without_limit, unbounded_find
from advisor.checks.mongo_writes import upsert_not_unique
from advisor.ir import IndexDef, Schema
from advisor.mongo.filters import analyse_filter
from advisor.mongo.indexes import UNREAD, unread_named
from advisor.mongo.shape import MongoQuery
from advisor.sources.mongo_names import IMPORTED, run_time, unnamed

PLANNED = ("collection-scan", "in-memory-sort", "esr-order", "or-unindexed")


@dataclass(frozen=True)
class MongoContext:
    """What a MongoDB rule sees: the query (named as its indexes name its collection), the schema,
    and the indexes of its collection."""

    query: MongoQuery
    schema: Schema
    indexes: list[IndexDef]
    collection: str

    @classmethod
    def of(cls, query: MongoQuery, schema: Schema) -> MongoContext:
        indexes, coll = indexes_for(schema, query)
        if coll != query.collection:  # name it as its indexes do (the model's collection option)
            query = replace(query, collection=coll)
        return cls(query, schema, indexes, coll)

    @cached_property
    def unread(self) -> bool:
        """Some index of the collection has keys advisor could not read, which may serve this query: no planner
        claim either way. Fields spread into a schema from elsewhere index only fields of their own: not one the
        schema writes after them, so not a query that tests and sorts only such fields."""
        used = self._fields_used()
        return any(
            not i.options.get("spread")
            or used is None
            or not all(any(u == n or u.startswith(n + ".") for n in i.options.get("not_fields", ())) for u in used)
            for i in unread_named(self.schema, self.collection, self.query.model)
        )

    def _fields_used(self) -> set[str] | None:
        """The fields the query tests or sorts on, when its filter and sort are known whole."""
        q = self.query
        if q.is_aggregate or q.sketch:
            return None
        info = analyse_filter(q.filter)
        if info.unknown or info.ors or info.special:
            return None
        if q.sort is not None and not isinstance(q.sort, dict):
            return None
        return set(info.fields()) | set(q.sort or {})

    @cached_property
    def planner_hits(self) -> list[tuple[str, Hit]]:
        """The hits of the four rules that read the static planner's choice, planned once per query."""
        return list(planner_rules(self.query, self.indexes, self.collection, self.schema))

    def planned(self, name: str) -> list[Hit]:
        return [h for rule, h in self.planner_hits if rule == name]

    def served_elsewhere(self, name: str) -> IndexDef | None:
        """The first declaration on a collection advisor could not name (_elsewhere) that, were it
        this collection's, would leave the rule nothing to claim: then its claim is not certain."""
        tried: set[tuple] = set()
        for index in sorted(_elsewhere(self.schema, self.collection), key=_declared_at):
            same = (index.keys, index.where, repr(index.options))  # declared alike on many unnamed collections
            if same in tried:
                continue
            tried.add(same)
            indexes = [*self.indexes, replace(index, table=self.collection)]
            if not any(rule == name for rule, _ in planner_rules(self.query, indexes, self.collection, self.schema)):
                return index
        return None


def _elsewhere(schema: Schema, collection: str) -> list[IndexDef]:
    """The declarations, with keys advisor read, on a collection it could not name, other than this one: a
    `db[name].create_index("id")` whose name only the run knows, or the one a class is given and advisor could not
    follow. Any of them may be on this collection, so a claim that no index serves one of its queries is certain
    only if none of them would. Not a constant of another package: two such constants name two collections."""
    return [
        i
        for i in schema.indexes
        if i.method == "mongo" and i.table != collection and unnamed(i.table) and not IMPORTED.fullmatch(i.table)
    ]


def _declared_at(index: IndexDef) -> tuple[str, int]:
    return (index.location.path, index.location.line) if index.location is not None else ("", 0)


def check_query(query: Any, schema: Schema, enabled_name: Callable[[str], bool]) -> list[tuple[str, Hit]]:
    """(rule name, hit) of every enabled MongoDB rule on one query shape, under the rules' guard."""
    if not isinstance(query, MongoQuery):
        return []
    once = oneoff.off_workload(query.location.path, query.scope)
    ctx = MongoContext.of(query, schema)
    sized = catalogue.sized()  # the rules whose claim is the cost of reading many documents
    small = schema.small(ctx.collection)
    enabled = (lambda name: enabled_name(name) and name not in sized) if small else enabled_name
    hits = run_rules("mongo", ctx, query.location, enabled, once=once)
    for variant in query.variants:  # another filter the code may pass here: a claim must hold on it too
        if variant == {}:
            continue  # no filter (`query = {}` unless a branch sets one): reads everything by design, no index to want
        held = {name for name, _ in check_query(replace(query, filter=variant, variants=()), schema, enabled_name)}
        hits = [(name, hit) for name, hit in hits if name in held]
    if not schema.grows(ctx.collection):  # a claim on the size of a collection advisor knows nothing of: the note's
        for name, hit in hits:
            if name in sized:
                hit.unsized = ctx.collection
    return hits


def _planned_rule(name: str):
    """A rule read from the static planner's choice; silent where no index declaration of the
    collection was seen (undeclared_collections says so, once per project), and its claim kept back where
    some declaration's keys could not be read (the incomplete-schema note names the declaration)."""

    def rule(ctx: MongoContext) -> list[Hit]:
        if ctx.unread:
            hits = ctx.planned(name)
            for hit in hits:
                hit.withheld = ctx.collection
            return hits
        hits = ctx.planned(name) if ctx.indexes else []
        maybe = ctx.served_elsewhere(name) if hits else None
        if maybe is not None:
            for hit in hits:
                hit.withheld, hit.withheld_at = ctx.collection, maybe.location
        return hits

    return rule


mongo_check("where-operator")(lambda ctx: where_operator(ctx.query, ctx.indexes))
mongo_check("unanchored-regex")(lambda ctx: unanchored_regex(ctx.query, ctx.indexes))
mongo_check("negation-only")(lambda ctx: negation_only(ctx.query, ctx.indexes))
mongo_check("missing-projection")(lambda ctx: missing_projection(ctx.query, ctx.indexes))
mongo_check("unbounded-find")(lambda ctx: unbounded_find(ctx.query, ctx.indexes))
mongo_check("skip-pagination")(lambda ctx: skip_pagination(ctx.query))
mongo_check("skip-without-limit")(lambda ctx: skip_without_limit(ctx.query))
mongo_check("match-not-first")(lambda ctx: match_not_first(ctx.query, ctx.indexes))
mongo_check("lookup-unindexed")(lambda ctx: lookup_unindexed(ctx.query, ctx.schema))
mongo_check("upsert-not-unique")(lambda ctx: [] if ctx.unread else upsert_not_unique(ctx.query, ctx.indexes))
for _name in PLANNED:
    mongo_check(_name)(_planned_rule(_name))


# --- collections without index declarations --------------------------------------------------------


project_check("unique-prefix")(lambda project: unique_prefix(project.schema, project.other_queries))


@project_check("no-index-declarations")
def no_index_declarations(project: Any) -> Iterator[Hit]:
    return undeclared_collections(project.other_queries, project.schema)


def undeclared_collections(queries: Iterable[Any], schema: Schema) -> Iterator[Hit]:
    """One note per project naming each collection with no index declaration in the checked code and how
    many of its queries advisor cannot judge (the planner rules stay quiet on them rather than guess). It
    is about what advisor could not see, not about one query: one note, not one per collection."""
    unjudged: dict[str, list[MongoQuery]] = defaultdict(list)
    for query in queries:
        if (
            not isinstance(query, MongoQuery)
            or query.explained
            or oneoff.off_workload(query.location.path, query.scope)
        ):
            continue  # the planner rules are silent on code off the workload: nothing left unjudged there
        indexes, coll = indexes_for(schema, query)
        if indexes or unread_named(schema, coll, query.model) or schema.small(coll):
            continue
        named = replace(query, collection=coll)
        if any(True for _ in planner_rules(named, [], coll, schema)):
            unjudged[coll].append(query)
    if not unjudged:
        return
    firsts = {
        coll: min(qs, key=lambda q: (q.location.path, q.location.line, q.location.col)) for coll, qs in unjudged.items()
    }
    order = sorted(unjudged, key=lambda c: (firsts[c].location.path, firsts[c].location.line, c))
    listed = [
        f"{c} ({_held(c)}{_count(len(unjudged[c]))}, first at {firsts[c].location.path}:{firsts[c].location.line})"
        for c in order[:8]
    ]
    more = f" and {len(order) - 8} more" if len(order) > 8 else ""
    # the collections the project's queries name: a declaration on another may be a class's given collection's
    queried = {indexes_for(schema, q)[1] for q in queries if isinstance(q, MongoQuery)}
    unnamed_elsewhere = _unnamed_declarations(schema, set(order), queried)
    # at the first of those queries, preferring one no other rule speaks about (one finding per location)
    first = min(firsts.values(), key=lambda q: (unbounded(q, []), q.location.path, q.location.line, q.location.col))
    if len(order) == 1:
        n = len(unjudged[order[0]])
        held = f" ({_unnamed_text(order[0])})" if unnamed(order[0]) else ""
        message = (
            f"advisor found no index declaration for the {order[0]} collection{held}, so it cannot tell whether "
            + (
                f"this query on {order[0]} scans"
                if n == 1
                else f"this and {n - 1} other {_queries(n - 1)} on {order[0]} scan"
            )
            + " the collection"
            + unnamed_elsewhere
        )
    else:
        message = (
            f"advisor found no index declaration for {len(order)} collections, so it cannot tell whether "
            # counted: the queries a plan would be judged on (a filter it reads whole), not every query it read
            f"their queries scan them and stayed silent on the ones it could otherwise judge: {'; '.join(listed)}"
            f"{more}{unnamed_elsewhere}"
        )
    yield Hit(
        message,
        first.location,
        help="check the code that declares the indexes together with this code (the repository root, or the "
        "folder with an advisor.toml); advisor reads createIndex / createIndexes / ensureIndex calls, "
        "mongoose schema.index() and index: true / unique: true, pymongo create_index(es) and IndexModel, "
        "framework settings (eve, Reaction plugins) and index manifests (an indexes.yaml checked in beside the code)",
        subject="no-index-declarations:" + ",".join(sorted(order)),
    )


def _unnamed_text(collection: str) -> str:
    """What an unnamed collection is, as a note says it."""
    if IMPORTED.fullmatch(collection):
        return "a collection a constant of another package names, whose text advisor could not read"
    return "a collection its class is given, which advisor could not name"


def _held(collection: str) -> str:
    return f"{_unnamed_text(collection)}: " if unnamed(collection) else ""


def _unnamed_declarations(schema: Schema, listed: set[str], queried: set[str]) -> str:
    """Index declarations on collections advisor could not name may be the listed collections': said, so the
    note never reads as "none is declared" where some are (`self._collection.create_indexes(...)` on a collection
    the class is given; `db[name].create_index(keys)` with keys it could not read either). So may those on a
    collection no query names, when a listed one is a collection a class is given (`this.jobModel`, the model
    another module makes from a schema whose indexes stand under its collection's name)."""
    given = any(unnamed(c) for c in listed)
    where: dict[tuple[str, str], str] = {}
    n = 0  # the declarations: one call may declare several (`create_indexes([IndexModel(...), ...])`)
    for ix in schema.indexes:
        elsewhere = unnamed(ix.table) or (given and ix.table not in queried and not ix.table.startswith("system."))
        if ix.method in ("mongo", UNREAD) and elsewhere and ix.table not in listed and ix.location is not None:
            at = f"{ix.location.path}:{ix.location.line}"
            # a class's own collection is one wherever it is declared; `db[name]` is one per place: each loop or
            # function names its own (`<collection_name>` in three functions is three collections, or more)
            where.setdefault((ix.table, "" if not run_time(ix.table) else at), at)
            n += 1
    if not where:
        return ""
    # a class's own collection first (`Repo._collection`: most likely one a query elsewhere names), then by place
    ranked = sorted(((t, at) for (t, _), at in where.items()), key=lambda kv: (run_time(kv[0]), kv[1]))
    shown = "; ".join(f"{t} at {at}" for t, at in ranked[:3])
    what = (
        "collections advisor could not name"
        if all(unnamed(t) for t, _ in where)
        else ("collections advisor could not name or no query it read names")
    )
    return (
        f"; {n} index declaration{'s' if n > 1 else ''} stand{'' if n > 1 else 's'} on {what} ({shown}"
        f"{' and more' if len(where) > 3 else ''}), which may be some of these"
    )


def _count(n: int) -> str:
    return f"{n} {_queries(n)}"


def _queries(n: int) -> str:
    return "query" if n == 1 else "queries"
