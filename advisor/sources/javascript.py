"""MongoDB calls, index declarations and SQL in JavaScript / TypeScript (tree-sitter).

Finds mongoose model calls and chains (`Model.find(f).select().sort().skip().limit().lean()`),
driver and mongosh calls (`db.collection('x').find()`, `db.x.aggregate([...])`),
`createIndex` / `createIndexes` / `schema.index()` and field-level `index: true`,
and SQL handed to `pool.query`, `client.query`, `knex.raw`, Prisma `$queryRaw`.

Object literals are read statically: literals become values, everything else a
typed `Placeholder`.  Identifiers are resolved to the nearest earlier `const`/`let`/
`var` declaration in the file (so `var pipeline = [...]; db.x.aggregate(pipeline)` works).
"""

from __future__ import annotations

import re
from typing import Any

from advisor.ir import IndexDef, Location, SourceFile, SqlQuery, StringBuilt, TextMap
from advisor.mongo.indexes import make_index
from advisor.mongo.shape import AGGREGATE_OPS, FIND_OPS, MongoQuery, Placeholder, Regex, pluralize
from advisor.sources import register

SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts")
QUERY_METHODS = (FIND_OPS | AGGREGATE_OPS) - {"find_one", "count_documents", "update_one", "update_many",
                                               "replace_one", "delete_one", "delete_many", "find_one_and_update",
                                               "find_one_and_delete", "find_one_and_replace"}
INDEX_METHODS = {"createIndex", "ensureIndex", "createIndexes"}
GLOBALS = {"Array", "Object", "Promise", "Math", "JSON", "Date", "Number", "String", "Reflect", "Map", "Set",
           "Boolean", "Symbol", "Intl", "Buffer", "URL", "Error", "RegExp", "BigInt", "WeakMap", "WeakSet",
           "React", "Vue", "Ember", "Immutable", "_", "R", "Lodash", "Collection"}
SQL_SINKS = {"query", "execute", "raw", "$queryRaw", "$executeRaw", "$queryRawUnsafe", "$executeRawUnsafe",
             "unsafe", "none", "one", "oneOrNone", "many", "manyOrNone", "any", "result"}
SAFE_TAGS = {"$queryRaw", "$executeRaw", "sql", "SQL", "raw"}
UNSAFE_METHODS = {"$queryRawUnsafe", "$executeRawUnsafe", "unsafe"}
DYNAMIC_PLACEHOLDER = "{}"  # read by advisor.parse as a typed placeholder: a name, a value or a spliced clause
WRAPPERS = {"await_expression", "parenthesized_expression", "as_expression", "satisfies_expression",
            "non_null_expression", "type_assertion"}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}

_parsers: dict[str, Any] = {}


def _parser(suffix: str):
    if suffix not in _parsers:
        from tree_sitter import Language, Parser

        if suffix in (".ts", ".mts", ".cts"):
            import tree_sitter_typescript as tst

            lang = Language(tst.language_typescript())
        elif suffix == ".tsx":
            import tree_sitter_typescript as tst

            lang = Language(tst.language_tsx())
        else:
            import tree_sitter_javascript as tsj

            lang = Language(tsj.language())
        _parsers[suffix] = Parser(lang)
    return _parsers[suffix]


def _unwrap(node):
    while node is not None and node.type in WRAPPERS:
        inner = [c for c in node.named_children if c.type not in ("type_annotation", "predefined_type", "type_identifier",
                                                                    "generic_type", "object_type", "union_type")]
        if not inner:
            return node
        node = inner[0]
    return node


class _File:
    def __init__(self, path: str, text: str, data: bytes, root):
        self.path = path
        self.text = text
        self.data = data
        self.root = root
        self.ascii = len(data) == len(text)
        self.line_starts = [0]
        if not self.ascii:
            for m in re.finditer(b"\n", data):
                self.line_starts.append(m.end())
        self.decls: dict[str, list[tuple[int, Any]]] = {}
        self.models: dict[str, tuple[str, str | None]] = {}  # model variable -> (model name, collection)
        self.schemas: dict[str, dict] = {}  # schema variable -> {"model":..., "collection":..., "node":...}

    def src(self, node) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def col(self, row: int, bytecol: int) -> int:
        if self.ascii:
            return bytecol + 1
        start = self.line_starts[row] if row < len(self.line_starts) else 0
        return len(self.data[start:start + bytecol].decode("utf-8", "replace")) + 1

    def loc(self, node) -> Location:
        (r1, c1), (r2, c2) = node.start_point, node.end_point
        return Location(self.path, r1 + 1, self.col(r1, c1), r2 + 1, self.col(r2, c2))

    def resolve(self, name: str, before: int):
        best = None
        for start, value in self.decls.get(name, ()):
            if start < before:
                best = value
        return best


# --- static values -------------------------------------------------------------------------


def _string_value(f: _File, node) -> str | None:
    if node.type == "string":
        out = []
        for c in node.named_children:
            if c.type == "string_fragment":
                out.append(f.src(c))
            elif c.type == "escape_sequence":
                out.append(_unescape(f.src(c)))
        return "".join(out)
    if node.type == "template_string":
        if any(c.type == "template_substitution" for c in node.named_children):
            return None
        out = []
        for c in node.named_children:
            out.append(_unescape(f.src(c)) if c.type == "escape_sequence" else f.src(c))
        return "".join(out)
    return None


def _unescape(esc: str) -> str:
    body = esc[1:]
    if not body:
        return ""
    if body[0] in _ESCAPES:
        return _ESCAPES[body[0]]
    if body[0] == "u" and len(body) >= 5:
        try:
            return chr(int(body[1:5] if body[1] != "{" else body[2:-1], 16))
        except ValueError:
            return body
    if body[0] == "x" and len(body) >= 3:
        try:
            return chr(int(body[1:3], 16))
        except ValueError:
            return body
    if body[0] == "\n":
        return ""
    return body


def _call_kind(f: _File, node) -> Placeholder:
    fn = _unwrap(node.child_by_field_name("function") or node.child_by_field_name("constructor"))
    name = f.src(fn) if fn is not None else ""
    last = name.rsplit(".", 1)[-1]
    text = f.src(node)
    if len(text) > 60:
        text = text[:57] + "..."
    if last in ("Date", "ISODate", "now", "getTime", "toISOString", "subtract", "add") or "Date" in name:
        return Placeholder("date", text)
    if last in ("ObjectId", "ObjectID", "isValidObjectId"):
        return Placeholder("objectid", text)
    if last in ("toLowerCase", "toUpperCase", "trim", "toString", "String", "join", "slice", "replace", "toHexString"):
        return Placeholder("string", text)
    if last in ("Number", "parseInt", "parseFloat", "NumberInt", "NumberLong", "NumberDecimal", "Int32", "Long",
                "Decimal128", "floor", "ceil", "round", "max", "min"):
        return Placeholder("number", text)
    if last in ("RegExp",):
        return Placeholder("regex", text)
    if last in ("map", "filter", "from", "concat", "keys", "values"):
        return Placeholder("array", text)
    return Placeholder("unknown", text)


def read_value(f: _File, node, path: tuple, spans: dict, state: dict, depth: int = 0) -> Any:
    """A JS expression as a static Python value (dict/list/str/number/bool/None/Regex/Placeholder)."""
    node = _unwrap(node)
    if node is None:
        return Placeholder("unknown")
    t = node.type
    if depth > 12:
        return Placeholder("unknown", "…")
    if t == "object":
        out: dict = {}
        for child in node.named_children:
            if child.type == "pair":
                key_node = child.child_by_field_name("key")
                key = _key_name(f, key_node)
                if key is None:
                    state["partial"] = True
                    continue
                spans[path + (key,)] = f.loc(child)
                out[key] = read_value(f, child.child_by_field_name("value"), path + (key,), spans, state, depth + 1)
            elif child.type == "shorthand_property_identifier":
                key = f.src(child)
                spans[path + (key,)] = f.loc(child)
                resolved = f.resolve(key, child.start_byte)
                out[key] = (read_value(f, resolved, path + (key,), {}, state, depth + 1)
                            if resolved is not None and resolved.type in ("string", "number", "true", "false")
                            else Placeholder("unknown", key))
            elif child.type == "spread_element":
                state["partial"] = True
            elif child.type == "method_definition":
                state["partial"] = True
        return out
    if t == "array":
        items = []
        for i, child in enumerate(c for c in node.named_children if c.type != "comment"):
            spans[path + (i,)] = f.loc(child)
            if child.type == "spread_element":
                state["partial"] = True
                items.append(Placeholder("array", f.src(child)))
                continue
            items.append(read_value(f, child, path + (i,), spans, state, depth + 1))
        return items
    if t in ("string", "template_string"):
        s = _string_value(f, node)
        return s if s is not None else Placeholder("string", f.src(node)[:60])
    if t == "number":
        raw = f.src(node).replace("_", "")
        try:
            return int(raw, 0) if re.fullmatch(r"0[xXoObB][0-9a-fA-F]+|\d+", raw) else float(raw)
        except ValueError:
            return Placeholder("number", raw)
    if t == "true":
        return True
    if t == "false":
        return False
    if t in ("null", "undefined"):
        return None
    if t == "regex":
        pattern = node.child_by_field_name("pattern")
        flags = node.child_by_field_name("flags")
        return Regex(f.src(pattern) if pattern else "", f.src(flags) if flags else "")
    if t == "unary_expression":
        arg = node.child_by_field_name("argument")
        op = node.child_by_field_name("operator")
        v = read_value(f, arg, path, {}, state, depth + 1)
        if op is not None and f.src(op) == "-" and isinstance(v, (int, float)) and not isinstance(v, bool):
            return -v
        if op is not None and f.src(op) == "!":
            return Placeholder("bool", f.src(node))
        return Placeholder("unknown", f.src(node)[:60])
    if t == "identifier":
        name = f.src(node)
        if name == "undefined":
            return None
        resolved = f.resolve(name, node.start_byte)
        if resolved is not None and depth < 8 and resolved.start_byte != node.start_byte:
            return read_value(f, resolved, path, spans, state, depth + 1)
        return Placeholder("unknown", name)
    if t in ("call_expression", "new_expression"):
        return _call_kind(f, node)
    if t == "binary_expression":
        op = node.child_by_field_name("operator")
        left = read_value(f, node.child_by_field_name("left"), path, {}, state, depth + 1)
        kind = "number" if op is not None and f.src(op) in ("-", "*", "/", "%") else \
            "date" if isinstance(left, Placeholder) and left.kind == "date" else \
            "string" if isinstance(left, str) else "unknown"
        return Placeholder(kind, f.src(node)[:60])
    if t == "member_expression":
        return Placeholder("unknown", f.src(node)[:60])
    if t in ("arrow_function", "function_expression", "function"):
        return Placeholder("function", "function")
    return Placeholder("unknown", f.src(node)[:60])


def _key_name(f: _File, key_node) -> str | None:
    if key_node is None:
        return None
    if key_node.type in ("property_identifier", "identifier", "private_property_identifier"):
        return f.src(key_node)
    if key_node.type == "string":
        return _string_value(f, key_node)
    if key_node.type == "number":
        return f.src(key_node)
    return None  # computed key


# --- chains ---------------------------------------------------------------------------------


def _member_parts(f: _File, node):
    """(object node, property name) of a member or string subscript expression."""
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return node.child_by_field_name("object"), f.src(prop) if prop is not None else ""
    if node.type == "subscript_expression":
        idx = _unwrap(node.child_by_field_name("index"))
        if idx is not None and idx.type == "string":
            return node.child_by_field_name("object"), _string_value(f, idx) or ""
    return None, None


def unchain(f: _File, node):
    """The base of a call chain and its calls [(method, arguments node, call node)], first call first."""
    calls = []
    base = None
    node = _unwrap(node)
    while node is not None:
        if node.type == "call_expression":
            fn = _unwrap(node.child_by_field_name("function"))
            args = node.child_by_field_name("arguments")
            obj, prop = _member_parts(f, fn) if fn is not None else (None, None)
            if prop is not None:
                calls.append((prop, args, node))
                node = _unwrap(obj)
                continue
            if fn is not None and fn.type == "identifier":
                calls.append((f.src(fn), args, node))
            base = None
            break
        base = node
        break
    calls.reverse()
    return base, calls


def _prop_loc(f: _File, call) -> Location:
    """From a method call's name to the end of the call: `sort({ a: 1 })`."""
    fn = _unwrap(call.child_by_field_name("function"))
    start = call
    if fn is not None and fn.type == "member_expression":
        prop = fn.child_by_field_name("property")
        if prop is not None:
            start = prop
    r1, c1 = start.start_point
    r2, c2 = call.end_point
    return Location(f.path, r1 + 1, f.col(r1, c1), r2 + 1, f.col(r2, c2))


def _arg_list(args) -> list:
    if args is None or args.type != "arguments":
        return []
    return [c for c in args.named_children if c.type != "comment"]


def _is_db_expr(f: _File, node) -> bool:
    node = _unwrap(node)
    if node is None:
        return False
    if node.type == "identifier":
        name = f.src(node)
        return bool(re.fullmatch(r"(db|database|mongoDb|mongodb|mongo|conn|connection|\w*Db|\w*DB|\w*_db)", name))
    if node.type == "member_expression":
        _, prop = _member_parts(f, node)
        return prop in ("db", "database", "connection", "mongoDb", "mongodb") or bool(re.fullmatch(r"\w*(Db|DB|_db)", prop or ""))
    if node.type == "call_expression":
        fn = _unwrap(node.child_by_field_name("function"))
        if fn is not None:
            _, prop = _member_parts(f, fn)
            return prop in ("db", "getSiblingDB", "getDB", "useDb")
    return False


def _model_collection(f: _File, model: str) -> str:
    for var, (name, coll) in f.models.items():
        if name == model and coll:
            return coll
    return pluralize(model)


def resolve_receiver(f: _File, base, calls_before: list, depth: int = 0):
    """What a query method was called on: (collection, model or None, driver?) or None."""
    if calls_before:
        method, args, call = calls_before[-1]
        args = _arg_list(args)
        if method in ("collection", "getCollection") and args:
            name = _string_value(f, _unwrap(args[0]))
            if name is not None:
                return name, None, True
            return None
        if method == "model" and args:
            name = _string_value(f, _unwrap(args[0]))
            if name is not None:
                return _model_collection(f, name), name, False
        return None
    if base is None:
        return None
    base = _unwrap(base)
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
        if name[:1].isupper() and name not in GLOBALS and not name.isupper():
            return pluralize(name), name, False
        m = re.fullmatch(r"(\w+?)(Collection|Coll|_collection|_coll)", name)
        if m:
            return m.group(1), None, True
        return None
    obj, prop = _member_parts(f, base)
    if prop:
        obj = _unwrap(obj)
        if prop == "collection" and obj is not None and obj.type == "identifier":
            got = resolve_receiver(f, obj, [], depth + 1)
            if got is not None and got[1] is not None:
                return got[0], got[1], True
            return None
        if obj is not None and obj.type == "member_expression":
            _, oprop = _member_parts(f, obj)
            if oprop == "models" and prop[:1].isupper():
                return _model_collection(f, prop), prop, False
        if _is_db_expr(f, obj) and prop not in ("collection", "getCollection", "runCommand", "admin", "command"):
            return prop, None, True
    return None


def _sort_value(f: _File, node, path, spans, state) -> Any:
    node = _unwrap(node)
    if node is None:
        return None
    if node.type in ("string", "template_string"):
        s = _string_value(f, node)
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


def _projection_value(f: _File, node, path, spans, state) -> Any:
    node = _unwrap(node)
    if node.type in ("string", "template_string"):
        s = _string_value(f, node)
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


def _apply_options(q: MongoQuery, opts: Any, f: _File, node, state) -> None:
    if not isinstance(opts, dict):
        return
    if "sort" in opts and q.sort is None:
        q.sort = opts["sort"] if isinstance(opts["sort"], dict) else opts["sort"]
        q.spans[("sort",)] = q.spans.get(("options", "sort"), f.loc(node))
    if "projection" in opts and q.projection is None:
        q.projection = opts["projection"]
        q.spans[("projection",)] = q.spans.get(("options", "projection"), f.loc(node))
    for key in ("skip", "limit"):
        if key in opts and getattr(q, key) is None:
            setattr(q, key, opts[key])
            q.spans[(key,)] = q.spans.get(("options", key), f.loc(node))
    if opts.get("lean") is True:
        q.lean = True


def _query_from_chain(f: _File, top, base, calls) -> MongoQuery | None:
    for i, (method, args, call) in enumerate(calls):
        if method in QUERY_METHODS:
            break
    else:
        return None
    if i + 1 < len(calls) and calls[i + 1][0] in ("map", "forEach", "filter", "reduce", "then") and method == "find" and \
            not _arg_list(args):
        return None
    arglist = _arg_list(args)
    if method in ("find", "findOne", "filter") and arglist and _unwrap(arglist[0]).type in (
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
    fn = _unwrap(call.child_by_field_name("function"))
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
        if arg(0) is not None:
            spans[("filter",)] = f.loc(_unwrap(arg(0)))
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
    for method2, args2, call2 in calls[i + 1:]:
        a2 = _arg_list(args2)
        first = a2[0] if a2 else None
        if method2 == "sort" and first is not None:
            if len(a2) == 2 and _unwrap(first).type == "string":  # cursor.sort('field', -1)
                field = _string_value(f, _unwrap(first))
                d = read_value(f, a2[1], ("sort",), {}, state)
                q.sort = {field: -1 if d in (-1, "desc", "descending") else 1}
                spans[("sort",)] = _prop_loc(f, call2)
            else:
                q.sort = _sort_value(f, first, ("sort",), spans, state)
                spans[("sort",)] = _prop_loc(f, call2)
        elif method2 in ("select", "project", "projection") and first is not None:
            q.projection = _projection_value(f, first, ("projection",), spans, state)
            spans[("projection",)] = _prop_loc(f, call2)
        elif method2 in ("skip", "limit") and first is not None:
            setattr(q, method2, read_value(f, first, (method2,), spans, state))
            spans[(method2,)] = _prop_loc(f, call2)
        elif method2 == "lean":
            q.lean = True
        elif method2 == "explain":
            q.explained = True
        elif method2 in ("where", "equals", "gt", "gte", "lt", "lte", "in", "nin", "ne", "or", "and", "regex", "elemMatch"):
            state["partial"] = True
        elif method2 in ("count", "countDocuments") and method == "find":
            q.operation = "countDocuments"
        elif method2 in ("match", "group", "unwind", "lookup", "project") and method == "aggregate":
            state["partial"] = True
    q.partial = state["partial"]
    return q


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


def _schema_field_indexes(f: _File, obj, collection: str, model: str | None, prefix: str = "") -> list[IndexDef]:
    out = []
    state: dict = {"partial": False}
    for child in obj.named_children:
        if child.type != "pair":
            continue
        key = _key_name(f, child.child_by_field_name("key"))
        value = _unwrap(child.child_by_field_name("value"))
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


def _collect_decls(f: _File) -> list:
    calls = []
    stack = [f.root]
    while stack:
        node = stack.pop()
        t = node.type
        if t == "variable_declarator":
            name = node.child_by_field_name("name")
            value = node.child_by_field_name("value")
            if name is not None and name.type == "identifier" and value is not None:
                f.decls.setdefault(f.src(name), []).append((node.start_byte, _unwrap(value)))
        elif t == "assignment_expression":
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if left is not None and left.type == "identifier" and right is not None:
                f.decls.setdefault(f.src(left), []).append((node.start_byte, _unwrap(right)))
        elif t == "call_expression":
            calls.append(node)
        stack.extend(reversed(node.children))
    for v in f.decls.values():
        v.sort(key=lambda x: x[0])
    calls.sort(key=lambda n: n.start_byte)
    return calls


def _model_and_schema_maps(f: _File, calls: list) -> None:
    state: dict = {"partial": False}
    # schema variables: new Schema(def, {collection})
    for name, decls in f.decls.items():
        for _, value in decls:
            if value.type == "new_expression":
                ctor = value.child_by_field_name("constructor")
                if ctor is not None and f.src(ctor).split(".")[-1] == "Schema":
                    args = _arg_list(value.child_by_field_name("arguments"))
                    coll = None
                    if len(args) > 1:
                        opts = read_value(f, args[1], (), {}, state)
                        if isinstance(opts, dict) and isinstance(opts.get("collection"), str):
                            coll = opts["collection"]
                    f.schemas[name] = {"collection": coll, "model": None,
                                       "def": _unwrap(args[0]) if args else None}
    for call in calls:
        fn = _unwrap(call.child_by_field_name("function"))
        if fn is None:
            continue
        obj, prop = _member_parts(f, fn)
        name = prop if prop is not None else (f.src(fn) if fn.type == "identifier" else "")
        if name != "model":
            continue
        args = _arg_list(call.child_by_field_name("arguments"))
        if len(args) < 2:
            continue
        model = _string_value(f, _unwrap(args[0]))
        if model is None:
            continue
        coll = _string_value(f, _unwrap(args[2])) if len(args) > 2 else None
        schema_node = _unwrap(args[1])
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


def _index_from_call(f: _File, base, calls, i: int) -> list[IndexDef]:
    method, args, call = calls[i]
    arglist = _arg_list(args)
    state: dict = {"partial": False}
    loc = f.loc(call)
    fn = _unwrap(call.child_by_field_name("function"))
    if fn is not None and fn.type == "member_expression":
        prop = fn.child_by_field_name("property")
        if prop is not None:
            loc = Location(f.path, prop.start_point[0] + 1, f.col(*prop.start_point),
                           call.end_point[0] + 1, f.col(*call.end_point))
    if method == "index":  # schema.index(keys, opts)
        if i != 0 or base is None or _unwrap(base).type != "identifier" or not arglist:
            return []
        var = f.src(_unwrap(base))
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


# --- SQL ---------------------------------------------------------------------------------------


def _string_pieces(f: _File, node, tagged: bool, unknown: list | None = None):
    """(text, anchors, substitutions) of a string or template literal, anchored per piece.

    In an untagged template, a substitution whose value the module fixes (`${TABLE}` with
    `const TABLE = "jobs"`, `${schema}.${table}` prefixes) is replaced by that value; the others
    are placeholders, counted in `substitutions` and their source text appended to `unknown`."""
    text = ""
    anchors: list[tuple[int, int, int]] = []
    subs = 0
    for c in node.named_children:
        r, col = c.start_point
        anchors.append((len(text), r + 1, f.col(r, col)))
        if c.type == "string_fragment":
            text += f.src(c)
        elif c.type == "escape_sequence":
            text += _unescape(f.src(c))
        elif c.type == "template_substitution":
            known = None if tagged else _static_text(f, c.named_children[0] if c.named_children else c, 0)
            if known is not None:
                text += known
                continue
            subs += 1
            text += f"${subs}" if tagged else DYNAMIC_PLACEHOLDER
            if unknown is not None:
                unknown.append(f.src(c)[2:-1].strip())
    if not anchors:
        r, col = node.start_point
        anchors.append((0, r + 1, f.col(r, col) + 1))
    return text, tuple(anchors), subs


def _static_text(f: _File, node, depth: int) -> str | None:
    """The text an expression always has in this module (a literal, a const, their concatenation), or None."""
    node = _unwrap(node)
    if node is None or depth > 4:
        return None
    if node.type in ("string", "template_string"):
        if node.type == "template_string":
            text, _, subs = _string_pieces_static(f, node, depth)
            return text if subs == 0 else None
        return _string_value(f, node)
    if node.type == "identifier":
        if _is_parameter(f, node):
            return None  # a function's parameter: its value comes from the caller
        value = f.resolve(f.src(node), node.start_byte)
        return _static_text(f, value, depth + 1) if value is not None else None
    if node.type == "binary_expression":
        parts = _flatten_plus(node)
        texts = [_static_text(f, p, depth + 1) for p in parts] if len(parts) > 1 else [None]
        return "".join(texts) if all(t is not None for t in texts) else None  # type: ignore[arg-type]
    return None


def _is_parameter(f: _File, node) -> bool:
    name, scope = f.src(node), node.parent
    while scope is not None:
        if scope.type in _FUNCTIONS:
            params = scope.child_by_field_name("parameters") or scope.child_by_field_name("parameter")
            if params is not None and name in {f.src(n) for n in _names_in(params)}:
                return True
        scope = scope.parent
    return False


def _names_in(node) -> list:
    """The identifiers a parameter list binds (destructuring and defaults included, default values not)."""
    if node.type in ("identifier", "shorthand_property_identifier_pattern"):
        return [node]
    out = []
    for child in node.named_children:
        defaults = (node.child_by_field_name("right"), node.child_by_field_name("value"))
        if child in defaults or child.type.endswith("type_annotation"):
            continue
        out += _names_in(child)
    return out


def _string_pieces_static(f: _File, node, depth: int):
    text, subs = "", 0
    for c in node.named_children:
        if c.type == "string_fragment":
            text += f.src(c)
        elif c.type == "escape_sequence":
            text += _unescape(f.src(c))
        elif c.type == "template_substitution":
            known = _static_text(f, c.named_children[0], depth + 1) if c.named_children else None
            subs += known is None
            text += known or ""
    return text, (), subs


def _flatten_plus(node) -> list:
    node = _unwrap(node)
    if node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        if op is not None and op.type == "+":
            return _flatten_plus(node.child_by_field_name("left")) + _flatten_plus(node.child_by_field_name("right"))
    return [node]


_FUNCTIONS = {"function_declaration", "function_expression", "function", "arrow_function", "method_definition",
              "generator_function_declaration", "generator_function"}


def _callee_name(f: _File, call) -> tuple[str, str]:
    """(called name, callee source) of a call: `query` and `this.pool.query` for this.pool.query(...)."""
    fn = _unwrap(call.child_by_field_name("function"))
    if fn is None:
        return "", ""
    _, prop = _member_parts(f, fn)
    return (prop if prop is not None else (f.src(fn) if fn.type == "identifier" else "")), f.src(fn)


def _function_name(f: _File, fn) -> str | None:
    name = fn.child_by_field_name("name")
    if name is not None:
        return f.src(name)
    parent = fn.parent
    if parent is not None and parent.type == "variable_declarator":
        target = parent.child_by_field_name("name")
        return f.src(target) if target is not None and target.type == "identifier" else None
    if parent is not None and parent.type == "pair":
        return _key_name(f, parent.child_by_field_name("key"))
    return None


def _sql_helpers(f: _File, calls: list) -> dict[str, int]:
    """Functions and methods that hand one of their parameters to a SQL execution call, e.g.
    `executeQuery(sql, params) { return this.pool.query(sql, params) }`: name -> that parameter's index."""
    helpers: dict[str, int] = {}
    for _ in range(3):  # helpers of helpers
        grew = False
        for call in calls:
            name, _ = _callee_name(f, call)
            index = 0 if name in SQL_SINKS else helpers.get(name)
            arglist = _arg_list(call.child_by_field_name("arguments"))
            if index is None or index >= len(arglist) or _unwrap(arglist[index]).type != "identifier":
                continue
            forwarded = f.src(_unwrap(arglist[index]))
            node = call.parent
            while node is not None:  # the enclosing function that has the forwarded name as a parameter
                if node.type in _FUNCTIONS:
                    params = node.child_by_field_name("parameters")
                    names = [f.src(p.child_by_field_name("pattern") or p) for p in params.named_children] \
                        if params is not None else []
                    if forwarded in names:
                        helper = _function_name(f, node)
                        if helper and helper not in helpers and helper not in SQL_SINKS:
                            helpers[helper] = names.index(forwarded)
                            grew = True
                        break
                node = node.parent
        if not grew:
            break
    return helpers


def _sql_from_calls(f: _File, calls: list, result: SourceFile, dialect: str, seen: set) -> None:
    from advisor.sources.python import looks_like_sql

    helpers = _sql_helpers(f, calls)
    for call in calls:
        fn = _unwrap(call.child_by_field_name("function"))
        args = call.child_by_field_name("arguments")
        if fn is None or args is None:
            continue
        name, callee = _callee_name(f, call)
        if args.type == "template_string":  # tagged template
            if name not in SAFE_TAGS and name not in SQL_SINKS:
                continue
            text, anchors, _ = _string_pieces(f, args, tagged=True)
            if looks_like_sql(text):
                seen.add(args.id)
                result.queries.append(SqlQuery(text, f.loc(args), TextMap(f.path, text, anchors), "js",
                                               dialect=dialect, origin="execute-call"))
            continue
        if name not in SQL_SINKS and name not in helpers:
            continue
        arglist = _arg_list(args)
        index = 0 if name in SQL_SINKS else helpers[name]
        if len(arglist) <= index:
            continue
        arg = _unwrap(arglist[index])
        origin = "execute-call"
        if arg.type == "identifier":
            resolved = f.resolve(f.src(arg), arg.start_byte)
            if resolved is not None and resolved.type in ("string", "template_string", "binary_expression"):
                arg, origin = resolved, "constant-reaching-call"
        if arg.type == "object":  # client.query({ text: '...', values })
            for child in arg.named_children:
                if child.type == "pair" and _key_name(f, child.child_by_field_name("key")) == "text":
                    arg = _unwrap(child.child_by_field_name("value"))
                    break
        if arg.type in ("string", "template_string"):
            unknown: list[str] = []
            text, anchors, subs = _string_pieces(f, arg, tagged=False, unknown=unknown)
            if not looks_like_sql(text.replace(DYNAMIC_PLACEHOLDER, "x")):
                continue
            seen.add(arg.id)
            if subs:
                result.string_built.append(StringBuilt("template literal", callee, f.loc(arg), tuple(unknown)))
            result.queries.append(SqlQuery(text, f.loc(arg), TextMap(f.path, text, anchors), "js", dynamic=bool(subs),
                                           dialect=dialect, origin=origin, complete=not subs))
        elif arg.type == "binary_expression":
            parts = _flatten_plus(arg)
            if len(parts) < 2:
                continue
            text = ""
            unknown = []
            for p in parts:
                s = _static_text(f, p, 0)
                if s is None:
                    unknown.append(f.src(p))
                    text += DYNAMIC_PLACEHOLDER
                else:
                    text += s
                seen.add(p.id)
            dynamic = bool(unknown)
            if not looks_like_sql(text.replace(DYNAMIC_PLACEHOLDER, "x")):
                continue
            seen.add(arg.id)
            loc = f.loc(arg)
            if dynamic:
                result.string_built.append(StringBuilt("concatenation", callee, loc, tuple(unknown)))
            r, c = arg.start_point
            result.queries.append(SqlQuery(text, loc, TextMap(f.path, text, ((0, r + 1, f.col(r, c)),)), "js",
                                           dynamic=dynamic, dialect=dialect, origin=origin, complete=not dynamic))


_NAMED_SQL = re.compile(r"(?:^|_)(?:SQL|QUERY|QUERIES|STATEMENT|STMT)(?:_|$)|[a-z](?:Sql|Query|Statement)$")


def _sql_literals(f: _File, result: SourceFile, dialect: str, seen: set) -> None:
    """Constants named as SQL (`const GET_JOB_SQL = "..."`, `fetchJobQuery`), executed from another
    module; other SQL-looking strings are not queries (they reach no execution call)."""
    from advisor.sources.python import looks_like_sql

    for name, values in f.decls.items():
        if not _NAMED_SQL.search(name):
            continue
        for _, node in values:
            if node.type not in ("string", "template_string") or node.id in seen:
                continue
            seen.add(node.id)
            unknown: list[str] = []
            text, anchors, subs = _string_pieces(f, node, tagged=False, unknown=unknown)
            if len(text) >= 8 and looks_like_sql(text.replace(DYNAMIC_PLACEHOLDER, "x")):
                result.queries.append(SqlQuery(text, f.loc(node), TextMap(f.path, text, anchors), "js",
                                               dynamic=bool(subs), dialect=dialect, origin="named-constant",
                                               complete=not subs))


# --- entry point ---------------------------------------------------------------------------------


def _first_error(root):
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return node
        if node.has_error:
            stack.extend(reversed(node.children))
    return None


def extract_javascript(path: str, text: str, dialect: str = "postgres") -> SourceFile:
    from pathlib import PurePath

    result = SourceFile(path=path, text=text)
    suffix = PurePath(path).suffix.lower()
    data = text.encode("utf-8", "surrogatepass")
    tree = _parser(suffix).parse(data)
    root = tree.root_node
    f = _File(path, text, data, root)
    if root.has_error:
        bad = _first_error(root)
        where = f.loc(bad) if bad is not None else Location(path, 1, 1)
        what = f"missing {bad.type!r}" if bad is not None and bad.is_missing else "unexpected syntax"
        result.errors.append((Location(path, where.line, where.col),
                              f"JavaScript/TypeScript syntax error ({what}); queries after it may be missed"))
    calls = _collect_decls(f)
    _model_and_schema_maps(f, calls)
    for name, info in f.schemas.items():
        d = info.get("def")
        if d is not None and d.type == "object":
            coll = info["collection"] or (pluralize(info["model"]) if info["model"] else
                                          pluralize(re.sub(r"(?i)schema$", "", name) or name))
            result.indexes += _schema_field_indexes(f, d, coll, info["model"])
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
                if q is not None:
                    result.queries.append(q)
                break
    seen: set = set()
    _sql_from_calls(f, calls, result, dialect, seen)
    _sql_literals(f, result, dialect, seen)
    result.queries.sort(key=lambda q: (q.location.line, q.location.col))
    return result


register(SUFFIXES, extract_javascript)
