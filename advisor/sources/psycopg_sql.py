"""psycopg's SQL composition (`from psycopg import sql`, psycopg2's the same) read as one statement.

    sql.SQL("SELECT ") + columns + sql.SQL(" FROM {}").format(sql.Identifier(t)) + sql.SQL(" WHERE id = %s")

is one query: `sql.SQL(literal)` is its text, `+` and `sql.Composed([...])` concatenate, `.format()`
fills a template's fields (`{}`, `{0}`, `{name}`) with its arguments, `sep.join([...])` joins,
`sql.Placeholder()` is `%s`. `sql.Identifier(x)`, `sql.Literal(x)` and whatever else is spliced in
(`columns`, a helper's result, the text of `sql.SQL(x)`) are values: where they can come from is
advisor.facts.provenance's to say (the driver quotes an identifier and a literal).

Plain `ast`: `pieces` is the reading python_reach.parts shares with the provenance; `sketch` writes
the statement with its positions in the file, for advisor.sources.python.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from advisor.facts.ast_nodes import walk

KINDS = {"SQL", "Identifier", "Literal", "Placeholder", "Composed"}
PLACEHOLDER = "{}"  # an unknown value, read by advisor.parse as a typed placeholder
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")  # psycopg's template fields: {}, {0}, {name}; {{ and }} escape


class Text(str):
    """Literal text of a composition. `node` is where it is written (a string literal, with `start` its
    offset in the literal's value; another expression, such as the `sql.Placeholder()` written as `%s`: at
    its start, `start` -1)."""

    node: ast.expr | None = None
    start: int = -1


def at(value: str, node: ast.expr) -> Text:
    """Text written somewhere in `node` (a piece of an f-string): placed at the node's start."""
    return _text(value, node)


def _text(value: str, node: ast.expr | None, start: int = -1) -> Text:
    text = Text(value)
    text.node, text.start = node, start
    return text


def kind(node: ast.expr) -> str | None:
    """ "SQL", "Identifier", "Literal", "Placeholder" or "Composed" for a call of psycopg's `sql` module
    (`sql.SQL(...)`, `psycopg2.sql.Identifier(...)`, `SQL(...)` imported by name), else None."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Name) and func.id in KINDS:
        return func.id
    if isinstance(func, ast.Attribute) and func.attr in KINDS and _module_named_sql(func.value):
        return func.attr
    return None


def _module_named_sql(node: ast.expr) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return name.lower().endswith("sql")


def pieces(node: ast.expr) -> list[str | ast.expr] | None:
    """A composition as its literal text (`Text`) and spliced values, in order; None when `node` is not one
    (a bare `sql.Identifier(x)` or `sql.Literal(x)` is a value, not a composition)."""
    return _read(node, _Reading(set()), 0)


# Untrusted code bounds the reading: compositions nested deeper than _DEPTH are values (placeholders), and
# the pieces a template's repeated fields (`{0} ... {0}`) and a separator repeat add up to _REPEATED at most.
_DEPTH = 12
_REPEATED = 10_000


class _Reading:
    """One reading of a composition: the ids of the compositions read as its parts, the repetitions left."""

    def __init__(self, inner: set[int]) -> None:
        self.inner = inner
        self.repeats = _REPEATED

    def repeat(self, found: list[str | ast.expr], node: ast.expr) -> list[str | ast.expr]:
        """`found` written once more, or `node` as one value when the repetitions are spent."""
        if len(found) <= 1:
            return found
        self.repeats -= len(found)
        return found if self.repeats >= 0 else [node]


def _read(node: ast.expr, reading: _Reading, depth: int) -> list[str | ast.expr] | None:
    if depth > _DEPTH:
        return None
    what = kind(node)
    if what is not None:
        found = _call(node, what, reading, depth)  # type: ignore[arg-type]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        found = _concatenation(node, reading, depth)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _METHODS:
        found = _method(node, reading, depth)
    else:
        found = None
    if found is not None:
        reading.inner.add(id(node))
    return found


_METHODS = {"format", "join", "as_string"}


def _call(node: ast.Call, what: str, reading: _Reading, depth: int) -> list[str | ast.expr] | None:
    arg = node.args[0] if node.args and not isinstance(node.args[0], ast.Starred) else None
    if what == "SQL":
        if arg is None:
            return None
        literals = _operands(arg)[0]  # sql.SQL("..." + "..."): the literals, each where it is written
        if all(isinstance(c, ast.Constant) and isinstance(c.value, str) for c in literals):
            return [_text(c.value, c, 0) for c in literals]  # type: ignore[attr-defined]
        return [node]  # sql.SQL(text): the text spliced in raw (python_reach.parts reads an f-string's)
    if what == "Placeholder":
        name = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
        return [_text(f"%({name})s" if name else "%s", node)]
    if what == "Composed":
        if isinstance(arg, (ast.List, ast.Tuple)):
            return [p for element in arg.elts for p in _value(element, reading, depth)]
        return None if arg is None else [arg]
    return None  # Identifier, Literal: values


def _value(node: ast.expr, reading: _Reading, depth: int) -> list[str | ast.expr]:
    """What a value spliced into a composition is: a composition's own pieces, or the value itself."""
    found = _read(node, reading, depth + 1)
    return [node] if found is None else found


def _concatenation(node: ast.BinOp, reading: _Reading, depth: int) -> list[str | ast.expr] | None:
    operands, chain = _operands(node)
    read = [_read(o, reading, depth + 1) for o in operands]  # each operand read once
    if all(r is None for r in read):
        return None  # a string concatenation
    reading.inner.update(chain)
    reading.inner.update(id(n) for n in ast.walk(node) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add))
    out: list[str | ast.expr] = []
    for operand, found in zip(operands, read):
        if isinstance(operand, ast.Constant) and isinstance(operand.value, str):
            out.append(_text(operand.value, operand, 0))
        else:
            out += [operand] if found is None else found
    return out


def _operands(node: ast.expr) -> tuple[list[ast.expr], list[int]]:
    """The operands of a chain of `+`, in order, and the ids of the chain's own `+` nodes (no recursion: a
    chain may be thousands long)."""
    operands: list[ast.expr] = []
    chain: list[int] = []
    stack = [node]
    while stack:
        top = stack.pop()
        if isinstance(top, ast.BinOp) and isinstance(top.op, ast.Add):
            chain.append(id(top))
            stack += [top.right, top.left]
        else:
            operands.append(top)
    return operands, chain


def _method(node: ast.Call, reading: _Reading, depth: int) -> list[str | ast.expr] | None:
    method = node.func.attr  # type: ignore[attr-defined]
    receiver = _read(node.func.value, reading, depth + 1)  # type: ignore[attr-defined]
    if receiver is None:
        return None
    if method == "as_string":
        return receiver  # the text it composes
    if method == "join":
        items = node.args[0] if len(node.args) == 1 and not isinstance(node.args[0], ast.Starred) else None
        if not isinstance(items, (ast.List, ast.Tuple)) or any(isinstance(e, ast.Starred) for e in items.elts):
            return [items] if items is not None else None  # sep.join(names): a list of what it joins
        out: list[str | ast.expr] = []
        for i, element in enumerate(items.elts):
            out += (reading.repeat(receiver, node.func.value) if i else []) + _value(element, reading, depth)  # type: ignore[attr-defined]
        return out
    return _format(node, receiver, reading, depth)


def _format(node: ast.Call, template: list[str | ast.expr], reading: _Reading, depth: int) -> list[str | ast.expr]:
    """sql.SQL("... {} ... {name}").format(a, name=b): each field of the template's text takes its argument."""
    keywords = {k.arg: k.value for k in node.keywords if k.arg is not None}
    args = [a for a in node.args if not isinstance(a, ast.Starred)]
    unpacked = next((a.value for a in node.args if isinstance(a, ast.Starred)), None) or next(
        (k.value for k in node.keywords if k.arg is None), None
    )  # `*names`, `**fields`: a field no argument names comes from there
    out: list[str | ast.expr] = []
    read: dict[int, list[str | ast.expr]] = {}  # each argument read once, however many fields name it
    auto = 0
    for piece in template:
        if not isinstance(piece, Text) or piece.node is None:
            out.append(piece)
            continue
        end = 0
        for match in _FIELD.finditer(piece):
            out.append(_text(piece[end : match.start()], piece.node, _shift(piece, end)))
            end = match.end()
            if match.group(1) is None:  # {{ or }}
                out.append(_text(match.group(0)[0], piece.node, _shift(piece, match.start())))
                continue
            field = match.group(1)
            if field.isdecimal():  # "{²}" is a digit, not a number
                value = args[int(field)] if int(field) < len(args) else unpacked
            elif field:
                value = keywords.get(field, unpacked)
            else:
                value = args[auto] if auto < len(args) else unpacked
                auto += 1
            if value is None:
                out.append(_text(PLACEHOLDER, None))
            elif id(value) in read:
                out += reading.repeat(read[id(value)], value)
            else:
                out += read.setdefault(id(value), _value(value, reading, depth))
        out.append(_text(piece[end:], piece.node, _shift(piece, end)))
    return [p for p in out if not isinstance(p, str) or p]


def _shift(piece: Text, offset: int) -> int:
    return piece.start + offset if piece.start >= 0 else -1


def raw_texts(node: ast.expr) -> list[ast.expr]:
    """The texts a composition splices in raw: the argument of each `sql.SQL(text)` not written as a literal."""
    return [p.args[0] for p in pieces(node) or () if isinstance(p, ast.Call) and kind(p) == "SQL" and p.args]


def compositions(tree: ast.Module) -> tuple[list[ast.expr], set[int]]:
    """The outermost compositions of a module (each one statement, or a fragment of one), and the ids of
    the compositions read as parts of them (an `sql.SQL("...")` that is only a piece is no statement)."""
    roots: list[ast.expr] = []
    inner: set[int] = set()
    chained: set[int] = set()  # the `+` nodes of a chain read whole: a string concatenation's read once
    for node in walk(tree):  # breadth first: a composition before its parts
        if id(node) in inner or id(node) in chained or not isinstance(node, (ast.Call, ast.BinOp)):
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            chained.update(_operands(node)[1])
        parts: set[int] = set()
        if _read(node, _Reading(parts), 0) is not None:
            roots.append(node)
            inner |= parts - {id(node)}
    return roots, inner


def extended(tree: ast.Module, roots: list[ast.expr]) -> set[int]:
    """The ids of the compositions assigned to a name the code extends with `+=` (`statement += sql.SQL(...)`)."""
    added = {_target(n.target) for n in walk(tree) if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add)}
    ids = {id(r) for r in roots}
    return {
        id(n.value)
        for n in walk(tree)
        if isinstance(n, ast.Assign) and id(n.value) in ids and any(_target(t) in added for t in n.targets)
    }


def _target(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def sketch(
    found: list[str | ast.expr],
    at: ast.expr,
    constant: Callable[[ast.expr], str | None],
    position: Callable[[ast.expr, int, int], list[tuple[int, int, int]]],
) -> tuple[str, tuple[tuple[int, int, int], ...], tuple[ast.expr, ...]]:
    """(text, TextMap anchors, unknown values) of the composition `at`, read as `found` (python_reach.parts).

    `constant(value)` is the text a value has in the module (a name assigned a literal), else None;
    `position(node, start, length)` the anchors (offset from `start`, line, column) of the `length`
    characters written at `node` (a string literal's, from offset `start` of its value; `start` -1: at the
    node's own start). An identifier
    of constants is written quoted, as the driver writes it; any other value is a placeholder, set apart
    from the words around it (as the driver's quotes set it)."""
    text, anchors, unknown = "", list[tuple[int, int, int]](), list[ast.expr]()
    value = False  # the text so far ends with a value
    last: ast.expr | None = None
    for piece in found:
        if isinstance(piece, str):
            written, where, start = str(piece), getattr(piece, "node", None), getattr(piece, "start", -1)
        else:
            known = _written(piece, constant)
            if known is None:
                unknown.append(piece)
            written, where, start = known or PLACEHOLDER, piece, -1
        if not written:
            continue
        if (value or not isinstance(piece, str)) and _word(text[-1:]) and _word(written[0]):
            text += " "  # `{}FROM`, `"t"WHERE`: no word glued to a value
        value = not isinstance(piece, str)
        if where is not None and (start >= 0 or where is not last):  # an f-string's pieces: from its start on
            anchors += [(len(text) + offset, line, col) for offset, line, col in position(where, start, len(written))]
        last = where
        text += written
    anchors = anchors or position(at, -1, len(text))
    return text, tuple(_ordered(anchors)), tuple(unknown)


def _word(char: str) -> bool:
    return char.isalnum() or char in '_"{}'


def _written(value: ast.expr, constant: Callable[[ast.expr], str | None]) -> str | None:
    """The text a value has when the module says it: `sql.Identifier(TABLE)` quoted, a constant as written."""
    if kind(value) == "Identifier":
        call: ast.Call = value  # type: ignore[assignment]
        names = [constant(a) for a in call.args]
        if not names or any(n is None for n in names) or call.keywords:
            return None
        return ".".join('"' + str(n).replace('"', '""') + '"' for n in names)
    if kind(value) is not None:
        return None
    return constant(value)


def _ordered(anchors: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """One anchor per offset (the last written), in increasing order, the first at 0."""
    by_offset = {a[0]: a for a in anchors}
    out = [by_offset[k] for k in sorted(by_offset)]
    if out[0][0] != 0:
        out.insert(0, (0, out[0][1], out[0][2]))
    return out
