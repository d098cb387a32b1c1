"""The functions of a Python module that say whether a text is a name: true only for word characters and
dots, never for a quote or a space.

`_valid_sql_name(name)` whose whole body is `return re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*(\\.[a-zA-Z_]\\w*)?",
name) is not None`: a test that calls one (`if not _valid_sql_name(field): raise`) confines its argument
as `field.isidentifier()` would (advisor.facts.narrowing). Only a module-level function whose body is that
one `return` (a docstring aside) of a full match of a literal pattern (written there, or a module constant
or `re.compile` of one, without flags) or a word test of its first parameter (`name.isidentifier()`),
maybe with other conditions joined by `and`. `re.match(r"^...$")` is not one: `$` lets a newline end it.
Read by Python's own regular-expression parser (advisor.facts.regex_groups). Plain `ast`.
"""

from __future__ import annotations

import ast
from collections import Counter
from functools import lru_cache

from advisor.facts.ast_nodes import walk
from advisor.facts.regex_groups import word_only

WORD_TESTS = frozenset({"isidentifier", "isalnum", "isalpha", "isdigit", "isdecimal", "isnumeric"})


@lru_cache(maxsize=32)
def name_checks(tree: ast.Module) -> frozenset[str]:
    """The module's functions that return true only for a name (their first parameter's)."""
    bound = _bindings(tree)
    constants = _constants(tree, bound)
    return frozenset(
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and not node.decorator_list
        and bound[node.name] == 1  # bound again (a later def, an assignment, an import): maybe not this check
        and _checks_name(node, constants)
    )


def _bindings(tree: ast.Module) -> Counter[str]:
    """How often the module binds each name, anywhere: defs, classes, assignments, deletions, imports."""
    bound: Counter[str] = Counter()
    for node in walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound[node.name] += 1
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound[node.id] += 1
        elif isinstance(node, ast.alias):
            bound[(node.asname or node.name).split(".")[0]] += 1
    return bound


def _constants(tree: ast.Module, bound: Counter[str]) -> dict[str, ast.expr]:
    """Module names bound once, by a top-level assignment, to their one value."""
    out = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            if bound[stmt.targets[0].id] == 1:
                out[stmt.targets[0].id] = stmt.value
    return out


def _checks_name(function: ast.FunctionDef, constants: dict[str, ast.expr]) -> bool:
    positional = [*function.args.posonlyargs, *function.args.args]
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if not positional or len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
        return False
    return _true_only_for_names(body[0].value, positional[0].arg, constants)


def _true_only_for_names(node: ast.expr, param: str, constants: dict[str, ast.expr]) -> bool:
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        return any(_true_only_for_names(v, param, constants) for v in node.values)  # all hold when it is true
    if (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.IsNot)
        and isinstance(node.comparators[0], ast.Constant)
        and node.comparators[0].value is None
    ):
        node = node.left  # re.fullmatch(...) is not None
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "bool":
        if len(node.args) != 1 or node.keywords:
            return False
        node = node.args[0]
    if not isinstance(node, ast.Call) or node.keywords or not isinstance(node.func, ast.Attribute):
        return False
    func, args = node.func, node.args
    if func.attr in WORD_TESTS:
        return not args and _is_name(func.value, param)
    if func.attr != "fullmatch":
        return False
    if isinstance(func.value, ast.Name) and func.value.id == "re":  # re.fullmatch(pattern, name)
        return len(args) == 2 and _is_name(args[1], param) and _name_pattern(args[0], constants)
    compiled = constants.get(func.value.id) if isinstance(func.value, ast.Name) else None
    return (  # PATTERN.fullmatch(name), PATTERN = re.compile(r"...")
        len(args) == 1
        and _is_name(args[0], param)
        and isinstance(compiled, ast.Call)
        and isinstance(compiled.func, ast.Attribute)
        and compiled.func.attr == "compile"
        and isinstance(compiled.func.value, ast.Name)
        and compiled.func.value.id == "re"
        and len(compiled.args) == 1
        and not compiled.keywords
        and _name_pattern(compiled.args[0], constants)
    )


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _name_pattern(node: ast.expr, constants: dict[str, ast.expr]) -> bool:
    """A literal pattern (or a module constant holding one) whose every match is word characters and dots."""
    if isinstance(node, ast.Name):
        node = constants.get(node.id, node)
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and word_only(node.value, 0, 0, ".")
