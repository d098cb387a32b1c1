"""What a Python definition declares that a value's provenance can use: the methods `self.m(...)` reaches
from inside a class, and the parameters annotated as numbers (which a type checker holds every caller to,
so no caller hands them a request's text). Plain `ast`."""

from __future__ import annotations

import ast
from functools import lru_cache

from advisor.facts.ast_nodes import walk
from advisor.facts.callers import Defined, Function


def own_methods(tree: ast.Module, functions: tuple[Function, ...]) -> dict[str, Defined]:
    """The methods of the class whose method encloses the expression (`self.m(...)` calls one of them)."""
    classes = _classes(tree)
    for function in reversed(functions):
        if id(function) in classes:
            return classes[id(function)]
    return {}


@lru_cache(maxsize=32)
def _classes(tree: ast.Module) -> dict[int, dict[str, Defined]]:
    """id(method) -> the methods of its class, by name."""
    out: dict[int, dict[str, Defined]] = {}
    for node in walk(tree):
        if isinstance(node, ast.ClassDef):
            methods = {n.name: n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            out.update((id(m), methods) for m in methods.values())
    return out


_NUMBER_TYPES = {"int", "float", "bool", "Decimal", "decimal.Decimal"}


def number_parameters(function: Function) -> set[str]:
    """Parameters annotated as a number (`window: int`, `limit: Optional[int]`, `n: int | None`)."""
    args = function.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    return {a.arg for a in every if a.annotation is not None and _number_annotation(a.annotation)}


def annotation_members(node: ast.expr) -> list[ast.expr] | None:
    """The types an annotation allows, one per member of a union (`C`, `C | None`, `Optional[C]`, `Union[A, B]`,
    a string of any of these); None when a string annotation does not parse."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = annotation_members(node.left), annotation_members(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Subscript) and ast.unparse(node.value).split(".")[-1] in ("Optional", "Union"):
        out: list[ast.expr] = []
        for member in node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]:
            more = annotation_members(member)
            if more is None:
                return None
            out += more
        return out
    return [node]


def _none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _number_annotation(node: ast.expr) -> bool:
    """A number type, maybe optional."""
    members = annotation_members(node) or []
    numbers = [m for m in members if not _none(m)]
    return bool(numbers) and all(
        isinstance(m, (ast.Name, ast.Attribute)) and ast.unparse(m) in _NUMBER_TYPES for m in numbers
    )
