"""A MongoDB key a Python module writes as a name another module of the project binds to a text.

`from mq.constants import FIELD_STATUS` then `{FIELD_STATUS: "pending"}`, `IndexModel([(FIELD_STATUS, 1)])`: a file
read alone keeps the key as written (`FIELD_STATUS`, so a query and an index declaration writing the same name still
meet); once every file is read, the key is the text the constant holds (`status`), so `FIELD_ID` is `_id`, with its
own index, and a key declared by its text in another file meets it too.
"""

from __future__ import annotations

from typing import Any

from advisor.ir import IndexDef, IndexKey, SourceFile
from advisor.mongo.shape import MongoQuery, mongo_default_index_name
from advisor.sources.python_modules import imported_texts, imports, module_name, module_texts, same_module


def settle_constant_keys(sources: list[SourceFile]) -> None:
    modules: dict[str, SourceFile] | None = None
    texts: dict[str, dict[str, str]] = {}  # read per module, once, only for the modules a MongoDB file imports from
    for source in sources:
        if not source.path.endswith(".py") or not (source.queries or source.indexes):
            continue
        if not any(isinstance(q, MongoQuery) for q in source.queries) and not any(
            i.method.startswith("mongo") for i in source.indexes
        ):
            continue
        modules = {module_name(s.path): s for s in sources if s.path.endswith(".py")} if modules is None else modules
        for module, _ in imports(source).values():
            for defined in [m for m in modules if same_module(m, module)]:
                _read(defined, modules, texts, _HOPS)
        named = imported_texts(source, texts)
        if not named:
            continue
        for q in source.queries:
            if isinstance(q, MongoQuery):
                for part in ("filter", "projection", "sort", "pipeline", "hint"):
                    setattr(q, part, _renamed(getattr(q, part), named))
                q.spans = {
                    tuple(named.get(k, k) if isinstance(k, str) else k for k in at): loc for at, loc in q.spans.items()
                }
        for ix in source.indexes:
            if ix.method.startswith("mongo") and any(k.expr in named for k in ix.keys):
                _rekey(ix, named)


_HOPS = 3  # modules a constant is re-exported through (`from ._chunker import START` in a package's date_chunker)


def _read(defined: str, modules: dict[str, SourceFile], texts: dict[str, dict[str, str]], hops: int) -> None:
    """The texts a module binds (read once), and those it imports from a module of the project that binds them
    (a re-export), up to `hops` modules away."""
    if defined in texts:
        return
    texts[defined] = dict(module_texts([modules[defined]]).get(defined, {}))
    for local, (module, name) in imports(modules[defined]).items() if hops else ():
        for other in [m for m in modules if local not in texts[defined] and same_module(m, module)]:
            _read(other, modules, texts, hops - 1)
            if name in texts[other]:
                texts[defined][local] = texts[other][name]


def _renamed(value: Any, named: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {named.get(k, k) if isinstance(k, str) else k: _renamed(v, named) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, named) for v in value]
    return value


def _rekey(ix: IndexDef, named: dict[str, str]) -> None:
    """The index's keys by their texts; a name made from the keys (none given) made again from them."""
    old = [(k.expr, -1 if k.desc else 1) for k in ix.keys if k.is_column]
    made = ix.name == mongo_default_index_name(old)
    ix.keys = tuple(IndexKey(named.get(k.expr, k.expr), k.is_column, k.desc) if k.is_column else k for k in ix.keys)
    if made:
        ix.name = mongo_default_index_name([(k.expr, -1 if k.desc else 1) for k in ix.keys if k.is_column])
    if isinstance(ix.options.get("partialFilterExpression"), dict):
        ix.options["partialFilterExpression"] = _renamed(ix.options["partialFilterExpression"], named)
