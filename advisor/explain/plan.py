"""EXPLAIN (FORMAT JSON) output as a tree of PlanNode."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator


@dataclass
class PlanNode:
    node_type: str
    relation: str | None = None
    alias: str | None = None
    index_name: str | None = None
    startup_cost: float = 0.0
    total_cost: float = 0.0
    plan_rows: float = 0.0
    plan_width: int = 0
    actual_rows: float | None = None  # per loop, as PostgreSQL reports it
    actual_loops: float | None = None
    actual_total_ms: float | None = None
    filter: str | None = None
    index_cond: str | None = None
    rows_removed_by_filter: float | None = None
    sort_key: list[str] = field(default_factory=list)
    sort_method: str | None = None
    sort_space_type: str | None = None
    hash_batches: int | None = None
    temp_written_blocks: int | None = None
    subplans_removed: int | None = None
    parent_relationship: str | None = None
    children: list["PlanNode"] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def analyzed(self) -> bool:
        return self.actual_rows is not None

    @property
    def total_actual_rows(self) -> float | None:
        if self.actual_rows is None:
            return None
        return self.actual_rows * (self.actual_loops or 1)

    def walk(self) -> Iterator["PlanNode"]:
        yield self
        for child in self.children:
            yield from child.walk()

    def walk_with_parents(self, parents: tuple["PlanNode", ...] = ()) -> Iterator[tuple["PlanNode", tuple]]:
        yield self, parents
        for child in self.children:
            yield from child.walk_with_parents(parents + (self,))

    def label(self) -> str:
        text = self.node_type
        if self.index_name:
            text += f" using {self.index_name}"
        if self.relation:
            text += f" on {self.relation}"
        return text


def parse_node(data: dict[str, Any]) -> PlanNode:
    removed = data.get("Rows Removed by Filter")
    if removed is not None and data.get("Rows Removed by Join Filter"):
        removed += data["Rows Removed by Join Filter"]
    node = PlanNode(
        node_type=data.get("Node Type", "?"),
        relation=data.get("Relation Name"),
        alias=data.get("Alias"),
        index_name=data.get("Index Name"),
        startup_cost=float(data.get("Startup Cost", 0.0)),
        total_cost=float(data.get("Total Cost", 0.0)),
        plan_rows=float(data.get("Plan Rows", 0.0)),
        plan_width=int(data.get("Plan Width", 0)),
        actual_rows=data.get("Actual Rows"),
        actual_loops=data.get("Actual Loops"),
        actual_total_ms=data.get("Actual Total Time"),
        filter=data.get("Filter") or data.get("Join Filter"),
        index_cond=data.get("Index Cond") or data.get("Recheck Cond"),
        rows_removed_by_filter=removed,
        sort_key=list(data.get("Sort Key") or []),
        sort_method=data.get("Sort Method"),
        sort_space_type=data.get("Sort Space Type"),
        hash_batches=data.get("Hash Batches") or data.get("HashAgg Batches"),
        temp_written_blocks=data.get("Temp Written Blocks"),
        subplans_removed=data.get("Subplans Removed"),
        parent_relationship=data.get("Parent Relationship"),
        raw={k: v for k, v in data.items() if k != "Plans"},
    )
    node.children = [parse_node(child) for child in data.get("Plans") or []]
    return node


@dataclass
class Plan:
    root: PlanNode
    planning_ms: float | None = None
    execution_ms: float | None = None

    @property
    def cost(self) -> float:
        return self.root.total_cost

    def indexes_used(self) -> set[str]:
        return {n.index_name for n in self.root.walk() if n.index_name}


def parse_plan(output: Any) -> Plan:
    """The JSON EXPLAIN returns: a list with one object holding "Plan"."""
    import json

    if isinstance(output, str):
        output = json.loads(output)
    if isinstance(output, list):
        output = output[0]
    return Plan(parse_node(output["Plan"]), output.get("Planning Time"), output.get("Execution Time"))


def render(node: PlanNode, depth: int = 0) -> str:
    """A plan as indented text, for messages and the REPL."""
    line = "  " * depth + ("-> " if depth else "") + node.label()
    line += f"  (cost={node.startup_cost:.2f}..{node.total_cost:.2f} rows={node.plan_rows:.0f})"
    if node.analyzed:
        line += f" (actual rows={node.actual_rows:.0f} loops={node.actual_loops:.0f})"
    lines = [line]
    for child in node.children:
        lines.append(render(child, depth + 1))
    return "\n".join(lines)
