"""MongoDB index declarations in JavaScript / TypeScript.

`createIndex` / `createIndexes` / `ensureIndex` calls (also through one level of helper
function), mongoose `schema.index()` and field options `index: true` / `unique: true` / `expires`, and
a package's index helper given a collection and a literal list of declarations (`buildDbIndexes(Orders,
[{ index: { userId: 1 }, options: { sparse: true } }])`).

A schema given to a function of the module that registers the model (`function setLockSchema(schema,
collection) { exports.lockModel = model("Medici_Lock", schema, collection) }`, called as
`setLockSchema(lockSchema)`) is that model's, and so are the indexes declared on the parameter inside it.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.ir import IndexDef, Location
from advisor.mongo.indexes import make_index, unread_index
from advisor.mongo.shape import Placeholder, pluralize
from advisor.sources.js_mongo_index_lists import listed_indexes
from advisor.sources.js_mongo_maps import iterated_lists
from advisor.sources.js_names import constant_string
from advisor.sources.js_nest import class_decorators, class_fields
from advisor.sources.js_receivers import resolve_receiver
from advisor.sources.js_schemas import passed_through, schema_models
from advisor.sources.js_syntax import (
    JsFile,
    arg_list,
    key_name,
    parameter_list,
    read_value,
    string_value,
    unchain,
    unwrap,
)
from advisor.sources.mongo_names import run_time

INDEX_METHODS = {"createIndex", "ensureIndex", "createIndexes"}


def _ttl_seconds(v: Any) -> Any:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    if isinstance(v, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?\s*", v)
        if m:
            n = float(m.group(1))
            mult = {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31557600}[
                m.group(2)
            ]
            return int(n * mult)
    return v


def schema_field_indexes(f: JsFile, obj, collection: str, model: str | None, prefix: str = "") -> list[IndexDef]:
    out = []
    state: dict = {"partial": False}
    for child in obj.named_children:
        key: str | None
        if child.type == "spread_element":  # `{ ...baseFields, name: {...} }`: the spread's fields are the schema's
            out += _spread_fields(f, obj, child, collection, model, prefix)
            continue
        if child.type == "shorthand_property_identifier":  # `{ created, ... }`, `created` an object of the module
            key, value = f.src(child), unwrap(f.resolve(f.src(child), child.start_byte))
        elif child.type == "pair":
            key, value = key_name(f, child.child_by_field_name("key")), unwrap(child.child_by_field_name("value"))
        else:
            continue
        if key is None or value is None or value.type != "object":
            continue
        spec = read_value(f, value, (), {}, state)
        if not isinstance(spec, dict):
            continue
        name = prefix + key
        # a nested path, as mongoose reads one: no `type`, or a `type` that is itself a field (`event: { type: {
        # type: String }, requestId: {...} }` holds the fields event.type and event.requestId)
        nested = "type" not in spec or (isinstance(spec["type"], dict) and "type" in spec["type"])
        if nested and depth_ok(prefix):
            out += schema_field_indexes(f, value, collection, model, name + ".")
            continue
        ix = field_index(f, name, spec, child, collection, model)
        if ix is not None:
            out.append(ix)
    return out


def _spread_fields(f: JsFile, obj, spread, collection: str, model: str | None, prefix: str) -> list[IndexDef]:
    """The field indexes of an object spread into a schema's definition: an object the module writes is read as
    the schema's own fields; one from elsewhere (`...universal.withCompanySchemaObj`, another package's, a
    call's result) may declare indexes advisor cannot see: a declaration whose keys it could not read. Its
    indexes are single fields of its own, and a field the definition writes after it replaces the spread's
    (`{ ...base, email: { type: String } }`): those it cannot index (`not_fields`)."""
    inner = [c for c in spread.named_children if c.type != "comment"]
    arg = unwrap(inner[0]) if inner else None
    value = unwrap(f.resolve(f.src(arg), arg.start_byte)) if arg is not None and arg.type == "identifier" else None
    if value is not None and value.type == "object" and depth_ok(prefix):
        return schema_field_indexes(f, value, collection, model, prefix)
    unread = unread_index(collection, f.loc(spread), model)
    unread.options["spread"] = True
    after = [c for c in obj.named_children if c.start_byte > spread.start_byte]
    written = [
        f.src(c) if c.type == "shorthand_property_identifier" else key_name(f, c.child_by_field_name("key"))
        for c in after
        if c.type in ("pair", "shorthand_property_identifier")
    ]
    unread.options["not_fields"] = tuple(sorted(prefix + k for k in written if k))
    return [unread]


def field_index(f: JsFile, name: str, spec: dict, at, collection: str, model: str | None) -> IndexDef | None:
    """The index a mongoose field's options declare (`index`, `unique`, `expires`), if one."""
    idx, uniq, sparse, expires = spec.get("index"), spec.get("unique"), spec.get("sparse"), spec.get("expires")
    if not (idx or uniq is True or expires is not None):
        return None
    opts: dict = {}
    if isinstance(idx, dict):  # `index: { unique: true, sparse: true }`: the index's options, mongoose's other form
        uniq = idx.get("unique") if uniq is None else uniq
        sparse = idx.get("sparse") if sparse is None else sparse
        expires = idx.get("expires", idx.get("expireAfterSeconds")) if expires is None else expires
        if isinstance(idx.get("partialFilterExpression"), dict):
            opts["partialFilterExpression"] = idx["partialFilterExpression"]
    if uniq is True:
        opts["unique"] = True
    if sparse is True:
        opts["sparse"] = True
    if expires is not None:
        opts["expireAfterSeconds"] = _ttl_seconds(expires)
    direction = idx if isinstance(idx, (int, str)) and not isinstance(idx, bool) and idx not in ("", True) else 1
    ix = make_index(collection, {name: direction}, opts, f.loc(at), model)
    if ix is not None:
        ix.options["field"] = True  # mongoose builds a schema's field indexes before its schema.index() ones
        if isinstance(idx, Placeholder):  # `index: options.index ?? true`: the caller may drop it
            ix.options["through"] = "a value known at run time"
    return ix


def class_field_indexes(f: JsFile, info: dict, collection: str, model: str | None) -> list[IndexDef]:
    """The field indexes of a NestJS schema class (advisor.sources.js_nest): each `@Prop({...})` read as a
    field written in a schema's definition; a decorator or base class that may declare one advisor cannot read
    is a declaration of keys it did not read. A class of another module: the same, at the schema's creation."""
    cls = info.get("nest")
    if cls is None:
        return [unread_index(collection, f.loc(info["at"]), model)]
    out: list[IndexDef] = []
    state: dict = {"partial": False}
    for name, spec_node, unreadable, at in class_fields(f, cls):
        if unreadable:
            out.append(unread_index(collection, f.loc(at), model))
            continue
        if spec_node is not None and spec_node.type == "call_expression" and _callee_text(f, spec_node) == "raw":
            args = arg_list(spec_node.child_by_field_name("arguments"))
            nested = unwrap(args[0]) if args else None  # `@Prop(raw({ city: { type: String, index: true } }))`
            if nested is not None and nested.type == "object":
                out += schema_field_indexes(f, nested, collection, model, f.src(name) + ".")
            continue
        spec = read_value(f, spec_node, (), {}, state) if spec_node is not None else None
        ix = field_index(f, f.src(name), spec, at, collection, model) if isinstance(spec, dict) else None
        if ix is not None:
            out.append(ix)
    for called, args, at in class_decorators(f, cls):  # typegoose's `@index(keys, options)`: a schema.index(...)
        if called == "typegoose.index" and args:
            keys = read_value(f, args[0], (), {}, state)
            opts = read_value(f, args[1], (), {}, state) if len(args) > 1 else {}
            ix = make_index(collection, keys, opts if isinstance(opts, dict) else {}, f.loc(at), model)
            out.append(ix or unread_index(collection, f.loc(at), model))
    return out


def depth_ok(prefix: str) -> bool:
    return prefix.count(".") < 4


def index_from_call(f: JsFile, base, calls, i: int) -> list[IndexDef]:
    method, args, call = calls[i]
    arglist = arg_list(args)
    state: dict = {"partial": False}
    loc = f.loc(call)
    fn = unwrap(call.child_by_field_name("function"))
    if fn is not None and fn.type == "member_expression":
        prop = fn.child_by_field_name("property")
        if prop is not None:
            loc = Location(
                f.path, prop.start_point[0] + 1, f.col(*prop.start_point), call.end_point[0] + 1, f.col(*call.end_point)
            )
    if method == "index":  # schema.index(keys, opts), model.schema.index(...)
        held = unwrap(base) if base is not None else None
        if i != 0 or held is None or held.type not in ("identifier", "member_expression") or not arglist:
            return []
        var = f.src(held)
        info = f.schemas.get(var) or _registered_here(f, call, var)
        if info is None and not (held.type == "identifier" and var.lower().endswith("schema")):
            return []
        given = unwrap(arglist[0])
        keys = read_value(f, passed_through(f, given), (), {}, state)  # index(hook.alter('x', {...}))
        opts = read_value(f, arglist[1], (), {}, state) if len(arglist) > 1 else {}
        out = []
        for model, coll in schema_models(var, info):  # every model compiled from the schema has its indexes
            ix = make_index(coll, keys, opts, loc, model)
            if ix is not None and given.type == "call_expression":
                ix.options["through"] = _callee_text(f, given)  # a hook may change its keys: no redundancy claimed
            out.append(ix or unread_index(coll, loc, model))  # keys built at run time: still a declaration
        return out
    listed = listed_indexes(f, base, calls, i)  # `this.#cl[idx.collection].createIndex(idx.key)` over a list
    if listed is not None:
        return listed
    receiver = resolve_receiver(f, base, calls[:i])
    if receiver is None or not arglist:
        return []
    coll, model, _ = receiver
    if method == "createIndexes":
        specs = read_value(f, arglist[0], (), {}, state)
        out = []
        for spec in specs if isinstance(specs, list) else []:
            if isinstance(spec, dict) and isinstance(spec.get("key"), dict):
                opts = {k: v for k, v in spec.items() if k != "key"}
                ix = make_index(coll, spec["key"], opts, loc, model)
                if ix:
                    out.append(ix)
        return out or _unread(f, call, coll, loc, model)
    opts = read_value(f, arglist[1], (), {}, state) if len(arglist) > 1 else {}
    looped = _looped_keys(f, arglist[0])
    if looped is not None:  # `for (const name of ['ptype', 'v0']) coll.createIndex({ [name]: 1 })`
        out = [ix for keys in looped if (ix := make_index(coll, keys, opts, loc, model)) is not None]
        return out if len(out) == len(looped) else _unread(f, call, coll, loc, model)
    keys = read_value(f, arglist[0], (), {}, state)
    ix = make_index(coll, keys, opts, loc, model)
    return [ix] if ix else _unread(f, call, coll, loc, model)


def _looped_keys(f: JsFile, node) -> list | None:
    """The keys of `createIndex({ [name]: 1 })` or `createIndex(name)` where `name` walks a literal list of field
    names (a `for ... of` variable, a `forEach`/`map` callback's parameter): one key document per name."""
    node = unwrap(node)
    direction: Any = 1
    if node is not None and node.type == "object" and len(node.named_children) == 1:
        pair = node.named_children[0]
        key = pair.child_by_field_name("key") if pair.type == "pair" else None
        if key is None or key.type != "computed_property_name" or not key.named_children:
            return None
        direction = read_value(f, pair.child_by_field_name("value"), (), {}, {"partial": False})
        node = unwrap(key.named_children[0])
    if node is None or node.type != "identifier":
        return None
    arrays = iterated_lists(f, node)
    names = [constant_string(f, c) for array in arrays for c in array.named_children if c.type != "comment"]
    if not names or any(n is None for n in names):
        return None
    return [{n: direction} for n in names]


def registering(f: JsFile) -> dict[str, tuple[int, str, str]]:
    """The functions of the module that register a mongoose model from a schema they are given, by name:
    (the schema parameter's position, the model's name, its collection: the one written, else mongoose's
    plural of the name; a collection parameter the callers may fill is not known)."""
    out: dict[str, tuple[int, str, str]] = {}
    for name, fns in f.functions.items() if "model" in f.text else ():
        params = [f.src(p.child_by_field_name("pattern") or p) for p in parameter_list(fns[0])]
        found = {r for call in _calls_in(fns[0]) if (r := _registration(f, call, params))} if len(fns) == 1 else set()
        if len(found) == 1:
            out[name] = found.pop()
    return out


def _calls_in(fn) -> list:
    out, todo = [], [fn.child_by_field_name("body")]
    while todo:
        node = todo.pop()
        if node is not None:
            out += [node] if node.type == "call_expression" else []
            todo += node.named_children
    return out


def _registration(f: JsFile, call, params: list[str]) -> tuple[int, str, str] | None:
    """`model("Medici_Lock", schema[, collection])` (also as compiled TypeScript calls it, `(0, m.model)(...)`)
    with `schema` one of `params`."""
    _, chain = unchain(f, call)
    args = arg_list(chain[-1][1]) if chain and chain[-1][0] == "model" and chain[-1][2] is call else []
    model = string_value(f, unwrap(args[0])) if len(args) >= 2 else None
    schema = f.src(unwrap(args[1])) if model else None
    if not model or schema not in params:
        return None
    coll = string_value(f, unwrap(args[2])) if len(args) > 2 else None
    return params.index(schema), model, coll or pluralize(model)


def register_schemas(f: JsFile) -> None:
    """Each schema of the module handed to a function that registers its model (`setLockSchema(lockSchema)`)
    belongs to that model."""
    for name, (at, model, coll) in registering(f).items():
        for call in f.called.get(name, ()):
            args = arg_list(call.child_by_field_name("arguments"))
            info = f.schemas.get(f.src(unwrap(args[at]))) if len(args) > at else None
            if info is not None and info.get("model") is None and not info.get("collection"):
                info["model"], info["collection"] = model, coll


def _registered_here(f: JsFile, call, var: str) -> dict | None:
    """`schema.index(...)` on a parameter of the function that registers the model from it."""
    fn = f.parent(call)
    while fn is not None and fn.type != "function_declaration":
        fn = f.parent(fn)
    name = f.src(fn.child_by_field_name("name")) if fn is not None and fn.child_by_field_name("name") else None
    found = registering(f).get(name) if name else None
    params = [f.src(p.child_by_field_name("pattern") or p) for p in parameter_list(fn)] if found else []
    if found is None or found[0] >= len(params) or params[found[0]] != var:
        return None
    return {"model": found[1], "collection": found[2]}


def _callee_text(f: JsFile, call) -> str:
    fn = call.child_by_field_name("function")
    return f.src(fn)[:60] if fn is not None else "a call"


def _unread(f: JsFile, call, coll: str, loc: Location, model: str | None) -> list[IndexDef]:
    """Keys held in a variable (`createIndex(this._indices)`): declared, but not readable here; inside a
    wrapper function called in this file, its call sites declare the indexes instead."""
    wrapper = _wrapper_of(f, call)
    return [] if wrapper is not None and _calls_of(f, wrapper[0]) else [unread_index(coll, loc, model)]


FUNCTIONS = {"function_declaration", "function_expression", "arrow_function", "function", "method_definition"}


def _wrapper_of(f: JsFile, call):
    """A function whose body calls createIndex with its parameters, one level deep:
    (name, collection: literal or parameter number, keys parameter number, options parameter number)."""
    base, chain = unchain(f, call)
    at = next((n for n, (m, _, _) in enumerate(chain) if m in ("createIndex", "ensureIndex")), None)
    if at is None:
        return None  # before the walk up: a call nested thousands deep is not walked up from for nothing
    fn = f.parent(call)
    while fn is not None and fn.type not in FUNCTIONS:
        fn = f.parent(fn)
    if fn is None:
        return None
    name_node = fn.child_by_field_name("name")
    if name_node is None and fn.parent is not None and fn.parent.type == "variable_declarator":
        name_node = fn.parent.child_by_field_name("name")
    params = fn.child_by_field_name("parameters")
    names = [f.src(p) for p in params.named_children] if params is not None else []
    if name_node is None or not names:
        return None
    args = [f.src(unwrap(a)) for a in arg_list(chain[at][1])]
    keys = names.index(args[0]) if args and args[0] in names else None
    opts = names.index(args[1]) if len(args) > 1 and args[1] in names else None
    coll: Any = None
    if at > 0 and chain[at - 1][0] == "collection":
        target = arg_list(chain[at - 1][1])
        coll = names.index(f.src(target[0])) if target and f.src(target[0]) in names else None
    if coll is None:
        got = resolve_receiver(f, base, chain[:at])
        coll = got[0] if got is not None else None
    if keys is None or coll is None:
        return None
    return f.src(name_node), coll, keys, opts


def _calls_of(f: JsFile, name: str) -> list[tuple]:
    """The calls of a wrapper in the file, with the arguments it is given: `createIndex('objects', ...)`,
    `this.ensureIndex(...)`, `async.apply(createIndex, 'objects', ...)`."""
    out = [(call, arg_list(call.child_by_field_name("arguments"))) for call in f.called.get(name, ())]
    for call in f.called.get("async.apply", ()):  # how nodebb hands a wrapper to async
        args = arg_list(call.child_by_field_name("arguments"))
        if args and f.src(unwrap(args[0])) == name:
            out.append((call, args[1:]))
    return sorted(out, key=lambda c: c[0].start_byte)


def wrapper_indexes(f: JsFile, calls: list) -> list[IndexDef]:
    """Index declarations made through such a wrapper: `createIndex('objects', { _key: 1 }, opts)`,
    also `async.apply(createIndex, 'objects', ...)`."""
    wrappers = {w[0]: w[1:] for w in (_wrapper_of(f, c) for c in calls) if w is not None}
    out: list[IndexDef] = []
    state: dict = {"partial": False}
    for name, (coll, keys, opts) in wrappers.items():
        for call, args in _calls_of(f, name):
            target = string_value(f, unwrap(args[coll])) if isinstance(coll, int) and len(args) > coll else coll
            if not isinstance(target, str) or not target or len(args) <= keys:
                continue
            options = read_value(f, args[opts], (), {}, state) if opts is not None and len(args) > opts else {}
            ix = make_index(target, read_value(f, args[keys], (), {}, state), options, f.loc(call))
            if ix is not None:
                out.append(ix)
    return sorted(out, key=lambda ix: (ix.location.line, ix.location.col) if ix.location else (0, 0))


_HELPER = re.compile(r"\w*[Ii]ndex(es)?\w*")  # a function named for indexes: buildDbIndexes, ensureIndexes
_ENTRY_KEYS = ("index", "key", "keys")  # where an entry of such a list holds its key pattern


def helper_list_indexes(f: JsFile, calls: list) -> list[IndexDef]:
    """`buildDbIndexes(Orders, [{ index: { userId: 1, status: 1 } }, { index: { orderNumber: 1 }, options: {
    sparse: true } }])`: a function named for indexes, imported from a package (its body is not the project's to
    read), given a collection the module names and a literal list whose every entry holds a key pattern under
    `index` / `key` / `keys` (its options under `options`, or beside it, as createIndexes takes them). A function
    of the project is read through its body instead (wrapper_indexes)."""
    out: list[IndexDef] = []
    for call in calls:
        fn = unwrap(call.child_by_field_name("function"))
        if fn is None or fn.type != "identifier" or not _HELPER.fullmatch(f.src(fn)):
            continue
        module = f.imports.get(f.src(fn))
        if module is None or module.startswith("."):
            continue
        args = arg_list(call.child_by_field_name("arguments"))
        entries = unwrap(args[1]) if len(args) >= 2 else None  # (a third: the helper's own options)
        if entries is None or entries.type != "array" or not entries.named_children:
            continue
        rb, rcalls = unchain(f, args[0])
        got = resolve_receiver(f, rb, rcalls) if rb is not None or rcalls else None
        if got is None or run_time(got[0]):
            continue
        state: dict = {"partial": False}
        found: list[IndexDef] = []
        for item in entries.named_children:
            value = read_value(f, item, (), {}, state) if item.type == "object" else None
            key = next((k for k in _ENTRY_KEYS if isinstance(value, dict) and isinstance(value.get(k), dict)), None)
            if key is None or not isinstance(value, dict):
                found = []
                break  # an entry of another shape: not a list of declarations advisor knows
            options = value.get("options", {k: v for k, v in value.items() if k != key})
            ix = make_index(got[0], value[key], options, f.loc(item), got[1])
            if ix is not None:
                found.append(ix)
        out += found
    return out
