"""The baseline: a file of accepted findings, by fingerprint (advisor/fingerprints.py)."""

from __future__ import annotations

import json
from pathlib import Path

from advisor.config import ConfigError
from advisor.ir import Finding

BASELINE_VERSION = 1


def write_baseline(findings: list[Finding], path: str) -> int:
    entries = [
        {"fingerprint": f.fingerprint, "rule": f.rule, "path": f.location.path, "message": f.message}
        for f in sorted(findings, key=Finding.sort_key)
        if f.suppressed != "comment"
    ]
    from advisor.files import write_output

    write_output(path, json.dumps({"version": BASELINE_VERSION, "findings": entries}, indent=2) + "\n")
    return len(entries)


def read_baseline(path: str) -> set[str]:
    from advisor import files

    text, error = files.read_text(Path(path), files.MAX_BASELINE_SIZE)
    if text is None:
        raise ConfigError(f"{path}: cannot read baseline: {error}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: baseline is not valid JSON: {exc.msg}") from None
    except (ValueError, RecursionError):  # a number of thousands of digits, or nesting past the parser's depth
        raise ConfigError(
            f"{path}: baseline is not one advisor wrote (a number too long or nesting too deep)"
        ) from None
    if (
        not isinstance(data, dict)
        or data.get("version") != BASELINE_VERSION
        or not isinstance(data.get("findings"), list)
    ):
        raise ConfigError(f"{path}: not an advisor baseline (expected version {BASELINE_VERSION} with a findings list)")
    return {str(e.get("fingerprint")) for e in data["findings"] if isinstance(e, dict)}


def apply_baseline(findings: list[Finding], path: str) -> None:
    """Mark the active findings the baseline at `path` accepts."""
    accepted = read_baseline(path)
    for f in findings:
        if f.suppressed is None and f.fingerprint in accepted:
            f.suppressed = "baseline"
