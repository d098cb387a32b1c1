"""GitLab Code Quality: a JSON array of issues for `artifacts: reports: codequality`.

Fields as GitLab documents them (docs.gitlab.com/ci/testing/code_quality, "Code
Quality report format", a subset of the Code Climate spec): `description`,
`check_name`, `fingerprint` (unique per issue, stable between pipelines so the merge
request widget can tell new issues from fixed ones), `severity` (one of info, minor,
major, critical, blocker), `location.path` (relative to the repository root) and
`location.lines.begin`. Suppressed findings are left out: GitLab has no notion of
them.

Paths: findings carry paths relative to the working directory. In a GitLab job
(CI_PROJECT_DIR set) they are made relative to the project directory, so running
advisor from a subdirectory still yields repository paths.
"""

from __future__ import annotations

import os
from pathlib import PurePath

from advisor import catalogue
from advisor.reporters import write_json

SEVERITIES = {"error": "major", "warning": "minor", "info": "info"}


def _repo_path(path: str) -> str:
    project = os.environ.get("CI_PROJECT_DIR")
    if project:
        try:
            rel = os.path.relpath(os.path.abspath(path), os.path.abspath(project))
        except ValueError:
            rel = path
        if not rel.startswith(".."):
            path = rel
    return PurePath(path).as_posix()


def _category(spec) -> str:
    """A Code Climate category: most rules are about performance; a few about safety or the tool."""
    if spec is None or spec.family == "ADV":
        return "Clarity"
    if spec.name == "sql-string-building":
        return "Security"
    if spec.name in (
        "update-without-where",
        "delete-without-where",
        "not-in-subquery",
        "equals-null",
        "limit-without-order-by",
        "insert-without-columns",
    ):
        return "Bug Risk"
    return "Performance"


def issue(finding) -> dict:
    spec = catalogue.lookup(finding.rule)
    loc = finding.location
    lines = {"begin": loc.line}
    if loc.end_line and loc.end_line > loc.line:
        lines["end"] = loc.end_line
    description = f"{finding.rule} {spec.name if spec else ''}: {finding.message}".replace("  ", " ")
    doc = {
        "type": "issue",
        "description": description,
        "check_name": finding.rule,
        "fingerprint": finding.fingerprint,
        "severity": SEVERITIES[finding.severity],
        "location": {"path": _repo_path(loc.path), "lines": lines},
        "categories": [_category(spec)],
    }
    if finding.help:
        doc["content"] = {"body": finding.help + (f"\n\nSee {spec.help_uri}" if spec else "")}
    return doc


def render(report, out) -> None:
    write_json([issue(f) for f in report.active], out)
