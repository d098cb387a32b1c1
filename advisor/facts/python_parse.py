"""A Python module parsed once for every reader, past the lines Python 3 cannot read.

A line the running Python rejects (Python 2's `print "x"`, `raise E, "msg"`, `except E, e:`, `0644`, `ur''`; a
stray typo) loses only itself: it is read as `pass` (as `if 1:` when it opens a block, so the block under it still
parses), and the module is parsed again, up to _MAX_SKIPPED lines (fewer for a large module: _PARSED_BYTES). The
lines keep their numbers, so every location stays where the file has it. The error Python reports on the file as
written is what the reader reports, with how many lines were left out.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

_MAX_SKIPPED = 25  # past that, the file is not Python this reader can follow: nothing of it is read
_PARSED_BYTES = 20_000_000  # and no more text than this is parsed again for one file (a 5 MB module: 4 tries)
_OPENS_BLOCK = re.compile(r":\s*(#.*)?$")


@dataclass(frozen=True)
class Parsed:
    tree: ast.Module | None  # None: not read at all
    error: SyntaxError | ValueError | RecursionError | MemoryError | None  # the first the file raised
    skipped: tuple[int, ...] = ()  # the lines read as `pass` (1-based)


@lru_cache(maxsize=256)  # a module's every reader asks for it (the extractor, the callers of its functions)
def parse_python(code: str, filename: str = "<unknown>") -> Parsed:
    """The module, read past the lines Python cannot parse (each as `pass`); a module with a null byte, nested too
    deep, or with more such lines than _MAX_SKIPPED is not read."""
    lines = _lines(code)
    errors: list[SyntaxError] = []
    skipped: list[int] = []
    text = code

    def first() -> SyntaxError | None:
        """The error Python reports on the file as written (a later one may come of a line left out)."""
        return errors[0] if errors else None

    while True:
        try:
            return Parsed(_texts_of_bytes(ast.parse(text, filename=filename), code), first(), tuple(sorted(skipped)))
        except SyntaxError as exc:
            errors.append(exc)
            line = exc.lineno or 0
            tries = min(_MAX_SKIPPED, _PARSED_BYTES // max(len(code), 1))
            if not 0 < line <= len(lines) or line in skipped or len(skipped) >= tries:
                return Parsed(None, first(), tuple(sorted(skipped)))
            lines[line - 1] = _stand_in(lines[line - 1])
            skipped.append(line)
            text = "".join(lines)
        except (ValueError, RecursionError, MemoryError) as exc:  # a null byte; nested too deep to parse
            return Parsed(None, first() or exc, tuple(sorted(skipped)))


_BYTES_LITERAL = re.compile(r"(?<![\w])[bB][rR]?[\"']|(?<![\w])[rR][bB][\"']")


def _texts_of_bytes(tree: ast.Module, code: str) -> ast.Module:
    """A bytes literal of text read as that text (gene-normalizer's `_get_record_query = b"SELECT ..."`, which
    psycopg runs as it runs a str): every reader sees SQL in it where it would in a str. Bytes that are not UTF-8
    text (a hash, a magic number) stay bytes."""
    if not _BYTES_LITERAL.search(code):
        return tree
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
            try:
                node.value = node.value.decode("utf-8")
            except UnicodeDecodeError:
                continue
    return tree


def _lines(code: str) -> list[str]:
    """The lines as Python numbers them, each with its end: only `\n`, `\r\n` and `\r` end one (str.splitlines
    also splits at a form feed or U+2028, which Python reads inside a line)."""
    parts = re.split(r"(\r\n|\r|\n)", code)
    return [parts[i] + (parts[i + 1] if i + 1 < len(parts) else "") for i in range(0, len(parts), 2)]


def _stand_in(line: str) -> str:
    """`pass` in the line's place and indentation (`if 1:` for a line that opens a block), its line end kept."""
    body = line.rstrip("\r\n")
    end = line[len(body) :] or "\n"
    indent = body[: len(body) - len(body.lstrip())]
    if re.match(r"except\b", body.lstrip()):
        return indent + "except:" + end  # `except E, e:`: a handler still, so its `try` still parses
    return indent + ("if 1:" if _OPENS_BLOCK.search(body) else "pass") + end
