"""Names a Python function's tests confine, statement by statement: where a name can only hold one of a fixed
set of texts, or only word characters, whatever was assigned to it.

A name is confined inside the branch of a test that holds only for such values (`if op == "$and" or op ==
"$or": ...`, `elif kind in ("a", "b"):`, `if name.isidentifier():`), and after a test whose failing branch
leaves (`if x not in ALLOWED: raise`, `if not (f.isidentifier() or all(p.isidentifier() for p in
f.split("."))): raise ValueError(f)`, `assert x in ("ASC", "DESC")`), until it is assigned again. Where
branches meet, a name stays confined only if every branch that goes on confines it. A fixed set is a literal
tuple, list or set, or a module constant by its name (`SUPPORTED_OPERATORS`); the test may read the name
through a change of case or surrounding space (`key.lower() in [...]`), which adds no quote. Plain `ast`,
over one function's own statements (nested functions and classes have their own).
"""

from __future__ import annotations

import ast

Confined = frozenset[str]
_NONE: Confined = frozenset()
_CASE = {"lower", "upper", "casefold", "strip", "lstrip", "rstrip", "title"}  # add no character a test lets in
_WORD_TESTS = {"isidentifier", "isalnum", "isalpha", "isdigit", "isdecimal", "isnumeric"}
_NUMBERS = {"int", "float", "bool"}


def confined(owner: ast.Module | ast.FunctionDef | ast.AsyncFunctionDef) -> dict[int, Confined]:
    """id(expression) -> the names confined where the statement holding it runs (only where some are)."""
    out: dict[int, Confined] = {}
    _walk(owner.body, _NONE, out)
    return out


def _walk(body: list[ast.stmt], state: Confined, out: dict[int, Confined]) -> Confined | None:
    """The names confined after the block (None: it always leaves), recording each statement's."""
    for stmt in body:
        if state:
            _record(stmt, state, out)
        if isinstance(stmt, (ast.Raise, ast.Return, ast.Continue, ast.Break)):
            return None
        if isinstance(stmt, ast.If):
            then = _walk(stmt.body, _less(state | holds(stmt.test), stmt.test), out)
            other = _walk(stmt.orelse, _less(state | holds(stmt.test, False), stmt.test), out)
            if then is None:
                if other is None:
                    return None
                state = other
            else:
                state = then if other is None else then & other
        elif isinstance(stmt, ast.Assert):
            state = state | holds(stmt.test)
        elif isinstance(stmt, (ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With, ast.AsyncWith)):
            inside = _less(state, stmt)
            for block in _blocks(stmt):
                _walk(block, inside, out)
            state = inside
        else:
            state = _less(state, stmt)
    return state


def _less(state: Confined, node: ast.AST) -> Confined:
    """`state` without the names `node` binds (walked only when some name is confined: most code has none)."""
    return state - _assigned_in(node) if state else state


def _blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    blocks = [getattr(stmt, name, []) for name in ("body", "orelse", "finalbody")]
    return blocks + [h.body for h in getattr(stmt, "handlers", [])]


def _record(stmt: ast.stmt, state: Confined, out: dict[int, Confined]) -> None:
    """Every expression of the statement itself (not of the statements nested in it) runs with `state`."""
    stack: list[ast.AST] = [c for c in ast.iter_child_nodes(stmt) if not isinstance(c, ast.stmt)]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.expr):
            out[id(node)] = state
        stack.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, (ast.stmt, ast.Lambda)))


def _assigned_in(node: ast.AST) -> set[str]:
    """Names a statement (or a test, by `:=`) binds anywhere in it, nested blocks included."""
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            names.add(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(sub.name)
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            names.add(sub.name)
        elif isinstance(sub, (ast.Global, ast.Nonlocal)):
            names.update(sub.names)
    return names


def holds(test: ast.expr, true: bool = True) -> Confined:
    """Names the test confines when it is true (`true=False`: when it is false, as `not test` would)."""
    if isinstance(test, ast.BoolOp):
        parts = [holds(v, true) for v in test.values]
        if isinstance(test.op, ast.And) == true:  # both of an `and` hold; neither of an `or` does
            return frozenset().union(*parts)
        return frozenset.intersection(*parts)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return holds(test.operand, not true)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right = test.ops[0], test.comparators[0]
        if isinstance(op, ast.In if true else ast.NotIn) and _fixed_set(right):
            return _read_name(test.left)
        if isinstance(op, ast.Eq if true else ast.NotEq):
            return _read_name(test.left) if _literal(right) else _read_name(right) if _literal(test.left) else _NONE
    if isinstance(test, ast.Call) and true:
        return _word_test(test)
    return _NONE


def _word_test(call: ast.Call) -> Confined:
    """`n.isidentifier()`, `all(p.isidentifier() for p in n.split("."))`, `isinstance(n, int)`."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _WORD_TESTS and not call.args:
        return _read_name(func.value)
    if isinstance(func, ast.Name) and func.id == "isinstance" and len(call.args) == 2:
        kinds = call.args[1].elts if isinstance(call.args[1], ast.Tuple) else [call.args[1]]
        if all(isinstance(k, ast.Name) and k.id in _NUMBERS for k in kinds):
            return _read_name(call.args[0])
    if isinstance(func, ast.Name) and func.id == "all" and len(call.args) == 1:
        gen = call.args[0]
        if isinstance(gen, ast.GeneratorExp) and len(gen.generators) == 1 and not gen.generators[0].ifs:
            loop = gen.generators[0]
            split = loop.iter
            if (
                isinstance(loop.target, ast.Name)
                and _word_test_of(gen.elt) == loop.target.id
                and isinstance(split, ast.Call)
                and isinstance(split.func, ast.Attribute)
                and split.func.attr in ("split", "rsplit")
                and len(split.args) == 1
                and isinstance(split.args[0], ast.Constant)
                and isinstance(split.args[0].value, str)
                and set(split.args[0].value) <= set(".-_:/")
            ):
                return _read_name(split.func.value)  # its pieces are words and its separator a character the code wrote
    return _NONE


def _word_test_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call) and not node.args and isinstance(node.func, ast.Attribute):
        if node.func.attr in _WORD_TESTS and isinstance(node.func.value, ast.Name):
            return node.func.value.id
    return None


def _read_name(node: ast.expr) -> Confined:
    """`n`, or `n.lower()` and the like: the name a test reads."""
    while (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _CASE
        and not node.args
    ):
        node = node.func.value
    return frozenset({node.id}) if isinstance(node, ast.Name) else _NONE


def _literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (str, int)) and not isinstance(node.value, bool)


def _fixed_set(node: ast.expr) -> bool:
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_literal(e) for e in node.elts)
    return isinstance(node, ast.Name) and node.id.isupper()
