"""Names a Python function's tests confine, statement by statement: where a name can only hold one of a fixed
set of texts, or only word characters, whatever was assigned to it.

A name is confined inside the branch of a test that holds only for such values (`if op == "$and" or op ==
"$or": ...`, `elif kind in ("a", "b"):`, `if name.isidentifier():`), and after a test whose failing branch
leaves (`if x not in ALLOWED: raise`, `if not (f.isidentifier() or all(p.isidentifier() for p in
f.split("."))): raise ValueError(f)`, `assert x in ("ASC", "DESC")`), until it is assigned again. Where
branches meet, a name stays confined only if every branch that goes on confines it. A fixed set is a literal
tuple, list or set, or a module constant by its name (`SUPPORTED_OPERATORS`); the test may read the name
through a change of case or surrounding space (`key.lower() in [...]`), which adds no quote. A call of one
of the module's functions that is true only for a name (`_valid_sql_name(field)`, advisor.facts.validators)
is a word test like `field.isidentifier()`.

A collection's elements are confined (`items(name)` is in the set) after a loop that confines each one:
`for field in group_by: if not _valid_sql_name(field): raise ...`, a loop with no `break`, `continue` or
`else` whose body always ends with its loop name confined. They stay so until the collection is assigned
again or used other than read whole (`", ".join(group_by)`, `len(group_by)`, a test, a loop over it): a
method call, an assignment of it to another name or a function it is handed to could change it.
Plain `ast`, over one function's own statements (nested functions and classes have their own).
"""

from __future__ import annotations

import ast

from advisor.facts.validators import WORD_TESTS

Confined = frozenset[str]
_NONE: Confined = frozenset()
_CASE = {"lower", "upper", "casefold", "strip", "lstrip", "rstrip", "title"}  # add no character a test lets in
_NUMBERS = {"int", "float", "bool"}
_ITEMS = "[*]"  # never part of a Python name
_READ_WHOLE = {"len", "sorted", "list", "tuple", "set", "frozenset", "str", "bool", "any", "all", "min", "max"}


def items(name: str) -> str:
    """The entry of a confined set saying that every element of the collection `name` is confined."""
    return name + _ITEMS


def confined(
    owner: ast.Module | ast.FunctionDef | ast.AsyncFunctionDef, checks: frozenset[str] = _NONE
) -> dict[int, Confined]:
    """id(expression) -> the names confined where the statement holding it runs (only where some are).
    `checks`: the module's functions true only for a name (advisor.facts.validators.name_checks)."""
    out: dict[int, Confined] = {}
    if checks and not isinstance(owner, ast.Module):
        checks = checks - _assigned_in(owner) - {a.arg for a in ast.walk(owner.args) if isinstance(a, ast.arg)}
    _walk(owner.body, _NONE, out, checks)
    return out


def _walk(body: list[ast.stmt], state: Confined, out: dict[int, Confined], checks: frozenset[str]) -> Confined | None:
    """The names confined after the block (None: it always leaves), recording each statement's."""
    for stmt in body:
        if state:
            _record(stmt, state, out)
        if isinstance(stmt, (ast.Raise, ast.Return, ast.Continue, ast.Break)):
            return None
        if isinstance(stmt, ast.If):
            then = _walk(stmt.body, _less(state | holds(stmt.test, True, checks), stmt.test), out, checks)
            other = _walk(stmt.orelse, _less(state | holds(stmt.test, False, checks), stmt.test), out, checks)
            if then is None:
                if other is None:
                    return None
                state = other
            else:
                state = then if other is None else then & other
        elif isinstance(stmt, ast.Assert):
            state = state | holds(stmt.test, True, checks)
        elif isinstance(stmt, (ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With, ast.AsyncWith)):
            inside = _less(state, stmt)
            ends = [_walk(block, inside, out, checks) for block in _blocks(stmt)]
            state = inside | _each_checked(stmt, ends[0])
        else:
            state = _less(state, stmt) | _converted(stmt)
    return state


def _converted(stmt: ast.stmt) -> Confined:
    """The values a statement always converts with a call that raises on any text holding a quote or a space
    inside (`uuid.UUID(uid)`, `int(n)`, `float(x)`): after it, the name (or `obj.attr`) holds such text, or the
    statement raised. Not a call the statement may skip (in a conditional, a comprehension, a lambda)."""
    out: set[str] = set()
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.IfExp, ast.BoolOp, ast.Lambda, *_COMPREHENSIONS)) or (
            isinstance(node, ast.stmt) and node is not stmt
        ):
            continue
        if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in _CONVERSIONS:
                out |= _value_read(node.args[0])
        stack.extend(ast.iter_child_nodes(node))
    return frozenset(out)


_CONVERSIONS = {"UUID", "int", "float"}
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _value_read(node: ast.expr) -> Confined:
    """`n` or `obj.attr`: the name, or the attribute of a name, as written (`tournament.uid`)."""
    if isinstance(node, ast.Name):
        return frozenset({node.id})
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return frozenset({f"{node.value.id}.{node.attr}"})
    return _NONE


def _each_checked(loop: ast.stmt, end: Confined | None) -> Confined:
    """`items(x)` when the loop `for t in x:` confines every element of x (its body always ends with t confined)."""
    if not (
        isinstance(loop, ast.For)
        and isinstance(loop.target, ast.Name)
        and isinstance(loop.iter, ast.Name)
        and not loop.orelse
        and end is not None
        and loop.target.id in end
    ):
        return _NONE
    name = loop.iter.id
    if name in _assigned_in(loop) or _changed(loop, {name}) or _leaves_early(loop.body):
        return _NONE
    return frozenset({items(name)})


def _leaves_early(body: list[ast.stmt]) -> bool:
    """A `break` or `continue` of this loop: an element it skips, or the ones after it, go unchecked."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Break, ast.Continue)):
            return True
        if not isinstance(node, (ast.For, ast.AsyncFor, ast.While, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            stack.extend(node.orelse)  # an inner loop's `else` belongs to this one
    return False


def _less(state: Confined, node: ast.AST) -> Confined:
    """`state` without the names `node` binds, nor the elements of a collection it may change (walked only
    when some name is confined: most code has none)."""
    if not state:
        return state
    bound = _assigned_in(node)
    state = state - bound - {items(n) for n in bound}
    dotted = {n for n in state if "." in n}
    if dotted:  # `obj.attr` confined: until obj is bound again or the statement sets that attribute
        stored = {
            f"{t.value.id}.{t.attr}"
            for t in ast.walk(node)
            if isinstance(t, ast.Attribute) and not isinstance(t.ctx, ast.Load) and isinstance(t.value, ast.Name)
        }
        state = state - stored - {n for n in dotted if n.split(".", 1)[0] in bound}
    collections = {n[: -len(_ITEMS)] for n in state if n.endswith(_ITEMS)}
    if collections:
        state = state - {items(n) for n in _changed(node, collections)}
    return state


def _changed(node: ast.AST, names: set[str]) -> set[str]:
    """The names of `names` the node reads other than whole (joined, measured, tested, looped over); the
    node itself is a statement, or a test (`if group_by:`)."""
    out: set[str] = set()
    stack: list[tuple[ast.AST, ast.AST | None]] = [(node, None)]
    while stack:
        sub, parent = stack.pop()
        if isinstance(sub, ast.Name) and sub.id in names and parent is not None and not _read_whole(sub, parent):
            out.add(sub.id)
        stack.extend((child, sub) for child in ast.iter_child_nodes(sub))
    return out


def _read_whole(name: ast.Name, parent: ast.AST | None) -> bool:
    if isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)):
        return parent.iter is name
    if isinstance(parent, ast.Call) and name in parent.args:
        func = parent.func
        return (isinstance(func, ast.Attribute) and func.attr == "join") or (
            isinstance(func, ast.Name) and func.id in _READ_WHOLE
        )
    return isinstance(parent, (ast.Compare, ast.If, ast.While, ast.FormattedValue)) or (
        isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not)
    )  # not `a or x`: that is x itself, which another name could then change


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


def holds(test: ast.expr, true: bool = True, checks: frozenset[str] = _NONE) -> Confined:
    """Names the test confines when it is true (`true=False`: when it is false, as `not test` would).
    `checks`: the module's functions true only for a name."""
    if isinstance(test, ast.BoolOp):
        parts = [holds(v, true, checks) for v in test.values]
        if isinstance(test.op, ast.And) == true:  # both of an `and` hold; neither of an `or` does
            return frozenset().union(*parts)
        return frozenset.intersection(*parts)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return holds(test.operand, not true, checks)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right = test.ops[0], test.comparators[0]
        if isinstance(op, ast.In if true else ast.NotIn) and _fixed_set(right):
            return _read_name(test.left)
        if isinstance(op, ast.Eq if true else ast.NotEq):
            return _read_name(test.left) if _literal(right) else _read_name(right) if _literal(test.left) else _NONE
    if isinstance(test, ast.Call) and true:
        return _word_test(test, checks)
    return _NONE


def _word_test(call: ast.Call, checks: frozenset[str]) -> Confined:
    """`n.isidentifier()`, `all(p.isidentifier() for p in n.split("."))`, `isinstance(n, int)`,
    `_valid_sql_name(n)` of a function in `checks`."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in WORD_TESTS and not call.args:
        return _read_name(func.value)
    if isinstance(func, ast.Name) and func.id in checks and len(call.args) == 1 and not call.keywords:
        return _read_name(call.args[0])
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
        if node.func.attr in WORD_TESTS and isinstance(node.func.value, ast.Name):
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
