"""Where a value spliced into Python SQL text can come from: the code itself, or outside it.

A value is the code's own when it is a constant, a number (`int(x)`, a `%d` conversion), an
identifier quoted for SQL, a literal with its quotes doubled or a setting the operator configures
(advisor.facts.safe_text), a name checked against a fixed set of literals before use
(`if d not in ("ASC", "DESC"): raise`), a group of a regular-expression match that can hold only
word characters (`m.group("name")` of `re.search(r"(?P<name>\\w+)", s)`), or built only from such
values — through assignments in the enclosing functions and the module, list growth
(`parts.append(...)`), and calls to the module's own functions, whose parameters take what the
call passes them. A parameter is the code's own when the function has calls in the project and
every one passes the code's own value for it (advisor.facts.callers: a function with no call seen,
or one also handed around as a value, is an entry point). Otherwise the expressions that let a
caller choose it are its `Source`s: parameters, unknown calls, names the module does not assign.
Plain `ast`.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable
from dataclasses import dataclass

from advisor.facts.callers import Callers, Defined, Function, argument, call_name, defaults
from advisor.facts.definitions import number_parameters, own_methods
from advisor.facts.narrowing import confined
from advisor.facts.reaching import PARAMETER, reaching
from advisor.facts.regex_groups import word_group
from advisor.facts.safe_text import escaped_literal, quoted_literal, setting_read
from advisor.sources.python_reach import parts

# calls whose result is an identifier quoted for SQL, a number, or a length
SAFE_CALLS = frozenset(
    "identifier quote_ident quote_identifier escape_identifier escapeidentifier quoteidentifier ident literal quote_literal escape_literal escapeliteral int "
    "float len bool abs round range count placeholders as_string uuid1 uuid4 token_hex".split()
)
# names that hold an identifier by convention: a table, schema or column name chosen by the code
_IDENTIFIER_NAME = re.compile(
    r"(^|_)(table|tables|tbl|tablename|table_name|schema|schemas|schema_name|column|columns|cols|col|field|fields|"
    r"relation|relname|index|index_name|view|sequence|seq|prefix|suffix|alias|channel|queue_table|db_table|"
    r"placeholders?|params_sql|values_sql|fields_sql|columns_sql|where_sql|sql|query|clause|fragment|join|"
    r"predicate|criteria|conditions?|where|quoted|escaped)s?$",
    re.IGNORECASE,
)
_ESCAPED = re.compile(r"^(escaped|quoted|safe)", re.IGNORECASE)  # escapedWorkerSchema, quoted_name
_DEPTH = 20  # how far a value is followed through names and calls (each name and each call is a step)
_GROWTH = {"append": -1, "extend": -1, "add": -1, "insert": -1, "update": 0}  # method -> argument that joins


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
    `callers`, the project's calls, tells what a parameter takes (None: a parameter is the caller's)."""

    def __init__(
        self,
        tree: ast.Module,
        functions: tuple[Function, ...],
        bound: dict[str, Sources] | None = None,
        answers: Answers | None = None,
        callers: Callers | None = None,
    ):
        self.tree = tree
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
            for node in _own_nodes(owner):
                self._read(node)
            if not isinstance(owner, ast.Lambda):
                self.narrowing.update(confined(owner))
        self.numbers: set[str] = set()  # parameters annotated as numbers: a type checker holds callers to them
        for function in functions:  # the enclosing functions' names too: closures read them
            self.params |= _parameter_names(function) - {"self", "cls"}
            self.numbers = (self.numbers - _parameter_names(function)) | number_parameters(function)

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


def _own_nodes(owner: ast.AST):
    """The nodes of a module or function, not those of functions and classes nested in it."""
    stack = list(ast.iter_child_nodes(owner))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


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


def sources(node: ast.expr, scope: Scope, depth: int = 0, path: Path = ()) -> Sources:
    """What lets a caller choose this value (empty: the code's own; a parameter or a call when in doubt).

    `path` asks about a part of the value only: `(0,)` its first element (`a` of `a, b = f()`), `("item",)`
    any element (the loop name of `for x in v`); where the value's shape is not known, about all of it."""
    if depth > _DEPTH:
        return frozenset({Source(ast.unparse(node)[:60], False)})
    more = depth  # a part of the expression is no step further: names and calls are
    rest = path[1:]
    if isinstance(node, ast.Constant):
        return _NONE
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        if path and not any(isinstance(e, ast.Starred) for e in node.elts):
            head = path[0]
            if isinstance(head, int) and not isinstance(node, ast.Set) and -len(node.elts) <= head < len(node.elts):
                return sources(node.elts[head], scope, more, rest)
            return _union(sources(e, scope, more, rest) for e in node.elts)
        return _union(sources(e, scope, more) for e in node.elts)
    if isinstance(node, ast.Dict):
        return _union(sources(v, scope, more, rest) for v in node.values if v is not None)
    if isinstance(node, ast.FormattedValue):
        return sources(node.value, scope, more)
    if isinstance(node, ast.IfExp):
        return sources(node.body, scope, more, path) | sources(node.orelse, scope, more, path)
    if isinstance(node, ast.BoolOp):
        return _union(sources(v, scope, more, path) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _identifier_template(node.left):
        return _NONE  # "%s_stream_id" % kind, "%s = ?" % column: the value becomes a name
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):  # ["%s"] * n, "?, " * n
        left, right = sources(node.left, scope, more), sources(node.right, scope, more)
        return left | right if left and right else _NONE
    built = parts(node)
    if quoted_literal(built):
        return _NONE  # "'" + s.replace("'", "''") + "'": a whole literal the value cannot end
    if built is not None:  # f-string, %, .format(), +: its values (numeric conversions are numbers)
        return _union(
            sources(p, scope, more)
            for i, p in enumerate(built)
            if isinstance(p, ast.expr) and not escaped_literal("".join(t for t in built[:i] if isinstance(t, str)), p)
        )
    default = setting_read(node, scope.tree) if _module_name(node, scope) else None
    if default is not None:
        return sources(default, scope, more)  # a setting the operator configures (advisor.facts.safe_text)
    if isinstance(node, ast.BinOp):
        return sources(node.left, scope, more) | sources(node.right, scope, more)
    if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
        return sources(node.elt, scope.with_loops(node), more, rest)
    if isinstance(node, (ast.Call, ast.Subscript)) and word_group(node, scope.assigned, scope.loops):
        return _NONE  # a regular-expression group of word characters: never a quote or a space
    if isinstance(node, ast.Call):
        return _call_sources(node, scope, more, path)
    if isinstance(node, ast.Subscript):  # an entry of a fixed mapping is as fixed as the mapping
        index = node.slice
        if isinstance(index, ast.Constant) and isinstance(index.value, int) and not isinstance(index.value, bool):
            return sources(node.value, scope, more, (index.value, *path))
        return sources(node.value, scope, more, path if isinstance(index, ast.Slice) else ("item", *path))
    if isinstance(node, ast.Attribute):
        return _NONE if _attribute_fixed(node) else frozenset({Source(ast.unparse(node)[:60], False)})
    if isinstance(node, ast.Name):
        return _name_sources(node.id, scope, more, path, node)
    return frozenset({Source(ast.unparse(node)[:60], False)})


def _module_name(node: ast.expr, scope: Scope) -> bool:
    """The read's root name is the module's, not a parameter or a local of the enclosing functions."""
    root = node.value if isinstance(node, ast.Subscript) else node.func if isinstance(node, ast.Call) else node
    while isinstance(root, (ast.Attribute, ast.Subscript)):
        root = root.value
    return (
        isinstance(root, ast.Name)
        and root.id not in scope.params
        and not (scope.functions and root.id in scope.assigned)
    )


def _union(items) -> Sources:
    out: set[Source] = set()
    for item in items:
        out |= item
    return frozenset(out)


_TEXT_METHODS = {"join", "format", "replace", "strip", "lower", "upper", "rstrip", "lstrip", "split", "rsplit", "title"}


def _call_sources(node: ast.Call, scope: Scope, depth: int, path: Path = ()) -> Sources:
    name = call_name(node.func)
    if name.lower() in SAFE_CALLS:
        return _NONE
    if name == "enumerate" and isinstance(node.func, ast.Name) and node.args:
        if path[:2] == ("item", 0):
            return _NONE  # the count
        return sources(node.args[0], scope, depth, ("item", *path[2:]) if path[:2] == ("item", 1) else ())
    receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
    if receiver is not None and name in _TEXT_METHODS:
        return sources(receiver, scope, depth) | _union(sources(a, scope, depth) for a in node.args)
    if name == "get" and isinstance(receiver, ast.Name) and 1 <= len(node.args) <= 2 and not node.keywords:
        return sources(receiver, scope, depth, ("item", *path)) | _union(
            sources(a, scope, depth, path) for a in node.args[1:]
        )  # d.get(k, default): an entry of d, or the default
    if name in ("next", "str") and isinstance(node.func, ast.Name) and len(node.args) == 1 and not node.keywords:
        return sources(node.args[0], scope, depth)  # an item of the code's own iterator; the text of its own value
    function = None
    if isinstance(node.func, ast.Name):
        function = scope.module_functions.get(name)
    elif isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
        function = scope.methods.get(name)  # a method of the class itself
    if function is not None:
        return _returned(node, function, scope, depth + 1, path)
    return frozenset({Source(ast.unparse(node)[:60], False)})


def _returned(call: ast.Call, function: Defined, scope: Scope, depth: int, path: Path = ()) -> Sources:
    """What a call to one of the module's functions (or `self.m(...)`, of the class's methods) returns: its
    return values, its parameters bound to the call's arguments (one the call leaves takes its default)."""
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    if isinstance(call.func, ast.Attribute) and not any(
        call_name(d) == "staticmethod" for d in function.decorator_list
    ):
        positional = positional[1:]  # self.m(a): self is bound already
    bound: dict[str, Sources] = {}
    given = defaults(function)
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return frozenset({Source(ast.unparse(call)[:60], False)})  # f(*args), f(**kw): unknown binding
    if given:
        module = Scope(scope.tree, (), answers=scope.answers, callers=scope.callers)
        for name, default in given.items():
            bound[name] = sources(default, module, depth)
    for param, arg in zip(positional, call.args):
        bound[param.arg] = sources(arg, scope, depth)
    for keyword in call.keywords:
        bound[str(keyword.arg)] = sources(keyword.value, scope, depth)

    def answer() -> Sources:
        inner = Scope(scope.tree, (function,), bound, scope.answers, scope.callers)
        values = [n.value for n in _own_nodes(function) if isinstance(n, ast.Return) and n.value is not None]
        return _union(sources(v, inner.at(v), depth, path) for v in values)

    return scope.answers.ask((function, frozenset(bound.items()), path), answer)


_NAME_TEMPLATE = re.compile(r"^(?:[\w.\"]*%s[\w.\"]*|(?:\s*%s\s*(?:=|<>|!=|<=|>=|<|>)\s*(?:\?|%s|\$\d+)\s*))$")


def _identifier_template(node: ast.expr) -> bool:
    """A %-template that glues its value into a name, or puts it where a column name stands."""
    return (
        isinstance(node, ast.Constant) and isinstance(node.value, str) and _NAME_TEMPLATE.match(node.value) is not None
    )


def _attribute_fixed(node: ast.Attribute) -> bool:
    """`self.table`, `cls._meta.db_table`, `settings.SCHEMA`: configuration of the code, not input."""
    root: ast.expr = node
    while isinstance(root, ast.Attribute):
        root = root.value
    if isinstance(root, ast.Name) and (root.id in ("self", "cls") or root.id.isupper() or root.id[:1].isupper()):
        return True
    return identifier_name(node.attr) or node.attr.isupper()


def _name_sources(name: str, scope: Scope, depth: int, path: Path = (), read: ast.Name | None = None) -> Sources:
    if name.isupper() or name in scope.narrowed:
        return _NONE  # a module constant; a name the tests around confine to a fixed set or to word characters
    reach = scope.reach.get(id(read)) if read is not None and name not in scope.comprehended else None
    if reach is not None:  # the assignments that reach this read, and the parameter's own value if it does
        return scope.answers.ask((scope, name, path, reach), lambda: _reached(name, scope, depth + 1, path, reach))
    return scope.answers.ask((scope, name, path), lambda: _name_sources_once(name, scope, depth + 1, path))


def _reached(name: str, scope: Scope, depth: int, path: Path, reach: frozenset[int]) -> Sources:
    given = [
        (value, looped)
        for looped, table in ((True, scope.loops), (False, scope.assigned))
        for value in table.get(name, ())
        if id(value) not in scope.sites or scope.sites[id(value)] in reach  # no site: `parts.append(x)`, always
    ]
    out = _union(sources(v, scope.at(v), depth, _within(scope, name, v, path, looped)) for v, looped in given)
    if PARAMETER in reach:
        out |= _unassigned_sources(name, scope, depth, checked=False)
    return out


def _name_sources_once(name: str, scope: Scope, depth: int, path: Path) -> Sources:
    if name in scope.loops:
        return _union(
            sources(i, scope if name in scope.comprehended else scope.at(i), depth, _within(scope, name, i, path, True))
            for i in scope.loops[name]
        )
    values = scope.assigned.get(name)
    if values:
        return _union(sources(v, scope.at(v), depth, _within(scope, name, v, path)) for v in values)
    return _unassigned_sources(name, scope, depth)


def _unassigned_sources(name: str, scope: Scope, depth: int, checked: bool = True) -> Sources:
    """What a name holds that the function does not assign it: a parameter's argument, a global.  `checked`:
    the name is never assigned, so a test against literals anywhere before its use confines it."""
    if (checked and name in scope.checked) or name in scope.numbers:
        return _NONE  # never assigned, and checked against literals before use, or annotated as a number
    if scope.bound is not None and name in scope.bound:
        return scope.bound[name]
    if name in scope.params:
        return _parameter_sources(name, scope, depth)
    return _NONE if identifier_name(name) else frozenset({Source(name, False)})  # an import or another global


def _within(scope: Scope, name: str, value: ast.expr, path: Path, looped: bool = False) -> Path:
    """Where `name` is in what it was given (`for k, v in pairs`: v is an item's second), then `path` in it."""
    return ("item",) * looped + scope.unpacked.get((name, id(value)), ()) + path


def _parameter_sources(name: str, scope: Scope, depth: int) -> Sources:
    """A parameter is the code's own when the function has calls and every one passes the code's own value."""
    caller_chooses = frozenset({Source(name, True)})
    function = next((f for f in reversed(scope.functions) if name in _parameter_names(f)), None)
    if scope.callers is None or not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return caller_chooses
    callers, defined = scope.callers, function

    def answer() -> Sources:
        calls = callers.calls(defined, scope.tree)
        if not calls:
            return caller_chooses  # no call seen: an entry point; or calls that cannot all be seen
        binding = callers.binding(defined, scope.tree)
        for call in calls:
            bound = argument(call, defined, name, binding)
            if bound is None:
                return caller_chooses
            value, default = bound
            where = (scope.tree, ()) if default else (call.tree, call.functions)
            if sources(value, Scope(*where, answers=scope.answers, callers=callers).at(value), depth):
                return caller_chooses
        return _NONE

    # a parameter that reaches itself through its calls (recursion) stays the caller's: its first value is unseen
    return scope.answers.ask(("parameter", function, name), answer, cyclic=caller_chooses)


def _parameter_names(function: Function) -> set[str]:
    args = function.args
    return {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a is not None}
