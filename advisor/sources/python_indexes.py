"""Indexes a Python project creates from code rather than DDL files: Synapse's background
updates (`db_pool.updates.register_background_index_update("name", index_name=..., table=...,
columns=[...], where_clause=..., unique=...)`, and `create_index_in_background(...)`).

Without them advisor would say "no index serves this query" about an index the project builds
at start-up.  Only literal arguments are read; the declaration is parsed as the CREATE INDEX it
stands for (never run), so expression keys and partial predicates read as in a schema file.
"""

from __future__ import annotations

import ast
import re
from itertools import product

from advisor.facts.ast_nodes import walk
from advisor.facts.loops import walked
from advisor.facts.reaching import bound_values
from advisor.ir import IndexDef, Location

# the parameters of each helper, in order, as its positional arguments fill them
_HELPERS: dict[str, tuple[str, ...]] = {
    "register_background_index_update": (
        "update_name",
        "index_name",
        "table",
        "columns",
        "where_clause",
        "unique",
        "psql_only",
        "replaces_index",
    ),
}
# the function the registration hands its arguments to, without the update's name
_HELPERS["create_index_in_background"] = _HELPERS["register_background_index_update"][1:]
_NAME = re.compile(r"[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?$")


def code_indexes(tree: ast.Module, path: str) -> list[IndexDef]:
    """Every index declared by a call to one of the helpers with literal arguments."""
    out = []
    for node in walk(tree):
        if isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in _HELPERS:
                index = _declared(node, _HELPERS[called], Location(path, node.lineno, node.col_offset + 1))
                if index is not None:
                    out.append(index)
    return out


def _declared(call: ast.Call, params: tuple[str, ...], location: Location) -> IndexDef | None:
    args = dict(zip(params, call.args, strict=False))  # extra positionals: not read
    args.update((k.arg, k.value) for k in call.keywords if k.arg)
    name, table = _text(args.get("index_name")), _text(args.get("table"))
    columns = _texts(args.get("columns"))
    where = _text(args.get("where_clause")) if "where_clause" in args else None
    unique = args.get("unique")
    if not (name and table and columns) or not _NAME.match(name) or not _NAME.match(table):
        return None
    if unique is not None and not (isinstance(unique, ast.Constant) and isinstance(unique.value, bool)):
        return None  # unique=some_flag: unknown whether it is a constraint, so not read
    if "where_clause" in args and where is None and not _is_none(args["where_clause"]):
        return None  # a predicate built at run time: the index's coverage is unknown
    ddl = (
        f"CREATE {'UNIQUE ' if unique is not None and unique.value else ''}INDEX {name} ON {table} "
        f"({', '.join(columns)})" + (f" WHERE {where}" if where else "")
    )
    index = _parsed(ddl, location)
    replaces = _text(args.get("replaces_index"))
    if index is not None and replaces:
        index.options["replaces"] = replaces  # dropped once this one is built (schema/assemble.py)
    return index


def _parsed(ddl: str, location: Location) -> IndexDef | None:
    from sqlglot import exp

    from advisor.parse import parse_sql
    from advisor.schema.ddl import index_definition

    tree = parse_sql(ddl)
    return index_definition(tree, location) if isinstance(tree, exp.Create) else None


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _texts(node: ast.expr | None) -> list[str]:
    """The strings of a literal list or tuple; [] unless every element is a string literal."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        return []
    texts = [_text(e) for e in node.elts]
    return [t for t in texts if t is not None] if all(texts) else []


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


# --- CREATE INDEX text an f-string writes in a loop over the names of tables ---------------------------------

_CREATE_INDEX = re.compile(r"\s*CREATE\s+(?:UNIQUE\s+)?INDEX\b", re.IGNORECASE)


def looped_indexes(tree: ast.Module, path: str) -> list[IndexDef]:
    """`for k in table_names: ... f"CREATE INDEX idx_{k.lower()}_id ON {k}(id)"` (LightRAG's check_tables): one
    index per table the loop walks, when the names are the code's own literals (a list or set, a dict literal's
    keys, a comprehension filtering them by a literal set, a key of each dict of a literal list) and every field of
    the text is made of the loop's name. An f-string anything else fills stays unread, as before."""
    out: list[IndexDef] = []
    seen: set[tuple[str, str]] = set()
    loops = [
        (n, n.target) for n in walk(tree) if isinstance(n, (ast.For, ast.AsyncFor)) and isinstance(n.target, ast.Name)
    ]
    for loop, target in sorted(loops, key=lambda lt: (lt[0].lineno, lt[0].col_offset)):  # made twice: first written
        texts = [
            n
            for stmt in loop.body
            for n in ast.walk(stmt)
            if isinstance(n, ast.JoinedStr)
            and n.values
            and isinstance(n.values[0], ast.Constant)
            and _CREATE_INDEX.match(str(n.values[0].value))
        ]
        items = walked(tree, loop.iter, loop) if texts else None
        if items is not None and not all(_item(i) for i in items):
            items = None
        for item in items or ():
            bound = {target.id: item}
            for text in texts:
                ddl = _render(text, bound, loop)
                index = _parsed(ddl, Location(path, text.lineno, text.col_offset + 1)) if ddl else None
                if index is not None and (index.table, index.name) not in seen:
                    seen.add((index.table, index.name))
                    out.append(index)
    return out


def _render(text: ast.JoinedStr, bound: dict[str, ast.expr], loop: ast.AST, depth: int = 0) -> str | None:
    """The f-string's text for one element of the loop, or None when a field is anything but made of it."""
    out = ""
    for piece in text.values:
        if isinstance(piece, ast.Constant):
            out += str(piece.value)
            continue
        if not isinstance(piece, ast.FormattedValue) or piece.conversion != -1 or piece.format_spec is not None:
            return None
        value = _value(piece.value, bound, loop, depth)
        if value is None:
            return None
        out += value
    return out


def _value(node: ast.expr, bound: dict[str, ast.expr], loop: ast.AST, depth: int) -> str | None:
    if depth > 3:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in bound:
            item = bound[node.id]
            return item.value if _is_text(item) else None  # type: ignore[attr-defined]
        held = _held_in(loop, node.id)  # `index_name = f"idx_{k.lower()}_id"`, `table_name = info["name"]`
        if held is None:
            return None
        if isinstance(held, ast.JoinedStr):
            return _render(held, bound, loop, depth + 1)
        return _value(held, bound, loop, depth + 1)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("lower", "upper")
        and not node.args
    ):
        inner = _value(node.func.value, bound, loop, depth + 1)
        return None if inner is None else inner.lower() if node.func.attr == "lower" else inner.upper()
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in bound:
        item, key = bound[node.value.id], node.slice
        if isinstance(item, ast.Dict) and _is_text(key):
            for k, v in zip(item.keys, item.values, strict=True):
                if k is not None and _is_text(k) and k.value == key.value:  # type: ignore[attr-defined]
                    return v.value if _is_text(v) else None  # type: ignore[attr-defined]
    return None


def _held_in(loop: ast.AST, name: str) -> ast.expr | None:
    """The value of the one assignment of `name` in the loop's body (None when bound more than once there)."""
    values = bound_values([n for stmt in loop.body for n in ast.walk(stmt)], name)  # type: ignore[attr-defined]
    return values[0] if values is not None and len(values) == 1 else None


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _item(node: ast.AST) -> bool:
    """A literal a loop over tables walks: a name, or a dict literal describing one."""
    return _is_text(node) or isinstance(node, ast.Dict)


# --- CREATE INDEX text a `%` format fills from the code's own literals ---------------------------------------


def formatted_indexes(tree: ast.Module, path: str) -> list[IndexDef]:
    """`'CREATE INDEX %s mail_count_index ON mail_count(id, date)' % ("" if mysql else "IF NOT EXISTS")`
    (policyd-rate-limit, for MySQL and PostgreSQL alike): the index every text the format may write declares, when
    each operand is a literal or a choice between literals; the first that parses (they are one index)."""
    out: list[IndexDef] = []
    for node in walk(tree):
        if not (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Mod)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
            and _CREATE_INDEX.match(node.left.value)
        ):
            continue
        operands = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        choices = [_choices(o) for o in operands]
        if not choices or any(not c for c in choices):
            continue
        for values in product(*choices):
            try:
                ddl = node.left.value % values
            except (TypeError, ValueError):
                break
            index = _parsed(ddl, Location(path, node.lineno, node.col_offset + 1))
            if index is not None:
                out.append(index)
                break
    return out


def _choices(node: ast.expr) -> list[str]:
    """The texts an operand may be: a literal's, or each branch's of a choice between literals."""
    if isinstance(node, ast.IfExp):
        body, orelse = _choices(node.body), _choices(node.orelse)
        return [*body, *orelse] if body and orelse else []
    text = _text(node)
    return [text] if text is not None else []
