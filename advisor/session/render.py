"""A query report on screen (rich) or as JSON; both drawn from the same QueryReport."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from advisor.explain.plan import Plan, PlanNode
from advisor.session.report import QueryReport, TryReport, exclusive_ms, numbered, slowest
from advisor.units import human_size

STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def print_visibly(console) -> None:
    """Make every text the console prints go through `visible`: plan nodes, filters, advice, DDL and `\\d` name
    the repository's tables, columns and literals (a table named `evil<ESC>]0;title`); the styles the
    console adds itself stay codes.  One hook for all of the session's output."""
    from rich.console import RenderHook

    class Visible(RenderHook):
        def process_renderables(self, renderables):
            return [_Visible(r) for r in renderables]

    console.push_render_hook(Visible())


class _Visible:
    def __init__(self, inner):
        self.inner = inner

    def __rich_console__(self, console, options):
        from rich.segment import Segment

        from advisor.reporters import visible

        for segment in console.render(self.inner, options):
            if segment.control or segment.text.isascii() and segment.text.isprintable():
                yield segment
            else:
                yield Segment(visible(segment.text), segment.style, segment.control)


def _ms(ms: float | None) -> str:
    return "?" if ms is None else f"{ms:,.1f} ms" if ms >= 1 else f"{ms:.3f} ms"


def _rows(n: float | None) -> str:
    return "?" if n is None else f"{n:,.0f}"


# --- the plan tree -------------------------------------------------------------------------


def _node_text(node: PlanNode, share: float | None, marks: list[str]) -> Text:
    text = Text()
    text.append(node.node_type, style="bold")
    if node.index_name:
        text.append(f" using {node.index_name}", style="green")
    if node.relation:
        text.append(f" on {node.relation}")
        if node.alias and node.alias != node.relation:
            text.append(f" {node.alias}")
    text.append(f"  cost {node.startup_cost:,.2f}..{node.total_cost:,.2f}  rows {_rows(node.plan_rows)}", style="dim")
    if node.analyzed and not node.executed:
        text.append("  never executed", style="dim")
    elif node.analyzed:
        loops = node.actual_loops or 1
        text.append(f"  actual {_rows(node.actual_rows)}" + (f" x{loops:,.0f} loops" if loops != 1 else ""))
        own = exclusive_ms(node)
        if own is not None:
            text.append(f"  {_ms(own)}")
        if share is not None:
            text.append(f" ({share:.0%})", style="bold magenta")
        hit, read = node.raw.get("Shared Hit Blocks"), node.raw.get("Shared Read Blocks")
        if hit or read:
            text.append(f"  buffers hit={hit or 0} read={read or 0}", style="dim")
    for label, value in _conditions(node):
        text.append(f"\n{label}: {value}", style="cyan")
    if node.rows_removed_by_filter:
        text.append(f"  (removed {node.rows_removed_by_filter * (node.actual_loops or 1):,.0f})", style="cyan")
    if node.sort_key:
        text.append(f"\nsort key: {', '.join(node.sort_key)}", style="cyan")
        if node.sort_method:
            text.append(f"  {node.sort_method}", style="cyan")
    for mark in marks:
        text.append(f"\n! {mark}", style="bold yellow")
    return text


CONDITIONS = (
    ("Index Cond", "index cond"),
    ("Recheck Cond", "recheck cond"),
    ("Hash Cond", "hash cond"),
    ("Merge Cond", "merge cond"),
    ("Join Filter", "join filter"),
    ("Filter", "filter"),
)


def _conditions(node: PlanNode) -> list[tuple[str, str]]:
    """The node's conditions under PostgreSQL's own names: a join shows what it joins on."""
    found = [(label, node.raw[key]) for key, label in CONDITIONS if isinstance(node.raw.get(key), str)]
    if found or node.raw:
        return found
    return [(label, value) for label, value in (("index cond", node.index_cond), ("filter", node.filter)) if value]


def plan_tree(plan: Plan, report: QueryReport | None = None, title: str | None = None) -> Tree:
    """The plan as a tree; nodes the plan rules flag carry a mark, the slowest their time share."""
    nodes = numbered(plan)
    marks: dict[int, list[str]] = {}
    for f in report.plan_findings if report else []:
        if f.node is not None:
            marks.setdefault(f.node, []).append(f"{f.rule_id} {f.rule}")
    shares = dict(slowest(plan))
    head = title or ("EXPLAIN ANALYZE" if plan.root.analyzed else "EXPLAIN")
    summary = f"{head}: cost {plan.cost:,.1f}"
    if plan.execution_ms is not None and plan.root.analyzed:
        summary += f", {_ms(plan.execution_ms)}"
    tree = Tree(Text(summary, style="bold underline"))
    position = {id(n): i for i, n in enumerate(nodes)}

    def add(branch: Tree, node: PlanNode) -> None:
        i = position[id(node)]
        child = branch.add(_node_text(node, shares.get(i), marks.get(i, [])))
        for sub in node.children:
            add(child, sub)

    add(tree, plan.root)
    return tree


# --- a whole report ------------------------------------------------------------------------------


def _finding_line(rule: str, name: str, message: str, severity: str = "warning") -> str:
    return f"  [{STYLES.get(severity, '')}]{escape(rule)}[/] [dim]{escape(name)}[/] {escape(message)}"


def report_renderable(report: QueryReport, *, with_query: bool = True) -> Group:
    from advisor import catalogue

    parts: list[Any] = []
    if with_query:
        parts.append(
            Syntax(
                report.text, "sql" if report.kind == "sql" else "javascript", word_wrap=True, background_color="default"
            )
        )
    if report.params:  # the values it ran with: typed with \\params or sampled from the data
        parts.append(Text("params: " + ", ".join(f"${i}={p}" for i, p in enumerate(report.params, 1)), style="dim"))
    if report.error:
        parts.append(Text.from_markup(f"[bold red]error:[/] {escape(report.error)}"))
    if report.plan is not None:
        parts.append(plan_tree(report.plan, report))
    if report.mongo_plan:
        parts.append(Text.from_markup(f"[bold underline]winning plan (static planner)[/]: {escape(report.mongo_plan)}"))
    if report.plan_findings:
        parts.append(Text("What the plan shows", style="bold"))
        for f in report.plan_findings:
            parts.append(Text.from_markup(_finding_line(f.rule_id, f.rule, f.message)))
            parts.append(Text.from_markup(f"      [dim]{escape(f.help)}[/]"))
    if report.static:
        parts.append(Text("What the query text shows", style="bold"))
        for f in report.static:
            spec = catalogue.lookup(f.rule)
            name = spec.name if spec else ""
            parts.append(Text.from_markup(_finding_line(f.rule, name, f.message, f.severity)))
            if f.help:
                parts.append(Text.from_markup(f"      [dim]{escape(f.help)}[/]"))
    parts += _advice_lines(report)
    return Group(*parts)


def _advice_lines(report: QueryReport) -> list[Any]:
    if report.kind != "sql" or report.plan is None:
        return []
    a = report.advice
    if report.outcome == "recommended" and a is not None:
        timing = ""
        if a.time_before_ms is not None and a.time_after_ms is not None:
            timing = f", time {_ms(a.time_before_ms)} -> {_ms(a.time_after_ms)}"
        built = f", built in {a.build_ms:,.0f} ms" if a.build_ms is not None else ""
        how = "measured on the seeded data" if a.evidence == "measured" else "planned with HypoPG"
        return [
            Text("Index advice", style="bold"),
            Text.from_markup(
                f"  [bold green]{escape(a.index)}[/]: cost {a.cost_before:,.1f} -> {a.cost_after:,.1f} "
                f"(-{a.gain:.0%}){timing}; size {human_size(a.size_bytes)}{built} ({how})"
            ),
            Text("  " + a.ddl, style="green"),
            Text.from_markup(f"  [dim]try it here:[/] \\try {escape(_try_form(a.ddl))}"),
        ]
    if report.reason:
        return [Text("Index advice", style="bold"), Text.from_markup(f"  [dim]none: {escape(report.reason)}[/]")]
    return []


def _try_form(ddl: str) -> str:
    import re

    return re.sub(r"\bCONCURRENTLY\s+", "", ddl, count=1)


def try_renderable(result: TryReport, console=None) -> Group:
    kind = "hypothetical index (HypoPG)" if result.hypothetical else "index"
    built = f" in {result.build_ms:,.0f} ms" if result.build_ms is not None else ""
    parts: list[Any] = [
        Text.from_markup(
            f"[bold green]built {kind}[/] {escape(result.name)}{built}, size {human_size(result.size_bytes)}"
        )
    ]
    before, after = result.before, result.after
    if before is None or after is None or before.plan is None or after.plan is None:
        if after is not None and after.error:
            parts.append(Text.from_markup(f"[bold red]error:[/] {escape(after.error)}"))
        elif before is None:
            parts.append(Text("no query yet: type one and it is planned with this index", style="dim"))
        return Group(*parts)
    parts.append(
        _before_after(plan_tree(before.plan, before, "before"), plan_tree(after.plan, after, "after"), console)
    )
    cb, ca = before.plan.cost, after.plan.cost
    change = f"cost {cb:,.1f} -> {ca:,.1f}" + (f" ({(ca - cb) / cb:+.0%})" if cb else "")
    if before.time_ms is not None and after.time_ms is not None:
        change += f", time {_ms(before.time_ms)} -> {_ms(after.time_ms)}"
    used = bool(result.used)
    style = "bold green" if used and ca < cb else "yellow"
    verdict = "the planner uses it" if used else "the planner does not use it"
    parts.append(Text(f"{change}; {verdict}", style=style))
    return Group(*parts)


def _before_after(before: Tree, after: Tree, console) -> Any:
    """The two plans side by side when both fit in half the width; else one above the other, since a
    deep plan squeezed into half a narrow terminal wraps every word onto its own line."""
    if console is not None:
        from rich.measure import Measurement

        half = (console.width - 2) // 2
        if max(Measurement.get(console, console.options, t).maximum for t in (before, after)) > half:
            return Group(before, after)
    grid = Table.grid(padding=(0, 2), expand=True)
    grid.add_column(ratio=1)
    grid.add_column(ratio=1)
    grid.add_row(before, after)
    return grid


# --- JSON -------------------------------------------------------------------------------------------


def _node_dict(node: PlanNode, position: dict[int, int], findings: dict[int, list[str]]) -> dict:
    i = position[id(node)]
    out: dict[str, Any] = {"node": i, "type": node.node_type}
    for key, value in (
        ("relation", node.relation),
        ("index", node.index_name),
        ("filter", node.filter),
        ("index_cond", node.index_cond),
    ):
        if value:
            out[key] = value
    for key in ("Hash Cond", "Merge Cond"):  # what a join joins on
        if isinstance(node.raw.get(key), str):
            out[key.lower().replace(" ", "_")] = node.raw[key]
    out.update(startup_cost=node.startup_cost, total_cost=node.total_cost, rows=node.plan_rows)
    if node.analyzed:
        out.update(actual_rows=node.actual_rows, loops=node.actual_loops, time_ms=exclusive_ms(node))
    if findings.get(i):
        out["findings"] = findings[i]
    if node.children:
        out["children"] = [_node_dict(c, position, findings) for c in node.children]
    return out


def report_dict(report: QueryReport) -> dict:
    from advisor.reporters import finding_dict

    doc: dict[str, Any] = {"query": report.text, "kind": report.kind}
    if report.plan is not None:
        position = {id(n): i for i, n in enumerate(numbered(report.plan))}
        marks: dict[int, list[str]] = {}
        for f in report.plan_findings:
            if f.node is not None:
                marks.setdefault(f.node, []).append(f.rule)
        doc.update(
            analyzed=report.analyzed,
            cost=report.cost,
            time_ms=report.time_ms,
            plan=_node_dict(report.plan.root, position, marks),
        )
    if report.params:
        doc["params"] = report.params
    if report.mongo_plan:
        doc["mongo_plan"] = report.mongo_plan
    doc["plan_findings"] = [
        {"rule": f.rule_id, "name": f.rule, "message": f.message, "help": f.help, "node": f.node}
        for f in report.plan_findings
    ]
    doc["findings"] = [finding_dict(f) for f in report.static]
    if report.advice is not None:
        a = report.advice
        doc["advice"] = {
            "index": a.index,
            "ddl": a.ddl,
            "cost_before": a.cost_before,
            "cost_after": a.cost_after,
            "size_bytes": a.size_bytes,
            "build_ms": a.build_ms,
            "evidence": a.evidence,
            "time_before_ms": a.time_before_ms,
            "time_after_ms": a.time_after_ms,
            "recommended": report.outcome == "recommended",
        }
    doc["outcome"] = report.outcome
    if report.reason:
        doc["reason"] = report.reason
    if report.error:
        doc["error"] = report.error
    return doc
