"""What `self.name` holds in a Python module, class by class.

A member belongs to the class that sets it and to the classes related to it in the module (its
bases and its subclasses, which share its instances' attributes); a property of the same name in an
unrelated class is another thing (FireWorks: `self.launches = self.db.launches` in `LaunchPad`, and
a `launches` property in `LazyFirework` in the same file).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from advisor.ir import SourceFile
from advisor.sources.links import Held, Links, links_of
from advisor.sources.mongo_names import UNKNOWN

# `self.users = database.users`, `self.jobs = self.db["jobs"]`: a module whose class holds a collection
HOLDS_COLLECTION = re.compile(r"self\.\w+\s*=\s*[\w.]*(?:db|database|client|mongo)\w*\s*[\[.]", re.IGNORECASE)


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


def self_attr(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")


class Classes:
    """The classes of one module: the class each node is in, and per class what `self.name` holds
    (class attributes, properties, `self.name = value` in its methods) and what its methods return."""

    def __init__(self, tree: ast.AST):
        self.owner: dict[int, ast.ClassDef] = {}  # node -> its innermost class
        self.named: dict[str, list[ast.ClassDef]] = {}
        self.members: dict[int, dict[str, ast.AST]] = {}
        self.returns: dict[int, dict[str, ast.AST]] = {}
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
            stack.extend((child, cls) for child in ast.iter_child_nodes(node))
        for classes in self.named.values():
            for cls in classes:
                self._read(cls, assigned.get(id(cls), []))

    def _read(self, cls: ast.ClassDef, assigned: list[ast.Assign]) -> None:
        members: dict[str, ast.AST] = {}
        returns: dict[str, ast.AST] = {}
        for item in cls.body:
            if isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name):
                members.setdefault(item.targets[0].id, item.value)
            elif (
                isinstance(item, ast.FunctionDef)
                and item.body
                and isinstance(item.body[-1], ast.Return)
                and item.body[-1].value is not None
            ):  # a property, or a method: what it returns
                (members if is_property(item) else returns).setdefault(item.name, item.body[-1].value)
        for node in sorted(assigned, key=lambda n: (n.lineno, n.col_offset)):
            members.setdefault(getattr(node.targets[0], "attr", ""), node.value)
        self.members[id(cls)], self.returns[id(cls)] = members, returns

    def class_of(self, node: ast.AST) -> ast.ClassDef | None:
        return self.owner.get(id(node))

    def family(self, cls: ast.ClassDef) -> list[ast.ClassDef]:
        """The class, then its bases in the module (nearest first), then its subclasses in the module."""
        if id(cls) in self._families:
            return self._families[id(cls)]
        out = self._families[id(cls)] = [cls]
        for up in (True, False):
            todo = [cls]
            while todo:
                current = todo.pop(0)
                related = (
                    [c for name in base_names(current) for c in self.named.get(name, ())]
                    if up
                    else [c for cs in self.named.values() for c in cs if current.name in base_names(c)]
                )
                for c in related:
                    if c not in out:
                        out.append(c)
                        todo.append(c)
        return out

    def member(self, use: ast.AST, name: str) -> ast.AST | None:
        """What `self.<name>` holds where `use` is: its class's family's member; outside any class,
        the first class of the module that has one."""
        return self._lookup(self.members, use, name)

    def returned(self, use: ast.AST, name: str) -> ast.AST | None:
        """What `self.<name>()` returns where `use` is, by the same lookup."""
        return self._lookup(self.returns, use, name)

    def _lookup(self, table: dict[int, dict[str, ast.AST]], use: ast.AST, name: str) -> ast.AST | None:
        cls = self.class_of(use)
        scope = self.family(cls) if cls is not None else [c for cs in self.named.values() for c in cs]
        for c in scope:
            held = table.get(id(c), {}).get(name)
            if held is not None:
                return held
        return None


def record_members(links: Links, classes: Classes, collection: Callable[[ast.AST], str | None], named: list) -> None:
    """What advisor.sources.links needs to name `self.member` across files (with the bases, recorded
    for every file by `record_bases`): the members each class holds a known collection in, and the
    queries and indexes (`named`) on a member this module could not name, with their class."""
    spans = [cls for named_classes in classes.named.values() for cls in named_classes]
    for cls in spans:
        for member, value in classes.members.get(id(cls), {}).items():
            name = collection(value)
            if name and not UNKNOWN.fullmatch(name) and not name.startswith("self."):
                links.held.append(Held(cls.name, member, name))
    for target in named:
        name = str(getattr(target, "collection", None) or getattr(target, "table", ""))
        line = target.location.line if target.location else 0
        owner = min(
            (c for c in spans if c.lineno <= line <= (c.end_lineno or c.lineno)),
            key=lambda c: (c.end_lineno or c.lineno) - c.lineno,
            default=None,
        )  # the innermost class around it
        if owner is not None and name.startswith("self."):
            links.members.append((owner.name, name[len("self.") :], target))


def record_bases(result: SourceFile, tree: ast.Module) -> None:
    """Every class's bases, from every Python file (a class between a handler and the adapter that
    holds its collections may be in a file with no query at all)."""
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.ClassDef):
            links_of(result).bases.setdefault(node.name, base_names(node))
            todo += node.body


def reads_mongo(text: str) -> bool:
    """Whether a Python module may call pymongo, declare IndexModel tables or hold a collection."""
    return any(w in text for w in ("find", "aggregate", "index", "IndexModel")) or bool(HOLDS_COLLECTION.search(text))
