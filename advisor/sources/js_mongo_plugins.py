"""Mongoose plugins: the indexes a plugin function declares on every schema it is given.

    export const isDeletedPlugin = (schema, defaultValue = false) => {
      schema.add({ deleted: { type: Boolean, default: defaultValue, index: true } });
    };
    organizationSchema.plugin(isDeletedPlugin);           // organizations gets { deleted: 1 }

A plugin is a function whose first parameter is the schema: its `schema.add({...})` fields with `index`,
`unique` or `expires`, and its `schema.index(keys, opts)` calls, are declared on the schema of each
`X.plugin(fn)`, at that call. The plugin may be a function of the module, one imported from a module of the
project (`import { isDeletedPlugin } from "./plugins"`, `require('../plugins/timestamps')` written in the call),
or the function a factory of one returns (`schema.plugin(require('../plugins/machineName')('form', formio))`).
An index whose declaration depends on the plugin's options (`index: options.index ?? true`) serves queries
but is never called redundant; one whose fields advisor cannot read is declared with its keys unread.
Another module's plugin is settled by advisor.sources.links once every file is read. A package's plugin
(`mongoose-sequence`) is not read.
"""

from __future__ import annotations

import posixpath
from typing import Any

from advisor.ir import IndexDef, Location
from advisor.mongo.indexes import make_index, unread_index
from advisor.sources.js_mongo_factories import (
    DEFAULT,
    NAMESPACE,
    exported_function,
    import_of,
    imported_member,
    returns,
    top_level_exports,
)
from advisor.sources.js_mongo_indexes import schema_field_indexes
from advisor.sources.js_nest import class_decorators
from advisor.sources.js_plugged import Plugged, applied
from advisor.sources.js_schemas import schema_models
from advisor.sources.js_syntax import (
    FUNCTIONS,
    JsFile,
    arg_list,
    member_parts,
    parameter_list,
    read_value,
    required,
    unwrap,
)

TEMPLATE = "<the schema a plugin is given>"  # the collection, until a `.plugin()` call names it


def declared(f: JsFile, fn) -> list[IndexDef]:
    """The indexes a plugin function declares on its schema parameter (on TEMPLATE)."""
    params = parameter_list(fn)
    first = unwrap(params[0].child_by_field_name("pattern") or params[0]) if params else None
    if first is None or first.type != "identifier" or not (".add(" in f.src(fn) or ".index(" in f.src(fn)):
        return []
    schema, out = f.src(first), []
    todo = [fn.child_by_field_name("body")]
    while todo:
        node = todo.pop()
        if node is None:
            continue
        todo += [c for c in node.named_children if c.type not in FUNCTIONS]  # its hooks' callbacks declare nothing
        if node.type != "call_expression":
            continue
        obj, method = member_parts(f, unwrap(node.child_by_field_name("function")))
        if obj is None or f.src(unwrap(obj)) != schema or method not in ("add", "index"):
            continue
        args = [unwrap(a) for a in arg_list(node.child_by_field_name("arguments"))]
        if method == "add":
            fields = args[0] if args else None
            if fields is None or fields.type != "object":
                out.append(unread_index(TEMPLATE, f.loc(node)))
                continue
            out += schema_field_indexes(f, fields, TEMPLATE, None)
            continue
        state: dict = {"partial": False}
        keys = read_value(f, args[0], (), {}, state) if args else None
        opts = read_value(f, args[1], (), {}, state) if len(args) > 1 else {}
        ix = make_index(TEMPLATE, keys, opts, f.loc(node))
        out.append(ix if ix is not None else unread_index(TEMPLATE, f.loc(node)))
    return sorted(out, key=lambda ix: (ix.location.line, ix.location.col) if ix.location else (0, 0))


def exported(f: JsFile) -> dict[str, tuple[bool, list[IndexDef]]]:
    """The plugins the module exports, by export name: (a factory of plugins?, the indexes they declare)."""
    if ".add(" not in f.text and ".index(" not in f.text:
        return {}
    out: dict[str, tuple[bool, list[IndexDef]]] = {}
    for st in f.root.named_children:
        for export, value in top_level_exports(f, st):
            fn = unwrap(exported_function(f, value))
            if fn is None or fn.type not in FUNCTIONS:
                continue
            made = [unwrap(r) for r in returns(fn)]
            if made and all(r is not None and r.type in FUNCTIONS for r in made):
                indexes = [ix for r in made for ix in declared(f, r)]
                if indexes:
                    out[export] = (True, indexes)
            elif indexes := declared(f, fn):
                out[export] = (False, indexes)
    return out


def plugin_indexes(f: JsFile, calls: list) -> tuple[list[IndexDef], list[Plugged]]:
    """The indexes the plugins of the module's `X.plugin(fn)` calls (X a schema of the module) and typegoose
    `@plugin(fn)` decorators declare: those of a plugin of the module, and the uses of another module's for
    advisor.sources.links."""
    here: list[IndexDef] = []
    elsewhere: list[Plugged] = []
    for schema, plugin, at in _plugin_uses(f, calls):
        models = tuple(schema_models(schema, f.schemas[schema]))
        local = _local(f, plugin)
        if local is not None:
            name = f.src(plugin)[:60]
            here += [applied(ix, model, coll, at, name) for ix in declared(f, local) for model, coll in models]
            continue
        source = _source(f, plugin)
        if source is not None:
            elsewhere.append(Plugged(*source, models, at, f.src(plugin)[:60]))
    return here, elsewhere


def _plugin_uses(f: JsFile, calls: list) -> list[tuple[str, Any, Location]]:
    """(the schema's name in f.schemas, the plugin argument, where) of each `X.plugin(fn)` call on a schema of the
    module, and of each typegoose `@plugin(fn)` above a schema class (advisor.sources.js_nest)."""
    out: list[tuple[str, Any, Location]] = []
    for call in calls if ".plugin(" in f.text else ():
        fn = unwrap(call.child_by_field_name("function"))
        obj, method = member_parts(f, fn) if fn is not None and fn.type == "member_expression" else (None, None)
        if method != "plugin" or obj is None:
            continue
        holder = unwrap(obj)
        while holder is not None and holder.type == "call_expression":  # `s.plugin(a).plugin(b)`: s
            inner = unwrap(holder.child_by_field_name("function"))
            holder = (
                unwrap(member_parts(f, inner)[0]) if inner is not None and inner.type == "member_expression" else None
            )
        args = [unwrap(a) for a in arg_list(call.child_by_field_name("arguments"))]
        if holder is not None and f.src(holder) in f.schemas and args and args[0] is not None:
            out.append((f.src(holder), args[0], f.loc(call)))
    for name, info in f.schemas.items():
        cls = info.get("nest")
        for called, args, d in class_decorators(f, cls) if cls is not None else ():
            if called == "typegoose.plugin" and args and unwrap(args[0]) is not None:
                out.append((name, unwrap(args[0]), f.loc(d)))
    return out


def _local(f: JsFile, node):
    """The function of the module a plugin argument names (or a function written in the call)."""
    if node.type in FUNCTIONS:
        return node
    if node.type != "identifier":
        return None
    bound = unwrap(f.binding(f.src(node), node.start_byte))
    return bound if bound is not None and bound.type in FUNCTIONS else None


def _source(f: JsFile, node) -> tuple[str, str, bool] | None:
    """(module, joined to the importer's folder; export; called?) of another module's plugin: `isDeletedPlugin` imported,
    `plugins_1.x` of a module bound whole, `require('./timestamps')`, or a factory of one called
    (`require('./machineName')('form')`)."""
    called = node.type == "call_expression" and required(f, node) is None
    target = unwrap(node.child_by_field_name("function")) if called else node
    if target is None:
        return None
    module = required(f, target)
    if module is not None:
        return (_joined(f, module), DEFAULT, called) if module.startswith(".") else None
    if target.type == "identifier":
        bound = unwrap(f.resolve(f.src(target), target.start_byte))
        module = required(f, bound) if bound is not None else None  # `const timestamps = require(...)` in a function
        if module is not None:
            return (_joined(f, module), DEFAULT, called) if module.startswith(".") else None
        source = import_of(f, f.src(target))
        return (_joined(f, source[0]), source[1], called) if source is not None and source[1] != NAMESPACE else None
    member = imported_member(f, target)  # `plugins_1.createdUpdatedPlugin`, compiled TypeScript's import
    return (member.module, member.export, called) if member is not None and not member.driver else None


def _joined(f: JsFile, module: str) -> str:
    return posixpath.normpath(posixpath.join(posixpath.dirname(f.path), module))
