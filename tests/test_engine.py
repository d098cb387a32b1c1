"""The engine: config, suppressions, baseline, ordering, robustness."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from advisor import engine
from advisor.baseline import write_baseline
from advisor.cli import main
from advisor.config import ConfigError

SCHEMA = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name text);
"""


def rules_of(report):
    return sorted((f.location.path, f.location.line, f.rule) for f in report.active)


def test_config_unknown_key_is_an_error_naming_file_and_key(project):
    project({"advisor.toml": 'large-tables = ["*"]\ndialect = "postgres"\nselct = ["SQL"]\n', "q.sql": "SELECT 1;"})
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code == 2
    assert "advisor.toml" in result.output and "selct" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("body,needle", [
    ('dialect = "klingon"', "dialect"),
    ('fail-on = "sometimes"', "fail-on"),
    ('select = ["SQL999x"]', "select"),
    ('[severity]\nselect-star = "fatal"', "severity.select-star"),
    ('schema = ["missing/*.sql"]', "matches no file"),
    ('paths = 3', "paths"),
    ("this is not toml", "invalid TOML"),
])
def test_bad_config_values(project, body, needle):
    project({"advisor.toml": body + "\n", "q.sql": "SELECT 1;"})
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code == 2, result.output
    assert needle in result.output


def test_pyproject_section_select_ignore_and_severity(project):
    project({
        "pyproject.toml": '[tool.advisor]\nselect = ["DEFAULT", "select-star"]\nignore = ["offset-pagination"]\n'
                          '[tool.advisor.severity]\nSQL001 = "error"\n',
        "q.sql": "SELECT * FROM users ORDER BY id LIMIT 10 OFFSET 20;",
    })
    report = engine.check(["."])
    # and the note that no table's definition was read (no schema named): the absence rules kept their claims
    assert [(f.rule, f.severity) for f in report.active] == [("ADV005", "info"), ("SQL001", "error")]


def test_suppression_on_line_above_and_same_line_and_unused(project):
    project({"q.sql": """
        -- advisor: ignore order-by-random
        SELECT id FROM users ORDER BY random();
        SELECT id FROM users ORDER BY random(); -- advisor: ignore SQL008
        -- advisor: ignore not-in-subquery
        SELECT id FROM users WHERE id = 1;
        SELECT id FROM users ORDER BY random();
        """})
    report = engine.check(["."])
    active = [(f.rule, f.location.line) for f in report.active]
    assert ("SQL008", 6) in active
    assert ("ADV002", 4) in active  # the not-in-subquery suppression suppresses nothing
    assert sum(1 for f in report.findings if f.suppressed == "comment") == 2


def test_a_suppression_of_a_rule_not_selected_is_not_unused(project):
    """select-star is opt-in: a team's old `ignore select-star` comments are no noise when it is off."""
    project({"q.sql": "-- advisor: ignore select-star\nSELECT * FROM users;\n"})
    assert engine.check(["."]).findings == []
    opted_in = engine.check(["."], engine.Options(select=["DEFAULT", "select-star"]))
    assert [(f.rule, f.suppressed) for f in opted_in.findings] == [("SQL001", "comment")]
    Path("q.sql").write_text("-- advisor: ignore select-star\nSELECT id FROM users;\n", encoding="utf-8")
    assert engine.check(["."]).findings == []
    opted_in = engine.check(["."], engine.Options(select=["DEFAULT", "select-star"]))
    assert [(f.rule, f.location.line) for f in opted_in.findings] == [("ADV002", 1)]


def test_suppression_in_python_comments(project):
    project({"app.py": """
        def f(cur):
            # advisor: ignore order-by-random
            cur.execute("SELECT id FROM users ORDER BY random()")
            rows = cur.fetchall()
            cur.execute("SELECT id FROM users ORDER BY random()")  # advisor: ignore SQL008
            return rows, cur.fetchall()
        """})
    report = engine.check(["."])
    assert [f.rule for f in report.active] == []
    assert [(f.rule, f.location.line) for f in report.findings] == [("SQL008", 3), ("SQL008", 5)]


def test_baseline_accepts_old_findings_and_survives_line_moves(project, tmp_path):
    project({"q.sql": "SELECT id FROM users WHERE name LIKE '%a';\nSELECT id FROM users ORDER BY random();\n"})
    first = engine.check(["."])
    assert len(first.active) == 2
    write_baseline(first.findings, "baseline.json")
    # move the old statements down and add a new problem
    (tmp_path / "q.sql").write_text("\n\n-- moved\nSELECT id FROM users WHERE name LIKE '%a';\nSELECT id FROM users ORDER BY random();\nSELECT id FROM users WHERE email = NULL;\n")
    second = engine.check(["."], engine.Options(baseline="baseline.json"))
    assert [f.rule for f in second.active] == ["ADV005", "SQL005"]  # the new statement's, and what it kept back
    assert sum(1 for f in second.findings if f.suppressed == "baseline") == 2


def test_baseline_cli_round_trip_and_bad_baseline(project):
    project({"q.sql": "SELECT id FROM users ORDER BY random();\n"})
    runner = CliRunner()
    assert runner.invoke(main, ["check", "."]).exit_code == 1
    assert runner.invoke(main, ["check", ".", "--write-baseline", "b.json"]).exit_code == 0
    assert runner.invoke(main, ["check", ".", "--baseline", "b.json"]).exit_code == 0
    with open("b.json", "w") as f:
        f.write("{not json")
    result = runner.invoke(main, ["check", ".", "--baseline", "b.json"])
    assert result.exit_code == 2 and "b.json" in result.output


def test_schema_from_config_enables_schema_rules(project):
    project({
        "advisor.toml": 'large-tables = ["*"]\nschema = ["db/*.sql"]\n',
        "db/001.sql": SCHEMA,
        "app/q.sql": "SELECT id FROM users WHERE name = $1;\nSELECT id FROM users WHERE id = 2.5;\n",
    })
    report = engine.check(["app"])
    assert rules_of(report) == [("app/q.sql", 1, "IDX001"), ("app/q.sql", 2, "SQL004")]
    ddl = next(f for f in report.active if f.rule == "IDX001").fix
    assert ddl == "CREATE INDEX CONCURRENTLY idx_users_name ON users (name);"


def test_schema_findings_only_for_checked_files(project):
    project({
        "advisor.toml": 'large-tables = ["*"]\nschema = ["db/*.sql"]\n',
        "db/001.sql": SCHEMA + "CREATE INDEX a ON users (email);\nCREATE INDEX b ON users (email);\n",
        "app/q.sql": "SELECT id FROM users WHERE email = $1;\n",
    })
    assert engine.check(["app"]).active == []
    assert [f.rule for f in engine.check(["."]).active] == ["SCH001"]


def test_excludes_and_gitignore(project):
    project({
        "advisor.toml": 'large-tables = ["*"]\nexclude = ["legacy/"]\n',
        ".gitignore": "generated/\n",
        "legacy/old.sql": "SELECT a FROM t ORDER BY random();",
        "generated/x.sql": "SELECT a FROM t ORDER BY random();",
        "node_modules/pkg/q.sql": "SELECT a FROM t ORDER BY random();",
        "new.sql": "SELECT a FROM t ORDER BY random();",
    })
    assert [f.location.path for f in engine.check(["."]).active] == ["new.sql"]


def test_nested_projects_use_their_own_config(project):
    project({
        "a/advisor.toml": 'ignore = ["SQL008"]\n',
        "a/q.sql": "SELECT a FROM t ORDER BY random();",
        "b/q.sql": "SELECT a FROM t ORDER BY random();",
    })
    assert [f.location.path for f in engine.check(["."]).active] == ["b/q.sql"]


def test_output_order_is_deterministic(project):
    files = {f"f{i}.sql": "SELECT * FROM t ORDER BY random() LIMIT 1 OFFSET 5;\nDELETE FROM t;\n" for i in range(5)}
    project(files)
    runs = [json.dumps([(f.location.path, f.location.line, f.location.col, f.rule) for f in engine.check(["."]).findings]) for _ in range(2)]
    assert runs[0] == runs[1]
    order = [(f.location.path, f.location.line, f.location.col) for f in engine.check(["."]).findings]
    assert order == sorted(order)


def test_unreadable_and_binary_files_are_findings_not_crashes(project, tmp_path):
    project({"ok.sql": "SELECT 1;"})
    (tmp_path / "bin.sql").write_bytes(b"\xff\xfe\x00SELECT")
    report = engine.check(["."])
    assert [(f.location.path, f.rule) for f in report.active] == [("bin.sql", "ADV001")]


def test_missing_path_is_exit_2(project):
    project({})
    result = CliRunner().invoke(main, ["check", "nope/"])
    assert result.exit_code == 2 and "nope/" in result.output


SQL_WORDS = ["SELECT", "*", "FROM", "users", "u", "WHERE", "id", "=", "$1", "AND", "OR", "NOT", "IN", "(", ")",
             "JOIN", "ON", "u.id", "LIMIT", "10", "OFFSET", "ORDER", "BY", "lower(name)", "'x'", "NULL", ",",
             "UPDATE", "SET", "DELETE", "INSERT", "INTO", "VALUES", "GROUP", "HAVING", "LIKE", "'%a'", "::int", ";"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(SQL_WORDS), max_size=25))
def test_mutated_sql_never_crashes_the_checker(project, words):
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["schema.sql"]\n', "schema.sql": SCHEMA, "q.sql": " ".join(words)})
    report = engine.check(["q.sql"])
    for f in report.findings:
        assert f.rule and f.location.line >= 1
        assert "failed on this input" not in f.message, f.message


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes_the_checker(project, text):
    project({"q.sql": text, "a.py": text})
    report = engine.check(["."])
    assert all("failed on this input" not in f.message for f in report.findings)
