"""MongoDB calls and index declarations in JavaScript / TypeScript.

Finds mongoose model calls and chains (`Model.find(f).select().sort().skip().limit().lean()`),
driver and mongosh calls (`db.collection('x').find()`, `db.x.aggregate([...])`),
`createIndex` / `createIndexes` / `schema.index()` and field-level `index: true`.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.ir import IndexDef, Location, SourceFile
from advisor.mongo.indexes import make_index
from advisor.mongo.shape import AGGREGATE_OPS, FIND_OPS, MongoQuery, Placeholder, pluralize
from advisor.sources.js_flow import assigned_name, iterated, later_calls, mutations, used_fields, used_whole
from advisor.sources.js_syntax import (WRAPPERS, JsFile, arg_list, is_this, key_name, member_parts, prop_loc, read_value,
                                       string_value, unchain, unwrap)

QUERY_METHODS = (FIND_OPS | AGGREGATE_OPS) - {"find_one", "count_documents", "update_one", "update_many",
                                               "replace_one", "delete_one", "delete_many", "find_one_and_update",
                                               "find_one_and_delete", "find_one_and_replace"}
INDEX_METHODS = {"createIndex", "ensureIndex", "createIndexes"}
SEQUELIZE_OPTIONS = {"where", "include", "attributes", "order", "offset", "raw", "transaction", "group",
                     "paranoid", "lock", "nest", "subQuery", "logging", "plain"}
GLOBALS = {"Array", "Object", "Promise", "Math", "JSON", "Date", "Number", "String", "Reflect", "Map", "Set",
           "Boolean", "Symbol", "Intl", "Buffer", "URL", "Error", "RegExp", "BigInt", "WeakMap", "WeakSet",
           "React", "Vue", "Ember", "Immutable", "_", "R", "Lodash", "Collection"}


def _is_db_expr(f: JsFile, node) -> bool:
    node = unwrap(node)
    if node is None:
        return False
    if node.type == "identifier":
        name = f.src(node)
        return bool(re.fullmatch(r"(db|database|mongoDb|mongodb|mongo|conn|connection|\w*Db|\w*DB|\w*_db)", name))
    if node.type == "member_expression":
        _, prop = member_parts(f, node)
        return prop in ("db", "database", "connection", "mongoDb", "mongodb") or bool(re.fullmatch(r"\w*(Db|DB|_db)", prop or ""))
    if node.type == "call_expression":
        fn = unwrap(node.child_by_field_name("function"))
        if fn is not None:
            _, prop = member_parts(f, fn)
            return prop in ("db", "getSiblingDB", "getDB", "useDb")
    return False


def _model_collection(f: JsFile, model: str) -> str:
    for var, (name, coll) in f.models.items():
        if name == model and coll:
            return coll
    return pluralize(model)


def resolve_receiver(f: JsFile, base, calls_before: list, depth: int = 0):
    """What a query method was called on: (collection, model or None, driver?) or None."""
    if calls_before:
        method, args, call = calls_before[-1]
        args = arg_list(args)
        if method in ("collection", "getCollection") and args:
            name = string_value(f, unwrap(args[0]))
            if name is not None:
                return name, None, True
            return None
        if method == "model" and args:
            name = string_value(f, unwrap(args[0]))
            if name is not None:
                return _model_collection(f, name), name, False
        return None
    if base is None:
        return None
    base = unwrap(base)
    if base.type == "identifier":
        name = f.src(base)
        if name in f.models:
            model, coll = f.models[name]
            return coll or pluralize(model), model, False
        resolved = f.resolve(name, base.start_byte)
        if resolved is not None and depth < 4:
            rb, rcalls = unchain(f, resolved)
            if rcalls or (rb is not None and rb.type in ("member_expression", "subscript_expression", "identifier")):
                got = resolve_receiver(f, rb, rcalls, depth + 1)
                if got is not None:
                    return got
        if resolved is not None and resolved.type == "new_expression":  # new Mongo.Collection('tasks')
            ctor = resolved.child_by_field_name("constructor")
            args = arg_list(resolved.child_by_field_name("arguments"))
            coll = string_value(f, unwrap(args[0])) if args else None
            if ctor is not None and f.src(ctor).endswith("Collection") and coll:
                return coll, None, True
        if name[:1].isupper() and name not in GLOBALS and not name.isupper() and _model_binding(f, name, resolved):
            return pluralize(name), name, False
        m = re.fullmatch(r"(\w+?)(Collection|Coll|_collection|_coll)", name)
        if m:
            return m.group(1), None, True
        return None
    obj, prop = member_parts(f, base)
    if prop:
        obj = unwrap(obj)
        if obj is not None and is_this(f, obj):
            return _member_collection(f, prop, depth)
        if prop == "collection" and obj is not None and obj.type == "identifier":
            got = resolve_receiver(f, obj, [], depth + 1)
            if got is not None and got[1] is not None:
                return got[0], got[1], True
            return None
        if obj is not None and obj.type == "member_expression":
            _, oprop = member_parts(f, obj)
            if oprop == "models" and prop[:1].isupper():
                return _model_collection(f, prop), prop, False
        if _is_db_expr(f, obj) and prop not in ("collection", "getCollection", "runCommand", "admin", "command"):
            return prop, None, True
    return None


MEMBER_COLLECTION = re.compile(r"_*(\w*?)_?(collection|coll|col)s?", re.IGNORECASE)


def _member_collection(f: JsFile, prop: str, depth: int):
    """A collection held on `this`: `this.jobs = db.collection('jobs')` in this file gives its name;
    a member named like a collection (`this._collection`, `this.col`) that advisor cannot name is
    called by that name, so its indexes and queries in other files of the project meet."""
    for value in f.members.get(prop, ()):
        if depth < 4:
            rb, rcalls = unchain(f, value)
            got = resolve_receiver(f, rb, rcalls, depth + 1) if rcalls or rb is not None else None
            if got is not None:
                return got
    if MEMBER_COLLECTION.fullmatch(prop):
        return f"this.{prop}", None, True
    return None


def _model_binding(f: JsFile, name: str, resolved) -> bool:
    """Whether a capitalised name not bound by mongoose.model() here is a model from elsewhere:
    imported or required from the project's own modules (not a package such as a pagination,
    Sequelize or lodash library), or a free name. A class declared in the file (with a static
    find) is not one."""
    if name in f.classes:
        return False
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
        node = unwrap(node.child_by_field_name("object"))
    if node is None or node.type != "call_expression":
        return None
    fn = node.child_by_field_name("function")
    args = arg_list(node.child_by_field_name("arguments"))
    if fn is None or f.src(fn) != "require" or not args:
        return None
    return string_value(f, unwrap(args[0]))


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
    if q.projection is None and opts and all(_projection_item(v) for v in opts.values()):
        q.projection = opts  # driver 2.x: find(query, { a: 1, b: 1 })
        q.spans[("projection",)] = f.loc(node)
    for key in ("skip", "limit"):
        if key in opts and getattr(q, key) is None:
            setattr(q, key, opts[key])
            q.spans[(key,)] = q.spans.get(("options", key), f.loc(node))
    if opts.get("lean") is True:
        q.lean = True


def _projection_item(value: Any) -> bool:
    if isinstance(value, bool) or value in (0, 1):
        return True
    return isinstance(value, dict) and bool(value) and all(k in ("$slice", "$elemMatch", "$meta") for k in value)


def _query_from_chain(f: JsFile, top, base, calls) -> MongoQuery | None:
    for i, (method, args, call) in enumerate(calls):
        if method in QUERY_METHODS:
            break
    else:
        return None
    if i + 1 < len(calls) and calls[i + 1][0] in ("map", "forEach", "filter", "reduce", "then") and method == "find" and \
            not arg_list(args):
        return None
    arglist = arg_list(args)
    if method in ("find", "findOne", "filter") and arglist and unwrap(arglist[0]).type in (
            "arrow_function", "function_expression", "function"):
        return None  # Array.prototype.find
    receiver = resolve_receiver(f, base, calls[:i])
    if receiver is None:
        return None
    collection, model, driver = receiver
    spans: dict = {}
    state: dict = {"partial": False}
    text = f.src(top)
    q = MongoQuery(collection=collection, operation=method, location=f.loc(call), source="js", model=model,
                   driver=driver, text=text if len(text) < 2000 else text[:2000], spans=spans)
    q.location = Location(f.path, call.start_point[0] + 1, f.col(*call.start_point),
                          top.end_point[0] + 1, f.col(*top.end_point))
    fn = unwrap(call.child_by_field_name("function"))
    if fn is not None and fn.type == "member_expression":
        prop = fn.child_by_field_name("property")
        if prop is not None:
            q.location = Location(f.path, prop.start_point[0] + 1, f.col(*prop.start_point),
                                  top.end_point[0] + 1, f.col(*top.end_point))
    spans[()] = q.location

    def arg(n: int):
        return arglist[n] if len(arglist) > n else None

    if method in AGGREGATE_OPS:
        if arg(0) is not None:
            q.pipeline = read_value(f, arg(0), ("pipeline",), spans, state)
        else:
            q.pipeline = Placeholder("array", "builder")
            state["partial"] = True
    elif method == "findById" or method in ("findByIdAndUpdate", "findByIdAndDelete"):
        q.filter = {"_id": read_value(f, arg(0), ("filter", "_id"), spans, state) if arg(0) is not None else Placeholder("objectid")}
        if method == "findById" and arg(1) is not None:
            q.projection = _projection_value(f, arg(1), ("projection",), spans, state)
    elif method == "distinct":
        q.filter = read_value(f, arg(1), ("filter",), spans, state) if arg(1) is not None else {}
    else:
        q.filter = read_value(f, arg(0), ("filter",), spans, state) if arg(0) is not None else {}
        if isinstance(q.filter, dict) and q.filter and set(q.filter) <= SEQUELIZE_OPTIONS:
            return None  # findOne({ where, include, attributes }): Sequelize, not MongoDB
        if arg(0) is not None:
            spans[("filter",)] = f.loc(unwrap(arg(0)))
        if method in ("find", "findOne") and arg(1) is not None:
            if driver:
                _apply_options(q, read_value(f, arg(1), ("options",), spans, state), f, arg(1), state)
            else:
                q.projection = _projection_value(f, arg(1), ("projection",), spans, state)
                if arg(2) is not None:
                    _apply_options(q, read_value(f, arg(2), ("options",), spans, state), f, arg(2), state)
        elif method in ("findOneAndUpdate", "findOneAndDelete", "findOneAndReplace", "updateOne", "updateMany"):
            opt = arg(2) if method != "findOneAndDelete" else arg(1)
            if opt is not None:
                _apply_options(q, read_value(f, opt, ("options",), spans, state), f, opt, state)
    if arg(0) is not None and method not in AGGREGATE_OPS:
        _merge_mutations(f, q, arg(0), call, ("filter",), spans, state)
    elif arg(0) is not None:
        _merge_mutations(f, q, arg(0), call, ("pipeline",), spans, state)
    cursor = calls[i + 1:]
    holder = assigned_name(f, top)
    if holder is not None:
        cursor = cursor + later_calls(f, holder, top)
    for method2, args2, call2 in cursor:
        _cursor_call(f, q, method, method2, args2, call2, spans, state)
    q.streamed = q.streamed or iterated(f, holder, top)
    q.whole = used_whole(f, top)
    q.used = used_fields(f, top, calls[i + 1:]) or ()
    q.partial = state["partial"]
    return q


STREAMING = {"cursor", "stream", "batchSize", "forEach", "eachAsync", "next", "hasNext", "tryNext", "pipe",
             "addCursorFlag", "readBufferedDocuments"}


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


WHERE_OPS = {"equals": None, "gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte", "in": "$in", "nin": "$nin",
             "ne": "$ne", "regex": "$regex", "exists": "$exists", "elemMatch": "$elemMatch", "size": "$size",
             "all": "$all", "mod": "$mod"}


def _cursor_call(f: JsFile, q: MongoQuery, method: str, method2: str, args2, call2, spans: dict,
                 state: dict) -> None:
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


# --- indexes ---------------------------------------------------------------------------------


def _ttl_seconds(v: Any) -> Any:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    if isinstance(v, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?\s*", v)
        if m:
            n = float(m.group(1))
            mult = {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31557600}[m.group(2)]
            return int(n * mult)
    return v


def _schema_field_indexes(f: JsFile, obj, collection: str, model: str | None, prefix: str = "") -> list[IndexDef]:
    out = []
    state: dict = {"partial": False}
    for child in obj.named_children:
        if child.type != "pair":
            continue
        key = key_name(f, child.child_by_field_name("key"))
        value = unwrap(child.child_by_field_name("value"))
        if key is None or value is None or value.type != "object":
            continue
        spec = read_value(f, value, (), {}, state)
        if not isinstance(spec, dict):
            continue
        name = prefix + key
        if "type" not in spec and depth_ok(prefix):
            out += _schema_field_indexes(f, value, collection, model, name + ".")
            continue
        idx, uniq, sparse, expires = spec.get("index"), spec.get("unique"), spec.get("sparse"), spec.get("expires")
        if not (idx or uniq is True or expires is not None):
            continue
        opts: dict = {}
        if uniq is True:
            opts["unique"] = True
        if sparse is True:
            opts["sparse"] = True
        if expires is not None:
            opts["expireAfterSeconds"] = _ttl_seconds(expires)
        direction = idx if isinstance(idx, (int, str)) and not isinstance(idx, bool) and idx not in ("", True) else 1
        ix = make_index(collection, {name: direction}, opts, f.loc(child), model)
        if ix is not None:
            out.append(ix)
    return out


def depth_ok(prefix: str) -> bool:
    return prefix.count(".") < 4


def _model_and_schema_maps(f: JsFile, calls: list) -> None:
    state: dict = {"partial": False}
    # schema variables: new Schema(def, {collection})
    for name, decls in f.decls.items():
        for _, value in decls:
            if value.type == "new_expression":
                ctor = value.child_by_field_name("constructor")
                if ctor is not None and f.src(ctor).split(".")[-1] == "Schema":
                    args = arg_list(value.child_by_field_name("arguments"))
                    coll = None
                    if len(args) > 1:
                        opts = read_value(f, args[1], (), {}, state)
                        if isinstance(opts, dict) and isinstance(opts.get("collection"), str):
                            coll = opts["collection"]
                    f.schemas[name] = {"collection": coll, "model": None,
                                       "def": unwrap(args[0]) if args else None}
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
            info["model"] = model
            coll = coll or info["collection"]
            info["collection"] = coll or pluralize(model)
        parent = call.parent
        while parent is not None and parent.type in WRAPPERS:
            parent = parent.parent
        var = None
        if parent is not None and parent.type == "variable_declarator":
            n = parent.child_by_field_name("name")
            var = f.src(n) if n is not None else None
        f.models[var or model] = (model, coll or pluralize(model))
        f.models.setdefault(model, (model, coll or pluralize(model)))


def _index_from_call(f: JsFile, base, calls, i: int) -> list[IndexDef]:
    method, args, call = calls[i]
    arglist = arg_list(args)
    state: dict = {"partial": False}
    loc = f.loc(call)
    fn = unwrap(call.child_by_field_name("function"))
    if fn is not None and fn.type == "member_expression":
        prop = fn.child_by_field_name("property")
        if prop is not None:
            loc = Location(f.path, prop.start_point[0] + 1, f.col(*prop.start_point),
                           call.end_point[0] + 1, f.col(*call.end_point))
    if method == "index":  # schema.index(keys, opts)
        if i != 0 or base is None or unwrap(base).type != "identifier" or not arglist:
            return []
        var = f.src(unwrap(base))
        info = f.schemas.get(var)
        if info is None and not var.lower().endswith("schema"):
            return []
        model = info["model"] if info else None
        coll = (info and info["collection"]) or (pluralize(model) if model else
                                                 pluralize(re.sub(r"(?i)schema$", "", var) or var))
        keys = read_value(f, arglist[0], (), {}, state)
        opts = read_value(f, arglist[1], (), {}, state) if len(arglist) > 1 else {}
        ix = make_index(coll, keys, opts, loc, model)
        return [ix] if ix else []
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
        return out
    keys = read_value(f, arglist[0], (), {}, state)
    opts = read_value(f, arglist[1], (), {}, state) if len(arglist) > 1 else {}
    ix = make_index(coll, keys, opts, loc, model)
    return [ix] if ix else []


FUNCTIONS = {"function_declaration", "function_expression", "arrow_function", "function", "method_definition"}


def _wrapper_of(f: JsFile, call):
    """A function whose body calls createIndex with its parameters, one level deep:
    (name, collection: literal or parameter number, keys parameter number, options parameter number)."""
    base, chain = unchain(f, call)
    at = next((n for n, (m, _, _) in enumerate(chain) if m in ("createIndex", "ensureIndex")), None)
    fn = call.parent
    while fn is not None and fn.type not in FUNCTIONS:
        fn = fn.parent
    if at is None or fn is None:
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


def _wrapper_indexes(f: JsFile, calls: list) -> list[IndexDef]:
    """Index declarations made through such a wrapper: `createIndex('objects', { _key: 1 }, opts)`,
    also `async.apply(createIndex, 'objects', ...)`."""
    wrappers = {w[0]: w[1:] for w in (_wrapper_of(f, c) for c in calls) if w is not None}
    out: list[IndexDef] = []
    state: dict = {"partial": False}
    for call in calls if wrappers else ():
        fn = unwrap(call.child_by_field_name("function"))
        args = arg_list(call.child_by_field_name("arguments"))
        if fn is not None and fn.type == "member_expression" and member_parts(f, fn)[1] == "apply" and args \
                and f.src(unwrap(fn.child_by_field_name("object"))) == "async":
            name, args = f.src(unwrap(args[0])), args[1:]
        elif fn is not None and fn.type == "identifier":
            name = f.src(fn)
        else:
            continue
        if name not in wrappers:
            continue
        coll, keys, opts = wrappers[name]
        if isinstance(coll, int):
            coll = string_value(f, unwrap(args[coll])) if len(args) > coll else None
        if not coll or len(args) <= keys:
            continue
        options = read_value(f, args[opts], (), {}, state) if opts is not None and len(args) > opts else {}
        ix = make_index(coll, read_value(f, args[keys], (), {}, state), options, f.loc(call))
        if ix is not None:
            out.append(ix)
    return out


def extract_mongo(f: JsFile, calls: list, result: SourceFile) -> None:
    """Add the file's MongoDB queries and index declarations to `result`."""
    _model_and_schema_maps(f, calls)
    result.indexes += _wrapper_indexes(f, calls)
    for name, info in f.schemas.items():
        d = info.get("def")
        if d is not None and d.type == "object":
            coll = info["collection"] or (pluralize(info["model"]) if info["model"] else
                                          pluralize(re.sub(r"(?i)schema$", "", name) or name))
            result.indexes += _schema_field_indexes(f, d, coll, info["model"])
    seen: set[tuple[int, int]] = set()
    for call in calls:
        parent = call.parent
        # only the top of a chain: skip calls that are the object of a further member call
        if parent is not None and parent.type == "member_expression" and parent.parent is not None and \
                parent.parent.type == "call_expression":
            continue
        base, chain = unchain(f, call)
        if not chain:
            continue
        for i, (method, _, _) in enumerate(chain):
            if method in INDEX_METHODS or method == "index":
                result.indexes += _index_from_call(f, base, chain, i)
                break
            if method in QUERY_METHODS:
                q = _query_from_chain(f, call, base, chain)
                where = q and (q.location.line, q.location.col)
                if q is not None and where not in seen:  # `(await c.find().toArray()).map(...)`: one call
                    seen.add(where)
                    result.queries.append(q)
                break
