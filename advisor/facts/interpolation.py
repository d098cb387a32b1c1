"""What is interpolated into SQL built at run time, and whether it can come from outside.

`sql-string-building` reports SQL assembled with f-strings, `%`, `.format()`, `+` or JS
template literals only when a value that a caller can choose reaches the text.  Not when
every piece is a constant, a name from a fixed set, an identifier quoted by the driver
(`sql.Identifier`, `quote_ident`, `escapeIdentifier`), a number, a run of placeholders
(`", ".join(["%s"] * n)`, `$${i}`), or a fragment chosen from literals (`"AND x = %s" if f else ""`).

Plain functions over the host language's syntax: Python through `ast` (where a value comes from is
advisor.facts.provenance's to say; this module says where it stands in the SQL), JS/TS through the
text of each `${...}` (shapes safe by their look), then through the file's data flow
(advisor.facts.js_values: what every assignment, push and return gives the value).
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass

from advisor.facts.callers import Callers, Function
from advisor.facts.provenance import parts, sources
from advisor.facts.python_scope import Scope, Source, identifier_name
from advisor.facts.reaching import formatted_statement
from advisor.facts.safe_text import escaped_literal
from advisor.facts.sql_positions import name_position
from advisor.ir import Location


@dataclass(frozen=True)
class Piece:
    """One value interpolated into SQL text."""

    text: str  # the expression as written
    outside: bool  # a caller can choose it
    quoted: bool  # it stands inside '...' in the SQL: a value, never an identifier
    as_name: bool = False  # it stands where SQL expects a name (a table, a column, ASC/DESC)
    sources: tuple[Source, ...] = ()  # what lets a caller choose it (Python only)
    sort_key: bool = False  # it stands right after ORDER BY / GROUP BY: a column or an expression


# --- Python -------------------------------------------------------------------


def _pieces_of(node: ast.expr) -> list[tuple[ast.expr, str, str]] | None:
    """(interpolated expression, all SQL text before it, the literal text right after it)."""
    sequence = parts(node)
    if sequence is None:
        return None
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


def python_pieces(
    tree: ast.Module, text: str, location: Location, python_files: Mapping[str, str] | None = None
) -> list[Piece] | None:
    """The values interpolated into the dynamic SQL expression at `location` (None: not found).

    `python_files` (the project's Python files: display path -> text) lets a parameter take what the
    function's calls pass it; read only for a piece that would be reported otherwise."""
    found = _expression_at(tree, location)
    if found is None:
        return None
    node, function = found
    split = _pieces_of(node)
    if split is None:
        return None
    scope = Scope(tree, function)
    callers = None
    pieces = []
    for value, before, after in split:
        quoted = before.count("'") % 2 == 1
        written = ast.unparse(value)[:60]
        escaped = quoted and escaped_literal(before, value)  # '{v.replace("'", "''")}': cannot end its literal
        found_sources = () if escaped else tuple(sorted(sources(value, scope.at(value)), key=lambda s: s.text))
        sort_key = re.search(r"\b(ORDER|GROUP)\s+BY\s*$", before, re.IGNORECASE) is not None
        piece = Piece(written, bool(found_sources), quoted, name_position(before, after), found_sources, sort_key)
        if (
            reportable(piece) and python_files is not None and not escaped
        ):  # fewer sources never make a piece reportable
            callers = callers or Callers(python_files, {location.path: tree})
            seen = Scope(tree, function, callers=callers).at(value)
            found_sources = tuple(sorted(sources(value, seen), key=lambda s: s.text))
            piece = dataclasses.replace(piece, outside=bool(found_sources), sources=found_sources)
        pieces.append(piece)
    return pieces


def _expression_at(tree: ast.Module, location: Location) -> tuple[ast.expr, tuple[Function, ...]] | None:
    """The outermost f-string / % / + / .format() expression spanning the location's lines, with the
    functions that enclose it."""
    stack: list[tuple[ast.AST, tuple[Function, ...]]] = [(tree, ())]
    while stack:
        node, function = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            function = (*function, node)
        built = _formatted(node, function)
        if built is not None and built.left.lineno == location.line and _starts_at(built.left, location):
            return ast.copy_location(built, node), function
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


def _formatted(node: ast.AST, function: tuple[Function, ...]) -> ast.BinOp | None:
    """`sql % (gi, accession)` with `sql` one literal of its function: that literal so formatted (the statement)."""
    inner = function[-1] if function else None
    if not isinstance(node, ast.BinOp) or not isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    return formatted_statement(inner, node)


def _template_of(node: ast.expr) -> ast.expr:
    """The literal a `%` or `.format()` template is written as: where its finding stands."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return node.left
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.value
    return node


def _built(node: ast.AST) -> bool:
    return isinstance(node, ast.expr) and parts(node) is not None


def reportable(piece: Piece) -> bool:
    """A value a caller chooses, in a value position or under a name that is not an identifier's."""
    if not piece.outside:
        return False
    if piece.as_name:
        return False  # identifiers are the code's to choose; values are what injection needs
    if identifier_name(_last_name(piece.text)):
        return False
    named = [s for s in piece.sources if not identifier_name(_last_name(s.text))]
    if piece.sources and not named:
        return False  # f"WHERE {where_clause}" if where_clause else "": a fragment by its name, as where_clause is
    # ORDER BY {orderby}: a column the caller names, as FROM {table} is; the finding belongs where input reaches it
    return not (piece.sort_key and named and all(s.parameter for s in named))


def _last_name(text: str) -> str:
    name = re.split(r"[.\[(]", text.strip())[-1] or text
    return name.strip("() ")


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
# a function named for the SQL identifier it checks or quotes (`parseSqlIdentifier(key, "column name")`), called
# directly or as a bundler writes an import's call (`(0, _utils.parseSqlIdentifier)(key)`)
_JS_IDENTIFIER_CALL = re.compile(
    r"\s*(?:\(0,\s*)?[\w$.]*(?:Sql|Pg|Quote|Escape|Sanitize|Validate)\w*Identifier\)?\s*\("
)
_JS_CONSTANT = re.compile(r"\s*(\d+|'[^']*'|\"[^\"]*\"|[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)*)\s*")
_JS_CHOICE = re.compile(r"[^?]+\?\s*(['\"`])[^'\"`]*\1\s*:\s*(['\"`])[^'\"`]*\2\s*")  # cond ? 'a' : 'b'
# an enum's member, as TypeScript names them (`TestStatus.Ready`, `RunStatus.RepeatRun`): of an import advisor cannot
# follow (a package's), a value that package's code wrote
_JS_ENUM_MEMBER = re.compile(r"\s*[A-Z][A-Za-z0-9_]*\.[A-Z][A-Za-z0-9_]*\s*")


# `ids.map((_, i) => `${this.client.getArgumentPlaceholder(i + 1)}`).join(", ")`: a list made from each element's
# position alone, never from the element
_JS_BY_INDEX = re.compile(
    r"\s*[\w$.]+\s*\.map\(\s*\(\s*([\w$]+)\s*,\s*([\w$]+)\s*\)\s*=>\s*`([^`]*)`\s*\)\s*\.join\([^()]*\)\s*", re.S
)
_JS_FIELD = re.compile(r"\$\{([^{}`]*)\}")


def _by_index(expr: str) -> bool:
    """A list each of whose items the code writes from the item's position (a placeholder's number): every
    `${...}` of the callback's template only the position, numbers and calls of the class's own members on them."""
    m = _JS_BY_INDEX.fullmatch(expr)
    if m is None:
        return False
    element, index, template = m.groups()
    for field in _JS_FIELD.findall(template):
        rest = re.sub(r"\bthis(?:\.[\w$]+)+\s*\(|\b" + re.escape(index) + r"\b|\b\d+\b|[-+*()\s]", "", field)
        if rest or re.search(r"\b" + re.escape(element) + r"\b", field):
            return False
    return bool(_JS_FIELD.search(template))


def js_written_own(expr: str) -> bool:
    """What the code's own text looks like where advisor cannot follow it (an import, `this`, a function of
    another module): a constant by its name, an enum's member, a quoting or number function's result, a property
    of `this`, a run of placeholders (`_.times(n, i => `$${i + 1}`).join(",")`)."""
    return (
        _JS_CONSTANT.fullmatch(expr) is not None
        or _JS_ENUM_MEMBER.fullmatch(expr) is not None
        or _JS_SAFE_CALL.match(expr.strip()) is not None
        or _JS_IDENTIFIER_CALL.match(expr) is not None
        or ("`$${" in expr and ".join(" in expr)
        or _by_index(expr)
        or re.fullmatch(r"\s*this(\.#?[\w$]+)+\s*", expr) is not None  # `this.#schema`: a private field too
        or _JS_CHOICE.fullmatch(expr) is not None
    )


def js_pieces(
    segment: str, source: str, offset: int, path: str, js_files: Mapping[str, str] | None = None
) -> list[Piece]:
    """The `${...}` values of a template literal or the non-literal parts of a `+` chain, by their text.

    `source` is the file's text, `offset` where the segment starts in it, `path` the file's: a value that
    does not look like the code's own by its text is followed through the file (advisor.facts.js_values),
    and into the project's other modules (`js_files`: display path -> text) that it imports."""
    sequence = _array_sequence(segment) if segment.lstrip().startswith("[") else _sequence(segment)
    from advisor.facts.js_values import own_pieces  # tree-sitter: only when a JS file has built SQL

    pieces: list[Piece] = []
    before, own = "", None
    exprs = [p for p in sequence if isinstance(p, _Expr)]
    for i, part in enumerate(sequence):
        if not isinstance(part, _Expr):
            before += part
            continue
        after = sequence[i + 1] if i + 1 < len(sequence) and not isinstance(sequence[i + 1], _Expr) else ""
        piece = _js_piece(part.text, before, after)
        if piece.outside:
            own = own if own is not None else own_pieces(path, source, offset, js_written_own, js_files) or []
            k = len(pieces)
            if len(own) == len(exprs) and own[k][0].strip() == part.text and own[k][1]:
                piece = Piece(piece.text, False, piece.quoted, piece.as_name)
        pieces.append(piece)
        before += "?"
    return pieces


def _sequence(segment: str) -> list[str]:
    """A template literal's or a `+` chain's literal texts and expressions (_Expr), in order."""
    if segment.lstrip().startswith("`"):
        return _template_sequence(segment)
    sequence: list[str] = []
    parts = re.split(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`)""", segment)
    for i, part in enumerate(parts):
        expr = part.strip().strip("+").strip()
        if i % 2 == 1:
            sequence.append(part[1:-1])
        elif expr:
            sequence.append(_Expr(expr))
    return sequence


_QUOTED_TEXT = re.compile(r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`""")
_QUOTE_OR_BRACKET = re.compile(_QUOTED_TEXT.pattern + r"|[][(){},]")
_JOIN = re.compile(r"""\s*\.\s*join\(\s*(?:'([^'\\\n]*)'|"([^"\\\n]*)"|`([^`\\$]*)`)?\s*,?\s*\)""")
_CHOICE = re.compile(r"\?(?![.?])")  # `a ? b : c`, not `a?.b` nor `a ?? b`


def _array_sequence(segment: str) -> list[str]:
    """`[a, b, ...].join(sep)`: each element's sequence (_sequence), the separator's text between each two."""
    depth, start, elements, end = 0, segment.index("[") + 1, [], None
    for m in _QUOTE_OR_BRACKET.finditer(segment, start - 1):
        token = m.group(0)
        if token in "[({":
            depth += 1
        elif token in "])}":
            depth -= 1
            if depth == 0:
                elements.append(segment[start : m.start()])
                end = m.end()
                break
        elif token == "," and depth == 1:
            elements.append(segment[start : m.start()])
            start = m.end()
    join = _JOIN.match(segment, end) if end is not None else None
    if join is None:
        return _sequence(segment)  # not an array joined by a literal: read as a chain, as before
    sep = next((g for g in join.groups() if g is not None), ",")
    sequence: list[str] = []
    for element in (e for e in elements if e.strip()):
        whole = _CHOICE.search(_QUOTED_TEXT.sub("''", element)) or _nested_text(element)
        # one of two texts, or a call or array with texts of its own (`docs.map((d) => [...].join(","))`): one value
        sequence += ([sep] if sequence else []) + ([_Expr(" ".join(element.split()))] if whole else _sequence(element))
    return sequence


def _nested_text(element: str) -> bool:
    """A quoted text inside brackets of the element: an argument or an item, no piece of the element's own text."""
    depth = 0
    for m in _QUOTE_OR_BRACKET.finditer(element):
        token = m.group(0)
        if token in "[({":
            depth += 1
        elif token in "])}":
            depth -= 1
        elif token != "," and depth > 0:
            return True
    return False


class _Expr(str):
    """The text of one interpolated JS expression (a str subclass, to tell it from literal text)."""

    @property
    def text(self) -> str:
        return str(self).strip()


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
    # in the template itself, besides what looks like the code's own: a quoting or number call anywhere in the
    # value, anything of `this` (a member's call too), a name that names an identifier (`${column}`)
    safe = (
        before.endswith("$")  # $${i + 1}: a placeholder's number
        or js_written_own(expr)
        or _JS_SAFE_CALL.search(expr) is not None
        or re.match(r"\s*this\.", expr) is not None
        or (re.fullmatch(r"[\w$.]+", expr.strip()) is not None and identifier_name(name))
    )
    return Piece(expr.strip(), not safe, quoted, as_name)
