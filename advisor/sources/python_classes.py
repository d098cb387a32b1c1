"""What `self.name` holds in a Python module, class by class.

A member belongs to the class that sets it and to the classes related to it in the module (its
bases and its subclasses, which share its instances' attributes); a property of the same name in an
unrelated class is another thing (FireWorks: `self.launches = self.db.launches` in `LaunchPad`, and
a `launches` property in `LazyFirework` in the same file).
"""

from __future__ import annotations

import ast
import builtins
import collections
import re
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

from advisor.facts.ast_nodes import LineSpans, kept, walk
from advisor.ir import SourceFile
from advisor.sources.links import OTHER, TEMPLATE, Attributes, Held, Links, links_of, settle
from advisor.sources.mongo_names import UNKNOWN, is_database
from advisor.sources.python_settings import SETTING_NAME

# `self.users = database.users`, `self.jobs = self.db["jobs"]`: a module whose class holds a collection
# a module whose only pymongo calls are writes or counts (`self._collection.update_one(...)`)
WRITES = ("update_one", "update_many", "delete_one", "delete_many", "replace_one", "count_documents")
# the dotted name assigned, and the `.` or `[` after it
_SELF_ASSIGNED = re.compile(r"self\.\w+\s*=\s*(?=([\w.]*)\s*([\[.]?))")
_STORE = re.compile(r"db|database|client|mongo", re.IGNORECASE)


def holds_collection(text: str) -> bool:
    """Whether a class assigns `self.x` something read off a database or client (`database.users`,
    `self.db["jobs"]`): a part of the dotted name naming one, then `.` or `[`. Part by part: one pattern for it
    backtracked over a long name (a 64 kB line: 37 s, red-team pass 8)."""
    for m in _SELF_ASSIGNED.finditer(text):
        parts = m.group(1).split(".")
        if any(_STORE.search(p) for p in parts[:-1]) or (m.group(2) and _STORE.search(parts[-1])):
            return True
    return False


def base_names(cls: ast.ClassDef) -> tuple[str, ...]:
    """The simple names of a class's bases (`pkg.Base` -> `Base`)."""
    out = []
    for b in cls.bases:
        node = b.value if isinstance(b, ast.Subscript) else b  # Generic[T]-style bases: the class
        if isinstance(node, ast.Name):
            out.append(node.id)
        elif isinstance(node, ast.Attribute):
            out.append(node.attr)
    return tuple(out)


def is_property(fn: ast.FunctionDef) -> bool:
    return any(
        (d.id if isinstance(d, ast.Name) else d.attr if isinstance(d, ast.Attribute) else "")
        in ("property", "cached_property")
        for d in fn.decorator_list
    )


def returned_values(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    """Every value a function's own `return`s give (a bare `return` gives None), not those of functions
    inside it; [] when it has none, or yields (a generator returns no value of its own)."""
    todo: list[ast.AST] = list(fn.body)
    values: list[ast.expr] = []
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return []
        if isinstance(node, ast.Return):
            values.append(node.value or ast.copy_location(ast.Constant(None), node))
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo += ast.iter_child_nodes(node)
    return sorted(values, key=lambda v: (v.lineno, v.col_offset))


def self_attr(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")


def constructor_parameter(cls: ast.ClassDef, member: str, keyed: bool = False) -> tuple[str, int] | None:
    """(parameter, position) when `self.<member>` holds what the class's constructor was given: assigned once in
    the class, in `__init__`, from one of its positional parameters, never reassigned there (`self.collection_name =
    collection`). Each instance then holds what its caller passed. `keyed`: what is read off an object by the name
    the constructor was given (`self._collection = db[collection_name]`, `db.get_collection(collection_name)`)."""
    init = next(
        (f for f in cls.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.name == "__init__"),
        None,
    )
    if init is None or _self_stores(cls).get(member) != 1:
        return None  # set in two places (or none): not what one argument gives
    value = _init_assigns(init).get(member)
    if keyed:
        value = _name_read(value)
    positional = [a.arg for a in init.args.posonlyargs + init.args.args][1:]
    if not isinstance(value, ast.Name) or value.id not in positional:
        return None
    if any(isinstance(n, ast.Name) and n.id == value.id and isinstance(n.ctx, ast.Store) for n in ast.walk(init)):
        return None  # the parameter reassigned: another value
    return value.id, positional.index(value.id)


def _name_read(value: ast.expr | None) -> ast.expr | None:
    """The key of `x[key]` or `x.get_collection(key)`."""
    if isinstance(value, ast.Subscript):
        return value.slice
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "get_collection"
        and len(value.args) == 1
    ):
        return value.args[0]
    return None


def _self_stores(cls: ast.ClassDef) -> dict[str, int]:
    """How many times the class stores each `self.<member>` (read once per class)."""

    def count() -> dict[str, int]:
        out: dict[str, int] = {}
        for n in ast.walk(cls):
            if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) and self_attr(n):
                out[n.attr] = out.get(n.attr, 0) + 1
        return out

    return kept(cls, "self_stores", count)


def _init_assigns(init: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr]:
    """`self.<member> = value` (or `self.<member>: T = value`) in a constructor, by member (read once per
    constructor)."""

    return kept(init, "self_assigns", lambda: dict(self_assignments(init)))


def self_assignments(node: ast.AST) -> Iterator[tuple[str, ast.expr]]:
    """(member, value) of each `self.<member> = value` or `self.<member>: T = value` under the node, in order."""
    for a in ast.walk(node):
        if isinstance(a, ast.Assign) and len(a.targets) == 1:
            target, value = a.targets[0], a.value
        elif isinstance(a, ast.AnnAssign) and a.value is not None:
            target, value = a.target, a.value
        else:
            continue
        if isinstance(target, ast.Attribute) and self_attr(target):
            yield target.attr, value


class Classes:
    """The classes of one module: the class each node is in, and per class what `self.name` holds
    (class attributes, properties, `self.name = value` in its methods) and what its methods return."""

    def __init__(self, tree: ast.AST):
        self.owner: dict[int, ast.ClassDef] = {}  # node -> its innermost class
        self.named: dict[str, list[ast.ClassDef]] = {}
        self.members: dict[int, dict[str, ast.AST]] = {}
        self.bindings: dict[int, collections.Counter[str]] = {}  # class -> how many statements bind each member
        self.returns: dict[int, dict[str, list[ast.expr]]] = {}
        self._families: dict[int, list[ast.ClassDef]] = {}
        assigned: dict[int, list[ast.Assign]] = {}  # class -> its `self.name = value` statements
        stack: list[tuple[ast.AST, ast.ClassDef | None]] = [(tree, None)]
        while stack:  # one pass: each node with the class it is in
            node, cls = stack.pop()
            if isinstance(node, ast.ClassDef):
                cls = node
                self.named.setdefault(node.name, []).append(node)
            if cls is not None:
                self.owner[id(node)] = cls
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and self_attr(node.targets[0]):
                    assigned.setdefault(id(cls), []).append(node)
                elif isinstance(node, ast.AnnAssign) and node.value is not None and self_attr(node.target):
                    # `self._cols: dict[str, Collection] = {...}`: the same assignment, typed
                    assigned.setdefault(id(cls), []).append(
                        ast.Assign([node.target], node.value, lineno=node.lineno, col_offset=node.col_offset)
                    )
            stack.extend((child, cls) for child in ast.iter_child_nodes(node))
        for classes in self.named.values():
            for cls in classes:
                self._read(cls, assigned.get(id(cls), []))

    def _read(self, cls: ast.ClassDef, assigned: list[ast.Assign]) -> None:
        members: dict[str, ast.AST] = {}
        returns: dict[str, list[ast.expr]] = {}
        bindings: collections.Counter[str] = collections.Counter()

        def bind(name: str, value: ast.AST) -> None:
            if isinstance(value, ast.Constant) and value.value is None:
                return  # `self._coll = None` until a property sets it once (a lazy handle): not a value of its own
            members.setdefault(name, value)
            bindings[name] += 1

        for item in cls.body:
            if isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name):
                bind(item.targets[0].id, item.value)
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.value is not None:
                bind(item.target.id, item.value)  # COLLECTION_NAME: str = "users"
            elif (
                isinstance(item, ast.FunctionDef)
                and is_property(item)
                and item.body
                and isinstance(item.body[-1], ast.Return)
                and item.body[-1].value is not None
            ):  # a property: what it returns
                bind(item.name, item.body[-1].value)
            elif isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and returned_values(item):
                returns.setdefault(item.name, returned_values(item))  # a method: every value it returns
        for node in sorted(assigned, key=lambda n: (n.lineno, n.col_offset)):
            bind(getattr(node.targets[0], "attr", ""), node.value)
        self.members[id(cls)], self.returns[id(cls)], self.bindings[id(cls)] = members, returns, bindings

    def class_of(self, node: ast.AST) -> ast.ClassDef | None:
        return self.owner.get(id(node))

    def family(self, cls: ast.ClassDef) -> list[ast.ClassDef]:
        """The class, then its bases in the module (nearest first), then its subclasses in the module."""
        if id(cls) in self._families:
            return self._families[id(cls)]
        out = self._families[id(cls)] = self._related(cls, up=True)
        out += [c for c in self._related(cls, up=False) if c not in out]
        return out

    def _related(self, cls: ast.ClassDef, up: bool) -> list[ast.ClassDef]:
        """The class, then its bases in the module, nearest first (`up`), or its subclasses."""
        out, todo = [cls], [cls]
        while todo:
            current = todo.pop(0)
            related = (
                [c for name in base_names(current) for c in self.named.get(name, ())]
                if up
                else self._subclasses.get(current.name, [])
            )
            for c in related:
                if c not in out:
                    out.append(c)
                    todo.append(c)
        return out

    @cached_property
    def _subclasses(self) -> dict[str, list[ast.ClassDef]]:
        """The classes naming each base, indexed once (was: every class read for each class's family)."""
        out: dict[str, list[ast.ClassDef]] = {}
        for c in (c for cs in self.named.values() for c in cs):
            for name in dict.fromkeys(base_names(c)):
                out.setdefault(name, []).append(c)
        return out

    def member(self, use: ast.AST, name: str) -> ast.AST | None:
        """What `self.<name>` holds where `use` is: its class's family's member; outside any class,
        the first class of the module that has one."""
        return self._lookup(self.members, use, name)

    def sole_member(self, cls: ast.ClassDef, name: str) -> ast.AST | None:
        """What `self.<name>` holds in `cls` when one statement of the class binds it (a class attribute, a
        property, or one `self.<name> = value`): a value the class never replaces."""
        return self.members[id(cls)].get(name) if self.bindings[id(cls)][name] == 1 else None

    def inherited(self, use: ast.AST, name: str) -> ast.AST | None:
        """What `self.<name>` holds where `use` is, when the class around it or its nearest base in the module that
        binds the name binds it once (`Table = "datasets"` in `class DBDataset`): what every instance of that class
        reads, whatever another class of the module holds under the name; else None."""
        cls = self.class_of(use)
        for c in self._related(cls, up=True) if cls is not None else ():
            if name in self.members.get(id(c), {}):
                return self.sole_member(c, name)
        return None

    def returned(self, use: ast.AST, name: str) -> list[ast.expr]:
        """Every value `self.<name>()` returns where `use` is, by the same lookup ([] when unknown)."""
        return self._lookup(self.returns, use, name) or []

    def _lookup(self, table: dict[int, dict[str, Any]], use: ast.AST, name: str) -> Any:
        cls = self.class_of(use)
        scope = self.family(cls) if cls is not None else [c for cs in self.named.values() for c in cs]
        for c in scope:
            held = table.get(id(c), {}).get(name)
            if held is not None:
                return held
        return None


def record_members(links: Links, classes: Classes, collection: Callable[[ast.AST], str | None], named: list) -> None:
    """What advisor.sources.links needs to name `self.member` across files (with the bases, recorded
    for every file by `record_bases`): the members each class holds a known collection in (or one a class
    attribute names, `db[self.COLLECTION_NAME]`), and the queries and indexes (`named`) on a member this
    module could not name, with their class."""
    spans = [cls for named_classes in classes.named.values() for cls in named_classes]
    for cls in spans:
        for member, value in classes.members.get(id(cls), {}).items():
            name = collection(value)
            # `<config.jobs_collection>`: perhaps a settings field, settled (or let go) in links
            pending = SETTING_NAME.fullmatch(name or "")
            if (
                name
                and (not UNKNOWN.fullmatch(name) or TEMPLATE.fullmatch(name) or pending)
                and not name.startswith("self.")
            ):
                links.held.append(Held(cls.name, member, name))
    lines = _class_lines(classes)
    for target in named:
        name = _name(target)
        owner = _innermost(lines, target)
        if owner is not None and name.startswith("self."):
            links.members.append((owner.name, name[len("self.") :], target))


def settle_attributes(links: Links, classes: Classes, named: list) -> None:
    """The queries and indexes (`named`) on `db[self.<attribute>]`: named for the class whose method makes
    them as far as this module tells (advisor.sources.links.settle; the project settles them again, its
    subclasses and bases known)."""
    lines = _class_lines(classes)
    attributes = Attributes({c: set(b) for c, b in links.bases.items()}, links.attributes)
    for target in named:
        m = TEMPLATE.fullmatch(_name(target))
        owner = (m[1] or getattr(_innermost(lines, target), "name", None)) if m else None  # <Repo.NAME>: Repo's
        if owner is not None:
            links.attributed.append((owner, _name(target), target))
            settle(target, owner, _name(target), attributes)


def _name(target: Any) -> str:
    return str(getattr(target, "collection", None) or getattr(target, "table", ""))


def _innermost(spans: LineSpans, target: Any) -> ast.ClassDef | None:
    """The innermost class around a query or index."""
    around = spans.around(target.location.line if target.location else 0)
    return around[0][2] if around else None


def _class_lines(classes: Classes) -> LineSpans:
    return LineSpans((c.lineno, c.end_lineno or c.lineno, c) for cs in classes.named.values() for c in cs)


def record_bases(result: SourceFile, tree: ast.Module) -> None:
    """Every class's bases and what its methods return, from every Python file (a class between a
    handler and the adapter that holds its collections, or the base class whose `get_db()` returns the
    database, may be in a file with no query at all)."""
    record_endpoints(result, tree)
    todo: list[ast.stmt] = list(tree.body)
    assigned: dict[str, list[ast.AST]] | None = None
    while todo:
        node = todo.pop()
        if isinstance(node, ast.ClassDef):
            links = links_of(result)
            links.bases.setdefault(node.name, base_names(node))
            if assigned is None:
                assigned = _assigned(tree)
            for attribute, value in _attributes(node, assigned):
                links.attributes.setdefault((node.name, attribute), set()).add(value)
            methods = [f for f in node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
            if methods and assigned is None:
                assigned = _assigned(tree)
            for fn in methods:
                links.methods.setdefault((node.name, fn.name), _database_calls(fn, node, assigned or {}))
            todo += node.body


def record_endpoints(result: SourceFile, tree: ast.Module) -> None:
    """The names classes are built or registered under, for advisor.sources.links (a resource class whose
    collection is that name is often registered in another file): `Resource("desks", ...)`, `Resource(name,
    ...)` after `name = "desks"` in the same block, `register("desks", Resource, ...)`.  One pass: the module's
    block and each function's, every node read once."""
    found: dict[str, set[str]] = {}
    _endpoints_in(tree.body, found)
    for cls, names in found.items():
        links_of(result).endpoints.setdefault(cls, set()).update(names)


def _endpoints_in(block: list[ast.stmt], found: dict[str, set[str]]) -> None:
    texts: dict[str, str] = {}  # name -> the text last assigned to it, in this block
    for st in block:
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            texts.pop(st.targets[0].id, None)
            if isinstance(st.value, ast.Constant) and isinstance(st.value.value, str):
                texts[st.targets[0].id] = st.value.value
            continue
        stack: list[ast.AST] = [st]
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                _endpoints_in(node.body, found)  # its own block
                continue
            if isinstance(node, ast.ClassDef):
                stack += [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
                continue
            if isinstance(node, ast.Call) and node.args:
                first = node.args[0]
                name = first.value if isinstance(first, ast.Constant) else texts.get(getattr(first, "id", ""))
                if isinstance(name, str):
                    for callee in [node.func, *node.args[1:2]]:  # Resource(name, ...) or register(name, Resource)
                        cls = callee.id if isinstance(callee, ast.Name) else ""
                        if cls[:1].isupper() and not hasattr(builtins, cls):  # ValueError("..."): no class here
                            found.setdefault(cls, set()).add(name)
            stack.extend(ast.iter_child_nodes(node))


def _attributes(cls: ast.ClassDef, assigned: dict[str, list[ast.AST]]) -> list[tuple[str, str | None]]:
    """The values a class gives its attributes, for advisor.sources.links.Attributes: in its body
    (`COLLECTION_NAME = "users"`, `name: str = "users"`) and in its methods (`self.name = "user"`); each a
    string (a module constant's too), None, or OTHER."""
    out: list[tuple[str, str | None]] = []
    for item in cls.body:
        if isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name):
            out.append((item.targets[0].id, _text(item.value, assigned)))
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.value is not None:
            out.append((item.target.id, _text(item.value, assigned)))
        elif isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out += [(member, _text(value, assigned)) for member, value in self_assignments(item)]
    return out


def _text(node: ast.AST, assigned: dict[str, list[ast.AST]]) -> str | None:
    """A string constant's value, or that of a module name assigned one once (`NAME = "users"`); None for
    None; OTHER for anything else."""
    if isinstance(node, ast.Name) and len(assigned.get(node.id, ())) == 1:
        node = assigned[node.id][0]
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str)):
        return node.value
    return OTHER


def _assigned(tree: ast.Module) -> dict[str, list[ast.AST]]:
    """The values assigned to each name or attribute in the module, by its text (`g.db`, `self._db`)."""
    out: dict[str, list[ast.AST]] = {}
    for node in walk(tree):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], (ast.Name, ast.Attribute))
        ):
            out.setdefault(ast.unparse(node.targets[0]), []).append(node.value)
    return out


def _database_calls(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, cls: ast.ClassDef, assigned: dict
) -> tuple[str, ...] | None:
    """For advisor.sources.links: when every `return` of a method gives a Database, the `self.<method>()`s
    it returns that of (`return self.client[name]`: none; `g.db = self.connect(); return g.db`: connect);
    None when a return gives anything else, or there is none."""
    todo: list[ast.AST] = list(fn.body)
    values: list[ast.AST | None] = []
    while todo:  # the method's own returns, not those of functions inside it
        node = todo.pop()
        if isinstance(node, ast.Return):
            values.append(node.value)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo += ast.iter_child_nodes(node)
    calls: list[str] = []
    for value in values or [None]:
        found = _gives_database(value, cls, assigned, 0)
        if found is None:
            return None
        calls += found
    return tuple(dict.fromkeys(calls))


def _gives_database(node: ast.AST | None, cls: ast.ClassDef, assigned: dict, depth: int) -> list[str] | None:
    """What `_database_calls` says of one returned expression: a Database by its name or by what the module
    assigns to it (`self._db`, `g.db`), or `self.<method>()`, whose Database the project settles."""
    if node is None or depth > 4:
        return None
    if isinstance(node, ast.Call) and self_attr(node.func) and not node.args and not node.keywords:
        return [getattr(node.func, "attr", "")]
    if isinstance(node, ast.IfExp):
        a, b = (_gives_database(n, cls, assigned, depth + 1) for n in (node.body, node.orelse))
        return None if a is None or b is None else a + b
    values = assigned.get(ast.unparse(node), []) if isinstance(node, (ast.Name, ast.Attribute)) else []
    if self_attr(node):  # this class's own assignments only
        values = [v for v in values if cls.lineno <= getattr(v, "lineno", 0) <= (cls.end_lineno or cls.lineno)]
    if values:
        found = [_gives_database(v, cls, assigned, depth + 1) for v in values]
        return None if any(f is None for f in found) else [m for f in found if f for m in f]
    return [] if is_database(node) else None


def reads_mongo(text: str) -> bool:
    """Whether a Python module may call pymongo, declare IndexModel tables or unique document fields, or hold
    a collection."""
    words = ("find", "aggregate", "index", "IndexModel", "unique", "bulk_write", "get_collection", *WRITES)
    return any(w in text for w in words) or holds_collection(text)
