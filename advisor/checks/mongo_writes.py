"""MongoDB rules on what a write relies on: an upsert's key."""

from __future__ import annotations

from collections.abc import Iterator

from advisor.checks import Hit
from advisor.checks.mongo_premises import fields_text, operation_text, query_hit
from advisor.ir import IndexDef
from advisor.mongo.candidates import index_fields
from advisor.mongo.filters import analyse_filter
from advisor.mongo.indexes import describe_index
from advisor.mongo.shape import MongoQuery


def upsert_not_unique(query: MongoQuery, indexes: list[IndexDef]) -> Iterator[Hit]:
    """An upsert whose filter is equalities on exactly the fields of an index that is not unique, and no unique
    index holds those fields: the code treats them as the document's key (it writes the document of that key,
    and reads by it through the index) but nothing makes them one. Two calls that both find no document both
    insert (MongoDB's manual: upsert only on a uniquely indexed filter)."""
    if not query.upsert or query.sketch or not isinstance(query.filter, dict) or not query.filter:
        return
    info = analyse_filter(query.filter)
    if info.unknown or info.ors or info.special or any(p.kind != "eq" for p in info.preds):
        return  # a range or a choice: several documents may match by design, or what it inserts is unclear
    keyed = {p.field for p in info.preds}
    if "_id" in keyed or len(keyed) != len(info.preds):
        return
    if any(_unique(i) and _fields(i) and (set(_fields(i)) <= keyed or set(_fields(i)) >= keyed) for i in indexes):
        return  # unique on some of the fields, or on all of them and more (a tenant the caller also fixes)
    plain = next((i for i in indexes if _plain(i) and set(_fields(i)) == keyed), None)
    if plain is None:
        return  # no index on the key: what the reads of it cost is the planner rules' to say
    keys = [(f, 1) for f in _fields(plain)]
    yield query_hit(
        query,
        f"{operation_text(query)} upserts the document of {{ {', '.join(sorted(keyed))} }}, and its index "
        f"{describe_index(plain)} is not unique: two calls that both find none both insert one, and every later "
        "read by that key may get either",
        query.location,
        help=f"declare the index unique ({fields_text(keys)}, {{ unique: true }}): MongoDB then refuses the second "
        "insert and retries the upsert as an update (4.2+). Remove any duplicates already stored first, or the "
        "unique build fails",
        subject=f"{query.collection}:{','.join(sorted(keyed))}",
    )


def _fields(index: IndexDef) -> list[str]:
    return [f for f, _ in index_fields(index)]


def _unique(index: IndexDef) -> bool:
    return index.unique or index.primary


def _plain(index: IndexDef) -> bool:
    """A non-unique index on every document (not partial, not sparse) with ordinary keys."""
    o = index.options
    return (
        not _unique(index)
        and not o.get("partialFilterExpression")
        and not o.get("sparse")
        and all(isinstance(d, int) for _, d in index_fields(index))
    )
