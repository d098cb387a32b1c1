"""JSON: every finding, suppressed ones included (marked), and a summary."""

from __future__ import annotations

from collections import Counter

from advisor import __version__
from advisor.reporters import finding_dict, write_json


def render(report, out) -> None:
    active = report.active
    doc = {
        "tool": {"name": "advisor", "version": __version__},
        "summary": {
            "files": len(report.files),
            "queries": report.queries,
            "findings": len(active),
            "suppressed": len(report.findings) - len(active),
            "by_severity": dict(sorted(Counter(f.severity for f in active).items())),
            "failing": len(report.failing()),
        },
        "findings": [finding_dict(f) for f in report.findings],
    }
    write_json(doc, out)
