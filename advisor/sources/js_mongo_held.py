"""A driver collection a class is given: `constructor(mongodb, options) { this.mongodb = mongodb; }`, then
`this.mongodb.findOne(...)`, `this.mongodb.createIndexes([...])` in its methods (a storage class whose host
opens the collection and names it).

The member's name says nothing (`mongodb`, `store`, `col`), so the class's own calls on it decide: every
method called on it is a Collection's, and one of them only a Collection has (`countDocuments`,
`updateOne`, `createIndexes`, ...: not an array's `find`, a Db's `collection()`, a Sequelize model's
`findAll`, a TypeORM repository's `save`). Each instance holds the one collection its caller gives, so
its queries and index declarations meet under `Class.member`, the class that assigns it (as
advisor.sources.pymongo_names.held_per_instance names a Python one), and another class's member of the
same name is another collection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from advisor.sources.js_syntax import JsFile, bound_names, is_this, parameter_list, unwrap

# a Collection's methods (the 2.x-6.x drivers'), and the part of them nothing else in this position has
COLLECTION_METHODS = frozenset(
    "find findOne findOneAndUpdate findOneAndReplace findOneAndDelete findAndModify countDocuments"
    " estimatedDocumentCount count distinct aggregate insertOne insertMany insert updateOne updateMany update"
    " replaceOne deleteOne deleteMany remove bulkWrite createIndex createIndexes ensureIndex dropIndex"
    " dropIndexes indexes listIndexes indexExists indexInformation initializeOrderedBulkOp"
    " initializeUnorderedBulkOp watch drop rename isCapped options stats mapReduce".split()
)
# a mongoose Model's own statics: a member the class only queries through (`this.jobModel.exists(...)`) beside a
# Collection's methods is a model it is given
MODEL_METHODS = frozenset("exists create findById findByIdAndUpdate findByIdAndDelete where".split())
ONLY_COLLECTION = frozenset(
    "countDocuments estimatedDocumentCount insertOne insertMany updateOne updateMany replaceOne deleteOne"
    " deleteMany findOneAndUpdate findOneAndReplace findOneAndDelete bulkWrite createIndexes"
    " initializeOrderedBulkOp initializeUnorderedBulkOp".split()
)
COLLECTION_FIELDS = frozenset({"collectionName", "namespace", "dbName", "readConcern", "writeConcern", "hint"})
CLASSES = ("class_declaration", "class", "abstract_class_declaration")


@dataclass
class _Member:
    assigned: list = field(default_factory=list)  # (assignment's right side, in the constructor?)
    called: set[str] = field(default_factory=set)  # `this.m.find(...)`: find
    read: set[str] = field(default_factory=set)  # `this.m.length`: length


def held_collection(f: JsFile, use, prop: str) -> str | None:
    """`Class.prop` when `use` (a `this.prop`) is in a class that keeps what its constructor is given in
    `this.prop` and uses it only as a driver collection or a model; None otherwise."""
    found = _of_class(f, use, _held)
    return f"{found[0]}.{prop}" if found is not None and prop in found[1] else None


def constructor_slot(f: JsFile, use, prop: str) -> tuple[str, str, int] | None:
    """(class, parameter, position) of what the constructor was given for `this.prop`, a collection
    `held_collection` names: a parameter, by its place among the arguments, or a key of the object the constructor
    takes first (`this.jobModel = options.jobModel`), by its name (-1). The project's `new Class(...)` calls say
    which collection it is (advisor.sources.pymongo_slots.settle_slots)."""
    found = _of_class(f, use, _held)
    return (found[0], *found[1][prop]) if found is not None and prop in found[1] else None


def held_name(f: JsFile, use, prop: str) -> str | None:
    """`Class.prop` when `use` (a `this.prop`) names a collection with what the class's constructor, and only it,
    sets once (`this.logsCollectionName = `${prefix}_logs_v2``): one name per instance, whatever the run fills in,
    so the class's queries and index declarations written with it meet on it. None otherwise (set in a method
    too, or twice: not known to be one name)."""
    found = _of_class(f, use, _set_once)
    return f"{found[0]}.{prop}" if found is not None and prop in found[1] else None


def _of_class(f: JsFile, use, members: Callable[[JsFile, Any], Any]) -> tuple[str, Any] | None:
    """(name, `members` of it) for the named class around `use` (read once per class)."""
    cls = f.parent(use)
    while cls is not None and cls.type not in CLASSES:
        cls = f.parent(cls)
    name = class_name(f, cls) if cls is not None else None
    if cls is None or name is None:
        return None
    key = (members.__name__, cls.id)
    if key not in f.memo:
        f.memo[key] = members(f, cls)
    return name, f.memo[key]


def _set_once(f: JsFile, cls) -> set[str]:
    """The members only the class's constructor sets, once."""
    body = cls.child_by_field_name("body")
    ctor = constructor_of(f, body)
    members = _members(f, body, ctor) if ctor is not None else {}
    return {p for p, m in members.items() if len(m.assigned) == 1 and m.assigned[0][1]}


def constructor_of(f: JsFile, body):
    return next(
        (
            m
            for m in (body.named_children if body is not None else ())
            if m.type == "method_definition" and f.src(m.child_by_field_name("name")) == "constructor"
        ),
        None,
    )


def class_name(f: JsFile, cls) -> str | None:
    """`class X`, or `const X = class { ... }`."""
    named = cls.child_by_field_name("name")
    if named is None and cls.parent is not None and cls.parent.type == "variable_declarator":
        named = cls.parent.child_by_field_name("name")
    return f.src(named) if named is not None and named.type in ("identifier", "type_identifier") else None


def _held(f: JsFile, cls) -> dict[str, tuple[str, int]]:
    """The members of a class that hold a driver collection (or a model) its constructor is given, each with the
    constructor's parameter and position it comes from (a key of the first parameter's object: -1)."""
    body = cls.child_by_field_name("body")
    ctor = constructor_of(f, body)
    if ctor is None:
        return {}
    params = [_param_name(f, p) for p in parameter_list(ctor)]
    bound = bound_names(f, ctor)  # a destructured `{ collection }` too: the key of the object it takes
    members = _members(f, body, ctor)
    for p in parameter_list(ctor):  # TypeScript `constructor(private readonly col: Collection<T>)`
        pattern = p.child_by_field_name("pattern")
        if any(c.type == "accessibility_modifier" for c in p.children) and pattern is not None:
            members.setdefault(f.src(pattern), _Member()).assigned.append((pattern, True))
    out = {}
    for prop, m in members.items():
        given = _given(f, m, params, bound)
        if given is not None and _used_as_collection(m):
            out[prop] = given
    return out


def _param_name(f: JsFile, p) -> str | None:
    node = p.child_by_field_name("pattern") if p.type in ("required_parameter", "optional_parameter") else p
    if node is not None and node.type == "assignment_pattern":
        node = node.child_by_field_name("left")
    return f.src(node) if node is not None and node.type == "identifier" else None


def _given(f: JsFile, m: _Member, params: list[str | None], bound: set[str]) -> tuple[str, int] | None:
    """(parameter, position) when the member is assigned only in the constructor, only from one of its parameters,
    or from one key of the object it takes first (`options.jobModel`, a destructured `{ jobModel }`: the key, -1)."""
    if not m.assigned or not all(in_ctor and v is not None for v, in_ctor in m.assigned):
        return None
    values = {f.src(v) for v, _ in m.assigned}
    if len(values) != 1:
        return None
    v = m.assigned[0][0]
    if v.type == "identifier" and f.src(v) in params:
        return f.src(v), params.index(f.src(v))
    if v.type == "identifier" and f.src(v) in bound:
        return f.src(v), -1
    obj, key = (
        (unwrap(v.child_by_field_name("object")), v.child_by_field_name("property"))
        if v.type == "member_expression"
        else (None, None)
    )
    if obj is not None and key is not None and params[:1] == [f.src(obj)] and obj.type == "identifier":
        return f.src(key), -1
    return None


def _used_as_collection(m: _Member) -> bool:
    return (
        bool(m.called & ONLY_COLLECTION)
        and m.called <= COLLECTION_METHODS | MODEL_METHODS
        and m.read <= COLLECTION_FIELDS | COLLECTION_METHODS
    )


def _members(f: JsFile, body, ctor) -> dict[str, _Member]:
    """Every `this.m` of the class body (not of a class nested in it), read in one walk."""
    members: dict[str, _Member] = {}
    stack = list(body.named_children)
    while stack:
        node = stack.pop()
        if node.type in CLASSES:
            continue
        stack.extend(node.named_children)
        if node.type != "member_expression":
            continue
        obj = unwrap(node.child_by_field_name("object"))
        prop = node.child_by_field_name("property")
        if obj is None or prop is None or not is_this(f, obj):
            continue
        m = members.setdefault(f.src(prop), _Member())
        parent = f.parent(node)
        while parent is not None and parent.type in ("parenthesized_expression", "non_null_expression"):
            parent = f.parent(parent)
        if parent is None:
            continue
        if parent.type == "assignment_expression" and parent.child_by_field_name("left") == node:
            in_ctor = ctor.start_byte <= parent.start_byte < ctor.end_byte
            m.assigned.append((unwrap(parent.child_by_field_name("right")), in_ctor))
        elif parent.type in ("augmented_assignment_expression", "update_expression", "subscript_expression"):
            m.read.add("")  # `this.m += 1`, `this.m[i]`: not a collection
        elif parent.type == "member_expression" and parent.child_by_field_name("object") is not None:
            attr = f.src(parent.child_by_field_name("property"))
            call = f.parent(parent)
            if call is not None and call.type == "call_expression" and call.child_by_field_name("function") == parent:
                m.called.add(attr)
            else:
                m.read.add(attr)
    return members
