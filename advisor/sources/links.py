"""What one file of a project says about names another file uses, joined once every file is extracted.

Extraction reads one file at a time; some names are only known from another file of the project:

- Python: a collection held on `self` by a class in another file (`self.case_collection = database.case`
  in an adapter class that mixes in the handler classes whose queries use it) -- the name is resolved
  when the class holding it and the class using it are related (one is a base of the other);
- Python: a collection named by a class attribute (`db[self.COLLECTION_NAME]`, in a property of a base class
  that every model class inherits, each subclass giving its own name): named for the class whose method
  uses it, when the project gives that class one name (advisor.sources.links.Attributes);
- Python: a collection reached through a method that returns the database (`self.get_db().alerts`,
  `get_db` defined in a base class of another file): the call is kept when, dispatched from the class
  using it, every `return` of the method is a Database (or what another `self.<method>()` returns that is);
- Python: a collection each instance of a class holds by the name its constructor is given (`self._collection =
  db[collection_name]`): the one name every build of the class passes (advisor.sources.python_constructed);
- Python: a collection a function receives as a parameter from other modules (`data.aggregate(...)`, the
  callers passing `db["objects"]`): the one every call of it passes (advisor.sources.pymongo_slots);
- Python: a collection a project class holds in a member or property named as its holder (`col_conf_ids`,
  returning `self.get_collection('conf')`), read on another object (`self.db.col_conf_ids.find()`, the
  receiver taken for a database by its name): that collection;
- Python: index lists kept as data, `INDEXES = {"case": [IndexModel(...), ...]}`, declare their
  collections' indexes when the project hands them to `create_indexes` (`create_indexes(INDEXES[name])`);
- JavaScript: a mongoose model reached through a registry object (`router.app.resources.form.model`)
  is the model `form` when the project names such a model (`mongoose.model('form')`);
- JavaScript: a function imported from a module of the project that opens a model or collection for its
  caller (`RunsModel(conn, name).find()`, advisor.sources.js_mongo_factories): the query is kept, on that
  model, when the module says the function is such a factory; the same for a model the module sets as a
  property of its exports (`Device.model.find()`, `module.exports.model = mongoose.model('Device', schema)`);
- JavaScript: a collection read through a getter of a project's class from another module
  (`ctx.db.bucketStateV1.find()`, the receiver read as a database by its name): the collection the getter
  returns (`return this.upstream.bucket_state`, `return this.db.collection('sync_config')`) when every getter
  of that name gives one; else one named at run time, never a collection named after the getter; and a query
  on such a property of an object advisor cannot name at all (`versioned.syncConfigDefinitions.find()`, a
  parameter) is kept, on that collection, only then;
- JavaScript: a method another module defines as a SQL helper (advisor.sources.js_sql_helpers: Context's
  `runQuery(query, parameters) { await this.query(query, parameters) }`): its calls (`context.runQuery(sql)`)
  are execution calls, the text at the helper's position a query of the calling module;
- JavaScript: a function of one module that returns SQL text, called in another whose result is run
  (advisor.sources.js_sql_builders): its statements are queries of the module that writes them;
- JavaScript: a schema a module builds for no model there (`module.exports = () => ({ schema: new
  Schema(...) })`) belongs to the model the module is named after (Form.js -> `form`), when the project
  names such a model; otherwise its collection is not known and its indexes are not kept;
- JavaScript: a schema a module exports (`module.exports = chatSchema`) and another compiles into a model
  (`conn.model('Chat', chatSchema, 'studio__chats')`): its indexes are on each such model's collection; and a
  model's one-argument lookup elsewhere (`conn.model('Chat')`) is on the collection it is registered under.

Each file's extractor fills its `Links`; `link(sources)` (called by advisor/loader.py) renames and adds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from advisor.ir import JS_SUFFIXES, IndexDef, SourceFile, SqlQuery
from advisor.mongo.shape import MongoQuery, pluralize
from advisor.sources.js_mongo_factories import Factory, Made, made, module_paths
from advisor.sources.js_plugged import Plugged, applied
from advisor.sources.js_sql_text import read_once
from advisor.sources.mongo_names import MODULE_SCHEMA, run_time, run_time_name
from advisor.sources.pymongo_constants import settle_constant_keys
from advisor.sources.pymongo_slots import Slots, settle_slots
from advisor.sources.python_constructed import settle_constructed
from advisor.sources.python_modules import imports
from advisor.sources.python_settings import SETTING_NAME, settings_defaults, settled_name

# `<self.COLLECTION_NAME>`, `<self.name>.files`: a collection a class attribute names (and its sub-collections);
# `<Repo.COLLECTION_NAME>`: a constant of a class named anywhere (fiftyone's repo factory opens
# `_get_db()[MongoDelegatedOperationRepo.COLLECTION_NAME]`), not a member held per instance (`<Store._collection>`)
TEMPLATE = re.compile(r"<(?:self|cls|([A-Z]\w*(?=\.[A-Z][A-Z0-9_]*>)))\.(\w+)>((?:\.\w+)*)")
OTHER = "<other>"  # an attribute's value that is no string constant (a parameter, a call)


@dataclass(frozen=True)
class Held:
    """`self.<member> = <collection>` in class `owner` (or a class attribute or property of it)."""

    owner: str
    member: str
    collection: str


@dataclass
class Links:
    bases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # class -> its bases' names
    # JS: class -> position -> the member its constructor keeps that parameter in; class -> what its `super(...)`
    # passes, by position (a string, or OTHER) (advisor.sources.js_mongo_inherited)
    kept: dict[str, dict[int, str]] = field(default_factory=dict)
    passed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    held: list[Held] = field(default_factory=list)
    members: list[tuple[str, str, Any]] = field(
        default_factory=list
    )  # (class, member, query or index) on `self.member`
    tables: dict[str, list[IndexDef]] = field(default_factory=dict)  # NAME = {collection: [IndexModel(...)]}
    # create_indexes(NAME[...]): the tables the file applies, with the declaration (keys unread) it makes
    # when the project has no such table
    applied: dict[str, list[IndexDef]] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)  # JS: mongoose model named here -> its collection
    # JS: a model NestJS registers under a collection of its own (`forFeature([{ name, schema, collection }])`),
    # which wins over the schema's
    registered: dict[str, str] = field(default_factory=dict)
    registry: list[tuple[str, MongoQuery]] = field(default_factory=list)  # (segment, query) on `x.<segment>.model`
    module: list[IndexDef] = field(default_factory=list)  # indexes of a schema built here for no model here
    # JS: the schemas the module exports for no model of its own (export -> its `collection` option, the indexes
    # declared on it), and the models compiled here from another module's (module, export, model, collection)
    schemas: dict[str, tuple[str | None, list[IndexDef]]] = field(default_factory=dict)
    compiled: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    stem: str = ""  # the module's name: Form.js -> Form
    # Python: (class, method) -> the `self.<method>()`s whose Database it returns, () when it returns a
    # Database itself, None when it returns something else (an override that is no Database)
    methods: dict[tuple[str, str], tuple[str, ...] | None] = field(default_factory=dict)
    # (class, method, query or index) on `self.<method>().<collection>`: kept when the method gives a Database
    on_database: list[tuple[str, str, Any]] = field(default_factory=list)
    # Python: (class, index) a resource class declares on the name it is registered under, and the names
    # each class is given where it is built or registered (`Resource("desks", ...)`, `register("desks", Resource)`)
    resources: list[tuple[str, IndexDef]] = field(default_factory=list)
    endpoints: dict[str, set[str]] = field(default_factory=dict)
    # JS: the model factories the module exports, by export name; the queries on a call of an imported one
    factories: dict[str, Factory] = field(default_factory=dict)
    exported: dict[str, Factory] = field(default_factory=dict)  # and the models set on its exports, by property
    # JS: what the module passes on from others (`export * from "./m"`, `export { A as B } from "./m"`): (the module,
    # joined to this one's folder; its export, "*" for all; the name here)
    reexported: list[tuple[str, str, str]] = field(default_factory=list)
    made: list[tuple[Made, MongoQuery]] = field(default_factory=list)
    # JS/TS: the enums of names the module declares, and the queries and indexes on another module's member of one
    # (advisor.sources.js_enums): (module, export, member, target)
    enums: dict[str, dict[str, str]] = field(default_factory=dict)
    enumed: list[tuple[str, str, str, Any]] = field(default_factory=list)
    # JS: the queries on a name bound to another module's export (`import DatasetModel from "./m"`, `import {
    # ChannelModelAPI } from "./channels"`): (module, export, query), named by the name until the project says that
    # export is a model (its own name, its collection)
    imported: list[tuple[str, str, MongoQuery]] = field(default_factory=list)
    # Python: (class, attribute) -> the values the class gives it (a string, None, or OTHER), and the queries
    # and indexes on a collection a class attribute names: (class, `<self.attribute>`, target)
    attributes: dict[tuple[str, str], set[str | None]] = field(default_factory=dict)
    attributed: list[tuple[str, str, Any]] = field(default_factory=list)
    # JS: the SQL builders the module exports (name -> statements), the calls of another module's whose
    # result is run (advisor.sources.js_sql_builders)
    builders: dict[str, list] = field(default_factory=dict)
    built: list = field(default_factory=list)
    slots: Slots = field(default_factory=Slots)  # Python: a collection passed as a parameter (pymongo_slots)
    # Python: `Class.member` -> (class, parameter, position): a collection each instance holds by the name its
    # constructor is given (`self._collection = db[collection_name]`), the builds say which (python_constructed)
    named_by: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    # Python: (class, member, query or index) on `self.<x>.<member>`, `self.<x>` an instance of a class another
    # module defines: kept, on the collection that class's member holds, when the project's classes say one
    instances: list[tuple[str, str, Any]] = field(default_factory=list)
    # JS: the module's SQL helpers (name -> the position of the text they run, advisor.sources.js_sql_helpers), and
    # the calls of a method of no helper of the module with SQL text at a position: (name, position, the queries
    # and string building read there), kept when another module defines a helper of that name and position
    sql_helpers: dict[str, int] = field(default_factory=dict)
    pending_sql: list[tuple[str, int, list, list]] = field(default_factory=list)
    # JS: the getters the module's classes define -> the collection each returns, None when the module cannot name it
    getters: dict[str, str | None] = field(default_factory=dict)
    # JS: the queries on a property of an object advisor cannot name (`versioned.syncConfigDefinitions.find()`), by the
    # property's name: kept, on the collection, when the project's getters of that name all return that one
    pending_mongo: list[tuple[str, MongoQuery]] = field(default_factory=list)
    # JS: the mongoose plugins the module exports (name -> (a factory of plugins?, the indexes they declare)), and
    # its `schema.plugin(fn)` calls of another module's (advisor.sources.js_mongo_plugins)
    plugins: dict[str, tuple[bool, list[IndexDef]]] = field(default_factory=dict)
    plugged: list[Plugged] = field(default_factory=list)


_INSTANCE = re.compile(r"@(\w+)\.(\w+)")


def instance_member(cls: str, member: str) -> str:
    """The name a file gives the collection an instance's member holds until the project names it."""
    return f"@{cls}.{member}"


def instance_parts(collection: str) -> tuple[str, str] | None:
    m = _INSTANCE.fullmatch(collection)
    return (m[1], m[2]) if m else None


class Attributes:
    """What `self.<attribute>` is in a class's methods, from the classes' bases and attribute values (of one
    file, or of the whole project)."""

    def __init__(self, bases: dict[str, set[str]], attributes: dict[tuple[str, str], set[str | None]]):
        self.bases, self.attributes = bases, attributes
        self.children: dict[str, set[str]] = {}
        for cls, names in bases.items():
            for base in names:
                self.children.setdefault(base, set()).add(cls)

    def value(self, cls: str, attribute: str) -> str | None:
        """The one string it is: what the nearest class of `cls`'s ancestry gives it (Python's lookup), when
        no subclass of `cls` gives it another (a base class's method runs on its subclasses' instances:
        `COLLECTION_NAME = "default"` in the base and `"users"` in a subclass name no one collection there)."""
        values: set[str | None] = set()
        for c in _ancestors(cls, self.bases):
            if (c, attribute) in self.attributes:
                values |= self.attributes[(c, attribute)]
                break
        for sub in _reach(cls, lambda c: self.children.get(c, set()))[1:]:
            values |= self.attributes.get((sub, attribute), set())
        named = values - {None}
        one = next(iter(named)) if len(named) == 1 else None
        return one if one != OTHER else None


def _passed_on(found: list[Links], bases: dict[str, set[str]], values: dict[tuple[str, str], set[str | None]]) -> None:
    """A JS class's `super(...)` arguments, given to the members its base's constructor keeps them in: the
    subclass's instances hold them (`super(url, 'operations')` -> the subclass's `collectionName`)."""
    kept: dict[str, dict[int, str]] = {}
    for links in found:
        for cls, positions in links.kept.items():
            kept.setdefault(cls, {}).update(positions)
    for links in found:
        for cls, args in links.passed.items():
            for base in bases.get(cls, ()):
                for position, member in kept.get(base, {}).items():
                    values.setdefault((cls, member), set()).add(args[position] if position < len(args) else OTHER)


def _project_bases(found: list[Links]) -> dict[str, set[str]]:
    """Every class's bases, by name, across the files."""
    bases: dict[str, set[str]] = {}
    for links in found:
        for cls, names in links.bases.items():
            bases.setdefault(cls, set()).update(names)
    return bases


def settle(target: Any, cls: str, template: str, attributes: Attributes) -> None:
    """Name a query or index on `db[self.<attribute>]` (`template`) in class `cls`: the collection the
    attribute names there, else a collection named at run time (a sketch: no claim rests on its indexes)."""
    m = TEMPLATE.fullmatch(template)
    value = attributes.value(m[1] or cls, m[2]) if m else None
    rename_target(target, (value + m[3]) if m and value else template)


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
    _databases(sources)
    _enum_members(sources)
    _settings(sources)
    values: dict[tuple[str, str], set[str | None]] = {}
    for links in found:
        for key, given in links.attributes.items():
            values.setdefault(key, set()).update(given)
    bases = _project_bases(found)
    _passed_on(found, bases, values)
    attributes = Attributes(bases, values)
    for links in found:
        for cls, template, target in links.attributed:
            settle(target, cls, template, attributes)
    _members(found, attributes)
    _instances(sources, found, attributes.bases)
    _holders(sources, found)
    _getters(sources, found)
    _tables(sources)
    _plugins(sources)
    _compiled(sources)
    _models(sources)
    _resources(sources)
    _made(sources)
    _builders(sources)
    _helper_calls(sources)
    _passed_factories(sources)
    settle_constructed(sources)
    settle_slots(sources, lambda cls: _ancestors(cls, attributes.bases))
    settle_constant_keys(sources)  # last: the queries other steps kept are on their files now


def _settings(sources: list[SourceFile]) -> None:
    """A collection a file names by a field of the project's settings object (`<config.jobs_collection>`), in its
    queries, indexes and the members its classes hold: the field's default (advisor.sources.python_settings)."""
    defaults = settings_defaults(sources)
    for source in sources:
        imported = imports(source) if defaults and source.path.endswith(".py") else {}
        for target in [*source.queries, *source.indexes] if defaults else []:
            written = target.collection if isinstance(target, MongoQuery) else getattr(target, "table", "")
            named = settled_name(written, source, defaults, imported) if isinstance(written, str) else None
            if named is not None:
                rename_target(target, named)
        if source.links is not None:  # a member held under a field no settings object has is not known held
            settled = [(h, settled_name(h.collection, source, defaults, imported)) for h in source.links.held]
            source.links.held = [
                Held(h.owner, h.member, named) if named else h
                for h, named in settled
                if named or not SETTING_NAME.fullmatch(h.collection) or TEMPLATE.fullmatch(h.collection)
            ]


def _members(found: list[Links], attributes: Attributes) -> None:
    """A query or index on `self.<member>` that its file could not name: the collection the member holds in
    the classes the using class belongs to, when they hold one (`db[self.COLLECTION_NAME]` named for the
    using class); else a collection named at run time, per class (`self._collection` of one class is no
    other class's, whatever the text)."""
    bases = attributes.bases
    held = _held(found)
    for links in found:
        for cls, member, target in links.members:
            member, _, sub = member.partition(".")  # self._collection.versions: a sub-collection of the member's
            colls = set().union(*(held.get((c, member), set()) for c in _family(cls, bases)))
            if len(colls) == 1:  # one collection for it in the classes it belongs to: that one
                settle(target, cls, colls.pop() + ("." + sub if sub else ""), attributes)
            else:
                rename_target(target, run_time_name(f"{cls}.{member}" + ("." + sub if sub else "")))


def _held(found: list[Links]) -> dict[tuple[str, str], set[str]]:
    """(class, member) -> the collections the project's classes hold in that member."""
    held: dict[tuple[str, str], set[str]] = {}
    for links in found:
        for h in links.held:
            held.setdefault((h.owner, h.member), set()).add(h.collection)
    return held


def _instances(sources: list[SourceFile], found: list[Links], bases: dict[str, set[str]]) -> None:
    """The queries and indexes on `self.cols.jobs` (`self.cols = JobCollections(conf)`, the class in another
    module): kept on the collection the class holds in `jobs` (a member or property, in its family), when it
    holds exactly one; dropped otherwise (an object advisor cannot tell a collection: `find` may be a string's)."""
    held = _held(found)
    for source in sources:
        links = source.links
        if links is None or not links.instances:
            continue
        for cls, member, target in links.instances:
            colls = set().union(*(held.get((c, member), set()) for c in _family(cls, bases)))
            if len(colls) == 1:
                rename_target(target, colls.pop())
                (source.queries if isinstance(target, MongoQuery) else source.indexes).append(target)
        source.queries.sort(key=lambda q: (q.location.line, q.location.col))


# a member named as what holds a collection, not as the collection (`col_conf_ids`, `coll_jobs`, `users_collection`)
HOLDER = re.compile(r"_*(?:(?:collection|coll|col)_\w+|\w+_(?:collection|coll|col))", re.IGNORECASE)


def _holders(sources: list[SourceFile], found: list[Links]) -> None:
    """A Python query on `<object>.<member>` that its file named after the member (`self.db.col_conf_ids.find()`,
    the receiver read as a database by its name): when the member is named as a holder of a collection and the
    project's classes hold one in a member (or property) of that name, it is that collection (ampel's AmpelDB:
    `col_conf_ids` returns `get_collection('conf')`); held as different ones, a collection named at run time."""
    held: dict[str, set[str]] = {}
    for links in found:
        for h in links.held:
            if HOLDER.fullmatch(h.member):
                held.setdefault(h.member, set()).add(h.collection)
    if not held:
        return
    for source in sources:
        if not source.path.endswith(".py"):
            continue
        for query in source.queries:
            colls = held.get(query.collection) if isinstance(query, MongoQuery) else None
            if colls and re.search(r"(?<!\bself)\." + re.escape(query.collection) + r"\s*\.", query.text):
                rename_target(query, next(iter(colls)) if len(colls) == 1 else run_time_name(query.collection))


def _getters(sources: list[SourceFile], found: list[Links]) -> None:
    """A JS query its file named after the property it reads on another object (`ctx.db.bucketStateV1.find()`,
    the receiver read as a database by its name) where the project's classes define a getter of that name: the
    collection the getter returns when every one names the same; otherwise one named at run time (powersync's
    storage: `get bucketStateV1() { return this.upstream.bucket_state; }`, whose indexes stand on bucket_state)."""
    given: dict[str, set[str | None]] = {}
    for links in found:
        for name, collection in links.getters.items():
            given.setdefault(name, set()).add(collection)
    if not given:
        return
    for source in sources:
        if not source.path.lower().endswith(JS_SUFFIXES):
            continue
        kept = 0
        for name, query in source.links.pending_mongo if source.links is not None else ():
            colls = given.get(name, set())
            named = next(iter(colls)) if len(colls) == 1 else None
            if named is not None:
                query.collection = named
                source.queries.append(query)
                kept += 1
        if kept:
            source.queries.sort(key=lambda q: (q.location.line, q.location.col))
        for query in source.queries:
            colls = given.get(query.collection, set()) if isinstance(query, MongoQuery) else set()
            read = colls and re.search(
                r"([\w$.]*(?<!\bthis)\." + re.escape(query.collection) + r")\s*\??\.", query.text
            )
            if read:
                named = next(iter(colls)) if len(colls) == 1 else None
                rename_target(query, named if named is not None else run_time_name(read.group(1)))


def _helper_calls(sources: list[SourceFile]) -> None:
    """A JS call of a method another module of the project defines as a SQL helper (`context.runQuery(sql)`,
    Context's `runQuery(query, parameters) { await this.query(query, parameters) }`) is an execution call: the
    text at the helper's position is the module's query (read once: a constant named as SQL that it runs is
    that query, not a second one)."""
    helpers: dict[str, set[int]] = {}
    for source in sources:
        if source.links is not None:
            for name, index in source.links.sql_helpers.items():
                helpers.setdefault(name, set()).add(index)
    if not helpers:
        return
    for source in sources:
        if source.links is None or not source.links.pending_sql:
            continue
        added = False
        for name, index, queries, built in source.links.pending_sql:
            if index in helpers.get(name, ()):
                where = {(q.location.line, q.location.col) for q in queries}
                source.queries = read_once(source.queries, where) + queries
                source.string_built += built
                added = True
        if added:
            source.queries.sort(key=lambda q: (q.location.line, q.location.col))


def _databases(sources: list[SourceFile]) -> None:
    """The queries and indexes on `self.<method>().<collection>` whose method gives a Database."""
    bases: dict[str, set[str]] = {}
    defined: dict[tuple[str, str], set[tuple[str, ...] | None]] = {}
    for s in sources:
        if s.links is not None:
            for cls, names in s.links.bases.items():
                bases.setdefault(cls, set()).update(names)
            for key, calls in s.links.methods.items():
                defined.setdefault(key, set()).add(calls)
    for source in sources:
        links = source.links
        if links is None or not links.on_database:
            continue
        for cls, method, target in links.on_database:
            if _gives_database(cls, method, links.methods, defined, bases, set()):
                (source.queries if isinstance(target, MongoQuery) else source.indexes).append(target)
        source.queries.sort(key=lambda q: (q.location.line, q.location.col))


def _gives_database(cls: str, method: str, local: dict, defined: dict, bases: dict, seen: set[str]) -> bool:
    """Whether `self.<method>()` in class `cls` (of the file whose methods are `local`) returns a Database:
    the method is looked up as Python dispatches it (the class, then its bases, nearest first), and a
    `self.<other>()` it returns is dispatched from `cls` again (a base's `get_db` calling the subclass's
    `connect`). A base class of that name in two files must give a Database in both."""
    if method in seen:
        return False  # a method returning what it returns
    seen = seen | {method}
    for owner in _ancestors(cls, bases):
        found = {local[(owner, method)]} if (owner, method) in local else set()
        if not found and owner != cls:  # the class using it is this file's; its bases may be anywhere
            found = defined.get((owner, method), set())
        if found:
            return all(
                calls is not None and all(_gives_database(cls, m, local, defined, bases, seen) for m in calls)
                for calls in found
            )
    return False


def _ancestors(cls: str, bases: dict[str, set[str]]) -> list[str]:
    """The class and its bases across the project (by name), nearest first."""
    return _reach(cls, lambda c: bases.get(c, set()))


def _family(cls: str, bases: dict[str, set[str]]) -> list[str]:
    """The classes an object running `cls`'s code can be made of (by name, across the project): `cls` or a
    subclass of it, transitively, each with its bases (a mixin's method sees what the class mixing it in, or
    another of its bases, sets). Never a class that only shares a base with it (ampel's T2Worker and
    T3LogsAppender both derive a common unit class; `self.col` of one is not the other's). A base from outside
    the project (`object`, a library's class) is no family of the project's classes deriving it."""
    out: list[str] = []
    for sub in _reach(cls, lambda c: {s for s, bs in bases.items() if c in bs and c in bases}):
        out += [a for a in _ancestors(sub, bases) if a not in out]
    return out


def _reach(cls: str, step) -> list[str]:
    """`cls` and every class `step` leads to from it, transitively, nearest first."""
    out, todo = [cls], [cls]
    while todo:
        for c in sorted(step(todo.pop(0)) - set(out)):
            out.append(c)
            todo.append(c)
    return out


def _enum_members(sources: list[SourceFile]) -> None:
    """A query or index on a member of another module's enum of names: the collection the member names."""
    enums = {s.path: s.links.enums for s in sources if s.links is not None and s.links.enums}
    for source in sources:
        for module, export, member, target in source.links.enumed if source.links is not None else ():
            path = next((p for p in module_paths(module) if p in enums), None)
            named = enums[path].get(export, {}).get(member) if path is not None else None
            if named is not None:
                rename_target(target, named)


def rename_target(target: Any, collection: str) -> None:
    """Put a query or an index declaration on the collection a file names for another."""
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


def _resources(sources: list[SourceFile]) -> None:
    """A resource class's indexes, on the one name the project registers it under (none or two: not kept,
    the collection being unknown)."""
    endpoints: dict[str, set[str]] = {}
    for s in sources:
        if s.links is not None:
            for cls, names in s.links.endpoints.items():
                endpoints.setdefault(cls, set()).update(names)
    for source in sources:
        for cls, index in source.links.resources if source.links is not None else ():
            if len(endpoints.get(cls, ())) == 1:
                rename_target(index, next(iter(endpoints[cls])))
                source.indexes.append(index)


def _compiled(sources: list[SourceFile]) -> None:
    """A schema one module exports and another compiles into a model (`connection.model('__Studio_Chat',
    chatSchema, 'studio__chats')`): its indexes are on each such model's collection, not on the one its
    holder's name suggests (`chatSchema` -> chats); one module's copy per model compiled from it."""
    exported = {s.path: s for s in sources if s.links is not None and s.links.schemas}
    uses: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for source in sources:
        for module, export, model, collection in source.links.compiled if source.links is not None else ():
            path = next((p for p in module_paths(module) if p in exported), None)
            schemas = exported[path].links.schemas if path is not None else {}
            if path is not None and export in schemas:
                named = (model, collection or schemas[export][0] or pluralize(model))
                if named not in uses.setdefault((path, export), []):
                    uses[(path, export)].append(named)
    for (path, export), models in uses.items():
        source = exported[path]
        links = source.links
        assert links is not None
        _, declared = links.schemas[export]
        links.module = [m for m in links.module if not any(m is ix for ix in declared)]
        source.indexes = [i for i in source.indexes if not any(i is ix for ix in declared)]
        for model, collection in models:
            source.indexes += [replace(ix, table=collection, options={**ix.options, "model": model}) for ix in declared]


def _models(sources: list[SourceFile]) -> None:
    models: dict[str, tuple[str, str]] = {}  # lower-case name -> (the model's name, its collection)
    for source in sources:
        for name, collection in source.links.registered.items() if source.links is not None else ():
            models.setdefault(name.lower(), (name, collection))
    # a collection a model is registered under wins over the plural another module's lookup of it
    # (`connection.model('Chat')`) supposes, whichever file comes first
    for explicit in (True, False):
        for source in sources:
            for name, collection in source.links.models.items() if source.links is not None else ():
                if (collection != pluralize(name)) == explicit:
                    models.setdefault(name.lower(), (name, collection))
    for source in sources:  # `@InjectModel(Cat.name)`: the collection `Cat` is registered under, not the plural
        for target in [*source.queries, *source.indexes] if models else ():
            model = getattr(target, "model", None) if isinstance(target, MongoQuery) else target.options.get("model")
            named = models.get((model or "").lower())
            if named is None or named[0] != model or not isinstance(model, str):
                continue
            if isinstance(target, MongoQuery) and target.collection == pluralize(model):
                target.collection = named[1]
            elif (
                isinstance(target, IndexDef) and target.method.startswith("mongo") and target.table == pluralize(model)
            ):
                target.table = named[1]
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


def _plugins(sources: list[SourceFile]) -> None:
    """The indexes another module's plugin declares, on the schema of each `.plugin()` call of it (before
    `_models`: a schema of the module's own model is named there)."""
    plugins = {s.path: s.links.plugins for s in sources if s.links is not None and s.links.plugins}
    for source in sources:
        for use in source.links.plugged if source.links is not None else ():
            path = next((p for p in module_paths(use.module) if p in plugins), None)
            factory, declared = plugins[path].get(use.export, (None, [])) if path is not None else (None, [])
            if factory is not use.factory:
                continue  # a plugin called, or a factory handed over whole: not what the module exports
            for model, collection in use.models:
                for ix in declared:
                    into = source.links.module if collection == MODULE_SCHEMA else source.indexes
                    into.append(applied(ix, model, collection, use.location, use.text))


def _model(name: str, models: dict[str, tuple[str, str]]) -> str | None:
    """The model the project names `name` (a registry's key may be its plural: `actions` -> `action`)."""
    name = name.lower()
    if name in models:
        return name
    return next((m for m in models if name and pluralize(m) == name), None)


def _made(sources: list[SourceFile]) -> None:
    """A query on what an imported function returns: on the model or collection it opens, when its module
    exports it as a factory (else it is not known to be MongoDB's, and no shape is kept)."""
    factories = {s.path: s.links.factories for s in sources if s.links is not None and s.links.factories}
    exported = _reexported(sources, {s.path: s.links.exported for s in sources if s.links and s.links.exported})
    for source in sources:
        for call, query in source.links.made if source.links is not None else ():
            factory = _factory(exported if call.value else factories, call)  # `Device.model`: a value, not a call
            if factory is not None:
                query.collection, query.model, query.driver = made(factory, call.given, call.texts, call.text)
                query.driver = query.driver or call.driver  # `Model.collection`: the model's driver collection
                source.queries.append(query)
        if source.links is not None and source.links.made:
            source.queries.sort(key=lambda q: (q.location.line, q.location.col))
        for module, export, query in source.links.imported if source.links is not None else ():
            path = next((p for p in module_paths(module) if export in exported.get(p, {})), None)
            if path is not None:
                query.collection, query.model, _ = made(exported[path][export], (), (), query.collection)


def _reexported(sources: list[SourceFile], exported: dict[str, dict[str, Factory]]) -> dict[str, dict[str, Factory]]:
    """The models each module exports, with those it passes on from others (a barrel, `export * from
    "./players.model.js"`), followed through a few barrels of barrels."""
    passing = {s.path: s.links.reexported for s in sources if s.links is not None and s.links.reexported}
    for _ in range(3) if passing else ():
        grown = False
        for path, reexports in passing.items():
            own = exported.setdefault(path, {})
            for module, name, local in reexports:
                origin = next((exported[p] for p in module_paths(module) if p in exported), {})
                for export, factory in origin.items() if name == "*" else [(name, origin.get(name))]:
                    key = export if name == "*" else local
                    if factory is not None and key not in own and export != "default":
                        own[key] = factory
                        grown = True
        if not grown:
            break
    return exported


def _passed_factories(sources: list[SourceFile]) -> None:
    """What a JavaScript call passes for a slot when it is another module's factory called (`configure({ Orders })`
    after `const Orders = await OrdersCollection(db)`): the collection the factory opens, else nothing known."""
    factories = {s.path: s.links.factories for s in sources if s.links is not None and s.links.factories}

    def named(g):
        if not isinstance(g, Made):
            return g
        factory = _factory(factories, g) if not g.value else None
        collection = made(factory, g.given, g.texts, g.text)[0] if factory is not None else None
        return None if collection is None or run_time(collection) else collection

    for source in sources:
        slots = source.links.slots if source.links is not None else None
        if slots is None or not any(isinstance(g, Made) for p in slots.passed for g in _givens(p)):
            continue
        slots.passed = [
            replace(
                p,
                positional=tuple(named(g) for g in p.positional),
                keywords=tuple((k, named(g)) for k, g in p.keywords),
            )
            for p in slots.passed
        ]


def _factory(table: dict[str, dict[str, Factory]], call: Made) -> Factory | None:
    """The factory (or exported model) a call of another module's export is of, when that module has one so named."""
    path = next((p for p in module_paths(call.module) if p in table), None)
    return table[path].get(call.export) if path is not None else None


def _givens(p) -> list:
    return [*p.positional, *(g for _, g in p.keywords)]


def _builders(sources: list[SourceFile]) -> None:
    """Each SQL builder that a call reaching an execution call names (advisor.sources.js_sql_builders): its
    statements join its module's queries (once, and not where the module already reads the same string)."""
    builders = {s.path: s for s in sources if s.links is not None and s.links.builders}
    added: set[tuple[str, str]] = set()
    for source in sources:
        for call in source.links.built if source.links is not None else ():
            for owner in [builders[p] for p in call.modules if p in builders]:
                if call.name not in owner.links.builders or (owner.path, call.name) in added:
                    continue
                added.add((owner.path, call.name))
                known = {(q.location.line, q.location.col) for q in owner.queries if isinstance(q, SqlQuery)}
                new = [q for q in owner.links.builders[call.name] if (q.location.line, q.location.col) not in known]
                owner.queries += new
                owner.queries.sort(key=lambda q: (q.location.line, q.location.col))
