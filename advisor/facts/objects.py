"""Which of the project's functions an attribute of an object can be, for advisor.facts.provenance: the
method `obj.m(...)` calls or the property `obj.p` reads, when the object's class is one the project defines.

The object's classes come from how the code makes it: an instance the code constructs (`Database(...)`),
a parameter annotated with the class (`conn: Connection | None`, which a type checker holds every caller
to), a name imported from the module that assigns it (`from app.db import db`), an attribute of `self` the
class assigns or annotates (`self.db = Database()`, `db: Database`), or any of these joined by `or` / `if`.
Anything else (an untyped parameter, a call's result, a loop's element) is unknown.

An attribute is every definition a call can reach: the first class along the bases that defines the name
(a base outside the project, which may define it too, makes it unknown), and every class of the project
that extends one of the object's classes and defines it again.  Plain `ast`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

from advisor.facts.ast_nodes import walk
from advisor.facts.callers import Callers, Defined, Function, call_name
from advisor.facts.definitions import annotation_members
from advisor.facts.python_scope import Scope
from advisor.facts.reaching import own_nodes

_PLAIN_BASES = {"object", "Generic", "ABC", "Protocol"}  # bases that define no attribute a query could read
_HOPS = 6  # imports and assignments followed to find an object's class


@dataclass(frozen=True)
class Klass:
    """A class the project defines, with the module it is in."""

    node: ast.ClassDef
    tree: ast.Module

    @property
    def key(self) -> tuple[str, int, int | None]:
        return self.node.name, self.node.lineno, self.node.end_lineno


@dataclass(frozen=True)
class Member:
    """What an attribute of an object can be: a method or property (`function`), or a class constant (`value`)."""

    owner: Klass
    function: Defined | None = None
    value: ast.expr | None = None


def members(receiver: ast.expr, attr: str, scope: Scope) -> list[Member] | None:
    """Every definition `receiver.attr` can reach (None: the receiver's class, or one of them, is unknown;
    or the project's other files, where a class may extend it, are not at hand)."""
    if scope.callers is None:
        return None
    classes = classes_of(receiver, scope, 0)
    if not classes:
        return None
    out: list[Member] = []
    for klass in classes:
        found = _lookup(klass, attr, scope.callers, 0)
        if found is None:
            return None
        out.append(found)
        for sub in _subclasses(klass, scope.callers):
            own = _defined(sub, attr)
            if own is not None:
                out.append(own)
    return out


def class_method(receiver: ast.expr, attr: str, scope: Scope) -> Member | None:
    """`Lister.select_columns()`: a classmethod or staticmethod called on the project's class itself, which is
    what `cls` is (not a subclass); a name the function binds is a value, not the class."""
    if not isinstance(receiver, ast.Name) or receiver.id in scope.params or receiver.id in scope.assigned:
        return None
    klass = class_named(receiver, scope.tree, scope.callers, 0)
    found = _lookup(klass, attr, scope.callers, 0) if klass is not None else None
    if found is None or found.function is None:
        return None
    kinds = {call_name(d.func if isinstance(d, ast.Call) else d) for d in found.function.decorator_list}
    return found if kinds & {"classmethod", "staticmethod"} else None


def classes_of(node: ast.expr, scope: Scope, hops: int) -> list[Klass] | None:
    """The project's classes the value is an instance of; None when one of its values is not known to be one."""
    if hops > _HOPS:
        return None
    if isinstance(node, ast.Constant) and node.value is None:
        return []
    if isinstance(node, ast.BoolOp):
        return _all(classes_of(v, scope, hops) for v in node.values)
    if isinstance(node, ast.IfExp):
        return _all(classes_of(v, scope, hops) for v in (node.body, node.orelse))
    if isinstance(node, ast.Call):
        klass = class_named(node.func, scope.tree, scope.callers, hops)
        return [klass] if klass is not None else None
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        owner = enclosing_class(scope)
        return _self_attribute(owner, node.attr, scope.callers, hops) if owner is not None else None
    if isinstance(node, ast.Attribute):  # `settings.chunks.measure`: as the classes of `settings` annotate it
        owners = classes_of(node.value, scope, hops + 1)
        return _all(_annotated_attribute(k, node.attr, scope.callers, hops) for k in owners) if owners else None
    if not isinstance(node, ast.Name):
        return None
    name = node.id
    if name == "self":
        owner = enclosing_class(scope)
        return [owner] if owner is not None else None
    if name in scope.loops:
        return None
    values = scope.assigned.get(name, [])
    found = _all(classes_of(v, scope, hops + 1) for v in values)
    if name in scope.params:
        annotation = _annotation(scope.functions, name)
        typed = annotated(annotation, scope.tree, scope.callers, hops) if annotation is not None else None
        return None if typed is None or found is None else typed + found
    if values:
        return found
    return _imported_instance(name, scope, hops)


def enclosing_class(scope: Scope) -> Klass | None:
    """The class whose method is the innermost function of the scope."""
    if not scope.functions:
        return None
    method = scope.functions[-1]
    for node in ast.walk(scope.tree):
        if isinstance(node, ast.ClassDef) and any(item is method for item in node.body):
            return Klass(node, scope.tree)
    return None


def annotated(node: ast.expr, tree: ast.Module, callers: Callers | None, hops: int) -> list[Klass] | None:
    """The classes an annotation allows (`C`, `C | None`, `Optional[C]`, `Union[A, B]`, `C[T]`, `"C"`)."""
    members = annotation_members(node)
    if members is None:
        return None
    out: list[Klass] = []
    for member in members:
        if isinstance(member, ast.Constant) and member.value is None:
            continue
        klass = class_named(member.value if isinstance(member, ast.Subscript) else member, tree, callers, hops)
        if klass is None:
            return None  # Filters[Model]: a generic class of the project's is its class; anything else unknown
        out.append(klass)
    return out


def class_named(node: ast.expr, tree: ast.Module, callers: Callers | None, hops: int) -> Klass | None:
    """The project's class a name stands for in the module: defined there, or imported from another module."""
    if not isinstance(node, ast.Name) or hops > _HOPS:
        return None
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == node.id:
            return Klass(stmt, tree)
    source = _import_of(node.id, tree, callers)
    if source is None:
        return None
    other, name = source
    return class_named(ast.Name(name), other, callers, hops + 1)


def imported_function(
    name: str, tree: ast.Module, callers: Callers | None, hops: int = 0
) -> tuple[ast.Module, Defined] | None:
    """`from app.sql import literal_string`: the project's module-level function a name a module imports stands
    for, and that module (a name the other module imports in turn is followed there)."""
    source = _import_of(name, tree, callers)
    if source is None or hops > _HOPS:
        return None
    other, original = source
    for stmt in other.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == original:
            return other, stmt
    return imported_function(original, other, callers, hops + 1)


def _imported_instance(name: str, scope: Scope, hops: int) -> list[Klass] | None:
    """`from app.db import db`: the classes of what that module assigns `db`."""
    source = _import_of(name, scope.tree, scope.callers)
    if source is None:
        return None
    other, original = source
    module = Scope(other, (), answers=scope.answers, callers=scope.callers)
    return classes_of(ast.Name(original), module, hops + 1)


def _import_of(name: str, tree: ast.Module, callers: Callers | None, hops: int = 0) -> tuple[ast.Module, str] | None:
    """The project module a module-level `from m import x [as name]` takes `name` from, and `x`; or, when the
    module does not bind `name` itself, `from m import *` of the last such module that has it (a package's
    `__init__` re-exporting its modules); unknown when a module it star-imports is not the project's."""
    if callers is None:
        return None
    starred: list[ast.Module] = []
    for stmt in own_nodes(tree):
        if isinstance(stmt, ast.ImportFrom) and stmt.module:
            for alias in stmt.names:
                if (alias.asname or alias.name) == name:
                    other = module_tree(callers, stmt.module, stmt.level, tree)
                    return (other, alias.name) if other is not None else None
                if alias.name == "*":
                    other = module_tree(callers, stmt.module, stmt.level, tree)
                    if other is None:
                        return None
                    starred.append(other)
    if not starred or _binds(tree, name) or hops > _HOPS:
        return None
    exporting = [other for other in starred if _exports(other, name, callers, hops)]
    return (exporting[-1], name) if exporting else None


def _binds(tree: ast.Module, name: str) -> bool:
    """The module's own top-level statements bind `name` (a class, a function, an assignment, an import)."""
    for stmt in tree.body:
        if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            return True
        if isinstance(stmt, (ast.Import, ast.ImportFrom)) and any(
            (a.asname or a.name.split(".")[0]) == name for a in stmt.names
        ):
            return True
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and any(
            isinstance(t, ast.Name) and t.id == name
            for target in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
            for t in ast.walk(target)
        ):
            return True
    return False


def _exports(tree: ast.Module, name: str, callers: Callers, hops: int) -> bool:
    """`from m import *` gives `name`: m binds it, directly or by its own star imports, and its `__all__`, when
    it writes one as a literal list, names it (a private name only through `__all__`)."""
    listed = _all_names(tree)
    if listed is not None and name not in listed or listed is None and name.startswith("_"):
        return False
    return _binds(tree, name) or _import_of(name, tree, callers, hops + 1) is not None


def _all_names(tree: ast.Module) -> set[str] | None:
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in stmt.targets):
            if isinstance(stmt.value, (ast.List, ast.Tuple)) and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in stmt.value.elts
            ):
                return {str(e.value) for e in stmt.value.elts if isinstance(e, ast.Constant)}
    return None


def module_tree(callers: Callers, dotted: str, level: int, tree: ast.Module) -> ast.Module | None:
    """The tree of the project's module `dotted` (relative to `tree`'s package when `level`); None when it
    is not one of the project's files, or more than one file could be it."""
    tail = dotted.replace(".", "/")
    if level:
        here = callers.path_of(tree)
        if here is None or here.count("/") < level - 1:
            return None
        package = here.rsplit("/", level)[0] if here.count("/") >= level else ""
        tail = f"{package}/{tail}" if package else tail
    ends = (f"{tail}.py", f"{tail}/__init__.py")
    found = [p for p in callers.texts if p in ends or (not level and p.endswith(("/" + ends[0], "/" + ends[1])))]
    exact = [p for p in found if p in ends]
    chosen = exact if len(exact) == 1 else found
    return callers.tree(chosen[0]) if len(chosen) == 1 else None


def _annotation(functions: tuple[Function, ...], name: str) -> ast.expr | None:
    for function in reversed(functions):
        args = function.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            if arg.arg == name:
                return arg.annotation
    return None


def _self_attribute(owner: Klass, attr: str, callers: Callers | None, hops: int) -> list[Klass] | None:
    """`self.attr`: the classes of what the class's body (and its subclasses') annotates it with or its methods
    assign it; unknown when anything else assigns it (`self.a, self.b = ...`, `other.attr = x` elsewhere)."""
    if callers is None or any(_assigned_outside(text, attr) for text in callers.texts.values() if attr in text):
        return None
    found: list[Klass] = []
    seen = False
    for klass in (owner, *_subclasses(owner, callers)):
        for item in klass.node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.target.id == attr:
                typed = annotated(item.annotation, klass.tree, callers, hops + 1)
                if typed is None:
                    return None
                found, seen = found + typed, True
            if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(item):
                value = _assigned_to_self(node, attr)
                if value is None:
                    continue
                method = Scope(klass.tree, (item,), callers=callers)
                typed = classes_of(value, method, hops + 1) if isinstance(value, ast.expr) else None
                if typed is None:
                    return None
                found, seen = found + typed, True
    return found if seen else None


def _annotated_attribute(klass: Klass, attr: str, callers: Callers | None, hops: int) -> list[Klass] | None:
    """The classes the class body annotates `attr` with (`measure: IndexMeasure`, a dataclass's or a pydantic
    model's field: a type checker holds every assignment to it), the first along the project's bases."""
    if hops > _HOPS:
        return None
    for item in klass.node.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.target.id == attr:
            return annotated(item.annotation, klass.tree, callers, hops + 1)
    for base in klass.node.bases:
        parent = class_named(base.value if isinstance(base, ast.Subscript) else base, klass.tree, callers, hops)
        if parent is not None:
            found = _annotated_attribute(parent, attr, callers, hops + 1)
            if found is not None:
                return found
    return None


def attribute_values(receiver: ast.expr, attr: str, scope: Scope) -> list[ast.expr] | None:
    """Every value the project gives `receiver.attr` as a data attribute of the receiver's classes (and their
    subclasses): the class body's `attr = value` and each method's `self.attr = value`; None when the classes are
    unknown, or anything else may set it (`other.attr = x`, `self.a, self.attr = ...`, an augmented assignment)."""
    callers = scope.callers
    classes = classes_of(receiver, scope, 0) if callers is not None else None
    if not classes or callers is None or any(_assigned_outside(t, attr) for t in callers.texts.values() if attr in t):
        return None
    values: list[ast.expr] = []
    for klass in {k.key: k for owner in classes for k in (owner, *_subclasses(owner, callers))}.values():
        for item in klass.node.body:
            if isinstance(item, (ast.Assign, ast.AnnAssign)) and item.value is not None:
                targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                if any(isinstance(t, ast.Name) and t.id == attr for t in targets):
                    values.append(item.value)
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(item):
                    value = _assigned_to_self(node, attr)
                    if value is True:
                        return None
                    if isinstance(value, ast.expr):
                        values.append(value)
    return values


def _assigned_to_self(node: ast.AST, attr: str) -> ast.expr | bool | None:
    """What `self.attr = value` assigns (True: something unknown, as `self.a, self.attr = f()`); None: no such."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    if isinstance(node, ast.AugAssign):
        targets = [node.target]
    value = getattr(node, "value", None)
    for target in targets:
        if isinstance(target, ast.Attribute) and target.attr == attr and call_name(target.value) == "self":
            return value if isinstance(node, (ast.Assign, ast.AnnAssign)) and value is not None else True
        if isinstance(target, (ast.Tuple, ast.List)) and any(
            isinstance(t, ast.Attribute) and t.attr == attr for t in ast.walk(target)
        ):
            return True
    return None


@lru_cache(maxsize=1024)
def _assigned_outside(text: str, attr: str) -> bool:
    """Code that assigns the attribute of an object other than `self` (`svc.db = x`, `setattr(svc, "db", x)`)."""
    escaped = re.escape(attr)
    return (
        re.search(rf"(?<![\w.])(?!self\b)[A-Za-z_][\w.]*\.{escaped}\s*(?:[-+*/|&]?=(?!=)|:[^=\n]*=)", text) is not None
        or re.search(rf"setattr\([^,]+,\s*['\"]{escaped}['\"]", text) is not None
    )


def _lookup(klass: Klass, attr: str, callers: Callers | None, hops: int) -> Member | None:
    """The definition `attr` has on the class's instances: the class's own, or the first base's that has one."""
    own = _defined(klass, attr)
    if own is not None or hops > _HOPS:
        return own
    for base in klass.node.bases:
        name = call_name(base.value if isinstance(base, ast.Subscript) else base)
        if name in _PLAIN_BASES:
            continue
        parent = class_named(base.value if isinstance(base, ast.Subscript) else base, klass.tree, callers, hops)
        found = _lookup(parent, attr, callers, hops + 1) if parent is not None else None
        if found is None:
            return None  # a base outside the project may define it; or none does: not an attribute we know
        return found
    return None


def _defined(klass: Klass, attr: str) -> Member | None:
    """The class body's own definition of `attr`: a method or property, or a constant class attribute."""
    member = None
    for item in klass.node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == attr:
            member = Member(klass, function=item)
        elif isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == attr for t in item.targets):
            member = Member(klass, value=item.value)
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.target.id == attr:
            member = Member(klass, value=item.value) if item.value is not None else member
    return member


def _subclasses(klass: Klass, callers: Callers | None) -> list[Klass]:
    """The project's classes that extend `klass`, at any depth (files naming it in a class's bases, resolved)."""
    out: list[Klass] = []
    frontier, seen = [klass], {klass.key}
    while frontier:
        parent = frontier.pop()
        name = parent.node.name
        trees: list[ast.Module | None] = [parent.tree]
        if callers is not None:
            trees += [callers.tree(p) for p, text in callers.texts.items() if name in text]
        for tree in (t for t in trees if t is not None):
            for node in _classes(tree):
                bases = [b.value if isinstance(b, ast.Subscript) else b for b in node.bases]
                sub = Klass(node, tree)
                if sub.key in seen or not any(call_name(b) == name for b in bases):
                    continue
                if any((r := class_named(b, tree, callers, 0)) is not None and r.key == parent.key for b in bases):
                    seen.add(sub.key)
                    out.append(sub)
                    frontier.append(sub)
    return out


@lru_cache(maxsize=256)
def _classes(tree: ast.Module) -> list[ast.ClassDef]:
    return [n for n in walk(tree) if isinstance(n, ast.ClassDef)]


def _all(items) -> list[Klass] | None:
    out: list[Klass] = []
    for item in items:
        if item is None:
            return None
        out += item
    return out
