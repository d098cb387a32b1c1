"""Collections a framework registers by key, with their indexes declared as data:

    app.registerPlugin({ collections: { Accounts: { name: "Accounts", indexes: [[{ shopId: 1 }, { name: "s" }]] } } })
    ...
    const { Accounts } = context.collections;   // or context.collections.Accounts, or { collections: { Accounts } }
    Accounts.findOne({ userId });

(Reaction Commerce's plugins; the framework opens `db.collection(name)` for each key and creates each listed index
with `createIndex(...entry)`.) The declaration side is read as an index manifest (advisor.mongo.manifest) of the
`collections` object a call is given; the query side is any member of an object named `collections`, by its key,
a driver collection of that name (the framework's convention: each key is its collection's name).
"""

from __future__ import annotations

from advisor.ir import IndexDef
from advisor.mongo.manifest import manifest_indexes
from advisor.sources.js_syntax import (
    FUNCTIONS,
    JsFile,
    arg_list,
    callee_name,
    destructured_keys,
    key_name,
    member_parts,
    read_value,
    unwrap,
)

REGISTRY = "collections"  # the member a framework's context holds its collections in, by key


def registered_indexes(f: JsFile, calls: list) -> list[IndexDef]:
    """The indexes declared in a `collections: { Key: { name, indexes: [...] } }` object a call is given, or in a list
    of entries that each name their collection a framework's `createIndexes` is given (Bedrock's
    `database.createIndexes([{collection: NAME, fields: {...}, options: {...}}])`: the driver's own entries name none)."""
    if "indexes" not in f.text and "Indexes" not in f.text:
        return []
    out: list[IndexDef] = []
    for call in calls:
        listed = _listed_entries(f, call)
        if listed is not None:
            out += listed
            continue
        for arg in arg_list(call.child_by_field_name("arguments")):
            arg = unwrap(arg)
            registry = _pair_value(f, arg, REGISTRY) if arg is not None and arg.type == "object" else None
            if registry is None or registry.type != "object":
                continue
            spans: dict = {}
            value = read_value(f, registry, (REGISTRY,), spans, {"partial": False})
            if isinstance(value, dict):
                out += manifest_indexes({REGISTRY: value}, spans)
    return out


def _listed_entries(f: JsFile, call) -> list[IndexDef] | None:
    """`createIndexes([{collection, fields | key | keys, options}, ...])`, every entry naming its collection: read as an
    index manifest; None for any other call."""
    name, _ = callee_name(f, call)
    args = arg_list(call.child_by_field_name("arguments"))
    entries = unwrap(args[0]) if name == "createIndexes" and len(args) == 1 else None
    if entries is None or entries.type != "array" or not entries.named_children:
        return None
    spans: dict = {}
    value = read_value(f, entries, (), spans, {"partial": False})
    if not isinstance(value, list) or not all(
        isinstance(v, dict) and isinstance(v.get("collection"), str) for v in value
    ):
        return None
    return manifest_indexes(value, spans)


def _pair_value(f: JsFile, obj, key: str):
    for child in obj.named_children:
        if child.type == "pair" and key_name(f, child.child_by_field_name("key")) == key:
            return unwrap(child.child_by_field_name("value"))
    return None


def registry_member(f: JsFile, obj, prop: str) -> str | None:
    """`context.collections.Accounts`, `collections.Accounts`: the key, when `obj` is a registry."""
    obj = unwrap(obj)
    return prop if obj is not None and _last_name(f, obj) == REGISTRY else None


def registry_name(f: JsFile, ident) -> str | None:
    """The key a name destructured from a registry stands for: `const { Accounts } = context.collections`,
    `const { collections: { Groups } } = context`, a parameter `{ collections: { Orders } }`."""
    name = f.src(ident)
    node, found = ident, None
    while found is None and (node := node.parent) is not None:
        if node.type in FUNCTIONS:
            params = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
            found = _in_patterns(f, params, name, ident.start_byte, None)
        elif node.type in ("statement_block", "program", "switch_case"):
            found = _in_patterns(f, node, name, ident.start_byte, None)
    if found is None:
        return None
    keys, source = found
    chain = ([_last_name(f, source)] if source is not None else []) + keys
    return keys[-1] if len(chain) >= 2 and chain[-2] == REGISTRY else None


def _in_patterns(f: JsFile, holder, name: str, before: int, found):
    """The last destructuring in `holder` (a block's declarations, a parameter list) that binds `name`
    before `before`: (the keys down to it, the expression destructured or None for a parameter)."""
    for child in holder.named_children if holder is not None else ():
        if child.start_byte >= before:
            break
        if child.type in ("lexical_declaration", "variable_declaration"):
            for decl in (d for d in child.named_children if d.type == "variable_declarator"):
                pattern = decl.child_by_field_name("name")
                keys = (
                    destructured_keys(f, pattern, name)
                    if pattern is not None and pattern.type == "object_pattern"
                    else None
                )
                if keys:
                    found = keys, unwrap(decl.child_by_field_name("value"))
        else:
            pattern = child.child_by_field_name("pattern") if child.type == "required_parameter" else child
            keys = (
                destructured_keys(f, pattern, name)
                if pattern is not None and pattern.type == "object_pattern"
                else None
            )
            if keys:
                found = keys, None
    return found


def _last_name(f: JsFile, node) -> str | None:
    """`context.collections` -> collections; `collections` -> collections."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "identifier":
        return f.src(node)
    if node.type == "member_expression":
        return member_parts(f, node)[1]
    return None
