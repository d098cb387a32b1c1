"""GitHub Actions workflow commands: annotations for the most severe active findings.

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step and 50
per job; commands beyond that are dropped silently, in the order they were printed
(actions/toolkit docs/problem-matchers.md, "Limitations"; the same limits are
discussed in github.com/orgs/community/discussions/26680 and 68471). So the most
severe findings come first, at most PER_STEP of each level are annotated (30 in all,
within the job's 50), the rest go to the log as plain lines, and a final notice
counts them. `--format markdown` (or GITHUB_STEP_SUMMARY) lists every finding.
"""

from __future__ import annotations

from collections import Counter

from advisor import catalogue
from advisor.ir import severity_rank
from advisor.reporters import printable

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}
PER_STEP = 10  # annotations GitHub displays per level and step


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding) -> str:
    spec = catalogue.lookup(finding.rule)
    loc = finding.location
    end_line = loc.end_line or loc.line
    # a path with a control or invisible character is written escaped: the annotation then names no file of the
    # checkout, and the log holds no such character (a line break stays one: the runner decodes %0A)
    props = [f"file={_prop(printable(loc.path, newlines=True))}", f"line={loc.line}", f"endLine={end_line}"]
    if end_line == loc.line:  # GitHub ignores columns on multi-line spans
        props += [f"col={loc.col}", f"endColumn={max(loc.end_col or loc.col, loc.col)}"]
    props.append(f"title={_prop(finding.rule + ' ' + (spec.name if spec else ''))}")
    message = finding.message
    if finding.help:
        message += "\nhelp: " + finding.help
    # the message names the repository's tables and files: no control or invisible character in the log
    return f"::{LEVELS[finding.severity]} {','.join(props)}::{_data(printable(message, newlines=True))}"


def _ordered(findings) -> list:
    """Most severe first, then by file and line."""
    return sorted(findings, key=lambda f: (-severity_rank(f.severity), f.sort_key()))


def plain(finding) -> str:
    """A finding as a log line, for those past the annotation limit."""
    spec = catalogue.lookup(finding.rule)
    name = f" {spec.name}" if spec else ""
    return printable(f"{finding.location} {finding.rule}{name}: {finding.message}")


def render(report, out) -> None:
    findings = _ordered(report.active)
    totals = Counter(LEVELS[f.severity] for f in findings)
    overflow = any(n > PER_STEP for n in totals.values())
    # the closing notice takes one notice slot when there is anything to count
    limits = {level: PER_STEP - (1 if level == "notice" and overflow else 0) for level in LEVELS.values()}
    shown: Counter = Counter()
    rest = []
    for finding in findings:
        level = LEVELS[finding.severity]
        if shown[level] < limits[level]:
            shown[level] += 1
            out.write(annotation(finding) + "\n")
        else:
            rest.append(finding)
    if rest:
        out.write(f"advisor: {len(rest)} more finding(s) past GitHub's annotation limit:\n")
        for finding in rest:
            out.write(plain(finding) + "\n")
        parts = ", ".join(f"{n} {level}" for level, n in Counter(LEVELS[f.severity] for f in rest).items())
        text = (
            f"{len(rest)} more finding(s) not annotated ({parts}): GitHub shows at most {PER_STEP} annotations "
            "per level and step; the job log above and the job summary list all of them"
        )
        out.write(f"::notice title=advisor::{_data(text)}\n")
