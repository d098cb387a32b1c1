"""Plan rules: what a query's EXPLAIN shows, on seeded (or the user's) data.

Each rule is registered with `plan_check` and yields `Hit`s (`ctx.hit`) for one planned
query (`PlanContext`); `plan_hits` runs them all under the rules' guard.  A rule that needs
actual numbers (rows removed, temp files, loops) fires only on `--analyze`
plans.  Where a static finding on the same statement explains the plan
(a seq scan caused by `function-on-column`, say) the plan finding names it.
Every finding's metrics carry "node": the pre-order position (in
`plan.root.walk()`) of the plan node it is about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.checks import Hit, plan_check, run_rules
from advisor.explain.plan import Plan, PlanNode
from advisor.ir import Location, SqlQuery

if TYPE_CHECKING:
    from advisor.seed.settings import ExplainSettings

# static rules that explain each plan rule's symptom
EXPLAINED_BY = {
    "seq-scan-large-table": (
        "function-on-column",
        "leading-wildcard-like",
        "implicit-cast",
        "or-across-columns",
        "optional-filter",
        "missing-index",
        "not-in-subquery",
    ),
    "filter-waste": (
        "function-on-column",
        "leading-wildcard-like",
        "implicit-cast",
        "or-across-columns",
        "optional-filter",
        "missing-index",
    ),
    "sort-not-indexed": ("missing-index", "offset-pagination", "order-by-random"),
    "sort-spill": ("select-star", "order-by-random"),
    "hash-spill": ("select-star",),
    "row-misestimate": ("function-on-column", "implicit-cast", "or-across-columns"),
    "nested-loop-rescan": ("missing-index", "unindexed-foreign-key", "not-in-subquery"),
    "partition-not-pruned": ("function-on-column", "implicit-cast", "missing-index"),
}

# plan rules whose symptom (a table read row by row) is the very claim a static finding explaining it makes
# ("no index can serve this"): on the same table, the plan finding is that finding's evidence, not a second one
# (advisor.explain.findings); the others (a partition not pruned, a misestimate, a spill) claim more than it does
SAME_CLAIM = frozenset({"seq-scan-large-table", "filter-waste"})

# seq-scan-large-table: a scan keeping more than this share of the table is what a seq scan is for
SEQ_SCAN_KEEP_SHARE = 0.2
# filter-waste: at least this many rows removed, and at least this share of those read
WASTE_MIN_ROWS = 1000
WASTE_SHARE = 0.9
# sort-not-indexed: rows a Sort under a LIMIT must read before an index is worth proposing
SORT_LIMIT_MIN_ROWS = 1000
# row-misestimate: the larger of estimate and actual must reach this for the ratio to matter
MISESTIMATE_MIN_ROWS = 100

# nodes whose actual row count is not comparable with the estimate
_ROWS_NOT_COUNTED = ("BitmapAnd", "BitmapOr", "ModifyTable")
# nodes whose output cannot come in index order: a Sort over them is not an indexing problem
_COMPUTED = (
    "Aggregate",
    "WindowAgg",
    "Group",
    "SetOp",
    "Recursive Union",
    "Function Scan",
    "Values Scan",
    "Table Function Scan",
)
_APPEND = ("Append", "Merge Append")


@dataclass
class PlanContext:
    plan: Plan
    table_rows: dict[str, float]  # relation -> pg_class.reltuples
    partitions: dict[str, list[str]]  # partitioned table -> its partitions
    settings: ExplainSettings
    related: dict[str, list[str]] = field(default_factory=dict)  # static rule name -> ["SQL003 at file:line"]
    # partitioned table -> its partition key columns (`partition_keys_of`); without them a generic plan
    # cannot tell run-time pruning ($1 on the key) from none
    partition_keys: dict[str, list[str]] = field(default_factory=dict)
    query: SqlQuery | None = None  # the statement planned: where its findings are reported
    # the tables the config says stay small or whose columns say they hold settings (Schema.small): the seed
    # gives them its usual rows, production a handful; a claim resting on their size is not made, as statically
    small: Callable[[str], bool] = field(default=lambda name: False)
    _positions: dict[int, int] | None = field(default=None, init=False, repr=False)

    def position(self, node: PlanNode) -> int:
        """Pre-order position of `node` in the plan (how the explain session points at it)."""
        if self._positions is None:
            self._positions = {id(n): i for i, n in enumerate(self.plan.root.walk())}
        return self._positions[id(node)]

    @property
    def location(self) -> Location:
        return self.query.location if self.query is not None else Location("<plan>", 1, 1)

    def hit(self, message: str, help: str, metrics: dict[str, Any], subject: str) -> Hit:
        """A finding about this plan, reported on the statement.

        subject: what it is about (node kind, relation, alias, sort key), never a number the plan
        measured or estimated: with the rule and the statement it is the fingerprint, which must not
        change between runs on other data (a baseline made with --explain would churn)."""
        return Hit(
            message,
            self.location,
            help=help,
            subject=subject,
            query=self.query.text if self.query is not None else None,
            query_location=self.query.location if self.query is not None else None,
            metrics=metrics,
        )


def partition_keys_of(conn) -> dict[str, list[str]]:
    """Partitioned table -> the plain columns of its partition key (expression keys are left out)."""
    out: dict[str, list[str]] = {}
    for table, column in conn.execute("""
            SELECT c.relname, a.attname FROM pg_partitioned_table p
            JOIN pg_class c ON c.oid = p.partrelid
            CROSS JOIN LATERAL unnest(p.partattrs::int2[]) WITH ORDINALITY AS k(attnum, n)
            JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = k.attnum
            ORDER BY c.relname, k.n""").fetchall():
        out.setdefault(table, []).append(column)
    return out


def _what(node: PlanNode) -> str:
    """A plan node as a finding's subject: its kind and what it reads or sorts, no numbers.

    A node without a relation (Sort, Hash, Aggregate) is named by its sort key or by the
    relations below it."""
    text = node.node_type
    if node.index_name:
        text += f" using {node.index_name}"
    if node.relation:
        text += f" on {node.relation}" + (f" as {node.alias}" if node.alias and node.alias != node.relation else "")
    elif node.sort_key:
        text += f" on {', '.join(node.sort_key)}"
    else:
        below = sorted({n.relation for n in node.walk() if n.relation})
        if below:
            text += f" over {', '.join(below)}"
    return text


def _rows(ctx: PlanContext, node: PlanNode) -> float:
    return ctx.table_rows.get(node.relation or "", 0.0)


@plan_check("seq-scan-large-table")
def seq_scan(ctx: PlanContext):
    share_cap = SEQ_SCAN_KEEP_SHARE
    for node in ctx.plan.root.walk():
        if node.node_type != "Seq Scan" or not node.relation or not node.filter or ctx.small(node.relation):
            continue
        rows = _rows(ctx, node)
        if rows < ctx.settings.large_table_rows:
            continue
        # per scan: what it kept each time it ran (a never-executed node has only the estimate)
        actual = node.actual_rows if node.executed else None
        kept = actual if actual is not None else node.plan_rows
        if kept > rows * share_cap:
            continue  # keeps much of the table: reading it all is the right plan
        loops = node.actual_loops if node.executed else 1
        times = f" ({loops:,.0f} times)" if loops and loops > 1 else ""
        yield ctx.hit(
            f"Seq Scan on {node.relation} reads all ~{rows:,.0f} rows to keep ~{kept:,.0f}{times} "
            f"(filter: {node.filter})",
            "an index on the filtered columns lets PostgreSQL read only the matching rows",
            {"relation": node.relation, "table_rows": rows, "rows_kept": kept, "node": ctx.position(node)},
            _what(node),
        )


@plan_check("filter-waste")
def filter_waste(ctx: PlanContext):
    for node in ctx.plan.root.walk():
        if node.rows_removed_by_filter is None or node.actual_rows is None or not node.executed:
            continue
        if node.relation and ctx.small(node.relation):
            continue
        loops = node.actual_loops or 1
        removed = node.rows_removed_by_filter * loops
        kept = node.actual_rows * loops
        if removed >= WASTE_MIN_ROWS and removed / max(removed + kept, 1) >= WASTE_SHARE:
            share = removed / (removed + kept)
            yield ctx.hit(
                f"{node.label()} reads {removed + kept:,.0f} rows and throws away {removed:,.0f} "
                f"({share:.0%}) with filter {node.filter}",
                "move the filter into an index condition: index the filtered columns (or make the index partial)",
                {"rows_removed": removed, "rows_kept": kept, "relation": node.relation, "node": ctx.position(node)},
                _what(node),
            )


def _inputs(node: PlanNode) -> Iterable[PlanNode]:
    """The nodes feeding `node`, InitPlans and SubPlans left out."""
    for child in node.children:
        if child.parent_relationship in ("InitPlan", "SubPlan"):
            continue
        yield child
        yield from _inputs(child)


@plan_check("sort-not-indexed")
def sort_not_indexed(ctx: PlanContext):
    for node, parents in ctx.plan.root.walk_with_parents():
        if node.node_type != "Sort" or not any(p.node_type == "Limit" for p in parents):
            continue
        below = node.outer
        if below is None or any(n.node_type in _COMPUTED for n in (below, *_inputs(below))):
            continue  # sorting aggregates or function output: no index returns those in order
        rows = (below.total_actual_rows if below.analyzed else below.plan_rows) or 0
        # the table the sorted rows come from, when one: how many it holds is the seed's, not production's
        tables = {n.relation for n in (below, *_inputs(below)) if n.relation}
        relation = next(iter(tables)) if len(tables) == 1 else ""
        if rows >= SORT_LIMIT_MIN_ROWS and not (relation and ctx.small(relation)):
            yield ctx.hit(
                f"Sort on {', '.join(node.sort_key)} of ~{rows:,.0f} rows feeds a LIMIT: the whole input is "
                f"read and sorted to return the first rows",
                "an index whose keys end with the sort columns returns rows in order and stops at the limit",
                {"sort_key": node.sort_key, "input_rows": rows, "relation": relation, "node": ctx.position(node)},
                _what(node),
            )


@plan_check("sort-spill")
def sort_spill(ctx: PlanContext):
    for node in ctx.plan.root.walk():
        if node.node_type in ("Sort", "Incremental Sort") and (
            node.sort_space_type == "Disk" or (node.sort_method or "").startswith("external")
        ):
            used = f"{node.sort_space_used:,.0f} kB" if node.sort_space_used is not None else "? kB"
            yield ctx.hit(
                f"{node.node_type} on {', '.join(node.sort_key)} spilled to disk ({node.sort_method}, {used})",
                "raise work_mem for this query, sort fewer/narrower rows, or read them in order from an index",
                {"sort_method": node.sort_method, "space_kb": node.sort_space_used, "node": ctx.position(node)},
                _what(node),
            )


@plan_check("hash-spill")
def hash_spill(ctx: PlanContext):
    for node in ctx.plan.root.walk():
        batches = node.hash_batches or 0
        if node.node_type in ("Hash", "Aggregate") and batches > 1:
            what = "Hash" if node.node_type == "Hash" else "HashAggregate"
            yield ctx.hit(
                f"{what} spilled to temp files in {batches} batches",
                "raise work_mem, hash the smaller input, or narrow the rows hashed",
                {"batches": batches, "node": ctx.position(node)},
                _what(node),
            )


def _cut_short(node: PlanNode, parents: tuple[PlanNode, ...]) -> bool:
    """Could the executor have stopped reading `node` before it returned all its rows?

    Under a LIMIT, inside a SubPlan/InitPlan (EXISTS stops at the first row), as the inner
    side of a semi/anti or unique-inner nested loop (stops at the first match), or below a
    Merge Join (stops when the other side runs out).
    """
    chain = (*parents, node)
    for parent, child in zip(chain, chain[1:]):
        if parent.node_type in ("Limit", "Merge Join"):
            return True
        if child.parent_relationship in ("SubPlan", "InitPlan"):
            return True
        if (
            parent.node_type == "Nested Loop"
            and child.parent_relationship == "Inner"
            and (parent.join_type in ("Semi", "Anti") or parent.inner_unique)
        ):
            return True
    return False


@plan_check("row-misestimate")
def row_misestimate(ctx: PlanContext):
    factor = ctx.settings.misestimate_factor
    worst = None
    for node, parents in ctx.plan.root.walk_with_parents():
        actual = node.actual_rows
        if actual is None or not node.executed or node.node_type in _ROWS_NOT_COUNTED:
            continue
        planned = max(node.plan_rows, 1.0)
        if actual < planned and _cut_short(node, parents):
            continue  # fewer rows than planned because nobody asked for more
        ratio = max(actual, 1.0) / planned if actual >= planned else planned / max(actual, 1.0)
        if ratio >= factor and max(actual, planned) >= MISESTIMATE_MIN_ROWS:
            if worst is None or ratio > worst[0]:
                worst = (ratio, node, actual, planned)
    if worst:
        ratio, node, actual, planned = worst
        yield ctx.hit(
            f"{node.label()}: planner expected {planned:,.0f} rows, got {actual:,.0f} ({ratio:,.0f}x off)",
            "run ANALYZE; for correlated columns CREATE STATISTICS; avoid expressions the planner cannot estimate",
            {"plan_rows": planned, "actual_rows": actual, "ratio": ratio, "node": ctx.position(node)},
            _what(node),
        )


@plan_check("nested-loop-rescan")
def nested_loop_rescan(ctx: PlanContext):
    for node in ctx.plan.root.walk():
        if node.node_type != "Nested Loop":
            continue
        outer, inner = node.outer, node.inner
        if outer is None or inner is None:
            continue
        loops = inner.actual_loops if inner.analyzed else outer.plan_rows
        scan = inner
        while scan.node_type in ("Materialize", "Memoize") and scan.outer is not None:
            if scan.node_type == "Memoize":  # only cache misses reach the scan below
                below = scan.outer
                if below.analyzed:
                    loops = below.actual_loops
            scan = scan.outer
        rescans_full = scan.node_type == "Seq Scan" or (scan.analyzed and (scan.rows_removed_by_filter or 0) > 100)
        if loops and loops >= ctx.settings.rescan_loops and rescans_full:
            yield ctx.hit(
                f"Nested Loop repeats {scan.label()} {loops:,.0f} times",
                f"index the join column of {scan.relation or 'the inner side'} so each loop is an index lookup",
                {"loops": loops, "relation": scan.relation, "node": ctx.position(node)},
                f"Nested Loop over {_what(scan)}",
            )


def _leaves(ctx: PlanContext, parent: str, depth: int = 0) -> set[str]:
    out: set[str] = set()
    for child in ctx.partitions.get(parent, []):
        if child in ctx.partitions and depth < 32:
            out |= _leaves(ctx, child, depth + 1)
        else:
            out.add(child)
    return out


def _conditions(node: PlanNode) -> list[str]:
    """The conditions a scan applies, its bitmap index scans' included."""
    out = []
    for n in node.walk():
        for key in ("Filter", "Index Cond", "Recheck Cond"):
            value = n.raw.get(key)
            if isinstance(value, str):
                out.append(value)
    return out


_COMPARE = r"(?:=|<>|!=|<=|>=|<|>)"


def _compares_key(condition: str, key: str, alias: str | None) -> bool:
    """Does `condition` compare the bare partition key (no function or cast on it) with something?"""
    qualifier = rf"(?:{re.escape(alias)}\.)?" if alias else ""
    column = rf'{qualifier}(?:"{re.escape(key)}"|{re.escape(key)}\b)'
    left = rf"(?:^|[\s(,]){column}\s*{_COMPARE}"
    right = rf"{_COMPARE}\s*(?:ANY\s*\(\s*)?{column}(?=\s*[),]|\s*$)"
    return bool(re.search(left, condition) or re.search(right, condition))


@plan_check("partition-not-pruned")
def partition_not_pruned(ctx: PlanContext):
    children = {c for parts in ctx.partitions.values() for c in parts}
    tops = {p: _leaves(ctx, p) for p in ctx.partitions if p not in children}
    owner = {leaf: top for top, leaves in tops.items() for leaf in leaves}
    # (top table, the Append above its partitions) -> the partition scans under it
    scanned: dict[tuple[str, int], list[PlanNode]] = {}
    appends: dict[int, PlanNode] = {}
    for node, parents in ctx.plan.root.walk_with_parents():
        top = owner.get(node.relation or "")
        if top is None or (node.analyzed and not node.executed):
            continue  # not a partition, or pruned at run time (never executed)
        anchor = None
        for parent in reversed(parents):
            if parent.node_type in _APPEND:
                anchor = parent
            elif anchor is not None:
                break
        if anchor is None:
            continue  # a single partition scanned: the others were pruned
        appends[id(anchor)] = anchor
        scanned.setdefault((top, id(anchor)), []).append(node)
    for (top, anchor_id), nodes in scanned.items():
        total = len(tops[top])
        if total <= 1 or len({n.relation for n in nodes}) < total:
            continue
        keys = ctx.partition_keys.get(top, [])
        if keys and any(_compares_key(cond, key, n.alias) for n in nodes for cond in _conditions(n) for key in keys):
            continue  # a plain comparison on the key: pruned at run time, or its range covers every partition
        yield ctx.hit(
            f"all {total} partitions of {top} are scanned: no partition was pruned",
            "filter on the partition key with a plain comparison (no function or cast on it) so the "
            "planner can skip partitions",
            {"partitions": total, "relation": top, "node": ctx.position(appends[anchor_id])},
            f"partitions of {top}",
        )


def plan_hits(ctx: PlanContext, enabled: Callable[[str], bool]) -> list[tuple[str, Hit]]:
    """(rule name, hit) of every enabled plan rule on one plan, linked to the static findings that explain it."""
    out = run_rules("plan", ctx, ctx.location, enabled)
    for name, hit in out:
        links = [ref for static in EXPLAINED_BY.get(name, ()) for ref in ctx.related.get(static, [])]
        if links:
            hit.help += "; explained by " + ", ".join(links)
            hit.metrics["explained_by"] = links
        hit.metrics.setdefault("evidence", "measured" if ctx.plan.root.analyzed else "planned")
        hit.metrics["cost"] = ctx.plan.cost
    return out
