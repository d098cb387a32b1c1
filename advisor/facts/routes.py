"""Parameters of a Python web view that the route's converter makes numbers: Flask's `<int:user_id>` and
`<float:x>` (werkzeug's IntegerConverter matches `\\d+` and hands the view `int(...)`), Starlette's
`{user_id:int}` and `{x:float}`, in the rule of a route decorator on the view itself (`@app.route(...)`,
`@bp.get(...)`). A request cannot put text there; a 404 answers anything else.

Only when every decorator of the view is such a route (or `login_required`, which passes the route's
arguments on unchanged), each converting the parameter, and nothing in the project names the view other
than its `def` (no direct call that could pass it a string; `url_for("view")` names it by a string and
calls nothing). Routes tied to a handler elsewhere (Tornado's `URLSpec(r"/x/(\\d+)", Handler)`, Django's
`path("<int:pk>/", view)`) are not read: the handler's parameters stay the caller's. Plain `ast` and `re`.
"""

from __future__ import annotations

import ast
import re

from advisor.facts.ast_nodes import walk
from advisor.facts.callers import Callers, Defined, call_name

_ROUTES = {"route", "get", "post", "put", "patch", "delete"}
_PASSING = {"login_required"}  # decorators that hand the view the route's arguments unchanged
_FLASK = re.compile(r"<(?:(\w+)(?:\([^)>]*\))?:)?(\w+)>")  # <int:id>, <int(signed=True):id>, <id>
_STARLETTE = re.compile(r"\{(\w+)(?::(\w+))?\}")  # {id:int}, {id}
_NUMBERS = {"int", "float"}


def route_numbers(function: Defined, callers: Callers) -> set[str]:
    """The view's parameters every route of it converts to a number (empty: none, or not certainly)."""
    if not function.decorator_list:
        return set()
    converted: set[str] | None = None
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if call_name(target) in _PASSING:
            continue
        numbers = _rule_numbers(decorator)
        if numbers is None:
            return set()  # another decorator: what it passes the view is unknown
        converted = numbers if converted is None else converted & numbers
    if not converted or _named_elsewhere(function, callers):
        return set()
    every = [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]
    return converted & {a.arg for a in every}


def _rule_numbers(decorator: ast.expr) -> set[str] | None:
    """The variables a route decorator's rule converts to numbers (None: not a route with a literal rule)."""
    if not (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in _ROUTES
        and decorator.args
        and isinstance(decorator.args[0], ast.Constant)
        and isinstance(decorator.args[0].value, str)
        and not any(k.arg in ("defaults", None) for k in decorator.keywords)  # defaults={...}: any value
    ):
        return None
    rule = decorator.args[0].value
    variables = [(name, converter) for converter, name in _FLASK.findall(rule)] + _STARLETTE.findall(rule)
    if not variables:
        return None  # `.get("/health")` may be anything's `get`: only a rule with variables is a route's
    return {name for name, converter in variables if converter in _NUMBERS}


def _named_elsewhere(function: Defined, callers: Callers) -> bool:
    """The project names the view somewhere besides its `def` (a call, a reference): its callers unseen."""
    word = re.compile(rf"(?<!\w){re.escape(function.name)}(?!\w)")
    for path, text in callers.texts.items():
        if not word.search(text):
            continue
        tree = callers.tree(path)
        if tree is None:
            return True
        for node in walk(tree):
            if (isinstance(node, ast.Name) and node.id == function.name) or (
                isinstance(node, ast.Attribute) and node.attr == function.name
            ):
                return True
            if isinstance(node, ast.alias) and function.name in (node.name.split(".")[-1], node.asname):
                return True
    return False
