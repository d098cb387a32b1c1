"""Mongoose schemas wherever a module keeps them, and the collection each belongs to.

Besides `const userSchema = new Schema({...})`, real modules build a schema inside a wrapper call and
hold it in an object (formio's src/models/Form.js):

    const model = require('./BaseModel')({
      schema: new formio.mongoose.Schema(hook.alter('formSchema', { path: { type: String, index: true } })),
    });
    model.schema.index(hook.alter('schemaIndex', { type: 1, deleted: 1 }));

A call given exactly one object (or one schema) among its arguments passes it through: `hook.alter(name,
def)`, `Object.freeze(def)`, a model factory given `{ schema }`. A schema is named by the variable or
property that holds it (`model.schema`, `Action.schema`, `RoleSchema`), by the `model('Name', schema)`
call it is given to, or else belongs to the module: a schema held under a generic name (`schema`,
`model.schema`) or returned belongs to the model the module is named after (Form.js -> `form`), which
advisor.sources.links confirms against the models the project names (else its indexes are not kept).
"""

from __future__ import annotations

import re
from pathlib import PurePath

from advisor.ir import IndexDef, SourceFile
from advisor.mongo.shape import pluralize
from advisor.sources.js_mongo_factories import model_import, top_level_exports
from advisor.sources.js_syntax import (
    WRAPPERS,
    JsFile,
    arg_list,
    key_name,
    member_parts,
    read_value,
    string_value,
    unwrap,
)
from advisor.sources.links import links_of
from advisor.sources.mongo_names import MODULE_SCHEMA, UNKNOWN

_OBJECTS = ("object", "new_expression")


def passed_through(f: JsFile, node):
    """The object a wrapper call passes through (`hook.alter('x', {...})` -> `{...}`); else the node."""
    node = unwrap(node)
    for _ in range(4):
        if node is None or node.type != "call_expression":
            return node
        fn = node.child_by_field_name("function")
        if fn is not None and f.src(fn) == "require":
            return node
        objects = [a for a in map(unwrap, arg_list(node.child_by_field_name("arguments"))) if a.type in _OBJECTS]
        if len(objects) != 1:
            return node
        node = objects[0]
    return node


def _is_schema(f: JsFile, node) -> bool:
    """`new Schema(...)`, or `mongoose.Schema(...)` called without `new` (mongoose makes one all the same)."""
    if node.type not in ("new_expression", "call_expression"):
        return False
    callee = node.child_by_field_name("constructor" if node.type == "new_expression" else "function")
    return callee is not None and f.src(callee).split(".")[-1] == "Schema"


def find_schemas(f: JsFile) -> None:
    """Add every `new Schema(...)` of the file to `f.schemas`, under the name that holds it."""
    if "Schema(" not in f.text:
        return
    stack = [f.root]
    while stack:
        node = stack.pop()
        if _is_schema(f, node):
            holder, model = _holder(f, node)
            args = arg_list(node.child_by_field_name("arguments"))
            info = f.schemas.setdefault(holder or f"<schema at {node.start_byte}>", {"collection": _option(f, args)})
            written = unwrap(args[0]) if args else None
            if info.get("def") is None or info["def"].type != "object":  # the definition a wrapper passes on
                info["def"] = passed_through(f, written) if written is not None else None
            wrapped = written is not None and not _same(passed_through(f, written), written)
            through = _wrapper(f, node) or (_callee(f, written) if wrapped else None)
            if through:  # the wrapper may change it at run time (a hook): noted on its indexes
                info["through"] = through
            if model is not None:
                info["model"], info["collection"] = model[0], model[1] or info.get("collection")
            info.setdefault("model", None)
        stack.extend(node.named_children)


def _callee(f: JsFile, call) -> str | None:
    fn = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else None
    return f.src(fn)[:60] if fn is not None else None


def _wrapper(f: JsFile, node) -> str | None:
    """The call a schema is handed to and given back by (`hook.alter('roleSchema', new Schema(...))`)."""
    parent = f.parent(node)
    while parent is not None and parent.type in WRAPPERS:
        parent = f.parent(parent)
    call = f.parent(parent) if parent is not None and parent.type == "arguments" else None
    callee = _callee(f, call)
    return callee if callee and callee.split(".")[-1] not in ("model", "require") else None


def _same(a, b) -> bool:
    """The same syntax node (tree-sitter gives a new object each time a node is reached)."""
    return a is not None and b is not None and (a.start_byte, a.end_byte, a.type) == (b.start_byte, b.end_byte, b.type)


def _option(f: JsFile, args: list) -> str | None:
    """`new Schema(def, { collection: 'x' })`: 'x'."""
    opts = read_value(f, args[1], (), {}, {"partial": False}) if len(args) > 1 else None
    return opts["collection"] if isinstance(opts, dict) and isinstance(opts.get("collection"), str) else None


def _holder(f: JsFile, node) -> tuple[str | None, tuple[str, str | None] | None]:
    """The name a schema is held under (`S`, `model.schema`, `Action.schema`), and the model it is
    given to by a `model('Name', schema)` call on its way there, if one."""
    suffix, model, cur = "", None, node
    for _ in range(12):
        parent = f.parent(cur)
        if parent is None:
            return None, model
        if parent.type in WRAPPERS:
            cur = parent
        elif parent.type == "arguments" and (call := f.parent(parent)) is not None and call.type == "call_expression":
            model = model or _model_call(f, call, cur)
            if not _same(passed_through(f, call), unwrap(cur)) and model is None:
                return None, None  # handed to something that does not give it back
            cur = call
        elif parent.type == "pair" and key_name(f, parent.child_by_field_name("key")) == "schema" and not suffix:
            suffix, cur = ".schema", f.parent(parent)  # { schema: new Schema(...) }: the object holds it
        elif parent.type == "variable_declarator":
            name = parent.child_by_field_name("name")
            return (f.src(name) + suffix if name is not None and name.type == "identifier" else None), model
        elif parent.type == "assignment_expression" and _same(parent.child_by_field_name("right"), cur):
            return f.src(parent.child_by_field_name("left")) + suffix, model
        else:
            return None, model
    return None, model


def _model_call(f: JsFile, call, schema) -> tuple[str, str | None] | None:
    """`mongoose.model('Form', schema[, 'collection'])`: (model, collection)."""
    fn = unwrap(call.child_by_field_name("function"))
    called = member_parts(f, fn)[1] if fn is not None and fn.type == "member_expression" else f.src(fn or call)
    args = [unwrap(a) for a in arg_list(call.child_by_field_name("arguments"))]
    if called != "model" or len(args) < 2 or not _same(args[1], unwrap(schema)):
        return None
    name = string_value(f, args[0])
    coll = string_value(f, args[2]) if len(args) > 2 else None
    return (name, coll) if name else None


def schema_models(name: str, info: dict | None) -> list[tuple[str | None, str]]:
    """(model, collection) of every model compiled from the schema held under `name`: mongoose gives each the
    schema's indexes (the first as schema_collection says)."""
    return [((info or {}).get("model"), schema_collection(name, info)), *((info or {}).get("more") or [])]


def schema_collection(name: str, info: dict | None) -> str:
    """The collection of the schema held under `name`: its model's, a `{ collection }` option, the
    holder's name (`userSchema` -> users), or, under a generic name, the module's (MODULE_SCHEMA)."""
    if info and info.get("collection"):
        return info["collection"]
    if info and info.get("model"):
        return pluralize(info["model"])
    base = re.sub(r"(?i)schema$", "", name)
    if not base or name.startswith("<") or name.endswith(".schema"):
        return MODULE_SCHEMA
    return pluralize(base)


def module_name(path: str) -> str:
    """What a module is named after: Form.js -> Form, user.model.js -> user, user/index.js -> user."""
    p = PurePath(path)
    stem = p.name.split(".")[0]
    return p.parent.name if stem == "index" else stem


def share_models(f: JsFile, calls: list, result: SourceFile) -> None:
    """Hand advisor.sources.links what only the project can settle: the mongoose models this file
    names (`mongoose.model('form', ...)`, `mongoose.model('form')`), the indexes of a schema of this
    module's model, and the queries on a registry's model (`x.resources.form.model`)."""
    models = {model: coll or pluralize(model) for model, coll in f.models.values()}
    model_calls = _model_calls(f, calls)
    for args in model_calls:
        name = string_value(f, args[0]) if args else None
        if name:
            models.setdefault(name, pluralize(name))
    module = [i for i in result.indexes if i.table == MODULE_SCHEMA]
    registry = [q for q in result.queries if UNKNOWN.fullmatch(q.collection) and q.model and not q.driver]
    schemas, compiled = _exported_schemas(f, result.indexes), _compiled_schemas(f, model_calls)
    if not (models or module or registry or schemas or compiled):
        return
    links = links_of(result)
    links.models.update(models)
    links.schemas.update(schemas)
    links.compiled += compiled
    links.module += module
    links.stem = module_name(f.path)
    links.registry += [(q.model, q) for q in registry]
    result.indexes = [i for i in result.indexes if i.table != MODULE_SCHEMA]
    result.queries = [q for q in result.queries if not any(q is r for r in registry)]


def _exported_schemas(f: JsFile, indexes: list[IndexDef]) -> dict[str, tuple[str | None, list[IndexDef]]]:
    """The schemas the module exports for no model of its own (`module.exports = chatSchema`, `export const
    ChatSchema = new Schema(...)`): export -> (its `collection` option, the indexes declared on it), known by the
    collection they were put on, when no other such schema of the module shares it."""
    own = [(n, i) for n, i in f.schemas.items() if not i.get("model")]
    out: dict[str, tuple[str | None, list[IndexDef]]] = {}
    for st in f.root.named_children if own else ():
        for export, value in top_level_exports(f, st):
            value = unwrap(value)
            if value is None or (value.type != "identifier" and not _is_schema(f, value)):
                continue
            name = f.src(value) if value.type == "identifier" else _holder(f, value)[0]
            info = f.schemas.get(name) if name else None
            if not name or info is None or info.get("model"):
                continue
            coll = schema_collection(name, info)
            if sum(schema_collection(n, i) == coll for n, i in own) == 1:
                declared = [ix for ix in indexes if ix.table == coll and not ix.options.get("model")]
                out[export] = (info.get("collection"), declared)
    return out


def _model_calls(f: JsFile, calls: list) -> list[list]:
    """The arguments of each of the module's `x.model(...)` and `model(...)` calls."""
    out = []
    for call in calls:
        fn = unwrap(call.child_by_field_name("function"))
        called = (member_parts(f, fn)[1] if fn.type == "member_expression" else f.src(fn)) if fn is not None else ""
        if called == "model":
            out.append([unwrap(a) for a in arg_list(call.child_by_field_name("arguments"))])
    return out


def _compiled_schemas(f: JsFile, model_calls: list[list]) -> list[tuple[str, str, str, str | None]]:
    """The models the module compiles from a schema another module of the project exports
    (`studioConnection.model('__Studio_Chat', chatSchema, 'studio__chats')`, `chatSchema` required):
    (that module, its export, the model, the collection given here or None)."""
    out = []
    for args in model_calls:
        if len(args) < 2 or args[1] is None or args[1].type != "identifier":
            continue
        model, schema = string_value(f, args[0]), f.src(args[1])
        source = model_import(f, schema) if model and schema not in f.schemas else None
        if model and source is not None:
            out.append((*source, model, string_value(f, args[2]) if len(args) > 2 else None))
    return out


def model_and_schema_maps(f: JsFile, calls: list) -> None:
    state: dict = {"partial": False}
    # schema variables: new Schema(def, {collection})
    for name, decls in f.decls.items():
        for _, value in decls:
            if _is_schema(f, value):
                args = arg_list(value.child_by_field_name("arguments"))
                coll = None
                if len(args) > 1:
                    opts = read_value(f, args[1], (), {}, state)
                    if isinstance(opts, dict) and isinstance(opts.get("collection"), str):
                        coll = opts["collection"]
                f.schemas[name] = {"collection": coll, "model": None, "def": unwrap(args[0]) if args else None}
    find_schemas(f)  # and those built through wrappers, held in objects, returned (advisor.sources.js_schemas)
    for call in calls:
        fn = unwrap(call.child_by_field_name("function"))
        if fn is None:
            continue
        obj, prop = member_parts(f, fn)
        name = prop if prop is not None else (f.src(fn) if fn.type == "identifier" else "")
        if name != "model":
            continue
        args = arg_list(call.child_by_field_name("arguments"))
        if len(args) < 2:
            continue
        model = string_value(f, unwrap(args[0]))
        if model is None:
            continue
        coll = string_value(f, unwrap(args[2])) if len(args) > 2 else None
        schema_node = unwrap(args[1])
        schema_var = f.src(schema_node) if schema_node.type == "identifier" else None
        if schema_var in f.schemas:
            info = f.schemas[schema_var]
            if info["model"] in (None, model):
                info["option"] = info.get("option", info["collection"])  # the schema's own `collection` option
                info["model"] = model
                coll = coll or info["collection"]
                info["collection"] = coll or pluralize(model)
            else:  # another model compiled from the same schema (ltijs: privatekey, publickey): its own collection
                coll = coll or info["option"]
                if (model, coll or pluralize(model)) not in info.setdefault("more", []):
                    info["more"].append((model, coll or pluralize(model)))
        parent = f.parent(call)
        while parent is not None and parent.type in WRAPPERS:
            parent = f.parent(parent)
        var = None
        if parent is not None and parent.type in ("variable_declarator", "assignment_expression"):
            # `const Job = mongoose.model(...)`; `Model = connection.model(...)` in the module's factory function,
            # to a `let Model;` its statics and hooks read
            n = parent.child_by_field_name("name") or parent.child_by_field_name("left")
            var = f.src(n) if n is not None and n.type == "identifier" else None
        f.models[var or model] = (model, coll or pluralize(model))
        f.models.setdefault(model, (model, coll or pluralize(model)))
