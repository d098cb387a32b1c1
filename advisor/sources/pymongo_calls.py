"""pymongo calls in Python: find, find_one, aggregate, count_documents, update_*, delete_*,
create_index(es).  Called by the Python extractor with the module's ast."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from typing import Any, cast

from advisor.facts.ast_nodes import scope_at, walk
from advisor.facts.loops import loop_items
from advisor.ir import Location, SourceFile
from advisor.mongo.shape import AGGREGATE_OPS, FIND_OPS, MongoQuery, Placeholder, Regex
from advisor.sources.links import instance_parts, links_of
from advisor.sources.mongo_names import run_time, run_time_name
from advisor.sources.pymongo_bulk import bulk_write, python_shape, upserts
from advisor.sources.pymongo_names import Names, keyword
from advisor.sources.pymongo_params import record_calls, slot_of
from advisor.sources.pymongo_receivers import (
    collection_of,
    database_method,
    named_by_its_name,
    receiver_collection,
    server_owned,
)
from advisor.sources.pymongo_slots import Slot
from advisor.sources.pymongo_tables import index_model, index_tables, spec_tables
from advisor.sources.python_classes import constructor_parameter, record_members, self_attr, settle_attributes
from advisor.sources.python_index_when import IndexWhen
from advisor.sources.python_mutations import Mutation

# pymongo's names: the snake_case ones, without the mongoose and legacy ones pymongo 4 does not have
QUERY_METHODS = {op for op in FIND_OPS | AGGREGATE_OPS if op.islower()} - {"exists"} | {
    "find_and_modify"
}  # with pymongo 3's count/update/remove/find_and_modify(query, update, sort=...)
INDEX_METHODS = {"create_index", "create_indexes", "ensure_index"}
_INDEX_TYPES = {"TEXT": "text", "HASHED": "hashed", "GEO2D": "2d", "GEOSPHERE": "2dsphere"}


# pymongo's writes that take `upsert`, and its position when passed by position (pymongo 3's update and
# find_and_modify(query, update, upsert) too)
UPSERT_AT = {
    "update_one": 2,
    "update_many": 2,
    "replace_one": 2,
    "update": 2,
    "find_and_modify": 2,
    "find_one_and_update": 4,
    "find_one_and_replace": 4,
}
MAX_VALUE_NODES = 5000  # syntax nodes read for one value, variables expanded

# the arguments pymongo requires of a method (by position, or by these keywords; pymongo 3's legacy names
# too): a call giving fewer is some other object's method, not the driver's
_REQUIRED = {
    **dict.fromkeys(
        ("update", "update_one", "update_many", "find_one_and_update"), (("filter", "spec"), ("update", "document"))
    ),
    **dict.fromkeys(("replace_one", "find_one_and_replace"), (("filter",), ("replacement",))),
    **dict.fromkeys(("delete_one", "delete_many", "find_one_and_delete", "count_documents"), (("filter",),)),
    "aggregate": (("pipeline",),),
    "distinct": (("key",),),
    "create_index": (("keys", "key_or_list"),),
    "create_indexes": (("indexes",),),
    "bulk_write": (("requests",),),
}


def driver_arguments(method: str, call: ast.Call) -> bool:
    """Whether `call` gives what pymongo requires of `method` (`graphs_handler.entities.update(entity_id=...)`,
    r2r's PostgreSQL handler, gives neither a filter nor an update: not the driver's). Unpacked arguments
    (`*args`, `**kwargs`) may give anything."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return True
    named = {k.arg for k in call.keywords}
    required = _REQUIRED.get(method, ())
    return all(i < len(call.args) or named & set(names) for i, names in enumerate(required))


def _loc(path: str, node: ast.expr | ast.stmt, index) -> Location:
    return Location(
        path,
        node.lineno,
        index.char_col(node.lineno, node.col_offset),
        node.end_lineno,
        index.char_col(node.end_lineno, node.end_col_offset),
    )


def _value(
    node: ast.AST, path: str, index, spans: dict, p: tuple, names: Names, depth: int = 0, budget: list | None = None
) -> Any:
    budget = budget if budget is not None else [MAX_VALUE_NODES]
    budget[0] -= 1
    if depth > 12 or budget[0] < 0:  # variables expanded into each other stay bounded
        return Placeholder("unknown", "…")
    if isinstance(node, ast.Dict):
        out = {}
        for k, v in zip(node.keys, node.values):
            if k is None:
                continue
            if not isinstance(k, ast.Constant):  # {PROJ_QUEUE: ...}: the key its index declaration names too
                named = _value(k, path, index, {}, p, names, depth + 1, budget)
                if not isinstance(named, (str, Placeholder)):
                    continue
                key = named if isinstance(named, str) else named.text  # as written: `utils.PROJ_QUEUE_KEY`
            else:
                key = k.value if isinstance(k.value, str) else str(k.value)
            spans[p + (key,)] = _loc(path, k, index)
            out[key] = _value(v, path, index, spans, p + (key,), names, depth + 1, budget)
        return out
    if isinstance(node, (ast.List, ast.Tuple)):
        items = []
        for i, e in enumerate(node.elts):
            spans[p + (i,)] = _loc(path, e, index)
            items.append(_value(e, path, index, spans, p + (i,), names, depth + 1, budget))
        return items
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
        return "".join(str(getattr(v, "value", "")) for v in node.values)  # f"job_listing": nothing filled in
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "dict"
        and not node.args
        and all(k.arg for k in node.keywords)
    ):  # dict(state=JOB_STATE_DONE): the same document as {"state": ...}
        as_dict = ast.Dict(
            [ast.copy_location(ast.Constant(k.arg), k) for k in node.keywords], [k.value for k in node.keywords]
        )
        return _value(as_dict, path, index, spans, p, names, depth, budget)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return -node.operand.value if isinstance(node.operand.value, (int, float)) else Placeholder("number")
    resolved = names.resolve(node) if isinstance(node, ast.Name) and depth < 6 else None
    if resolved is not None:
        return _value(resolved, path, index, spans, p, names, depth + 1, budget)
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
    if name in ("ASCENDING", "DESCENDING"):
        return 1 if name == "ASCENDING" else -1
    if name in _INDEX_TYPES:  # pymongo.TEXT, HASHED, GEO2D, GEOSPHERE: the server's index type names
        return _INDEX_TYPES[name]
    built = _helper_filter(node, path, index, spans, p, names, depth, budget) if isinstance(node, ast.Call) else None
    if built is not None:
        return built
    if isinstance(node, ast.Call):
        fn = ast.unparse(node.func)
        if fn.endswith("compile") and node.args and isinstance(node.args[0], ast.Constant):
            flags = "i" if any("I" in ast.unparse(a) for a in node.args[1:]) else ""
            return Regex(str(node.args[0].value), flags)
        kind = (
            "date"
            if "datetime" in fn or "now" in fn
            else "objectid"
            if "ObjectId" in fn
            else "string"
            if fn.endswith(("lower", "upper", "strip", "str"))
            else "number"
            if fn in ("int", "float")
            else "unknown"
        )
        return Placeholder(kind, ast.unparse(node)[:60])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and depth < 6:
        left = _value(node.left, path, index, spans, p, names, depth + 1, budget)
        right_spans: dict = {}
        right = _value(node.right, path, index, right_spans, p, names, depth + 1, budget)
        if isinstance(left, list) and isinstance(right, list):  # `shared_keys + [("status", 1)]`: one list
            for at, loc in right_spans.items():
                item = at[len(p)] if len(at) > len(p) else None
                spans[(*p, item + len(left), *at[len(p) + 1 :]) if isinstance(item, int) else at] = loc
            return left + right
        spans.update(right_spans)
        joined = _joined(left, right)
        if joined is not None:
            return joined
    text = ast.unparse(node)[:60] if hasattr(ast, "unparse") else ""
    return Placeholder("unknown", text)


# a key written as a constant's name (`query[FIELD_STATUS] = ...`, `q[utils.PROJ_KEY]`): the text it names, as a
# dict literal's key is read; a lower-case name (`query[k] = v` in a loop over another dict) is the run's
_CONSTANT_KEY = re.compile(r"(?:[A-Za-z_]\w*\.)*[A-Z][A-Z0-9_]*")


def _merge_changes(q: MongoQuery, built: ast.AST | None, names: Names, path: str, index) -> str:
    """What the code sets on the variable holding the filter (or appends to the pipeline) between building it and
    the call, merged in (advisor.sources.python_mutations); a key set under a condition noted in `conditional`.
    The variable's name when that is all it does to it, else "" (the shape stays a sketch)."""
    held = names.resolve(built) if isinstance(built, ast.Name) else None
    value = q.pipeline if q.operation == "aggregate" else q.filter
    root = ("pipeline",) if q.operation == "aggregate" else ("filter",)
    changes = names.mutations.between(built, held) if isinstance(built, ast.Name) and held is not None else None
    if changes is None or not isinstance(value, (dict, list)):
        return ""
    for m in changes:
        if m.kind == "set" and isinstance(value, dict):
            key = _set_key(m, value, root, q.spans, path, index, names, 0, [MAX_VALUE_NODES])
            if key is None:
                return ""
            if m.conditional:  # the rules judge the filter with and without it
                q.conditional = (*q.conditional, key)
        elif m.kind == "append" and isinstance(value, list) and not m.conditional and m.value is not None:
            q.spans[(*root, len(value))] = _loc(path, m.value, index)
            value.append(_value(m.value, path, index, q.spans, (*root, len(value)), names))
        else:
            return ""
    return built.id if isinstance(built, ast.Name) else ""


def _merged_variant(q: MongoQuery, variant: Any, built: ast.AST | None, names: Names, path: str, index) -> Any:
    """A variant of the filter with what the code sets on the variable before the call merged in, as the filter
    read has it (the keys `_merge_changes` added there: the same statements run on every path)."""
    if not isinstance(variant, dict) or not isinstance(q.filter, dict):
        return variant
    other = replace(q, filter=dict(variant), spans={}, variants=(), conditional=())
    _merge_changes(other, built, names, path, index)
    return other.filter


def _set_key(
    m: Mutation, value: dict, root: tuple, spans: dict, path: str, index, names: Names, depth: int, budget: list
) -> str | None:
    """`name[key] = v`, applied to the dict read for `name`: the key's text (a literal, or a constant's name as
    written, settled later as a dict literal's key is), None when the run computes it (`query[k] = v`)."""
    if m.key is None or m.value is None:
        return None
    key = _value(m.key, path, index, {}, root, names, depth + 1, budget)
    text = key if isinstance(key, str) else key.text if isinstance(key, Placeholder) else None
    if text is None or (not isinstance(key, str) and not _CONSTANT_KEY.fullmatch(text)):
        return None
    spans[(*root, text)] = _loc(path, m.key, index)
    value[text] = _value(m.value, path, index, spans, (*root, text), names, depth + 1, budget)
    return text


def _helper_filter(
    call: ast.Call, path: str, index, spans: dict, p: tuple, names: Names, depth: int, budget: list
) -> dict | None:
    """The dict a function or method of the module builds and returns (`find(_scoped(name, project))`, a method
    giving `{"store": self.store}` plus the conditions its caller passes), when it returns that one dict every
    time: a literal, or a name bound to one that the function changes only by setting keys, always, or by copying
    in the dict a parameter brings (the caller's argument, read where the call is). None otherwise: a key set
    under a condition would be in some runs only."""
    returned = names.returned(call) if depth < 6 else []
    ret = returned[0] if len(returned) == 1 else None
    if isinstance(ret, ast.Dict):
        got = _value(ret, path, index, {}, p, names, depth + 1, budget)
        return got if isinstance(got, dict) else None
    held = names.resolve(ret) if isinstance(ret, ast.Name) else None
    changes = names.mutations.between(ret, held) if isinstance(ret, ast.Name) and isinstance(held, ast.Dict) else None
    fn = names.functions.get(names.function.get(id(ret), 0))
    if changes is None or held is None or not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    out = _value(held, path, index, {}, p, names, depth + 1, budget)
    for m in changes:
        if not isinstance(out, dict) or m.conditional:
            return None
        if m.kind == "set":
            if _set_key(m, out, p, {}, path, index, names, depth, budget) is None:  # written in the helper
                return None
        elif m.kind == "copy" and isinstance(m.value, ast.Name):
            given = _argument(call, fn, m.value.id)
            if given is None:
                return None
            copied = _value(given, path, index, spans, p, names, depth + 1, budget)  # written at the call
            if not isinstance(copied, dict):
                return None
            out.update(copied)
        else:
            return None
    return out


def _argument(call: ast.Call, fn: ast.FunctionDef | ast.AsyncFunctionDef, param: str) -> ast.expr | None:
    """What `call` passes for `param` of `fn` (by position, `self` left out of a method's, or by keyword); for a
    parameter it leaves out whose default is None or empty, an empty dict (nothing to copy)."""
    params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    if params[:1] in (["self"], ["cls"]) and isinstance(call.func, ast.Attribute):
        params = params[1:]
    if param in params and params.index(param) < len(call.args):
        given = call.args[params.index(param)]
        return None if isinstance(given, ast.Starred) else given
    named = next((k.value for k in call.keywords if k.arg == param), None)
    if (
        named is not None
        or any(k.arg is None for k in call.keywords)
        or any(isinstance(a, ast.Starred) for a in call.args)
    ):
        return named
    positional = fn.args.posonlyargs + fn.args.args
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(fn.args.defaults) :]], fn.args.defaults))
    defaults.update({a.arg: d for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None})
    default = defaults.get(param)
    empty = (
        isinstance(default, ast.Constant)
        and default.value is None
        or isinstance(default, ast.Dict)
        and not default.keys
    )
    return ast.Dict(keys=[], values=[]) if empty else None


def _grown(name: str, tree: ast.AST) -> bool:
    """The module adds to a list of that name (`specs.append(...)`, `+=`): its literal is not all of it."""
    return any(
        (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr in ("append", "extend", "insert")
            and isinstance(n.func.value, ast.Name)
            and n.func.value.id == name
        )
        or (isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name) and n.target.id == name)
        for n in walk(tree)
    )


def _computed_keys(built: ast.AST | None, names: Names) -> bool:
    """A filter with a key the code fills in (`{f"payload.{field}": value}`), or takes from a name that holds no one
    text: a parameter (`{field: value}`), a class attribute subclasses set again (`{self.primary_key: key}`, `"mdb"`
    in the base class, `"user_id"` in a subclass). Which field it tests is known only at run time, so the filter is
    a sketch. A constant's name (`{PROJ_QUEUE: ...}`) and a member the instance keeps (`{self.session_id_key: ...}`)
    stay the key as written, as the index declarations write them too."""
    node = names.resolve(built) if isinstance(built, ast.Name) else built
    return node is not None and any(
        isinstance(k, ast.JoinedStr)
        and any(isinstance(v, ast.FormattedValue) for v in k.values)
        or isinstance(k, (ast.Name, ast.Attribute))
        and _unknown_name(k, names)
        for d in ast.walk(node)
        if isinstance(d, ast.Dict)
        for k in d.keys
    )


def _unknown_name(key: ast.Name | ast.Attribute, names: Names) -> bool:
    if isinstance(key, ast.Attribute):
        owner = key.value.id if isinstance(key.value, ast.Name) else None
        return owner in ("self", "cls") and key.attr in names.overridden
    return not key.id.isupper() and names.resolve(key) is None  # not a constant, nor a name bound to a value


def _joined(left: Any, right: Any) -> Placeholder | None:
    """`'roles.' + settings.LEVEL_FIELD`: a text one part of which is known only at run time, written as the parts
    join (`roles.settings.LEVEL_FIELD`), so a key built so meets the same key a query writes under `roles`."""
    parts = [
        v if isinstance(v, str) else v.text if isinstance(v, Placeholder) and v.kind != "number" else None
        for v in (left, right)
    ]
    if any(part is None for part in parts) or not any(isinstance(v, Placeholder) for v in (left, right)):
        return None
    return Placeholder("string", "".join(p for p in parts if p is not None)[:60])


def _unchain(call: ast.Call):
    chain = []
    node: ast.AST = _unwrapped(call)
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        chain.append((node.func.attr, node))
        node = _unwrapped(node.func.value)
    chain.reverse()
    return node, chain


def _unwrapped(node: ast.AST) -> ast.AST:
    """`retry(coll.delete_one)(flt)`: a wrapper (a retry decorator applied by hand) around a bound driver
    method, called with the method's own arguments: the driver call `coll.delete_one(flt)`."""
    wrap = node.func if isinstance(node, ast.Call) else None
    bound = wrap.args[0] if isinstance(wrap, ast.Call) and len(wrap.args) == 1 and not wrap.keywords else None
    if not isinstance(bound, ast.Attribute) or bound.attr not in QUERY_METHODS | INDEX_METHODS | {"bulk_write"}:
        return node
    assert isinstance(node, ast.Call)
    return ast.copy_location(ast.Call(bound, node.args, node.keywords), node)


def _sort_spec(v: Any) -> Any:
    """A pymongo sort as a dict of field -> direction: a key written as a constant's name stands as written (the
    project's constants settle it, advisor.sources.pymongo_constants); one the run computes makes the sort unknown."""
    if isinstance(v, list):
        out = {}
        for item in v:
            key = item[0] if isinstance(item, (list, tuple)) and len(item) == 2 else item
            if isinstance(key, Placeholder) and _CONSTANT_KEY.fullmatch(key.text):
                key = key.text
            elif isinstance(key, Placeholder):
                return Placeholder("unknown", "sort")
            if isinstance(key, str):
                out[key] = -1 if key is not item and item[1] in (-1, "desc") else 1
        return out
    if isinstance(v, str):
        return {v: 1}
    return v


def _hint_spec(v: Any) -> Any:
    """A pymongo hint: an index name, or its key pattern as (key, direction) pairs, read as a dict."""
    if isinstance(v, list) and v and all(isinstance(i, (list, tuple)) and len(i) == 2 for i in v):
        return {str(k): d for k, d in v}
    return v


def _unreachable(tree: ast.AST) -> set[int]:
    """The nodes of statements after a return / raise / continue / break in the same block: never run."""
    dead: set[int] = set()
    for node in walk(tree):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if not isinstance(block, list):
                continue
            end = next(
                (n for n, st in enumerate(block) if isinstance(st, (ast.Return, ast.Raise, ast.Continue, ast.Break))),
                None,
            )
            for st in block[end + 1 :] if end is not None else ():
                dead.update(id(n) for n in ast.walk(st))
    return dead


def add_pymongo(result: SourceFile, tree: ast.AST, path: str, index) -> None:
    from advisor.mongo.declared import class_indexes, eve_indexes, eve_resource_indexes

    names = Names(tree)

    def value(node: ast.AST) -> Any:
        return _value(node, path, index, {}, (), names)

    def where(node: ast.AST) -> Location:
        return _loc(path, cast(ast.expr, node), index)  # the declarations pass expression nodes

    names.value, names.where = value, where
    result.indexes += eve_indexes(tree, value, where) + class_indexes(tree, value, where)
    for classes in names.classes.named.values():
        for cls in classes:
            source, declared = eve_resource_indexes(cls, value, where)
            if source is not None:
                result.indexes += declared
            elif declared:  # on the name the resource is registered under (advisor.sources.links)
                links_of(result).resources += [(cls.name, ix) for ix in declared]
    tables = (
        {**index_tables(tree, value, where), **spec_tables(tree, value, where)}
        if "IndexModel" in result.text or "create_index" in result.text or "ensure_index" in result.text
        else {}
    )
    if tables:  # declared when the project applies them (advisor.sources.links)
        links_of(result).tables.update(tables)
    tops = []
    inner: set[int] = set()
    for node in walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Call)
        ):
            inner.add(id(node.func.value))
    materialized: set[int] = set()  # list(coll.find(...)): every document in memory at once
    dead = _unreachable(tree)
    params = names.parameters
    for node in walk(tree):
        if isinstance(node, ast.Call) and id(node) not in inner and id(node) not in dead:
            tops.append(node)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("list", "tuple", "sorted")
        ):
            materialized.update(id(a) for a in node.args)
    when: IndexWhen | None = None
    for top in tops:
        base, chain = _unchain(top)
        on_database: tuple[str, str] | None = None  # (class, method) when the receiver is `self.<method>().<name>`
        slot = None  # the parameter the receiver is, when only the callers in other modules may name it
        guess = None  # the parameter the receiver is, when advisor named its collection from the parameter's name
        instance = None  # (class, member) when the receiver is `self.<x>.<member>` of another module's class
        counts = len(result.queries), len(result.indexes)
        for i, (method, call) in enumerate(chain):
            if method not in QUERY_METHODS and method not in INDEX_METHODS and method != "bulk_write":
                continue
            if not driver_arguments(method, call):
                break
            receiver = call.func.value
            coll = receiver_collection(receiver, names)
            slot = slot_of(receiver, names) if coll is None else None
            guess = _guessed_slot(receiver, coll, names) if coll is not None else None
            if slot is not None:  # named once every module is read (advisor.sources.pymongo_slots)
                coll = run_time_name(slot.parameter)
                if names.annotated_collection(receiver):  # `col: Collection`: MongoDB's, whoever calls it
                    links_of(result).slots.typed.add(slot)
            if coll is None:
                break
            named_by = _named_by(receiver, coll, names)
            if named_by is not None:
                links_of(result).named_by[coll] = named_by
            instance = instance_parts(coll)
            held = database_method(receiver)
            owner = names.classes.class_of(top) if held else None
            if held and owner is None:
                break  # `self.get_db()` outside a class: no method to look up
            if held and owner is not None:
                on_database = (owner.name, held)
            if method in INDEX_METHODS:
                for each in (_looped_collections(receiver, names) if run_time(coll) else []) or [coll]:
                    _index(result, each, method, call, path, index, names)
                when = when or IndexWhen(tree, path)
                timing = when.options(call)  # after a drop, in an overridden method: index-option-conflict
                for declared in result.indexes[counts[1] :]:
                    declared.options.update(timing)
                break
            loc = Location(
                path,
                call.func.end_lineno,
                index.char_col(call.func.end_lineno, call.func.end_col_offset) - len(method),
                top.end_lineno,
                index.char_col(top.end_lineno, top.end_col_offset),
            )
            if method == "bulk_write":
                result.queries += bulk_write(coll, call, names, loc, params.get(id(top), ()))
                break
            q = python_shape(coll, method, None, top, loc, params.get(id(top), ()))
            spans = q.spans  # filled below with the position of each part of the filter or pipeline
            args = call.args
            at = 1 if method == "distinct" else 0
            built = args[at] if len(args) > at else keyword(call, "filter") or keyword(call, "pipeline")
            if method == "aggregate":
                q.pipeline = _value(args[0], path, index, spans, ("pipeline",), names) if args else Placeholder("array")
            elif method == "distinct":
                q.filter = _value(args[1], path, index, spans, ("filter",), names) if len(args) > 1 else {}
            else:
                f = args[0] if args else keyword(call, "query" if method == "find_and_modify" else "filter")
                q.filter = _value(f, path, index, spans, ("filter",), names) if f is not None else {}
                if isinstance(f, ast.Name):  # one of the filters a branch gives the name (checks.mongo)
                    q.variants = tuple(_value(v, path, index, {}, ("filter",), names) for v in names.branch_values(f))
                if any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in args):
                    q.partial = True  # find(**query): the arguments are known only at run time
                    if f is None:
                        q.filter = Placeholder("object", "**kwargs")
                if method in ("find", "find_one"):
                    proj = args[1] if len(args) > 1 else keyword(call, "projection") or keyword(call, "fields")
                    if proj is not None:
                        v = _value(proj, path, index, spans, ("projection",), names)
                        q.projection = {k: 1 for k in v if isinstance(k, str)} if isinstance(v, list) else v
                for key in ("sort", "skip", "limit") if method in _SORTED else ():
                    kv = keyword(call, key)
                    if kv is not None:
                        v = _value(kv, path, index, spans, (key,), names)
                        setattr(q, key, _sort_spec(v) if key == "sort" else v)
                        spans[(key,)] = _loc(path, kv, index)
            merged = _merge_changes(q, built, names, path, index)  # query[k] = v before the call: in the filter
            if q.variants and merged:  # set on every path's filter alike: each variant gets it too
                q.variants = tuple(_merged_variant(q, v, built, names, path, index) for v in q.variants)
            q.partial = q.partial or (built is not None and names.mutations.changes(built, names.resolve, merged))
            q.partial = q.partial or server_owned(receiver, names) or _computed_keys(built, names)
            if method in UPSERT_AT:
                q.upsert = upserts(call, names, UPSERT_AT[method])
            hint = keyword(call, "hint")  # the index the call forces (find, count_documents, aggregate, writes)
            if hint is not None:
                q.hint = _hint_spec(_value(hint, path, index, {}, ("hint",), names))
            for method2, call2 in chain[i + 1 :]:
                a = call2.args
                if method2 == "hint" and a:  # cursor.hint("name") / .hint([("a", 1)])
                    q.hint = _hint_spec(_value(a[0], path, index, {}, ("hint",), names))
                elif method2 == "sort" and a:
                    v = _value(a[0], path, index, {}, ("sort",), names)
                    if len(a) > 1:
                        d = _value(a[1], path, index, {}, ("sort",), names)
                        # `sort(FIELD_ID, -1)`: a key a name holds, as written, as a filter's keys are
                        named = isinstance(v, Placeholder) and isinstance(a[0], (ast.Name, ast.Attribute))
                        v = v.text if named else v
                        v = {v: -1 if d == -1 else 1} if isinstance(v, str) else v
                    q.sort = _sort_spec(v)
                    spans[("sort",)] = _loc(path, call2, index)
                elif method2 in ("skip", "limit") and a:
                    setattr(q, method2, _value(a[0], path, index, {}, (method2,), names))
                    spans[(method2,)] = _loc(path, call2, index)
                elif method2 == "explain":
                    q.explained = True
            # a pymongo cursor fetches a batch at a time unless the code lists it or calls to_list()
            q.streamed = id(top) not in materialized and "to_list" not in [m for m, _ in chain]
            result.queries.append(q)
            break
        for q in result.queries[counts[0] :]:  # before any is held back for links.py, which knows no lines
            q.scope = scope_at(tree, q.location.line)
        # held back until every module is read (advisor.sources.links): kept when the project says the method
        # gives a Database, named by what another module's class holds, or by what every caller passes
        if on_database is not None:
            links_of(result).on_database += [(*on_database, t) for t in _held_back(result, counts)]
        if instance is not None:
            links_of(result).instances += [(*instance, t) for t in _held_back(result, counts)]
        if slot is not None:
            links_of(result).slots.targets += [(slot, t) for t in _held_back(result, counts)]
        if guess is not None:  # kept under the name read from the parameter's unless the callers pass one
            made = result.queries[counts[0] :] + result.indexes[counts[1] :]
            links_of(result).slots.targets += [(guess, t) for t in made]
            links_of(result).slots.guessed.update(id(t) for t in made)
    # db[self.COLLECTION_NAME]: the collection of the class using it; db[Repo.COLLECTION_NAME]: Repo's (links.py)
    settle_attributes(links_of(result), names.classes, [*result.queries, *result.indexes])
    record_calls(links_of(result).slots, names, lambda node: collection_of(node, names))
    if names.classes.named:  # the classes' members, resolved across the project's files (advisor.sources.links)
        record_members(
            links_of(result),
            names.classes,
            lambda node: collection_of(node, names),
            [*result.queries, *result.indexes],
        )


def _looped_collections(receiver: ast.AST, names: Names) -> list[str]:
    """`for name in ["workflows", "triggers"]: db[name].create_index("id")` (or `db.get_collection(name)`): the
    collection each element names, the loop's body declaring an index on each (advisor.facts.loops); [] else."""
    key = receiver.slice if isinstance(receiver, ast.Subscript) else None
    if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute) and len(receiver.args) == 1:
        key = receiver.args[0] if receiver.func.attr == "get_collection" else None
    items = loop_items(names.tree, receiver, key.id) if isinstance(key, ast.Name) else None
    if not items or not all(isinstance(i, ast.Constant) and isinstance(i.value, str) and i.value for i in items):
        return []
    return [str(cast(ast.Constant, i).value) for i in items]


def _guessed_slot(receiver: ast.AST, coll: str, names: Names) -> Slot | None:
    """The parameter the receiver is, when advisor named its collection only from the parameter's name
    (`def generate_ops(data_collection)`: "data") and no call in this module passes it one: the callers in other
    modules may (splitgill's `generate_ops(self.data_collection, ...)`, advisor.sources.pymongo_slots)."""
    if not isinstance(receiver, ast.Name) or names.arguments(receiver):
        return None
    return slot_of(receiver, names) if named_by_its_name(receiver.id) == coll else None


def _held_back(result: SourceFile, counts: tuple[int, int]) -> list:
    """The queries and indexes one call added (`counts`: how many there were before it), taken out of the file's."""
    added = result.queries[counts[0] :] + result.indexes[counts[1] :]
    del result.queries[counts[0] :], result.indexes[counts[1] :]
    return added


# the methods taking a sort (the find_one_and_* ones pick the first document in its order: the server sorts every
# match for it), by keyword; skip and limit given to the ones that take none are no query's
_SORTED = ("find", "find_one", "find_and_modify", "find_one_and_update", "find_one_and_delete", "find_one_and_replace")
_KEYS_KEYWORDS = ("keys", "key_or_list", "indexes")  # pymongo's names for the first parameter of each method


def _index(result: SourceFile, coll: str, method: str, call: ast.Call, path: str, index, names: Names) -> None:
    from advisor.mongo.indexes import make_index, unread_index

    loc = _loc(path, call, index)
    # the keys or the list of models may come by keyword (`create_index(keys=[...], background=True)`)
    given = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in _KEYS_KEYWORDS), None)
    opts = {k.arg: _value(k.value, path, index, {}, (), names) for k in call.keywords if k.arg not in _KEYS_KEYWORDS}
    if method == "create_indexes":
        specs = given
        table = names.tables.applied(specs) if specs is not None else None
        if table is not None:  # create_indexes(INDEXES[name]): the table declares them (advisor.sources.links)
            links_of(result).applied.setdefault(table, []).append(unread_index(coll, loc))
            return
        if isinstance(specs, ast.Name):  # `indexes = [IndexModel(...), ...]` then `create_indexes(indexes)`
            listed = names.resolve(specs)
            if isinstance(listed, ast.List) and listed.elts and not _grown(specs.id, names.tree):
                specs = listed
        for e in specs.elts if isinstance(specs, ast.List) else [specs] if specs is not None else []:
            if isinstance(e, ast.Call) and e.args:
                result.indexes.append(index_model(coll, e, names.value, names.where))
            else:  # declared, keys held in a variable
                result.indexes.append(unread_index(coll, loc if e is specs else _loc(path, e, index)))
        return
    if given is None:
        return
    key = given
    table = names.tables.applied(key) if isinstance(key, ast.Name) else None
    if table is not None:  # `for keys, options in INDEXES[name]: coll.create_index(keys, **options)` (links)
        links_of(result).applied.setdefault(table, []).append(unread_index(coll, loc))
        return
    looped = loop_items(names.tree, call, key.id) if isinstance(key, ast.Name) else None
    for spec in looped if looped is not None else [key]:  # `for f in ("state", "name"): coll.create_index(f)`
        keys = _value(spec, path, index, {}, (), names)
        ix = make_index(coll, keys, opts, loc)
        result.indexes.append(ix or unread_index(coll, loc))


def _named_by(receiver: ast.AST, coll: str, names: Names) -> tuple[str, str, int] | None:
    """(class, parameter, position) when the receiver is `self.<member>` holding `db[name]`, `name` what the class's
    constructor is given (the collection named `Class.member`): the project's builds of the class may name it."""
    cls = names.classes.class_of(receiver)
    if not isinstance(receiver, ast.Attribute) or not self_attr(receiver) or cls is None:
        return None
    if coll != f"{cls.name}.{receiver.attr}":
        return None
    given = constructor_parameter(cls, receiver.attr, keyed=True)
    return (cls.name, *given) if given is not None else None
