"""Fingerprints do not change between runs when the code has not: the numbers a run measures (row
estimates, costs, timings, sizes) are in messages and metrics, never in a fingerprint, so a baseline
made with `check --explain` does not churn."""

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings as hsettings, strategies as st

from advisor.checks.plans import PlanContext, plan_hits
from advisor.explain.plan import parse_plan
from advisor.fingerprints import assign_fingerprints
from advisor.ir import Finding, Location
from advisor.seed.settings import ExplainSettings

ROOT = Path(__file__).resolve().parent.parent
QUERY = "SELECT b.id, c.pad FROM big b JOIN items c ON c.id = b.id WHERE b.c = 5 ORDER BY c.pad LIMIT 10"


def _scan(relation: str, alias: str, rows: float, kept: float, estimate: float, **extra) -> dict:
    return {"Node Type": "Seq Scan", "Relation Name": relation, "Alias": alias, "Total Cost": rows / 40,
            "Plan Rows": estimate, "Actual Rows": kept, "Actual Loops": 1, **extra}


def _plans(s: float) -> list[dict]:
    """Analysed plans where seven plan rules fire; every number scaled by `s` (the data grew)."""
    big = 50_000 * s
    kept = 600 * s
    outer = _scan("big", "b", big, kept, 5 * s, **{"Filter": "(c = 5)", "Rows Removed by Filter": big - kept,
                                                  "Parent Relationship": "Outer"})
    hashed = {"Node Type": "Hash", "Parent Relationship": "Inner", "Plan Rows": big, "Actual Rows": big,
              "Actual Loops": 1, "Hash Batches": int(4 * s), "Total Cost": big / 30,
              "Plans": [_scan("items", "c", big, big, big)]}
    join = {"Node Type": "Hash Join", "Join Type": "Inner", "Parent Relationship": "Outer", "Plan Rows": 2000 * s,
            "Actual Rows": 2000 * s, "Actual Loops": 1, "Total Cost": big / 10, "Plans": [outer, hashed]}
    sort = {"Node Type": "Sort", "Sort Key": ["c.pad"], "Sort Method": "external merge", "Sort Space Type": "Disk",
            "Sort Space Used": 900 * s, "Parent Relationship": "Outer", "Plan Rows": 2000 * s,
            "Actual Rows": 10, "Actual Loops": 1, "Total Cost": big / 9, "Plans": [join]}
    limit = {"Node Type": "Limit", "Plan Rows": 10, "Actual Rows": 10, "Actual Loops": 1, "Total Cost": big / 8,
             "Plans": [sort]}
    loop = {"Node Type": "Nested Loop", "Join Type": "Inner", "Plan Rows": 1200 * s, "Actual Rows": 1200 * s,
            "Actual Loops": 1, "Total Cost": big,
            "Plans": [_scan("users", "users", 1200 * s, 1200 * s, 1200 * s, **{"Parent Relationship": "Outer"}),
                      _scan("events", "e", 400, 1, 1, **{"Parent Relationship": "Inner",
                                                         "Actual Loops": 1200 * s, "Filter": "(user_id = users.id)",
                                                         "Rows Removed by Filter": 399})]}
    return [{"Plan": limit, "Execution Time": 800 * s}, {"Plan": loop, "Execution Time": 300 * s}]


def _findings(s: float) -> list[Finding]:
    from advisor.ir import SqlQuery, TextMap

    query = SqlQuery(QUERY, Location("q.sql", 3, 1), TextMap("q.sql", QUERY, ((0, 3, 1),)), "sql")
    out = []
    for doc in _plans(s):
        ctx = PlanContext(parse_plan([doc]), {"big": 50_000 * s, "items": 50_000 * s, "users": 1200 * s,
                                               "events": 400}, {}, ExplainSettings(), query=query)
        for name, hit in plan_hits(ctx, lambda n: True):
            out.append(Finding(name, hit.message, hit.location, "warning", subject=hit.subject, query=hit.query))
    assign_fingerprints(out)
    return out


@hsettings(max_examples=30, deadline=None)
@given(st.floats(min_value=1.0, max_value=20.0))
def test_plan_findings_keep_their_fingerprint_when_the_numbers_change(scale):
    base, scaled = _findings(1.0), _findings(scale)
    assert len({f.rule for f in base}) == 7  # every rule that reads these plans fired
    assert [(f.rule, f.fingerprint) for f in scaled] == [(f.rule, f.fingerprint) for f in base]
    for f in base:
        assert not any(ch.isdigit() for ch in f.subject), f.subject  # no number in what a finding is about
    if scale >= 1.5:
        assert [f.message for f in scaled] != [f.message for f in base]  # the numbers did change


def test_equal_findings_are_numbered_by_place_not_by_message():
    """Two findings with the same rule, statement and subject: which is :1 does not depend on their numbers."""
    def pair(first: str, second: str) -> list[Finding]:
        found = [Finding("PLN001", message, Location("q.sql", 1, 1), "warning", subject="Seq Scan on t", query="q")
                 for message in (first, second)]
        assign_fingerprints(found)
        return found

    a, b = pair("reads ~9 rows", "reads ~10 rows")
    c, d = pair("reads ~90 rows", "reads ~10 rows")
    assert (a.fingerprint, b.fingerprint) == (c.fingerprint, d.fingerprint)


# --- end to end: check --explain on seeded data of two sizes, and a baseline made with --explain ---------------


def _cli():
    from advisor.cli import main

    return main


def _project(base: Path, rows: int) -> Path:
    dst = base / f"dchat-{rows}" / "dchat"
    shutil.copytree(ROOT / "fixtures/dchat", dst)
    with open(dst / "advisor.toml", "a") as fh:
        fh.write(f"\n[seed]\nrows = {rows}\n\n[explain]\nlarge_table_rows = 1000\n")
    return dst


def _check(project: Path, *args: str) -> list[dict]:
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--format", "json", *args, str(project)])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["findings"]


@pytest.fixture(scope="module")
def two_sizes(tmp_path_factory):
    """dchat checked with --explain on 3,000 and on 6,000 seeded rows a table, the same relative paths."""
    base = tmp_path_factory.mktemp("fingerprints")
    runs = []
    for rows in (3000, 6000):
        project = _project(base, rows)
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(project.parent)
            runs.append(_check(Path("dchat")))
    return runs


def test_explain_fingerprints_do_not_depend_on_the_data_size(two_sizes):
    small, large = ({(f["name"], f["path"], f["line"]): f for f in run} for run in two_sizes)
    measured = [k for k in small if k in large and small[k]["evidence"] != "static"]
    assert len(measured) >= 5  # plan findings and verified advice on both sizes
    assert any(small[k]["message"] != large[k]["message"] for k in measured)  # their numbers differ
    for key in set(small) & set(large):
        assert small[key]["fingerprint"] == large[key]["fingerprint"], (small[key]["message"], large[key]["message"])


def test_a_baseline_made_with_explain_suppresses_everything_on_the_next_run(tmp_path, monkeypatch):
    project = _project(tmp_path, 3000)
    monkeypatch.chdir(project.parent)
    baseline = tmp_path / "baseline.json"
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--write-baseline", str(baseline), "dchat"])
    assert result.exit_code == 0, result.output
    recorded = json.loads(baseline.read_text())["findings"]
    assert any(f["rule"].startswith("PLN") for f in recorded)
    # the next run seeds and plans again (a cache of its own: no cached results): new timings, the same fingerprints
    fresh = tempfile.mkdtemp(prefix="advisor-test-cache-")
    os.chmod(fresh, 0o755)  # the embedded server's unprivileged user must reach it when run as root
    monkeypatch.setenv("ADVISOR_CACHE_DIR", fresh)
    try:
        again = CliRunner().invoke(_cli(), ["check", "--explain", "--format", "json", "--baseline", str(baseline),
                                            "dchat"])
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    assert again.exit_code == 0, again.output
    doc = json.loads(again.stdout)
    assert doc["summary"]["failing"] == 0
    assert len([f for f in doc["findings"] if f["suppressed"] == "baseline"]) == len(recorded)


def _mongo_findings(s: float) -> list[Finding]:
    """The MongoDB plan rules on a find's explain whose counts and sizes are scaled by `s`."""
    from advisor.mongo.explain import parse_explain, plan_findings

    docs = int(20_000 * s)
    scan = {"stage": "COLLSCAN", "docsExamined": docs, "nReturned": int(40 * s)}
    sort = {"stage": "SORT", "memUsage": int(90_000 * s), "usedDisk": True, "spills": int(3 * s),
            "nReturned": int(40 * s), "inputStage": scan}
    doc = {"queryPlanner": {"namespace": "app.orders", "winningPlan": {"stage": "SORT", "inputStage": {
        "stage": "COLLSCAN"}}},
        "executionStats": {"nReturned": int(40 * s), "totalKeysExamined": 0, "totalDocsExamined": docs,
                           "executionTimeMillis": int(70 * s), "executionStages": sort}}
    out = [Finding(name, hit.message, hit.location, "warning", subject=hit.subject, query=hit.query)
           for name, hit in plan_findings(parse_explain(doc), Location("q.js", 2, 1), "db.orders.find({})")]
    assign_fingerprints(out)
    return out


@hsettings(max_examples=20, deadline=None)
@given(st.floats(min_value=1.0, max_value=50.0))
def test_mongo_plan_findings_keep_their_fingerprint_when_the_numbers_change(scale):
    base, scaled = _mongo_findings(1.0), _mongo_findings(scale)
    assert {f.rule for f in base} == {"mongo-collscan", "mongo-examined-ratio", "mongo-blocking-sort",
                                      "mongo-sort-spill"}
    assert [(f.rule, f.fingerprint) for f in scaled] == [(f.rule, f.fingerprint) for f in base]
    if scale >= 1.5:
        assert [f.message for f in scaled] != [f.message for f in base]
