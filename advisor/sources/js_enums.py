"""Collections named by a member of a TypeScript enum or of a frozen object of names:

    export enum CollectionName { Users = 'users', Subscriptions = 'subscriptions' }   // db/schema.ts
    this.users = db.collection(CollectionName.Users)                                   // db/user.ts

The collection is `users`, whatever module the enum is imported from (We.Publish's MongoDB adapter names every
collection so). A member is a name only when every member of its enum (or of its `{ ... } as const` object) is a
string literal: an enum of numbers, computed members, or an object the code may change names nothing. A module
records the enums it declares (`Links.enums`), and the queries and indexes on `<Enum.Member>` (`Links.enumed`);
advisor.sources.links names them once every file is read.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from advisor.ir import IndexDef
from advisor.mongo.shape import MongoQuery
from advisor.sources.js_mongo_factories import import_of
from advisor.sources.js_syntax import JsFile, key_name, string_value, unwrap
from advisor.sources.links import rename_target

MEMBER = re.compile(r"<([A-Za-z_$][\w$]*)\.([A-Za-z_$][\w$]*)>")  # `<CollectionName.Users>`: named at run time


def declared_enums(f: JsFile) -> dict[str, dict[str, str]]:
    """The module's top-level enums and `as const` objects whose every member is a string literal, by name."""
    out: dict[str, dict[str, str]] = {}
    for st in f.root.named_children:
        node = st.child_by_field_name("declaration") if st.type == "export_statement" else st
        if node is None:
            continue
        if node.type == "enum_declaration":
            named = _enum_members(f, node.child_by_field_name("body"))
            name = node.child_by_field_name("name")
        elif node.type == "lexical_declaration" and f.src(node).startswith("const"):
            declarators = [c for c in node.named_children if c.type == "variable_declarator"]
            if len(declarators) != 1:
                continue
            name = declarators[0].child_by_field_name("name")
            named = _const_object(f, declarators[0].child_by_field_name("value"))
        else:
            continue
        if named and name is not None and name.type in ("identifier", "type_identifier"):
            out[f.src(name)] = named
    return out


def _enum_members(f: JsFile, body) -> dict[str, str] | None:
    out: dict[str, str] = {}
    for member in body.named_children if body is not None else ():
        if member.type == "comment":
            continue
        value = member.child_by_field_name("value") if member.type == "enum_assignment" else None
        text = string_value(f, value) if value is not None and value.type in ("string", "template_string") else None
        name = member.child_by_field_name("name") if member.type == "enum_assignment" else None
        if text is None or name is None:
            return None  # a number, a computed member, a member without a value: not an enum of names
        out[f.src(name).strip("'\"")] = text
    return out or None


def _const_object(f: JsFile, value) -> dict[str, str] | None:
    """`{ Users: 'users', ... } as const` (or `Object.freeze({...})`): an object of names nothing changes."""
    if value is None:
        return None
    if value.type == "as_expression" and f.src(value).rstrip().endswith("const"):
        obj = unwrap(value.named_children[0]) if value.named_children else None
    elif value.type == "call_expression" and f.src(value.child_by_field_name("function")) == "Object.freeze":
        args = value.child_by_field_name("arguments")
        obj = unwrap(args.named_children[0]) if args is not None and args.named_children else None
    else:
        return None
    if obj is None or obj.type != "object":
        return None
    out: dict[str, str] = {}
    for part in obj.named_children:
        if part.type == "comment":
            continue
        value_node = part.child_by_field_name("value") if part.type == "pair" else None
        text = string_value(f, value_node) if value_node is not None else None
        key = key_name(f, part.child_by_field_name("key")) if part.type == "pair" else None
        if text is None or key is None:
            return None
        out[key] = text
    return out or None


def enum_named(f: JsFile, targets: list[Any], own: dict[str, dict[str, str]]) -> list[tuple[str, str, str, Any]]:
    """Name the queries and indexes on `<Enum.Member>` of an enum this module declares (in place), and return the
    rest whose enum another module of the project exports, for advisor.sources.links: (module, export, member,
    target)."""
    pending = []
    for target in targets:
        m = MEMBER.fullmatch(named_by(target))
        if m is None:
            continue
        enum, member = m.groups()
        if enum in own:
            if member in own[enum]:
                rename_target(target, own[enum][member])
            continue
        source = import_of(f, enum)
        if source is not None:
            module = posixpath.normpath(posixpath.join(posixpath.dirname(f.path), source[0]))
            pending.append((module, source[1], member, target))
    return pending


def named_by(target: MongoQuery | IndexDef) -> str:
    """The collection a query or an index declaration is on, as the extractor named it."""
    return target.collection if isinstance(target, MongoQuery) else target.table
