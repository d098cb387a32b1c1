"""The names of a Python module as the pymongo extractor reads them: what a variable was last
assigned, what `self.name` holds and `self.method()` returns (advisor.sources.python_classes), what
a module's calls pass for a function's parameter."""

from __future__ import annotations

import ast
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from functools import cached_property
from typing import Any, cast

from advisor.facts.ast_nodes import position, walk
from advisor.ir import Location
from advisor.sources.pymongo_tables import TableUses
from advisor.sources.python_classes import Classes, base_names, constructor_parameter, returned_values, self_attr
from advisor.sources.python_modules import class_annotation, from_imports
from advisor.sources.python_mutations import Mutations

MONGO_MODULES = {"pymongo", "motor", "mongomock", "bson", "gridfs"}
# a driver's collection type in an annotation: pymongo's Collection / AsyncCollection, motor's
COLLECTION_TYPE = re.compile(r"\b(?:Async)?(?:IOMotor|Motor|Agnostic)?Collection\b")


class Names:
    """Module-level and function-level assignments `name = value`, in file order."""

    def __init__(self, tree: ast.AST):
        self.assigned: dict[str, list[ast.AST]] = {}
        self.loops: dict[str, list[ast.For]] = {}  # `for coll in colls`: the loops over a list variable
        self.function: dict[int, int] = {}  # node -> its innermost function (outer ones are walked first)
        self.functions: dict[int, ast.AST] = {}  # id -> the function
        self.collection_class: set[int] = set()  # the nodes of a class that subclasses a driver Collection
        self._by_function: dict[int, dict[int, ast.stmt]] = {}  # a function's statements by id (branch_values)
        for cls in walk(tree):
            if isinstance(cls, ast.ClassDef) and any(
                re.search(r"(^|\.)Collection(\[.*\])?$", ast.unparse(b)) for b in cls.bases
            ):
                self.collection_class.update(id(n) for n in ast.walk(cls))
        self.enclosing: dict[int, int] = {}  # a function -> the function it is defined in (a closure's)
        for fn in walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                self.functions[id(fn)] = fn
                for node in ast.walk(fn):
                    if node is not fn and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                        self.enclosing[id(node)] = id(fn)  # outer first: the innermost one is written last
                    self.function[id(node)] = id(fn)
        for node in walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.assigned.setdefault(node.targets[0].id, []).append(node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                self.assigned.setdefault(node.target.id, []).append(node.value)  # `ops: list[ReplaceOne] = []`
            elif isinstance(node, ast.For) and isinstance(node.target, ast.Name):
                if isinstance(node.iter, ast.Name) or self_attr(node.iter):  # `in colls`, `in self._collections`
                    self.loops.setdefault(node.target.id, []).append(node)
        for values in self.assigned.values():
            values.sort(key=position)
        self.classes = Classes(tree)  # what `self.name` holds and `self.method()` returns, class by class
        # create_indexes(INDEXES[name]): an index table applied, also through a parameter the module's calls fill
        self.tables = TableUses(tree, self._passed_value, self.classes)
        self.tree = tree
        # an expression's static value, and its location (set by add_pymongo, which knows the file)
        self.value: Callable[[ast.AST], Any] = lambda node: None
        self.where: Callable[[ast.AST], Location] = lambda node: Location("", 0, 0)

    @cached_property
    def parameters(self) -> dict[int, tuple[str, ...]]:
        """Each node's innermost enclosing function's parameter names."""
        return parameters_of(self.tree)

    def held_per_instance(self, held: ast.AST) -> ast.ClassDef | None:
        """`self.store = client[db][collection]` with `collection` a parameter of the method assigning it, or
        `self.jobs = jobs` with `jobs` a constructor parameter the module passes a collection for, or a property
        giving `self.database.get_collection(self.collection_name)` with `self.collection_name` what the constructor
        was given, or what the object the constructor was given gives (`self._collection =
        self._arctic_lib.get_top_level_collection()`, nothing else in it): each instance holds the one collection its
        caller names, so what is declared and queried through that member meets on it, whatever the deployment calls
        it. The class that assigns it; None otherwise (`db[self.name]` named by a subclass is another collection per
        subclass)."""
        cls = self.classes.class_of(held)
        root = held
        while isinstance(root, (ast.Call, ast.Attribute, ast.Subscript)) and not self_attr(root):
            root = root.func if isinstance(root, ast.Call) else root.value
        if (
            cls is not None
            and isinstance(root, ast.Attribute)
            and self_attr(root)
            and root is not held
            and all(n.id == "self" for n in ast.walk(held) if isinstance(n, ast.Name))
            and all(
                constructor_parameter(cls, n.attr)
                for n in ast.walk(held)
                if isinstance(n, ast.Attribute) and self_attr(n)
            )
        ):
            return cls  # only what the given object holds: the same for the instance's whole life
        param = (
            held.slice
            if isinstance(held, ast.Subscript)
            else held.args[0]
            if isinstance(held, ast.Call)
            and isinstance(held.func, ast.Attribute)
            and held.args
            and held.func.attr == "get_collection"
            else held
        )
        if isinstance(param, ast.Attribute) and self_attr(param) and cls is not None:
            return cls if constructor_parameter(cls, param.attr) is not None else None
        if not isinstance(param, ast.Name) or param.id not in self.parameters.get(id(held), ()):
            return None
        return cls

    def _passed_value(self, name: ast.Name) -> ast.AST | None:
        """What a name holds: its value, or for a parameter the one argument every call of the module passes."""
        value = self.resolve(name)
        if value is not None:
            return value
        given = self.arguments(name)
        return given[0] if given and all(ast.dump(g) == ast.dump(given[0]) for g in given) else None

    def arguments(self, param: ast.Name) -> list[ast.AST]:
        """What the module's calls pass for `param`, a parameter of the function it is used in, by position
        or keyword: for a class's `__init__`, its construction sites (`cls(db, db[jobs_coll])` in a
        classmethod, `Jobs(db, jobs=db.jobs)`); for a method, the class's (and its family's)
        `self.method(...)` calls; for a function of the module, its calls (a call passing it unpacked,
        `f(*args)`, passes nothing known). [] when `param` is no parameter of such a function."""
        signature = self.signature(param)
        if signature is None:
            return []
        fn, cls, positional = signature
        if cls is not None:
            calls = self.constructions.get(id(cls), []) if fn.name == "__init__" else self.method_calls(cls, fn.name)
        else:
            calls = self.calls.get(fn.name, [])
        if param.id not in positional + [a.arg for a in fn.args.kwonlyargs]:
            return []
        out: list[ast.AST] = []
        for call in calls:
            at = positional.index(param.id) if param.id in positional else None
            given = call.args[at] if at is not None and at < len(call.args) else keyword(call, param.id)
            if given is not None and not isinstance(given, ast.Starred):
                out.append(given)
        return out

    def signature(
        self, node: ast.AST
    ) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.ClassDef | None, list[str]] | None:
        """The function `node` is in, when a method of a class or a function of the module (not one nested in
        another), with its class and the parameters a call gives by position (after `self`)."""
        fn = self.functions.get(self.function.get(id(node), 0))
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        cls = self.classes.class_of(fn)
        if cls is not None and id(fn) in self.methods:
            static = "staticmethod" in [ast.unparse(d) for d in fn.decorator_list]
        elif self.module_functions.get(fn.name) is fn:  # (a function of the module's own body)
            cls, static = None, True
        else:
            return None
        return fn, cls, [a.arg for a in fn.args.posonlyargs + fn.args.args][0 if static else 1 :]

    def annotated_collection(self, param: ast.AST) -> bool:
        """Whether `param` is a parameter of the function it is used in annotated as a driver's collection
        (`col: Collection`, `Optional[AsyncIOMotorCollection]`, `"Collection[Any]"`)."""
        signature = self.signature(param) if isinstance(param, ast.Name) else None
        if signature is None:
            return False
        args = signature[0].args
        for arg in args.posonlyargs + args.args + args.kwonlyargs:
            if arg.arg == getattr(param, "id", None) and arg.annotation is not None:
                return bool(COLLECTION_TYPE.search(ast.unparse(arg.annotation)))
        return False

    def project_instance(self, node: ast.AST) -> str | None:
        """The name of the class another module of the project defines that `self.<member>` holds an instance of:
        `self.cols = JobCollections(conf)` or `self.cols = cols` with `cols: JobCollections`, the class imported
        by name (`from pkg.specs import JobCollections`). What its members hold is that module's to say
        (advisor.sources.links)."""
        held = self.member(node)
        if isinstance(held, ast.Call) and isinstance(held.func, ast.Name):
            name = held.func.id
        else:
            name = self._annotated_parameter(held) or ""
        return name if name in self.imported_classes and name not in self.classes.named else None

    def _annotated_parameter(self, held: ast.AST | None) -> str | None:
        """The class a parameter is annotated with, when `held` is that parameter (`self.cols = cols`, `cols: C`)."""
        if isinstance(held, ast.Name) and held.id in self.parameters.get(id(held), ()):
            return self.annotation(held)
        return None

    def annotation(self, param: ast.Name) -> str | None:
        """The class a parameter is annotated with, by a plain name (`cols: JobCollections`, `"JobCollections"`)."""
        fn = self.functions.get(self.function.get(id(param), 0))
        args = getattr(fn, "args", None)
        for arg in (args.posonlyargs + args.args + args.kwonlyargs) if args is not None else []:
            if arg.arg == param.id:
                return class_annotation(arg.annotation)
        return None

    @cached_property
    def imported_classes(self) -> set[str]:
        """Names the module imports from the project by a relative or dotted `from` (capitalised: classes)."""
        return {local for local, name in self._project_imports.items() if name[:1].isupper()}

    def project_bases(self, cls: ast.ClassDef) -> list[str]:
        """The bases of a class of this module that it imports from a module of the project (a relative or dotted
        `from`, `from mq.base import _MongoQueue`): what their instances hold, those modules say."""
        return [b for b in base_names(cls) if b in self._project_imports and b not in self.classes.named]

    @cached_property
    def _project_imports(self) -> dict[str, str]:
        """local name -> imported name, for what a relative or dotted `from` brings from the project."""
        return {
            local: name
            for node, local, _, name in from_imports(walk(self.tree), [])
            if node.level or "." in (node.module or "")
        }

    def instance_of(self, node: ast.AST) -> ast.ClassDef | None:
        """The class of this module an expression is an instance of, when it holds what constructs one:
        `Jobs(...)`, or `Jobs.alloc(...)` with `alloc` a classmethod returning `cls(...)`."""
        passed = self._passed_self(node) if isinstance(node, ast.Attribute) and self.on_self(node) else None
        if passed is not None:
            return passed
        value = self.resolve(node) if isinstance(node, ast.Name) else self.member(node)
        annotated = self._annotated_parameter(value)  # `self._client = client`, `client: SplitgillClient` here
        if annotated is not None:
            classes = self.classes.named.get(annotated, [])
            return classes[0] if len(classes) == 1 else None
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

    def _passed_self(self, node: ast.Attribute) -> ast.ClassDef | None:
        """`self.catalog` kept from the constructor (`def __init__(self, catalog): self.catalog = catalog`) where
        every construction of the class in the module is given `self` by one other class's methods
        (`_Entries(self)` in `BlueskyMongoCatalog`): an instance of that class (databroker's catalog entries)."""
        cls = self.classes.class_of(node)
        given = constructor_parameter(cls, node.attr) if cls is not None else None
        calls = self.constructions.get(id(cls), []) if given is not None else []
        owners = set()
        for call in calls:
            arg = call.args[given[1]] if given is not None and given[1] < len(call.args) else None
            owner = self.classes.class_of(call) if isinstance(arg, ast.Name) and arg.id == "self" else None
            if owner is None or owner is cls:
                return None
            owners.add(owner)
        return owners.pop() if len(owners) == 1 else None

    def method_calls(self, cls: ast.ClassDef, method: str) -> list[ast.Call]:
        """The `self.<method>(...)` calls made in the class's family (its bases and subclasses here)."""
        family = self.classes.family(cls)
        return [c for c in self.calls.get(method, []) if self_attr(c.func) and self.classes.class_of(c) in family]

    @cached_property
    def calls(self) -> dict[str, list[ast.Call]]:
        """The module's calls of a name, `f(...)` or `self.f(...)`, by that name."""
        out: dict[str, list[ast.Call]] = {}
        for call in walk(self.tree):
            f = call.func if isinstance(call, ast.Call) else None
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) and self_attr(f) else None
            )
            if name is not None:
                out.setdefault(name, []).append(cast(ast.Call, call))
        return out

    @cached_property
    def constructions(self) -> dict[int, list[ast.Call]]:
        """Each class's construction sites in the module: `Name(...)`, and `cls(...)` / `type(self)(...)`
        in its own methods."""
        out: dict[int, list[ast.Call]] = {}
        for call in walk(self.tree):
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
        return self.classes.member(node, getattr(node, "attr", "")) if self.on_self(node) else None

    def on_self(self, node: ast.AST) -> bool:
        """`self.name`, or `lib.name` after `lib = self` in the same function."""
        if self_attr(node):
            return True
        value = node.value if isinstance(node, ast.Attribute) else None
        alias = self.resolve(value) if isinstance(value, ast.Name) else None
        return isinstance(alias, ast.Name) and alias.id == "self"

    @cached_property
    def imports_mongo(self) -> bool:
        """Whether the module imports a MongoDB driver (or its bson): a parameter named `collection`, or a
        call of `get_<...>_collection()`, then holds a driver collection rather than another library's."""
        for node in walk(self.tree):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            if any(m.split(".")[0] in MONGO_MODULES for m in modules):
                return True
        return False

    def returned(self, call: ast.Call) -> list[ast.expr]:
        """Every value `self.method(...)` returns, when a method of the class (or its family) here says,
        `obj.method(...)`, a method of the module's class `obj` is an instance of (`instance_of`), or `function(...)`,
        a function of the module; [] otherwise."""
        if self_attr(call.func):
            return self.classes.returned(call, getattr(call.func, "attr", ""))
        if isinstance(call.func, ast.Attribute):  # `self._client.get_options_collection()`: an instance of a class here
            cls = self.instance_of(call.func.value)
            body = cls.body if cls is not None else []
            defined = [m for m in body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
            method = next((m for m in reversed(defined) if m.name == call.func.attr), None)  # the last definition
            return returned_values(method) if method is not None else []
        fn = self.module_functions.get(call.func.id) if isinstance(call.func, ast.Name) else None
        return returned_values(fn) if fn is not None else []

    @cached_property
    def module_functions(self) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
        """The module's own functions, by name (one defined twice is neither; an `@overload` stub is no
        definition: the function is the one that follows its stubs)."""
        defs = [
            st
            for st in getattr(self.tree, "body", [])
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef))
            and not any(ast.unparse(d).split(".")[-1] == "overload" for d in st.decorator_list)
        ]
        names = Counter(d.name for d in defs)
        return {d.name: d for d in defs if names[d.name] == 1}

    @cached_property
    def overridden(self) -> set[str]:
        """The class attributes the module sets again, in another class's body (`primary_key = "mdb"` in a base class,
        `primary_key = "user_id"` in a subclass) or on an object (`self.mdb.primary_key = "user_id"`): what
        `self.<name>` holds depends on the instance."""
        counts = Counter(
            target.id
            for cls in walk(self.tree)
            if isinstance(cls, ast.ClassDef)
            for st in cls.body
            if isinstance(st, (ast.Assign, ast.AnnAssign))
            for target in (st.targets if isinstance(st, ast.Assign) else [st.target])
            if isinstance(target, ast.Name)
        )
        set_on_objects = {
            target.attr
            for st in walk(self.tree)
            if isinstance(st, (ast.Assign, ast.AnnAssign))
            for target in (st.targets if isinstance(st, ast.Assign) else [st.target])
            if isinstance(target, ast.Attribute)
        }
        return {name for name, n in counts.items() if n > 1 or name in set_on_objects}

    @cached_property
    def methods(self) -> set[int]:
        """The statements of every class's own body, by id: whether a function is a method is a look-up,
        not a pass over its class's body (a class of thousands of methods)."""
        return {id(st) for cls in walk(self.tree) if isinstance(cls, ast.ClassDef) for st in cls.body}

    def item(self, use: ast.Name) -> ast.AST | None:
        """`for coll in colls: coll...` with `colls = [db[c], ...]`: the first item of the list."""
        for loop in self.loops.get(use.id, ()):
            body = {id(n) for st in loop.body for n in ast.walk(st)}
            if id(use) not in body:
                continue
            if isinstance(loop.iter, ast.Name):
                items = self.resolve(loop.iter)
                if isinstance(items, ast.List) and items.elts:
                    return items.elts[0]
            elif isinstance(self.member(loop.iter), ast.ListComp):  # one collection per partition: an item of it
                return ast.Subscript(value=loop.iter, slice=ast.Constant(0), ctx=ast.Load())
        return None

    def resolve(self, use: ast.Name) -> ast.AST | None:
        """The value last assigned before `use`, never the one `use` is part of
        (in `flt = {"$or": [flt, x]}` the inner `flt` is the earlier value)."""
        at = position(use)
        found = [self._last_before(use.id, scope, at) for scope in self._scopes(use)]
        return max((v for v in found if v is not None), key=position, default=None)

    def _scopes(self, use: ast.Name) -> list[int | None]:
        """Where `use` may take its value: the module, its function, and the functions that function is
        defined in (a closure reads their locals: `jcol = db.get_collection('job')` then `def resolve(d):
        jcol.find(...)`), up to one that has it as a parameter."""
        scopes: list[int | None] = [None]
        fn = self.function.get(id(use))
        while fn is not None:
            scopes.append(fn)
            f = self.functions.get(fn)
            a = getattr(f, "args", None)
            params = (
                [x.arg for x in (a.posonlyargs + a.args + a.kwonlyargs)]
                + [x.arg for x in (a.vararg, a.kwarg) if x is not None]
                if a is not None
                else []
            )
            if use.id in params:
                break
            fn = self.enclosing.get(fn)
        return scopes

    def branch_values(self, use: ast.Name) -> list[ast.Dict]:
        """The other dicts a name may hold where `use` reads it, when assignments on different paths reach it
        (`if a: query = {"id": a} else: query = {"username": b}`; advisor.facts.reaching): each but the one
        `resolve` gives; [] when one reaches, or when one of them is not a dict the code writes there."""
        from advisor.facts.reaching import reaching

        fn = self.functions.get(self.function.get(id(use), 0))
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return []
        reach = reaching(fn).get(id(use), frozenset())
        last = self.resolve(use)
        if len(reach) < 2 or not isinstance(last, ast.Dict):
            return []  # one value reaches the read
        statements = self._statements(fn)
        given = [statements[i] for i in reach if i in statements]
        values = [s.value for s in given if isinstance(s, (ast.Assign, ast.AnnAssign)) and _plain(s, use.id)]
        if len(values) != len(reach):
            return []  # the parameter's own value, a loop's, an `|=`: the values are not all known
        return [cast(ast.Dict, v) for v in values if v is not last] if any(v is last for v in values) else []

    def _statements(self, fn: ast.AST) -> dict[int, ast.stmt]:
        """id -> statement of a function, walked once however many of its calls ask."""
        if id(fn) not in self._by_function:
            self._by_function[id(fn)] = {id(s): s for s in ast.walk(fn) if isinstance(s, ast.stmt)}
        return self._by_function[id(fn)]

    def assigned_here(self, use: ast.Name) -> int:
        """How many assignments of `use`'s name its own function holds (0 at module level)."""
        scope = self.function.get(id(use))
        return len(self._by_scope.get((use.id, scope), ([], []))[0]) if scope is not None else 0

    def _last_before(self, name: str, scope: int | None, at: tuple[int, int]) -> ast.AST | None:
        """The last value of `name` assigned in `scope` (None: the module) that starts before `at` and
        does not hold it: a bisection in the values grouped once by name and function, so a use costs no
        walk over every other assignment of the name (thousands of `c = ...` in one file)."""
        values, starts = self._by_scope.get((name, scope), ([], []))
        for i in range(bisect_left(starts, at) - 1, -1, -1):
            value = values[i]
            end = (getattr(value, "end_lineno", None) or starts[i][0], getattr(value, "end_col_offset", None) or 0)
            if not at < end:
                return value
        return None

    @cached_property
    def _by_scope(self) -> dict[tuple[str, int | None], tuple[list[ast.AST], list[tuple[int, int]]]]:
        """`assigned` grouped by (name, the value's innermost function), each group in file order."""
        out: dict[tuple[str, int | None], tuple[list[ast.AST], list[tuple[int, int]]]] = {}
        for name, values in self.assigned.items():
            for value in values:
                group = out.setdefault((name, self.function.get(id(value))), ([], []))
                group[0].append(value)
                group[1].append(position(value))
        return out


def keyword(call: ast.Call, name: str):
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


def parameters_of(tree: ast.AST) -> dict[int, tuple[str, ...]]:
    """Each node's innermost enclosing function's parameter names."""
    out: dict[int, tuple[str, ...]] = {}
    for fn in walk(tree):  # outer functions first: an inner one overwrites its own nodes
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = fn.args
            names = tuple(x.arg for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x)
            for node in ast.walk(fn):
                out[id(node)] = names
    return out


def _plain(statement: ast.Assign | ast.AnnAssign, name: str) -> bool:
    """`name = {...}` (or `name: T = {...}`): a dict the code writes, given whole."""
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return (
        len(targets) == 1
        and isinstance(targets[0], ast.Name)
        and targets[0].id == name
        and isinstance(statement.value, ast.Dict)
    )
