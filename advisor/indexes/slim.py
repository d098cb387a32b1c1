"""Step 5b of advisor/indexes/select.py: each index the cost-based elimination kept, only as wide
as its width pays for.

A merged or composite index can carry columns that buy nothing: a trailing key column after the
one that already finds the rows (TPC-H Q20's lineitem(l_partkey, l_suppkey, l_shipdate): the
plan costs the same on (l_partkey, l_suppkey)), INCLUDE columns for an index-only scan the plan
hardly needs.  They cost bytes -- more than their own width when they make every key unique,
since btree deduplication then stores each row's key apart (lineitem(l_orderkey) 7.5 MB,
lineitem(l_orderkey, l_shipdate) 12.9 MB on the same rows).

So every narrower *variant* of a kept index -- a prefix of its keys, with or without its
INCLUDE columns -- is built in its place on the seeded data (a savepoint, rolled back), its
size measured (deduplication counted), and the queries the index serves re-planned with it.
A widening (a variant to a wider one) is then weighed as if it were an index of its own, by the
set's own rule: it must save, over the queries it serves, the threshold plus the surcharge for
the bytes it adds,

    pays(s -> w)  iff  sum over q of (cost_s(q) - cost_w(q)) / cost_s(q)
                       >= threshold * (1 + (size(w) - size(s)) / size(table))

and the index kept is the smallest variant that no wider one pays over (`narrowest`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from advisor.indexes.verify import build

if TYPE_CHECKING:
    from advisor.indexes.candidates import Candidate
    from advisor.indexes.select import Choice


MAX_INCLUDE = 4  # a merged index carries at most this many INCLUDE columns: wider, it is a copy of the table


def variants(c: Candidate) -> list[Candidate]:
    """The narrower btree indexes that may serve what c serves: each prefix of its keys, with its
    INCLUDE columns and without them (c itself not among them)."""
    if c.method != "btree" or not all(k.is_column for k in c.keys):
        return []  # an expression's statistics belong to its index: a variant would be planned without them
    out: list[Candidate] = []
    for n in range(len(c.keys), 0, -1):
        for include in dict.fromkeys((c.include, ())):
            v = replace(c, keys=c.keys[:n], include=include)
            if v != c and v not in out:
                out.append(v)
    return out


def merged(a: Candidate, b: Candidate) -> Candidate | None:
    """One btree index standing for two that lead with the same column: b's keys, a's other columns
    carried as INCLUDE (TPC-H's lineitem(l_partkey, l_quantity) and lineitem(l_partkey, l_suppkey):
    lineitem(l_partkey, l_suppkey) INCLUDE (l_quantity), one 18 MB index for the pair's 24 MB).
    None when they differ in table, predicate or leading key, a key is an expression, b already
    carries every column of a (a is one of its variants), or it would carry more than MAX_INCLUDE."""
    if not (
        a.table == b.table
        and a.method == b.method == "btree"
        and (a.where, a.opclass) == (b.where, b.opclass)
        and a.keys[:1] == b.keys[:1]
        and all(k.is_column for k in a.keys + b.keys)
    ):
        return None
    have = {k.expr for k in b.keys} | set(b.include)
    extra = [x for x in dict.fromkeys([k.expr for k in a.keys[1:]] + list(a.include)) if x not in have]
    if not extra or len(b.include) + len(extra) > MAX_INCLUDE:
        return None
    return replace(b, include=tuple(sorted((*b.include, *extra))), reason="merged")


def pays(narrow: dict, wide: dict, added_bytes: int, table_bytes: int, threshold: float, floor: float = 0.0) -> bool:
    """Does the widening from costs `narrow` to `wide` (query -> planned cost) save what an index of
    `added_bytes` must?  A query the narrower index makes cheaper than `floor` (the min_cost below which
    a query is cheap already) gains nothing that matters from the wider one."""
    saved = sum(
        max(0.0, narrow[q] - wide[q]) / narrow[q] for q in narrow if q in wide and narrow[q] > 0 and narrow[q] >= floor
    )
    return saved >= threshold * (1 + max(0, added_bytes) / table_bytes if table_bytes else 1)


def narrowest(
    sizes: dict[Candidate, int],
    costs: dict[Candidate, dict],
    tables: dict[str, int],
    threshold: float,
    floor: float = 0.0,
):
    """The smallest candidate (`sizes`: bytes; `costs`: candidate -> {query: cost}; `tables`: bytes of
    each table) that no candidate at least as large pays over (its added bytes weighed against its
    own table; `floor`: see `pays`); on equal sizes the one with fewer columns first."""

    def width(v: Candidate) -> tuple[int, int]:
        return sizes[v], len(v.keys) + len(v.include)

    order = sorted(sizes, key=width)
    for s in order:
        if not any(
            pays(costs[s], costs[w], sizes[w] - sizes[s], tables.get(w.table, 0), threshold, floor)
            for w in order
            if w is not s and width(w) >= width(s)
        ):
            return s
    return order[-1]


def slim(
    conn,
    kept: list[Choice],
    names: dict[int, str],
    threshold: float,
    after: dict,
    without: dict,
    plan: Callable[[list], dict],
    floor: float = 0.0,
) -> bool:
    """Each index of `kept` (built in the caller's transaction under names[id(choice)]) replaced by its
    `narrowest` variant, for good in that transaction; True if any was.  after / without[id(choice)]:
    query key -> (cost, indexes used) with the set / the set minus that index; plan(keys) -> the
    same for those queries, as the database is now.  A variant must still earn its own bar over
    the queries it serves (`without`), and is never an index the set already has."""
    changed = False
    for ch in kept:
        name, short = names[id(ch)], names[id(ch)].rsplit(".", 1)[-1]
        served = [k for k, (_, used) in after.items() if short in used]
        others = {o.candidate for o in kept if o is not ch}
        options = [v for v in variants(ch.candidate) if v not in others]
        own = {replace(r.best.candidate, reason="") for r in ch.queries if r.best is not None}
        if replace(ch.candidate, reason="") in own:  # a query's own narrowest (advisor/explain/advise.py): its
            continue  # prefixes were measured against it already; only what the merge widened is looked at again
        if not served or not options or not ch.table_bytes:
            continue
        sizes = {ch.candidate: ch.size_bytes or 0}
        costs = {ch.candidate: {k: after[k][0] for k in served}}
        for v in options:
            built = _in_place(conn, v, name, served, plan)
            if built is None:
                continue
            size, planned = built
            alone = sum(
                max(0.0, without[id(ch)][k][0] - c) / without[id(ch)][k][0]
                for k, c in planned.items()
                if without[id(ch)][k][0] > 0
            )
            if alone >= threshold * (1 + size / ch.table_bytes):
                sizes[v], costs[v] = size, planned
        best = narrowest(sizes, costs, {ch.candidate.table: ch.table_bytes}, threshold, floor)
        if best != ch.candidate:
            conn.execute(f"DROP INDEX {name}")
            ch.build_ms, ch.size_bytes = build(conn, best, name)
            ch.candidate = best
            changed = True
    return changed


def _in_place(conn, v: Candidate, name: str, served: list, plan: Callable[[list], dict]) -> tuple[int, dict] | None:
    """Variant v built in place of the index `name` (a savepoint, rolled back): its size and the served
    queries' costs with it; None when the database refuses it."""
    import psycopg

    try:
        with conn.transaction(force_rollback=True):
            conn.execute(f"DROP INDEX {name}")
            size = build(conn, v, name)[1]
            return size, {k: cost for k, (cost, _) in plan(served).items()}
    except psycopg.Error:
        return None
