"""Functions that open a mongoose model or a collection for their caller, in JavaScript / TypeScript.

A module exports a model factory (omniboard's server/models/runs.js)

    export default function (databaseConn, runsCollectionName) {
      return databaseConn.model(runsCollectionName, RunsSchema);
    }

and another calls it: `RunsModel(databaseConn, runsCollectionName).findById(id)`. The call's result is
that model, named by the argument the caller gives for the name parameter when the caller fixes it (or by
the name the factory writes, `conn.model('fs.files', FilesSchema)`); otherwise it is a model of a
collection named at run time (advisor.sources.mongo_names). The same for a function returning
`db.collection(name)`. A function of the same file is read where it is called; one imported from a module
of the project (`./models/runs`) is settled by advisor.sources.links once every file is read.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace

from advisor.ir import JS_SUFFIXES
from advisor.mongo.shape import pluralize
from advisor.sources.js_names import constant_string
from advisor.sources.js_syntax import (
    FUNCTIONS,
    OPENERS,
    JsFile,
    arg_list,
    destructured_keys,
    nodes_of,
    parameter_list,
    pattern_identifiers,
    required,
    string_value,
    unchain,
    unwrap,
)
from advisor.sources.mongo_names import run_time_name

DEFAULT = "default"  # `export default f`, `module.exports = f`
NAMESPACE = "*"  # `import * as M from`: the module bound whole, whose members are its exports


@dataclass(frozen=True)
class Factory:
    """A function every `return` of which opens one model (or collection) of one name."""

    model: bool  # a mongoose model, else a driver collection
    name: str | None  # the name it writes, if it writes one
    parameter: int | None  # else the position of the parameter that gives it, if one does
    collection: str | None = None  # a model's collection, when its schema or the call says


@dataclass(frozen=True)
class Made:
    """A call of a function another module of the project exports: the receiver advisor.sources.links settles."""

    module: str  # the path of the module, resolved against the caller's (`server/models/runs`)
    export: str  # DEFAULT or the exported name
    given: tuple[str | None, ...]  # each argument's value, when the caller fixes it
    texts: tuple[str, ...]  # each argument as written
    text: str  # the call as written
    value: bool = False  # a property of the module's exports read (`Device.model`), not a function called
    driver: bool = False  # the driver collection of what it opens (`Device.model.collection`)


def factory_of(f: JsFile, fn) -> Factory | None:
    """What a function opens, when every value it returns is `x.model(name, schema)` (or
    `x.collection(name)`) of one name or name parameter."""
    fn = unwrap(fn)
    if fn is None or fn.type not in FUNCTIONS:
        return None
    found = {_opened(f, fn, v) for v in returns(fn)}
    if None in found or len({(x.model, x.name, x.parameter) for x in found if x is not None}) != 1:
        return None
    # `connection.models.Role` returned before `connection.model("Role", schema)`: one model, its collection
    # option what the compiling return says
    return max(found, key=lambda x: x.collection is not None if x is not None else False)


def made(factory: Factory, given: tuple[str | None, ...], texts: tuple[str, ...], call: str) -> tuple:
    """The receiver a call of the factory gives: (collection, model or None, driver?)."""
    at = factory.parameter
    name = factory.name if at is None else given[at] if at < len(given) else None
    unknown = run_time_name(texts[at] if at is not None and at < len(texts) else call)
    if not factory.model:
        return name or unknown, None, True
    if factory.collection:
        return factory.collection, name, False
    return (pluralize(name), name, False) if name else (unknown, None, False)


def called(f: JsFile, call) -> tuple[tuple[str | None, ...], tuple[str, ...]]:
    """A call's arguments: their values when fixed here (a parameter's default is not: callers may pass
    another), and their texts."""
    args = arg_list(call.child_by_field_name("arguments"))
    return tuple(constant_string(f, a, defaults=False) for a in args), tuple(f.src(a) for a in args)


def imported_call(f: JsFile, call) -> Made | None:
    """`RunsModel(conn, name)` with `RunsModel` imported from a module of the project (`./models/runs`)."""
    fn = unwrap(call.child_by_field_name("function"))
    if fn is None or fn.type != "identifier":
        return None
    source = import_of(f, f.src(fn))
    if source is None:
        return None
    given, texts = called(f, call)
    module = posixpath.normpath(posixpath.join(posixpath.dirname(f.path), source[0]))
    return Made(module, source[1], given, texts, f.src(call))


def imported_member(f: JsFile, node) -> Made | None:
    """`Device.model` with `const Device = require('../model/Device')` (or `require('./m').model`): the
    property `model` of a module of the project's exports."""
    node = unwrap(node)
    if node is None or node.type != "member_expression":
        return None
    obj, prop = unwrap(node.child_by_field_name("object")), node.child_by_field_name("property")
    if obj is None or prop is None or prop.type != "property_identifier":
        return None
    if f.src(prop) == "collection" and obj.type == "member_expression":  # a model's driver collection
        model = imported_member(f, obj)
        return replace(model, text=f.src(node), driver=True) if model is not None else None
    if obj.type == "identifier":  # the module bound whole: `require('./m')`, `import M from`, `import * as M from`
        source = import_of(f, f.src(obj))
        module = source[0] if source is not None and source[1] in (DEFAULT, NAMESPACE) else None
    else:
        module = _required(f, obj)
    if module is None:
        return None
    module = posixpath.normpath(posixpath.join(posixpath.dirname(f.path), module))
    return Made(module, f.src(prop), (), (), f.src(node), value=True)


def members_read(f: JsFile, calls: list) -> list:
    """The member expressions a query may be made on: what a call is a method of, what a name is bound to."""
    out = [
        unwrap(fn.child_by_field_name("object"))
        for c in calls
        if (fn := unwrap(c.child_by_field_name("function"))) is not None and fn.type == "member_expression"
    ]
    out += [unwrap(value) for decls in f.decls.values() for _, value in decls]
    return [n for n in out if n is not None and n.type == "member_expression"]


def exported_models(f: JsFile) -> dict[str, Factory]:
    """The models a CommonJS module sets as properties of its exports, anywhere in it (inside a `load()`
    too, or in the function compiled TypeScript registers it in): `module.exports.model =
    mongoose.model('Device', schema)`, `exports.lockModel = (0, mongoose_1.model)("Lock", schema)`, by
    property name."""
    out: dict[str, Factory] = {}
    for node in nodes_of(f, "assignment_expression"):
        left = f.src(node.child_by_field_name("left"))
        export = next((left[len(p) :] for p in ("module.exports.", "exports.") if left.startswith(p)), "")
        opened = _model_value(f, node.child_by_field_name("right")) if export.isidentifier() else None
        if opened is not None:
            out[export] = opened
    return out


def module_models(f: JsFile) -> dict[str, Factory]:
    """The models a module exports at its top level, by export name: its default (`export default Dataset` after
    `const Dataset = model("Dataset", schema)`, `module.exports = mongoose.model(...)`, compiled `exports.default =
    Dataset`), which an importer may call anything (`import DatasetModel from "../models/dataset"`), and its named
    exports (`export const ChannelModelAPI = connectionAPI.model('Channel', ChannelSchema)`)."""
    out: dict[str, Factory] = {}
    for st in f.root.named_children:
        for export, value in top_level_exports(f, st):  # `exports.default = Dataset` is the export named "default"
            value = unwrap(value)
            if value is None:
                continue
            if value.type == "identifier":  # a model the module compiled (advisor.sources.js_schemas: f.models)
                model = f.models.get(f.src(value))
                if model is not None:
                    out.setdefault(export, Factory(True, model[0], None, model[1]))
                    continue
            found = _model_value(f, value)
            if found is not None:
                out.setdefault(export, found)
    return out


def model_import(f: JsFile, name: str) -> tuple[str, str] | None:
    """(the module of the project, joined to the importer's folder; the export) a name is bound to by an import."""
    source = import_of(f, name)
    if source is None or source[1] == NAMESPACE:  # a module's namespace is no model; its members are (imported_member)
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(f.path), source[0])), source[1]


def _model_value(f: JsFile, value) -> Factory | None:
    """`x.model('Device', schema[, collection])` with its name written, or `model(...)` with `model` mongoose's
    (`import { model } from "mongoose"`, `const { model } = mongoose`): the model it is."""
    base, calls = unchain(f, value)
    if len(calls) != 1 or calls[0][0] != "model" or (base is None and not mongoose_model(f)):
        return None
    args = arg_list(calls[0][1])
    name = constant_string(f, args[0], defaults=False) if len(args) >= 2 else None
    if name is None:
        return None
    schema = unwrap(args[1])
    info = f.schemas.get(f.src(schema)) if schema is not None and schema.type == "identifier" else None
    coll = constant_string(f, args[2], defaults=False) if len(args) > 2 else (info or {}).get("collection")
    return Factory(True, name, None, coll)


def reexports(f: JsFile) -> list[tuple[str, str, str]]:
    """What the module passes on from others of the project: (the module, joined to this one's folder; its export,
    "*" for all of them; the name here), for `export * from "./m"` and `export { A, B as C } from "./m"`."""
    out = []
    for st in f.root.named_children:
        source = st.child_by_field_name("source") if st.type == "export_statement" else None
        module = string_value(f, source) if source is not None else None
        if module is None or not module.startswith("."):
            continue
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(f.path), module))
        clause = next((c for c in st.named_children if c.type in ("export_clause", "namespace_export")), None)
        if clause is None and any(c.type == "*" for c in st.children):
            out.append((joined, "*", "*"))
        elif clause is not None and clause.type == "export_clause":
            for spec in clause.named_children:
                names = [f.src(c) for c in spec.named_children if c.type == "identifier"]
                if spec.type == "export_specifier" and names:
                    out.append((joined, names[0], names[-1]))
    return out


def mongoose_model(f: JsFile) -> bool:
    """The module's own name `model` is mongoose's: imported by name, or taken from what it imports or requires as
    mongoose (`import pkg from "mongoose"; const { model } = pkg;`, as TypeScript compiles a default import)."""
    if f.imports.get("model") == "mongoose":
        return True
    for st in f.root.named_children:
        if st.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for d in st.named_children:
            pattern, value = d.child_by_field_name("name"), unwrap(d.child_by_field_name("value"))
            if pattern is None or pattern.type != "object_pattern" or value is None:
                continue
            names = {f.src(c) for c in pattern.named_children if c.type == "shorthand_property_identifier_pattern"}
            mongoose = (
                f.imports.get(f.src(value)) == "mongoose"
                if value.type == "identifier"
                else (required(f, value) == "mongoose")
            )
            if "model" in names and mongoose:
                return True
    return False


def _required(f: JsFile, node) -> str | None:
    """`require('./m')`: the module of the project it names."""
    module = required(f, node)
    return module if module is not None and module.startswith(".") else None


def module_paths(module: str) -> list[str]:
    """The files an import of `module` (already joined to the importer's folder) may name, as Node and
    TypeScript resolve it: as written, with a suffix, as its folder's index, `.ts` for a `.js` written."""
    stem = module[: -len(posixpath.splitext(module)[1])] if module.endswith(JS_SUFFIXES) else module
    return [module] + [p + s for p in (stem, stem + "/index") for s in JS_SUFFIXES]


def exported_factories(f: JsFile) -> dict[str, Factory]:
    """The factories the module exports, by export name (DEFAULT for `export default` / `module.exports =`)."""
    out: dict[str, Factory] = {}
    for st in f.root.named_children:
        for export, value in top_level_exports(f, st):
            factory = factory_of(f, exported_function(f, value))
            if factory is not None:
                out[export] = factory
    return out


def top_level_exports(f: JsFile, st) -> list[tuple[str, object]]:
    """(export name, value) of one top-level statement."""
    if st.type == "export_statement":
        if any(c.type == "default" for c in st.children):
            value = st.child_by_field_name("value") or st.child_by_field_name("declaration")
            return [(DEFAULT, value)] if value is not None else []
        decl = st.child_by_field_name("declaration")
        if decl is not None and decl.type == "function_declaration" and decl.child_by_field_name("name") is not None:
            return [(f.src(decl.child_by_field_name("name")), decl)]
        declarators = [c for c in decl.named_children if c.type == "variable_declarator"] if decl is not None else []
        return [(f.src(d.child_by_field_name("name")), d.child_by_field_name("value")) for d in declarators]
    assign = st.named_children[0] if st.type == "expression_statement" and st.named_children else None
    if assign is None or assign.type != "assignment_expression":
        return []
    left, right = f.src(assign.child_by_field_name("left")), assign.child_by_field_name("right")
    if left == "module.exports":
        return [(DEFAULT, right)]
    for prefix in ("module.exports.", "exports."):
        if left.startswith(prefix) and left[len(prefix) :].isidentifier():
            return [(left[len(prefix) :], right)]
    return []


def exported_function(f: JsFile, value):
    """The function an exported value is: written there, or named (`export default makeModel`)."""
    value = unwrap(value)
    if value is not None and value.type == "identifier":
        name = f.src(value)
        return f.binding(name, value.start_byte)
    return value


def import_of(f: JsFile, name: str) -> tuple[str, str] | None:
    """(module, export) a name is bound to by an import or require of a module of the project:
    `import X from './m'` and `const X = require('./m')` -> DEFAULT, `import { Y as X }` /
    `const { Y: X } = require('./m')` -> Y."""
    key = ("import_of", name)  # asked per call and per argument: a bundle's top level read once per name
    if key not in f.memo:
        f.memo[key] = _import_of(f, name)
    return f.memo[key]


def imported_name(f: JsFile, name: str) -> str | None:
    """The export a name is bound to by a named ES import, of any module (`import { Y as X } from "pkg"` -> Y): one
    value the module cannot change. None for a default or namespace import, or a name no import binds."""
    for st in f.root.named_children if name in f.imports else ():
        found = _from_import(f, st, name) if st.type == "import_statement" else None
        if found is not None:
            return found if found not in (DEFAULT, NAMESPACE) else None
    return None


def _import_of(f: JsFile, name: str) -> tuple[str, str] | None:
    module = f.imports.get(name)
    if module is not None and not module.startswith("."):
        return None  # a package's
    for st in f.root.named_children if module is not None else ():
        found = _from_import(f, st, name) if st.type == "import_statement" else None
        if found is not None and module is not None:
            return module, found
    if name not in _required_names(f):
        return None  # no top-level declaration binds it from a require or a module bound whole: none to read
    for st in f.root.named_children:
        for decl in st.named_children if st.type in ("lexical_declaration", "variable_declaration") else ():
            required = _from_require(f, decl, name)
            if required is not None:
                return required
    return None


def _required_names(f: JsFile) -> set[str]:
    """The names the module's top-level declarations bind from another value (`const X = require(...)`, `const {
    Y: X } = M`): the only ones a require can give (a cheap test, once per module, before the declarations are
    read for one name)."""
    if ("required_names",) not in f.memo:
        names: set[str] = set()
        for st in f.root.named_children:
            for decl in st.named_children if st.type in ("lexical_declaration", "variable_declaration") else ():
                value, pattern = unwrap(decl.child_by_field_name("value")), decl.child_by_field_name("name")
                if value is not None and pattern is not None and value.type in ("call_expression", "identifier"):
                    names |= {f.src(n) for n in pattern_identifiers(pattern)}
        f.memo[("required_names",)] = names
    return f.memo[("required_names",)]


def _from_import(f: JsFile, st, name: str) -> str | None:
    clause = next((c for c in st.named_children if c.type == "import_clause"), None)
    for part in clause.named_children if clause is not None else ():
        if part.type == "identifier" and f.src(part) == name:
            return DEFAULT
        alias = next((c for c in part.named_children if c.type == "identifier"), None)
        if part.type == "namespace_import" and alias is not None and f.src(alias) == name:
            return NAMESPACE
        for spec in part.named_children if part.type == "named_imports" else ():
            idents = [c for c in spec.named_children if c.type == "identifier"]
            if idents and f.src(idents[-1]) == name:
                return f.src(idents[0])
    return None


def _from_require(f: JsFile, decl, name: str) -> tuple[str, str] | None:
    """`const X = require('./m')`, `const { Y: X } = require('./m')`, and `const { Y: X } = M` of a module bound
    whole (`import * as M from './m'`, `const M = require('./m')`)."""
    value = unwrap(decl.child_by_field_name("value"))
    module = _required(f, value) or (_whole_module(f, value) if value is not None else None)
    pattern = decl.child_by_field_name("name")
    if module is None or pattern is None:
        return None
    if pattern.type == "identifier":
        return (module, DEFAULT) if f.src(pattern) == name else None
    keys = destructured_keys(f, pattern, name) if pattern.type == "object_pattern" else None
    return (module, keys[0]) if keys is not None and len(keys) == 1 else None


def _whole_module(f: JsFile, value) -> str | None:
    """The module of the project a name binds whole: `import * as M from './m'`, `const M = require('./m')`."""
    if value.type != "identifier":
        return None
    name = f.src(value)
    for st in f.root.named_children:
        if st.type == "import_statement" and _from_import(f, st, name) == NAMESPACE:
            module = string_value(f, st.child_by_field_name("source"))
            return module if module is not None and module.startswith(".") else None
    bound = f.resolve(name, value.start_byte)
    return _required(f, bound) if bound is not None else None


def returns(fn) -> list:
    """The values a function returns (its expression body, or its own `return x`s); [] when a `return`
    gives nothing."""
    body = fn.child_by_field_name("body")
    if body is None:
        return []
    if body.type != "statement_block":
        return [body]
    out, todo = [], list(body.named_children)
    while todo:
        node = todo.pop()
        if node.type == "return_statement":
            if not node.named_children:
                return []
            out.append(node.named_children[0])
        elif node.type not in FUNCTIONS and node.type not in ("class_declaration", "class"):
            todo += node.named_children
    return out


def _opened(f: JsFile, fn, value) -> Factory | None:
    """What one returned expression opens: `conn.model(name, schema[, collection])`, `db.collection(name)`,
    `conn.models.Name`."""
    compiled = _compiled(f, value)
    if compiled is not None:
        return compiled
    value = unwrap(value)
    if value is not None and value.type == "identifier":  # `const Orders = db.collection('orders'); ...; return Orders`
        bound = unwrap(f.resolve(f.src(value), value.start_byte))
        if bound is None or not fn.start_byte <= bound.start_byte < fn.end_byte or bound.type == "identifier":
            return None
        value = bound
        opened = _opened(f, fn, value)
        # a name it neither writes nor takes: what the caller reads stays the expression (`<config.lockName>`)
        return opened if opened is None or opened.name or opened.parameter is not None else None
    base, calls = unchain(f, value)
    if base is None or not calls:
        return None
    method, args_node, _ = calls[-1]
    args = arg_list(args_node)
    if method == "model" and len(args) >= 2:
        schema = unwrap(args[1])
        info = f.schemas.get(f.src(schema)) if schema is not None and schema.type == "identifier" else None
        coll = constant_string(f, args[2], defaults=False) if len(args) > 2 else (info or {}).get("collection")
        return _named(f, fn, args[0], True, coll)
    if method in OPENERS and args:
        return _named(f, fn, args[0], False, None)
    return None


def _compiled(f: JsFile, value) -> Factory | None:
    """`connection.models.Role` (or `.models["Role"]`): the model the connection compiled under that name."""
    value = unwrap(value)
    if value is None or value.type not in ("member_expression", "subscript_expression"):
        return None
    holder = unwrap(value.child_by_field_name("object"))
    if (
        holder is None
        or holder.type != "member_expression"
        or f.src(holder.child_by_field_name("property")) != "models"
    ):
        return None
    key = value.child_by_field_name("property") or value.child_by_field_name("index")
    name = (
        f.src(key) if key is not None and key.type == "property_identifier" else constant_string(f, key, defaults=False)
    )
    return Factory(True, name, None, None) if name else None


def _named(f: JsFile, fn, arg, model: bool, collection: str | None) -> Factory:
    """The factory, its name a parameter of `fn` (by position), else written there, else unknown."""
    arg = unwrap(arg)
    params = [p.child_by_field_name("pattern") or p for p in parameter_list(fn)]
    text = f.src(arg) if arg is not None and arg.type == "identifier" else None
    at = next((n for n, p in enumerate(params) if p.type == "identifier" and f.src(p) == text), None)
    name = constant_string(f, arg, defaults=False) if at is None else None
    return Factory(model, name, at, collection)
