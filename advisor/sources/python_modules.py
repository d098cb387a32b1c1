"""What the project's Python modules define and import, read across files once every file is extracted
(advisor.sources.links): a module's name from its path, the module and name a `from ... import` brings, and the
texts a module binds once to a name at its top level (`FIELD_STATUS = "status"`)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from advisor.facts.python_parse import parse_python
from advisor.facts.safe_text import module_text_names
from advisor.ir import SourceFile


def module_name(path: str) -> str:
    parts = PurePosixPath(path).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def same_module(defined: str, imported: str) -> bool:
    """`src/mq/config.py` (mq... under a source folder) is the module `mq.config` an import names."""
    return defined == imported or defined.endswith("." + imported)


def tree_of(source: SourceFile) -> ast.Module | None:
    return parse_python(source.text, source.path).tree if source.path.endswith(".py") else None


def from_imports(nodes: Iterable[ast.AST], package: list[str]) -> Iterator[tuple[ast.ImportFrom, str, str, str]]:
    """(statement, local, module, name) for each name a `from module import name [as local]` among the nodes
    brings, a relative module resolved against the package."""
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            for a in node.names:
                yield node, a.asname or a.name, module, a.name


def imports(source: SourceFile) -> dict[str, tuple[str, str]]:
    """local name -> (module, name) for each `from module import name [as local]` at the module's top level, or in
    its `if TYPE_CHECKING:` block (a class named only in annotations, `config: Settings`), a relative one resolved
    against the file's package."""
    tree = tree_of(source)
    package = module_name(source.path).split(".")[:-1]
    top = [*(tree.body if tree else [])]
    top += [
        n for stmt in top if isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test) for n in stmt.body
    ]
    return {local: (module, name) for _, local, module, name in from_imports(top, package)}


def module_texts(sources: list[SourceFile]) -> dict[str, dict[str, str]]:
    """module -> {name: text} for the names a module binds exactly once at its top level, to a text literal."""
    out: dict[str, dict[str, str]] = {}
    for source in sources:
        tree = tree_of(source)
        texts = dict(module_text_names(tree)) if tree is not None else {}
        if texts:
            out[module_name(source.path)] = texts
    return out


def class_annotation(annotation: ast.expr | None) -> str | None:
    """The class a parameter is annotated with, by a plain name (`cols: JobCollections`, `"JobCollections"`)."""
    if annotation is None:
        return None
    text = (
        annotation.value
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str)
        else ast.unparse(annotation)
    )
    return text if re.fullmatch(r"[A-Z]\w*", text) else None


def imported_texts(source: SourceFile, texts: dict[str, dict[str, str]]) -> dict[str, str]:
    """local name -> text, for the names the file imports from a module of the project that binds them to a text."""
    out = {}
    for local, (module, name) in imports(source).items():
        for defined, names in texts.items():
            if name in names and same_module(defined, module):
                out[local] = names[name]
                break
    return out
