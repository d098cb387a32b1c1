"""Collections kept by name in an object on `this`, and the literal lists a loop walks.

    this.#cl = { subscriptions, retained: db.collection('retained') }   // an object literal
    this.cols.users = db.collection('users')                           // member by member
    for (const n of ['a', 'b']) this.cols[n] = db.collection(prefix + n)  // in a loop over literal names

read as `this.#cl.retained.find()`, `this.cols['users']`, or `this.cols[n]` with `n` from a literal list.
This module says what each member holds (a value to follow, or the name a loop opened); which collection
that is, advisor.sources.js_receivers says. A member read with a key known only at run time names no
member (the caller keeps such a query as a sketch on a collection named at run time).
"""

from __future__ import annotations

from typing import Any

from advisor.sources.js_names import constant_string, returned
from advisor.sources.js_syntax import (
    FUNCTIONS,
    OPENERS,
    JsFile,
    arg_list,
    is_this,
    key_name,
    member_parts,
    parameter_list,
    unchain,
    unwrap,
)

ITERATORS = ("map", "forEach", "flatMap")  # `list.map(fn)`: fn called once per element


def holder(f: JsFile, node) -> str | None:
    """`this.#cl`, `this.cols`, `self.cols`: the member's name ('#cl'); None for anything else."""
    node = unwrap(node)
    if node is None or node.type != "member_expression":
        return None
    obj, prop = member_parts(f, node)
    return prop if prop and obj is not None and is_this(f, unwrap(obj)) else None


def members(f: JsFile, prop: str) -> dict[str, list]:
    """What each member of the object `this.<prop>` is given, by name: value nodes, or the collection name
    (a str) a loop over literal names opened for it. {} when no object literal or member assignment is seen."""
    if ("maps",) not in f.memo:
        f.memo[("maps",)] = _collect(f)
    return f.memo[("maps",)].get(prop, {})


def _collect(f: JsFile) -> dict[str, dict[str, list]]:
    out: dict[str, dict[str, list]] = {}
    for prop, values in f.members.items():
        for value in values:
            if value is not None and value.type == "object":
                for name, node in _pairs(f, value):
                    out.setdefault(prop, {}).setdefault(name, []).append(node)
    if "this" not in f.text and "self" not in f.text:
        return out
    for node in f.member_assignments:  # recorded by the file's one indexing walk (js_syntax)
        left = node.child_by_field_name("left")
        held = holder(f, left.child_by_field_name("object"))
        right = unwrap(node.child_by_field_name("right"))
        if held is None or right is None:
            continue
        name = member_parts(f, left)[1]
        if name:  # this.cols.users = ..., this.cols['users'] = ...
            out.setdefault(held, {}).setdefault(name, []).append(right)
            continue
        key = unwrap(left.child_by_field_name("index"))
        for literal in loop_values(f, key) or ():  # this.cols[n] = db.collection(n), n over literal names
            opened = _opened(f, right, {f.src(key): literal})
            if opened is not None:
                out.setdefault(held, {}).setdefault(literal, []).append(opened)
    return out


def _pairs(f: JsFile, obj) -> list[tuple[str, Any]]:
    out = []
    for child in obj.named_children:
        if child.type == "pair":
            name = key_name(f, child.child_by_field_name("key"))
            if name:
                out.append((name, unwrap(child.child_by_field_name("value"))))
        elif child.type == "shorthand_property_identifier":
            out.append((f.src(child), child))
    return out


def _opened(f: JsFile, value, bound: dict[str, str]) -> str | None:
    """The name `x.collection(prefix + n)` opens with the loop's name bound."""
    _, calls = unchain(f, value)
    if not calls or calls[-1][0] not in OPENERS:
        return None
    args = arg_list(calls[-1][1])
    return constant_string(f, args[0], bound=bound) if args else None


def readings(f: JsFile, base) -> list[dict[str, str]]:
    """The bindings a chain on `this.cols[n]` is read under: one per literal name a loop gives `n` (when
    `this.cols` holds members by name), else the one reading with nothing bound."""
    base = unwrap(base)
    if (
        base is None
        or base.type != "subscript_expression"
        or not members(f, holder(f, base.child_by_field_name("object")) or "")
    ):
        return [{}]
    key = unwrap(base.child_by_field_name("index"))
    values = loop_values(f, key) if key is not None and key.type == "identifier" else None
    return [{f.src(key): v} for v in dict.fromkeys(values)] if values else [{}]


def loop_values(f: JsFile, name) -> list[str] | None:
    """The literal strings a name takes when it is a loop's variable over a literal list (`for (const n of
    ['a', 'b'])`, `['a', 'b'].forEach(n => ...)`, the list also held in a constant); None otherwise."""
    lists = iterated_lists(f, name)
    if not lists:
        return None
    out = []
    for array in lists:
        for element in array.named_children:
            value = constant_string(f, element, defaults=False) if element.type != "comment" else ""
            if value is None:
                return None
            out += [value] if value else []
    return out or None


def iterated_lists(f: JsFile, name) -> list:
    """The array literals whose elements the identifier `name` (at its use) stands for: a `for ... of`
    variable, or the first parameter of a function applied to every element (`list.map(fn)`, `list.forEach(x
    => ...)`). [] when it is anything else, or some list is not a literal."""
    name = unwrap(name)
    if name is None or name.type != "identifier":
        return []
    text = f.src(name)
    node = f.parent(name)
    while node is not None:
        if node.type == "for_in_statement" and _loop_variable(f, node) == text:
            return _arrays(f, [node.child_by_field_name("right")])
        if node.type in FUNCTIONS and _first_parameter(f, node) == text:
            return _arrays(f, _applied_to(f, node))
        if node.type in FUNCTIONS and text in _parameter_names(f, node):
            return []  # another parameter: the caller's
        node = f.parent(node)
    return []


def _loop_variable(f: JsFile, loop) -> str | None:
    left = unwrap(loop.child_by_field_name("left"))
    of = any(c.type == "of" for c in loop.children)
    return f.src(left) if of and left is not None and left.type == "identifier" else None


def _parameter_names(f: JsFile, fn) -> list[str]:
    out = []
    for p in parameter_list(fn):
        p = p.child_by_field_name("pattern") or p
        out.append(f.src(p) if p.type == "identifier" else "")
    return out


def _first_parameter(f: JsFile, fn) -> str | None:
    names = _parameter_names(f, fn)
    return names[0] if names and names[0] else None


def _applied_to(f: JsFile, fn) -> list:
    """The receivers of `X.map(fn)` / `X.forEach(fn)` for a function written there, or named and handed
    to such calls (`const apply = (idx) => ...; indexes.map(apply)`); [None] when the function is used
    any other way (its elements unknown)."""
    parent = f.parent(fn)
    if parent is not None and parent.type == "arguments":
        return [_iterated_receiver(f, parent.parent, fn)]
    name = None
    if parent is not None and parent.type == "variable_declarator":
        target = parent.child_by_field_name("name")
        name = f.src(target) if target is not None and target.type == "identifier" else None
    elif fn.type == "function_declaration" and fn.child_by_field_name("name") is not None:
        name = f.src(fn.child_by_field_name("name"))
    if name is None:
        return [None]
    uses = [
        call
        for key, calls in f.called.items()
        if key.rsplit(".", 1)[-1] in ITERATORS
        for call in calls
        if any(f.src(unwrap(a)) == name for a in arg_list(call.child_by_field_name("arguments")))
    ]
    return [_iterated_receiver(f, call, None) for call in uses] or [None]


def _iterated_receiver(f: JsFile, call, fn):
    """`X` of `X.map(fn)` when fn is its first argument."""
    if call is None or call.type != "call_expression":
        return None
    callee = unwrap(call.child_by_field_name("function"))
    args = arg_list(call.child_by_field_name("arguments"))
    if callee is None or callee.type != "member_expression" or not args:
        return None
    obj, method = member_parts(f, callee)
    if method not in ITERATORS or fn is not None and unwrap(args[0]) != fn:
        return None
    return obj


def _arrays(f: JsFile, nodes: list) -> list:
    """Each node as the array literal it is (through a constant, or what a method of the class or a function
    of the module called without arguments returns: `this.defaultIndexes()`); [] if any is not one."""
    out = []
    for node in nodes:
        node = unwrap(node)
        if node is not None and node.type == "identifier":
            node = unwrap(f.resolve(f.src(node), node.start_byte))
        if node is not None and node.type == "call_expression":
            node = unwrap(returned(_function(f, node)))
        if node is None or node.type != "array":
            return []
        out.append(node)
    return out


def _function(f: JsFile, call):
    """The method (`this.m()`) or function (`m()`) of the file a call without arguments runs."""
    if arg_list(call.child_by_field_name("arguments")):
        return None
    fn = unwrap(call.child_by_field_name("function"))
    if fn is not None and fn.type == "identifier":
        return f.binding(f.src(fn), call.start_byte)
    obj, name = member_parts(f, fn) if fn is not None else (None, None)
    if obj is None or not is_this(f, unwrap(obj)):
        return None
    body = f.parent(call)
    while body is not None and body.type != "class_body":  # this class's method (a bundle has many classes)
        body = f.parent(body)
    methods = [m for m in body.named_children if m.type == "method_definition"] if body is not None else []
    return next((m for m in methods if key_name(f, m.child_by_field_name("name")) == name), None)
