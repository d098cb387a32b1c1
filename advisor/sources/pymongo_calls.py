"""pymongo calls in Python: find, find_one, aggregate, count_documents, update_*, delete_*,
create_index(es).  Called by the Python extractor with the module's ast."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from functools import cached_property
from typing import Any, cast

from advisor.ir import Location, SourceFile
from advisor.mongo.shape import AGGREGATE_OPS, FIND_OPS, MongoQuery, Placeholder, Regex
from advisor.sources.links import links_of
from advisor.sources.mongo_names import is_database, mark_run_time, run_time, run_time_name
from advisor.sources.pymongo_tables import TableUses, index_model, index_tables
from advisor.sources.python_classes import Classes, record_members, self_attr
from advisor.sources.python_mutations import Mutations

# pymongo's names: the snake_case ones, without the mongoose and legacy ones pymongo 4 does not have
QUERY_METHODS = {op for op in FIND_OPS | AGGREGATE_OPS if op.islower()} - {"exists"} | {
    "find_and_modify"
}  # with pymongo 3's count/update/remove/find_and_modify(query, update, sort=...)
INDEX_METHODS = {"create_index", "create_indexes", "ensure_index"}
_INDEX_TYPES = {"TEXT": "text", "HASHED": "hashed", "GEO2D": "2d", "GEOSPHERE": "2dsphere"}


MAX_VALUE_NODES = 5000  # syntax nodes read for one value, variables expanded


def _pos(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


class Names:
    """Module-level and function-level assignments `name = value`, in file order."""

    def __init__(self, tree: ast.AST):
        self.assigned: dict[str, list[ast.AST]] = {}
        self.loops: dict[str, list[ast.For]] = {}  # `for coll in colls`: the loops over a list variable
        self.function: dict[int, int] = {}  # node -> its innermost function (outer ones are walked first)
        self.functions: dict[int, ast.AST] = {}  # id -> the function
        self.collection_class: set[int] = set()  # the nodes of a class that subclasses a driver Collection
        for cls in ast.walk(tree):
            if isinstance(cls, ast.ClassDef) and any(
                re.search(r"(^|\.)Collection(\[.*\])?$", ast.unparse(b)) for b in cls.bases
            ):
                self.collection_class.update(id(n) for n in ast.walk(cls))
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                self.functions[id(fn)] = fn
                for node in ast.walk(fn):
                    self.function[id(node)] = id(fn)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.assigned.setdefault(node.targets[0].id, []).append(node.value)
            elif isinstance(node, ast.For) and isinstance(node.target, ast.Name) and isinstance(node.iter, ast.Name):
                self.loops.setdefault(node.target.id, []).append(node)
        for values in self.assigned.values():
            values.sort(key=_pos)
        self.classes = Classes(tree)  # what `self.name` holds and `self.method()` returns, class by class
        self.tables = TableUses(tree, self.resolve)  # create_indexes(INDEXES[name]): an index table applied
        self.tree = tree
        # an expression's static value, and its location (set by add_pymongo, which knows the file)
        self.value: Callable[[ast.AST], Any] = lambda node: None
        self.where: Callable[[ast.AST], Location] = lambda node: Location("", 0, 0)

    @cached_property
    def parameters(self) -> dict[int, tuple[str, ...]]:
        """Each node's innermost enclosing function's parameter names."""
        return _parameters(self.tree)

    def held_per_instance(self, held: ast.AST) -> ast.ClassDef | None:
        """`self.store = client[db][collection]` with `collection` a parameter of the method assigning it, or
        `self.jobs = jobs` with `jobs` a constructor parameter the module passes a collection for: each
        instance holds the one collection its caller names, so what is declared and queried through that
        member meets on it, whatever the deployment calls it. The class that assigns it; None otherwise
        (`db[self.name]` named by a subclass is another collection per subclass)."""
        param = held.slice if isinstance(held, ast.Subscript) else held
        if not isinstance(param, ast.Name) or param.id not in self.parameters.get(id(held), ()):
            return None
        return self.classes.class_of(held)

    def constructor_arguments(self, param: ast.Name) -> list[ast.AST]:
        """What the module's construction sites pass for `param`, a parameter of a class's `__init__`
        (`cls(db, db[jobs_coll])` in a classmethod, `Jobs(db, jobs=db.jobs)`), by position or keyword;
        [] when `param` is no such parameter."""
        fn = self.functions.get(self.function.get(id(param), 0))
        cls = self.classes.class_of(fn) if isinstance(fn, ast.FunctionDef) and fn.name == "__init__" else None
        if fn is None or cls is None or fn not in cls.body or not isinstance(fn, ast.FunctionDef):
            return []
        positional = [a.arg for a in fn.args.posonlyargs + fn.args.args][1:]  # after self
        out: list[ast.AST] = []
        for call in self.constructions.get(id(cls), ()):
            at = positional.index(param.id) if param.id in positional else None
            given = call.args[at] if at is not None and at < len(call.args) else _kw(call, param.id)
            if given is not None and not isinstance(given, ast.Starred):
                out.append(given)
        return out

    def instance_of(self, node: ast.AST) -> ast.ClassDef | None:
        """The class of this module an expression is an instance of, when it holds what constructs one:
        `Jobs(...)`, or `Jobs.alloc(...)` with `alloc` a classmethod returning `cls(...)`."""
        value = self.resolve(node) if isinstance(node, ast.Name) else self.member(node)
        if not isinstance(value, ast.Call):
            return None
        f = value.func
        if isinstance(f, ast.Name) and len(self.classes.named.get(f.id, ())) == 1:
            return self.classes.named[f.id][0]
        if (
            isinstance(f, ast.Attribute)
            and isinstance(f.value, ast.Name)
            and len(self.classes.named.get(f.value.id, ())) == 1
        ):
            cls = self.classes.named[f.value.id][0]
            method = next((m for m in cls.body if isinstance(m, ast.FunctionDef) and m.name == f.attr), None)
            made = self.constructions.get(id(cls), ())
            if method is not None and "classmethod" in [ast.unparse(d) for d in method.decorator_list]:
                returns = [r for r in ast.walk(method) if isinstance(r, ast.Return) and r.value is not None]
                if returns and all(r.value in made for r in returns):
                    return cls
        return None

    @cached_property
    def constructions(self) -> dict[int, list[ast.Call]]:
        """Each class's construction sites in the module: `Name(...)`, and `cls(...)` / `type(self)(...)`
        in its own methods."""
        out: dict[int, list[ast.Call]] = {}
        for call in ast.walk(self.tree):
            if not isinstance(call, ast.Call):
                continue
            f = call.func
            if isinstance(f, ast.Name) and f.id in self.classes.named:
                for cls in self.classes.named[f.id]:
                    out.setdefault(id(cls), []).append(call)
            elif (isinstance(f, ast.Name) and f.id == "cls") or ast.unparse(f) == "type(self)":
                owner = self.classes.class_of(call)
                if owner is not None:
                    out.setdefault(id(owner), []).append(call)
        return out

    @cached_property
    def mutations(self) -> Mutations:
        """The filters changed in place after they are built (read when a query is first met)."""
        return Mutations(self.tree, self.function)

    def member(self, node: ast.AST) -> ast.AST | None:
        """What `self.name` holds, when this module says."""
        return self.classes.member(node, getattr(node, "attr", "")) if self_attr(node) else None

    def returned(self, call: ast.Call) -> ast.AST | None:
        """What `self.method(...)` returns, when a method of the class (or its family) here says."""
        return self.classes.returned(call, getattr(call.func, "attr", "")) if self_attr(call.func) else None

    def item(self, use: ast.Name) -> ast.AST | None:
        """`for coll in colls: coll...` with `colls = [db[c], ...]`: the first item of the list."""
        for loop in self.loops.get(use.id, ()):
            body = {id(n) for st in loop.body for n in ast.walk(st)}
            items = self.resolve(cast(ast.Name, loop.iter)) if id(use) in body else None
            if isinstance(items, ast.List) and items.elts:
                return items.elts[0]
        return None

    def resolve(self, use: ast.Name) -> ast.AST | None:
        """The value last assigned before `use`, never the one `use` is part of
        (in `flt = {"$or": [flt, x]}` the inner `flt` is the earlier value)."""
        best = None
        at = _pos(use)
        scope = self.function.get(id(use))
        for value in self.assigned.get(use.id, ()):
            if self.function.get(id(value)) not in (None, scope):
                continue  # another function's variable of the same name
            end = (getattr(value, "end_lineno", None) or _pos(value)[0], getattr(value, "end_col_offset", None) or 0)
            if _pos(value) < at and not _pos(value) <= at < end:
                best = value
        return best


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
            if k is None or not isinstance(k, ast.Constant):
                continue
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
    text = ast.unparse(node)[:60] if hasattr(ast, "unparse") else ""
    return Placeholder("unknown", text)


def _database_method(node: ast.AST) -> str | None:
    """`self.get_db().alerts`, `self.get_db()["alerts"]`: the method that gives the database, when it
    is the project that must say it does (advisor.sources.links)."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "with_options":
        node = node.func.value
    db = node.value if isinstance(node, (ast.Attribute, ast.Subscript)) else None
    if isinstance(db, ast.Call) and self_attr(db.func) and not db.args and not db.keywords:
        return getattr(db.func, "attr", None)
    return None


def _collection(node: ast.AST, names: Names, depth: int = 0) -> str | None:
    if isinstance(node, ast.Subscript) and (is_database(node.value) or _database_method(node)):
        key: ast.AST = node.slice
        if isinstance(key, ast.Name) and depth < 4:
            key = names.resolve(key) or key
        elif self_attr(key) and depth < 4:
            key = names.member(key) or key
        if isinstance(key, ast.Constant) and key.value is not None:
            return key.value if isinstance(key.value, str) else None
        # db[datasource], or db[self.name] with `self.name = None` until a subclass names it: at run time
        return run_time_name(ast.unparse(node.slice))  # db[datasource]: named at run time
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and depth < 4:
        if node.func.attr == "with_options":  # the same collection with other options
            return _collection(node.func.value, names, depth + 1)
        returned = names.returned(node)
        if returned is not None:  # self.get_collection(...): a method here that returns a collection
            return _collection(returned, names, depth + 1)
    if isinstance(node, ast.Attribute) and self_attr(node):  # self.messages: a property or attribute
        held = names.member(node)
        if held is not None and depth < 4:
            name = _collection(held, names, depth + 1)
            owner = names.held_per_instance(held) if name is not None and run_time(name) else None
            return f"{owner.name}.{node.attr}" if owner is not None else name
        m = re.fullmatch(r"_*(\w*?)_?(collection|coll|col)s?", node.attr, re.IGNORECASE)
        return f"self.{node.attr}" if m else None
    made = names.instance_of(node.value) if isinstance(node, ast.Attribute) and depth < 4 else None
    held = names.classes.members.get(id(made), {}).get(node.attr) if isinstance(node, ast.Attribute) else None
    if made is not None and held is not None:  # jobs.jobs.find() with `jobs = Jobs.alloc(...)`: that class's member
        name = _collection(held, names, depth + 1)
        owner = names.held_per_instance(held) if name is not None and run_time(name) else None
        return f"{owner.name}.{getattr(node, 'attr', '')}" if owner is not None else name
    if isinstance(node, ast.Attribute) and node.attr == "collection" and not is_database(node.value):
        return run_time_name(ast.unparse(node))  # cursor.collection: the collection a cursor reads
    if isinstance(node, ast.Attribute):
        return node.attr if is_database(node.value) or _database_method(node) else None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get_collection"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return str(node.args[0].value)
    if isinstance(node, ast.Name) and node.id == "self" and id(node) in names.collection_class:
        return run_time_name("self")  # a Collection subclass calling its own find_one
    if isinstance(node, ast.Name):
        resolved = (names.resolve(node) or names.item(node)) if depth < 4 else None
        if resolved is not None:
            return _collection(resolved, names, depth + 1)
        given = names.constructor_arguments(node) if depth < 4 else []
        named = [_collection(arg, names, depth + 1) for arg in given]
        if any(named):  # a constructor parameter the module passes a collection for: that one, else one per instance
            return named[0] if len(set(named)) == 1 and not run_time(str(named[0])) else run_time_name(node.id)
        m = re.fullmatch(r"(\w+?)_?(collection|coll)", node.id)
        if m:
            return m.group(1)
    return None


def _unchain(call: ast.Call):
    chain = []
    node: ast.AST = call
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        chain.append((node.func.attr, node))
        node = node.func.value
    chain.reverse()
    return node, chain


def _kw(call: ast.Call, name: str):
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


def _sort_spec(v: Any) -> Any:
    if isinstance(v, list):
        out = {}
        for item in v:
            if isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str):
                out[item[0]] = -1 if item[1] in (-1, "desc") else 1
            elif isinstance(item, str):
                out[item] = 1
        return out
    if isinstance(v, str):
        return {v: 1}
    return v


def _parameters(tree: ast.AST) -> dict[int, tuple[str, ...]]:
    """Each node's innermost enclosing function's parameter names."""
    out: dict[int, tuple[str, ...]] = {}
    for fn in ast.walk(tree):  # outer functions first: an inner one overwrites its own nodes
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = fn.args
            names = tuple(x.arg for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x)
            for node in ast.walk(fn):
                out[id(node)] = names
    return out


def _unreachable(tree: ast.AST) -> set[int]:
    """The nodes of statements after a return / raise / continue / break in the same block: never run."""
    dead: set[int] = set()
    for node in ast.walk(tree):
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
    tables = index_tables(tree, value, where) if "IndexModel" in result.text else {}
    if tables:  # declared when the project applies them (advisor.sources.links)
        links_of(result).tables.update(tables)
    tops = []
    inner: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Call)
        ):
            inner.add(id(node.func.value))
    materialized: set[int] = set()  # list(coll.find(...)): every document in memory at once
    dead = _unreachable(tree)
    params = names.parameters
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and id(node) not in inner and id(node) not in dead:
            tops.append(node)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("list", "tuple", "sorted")
        ):
            materialized.update(id(a) for a in node.args)
    for top in tops:
        base, chain = _unchain(top)
        on_database: tuple[str, str] | None = None  # (class, method) when the receiver is `self.<method>().<name>`
        counts = len(result.queries), len(result.indexes)
        for i, (method, call) in enumerate(chain):
            if method not in QUERY_METHODS and method not in INDEX_METHODS:
                continue
            receiver = call.func.value
            coll = _collection(receiver, names)
            if coll is None:
                break
            held = _database_method(receiver)
            owner = names.classes.class_of(call) if held else None
            if held and owner is None:
                break  # `self.get_db()` outside a class: no method to look up
            if held and owner is not None:
                on_database = (owner.name, held)
            if method in INDEX_METHODS:
                _index(result, coll, method, call, path, index, names)
                break
            spans: dict = {}
            loc = Location(
                path,
                call.func.end_lineno,
                index.char_col(call.func.end_lineno, call.func.end_col_offset) - len(method),
                top.end_lineno,
                index.char_col(top.end_lineno, top.end_col_offset),
            )
            q = MongoQuery(
                collection=coll,
                operation=method,
                location=loc,
                source="python",
                driver=True,
                text=ast.unparse(top)[:2000],
                spans=spans,
                params=params.get(id(top), ()),
            )
            spans[()] = loc
            args = call.args
            at = 1 if method == "distinct" else 0
            built = args[at] if len(args) > at else _kw(call, "filter") or _kw(call, "pipeline")
            q.partial = built is not None and names.mutations.changes(built, names.resolve)  # query[k] = v later
            if method == "aggregate":
                q.pipeline = _value(args[0], path, index, spans, ("pipeline",), names) if args else Placeholder("array")
            elif method == "distinct":
                q.filter = _value(args[1], path, index, spans, ("filter",), names) if len(args) > 1 else {}
            else:
                f = args[0] if args else _kw(call, "query" if method == "find_and_modify" else "filter")
                q.filter = _value(f, path, index, spans, ("filter",), names) if f is not None else {}
                if any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in args):
                    q.partial = True  # find(**query): the arguments are known only at run time
                    if f is None:
                        q.filter = Placeholder("object", "**kwargs")
                if method in ("find", "find_one"):
                    proj = args[1] if len(args) > 1 else _kw(call, "projection") or _kw(call, "fields")
                    if proj is not None:
                        v = _value(proj, path, index, spans, ("projection",), names)
                        q.projection = {k: 1 for k in v if isinstance(k, str)} if isinstance(v, list) else v
                for key in ("sort", "skip", "limit") if method in ("find", "find_one", "find_and_modify") else ():
                    kv = _kw(call, key)
                    if kv is not None:
                        v = _value(kv, path, index, spans, (key,), names)
                        setattr(q, key, _sort_spec(v) if key == "sort" else v)
                        spans[(key,)] = _loc(path, kv, index)
            for method2, call2 in chain[i + 1 :]:
                a = call2.args
                if method2 == "sort" and a:
                    v = _value(a[0], path, index, {}, ("sort",), names)
                    if len(a) > 1:
                        d = _value(a[1], path, index, {}, ("sort",), names)
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
        if on_database is not None:  # kept when the project says the method gives a Database (links.py)
            links_of(result).on_database += [
                (*on_database, t) for t in result.queries[counts[0] :] + result.indexes[counts[1] :]
            ]
            del result.queries[counts[0] :], result.indexes[counts[1] :]
    mark_run_time(result.queries)
    if names.classes.named:  # the classes' members, resolved across the project's files (advisor.sources.links)
        record_members(
            links_of(result),
            names.classes,
            lambda node: _collection(node, names),
            [*result.queries, *result.indexes],
        )


def _index(result: SourceFile, coll: str, method: str, call: ast.Call, path: str, index, names: Names) -> None:
    from advisor.mongo.indexes import make_index, unread_index

    loc = _loc(path, call, index)
    opts = {k.arg: _value(k.value, path, index, {}, (), names) for k in call.keywords if k.arg}
    if method == "create_indexes":
        specs = call.args[0] if call.args else None
        table = names.tables.applied(specs) if specs is not None else None
        if table is not None:  # create_indexes(INDEXES[name]): the table declares them (advisor.sources.links)
            links_of(result).applied.setdefault(table, []).append(unread_index(coll, loc))
            return
        for e in specs.elts if isinstance(specs, ast.List) else [specs] if specs is not None else []:
            if isinstance(e, ast.Call) and e.args:
                result.indexes.append(index_model(coll, e, names.value, names.where))
            else:  # declared, keys held in a variable
                result.indexes.append(unread_index(coll, loc if e is specs else _loc(path, e, index)))
        return
    if not call.args:
        return
    keys = _value(call.args[0], path, index, {}, (), names)
    ix = make_index(coll, keys, opts, loc)
    result.indexes.append(ix or unread_index(coll, loc))
