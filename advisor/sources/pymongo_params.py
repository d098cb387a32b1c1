"""What one Python module says about collections passed as parameters across modules
(advisor.sources.pymongo_slots): the slot a driver call's receiver is, and the calls the module makes."""

from __future__ import annotations

import ast
from collections.abc import Callable

from advisor.facts.ast_nodes import walk
from advisor.sources.pymongo_names import Names
from advisor.sources.pymongo_slots import Given, Passed, Slot, Slots
from advisor.sources.python_classes import constructor_parameter, self_attr


def slot_of(node: ast.AST, names: Names) -> Slot | None:
    """The parameter `node` is, unchanged, in a method of a class or a function of the module; or the one
    `self.<member>` holds that the constructor was given (`self.collection = collection` in `__init__`, the only
    assignment to it: the class's calls, `Scheduler(db.jobs, ...)`, say which collection it is)."""
    if isinstance(node, ast.Attribute) and self_attr(node):
        return _constructor_slot(node, names)
    if not isinstance(node, ast.Name) or names.resolve(node) is not None:  # reassigned before: another value
        return None
    signature = names.signature(node)
    if signature is None:
        return None
    fn, cls, positional = signature
    name = node.id
    if name in positional:
        at = positional.index(name)
    elif name in [a.arg for a in fn.args.kwonlyargs]:
        at = -1
    else:
        return None
    return Slot(cls.name if cls is not None else "", fn.name, name, at)


def _constructor_slot(node: ast.Attribute, names: Names) -> Slot | None:
    cls = names.classes.class_of(node)
    given = constructor_parameter(cls, node.attr) if cls is not None else None
    return Slot(cls.name, "__init__", given[0], given[1]) if cls is not None and given is not None else None


def record_calls(slots: Slots, names: Names, collection: Callable[[ast.AST], str | None]) -> None:
    """Every call of the module, counted by (name, receiver class); those passing a collection, or a
    parameter this module queries as one (a slot of its own), recorded with what they pass."""
    mine = {slot for slot, _ in slots.targets}
    for call in walk(names.tree):
        f = call.func if isinstance(call, ast.Call) else None
        if not isinstance(call, ast.Call) or not isinstance(f, (ast.Name, ast.Attribute)):
            continue
        cls = names.classes.class_of(f)
        value = names.resolve(f.value) if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else None
        name, owner, built = call_key(f, cls.name if cls is not None else None, value)
        slots.calls[(name, owner, built)] = slots.calls.get((name, owner, built), 0) + 1
        if not call.args and not call.keywords:
            continue
        positional = tuple(_given(a, names, collection, mine) for a in call.args)
        keywords = tuple((k.arg, _given(k.value, names, collection, mine)) for k in call.keywords if k.arg)
        if any(g is not None for g in positional) or any(g is not None for _, g in keywords):
            if any(isinstance(a, ast.Starred) for a in call.args):  # f(*args, coll): positions unknown
                positional = ()
            slots.passed.append(Passed(name, owner, positional, keywords, built))


def count_calls(slots: Slots, tree: ast.AST) -> None:
    """The calls of a module that reads no collection: counted among a function's callers (receivers
    unknown unless built there: `Filter(args).f(...)`), none known to pass a collection."""
    stack: list[tuple[ast.AST, str | None]] = [(tree, None)]  # each node with the class it is in
    while stack:
        node, cls = stack.pop()
        cls = node.name if isinstance(node, ast.ClassDef) else cls
        stack.extend((child, cls) for child in ast.iter_child_nodes(node))
        f = node.func if isinstance(node, ast.Call) else None
        if isinstance(f, (ast.Name, ast.Attribute)):
            key = call_key(f, cls, None)
            slots.calls[key] = slots.calls.get(key, 0) + 1


def _class_name(f: ast.Name) -> bool:
    return f.id[:1].isupper()  # `Scheduler(...)`: a class built, as `_built` reads it


def call_key(f: ast.Name | ast.Attribute, cls: str | None, value: ast.AST | None) -> tuple[str, str | None, bool]:
    """(name, receiver class, built) of a call, as settle_slots matches it to a slot's function: a class's name
    called is its `__init__`, on an instance built from it; a plain function's has no receiver; `self.f()` and
    `super().f()` run on an instance of `cls`, the class the call is in; `Queue.f(self)` is that class's; `x.f()`
    is on the class `x` is built from (`value`: what `x` was last assigned, `x = Filter(...)`), else unknown."""
    if isinstance(f, ast.Name):
        return ("__init__", f.id, True) if _class_name(f) else (f.id, "", False)
    if self_attr(f) or _super(f.value):
        return f.attr, cls, False
    if isinstance(f.value, ast.Name) and value is None and _class_name(f.value):
        return f.attr, f.value.id, False
    return (f.attr, *_built(value if isinstance(f.value, ast.Name) else f.value))


def _built(made: ast.AST | None) -> tuple[str | None, bool]:
    """`Filter(...)`: the class an instance is built from (a capitalised name), else unknown."""
    f = made.func if isinstance(made, ast.Call) else None
    return (f.id, True) if isinstance(f, ast.Name) and f.id[:1].isupper() else (None, False)


def _super(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def _given(arg: ast.AST, names: Names, collection: Callable[[ast.AST], str | None], mine: set[Slot]) -> Given:
    if not isinstance(arg, (ast.Name, ast.Attribute, ast.Subscript)):
        return None
    named = collection(arg)
    if named is not None:
        return named
    slot = slot_of(arg, names)
    return slot if slot in mine else None
