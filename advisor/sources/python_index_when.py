"""When a Python index declaration meets the indexes declared before it (index-option-conflict's premises).

Two declarations of one key pattern conflict only when both reach one server while the first index exists:

- after its collection is dropped (`self._col.drop()` then `self._col.create_index(...)`, a test helper's
  reset), a declaration meets no index: it is marked `fresh` (the drop's place), and pairs only with the
  declarations after that same drop;
- in a method a subclass overrides without calling the base's (`_ensure_indexes` in a FIFO controller
  overriding the base controller's), the two methods' declarations are alternatives: an instance runs one
  or the other.  Such declarations are marked with their method (`variant`), their class, and the classes
  whose declarations of that method run together with theirs (`runs_with`: through `super()`).

Only the module's classes are read: an override in another file is not seen (both are then paired).
"""

from __future__ import annotations

import ast
from bisect import bisect_left

from advisor.facts.ast_nodes import walk
from advisor.sources.python_classes import base_names

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


class IndexWhen:
    """The options that say when the declarations of one module run."""

    def __init__(self, tree: ast.AST, path: str):
        self.path = path
        self.parent: dict[int, ast.AST] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        # the drops of each block, indexed once: (block, receiver) -> their places, and each place's statement
        self.drops: dict[tuple[int, str], list[int]] = {}
        self.dropped: dict[tuple[int, int], ast.stmt] = {}
        self.place: dict[int, tuple[int, int]] = {}  # a statement of a block with drops -> (block, its place)
        for node in walk(tree):
            if isinstance(node, ast.ClassDef):
                self.classes.setdefault(node.name, node)
            for child in ast.iter_child_nodes(node):
                self.parent[id(child)] = node
            for name in ("body", "orelse", "finalbody"):
                block = getattr(node, name, None)
                if isinstance(block, list):
                    self._index_drops(block)
        # memoised per class (by id) and method: each call's `_variant` reads every class's chain
        self.runs: dict[tuple[int, str], list[str]] = {}
        self.ancestry: dict[int, list[ast.ClassDef]] = {}
        self.methods: dict[int, dict[str, FunctionNode]] = {}
        self.variants: dict[tuple[int, str], dict[str, str]] = {}

    def _index_drops(self, block: list) -> None:
        held = [_dropped(s) for s in block]
        if not any(h is not None for h in held):
            return
        for i, (statement, receiver) in enumerate(zip(block, held, strict=True)):
            self.place[id(statement)] = (id(block), i)
            if receiver is not None:
                self.drops.setdefault((id(block), receiver), []).append(i)
                self.dropped[(id(block), i)] = statement

    def options(self, call: ast.Call) -> dict[str, str]:
        out: dict[str, str] = {}
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        drop = self._dropped_before(call, receiver) if receiver is not None and self.drops else None
        if drop is not None:
            out["fresh"] = f"{self.path}:{drop.lineno}"
        out.update(self._variant(call))
        return out

    def _dropped_before(self, call: ast.Call, receiver: ast.expr) -> ast.stmt | None:
        """The statement that drops the collection (or all its indexes) earlier in the blocks around the call."""
        held = ast.unparse(receiver)
        node: ast.AST = call
        while id(node) in self.parent and not isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
            if id(node) in self.place:
                block, i = self.place[id(node)]
                places = self.drops.get((block, held), [])
                before = bisect_left(places, i)
                if before:
                    return self.dropped[(block, places[before - 1])]
            node = self.parent[id(node)]
        return None

    def _variant(self, call: ast.Call) -> dict[str, str]:
        owner = self._method_of(call)
        if owner is None:
            return {}
        cls, method = owner
        if (id(cls), method.name) not in self.variants:
            self.variants[(id(cls), method.name)] = self._variant_of(cls, method.name)
        return self.variants[(id(cls), method.name)]

    def _variant_of(self, cls: ast.ClassDef, name: str) -> dict[str, str]:
        chains = [self._runs(k, name) for k in self.classes.values()]
        definers = {d for chain in chains for d in chain}
        if cls.name not in definers or len(definers) < 2:
            return {}
        together = {d for chain in chains if cls.name in chain for d in chain}
        root = [a for a in self._ancestors(cls) if self._defines(a, name)][-1]
        return {
            "variant": f"{self.path}:{root.name}.{name}",
            "class": cls.name,
            "runs_with": ",".join(sorted(together)),
        }

    def _method_of(self, node: ast.AST) -> tuple[ast.ClassDef, FunctionNode] | None:
        """The class and method a node is in (a method of the class's own body)."""
        while id(node) in self.parent:
            up = self.parent[id(node)]
            if isinstance(up, ast.ClassDef):
                return (up, node) if isinstance(node, _FUNCTIONS) else None
            node = up
        return None

    def _ancestors(self, cls: ast.ClassDef) -> list[ast.ClassDef]:
        """The class and its bases in the module, nearest first (Python's lookup order, near enough)."""
        if id(cls) not in self.ancestry:
            out, seen = [cls], {id(cls)}
            for current in out:
                for name in base_names(current):
                    base = self.classes.get(name)
                    if base is not None and id(base) not in seen:
                        seen.add(id(base))
                        out.append(base)
            self.ancestry[id(cls)] = out
        return self.ancestry[id(cls)]

    def _defines(self, cls: ast.ClassDef, name: str) -> FunctionNode | None:
        if id(cls) not in self.methods:
            self.methods[id(cls)] = {f.name: f for f in reversed(cls.body) if isinstance(f, _FUNCTIONS)}
        return self.methods[id(cls)].get(name)

    def _runs(self, cls: ast.ClassDef, name: str) -> list[str]:
        """The classes whose method `name` an instance of `cls` runs: the nearest definition, and the
        ones above it that each calls in turn (`super().name(...)`, `Base.name(self, ...)`)."""
        if (id(cls), name) not in self.runs:
            out: list[str] = []
            for a in self._ancestors(cls):
                fn = self._defines(a, name)
                if fn is None:
                    continue
                out.append(a.name)
                if not _calls_base(fn, name):
                    break
            self.runs[(id(cls), name)] = out
        return self.runs[(id(cls), name)]


def _dropped(statement: ast.stmt) -> str | None:
    """The receiver (as source) of `coll.drop()` / `coll.drop_indexes()`, awaited or not; None for any other statement."""
    value = statement.value if isinstance(statement, ast.Expr) else None
    value = value.value if isinstance(value, ast.Await) else value
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in ("drop", "drop_indexes")
        and not value.args
    ):
        return ast.unparse(value.func.value)
    return None


def _calls_base(fn: FunctionNode | None, name: str) -> bool:
    """The method calls the definition it overrides: `super().name(...)`, `super(C, self).name(...)`, `Base.name(self, ...)`."""
    for node in ast.walk(fn) if fn is not None else ():
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name:
            held = node.func.value
            if isinstance(held, ast.Call) and isinstance(held.func, ast.Name) and held.func.id == "super":
                return True
            if (
                isinstance(held, ast.Name)
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == "self"
            ):
                return True
    return False
