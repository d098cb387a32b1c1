"""What a JS/TS call gives back, and what a parameter is given, for advisor.facts.js_values.

A call's value is the code's own text when the call is a built-in whose result follows from its
receiver and arguments (`parts.join(', ')`, `ids.map((_, i) => `$${i + 1}`)`, `Object.keys(COLUMNS)`,
`Number(x)`), a function of the file whose every `return` is own text, or a query whose statement fixes
the column read as a number.  A parameter is given what its function's caller passes: known only for
a callback of an array method (`(element, index, array)`), or when TypeScript holds it to a number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.facts import js_narrowing
from advisor.facts.js_scope import ITEM, KEY, Binding, prop
from advisor.facts.js_uses import CALLBACKS, use_of
from advisor.sources.js_syntax import FUNCTIONS, arg_list, parameter_list, string_value, unescape, unwrap

if TYPE_CHECKING:
    from advisor.facts.js_values import Values

_NUMBERS = {"Number", "parseInt", "parseFloat", "Boolean", "isNaN", "isFinite", "Math", "Date", "Array"}
_SAME = {
    "filter",
    "slice",
    "sort",
    "reverse",
    "flat",
    "trim",
    "trimStart",
    "trimEnd",
    "toUpperCase",
    "toLowerCase",
    "toString",
    "substring",
    "substr",
    "normalize",
}
_ELEMENT = {"find", "findLast", "at", "charAt", "pop", "shift"}
_SCALAR = {
    "indexOf",
    "lastIndexOf",
    "includes",
    "some",
    "every",
    "findIndex",
    "findLastIndex",
    "test",
    "startsWith",
    "endsWith",
    "localeCompare",
    "hasOwnProperty",
    "charCodeAt",
    "codePointAt",
    "getTime",
    "getFullYear",
    "getUTCFullYear",
    "getMonth",
    "getUTCMonth",
    "getDate",
    "getUTCDate",
    "getDay",
    "getUTCDay",
    "getHours",
    "getUTCHours",
    "getMinutes",
    "getUTCMinutes",
    "getSeconds",
    "getUTCSeconds",
    "toFixed",
    "toPrecision",
    "toISOString",
}
_QUERIES = {"query", "one", "oneOrNone", "many", "manyOrNone", "any", "result"}  # pg, pg-promise
_GENERATORS = {"generator_function_declaration", "generator_function"}


def call(v: Values, node, path: tuple, quote) -> bool:
    """The call's value reaches, by `path`, only own text; a function from elsewhere as its text says."""
    if _call(v, node, path, quote):
        return True
    fn = unwrap(node.child_by_field_name("function"))
    local = fn is not None and fn.type == "identifier" and function_of_name(v, fn) is not None
    return not local and not path and v.looks_own(v.f.src(node))  # a function of the file was read: no guess


def function_of_name(v: Values, ident):
    b = v.scopes.binding(ident)
    return function_of(v, b) if b is not None else None


def _call(v: Values, node, path: tuple, quote) -> bool:
    f = v.f
    if node.type == "new_expression":
        constructor = f.src(node.child_by_field_name("constructor") or node)
        if constructor == "Set" and path[:1] == (ITEM,):  # a Set's items are those of the iterable it is made of
            made_of = arg_list(node.child_by_field_name("arguments"))
            return len(made_of) == 1 and v.safe(made_of[0], path, quote)
        return constructor in ("Array", "Date")
    fn = unwrap(node.child_by_field_name("function"))
    args = arg_list(node.child_by_field_name("arguments"))
    if fn is not None and fn.type == "identifier":
        b = v.scopes.binding(fn)
        if b is None:
            name = f.src(fn)
            return name in _NUMBERS or (name == "String" and bool(args) and v.safe(args[0], (), quote))
        target = function_of(v, b)
        return target is not None and returns(v, target, path, quote, node)
    if fn is None or fn.type != "member_expression":
        return False
    whole, obj = f.src(fn), fn.child_by_field_name("object")
    method = f.src(fn.child_by_field_name("property"))
    rest = path[1:]
    if whole == "Object.freeze":
        return bool(args) and v.safe(args[0], path, quote)
    if whole in ("Object.keys", "Object.values", "Object.entries", "Array.from", "Array.of"):
        return bool(args) and _statics(v, whole, args, path, quote)
    root = unwrap(obj)
    own = js_narrowing.method(v, node) if root.type == "this" else None
    if own is not None:
        return returns(v, own, path, quote, node)  # `this.m(...)`: the class's own method
    if root.type == "identifier" and f.src(root) in _NUMBERS and v.scopes.binding(root) is None:
        return True  # Math.floor(x), Date.now(), Number.parseInt(x)
    if method in _QUERIES:
        return _query_result(v, args, path)
    if path[:1] == (prop("length"),) and method in ("join", "map", "flatMap", "concat", "split", "slice"):
        return True
    if method == "join":
        separator = args[0] if args else None
        written = literals(v, separator) if separator is not None else {","}
        quoted = written is None or any(q in w for w in written for q in "'\"")  # quotes between elements
        return v.safe(obj, (ITEM,), "?" if quoted else quote) and (separator is None or v.safe(separator))
    if method in ("map", "flatMap"):
        target = _callable(v, args[0]) if args else None
        return target is not None and returns(v, target, rest, quote)
    if method == "concat":
        parts = [(a.named_children[0] if a.type == "spread_element" else a) for a in args]
        return v.safe(obj, path, quote) and all(
            v.safe(a, path, quote) and v.safe(a, rest, quote) if path else v.safe(a, (), quote) for a in parts
        )
    if method in _SAME:
        return v.safe(obj, path, quote)
    if method in ("padStart", "padEnd", "repeat", "fill"):
        filled = v.safe(args[0], rest, quote) if method == "fill" and args else True
        return filled and v.safe(obj, path, quote) and all(v.safe(a) for a in args[1:])
    if method in _ELEMENT:
        return v.safe(obj, (ITEM, *path), quote)
    if method in _SCALAR:
        return True  # a number, a boolean, a date's ISO text
    if method == "split":
        return v.safe(obj, (), "?")
    if method in ("replace", "replaceAll"):
        with_ = args[1] if len(args) > 1 else None
        target = _callable(v, with_) if with_ is not None else None
        given = target is not None and returns(v, target, (), quote) if target is not None else v.safe(with_, (), quote)
        return v.safe(obj, (), quote) and (with_ is None or given)
    return False


def literals(v: Values, node, depth: int = 0) -> set[str] | None:
    """The strings an expression can be when each is written in the code (`c ? ' AND ' : ' OR '`, a `const`
    holding one); None when it can be anything else."""
    node = unwrap(node)
    if node is None or depth > 8:
        return None
    if node.type in ("string", "template_string"):
        written = string_value(v.f, node)
        return {written} if written is not None else None
    if node.type == "ternary_expression":
        one, other = (literals(v, node.child_by_field_name(s), depth + 1) for s in ("consequence", "alternative"))
        return one | other if one is not None and other is not None else None
    held = v.scopes.binding(node) if node.type == "identifier" else None
    if held is None or held.kind != "const" or len(held.sites) != 1 or held.sites[0][1]:
        return None
    holder = held.sites[0][0].parent
    return literals(v, holder.child_by_field_name("value"), depth + 1) if holder.type == "variable_declarator" else None


def _statics(v: Values, whole: str, args: list, path: tuple, quote) -> bool:
    rest = path[1:]
    if whole == "Object.keys":
        return v.safe(args[0], (KEY,), quote)
    if whole == "Object.values":
        return v.safe(args[0], (ITEM, *rest), quote)
    if whole == "Object.entries":  # [key, value] pairs
        pair, after = (rest[0], rest[1:]) if rest else (ITEM, ())
        key = pair in (ITEM, prop("0")) and not v.safe(args[0], (KEY,), quote)
        value = pair in (ITEM, prop("1")) and not v.safe(args[0], (ITEM, *after), quote)
        return not (key or value)
    if whole == "Array.of":
        return all(v.safe(a, rest, quote) for a in args)
    target = _callable(v, args[1]) if len(args) > 1 else None  # Array.from(x, (element, i) => ...)
    return returns(v, target, rest, quote) if target is not None else len(args) == 1 and v.safe(args[0], path, quote)


def _callable(v: Values, node):
    node = unwrap(node)
    if node is not None and node.type in FUNCTIONS:
        return node
    if node is not None and node.type == "identifier":
        b = v.scopes.binding(node)
        return function_of(v, b) if b is not None else None
    return None


def function_of(v: Values, b: Binding):
    """The one function a variable holds: `function f() {}`, `const f = (x) => ...`, never reassigned."""
    key = ("function of", id(b))
    if key not in v.answers:
        v.answers[key] = _function_of(v, b)
    return v.answers[key]


def _function_of(v: Values, b: Binding):
    if len(b.sites) != 1 or any(use_of(v.f, r).kind in ("write", "changed") for r in v.scopes.references(b)):
        return None
    ident = b.sites[0][0]
    if b.kind == "function":
        return ident.parent
    holder = ident.parent
    if b.kind in ("const", "let", "var") and holder is not None and holder.type == "variable_declarator":
        value = unwrap(holder.child_by_field_name("value"))
        return value if value is not None and value.type in FUNCTIONS else None
    return None


def returns(v: Values, fn, path: tuple, quote, call=None) -> bool:
    """Every value the function returns reaches, by `path`, only own text (recursion assumed to); `call`:
    the call it returns to, whose arguments its parameters are given (a call within its own: every call's)."""
    if call is not None:
        outer = tuple(e for e in v.env if e[0] != fn.id)
        env = (*outer, (fn.id, call, v.env)) if len(outer) == len(v.env) else outer
        return v.within(env, lambda: returns(v, fn, path, quote))
    key = ("returns", fn.id, path, quote, v.context(fn))
    if key in v.answers:
        return v.answers[key]
    if key in v.pending or fn.type in _GENERATORS:
        return fn.type not in _GENERATORS
    v.pending.add(key)
    try:
        body = fn.child_by_field_name("body")
        if body is None:
            ok = False
        elif body.type != "statement_block":
            ok = v.safe(body, path, quote)
        else:
            ok = all(r is None or v.safe(r, path, quote) for r in _returned(body))
    finally:
        v.pending.discard(key)
    v.answers[key] = ok
    return ok


def _returned(body) -> list:
    """The values of a function body's own `return` statements (None for a bare `return`)."""
    out, stack = [], [body]
    while stack:
        node = stack.pop()
        if node.type == "return_statement":
            inner = [c for c in node.named_children if c.type != "comment"]
            out.append(inner[0] if inner else None)
            continue
        stack.extend(c for c in node.named_children if c.type not in FUNCTIONS and c.type != "class_body")
    return out


def argument(v: Values, b: Binding, ident, inner: tuple, path: tuple, quote) -> bool:
    """What the parameter `ident` is given: an array method's element or index, or a TypeScript number."""
    fn = b.scope
    position = next((i for i, p in enumerate(parameter_list(fn)) if p.start_byte <= ident.start_byte < p.end_byte), -1)
    holder = fn
    while holder.parent is not None and holder.parent.type == "parenthesized_expression":
        holder = holder.parent
    args = holder.parent
    callee = (
        unwrap(args.parent.child_by_field_name("function")) if args is not None and args.type == "arguments" else None
    )
    if callee is not None and callee.type == "member_expression":
        at = next((i for i, a in enumerate(arg_list(args)) if a == holder), -1)
        method, receiver = v.f.src(callee.child_by_field_name("property")), callee.child_by_field_name("object")
        if v.f.src(callee) == "Array.from" and at == 1:
            source = arg_list(args)[0]
            return position == 1 or (position == 0 and v.safe(source, (ITEM, *inner, *path), quote))
        if method in CALLBACKS and at == 0 and position == 1:
            # an index: no built-in but an array (a typed array, an iterator) has `map`, `filter`, ...; a Map's
            # and a Set's forEach pass a key there, so forEach needs the receiver to be an array
            return method != "forEach" or v.always_array(receiver)
        if method in CALLBACKS and at == 0 and position in (0, 2):
            return v.safe(receiver, ((ITEM,) if position == 0 else ()) + inner + path, quote)
    if inner:
        return False
    from advisor.facts.js_types import scalar_parameter

    offset = len(v.f.data[: ident.start_byte].decode("utf-8", "replace"))
    return scalar_parameter(v.path, v.text, offset, v.f.src(ident), v.project.files)


def _query_result(v: Values, args: list, path: tuple) -> bool:
    """`(await db.query(sql)).rows[0].oid`, `db.one(sql).n`: a column the statement fixes as a number."""
    from advisor.facts.result_columns import numeric_column

    sql = _statement(v, args[0]) if args else None
    if sql is None:
        return False
    steps = list(path)
    if steps[:1] == [prop("rowCount")]:
        return True
    if steps[:1] == [prop("rows")]:
        steps = steps[1:]
    if steps and (steps[0] == ITEM or (steps[0][0] == "prop" and steps[0][1].isdigit())):
        steps = steps[1:]
    return bool(steps) and steps[0][0] == "prop" and numeric_column(sql, steps[0][1])


def _statement(v: Values, node) -> str | None:
    """The SQL text a query call is given, a `${...}` standing as a bare name; None if not written there."""
    node = unwrap(node)
    if node is not None and node.type == "identifier":
        b = v.scopes.binding(node)
        holder = b.sites[0][0].parent if b is not None and b.kind == "const" else None
        node = (
            unwrap(holder.child_by_field_name("value"))
            if holder is not None and holder.type == "variable_declarator"
            else None
        )
    if node is None:
        return None
    if node.type == "string":
        return string_value(v.f, node)
    if node.type != "template_string":
        return None
    out = []
    for c in node.named_children:
        if c.type == "template_substitution":
            out.append("_x_")
        elif c.type == "escape_sequence":
            out.append(unescape(v.f.src(c)))
        else:
            out.append(v.f.src(c))
    return "".join(out)
