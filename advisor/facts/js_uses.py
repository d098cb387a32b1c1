"""What one place in JS/TS code does with a variable it names: reads it, writes into it, or lets it go.

`x.push(v)` puts v at an element of x, `x.a = v` at its property a, `x = v` replaces it; `f(x)`,
`y = x`, `return x`, `{ x }` let it go where advisor does not follow it (it may change there); a
method advisor does not know changes it in a way it cannot say.  `chain` is where in the variable
the use acts: `where.values.push(v)` writes at .values[*], and so leaves `where.pattern` alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.facts.js_scope import ITEM, KEY, prop
from advisor.sources.js_syntax import WRAPPERS, JsFile, arg_list, unwrap

INDEX: tuple[str, ...] = ("index",)  # an element an array method adds (push, unshift, splice, fill): never `.length`
_GROWERS = {"push", "unshift", "splice", "fill"}
_PERMUTERS = {"sort", "reverse"}  # change the order only, and return the same array
CALLBACKS = frozenset(
    {"map", "forEach", "filter", "flatMap", "some", "every", "find", "findIndex", "findLast", "findLastIndex"}
)  # array methods that call their callback with (element, index, array)
_READERS = CALLBACKS | {
    "join",
    "slice",
    "concat",
    "indexOf",
    "lastIndexOf",
    "includes",
    "reduce",
    "reduceRight",
    "flat",
    "keys",
    "values",
    "entries",
    "at",
    "toString",
    "toUpperCase",
    "toLowerCase",
    "trim",
    "trimStart",
    "trimEnd",
    "startsWith",
    "endsWith",
    "split",
    "replace",
    "replaceAll",
    "substring",
    "substr",
    "charAt",
    "charCodeAt",
    "codePointAt",
    "padStart",
    "padEnd",
    "repeat",
    "match",
    "matchAll",
    "test",
    "search",
    "localeCompare",
    "hasOwnProperty",
    "has",
    "get",
    "toFixed",
    "toPrecision",
    "toISOString",
    "getTime",
    "normalize",
}
_READING_CALLS = {  # functions that read their arguments and keep no hold on them
    "Object.keys",
    "Object.values",
    "Object.entries",
    "Object.freeze",
    "Object.isFrozen",
    "Array.isArray",
    "Array.from",
    "JSON.stringify",
    "String",
    "Number",
    "Boolean",
    "parseInt",
    "parseFloat",
    "isNaN",
    "isFinite",
}
_SEARCHING = {"concat", "includes", "indexOf", "lastIndexOf"}  # read their arguments (concat copies elements)
_COPYING = {"push", "unshift"}  # `a.push(...x)` copies x's elements
_READ_CONTEXTS = {
    "template_substitution",
    "binary_expression",
    "unary_expression",
    "expression_statement",
    "if_statement",
    "while_statement",
    "do_statement",
    "for_statement",
    "switch_statement",
    "switch_case",
    "throw_statement",
    "parenthesized_expression",
}
ARRAY_MAKERS = {"map", "filter", "concat", "slice", "flatMap", "flat", "fill", "sort", "reverse", "split"}
_PATTERNS = {
    "object_pattern",
    "array_pattern",
    "pair_pattern",
    "assignment_pattern",
    "rest_pattern",
    "object_assignment_pattern",
}


@dataclass(frozen=True)
class Use:
    kind: str  # read | write (values land at chain) | changed (at chain, unknown how) | escape (goes elsewhere)
    chain: tuple = ()
    values: tuple = ()  # (node, steps inside it) that a write puts at chain
    keys: tuple = ()  # computed keys a write sets (`x[k] = v`)
    into: tuple | None = None  # an escape as the argument of a call by name: (call, position)
    alias: object = None  # an escape into a declaration (`const { a } = x`, `const y = x`): its name or pattern


def use_of(f: JsFile, ident) -> Use:
    """What the code does, at `ident`, to the variable it names."""
    node, chain, keys = ident, [], []
    while True:
        outer = _through_wrappers(node)
        parent = outer.parent
        if parent is None or parent.type not in ("member_expression", "subscript_expression"):
            break
        if parent.child_by_field_name("object") != outer:
            break
        step = member_step(f, parent)
        if step == ITEM:
            keys.append(parent.child_by_field_name("index"))
        chain.append(step)
        node = parent
    return _context(f, _through_wrappers(node), tuple(chain), tuple(keys))


def _through_wrappers(node):
    while node.parent is not None and node.parent.type in WRAPPERS:
        node = node.parent
    return node


def member_step(f: JsFile, node) -> tuple:
    """The step `a.b` (prop b), `a["b"]`, `a[0]` (prop 0) or `a[i]` (ITEM) takes from its object."""
    if node.type == "member_expression":
        p = node.child_by_field_name("property")
        return prop(f.src(p)) if p is not None else ITEM
    index = unwrap(node.child_by_field_name("index"))
    if index is not None and index.type == "string":
        from advisor.sources.js_syntax import string_value

        return prop(string_value(f, index) or "")
    if index is not None and index.type == "number" and f.src(index).isdigit():
        return prop(f.src(index))
    return ITEM


def _context(f: JsFile, top, chain: tuple, keys: tuple) -> Use:
    parent = top.parent
    if parent is None:
        return Use("read")
    t = parent.type
    if t == "call_expression" and parent.child_by_field_name("function") == top:
        if not chain:
            return Use("read")  # calling a function the variable holds
        return _method(f, parent, chain)
    if t == "assignment_expression" and parent.child_by_field_name("left") == top:
        return Use("write", chain, ((parent.child_by_field_name("right"), ()),), keys)
    if t == "augmented_assignment_expression" and parent.child_by_field_name("left") == top:
        op = f.src(parent.child_by_field_name("operator"))
        values = ((parent.child_by_field_name("right"), ()),) if op in ("+=", "??=", "||=", "&&=") else ()
        return Use("write", chain, values, keys)
    if t == "update_expression":
        return Use("write", chain, (), keys)  # a number
    if t == "for_in_statement" and parent.child_by_field_name("left") == top:
        of = f.src(parent.child_by_field_name("operator")) != "in"
        return Use("write", chain, ((parent.child_by_field_name("right"), (ITEM,) if of else (KEY,)),), keys)
    if (t in _PATTERNS and parent.child_by_field_name("right") != top) or top.type.endswith("_pattern"):
        return Use("changed", chain)  # assigned by destructuring: not followed (a default is read, below)
    if t == "unary_expression" and f.src(parent).startswith("delete"):
        return Use("read")  # removes: adds nothing
    return _flow(f, top, chain)


def _method(f: JsFile, call, chain: tuple) -> Use:
    """`x.a.push(v)`, `x.join()`, `x.sort()`, `x.unknown()`: the last step of the chain is the method."""
    receiver, (kind, *name) = chain[:-1], chain[-1]
    method = name[0] if kind == "prop" and name else None
    args = arg_list(call.child_by_field_name("arguments"))
    if method in _GROWERS:
        added = args[2:] if method == "splice" else args[:1] if method == "fill" else args
        values = tuple(
            (a.named_children[0], (ITEM,)) if a.type == "spread_element" and a.named_children else (a, ())
            for a in added
        )
        return Use("write", (*receiver, INDEX), values)
    if method in _PERMUTERS:
        return _flow(f, _through_wrappers(call), receiver)  # the same array, reordered: where does it go?
    if method in _READERS:
        return Use("read")
    return Use("changed", receiver)


def _flow(f: JsFile, top, chain: tuple) -> Use:
    """Where a value read at `chain` goes: a read, or somewhere it may change (an escape)."""
    node = top
    while node.parent is not None:
        p = node.parent
        if p.type in WRAPPERS or (p.type == "sequence_expression" and p.named_children[-1] == node):
            node = p
        elif p.type == "ternary_expression" and p.child_by_field_name("condition") != node:
            node = p
        elif p.type == "binary_expression" and f.src(p.child_by_field_name("operator")) in ("||", "&&", "??"):
            node = p
        else:
            break
    p = node.parent
    if p is None or p.type in _READ_CONTEXTS:
        return Use("read")
    if p.type == "ternary_expression" or p.type == "subscript_expression":
        return Use("read")  # the condition, or an index
    if p.type == "for_in_statement" and p.child_by_field_name("right") == node:
        return Use("read")
    if p.type == "spread_element":
        holder = p.parent
        if holder is not None and holder.type in ("array", "object"):
            return Use("read")  # copied
        if holder is not None and holder.type == "arguments":
            return _argument(f, holder, node, chain, spread=True)
        return Use("escape", chain)
    if p.type == "arguments":
        return _argument(f, p, node, chain, spread=False)
    if p.type == "variable_declarator" and p.child_by_field_name("value") == node:
        return Use("escape", chain, alias=p.child_by_field_name("name"))  # new names for the same value
    return Use("escape", chain)


def _argument(f: JsFile, args, top, chain: tuple, spread: bool) -> Use:
    """Passed to a call: read by the built-ins that keep no hold on it, let go to any other function."""
    call = args.parent
    fn = unwrap(call.child_by_field_name("function")) if call is not None else None
    if fn is None:
        return Use("escape", chain)
    name = f.src(fn)
    if name in _READING_CALLS or name.startswith("console."):
        return Use("read")
    method = f.src(fn.child_by_field_name("property")) if fn.type == "member_expression" else None
    if method in _SEARCHING or (spread and method in _COPYING):
        return Use("read")
    given = arg_list(args)
    at = next((i for i, a in enumerate(given) if a.start_byte <= top.start_byte < a.end_byte), -1)
    if fn.type == "identifier" and at >= 0 and not spread and not any(a.type == "spread_element" for a in given[:at]):
        return Use("escape", chain, into=(call, at))  # `f(x)`: what f does with it, advisor.facts.js_args
    return Use("escape", chain)  # `a.push(x)` stores x itself: it may change through a


def arrayish(f: JsFile, node) -> bool:
    """An expression whose value is an array by its shape: `[...]`, `x.map(...)`, `Object.keys(o)`."""
    node = unwrap(node)
    if node is None:
        return False
    if node.type == "array":
        return True
    if node.type == "new_expression":
        return f.src(node.child_by_field_name("constructor") or node) == "Array"
    if node.type != "call_expression":
        return False
    fn = unwrap(node.child_by_field_name("function"))
    if fn is None:
        return False
    if f.src(fn) in ("Object.keys", "Object.values", "Object.entries", "Array.from", "Array.of", "Array"):
        return True
    return fn.type == "member_expression" and f.src(fn.child_by_field_name("property")) in ARRAY_MAKERS


def _matches(a: tuple, b: tuple) -> bool:
    if a == b:
        return True
    if INDEX in (a, b):
        other = b if a == INDEX else a
        return other == ITEM or (other[0] == "prop" and other[1].isdigit())
    return ITEM in (a, b) and KEY not in (a, b)


def covers(prefix: tuple, path: tuple) -> bool:
    """`prefix` reaches a part of what `path` reaches: every step of it matches the path's."""
    return len(prefix) <= len(path) and all(_matches(a, b) for a, b in zip(prefix, path))
