"""The terminal report: grouped by file, a code frame per finding, help and fix lines.

Quiet when there is nothing to report. Colour follows rich's detection (NO_COLOR,
FORCE_COLOR, not a TTY); user text is escaped before it meets rich markup.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Set as AbstractSet
from itertools import groupby
from pathlib import Path

from advisor import catalogue
from advisor.reporters import printable

STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _source_lines(path: str, cache: dict[str, list[str]], unread: AbstractSet[str] = frozenset()) -> list[str]:
    if path not in cache:
        from advisor.files import read_text  # bounded, never blocks on a pipe

        text = None if path in unread else read_text(Path(path))[0]  # a file advisor skipped is not shown
        # line ends as locations count them: not splitlines(), which also breaks at \x0c, \x1c-\x1e, \x85, \u2028
        cache[path] = [line.removesuffix("\r") for line in text.split("\n")] if text else []
    return cache[path]


def _frame(finding, lines: list[str], escape) -> list[str]:
    loc = finding.location
    if not (0 < loc.line <= len(lines)):
        return []
    width = len(str(loc.line))
    line = lines[loc.line - 1]
    # at most WINDOW characters of the line, around the column: a finding deep in a long line (a minified
    # bundle, one huge statement) must not pad its caret line to the column (output quadratic in the line)
    start = 0 if len(line) <= WINDOW else max(0, min(loc.col - 1 - WINDOW // 4, len(line) - WINDOW))
    shown = line[start : start + WINDOW].replace("\t", " ")  # a tab one column, as locations count it
    text = ("..." if start else "") + shown + ("..." if start + WINDOW < len(line) else "")
    col = loc.col - start + (3 if start else 0)  # the column in the text shown
    same_line = loc.end_line in (None, loc.line) and loc.end_col
    end = loc.end_col - start + (3 if start else 0) if same_line else len(text) + 1
    carets = "^" * max(1, min(end, len(text) + 1) - col)
    gutter = " " * width
    return [
        f"  [blue]{gutter} |[/]",
        f"  [blue]{loc.line} |[/] {escape(printable(text))}",
        f"  [blue]{gutter} |[/] {' ' * (min(col, len(text) + 1) - 1)}[{STYLES[finding.severity]}]{carets}[/]",
    ]


WINDOW = 154  # characters of a long line shown in a finding's frame (with "..." on a cut side: 160 at most)


SHOWN = 12  # items of a list metric shown (a note's statements: `lines`)


def _metric(key: str, value) -> str:
    if key.endswith("size") and isinstance(value, (int, float)):
        for unit in ("B", "kB", "MB", "GB"):
            if value < 1024 or unit == "GB":
                return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
            value /= 1024
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, list):  # the whole list is in --format json
        return "; ".join(map(str, value[:SHOWN])) + (f"; and {len(value) - SHOWN} more" if len(value) > SHOWN else "")
    return str(value)


def render(report, out) -> None:
    active = report.active
    if not active:
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console(file=out, highlight=False, soft_wrap=True)
    cache: dict[str, list[str]] = {}
    for path, group in groupby(active, key=lambda f: f.location.path):
        where = escape(printable(path))  # repository text never reaches the terminal raw
        console.print(f"[bold underline]{where}[/]")
        for f in group:
            spec = catalogue.lookup(f.rule)
            loc = f.location
            console.print(
                f"[bold]{where}:{loc.line}:{loc.col}[/] [{STYLES[f.severity]}]{f.rule}[/] "
                f"[dim]{spec.name if spec else ''}[/] {escape(printable(f.message))}"
            )
            for line in _frame(f, _source_lines(path, cache, getattr(report, "unread", set())), escape):
                console.print(line)
            if f.help:
                console.print(f"  [green]help:[/] {escape(printable(f.help, newlines=True))}")
            if f.fix and f.fix not in f.help:
                console.print(f"  [green]fix:[/]  {escape(printable(f.fix, newlines=True))}")
            if f.metrics:
                shown = ", ".join(
                    f"{k}={_metric(k, v)}" for k, v in f.metrics.items() if k != "evidence" and v not in ("", None, [])
                )
                if shown:  # evidence alone (`planned`) says nothing a reader can use
                    console.print(f"  [magenta]{f.evidence}:[/] {escape(printable(shown))}")
        console.print()
    counts = Counter(f.severity for f in active)
    parts = [
        f"{counts[s]} {s if counts[s] == 1 or s == 'info' else s + 's'}"
        for s in ("error", "warning", "info")
        if counts[s]
    ]
    files = len({f.location.path for f in active})
    hidden = len(report.findings) - len(active)
    suffix = f"; {hidden} suppressed" if hidden else ""
    console.print(
        f"[bold]Found {len(active)} finding{'s' if len(active) != 1 else ''}[/] ({', '.join(parts)}) "
        f"in {files} file{'s' if files != 1 else ''}{suffix}."
    )
