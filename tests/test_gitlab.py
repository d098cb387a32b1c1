"""The GitLab Code Quality report validates against the fields GitLab documents.

docs.gitlab.com/ci/testing/code_quality, "Code Quality report format": a JSON array
of objects with `description`, `check_name`, `fingerprint` (unique), `severity` (info,
minor, major, critical or blocker), `location.path` (relative to the repository) and
`location.lines.begin` (or `location.positions.begin.line`).
"""

from __future__ import annotations

import io
import json

import jsonschema

from advisor.engine import Report, check
from advisor.fingerprints import assign_fingerprints
from advisor.ir import Finding, Location
from advisor.reporters import get

SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path"],
                "properties": {
                    "path": {"type": "string", "minLength": 1, "not": {"pattern": "^(/|\\./|\\.\\./)"}},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1},
                                       "end": {"type": "integer", "minimum": 1}},
                    },
                    "positions": {"type": "object"},
                },
                "anyOf": [{"required": ["lines"]}, {"required": ["positions"]}],
            },
            "type": {"const": "issue"},
            "categories": {"type": "array", "items": {"enum": [
                "Bug Risk", "Clarity", "Compatibility", "Complexity", "Duplication", "Performance", "Security",
                "Style"]}},
        },
    },
}


def render(report) -> list:
    out = io.StringIO()
    get("gitlab")(report, out)
    return json.loads(out.getvalue())


def test_fixture_report_validates(monkeypatch):
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)
    doc = render(check(["fixtures/dchat"]))
    jsonschema.validate(doc, SCHEMA)
    assert len(doc) > 5
    assert len({i["fingerprint"] for i in doc}) == len(doc)  # GitLab keeps only the first of equal fingerprints
    assert {"major", "minor"} <= {i["severity"] for i in doc}
    assert all(i["location"]["path"].startswith("fixtures/dchat/") for i in doc)


def test_suppressed_findings_are_left_out_and_paths_are_repository_relative(tmp_path, monkeypatch):
    findings = [
        Finding("SQL012", "DELETE without WHERE", Location("q.sql", 4, 1, 6, 2), "error", help="add WHERE"),
        Finding("SQL001", "SELECT *", Location("q.sql", 9, 8), "warning", suppressed="comment"),
        Finding("ADV002", "unused suppression", Location("q.sql", 1, 1), "info"),
    ]
    assign_fingerprints(findings)
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    monkeypatch.setenv("CI_PROJECT_DIR", str(tmp_path))
    doc = render(Report(findings, ["q.sql"], 3))
    jsonschema.validate(doc, SCHEMA)
    assert [i["check_name"] for i in doc] == ["SQL012", "ADV002"]
    first = doc[0]
    assert first["severity"] == "major"
    assert first["location"] == {"path": "sub/q.sql", "lines": {"begin": 4, "end": 6}}  # advisor ran in sub/
    assert first["description"].startswith("SQL012 delete-without-where: ")
    assert doc[1]["severity"] == "info"


def test_empty_report_is_an_empty_array():
    assert render(Report([], [], 0)) == []
