"""Reporters: each renders the findings in one format, from the findings alone."""

from __future__ import annotations

import importlib
import re
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


# C0 and C1 controls but tab and newline, DEL, the Unicode line and paragraph separators, the
# bidirectional overrides, isolates and marks that reorder what a reader sees ("Trojan Source",
# CVE-2021-42574), and the invisible characters that make two names look one (zero-width space,
# joiners, word joiner, the byte-order mark)
UNSAFE_CHARACTERS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
_CONTROL = re.compile(f"[{UNSAFE_CHARACTERS}]")
_COMMAND_LINE = re.compile(r"(?m)^(\s*)::")


def printable(text: str, newlines: bool = False) -> str:
    """Text from the repository (a file name, an identifier, a line of its source) as a log may show it:
    control characters written as escapes (`\\x1b`), and line breaks too unless `newlines`, so that it
    cannot move the cursor, recolour the terminal or start a line a CI runner reads as a command
    (`::error file=...::`, GitHub Actions' workflow commands, which the machine formats escape their own way);
    a line (or the text) that would start with `::` starts with `\\::`, and `##[` (the older syntax of those
    commands) is written `##\\[`."""
    text = visible(text)
    if not newlines:
        text = text.replace("\n", "\\n")
    text = text.replace("##[", "##\\[")  # the runner's older command syntax, which it finds anywhere in a line
    return _COMMAND_LINE.sub(lambda m: m.group(1) + "\\::", text)


def write_json(doc: object, out: TextIO) -> None:
    """A machine format's document, as a log may show it: `##[` (which the Actions runner reads as a command
    anywhere in a line) only ever stands inside a JSON string, and is written `##\\u005b` there, the same
    text to every JSON reader; no line can start with `::` (a string's line breaks are `\\n`)."""
    import json

    for chunk in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(doc):  # a string is one chunk
        out.write(chunk.replace("##[", "##\\u005b"))
    out.write("\n")


def visible(text: str) -> str:
    """The text with each control, bidirectional or invisible character (but tab and newline) written as an
    escape (`\\x1b`, `\\u200b`): what `printable` does to characters, without its line rules."""
    return _CONTROL.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text
    )


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
        "query": _shown_query(finding.query),
    }


QUERY_SHOWN = 4_000  # characters of a finding's statement in a report; its path and lines say where the rest is


def _shown_query(query: str | None) -> str | None:
    """The statement, cut past QUERY_SHOWN characters: every finding carries its statement, and one statement of
    thousands of UNION branches, a finding each, made a 160 kB file a 720 MB JSON report."""
    if query is None or len(query) <= QUERY_SHOWN:
        return query
    return f"{query[:QUERY_SHOWN]}... ({len(query) - QUERY_SHOWN:,} more characters)"


Render = Callable[["Report", TextIO], None]
