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

from advisor.sources.python_classes import base_names

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


class IndexWhen:
    """The options that say when the declarations of one module run."""

    def __init__(self, tree: ast.AST, path: str):
        self.path = path
        self.parent: dict[int, ast.AST] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                self.classes.setdefault(node.name, node)
            for child in ast.iter_child_nodes(node):
                self.parent[id(child)] = node

    def options(self, call: ast.Call) -> dict[str, str]:
        out: dict[str, str] = {}
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        drop = self._dropped_before(call, receiver) if receiver is not None else None
        if drop is not None:
            out["fresh"] = f"{self.path}:{drop.lineno}"
        out.update(self._variant(call))
        return out

    def _dropped_before(self, call: ast.Call, receiver: ast.expr) -> ast.stmt | None:
        """The statement that drops the collection (or all its indexes) earlier in the blocks around the call."""
        held = ast.unparse(receiver)
        node: ast.AST = call
        while id(node) in self.parent and not isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
            up = self.parent[id(node)]
            for name in ("body", "orelse", "finalbody"):
                block = getattr(up, name, None)
                if isinstance(block, list) and node in block:
                    drops = [s for s in block[: block.index(node)] if _drops(s, held)]
                    if drops:
                        return drops[-1]
            node = up
        return None

    def _variant(self, call: ast.Call) -> dict[str, str]:
        owner = self._method_of(call)
        if owner is None:
            return {}
        cls, method = owner
        chains = [self._runs(k, method.name) for k in self.classes.values()]
        definers = {d for chain in chains for d in chain}
        if cls.name not in definers or len(definers) < 2:
            return {}
        together = {d for chain in chains if cls.name in chain for d in chain}
        root = [a for a in self._ancestors(cls) if self._defines(a, method.name)][-1]
        return {
            "variant": f"{self.path}:{root.name}.{method.name}",
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
        out = [cls]
        for current in out:
            for name in base_names(current):
                base = self.classes.get(name)
                if base is not None and base not in out:
                    out.append(base)
        return out

    def _defines(self, cls: ast.ClassDef, name: str) -> FunctionNode | None:
        return next((f for f in cls.body if isinstance(f, _FUNCTIONS) and f.name == name), None)

    def _runs(self, cls: ast.ClassDef, name: str) -> list[str]:
        """The classes whose method `name` an instance of `cls` runs: the nearest definition, and the
        ones above it that each calls in turn (`super().name(...)`, `Base.name(self, ...)`)."""
        chain = [a for a in self._ancestors(cls) if self._defines(a, name)]
        out: list[str] = []
        for a in chain:
            out.append(a.name)
            if not _calls_base(self._defines(a, name), name):
                break
        return out


def _drops(statement: ast.stmt, held: str) -> bool:
    """`coll.drop()` / `coll.drop_indexes()` (awaited or not) on the same receiver."""
    value = statement.value if isinstance(statement, ast.Expr) else None
    value = value.value if isinstance(value, ast.Await) else value
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in ("drop", "drop_indexes")
        and not value.args
        and ast.unparse(value.func.value) == held
    )


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
