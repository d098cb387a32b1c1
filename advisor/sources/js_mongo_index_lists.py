"""Index declarations kept as a list in JavaScript and applied in a loop:

    const indexes = [{ collection: 'outgoing', key: { clientId: 1 }, name: 'by_client' }, ...]
    const createIndex = (idx) => this.#cl[idx.collection].createIndex(idx.key, { name: idx.name })
    await Promise.all(indexes.map(createIndex))

(also `for (const idx of indexes) db.collection(idx.coll).createIndex(idx.keys, ...)`, `indexes.forEach(...)`).
Each element of the literal list is a declaration for the collection it names, read as advisor reads an
index manifest (advisor.mongo.manifest): its keys, and those of its fields the createIndex call's arguments
after the key read (`{ name: idx.name, unique: idx.unique }`; all of them when an argument is the element or
its `options` whole), or, for options passed by name, what builds them (`const o = { name: idx.name }`,
`if (idx.unique) { o.unique = true }`).  A read elsewhere in the loop (`log(idx.unique)`) is none, and the
field that names the collection (`idx.collection`, `idx.name`) is never an option.
"""

from __future__ import annotations

from advisor.ir import IndexDef
from advisor.mongo.manifest import manifest_indexes
from advisor.sources.js_mongo_maps import iterated_lists
from advisor.sources.js_names import collection_name, constant_string, property_value
from advisor.sources.js_receivers import held_member
from advisor.sources.js_syntax import FUNCTIONS, OPENERS, JsFile, arg_list, member_parts, read_value, unwrap

NAME_FIELDS = ("collection", "coll", "collectionName", "name")  # the element's field naming its collection
KEY_FIELDS = ("key", "keys", "fields", "spec")


def listed_indexes(f: JsFile, base, calls: list, i: int) -> list[IndexDef] | None:
    """The declarations of `createIndex(e.key, ...)` on the collection a list element `e` names, one per
    element of the literal list the loop walks; None when the call is not of that shape."""
    _, args, call = calls[i]
    arglist = arg_list(args)
    named = _named_by(f, base, calls[:i])
    keys = _field_of(f, arglist[0]) if arglist else None
    if named is None or keys is None or f.src(keys[0]) != f.src(named[0]) or keys[1] not in KEY_FIELDS:
        return None
    element, field, holder = named
    arrays = iterated_lists(f, element)
    if not arrays:
        return None
    read = _options_read(f, call, f.src(element), arglist[1:])
    entries: list = []
    spans: dict = {}
    for item in (c for array in arrays for c in array.named_children if c.type == "object"):
        value = read_value(f, item, (), {}, {"partial": False})
        collection = _collection(f, holder, property_value(f, item, field))
        if collection is None or not isinstance(value, dict) or keys[1] not in value:
            continue
        options = {k: v for k, v in value.items() if k != field and (read is None or k in read)}
        entries.append({**options, "collection": collection, "key": value[keys[1]]})
        spans[(len(entries) - 1,)] = f.loc(item)
    return manifest_indexes(entries, spans)


def _named_by(f: JsFile, base, before: list):
    """`H[e.collection]` or `db.collection(e.collection)`: (e, 'collection', H or None)."""
    base = unwrap(base)
    if not before and base is not None and base.type == "subscript_expression":
        got = _field_of(f, base.child_by_field_name("index"))
        return (got[0], got[1], unwrap(base.child_by_field_name("object"))) if got else None
    if len(before) == 1 and before[0][0] in OPENERS:
        target = arg_list(before[0][1])
        got = _field_of(f, target[0]) if len(target) == 1 else None
        return (got[0], got[1], None) if got and got[1] in NAME_FIELDS else None
    return None


def _field_of(f: JsFile, node):
    """`e.key`, `e['key']`: (the identifier e, 'key')."""
    node = unwrap(node)
    if node is None or node.type not in ("member_expression", "subscript_expression"):
        return None
    obj, prop = member_parts(f, node)
    obj = unwrap(obj)
    return (obj, prop) if prop and obj is not None and obj.type == "identifier" else None


def _collection(f: JsFile, holder, node) -> str | None:
    """The collection an element names: opened by that name (a constant, else the expression's name, as a
    query opening it is named: advisor.sources.js_names), or the member of the object on `this` it keys."""
    if node is None:
        return None
    if holder is None:
        return collection_name(f, node)
    name = constant_string(f, node, defaults=False)
    got = held_member(f, holder, name) if name is not None else None
    return got[0] if got is not None and got[1] is None and got[2] else None


def _options_read(f: JsFile, call, element: str, rest: list) -> set[str] | None:
    """The fields of the element the createIndex call's arguments after the key read (`idx.name`,
    `idx.unique`), and, for an options object passed by name, what builds it (its value, each assignment to
    it and the conditions of the `if`s above that); None (all) when an argument is the element or its `options`."""
    out: set[str] = set()
    for arg in rest:
        arg = unwrap(arg)
        text = f.src(arg)
        if text == element or text in (f"{element}.options", f"{element}.opts"):
            return None
        parts = [arg, *_built_by(f, call, text)] if arg.type == "identifier" else [arg]
        for part in parts:
            stack = [part]
            while stack:
                node = stack.pop()
                stack.extend(node.named_children)
                got = _field_of(f, node) if node.type in ("member_expression", "subscript_expression") else None
                if got is not None and f.src(got[0]) == element:
                    out.add(got[1])
    return out


def _built_by(f: JsFile, call, name: str) -> list:
    """In the function or loop around the call: the value `name` is declared with, the right side of each
    assignment to it or a member of it (`opts.unique = true`), and the conditions of the `if`s it is under."""
    scope = f.parent(call)
    while scope is not None and scope.type not in FUNCTIONS and scope.type != "for_in_statement":
        scope = f.parent(scope)
    out: list = []
    climbed: set[int] = {scope.id} if scope is not None else set()
    stack = [scope] if scope is not None else []
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type == "variable_declarator" and f.src(node.child_by_field_name("name")) == name:
            out.append(node.child_by_field_name("value"))
        elif node.type in ("assignment_expression", "augmented_assignment_expression"):
            root = node.child_by_field_name("left")
            while root is not None and root.type in ("member_expression", "subscript_expression"):
                root = root.child_by_field_name("object")
            if root is None or f.src(root) != name:
                continue
            out.append(node.child_by_field_name("right"))
            up = f.parent(node)
            while up is not None and up.id not in climbed:  # each node climbed once
                climbed.add(up.id)
                if up.type == "if_statement":
                    out.append(up.child_by_field_name("condition"))
                up = f.parent(up)
    return [n for n in out if n is not None]
