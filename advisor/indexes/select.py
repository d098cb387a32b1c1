"""One index set for the whole workload, weighed against its size.

1. Pool: the verified best candidate of every query whose own measurement passed
   the threshold.  Candidates one index can serve are merged (a candidate whose keys
   are a prefix of another's, same table, method and predicate, joins it, its INCLUDE
   columns added; so does one that shares the leading key and whose other keys are narrow
   columns, carried as INCLUDE: `merge`); those an existing index already covers go.
2. Build the pool together on the seeded data (one transaction, always rolled back),
   plan every query of the workload with the set (`after`), without any of it
   (`before`, the same statistics), and -- for each index, in a savepoint that drops
   it -- without that one index (`without`).
3. Each index's *benefit* is what the workload would lose without it, given the
   others, counted per query relative to that query's cost:

       benefit(i) = sum over queries q of (without_i(q) - after(q)) / without_i(q)

   so a query made 10x cheaper counts 0.9 whatever its absolute cost (one huge query
   does not drown the rest), and an index that only duplicates another counts ~0.
4. Size: an index must earn the per-query threshold plus a surcharge for its size
   relative to the table it is built on (heap size, partitions summed):

       keep i  iff  benefit(i) >= threshold * (1 + size(i) / size(table))

   An index half the size of its table must save 1.5x the threshold; a small
   single-column index on a wide table about the threshold.  Both ratios are unit-free,
   so the rule means the same on a few thousand seeded rows and on production data.
5. While some index fails its bar, the one furthest below it (lowest benefit / bar;
   on a tie the larger) is dropped for good and the rest re-measured: dropping one of
   two interchangeable indexes makes the other needed.
5b. An index the merge widened is made no wider than its width pays for (advisor/indexes/slim.py):
   each prefix of its keys, with and without its INCLUDE columns, is built in its place and its
   queries re-planned; a widening must save what an index of its extra bytes would have to.
   (A query's own candidate went through the same rule when it was chosen: advisor/explain/advise.py.)
5c. With a storage budget (`--max-size`; by default 25% of the heap of the tables the workload reads, and
   never less than the narrowest form of every index of the set) the set is over, it is chosen
   again under it, by planned cost saved per byte among its indexes, their narrower variants and the
   merges of two that lead with the same column (advisor/indexes/budget.py); then step 5, and steps 6-8
   on the set it leaves.  An index steps 6-8 leave out there spends none of the budget: it is left out
   with every option that comes from the same index of the set, and the set chosen again (the options
   kept built, each configuration's plans and the quick check's runs without the set reused).

The set chosen by cost is then timed: planner cost is an estimate, and a cheaper plan can run
slower (TPC-H Q7 and Q21 with lineitem(l_suppkey): a nested loop costed a third cheaper than the
hash join it replaces runs half as long again).

6. Every query the set changes (its plan uses an index of the set, or its cost moved)
   runs with EXPLAIN (ANALYZE), with the parameters the workload sampled for it
   (QueryRun.params; sampled here when the workload ran without --analyze), without the set (a
   savepoint drops it) and with it, in the same rolled-back transaction, under the statement
   timeout: planning + execution ms.  With --analyze, best of `repeat` (3) runs interleaved round
   by round, so the noise of a shared machine falls on both alike; a run cut by the timeout
   counts as taking at least the timeout; it and any run over 1 s are not repeated (nor is a
   query the workload's own --analyze run already saw cut, without the set).  Without it, the
   quick check (timing.checked): one run with the set, one without it cut at twice that; a query
   measurably slower with the set in that run is then run the `repeat` rounds too.
7. A query is *measurably slower* when it takes more than 20% longer, more than 5 ms longer
   and more than the noise measured on it (the widest spread between its repeated runs in
   one configuration): a decision taken on times is never one the noise could flip
   (`slower`).  For each such query, worst first, each index of the set its slower
   plan uses is tried: the queries whose plans use that index are timed without it (the
   set minus it).  The index is dropped iff without it the slow query is no longer slower
   than before the set, and no other of those queries is measurably slower than with
   the whole set (`restores`): it gives back no measured win.  Those times are then the
   new set's (queries not using the index keep their plans), and the regressions are
   looked at again.  A regression no drop fixes stays, with a WARNING in the migration.
   `settle` is that loop over plain numbers; costs and benefits are then re-planned for
   the set that is left (nothing more is eliminated by cost after timing).
8. An index none of whose queries ran measurably faster with the set (`idle`) is left out too: by
   cost it helps, by the clock it does not (TPC-H's lineitem(l_suppkey): a nested loop into it costed
   cheaper than the hash join for Q7 and Q21, and slower by 5-30% run after run, under the margins of
   step 7 in some runs).  The quick check first runs the queries of such an index best of `repeat`
   each way: one run is never the reason to leave an index out.  Its queries are counted at their
   time without the set.

The migration (advisor/indexes/migration.py) lists, per index, the queries it serves (every query whose plan uses it
with the final set) with their cost before (no new index) and after (the whole set) --
and with --analyze their measured time before and after --, the benefit and its bar,
and the index's size on the seeded data; then the indexes left out and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from advisor.indexes.budget import Fit, heap_bytes
from advisor.indexes.candidates import Candidate, regclass_text
from advisor.indexes.clock import Clocked, measure_set
from advisor.indexes.existing import ExistingIndex, covered_by_existing, droppable
from advisor.indexes.replan import SetPlans
from advisor.indexes.slim import MAX_INCLUDE, slim, variants
from advisor.indexes.timing import REPEAT, TimeDrop, Timing
from advisor.indexes.verify import analyze, build, relation_bytes

if TYPE_CHECKING:
    from advisor.explain.stage import Explainer, QueryRun
    from advisor.indexes.budget import MaxSize
    from advisor.ir import Schema


@dataclass
class Served:
    """One query an index of the final set serves."""

    run: QueryRun
    cost_before: float  # no new index
    cost_after: float  # with the whole chosen set
    cost_without: float  # with the chosen set minus this index
    timing: Timing | None = None  # measured, with --analyze


@dataclass
class Choice:
    candidate: Candidate
    queries: list[QueryRun] = field(default_factory=list)  # whose verified best this index stands for
    size_bytes: int | None = None
    build_ms: float | None = None
    table_bytes: int | None = None
    benefit: float = 0.0  # sum of per-query relative losses without this index (see the docstring)
    bar: float = 0.0  # threshold * (1 + size / table size)
    served: list[Served] = field(default_factory=list)

    @property
    def size_ratio(self) -> float:
        return (self.size_bytes or 0) / self.table_bytes if self.table_bytes else 0.0


NARROW_BYTES = 8  # a column this narrow on average (an integer, a date, a small numeric) is cheap to carry


def _joins(
    a: Candidate, b: Candidate, narrow: frozenset[tuple[str, str]] | set[tuple[str, str]]
) -> tuple[str, ...] | None:
    """The INCLUDE columns b must carry to serve what a serves, or None when it cannot: a's keys lead
    b's (same table, method and predicate); or a's first key leads b's, b has more keys and a's other
    keys are narrow columns (`narrow`: (table, column)) b carries -- (l_partkey, l_quantity) beside
    (l_partkey, l_suppkey, l_shipdate): the same entries, l_quantity read from the index.  A wide column stays
    apart: carrying it would make b as large as the two (the planner then weighs them apart)."""
    if not (
        a.table == b.table
        and a.method == b.method == "btree"
        and a.where == b.where
        and len(a.keys) <= len(b.keys)
        and a.keys[0] == b.keys[0]
    ):
        return None
    if b.keys[: len(a.keys)] == a.keys:
        rest: tuple[str, ...] = ()
    elif len(a.keys) < len(b.keys) and all(
        k.is_column and not k.desc and (a.table, k.expr) in narrow for k in a.keys[1:]
    ):  # b searches on more keys; between two of one length, which one's search a carried key served is unknown
        rest = tuple(k.expr for k in a.keys[1:])
    else:
        return None
    have = {k.expr for k in b.keys} | set(b.include)
    return tuple(dict.fromkeys(x for x in rest + a.include if x not in have))


def merge(
    cands: list[Candidate], narrow: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset()
) -> dict[Candidate, Candidate]:
    """Each candidate mapped to the index that serves it: itself, or one it joins (`_joins`), with
    its INCLUDE columns added (never two indexes where one is a prefix of the other:
    lineitem(l_partkey) INCLUDE (l_quantity) and lineitem(l_partkey, l_suppkey) become one
    lineitem(l_partkey, l_suppkey) INCLUDE (l_quantity)).  Longest keys first, so each candidate
    joins the longest index it leads; one that would widen it past MAX_INCLUDE stays apart."""
    targets: list[Candidate] = []
    owner: dict[Candidate, int] = {}
    for c in sorted(dict.fromkeys(cands), key=lambda c: (-len(c.keys), c.describe())):
        for i, t in enumerate(targets):
            extra = _joins(c, t, narrow)
            if extra is not None and len(t.include) + len(extra) <= MAX_INCLUDE:
                targets[i] = replace(t, include=tuple(sorted(t.include + extra))) if extra else t
                owner[c] = i
                break
        else:
            owner[c] = len(targets)
            targets.append(c)
    return {c: targets[owner[c]] for c in cands}


def narrow_columns(conn) -> set[tuple[str, str]]:
    """(table, column) of the seeded columns at most NARROW_BYTES wide on average (pg_stats), each
    table named bare and schema-qualified."""
    rows = conn.execute(
        "SELECT schemaname, tablename, attname FROM pg_stats WHERE avg_width <= %s", (NARROW_BYTES,)
    ).fetchall()
    return {(t, c) for s, t, c in rows} | {(f"{s}.{t}", c) for s, t, c in rows}


def pool(runs, schema, narrow: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset()) -> list[Choice]:
    """Step 1: the merged verified candidates, each with the queries it was chosen for."""
    recommended = [r for r in runs if r.outcome == "recommended" and r.best is not None]
    mapping = merge(list(dict.fromkeys(r.best.candidate for r in recommended)), narrow)
    chosen: dict[Candidate, Choice] = {}
    for r in recommended:
        target = mapping[r.best.candidate]
        if covered_by_existing(target, schema):
            continue
        chosen.setdefault(target, Choice(target)).queries.append(r)
    return list(chosen.values())


def _qualified(table: str, name: str) -> str:
    """An index lives in its table's schema: name it there."""
    return f"{table.rsplit('.', 1)[0]}.{name}" if "." in table and table.islower() else name


def _gain(without: float, after: float) -> float:
    return max(0.0, without - after) / without if without > 0 else 0.0


def _weigh(kept: list[Choice], threshold: float, after: dict, trials: dict) -> None:
    for ch in kept:
        alone = trials[id(ch)]
        ch.benefit = sum(_gain(alone[k][0], after[k][0]) for k in after)
        ch.bar = threshold * (1 + ch.size_ratio)


def eliminate(choices: list[Choice], threshold: float, after: dict, without, drop):
    """Steps 3-5 of the module docstring, over plain numbers.

    after: query key -> (cost, ...) with every index of `choices`; without(ch) -> the same
    with the current set minus ch; drop(ch) removes ch for good.  Returns the kept
    indexes, the dropped ones (in order), the costs with the kept set and the last
    `without` measurements by id(choice).
    """
    kept, dropped = list(choices), []
    trials: dict[int, dict] = {}
    while kept:
        trials = {id(ch): without(ch) for ch in kept}
        _weigh(kept, threshold, after, trials)
        failing = [ch for ch in kept if ch.benefit < ch.bar]
        if not failing:
            break
        worst = min(failing, key=lambda ch: (ch.benefit / ch.bar if ch.bar else 0.0, -(ch.size_bytes or 0)))
        drop(worst)
        kept.remove(worst)
        dropped.append(worst)
        after = trials[id(worst)]
    return kept, dropped, after, trials


MakeExplainer = Callable[["QueryRun", bool, int], "Explainer"]  # explain/stage.make_explainer


@dataclass
class Summary:
    """What `select` chose, over the whole workload (costs with no new index and with the set)."""

    cost_before: float = 0.0
    cost_after: float = 0.0
    indexes: int = 0
    size_bytes: int = 0
    threshold: float = 0.3
    dropped: list[Choice] = field(default_factory=list)  # left out by cost, in order
    timings: list[Timing] = field(default_factory=list)  # with --analyze: the queries the set changes, timed
    time_dropped: list[TimeDrop] = field(default_factory=list)  # left out after timing
    warnings: list[Timing] = field(default_factory=list)  # still measurably slower with the set
    repeat: int = REPEAT
    quick: bool = False  # timed by the quick check (no --analyze): step 6's one run each
    timeout_ms: float = 0
    uses: dict[int, list[str]] = field(default_factory=dict)  # id(run) -> the set's indexes its timed plan uses
    existing: list[ExistingIndex] = field(default_factory=list)  # indexes the database has that could go
    max_bytes: int | None = None  # the storage budget (--max-size), in bytes on the seeded data
    max_size: MaxSize | None = None  # that budget as given (or the default)
    unbudgeted_bytes: int | None = None  # the set's size when it was over the budget and chosen again under it
    floored: bool = False  # the default budget was raised to the narrowest form of the set (budget.Fit.narrowest)
    narrowed: list[tuple[Choice, Choice]] = field(default_factory=list)  # (index, its variant taken) under it
    merged: list[tuple[Choice, Choice]] = field(default_factory=list)  # (index, the merge of it and another taken)
    over_budget: list[Choice] = field(default_factory=list)  # left out: neither it nor a variant fits the budget
    standing: list[tuple[Choice, Choice]] = field(default_factory=list)  # (index, a wider one over its narrowest form)
    unchosen: str = ""  # why no set was chosen (a read-only database, the time limit): nothing was verified


def select(
    conn,
    runs: list[QueryRun],
    schema: Schema,
    threshold: float,
    make_explainer: MakeExplainer,
    timeout_ms: int,
    analyze: bool = False,
    repeat: int = REPEAT,
    min_cost: float = 0.0,
    max_size: MaxSize | None = None,
) -> tuple[list[Choice], Summary]:
    """The chosen set and a summary; every index built here is rolled back.  With `analyze`, steps 6-7:
    summary.timings (the queries the set changes, timed), .time_dropped (TimeDrops) and .warnings
    (the Timings still measurably slower).  With `max_size`, step 5c: the set over it is chosen again
    under that budget (advisor/indexes/budget.py)."""
    choices = pool(runs, schema, narrow_columns(conn))
    plans = {id(r): r.plan for r in runs if r.plan is not None}  # an unplanned statement takes no part
    planned = [r for r in runs if id(r) in plans]
    explainers = {id(r): make_explainer(r, False, timeout_ms) for r in planned}
    summary = Summary(
        cost_before=sum(p.cost for p in plans.values()),
        cost_after=sum(p.cost for p in plans.values()),
        threshold=threshold,
        repeat=repeat,
        timeout_ms=timeout_ms,
    )
    tables = {t.lower() for r in planned if r.facts for s in r.facts.scopes for t in s.sources.values()}
    if not choices:
        summary.existing = droppable(conn, [], set().union(*(p.indexes_used() for p in plans.values())), tables)
        return [], summary
    names = {id(ch): _qualified(ch.candidate.table, f"advisor_sel_{i}") for i, ch in enumerate(choices)}

    sets = SetPlans(conn, planned, explainers, plans, names)
    by_key = {id(r): r for r in planned}
    with conn.transaction(force_rollback=True):
        _build(conn, choices, names)
        before = sets.without(choices)
        kept, dropped, after, trials = eliminate(choices, threshold, sets.now(), sets.without_one, sets.drop)
        summary.dropped = dropped
        if slim(conn, kept, names, threshold, after, trials, sets.plan, min_cost):  # step 5b: no wider than it pays for
            after = sets.now()
            trials = {id(ch): sets.without([ch]) for ch in kept}
            _weigh(kept, threshold, after, trials)

        def clock(into: Summary, known: Clocked | None = None) -> Clocked:  # steps 6-8 on the set as it stands
            nonlocal after, trials  # the indexes they drop go
            into.quick = not analyze
            out = measure_set(
                conn, planned, kept, names, before, after, make_explainer, timeout_ms, repeat, into, known
            )
            if into.time_dropped:
                for t in into.time_dropped:
                    kept.remove(t.choice)
                after = sets.now()
                trials = {id(ch): sets.without([ch]) for ch in kept}
                _weigh(kept, threshold, after, trials)
            out.plans = dict(after)
            return out

        if max_size is not None and not max_size.none:  # step 5c: a storage budget
            summary.max_size, summary.max_bytes = max_size, max_size.limit(heap_bytes(conn, tables))
            total = sum(ch.size_bytes or 0 for ch in kept)
            if max_size.default and total > summary.max_bytes and not any(variants(ch.candidate) for ch in kept):
                summary.max_bytes, summary.floored = total, True  # each index is its own narrowest form: the floor
        if summary.max_bytes is not None and sum(ch.size_bytes or 0 for ch in kept) > summary.max_bytes:
            import psycopg

            summary.unbudgeted_bytes = sum(ch.size_bytes or 0 for ch in kept)
            costs = {k: v[0] for k, v in before.items()}
            floor = summary.max_size is not None and summary.max_size.default
            fitter = Fit(
                conn, kept, names, summary.max_bytes, threshold, costs, sets.plan, _qualified, (by_key, plans), floor
            )
            summary.floored = fitter.limit > summary.max_bytes
            summary.max_bytes = fitter.limit
            gone: list[TimeDrop] = []  # left out by the clock: the set is chosen again without them
            known: Clocked | None = None
            while True:  # steps 6-8 on the set under the budget; again without what they leave out
                with conn.transaction() as savepoint:  # the options the search drops come back when it runs again
                    fitted = fitter.choose([d.choice for d in gone])
                    kept, more, after, trials = eliminate(
                        fitted.kept, threshold, sets.now(), sets.without_one, sets.drop
                    )
                    known = clock(summary, None if analyze else known)  # --analyze: best of 3, interleaved, again
                    if not summary.time_dropped:
                        break
                    gone += summary.time_dropped
                    raise psycopg.Rollback(savepoint)
            summary.time_dropped, summary.dropped = gone, summary.dropped + more
            summary.narrowed, summary.merged, summary.over_budget = fitted.narrowed, fitted.merged, fitted.left_out
            summary.standing = fitted.standing
            timings = known.timings
        else:
            timings = clock(summary).timings if kept else {}  # steps 6-8 (without --analyze: the quick check, and 7)
        for ch in kept:
            alone = trials[id(ch)]
            name = names[id(ch)].rsplit(".", 1)[-1]
            ch.served = [
                Served(r, before[id(r)][0], after[id(r)][0], alone[id(r)][0], timings.get(id(r)))
                for r in planned
                if name in after[id(r)][1]
            ]
    summary.cost_before = sum(v[0] for v in before.values())
    summary.cost_after = sum(v[0] for v in after.values())
    summary.indexes = len(kept)
    summary.size_bytes = sum(ch.size_bytes or 0 for ch in kept)
    summary.existing = droppable(
        conn, [ch.candidate for ch in kept], set().union(*(v[1] for v in after.values())), tables
    )
    return kept, summary


def _build(conn, choices: list[Choice], names: dict[int, str]) -> None:
    """Step 2: build every index of the pool (in the caller's transaction), with its size and build time."""
    to_analyze = set()
    for ch in choices:
        c = ch.candidate
        if c.opclass == "gin_trgm_ops":
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        ch.build_ms, ch.size_bytes = build(conn, c, names[id(ch)])
        ch.table_bytes = relation_bytes(conn, regclass_text(c.table))
        if any(not k.is_column for k in c.keys):
            to_analyze.add(c.table)  # statistics of the expression (ANALYZE gathers none for a partial index)
    for table in sorted(to_analyze):
        analyze(conn, table)
