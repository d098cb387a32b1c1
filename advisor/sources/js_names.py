"""Constant propagation for JavaScript / TypeScript names within one module: the string a
collection is opened with (`const COLL = 'jobs'`, `{ collectionName = 'sessions' }` parameter
defaults, `opts.collection || 'jobs'`, options objects built from defaults), the object literal an
expression evaluates to, what a function returns."""

from __future__ import annotations

from advisor.sources.js_flow import function_name  # the one reading of a function's name
from advisor.sources.js_mongo_held import held_name
from advisor.sources.js_syntax import (
    FUNCTIONS,
    JsFile,
    arg_list,
    bound_names,
    is_this,
    key_name,
    member_parts,
    parameter_list,
    string_value,
    unescape,
    unwrap,
)
from advisor.sources.mongo_names import run_time_name


def collection_name(f: JsFile, node) -> str:
    """The name a collection is opened with: a literal, a constant of the module (`const COLL = 'jobs'`,
    an options object's default literal, `opts.name || 'jobs'`); otherwise the expression it is read
    from, in angle brackets (`<this.options.collection>`): a name known only at run time."""
    name = constant_string(f, node)
    if name is not None:
        return name
    bare = unwrap(node)
    obj, prop = member_parts(f, bare) if bare is not None and bare.type == "member_expression" else (None, None)
    held = held_name(f, bare, prop) if obj is not None and prop and is_this(f, unwrap(obj)) else None
    return held or run_time_name(f.src(bare))


def constant_string(
    f: JsFile, node, depth: int = 0, defaults: bool = True, bound: dict[str, str] | None = None
) -> str | None:
    """A string expression's value when the module fixes it (`defaults`: or a parameter's default does;
    `bound`: names a loop over literals gives one value each, `for (const n of ['a', 'b'])`)."""
    node = unwrap(node)
    if node is None or depth > 6:
        return None
    if _substituted(node):
        return _template(f, node, depth, defaults, bound)  # `${prefix}jobs` with a prefix the module fixes
    if node.type in ("string", "template_string"):
        return string_value(f, node)
    if node.type in ("identifier", "shorthand_property_identifier"):
        if bound and f.src(node) in bound:
            return bound[f.src(node)]
        resolved = f.resolve(f.src(node), node.start_byte)
        if resolved is not None:
            return constant_string(f, resolved, depth + 1, defaults)
        return constant_string(f, _parameter_default(f, node), depth + 1) if defaults else None
    if node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if op is not None and f.src(op) in ("||", "??"):  # `opts.collection || 'jobs'`: the default
            return constant_string(f, left, depth + 1, defaults, bound) or constant_string(
                f, right, depth + 1, defaults, bound
            )
        if op is not None and f.src(op) == "+":
            a = constant_string(f, left, depth + 1, defaults, bound)
            b = constant_string(f, right, depth + 1, defaults, bound)
            return a + b if a is not None and b is not None else None
        return None
    if node.type == "member_expression":
        obj, prop = member_parts(f, node)
        obj = unwrap(obj)
        if obj is None or not prop:
            return None
        if is_this(f, obj):  # `this._collectionName`, every assignment of it in the module the same constant
            given = {constant_string(f, v, depth + 1, defaults, bound) for v in f.members.get(prop, ())}
            return given.pop() if len(given) == 1 else None
        holders = (
            f.members.get(member_parts(f, obj)[1] or "", [])
            if obj.type == "member_expression" and is_this(f, unwrap(obj.child_by_field_name("object")))
            else [f.resolve(f.src(obj), obj.start_byte)]
            if obj.type == "identifier"
            else []
        )
        values = {constant_string(f, property_value(f, h, prop), depth + 1, defaults) for h in holders if h is not None}
        return values.pop() if len(values) == 1 else None
    return None


def _substituted(node) -> bool:
    return node.type == "template_string" and any(c.type == "template_substitution" for c in node.named_children)


def _template(f: JsFile, node, depth: int, defaults: bool, bound: dict[str, str] | None) -> str | None:
    """A template literal whose every substitution is a constant string (`${opts.prefix || ''}jobs`)."""
    out = []
    for c in node.named_children:
        if c.type == "template_substitution":
            inner = next(iter(c.named_children), None)
            value = constant_string(f, inner, depth + 1, defaults, bound) if inner is not None else None
            if value is None:
                return None
            out.append(value)
        else:
            out.append(unescape(f.src(c)) if c.type == "escape_sequence" else f.src(c))
    return "".join(out)


def property_value(f: JsFile, holder, prop: str, depth: int = 0):
    """The value of `prop` in an object literal (`{ collection: 'jobs' }`, shorthand `{ collection }`)."""
    holder = unwrap(holder)
    if holder is None or holder.type != "object":
        return None
    found = None
    for child in holder.named_children:  # the last one written wins
        if child.type == "pair" and key_name(f, child.child_by_field_name("key")) == prop:
            found = child.child_by_field_name("value")
        elif child.type == "shorthand_property_identifier" and f.src(child) == prop:
            found = child
        elif child.type == "method_definition" and getter(f, child) == prop:  # `get collection() { return ... }`
            found = returned(child)
        elif child.type == "spread_element" and depth < 4:  # `{ ...defaults, ...options }`: the defaults'
            spread = next(iter(child.named_children), None)
            found = property_value(f, object_of(f, spread), prop, depth + 1) or found
    return found


def object_of(f: JsFile, node, depth: int = 0):
    """The object literal an expression evaluates to, through variables and calls of local functions."""
    node = unwrap(node)
    if node is None or depth > 4:
        return None
    if node.type == "object":
        return node
    if node.type == "identifier":
        return object_of(f, f.resolve(f.src(node), node.start_byte), depth + 1)
    if node.type == "call_expression":
        fn = unwrap(node.child_by_field_name("function"))
        args = arg_list(node.child_by_field_name("arguments"))
        if fn is not None and f.src(fn) == "__addDisposableResource" and len(args) > 1:
            return object_of(f, args[1], depth + 1)  # `await using db = ...` as TypeScript compiles it
        if fn is not None and fn.type == "identifier" and not arg_list(node.child_by_field_name("arguments")):
            return object_of(f, returned(f.resolve(f.src(fn), fn.start_byte)), depth + 1)
    return None


def _parameter_default(f: JsFile, node):
    """The default of the parameter a name is (`function (name = 'jobs')`, `({ collectionName = 'sessions' })`)."""
    name = f.src(node)
    fn = f.parent(node)
    while fn is not None:
        params = fn.child_by_field_name("parameters") if fn.type in FUNCTIONS else None
        if params is not None:
            stack = [params]
            while stack:
                n = stack.pop()
                if n.type in ("assignment_pattern", "object_assignment_pattern"):
                    left = n.child_by_field_name("left")
                    if left is not None and f.src(left) == name:
                        return n.child_by_field_name("right")
                if n.type in ("required_parameter", "optional_parameter"):
                    pattern, value = n.child_by_field_name("pattern"), n.child_by_field_name("value")
                    if pattern is not None and value is not None and f.src(pattern) == name:
                        return value
                stack.extend(n.named_children)
        fn = f.parent(fn)
    return None


def getter(f: JsFile, method) -> str | None:
    """The property a `get name() {...}` method defines."""
    name = method.child_by_field_name("name")
    if name is None or not any(c.type == "get" for c in method.children if c.start_byte < name.start_byte):
        return None  # `private get name()` in TypeScript: a modifier first
    return f.src(name)


def returned(fn):
    """What a function returns: its expression body, or its last `return x`."""
    fn = unwrap(fn)
    if fn is None or fn.type not in FUNCTIONS:
        return None
    body = fn.child_by_field_name("body")
    if body is None:
        return None
    if body.type != "statement_block":
        return body
    returns = [c for c in body.named_children if c.type == "return_statement"]
    return returns[-1].named_children[0] if returns and returns[-1].named_children else None


def passed(f: JsFile, ident) -> list:
    """For a parameter of a function the file names, what the file's calls of it pass for it: for
    `setAutoRemove(collection) {...}`, the `collection` of `this.setAutoRemove(collection)`. Empty when
    the name is no such parameter, or some call leaves it out."""
    name = f.src(ident)
    fn = f.parent(ident)
    while fn is not None and not (fn.type in FUNCTIONS and name in bound_names(f, fn)):
        fn = f.parent(fn)
    called = function_name(f, fn) if fn is not None else None
    position = next((n for n, p in enumerate(parameter_list(fn)) if _simple_name(f, p) == name), None) if fn else None
    if called is None or position is None:
        return []
    out = []
    for call in f.called.get(called, ()):
        args = arg_list(call.child_by_field_name("arguments"))
        if len(args) <= position or any(a.type == "spread_element" for a in args[: position + 1]):
            return []
        out.append(args[position])
    return out


def _simple_name(f: JsFile, param) -> str | None:
    """The name a parameter binds when it binds one plainly (`a`, `a = 1`, TypeScript `a: T`)."""
    if param.type in ("required_parameter", "optional_parameter"):
        param = param.child_by_field_name("pattern")
    elif param.type == "assignment_pattern":
        param = param.child_by_field_name("left")
    return f.src(param) if param is not None and param.type == "identifier" else None
