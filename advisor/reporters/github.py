"""GitHub Actions workflow commands: one annotation per active finding."""

from __future__ import annotations

from advisor import catalogue

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding) -> str:
    spec = catalogue.lookup(finding.rule)
    loc = finding.location
    end_line = loc.end_line or loc.line
    props = [f"file={_prop(loc.path)}", f"line={loc.line}", f"endLine={end_line}"]
    if end_line == loc.line:  # GitHub ignores columns on multi-line spans
        props += [f"col={loc.col}", f"endColumn={max(loc.end_col or loc.col, loc.col)}"]
    props.append(f"title={_prop(finding.rule + ' ' + (spec.name if spec else ''))}")
    message = finding.message
    if finding.help:
        message += "\nhelp: " + finding.help
    return f"::{LEVELS[finding.severity]} {','.join(props)}::{_data(message)}"


def render(report, out) -> None:
    for finding in report.active:
        out.write(annotation(finding) + "\n")
