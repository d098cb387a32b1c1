"""SQL in Python: what reaches an execution call (execute, fetch, text(), raw()...).

Uses the standard `ast` module: string literals keep their exact positions,
implicit concatenation and triple-quoted strings included.  SQL assembled at
run time (f-strings, `%`, `.format`, `+`) that reaches an execute call is
reported as string building; its static sketch is still analysed.
"""

from __future__ import annotations

import ast
import re
from pathlib import PurePath

from advisor.ir import Location, SourceFile, SqlQuery, StringBuilt, TextMap

# Calls whose first argument is executed as SQL: DB-API and psycopg, asyncpg, databases, SQLAlchemy,
# pandas, psycopg's COPY; SQL text is still required (`session.query(User)` is not SQL).
EXECUTE_METHODS = {"execute", "executemany", "exec_driver_sql", "mogrify", "executescript", "copy_expert",
                   "fetch", "fetchrow", "fetchval", "fetchone", "fetchall", "fetchmany", "fetch_one", "fetch_all",
                   "fetch_val", "execute_many", "iterate", "query", "copy", "prepare", "read_sql", "read_sql_query",
                   "cursor_execute", "run_query", "execute_query", "execute_sql"}
TEXT_FUNCTIONS = {"text", "literal_column_sql", "sql", "SQL"}  # sqlalchemy.text, psycopg.sql.SQL
RAW_METHODS = {"raw", "from_statement", "text", "SQL"}  # Django Model.objects.raw(...), sa.text, sql.SQL

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
        return func.attr in EXECUTE_METHODS or func.attr in RAW_METHODS
    if isinstance(func, ast.Name):  # text(...), or an execute function handed in (a test fixture, a partial)
        return func.id in TEXT_FUNCTIONS or func.id in EXECUTE_METHODS
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


class _Reach:
    """Which string expressions reach an execution call, and how.

    Names, attributes (`self.SQL`, `Queries.GET`), dict subscripts and calls to functions of the
    module that return SQL are followed to their assignments in the same module; a function that
    forwards one of its parameters to an execution call is itself an execution call.
    """

    def __init__(self, tree: ast.Module):
        self.assigned: dict[str, list[ast.expr]] = {}
        self.returns: dict[str, list[ast.expr]] = {}
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    name = target.id if isinstance(target, ast.Name) else \
                        target.attr if isinstance(target, ast.Attribute) else None
                    if name:
                        self.assigned.setdefault(name, []).append(node.value)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.append(node)
                self.returns[node.name] = [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value]
        self.helpers: dict[str, int] = {}  # function name -> index of the argument it executes
        for _ in range(3):  # helpers of helpers
            if not self._find_helpers():
                break

    def sink_argument(self, call: ast.Call) -> ast.expr | None:
        """The SQL argument of an execution call (or of a helper that forwards to one), else None."""
        name = call.func.attr if isinstance(call.func, ast.Attribute) else \
            call.func.id if isinstance(call.func, ast.Name) else None
        if name is None:
            return None
        index = 0 if _is_sql_sink(call) else self.helpers.get(name)
        if index is None:
            return None
        if index < len(call.args) and not isinstance(call.args[index], ast.Starred):
            return call.args[index]
        for keyword in call.keywords:
            if keyword.arg in SQL_KEYWORDS:
                return keyword.value
        return None

    def _find_helpers(self) -> bool:
        found = False
        for function in self.functions:
            if function.name in self.helpers:
                continue
            params = [a.arg for a in function.args.posonlyargs + function.args.args]
            offset = 1 if params and params[0] in ("self", "cls") else 0
            for node in ast.walk(function):
                if isinstance(node, ast.Call):
                    arg = self.sink_argument(node)
                    if isinstance(arg, ast.Name) and arg.id in params[offset:]:
                        self.helpers[function.name] = params.index(arg.id) - offset
                        found = True
                        break
        return found

    def strings(self, node: ast.expr, depth: int = 0) -> list[ast.expr]:
        """The string expressions `node` may stand for: literals, f-strings, formats, concatenations."""
        if depth > 4:
            return []
        if isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)):
            return [node] if _literal(node) is not None or _dynamic_sketch(node) is not None else []
        if isinstance(node, ast.IfExp):
            return self.strings(node.body, depth + 1) + self.strings(node.orelse, depth + 1)
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if name is not None:
            return [s for value in self.assigned.get(name, ()) for s in self.strings(value, depth + 1)]
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            key = node.slice.value
            out = []
            for mapping in self.strings_of_dicts(node.value):
                for k, v in zip(mapping.keys, mapping.values):
                    if isinstance(k, ast.Constant) and k.value == key:
                        out += self.strings(v, depth + 1)
            return out
        if isinstance(node, ast.Call):
            if _dynamic_sketch(node) is not None:
                return [node]
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if called in self.returns and not node.args and not node.keywords or called in _TEXT_BUILDERS:
                values = self.returns.get(called, ()) if called not in _TEXT_BUILDERS else node.args[:1]
                return [s for value in values for s in self.strings(value, depth + 1)]
        return []

    def constant(self, node: ast.expr) -> str | None:
        """The one text a name always has in this module (`TABLE = "jobs"`), else None."""
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if not isinstance(node, (ast.Name, ast.Attribute)):
            return None
        values = {_literal(v) for v in self.strings(node)}
        return values.pop() if len(values) == 1 and None not in values else None

    def fill_constants(self, node: ast.expr) -> tuple[str, tuple[str, ...]] | None:
        """(text, unknown pieces) of an f-string or concatenation with the module's constants filled in."""
        if isinstance(node, ast.JoinedStr):
            pieces: list[ast.expr] = [v.value if isinstance(v, ast.FormattedValue) and v.conversion == -1
                                      and v.format_spec is None else v for v in node.values]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            pieces = _flatten_add(node)
        else:
            return None
        text, unknown = "", []
        for piece in pieces:
            known = self.constant(piece)
            if known is None:
                unknown.append(ast.unparse(piece.value if isinstance(piece, ast.FormattedValue) else piece))
                text += DYNAMIC_PLACEHOLDER
            else:
                text += known
        return text, tuple(unknown)

    def strings_of_dicts(self, node: ast.expr) -> list[ast.Dict]:
        if isinstance(node, ast.Dict):
            return [node]
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        return [v for v in self.assigned.get(name or "", ()) if isinstance(v, ast.Dict)]


SQL_KEYWORDS = {"sql", "query", "statement", "stmt", "operation", "text", "sql_query", "command"}
_TEXT_BUILDERS = {"dedent", "strip"}  # textwrap.dedent(SQL), SQL.strip(): the same text
_NAMED_SQL = re.compile(r"(?:^|_)(?:SQL|QUERY|QUERIES|STATEMENT|STMT|DML)(?:_|$)")


def _location(path: str, node: ast.expr, index: _LineIndex) -> Location:
    end_line, end_col = node.end_lineno or node.lineno, node.end_col_offset or node.col_offset
    return Location(path, node.lineno, index.char_col(node.lineno, node.col_offset),
                    end_line, index.char_col(end_line, end_col))


def _named_constants(tree: ast.Module, path: str) -> list[ast.Constant]:
    """Module and class constants named as SQL (`GET_USER_SQL = "..."`), or any upper-case constant of
    a module named as SQL (`_sql.py`, `queries.py`): executed from another module."""
    store = _SQL_MODULE.search(PurePath(path).stem) is not None
    bodies = [tree.body] + [n.body for n in tree.body if isinstance(n, ast.ClassDef)]
    out = []
    for body in bodies:
        for node in body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and isinstance(node.value, ast.Constant):
                name = node.targets[0].id
                if _NAMED_SQL.search(name) or (store and name.isupper()):
                    out.append(node.value)
    return out


_SQL_MODULE = re.compile(r"^_?(?:sql|queries|query|statements)$|_(?:sql|queries)$", re.IGNORECASE)


def extract_python(path: str, text: str, dialect: str = "postgres") -> SourceFile:
    result = SourceFile(path=path, text=text)
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        result.errors.append((Location(path, line, getattr(exc, "offset", None) or 1), f"Python syntax error: {exc.msg if isinstance(exc, SyntaxError) else exc}"))
        return result
    index = _LineIndex(text)
    reach = _Reach(tree)
    seen: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        arg = reach.sink_argument(node)
        if arg is None:
            continue
        for value in reach.strings(arg):
            if id(value) in seen:
                continue
            origin = "execute-call" if value is arg else "constant-reaching-call"
            if _add_query(result, path, value, node, origin, index, dialect, reach):
                seen.add(id(value))
    for value in _named_constants(tree, path):
        if id(value) not in seen:
            _add_query(result, path, value, None, "named-constant", index, dialect, reach)
    if "find" in text or "aggregate" in text or "index" in text:  # pymongo calls (advisor.sources.pymongo_calls)
        from advisor.sources.pymongo_calls import add_pymongo

        add_pymongo(result, tree, path, index)
    result.queries.sort(key=lambda q: (q.location.line, q.location.col))
    return result


def _add_query(result: SourceFile, path: str, value: ast.expr, call: ast.Call | None, origin: str,
               index: _LineIndex, dialect: str, reach: _Reach) -> bool:
    """Record `value` as a query when its text looks like SQL; True when it did."""
    literal = _literal(value)
    if literal is not None:
        if not looks_like_sql(literal):
            return False
        textmap = _string_textmap(path, value, literal, index)  # type: ignore[arg-type]
        result.queries.append(SqlQuery(literal, _location(path, value, index), textmap, "python", dialect=dialect,
                                       origin=origin, complete=not _has_format_fields(call, literal)))
        return True
    sketch = _dynamic_sketch(value)
    if sketch is None:
        return False
    how, sql = sketch
    interpolated = _interpolated(value)
    filled = reach.fill_constants(value)
    if filled is not None:
        sql, interpolated = filled
    if not looks_like_sql(sql):
        return False
    loc = _location(path, value, index)
    textmap = TextMap(path, sql, ((0, loc.line, loc.col),))
    template = _format_template(value)
    if template is not None:  # "... %s ..." % x, "... {} ...".format(x): the template as written,
        sql = template.value  # read with typed placeholders (advisor.parse), positions exact
        textmap = _string_textmap(path, template, sql, index)
        loc = _location(path, template, index)
    if not interpolated:  # every piece is a constant of the module: f"SELECT ... FROM {TABLE}"
        result.queries.append(SqlQuery(sql, loc, textmap, "python", dialect=dialect, origin=origin))
        return True
    result.string_built.append(StringBuilt(how, _call_name(call.func) if call is not None else "", loc,
                                           interpolated))
    result.queries.append(SqlQuery(sql, loc, textmap, "python", dynamic=True, dialect=dialect, origin=origin,
                                   complete=False))
    return True


def _has_format_fields(call: ast.Call | None, literal: str) -> bool:
    """psycopg's sql.SQL("... {} ...") is a template: its fields are filled with composed names."""
    return call is not None and _call_name(call.func).split(".")[-1] == "SQL" and "{" in literal


def _interpolated(node: ast.expr) -> tuple[str, ...]:
    """The source of each value spliced into dynamic SQL (what the rules judge: a name, a quoted identifier)."""
    if isinstance(node, ast.JoinedStr):
        values = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        values = list(node.right.elts) if isinstance(node.right, ast.Tuple) else [node.right]
    elif isinstance(node, ast.BinOp):
        values = [p for p in _flatten_add(node) if _literal(p) is None]
    elif isinstance(node, ast.Call):
        values = list(node.args) + [k.value for k in node.keywords]
    else:
        values = []
    return tuple(ast.unparse(v) for v in values)


def _format_template(node: ast.expr) -> ast.Constant | None:
    """The literal template of a %-format or .format() call, when it is one."""
    base = node.left if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) else \
        node.func.value if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else None
    return base if isinstance(base, ast.Constant) and isinstance(base.value, str) else None
