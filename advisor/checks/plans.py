"""Plan rules: what a query's EXPLAIN shows, on seeded (or the user's) data.

Each rule is a function over one planned query (`PlanContext`) yielding
`(message, help, metrics)`; `plan_hits` runs them all.  A rule that needs
actual numbers (rows removed, temp files, loops) fires only on `--analyze`
plans.  Where a static finding on the same statement explains the plan
(a seq scan caused by `function-on-column`, say) the plan finding names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from advisor.explain.plan import Plan, PlanNode

PLAN_RULES: dict[str, Callable[["PlanContext"], Iterable[tuple[str, str, dict]]]] = {}

# static rules that explain each plan rule's symptom
EXPLAINED_BY = {
    "seq-scan-large-table": ("function-on-column", "leading-wildcard-like", "implicit-cast", "or-across-columns",
                             "missing-index", "not-in-subquery"),
    "filter-waste": ("function-on-column", "leading-wildcard-like", "implicit-cast", "or-across-columns",
                     "missing-index"),
    "sort-not-indexed": ("missing-index", "offset-pagination", "order-by-random"),
    "sort-spill": ("select-star", "order-by-random"),
    "hash-spill": ("select-star",),
    "row-misestimate": ("function-on-column", "implicit-cast", "or-across-columns"),
    "nested-loop-rescan": ("missing-index", "unindexed-foreign-key", "not-in-subquery"),
    "partition-not-pruned": ("function-on-column", "implicit-cast", "missing-index"),
}


@dataclass
class PlanContext:
    plan: Plan
    table_rows: dict[str, float]  # relation -> pg_class.reltuples
    partitions: dict[str, list[str]]  # partitioned table -> its partitions
    settings: Any  # ExplainSettings
    related: dict[str, list[str]] = field(default_factory=dict)  # static rule name -> ["SQL003 at file:line"]


def plan_rule(name: str):
    def register(fn):
        PLAN_RULES[name] = fn
        return fn
    return register


def _rows(ctx: PlanContext, node: PlanNode) -> float:
    return ctx.table_rows.get(node.relation or "", 0.0)


@plan_rule("seq-scan-large-table")
def seq_scan(ctx: PlanContext):
    for node in ctx.plan.root.walk():
        if node.node_type == "Seq Scan" and node.relation:
            rows = _rows(ctx, node)
            if rows >= ctx.settings.large_table_rows and node.filter:
                kept = node.total_actual_rows if node.analyzed else node.plan_rows
                yield (f"Seq Scan on {node.relation} reads all ~{rows:,.0f} rows to keep ~{kept:,.0f} "
                       f"(filter: {node.filter})",
                       "an index on the filtered columns lets PostgreSQL read only the matching rows",
                       {"relation": node.relation, "table_rows": rows, "rows_kept": kept})


@plan_rule("filter-waste")
def filter_waste(ctx: PlanContext):
    for node in ctx.plan.root.walk():
        if node.rows_removed_by_filter is None or node.actual_rows is None:
            continue
        loops = node.actual_loops or 1
        removed = node.rows_removed_by_filter * loops
        kept = node.actual_rows * loops
        if removed >= 1000 and removed / max(removed + kept, 1) >= 0.9:
            share = removed / (removed + kept)
            yield (f"{node.label()} reads {removed + kept:,.0f} rows and throws away {removed:,.0f} "
                   f"({share:.0%}) with filter {node.filter}",
                   "move the filter into an index condition: index the filtered columns (or make the index partial)",
                   {"rows_removed": removed, "rows_kept": kept, "relation": node.relation})


@plan_rule("sort-not-indexed")
def sort_not_indexed(ctx: PlanContext):
    for node, parents in ctx.plan.root.walk_with_parents():
        if node.node_type not in ("Sort", "Incremental Sort") or not parents:
            continue
        chain = [p.node_type for p in parents]
        if "Limit" not in chain:
            continue
        below = node.children[0] if node.children else None
        rows = (below.total_actual_rows if below and below.analyzed else below.plan_rows if below else 0) or 0
        if rows >= 1000 and node.node_type == "Sort":
            yield (f"Sort on {', '.join(node.sort_key)} of ~{rows:,.0f} rows feeds a LIMIT: the whole input is "
                   f"read and sorted to return the first rows",
                   "an index whose keys end with the sort columns returns rows in order and stops at the limit",
                   {"sort_key": node.sort_key, "input_rows": rows})


@plan_rule("sort-spill")
def sort_spill(ctx: PlanContext):
    for node in ctx.plan.root.walk():
        if node.node_type in ("Sort", "Incremental Sort") and (
                node.sort_space_type == "Disk" or (node.sort_method or "").startswith("external")):
            yield (f"Sort on {', '.join(node.sort_key)} spilled to disk ({node.sort_method}, "
                   f"{node.raw.get('Sort Space Used', '?')} kB)",
                   "raise work_mem for this query, sort fewer/narrower rows, or read them in order from an index",
                   {"sort_method": node.sort_method, "space_kb": node.raw.get("Sort Space Used")})


@plan_rule("hash-spill")
def hash_spill(ctx: PlanContext):
    for node in ctx.plan.root.walk():
        batches = node.hash_batches or 0
        if node.node_type in ("Hash", "Aggregate", "HashAggregate") and batches > 1:
            yield (f"{node.node_type} spilled to temp files in {batches} batches",
                   "raise work_mem, hash the smaller input, or narrow the rows hashed",
                   {"batches": batches})


@plan_rule("row-misestimate")
def row_misestimate(ctx: PlanContext):
    factor = ctx.settings.misestimate_factor
    worst = None
    for node in ctx.plan.root.walk():
        if not node.analyzed or node.actual_rows is None:
            continue
        actual = node.actual_rows
        planned = max(node.plan_rows, 1.0)
        ratio = max(actual, 1.0) / planned if actual >= planned else planned / max(actual, 1.0)
        if ratio >= factor and max(actual, planned) >= 100:
            if worst is None or ratio > worst[0]:
                worst = (ratio, node, actual, planned)
    if worst:
        ratio, node, actual, planned = worst
        yield (f"{node.label()}: planner expected {planned:,.0f} rows, got {actual:,.0f} ({ratio:,.0f}x off)",
               "run ANALYZE; for correlated columns CREATE STATISTICS; avoid expressions the planner cannot estimate",
               {"plan_rows": planned, "actual_rows": actual, "ratio": ratio})


@plan_rule("nested-loop-rescan")
def nested_loop_rescan(ctx: PlanContext):
    for node in ctx.plan.root.walk():
        if node.node_type != "Nested Loop" or len(node.children) < 2:
            continue
        outer, inner = node.children[0], node.children[1]
        loops = inner.actual_loops if inner.analyzed else outer.plan_rows
        scan = inner
        while scan.node_type in ("Materialize", "Memoize") and scan.children:
            scan = scan.children[0]
        rescans_full = scan.node_type == "Seq Scan" or (scan.analyzed and (scan.rows_removed_by_filter or 0) > 100)
        if loops and loops >= ctx.settings.rescan_loops and rescans_full:
            yield (f"Nested Loop repeats {scan.label()} {loops:,.0f} times",
                   f"index the join column of {scan.relation or 'the inner side'} so each loop is an index lookup",
                   {"loops": loops, "relation": scan.relation})


@plan_rule("partition-not-pruned")
def partition_not_pruned(ctx: PlanContext):
    scanned: dict[str, set[str]] = {}
    for node in ctx.plan.root.walk():
        for parent, parts in ctx.partitions.items():
            if node.relation in parts:
                scanned.setdefault(parent, set()).add(node.relation)
    for parent, parts in scanned.items():
        total = len(ctx.partitions[parent])
        if total > 1 and len(parts) == total:
            yield (f"all {total} partitions of {parent} are scanned: no partition was pruned",
                   "filter on the partition key with a plain comparison (no function or cast on it) so the "
                   "planner can skip partitions",
                   {"partitions": total, "relation": parent})


def plan_hits(ctx: PlanContext, enabled: Callable[[str], bool]) -> list[tuple[str, str, str, dict]]:
    out = []
    for name, rule in PLAN_RULES.items():
        if not enabled(name):
            continue
        for message, help_, metrics in rule(ctx):
            links = [ref for static in EXPLAINED_BY.get(name, ()) for ref in ctx.related.get(static, [])]
            if links:
                help_ += "; explained by " + ", ".join(links)
                metrics["explained_by"] = links
            metrics.setdefault("evidence", "measured" if ctx.plan.root.analyzed else "planned")
            metrics["cost"] = ctx.plan.cost
            out.append((name, message, help_, metrics))
    return out
