"""EXPLAIN (FORMAT JSON) output as a tree of PlanNode.

`parse_plan` takes what `EXPLAIN (FORMAT JSON)` returns (the JSON text, or the
list psycopg decodes it to) and raises `PlanError` -- nothing else -- when the
input is not such a plan.  Optional fields of the wrong type are ignored, so a
plan from another PostgreSQL version still parses.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


class PlanError(ValueError):
    """The input is not the output of EXPLAIN (FORMAT JSON)."""


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
    rows_removed_by_filter: float | None = None  # per loop, Filter and Join Filter together
    sort_key: list[str] = field(default_factory=list)
    sort_method: str | None = None  # for an Incremental Sort or a parallel Sort: the one that spilled, if any
    sort_space_type: str | None = None  # "Disk" when any part of the sort (a worker, a group) spilled
    sort_space_used: float | None = None  # kB, of the spilled part when one spilled
    hash_batches: int | None = None  # the largest over the leader and the workers
    temp_written_blocks: int | None = None
    subplans_removed: int | None = None
    parent_relationship: str | None = None  # Outer, Inner, Member, InitPlan, SubPlan...
    join_type: str | None = None  # Inner, Left, Semi, Anti...
    inner_unique: bool = False
    children: list[PlanNode] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def analyzed(self) -> bool:
        return self.actual_rows is not None

    @property
    def executed(self) -> bool:
        """Ran at least once (EXPLAIN ANALYZE reports `never executed` nodes with 0 loops)."""
        return self.analyzed and bool(self.actual_loops)

    @property
    def total_actual_rows(self) -> float | None:
        if self.actual_rows is None:
            return None
        return self.actual_rows * (self.actual_loops or 1)

    def child(self, relationship: str) -> PlanNode | None:
        """The Outer or Inner input (InitPlans and SubPlans are children too, and come first)."""
        for c in self.children:
            if c.parent_relationship == relationship:
                return c
        inputs = [c for c in self.children if c.parent_relationship not in ("InitPlan", "SubPlan")]
        if all(c.parent_relationship is None for c in inputs):  # a plan without relationships: by position
            index = {"Outer": 0, "Inner": 1}.get(relationship)
            if index is not None and index < len(inputs):
                return inputs[index]
        return None

    @property
    def outer(self) -> PlanNode | None:
        return self.child("Outer")

    @property
    def inner(self) -> PlanNode | None:
        return self.child("Inner")

    def walk(self) -> Iterator[PlanNode]:
        yield self
        for child in self.children:
            yield from child.walk()

    def walk_with_parents(self, parents: tuple[PlanNode, ...] = ()) -> Iterator[tuple[PlanNode, tuple]]:
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


def _num(data: dict, key: str) -> float | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _int(data: dict, key: str) -> int | None:
    value = _num(data, key)
    return int(value) if value is not None else None


def _str(data: dict, key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _sort_details(data: dict) -> tuple[str | None, str | None, float | None]:
    """(method, space type, space kB) of a Sort: the leader's, unless a worker or a group spilled.

    A parallel Sort reports each worker under "Workers"; an Incremental Sort reports its
    "Full-sort Groups" and "Pre-sorted Groups" with "Sort Methods Used" and "Sort Space Disk".
    """
    method, space_type, used = _str(data, "Sort Method"), _str(data, "Sort Space Type"), _num(data, "Sort Space Used")
    parts = (
        [w for w in data.get("Workers") or [] if isinstance(w, dict)] if isinstance(data.get("Workers"), list) else []
    )
    for part in parts:
        if part.get("Sort Space Type") == "Disk" and space_type != "Disk":
            method, space_type, used = _str(part, "Sort Method"), "Disk", _num(part, "Sort Space Used")
    for key in ("Full-sort Groups", "Pre-sorted Groups"):
        groups = data.get(key)
        if not isinstance(groups, dict):
            continue
        methods = (
            [m for m in groups.get("Sort Methods Used") or [] if isinstance(m, str)]
            if isinstance(groups.get("Sort Methods Used"), list)
            else []
        )
        disk = groups.get("Sort Space Disk")
        if isinstance(disk, dict) and space_type != "Disk":
            method = next((m for m in methods if m.startswith("external")), methods[0] if methods else None)
            space_type, used = "Disk", _num(disk, "Peak Sort Space Used")
        elif method is None and methods:
            method, space_type = methods[0], "Memory"
    return method, space_type, used


def _hash_batches(data: dict) -> int | None:
    values = [_int(data, "Hash Batches"), _int(data, "HashAgg Batches")]
    if isinstance(data.get("Workers"), list):
        for w in data["Workers"]:
            if isinstance(w, dict):
                values += [_int(w, "Hash Batches"), _int(w, "HashAgg Batches")]
    known = [v for v in values if v is not None]
    return max(known) if known else None


def parse_node(data: dict[str, Any]) -> PlanNode:
    if not isinstance(data, dict):
        raise PlanError(f"a plan node must be a JSON object, not {type(data).__name__}")
    removed = _num(data, "Rows Removed by Filter")
    join_removed = _num(data, "Rows Removed by Join Filter")
    if removed is not None and join_removed:
        removed += join_removed
    sort_method, sort_space_type, sort_space_used = _sort_details(data)
    sort_key = data.get("Sort Key")
    node = PlanNode(
        node_type=_str(data, "Node Type") or "?",
        relation=_str(data, "Relation Name"),
        alias=_str(data, "Alias"),
        index_name=_str(data, "Index Name"),
        startup_cost=_num(data, "Startup Cost") or 0.0,
        total_cost=_num(data, "Total Cost") or 0.0,
        plan_rows=_num(data, "Plan Rows") or 0.0,
        plan_width=_int(data, "Plan Width") or 0,
        actual_rows=_num(data, "Actual Rows"),
        actual_loops=_num(data, "Actual Loops"),
        actual_total_ms=_num(data, "Actual Total Time"),
        filter=_str(data, "Filter") or _str(data, "Join Filter"),
        index_cond=_str(data, "Index Cond") or _str(data, "Recheck Cond"),
        rows_removed_by_filter=removed,
        sort_key=[k for k in sort_key if isinstance(k, str)] if isinstance(sort_key, list) else [],
        sort_method=sort_method,
        sort_space_type=sort_space_type,
        sort_space_used=sort_space_used,
        hash_batches=_hash_batches(data),
        temp_written_blocks=_int(data, "Temp Written Blocks"),
        subplans_removed=_int(data, "Subplans Removed"),
        parent_relationship=_str(data, "Parent Relationship"),
        join_type=_str(data, "Join Type"),
        inner_unique=data.get("Inner Unique") is True,
        raw={k: v for k, v in data.items() if k != "Plans"},
    )
    children = data.get("Plans")
    if children is not None and not isinstance(children, list):
        raise PlanError(f'"Plans" of a {node.node_type} node must be a list')
    node.children = [parse_node(child) for child in children or []]
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
    """The JSON EXPLAIN returns: a list with one object holding "Plan".

    Raises PlanError for anything else: text that is not JSON, another shape, a
    plan nested too deeply to walk.
    """
    if isinstance(output, (bytes, bytearray)):
        try:
            output = output.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PlanError(f"EXPLAIN output is not UTF-8: {exc}") from None
    if isinstance(output, str):
        try:
            output = json.loads(output)
        except (ValueError, RecursionError) as exc:
            raise PlanError(f"EXPLAIN output is not JSON: {exc}") from None
    if isinstance(output, list):
        if not output:
            raise PlanError("EXPLAIN output is an empty list")
        output = output[0]
    if not isinstance(output, dict) or not isinstance(output.get("Plan"), dict):
        raise PlanError('expected EXPLAIN (FORMAT JSON) output: an object with a "Plan" object')
    try:
        root = parse_node(output["Plan"])
    except RecursionError:
        raise PlanError("plan nested too deeply") from None
    return Plan(root, _num(output, "Planning Time"), _num(output, "Execution Time"))


def render(node: PlanNode, depth: int = 0) -> str:
    """A plan as indented text, for messages and the REPL."""
    line = "  " * depth + ("-> " if depth else "") + node.label()
    line += f"  (cost={node.startup_cost:.2f}..{node.total_cost:.2f} rows={node.plan_rows:.0f})"
    if node.analyzed:
        line += f" (actual rows={node.actual_rows:.0f} loops={(node.actual_loops or 0):.0f})"
    lines = [line]
    for child in node.children:
        lines.append(render(child, depth + 1))
    return "\n".join(lines)
