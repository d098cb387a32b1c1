"""What is interpolated into SQL built at run time, and whether it can come from outside.

`sql-string-building` reports SQL assembled with f-strings, `%`, `.format()`, `+` or JS
template literals only when a value that a caller can choose reaches the text.  Not when
every piece is a constant, a name from a fixed set, an identifier quoted by the driver
(`sql.Identifier`, `quote_ident`, `escapeIdentifier`), a number, a run of placeholders
(`", ".join(["%s"] * n)`, `$${i}`), or a fragment chosen from literals (`"AND x = %s" if f else ""`).

Plain functions over the host language's syntax: Python through `ast` (names resolved within
the enclosing function and the module), JS/TS through the text of each `${...}` (no types or
scopes there, so only shapes that are safe by their look count as safe).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from advisor.ir import Location

# calls whose result is an identifier quoted for SQL, a number, or a length
SAFE_CALLS = {
    "identifier",
    "quote_ident",
    "quote_identifier",
    "escape_identifier",
    "escapeidentifier",
    "quoteidentifier",
    "ident",
    "literal",
    "quote_literal",
    "escape_literal",
    "escapeliteral",
    "int",
    "float",
    "len",
    "bool",
    "abs",
    "round",
    "range",
    "enumerate",
    "count",
    "placeholders",
    "as_string",
}
# names that hold an identifier by convention: a table, schema or column name chosen by the code
_IDENTIFIER_NAME = re.compile(
    r"(^|_)(table|tables|tbl|tablename|table_name|schema|schemas|schema_name|column|columns|cols|col|field|fields|"
    r"relation|relname|index|index_name|view|sequence|seq|prefix|suffix|alias|channel|queue_table|db_table|"
    r"placeholders?|params_sql|values_sql|fields_sql|columns_sql|where_sql|sql|query|clause|fragment|join|"
    r"predicate|criteria|conditions?|where|quoted|escaped)s?$",
    re.IGNORECASE,
)
_ESCAPED = re.compile(r"^(escaped|quoted|safe)", re.IGNORECASE)  # escapedWorkerSchema, quoted_name
_DEPTH = 8  # how far a name is followed through assignments


def identifier_name(name: str) -> bool:
    """A name that by convention holds an identifier or a SQL fragment the code built (snake or camelCase)."""
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    return bool(_IDENTIFIER_NAME.search(snake) or _ESCAPED.match(name.strip()))


@dataclass(frozen=True)
class Piece:
    """One value interpolated into SQL text."""

    text: str  # the expression as written
    outside: bool  # a caller can choose it
    quoted: bool  # it stands inside '...' in the SQL: a value, never an identifier
    as_name: bool = False  # it stands where SQL expects a name (a table, a column, ASC/DESC)


# --- Python -------------------------------------------------------------------


_Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


class _Scope:
    """Assignments visible from the expression: the enclosing function's, then the module's."""

    def __init__(self, tree: ast.Module, functions: tuple[_Function, ...]):
        self.params: set[str] = set()
        self.assigned: dict[str, list[ast.expr]] = {}
        self.loops: dict[str, list[ast.expr]] = {}
        for owner in (tree, *functions):
            if owner is None:
                continue
            for node in _own_nodes(owner):
                if isinstance(node, ast.Assign) and _fragment_with_arguments(node):
                    for name in _names(node.targets[0]):  # clause, args = in_list_clause(...): placeholders
                        self.assigned.setdefault(name, []).append(ast.Constant("?"))
                elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        for name in _names(target):
                            self.assigned.setdefault(name, []).append(node.value)
                elif isinstance(node, (ast.For, ast.comprehension)):
                    for name in _names(node.target):
                        self.loops.setdefault(name, []).append(node.iter)
        for function in functions:  # the enclosing functions' names too: closures read them
            args = function.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is not None and arg.arg not in ("self", "cls"):
                    self.params.add(arg.arg)


_ARGUMENTS_NAME = re.compile(
    r"^(args|arguments|params|parameters|bind_?args|binds|bind_values|sql_args|query_args)$", re.IGNORECASE
)


def _fragment_with_arguments(node: ast.Assign) -> bool:
    """`clause, args = make_in_list_sql_clause(...)`: a helper's SQL fragment returned with the values it binds."""
    target = node.targets[0]
    if len(node.targets) != 1 or not isinstance(target, ast.Tuple) or not isinstance(node.value, ast.Call):
        return False
    names = _names(target)
    return len(names) == 2 and bool(_ARGUMENTS_NAME.match(names[1])) and identifier_name(names[0])


def _own_nodes(owner: ast.AST):
    """The nodes of a module or function, not those of functions and classes nested in it."""
    stack = list(ast.iter_child_nodes(owner))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _names(elt)]
    return []


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _outside(node: ast.expr, scope: _Scope, depth: int = 0) -> bool:
    """Whether a caller can choose this value (True when in doubt about a parameter or a call)."""
    if depth > _DEPTH:
        return True
    more = depth + 1
    if isinstance(node, ast.Constant):
        return False
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_outside(e, scope, more) for e in node.elts)
    if isinstance(node, ast.Dict):
        return any(_outside(v, scope, more) for v in node.values if v is not None)
    if isinstance(node, ast.JoinedStr):
        return any(_outside(v.value, scope, more) for v in node.values if isinstance(v, ast.FormattedValue))
    if isinstance(node, ast.FormattedValue):
        return _outside(node.value, scope, more)
    if isinstance(node, ast.IfExp):
        return _outside(node.body, scope, more) or _outside(node.orelse, scope, more)
    if isinstance(node, ast.BoolOp):
        return any(_outside(v, scope, more) for v in node.values)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Mod) and _identifier_template(node.left):
            return False  # "%s_stream_id" % kind, "%s = ?" % column: the value becomes a name
        if isinstance(node.op, ast.Mult):  # ["%s"] * n, "?, " * n
            return _outside(node.left, scope, more) and _outside(node.right, scope, more)
        return _outside(node.left, scope, more) or _outside(node.right, scope, more)
    if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
        return _outside(node.elt, _with_loops(scope, node), more)
    if isinstance(node, ast.Call):
        name = _call_name(node.func).lower()
        if name in SAFE_CALLS:
            return False
        if name == "join" and isinstance(node.func, ast.Attribute):
            return any(_outside(a, scope, more) for a in node.args) or _outside(node.func.value, scope, more)
        if name in ("format", "replace", "strip", "lower", "upper", "rstrip", "lstrip") and isinstance(
            node.func, ast.Attribute
        ):
            return _outside(node.func.value, scope, more) or any(_outside(a, scope, more) for a in node.args)
        return True
    if isinstance(node, ast.Subscript):
        return _outside(node.value, scope, more)  # an entry of a fixed mapping is as fixed as the mapping
    if isinstance(node, ast.Attribute):
        return _attribute_outside(node)
    if isinstance(node, ast.Name):
        return _name_outside(node.id, scope, more)
    return True


_NAME_TEMPLATE = re.compile(r"^(?:[\w.\"]*%s[\w.\"]*|(?:\s*%s\s*(?:=|<>|!=|<=|>=|<|>)\s*(?:\?|%s|\$\d+)\s*))$")


def _identifier_template(node: ast.expr) -> bool:
    """A %-template that glues its value into a name, or puts it where a column name stands."""
    return (
        isinstance(node, ast.Constant) and isinstance(node.value, str) and _NAME_TEMPLATE.match(node.value) is not None
    )


def _attribute_outside(node: ast.Attribute) -> bool:
    """`self.table`, `cls._meta.db_table`, `settings.SCHEMA`: configuration of the code, not input."""
    root: ast.expr = node
    while isinstance(root, ast.Attribute):
        root = root.value
    if isinstance(root, ast.Name) and (root.id in ("self", "cls") or root.id.isupper() or root.id[:1].isupper()):
        return False
    return not (identifier_name(node.attr) or node.attr.isupper())


def _name_outside(name: str, scope: _Scope, depth: int) -> bool:
    if name.isupper():
        return False  # a module constant
    if name in scope.loops:
        return any(_outside(i, scope, depth) for i in scope.loops[name])
    values = scope.assigned.get(name)
    if values:
        return any(_outside(v, scope, depth) for v in values)
    if name in scope.params:
        return True
    return not identifier_name(name)  # an import or a global of another kind


def _with_loops(scope: _Scope, comp: ast.expr) -> _Scope:
    for generator in getattr(comp, "generators", []):
        for name in _names(generator.target):
            scope.loops.setdefault(name, []).append(generator.iter)
    return scope


def _sequence(node: ast.expr) -> list[str | ast.expr]:
    """A dynamic SQL expression as its literal text and interpolated values, in order."""
    if isinstance(node, ast.JoinedStr):
        parts: list[str | ast.expr] = []
        for v in node.values:
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                parts.append(v.value)
            elif isinstance(v, ast.FormattedValue):
                parts.append(v.value)
        return parts
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        left = node.left.value if isinstance(node.left, ast.Constant) and isinstance(node.left.value, str) else ""
        conversions = re.findall(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?([sdifrx%])", left)
        if conversions and all(c in "difx%" for c in conversions):
            return []  # numbers only: %d cannot carry SQL
        right = node.right
        operands: list[ast.expr | None] = (
            list(right.elts)
            if isinstance(right, ast.Tuple)
            else [v for v in right.values if v is not None]
            if isinstance(right, ast.Dict)
            else [right]
        )
        return _interleave(re.split(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sr]", left), operands)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [p.value if isinstance(p, ast.Constant) and isinstance(p.value, str) else p for p in _flatten_add(node)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        template = node.func.value.value if isinstance(node.func.value, ast.Constant) else ""
        template = template if isinstance(template, str) else ""
        values: list[ast.expr | None] = []
        for i, field in enumerate(re.findall(r"\{([^{}!:]*)[^{}]*\}", template)):
            head, _, attr = field.partition(".")
            keyword = next((k.value for k in node.keywords if k.arg == head), None)
            value = (
                keyword
                if keyword is not None
                else node.args[int(head)]
                if head.isdigit() and int(head) < len(node.args)
                else node.args[i]
                if not head and i < len(node.args)
                else None
            )
            if value is not None and attr:  # "{0.version_table_quoted}".format(backend): the attribute is spliced in
                value = ast.copy_location(ast.Attribute(value=value, attr=attr.split(".")[-1], ctx=ast.Load()), node)
            values.append(value)
        return _interleave(re.split(r"\{[^{}]*\}", template), values)
    return []


def _interleave(texts: list[str], values: list[ast.expr | None]) -> list[str | ast.expr]:
    out: list[str | ast.expr] = []
    for i, text in enumerate(texts):
        out.append(text)
        value = values[i] if i < len(values) else None
        if value is not None:
            out.append(value)
    return out


def _pieces_of(node: ast.expr) -> list[tuple[ast.expr, str, str]]:
    """(interpolated expression, all SQL text before it, the literal text right after it)."""
    sequence = _sequence(node)
    out: list[tuple[ast.expr, str, str]] = []
    before = ""
    for i, part in enumerate(sequence):
        if isinstance(part, str):
            before += part
            continue
        following = sequence[i + 1] if i + 1 < len(sequence) else ""
        out.append((part, before, following if isinstance(following, str) else ""))
        before += "?"  # the value's own text is unknown; it is not a quote
    return out


_VALUE_WORDS = {
    "AND",
    "OR",
    "WHERE",
    "NOT",
    "LIKE",
    "ILIKE",
    "LIMIT",
    "OFFSET",
    "THEN",
    "ELSE",
    "WHEN",
    "BY",
    "VALUES",
    "IN",
    "IS",
    "BETWEEN",
    "HAVING",
    "ON",
    "AS",
    "CASE",
    "ALL",
    "ANY",
    "SOME",
    "EXISTS",
    "INTERVAL",
}
_NAME_WORDS = (
    "FROM",
    "JOIN",
    "INTO",
    "UPDATE",
    "TABLE",
    "INDEX",
    "SEQUENCE",
    "VIEW",
    "SCHEMA",
    "TRIGGER",
    "FUNCTION",
    "EXISTS",
    "ONLY",
    "TRUNCATE",
    "ANALYZE",
    "VACUUM",
    "NOTIFY",
    "LISTEN",
    "CHANNEL",
    "SELECT",
    "DISTINCT",
    "SET",
    "RETURNING",
)
# the clause a list item belongs to: names in SELECT/SET/RETURNING lists and column lists, values in VALUES/IN
_LIST_CLAUSE = re.compile(
    r"\b(SELECT\b|SET\b|RETURNING\b|BY\b|VALUES\b|IN\b|INTO\s+[\w.\"?]+\s*\()(?!.*\b(SELECT|SET|RETURNING|BY|VALUES|IN)\b)",
    re.IGNORECASE | re.DOTALL,
)


def name_position(before: str, after: str) -> bool:
    """The piece stands where SQL expects a name: `FROM {t}`, `{s}.jobs`, `"{c}"`, `{col} = %s`, `x {dir}`."""
    if before.count("'") % 2 == 1:
        return False  # inside a string literal: a value
    if before.count('"') % 2 == 1:
        return True  # inside a quoted identifier
    tail, head = before.rstrip(), after.lstrip()
    if tail.endswith(".") or head.startswith((".", "(")) and not tail.endswith(("(", ",", "=")):
        return True  # schema.{table}, {schema}.table, {function}(...)
    if re.match(r"(=|<|>|!=|<>|IS\b|IN\b|NOT\s+IN\b|LIKE\b|ILIKE\b|BETWEEN\b|@>|<@|\?)", head, re.IGNORECASE):
        return True  # the left operand of a comparison: a column
    if re.search(r"\b(WHERE|AND|OR|ON)\s*\($", tail, re.IGNORECASE) and re.match(r"\)\s*(=|IN\b)", head, re.IGNORECASE):
        return True  # WHERE ({columns}) IN (VALUES ...): the columns of a row comparison
    if re.search(r"\bON\s+CONFLICT\s*\($", tail, re.IGNORECASE):
        return True  # ON CONFLICT ({key columns})
    if tail.endswith(",") or re.search(r"\bINTO\s+[\w.\"?]+\s*\($", tail, re.IGNORECASE):
        clause = _LIST_CLAUSE.search(tail[-400:])  # which list the item is in
        return clause is not None and clause.group(1).upper() not in ("VALUES", "IN")
    last = re.search(r"([A-Za-z_]\w*)\s*$", before)
    if last is None:
        return False
    word = last.group(1).upper()
    if word in _NAME_WORDS:
        return True
    return word not in _VALUE_WORDS and before[last.end(1) :] != ""  # after a column name: ASC, DESC, an alias


def _flatten_add(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _flatten_add(node.left) + _flatten_add(node.right)
    return [node]


def python_pieces(tree: ast.Module, text: str, location: Location) -> list[Piece] | None:
    """The values interpolated into the dynamic SQL expression at `location` (None: not found)."""
    found = _expression_at(tree, location)
    if found is None:
        return None
    node, function = found
    scope = _Scope(tree, function)
    pieces = []
    for value, before, after in _pieces_of(node):
        quoted = before.count("'") % 2 == 1
        written = ast.unparse(value)[:60]
        pieces.append(Piece(written, _outside(value, scope), quoted, name_position(before, after)))
    return pieces


def _expression_at(tree: ast.Module, location: Location) -> tuple[ast.expr, tuple[_Function, ...]] | None:
    """The outermost f-string / % / + / .format() expression spanning the location's lines, with the
    functions that enclose it."""
    stack: list[tuple[ast.AST, tuple[_Function, ...]]] = [(tree, ())]
    while stack:
        node, function = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            function = (*function, node)
        if (
            isinstance(node, ast.expr)
            and _built(node)
            and any(
                part.lineno == location.line
                and part.end_lineno == (location.end_line or location.line)
                and _starts_at(part, location)
                for part in (node, _template_of(node))
            )
        ):
            return node, function
        stack.extend((child, function) for child in reversed(list(ast.iter_child_nodes(node))))
    return None


def _template_of(node: ast.expr) -> ast.expr:
    """The literal a `%` or `.format()` template is written as: where its finding stands."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return node.left
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.value
    return node


def _built(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, (ast.Mod, ast.Add))
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"


def reportable(piece: Piece) -> bool:
    """A value a caller chooses, in a value position or under a name that is not an identifier's."""
    if not piece.outside:
        return False
    if piece.as_name:
        return False  # identifiers are the code's to choose; values are what injection needs
    name = re.split(r"[.\[(]", piece.text.strip())[-1] or piece.text
    return not identifier_name(name.strip("() "))


def _starts_at(node: ast.expr, location: Location) -> bool:
    # ast columns count UTF-8 bytes, locations characters: equal on ASCII lines, close otherwise
    end = node.end_col_offset if node.end_col_offset is not None else node.col_offset
    return node.col_offset + 1 >= location.col and (not location.end_col or end + 1 <= location.end_col + 4)


# --- JavaScript / TypeScript ------------------------------------------------------

_JS_SAFE_CALL = re.compile(
    r"(escapeIdentifier|escapeLiteral|quoteIdent\w*|format\.ident|sql\.id\w*|pg\.ident|"
    r"ident|Number|parseInt|parseFloat|String\(\s*\d)\s*\(",
    re.IGNORECASE,
)
_JS_PLACEHOLDERS = re.compile(
    r"\.map\(\s*\(?[\w\s,]*\)?\s*=>\s*[`'\"]\$?\$?\{?[^`'\"]*[`'\"]\s*\)\s*\.join\(|"
    r"\.join\(\s*['\"][^'\"]*['\"]\s*\)$"
)


def js_pieces(segment: str, source: str = "", offset: int = 0) -> list[Piece]:
    """The `${...}` values of a template literal or the non-literal parts of a `+` chain, by their text.

    `source` and `offset` (where the segment starts in it) let a bare name be followed to the
    `const`/`let` that assigned it last before the segment."""
    if segment.lstrip().startswith("`"):
        sequence = _template_sequence(segment)
    else:
        sequence = []
        parts = re.split(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`)""", segment)
        for i, part in enumerate(parts):
            expr = part.strip().strip("+").strip()
            if i % 2 == 1:
                sequence.append(part[1:-1])
            elif expr:
                sequence.append(_Expr(expr))
    pieces, before = [], ""
    for i, part in enumerate(sequence):
        if not isinstance(part, _Expr):
            before += part
            continue
        after = sequence[i + 1] if i + 1 < len(sequence) and not isinstance(sequence[i + 1], _Expr) else ""
        piece = _js_piece(part.text, before, after)
        if piece.outside and re.fullmatch(r"[A-Za-z_$][\w$]*", part.text) and source:
            assigned = _js_assignment(source[:offset], part.text)
            if assigned is not None and not _js_piece(assigned, "", "").outside:
                piece = Piece(piece.text, False, piece.quoted, piece.as_name)
        pieces.append(piece)
        before += "?"
    return pieces


class _Expr(str):
    """The text of one interpolated JS expression (a str subclass, to tell it from literal text)."""

    @property
    def text(self) -> str:
        return str(self).strip()


def _js_assignment(before: str, name: str) -> str | None:
    """The expression of the last `const|let|var name = ...;` before the use."""
    found = None
    for match in re.finditer(rf"\b(?:const|let|var)\s+{re.escape(name)}\s*=\s*([^;\n]+)", before):
        found = match.group(1)
    return found


def _template_sequence(segment: str) -> list[str]:
    out: list[str] = []
    i, text, n = segment.index("`") + 1, "", len(segment)
    while i < n:
        if segment.startswith("${", i):
            depth, j = 1, i + 2
            while j < n and depth:
                depth += {"{": 1, "}": -1}.get(segment[j], 0)
                j += 1
            out += [text, _Expr(segment[i + 2 : j - 1])]
            text, i = "", j
        elif segment[i] == "`" and (i == 0 or segment[i - 1] != "\\"):
            break  # the literal's end
        else:
            text += segment[i]
            i += 1
    return out + [text]


def _js_piece(expr: str, before: str, after: str) -> Piece:
    quoted = before.count("'") % 2 == 1
    as_name = name_position(before, after)
    name = expr.strip().split(".")[-1].strip("()")
    safe = (
        before.endswith("$")  # $${i + 1}: a placeholder's number
        or re.fullmatch(r"\s*(\d+|'[^']*'|\"[^\"]*\"|[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)*)\s*", expr) is not None
        or _JS_SAFE_CALL.search(expr) is not None
        or _JS_PLACEHOLDERS.search(expr.strip()) is not None
        or ("`$${" in expr and ".join(" in expr)  # _.times(n, i => `$${i + 1}`).join(",")
        or re.match(r"\s*this\.", expr) is not None
        or (re.fullmatch(r"[\w$.]+", expr.strip()) is not None and identifier_name(name))
        or re.fullmatch(r"[^?]+\?\s*(['\"`])[^'\"`]*\1\s*:\s*(['\"`])[^'\"`]*\2\s*", expr)
        is not None  # cond ? 'a' : 'b'
    )
    return Piece(expr.strip(), not safe, quoted, as_name)
