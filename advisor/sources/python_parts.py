"""A string built at run time (f-string, `%`, `.format()`, `+`, psycopg's composition) read as its literal
text and the values spliced into it, in order: the one reading the extractor's sketches and the provenance
of each value (advisor.facts.provenance) share.  Plain `ast`.
"""

from __future__ import annotations

import ast
import re

from advisor.sources import psycopg_sql


def literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def option_default(node: ast.expr) -> str | None:
    """The text a caller's option gives by default: `kwargs.get("postgres_table_name", "pyncette_tasks")`,
    `getattr(settings, "TABLE", "jobs")`, `table or "jobs"`: the name the statements use unless a caller says
    otherwise (as a settings field's default, or a JS option's `?? "kv"`)."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and len(node.values) == 2:
        return literal(node.values[1])
    if not isinstance(node, ast.Call) or node.keywords or len(node.args) < 2:
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "get" and len(node.args) == 2:
        return literal(node.args[1])
    if isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) == 3:
        return literal(node.args[2])
    return None


_NAME = re.compile(r"[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?")


def named_table(call: ast.Call, text_of=literal, func: ast.expr | None = None) -> str | None:
    """The table a call of a function named for tables gives for the name it is handed (`db.table_with_schema(
    "promises")`, `self._get_table_name("documents")`): that name, which the function qualifies at run time.
    `text_of` reads the argument (a literal; the caller's constants too); `func` is what the callee stands for,
    when the caller knows (a local alias: `t = names.table`)."""
    func = call.func if func is None else func
    callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if "table" not in callee.lower() or len(call.args) != 1 or call.keywords:
        return None
    name = text_of(call.args[0])
    return name if name is not None and _NAME.fullmatch(name) else None


# a %-conversion: mapping key, flags, width, precision, length, type
_CONVERSION = re.compile(r"%(?:\(([^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])")
_NUMERIC = set("diouxXeEfFgG")
_NUMERIC_SPEC = re.compile(r"[^{}]*[bdoxXneEfFgG%]$")  # {n:d}, {n:05d}, {x:.2f}: the value is written as a number


class Number(str):
    """The text a numeric conversion (`%d`, `{n:d}`, `f"{n:.2f}"`) writes: a number, whatever the value
    (it cannot carry SQL); `node` is the value, None when the template names no operand for it."""

    node: ast.expr | None = None


def _number(node: ast.expr | None) -> Number:
    number = Number("0")
    number.node = node
    return number


def parts(node: ast.expr) -> list[str | ast.expr] | None:
    """A string built at run time as its literal text and interpolated values, in order (None: not built):
    the one reading of f-strings, `%`, `.format()` and `+` that the sketches and the provenance share.
    A value written by a numeric conversion is text, a `Number`. psycopg's composition reads the same way
    (advisor.sources.psycopg_sql): its identifiers and literals are values."""
    composed = psycopg_sql.pieces(node)
    if composed is not None:
        return [q for p in composed for q in _raw(p)]
    if isinstance(node, ast.JoinedStr):
        out: list[str | ast.expr] = []
        for v in node.values:
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                out.append(v.value)
            elif isinstance(v, ast.FormattedValue):
                out.append(_number(v.value) if _numeric_spec(v.format_spec) else v.value)
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and literal(node.left) is not None:
        return _percent_parts(literal(node.left) or "", node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        pieces = flatten_add(node)
        if all(literal(p) is not None for p in pieces):
            return None
        return [t if (t := literal(p)) is not None else p for p in pieces]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        template = literal(node.func.value)
        return None if template is None else _format_parts(template, node)
    return None


def format_template(node: ast.expr) -> ast.Constant | None:
    """The literal template of a %-format or a .format() call (`"... %s" % x`, `"... {}".format(x)`), when it is one:
    where the statement is written, and what the Python reader and its constant filling share."""
    base = (
        node.left
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod)
        else node.func.value
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        else None
    )
    return base if isinstance(base, ast.Constant) and isinstance(base.value, str) else None


def _raw(piece: str | ast.expr) -> list[str | ast.expr]:
    """A piece of a composition; `sql.SQL(text)` of a text not written out: that text's own parts, raw."""
    if isinstance(piece, str) or psycopg_sql.kind(piece) != "SQL" or not piece.args:  # type: ignore[attr-defined]
        return [piece]  # sql.SQL() and sql.SQL(string=...) are values as well
    text = piece.args[0]  # type: ignore[attr-defined]
    built = parts(text)
    return [text] if built is None else [psycopg_sql.at(p, text) if type(p) is str else p for p in built]


def _numeric_spec(spec: ast.expr | None) -> bool:
    if not isinstance(spec, ast.JoinedStr) or not all(isinstance(v, ast.Constant) for v in spec.values):
        return False
    return _NUMERIC_SPEC.match("".join(str(v.value) for v in spec.values if isinstance(v, ast.Constant))) is not None


def _percent_parts(template: str, right: ast.expr) -> list[str | ast.expr]:
    # "%s, %s" % pair: each conversion takes one of the tuple's values, which may be any of them
    operands = list(right.elts) if isinstance(right, ast.Tuple) else None
    keyed = (
        {k.value: v for k, v in zip(right.keys, right.values) if isinstance(k, ast.Constant)}
        if isinstance(right, ast.Dict)
        else None
    )
    out: list[str | ast.expr] = []
    end, index = 0, 0
    for match in _CONVERSION.finditer(template):
        out.append(template[end : match.start()])
        end = match.end()
        key, kind = match.group(1), match.group(2)
        if kind == "%":
            out.append("%")
            continue
        if key is not None:
            value = keyed.get(key) if keyed is not None else right  # "%(a)s" % mapping: one of its values
        elif operands is None:
            value = right
        else:
            value = operands[index] if index < len(operands) else None
            index += 1
        if kind in _NUMERIC:
            out.append(_number(value))
        elif value is not None:
            out.append(value)
    out.append(template[end:])
    return out


def _format_parts(template: str, node: ast.Call) -> list[str | ast.expr]:
    out: list[str | ast.expr] = []
    end = 0
    for i, match in enumerate(re.finditer(r"\{([^{}!:]*)(![rsa])?(?::([^{}]*))?\}", template)):
        out.append(template[end : match.start()])
        end = match.end()
        field, spec = match.group(1), match.group(3) or ""
        head, _, attr = field.partition(".")
        keyword = next((k.value for k in node.keywords if k.arg == head), None)
        value = (
            keyword
            if keyword is not None
            else node.args[int(head)]
            if head.isdigit() and int(head) < len(node.args)
            else node.args[i]
            if not head and i < len(node.args)
            else _unpacked(node)
        )
        if value is not None and attr:  # "{0.version_table_quoted}".format(backend): the attribute is spliced in
            value = ast.copy_location(ast.Attribute(value=value, attr=attr.split(".")[-1], ctx=ast.Load()), node)
        if spec and _NUMERIC_SPEC.match(spec):
            out.append(_number(value))
        elif value is not None:
            out.append(value)
    out.append(template[end:])
    return out


def _unpacked(call: ast.Call) -> ast.expr | None:
    """What a .format() field no argument names comes from: `**values` or `*args`, when the call has one."""
    for keyword in call.keywords:
        if keyword.arg is None:
            return keyword.value
    return next((a.value for a in call.args if isinstance(a, ast.Starred)), None)


def flatten_add(node: ast.expr) -> list[ast.expr]:
    out: list[ast.expr] = []
    stack = [node]  # no recursion: a chain of `+` may be thousands long
    while stack:
        top = stack.pop()
        if isinstance(top, ast.BinOp) and isinstance(top.op, ast.Add):
            stack += [top.right, top.left]
        else:
            out.append(top)
    return out
