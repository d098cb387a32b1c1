"""Where the text of Python code is: character columns of ast positions, and TextMaps of string literals."""

from __future__ import annotations

import ast
import re

from advisor.ir import Location, TextMap


class LineIndex:
    """Converts ast (line, utf-8 byte column) pairs into character columns."""

    def __init__(self, text: str):
        self.lines = text.splitlines(keepends=True)

    def char_col(self, lineno: int | None, byte_col: int | None) -> int:
        lineno, byte_col = lineno or 1, byte_col or 0  # every expression and statement node has both
        if 1 <= lineno <= len(self.lines):
            line = self.lines[lineno - 1]
            return len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1
        return byte_col + 1

    def segment(self, node: ast.expr) -> str:
        start = self.char_col(node.lineno, node.col_offset) - 1
        end_line = node.end_lineno or node.lineno
        end = self.char_col(end_line, node.end_col_offset) - 1
        if node.lineno == end_line:
            return self.lines[node.lineno - 1][start:end]
        parts = [self.lines[node.lineno - 1][start:]]
        parts += self.lines[node.lineno : end_line - 1]
        parts.append(self.lines[end_line - 1][:end])
        return "".join(parts)


_PREFIX = re.compile(r"([rRbBuUfF]{0,2})('''|\"\"\"|'|\")")


def string_textmap(path: str, node: ast.Constant, value: str, index: LineIndex) -> TextMap:
    """Anchor each literal piece of a (possibly implicitly concatenated) string."""
    source = index.segment(node)
    anchors: list[tuple[int, int, int]] = []
    offset = 0
    # Walk the literal pieces in the source; when a piece's body is the value
    # verbatim, positions inside it are exact.
    line, col = node.lineno, index.char_col(node.lineno, node.col_offset)
    i = 0
    while i < len(source) and offset <= len(value):
        m = _PREFIX.match(source, i)
        if not m:
            ch = source[i]
            if ch == "\n":
                line, col = line + 1, 1
            else:
                col += 1
            i += 1
            continue
        quote = m.group(2)
        body_start = m.end()
        close = source.find(quote, body_start)
        while close > 0 and source[close - 1] == "\\" and "r" not in m.group(1).lower():
            close = source.find(quote, close + 1)
        if close < 0:
            break
        body = source[body_start:close]
        prefix_text = source[i:body_start]
        anchors.append((offset, line, col + len(prefix_text)))
        try:
            piece_value = ast.literal_eval(source[i : close + len(quote)])
        except (ValueError, SyntaxError):
            piece_value = body
        offset += len(piece_value) if isinstance(piece_value, str) else len(body)
        advance = source[i : close + len(quote)]
        newlines = advance.count("\n")
        if newlines:
            line += newlines
            col = len(advance) - advance.rfind("\n")
        else:
            col += len(advance)
        i = close + len(quote)
    if not anchors:
        anchors.append((0, node.lineno, index.char_col(node.lineno, node.col_offset)))
    return TextMap(path, value, tuple(anchors))


def location(path: str, node: ast.expr, index: LineIndex) -> Location:
    end_line, end_col = node.end_lineno or node.lineno, node.end_col_offset or node.col_offset
    return Location(
        path, node.lineno, index.char_col(node.lineno, node.col_offset), end_line, index.char_col(end_line, end_col)
    )
