"""A collection a JavaScript function receives as a parameter from another module of the project: the JavaScript
side of advisor.sources.pymongo_slots, settled by the same `settle_slots` once every file is read.

    export const configureOrderPaymentsModule = ({ OrderPayments }) => ({
        findOrderPayment: ({ orderPaymentId }) => OrderPayments.findOne({ _id: orderPaymentId }),
    })

is called in another module as `configureOrderPaymentsModule({ OrderPayments })`, after `const OrderPayments =
await OrderPaymentsCollection(db)`, a factory of a third module returning `db.collection('order_payments')`. The
module holding the query cannot name the collection, its callers can. A query on a parameter of a named function
(a plain one, by its position; a key of an object pattern the function takes first, by its key) is that function's
`Slot`; each call of a function by name records what it passes (`Passed`): a collection the caller names, a factory
call another module settles (`Made`, named before the slots are settled), or its own parameter handed on. A name
advisor guessed for the parameter (a capitalised one read as a model, `<collection>`) stays when no caller passes a
collection, as before; callers that disagree make it a collection named at run time, its shape a sketch.
"""

from __future__ import annotations

from advisor.sources.js_flow import function_name
from advisor.sources.js_mongo_factories import DEFAULT, NAMESPACE, import_of, imported_call
from advisor.sources.js_syntax import (
    FUNCTIONS,
    OPENERS,
    JsFile,
    arg_list,
    is_this,
    key_name,
    member_parts,
    parameter_list,
    unwrap,
)
from advisor.sources.pymongo_slots import Passed, Slot

_NAMED_BY = ("function_declaration", "variable_declarator")  # `function f(x)`, `const f = (x) => ...`


def parameter_slot(f: JsFile, name_node) -> Slot | None:
    """The slot `name_node` (an identifier) reads, when it names a parameter of the function it is in, and that
    function is called by a name of its own (not a method: its receiver's class is not known here)."""
    if name_node is None or name_node.type not in ("identifier", "shorthand_property_identifier"):
        return None
    name = f.src(name_node)
    fn = f.parent(name_node)
    while fn is not None:
        if fn.type in FUNCTIONS:
            found = _parameter(f, fn, name)
            if found is not None:
                if not _named_function(fn):
                    return None
                called = function_name(f, fn)
                return Slot("", called, *found) if called else None
        fn = f.parent(fn)
    return None


def _named_function(fn) -> bool:
    if fn.type == "function_declaration":
        return True
    holder = fn.parent
    return holder is not None and holder.type in _NAMED_BY


def _parameter(f: JsFile, fn, name: str) -> tuple[str, int] | None:
    """(parameter, position) for a plain parameter `name`, (key, -1) for `{ key }` / `{ key: name }` of the first
    parameter's object pattern; None when the function binds no such parameter."""
    for position, p in enumerate(parameter_list(fn)):
        node = p.child_by_field_name("pattern") if p.type in ("required_parameter", "optional_parameter") else p
        if node is not None and node.type == "assignment_pattern":
            node = node.child_by_field_name("left")
        if node is None:
            continue
        if node.type == "identifier" and f.src(node) == name:
            return name, position
        if node.type == "object_pattern" and position == 0:
            for part in node.named_children:
                if part.type == "object_assignment_pattern":
                    part = part.child_by_field_name("left")
                if part is not None and part.type == "shorthand_property_identifier_pattern" and f.src(part) == name:
                    return name, -1
                if part is not None and part.type == "pair_pattern":
                    value = part.child_by_field_name("value")
                    if value is not None and value.type == "identifier" and f.src(value) == name:
                        key = key_name(f, part.child_by_field_name("key"))
                        return (key, -1) if key else None
    return None


def passed_calls(
    f: JsFile, calls: list, resolve, own: set[str]
) -> tuple[list[Passed], dict[tuple[str, str | None, bool], int]]:
    """Each call of a function by its name (`configure({ OrderPayments })`, `purge(jobs)`) passing a collection, a
    factory's call or a parameter of its own, and how many calls of each name the file makes. `resolve(node)`:
    the collection a value holds, as the module names it, or None; `own`: the functions of this file with a slot
    (the others' arguments are read only for a function another module of the project exports)."""
    passed: list[Passed] = []
    counts: dict[tuple[str, str | None, bool], int] = {}
    for call in calls:
        fn = unwrap(call.child_by_field_name("function"))
        if fn is None or fn.type != "identifier":
            continue
        name = f.src(fn)
        counts[(name, "", False)] = counts.get((name, "", False), 0) + 1
        if name not in own and import_of(f, name) is None:
            continue  # a global, a package's or this file's function without a slot: nothing of the slots'
        passed += _passing(f, call, name, "", False, resolve)
    return passed, counts


def passed_constructions(f: JsFile, resolve) -> tuple[list[Passed], dict[tuple[str, str | None, bool], int]]:
    """Each `new Class(...)` of a class of the project (declared here, imported, or a member of a module bound whole:
    TypeScript's CommonJS `new metrics_1.Metrics(...)`) passing a collection, for the slots of its constructor
    (advisor.sources.js_mongo_held.constructor_slot), and how many constructions of each class the file makes."""
    passed: list[Passed] = []
    counts: dict[tuple[str, str | None, bool], int] = {}
    for node in f.news:
        made = unwrap(node.child_by_field_name("constructor"))
        name = None
        if made is not None and made.type == "identifier":
            name = f.src(made) if f.src(made) in f.classes or import_of(f, f.src(made)) is not None else None
        elif made is not None and made.type == "member_expression":
            obj, prop = member_parts(f, made)
            whole = import_of(f, f.src(unwrap(obj))) if obj is not None and unwrap(obj).type == "identifier" else None
            name = prop if whole is not None and whole[1] in (DEFAULT, NAMESPACE) else None
        if not name:
            continue
        counts[("__init__", name, True)] = counts.get(("__init__", name, True), 0) + 1
        passed += _passing(f, node, "__init__", name, True, resolve)
    return passed, counts


def _passing(f: JsFile, call, function: str, owner: str, built: bool, resolve) -> list[Passed]:
    """What a call (or a construction) passes by position, and by key of the object it gives first: one Passed,
    when some of it is a collection, a factory's call or a parameter handed on."""
    args = arg_list(call.child_by_field_name("arguments"))
    positional = tuple(_given(f, a, resolve) for a in args)
    first = unwrap(args[0]) if args else None
    keywords = (
        tuple((key, _given(f, value, resolve)) for key, value in _properties(f, first) if key is not None)
        if first is not None and first.type == "object"
        else ()
    )
    if any(g is not None for g in positional) or any(g is not None for _, g in keywords):
        return [Passed(function, owner, positional, keywords, built)]
    return []


def _properties(f: JsFile, obj) -> list:
    out: list[tuple[str | None, object]] = []
    for part in obj.named_children:
        if part.type == "shorthand_property_identifier":
            out.append((f.src(part), part))
        elif part.type == "pair":
            out.append((key_name(f, part.child_by_field_name("key")), part.child_by_field_name("value")))
    return out


def _given(f: JsFile, node, resolve):
    """What an argument passes: the caller's own parameter handed on (a Slot), another module's factory called
    (`await OrdersCollection(db)`, a Made), a collection the module names, or None."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type in ("identifier", "shorthand_property_identifier"):
        name = f.src(node)
        slot = parameter_slot(f, node)
        if slot is not None:
            return slot
        value = unwrap(f.resolve(name, node.start_byte))
        if value is not None and value.type == "call_expression" and (m := imported_call(f, value)) is not None:
            return m
        return resolve(node) if value is not None else None  # bound here: what it holds, as the module names it
    if node.type == "member_expression" and is_this(f, unwrap(node.child_by_field_name("object"))):
        return resolve(node)  # `this.jobModel`: the model or collection the class holds there, as the module names it
    if node.type == "call_expression":  # `purge(db.collection('jobs'))`, another module's factory called
        m = imported_call(f, node)
        return m if m is not None else resolve(node) if _opens(f, node) else None
    return None  # a member, a literal...: nothing a caller names a collection by, and not worth following


def _opens(f: JsFile, call) -> bool:
    """`x.collection('jobs')` (or another opener): a call that opens a collection by name."""
    fn = unwrap(call.child_by_field_name("function"))
    prop = fn.child_by_field_name("property") if fn is not None and fn.type == "member_expression" else None
    return prop is not None and f.src(prop) in OPENERS
