"""SQL in Python: execute calls, SQLAlchemy text(), and SQL-looking string constants.

Uses the standard `ast` module: string literals keep their exact positions,
implicit concatenation and triple-quoted strings included.  SQL assembled at
run time (f-strings, `%`, `.format`, `+`) that reaches an execute call is
reported as string building; its static sketch is still analysed.
"""

from __future__ import annotations

import ast
import re

from advisor.ir import Location, SourceFile, SqlQuery, StringBuilt, TextMap

EXECUTE_METHODS = {"execute", "executemany", "exec_driver_sql", "mogrify", "executescript", "copy_expert"}
TEXT_FUNCTIONS = {"text", "literal_column_sql", "sql"}  # sqlalchemy.text, psycopg.sql.SQL is separate
RAW_METHODS = {"raw", "from_statement"}  # Django Model.objects.raw(...)

_SQL_START = re.compile(
    r"^\s*(\(\s*)*(SELECT|WITH|INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|CREATE\s+(UNIQUE\s+)?INDEX|"
    r"CREATE\s+TABLE|ALTER\s+TABLE|DROP\s+(TABLE|INDEX)|MERGE\s+INTO|TRUNCATE)\b",
    re.IGNORECASE,
)
_SELECT_SHAPE = re.compile(r"\bFROM\b|\bSET\b|\bVALUES\b|\bINTO\b|^\s*SELECT\s+\S", re.IGNORECASE)
DYNAMIC_PLACEHOLDER = "__advisor_param"


def looks_like_sql(text: str) -> bool:
    return bool(_SQL_START.match(text)) and bool(_SELECT_SHAPE.search(text)) and len(text) >= 8


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        base = _call_name(func.value)
        return f"{base}.{func.attr}" if base else func.attr
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Call):
        return _call_name(func.func) + "()"
    return ""


def _is_sql_sink(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr in EXECUTE_METHODS or func.attr in RAW_METHODS or func.attr == "text"
    if isinstance(func, ast.Name):
        return func.id in TEXT_FUNCTIONS
    return False


class _LineIndex:
    """Converts ast (line, utf-8 byte column) pairs into character columns."""

    def __init__(self, text: str):
        self.lines = text.splitlines(keepends=True)

    def char_col(self, lineno: int, byte_col: int) -> int:
        if 1 <= lineno <= len(self.lines):
            line = self.lines[lineno - 1]
            return len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1
        return byte_col + 1

    def segment(self, node: ast.expr) -> str:
        start = self.char_col(node.lineno, node.col_offset) - 1
        end = self.char_col(node.end_lineno, node.end_col_offset) - 1
        if node.lineno == node.end_lineno:
            return self.lines[node.lineno - 1][start:end]
        parts = [self.lines[node.lineno - 1][start:]]
        parts += self.lines[node.lineno : node.end_lineno - 1]
        parts.append(self.lines[node.end_lineno - 1][:end])
        return "".join(parts)


_PREFIX = re.compile(r"([rRbBuUfF]{0,2})('''|\"\"\"|'|\")")


def _string_textmap(path: str, node: ast.Constant, value: str, index: _LineIndex) -> TextMap:
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


def _dynamic_sketch(node: ast.expr) -> tuple[str, str] | None:
    """(how, sketch text) for SQL built at run time, or None for a plain literal."""
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts.append(value.value)
            else:
                parts.append(DYNAMIC_PLACEHOLDER)
        return "f-string", "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _literal(node.left) is not None:
        text = re.sub(r"%\(?\w*\)?[sdfr]", DYNAMIC_PLACEHOLDER, _literal(node.left) or "")
        return "%-format", text
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        pieces = _flatten_add(node)
        if any(_literal(p) is None for p in pieces):
            text = "".join(_literal(p) if _literal(p) is not None else DYNAMIC_PLACEHOLDER for p in pieces)
            return "concatenation", text
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and _literal(node.func.value) is not None
    ):
        text = re.sub(r"\{[^{}]*\}", DYNAMIC_PLACEHOLDER, _literal(node.func.value) or "")
        return ".format()", text
    return None


def _flatten_add(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _flatten_add(node.left) + _flatten_add(node.right)
    return [node]


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def extract_python(path: str, text: str, dialect: str = "postgres") -> SourceFile:
    result = SourceFile(path=path, text=text)
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        result.errors.append((Location(path, line, getattr(exc, "offset", None) or 1), f"Python syntax error: {exc.msg if isinstance(exc, SyntaxError) else exc}"))
        return result
    index = _LineIndex(text)

    # Names assigned once from a dynamic SQL expression, per scope: `q = f"..."; cur.execute(q)`.
    dynamic_names: dict[str, ast.expr] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if _dynamic_sketch(node.value) is not None:
                dynamic_names[node.targets[0].id] = node.value

    seen: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            seen.update(id(v) for v in ast.walk(node))  # f-string pieces are not queries alone
        if not (isinstance(node, ast.Call) and _is_sql_sink(node) and node.args):
            continue
        arg = node.args[0]
        if isinstance(arg, ast.Name) and arg.id in dynamic_names:
            arg = dynamic_names[arg.id]
        sketch = _dynamic_sketch(arg)
        if sketch is None or id(arg) in seen or not looks_like_sql(sketch[1]):
            continue
        seen.update(id(v) for v in ast.walk(arg))
        how, sql = sketch
        loc = Location(path, arg.lineno, index.char_col(arg.lineno, arg.col_offset),
                       arg.end_lineno, index.char_col(arg.end_lineno, arg.end_col_offset))
        result.string_built.append(StringBuilt(how, _call_name(node.func), loc))
        textmap = TextMap(path, sql, ((0, loc.line, loc.col),))
        result.queries.append(SqlQuery(sql, loc, textmap, "python", dynamic=True, dialect=dialect))

    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in seen:
            if looks_like_sql(node.value):
                textmap = _string_textmap(path, node, node.value, index)
                loc = Location(path, node.lineno, index.char_col(node.lineno, node.col_offset),
                               node.end_lineno, index.char_col(node.end_lineno, node.end_col_offset))
                result.queries.append(SqlQuery(node.value, loc, textmap, "python", dialect=dialect))
    if "find" in text or "aggregate" in text or "index" in text:  # pymongo calls (advisor.sources.pymongo_calls)
        from advisor.sources.pymongo_calls import add_pymongo

        add_pymongo(result, tree, path, index)
    result.queries.sort(key=lambda q: (q.location.line, q.location.col))
    return result
