"""A filter or pipeline the code changes after building it, in Python.

    query = {"status": status}
    if institute_id:
        query["collaborators"] = institute_id
    query["updated_at"] = {"$gte": since}
    return self.case_collection.find(query).sort("updated_at", -1)

The value advisor reads for `query` is the dict it was built as. A key set on it between that and the call
(`query["k"] = v`, `query.update({"k": v})`) is merged in, as the JavaScript extractor merges `query.k = v`
(advisor.sources.js_flow); one set under a condition (an if, a loop, a try) is noted, and the rules judge the
filter with and without it. A stage appended to a pipeline (`pipeline.append({...})`) is added to it. Any other
change (a key the code computes, a nested key, `update(other)`, `del`, a change inside a loop the call is in
after the call) leaves the shape a sketch (`partial`): the rules that rest on the whole filter stay silent.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from advisor.facts.ast_nodes import position

MUTATORS = {"update", "setdefault", "append", "extend", "insert", "pop", "popitem", "remove", "clear"}
# what runs only on some runs of the function around it
_CONDITIONAL = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.Try,
    ast.TryStar,
    ast.Match,
    ast.IfExp,
    ast.BoolOp,
    ast.comprehension,
)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


@dataclass(frozen=True)
class Mutation:
    """One change of a name in place: `set` (name[key] = value), `append` (name.append(value)), `copy` (the items
    of another dict copied in: `name.update(other)`, `for k, v in other.items(): name[k] = v`; value: `other`),
    `other`."""

    kind: str
    key: ast.expr | None
    value: ast.expr | None
    conditional: bool
    at: tuple[int, int]  # where the change is written
    loops: tuple[tuple[tuple[int, int], tuple[int, int]], ...]  # the spans of the loops around it


def _root(node: ast.AST) -> str | None:
    """The name at the root of `q["a"]["b"]`, `q.x`: `q`."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _end(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0


def _changes(node: ast.AST) -> list[tuple[str, str, ast.expr | None, ast.expr | None]]:
    """(name, kind, key, value) for each name `node` changes in place."""
    if isinstance(node, ast.Assign):
        out: list[tuple[str, str, ast.expr | None, ast.expr | None]] = []
        for t in node.targets:
            name = _root(t) if isinstance(t, (ast.Subscript, ast.Attribute)) else None
            if name is None:
                continue
            if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                out.append((name, "set", t.slice, node.value))
            else:
                out.append((name, "other", None, None))
        return out
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target, ast.Subscript):
        name = _root(node.target)
        return [(name, "other", None, None)] if name else []
    if isinstance(node, ast.Delete):
        return [(n, "other", None, None) for t in node.targets if isinstance(t, ast.Subscript) and (n := _root(t))]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in MUTATORS
        and isinstance(node.func.value, (ast.Name, ast.Subscript))
    ):
        name = _root(node.func.value)
        if name is None:
            return []
        direct = isinstance(node.func.value, ast.Name) and len(node.args) == 1 and not node.keywords
        arg = node.args[0] if direct else None
        if direct and node.func.attr == "update" and isinstance(arg, ast.Dict) and None not in arg.keys:
            return [(name, "set", k, v) for k, v in zip(arg.keys, arg.values)]  # update({"k": v}): keys set
        if direct and node.func.attr == "append":
            return [(name, "append", None, arg)]
        if direct and node.func.attr == "update" and isinstance(arg, ast.Name):
            return [(name, "copy", None, arg)]
        return [(name, "other", None, None)]
    return []


def _copy_loop(node: ast.AST) -> tuple[str, str, None, ast.Name] | None:
    """`for k, v in other.items(): name[k] = v`: (name, "copy", None, other)."""
    if not (isinstance(node, ast.For) and len(node.body) == 1 and not node.orelse):
        return None
    t, it, st = node.target, node.iter, node.body[0]
    if not (
        isinstance(t, ast.Tuple)
        and len(t.elts) == 2
        and all(isinstance(e, ast.Name) for e in t.elts)
        and isinstance(it, ast.Call)
        and isinstance(it.func, ast.Attribute)
        and it.func.attr == "items"
        and isinstance(it.func.value, ast.Name)
        and not it.args
        and isinstance(st, ast.Assign)
        and len(st.targets) == 1
    ):
        return None
    k, v = (cast(ast.Name, e).id for e in t.elts)
    target = st.targets[0]
    if (
        isinstance(target, ast.Subscript)
        and isinstance(target.value, ast.Name)
        and isinstance(target.slice, ast.Name)
        and target.slice.id == k
        and isinstance(st.value, ast.Name)
        and st.value.id == v
    ):
        return target.value.id, "copy", None, it.func.value
    return None


def _tested(node: ast.AST) -> str:
    """The name an `if name:` / `if name is not None:` tests, with no else."""
    if not isinstance(node, ast.If) or node.orelse:
        return ""
    test = node.test
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.IsNot):
        test = (
            test.left if isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None else test
        )
    return test.id if isinstance(test, ast.Name) else ""


class Mutations:
    """The names each function of a module changes in place (`q[k] = v`, `q.update(...)`,
    `q["$match"]["$and"].append(...)`, `del q[k]`), by function (0: module level), each change with where it
    is and whether it runs only under a condition."""

    def __init__(self, tree: ast.AST, function: dict[int, int]):
        self.function = function
        self.changed: dict[int, set[str]] = {}
        self.found: dict[tuple[int, str], list[Mutation]] = {}
        # (node, its function, under a condition, the loops around it, the name the only condition so far tests
        # (`if extra:`: copying `extra` in under it is the same as copying it always)), outer nodes first
        stack: list[tuple[ast.AST, int, bool, tuple, str]] = [(tree, 0, False, (), "")]
        while stack:
            node, fn, cond, loops, guard = stack.pop()
            copied = _copy_loop(node)
            for name, kind, key, value in [copied] if copied else _changes(node):
                if name in ("self", "cls"):
                    continue
                self.changed.setdefault(fn, set()).add(name)
                guarded = cond and kind == "copy" and isinstance(value, ast.Name) and value.id == guard
                m = Mutation(kind, key, value, cond and not guarded, position(node), loops)
                self.found.setdefault((fn, name), []).append(m)
            if copied:
                continue  # the loop is that copy, nothing else
            # below an `if name:` that is the only condition, the guard is that name; any other condition ends it
            tested = _tested(node) if not cond else "" if isinstance(node, _CONDITIONAL) else guard
            inner = cond or isinstance(node, _CONDITIONAL)
            around = (*loops, (position(node), _end(node))) if isinstance(node, _LOOPS) else loops
            for child in ast.iter_child_nodes(node):
                if isinstance(child, _FUNCTIONS):
                    stack.append((child, id(child), False, (), ""))
                else:
                    stack.append((child, fn, inner, around, tested))
        for ms in self.found.values():
            ms.sort(key=lambda m: m.at)

    def between(self, name: ast.Name, built: ast.AST) -> list[Mutation] | None:
        """The changes of `name` made after `built` (its value, in the same function) and before this use of it,
        in order; None when the use may see another change: one after it in a loop the use is in too."""
        fn = self.function.get(id(name), 0)
        if self.function.get(id(built), 0) != fn:
            return None
        after, use = _end(built), position(name)
        out = []
        for m in self.found.get((fn, name.id), []):
            if after <= m.at < use:
                out.append(m)
            elif m.at >= use and any(start <= use < end for start, end in m.loops):
                return None
        return out

    def changes(self, argument: ast.AST, resolve: Callable[[ast.Name], ast.AST | None], merged: str = "") -> bool:
        """Whether a name that holds the argument or a part of its structure (`find(query)`,
        `aggregate([match, {...}])`, `{"$and": [base, extra]}`) is changed in place in the argument's
        function. A name used as a value (`{"owner": user["_id"]}`) changes no key: not counted; nor the
        `merged` one, whose changes the caller merged in (`between`)."""
        changed = self.changed.get(self.function.get(id(argument), 0), set()) - {merged}
        todo, seen = [argument], 0
        while changed and todo and seen < 200:
            node = todo.pop()
            seen += 1
            if isinstance(node, ast.Name):
                if node.id in changed:
                    return True
                held = resolve(node)
                if held is not None:
                    todo.append(held)
            elif isinstance(node, ast.Dict):
                todo += [v for v in node.values if v is not None]
            elif isinstance(node, (ast.List, ast.Tuple)):
                todo += node.elts
        return False
