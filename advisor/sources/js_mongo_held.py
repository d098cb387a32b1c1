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
    """`Class.prop` when `use` (a `this.prop`) is in a class that keeps a constructor parameter in
    `this.prop` and uses it only as a driver collection; None otherwise."""
    return _of_class(f, use, prop, _held)


def held_name(f: JsFile, use, prop: str) -> str | None:
    """`Class.prop` when `use` (a `this.prop`) names a collection with what the class's constructor, and only it,
    sets once (`this.logsCollectionName = `${prefix}_logs_v2``): one name per instance, whatever the run fills in,
    so the class's queries and index declarations written with it meet on it. None otherwise (set in a method
    too, or twice: not known to be one name)."""
    return _of_class(f, use, prop, _set_once)


def _of_class(f: JsFile, use, prop: str, members: Callable[[JsFile, Any], set[str]]) -> str | None:
    """`Class.prop` when the named class around `use` has `prop` among `members` (read once per class)."""
    cls = f.parent(use)
    while cls is not None and cls.type not in CLASSES:
        cls = f.parent(cls)
    name = _class_name(f, cls) if cls is not None else None
    if cls is None or name is None:
        return None
    key = (members.__name__, cls.id)
    if key not in f.memo:
        f.memo[key] = members(f, cls)
    return f"{name}.{prop}" if prop in f.memo[key] else None


def _set_once(f: JsFile, cls) -> set[str]:
    """The members only the class's constructor sets, once."""
    body = cls.child_by_field_name("body")
    ctor = _constructor(f, body)
    members = _members(f, body, ctor) if ctor is not None else {}
    return {p for p, m in members.items() if len(m.assigned) == 1 and m.assigned[0][1]}


def _constructor(f: JsFile, body):
    return next(
        (
            m
            for m in (body.named_children if body is not None else ())
            if m.type == "method_definition" and f.src(m.child_by_field_name("name")) == "constructor"
        ),
        None,
    )


def _class_name(f: JsFile, cls) -> str | None:
    """`class X`, or `const X = class { ... }`."""
    named = cls.child_by_field_name("name")
    if named is None and cls.parent is not None and cls.parent.type == "variable_declarator":
        named = cls.parent.child_by_field_name("name")
    return f.src(named) if named is not None and named.type in ("identifier", "type_identifier") else None


def _held(f: JsFile, cls) -> set[str]:
    """The members of a class that hold a driver collection its constructor is given."""
    body = cls.child_by_field_name("body")
    ctor = _constructor(f, body)
    if ctor is None:
        return set()
    params = bound_names(f, ctor)
    members = _members(f, body, ctor)
    for p in parameter_list(ctor):  # TypeScript `constructor(private readonly col: Collection<T>)`
        pattern = p.child_by_field_name("pattern")
        if any(c.type == "accessibility_modifier" for c in p.children) and pattern is not None:
            members.setdefault(f.src(pattern), _Member()).assigned.append((pattern, True))
    return {prop for prop, m in members.items() if _given(f, m, params) and _used_as_collection(m)}


def _given(f: JsFile, m: _Member, params: set[str]) -> bool:
    """Assigned only in the constructor, only from one of its parameters."""
    if not m.assigned or not all(in_ctor and v is not None and v.type == "identifier" for v, in_ctor in m.assigned):
        return False
    values = {f.src(v) for v, _ in m.assigned}
    return len(values) == 1 and values <= params


def _used_as_collection(m: _Member) -> bool:
    return (
        bool(m.called & ONLY_COLLECTION)
        and m.called <= COLLECTION_METHODS
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
