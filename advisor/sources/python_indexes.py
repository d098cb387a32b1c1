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

from advisor.facts.ast_nodes import walk
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
