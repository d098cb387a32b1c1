"""What the MongoDB rules share: how a query is named and located in a hit, the parts of its filters and
pipeline, and the premises several rules check before they speak (a handful of documents pinned by a unique
key, one owner's documents, a read with no bound)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from advisor import oneoff
from advisor.checks import Hit
from advisor.ir import IndexDef, Location, Schema
from advisor.mongo.candidates import index_fields
from advisor.mongo.filters import FilterInfo, Pred, analyse_filter
from advisor.mongo.indexes import indexes_named
from advisor.mongo.shape import MULTI_READ_OPS, ONE_DOCUMENT_OPS, MongoQuery, Placeholder


def indexes_for(schema: Schema, query: MongoQuery) -> tuple[list[IndexDef], str]:
    """The Mongo indexes of the query's collection, and the collection's name as the indexes spell it."""
    return indexes_named(schema, query.collection, query.model)


def fields_text(keys: list[tuple[str, int]]) -> str:
    return "{ " + ", ".join(f"{k}: {d}" for k, d in keys) + " }"


def operation_text(query: MongoQuery) -> str:
    return f"{query.collection}.{query.operation}"


def query_hit(query: MongoQuery, message: str, location: Location, **kw: Any) -> Hit:
    kw.setdefault("query", query.text or None)
    kw.setdefault("query_location", query.location)
    return Hit(message, location, **kw)


def known_indexes(indexes: list[IndexDef]) -> str:
    if not indexes:
        return "no index is declared for it in the checked code"
    names = ", ".join(i.name for i in indexes[:6])
    more = f" and {len(indexes) - 6} more" if len(indexes) > 6 else ""
    return f"indexes: {names}{more}"


def walk(value: Any, path: tuple) -> Iterator[tuple[tuple, Any, Any]]:
    """Every (path, key, value) of dicts inside a value."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield path + (k,), k, v
            yield from walk(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, path + (i,))


def all_preds(info: FilterInfo) -> Iterator[Pred]:
    yield from info.preds
    for clauses in info.ors:
        for clause in clauses:
            yield from all_preds(clause)


def stage_of(stage: Any) -> tuple[str | None, Any]:
    if isinstance(stage, dict) and len(stage) == 1:
        name, spec = next(iter(stage.items()))
        return name, spec
    return None, None


def query_filters(query: MongoQuery) -> Iterator[tuple[Any, tuple]]:
    """Every filter the query applies: the find filter, and each $match of a pipeline."""
    if query.filter is not None:
        yield query.filter, ("filter",)
    if isinstance(query.pipeline, list):
        for i, stage in enumerate(query.pipeline):
            name, spec = stage_of(stage)
            if name == "$match":
                yield spec, ("pipeline", i, "$match")


def owner_lookup(info: FilterInfo, indexes: list[IndexDef]) -> bool:
    """An equality on the leading key of an index: the query reads one owner's documents (a user's
    mailboxes, a parent's children), which the index finds; what else it tests runs on those only."""
    leading = {index_fields(i)[0][0] for i in indexes if index_fields(i)} | {"_id"}
    return any(p.field in leading and p.kind in ("eq", "in") and p.value is not None for p in info.preds)


def pins_unique(info: FilterInfo, indexes: list[IndexDef]) -> bool:
    """Equalities (or $in lists) on every field of a unique index, or on _id: a handful of documents at most."""
    keyed = {p.field for p in info.preds if p.kind in ("eq", "in")}
    unique_keys = [
        [f for f, _ in index_fields(i)] for i in indexes if i.unique and not i.options.get("partialFilterExpression")
    ] + [["_id"]]
    return any(all(f in keyed for f in keys) for keys in unique_keys)


def unbounded(query: MongoQuery, indexes: list[IndexDef]) -> bool:
    """A find that may return a whole collection's worth of documents into memory at once."""
    if (
        query.operation not in MULTI_READ_OPS
        or query.limit is not None
        or query.explained
        or query.source == "shape"
        or query.streamed
        or (query.whole and oneoff.returns_all(query.scope))  # `getAllRoles`: every document is its contract
    ):
        return False
    info = analyse_filter(query.filter)
    if info.unknown or query.sketch or owner_lookup(info, indexes) or one_value(info):
        return False
    listed = {p.field for p in info.preds if p.kind == "in"}  # as many as the caller's list
    return not listed and not pins_unique(info, indexes)


def one_value(info: FilterInfo) -> bool:
    """An equality on a value known only at run time (`{ clientId: client.id }`): the documents of one owner,
    one parent, one key -- as many as that value has, not however many the collection grows to (whether an
    index finds them is collection-scan's question). A constant (`status: 'queued'`, `state: JOB_RUNNING`) is
    one value many documents share: not an owner."""
    return any(p.kind == "eq" and isinstance(p.value, Placeholder) and not fixed_value(p.value) for p in info.preds)


def fixed_value(value: Any) -> bool:
    """A value the code writes: a literal, a list of them, or a constant by its upper-case name."""
    if isinstance(value, (list, tuple)):
        return all(fixed_value(v) for v in value)
    if isinstance(value, Placeholder):
        return bool(re.fullmatch(r"(?:[\w$]+\.)*[A-Z][A-Z0-9_]*", value.text))
    return isinstance(value, (str, int, float, bool)) or value is None


def owner_documents(query: MongoQuery, info: FilterInfo, leads: set[str]) -> bool:
    """One owner's documents read whole: a leading index key is equal to a value known only at run time (a
    user id, a parent id: one owner among many, so a handful of documents), or in a list the caller gives (the
    documents of those keys), and no limit or skip pages over them. A constant (`status: 'queued'`) is one
    value shared by many documents, not an owner. A pipeline's first $match is read the same way, when no
    $limit or $skip stage pages over what it keeps."""
    if query.is_aggregate:
        stages = query.pipeline if isinstance(query.pipeline, list) else []
        if any(stage_of(s)[0] in ("$limit", "$skip") for s in stages):
            return False
    elif query.limit is not None or query.skip is not None or query.operation not in MULTI_READ_OPS:
        return False
    return any(p.field in leads and p.kind in ("eq", "in") and run_time_value(p.value) for p in info.preds)


def run_time_value(value: Any) -> bool:
    """A value (or list) known only at run time, not a constant the code names (`STATE_RUNNING`)."""
    return isinstance(value, Placeholder) and not fixed_value(value)


# a field that names one entity among many (`user`, `userId`, `owner_id`, `courseid`, `orderingKey`): the
# documents equal to one value of it are that entity's, a handful, where a state's (`queue`, `status`) are many
ENTITY_KEY = re.compile(
    r"(?:^|_)ids?$|[a-z0-9](?:Id|ID|Ids|IDs|Key|Uuid|UUID)$|^[a-z]{2,}id$"
    r"|^(?:user|username|owner|author|account|wallet|member|customer)$"
)


def entity_documents(query: MongoQuery, info: FilterInfo, leads: set[str]) -> bool:
    """A leading index key that names an entity: in a list of keys the caller gives (`_id: { $in: ids }`, those
    entities' documents, as many as the list however the query pages), or equal to a value known only at run
    time where the query takes one document (`findOne`, `limit(1)`: the first of one entity's few). A page of
    one entity's documents (`limit(50)`, `skip`) says the code expects more than a page: judged as usual."""
    one = not query.is_aggregate and (query.operation in ONE_DOCUMENT_OPS or query.limit == 1)
    return any(
        p.field in leads
        and (p.kind == "in" or (p.kind == "eq" and one))
        and run_time_value(p.value)
        and ENTITY_KEY.search(p.field.split(".")[-1])
        for p in info.preds
    )
