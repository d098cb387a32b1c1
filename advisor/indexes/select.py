"""One index set for the whole workload, weighed against its size.

1. Pool: the verified best candidate of every query whose own measurement passed
   the threshold.  Candidates one index can serve are merged (a candidate whose keys
   are a prefix of another's, same table, method and predicate: a networkx graph of
   prefix edges, keep the maximal ones); those an existing index already covers go.
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

The migration lists, per index, the queries it serves (every query whose plan uses it
with the final set) with their cost before (no new index) and after (the whole set),
the benefit and its bar, and the index's size on the seeded data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from advisor.indexes.verify import Candidate, _table


@dataclass
class Served:
    """One query an index of the final set serves."""

    run: object  # QueryRun
    cost_before: float  # no new index
    cost_after: float  # with the whole chosen set
    cost_without: float  # with the chosen set minus this index


@dataclass
class Choice:
    candidate: Candidate
    queries: list = field(default_factory=list)  # QueryRuns whose verified best this index stands for
    size_bytes: int | None = None
    build_ms: float | None = None
    table_bytes: int | None = None
    benefit: float = 0.0  # sum of per-query relative losses without this index (see the docstring)
    bar: float = 0.0  # threshold * (1 + size / table size)
    served: list[Served] = field(default_factory=list)

    @property
    def size_ratio(self) -> float:
        return (self.size_bytes or 0) / self.table_bytes if self.table_bytes else 0.0


def _prefix(a: Candidate, b: Candidate) -> bool:
    return (a.table == b.table and a.method == b.method == "btree" and a.where == b.where
            and len(a.keys) <= len(b.keys) and b.keys[: len(a.keys)] == a.keys and set(a.include) <= set(b.keys) | set(b.include))


def merge(cands: list[Candidate]) -> dict[Candidate, Candidate]:
    """Each candidate mapped to the index that serves it (itself, or one it is a prefix of)."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(cands)
    for a in cands:
        for b in cands:
            if a is not b and a != b and _prefix(a, b):
                graph.add_edge(a, b)
    out = {}
    for c in cands:
        reach = [d for d in nx.descendants(graph, c) if graph.out_degree(d) == 0]
        out[c] = min(reach, key=lambda d: (len(d.keys), d.describe())) if reach else c
    return out


def covered_by_existing(c: Candidate, schema) -> bool:
    for index in schema.indexes_on(c.table):
        if index.method == c.method and (index.where or None) == (c.where or None) \
                and tuple(k.expr for k in index.keys[: len(c.keys)]) == tuple(k.expr for k in c.keys) \
                and set(c.include) <= set(k.expr for k in index.keys) | set(index.include):
            return True
    return False


def pool(runs, schema) -> list[Choice]:
    """Step 1: the merged verified candidates, each with the queries it was chosen for."""
    recommended = [r for r in runs if r.outcome == "recommended" and r.best is not None]
    mapping = merge(list(dict.fromkeys(r.best.candidate for r in recommended)))
    chosen: dict[Candidate, Choice] = {}
    for r in recommended:
        target = mapping[r.best.candidate]
        if covered_by_existing(target, schema):
            continue
        chosen.setdefault(target, Choice(target)).queries.append(r)
    return list(chosen.values())


def _relation_bytes(conn, name: str) -> int:
    """Size of a table or index, its partitions summed (a partitioned parent has none of its own)."""
    row = conn.execute("""SELECT CASE WHEN c.relkind IN ('p', 'I')
            THEN (SELECT coalesce(sum(pg_relation_size(t.relid)), 0) FROM pg_partition_tree(c.oid) t)
            ELSE pg_relation_size(c.oid) END FROM pg_class c WHERE c.oid = %s::regclass""", (name,)).fetchone()
    return int(row[0])


def _qualified(table: str, name: str) -> str:
    """An index lives in its table's schema: name it there."""
    return f"{table.rsplit('.', 1)[0]}.{name}" if "." in table and table.islower() else name


def _gain(without: float, after: float) -> float:
    return max(0.0, without - after) / without if without > 0 else 0.0


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
        for ch in kept:
            alone = trials[id(ch)]
            ch.benefit = sum(_gain(alone[k][0], after[k][0]) for k in after)
            ch.bar = threshold * (1 + ch.size_ratio)
        failing = [ch for ch in kept if ch.benefit < ch.bar]
        if not failing:
            break
        worst = min(failing, key=lambda ch: (ch.benefit / ch.bar if ch.bar else 0.0, -(ch.size_bytes or 0)))
        drop(worst)
        kept.remove(worst)
        dropped.append(worst)
        after = trials[id(worst)]
    return kept, dropped, after, trials


def select(conn, runs, schema, threshold: float, make_explainer, timeout_ms: int) -> tuple[list[Choice], dict]:
    """The chosen set and a summary; every index built here is rolled back."""
    choices = pool(runs, schema)
    planned = [r for r in runs if r.plan is not None]
    explainers = {id(r): make_explainer(r, False, timeout_ms) for r in planned}
    summary = {"cost_before": sum(r.plan.cost for r in planned), "cost_after": sum(r.plan.cost for r in planned),
               "indexes": 0, "size_bytes": 0, "threshold": threshold, "dropped": []}
    if not choices:
        return [], summary
    names = {id(ch): _qualified(ch.candidate.table, f"advisor_sel_{i}") for i, ch in enumerate(choices)}

    def plan_all() -> dict[int, tuple[float, set[str]]]:
        out = {}
        for r in planned:
            try:
                plan = explainers[id(r)](conn)[0]
                out[id(r)] = (plan.cost, plan.indexes_used())
            except Exception:  # noqa: BLE001  a query that no longer plans keeps its own cost
                out[id(r)] = (r.plan.cost, set())
        return out

    def without(dropped: list[Choice]) -> dict[int, tuple[float, set[str]]]:
        with conn.transaction(force_rollback=True):  # a savepoint: the drops are undone
            for ch in dropped:
                conn.execute(f"DROP INDEX {names[id(ch)]}")
            return plan_all()

    with conn.transaction(force_rollback=True):
        analyze = set()
        for ch in choices:
            c = ch.candidate
            if c.opclass == "gin_trgm_ops":
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            started = time.perf_counter()
            conn.execute(c.ddl(concurrently=False, name=names[id(ch)].rsplit(".", 1)[-1]))
            ch.build_ms = (time.perf_counter() - started) * 1000
            ch.size_bytes = _relation_bytes(conn, names[id(ch)])
            ch.table_bytes = _relation_bytes(conn, _table(c.table))
            if c.where or any(not k.is_column for k in c.keys):
                analyze.add(c.table)  # statistics of the expression / the partial predicate
        for table in sorted(analyze):
            conn.execute(f"ANALYZE {_table(table)}")
        before = without(choices)

        def drop(ch: Choice) -> None:
            conn.execute(f"DROP INDEX {names[id(ch)]}")

        kept, dropped, after, trials = eliminate(choices, threshold, plan_all(), lambda ch: without([ch]), drop)
        summary["dropped"] = dropped
        for ch in kept:
            alone = trials[id(ch)]
            name = names[id(ch)].rsplit(".", 1)[-1]
            ch.served = [Served(r, before[id(r)][0], after[id(r)][0], alone[id(r)][0])
                         for r in planned if name in after[id(r)][1]]
    summary.update(cost_before=sum(v[0] for v in before.values()), cost_after=sum(v[0] for v in after.values()),
                   indexes=len(kept), size_bytes=sum(ch.size_bytes or 0 for ch in kept))
    return kept, summary


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    return f"{n / 1024:,.0f} kB" if n < 1024 * 1024 else f"{n / 1048576:,.1f} MB"


def _where(run) -> str:
    return f"{run.query.location.path}:{run.query.location.line}"


def migration(choices: list[Choice], summary: dict) -> str:
    lines = ["-- advisor: indexes verified on seeded data for the whole workload",
             f"-- workload cost {summary['cost_before']:,.1f} -> {summary['cost_after']:,.1f} "
             f"with {summary['indexes']} index(es), {_size(summary['size_bytes'])} on the seeded data",
             "-- each index is kept because, without it, the queries it serves would lose together at least "
             f"{summary.get('threshold', 0.3):.0%}",
             "-- of their cost (each query counted relative to its own cost), more for a larger index: "
             f"{summary.get('threshold', 0.3):.2f} x (1 + index size / table size)",
             "-- CREATE INDEX CONCURRENTLY cannot run inside a transaction block: run this file without one.", ""]
    if any(c.candidate.opclass == "gin_trgm_ops" for c in choices):
        lines += ["CREATE EXTENSION IF NOT EXISTS pg_trgm;", ""]
    for ch in choices:
        lines.append(f"-- {ch.candidate.describe()}: size {_size(ch.size_bytes)} "
                     f"({ch.size_ratio:.0%} of {ch.candidate.table})"
                     + (f", built in {ch.build_ms:,.0f} ms" if ch.build_ms is not None else "")
                     + f"; benefit {ch.benefit:.2f} >= {ch.bar:.2f} needed")
        served = ch.served or [Served(r, r.plan.cost, r.best.cost_after, r.plan.cost) for r in ch.queries]
        for s in served:
            lines.append(f"--   serves {_where(s.run)}: cost {s.cost_before:,.1f} -> {s.cost_after:,.1f}"
                         + (f" ({s.cost_without:,.1f} without this index: the others take over part)"
                            if abs(s.cost_without - s.cost_before) > 0.05 * max(s.cost_before, 1) else ""))
        lines.append(ch.candidate.ddl(concurrently=True))
        lines.append("")
    dropped = summary.get("dropped") or []
    if dropped:
        lines.append("-- verified for a query but left out: with the set above they save too little for their size")
        for ch in dropped:
            lines.append(f"--   {ch.candidate.describe()} ({_size(ch.size_bytes)}, "
                         f"for {', '.join(_where(r) for r in ch.queries)}): "
                         f"benefit {ch.benefit:.2f} < {ch.bar:.2f} needed")
        lines.append("")
    return "\n".join(lines)
