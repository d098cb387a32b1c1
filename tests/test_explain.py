"""check --explain on dchat: plan findings and verified index advice with numbers."""

import json
import shutil
from pathlib import Path

from click.testing import CliRunner


ROOT = Path(__file__).resolve().parent.parent


def _cli():
    from advisor.cli import main
    from advisor.cli_db import register

    if "indexes" not in main.commands:
        register(main)
    return main


def _dchat(tmp_path):
    dst = tmp_path / "dchat"
    shutil.copytree(ROOT / "fixtures/dchat", dst)
    with open(dst / "advisor.toml", "a") as fh:
        fh.write("\n[seed]\nrows = 4000\n\n[explain]\nlarge_table_rows = 1000\n")
    return dst


def test_placeholders_normalised():
    from advisor.explain.params import normalise

    assert normalise("SELECT a FROM t WHERE a = %s AND b = %(x)s AND c = %(x)s")[0] == \
        "SELECT a FROM t WHERE a = $1 AND b = $2 AND c = $2"
    assert normalise("SELECT a::text FROM t WHERE a = :id AND b = ':x' AND c = ?") == \
        ("SELECT a::text FROM t WHERE a = $1 AND b = ':x' AND c = $2", 2)


def test_check_explain_dchat_verified_advice(tmp_path, monkeypatch):
    project = _dchat(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--format", "json", "dchat"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    findings = data["findings"] if isinstance(data, dict) else data
    by_rule = {}
    for f in findings:
        by_rule.setdefault(f["rule"], []).append(f)
    assert "PLN001" in by_rule  # seq scan on a large table
    measured = [f for f in by_rule.get("IDX001", []) if f.get("evidence") == "measured"
                and f.get("metrics", {}).get("cost_after") is not None]
    lower = [f for f in measured if "lower(name)" in f["message"].lower()]
    assert lower, [f["message"] for f in by_rule.get("IDX001", [])]
    m = lower[0]["metrics"]
    assert m["cost_after"] < m["cost_before"] * 0.7 and m["index_size"] > 0 and m["build_ms"] >= 0
    # the static missing-index finding of that query is replaced, not repeated
    statics = [f for f in by_rule.get("IDX001", []) if f.get("evidence") == "static"
               and f["path"].endswith("users.sql") and f["line"] == 5]
    assert not statics
    # the migration's seed mistake is a schema-rejected finding, not the end of the run
    assert project.exists()


def test_indexes_writes_migration(tmp_path, monkeypatch):
    _dchat(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "migration.sql"
    result = CliRunner().invoke(_cli(), ["indexes", "dchat", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "CREATE INDEX CONCURRENTLY" in text and "lower(name)" in text.lower()
    assert "cheap already" in result.output  # queries without a recommendation say why
