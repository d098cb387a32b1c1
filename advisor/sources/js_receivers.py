"""What a MongoDB call in JavaScript / TypeScript is made on: a collection, a mongoose model.

`db.collection('x')`, mongosh `db.x`, `mongoose.model('X', schema)` and the names bound to
them, collections held on `this`, models required from the project's own modules.
"""

from __future__ import annotations

import re

from advisor.mongo.shape import pluralize
from advisor.sources.js_mongo_factories import called, factory_of, imported_call, imported_member, made
from advisor.sources.js_mongo_held import held_collection
from advisor.sources.js_mongo_maps import holder, members
from advisor.sources.js_mongo_members import held_values
from advisor.sources.js_names import (
    collection_name,
    constant_string,
    getter,
    object_of,
    passed,
    property_value,
    returned,
)
from advisor.sources.js_nest import injected_model
from advisor.sources.js_registry import REGISTRY, registry_member, registry_name
from advisor.sources.js_syntax import (
    FUNCTIONS,
    OPENERS,
    WRAPPERS,
    JsFile,
    arg_list,
    is_this,
    member_parts,
    required,
    string_value,
    unchain,
    unwrap,
)
from advisor.sources.mongo_names import UNKNOWN, named_for_collection, run_time_name

GLOBALS = {
    "Array",
    "Object",
    "Promise",
    "Math",
    "JSON",
    "Date",
    "Number",
    "String",
    "Reflect",
    "Map",
    "Set",
    "Boolean",
    "Symbol",
    "Intl",
    "Buffer",
    "URL",
    "Error",
    "RegExp",
    "BigInt",
    "WeakMap",
    "WeakSet",
    "React",
    "Vue",
    "Ember",
    "Immutable",
    "_",
    "R",
    "Lodash",
    "Collection",
}


def _is_db_expr(f: JsFile, node) -> bool:
    node = unwrap(node)
    if node is None:
        return False
    if node.type == "identifier":
        name = f.src(node)
        return bool(re.fullmatch(r"(db|database|mongoDb|mongodb|mongo|conn|connection|\w*Db|\w*DB|\w*_db)", name))
    if node.type == "member_expression":
        _, prop = member_parts(f, node)
        return prop in ("db", "database", "connection", "mongoDb", "mongodb") or bool(
            re.fullmatch(r"\w*(Db|DB|_db)", prop or "")
        )
    if node.type == "call_expression":
        fn = unwrap(node.child_by_field_name("function"))
        if fn is not None:
            _, prop = member_parts(f, fn)
            return prop in ("db", "getSiblingDB", "getDB", "useDb")
    return False


def _model_collection(f: JsFile, model: str) -> str:
    for _var, (name, coll) in f.models.items():
        if name == model and coll:
            return coll
    return pluralize(model)


MAX_DEPTH = 8  # how many names, calls and promises a receiver is followed through
MAX_STEPS = 200  # and how many steps one receiver may take in all (minified code branches at every name)


def resolve_receiver(f: JsFile, base, calls_before: list, depth: int = 0):
    """What a query method was called on: (collection, model or None, driver?) or None."""
    f.receiver_steps = 1 if depth == 0 else f.receiver_steps + 1
    if depth > MAX_DEPTH or f.receiver_steps > MAX_STEPS:
        return None
    if calls_before:
        return _from_call(f, base, calls_before, depth)
    base = unwrap(base)
    if base is None:
        return None
    if base.type in ("identifier", "shorthand_property_identifier"):  # `{ subscriptions }`: the name's
        return _from_name(f, base, depth)
    if base.type == "call_expression":  # `(async () => { ...; return collection; })()`
        return _from_value(f, returned(base.child_by_field_name("function")), depth)
    if base.type == "this":  # `this.find(...)` in a schema's static: the model (in a method, a document's own)
        schema = _schema_of_this(f, base, alias=False, statics=True)
        return (schema["collection"], schema["model"], False) if schema is not None else None
    return _from_member(f, base, depth)


def _from_value(f: JsFile, value, depth: int):
    """The collection an expression evaluates to."""
    if value is None:
        return None
    rb, rcalls = unchain(f, value)
    return resolve_receiver(f, rb, rcalls, depth + 1)


def _from_call(f: JsFile, base, calls_before: list, depth: int):
    """The collection a call returns: `db.collection('x')`, `getCollection('x')`, a promise of one
    (`.then(cb)`: what the callback returns; `.catch()`, `.finally()`: the same), a function or a
    method of the class defined in the file (what it returns)."""
    method, args, call = calls_before[-1]
    args = arg_list(args)
    if method in OPENERS and args:
        return collection_name(f, args[0]), None, True
    if method in ("initializeUnorderedBulkOp", "initializeOrderedBulkOp", "catch", "finally"):
        return resolve_receiver(f, base, calls_before[:-1], depth + 1)  # a bulk of the collection's, the promise
    if method == "then" and args:  # a promise of a collection: what its callback returns
        value = returned(args[0])
        return _from_value(f, value, depth) if value is not None else None
    if method == "model" and args:
        name = string_value(f, unwrap(args[0]))
        if name is not None:
            return _model_collection(f, name), name, False
    if len(calls_before) != 1:
        return None
    if base is None:  # getLockCollection(db): a local function's result
        fn = f.binding(method, call.start_byte)
        local = fn is not None and unwrap(fn).type in FUNCTIONS
        if not local and imported_call(f, call) is not None:  # the module it comes from says (links.py)
            return run_time_name(f.src(call)), None, False
        return _from_function(f, fn, call, depth)
    if is_this(f, unwrap(base)) and method in f.methods:  # this.getCollection(): the class's method's result
        got = _from_function(f, f.methods[method], call, depth)
        if got is None and GETTER.fullmatch(method):  # `await this.getModel(params)`: the caller's, unknown
            return run_time_name(f.src(call)), None, True
        return got
    return None


GETTER = re.compile(r"_*get\w*(Model|Collection)")  # a method named for giving the class its collection


def _from_function(f: JsFile, fn, call, depth: int):
    """What a call of a function of the file gives: the model or collection a factory opens with the
    arguments given (advisor.sources.js_mongo_factories), else what it returns."""
    factory = factory_of(f, fn)
    if factory is not None:
        return made(factory, *called(f, call), f.src(call))
    return _from_value(f, returned(fn), depth)


def _from_name(f: JsFile, base, depth: int):
    """The collection a name holds: a model, a variable's value, what a promise callback is given."""
    name = f.src(base)
    if name in f.models:
        model, coll = f.models[name]
        return coll or pluralize(model), model, False
    resolved = f.resolve(name, base.start_byte)
    if resolved is None and (got := _injected(f, base, name)) is not None:  # a constructor's injected model
        return got
    key = registry_name(f, base) if resolved is None and REGISTRY in f.text else None
    if key is not None:  # `const { Accounts } = context.collections` (advisor.sources.js_registry)
        return key, None, True
    got = _fallback(f, resolved, depth) if resolved is not None and resolved.type == "binary_expression" else None
    if got is not None:
        return got
    if resolved is not None:
        rb, rcalls = unchain(f, resolved)
        if rcalls or (rb is not None and rb.type in ("member_expression", "subscript_expression", "identifier")):
            got = resolve_receiver(f, rb, rcalls, depth + 1)
            if got is not None:
                return got
    if resolved is None:  # `promise.then(c => c.find(...))`: c is what the promise holds
        got = _from_value(f, _promised(f, base), depth) or _from_arguments(f, base, depth)
        if got is not None:
            return got
    if resolved is not None and resolved.type == "new_expression":  # new Mongo.Collection('tasks')
        ctor = resolved.child_by_field_name("constructor")
        args = arg_list(resolved.child_by_field_name("arguments"))
        coll = string_value(f, unwrap(args[0])) if args else None
        if ctor is not None and f.src(ctor).endswith("Collection") and coll:
            return coll, None, True
    if name[:1].isupper() and name not in GLOBALS and not name.isupper():
        if _model_binding(f, name, resolved, base.start_byte):
            return pluralize(name), name, False
        if name not in f.imports and f.destructured_from(name, base.start_byte) is not None:
            return run_time_name(name), None, True  # `const { Model } = getGlobal(...)`: the call's model
    m = re.fullmatch(r"(\w+?)(Collection|Coll|_collection|_coll)", name)
    if m:
        return m.group(1), None, True
    if COLLECTION_NAME.fullmatch(name):  # a `collection` parameter: the caller's, named at run time
        return run_time_name(name), None, True
    return None


def _fallback(f: JsFile, value, depth: int):
    """`req.submissionModel || resources.submission.model`: an override, else the default. Both the
    same collection: that one; only the default known: the default's model, under the whole
    expression's name (a collection known only at run time, whose shape is a sketch)."""
    operator = value.child_by_field_name("operator")
    if operator is None or f.src(operator) not in ("||", "??"):
        return None
    left, right = (_from_value(f, value.child_by_field_name(side), depth) for side in ("left", "right"))
    if left is not None and left == right:
        return left
    if right is None or left is not None:
        return None
    return run_time_name(f.src(value)), right[1], right[2]


def _from_arguments(f: JsFile, param, depth: int):
    """A parameter: the collection every call of its function in the file passes for it, if one."""
    got = {_from_value(f, arg, depth) for arg in passed(f, param)}
    return got.pop() if len(got) == 1 else None


def _from_member(f: JsFile, base, depth: int):
    """The collection a property holds: `this.jobs`, `User.collection`, `db.users`, a getter's result;
    one named like a collection (`req.collection`, `this._mongoCollection`) that advisor cannot follow
    is the collection that expression holds at run time."""
    obj, prop = member_parts(f, base)
    if not prop and base.type == "subscript_expression":  # `database.collections[COLLECTION_NAME]`: a registry's
        key = constant_string(f, base.child_by_field_name("index"), defaults=False, bound=f.bound)
        if key is not None and registry_member(f, base.child_by_field_name("object"), key) is not None:
            return key, None, True
    if not prop:
        return _keyed(f, base, depth)
    obj = unwrap(obj)
    if obj is not None and is_this(f, obj):
        if prop == "collection" and (schema := _schema_of_this(f, base, alias=obj.type != "this")) is not None:
            return schema["collection"], schema["model"], True  # `this.collection` in a static or a method: the model's
        return _injected(f, base, prop) or _member_collection(f, prop, depth) or _given_collection(f, base, prop)
    got = _map_member(f, obj, prop, depth)
    if got is not None:
        return got
    if prop == "collection" and obj is not None and obj.type == "identifier":
        got = resolve_receiver(f, obj, [], depth + 1)
        if got is not None and got[1] is not None:
            return got[0], got[1], True  # User.collection: the model's collection, through the driver
    if obj is not None and obj.type == "member_expression":
        _, oprop = member_parts(f, obj)
        if oprop == "models" and prop[:1].isupper():
            return _model_collection(f, prop), prop, False
    # `const db = await getDb(); db.U.find()` with getDb returning `{ U: _db.collection(...) }`
    got = _from_value(f, property_value(f, object_of(f, obj), prop), depth)
    if got is None and obj is not None and obj.type == "identifier":
        got = _object_member(f, obj, prop, depth)
    if got is not None:
        return got
    if registry_member(f, obj, prop) is not None:  # `context.collections.Accounts` (advisor.sources.js_registry)
        return prop, None, True
    if _is_db_expr(f, obj) and prop not in (*OPENERS, "runCommand", "admin", "command"):
        return prop, None, True
    if prop == "model" and obj is not None and obj.type == "member_expression" and _rooted(f, obj):
        # a registry's model, `router.app.resources.form.model`: the model `form` if the project names one
        # (advisor.sources.links); until then a model of unknown collection
        return run_time_name(f.src(base)), member_parts(f, obj)[1], False
    if named_for_collection(prop) and _rooted(f, obj):  # another module's: this.apos.cache.cacheCollection
        return run_time_name(f.src(base)), None, True
    if imported_member(f, base) is not None:  # `Device.model`, Device required: its module says (links.py)
        return run_time_name(f.src(base)), None, False
    return None


_STATICS = frozenset({"statics", "static"})
_SCHEMA_MEMBERS = _STATICS | {"methods", "method"}


def _schema_of_this(f: JsFile, use, alias: bool, statics: bool = False) -> dict | None:
    """The mongoose schema whose model (or document) `this` is where `use` stands: in a function assigned to a
    static or a method of a schema the file compiles into a model (`CronJob.statics.lock = function () {...}`,
    `schema.methods.touch = function () {...}`, `schema.static('lock', function () {...})`); `self` there too,
    from a function nested in it (`const self = this`); else None."""
    node = f.parent(use)
    while node is not None:
        if node.type in ("method_definition", "class_body"):
            return None  # a class's own `this`
        if node.type in ("function_expression", "function", "function_declaration"):
            info = _schema_member(f, node, _STATICS if statics else _SCHEMA_MEMBERS)
            if info is not None or not alias:
                return info
        node = f.parent(node)
    return None


def _schema_member(f: JsFile, fn, kinds: frozenset[str]) -> dict | None:
    """The schema (js_schemas: `f.schemas`, compiled into a model) a function is a member of, of one of `kinds`."""
    parent = f.parent(fn)
    while parent is not None and parent.type in WRAPPERS:
        parent = f.parent(parent)
    target = None
    if parent is not None and parent.type == "assignment_expression":
        left = unwrap(parent.child_by_field_name("left"))
        owner = member_parts(f, left)[0] if left is not None and left.type == "member_expression" else None
        target = unwrap(owner) if owner is not None and owner.type == "member_expression" else None
    elif parent is not None and parent.type == "arguments":
        call = f.parent(parent)
        target = unwrap(call.child_by_field_name("function")) if call is not None else None
    if target is None or target.type != "member_expression":
        return None
    schema, kind = member_parts(f, target)
    info = f.schemas.get(f.src(schema)) if schema is not None and kind in kinds else None
    return info if info is not None and info.get("model") else None


def held_member(f: JsFile, obj, name: str):
    """The collection `obj[name]` is, when `obj` is an object on `this` holding collections by name
    (advisor.sources.js_mongo_maps): `this.#cl.retained`, also through a parameter every call passes it for."""
    return _map_member(f, unwrap(obj), name, 0)


def _map_member(f: JsFile, obj, name: str, depth: int):
    held = _held_map(f, obj)
    if held is None or name not in held:
        return None
    got = {_member_value(f, value, depth) for value in held[name]}
    return got.pop() if len(got) == 1 else None


def _member_value(f: JsFile, value, depth: int):
    return (value, None, True) if isinstance(value, str) else _from_value(f, value, depth)


def _held_map(f: JsFile, obj) -> dict[str, list] | None:
    """The members of the object on `this` an expression is: `this.#cl`, a name given it, a parameter
    every call of its function passes it for (`updatePacket(this.#cl, ...)`)."""
    if obj is None:
        return None
    prop = holder(f, obj)
    if prop is None and obj.type == "identifier":
        resolved = f.resolve(f.src(obj), obj.start_byte)
        props = {holder(f, a) for a in ([resolved] if resolved is not None else passed(f, obj))}
        prop = props.pop() if len(props) == 1 else None
    return members(f, prop) or None if prop is not None else None


def _keyed(f: JsFile, base, depth: int):
    """`this.#cl[name]` on an object holding collections: the member a constant key (or the literal a loop
    stands at, `f.bound`) names; with a key known only at run time, that collection named at run time
    (its shape a sketch: advisor.sources.mongo_names), when every member is a driver collection."""
    if base.type != "subscript_expression":
        return None
    obj = unwrap(base.child_by_field_name("object"))
    held = _held_map(f, obj)
    if not held:
        return None
    key = constant_string(f, base.child_by_field_name("index"), defaults=False, bound=f.bound)
    if key is not None:
        return _map_member(f, obj, key, depth)
    kinds = {_member_value(f, value, depth) for values in held.values() for value in values}
    if all(k is not None and k[1] is None and k[2] for k in kinds):
        return run_time_name(f.src(base)), None, True
    return None


def _object_member(f: JsFile, obj, prop: str, depth: int):
    """`obj.file.find()` after `obj.file = db.collection('m')`: that collection, when every value the use
    may see (advisor.sources.js_mongo_members) is the same driver collection (never another library's)."""
    got = {_from_value(f, value, depth) for value in held_values(f, obj, prop)}
    one = got.pop() if len(got) == 1 else None
    return one if one is not None and one[1] is None and one[2] else None


COLLECTION_NAME = re.compile(r"_*(collection|coll|col)", re.IGNORECASE)  # a variable named for what it holds


def _member_collection(f: JsFile, prop: str, depth: int):
    """A collection held on `this`: `this.jobs = db.collection('jobs')` in this file (or a getter
    returning one) gives its name; a member named like a collection (`this._collection`, `this.col`)
    that advisor cannot name is called by that name, so its indexes and queries in other files meet."""
    held = list(f.members.get(prop, ()))
    if prop in f.methods and getter(f, f.methods[prop]) == prop:
        held.append(returned(f.methods[prop]))
    for value in held:
        if value is None:
            continue
        rb, rcalls = unchain(f, value)
        if named_for_collection(prop) and _named_at_run_time(f, rcalls):
            break  # other files reach it as this.<prop>: one name for it everywhere
        got = resolve_receiver(f, rb, rcalls, depth + 1) if rcalls or rb is not None else None
        if got is not None and named_for_collection(prop) and UNKNOWN.fullmatch(got[0]):
            break  # a constructor's `collection` parameter: the same, other files reach it as this.<prop>
        if got is not None:
            return got
    if named_for_collection(prop):
        return f"this.{prop}", None, True
    return None


def _injected(f: JsFile, use, name: str):
    """A NestJS model the class's constructor is given by `@InjectModel(...)` (advisor.sources.js_nest): the
    collection of the model it names (the project's schema class settles it: advisor.sources.links), else one
    known only at run time."""
    injected, model = injected_model(f, use, name)
    if not injected:
        return None
    return (_model_collection(f, model), model, False) if model else (run_time_name(f.src(use)), None, False)


def _given_collection(f: JsFile, use, prop: str):
    """`this.mongodb` holding the collection the class's constructor is given (js_mongo_held)."""
    name = held_collection(f, use, prop)
    return (name, None, True) if name is not None else None


def _rooted(f: JsFile, node) -> bool:
    """`this.a.b`, `req.a`, `state.a.b`: a member chain that starts at a name (not at a call)."""
    while node is not None and node.type == "member_expression":
        node = unwrap(node.child_by_field_name("object"))
    return node is not None and (node.type == "identifier" or is_this(f, node))


def _model_binding(f: JsFile, name: str, resolved, at: int) -> bool:
    """Whether a capitalised name not bound by mongoose.model() here is a model from elsewhere:
    imported or required from the project's own modules (not a package such as a pagination,
    Sequelize or lodash library), destructured from such a module (`import * as Channels`, then
    `const { ChannelModel } = Channels`), a key of a models registry (`const { User } = mongoose.models`),
    or a free name. A class declared in the file (with a static find) is not one, nor a name
    destructured from anything else (`const { Model } = getGlobal(...)`: whichever model the call
    gives, payload's)."""
    if name in f.classes:
        return False
    source = f.destructured_from(name, at) if name not in f.imports else None
    if source is not None and source.type == "identifier":  # `const { ChannelModel } = Channels`: a module's
        held = f.src(source)
        module = f.imports.get(held) or _required_module(f, f.resolve(held, source.start_byte))
        if module is not None:
            return module.startswith(".") or "model" in module.lower()
    if source is not None:
        return f.src(source).lower().endswith("models")
    module = f.imports.get(name)
    if module is None and resolved is not None:
        required = _required_module(f, resolved)
        if required is None:
            return False  # bound to something else here (new X(), sequelize.define(...))
        module = required
    if module is not None:
        return module.startswith(".") or "model" in module.lower()
    return True  # a free name: a global model, or a snippet


def _required_module(f: JsFile, node) -> str | None:
    """`require('x')` or `require('x').Y`: the module 'x'."""
    node = unwrap(node)
    if node is not None and node.type == "member_expression":
        node = node.child_by_field_name("object")
    return required(f, node)


def _named_at_run_time(f: JsFile, calls: list) -> bool:
    """`db.collection(name)` whose name is not a literal written there."""
    if not calls or calls[-1][0] not in OPENERS:
        return False
    args = arg_list(calls[-1][1])
    return bool(args) and constant_string(f, args[0], defaults=False) is None


def _promised(f: JsFile, ident):
    """`p.then(c => ...)`, `p.then(function (c) {...})`: for the callback's first parameter `c`, the
    expression `p` (a promise of what `c` is)."""
    name = f.src(ident)
    fn = f.parent(ident)
    while fn is not None and fn.type not in ("arrow_function", "function_expression", "function"):
        fn = f.parent(fn)
    if fn is None:
        return None
    params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
    first = (
        params
        if params is not None and params.type == "identifier"
        else (next(iter(params.named_children), None) if params is not None else None)
    )
    if first is not None and first.type == "required_parameter":
        first = first.child_by_field_name("pattern")
    if first is None or f.src(first) != name:
        return None
    args = f.parent(fn)
    call = args.parent if args is not None and args.type == "arguments" else None
    if call is None or call.type != "call_expression" or arg_list(args)[:1] != [fn]:
        return None
    callee = unwrap(call.child_by_field_name("function"))
    if callee is None or callee.type != "member_expression" or member_parts(f, callee)[1] != "then":
        return None
    return callee.child_by_field_name("object")
