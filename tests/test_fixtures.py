"""The example applications: advisor finds the seeds' real problems, and nothing else."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor import catalogue, engine
from advisor.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
APPS = ["dchat", "wallet-ledger", "defi", "clearing"]


def findings(app, monkeypatch):
    monkeypatch.chdir(FIXTURES / app)
    return engine.check(["."]).active


def expected(app):
    lines = (FIXTURES / app / "expected.txt").read_text().splitlines()
    return {line for line in lines if line and not line.startswith("#")}


@pytest.mark.parametrize("app", APPS)
def test_fixture_findings_match_expected(app, monkeypatch):
    got = {f"{f.location.path}:{f.location.line} {catalogue.lookup(f.rule).name}" for f in findings(app, monkeypatch)}
    assert got == expected(app)


def test_dchat_finds_the_seed_examples(monkeypatch):
    by_rule = {}
    for f in findings("dchat", monkeypatch):
        by_rule.setdefault(catalogue.lookup(f.rule).name, []).append(f)
    lower = next(f for f in by_rule["function-on-column"] if "LOWER(name)" in f.message)
    assert lower.fix == 'CREATE INDEX CONCURRENTLY ON users ((LOWER(name)));'
    injection = by_rule["sql-string-building"][0]
    assert injection.location.path == "app/repository.py" and "f-string" in injection.message
    assert {f.location.path for f in by_rule["duplicate-index"]} == {"migrations/001_init.sql"}
    # the OR between (sender, receiver) pairs is served by one index: not flagged
    assert "or-across-columns" not in by_rule


def test_cli_exit_code_and_report_on_dchat(monkeypatch):
    monkeypatch.chdir(FIXTURES.parent)
    result = CliRunner().invoke(main, ["check", "fixtures/dchat"])
    assert result.exit_code == 1
    assert "fixtures/dchat/queries/users.sql:5:" in result.output
    assert "help:" in result.output


def test_rules_and_rule_commands():
    runner = CliRunner()
    listing = runner.invoke(main, ["rules"])
    assert listing.exit_code == 0 and "select-star" in listing.output and "SQL001" in listing.output
    page = runner.invoke(main, ["rule", "select-star"])
    assert page.exit_code == 0 and "SQL001" in page.output and "How to fix" in page.output
    assert runner.invoke(main, ["rule", "SQL001"]).output == page.output
    missing = runner.invoke(main, ["rule", "no-such-rule"])
    assert missing.exit_code == 2 and "no rule" in missing.output
