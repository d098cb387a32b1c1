"""The collection a pymongo call is made on: `db.users`, `db["users"]`, `self.jobs` (a member or a
property), what `self.get_collection()` returns, a variable or a parameter holding one."""

from __future__ import annotations

import ast
import re

from advisor.facts.safe_text import setting_read
from advisor.sources.links import TEMPLATE, instance_member, instance_parts
from advisor.sources.mongo_names import db_name, is_database, named_for_collection, run_time, run_time_name
from advisor.sources.pymongo_names import Names
from advisor.sources.pymongo_tables import spec_parts
from advisor.sources.python_classes import self_attr
from advisor.sources.python_parts import option_default


def database_method(node: ast.AST) -> str | None:
    """`self.get_db().alerts`, `self.get_db()["alerts"]`: the method that gives the database, when it
    is the project that must say it does (advisor.sources.links)."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "with_options":
        node = node.func.value
    db = node.value if isinstance(node, (ast.Attribute, ast.Subscript)) else None
    if isinstance(db, ast.Call) and self_attr(db.func) and not db.args and not db.keywords:
        return getattr(db.func, "attr", None)
    return None


def _reaching_values(use: ast.Name, names: Names) -> list[ast.expr]:
    """The values the assignments that can reach `use` in its function give it, when more than one does (each
    branch's: advisor.facts.reaching); none when one does, or the caller's parameter may."""
    from advisor.facts.ast_nodes import kept
    from advisor.facts.reaching import PARAMETER, reaching

    if names.assigned_here(use) < 2:
        return []  # one assignment in the function at most: the one `resolve` finds
    fn = names.functions.get(names.function.get(id(use), 0))
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    defs = reaching(fn).get(id(use), frozenset())
    if len(defs) < 2 or PARAMETER in defs:
        return []
    assigns = kept(fn, "assigns", lambda: {id(a): a.value for a in ast.walk(fn) if isinstance(a, ast.Assign)})
    return [assigns[d] for d in defs if d in assigns]


def receiver_collection(receiver: ast.AST, names: Names) -> str | None:
    """The collection a driver call is made on (collection_of); a variable the branches before the call give
    different collections (`collection = db.workers` in one, `db.jobs` in another) is either, by the run: one
    named at run time."""
    if isinstance(receiver, ast.Name):
        held = {collection_of(v, names, 1) for v in _reaching_values(receiver, names)} - {None}
        if len(held) > 1:
            return run_time_name(receiver.id)
    return collection_of(receiver, names)


def _keyed(key: ast.AST, names: Names, depth: int) -> str | None:
    """The collection `db[key]` names: a literal (or a name holding one), else named at run time."""
    written = key
    if isinstance(key, ast.Name) and depth < 4:
        key = names.resolve(key) or key
    if isinstance(key, ast.Constant) and key.value is not None:
        return key.value if isinstance(key.value, str) else None
    default = (
        setting_read(key, names.tree) if isinstance(key, ast.Call) and isinstance(names.tree, ast.Module) else None
    )
    if isinstance(default, ast.Constant) and isinstance(default.value, str) and default.value:
        # `ITEMS = os.getenv("STAC_ITEMS_INDEX", "items")`: a setting with its default, the one name every use of the
        # constant gives (its queries and its indexes meet under it, whatever the operator sets)
        return default.value
    optional = option_default(key) if isinstance(key, ast.expr) else None  # `db[kwargs.get("name", "tasks")]`
    if optional:
        return optional
    if isinstance(key, ast.Attribute) and isinstance(key.value, ast.Name) and key.value.id != "self":
        typed = names.annotation(key.value) if names.resolve(key.value) is None else None
        if typed is not None:  # db[config.users] with `config: Settings`: the class's field, whatever object is passed
            return run_time_name(f"{typed}.{key.attr}")  # (advisor.sources.python_settings: its default, for settings)
    # db[datasource]: named at run time; db[self.name]: `<self.name>`, which the class using it names
    # (advisor.sources.links.settle: a subclass may give it another value)
    return run_time_name(ast.unparse(written))


def _getattr_call(node: ast.Call) -> bool:
    """`getattr(db, name)` (or with a default): the attribute `name` of `db`, which for a database is `db[name]`."""
    return (
        isinstance(node.func, ast.Name) and node.func.id == "getattr" and len(node.args) in (2, 3) and not node.keywords
    )


def collection_of(node: ast.AST, names: Names, depth: int = 0) -> str | None:
    if isinstance(node, ast.Subscript) and depth < 4:
        partitioned = _partition(names.member(node.value) if isinstance(node.value, ast.Attribute) else None)
        if partitioned is not None:
            return partitioned
        kept = _kept_by_name(node, names, depth)
        if kept is not None:
            return kept
    # `conn.conn[dbname][collection]`: a connection's database's collection, in a module that imports a MongoDB driver
    twice = (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Subscript)
        and _connection(node.value.value)
        and names.imports_mongo
    )
    if isinstance(node, ast.Subscript) and (twice or holds_database(node.value, names, depth) or database_method(node)):
        return _keyed(node.slice, names, depth)
    if isinstance(node, ast.Call) and _getattr_call(node) and holds_database(node.args[0], names, depth):
        return _keyed(node.args[1], names, depth)  # getattr(db, name): db[name]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and depth < 4:
        if node.func.attr == "with_options":  # the same collection with other options (a smaller node: no step)
            return collection_of(node.func.value, names, depth)
    if isinstance(node, ast.Call) and depth < 4:
        for passed in [*node.args, *(k.value for k in node.keywords)]:  # open(CollectionSpec(name="jobs", ...))
            spec = spec_parts(names.resolve(passed) or passed if isinstance(passed, ast.Name) else passed, names.value)
            if spec is not None:
                return spec[0]
        returned = names.returned(node)
        if returned:  # self.get_collection(...), get_collection(...): a method or function here giving one
            got = _one_of(returned, ast.unparse(node), names, depth)
            # the project's own get_collection('conf') whose returns name no collection (a cache looked up by the
            # name, `self.cols[name][mode]`): the name it is given
            return got if got is not None and not run_time(got) else (_named_by_argument(node) or got)
    if isinstance(node, ast.IfExp) and depth < 4:  # `self.db[target] if target else self.collection`
        return _one_of([node.body, node.orelse], ast.unparse(node), names, depth)
    if isinstance(node, ast.Await) and depth < 4:  # `await self.get_collection()`
        return collection_of(node.value, names, depth + 1)
    if isinstance(node, ast.Attribute) and names.on_self(node):  # self.messages: a property or attribute
        held = names.member(node)
        if held is not None and depth < 4:
            name = collection_of(held, names, depth + 1)
            owner = names.held_per_instance(held) if name is not None and run_time(name) else None
            return f"{owner.name}.{node.attr}" if owner is not None else name
        # `self.col_t1`, `self.coll_jobs`: named for its collection, in a module of a MongoDB driver (a
        # `self.col_name.find('.')` elsewhere is a string's)
        holder = names.imports_mongo and re.fullmatch(r"_*(collection|coll|col)_\w+", node.attr, re.IGNORECASE)
        if named_for_collection(node.attr) or holder:
            return f"self.{node.attr}"
        cls = names.classes.class_of(node)
        if cls is not None and names.imports_mongo and names.project_bases(cls):
            # `self._job_store.find()`, the member set by a base class of another module: what that class holds in
            # it, kept only when it holds one collection there (advisor.sources.links; a dict's `update` is no query)
            return instance_member(cls.name, node.attr)
        return None
    made = names.instance_of(node.value) if isinstance(node, ast.Attribute) and depth < 4 else None
    held = names.classes.members.get(id(made), {}).get(node.attr) if isinstance(node, ast.Attribute) else None
    if made is not None and held is not None:  # jobs.jobs.find() with `jobs = Jobs.alloc(...)`: that class's member
        name = collection_of(held, names, depth + 1)
        owner = names.held_per_instance(held) if name is not None and run_time(name) else None
        return f"{owner.name}.{getattr(node, 'attr', '')}" if owner is not None else name
    if isinstance(node, ast.Attribute) and _held_collection(node, names) and not is_database(node.value):
        # cursor.collection: the collection a cursor reads; store._collection: the one a store object keeps
        return run_time_name(ast.unparse(node))
    if isinstance(node, ast.Attribute) and _client_only(node.value, names, depth):
        return None  # `self.client.references`: a client's attribute is a database, not a collection
    if isinstance(node, ast.Attribute):
        if holds_database(node.value, names, depth) or database_method(node):
            if node.attr.startswith("_"):  # pymongo gives no collection for `db._x` (AttributeError): a private
                return run_time_name(ast.unparse(node))  # member (`gfs._GridFS__files`) holding one advisor cannot name
            server = server_database(node.value, names)
            return f"{server}.{node.attr}" if server else node.attr  # config.collections: the server's own
        found = _sub_collection(node, names, depth)
        instance = names.project_instance(node.value) if found is None and names.on_self(node.value) else None
        # self.cols.jobs, `self.cols` an instance of a class another module defines: what its `jobs` holds, there
        return instance_member(instance, node.attr) if instance else found
    if _named_by_argument(node) is not None:  # a Database's, returning the Collection
        return _named_by_argument(node)
    if (  # db.get_collection(name): db[name]
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get_collection"
        and len(node.args) == 1
        and holds_database(node.func.value, names, depth)
    ):
        return _keyed(node.args[0], names, depth)
    if _opened_by_name(node) is not None and names.imports_mongo:
        return _opened_by_name(node)
    callee = node.func.attr if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else ""
    callee = node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else callee
    if re.fullmatch(r"\w+_collection", callee) and names.imports_mongo:
        return run_time_name(ast.unparse(node))  # lib.get_top_level_collection(): one the module cannot name
    if isinstance(node, ast.Name) and node.id == "self" and id(node) in names.collection_class:
        return run_time_name("self")  # a Collection subclass calling its own find_one
    if isinstance(node, ast.Name):
        resolved = (names.resolve(node) or names.item(node)) if depth < 4 else None
        if resolved is not None:
            return collection_of(resolved, names, depth + 1)
        given = names.arguments(node) if depth < 4 else []
        named = [collection_of(arg, names, depth + 1) for arg in given]
        if any(named):  # a parameter the module's calls pass a collection for: that one, else one per call
            return named[0] if len(set(named)) == 1 and not run_time(str(named[0])) else run_time_name(node.id)
        guessed = named_by_its_name(node.id)
        if guessed:
            return guessed
        if node.id in ("collection", "coll") and not given and names.imports_mongo:
            if node.id in names.parameters.get(id(node), ()):  # def _ensure_index(collection): the caller's
                return run_time_name(node.id)
    return None


def _held_collection(node: ast.Attribute, names: Names) -> bool:
    """An attribute that holds a collection by its name: `collection`, or in a module of a MongoDB driver a private
    `_collection` (a store object's, `self.queue_store._collection`: maggma's MongoStore keeps its pymongo one so)."""
    return node.attr == "collection" or names.imports_mongo and re.fullmatch(r"_+collection", node.attr) is not None


def _client_only(node: ast.AST, names: Names, depth: int) -> bool:
    """Named as a client and as nothing else (`self.client`, `_client`, not `mongo_client` or `client_db`), and
    not a member the module assigns a database (kombu's `client` property returning one): pymongo's client
    gives a database for an attribute, so `client.references.remove(x)` (maubot's plugin set) or
    `self._client.headers.update(...)` (a requests session, fiftyone's Label Studio API) is no collection's."""
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    if "client" not in name.lower() or "mongo" in name.lower() or db_name(name):
        return False
    held = (
        names.member(node)
        if isinstance(node, ast.Attribute)
        else names.resolve(node)
        if isinstance(node, ast.Name)
        else None
    )
    return held is None or not holds_database(held, names, depth + 1)


def _kept_by_name(node: ast.Subscript, names: Names, depth: int) -> str | None:
    """`self._collections["stock"]` with `self._collections = {"stock": db.get_collection("stock"), ...}` (a dict
    of collections on `self`, also `{...} | {...}` and a comprehension): the entry the key names; a key known
    only at run time (`self._cols[name]`), a collection named at run time when the entries are collections."""
    held = names.member(node.value) if isinstance(node.value, ast.Attribute) and names.on_self(node.value) else None
    parts: list[ast.Dict | ast.DictComp] = []
    todo: list[ast.AST] = [held] if held is not None else []
    while todo:
        part = todo.pop()
        if isinstance(part, ast.BinOp) and isinstance(part.op, ast.BitOr):
            todo += [part.left, part.right]
        elif isinstance(part, (ast.Dict, ast.DictComp)):
            parts.append(part)
        else:
            return None  # not all of it a dict the class writes
    if not parts:
        return None
    key = node.slice
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        for part in parts:
            if isinstance(part, ast.Dict):
                for k, v in zip(part.keys, part.values, strict=True):
                    if isinstance(k, ast.Constant) and k.value == key.value:
                        return collection_of(v, names, depth + 1)
    values = [v for p in parts for v in (p.values if isinstance(p, ast.Dict) else [p.value])]
    if values and all(collection_of(v, names, depth + 1) is not None for v in values):
        return run_time_name(ast.unparse(node))
    return None


def _named_by_argument(node: ast.AST) -> str | None:
    """`x.get_collection('conf')`, `x.create_collection('conf')`: the collection its first argument names."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("get_collection", "create_collection")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return str(node.args[0].value)
    return None


def _connection(node: ast.AST) -> bool:
    """A name for a client or connection: `conn`, `self.connection`, `mongo_client` (not `config`, `settings`)."""
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return bool(re.fullmatch(r"_*(conn|connection|client|mongo\w*|\w+_(conn|connection|client))", name, re.IGNORECASE))


def _opened_by_name(node: ast.AST) -> str | None:
    """`conn.collection('transactions')` in a module that imports a MongoDB driver: no method of pymongo's, the
    JavaScript driver's name for opening a collection, which a project's connection class gives its own (bigchaindb's
    `LocalMongoDBConnection.collection(name)`, a proxy replaying `client[db][name]`): the collection it names."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "collection"
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0].value
    return None


def _partition(held: ast.AST | None) -> str | None:
    """`self._collections = [db.messages for db in self.driver.message_databases]`, read as
    `self._collections[i]`: the collection every partition database holds (zaqar's messages)."""
    if not isinstance(held, ast.ListComp) or len(held.generators) != 1:
        return None
    target, elt, source = held.generators[0].target, held.elt, held.generators[0].iter
    plural = getattr(source, "attr", getattr(source, "id", ""))
    if not (isinstance(target, ast.Name) and isinstance(elt, ast.Attribute) and isinstance(elt.value, ast.Name)):
        return None
    named = plural.endswith("s") and is_database(ast.Name(id=plural[:-1]))
    return elt.attr if named and elt.value.id == target.id else None


def _one_of(values: list[ast.expr], text: str, names: Names, depth: int) -> str | None:
    """The collection an expression with several possible values holds (a method's returns, the two sides
    of `a if c else b`): the one every value names, or, when they name different ones, a collection named
    at run time (`<text>`); None when a value is no collection (`None` aside: no collection at all)."""
    got = [collection_of(v, names, depth + 1) for v in values if not (isinstance(v, ast.Constant) and v.value is None)]
    if not got or None in got:
        return None
    return got[0] if len(set(got)) == 1 else run_time_name(text)


SERVER_DATABASES = {"admin", "config", "local"}
# a pymongo Collection's own attributes: anything else (not starting with "_") is a sub-collection
COLLECTION_ATTRIBUTES = {
    "name",
    "full_name",
    "database",
    "codec_options",
    "read_preference",
    "write_concern",
    "read_concern",
}


def holds_database(node: ast.AST, names: Names, depth: int = 0) -> bool:
    """Whether an expression is a pymongo Database: by its name (advisor.sources.mongo_names), a
    collection's `.database`, an attribute of a client (`db.client.config`, `conn.config` after `conn =
    db.connection`), or a variable holding one."""
    if is_database(node):
        return True
    if depth > 4:
        return False
    if isinstance(node, ast.Name):
        value = names.resolve(node)
        if value is not None:
            return holds_database(value, names, depth + 1)
        given = names.arguments(node)  # a parameter every call of this module passes a Database for
        return bool(given) and all(holds_database(arg, names, depth + 1) for arg in given)
    held = names.member(node) if isinstance(node, ast.Attribute) else None
    if held is not None and holds_database(held, names, depth + 1):
        return True  # self._database = database: a member assigned a Database, whatever its name
    if isinstance(node, ast.Attribute) and node.attr == "database":
        return collection_of(node.value, names, depth + 1) is not None
    if isinstance(node, (ast.Attribute, ast.Subscript)):
        return _client(node.value, names, depth + 1)
    return False


def server_database(node: ast.AST, names: Names) -> str | None:
    """`client.config`, `conn.admin`, `client.local`: a database the server keeps for itself (sharding
    metadata, users, the oplog); its collections' indexes and sizes are the server's, never declared in
    the code, so a query on them is a sketch (advisor.sources.pymongo_calls)."""
    if not isinstance(node, ast.Attribute) or node.attr not in SERVER_DATABASES:
        return None
    owner = node.value.id if isinstance(node.value, ast.Name) else getattr(node.value, "attr", "")
    client = re.search(r"client|conn", owner, re.IGNORECASE) or _client(node.value, names, 0)
    return node.attr if client else None  # db.config: a collection named config


def server_owned(receiver: ast.AST, names: Names) -> bool:
    """Whether a collection is in one of the server's own databases (`conn.config.collections`,
    `client.admin.system.users`)."""
    node = receiver
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if server_database(node, names):
            return True
        node = node.value
    return False


def _client(node: ast.AST, names: Names, depth: int) -> bool:
    """A MongoClient: a database's `.client` (`.connection` in pymongo 2), or a variable holding one."""
    if isinstance(node, ast.Name) and depth <= 4:
        value = names.resolve(node)
        return value is not None and _client(value, names, depth + 1)
    return (
        isinstance(node, ast.Attribute)
        and node.attr in ("client", "connection")
        and holds_database(node.value, names, depth)
    )


def _sub_collection(node: ast.Attribute, names: Names, depth: int) -> str | None:
    """`coll.versions`: pymongo's sub-collection "<coll's name>.versions". Under a collection named at run
    time and held on an instance (`self._collection = lib.get_top_level_collection()`), it is that member's:
    `<Store._collection>.versions`, one name for what the class's methods query and declare on it whatever
    the deployment calls the parent (as advisor.sources.pymongo_names.Names.held_per_instance); reached any
    other way, it is named at run time too."""
    if node.attr.startswith("_") or node.attr in COLLECTION_ATTRIBUTES or depth >= 4:
        return None
    parent = collection_of(node.value, names, depth)  # a smaller node: no step of the bound
    if parent is None or instance_parts(parent) is not None:
        return None  # a member another module's class may hold a collection in: the project says, not this file
    if not run_time(parent) or TEMPLATE.fullmatch(parent):  # db[self.name].files: settled with its parent
        return f"{parent}.{node.attr}"
    member = _held_member(node.value, names, depth)
    held = names.member(member) if member is not None else None
    cls = names.classes.class_of(held) if held is not None else None
    if cls is not None and member is not None:
        return f"<{cls.name}.{member.attr}>.{node.attr}"
    return run_time_name(ast.unparse(node))


def _held_member(node: ast.AST, names: Names, depth: int) -> ast.Attribute | None:
    """The `self.<member>` an expression is (`collection` after `collection = self._collection`)."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "with_options":
        node = node.func.value
    if isinstance(node, ast.Name) and depth < 4:
        value = names.resolve(node)
        return _held_member(value, names, depth + 1) if value is not None else None
    return node if isinstance(node, ast.Attribute) and names.member(node) is not None else None


def named_by_its_name(name: str) -> str | None:
    """The collection a name says it holds (`jobs_collection`, `data_coll`: "jobs", "data"): advisor's reading of
    a name, which the callers of a parameter so named may settle otherwise (pymongo_calls._guessed_slot)."""
    m = re.fullmatch(r"(\w+?)_?(collection|coll)", name)
    return m.group(1) if m else None
