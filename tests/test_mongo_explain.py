"""The explain parser on every recorded sample; plan rules; live explain's error path."""

import json
import time
from pathlib import Path

import pytest

from advisor.ir import Location
from advisor.mongo.explain import parse_explain, plan_findings, totals
from advisor.mongo.live_explain import ExplainError, explain_live
from advisor.mongo.shape import MongoQuery

# real recorded outputs; where each comes from: tests/data/mongo-explain/SOURCES.md
SAMPLES = Path(__file__).resolve().parent / "data" / "mongo-explain"
FILES = sorted(SAMPLES.glob("*.json"))
HERE = Location("q.js", 1, 1)


def load(prefix):
    path = next(p for p in FILES if p.name.startswith(prefix))
    return parse_explain(json.loads(path.read_text()))


def rules(tree):
    names = {name for name, _ in plan_findings(tree, HERE)}
    assert "rule-failed" not in names
    return names


def test_there_are_16_samples():
    assert len(FILES) == 16


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:2])
def test_every_sample_parses(path):
    tree = parse_explain(json.loads(path.read_text()))
    stages = [n.stage for n in tree.walk()]
    assert stages and "?" not in stages
    assert any(s in stages for s in ("COLLSCAN", "IXSCAN", "COUNT_SCAN", "EXPRESS_IXSCAN")), stages


def test_classic_find_collscan():
    tree = load("01")
    assert tree.stage == "COLLSCAN" and tree.docs_examined == 1_000_000
    assert rules(tree) == {"mongo-collscan"}


def test_covered_query_examines_no_documents():
    tree = load("03")
    assert totals(tree)["docs"] == 0 and [n.stage for n in tree.walk()] == ["PROJECTION", "IXSCAN"]


def test_blocking_sort_and_examined_ratio():
    tree = load("04")
    assert totals(tree) == {"keys": 191665, "docs": 191665, "returned": 9}
    assert rules(tree) == {"mongo-examined-ratio", "mongo-blocking-sort"}


def test_aggregate_cursor_and_sort_stage():
    tree = load("05")
    assert tree.stage == "$sort" and tree.children[0].stage == "COLLSCAN"


def test_query_planner_only_has_no_counts():
    tree = load("06")
    assert [n.stage for n in tree.walk()] == ["$out", "LIMIT", "FETCH", "IXSCAN"]
    assert totals(tree)["keys"] is None and "mongo-examined-ratio" not in rules(tree)


def test_server_moved_match_ahead_of_lookup():
    tree = load("07")  # the command had $lookup, $limit, $unwind, $match: the server reordered them
    assert [n.stage for n in tree.walk()][:3] == ["$lookup", "$match", "LIMIT"]


def test_sharded_aggregate():
    tree = load("09")
    assert tree.stage == "SHARD_MERGE" and any(n.stage == "PROJECTION_COVERED" for n in tree.walk())


def test_sbe_plan_uses_query_plan_and_totals():
    tree = load("10")
    scan = next(n for n in tree.walk() if n.stage == "IXSCAN")
    assert scan.index_name == "abbr_index" and scan.keys_examined == 479
    assert "mongo-examined-ratio" in rules(tree)


def test_modern_sort_with_in_bounds():
    tree = load("11")
    sort = next(n for n in tree.walk() if n.stage == "SORT")
    assert sort.memory_bytes and not sort.used_disk
    assert {"mongo-blocking-sort", "mongo-examined-ratio"} <= rules(tree)


def test_express_stage_with_string_key_pattern():
    tree = load("15")
    assert tree.stage == "EXPRESS_IXSCAN" and tree.key_pattern == "{ a: 1, b: 1 }" and rules(tree) == set()


def test_or_subplan_sort_merge_is_clean():
    tree = load("16")
    assert "SORT_MERGE" in [n.stage for n in tree.walk()] and rules(tree) == set()


def test_spill_is_reported():
    doc = {"queryPlanner": {"winningPlan": {"stage": "SORT"}}, "executionStats": {
        "nReturned": 5, "totalKeysExamined": 0, "totalDocsExamined": 10,
        "executionStages": {"stage": "SORT", "usedDisk": True, "spills": 2, "nReturned": 5,
                            "inputStage": {"stage": "COLLSCAN", "docsExamined": 10}}}}
    assert "mongo-sort-spill" in rules(parse_explain(doc))


def test_not_an_explain():
    with pytest.raises(ValueError):
        parse_explain({"hello": 1})


def test_unreachable_uri_is_a_clear_error_fast():
    q = MongoQuery("users", "find", filter={"a": 1})
    start = time.monotonic()
    with pytest.raises(ExplainError) as err:
        explain_live([q], "mongodb://127.0.0.1:1/test", timeout_ms=300)
    assert time.monotonic() - start < 10
    assert "cannot reach MongoDB" in str(err.value) and "\n" not in str(err.value)


def test_bad_uri_is_a_clear_error():
    with pytest.raises(ExplainError, match="invalid MongoDB URI"):
        explain_live([], "notmongo://x", timeout_ms=300)
