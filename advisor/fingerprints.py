"""Finding fingerprints: stable across line moves, so a baseline survives edits around a finding.

A fingerprint is the rule, the path, the statement's text and the finding's subject -- what it
is about (table.column, a plan node's kind and relation, the index advice's table), never the
numbers a run measured: row estimates, costs, timings and sizes change with the seeded data and
the machine, and a baseline made with --explain must not churn.  The message stands in only for
a finding without a subject.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict

from advisor.ir import Finding


def _normalise_query(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip().lower()


def _order(f: Finding) -> tuple:
    """Where a finding is, to number equal ones: its position, not its message (which may hold measured numbers)."""
    loc = f.location
    return (loc.path, loc.line, loc.col, f.rule, f.subject)


def assign_fingerprints(findings: list[Finding]) -> None:
    """Stable across line moves: rule, path, the statement's text and the subject, plus an occurrence count."""
    counts: dict[str, int] = defaultdict(int)
    # the hash of what precedes the subject, taken once per rule and statement: a statement of N UNION
    # terms can hold N findings, and its text normalised and hashed for each was N * N
    heads: dict[tuple[str, str, str | None], hashlib._Hash] = {}
    for f in sorted(findings, key=_order):
        key = (f.rule, f.location.path, f.query)
        if key not in heads:
            heads[key] = hashlib.sha256("\x1f".join((*key[:2], _normalise_query(f.query), "")).encode("utf-8"))
        hashed = heads[key].copy()
        hashed.update((f.subject or f.message).encode("utf-8"))
        digest = hashed.hexdigest()[:32]
        counts[digest] += 1
        f.fingerprint = f"{digest}:{counts[digest]}"
