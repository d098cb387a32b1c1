"""What one file of a project says about names another file uses, joined once every file is extracted.

Extraction reads one file at a time; some names are only known from another file of the project:

- Python: a collection held on `self` by a class in another file (`self.case_collection = database.case`
  in an adapter class that mixes in the handler classes whose queries use it) -- the name is resolved
  when the class holding it and the class using it are related (one is a base of the other);
- Python: index lists kept as data, `INDEXES = {"case": [IndexModel(...), ...]}`, declare their
  collections' indexes when the project hands them to `create_indexes` (`create_indexes(INDEXES[name])`);
- JavaScript: a mongoose model reached through a registry object (`router.app.resources.form.model`)
  is the model `form` when the project names such a model (`mongoose.model('form')`);
- JavaScript: a schema a module builds for no model there (`module.exports = () => ({ schema: new
  Schema(...) })`) belongs to the model the module is named after (Form.js -> `form`), when the project
  names such a model; otherwise its collection is not known and its indexes are not kept.

Each file's extractor fills its `Links`; `link(sources)` (called by advisor/loader.py) renames and adds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from advisor.ir import IndexDef, SourceFile
from advisor.mongo.shape import MongoQuery, pluralize


@dataclass(frozen=True)
class Held:
    """`self.<member> = <collection>` in class `owner` (or a class attribute or property of it)."""

    owner: str
    member: str
    collection: str


@dataclass
class Links:
    bases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # Python: class -> its bases' names
    held: list[Held] = field(default_factory=list)
    members: list[tuple[str, str, Any]] = field(
        default_factory=list
    )  # (class, member, query or index) on `self.member`
    tables: dict[str, list[IndexDef]] = field(default_factory=dict)  # NAME = {collection: [IndexModel(...)]}
    # create_indexes(NAME[...]): the tables the file applies, with the declaration (keys unread) it makes
    # when the project has no such table
    applied: dict[str, list[IndexDef]] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)  # JS: mongoose model named here -> its collection
    registry: list[tuple[str, MongoQuery]] = field(default_factory=list)  # (segment, query) on `x.<segment>.model`
    module: list[IndexDef] = field(default_factory=list)  # indexes of a schema built here for no model here
    stem: str = ""  # the module's name: Form.js -> Form


def links_of(source: SourceFile) -> Links:
    """The file's links, created on first use."""
    if source.links is None:
        source.links = Links()
    return source.links


def link(sources: list[SourceFile]) -> None:
    """Join what the files say about each other (in place)."""
    found = [s.links for s in sources if s.links is not None]
    if not found:
        return
    _members(found)
    _tables(sources)
    _models(sources)


def _members(found: list[Links]) -> None:
    bases: dict[str, set[str]] = {}
    for links in found:
        for cls, names in links.bases.items():
            bases.setdefault(cls, set()).update(names)
    held: dict[tuple[str, str], set[str]] = {}
    for links in found:
        for h in links.held:
            held.setdefault((h.owner, h.member), set()).add(h.collection)
    for links in found:
        for cls, member, target in links.members:
            colls = set().union(*(held.get((c, member), set()) for c in _family(cls, bases)))
            if len(colls) == 1:  # one collection for it in the classes it belongs to: that one
                _rename(target, colls.pop())


def _family(cls: str, bases: dict[str, set[str]]) -> list[str]:
    """The class, its bases and its subclasses across the project (by name), transitively."""
    out, todo = [cls], [cls]
    while todo:
        current = todo.pop()
        related = bases.get(current, set()) | {c for c, bs in bases.items() if current in bs}
        for c in sorted(related - set(out)):
            out.append(c)
            todo.append(c)
    return out


def _rename(target: Any, collection: str) -> None:
    if isinstance(target, MongoQuery):
        target.collection = collection
    elif isinstance(target, IndexDef):
        target.table = collection


def _tables(sources: list[SourceFile]) -> None:
    tables = {name for s in sources if s.links is not None for name in s.links.tables}
    applied = {name for s in sources if s.links is not None for name in s.links.applied}
    for source in sources:
        if source.links is not None:
            for name, declared in source.links.tables.items():
                if name in applied:
                    source.indexes += declared
            for name, unread in source.links.applied.items():
                if name not in tables:  # a table from outside the project: declared, keys unread
                    source.indexes += unread


def _models(sources: list[SourceFile]) -> None:
    models: dict[str, tuple[str, str]] = {}  # lower-case name -> (the model's name, its collection)
    for source in sources:
        if source.links is not None:
            for name, collection in source.links.models.items():
                models.setdefault(name.lower(), (name, collection))
    for source in sources:
        links = source.links
        if links is None:
            continue
        for segment, query in links.registry:
            model = _model(segment, models)
            if model is not None:
                named = query.collection  # <x.form.model>, or <override || x.form.model>: a sketch
                query.model, query.collection = models[model]
                query.partial = query.partial or not re.fullmatch(r"<[\w$.]+>", named)
                source.queries.append(query)
        model = _model(re.sub(r"(?i)schema$", "", links.stem), models)
        if model is not None:  # else its collection is unknown: its indexes are not kept
            for index in links.module:
                index.options["model"], index.table = models[model]
                source.indexes.append(index)
        if links.registry:
            source.queries.sort(key=lambda q: (q.location.line, q.location.col))


def _model(name: str, models: dict[str, tuple[str, str]]) -> str | None:
    """The model the project names `name` (a registry's key may be its plural: `actions` -> `action`)."""
    name = name.lower()
    if name in models:
        return name
    return next((m for m in models if name and pluralize(m) == name), None)
