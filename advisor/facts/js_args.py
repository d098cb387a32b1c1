"""What a JS/TS parameter is given by the calls of the file, for advisor.facts.js_values.

A function of the file called by name binds its parameters to the call's arguments: what
`whereOrEmpty(acc)` returns is judged with `acc` the caller's `acc`, read where the call stands.  A
variable handed to such a function (`pushEq(acc, 'id', value)`) is changed by what the function does
with that parameter, judged the same way (`acc.conditions.push(`"${column}" = $${acc.next++}`)`).

A variable a function makes afresh at each call and returns (`return { conditions, params }`) is the
caller's from then on: what the caller does with what it is given is asked of the caller's variable.

A parameter the code is not following a call for is given what every call of its function passes, when
the function is the module's own: declared by name, never exported, never reassigned, and named only
where it is called (not handed around as a value, where anything could call it).  A function with no call
in the file is an entry point, and so is a top-level function of a script (no `import`, `export` or
`require`), which another script may call: their parameters are the caller's.  A call within the function
itself (recursion), or one already being followed, binds nothing: that parameter is the caller's too.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from advisor.facts import js_calls
from advisor.facts.js_scope import REST, Binding, names_in, prop
from advisor.facts.js_uses import Use, covers, use_of
from advisor.sources.js_syntax import FUNCTIONS, WRAPPERS, arg_list, key_name, parameter_list, unwrap

if TYPE_CHECKING:
    from advisor.facts.js_values import Values

_MODULE = re.compile(r"\b(?:import|export|require|module\.exports|exports)\b")


def parameter(v: Values, b: Binding, ident, inner: tuple, path: tuple, quote) -> bool:
    """What the parameter `ident` (at `inner` in its pattern) is given reaches, by `path`, only own text."""
    fn = b.scope
    position = _position(fn, ident)
    frame = v.frame(fn)
    if frame is not None:
        _, call, env = frame
        return v.within(env, lambda: _passed(v, call, position, inner, path, quote))
    if js_calls.argument(v, b, ident, inner, path, quote):
        return True
    return _every_call(v, b, position, inner, path, quote)


def _position(fn, ident) -> int:
    return next((i for i, p in enumerate(parameter_list(fn)) if p.start_byte <= ident.start_byte < p.end_byte), -1)


_MISSING = object()  # the call passes fewer arguments: the parameter is undefined


def _argument(call, position: int):
    """What the call passes at `position`: a node, _MISSING, or None when that cannot be told (a tagged
    template, whose strings and values are not followed; a spread at or before it)."""
    given = call.child_by_field_name("arguments")
    if given is None or given.type != "arguments" or position < 0:
        return None
    args = arg_list(given)
    if any(a.type == "spread_element" for a in args[: position + 1]):
        return None
    return args[position] if position < len(args) else _MISSING


def _passed(v: Values, call, position: int, inner: tuple, path: tuple, quote) -> bool:
    """The argument the call passes at `position`, at `inner`, reaches by `path` only own text."""
    given = None if REST in inner else _argument(call, position)
    if given is None:
        return False
    if given is _MISSING:
        return True  # undefined: the parameter's default, judged with its declaration
    return v.safe(given, inner + path, quote)


def _every_call(v: Values, b: Binding, position: int, inner: tuple, path: tuple, quote) -> bool:
    key = ("every call", id(b), position, inner, path, quote)
    if key in v.answers:
        return v.answers[key]
    if key in v.pending:
        return False  # reached through its own calls: its first value comes from elsewhere
    calls = calls_of(v, b.scope)
    if not calls:
        return False
    v.pending.add(key)
    try:
        ok = v.within((), lambda: all(_passed(v, c, position, inner, path, quote) for c in calls))
    finally:
        v.pending.discard(key)
    v.answers[key] = ok
    return ok


def calls_of(v: Values, fn) -> list:
    """Every call of the module's own function `fn`; none when something else may call it."""
    if fn.type == "method_definition":
        return _private_calls(v, fn)
    name, exported = _name(fn)
    if name is None or exported:
        return []
    own = v.scopes.binding(name)
    if own is None:
        return []
    target = js_calls.function_of(v, own)
    if target is None or target.id != fn.id:
        return []
    if own.scope == v.f.root and not _MODULE.search(v.f.text):
        return []  # a script's top-level function: another script may call it
    calls = []
    for r in v.scopes.references(own):
        call = r.parent
        if call is None or call.type != "call_expression" or call.child_by_field_name("function") != r:
            return []  # handed around, exported, aliased: called where advisor does not look
        calls.append(call)
    return calls


def _private_calls(v: Values, fn) -> list:
    """Every call of a private method: `#m`, which the language lets only its class's body name, or one TypeScript
    declares `private` (js_types.private_method), which only `this.m(...)` there may call; so every such call in
    the body is all its calls; none when the body names it otherwise (handed around as a value)."""
    from advisor.facts.js_types import private_method

    name = fn.child_by_field_name("name")
    holder = fn.parent
    if name is None or holder is None or holder.type != "class_body":
        return []
    hash_named = name.type == "private_property_identifier"
    if not hash_named and not (name.type == "property_identifier" and private_method(v.path, v.f, fn, v.project.files)):
        return []
    calls, stack = [], [holder]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type != name.type or node.id == name.id or v.f.src(node) != v.f.src(name):
            continue
        member = node.parent
        call = member.parent if member is not None and member.type == "member_expression" else None
        if call is None or call.type != "call_expression" or call.child_by_field_name("function") != member:
            return []  # `this.#m` as a value, `#m in x`, another class's `#m` declared within, a key named `m`
        if not hash_named and v.f.src(member.child_by_field_name("object")) != "this":
            return []  # `other.m(...)`: another object's method of that name, maybe another class's
        calls.append(call)
    return calls


def _name(fn) -> tuple:
    """The identifier that declares the function (`function f`, `const f = () => ...`), and whether the
    declaration is exported."""
    if fn.type in ("function_declaration", "generator_function_declaration"):
        holder, name = fn, fn.child_by_field_name("name")
    else:
        holder = fn
        while holder.parent is not None and holder.parent.type == "parenthesized_expression":
            holder = holder.parent
        declarator = holder.parent
        if declarator is None or declarator.type != "variable_declarator":
            return None, False
        if declarator.child_by_field_name("value") != holder:
            return None, False
        name, holder = declarator.child_by_field_name("name"), declarator.parent
    exported = holder is not None and holder.parent is not None and holder.parent.type == "export_statement"
    return (name if name is not None and name.type == "identifier" else None), exported


def handed(v: Values, use: Use, path: tuple, quote) -> bool:
    """`f(x)`, f a function of the file (or one of those a callee can hold): nothing f does with its parameter
    gives what `path` reaches in x a value from outside, f's parameters given this call's arguments."""
    if use.into is None:
        return False
    targets = callees(v, use.into[0].child_by_field_name("function"))
    if not targets:
        return False  # not a function the file names, or none at all
    return all(_handed_to(v, fn, use, path, quote) for fn in targets)


def _handed_to(v: Values, fn, use: Use, path: tuple, quote) -> bool:
    assert use.into is not None
    call, position = use.into
    if v.frame(fn) is not None or _arguments_object(v, fn):
        return False  # already being followed (recursion), or reached through `arguments`
    params = parameter_list(fn)
    names = names_in(v.f, params[position]) if 0 <= position < len(params) else []
    if len(names) != 1 or names[0][1]:
        return False  # destructured, or the `arguments` object: not followed
    param = v.scopes.binding(names[0][0])
    if param is None or param.kind != "parameter":
        return False

    def untouched() -> bool:
        for r in v.scopes.references(param):
            inside = use_of(v.f, r)
            if inside.kind == "write" and not inside.chain:
                return False  # the parameter given another value: what it then holds is not followed
            moved = dataclasses.replace(inside, chain=use.chain + inside.chain)
            if not v.untouched(moved, path, quote):
                return False
        return True

    return v.within((*v.env, (fn.id, call, v.env)), untouched)


def _arguments_object(v: Values, fn) -> bool:
    return any(fn.start_byte <= n.start_byte < fn.end_byte for n in v.scopes.uses.get("arguments", ()))


def handed_back(b: Binding, ref) -> bool:
    """`ref` returns the variable to the caller of the function it is local to, alone or inside an object or
    array literal (`return { conditions }`): each call makes its own, so only that caller holds it."""
    if b.kind not in ("const", "let", "var"):
        return False
    node = ref
    while node.parent is not None:
        p = node.parent
        if (
            p.type in WRAPPERS
            or p.type in ("object", "array")
            or (p.type == "pair" and p.child_by_field_name("value") == node)
        ):
            node = p
        else:
            break
    p = node.parent
    if p is not None and p.type == "return_statement":
        fn = p.parent
        while fn is not None and fn.type not in FUNCTIONS:
            fn = fn.parent
    elif p is not None and p.type == "arrow_function" and p.child_by_field_name("body") == node:
        fn = p
    else:
        return False
    owner = b.scope
    while owner is not None and owner.type not in FUNCTIONS:
        owner = owner.parent
    return fn is not None and owner is not None and fn.id == owner.id


def callees(v: Values, node) -> list | None:
    """Every function of the file a callee can be (None: one advisor cannot name): a function declared by
    name, or one a caller hands in, however deep in what it passes (`const { applyFilters } = config`, with
    every call passing `{ applyFilters: applyLogFilters }`).  The object it is read from must be kept
    whole: never assigned into, changed or handed elsewhere, only read or destructured."""
    return _functions(v, node, (), 0)


def _functions(v: Values, node, path: tuple, depth: int) -> list | None:
    node = unwrap(node)
    if node is None or depth > 12:
        return None
    t = node.type
    if t in FUNCTIONS:
        return None if path else [node]
    if t in ("identifier", "shorthand_property_identifier"):  # `{ applyFilters }`: the variable's value
        b = v.scopes.binding(node)
        if b is None:
            return None
        fn = js_calls.function_of(v, b) if not path else None
        return [fn] if fn is not None else _held(v, b, path, depth + 1)
    if t == "member_expression":
        name = node.child_by_field_name("property")
        if name is None or name.type != "property_identifier":
            return None
        return _functions(v, node.child_by_field_name("object"), (prop(v.f.src(name)), *path), depth + 1)
    if t == "object" and path and path[0][0] == "prop":
        found: list = []
        for c in node.named_children:
            if c.type == "pair" and key_name(v.f, c.child_by_field_name("key")) == path[0][1]:
                more = _functions(v, c.child_by_field_name("value"), path[1:], depth + 1)
            elif c.type == "shorthand_property_identifier" and v.f.src(c) == path[0][1]:
                more = _functions(v, c, path[1:], depth + 1)
            elif c.type in ("pair", "shorthand_property_identifier", "comment"):
                continue
            else:
                return None  # a spread, a method, a computed key: it may set the property too
            if more is None:
                return None
            found += more
        return found
    return None


def _held(v: Values, b: Binding, path: tuple, depth: int) -> list | None:
    """The functions at `path` in what a `const` or a parameter holds."""
    if len(b.sites) != 1 or b.kind not in ("const", "parameter"):
        return None
    ident, inner, default = b.sites[0]
    if default is not None or REST in inner or (path and not _kept(v, b)):
        return None
    steps = inner + path
    if b.kind == "const":
        holder = ident.parent
        while holder is not None and holder.type != "variable_declarator":
            holder = holder.parent
        value = holder.child_by_field_name("value") if holder is not None else None
        return _functions(v, value, steps, depth) if value is not None else None
    fn = b.scope
    position = _position(fn, ident)
    frame = v.frame(fn)
    if frame is not None:
        _, call, env = frame
        return v.within(env, lambda: _argument_functions(v, call, position, steps, depth))
    calls = calls_of(v, fn)
    return v.within((), lambda: _every_argument(v, calls, position, steps, depth)) if calls else None


def _every_argument(v: Values, calls: list, position: int, steps: tuple, depth: int) -> list | None:
    found: list = []
    for call in calls:
        more = _argument_functions(v, call, position, steps, depth)
        if more is None:
            return None
        found += more
    return found


def _argument_functions(v: Values, call, position: int, steps: tuple, depth: int) -> list | None:
    given = _argument(call, position)
    return None if given is None or given is _MISSING else _functions(v, given, steps, depth + 1)


def _kept(v: Values, b: Binding) -> bool:
    """Nothing changes what the variable holds: every place names it to read it or to destructure it."""
    for r in v.scopes.references(b):
        use = use_of(v.f, r)
        if use.kind == "read":
            continue
        if use.kind == "escape" and not use.chain:
            top = r
            while top.parent is not None and top.parent.type in WRAPPERS:
                top = top.parent
            holder = top.parent
            if holder is not None and holder.type == "variable_declarator":
                name = holder.child_by_field_name("name")
                if holder.child_by_field_name("value") == top and name is not None and name.type == "object_pattern":
                    continue  # `const { a, b } = config`: read into constants
        return False
    return True


def aliased(v: Values, use: Use, path: tuple, quote) -> bool:
    """`const { conditions } = built`, `const parts = where.parts`: each name the declaration binds is another
    way into the value, at its place in it; nothing the code does through one gives what `path` reaches a value
    from outside (a name given another value no longer reaches it)."""
    for ident, inner, _ in names_in(v.f, use.alias):
        b = v.scopes.binding(ident)
        if b is None or REST in inner:
            return False  # `...rest`: some of the properties, which not known
        at = use.chain + inner
        if not (covers(at, path) or covers(path, at)):
            continue  # another part of the value
        for r in v.scopes.references(b):
            inside = use_of(v.f, r)
            if inside.kind == "write" and not inside.chain:
                continue
            if not v.untouched(dataclasses.replace(inside, chain=at + inside.chain), path, quote):
                return False
    return True
