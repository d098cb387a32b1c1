"""Reporters: each format from the findings; SARIF validates against the 2.1.0 schema."""

import io
import json
import re
from pathlib import Path

import jsonschema
import pytest

from advisor import engine, reporters
from advisor.ir import Finding, Location
from advisor.reporters.github import annotation

SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


@pytest.fixture
def report(project):
    project({
        "advisor.toml": 'large-tables = ["*"]\nschema = ["schema.sql"]\nselect = ["DEFAULT", "select-star", "delete-without-where"]\n',
        "schema.sql": "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n",
        "q.sql": "SELECT * FROM users\nWHERE lower(name) = 'a';\n-- advisor: ignore delete-without-where\nDELETE FROM users;\n",
    })
    return engine.check(["."])


def render(fmt, report):
    out = io.StringIO()
    reporters.get(fmt)(report, out)
    return out.getvalue()


def test_sarif_validates_and_carries_rules_fingerprints_and_suppressions(report):
    doc = json.loads(render("sarif", report))
    jsonschema.validate(doc, SARIF_SCHEMA)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {"SQL001", "SQL003", "IDX001"} <= {r["id"] for r in rules}
    assert all(r["helpUri"] and r["shortDescription"]["text"] for r in rules)
    results = run["results"]
    assert all(r["partialFingerprints"]["advisorFingerprint/v1"] for r in results)
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    suppressed = [r for r in results if r.get("suppressions")]
    assert [r["ruleId"] for r in suppressed] == ["SQL012"]
    star = next(r for r in results if r["ruleId"] == "SQL001")
    region = star["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (1, 8)


def test_sarif_uris_are_percent_encoded(project):
    """A file name with a space, `#`, `?` or `%` is a URI reference SARIF readers resolve back to that file
    (a raw `#` would cut the path at a fragment)."""
    from urllib.parse import unquote, urlsplit

    name = "q 100%#1?.sql"
    project({"advisor.toml": 'large-tables = ["*"]\nselect = ["DEFAULT", "select-star"]\n', name: "SELECT * FROM users;\n"})
    doc = json.loads(render("sarif", engine.check(["."])))
    (uri,) = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
    assert uri == "q%20100%25%231%3F.sql"
    assert urlsplit(uri).path == uri and unquote(uri) == name


def test_json_has_summary_and_every_finding(report):
    doc = json.loads(render("json", report))
    assert doc["summary"]["findings"] == len(report.active)
    assert doc["summary"]["suppressed"] == 1
    names = {f["name"] for f in doc["findings"]}
    assert {"select-star", "function-on-column", "delete-without-where"} <= names
    idx = next(f for f in doc["findings"] if f["name"] == "function-on-column")
    assert idx["fix"].startswith("CREATE INDEX CONCURRENTLY") and "lower(name)" in idx["fix"].lower()


def test_github_workflow_commands(report):
    lines = render("github", report).splitlines()
    assert len(lines) == len(report.active)
    assert all(line.startswith(("::warning ", "::error ", "::notice ")) for line in lines)
    star = next(line for line in lines if "SQL001" in line)
    assert "file=q.sql,line=1,endLine=1,col=8,endColumn=9,title=SQL001 select-star::" in star


def test_github_escaping_and_multiline_spans():
    f = Finding("SQL001", "50% of rows\nare: read, all", Location("a,b:c.sql", 3, 2, 5, 1), "warning", help="x")
    line = annotation(f)
    assert line.startswith("::warning file=a%2Cb%3Ac.sql,line=3,endLine=5,title=SQL001 select-star::")
    assert "col=" not in line  # columns only for one-line spans
    assert "50%25 of rows%0Aare: read, all%0Ahelp: x" in line


def test_terminal_groups_by_file_with_frame_and_help(report):
    text = render("terminal", report)
    assert "q.sql:1:8 SQL001 select-star" in text
    assert "1 | SELECT * FROM users" in text
    assert "help:" in text and "CREATE INDEX CONCURRENTLY" in text
    assert "\x1b[" not in text  # NO_COLOR
    assert "1 suppressed" in text


def test_terminal_is_quiet_when_clean(project):
    project({
        "advisor.toml": 'schema = ["schema.sql"]\n',
        "schema.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
        "q.sql": "SELECT id FROM users WHERE id = $1;\n",
    })
    assert render("terminal", engine.check(["."])) == ""


def test_terminal_escapes_rich_markup(project):
    project({"q.sql": "SELECT * FROM [bold]users[/bold];\n"})
    text = render("terminal", engine.check(["."]))
    assert "[bold]" in text or "parse" in text


# a newline, a command, escapes, a bidi override and mark, invisible characters (zero-width, word joiner, BOM)
INJECTING = '"e\n::warning file=a.py::PWNED\x1b]0;title\x07\u202e\u200f\u061c\u200b\u2060\ufeff"'
HIDDEN = "\x1b\x07\r\u202e\u200f\u061c\u200b\u2060\ufeff"


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "github"])
def test_repository_text_cannot_start_a_runner_command_or_reach_the_terminal_raw(project, fmt):
    """A file name or an identifier with a line break and a GitHub workflow command (`::warning ...`), or a
    terminal escape, is printed escaped: no line of the report starts with `::`, no control character is out."""
    evil = "evil\n::error file=x::INJECTED\x1b[31m.sql"
    project({
        "schema.sql": f"CREATE TABLE users (id bigserial PRIMARY KEY, {INJECTING} text);\n",
        evil: f"SELECT * FROM users WHERE {INJECTING} = $1;\n",
        "advisor.toml": 'large-tables = ["*"]\ndialect = "postgres"\nschema = ["schema.sql"]\n',
    })
    report = engine.check(["."])
    assert any(f.location.path.startswith("evil") for f in report.active)  # the file is reported
    text = render(fmt, report)
    assert "INJECTED" in text and "PWNED" in text  # shown, escaped
    commands = [line for line in text.splitlines() if line.lstrip().startswith("::")]
    if fmt == "github":  # its own annotations, one line each, and nothing else
        assert commands and all(re.match(r"::(error|warning|notice) file=[^:]*::", line) for line in commands)
    else:
        assert not commands
    assert not [c for c in text if c in HIDDEN]


def test_terminal_shows_a_long_list_metric_in_part_and_json_whole():
    """A note on 40 unplanned statements lists 12 of them on screen; --format json has every one."""
    lines = [f"q{n}.sql:{n}" for n in range(40)]
    note = Finding("PLN009", "PostgreSQL could not plan 40 statements", Location("q0.sql", 1, 1), "info",
                   evidence="planned", metrics={"evidence": "planned", "lines": lines})
    report = engine.Report([note], ["q0.sql"], 40)
    text = render("terminal", report)
    assert "q11.sql:11; and 28 more" in text and "q12.sql:12" not in text
    assert json.loads(render("json", report))["findings"][0]["metrics"]["lines"] == lines


def test_a_long_statement_is_cut_in_each_findings_json():
    """Every finding carries its statement: one statement of thousands of branches, a finding each, made the
    JSON report grow as their product (a 160 kB file, 720 MB). Each copy is cut; the fingerprint is of the whole."""
    query = " UNION ALL ".join(f"SELECT a FROM t WHERE b = {i}" for i in range(5000))
    findings = [Finding("IDX001", "no index", Location("q.sql", 1, 1 + 40 * i), "warning", query=query)
                for i in range(200)]
    engine.assign_fingerprints(findings)
    doc = json.loads(render("json", engine.Report(findings, ["q.sql"], 1)))
    shown = doc["findings"][0]["query"]
    assert shown.startswith(query[:reporters.QUERY_SHOWN]) and shown.endswith(
        f"({len(query) - reporters.QUERY_SHOWN:,} more characters)")
    assert len(json.dumps(doc)) < 200 * (reporters.QUERY_SHOWN + 2_000)  # not 200 copies of 170 kB
    assert len({f["fingerprint"] for f in doc["findings"]}) == 200


def test_terminal_frame_of_a_finding_deep_in_a_long_line_stays_short(project):
    """Red-team pass 7: the caret line was padded to the finding's column while the source shown was cut at 160
    characters, so one 272 kB line of statements printed 1.09 GB (quadratic).  The frame shows a window of the
    line around the column, the carets under the finding."""
    body = "SELECT a FROM t WHERE a LIKE 'fine%'; " * 300 + "SELECT a FROM t WHERE a LIKE '%deep';"
    project({"advisor.toml": 'large-tables = ["*"]\npaths = ["q.sql"]\n', "q.sql": body + "\n"})
    text = render("terminal", engine.check(["."]))
    lines = text.splitlines()
    frame = [i for i, line in enumerate(lines) if "'%deep'" in line and " | " in line]
    assert frame, text
    shown, carets = lines[frame[0]], lines[frame[0] + 1]
    assert max(len(line) for line in lines) < 400
    column = shown.index("'%deep'")
    assert carets.index("^") == shown.index("a LIKE '%deep'", column - 10)  # under the finding's node


def test_terminal_frame_counts_lines_as_locations_do(project):
    """A form feed (or \\u2028) inside a line is no line end for a location: splitlines() took it for one and
    framed the line above the finding's."""
    project({"advisor.toml": 'large-tables = ["*"]\npaths = ["f.sql"]\n', "f.sql": "-- comment\x0cSELECT 1;\nSELECT a FROM t WHERE a LIKE '%x';\n"})
    text = render("terminal", engine.check(["."]))
    assert "2 | SELECT a FROM t WHERE a LIKE '%x';" in text, text
