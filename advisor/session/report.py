"""What one query produces in a session: plain data, rendered elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.explain.plan import Plan, PlanNode


@dataclass
class Advice:
    """The index the measurement recommends (or the best one that fell short)."""

    index: str  # table(keys)
    ddl: str
    cost_before: float
    cost_after: float
    size_bytes: int | None
    build_ms: float | None
    evidence: str  # measured (built on seeded data) or planned (HypoPG)
    time_before_ms: float | None = None
    time_after_ms: float | None = None

    @property
    def gain(self) -> float:
        return (self.cost_before - self.cost_after) / self.cost_before if self.cost_before else 0.0


@dataclass
class PlanFinding:
    rule: str  # rule name, e.g. seq-scan-large-table
    rule_id: str
    message: str
    help: str
    node: int | None  # pre-order position of the node it is about


@dataclass
class QueryReport:
    text: str
    kind: str = "sql"  # sql or mongo
    plan: Plan | None = None  # the plan shown: EXPLAIN ANALYZE's when it ran
    analyzed: bool = False
    params: list[str] = field(default_factory=list)
    plan_findings: list[PlanFinding] = field(default_factory=list)
    static: list[Any] = field(default_factory=list)  # Finding
    advice: Advice | None = None
    outcome: str = ""  # recommended, cheap, no-candidate, below-threshold, not-verified, error
    reason: str = ""
    error: str | None = None
    mongo_plan: str | None = None  # the static planner's (or the server's) winning plan
    query: Any = field(default=None, repr=False)  # the SqlQuery, so \try can plan it again

    @property
    def cost(self) -> float | None:
        return self.plan.cost if self.plan else None

    @property
    def time_ms(self) -> float | None:
        return self.plan.execution_ms if self.plan and self.analyzed else None


@dataclass
class TryReport:
    ddl: str
    name: str
    size_bytes: int | None = None
    build_ms: float | None = None
    hypothetical: bool = False
    index_names: list[str] = field(default_factory=list)  # the index and, partitioned, its partitions' indexes
    before: QueryReport | None = None
    after: QueryReport | None = None

    @property
    def used(self) -> bool | None:
        """Whether the re-planned query uses the index (partitioned: one of its partitions' indexes)."""
        if self.after is None or self.after.plan is None:
            return None
        names = set(self.index_names or [self.name])
        for node in self.after.plan.root.walk():
            if node.index_name in names or (self.hypothetical and any(n in (node.index_name or "") for n in names)):
                return True
        return False


def numbered(plan: Plan) -> list[PlanNode]:
    """Plan nodes in pre-order: a node's position is how findings point at it."""
    return list(plan.root.walk())


def exclusive_ms(node: PlanNode) -> float | None:
    """Time spent in the node itself, children's time taken off (all loops)."""
    if node.actual_total_ms is None:
        return None
    own = node.actual_total_ms * (node.actual_loops or 1)
    for child in node.children:
        if child.actual_total_ms is not None:
            own -= child.actual_total_ms * (child.actual_loops or 1)
    return max(own, 0.0)


def slowest(plan: Plan, top: int = 3) -> list[tuple[int, float]]:
    """(position, share of the whole run) of the nodes where most time goes."""
    nodes = numbered(plan)
    times = [(i, exclusive_ms(n)) for i, n in enumerate(nodes)]
    total = sum(t for _, t in times if t is not None)
    if not total:
        return []
    ranked = sorted(((i, t / total) for i, t in times if t), key=lambda x: -x[1])
    return [(i, share) for i, share in ranked[:top] if share >= 0.05]
