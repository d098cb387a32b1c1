"""What one Python module says about collections passed as parameters across modules
(advisor.sources.pymongo_slots): the slot a driver call's receiver is, and the calls the module makes."""

from __future__ import annotations

import ast
from collections.abc import Callable

from advisor.facts.ast_nodes import walk
from advisor.sources.pymongo_names import Names
from advisor.sources.pymongo_slots import Given, Passed, Slot, Slots
from advisor.sources.python_classes import self_attr


def slot_of(node: ast.AST, names: Names) -> Slot | None:
    """The parameter `node` is, unchanged, in a method of a class or a function of the module."""
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


def record_calls(slots: Slots, names: Names, collection: Callable[[ast.AST], str | None]) -> None:
    """Every call of the module, counted by (name, receiver class); those passing a collection, or a
    parameter this module queries as one (a slot of its own), recorded with what they pass."""
    mine = {slot for slot, _ in slots.targets}
    for call in walk(names.tree):
        f = call.func if isinstance(call, ast.Call) else None
        if not isinstance(call, ast.Call) or not isinstance(f, (ast.Name, ast.Attribute)):
            continue
        name, (owner, built) = (f.id, ("", False)) if isinstance(f, ast.Name) else (f.attr, _owner(f, names))
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
    for call in walk(tree):
        f = call.func if isinstance(call, ast.Call) else None
        if isinstance(f, ast.Name):
            key: tuple[str, str | None, bool] = (f.id, "", False)
        elif isinstance(f, ast.Attribute):
            key = (f.attr, *_built(f.value))
        else:
            continue
        slots.calls[key] = slots.calls.get(key, 0) + 1


def _built(made: ast.AST | None) -> tuple[str | None, bool]:
    """`Filter(...)`: the class an instance is built from (a capitalised name), else unknown."""
    f = made.func if isinstance(made, ast.Call) else None
    return (f.id, True) if isinstance(f, ast.Name) and f.id[:1].isupper() else (None, False)


def _owner(f: ast.Attribute, names: Names) -> tuple[str | None, bool]:
    """The class of `x` in `x.f(...)`: the class of the method for `self`, the class `x` is built from
    (`x = Filter(...)`, a capitalised name: built), None when unknown."""
    if self_attr(f):
        cls = names.classes.class_of(f)
        return (cls.name if cls is not None else None), False
    return _built(names.resolve(f.value) if isinstance(f.value, ast.Name) else f.value)


def _given(arg: ast.AST, names: Names, collection: Callable[[ast.AST], str | None], mine: set[Slot]) -> Given:
    if not isinstance(arg, (ast.Name, ast.Attribute, ast.Subscript)):
        return None
    named = collection(arg)
    if named is not None:
        return named
    slot = slot_of(arg, names)
    return slot if slot in mine else None
