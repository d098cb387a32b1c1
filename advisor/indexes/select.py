"""One index set for the whole workload.

From the verified candidates of every query: merge those one index can serve
(a candidate whose keys are a prefix of another's, same table, method and
predicate: a networkx graph of prefix edges, keep the maximal ones), drop those
an existing index already covers, then weigh benefit against size: build the
chosen set together (rolled back), re-plan every query, and greedily remove an
index when the workload's cost does not rise by more than the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.indexes.verify import Candidate


@dataclass
class Choice:
    candidate: Candidate
    queries: list = field(default_factory=list)  # QueryRuns it serves
    size_bytes: int | None = None
    build_ms: float | None = None


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


def select(conn, runs, schema, threshold: float, make_explainer, timeout_ms: int) -> tuple[list[Choice], dict]:
    recommended = [r for r in runs if r.outcome == "recommended" and r.best is not None]
    cands = [r.best.candidate for r in recommended]
    mapping = merge(list(dict.fromkeys(cands)))
    chosen: dict[Candidate, Choice] = {}
    for r in recommended:
        target = mapping[r.best.candidate]
        if covered_by_existing(target, schema):
            continue
        chosen.setdefault(target, Choice(target)).queries.append(r)
    choices = list(chosen.values())
    plain = {id(r): make_explainer(r, False, timeout_ms) for r in runs if r.plan is not None}
    base = sum(r.plan.cost for r in runs if r.plan is not None)

    def workload_cost(subset: list[Choice]) -> tuple[float, dict]:
        sizes = {}
        with conn.transaction(force_rollback=True):
            for i, ch in enumerate(subset):
                if ch.candidate.opclass == "gin_trgm_ops":
                    conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                import time

                t0 = time.perf_counter()
                conn.execute(ch.candidate.ddl(concurrently=False, name=f"advisor_sel_{i}"))
                ch.build_ms = (time.perf_counter() - t0) * 1000
                sizes[i] = conn.execute("SELECT pg_relation_size(%s::regclass)", (f"advisor_sel_{i}",)).fetchone()[0]
                ch.size_bytes = sizes[i]
            conn.execute("ANALYZE")
            total = 0.0
            for r in runs:
                if r.plan is None:
                    continue
                try:
                    total += plain[id(r)](conn)[0].cost
                except Exception:  # noqa: BLE001
                    total += r.plan.cost
        return total, sizes

    current, _ = workload_cost(choices) if choices else (base, {})
    # backward elimination, largest first: drop an index that costs the workload < 1% of the baseline
    for ch in sorted(list(choices), key=lambda c: -(c.size_bytes or 0)):
        trial = [c for c in choices if c is not ch]
        cost, _ = workload_cost(trial) if trial else (base, {})
        if cost - current <= 0.01 * base:
            choices, current = trial, cost
    if choices:
        workload_cost(choices)  # sizes and build times of the final set
    summary = {"cost_before": base, "cost_after": current, "indexes": len(choices),
               "size_bytes": sum(c.size_bytes or 0 for c in choices)}
    return choices, summary


def migration(choices: list[Choice], summary: dict) -> str:
    lines = ["-- advisor: indexes verified on seeded data for the whole workload",
             f"-- workload cost {summary['cost_before']:,.1f} -> {summary['cost_after']:,.1f} "
             f"with {summary['indexes']} index(es), {summary['size_bytes'] / 1024:,.0f} kB on the seeded data",
             "-- CREATE INDEX CONCURRENTLY cannot run inside a transaction block: run this file without one.", ""]
    needs_trgm = any(c.candidate.opclass == "gin_trgm_ops" for c in choices)
    if needs_trgm:
        lines += ["CREATE EXTENSION IF NOT EXISTS pg_trgm;", ""]
    for ch in choices:
        for r in ch.queries:
            lines.append(f"-- serves {r.query.location.path}:{r.query.location.line}")
        lines.append(ch.candidate.ddl(concurrently=True))
        lines.append("")
    return "\n".join(lines)
