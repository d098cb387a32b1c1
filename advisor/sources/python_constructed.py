"""A collection each instance of a Python class holds by the name its constructor is given, named where it is built.

`class BlacklistRepo: def __init__(self, db, collection_name): self._collection = db[collection_name]` in one
module, `BlacklistRepo(self._db, config.blacklist_collection)` in another: the repository's queries and indexes are
on `BlacklistRepo._collection` (advisor.sources.pymongo_names.Names.held_per_instance), whose name only the builds
know. When every build of the class in the project passes one name there (a text, a module's text constant, or a
field of the settings: `config.x` with `config` the settings instance or a parameter annotated with its class,
advisor.sources.python_settings), it is that collection, and what other modules declare on it meets its queries.
Builds that pass different names, or one advisor cannot read, leave it a collection per instance; a subclass of
the class (which may pass another name to `super().__init__`) does too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from advisor.ir import IndexDef, SourceFile
from advisor.mongo.shape import MongoQuery
from advisor.sources.python_modules import (
    class_annotation,
    imported_texts,
    imports,
    module_name,
    module_texts,
    same_module,
    tree_of,
)
from advisor.sources.python_settings import settings_defaults, settled_name


def settle_constructed(sources: list[SourceFile]) -> None:
    """Rename the targets on each `Class.member` a file recorded (Links.named_by) to the one name every build of
    the class passes (in place)."""
    named: dict[str, tuple[str, str, str, int]] = {}  # Class.member -> (module, class, parameter, position)
    for source in sources:
        for coll, (cls, param, at) in (source.links.named_by if source.links is not None else {}).items():
            named[coll] = (module_name(source.path), cls, param, at)
    if not named:
        return
    settled = {
        coll: name for coll, names in _given(sources, named).items() if len(names) == 1 for name in names if name
    }
    for source in sources:
        for target in [*source.queries, *source.indexes]:
            if isinstance(target, MongoQuery) and target.collection in settled:
                target.collection = settled[target.collection]
            elif isinstance(target, IndexDef) and target.table in settled:
                target.table = settled[target.table]


def _given(sources: list[SourceFile], named: dict[str, tuple[str, str, str, int]]) -> dict[str, set[str | None]]:
    """Class.member -> the names the project's builds of the class pass for it (None: one advisor cannot read, or a
    subclass that may pass another); a class never built is absent."""
    classes = {cls for _, cls, _, _ in named.values()}
    out: dict[str, set[str | None]] = {}
    defaults: dict | None = None
    texts: dict[str, dict[str, str]] | None = None
    for source in sources:
        if not any(cls in source.text for cls in classes):
            continue
        tree = tree_of(source)
        if tree is None:
            continue
        if defaults is None:
            defaults, texts = settings_defaults(sources), module_texts(sources)
        imported = imports(source)
        here = module_name(source.path)
        local = {**(texts or {}).get(here, {}), **imported_texts(source, texts or {})}
        for node, fn in _nodes(tree):
            for coll, (module, cls, param, at) in named.items():
                if not _names_class(node, cls, module, here, imported):
                    continue
                arg = _argument(node, param, at) if isinstance(node, ast.Call) else None  # a subclass: None
                name = _name(arg, fn, source, defaults, imported, local) if arg is not None else None
                out.setdefault(coll, set()).add(name)
    return out


def _nodes(tree: ast.Module) -> Iterator[tuple[ast.Call | ast.ClassDef, ast.FunctionDef | ast.AsyncFunctionDef | None]]:
    """Every call and class of the module, with the function it is in (None at the top level)."""
    stack: list[tuple[ast.AST, ast.FunctionDef | ast.AsyncFunctionDef | None]] = [(tree, None)]
    while stack:
        node, fn = stack.pop()
        if isinstance(node, (ast.Call, ast.ClassDef)):
            yield node, fn
        inner = node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else fn
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))


def _names_class(node: ast.AST, cls: str, module: str, here: str, imported: dict[str, tuple[str, str]]) -> bool:
    """A build of `cls` (`Cls(...)`, `mod.Cls(...)`) or a class deriving it, `cls` being the one `module` defines."""
    if isinstance(node, ast.ClassDef):
        refs = [b.value if isinstance(b, ast.Subscript) else b for b in node.bases]
    elif isinstance(node, ast.Call):
        refs = [node.func]
    else:
        return False
    for ref in refs:
        if isinstance(ref, ast.Attribute) and ref.attr == cls:
            return True  # `repos.BlacklistRepo(...)`: by its module's name, taken as the class's
        if not isinstance(ref, ast.Name):
            continue
        if ref.id == cls and here == module:
            return True
        brought = imported.get(ref.id)  # `from .repos import BlacklistRepo as Repo`: the class under another name
        if brought is not None and brought[1] == cls and same_module(module, brought[0]):
            return True
    return False


def _argument(call: ast.Call, param: str, at: int) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == param:
            return k.value
    if any(isinstance(a, ast.Starred) for a in call.args[: at + 1]) or any(k.arg is None for k in call.keywords):
        return None  # `Cls(*args)`, `Cls(**kw)`: which argument lands there is known only at run time
    return call.args[at] if at < len(call.args) else None


def _name(
    arg: ast.expr,
    fn: ast.FunctionDef | ast.AsyncFunctionDef | None,
    source: SourceFile,
    defaults: dict,
    imported: dict,
    texts: dict[str, str],
) -> str | None:
    """The collection name a build passes: a text, a module's text constant, or a settings field's default."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
        return arg.value
    params = {a.arg: a for a in (fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs)} if fn is not None else {}
    if isinstance(arg, ast.Name) and arg.id not in params:
        return texts.get(arg.id)
    if isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name) and arg.value.id != "self":
        holder = arg.value.id
        if holder in params:  # `config.users` with `config: Settings`: the class's field
            holder = class_annotation(params[holder].annotation) or ""
        return settled_name(f"<{holder}.{arg.attr}>", source, defaults, imported) if holder else None
    return None
