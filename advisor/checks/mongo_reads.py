"""MongoDB rules on how much a read returns or walks: whole documents, no limit, skips."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from advisor.checks import Hit
from advisor.checks.mongo_premises import fixed_value, operation_text, owner_documents, query_hit, stage_of, unbounded
from advisor.ir import IndexDef
from advisor.mongo.candidates import index_fields
from advisor.mongo.filters import analyse_filter
from advisor.mongo.shape import MULTI_READ_OPS, SINGLE_READ_OPS, MongoQuery, Placeholder, format_value

SKIP_PAGINATION_LIMIT = 1000


def missing_projection(query: MongoQuery, indexes: list[IndexDef]) -> Iterator[Hit]:
    """Whole documents fetched where the code visibly reads only a few fields of them."""
    if (
        query.projection is not None
        or query.is_aggregate
        or query.explained
        or query.source == "shape"
        or query.whole
        or not query.used
        or unbounded(query, indexes)
    ):
        return  # whole by design, fields unknown, or unbounded-find speaks for this call (one per call)
    many = query.operation in MULTI_READ_OPS
    if owner_documents(query, analyse_filter(query.filter), {f[0][0] for f in map(index_fields, indexes) if f}):
        return  # a handful of documents: their size is not where the time goes
    if not many and not (query.operation in SINGLE_READ_OPS and query.lean):
        return
    what = "every matching document in full" if many else "the whole document"
    fields = ", ".join(query.used)
    spec = "{ " + ", ".join(f"{k}: 1" for k in query.used) + " }"
    fix = f".select('{' '.join(query.used)}')" if not query.driver else f"{{ projection: {spec} }}"
    yield query_hit(
        query,
        f"{operation_text(query)} returns {what}, but the code reads only {fields}",
        query.location,
        help=f"fetch only those fields: {fix}; smaller documents cross the network, and an index on them "
        "can cover the query",
        fix=fix,
        subject=f"{query.collection}:{query.operation}:{fields}",
    )


def unbounded_find(query: MongoQuery, indexes: list[IndexDef]) -> Iterator[Hit]:
    if not unbounded(query, indexes):
        return
    whole = " in full" if query.projection is None and not query.whole else ""
    yield query_hit(
        query,
        f"{operation_text(query)} has no limit: it returns every matching document{whole}, "
        "however many the collection grows to",
        query.location,
        help="add .limit(n) (with a sort on an indexed field for stable pages), or stream with a cursor "
        "when the caller really needs them all" + ("; name the fields the code uses in a projection" if whole else ""),
        subject=f"{query.collection}:{format_value(query.filter)}",
    )


def _skips(query: MongoQuery) -> Iterator[tuple[str, tuple, bool]]:
    """The skips a caller of this code does not choose: (as written, where, paged: a limit bounds what follows)."""
    skips: list[tuple[Any, tuple, bool]] = []
    if query.skip is not None:
        skips.append((query.skip, ("skip",), query.limit is not None))
    if isinstance(query.pipeline, list):
        for i, stage in enumerate(query.pipeline):
            name, spec = stage_of(stage)
            if name == "$skip":
                later = [stage_of(s)[0] for s in query.pipeline[i + 1 :]]
                skips.append((spec, ("pipeline", i), "$limit" in later))
    for value, path, paged in skips:
        dynamic = isinstance(value, Placeholder)
        if dynamic and passed_through(value.text, query.params):
            continue  # the offset is the caller's (a library's skip/start argument): the finding belongs there
        if dynamic and (fixed_value(value) or _OPTION.search(value.text or "")):
            continue  # a count the deployment fixes (`this.options.maxSnapshotsCount`): the walk is bounded by it
        if not dynamic and not (isinstance(value, (int, float)) and value > SKIP_PAGINATION_LIMIT):
            continue
        yield (value.text if isinstance(value, Placeholder) and value.text else format_value(value)), path, paged


def skip_pagination(query: MongoQuery) -> Iterator[Hit]:
    for shown, path, paged in _skips(query):
        if paged:
            yield query_hit(
                query,
                f"{operation_text(query)} pages with skip({shown}): the server still walks and discards every "
                "skipped document, so page n costs n pages of reads",
                query.at(*path),
                help="paginate by range on the sort key instead: remember the last value seen and query "
                "{ sortKey: { $lt: last } } with the same sort and a limit",
                subject=f"{query.collection}:skip",
            )


def skip_without_limit(query: MongoQuery) -> Iterator[Hit]:
    for shown, path, paged in _skips(query):
        if not paged:
            yield query_hit(
                query,
                f"{operation_text(query)} skips {shown} documents and reads the rest of the match: every call walks and "
                "discards the skipped ones, however many the match grows to",
                query.at(*path),
                help="to read the last documents, sort the other way and limit (then reverse in the code); to read "
                "what follows a point, query from its sort key: { sortKey: { $gt: last } }",
                subject=f"{query.collection}:skip-all",
            )


# a setting read as it is (`this.options.maxSnapshotsCount`, `config.KEEP`, `settings.keep_last`), no arithmetic
_OPTION = re.compile(r"^(?:[\w$]+\.)*(?:options|opts|config|conf|settings|cfg)\.[\w$]+$")


def passed_through(text: str, params: tuple) -> bool:
    """`skip`, `opts.skip`, `params.start ? params.start : 0`, `opts.skip ?? 0` (also as TypeScript compiles
    it: `(_b = opts.skip) !== null && _b !== void 0 ? _b : 0`): a parameter of the function, unchanged."""

    def param(part: str) -> bool:
        m = re.fullmatch(r"([A-Za-z_$][\w$]*)(?:\.[A-Za-z_$][\w$]*)*", part.strip())
        return m is not None and m.group(1) in params

    text = text or ""
    compiled = re.fullmatch(
        r"\(\s*(\w+)\s*=\s*([^()]+)\)\s*!==\s*null\s*&&\s*\1\s*!==\s*void 0\s*\?\s*\1\s*:\s*\d+\s*", text
    )
    defaulted = re.fullmatch(r"(.+?)\s*(?:\?\?|\|\|)\s*\d+\s*", text)
    m = re.fullmatch(r"[^?]+\?([^:]+):\s*(\d+)\s*", text)
    part = compiled.group(2) if compiled else defaulted.group(1) if defaulted else m.group(1) if m else text
    return param(part)
