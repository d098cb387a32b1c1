"""Suppression comments (`advisor: ignore ...`, parsed by advisor/sources/suppressions.py) applied
to findings: the findings they cover are marked, and a suppression that covers nothing is reported."""

from __future__ import annotations

import re
from collections import defaultdict

from advisor import catalogue
from advisor.ir import Finding, SourceFile

UNUSED_SUPPRESSION = "unused-suppression"


def _suppression_covers(s_line: int, rules: tuple[str, ...], finding: Finding, lines: list[str]) -> bool:
    if rules:
        spec = catalogue.lookup(finding.rule)
        names = {r.lower() for r in rules}
        if not spec or not ({spec.id.lower(), spec.name.lower(), *(a.lower() for a in spec.aliases)} & names):
            return False
    starts = {finding.location.line}
    if finding.query_location is not None:
        starts.add(finding.query_location.line)
    if s_line in starts:
        return True
    # a comment on a line of its own covers the next line
    own_line = 0 < s_line <= len(lines) and re.match(r"^\s*(--|#|//|/\*)", lines[s_line - 1])
    return bool(own_line) and (s_line + 1) in starts


def apply_suppressions(findings: list[Finding], sources: list[SourceFile], enabled: set[str]) -> list[Finding]:
    """Mark suppressed findings; report suppressions that suppress nothing."""
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_path[f.location.path].append(f)
    extra = []
    unused_spec = catalogue.lookup(UNUSED_SUPPRESSION)
    unused_id = unused_spec.id if unused_spec else None
    for source in sources:
        if not source.suppressions:
            continue
        lines = source.text.splitlines()
        for suppression in source.suppressions:
            used = False
            for f in by_path.get(source.path, []):
                if f.rule != unused_id and _suppression_covers(suppression.location.line, suppression.rules, f, lines):
                    f.suppressed = "comment"
                    used = True
            if unused_spec is None:  # its page is missing: mark what is covered, report nothing
                continue
            named = [catalogue.lookup(r) for r in suppression.rules]
            known = [spec for spec in named if spec is not None]
            if len(known) != len(named):
                unknown = [r for r, spec in zip(suppression.rules, named) if spec is None]
                extra.append(
                    Finding(
                        unused_spec.id,
                        f"suppression names unknown rule(s): {', '.join(unknown)}",
                        suppression.location,
                        unused_spec.severity,
                        help="use a rule id or name from `advisor rules`",
                        subject=",".join(unknown),
                    )
                )
            elif not used and (not known or any(s.id in enabled for s in known)) and unused_spec.id in enabled:
                what = ", ".join(suppression.rules) or "all rules"
                extra.append(
                    Finding(
                        unused_spec.id,
                        f"unused suppression ({what}): nothing here is reported",
                        suppression.location,
                        unused_spec.severity,
                        help="remove the comment, or move it to the line of the finding or the line above",
                        subject=what,
                    )
                )
    return findings + extra
