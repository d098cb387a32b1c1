"""One registry and one guard for every rule family: a rule that raises on an input is a
`rule-failed` finding on that input, and the run goes on (exit code 1 or 0, never 2)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor import catalogue, engine
from advisor.checks import RULES, Rule
from advisor.cli import main


def _boom(_arg):
    raise IndexError("list index out of range")


@pytest.fixture
def failing(monkeypatch):
    """Make the registered rule `name` raise IndexError on every input."""
    def make(name: str) -> Rule:
        rule = RULES[name]
        monkeypatch.setitem(RULES, name, Rule(rule.name, rule.kind, _boom))
        return rule
    return make


def test_every_family_is_in_the_one_registry():
    import advisor.checks.plans  # noqa: F401  plan rules register on import
    import advisor.mongo.explain  # noqa: F401
    from advisor.checks import load_checks

    load_checks()
    kinds = {rule.kind for rule in RULES.values()}
    assert kinds == {"query", "source", "schema", "project", "mongo", "plan", "mongo-plan"}
    assert RULES["where-operator"].kind == "mongo" and RULES["seq-scan-large-table"].kind == "plan"


def test_a_failing_mongo_rule_is_a_finding_on_its_query(tmp_path, monkeypatch, failing):
    from advisor.checks import load_checks

    load_checks()
    failing("where-operator")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.toml").write_text('large-tables = ["*"]\n', encoding="utf-8")  # unanchored-regex speaks
    (tmp_path / "app.js").write_text(
        "async function f(db) {\n"
        "  return db.collection('users').find({ $where: 'this.a > 1', name: /abc/ }).limit(5).toArray();\n"
        "}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", "."])
    assert result.exit_code in (0, 1), result.output
    findings = json.loads(result.output)["findings"]
    failed = [f for f in findings if f["rule"] == catalogue.lookup("rule-failed").id]
    assert len(failed) == 1
    assert "where-operator" in failed[0]["message"] and "IndexError" in failed[0]["message"]
    assert (failed[0]["path"], failed[0]["line"]) == ("app.js", 2)
    assert failed[0]["severity"] == "info"
    # the other rules still ran on that query: its $where is unreported, its unanchored regex is not
    assert any(f["rule"] == catalogue.lookup("unanchored-regex").id for f in findings)


def test_a_failing_sql_rule_does_not_hide_the_others(tmp_path, monkeypatch, failing):
    from advisor.checks import load_checks

    load_checks()
    failing("select-star")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.toml").write_text('select = ["DEFAULT", "select-star"]\n', encoding="utf-8")
    (tmp_path / "q.sql").write_text("SELECT * FROM t ORDER BY random();\n", encoding="utf-8")
    report = engine.check(["."])
    rules = {catalogue.catalogue()[f.rule].name for f in report.findings}
    assert rules == {"rule-failed", "order-by-random"}
    assert [f.location.line for f in report.findings if f.rule == "ADV003"] == [1]


def test_a_failing_schema_rule_is_reported_on_a_checked_file(tmp_path, monkeypatch, failing):
    from advisor.checks import load_checks

    load_checks()
    failing("duplicate-index")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.toml").write_text('schema = ["schema.sql"]\n', encoding="utf-8")
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (a int);\n", encoding="utf-8")
    report = engine.check(["."])
    assert [(f.rule, f.location.path) for f in report.findings] == [("ADV003", "schema.sql")]


def test_a_failing_plan_rule_is_a_finding_on_its_statement(failing):
    from advisor.checks.plans import PlanContext, plan_hits
    from advisor.explain.plan import parse_plan
    from advisor.ir import Location, SqlQuery
    from advisor.seed.settings import ExplainSettings

    failing("sort-spill")
    plan = parse_plan([{"Plan": {"Node Type": "Seq Scan", "Relation Name": "t", "Total Cost": 10.0,
                                 "Plan Rows": 5, "Filter": "(a = 1)"}}])
    query = SqlQuery("SELECT * FROM t WHERE a = 1", Location("q.sql", 3, 1), None, "sql")
    ctx = PlanContext(plan, {"t": 1e6}, {}, ExplainSettings(), query=query)
    hits = plan_hits(ctx, lambda name: True)
    failed = [h for name, h in hits if name == "rule-failed"]
    assert len(failed) == 1 and "sort-spill" in failed[0].message
    assert failed[0].location == Location("q.sql", 3, 1)
    # the rules that did not fail still report: a seq scan of a large table keeping few rows
    assert "seq-scan-large-table" in {name for name, _ in hits}


def test_a_failing_mongo_explain_rule_is_a_finding(failing):
    from advisor.ir import Location
    from advisor.mongo.explain import parse_explain, plan_findings

    failing("mongo-collscan")
    tree = parse_explain({"queryPlanner": {"namespace": "db.users", "winningPlan": {"stage": "COLLSCAN"}},
                          "executionStats": {"nReturned": 1, "totalKeysExamined": 0, "totalDocsExamined": 5000,
                                             "executionStages": {"stage": "COLLSCAN", "nReturned": 1,
                                                                 "docsExamined": 5000}}})
    found = plan_findings(tree, Location("app.js", 7, 3))
    names = [name for name, _ in found]
    assert "rule-failed" in names and "mongo-examined-ratio" in names
    assert [h.location.line for name, h in found if name == "rule-failed"] == [7]


def test_a_selected_rule_that_fails_says_so_unless_rule_failed_is_ignored(tmp_path, monkeypatch, failing):
    from advisor.checks import load_checks

    load_checks()
    failing("select-star")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.toml").write_text("", encoding="utf-8")
    (tmp_path / "q.sql").write_text("SELECT * FROM t ORDER BY random();\n", encoding="utf-8")
    selected = engine.check(["."], engine.Options(select=["select-star"]))
    assert [f.rule for f in selected.findings] == ["ADV003"]
    ignored = engine.check(["."], engine.Options(select=["select-star"], ignore=["rule-failed"]))
    assert ignored.findings == []


def test_facts_that_cannot_be_built_are_a_finding_on_the_statement(tmp_path, monkeypatch):
    import advisor.facts.sql

    def broken(tree, schema):
        raise KeyError("scope")

    monkeypatch.setattr(advisor.facts.sql, "build_facts", broken)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.toml").write_text("", encoding="utf-8")
    (tmp_path / "q.sql").write_text("SELECT 1;\nSELECT * FROM t;\n", encoding="utf-8")
    report = engine.check(["."])
    assert [(f.rule, f.location.line) for f in report.findings] == [("ADV003", 1), ("ADV003", 2)]
    assert report.findings[0].message.startswith("building the facts the query rules read failed on this input")


def test_opt_in_rules_run_only_when_selected(tmp_path):
    """select-star is a team policy (`default = false`): off under the default selection, on when named."""
    from advisor import catalogue, engine

    assert "SQL001" not in catalogue.select(["DEFAULT"]) and "SQL001" in catalogue.select(["ALL"])
    assert catalogue.select(["DEFAULT"]) == {i for i, s in catalogue.catalogue().items() if s.default}
    (tmp_path / "q.sql").write_text("SELECT * FROM users WHERE id = 1;\n", encoding="utf-8")
    (tmp_path / "advisor.toml").write_text('dialect = "postgres"\n', encoding="utf-8")
    assert "SQL001" not in {f.rule for f in engine.check([str(tmp_path / "q.sql")]).active}
    (tmp_path / "advisor.toml").write_text('dialect = "postgres"\nselect = ["DEFAULT", "select-star"]\n', encoding="utf-8")
    assert "SQL001" in {f.rule for f in engine.check([str(tmp_path / "q.sql")]).active}


def test_the_rules_listing_says_which_rules_are_on_by_default():
    runner = CliRunner()
    listed = json.loads(runner.invoke(main, ["rules", "--format", "json"]).output)
    assert {r["id"]: r["default"] for r in listed} == {i: s.default for i, s in catalogue.catalogue().items()}
    assert [r["name"] for r in listed if r["default"] is False] == [
        "select-star", "offset-pagination", "update-without-where", "delete-without-where", "insert-without-columns",
        "missing-projection", "unbounded-find", "skip-pagination", "upsert-not-unique"]
    # the notes on what advisor could not see are marked apart from the findings that claim a problem
    assert sorted(r["name"] for r in listed if r["coverage"]) == [
        "explain-error", "incomplete-schema", "no-index-declarations", "schema-rejected", "unknown-size",
        "unread-statement"]
    assert sorted(r["name"] for r in listed if r["sized"]) == [
        "collection-scan", "esr-order", "filter-waste", "in-memory-sort", "missing-index", "negation-only",
        "nested-loop-rescan", "or-unindexed", "redundant-index", "seq-scan-large-table", "sort-not-indexed",
        "unanchored-regex", "unbounded-find", "unindexed-foreign-key"]
    rows = {line.split()[0]: line.split() for line in runner.invoke(main, ["rules"]).output.splitlines()[1:]
            if line.split() and line.split()[0] in ("SQL001", "SQL008")}
    assert rows["SQL001"][1:4] == ["select-star", "warning", "off"]
    assert rows["SQL008"][1:4] == ["order-by-random", "warning", "on"]
    assert "off by default (opt-in)" in runner.invoke(main, ["rule", "select-star"]).output
    assert "off by default" not in runner.invoke(main, ["rule", "order-by-random"]).output


def test_default_and_all_are_accepted_where_rules_are_selected(project):
    project({"q.sql": "SELECT * FROM users ORDER BY random();\n"})

    def rules(*args):
        result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", ".", *args])
        assert result.exit_code in (0, 1), result.output
        return {f["rule"] for f in json.loads(result.output)["findings"]}

    assert rules() == rules("--select", "DEFAULT") == {"SQL008"}
    assert rules("--select", "ALL") == rules("--select", "default,select-star") == {"SQL001", "SQL008"}
    assert rules("--select", "ALL", "--ignore", "DEFAULT") == {"SQL001"}
    for body in ('select = ["all"]\n', '[tool.advisor]\nselect = ["DEFAULT", "SQL001"]\n'):
        project({"advisor.toml" if "tool" not in body else "pyproject.toml": body})
        assert rules() == {"SQL001", "SQL008"}
        Path("advisor.toml").unlink(missing_ok=True)
    project({"advisor.toml": 'select = ["DEFALT"]\n'})
    result = CliRunner().invoke(main, ["check", "--no-cache", "."])
    assert result.exit_code == 2 and "advisor.toml: select: unknown rule or prefix 'DEFALT'" in result.output
    assert "DEFAULT: the rules on by default, or ALL" in result.output
    project({"advisor.toml": 'select = [""]\n'})  # an empty pattern is a mistake, not every rule
    result = CliRunner().invoke(main, ["check", "--no-cache", "."])
    assert result.exit_code == 2 and "unknown rule or prefix ''" in result.output


def test_a_page_s_default_is_true_or_false(tmp_path):
    page = tmp_path / "x.md"
    for value, expected in (("", True), ("default = true\n", True), ("default = false\n", False)):
        page.write_text(f'+++\nid = "SQL999"\nname = "x"\nsummary = "s"\n{value}+++\n# x\n', encoding="utf-8")
        assert catalogue.parse_page(page).default is expected
    page.write_text('+++\nid = "SQL999"\nname = "x"\nsummary = "s"\ndefault = "false"\n+++\n', encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError, match="default 'false' is not true or false"):
        catalogue.parse_page(page)


def test_the_readme_names_every_rule():
    """README's Rules table is where a reader looks a rule up: every rule of the catalogue is in it."""
    from pathlib import Path

    from advisor import catalogue

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Rules") : readme.index("## MongoDB")]
    assert [s.name for s in catalogue.catalogue().values() if s.name not in table] == []
