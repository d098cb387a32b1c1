"""What a Python expression can see of the code around it, for advisor.facts.provenance: the assignments,
loops, list growth (`parts.append(x)`) and checks of its enclosing functions and its module, the names the
tests around it confine (advisor.facts.narrowing), the assignments that reach each read of a local name
(advisor.facts.reaching), the methods of its class and the parameters annotated as numbers
(advisor.facts.definitions).  `Answers` keeps what one question has already found out.  Plain `ast`.
"""

from __future__ import annotations

import ast
import builtins
import copy
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from advisor.facts.callers import Callers, Function
from advisor.facts.definitions import number_parameters, own_methods
from advisor.facts.narrowing import confined
from advisor.facts.reaching import own_nodes, reaching
from advisor.facts.validators import name_checks

# names that hold an identifier by convention: a table, schema or column name chosen by the code
_IDENTIFIER_NAME = re.compile(
    r"(^|_)(table|tables|tbl|tablename|table_name|schema|schemas|schema_name|column|columns|cols|col|field|fields|"
    r"relation|relname|index|index_name|view|sequence|seq|prefix|suffix|alias|channel|queue_table|db_table|classname|"
    r"placeholders?|params_sql|values_sql|fields_sql|columns_sql|where_sql|sql|query|clause|fragment|join|"
    r"predicate|criteria|conditions?|where|quoted|escaped)s?$",
    re.IGNORECASE,
)
_ESCAPED = re.compile(r"^(escaped|quoted|safe)", re.IGNORECASE)  # escapedWorkerSchema, quoted_name
_GROWTH = {"append": -1, "extend": -1, "add": -1, "insert": -1, "update": 0}  # method -> argument that joins


def never_bound(name: str, tree: ast.Module) -> bool:
    """Nothing in the module binds `name` (no assignment, import, definition, loop or `global` anywhere, no star
    import) and it is no builtin: reading it raises NameError, so the statement it goes into never runs."""
    if name in _BUILTINS:
        return False
    if tree not in _BOUND:
        _BOUND[tree] = _bound_names(tree)
    bound = _BOUND[tree]
    return bound is not None and name not in bound


_BUILTINS = frozenset(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__", "__path__", "__package__"}
_BOUND: weakref.WeakKeyDictionary[ast.Module, frozenset[str] | None] = weakref.WeakKeyDictionary()


def _bound_names(tree: ast.Module) -> frozenset[str] | None:
    """Every name the module binds in any of its scopes (None: a star import may bind any)."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            out.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return None
                out.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            out.update(node.names)
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            out.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            out.add(node.rest)
    return frozenset(out)


def identifier_name(name: str) -> bool:
    """A name that by convention holds an identifier or a SQL fragment the code built (snake or camelCase)."""
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    return bool(_IDENTIFIER_NAME.search(snake) or _ESCAPED.match(name.strip()))


@dataclass(frozen=True)
class Source:
    """An expression that lets a caller choose a value."""

    text: str  # a parameter, a call, a name the module does not assign
    parameter: bool  # a parameter of an enclosing function: the caller chooses it


Path = tuple[int | str, ...]  # where in a value: a position in a tuple or list, or "item" (any element of it)
Sources = frozenset[Source]
_NONE: Sources = frozenset()


class Scope:
    """Assignments visible from an expression: the enclosing functions', then the module's.

    `bound` holds what a call passed to the innermost function's parameters (their sources in the caller);
    `answers`, shared by the scopes of one question, keeps the names and calls already answered;
    `callers`, the project's calls, tells what a parameter takes (None: a parameter is the caller's);
    `foreign`: the innermost function is a method reached through an object (`db.m()`), whose attributes
    (`self.x`) may hold what any caller stored in them."""

    def __init__(
        self,
        tree: ast.Module,
        functions: tuple[Function, ...],
        bound: dict[str, Sources] | None = None,
        answers: Answers | None = None,
        callers: Callers | None = None,
        foreign: bool = False,
    ):
        self.tree = tree
        self.foreign = foreign  # a method followed from a call on an object: what `self` holds is not the code's
        self.functions = functions
        self.bound = bound
        self.callers = callers
        self.answers = Answers() if answers is None else answers
        self.params: set[str] = set()
        self.checked: set[str] = set()  # names checked against a fixed set of literals before use
        self.assigned: dict[str, list[ast.expr]] = {}
        self.loops: dict[str, list[ast.expr]] = {}
        self.sites: dict[int, int] = {}  # id(value assigned or looped over) -> id(its statement)
        self.unpacked: dict[tuple[str, int], Path] = {}  # (name, id(value)): where in the value the name is
        self.comprehended: frozenset[str] = frozenset()  # loop names a comprehension binds, in its own scope
        self.narrowed: frozenset[str] = frozenset()  # names confined where the expression asked about runs
        self.narrowing: dict[int, frozenset[str]] = {}
        self.variants: dict[frozenset[str], Scope] = {}
        self.comprehensions: dict[tuple[int, int], Scope] = {}  # shared by every variant: one inner scope each
        self.base = self  # the scope with no name confined; `at` and comprehensions make variants of it
        self.module_functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.methods = own_methods(tree, functions)
        inner = functions[-1] if functions else None
        # per read of a local name of the innermost function: the statements whose assignment reaches it
        self.reach = reaching(inner) if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) else {}
        for owner in (tree, *functions):
            for node in own_nodes(owner):
                self._read(node)
            if not isinstance(owner, ast.Lambda):
                self.narrowing.update(confined(owner, name_checks(tree)))
        self.numbers: set[str] = set()  # parameters annotated as numbers: a type checker holds callers to them
        for function in functions:  # the enclosing functions' names too: closures read them
            self.params |= parameter_names(function) - {"self", "cls"}
            self.numbers = (self.numbers - parameter_names(function)) | number_parameters(function)

    def at(self, node: ast.expr) -> Scope:
        """This scope as seen from where `node` runs: with the names its statement's tests confine."""
        base = self.base
        names = base.narrowing.get(id(node), frozenset())
        if not names:
            return base
        if names not in base.variants:
            variant = copy.copy(base)
            variant.narrowed = names
            base.variants[names] = variant
        return base.variants[names]

    def with_loops(self, comp: ast.expr) -> Scope:
        """The scope inside a comprehension: its loop names are its own.  One per comprehension and outer
        scope, so that a name reached again through it is the same question (a cycle, not a new one)."""
        key = (id(comp), id(self))
        if key not in self.comprehensions:
            self.comprehensions[key] = self._with_loops(comp)
        return self.comprehensions[key]

    def _with_loops(self, comp: ast.expr) -> Scope:
        inner = copy.copy(self)
        inner.loops = dict(self.loops)
        inner.unpacked = dict(self.unpacked)
        own: set[str] = set()
        for generator in getattr(comp, "generators", []):
            for name, path in _target_names(generator.target):
                if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(generator.iter)):
                    inner.loops[name] = [*inner.loops.get(name, []), generator.iter]  # [x for x in x]: the outer x too
                else:
                    inner.loops[name] = [generator.iter]
                inner.unpacked[(name, id(generator.iter))] = path
                own.add(name)
        inner.comprehended = self.comprehended | own
        return inner

    def _read(self, node: ast.AST) -> None:
        if isinstance(node, ast.Assign) and _fragment_with_arguments(node):
            for name in _names(node.targets[0]):  # clause, args = in_list_clause(...): placeholders
                placeholder = ast.Constant("?")
                self.sites[id(placeholder)] = id(node)
                self.assigned.setdefault(name, []).append(placeholder)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            self.sites[id(node.value)] = id(node)
            for target in targets:
                for name, path in _target_names(target):
                    self.assigned.setdefault(name, []).append(node.value)
                    if path:
                        self.unpacked[(name, id(node.value))] = path  # a, b = f(): a is f()'s first
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.sites[id(node.iter)] = id(node)
            for name, path in _target_names(node.target):
                self.loops.setdefault(name, []).append(node.iter)
                self.unpacked[(name, id(node.iter))] = path
        elif isinstance(node, ast.Call):  # parts.append(x): x is one of parts
            grown = _grown(node)
            if grown is not None:
                self.assigned.setdefault(grown[0], []).append(grown[1])
        elif isinstance(node, (ast.If, ast.Assert)):
            checked = _checked(node)
            if checked:
                self.checked.add(checked)


class Answers:
    """Names and calls already answered, each asked once. One that depends on itself, directly or through
    others, adds nothing more on the way back (the least answer): kept for the first of such a cycle,
    not for the others, which lack what that first one adds."""

    def __init__(self) -> None:
        self.done: dict[object, Sources] = {}
        self.open: dict[object, int] = {}  # being answered -> its place on the stack
        self.low: list[int] = []  # per open question: the earliest open question it reached

    def ask(self, key: object, answer: Callable[[], Sources], cyclic: Sources = frozenset()) -> Sources:
        """The answer to `key`; `cyclic` while it is being answered."""
        if key in self.done:
            return self.done[key]
        if key in self.open:
            self.low[-1] = min(self.low[-1], self.open[key])
            return cyclic
        place = self.open[key] = len(self.low)
        self.low.append(place)
        try:
            result = answer()
        finally:
            del self.open[key]
            low = self.low.pop()
        if low >= place:
            self.done[key] = result
        else:
            self.low[-1] = min(self.low[-1], low)
        return result


def _grown(call: ast.Call) -> tuple[str, ast.expr] | None:
    """`parts.append(x)`, `parts.extend(xs)`, `values.update(d)`: (the name, what joins it)."""
    func = call.func
    if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name) or func.attr not in _GROWTH:
        return None
    if not call.args or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    value = call.args[_GROWTH[func.attr]]
    return func.value.id, value


def _literals(node: ast.expr) -> bool:
    return isinstance(node, (ast.Tuple, ast.List, ast.Set)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, (str, int)) for e in node.elts
    )


def _checked(node: ast.If | ast.Assert) -> str | None:
    """The name an `if x not in (literals): raise|return` or `assert x in (literals)` confines to those literals."""
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name)):
        return None
    if not _literals(test.comparators[0]):
        return None
    if isinstance(node, ast.Assert):
        return test.left.id if isinstance(test.ops[0], ast.In) else None
    if isinstance(test.ops[0], ast.NotIn) and node.body and isinstance(node.body[-1], (ast.Raise, ast.Return)):
        return test.left.id
    return None


_ARGUMENTS_NAME = re.compile(
    r"^(args|arguments|params|parameters|bind_?args|binds|bind_values|sql_args|query_args)$", re.IGNORECASE
)


def _fragment_with_arguments(node: ast.Assign) -> bool:
    """`clause, args = make_in_list_sql_clause(...)`: a helper's SQL fragment returned with the values it binds."""
    target = node.targets[0]
    if len(node.targets) != 1 or not isinstance(target, ast.Tuple) or not isinstance(node.value, ast.Call):
        return False
    names = _names(target)
    return len(names) == 2 and bool(_ARGUMENTS_NAME.match(names[1])) and identifier_name(names[0])


def _target_names(target: ast.expr, path: Path = ()) -> list[tuple[str, Path]]:
    """The names an assignment target binds, each with where it is in the value (`a, (b, c) = v`: b is v[1][0])."""
    if isinstance(target, ast.Name):
        return [(target.id, path)]
    if isinstance(target, (ast.Tuple, ast.List)):
        if any(isinstance(e, ast.Starred) for e in target.elts):
            return [(n, path) for n in _names(target)]  # a, *rest = v: not by position
        return [n for i, elt in enumerate(target.elts) for n in _target_names(elt, (*path, i))]
    return []


def _names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _names(elt)]
    return []


def parameter_names(function: Function) -> set[str]:
    args = function.args
    return {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a is not None}
