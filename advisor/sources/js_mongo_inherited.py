"""A collection a base class opens for its subclasses, by a name each of them passes (the repository pattern):

    class MongoDbStore {
      constructor (private serverUrl: string, private collectionName: string) {}
      async initialize () { this.collection = db.collection(this.collectionName); }
    }
    class MongoDbOperationStore extends MongoDbStore {
      static readonly collectionName = 'operations';
      constructor (url: string) { super(url, MongoDbOperationStore.collectionName); }
      get (id: string) { return this.collection.find({ didSuffix: id }); }
    }

Each file says what it can, and advisor.sources.links joins the classes of the project as it joins Python's: the
base which member it opens a collection in, and from which member's name (`Held(MongoDbStore, "collection",
"<self.collectionName>")`), and which constructor parameter keeps which member; a subclass its base, what its
`super(...)` passes, and its queries and index declarations on `this.<member>` (`Links.members`). So a subclass's
queries meet its own declarations on `operations`, and never another subclass's; a query of the base class itself
runs on every subclass's collection: named at run time. Plain tree-sitter over the file (advisor.sources.js_syntax).
"""

from __future__ import annotations

import posixpath
import re

from advisor.ir import SourceFile
from advisor.sources.js_enums import named_by
from advisor.sources.js_mongo_held import CLASSES, class_name, constructor_of
from advisor.sources.js_sql_text import static_text
from advisor.sources.js_syntax import (
    JsFile,
    arg_list,
    is_this,
    member_parts,
    parameter_list,
    required,
    string_value,
    unwrap,
)
from advisor.sources.links import OTHER, Held, links_of

OPENERS = ("collection", "createCollection")  # a Db's methods that give the collection of the name passed
_THIS_MEMBER = re.compile(r"this\.(\w+)")  # the name js_receivers gives a member it could not name
_OPENS = re.compile(r"\.(?:collection|createCollection)\s*\(\s*this\.")  # `db.collection(this.collectionName)`


def inherited(f: JsFile, result: SourceFile) -> None:
    """Record the file's classes for advisor.sources.links: bases, what their constructors keep and pass on, the
    collections they open from a member's name, and the queries and declarations a subclass makes on a member."""
    if "extends" not in f.text and not _OPENS.search(f.text):
        return  # no class extends another, none opens a collection by a member's name: nothing to join
    opens = _OPENS.search(f.text) is not None
    spans: list[tuple[int, int, str]] = []  # (first line, last line, class) of the classes that extend another
    for cls in _classes(f):
        name = class_name(f, cls)
        if name is None:
            continue
        links = None
        base = _base(f, cls)
        if base is not None:
            links = links_of(result)
            links.bases[name] = (base,)
            spans.append((cls.start_point[0] + 1, cls.end_point[0] + 1, name))
        body = cls.child_by_field_name("body")
        ctor = constructor_of(f, body)
        kept = _kept(f, ctor) if ctor is not None else {}
        passed = _super_arguments(f, ctor, name) if ctor is not None and base is not None else None
        opened = _opened(f, body, name) if body is not None and opens else []
        if kept or passed is not None or opened:
            links = links or links_of(result)
            links.kept[name] = kept
            for member in kept.values():  # a parameter's value: the caller's
                links.attributes.setdefault((name, member), set()).add(OTHER)
            if passed is not None:
                links.passed[name] = passed
            links.held += opened
    if not spans:
        return
    links = links_of(result)
    for target in [*result.queries, *result.indexes]:
        m = _THIS_MEMBER.fullmatch(named_by(target))
        line = target.location.line if target.location is not None else 0
        around = [s for s in spans if s[0] <= line <= s[1]]
        if m and around:  # the innermost class: its own instance's member
            links.members.append((max(around)[2], m[1], target))


def _classes(f: JsFile) -> list:
    """The file's class nodes, found once per file (each `super(X.name)` looks its static member up in them)."""
    if ("classes",) not in f.memo:
        out, stack = [], [f.root]
        while stack:
            node = stack.pop()
            if node.type in CLASSES:
                out.append(node)
            stack += node.named_children
        f.memo[("classes",)] = out
    return f.memo[("classes",)]


def _base(f: JsFile, cls) -> str | None:
    """The class `extends` names, by its name: `extends MongoDbStore`, a compiled `extends MongoDbStore_1.default`
    (the default export of the module required there, named as the module is), `extends stores.Base`."""
    heritage = next((c for c in cls.named_children if c.type == "class_heritage"), None)
    if heritage is None:
        return None
    clause = next((c for c in heritage.named_children if c.type == "extends_clause"), heritage)
    value = unwrap(clause.child_by_field_name("value") or next(iter(clause.named_children), None))
    if value is None:
        return None
    if value.type == "identifier":
        return f.src(value)
    obj, prop = member_parts(f, value)
    if obj is None or not prop:
        return None
    if prop != "default":
        return prop
    binding = f.resolve(f.src(obj), cls.start_byte) if unwrap(obj).type == "identifier" else None
    module = required(f, binding) if binding is not None else None
    return posixpath.splitext(posixpath.basename(module))[0] if module else None


def _kept(f: JsFile, ctor) -> dict[int, str]:
    """Position -> the member a constructor keeps its parameter in: TypeScript's `private collectionName: string`,
    or `this.collectionName = collectionName` in its body."""
    kept: dict[int, str] = {}
    params = parameter_list(ctor)
    names: dict[str, int] = {}
    for i, p in enumerate(params):
        pattern = p.child_by_field_name("pattern") if p.type in ("required_parameter", "optional_parameter") else p
        if pattern is None or pattern.type != "identifier":
            continue
        names[f.src(pattern)] = i
        if any(c.type == "accessibility_modifier" for c in p.children) or any(
            c.type == "readonly" or f.src(c) == "readonly" for c in p.children if not c.is_named
        ):
            kept[i] = f.src(pattern)
    for node in _walk(ctor.child_by_field_name("body")):
        if node.type != "assignment_expression":
            continue
        left, right = node.child_by_field_name("left"), unwrap(node.child_by_field_name("right"))
        obj, prop = member_parts(f, left) if left is not None else (None, None)
        if obj is not None and prop and is_this(f, unwrap(obj)) and right is not None and right.type == "identifier":
            if f.src(right) in names:
                kept[names[f.src(right)]] = prop
    return kept


def _super_arguments(f: JsFile, ctor, cls: str) -> tuple[str, ...] | None:
    """What the constructor's `super(...)` passes, by position: a string it always is (a literal, a constant, a
    static member of a class of the file), else OTHER."""
    for node in _walk(ctor.child_by_field_name("body")):
        if node.type == "call_expression" and (fn := node.child_by_field_name("function")) is not None:
            if fn.type == "super":
                return tuple(_text(f, a) or OTHER for a in arg_list(node.child_by_field_name("arguments")))
    return None


def _text(f: JsFile, node) -> str | None:
    node = unwrap(node)
    if node is None:
        return None
    obj, prop = member_parts(f, node) if node.type == "member_expression" else (None, None)
    if obj is not None and prop and unwrap(obj).type == "identifier":
        return _static_member(f, f.src(unwrap(obj)), prop)
    return static_text(f, node, 0)


def _static_member(f: JsFile, cls: str, prop: str) -> str | None:
    """`static readonly collectionName = 'operations'` of a class of the file, or its compiled form
    `MongoDbOperationStore.collectionName = 'operations';` (the one assignment of it)."""
    for node in _classes(f):
        if class_name(f, node) != cls or (body := node.child_by_field_name("body")) is None:
            continue
        for field in body.named_children:
            if field.type in ("public_field_definition", "field_definition") and "static" in f.src(field).split("=")[0]:
                name = field.child_by_field_name("name") or field.child_by_field_name("property")
                value = unwrap(field.child_by_field_name("value"))
                if name is not None and f.src(name) == prop and value is not None and value.type == "string":
                    return string_value(f, value)
    assigned = f.object_members.get((cls, prop), [])
    if len(assigned) == 1:
        value = unwrap(assigned[0].child_by_field_name("right"))
        if value is not None and value.type == "string":
            return string_value(f, value)
    return None


def _opened(f: JsFile, body, cls: str) -> list[Held]:
    """`this.collection = db.collection(this.collectionName)` (or `await db.createCollection(...)`) in the class:
    the member holds the collection its instance's `collectionName` names."""
    out = []
    for node in _walk(body):
        if node.type != "assignment_expression":
            continue
        left, right = node.child_by_field_name("left"), unwrap(node.child_by_field_name("right"))
        obj, member = member_parts(f, left) if left is not None else (None, None)
        if obj is None or not member or not is_this(f, unwrap(obj)) or right is None or right.type != "call_expression":
            continue
        fn, args = right.child_by_field_name("function"), arg_list(right.child_by_field_name("arguments"))
        _, method = member_parts(f, fn) if fn is not None else (None, None)
        arg = unwrap(args[0]) if len(args) == 1 else None
        of, attribute = member_parts(f, arg) if arg is not None else (None, None)
        if method in OPENERS and of is not None and attribute and is_this(f, unwrap(of)):
            out.append(Held(cls, member, f"<self.{attribute}>"))
    return out


def _walk(node):
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop()
        yield n
        stack += n.named_children
