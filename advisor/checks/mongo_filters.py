"""MongoDB rules on what a filter tests, read without the planner: server-side JavaScript, regular
expressions no index bounds, negations only."""

from __future__ import annotations

from collections.abc import Iterator

from advisor.checks import Hit
from advisor.checks.mongo_premises import (
    all_preds,
    operation_text,
    owner_lookup,
    pins_unique,
    query_filters,
    query_hit,
    walk,
)
from advisor.ir import IndexDef
from advisor.mongo.candidates import index_fields
from advisor.mongo.filters import analyse_filter
from advisor.mongo.patterns import runtime_anchored
from advisor.mongo.planner import plan_find
from advisor.mongo.shape import SINGLE_READ_OPS, MongoQuery, Placeholder, Regex, format_value, is_operator

DANGEROUS_OPS = {"$where", "$function", "$accumulator"}


def where_operator(query: MongoQuery, indexes: list[IndexDef]) -> Iterator[Hit]:
    roots = [(query.filter, ("filter",)), (query.pipeline, ("pipeline",))]
    for value, base in roots:
        if base == ("filter",) and isinstance(value, dict) and pins_unique(analyse_filter(value), indexes):
            continue  # beside `_id: id` (or every key of a unique index) it runs on that one document
        for path, key, _ in walk(value, base):
            if key in DANGEROUS_OPS:
                what = {
                    "$where": "runs a JavaScript function on every document",
                    "$function": "runs server-side JavaScript for every document",
                    "$accumulator": "runs server-side JavaScript for every document of every group",
                }[key]
                yield query_hit(
                    query,
                    f"{key} in {operation_text(query)} {what}: no index can serve it, and JavaScript "
                    "execution is slow and disabled on many deployments",
                    query.at(*path),
                    help="express the condition with query operators, or `$expr` with aggregation "
                    "operators (e.g. { $expr: { $gt: ['$spent', '$budget'] } })",
                    subject=f"{query.collection}:{key}",
                )


def unanchored_regex(query: MongoQuery, indexes: list[IndexDef]) -> Iterator[Hit]:
    if query.sketch:
        return  # a sketch of the filter: keys advisor could not read may narrow what the regex tests
    for flt, base in query_filters(query):
        info = analyse_filter(flt, base)
        if info.unknown or owner_lookup(info, indexes):
            continue  # the regex filters the documents an index already narrowed to (or may, unseen)
        for p in all_preds(info):
            if p.kind != "regex":
                continue
            rx = p.value if isinstance(p.value, Regex) else None
            if isinstance(p.value, Placeholder):
                if not runtime_anchored(p.value):
                    continue  # the caller's value matched anywhere (or at the end): a search no index order keeps
                shown = f"the pattern {format_value(p.value)}"
                why = "is case-insensitive, so an index cannot bound it even though it is anchored"
            elif rx is None:
                shown = format_value(p.value)
                why = "lists a regular expression in $in"
            elif not rx.anchored:
                shown = str(rx)
                why = "is not anchored with ^, so an index cannot bound it"
            else:
                shown = str(rx)
                why = "is case-insensitive, so an index cannot bound it even though it is anchored"
            yield query_hit(
                query,
                f"{operation_text(query)} filters {p.field} with {shown}, which {why}: every index key "
                "(or every document) is tested",
                query.at(*p.path),
                help=f"anchor the pattern (/^prefix/) and match case in the stored value (store a "
                f"lower-cased copy of {p.field}), or use a text / Atlas Search index for word search",
                subject=f"{query.collection}.{p.field}",
            )


def negation_only(query: MongoQuery, indexes: list[IndexDef]) -> Iterator[Hit]:
    if _walks_sorted_to_a_limit(query, indexes):
        return  # a negation matches nearly every entry: the walk in sort order stops at the first ones
    for flt, base in query_filters(query):
        if base[0] == "pipeline" and base[1] != 0:
            continue  # only the leading $match can use an index
        info = analyse_filter(flt, base)
        if info.unknown or info.ors or info.special or not info.preds or query.sketch:
            continue
        used = plan_find(None, None, indexes, info=info).candidate
        if used is not None and used.bounded:
            continue  # an index on the field bounds everything but the excluded values (a distinct on it
            # reads one key per value): the index does narrow the scan
        if all(p.negative for p in info.preds):
            p = info.preds[0]
            ops = ", ".join(sorted({str(k) for pr in info.preds for k in (pr.path[-1],) if is_operator(k)})) or "$ne"
            yield query_hit(
                query,
                f"{operation_text(query)} filters only with negation ({ops} on "
                f"{', '.join(pr.field for pr in info.preds)}): an index cannot narrow the scan, "
                "every other value matches",
                query.at(*p.path),
                help="add a positive condition (an equality or range on an indexed field), or list the "
                "wanted values with $in",
                subject=f"{query.collection}:{','.join(pr.field for pr in info.preds)}",
            )


def _walks_sorted_to_a_limit(query: MongoQuery, indexes: list[IndexDef]) -> bool:
    """One document or a limit, sorted by the leading key of a declared index: the server reads that index in
    order and stops once it has enough matches."""
    if query.is_aggregate or not isinstance(query.sort, dict) or not query.sort:
        return False
    if query.operation not in SINGLE_READ_OPS and query.limit is None:
        return False
    first = next(iter(query.sort))
    return any(index_fields(i) and index_fields(i)[0][0] == first for i in indexes)
