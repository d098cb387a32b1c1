"""Reporters: each renders the findings in one format, from the findings alone."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from advisor.engine import Report

FORMATS = ("terminal", "json", "sarif", "github", "markdown", "gitlab")


def get(fmt: str) -> Callable[..., None]:
    """The `render(report, out)` function of a format."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    return importlib.import_module(f"advisor.reporters.{fmt}").render


def finding_dict(finding) -> dict:
    """The plain-data view of a finding that machine formats share."""
    from advisor import catalogue

    spec = catalogue.lookup(finding.rule)
    loc = finding.location
    return {
        "rule": finding.rule,
        "name": spec.name if spec else finding.rule,
        "severity": finding.severity,
        "message": finding.message,
        "path": loc.path,
        "line": loc.line,
        "column": loc.col,
        "end_line": loc.end_line or loc.line,
        "end_column": loc.end_col or loc.col,
        "help": finding.help,
        "fix": finding.fix,
        "evidence": finding.evidence,
        "confidence": finding.confidence,
        "metrics": finding.metrics,
        "fingerprint": finding.fingerprint,
        "suppressed": finding.suppressed,
        "query": finding.query,
    }


Render = Callable[["Report", TextIO], None]
