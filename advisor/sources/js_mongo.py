"""MongoDB calls in JavaScript / TypeScript, and the entry point for the file's MongoDB part.

Finds mongoose model calls and chains (`Model.find(f).select().sort().skip().limit().lean()`),
driver and mongosh calls (`db.collection('x').find()`, `db.x.aggregate([...])`), with what the
code does to them in later statements (advisor.sources.js_flow); receivers are resolved by
advisor.sources.js_receivers, index declarations read by advisor.sources.js_mongo_indexes.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.ir import IndexDef, IndexKey, Location, SourceFile
from advisor.mongo.indexes import unread_index
from advisor.mongo.shape import AGGREGATE_OPS, FIND_OPS, MongoQuery, Placeholder, pluralize
from advisor.sources.js_enums import MEMBER, declared_enums, enum_named, named_by
from advisor.sources.js_flow import (
    WHERE_OPS,
    assigned_name,
    branch_values,
    iterated,
    later_calls,
    mutations,
    never_read,
    parameters,
    scope_names,
    used_fields,
    used_whole,
)
from advisor.sources.js_mongo_bulk import bulk_write
from advisor.sources.js_mongo_factories import (
    exported_factories,
    exported_models,
    imported_call,
    imported_member,
    imported_name,
    made,
    members_read,
    model_import,
    module_models,
    reexports,
)
from advisor.sources.js_mongo_held import constructor_slot
from advisor.sources.js_mongo_indexes import (
    INDEX_METHODS,
    class_field_indexes,
    helper_list_indexes,
    index_from_call,
    register_schemas,
    schema_field_indexes,
    wrapper_indexes,
)
from advisor.sources.js_mongo_inherited import inherited
from advisor.sources.js_mongo_maps import readings
from advisor.sources.js_mongo_plugins import exported as exported_plugins
from advisor.sources.js_mongo_plugins import plugin_indexes
from advisor.sources.js_mongo_slots import parameter_slot, passed_calls, passed_constructions
from advisor.sources.js_names import getter, passed, returned
from advisor.sources.js_nest import registered_models, schema_classes
from advisor.sources.js_receivers import resolve_receiver
from advisor.sources.js_registry import registered_indexes
from advisor.sources.js_schemas import model_and_schema_maps, schema_collection, schema_models, share_models
from advisor.sources.js_syntax import (
    FUNCTIONS,
    JsFile,
    arg_list,
    is_this,
    member_parts,
    prop_loc,
    read_value,
    string_value,
    unchain,
    unwrap,
)
from advisor.sources.links import links_of, rename_target
from advisor.sources.mongo_names import package_constant, run_time, run_time_name
from advisor.sources.pymongo_slots import Slot

QUERY_METHODS = {op for op in FIND_OPS | AGGREGATE_OPS if "_" not in op} | {
    "findAndModify",  # the 2.x driver's findAndModify(query, sort, update, options)
}  # the drivers' and mongoose's camelCase names
LEGACY_BULK = {
    "update": "updateMany",
    "updateOne": "updateOne",
    "replaceOne": "replaceOne",
    "remove": "deleteMany",
    "removeOne": "deleteOne",
    "delete": "deleteMany",
    "deleteOne": "deleteOne",
}  # bulk.find(q).upsert().x()
SEQUELIZE_OPTIONS = {
    "where",
    "include",
    "attributes",
    "order",
    "offset",
    "raw",
    "transaction",
    "group",
    "paranoid",
    "lock",
    "nest",
    "subQuery",
    "logging",
    "plain",
}


def _sort_value(f: JsFile, node, path, spans, state) -> Any:
    node = unwrap(node)
    if node is None:
        return None
    if node.type in ("string", "template_string"):
        s = string_value(f, node)
        if s is None:
            return Placeholder("object", f.src(node))
        out = {}
        for word in s.split():
            out[word.lstrip("-+")] = -1 if word.startswith("-") else 1
        spans[path] = f.loc(node)
        return out
    if node.type == "array":  # [['a', -1], ['b', 1]]
        v = read_value(f, node, path, spans, state)
        out = {}
        for item in v if isinstance(v, list) else []:
            if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str):
                out[item[0]] = -1 if item[1] in (-1, "desc", "descending") else 1
        spans[path] = f.loc(node)
        return out
    v = read_value(f, node, path, spans, state)
    spans.setdefault(path, f.loc(node))
    if isinstance(v, dict):
        return {k: (-1 if d in (-1, "desc", "descending") else d if isinstance(d, dict) else 1) for k, d in v.items()}
    return v


def _projection_value(f: JsFile, node, path, spans, state) -> Any:
    node = unwrap(node)
    if node.type in ("string", "template_string"):
        s = string_value(f, node)
        spans[path] = f.loc(node)
        if s is None:
            return Placeholder("object", f.src(node))
        out = {}
        for word in s.split():
            if word.startswith("+"):
                continue
            out[word.lstrip("-")] = 0 if word.startswith("-") else 1
        return out
    if node.type == "array":
        v = read_value(f, node, path, spans, state)
        return {k: 1 for k in v if isinstance(k, str)} if isinstance(v, list) else v
    v = read_value(f, node, path, spans, state)
    spans.setdefault(path, f.loc(node))
    return v


def _apply_options(q: MongoQuery, opts: Any, f: JsFile, node, state) -> None:
    if not isinstance(opts, dict):
        return
    if "sort" in opts and q.sort is None:
        q.sort = opts["sort"] if isinstance(opts["sort"], dict) else opts["sort"]
        q.spans[("sort",)] = q.spans.get(("options", "sort"), f.loc(node))
    for key in ("projection", "fields"):  # driver 3.x+ / 2.x option names
        if key in opts and q.projection is None:
            q.projection = opts[key]
            q.spans[("projection",)] = q.spans.get(("options", key), f.loc(node))
    if (
        q.operation in ("find", "findOne")
        and q.projection is None
        and opts
        and all(map(_projection_item, opts.values()))
    ):
        q.projection = opts  # driver 2.x: find(query, { a: 1, b: 1 }); a write's `{ upsert: true }` projects nothing
        q.spans[("projection",)] = f.loc(node)
    for key in ("skip", "limit"):
        if key in opts and getattr(q, key) is None:
            setattr(q, key, opts[key])
            q.spans[(key,)] = q.spans.get(("options", key), f.loc(node))
    if opts.get("lean") is True:
        q.lean = True
    if opts.get("upsert") is True:
        q.upsert = True
    _hint(q, opts)


def _hint(q: MongoQuery, opts: Any) -> None:
    """The index an options object forces (`{ hint: 'name' }`, `{ hint: { a: 1 } }`)."""
    if isinstance(opts, dict) and "hint" in opts:
        q.hint = opts["hint"]


# the operations whose options are their last argument, by its position: read for a hint only
HINTED_AT = {
    "countDocuments": 1,
    "count": 1,
    "deleteOne": 1,
    "deleteMany": 1,
    "aggregate": 1,
    "distinct": 2,
}


# the writes whose options are an argument, by its position (findAndModify, the driver 2.x form (query, sort, doc,
# options), reads its own); read for an upsert, a sort or a hint
WRITE_OPTIONS_AT = {
    "findOneAndUpdate": 2,
    "findOneAndReplace": 2,
    "findOneAndDelete": 1,
    "updateOne": 2,
    "updateMany": 2,
    "replaceOne": 2,
    "update": 2,
}


# what a find's options object holds (mongoose's and the driver's), none of it a projection's value
FIND_OPTIONS = frozenset(
    "sort limit skip projection fields lean batchSize hint collation maxTimeMS session readPreference comment"
    " populate tailable allowDiskUse".split()
)


def _options_object(f: JsFile, node) -> bool:
    """A second argument that can only be options: every key an option's, some value no projection's
    (`{ sort: {...}, limit: 1 }`; `{ limit: 1 }` alone may project a field named `limit`)."""
    node = unwrap(node)
    if node is None or node.type != "object":
        return False
    value = read_value(f, node, (), {}, {"partial": False})
    return (
        isinstance(value, dict)
        and bool(value)
        and set(value) <= FIND_OPTIONS
        and not all(_projection_item(v) for v in value.values())
    )


def _projection_item(value: Any) -> bool:
    if isinstance(value, bool) or value in (0, 1):
        return True
    return isinstance(value, dict) and bool(value) and all(k in ("$slice", "$elemMatch", "$meta") for k in value)


PENDING = ""  # the collection of a query on a property advisor.sources.links may know as a getter's
PARAMETER = "<>"  # the collection of a query on a parameter advisor.sources.links may know from the callers


def _property_of_another(f: JsFile, base) -> str | None:
    """`x.name` read on an object not `this`: the property's name."""
    base = unwrap(base)
    if base is None or base.type != "member_expression":
        return None
    obj, prop = member_parts(f, base)
    return prop if obj is not None and not is_this(f, unwrap(obj)) else None


def _query_from_chain(f: JsFile, top, base, calls) -> MongoQuery | None:
    i = next((n for n, (method, _, _) in enumerate(calls) if method in QUERY_METHODS), None)
    built = None  # mongoose's `Model.where('age').gte(18)`: a find its query builder starts from the model
    if i is None:
        i = built = next((n for n, (method, _, _) in enumerate(calls) if method == "where"), None)
    if i is None:
        return None
    method, args, call = calls[i]
    if built is not None:
        method, args = "find", None
    if (
        i + 1 < len(calls)
        and calls[i + 1][0] in ("map", "forEach", "filter", "reduce", "then")
        and method == "find"
        and not arg_list(args)
    ):
        return None
    arglist = arg_list(args)
    if (
        method in ("find", "findOne", "filter")
        and arglist
        and unwrap(arglist[0]).type in ("arrow_function", "function_expression", "function")
    ):
        return None  # Array.prototype.find
    receiver = resolve_receiver(f, base, calls[:i])
    if receiver is None and not calls[:i] and _property_of_another(f, base) is not None:
        receiver = (PENDING, None, True)  # `versioned.syncConfigDefinitions`: a getter of another module's, maybe
    if receiver is None and not calls[:i] and parameter_slot(f, unwrap(base)) is not None:
        receiver = (PARAMETER, None, True)  # a parameter its callers may name (advisor.sources.js_mongo_slots)
    if receiver is None:
        return None
    collection, model, driver = receiver
    if built is not None and (model is None or driver):
        return None  # only a mongoose model starts a query with where()
    spans: dict = {}
    state: dict = {"partial": False}
    text = f.src(top)
    q = MongoQuery(
        collection=collection,
        operation=method,
        location=f.loc(call),
        source="js",
        model=model,
        driver=driver,
        text=text if len(text) < 2000 else text[:2000],
        spans=spans,
        params=parameters(f, call),
        scope=scope_names(f, call),
    )
    q.location = Location(
        f.path, call.start_point[0] + 1, f.col(*call.start_point), top.end_point[0] + 1, f.col(*top.end_point)
    )
    fn = unwrap(call.child_by_field_name("function"))
    if fn is not None and fn.type == "member_expression":
        prop = fn.child_by_field_name("property")
        if prop is not None:
            q.location = Location(
                f.path, prop.start_point[0] + 1, f.col(*prop.start_point), top.end_point[0] + 1, f.col(*top.end_point)
            )
    spans[()] = q.location

    def arg(n: int):
        return arglist[n] if len(arglist) > n else None

    if method in AGGREGATE_OPS:
        if arg(0) is not None:
            q.pipeline = read_value(f, arg(0), ("pipeline",), spans, state)
        else:
            q.pipeline = Placeholder("array", "builder")
            state["partial"] = True
    elif method == "findById" or method in ("findByIdAndUpdate", "findByIdAndDelete", "findByIdAndRemove"):
        q.filter = {
            "_id": read_value(f, arg(0), ("filter", "_id"), spans, state)
            if arg(0) is not None
            else Placeholder("objectid")
        }
        if method == "findById" and arg(1) is not None:
            q.projection = _projection_value(f, arg(1), ("projection",), spans, state)
    elif method == "distinct":  # distinct(field, filter), or mongoose's distinct(field, callback): no filter
        callback = arg(1) is not None and unwrap(arg(1)).type in FUNCTIONS
        q.filter = read_value(f, arg(1), ("filter",), spans, state) if arg(1) is not None and not callback else {}
    elif method == "findAndModify":
        q.filter = read_value(f, arg(0), ("filter",), spans, state) if arg(0) is not None else {}
        sort = _sort_value(f, arg(1), ("sort",), spans, state) if arg(1) is not None else None
        q.sort = sort or None  # `{}` or `[]`: no sort
        if arg(3) is not None:
            _apply_options(q, read_value(f, arg(3), ("options",), spans, state), f, arg(3), state)
    else:
        q.filter = read_value(f, arg(0), ("filter",), spans, state) if arg(0) is not None else {}
        if isinstance(q.filter, dict) and q.filter and set(q.filter) <= SEQUELIZE_OPTIONS:
            return None  # findOne({ where, include, attributes }): Sequelize, not MongoDB
        given = unwrap(arg(0)) if arg(0) is not None else None
        if given is not None and given.type == "identifier":  # one of the filters a branch gives the name
            q.variants = tuple(read_value(f, v, ("filter",), {}, dict(state)) for v in branch_values(f, given))
        if given is not None:
            spans[("filter",)] = f.loc(given)
        if method in ("find", "findOne") and arg(1) is not None:
            if driver:
                _apply_options(q, read_value(f, arg(1), ("options",), spans, state), f, arg(1), state)
                if arg(2) is not None:  # driver 2.x: find(query, fields, options)
                    _apply_options(q, read_value(f, arg(2), ("options",), spans, state), f, arg(2), state)
            elif _options_object(f, arg(1)):  # find(filter, { sort, limit }): options in projection's place
                _apply_options(q, read_value(f, arg(1), ("options",), spans, state), f, arg(1), state)
            else:
                q.projection = _projection_value(f, arg(1), ("projection",), spans, state)
                if arg(2) is not None:
                    _apply_options(q, read_value(f, arg(2), ("options",), spans, state), f, arg(2), state)
        elif method in WRITE_OPTIONS_AT:
            opt = arg(WRITE_OPTIONS_AT[method])
            if opt is not None:
                options = read_value(f, opt, ("options",), spans, state)
                _apply_options(q, options, f, opt, state)
                q.upsert = q.upsert or (method == "update" and options is True)  # mongosh: update(q, u, true)
    if method in HINTED_AT and arg(HINTED_AT[method]) is not None:  # a hint forces the index the planner uses
        _hint(q, read_value(f, arg(HINTED_AT[method]), ("options",), {}, {"partial": False}))
    if arg(0) is not None and method not in AGGREGATE_OPS:
        _merge_mutations(f, q, arg(0), call, ("filter",), spans, state)
    elif arg(0) is not None:
        _merge_mutations(f, q, arg(0), call, ("pipeline",), spans, state)
    cursor = calls[i + 1 :] if built is None else calls[i:]
    holder = assigned_name(f, top)
    if (
        method in ("find", "aggregate")
        and holder is None
        and never_read(f, top, [m for m, _, _ in cursor], [arglist, *(arg_list(a) for _, a, _ in cursor)])
    ):
        return None  # a cursor never read sends no query
    if holder is not None:
        cursor = cursor + later_calls(f, holder, top)
    if method == "find" and any(m == "upsert" or m in LEGACY_BULK for m, _, _ in cursor):
        write = next((LEGACY_BULK[m] for m, _, _ in cursor if m in LEGACY_BULK), None)
        if write is None:
            return None
        q.operation = write  # bulk.find(q).upsert().updateOne(u), Model.find(q).remove(): a write
        q.upsert = any(m == "upsert" for m, _, _ in cursor)
        cursor = []
    for method2, args2, call2 in cursor:
        _cursor_call(f, q, method, method2, args2, call2, spans, state)
    q.streamed = q.streamed or iterated(f, holder, top)
    q.whole = used_whole(f, top)
    q.used = used_fields(f, top, calls[i + 1 :]) or ()
    q.partial = state["partial"]
    return q


STREAMING = {
    "cursor",
    "stream",
    "batchSize",
    "forEach",
    "eachAsync",
    "next",
    "hasNext",
    "tryNext",
    "pipe",
    "addCursorFlag",
    "readBufferedDocuments",
}


def _merge_mutations(f: JsFile, q: MongoQuery, node, call, root: tuple, spans: dict, state: dict) -> None:
    """A filter or pipeline variable changed before the call: keys set are merged, stages pushed are
    appended; a key set under a condition is noted (rules judge the filter with and without it); any
    other change, or a stage pushed under a condition, marks the shape partial."""
    node = unwrap(node)
    if node is None or node.type != "identifier":
        return
    declared = f.resolve(f.src(node), node.start_byte)
    if declared is None:
        return
    value = q.filter if root == ("filter",) else q.pipeline
    for m in mutations(f, f.src(node), declared, call):
        if m.kind == "set" and isinstance(value, dict) and m.key is not None:
            value[m.key] = read_value(f, m.values[0], root + (m.key,), spans, state)
            if m.conditional:  # rules judge the filter with and without it
                q.conditional = (*q.conditional, m.key)
            continue
        if m.kind == "push" and isinstance(value, list):
            value += [read_value(f, v, root + (len(value) + n,), spans, state) for n, v in enumerate(m.values)]
        if m.conditional or m.kind == "other" or not isinstance(value, (dict, list)):
            state["partial"] = True


def _cursor_call(f: JsFile, q: MongoQuery, method: str, method2: str, args2, call2, spans: dict, state: dict) -> None:
    """One call on the query's cursor (chained, or on the variable that holds it)."""
    a2 = arg_list(args2)
    first = a2[0] if a2 else None
    if method2 in STREAMING:
        q.streamed = True
    if method2 == "sort" and first is not None:
        if len(a2) == 2 and unwrap(first).type == "string":  # cursor.sort('field', -1)
            field = string_value(f, unwrap(first))
            d = read_value(f, a2[1], ("sort",), {}, state)
            q.sort = {field: -1 if d in (-1, "desc", "descending") else 1}
        else:
            q.sort = _sort_value(f, first, ("sort",), spans, state)
        spans[("sort",)] = prop_loc(f, call2)
    elif method2 in ("select", "project", "projection") and first is not None:
        q.projection = _projection_value(f, first, ("projection",), spans, state)
        spans[("projection",)] = prop_loc(f, call2)
    elif method2 in ("skip", "limit") and first is not None:
        setattr(q, method2, read_value(f, first, (method2,), spans, state))
        spans[(method2,)] = prop_loc(f, call2)
    elif method2 == "lean":
        q.lean = True
    elif method2 == "hint" and first is not None:
        q.hint = read_value(f, first, ("hint",), {}, {"partial": False})
    elif method2 == "explain":
        q.explained = True
    elif method2 in ("where", *WHERE_OPS) and method != "aggregate":
        _where_call(f, q, method2, a2, call2, spans, state)
    elif method2 in ("or", "and", "nor"):
        state["partial"] = True
    elif method2 in ("count", "countDocuments") and method == "find":
        q.operation = "countDocuments"
    elif method2 in ("match", "group", "unwind", "lookup", "project") and method == "aggregate":
        state["partial"] = True


def _where_call(f: JsFile, q: MongoQuery, method2: str, args: list, call, spans: dict, state: dict) -> None:
    """mongoose's query builder: `.where('age').gte(18).lt(65)`, `.where({ a: 1 })`, `.where('a', 1)`."""
    if not isinstance(q.filter, dict):
        state["partial"] = True
        return
    if method2 == "where":
        value = read_value(f, args[0], ("filter",), spans, state) if args else None
        if isinstance(value, str):
            state["where_field"] = value
            if len(args) > 1:
                q.filter[value] = read_value(f, args[1], ("filter", value), spans, state)
        elif isinstance(value, dict):
            q.filter.update(value)
        else:
            state["partial"] = True
        return
    field = state.get("where_field")
    if len(args) == 2:  # .gt('age', 18)
        field = read_value(f, args[0], (), {}, state)
        args = args[1:]
    if not isinstance(field, str) or not args:
        state["partial"] = True
        return
    value = read_value(f, args[0], ("filter", field), spans, state)
    op = WHERE_OPS[method2]
    spans.setdefault(("filter", field), prop_loc(f, call))
    if op is None:
        q.filter[field] = value
    else:
        current = q.filter.get(field)
        q.filter[field] = {**(current if isinstance(current, dict) else {}), op: value}


def extract_mongo(f: JsFile, calls: list, result: SourceFile) -> None:
    """Add the file's MongoDB queries and index declarations to `result`."""
    model_and_schema_maps(f, calls)
    register_schemas(f)  # `setLockSchema(lockSchema)`: the model the function registers from it
    schema_classes(f, calls)  # NestJS's `SchemaFactory.createForClass(Cat)` (advisor.sources.js_nest)
    for model, collection, named, entry in registered_models(f, calls):  # `forFeature([{ name, schema, ... }])`
        if collection:
            links_of(result).registered[model] = collection
        if not named:  # a schema the caller may replace (`options.customSchema ?? UserSchema`): its indexes unknown
            result.indexes.append(unread_index(collection or pluralize(model), f.loc(entry), model))
    result.indexes += wrapper_indexes(f, calls)
    result.indexes += helper_list_indexes(f, calls)  # `buildDbIndexes(Orders, [{ index: {...} }])`, a package's
    result.indexes += registered_indexes(f, calls)  # `registerPlugin({ collections: { K: { indexes } } })`
    for name, info in f.schemas.items():
        d = info.get("def")
        if d is not None and d.type == "object":
            declared = [
                ix for model, coll in schema_models(name, info) for ix in schema_field_indexes(f, d, coll, model)
            ]
            for ix in declared if info.get("through") else ():
                ix.options["through"] = info["through"]  # a hook may change them: no redundancy is claimed
            result.indexes += declared
        if "nest" in info:  # a NestJS schema class: its model's collection, for the services that inject it
            result.indexes += [
                ix for model, coll in schema_models(name, info) for ix in class_field_indexes(f, info, coll, model)
            ]
            if info["model"]:
                links_of(result).models[info["model"]] = schema_collection(name, info)
    here, elsewhere = plugin_indexes(f, calls)  # `schema.plugin(isDeletedPlugin)`: the indexes the plugin declares
    result.indexes += here
    plugins = exported_plugins(f)
    if elsewhere or plugins:  # another module's plugin, and this module's for the others (advisor.sources.links)
        links_of(result).plugged += elsewhere
        links_of(result).plugins.update(plugins)
    seen: set[tuple[int, int, str]] = set()
    for call in calls:
        parent = f.parent(call)
        # only the top of a chain: skip calls that are the object of a further member call
        if (
            parent is not None
            and parent.type == "member_expression"
            and parent.parent is not None
            and parent.parent.type == "call_expression"
        ):
            continue
        base, chain = unchain(f, call)
        for reading in readings(f, base) if chain else ():  # `this.cols[n]`: once per name a loop gives n
            f.bound = reading
            _read_chain(f, call, base, chain, result, seen)
        f.bound = {}
    _imported_receivers(f, calls, result)
    _passed(f, calls, result)
    share_models(f, calls, result)  # what the project joins across files (advisor.sources.links)
    _getters(f, result)
    _moved_indexes(f, result)
    _enums(f, result)
    _package_constants(f, result)
    inherited(f, result)  # last: the queries on a member a base class opens, for advisor.sources.links


def _renamed(f: JsFile, call, base, args) -> None:
    """`users.rename('23-users.bak')` on a driver collection: recorded for _moved_indexes."""
    got = resolve_receiver(f, base, [])
    given = arg_list(args)
    if got is None or not got[2] or got[1] is not None or not given:
        return  # not a driver collection's (fs.rename, a model's), or no new name
    new = string_value(f, unwrap(given[0])) if unwrap(given[0]) is not None else None
    f.memo.setdefault(("renamed",), []).append((got[0], f.loc(call), new))


def _moved_indexes(f: JsFile, result: SourceFile) -> None:
    """A collection renamed takes its indexes with it (MongoDB's renameCollection): those the module declared on it
    before the rename are the new name's, and the collection the old name names from then on has only `_id_` and
    what is declared after (We.Publish's migrations move `users` and `invoices` to backups and create them again
    empty: its `users` has no `email` index, whatever the first migration declared)."""
    for collection, at, new in f.memo.get(("renamed",), ()):
        moved = [
            ix
            for ix in result.indexes
            if ix.table == collection
            and ix.location is not None
            and ix.location.path == at.path
            and (ix.location.line, ix.location.col) < (at.line, at.col)
        ]
        for ix in moved:
            ix.table = new or run_time_name(f"{collection}.renamed")
        if moved:  # its declarations are read here: the new one's are known to be what comes after
            result.indexes.append(
                IndexDef("_id_", collection, (IndexKey("_id"),), unique=True, method="mongo", location=at)
            )


def _enums(f: JsFile, result: SourceFile) -> None:
    """The enums of names the module declares, and its queries and indexes on a member of one
    (advisor.sources.js_enums; another module's, named by advisor.sources.links)."""
    own = declared_enums(f) if "enum " in f.text or "as const" in f.text or "Object.freeze" in f.text else {}
    if own:
        links_of(result).enums.update(own)
    targets = [t for t in [*result.queries, *result.indexes] if MEMBER.fullmatch(named_by(t))]
    if targets:
        links_of(result).enumed += enum_named(f, targets, own)


def _package_constants(f: JsFile, result: SourceFile) -> None:
    """Queries and indexes on a collection a constant another package exports names (`db.collection(TABLE_MESSAGES)`
    with `import { TABLE_MESSAGES } from "@mastra/core/storage"`, the index list's `{ collection: TABLE_MESSAGES,
    keys }` alike): an import binding is one value, so they meet on one collection (mongo_names.package_constant)."""
    for target in [*result.queries, *result.indexes]:
        m = _BOUND.fullmatch(named_by(target))
        module = f.imports.get(m[1]) if m else None
        export = imported_name(f, m[1]) if m and module and not module.startswith(".") else None
        if m and module and export:
            rename_target(target, package_constant(module, export))


_BOUND = re.compile(r"<([A-Za-z_$][\w$]*)>")  # `<TABLE_MESSAGES>`: a collection a bare name gives


def _passed(f: JsFile, calls: list, result: SourceFile) -> None:
    """The calls of functions by name passing collections, for the slots of the project (advisor.sources.links)."""

    def named(node) -> str | None:
        rb, rcalls = unchain(f, node)
        got = resolve_receiver(f, rb, rcalls) if rb is not None or rcalls else None
        return got[0] if got is not None and got[0] not in (PENDING, PARAMETER) and not run_time(got[0]) else None

    own = {slot.function for slot, _ in links_of(result).slots.targets}
    passed, counts = passed_calls(f, calls, named, own)
    made, built = passed_constructions(f, named)
    passed += made
    counts.update(built)
    slots = links_of(result).slots
    slots.passed += passed
    for key, n in counts.items():
        slots.calls[key] = slots.calls.get(key, 0) + n


def _getters(f: JsFile, result: SourceFile) -> None:
    """The getters the module's classes define, each with the collection it returns: the one the module names,
    else the property of another object it hands on, read as the collection of that name as `db.<name>` is
    (`return this.upstream.bucket_state`), else None: another module reading `ctx.db.<getter>` reads the
    project's property, not a collection named after the getter (advisor.sources.links)."""
    for name, method in f.methods.items():
        if getter(f, method) == name:
            value = unwrap(returned(method))
            got = None
            if value is not None:
                rb, rcalls = unchain(f, value)
                got = resolve_receiver(f, rb, rcalls, 1)
            if got is not None and not run_time(got[0]):
                links_of(result).getters[name] = got[0]
            elif value is not None and (handed := _property_of_another(f, value)) is not None:
                links_of(result).getters[name] = handed
            else:  # nothing advisor can name (`return this._form`: the class's own member, unresolved)
                links_of(result).getters[name] = None


def _read_chain(f: JsFile, call, base, chain: list, result: SourceFile, seen: set) -> None:
    """The index declaration or query a call chain makes (or the collection it renames)."""
    for i, (method, _, _) in enumerate(chain):
        if method == "rename" and i == 0:
            _renamed(f, call, base, chain[0][1])
            return
        if method in INDEX_METHODS or method == "index":
            result.indexes += index_from_call(f, base, chain, i)
            return
        if method == "bulkWrite":
            result.queries += bulk_write(f, call, base, chain, i)
            return
        if method in QUERY_METHODS or (method == "where" and not any(m in QUERY_METHODS for m, _, _ in chain)):
            q = _query_from_chain(f, call, base, chain)
            if q is not None and q.collection == PENDING:  # kept when the project defines the getter
                links_of(result).pending_mongo.append((_property_of_another(f, base) or "", q))
                return
            slot = _slot(f, base, i, q)
            if q is not None and slot is not None:  # named by what the callers pass (advisor.sources.links)
                links_of(result).slots.targets.append((slot, q))
                if q.collection == PARAMETER:
                    return
                links_of(result).slots.guessed.add(id(q))  # advisor's reading of the name: kept if no caller passes one
            where = (q.location.line, q.location.col, q.collection) if q is not None else None
            if q is not None and where not in seen:  # `(await c.find()...).map()`
                seen.add(where)
                result.queries.append(q)
            return


def _slot(f: JsFile, base, i: int, q: MongoQuery | None):
    """The parameter a query is on, when its callers may name it: the collection advisor could not name, or
    named only by guessing from the parameter's name (a capitalised name read as a model, `<collection>`), or
    the one a class is given by its constructor (`this.jobModel`, named `Class.jobModel` unless the project's
    `new Class(...)` calls say)."""
    base = unwrap(base)
    obj, prop = member_parts(f, base) if q is not None and i == 0 and base is not None else (None, None)
    if obj is not None and prop and is_this(f, unwrap(obj)) and q is not None:
        given = constructor_slot(f, base, prop)
        return (
            Slot(given[0], "__init__", given[1], given[2]) if given and q.collection == f"{given[0]}.{prop}" else None
        )
    if q is None or i != 0 or base is None or base.type != "identifier":
        return None
    name = f.src(base)
    guessed = (
        q.collection == PARAMETER or (q.model == name and name not in f.models) or q.collection == run_time_name(name)
    )
    if not guessed or (q.collection != PARAMETER and passed(f, base)):
        return None  # named otherwise, or by the calls of this very file (advisor.sources.js_receivers)
    return parameter_slot(f, base)


EXPORTED = re.compile(r"<(?:module\.)?exports\.(\w+)(\.collection)?>")  # a model the module exports


def _imported_receivers(f: JsFile, calls: list, result: SourceFile) -> None:
    """Hand advisor.sources.links the factories this module exports, and the queries on what a function
    imported from another module returns (`RunsModel(conn, name).find()`): kept once the project says
    that function opens a model or collection (advisor.sources.js_mongo_factories)."""
    opens = "model(" in f.text or "model<" in f.text or "ollection(" in f.text  # TypeScript's `conn.model<T>(...)`
    factories = exported_factories(f) if opens else {}
    if factories:
        links_of(result).factories.update(factories)
    models = exported_models(f) if "exports." in f.text and "model" in f.text else {}  # `(0, m.model)(...)`
    top = module_models(f) if "export" in f.text and "model" in f.text else {}
    if top:  # `export default Dataset`, `export const ChannelModelAPI = conn.model('Channel', ...)`
        links_of(result).exported.update(top)
    if "export" in f.text and " from " in f.text:
        links_of(result).reexported += reexports(f)
    for q in result.queries:  # `import DatasetModel from "../models/dataset"`, `import { ChannelModelAPI } from ...`
        imported = model_import(f, q.model) if q.model and q.model not in f.models else None
        if imported is not None:
            links_of(result).imported.append((*imported, q))
    if models:
        links_of(result).exported.update(models)
        for q in result.queries:  # `exports.balanceModel.collection.findOne()` where it is exported
            own = EXPORTED.fullmatch(q.collection)
            if own is not None and own[1] in models:
                q.collection, q.model, q.driver = made(models[own[1]], (), (), q.collection)
                q.driver = q.driver or bool(own[2])
    wanted = {
        q.collection
        for q in result.queries
        if run_time(q.collection) and (not q.driver or q.collection.endswith(".collection>")) and q.model is None
    }
    opened = {name: m for c in calls if (name := run_time_name(f.src(c))) in wanted and (m := imported_call(f, c))}
    for member in members_read(f, calls) if wanted else ():  # `Device.model.find()`, `const M = Device.model`
        if (name := run_time_name(f.src(member))) in wanted and (m := imported_member(f, member)):
            opened[name] = m
    if opened:
        links_of(result).made += [(opened[q.collection], q) for q in result.queries if q.collection in opened]
        result.queries = [q for q in result.queries if q.collection not in opened]
