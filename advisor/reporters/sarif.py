"""SARIF 2.1.0 for code scanning: the rule catalogue and one result per finding."""

from __future__ import annotations

from pathlib import PurePath

from advisor import __version__, catalogue
from advisor.reporters import write_json

LEVELS = {"error": "error", "warning": "warning", "info": "note"}
INFO_URI = "https://github.com/advisor-dev/advisor"


def _uri(path: str) -> str:
    """A relative URI reference, as SARIF requires: a space, `#`, `?` or `%` in a file name percent-encoded
    (a raw `#` would end the path at a fragment)."""
    from urllib.parse import quote

    return quote(PurePath(path).as_posix(), safe="/")


def _rule(spec) -> dict:
    return {
        "id": spec.id,
        "name": spec.name,
        "shortDescription": {"text": spec.summary},
        "fullDescription": {"text": spec.rationale or spec.summary},
        "helpUri": spec.help_uri,
        "help": {"text": spec.section("How to fix") or spec.summary, "markdown": spec.body},
        "defaultConfiguration": {"level": LEVELS[spec.severity]},
        "properties": {"tags": [catalogue.FAMILIES[spec.family], *spec.needs]},
    }


def _result(finding, rule_index: dict[str, int]) -> dict:
    loc = finding.location
    region = {"startLine": loc.line, "startColumn": loc.col}
    if loc.end_line:
        region["endLine"] = loc.end_line
        region["endColumn"] = max(loc.end_col or loc.col, 1)
    text = finding.message + (f"\nhelp: {finding.help}" if finding.help else "")
    result = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index[finding.rule],
        "level": LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(loc.path), "uriBaseId": "%SRCROOT%"},
                    "region": region,
                }
            }
        ],
        "partialFingerprints": {"advisorFingerprint/v1": finding.fingerprint},
        "properties": {
            "evidence": finding.evidence,
            "confidence": finding.confidence,
            **({"fix": finding.fix} if finding.fix else {}),
            **({"metrics": finding.metrics} if finding.metrics else {}),
        },
    }
    if finding.suppressed:
        result["suppressions"] = [
            {
                "kind": "inSource" if finding.suppressed == "comment" else "external",
                "justification": f"suppressed by {finding.suppressed}",
            }
        ]
    return result


def render(report, out) -> None:
    specs = list(catalogue.catalogue().values())
    rule_index = {s.id: i for i, s in enumerate(specs)}
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "advisor",
                        "version": __version__,
                        "informationUri": INFO_URI,
                        "rules": [_rule(s) for s in specs],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": "./"}},
                "results": [_result(f, rule_index) for f in report.findings],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    write_json(doc, out)
