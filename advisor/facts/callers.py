"""Where the project's Python code calls a function, and what each call binds to a parameter.

Calls are found by the function's name in every Python file of the project: `f(...)` and
`anything.f(...)`. Calls of another function of the same name (another class's method) are counted
too: they only add values to check. The calls seen are all the calls only when nothing else can reach
the function, so there are none (`None`) when its name is used as a value (`callback=self.f`,
`map(f, xs)`, `getattr(o, "f")`, a string naming it), imported under another name, when it is
decorated with anything but a decorator that passes calls through, or a dunder method the language
calls. Code outside the project (a library's users, a framework calling its hooks) is not seen: a
function with no call seen is an entry point, and its parameters are the caller's.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

from advisor.facts.ast_nodes import walk

Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
Defined = ast.FunctionDef | ast.AsyncFunctionDef

# decorators that hand the decorated function its callers' arguments unchanged
_PASS_THROUGH = {
    "staticmethod",
    "classmethod",
    "contextmanager",
    "asynccontextmanager",
    "cache",
    "lru_cache",
    "cached_property",
    "abstractmethod",
    "override",
}
_SEARCHES = 64  # names searched for text by text before the words of every text are indexed
_WORDS = re.compile(r"\w+")
_MOST_FILES = 64  # a name in more files than this (`get`, `run`) is too common to follow: calls unknown


@dataclass(frozen=True)
class Call:
    """One call of a function, with where it stands."""

    tree: ast.Module  # the module it is in
    functions: tuple[Function, ...]  # the functions that enclose it, outermost first
    node: ast.Call


class Callers:
    """The calls of the functions of a project's Python files (display path -> text); `parsed`: trees of
    files the texts leave out."""

    def __init__(self, texts: Mapping[str, str], parsed: Mapping[str, ast.Module] | None = None):
        self.texts = texts
        self.parsed = {path: tree for path, tree in (parsed or {}).items() if path not in texts}
        self.methods: dict[int, dict[int, str]] = {}  # id(tree) -> id(method) -> how it binds its first argument
        self.paths: dict[int, str] = {id(tree): path for path, tree in (parsed or {}).items()}  # id(tree) -> path
        self._asked = 0  # names looked up so far
        self._words: dict[str, list[str]] | None = None  # word -> the paths whose text has it, once many are asked

    def tree(self, path: str) -> ast.Module | None:
        """The module of one of the project's files (None: not one, or it does not parse)."""
        if path in self.parsed:
            return self.parsed[path]
        text = self.texts.get(path)
        tree = _parsed(text) if text is not None else None
        if tree is not None:
            self.paths[id(tree)] = path
        return tree

    def path_of(self, tree: ast.Module) -> str | None:
        """The display path of a module this object handed out, or was given."""
        return self.paths.get(id(tree))

    def calls(self, function: Defined, tree: ast.Module) -> list[Call] | None:
        """Every call of `function` (defined in `tree`) in the project; None when some cannot be seen."""
        name = function.name
        if name.startswith("__") and name.endswith("__"):
            return None  # called by the language: __init__ by C(...), __eq__ by ==
        if any(_decorator_name(d) not in _PASS_THROUGH for d in function.decorator_list):
            return None  # a decorator takes the function as a value: who calls it, and with what, is unknown
        texts = self._naming(name)
        if len(texts) > _MOST_FILES:
            return None
        modules = chain((_module(text) for text in texts), (_index(t) for t in self.parsed.values()))
        found: list[Call] = []
        for module in modules:
            if module is None or name in module.other:
                return None  # a file that does not parse, or uses the name otherwise than by calling it
            found += module.calls.get(name, [])
        return found

    def _naming(self, name: str) -> list[str]:
        """The texts in which `name` stands as a whole word: each text searched for the first few names asked
        about, then (a run that asks about many: a module of thousands of functions) looked up in an index of
        every text's words, built once, so the asking stays linear in the project's size."""
        self._asked += 1
        if self._words is None and self._asked > _SEARCHES:
            self._words = {}
            for path, text in self.texts.items():
                for word in set(_WORDS.findall(text)):
                    self._words.setdefault(word, []).append(path)
        if self._words is not None:
            return [self.texts[path] for path in self._words.get(name, ())]
        return [text for text in self.texts.values() if _has_word(text, name)]

    def binding(self, function: Defined, tree: ast.Module) -> str:
        """How a call through an attribute binds the function's first parameter: "function" (it does not),
        "method" (`obj.m()`: to obj, `Class.m(obj)`: not), "class" (`cls.m()`, `Class.m()`: to the class)."""
        kinds = self.methods.get(id(tree))
        if kinds is None:
            kinds = self.methods[id(tree)] = _methods(tree)
        return kinds.get(id(function), "function")


def _has_word(text: str, name: str) -> bool:
    """`name` stands in the text as a whole word."""
    if name not in text:
        return False
    for found in re.finditer(re.escape(name) + r"(?!\w)", text):  # the pattern is cached by re
        at = found.start()
        if at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_"):
            return True
    return False


@dataclass
class _Module:
    """One module's calls by the called name, and the names it uses otherwise."""

    calls: dict[str, list[Call]]
    other: set[str]  # names read as values, named by strings, imported under another name


@lru_cache(maxsize=256)
def _module(text: str) -> _Module | None:
    """A module read once per process (the files a run asks about are few, and each is asked about often), from
    the one parse of its text that `Callers.tree` hands out too."""
    tree = _parsed(text)
    try:
        return _index(tree) if tree is not None else None
    except (RecursionError, MemoryError):
        return None


def _parsed(text: str) -> ast.Module | None:
    from advisor.facts.python_parse import parse_python

    return parse_python(text).tree  # past the lines Python cannot read, as the extractor reads the module (cached)


def argument(call: Call, function: Defined, param: str, binding: str) -> tuple[ast.expr, bool] | None:
    """What `call` binds to `param`: (the argument, False), or (the parameter's default, True); None when
    unknown (`*args`, `**kw`, a parameter the call leaves without a default)."""
    node = call.node
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
    on_class = isinstance(receiver, ast.Name) and receiver.id[:1].isupper() and not receiver.id.isupper()  # not DB
    if receiver is not None and (binding == "class" or (binding == "method" and not on_class)):
        positional = positional[1:]  # obj.m(a): obj is self; cls.m(a), Class.m(a): the class is cls
    # the arguments before a `*args` bind as written (`f('id IN ($2, $3)', *ids)`); what it unpacks, no one knows
    star = next((i for i, a in enumerate(node.args) if isinstance(a, ast.Starred)), len(node.args))
    for arg, value in zip(positional, node.args[:star]):
        if arg.arg == param:
            return value, False
    if star < len(node.args) or any(k.arg is None for k in node.keywords):
        return None
    for keyword in node.keywords:
        if keyword.arg == param:
            return keyword.value, False
    given = defaults(function)
    return (given[param], True) if param in given else None


def defaults(function: Defined) -> dict[str, ast.expr]:
    """The function's parameters that have a default, with it."""
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    out = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults) :]], args.defaults))
    out.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    return out


def _decorator_name(node: ast.expr) -> str:
    return call_name(node.func if isinstance(node, ast.Call) else node)


def _methods(tree: ast.Module) -> dict[int, str]:
    kinds: dict[int, str] = {}
    for node in walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    decorators = {_decorator_name(d) for d in item.decorator_list}
                    if "staticmethod" not in decorators:
                        kinds[id(item)] = "class" if "classmethod" in decorators else "method"
    return kinds


def _index(tree: ast.Module) -> _Module:
    module = _Module({}, set())
    callees: set[int] = set()
    stack: list[tuple[ast.AST, tuple[Function, ...]]] = [(tree, ())]
    while stack:
        node, functions = stack.pop()
        name = call_name(node)
        if isinstance(node, ast.Call) and call_name(node.func):
            module.calls.setdefault(call_name(node.func), []).append(Call(tree, functions, node))
            callees.add(id(node.func))
        elif name and id(node) not in callees and isinstance(getattr(node, "ctx", None), ast.Load):
            module.other.add(name)  # the function as a value: handed on, stored, wrapped
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
            module.other.add(node.value)  # getattr(obj, "name"), a dispatch table of names
        elif isinstance(node, ast.alias) and node.asname not in (None, node.name.rsplit(".", 1)[-1]):
            module.other.add(node.name.rsplit(".", 1)[-1])  # imported under another name
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            functions = (*functions, node)
        stack.extend((child, functions) for child in ast.iter_child_nodes(node))
    return module


def call_name(node: ast.AST) -> str:
    """The name a call or a use goes by: `f` of `f(...)`, `m` of `obj.m(...)`; "" for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""
