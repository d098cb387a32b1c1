"""Finding fingerprints: stable across line moves, so a baseline survives edits around a finding."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict

from advisor.ir import Finding


def _normalise_query(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip().lower()


def assign_fingerprints(findings: list[Finding]) -> None:
    """Stable across line moves: rule, path, the statement's text and the subject, plus an occurrence count."""
    counts: dict[str, int] = defaultdict(int)
    for f in sorted(findings, key=Finding.sort_key):
        base = "\x1f".join((f.rule, f.location.path, _normalise_query(f.query), f.subject or f.message))
        digest = hashlib.sha256(base.encode("utf-8")).hexdigest()[:32]
        counts[digest] += 1
        f.fingerprint = f"{digest}:{counts[digest]}"
