"""Index lists kept as data in Python, keyed by collection name:

    INDEXES = {"case": [IndexModel([("owner", ASCENDING), ("status", ASCENDING)], name="owner_status"), ...], ...}

and applied in a loop elsewhere, `db[name].create_indexes(INDEXES[name])` (scout's constants/indexes.py
and adapter/mongo/index.py). A table declares its collections' indexes only when some file of the
project hands it to `create_indexes` (advisor.sources.links joins the two): a dict of IndexModel lists
that nothing applies declares nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from functools import cached_property
from typing import Any

from advisor.facts.ast_nodes import class_at, function_at, walk
from advisor.facts.callers import defaults
from advisor.facts.loops import assigned_once
from advisor.facts.reaching import bound_values
from advisor.ir import IndexDef, Location
from advisor.sources.python_classes import Classes


def _is_index_model(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    fn = node.func
    return (fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")) == "IndexModel"


def index_model(
    collection: str, call: ast.Call, value: Callable[[ast.AST], Any], where: Callable[[ast.AST], Location]
) -> IndexDef:
    """`IndexModel(keys, name=..., unique=...)` on a collection; declared with its keys unread when
    they are not a literal."""
    from advisor.mongo.indexes import make_index, unread_index

    keys_node = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "keys"), None)
    opts = {k.arg: value(k.value) for k in call.keywords if k.arg and k.arg != "keys"}
    read = make_index(collection, value(keys_node), opts, where(call)) if keys_node is not None else None
    return read or unread_index(collection, where(call))


def _is_pair(node: ast.AST) -> bool:
    """`('id', dict(unique=True, name='transaction_id'))`, `([('height', DESCENDING)], {'unique': True})`: a key and
    the options create_index takes, as a loop hands them on (`for fields, kwargs in indexes:
    coll.create_index(fields, **kwargs)`, bigchaindb's INDEXES)."""
    if not isinstance(node, ast.Tuple) or len(node.elts) != 2:
        return False
    keys, options = node.elts
    named_options = isinstance(options, ast.Dict) or (
        isinstance(options, ast.Call) and getattr(options.func, "id", "") == "dict" and not options.args
    )
    return named_options and isinstance(keys, (ast.Constant, ast.List, ast.Tuple))


def _is_key_list(node: ast.AST) -> bool:
    """`[('type', pymongo.ASCENDING), ('date', -1)]`: the keys create_index / ensure_index take, as a table of them
    lists them (billy's ensure_indexes: `{'votes': [[('bill_id', ASCENDING), ('date', ASCENDING)], ...]}`)."""
    return (
        isinstance(node, ast.List)
        and bool(node.elts)
        and all(
            isinstance(e, ast.Tuple)
            and len(e.elts) == 2
            and isinstance(e.elts[0], (ast.Constant, ast.Name, ast.Attribute, ast.BinOp, ast.JoinedStr))
            and isinstance(e.elts[1], (ast.Constant, ast.Name, ast.Attribute, ast.UnaryOp))
            for e in node.elts
        )
    )


def _is_named_keys(node: ast.AST) -> bool:
    """`{'role_and_name_parts': [('roles.type', ASCENDING), ...]}`: keys under the index's name."""
    return (
        isinstance(node, ast.Dict)
        and len(node.keys) == 1
        and isinstance(node.keys[0], ast.Constant)
        and isinstance(node.keys[0].value, str)
        and _is_key_list(node.values[0])
    )


def _declared(
    collection: str, node: ast.AST, value: Callable[[ast.AST], Any], where: Callable[[ast.AST], Location]
) -> IndexDef:
    """An entry of a table: an IndexModel, a (key, options) pair, a key list, or a key list under its name."""
    if isinstance(node, ast.Call):
        return index_model(collection, node, value, where)
    from advisor.mongo.indexes import make_index, unread_index

    if _is_key_list(node) or _is_named_keys(node):
        keys, opts = node, {}
        if isinstance(node, ast.Dict):
            keys, opts = node.values[0], {"name": getattr(node.keys[0], "value", None)}
        return make_index(collection, value(keys), opts, where(node)) or unread_index(collection, where(node))

    keys, options = node.elts  # type: ignore[attr-defined]
    opts = (
        value(options) if isinstance(options, ast.Dict) else {k.arg: value(k.value) for k in options.keywords if k.arg}
    )
    return make_index(collection, value(keys), opts if isinstance(opts, dict) else {}, where(node)) or unread_index(
        collection, where(node)
    )


def index_tables(
    tree: ast.AST, value: Callable[[ast.AST], Any], where: Callable[[ast.AST], Location]
) -> dict[str, list[IndexDef]]:
    """`NAME = {"collection": [IndexModel(...), ...], ...}` (or `(keys, options)` pairs): each table's declarations,
    by its name."""
    out: dict[str, list[IndexDef]] = {}
    for node in walk(tree):
        target = (
            node.targets[0]
            if isinstance(node, ast.Assign) and len(node.targets) == 1
            else node.target
            if isinstance(node, ast.AnnAssign)
            else None
        )
        table = getattr(node, "value", None)
        if not isinstance(target, ast.Name) or not isinstance(table, ast.Dict) or not table.keys:
            continue
        lists = [(k, _spread(v, tree)) for k, v in zip(table.keys, table.values)]
        if not all(
            isinstance(k, ast.Constant)
            and isinstance(k.value, str)
            and isinstance(v, (ast.List, ast.Tuple))
            and (
                all(_is_index_model(e) for e in v.elts)
                or all(_is_pair(e) for e in v.elts)
                or all(_is_key_list(e) or _is_named_keys(e) for e in v.elts)
            )
            for k, v in lists
        ) or not any(_entries(v) for _, v in lists):
            continue  # every value a list of IndexModel (or of pairs, or of key lists), keyed by a name: a table
        out[target.id] = [
            _declared(str(getattr(k, "value", "")), e, value, where) for k, v in lists for e in _entries(v)
        ]
    for node in walk(tree) if out else ():  # `INDEXES = POWER | PIPES | COMMON`, `{**POWER, **PIPES}`: one table
        parts = _joined(node)
        if parts is not None and all(p in out for p in parts[1]):
            by_collection: dict[str, list[IndexDef]] = {}
            for part in parts[1]:  # a later table's entry for a collection replaces an earlier one's, as `|` does
                for collection in dict.fromkeys(i.table for i in out[part]):
                    by_collection[collection] = [i for i in out[part] if i.table == collection]
            out[parts[0]] = [i for declared in by_collection.values() for i in declared]
    for node in walk(tree) if out else ():  # `all_indexes['bills'].append(index)`: entries only the run knows
        grown = _grown(node)
        if grown is not None and grown[0] in out:
            from advisor.mongo.indexes import unread_index

            out[grown[0]].append(unread_index(grown[1], where(node)))
    return out


def _spread(node: ast.AST, tree: ast.AST) -> ast.AST:
    """A table's list with `*NAME` of a module list spread into it, as Python builds it (pandahub's
    `*VARIANT_INDEXES` in each collection's list): the list the module assigns the name once."""
    if not isinstance(node, (ast.List, ast.Tuple)) or not any(isinstance(e, ast.Starred) for e in node.elts):
        return node
    elements: list[ast.expr] = []
    for e in node.elts:
        if isinstance(e, ast.Starred):
            spread = assigned_once(tree, e.value.id, e) if isinstance(e.value, ast.Name) else None
            if not isinstance(spread, (ast.List, ast.Tuple)):
                return node  # a list only the run knows: the table is not read
            elements += spread.elts
        else:
            elements.append(e)
    return ast.List(elts=elements, ctx=ast.Load())


def _joined(node: ast.AST) -> tuple[str, list[str]] | None:
    """(NAME, [A, B, ...]) of `NAME = A | B | ...` or `NAME = {**A, **B}`: a table joined from others."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
        return None
    value, parts = node.value, []
    if isinstance(value, ast.Dict) and value.keys and all(k is None for k in value.keys):
        parts = list(value.values)
    else:
        while isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitOr):
            parts.insert(0, value.right)
            value = value.left
        parts.insert(0, value)
    names = [p.id for p in parts if isinstance(p, ast.Name)]
    return (node.targets[0].id, names) if len(names) == len(parts) > 1 else None


def _grown(node: ast.AST) -> tuple[str, str] | None:
    """(table, collection) of `TABLE['name'].append(x)` (or extend, insert, `+=`): the collection's list gains
    entries at run time, whose keys a table read as written does not hold."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _GROW:
        target: ast.AST = node.func.value
    elif isinstance(node, ast.AugAssign):
        target = node.target
    else:
        return None
    if (
        isinstance(target, ast.Subscript)
        and isinstance(target.value, ast.Name)
        and isinstance(target.slice, ast.Constant)
        and isinstance(target.slice.value, str)
    ):
        return target.value.id, target.slice.value
    return None


_GROW = frozenset({"append", "extend", "insert"})


def spec_parts(node: ast.AST, value: Callable[[ast.AST], Any] | None = None) -> tuple[str, list[ast.Call]] | None:
    """`CollectionSpec(name="jobs", indexes=[IndexModel(...), ...])` (or positionally): an object that names a
    collection and lists its indexes, as a project hands it to what opens the collection and applies them
    (pynenc-mongo's MongoCollections): (the name, its IndexModel calls). The name may be a constant of the
    module, read through `value`."""
    if not isinstance(node, ast.Call) or _is_index_model(node):
        return None
    kw = {k.arg: k.value for k in node.keywords if k.arg}
    name_node = kw.get("name", node.args[0] if node.args else None)
    listed = kw.get("indexes", node.args[1] if len(node.args) > 1 else None)
    if not isinstance(listed, (ast.List, ast.Tuple)) or not all(_is_index_model(e) for e in listed.elts):
        return None
    name = name_node.value if isinstance(name_node, ast.Constant) else None
    if name is None and isinstance(name_node, ast.Name) and value is not None:
        name = value(name_node)
    return (name, cast_list(listed)) if isinstance(name, str) and name else None


# the table the IndexModels of every spec object form: declared when the project applies some object's
# `.indexes` (advisor.sources.links joins the two, as for INDEXES tables)
SPEC_TABLE = ".indexes"


def spec_tables(
    tree: ast.AST, value: Callable[[ast.AST], Any], where: Callable[[ast.AST], Location]
) -> dict[str, list[IndexDef]]:
    """The indexes the module's spec objects list (`spec_parts`), under SPEC_TABLE."""
    declared = [
        index_model(parts[0], e, value, where)
        for node in walk(tree)
        if (parts := spec_parts(node, value))
        for e in parts[1]
    ]
    return {SPEC_TABLE: declared} if declared else {}


def cast_list(node: ast.AST) -> list[ast.Call]:
    return [e for e in node.elts if isinstance(e, ast.Call)] if isinstance(node, (ast.List, ast.Tuple)) else []


def _entries(node: ast.AST) -> list[ast.AST]:
    """A table's list: its IndexModel calls, or its (keys, options) pairs, key lists and named key lists."""
    calls: list[ast.AST] = list(cast_list(node))
    if calls or not isinstance(node, (ast.List, ast.Tuple)):
        return calls
    return [e for e in node.elts if _is_pair(e) or _is_key_list(e) or _is_named_keys(e)]


class Loops:
    """Which loop binds a name: `for index in indexes`, `for name, models in INDEXES.items()`; and which one-entry
    dict a name is unpacked from (`name, keys = index.items()[0]`)."""

    def __init__(self, tree: ast.AST):
        self.bound: dict[str, list[tuple[ast.For, int | None]]] = {}  # name -> (loop, its place in a tuple target)
        # `name, spec = index.items()[0]`: the parts of a one-entry dict's entry, by name -> the dict's name
        self.unpacked: dict[str, ast.Name] = {}
        for node in walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple):
                entry = _first_entry(node.value)
                for e in node.targets[0].elts if entry is not None else ():
                    if isinstance(e, ast.Name) and entry is not None:
                        self.unpacked[e.id] = entry
            if isinstance(node, (ast.For, ast.AsyncFor)):
                if isinstance(node.target, ast.Name):
                    self.bound.setdefault(node.target.id, []).append((node, None))  # type: ignore[arg-type]
                elif isinstance(node.target, ast.Tuple):
                    for i, e in enumerate(node.target.elts):
                        if isinstance(e, ast.Name):
                            self.bound.setdefault(e.id, []).append((node, i))  # type: ignore[arg-type]

    def iterated(self, use: ast.Name) -> tuple[ast.expr, int | None] | None:
        """The iterable of the loop whose body uses `use` as its target, and the target's place."""
        for loop, place in self.bound.get(use.id, ()):
            if any(use is n for st in loop.body for n in ast.walk(st)):
                return loop.iter, place
        return None


def _first_entry(node: ast.AST) -> ast.Name | None:
    """`d.items()[0]` (Python 2) or `list(d.items())[0]`: the dict `d`, whose first entry is unpacked."""
    if not isinstance(node, ast.Subscript) or not isinstance(node.slice, ast.Constant) or node.slice.value != 0:
        return None
    view = node.value
    if isinstance(view, ast.Call) and getattr(view.func, "id", "") == "list" and len(view.args) == 1:
        view = view.args[0]
    if (
        isinstance(view, ast.Call)
        and isinstance(view.func, ast.Attribute)
        and view.func.attr == "items"
        and isinstance(view.func.value, ast.Name)
    ):
        return view.func.value
    return None


class TableUses:
    """Which table a `create_indexes` argument comes from, in one module (its loops read on first use)."""

    def __init__(self, tree: ast.AST, resolve: Callable[[ast.Name], ast.AST | None], classes: Classes):
        self.tree, self.resolve, self.classes = tree, resolve, classes

    @cached_property
    def loops(self) -> Loops:
        return Loops(self.tree)

    @cached_property
    def imported(self) -> dict[str, str]:
        return imported_names(self.tree)

    def applied(self, arg: ast.AST) -> str | None:
        return applied_table(arg, self.resolve, self.loops, self.imported, self.dict_source)

    def dict_source(self, name: str, at: ast.AST) -> str | None:
        """The table a dict a loop walks comes from, when it is not a table's own name (pandahub: `indexes_to_set`
        is `self.mongodb_indexes`, or `{collection: self.mongodb_indexes[collection]}`, and the constructor's
        `mongodb_indexes` parameter defaults to MONGODB_INDEXES): every assignment of the name in the function
        around `at` gives that dict or one entry of it; a member of `self` is the one value its class assigns it,
        a constructor parameter's default (what a caller passes instead is not seen)."""
        function = function_at(self.tree, getattr(at, "lineno", 0))
        values = bound_values(list(ast.walk(function)), name) if function is not None else None
        sources = {self._source(v, function) for v in values or ()} if function is not None else set()
        return sources.pop() if len(sources) == 1 and None not in sources else None

    def _source(self, value: ast.AST, function: ast.AST) -> str | None:
        if (  # {collection: SOURCE[collection]}: one entry of it
            isinstance(value, ast.Dict) and len(value.values) == 1 and isinstance(value.values[0], ast.Subscript)
        ):
            value = value.values[0].value
        if isinstance(value, ast.Name):
            return self.imported.get(value.id, value.id)
        if not (isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == "self"):
            return None
        cls = class_at(self.tree, getattr(function, "lineno", 0))
        held = self.classes.sole_member(cls, value.attr) if cls is not None else None
        if not isinstance(held, ast.Name) or cls is None:
            return None
        init = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
        if init is None:
            return None
        default = defaults(init).get(held.id)
        return self.imported.get(default.id, default.id) if isinstance(default, ast.Name) else None


def applied_table(
    arg: ast.AST,
    resolve: Callable[[ast.Name], ast.AST | None],
    loops: Loops,
    imported: dict[str, str],
    dict_source: Callable[[str, ast.AST], str | None] = lambda name, at: None,
) -> str | None:
    """The table a `create_indexes` argument comes from: `INDEXES[name]`, a variable holding it, a loop
    over it (`for index in INDEXES[name]`, `for name, models in INDEXES.items()`), `[index]`."""
    for _ in range(6):
        if isinstance(arg, (ast.List, ast.Tuple)) and arg.elts:
            arg = arg.elts[0]
        elif isinstance(arg, ast.Subscript) and isinstance(arg.value, ast.Name):
            return imported.get(arg.value.id, arg.value.id)
        elif isinstance(arg, ast.Attribute) and "." + arg.attr == SPEC_TABLE:
            return SPEC_TABLE  # `for index in spec.indexes`: the indexes a spec object lists
        elif isinstance(arg, ast.Call) and not _is_index_model(arg) and arg.args and isinstance(arg.args[0], ast.Name):
            arg = arg.args[0]  # `shorten(index, ...)`: a helper handed the index gives it back, adjusted
        elif isinstance(arg, ast.Name):
            looped = loops.iterated(arg)  # the loop around the use binds it, whatever was assigned to it before
            held = resolve(arg) if looped is None else None
            if held is None and looped is None and arg.id in loops.unpacked:
                arg = loops.unpacked[arg.id]  # `name, keys = index.items()[0]`: an entry of what `index` holds
                continue
            if held is not None:
                arg = held
            elif looped is not None:
                iterable, place = looped
                over = _dict_view(iterable)
                if over is not None:  # for models in INDEXES.values(), for name, models in INDEXES.items()
                    table, view = over
                    if place != (1 if view == "items" else None):
                        return None
                    return dict_source(table, iterable) or imported.get(table, table)
                # for index in indexes: an item of what `indexes` holds; for keys, options in indexes: its parts
                arg = iterable
            else:
                return None
        else:
            return None
    return None


def _dict_view(node: ast.AST) -> tuple[str, str] | None:
    """`NAME.items()` / `NAME.values()`: (NAME, the view)."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("items", "values")
        and isinstance(node.func.value, ast.Name)
        and not node.args
    ):
        return node.func.value.id, node.func.attr
    return None


def imported_names(tree: ast.AST) -> dict[str, str]:
    """`from m import INDEXES as IX`: IX -> INDEXES."""
    return {a.asname: a.name for node in walk(tree) if isinstance(node, ast.ImportFrom) for a in node.names if a.asname}
