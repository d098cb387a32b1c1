"""gitignore patterns (`.gitignore`, `.git/info/exclude`, the config's `exclude` and `test-paths`) and
names built around holes, matched in time proportional to the pattern times the text.

The patterns come from the repository, which is untrusted input. The usual regex translation backtracks
without bound: pathspec turns `a/**/` into `a(?:/.+)?`, and eight of them on a path 40 directories deep
take 36 s (each `**` multiplies the work by the depth); `*a*a*a*b` within one name does the same by its
length. Here each run a star may take is matched lazily inside an atomic group, `(?>[^/]*?a)`: the first
place the fixed part after a star fits is the one kept, and the engine never comes back to try another.
Nothing is lost: a star takes any run, so if a later part fits after some place of this one, it fits after
the first place too. Only the last fixed part (tied to the end) is tried at each place, once.

The reading is git's (gitignore(5)), with the edge cases of pathspec's GitIgnoreSpec, which advisor used
before (tests/test_wildmatch.py checks the two agree): a pattern with no slash but a trailing one matches
at any depth; `**` alone, leading, inner or trailing as git says, other stars within one segment; the last
pattern that matches the path itself decides, and only where none does the last that matches a directory
above it (`build/` for `build/x.sql`; `!build/x.sql` keeps it, wherever it stands). Two differences, both
git's: a bracket never matches a slash (pathspec's `[!a]` did), and a pattern git discards (an unclosed
`[`, a trailing backslash) matches nothing (pathspec raised, and advisor stopped with an internal error).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

_DOUBLE = "**"
_SEGMENT = "[^/]"  # a character of one path segment


class _Discarded(ValueError):
    """A pattern git does not use."""


def starred(pieces: list[str], char: str) -> str:
    """A regex of fixed pieces (regex text of fixed length) with a star between each two, a star taking any
    run of `char`: each piece but the last at the first place it fits, committed; the last tied to what
    follows the regex. Linear in the text for each piece."""
    first, *middle = pieces
    if not middle:
        return first
    *middle, last = middle
    return first + "".join(f"(?>{char}*?{piece})" for piece in middle) + f"{char}*{last}"


def holes(fixed: list[str]) -> re.Pattern:
    """A name built around holes (`"migration_" + n + ".sql"`): what the holes leave fixed, in order, a
    hole taking any run of characters between; matched against a whole file name, case aside."""
    return re.compile(starred([re.escape(part) for part in fixed], ".") + r"\Z", re.IGNORECASE | re.DOTALL)


def _compile(regex: str) -> re.Pattern:
    with warnings.catch_warnings():  # a bracket's `[[`, `&&`, `--`: literal today, and Python warns they may change
        warnings.simplefilter("ignore", FutureWarning)
        return re.compile(regex)


def _segment(text: str) -> str:
    """One segment of a pattern (no slash) as regex text matching one segment of a path."""
    if text == "*":
        return f"{_SEGMENT}+"
    pieces, piece = [], ""
    i, end = 0, len(text)
    while i < end:
        char = text[i]
        i += 1
        if char == "\\":
            if i == end:
                raise _Discarded(text)
            piece += re.escape(text[i])
            i += 1
        elif char == "*":
            pieces.append(piece)
            piece = ""
            while i < end and text[i] == "*":
                i += 1
        elif char == "?":
            piece += _SEGMENT
        elif char == "[":
            j = i + (i < end and text[i] in "!^")
            j += j < end and text[j] == "]"
            j = text.find("]", j)
            if j < 0:
                raise _Discarded(text)
            negate = text[i] in "!^"
            body = "[" + "^" * negate + text[i + negate : j].replace("\\", "\\\\") + "]"
            try:
                _compile(body)
            except re.error as e:
                raise _Discarded(text) from e
            piece += f"(?!/){body}"  # as in git, no bracket matches a slash
            i = j + 1
        else:
            piece += re.escape(char)
    pieces.append(piece)
    return starred(pieces, _SEGMENT)


def _path(segments: list[str]) -> str:
    """A pattern's segments as a regex over a path from its start: `**` takes none or some whole segments,
    lazily and committed like a star in a name, but before the last run of segments greedily: the first
    place that run is tried is the last it can take, where it ends the path (a match of the path itself
    is found before one of a directory above it)."""
    runs: list[list[str]] = [[]]
    for seg in segments:
        if seg == _DOUBLE:
            runs.append([])
        else:
            runs[-1].append(_segment(seg))
    out = "/".join(runs[0])
    for n, run in enumerate(runs[1:], 1):
        last = n == len(runs) - 1
        lazy = "" if last else "?"
        skip = f"(?:[^/]+/)*{lazy}" if n == 1 and not runs[0] else f"(?:/[^/]+)*{lazy}/"  # from the start, or on
        body = skip + "/".join(run)
        out += body if last else f"(?>{body}(?=/))"  # committed only where the run ends a segment
    return out


_ITSELF, _BELOW, _EITHER = 2, 1, 0  # what a match of a pattern's regex says


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern
    says: int  # _ITSELF: the path matches; _BELOW: a directory above it does; _EITHER: the regex's group says
    exclude: bool  # False for `!pattern`
    fixed: int  # segments that are not `**`: each takes one segment of the path

    def match(self, path: str, depth: int) -> int:
        """0: no match; 2: the path itself matches; 1: a directory above it (or itself, for a pattern
        written as a directory) does."""
        if self.fixed > depth:  # more segments than the path has: it cannot match, however long it is
            return 0
        m = self.regex.match(path)
        if m is None:
            return 0
        return self.says or (_BELOW if m.group(1) else _ITSELF)


def _parse(line: str) -> _Pattern | None:
    text = line if line.endswith("\\ ") else line.rstrip()
    if not text or text.startswith("#") or text == "/":
        return None
    exclude = not text.startswith("!")
    text = text if exclude else text[1:]
    segments = text.split("/")
    directory = not segments[-1]
    if not segments[0]:
        del segments[0]
    elif len(segments) == 1 or (len(segments) == 2 and not segments[1]):
        if segments[0] != _DOUBLE:
            segments.insert(0, _DOUBLE)
    if not segments:
        return None
    if not segments[-1]:
        segments[-1] = _DOUBLE
    segments = [s for i, s in enumerate(segments) if not (s == _DOUBLE and i and segments[i - 1] == _DOUBLE)]
    fixed = sum(1 for s in segments if s != _DOUBLE)
    under = _BELOW if directory else _ITSELF  # `a/**` counts a path below `a` as itself; `a/` as below
    # what pathspec matched anywhere in the path (`**`, `*`, `*/`): any path; any path with a slash
    if segments in ([_DOUBLE], [_DOUBLE, "*"]):
        return _Pattern(re.compile(r"(?s).*/" if directory else r"(?s).+"), under, exclude, 0)
    if segments == [_DOUBLE, "*", _DOUBLE]:
        return _Pattern(re.compile(r"(?s).*/"), under, exclude, 0)
    try:
        if segments[-1] != _DOUBLE:  # `a/b`: the path itself, or one below it
            return _Pattern(_compile(f"(?s){_path(segments)}(?:\\Z|(/))"), _EITHER, exclude, fixed)
        return _Pattern(_compile(f"(?s){_path(segments[:-1])}/"), under, exclude, fixed)
    except _Discarded:
        return None


class IgnoreSpec:
    """The patterns of one ignore file or one config list, in order."""

    def __init__(self, lines: Iterable[str]):
        self.patterns = [p for p in map(_parse, lines) if p is not None]

    def check(self, path: str) -> bool | None:
        """True: excluded; False: re-included by a `!` pattern; None: no pattern matches. `path` is
        relative to the file's directory, `/`-separated, a directory's ending in `/`."""
        depth = path.count("/") + 1
        decision: bool | None = None
        for pattern in reversed(self.patterns):  # the last match of the path itself decides
            how = pattern.match(path, depth)
            if how == 2:
                return pattern.exclude
            if how == 1 and decision is None:  # else the last through a directory
                decision = pattern.exclude
        return decision

    def matches(self, path: str) -> bool:
        return bool(self.check(path))
