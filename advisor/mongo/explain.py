"""MongoDB explain output → one PlanNode tree; plan rules over it; live explain via pymongo.

Handles the shapes real servers produce (3.2 to 8.2): find explains (classic
`winningPlan` / `executionStages` trees, SBE `queryPlan` + `slotBasedPlan`, 8.0
EXPRESS stages whose keyPattern is a string), aggregate explains (`stages[]` with a
`$cursor`), and sharded explains (`shards{}` / `winningPlan.shards[]`), with or
without execution statistics.

Live explain against a server (`--mongo-uri`) is advisor/mongo/live_explain.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from advisor.checks import Hit, register, run_rules
from advisor.ir import Location

CHILD_KEYS = ("inputStage", "outerStage", "innerStage", "thenStage", "elseStage")
SCAN_STAGES = {"COLLSCAN", "CLUSTERED_IXSCAN", "EXPRESS_CLUSTERED_IXSCAN"}
SORT_STAGES = {"SORT", "sort"}


@dataclass
class PlanNode:
    stage: str
    children: list[PlanNode] = field(default_factory=list)
    index_name: str | None = None
    key_pattern: Any = None  # dict, or the string 8.0 EXPRESS stages print
    direction: str | None = None
    keys_examined: int | None = None
    docs_examined: int | None = None
    n_returned: int | None = None
    time_ms: float | None = None
    memory_bytes: int | None = None
    used_disk: bool = False
    spills: int = 0
    blocking: bool = False  # waits for all its input (in-memory SORT, $group...)
    namespace: str | None = None
    filter: Any = None
    raw: dict = field(default_factory=dict, repr=False)

    def walk(self) -> Iterator[PlanNode]:
        yield self
        for c in self.children:
            yield from c.walk()

    def render(self, indent: int = 0) -> str:
        bits = [self.stage]
        if self.index_name:
            bits.append(self.index_name)
        for label, value in (("keys", self.keys_examined), ("docs", self.docs_examined), ("n", self.n_returned)):
            if value is not None:
                bits.append(f"{label}={value}")
        if self.used_disk:
            bits.append("usedDisk")
        lines = ["  " * indent + " ".join(bits)]
        lines += [c.render(indent + 1) for c in self.children]
        return "\n".join(lines)


def _num(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, dict):  # extended JSON {"$numberLong": "12"}
        for k in ("$numberLong", "$numberInt", "$numberDouble"):
            if k in value:
                try:
                    return int(float(value[k]))
                except (TypeError, ValueError):
                    return None
    return None


def _stage_node(d: dict) -> PlanNode:
    stage = str(d.get("stage", "?"))
    node = PlanNode(stage=stage, raw=d)
    node.index_name = d.get("indexName")
    node.key_pattern = d.get("keyPattern")
    node.direction = d.get("direction")
    node.keys_examined = _num(d.get("keysExamined"))
    node.docs_examined = _num(d.get("docsExamined"))
    node.n_returned = _num(d.get("nReturned"))
    t = _num(d.get("executionTimeMillisEstimate", d.get("executionTimeMillis")))
    node.time_ms = float(t) if t is not None else None
    node.memory_bytes = _num(d.get("totalDataSizeSorted", d.get("memUsage", d.get("peakTrackedMemBytes"))))
    node.used_disk = bool(d.get("usedDisk")) or bool(_num(d.get("spills")))
    node.spills = _num(d.get("spills")) or 0
    node.blocking = stage in SORT_STAGES or stage in ("GROUP", "group", "hash_agg")
    node.filter = d.get("filter")
    for key in CHILD_KEYS:
        if isinstance(d.get(key), dict):
            node.children.append(_stage_node(d[key]))
    for key in ("inputStages",):
        for child in d.get(key) or []:
            if isinstance(child, dict):
                node.children.append(_stage_node(child))
    if isinstance(d.get("shards"), list):  # winningPlan of a sharded find
        for shard in d["shards"]:
            if isinstance(shard, dict):
                node.children.append(_query_node(shard))
    return node


def _classic_names(d: dict) -> bool:
    """True when a tree uses the classic stage names (upper case), not SBE's."""
    stage = d.get("stage")
    return isinstance(stage, str) and stage == stage.upper()


def _query_node(q: dict) -> PlanNode:
    """A queryPlanner (+ executionStats) pair, from a find explain, a $cursor or a shard."""
    planner = q.get("queryPlanner", q)
    stats = q.get("executionStats") or {}
    winning = planner.get("winningPlan") or {}
    if isinstance(winning.get("queryPlan"), dict):
        winning = winning["queryPlan"]
    exec_stages = stats.get("executionStages")
    if isinstance(exec_stages, dict) and _classic_names(exec_stages):
        node = _stage_node(exec_stages)
    elif isinstance(exec_stages, dict) and isinstance(exec_stages.get("shards"), list):
        node = PlanNode("SHARD_MERGE", raw=exec_stages)
        for shard in exec_stages["shards"]:
            if isinstance(shard, dict) and isinstance(shard.get("executionStages"), dict):
                node.children.append(_stage_node(shard["executionStages"]))
    elif winning:
        node = _stage_node(winning)
        _annotate_from_sbe(node, exec_stages)
    else:
        node = PlanNode("EOF", raw=q)
    node.namespace = planner.get("namespace")
    # totals describe the whole query: keep them on the root
    if stats:
        node.raw = {
            **node.raw,
            "_totals": {
                k: stats.get(k) for k in ("nReturned", "totalKeysExamined", "totalDocsExamined", "executionTimeMillis")
            },
        }
        if node.n_returned is None:
            node.n_returned = _num(stats.get("nReturned"))
        total_ms = _num(stats.get("executionTimeMillis"))
        if node.time_ms is None and total_ms is not None:
            node.time_ms = float(total_ms)
        totals_keys, totals_docs = _num(stats.get("totalKeysExamined")), _num(stats.get("totalDocsExamined"))
        if not any(n.keys_examined is not None or n.docs_examined is not None for n in node.walk()):
            # SBE trees carry counts in other names: put the totals on the scans
            for n in node.walk():
                if n.stage in SCAN_STAGES or "IXSCAN" in n.stage or n.stage == "COUNT_SCAN":
                    n.keys_examined = totals_keys if n.stage not in SCAN_STAGES else None
                    n.docs_examined = totals_docs if n.stage in SCAN_STAGES else n.docs_examined
        node.raw["_totals"]["keys"] = totals_keys
        node.raw["_totals"]["docs"] = totals_docs
    return node


def _annotate_from_sbe(node: PlanNode, exec_stages: Any) -> None:
    if not isinstance(exec_stages, dict):
        return
    node.n_returned = _num(exec_stages.get("nReturned"))
    t = _num(exec_stages.get("executionTimeMillisEstimate"))
    node.time_ms = float(t) if t is not None else None

    def sbe_walk(d):
        yield d
        for k in CHILD_KEYS:
            if isinstance(d.get(k), dict):
                yield from sbe_walk(d[k])
        for c in d.get("inputStages") or []:
            if isinstance(c, dict):
                yield from sbe_walk(c)

    for d in sbe_walk(exec_stages):
        if d.get("stage") == "sort":
            for n in node.walk():
                if n.stage == "SORT":
                    n.used_disk = n.used_disk or bool(d.get("usedDisk"))
                    n.spills = max(n.spills, _num(d.get("spills")) or 0)


def _agg_stage_node(stage: dict) -> PlanNode | None:
    names = [k for k in stage if k.startswith("$")]
    if not names:
        return None
    name = names[0]
    if name == "$cursor":
        return _query_node(stage["$cursor"])
    if name == "$geoNearCursor":
        return _query_node(stage[name])
    node = PlanNode(stage=name, raw=stage)
    node.n_returned = _num(stage.get("nReturned"))
    t = _num(stage.get("executionTimeMillisEstimate"))
    node.time_ms = float(t) if t is not None else None
    node.docs_examined = _num(stage.get("totalDocsExamined"))
    node.keys_examined = _num(stage.get("totalKeysExamined"))
    node.used_disk = bool(stage.get("usedDisk")) or bool(_num(stage.get("spills")))
    node.spills = _num(stage.get("spills")) or 0
    node.memory_bytes = _num(stage.get("totalDataSizeSortedBytesEstimate", stage.get("maxAccumulatorMemoryUsageBytes")))
    node.blocking = name in ("$sort", "$group", "$bucket", "$bucketAuto", "$sortByCount", "$facet", "$setWindowFields")
    spec = stage.get(name)
    if name == "$lookup" and isinstance(spec, dict):
        node.namespace = spec.get("from")
        if _num(stage.get("collectionScans")):
            node.raw = {**stage, "_lookup_collscans": _num(stage.get("collectionScans"))}
    if name == "$sort" and isinstance(spec, dict) and spec.get("sortKey"):
        node.blocking = True
    return node


def _pipeline_node(stages: list) -> PlanNode:
    """An aggregate's stages as a chain: the last stage at the root."""
    root: PlanNode | None = None
    for stage in stages:
        if not isinstance(stage, dict):
            continue
        node = _agg_stage_node(stage)
        if node is None:
            continue
        if root is not None:
            node.children.insert(0, root)
        root = node
    return root or PlanNode("EOF")


def parse_explain(doc: dict) -> PlanNode:
    """Any explain document (find, aggregate, sharded; classic or SBE) as a PlanNode tree."""
    if not isinstance(doc, dict):
        raise ValueError("an explain output is a JSON object")
    if isinstance(doc.get("shards"), dict):  # sharded aggregate (mongos)
        merge = PlanNode("SHARD_MERGE", raw={k: v for k, v in doc.items() if k != "shards"})
        for name, shard in doc["shards"].items():
            if not isinstance(shard, dict):
                continue
            child = _pipeline_node(shard["stages"]) if isinstance(shard.get("stages"), list) else _query_node(shard)
            child.raw = {**child.raw, "_shard": name}
            merge.children.append(child)
        return merge
    if isinstance(doc.get("stages"), list):
        return _pipeline_node(doc["stages"])
    if "queryPlanner" in doc or "winningPlan" in doc:
        return _query_node(doc)
    if "executionStats" in doc:
        return _query_node(doc)
    raise ValueError("not a MongoDB explain output (no queryPlanner, stages or shards)")


def totals(tree: PlanNode) -> dict[str, int | None]:
    """Keys and documents examined and documents returned, for the whole plan."""
    keys = docs = 0
    seen_keys = seen_docs = False
    for n in tree.walk():
        t = n.raw.get("_totals") if isinstance(n.raw, dict) else None
        if t:
            if t.get("keys") is not None:
                keys += t["keys"]
                seen_keys = True
            if t.get("docs") is not None:
                docs += t["docs"]
                seen_docs = True
    if not seen_keys and not seen_docs:
        for n in tree.walk():
            if n.keys_examined is not None:
                keys += n.keys_examined
                seen_keys = True
            if n.docs_examined is not None:
                docs += n.docs_examined
                seen_docs = True
    returned = tree.n_returned
    if returned is None:
        for n in tree.walk():
            if n.n_returned is not None:
                returned = n.n_returned
                break
    return {"keys": keys if seen_keys else None, "docs": docs if seen_docs else None, "returned": returned}


# --- plan rules -------------------------------------------------------------------------------------

EXAMINED_RATIO = 10
EXAMINED_MIN = 100


@dataclass
class ExplainContext:
    """What a MongoDB plan rule sees: the explain tree of one query, where the query is, its totals."""

    tree: PlanNode
    location: Location
    query: str | None = None
    totals: dict[str, int | None] = field(default_factory=dict)

    def hit(self, message: str, help: str, subject: str) -> Hit:
        metrics = {"evidence": "planned", **{k: v for k, v in self.totals.items() if v is not None}}
        return Hit(
            message,
            self.location,
            help=help,
            subject=subject,
            query=self.query,
            query_location=self.location,
            metrics=metrics,
        )


def plan_findings(tree: PlanNode, location: Location, query: str | None = None) -> list[tuple[str, Hit]]:
    """(rule name, hit) for what the plan shows, under the rules' guard; all evidence 'planned'."""
    ctx = ExplainContext(tree, location, query, totals(tree))
    return run_rules("mongo-plan", ctx, location, lambda name: True)


@register("mongo-plan", "mongo-collscan")
def collscan(ctx: ExplainContext) -> Iterator[Hit]:
    for n in ctx.tree.walk():
        if n.stage == "COLLSCAN":
            docs = n.docs_examined
            where = f" of {n.namespace}" if n.namespace else ""
            read = f", reading {docs:,} documents" if docs is not None else ""
            yield ctx.hit(
                f"the plan scans the whole collection{where} (COLLSCAN{read})",
                "create an index for the filter (advisor's collection-scan finding prints one in ESR order)",
                f"COLLSCAN:{n.namespace or ''}",
            )
            break


@register("mongo-plan", "mongo-examined-ratio")
def examined_ratio(ctx: ExplainContext) -> Iterator[Hit]:
    t = ctx.totals
    returned = t.get("returned") or 0
    examined = max(t.get("keys") or 0, t.get("docs") or 0)
    if examined >= EXAMINED_MIN and examined > EXAMINED_RATIO * max(returned, 1):
        yield ctx.hit(
            f"the plan examines {t.get('keys') or 0:,} keys and {t.get('docs') or 0:,} documents to return "
            f"{returned:,}: the index bounds (or the lack of an index) leave most of the work to filtering",
            "order the index keys Equality, Sort, Range so the bounds select only matches; move unanchored or "
            "negated predicates off the index path",
            "examined",
        )


@register("mongo-plan", "mongo-blocking-sort")
def blocking_sort(ctx: ExplainContext) -> Iterator[Hit]:
    for n in ctx.tree.walk():
        if n.stage in SORT_STAGES or (n.stage == "$sort" and n.blocking):
            size = f" ({n.memory_bytes:,} bytes sorted)" if n.memory_bytes else ""
            yield ctx.hit(
                f"the plan sorts in memory{size}: a blocking SORT reads every match before returning the first",
                "create an index that provides the sort after the equality keys (advisor's in-memory-sort finding "
                "prints one)",
                "SORT",
            )
            break


@register("mongo-plan", "mongo-sort-spill")
def sort_spill(ctx: ExplainContext) -> Iterator[Hit]:
    for n in ctx.tree.walk():
        if (n.stage in SORT_STAGES or n.stage in ("$sort", "$group", "GROUP", "group")) and n.used_disk:
            yield ctx.hit(
                f"{n.stage} spilled to disk ({n.spills} spill(s)): its input exceeded the memory limit",
                "serve the sort from an index, or filter and $project earlier so less data reaches it",
                f"spill:{n.stage}",
            )
            break
