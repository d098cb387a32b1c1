"""Functions that write SQL for their caller (builders), in JavaScript / TypeScript.

    // lib/queries.js
    function getIdSelect(db, name) { return `SELECT id FROM datapoints WHERE name = '${name}'`; }
    exports.getIdSelect = getIdSelect;
    // main.js
    const Queries = require('./lib/queries');
    const query = Queries.getIdSelect(db, id);
    client.execute(query, cb);

A function of a module (declared at its top level, or exported) every `return` of which is SQL text is a
builder: a literal, a template, a concatenation, a list of them, or a local name built from them
(`let q = '...'; q += '...'; return q`, `const out = []; out.push('...'); return out`). Its text is a query
only where a call of it reaches an execution call (directly, through a variable, or through a helper that
forwards it): in its own module, read here; in a module importing it, joined by advisor.sources.links once
every file is read. A call on a receiver advisor cannot name (`this.funcs.getIdSelect(...)`, a table of
modules chosen at run time) is matched to the modules the calling file imports that export a builder of
that name. The text is read where it is written, unknown pieces as placeholders (advisor.sources.js_sql_text).

Bounded: one level (a builder's own calls are not followed into other builders), every function read once.
A module named for another database than the configured one (`mysql.js` beside `postgresql.js`, one chosen
at run time) gives no builders: its SQL is not the configured database's (advisor.parse.another_database).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from advisor.ir import SqlQuery
from advisor.parse import another_database
from advisor.sources.js_flow import conditional, pushed
from advisor.sources.js_mongo_factories import DEFAULT, imported_call, module_paths, returns
from advisor.sources.js_sql_text import concatenation, flatten_plus, js_query, string_pieces
from advisor.sources.js_syntax import (
    FUNCTIONS,
    JsFile,
    arg_list,
    key_name,
    member_parts,
    required,
    unwrap,
)

TEXTS = ("string", "template_string", "binary_expression")
MAX_TEXTS = 64  # statements one builder returns


@dataclass(frozen=True)
class BuiltCall:
    """A call of a function another module may export, whose result reaches an execution call."""

    modules: tuple[str, ...]  # the paths it may come from, resolved against the caller's
    name: str  # the exported name


def exported_builders(f: JsFile, dialect: str) -> dict[str, list[SqlQuery]]:
    """The builders the module exports, by export name: their statements, read when a caller runs them."""
    if another_database(f.path, dialect):
        return {}
    out: dict[str, list[SqlQuery]] = {}
    for name, fn in exports(f).items():
        queries = builder_queries(f, fn, dialect)
        if queries:
            out[name] = queries
    return out


def builder_queries(f: JsFile, fn, dialect: str) -> list[SqlQuery]:
    """The statements a function returns, when every value it returns is SQL text; else []. Read once
    per function: a module may call one builder thousands of times."""
    fn = unwrap(fn)
    if fn is None or fn.type not in FUNCTIONS:
        return []
    key = ("builder", fn.id, dialect)
    if key not in f.memo:
        f.memo[key] = _builder_queries(f, fn, dialect)
    return f.memo[key]


def _builder_queries(f: JsFile, fn, dialect: str) -> list[SqlQuery]:
    from advisor.sources.sql_shape import runs_as_sql

    returned = returns(fn)
    out: list[SqlQuery] = []
    for value in returned:
        texts = _texts(f, fn, value)
        if texts is None or len(out) + len(texts) > MAX_TEXTS:
            return []
        for node, text, anchors, dynamic in texts:
            if not runs_as_sql(text):
                return []
            out.append(
                js_query(f, node, text, anchors, dynamic=dynamic, dialect=dialect, origin="constant-reaching-call")
            )
    return out


def _texts(f: JsFile, fn, value) -> list[tuple] | None:
    """[(node, text, anchors, dynamic)] of one returned value, or None when it is not SQL text."""
    value = unwrap(value)
    if value is None:
        return None
    if value.type in TEXTS:
        return [_text(f, value, [])]
    if value.type == "array":
        items = [unwrap(v) for v in value.named_children]
        return [_text(f, v, []) for v in items] if items and all(v.type in TEXTS for v in items) else None
    if value.type == "identifier":
        return _local(f, fn, value)
    return None


def _text(f: JsFile, node, appended: list) -> tuple:
    """(node, text, anchors, dynamic) of a text and what is appended to it (None: a piece only some runs add)."""
    unknown: list[str] = []
    if node.type == "binary_expression" or appended:
        parts = flatten_plus(node) + [p for a in appended for p in (flatten_plus(a) if a is not None else [None])]
        text, anchors, subs = concatenation(f, parts, unknown)
    else:
        text, anchors, subs = string_pieces(f, node, tagged=False, unknown=unknown)
    return node, text, anchors, bool(subs)


def _local(f: JsFile, fn, ident) -> list[tuple] | None:
    """A name the function declares and returns: its text with the `+=` appends (one made only on some
    runs a placeholder), or the statements of a list it builds with `push`."""
    name = f.src(ident)
    decls = [(start, v) for start, v in f.decls.get(name, []) if fn.start_byte <= start < fn.end_byte]
    if len(decls) != 1 or enclosing(decls[0][1]) != fn:
        return None  # given more than once (`q = ...` again), or not the function's own
    value = decls[0][1]
    declarator = value.parent
    if declarator is None or declarator.type != "variable_declarator":
        return None
    if value.type == "array":
        items = [unwrap(v) for v in value.named_children] + [unwrap(v) for v in pushed(f, name, declarator)]
        return [_text(f, v, []) for v in items] if items and all(v.type in TEXTS for v in items) else None
    if value.type not in TEXTS:
        return None
    appended = appended_to(f, fn, name, fn.end_byte)
    return [_text(f, value, appended)] if appended is not None else None


def appended_to(f: JsFile, fn, name: str, before: int) -> list | None:
    """What the function appends to its variable `name` with `+=` before byte `before`, in order: each piece, or
    None for one added on some runs only (under an `if`, in a loop: read as a placeholder); None when it is
    changed another way (`-=`...)."""
    appended: list = []
    for node in _augmented(f, fn).get(name, ()):
        if node.start_byte >= before:
            break
        if f.src(node.child_by_field_name("operator")) != "+=":
            return None
        if not conditional(node, _around_both(node, before, fn)):  # a `try` around both: run before the call
            appended.append(unwrap(node.child_by_field_name("right")))
        elif not appended or appended[-1] is not None:
            appended.append(None)  # added on some runs only (an `if`, a loop): a placeholder
    return appended


def appended_pieces(f: JsFile, fn, name: str, before: int) -> list:
    """Every piece the function appends to `name` with `+=` before byte `before`, on every run or on some: what each
    splices is judged where it is written (sql-string-building), whether or not the text advisor reads holds it."""
    return [
        unwrap(node.child_by_field_name("right"))
        for node in _augmented(f, fn).get(name, ())
        if node.start_byte < before and f.src(node.child_by_field_name("operator")) == "+="
    ]


def _around_both(node, at: int, fn):
    """The innermost node around `node` that holds byte `at` too (at most the function)."""
    around = node.parent
    while around is not None and around != fn and not around.start_byte <= at < around.end_byte:
        around = around.parent
    return around if around is not None else fn


def _augmented(f: JsFile, fn) -> dict[str, list]:
    """The function's own `name op= value` expressions, by name, in source order: walked once per function (an
    execution call asks for each name it runs, a function may run one hundreds of times)."""
    key = ("augmented", fn.id)
    if key not in f.memo:
        out: dict[str, list] = {}
        for node in _own_nodes(fn):
            if node.type == "augmented_assignment_expression":
                out.setdefault(f.src(node.child_by_field_name("left")), []).append(node)
        f.memo[key] = out
    return f.memo[key]


def _own_nodes(fn):
    """The nodes of a function, not of the functions in it, in source order."""
    stack = [fn.child_by_field_name("body")]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        yield node
        stack.extend(reversed([c for c in node.named_children if c.type not in FUNCTIONS]))


def enclosing(node):
    node = node.parent
    while node is not None and node.type not in FUNCTIONS:
        node = node.parent
    return node


def exports(f: JsFile) -> dict[str, object]:
    """The functions a module exports, by export name: `exports.X = f`, `module.exports = { X, Y: f, Z() {} }`,
    `export function X`, `export const X = () => ...`, `export { f as X }`, `export default function`."""
    out: dict[str, object] = {}
    for st in f.root.named_children:
        if st.type == "export_statement":
            _esm_exports(f, st, out)
            continue
        assign = st.named_children[0] if st.type == "expression_statement" and st.named_children else None
        if assign is None or assign.type != "assignment_expression":
            continue
        left, right = f.src(assign.child_by_field_name("left")), unwrap(assign.child_by_field_name("right"))
        if left == "module.exports" and right is not None and right.type == "object":
            for part in right.named_children:
                _object_export(f, part, out)
        elif left == "module.exports":
            out[DEFAULT] = _function(f, right)
        for prefix in ("module.exports.", "exports."):
            if left.startswith(prefix) and left[len(prefix) :].isidentifier():
                out[left[len(prefix) :]] = _function(f, right)
    return {name: fn for name, fn in out.items() if fn is not None}


def _esm_exports(f: JsFile, st, out: dict) -> None:
    decl = st.child_by_field_name("declaration")
    if any(c.type == "default" for c in st.children):
        out[DEFAULT] = _function(f, st.child_by_field_name("value") or decl)
    elif decl is not None and decl.type == "function_declaration" and decl.child_by_field_name("name") is not None:
        out[f.src(decl.child_by_field_name("name"))] = decl
    elif decl is not None:
        for d in (c for c in decl.named_children if c.type == "variable_declarator"):
            out[f.src(d.child_by_field_name("name"))] = _function(f, d.child_by_field_name("value"))
    for clause in (c for c in st.named_children if c.type == "export_clause"):
        for spec in (c for c in clause.named_children if c.type == "export_specifier"):
            local, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
            if local is not None:
                out[f.src(alias or local)] = _function(f, local)


def _object_export(f: JsFile, part, out: dict) -> None:
    if part.type == "shorthand_property_identifier":
        out[f.src(part)] = _function(f, part)
    elif part.type == "pair":
        name = key_name(f, part.child_by_field_name("key"))
        if name:
            out[name] = _function(f, part.child_by_field_name("value"))
    elif part.type == "method_definition":
        name = key_name(f, part.child_by_field_name("name"))
        if name:
            out[name] = part


def _function(f: JsFile, value):
    """The function a value is: written there, or a name of one."""
    value = unwrap(value)
    if value is not None and value.type in ("identifier", "shorthand_property_identifier"):
        value = unwrap(f.binding(f.src(value), value.start_byte))
    return value if value is not None and value.type in FUNCTIONS else None


# --- the calls whose result is run -------------------------------------------------------------


def reaching_calls(f: JsFile, calls: list, sinks: dict[str, int]) -> list:
    """The calls whose result an execution call (or a helper that forwards it: `sinks`, name -> the
    argument it runs) is given: `run(build(...))`, `const q = build(...); ...; run(q)`, `run(list[i])`,
    `runAll([q])`."""
    out: list = []
    taken: set = set()  # (name, function) whose assigned calls are in `out`: each added once, not per run
    for call in calls:
        fn = unwrap(call.child_by_field_name("function"))
        name = member_parts(f, fn)[1] if fn is not None and fn.type == "member_expression" else None
        name = name or (f.src(fn) if fn is not None and fn.type == "identifier" else None)
        index = sinks.get(name) if name else None
        args = arg_list(call.child_by_field_name("arguments"))
        if index is None or index >= len(args):
            continue
        arg = unwrap(args[index])
        if arg is not None and arg.type == "subscript_expression":
            arg = unwrap(arg.child_by_field_name("object"))
        for item in [unwrap(a) for a in arg.named_children] if arg is not None and arg.type == "array" else [arg]:
            if item is not None and item.type == "call_expression":
                out.append(item)
            elif item is not None and item.type == "identifier":
                out += _assigned_calls(f, f.src(item), call, taken) + _iterated_call(f, f.src(item), call)
    return out


def _iterated_call(f: JsFile, name: str, at) -> list:
    """`for (const sql of build(...)) run(sql)`: the call whose items a loop around `at` gives `name` (a builder
    returning a list of statements, each run in turn)."""
    node = f.parent(at)
    while node is not None:
        if node.type == "for_in_statement" and f.src(node.child_by_field_name("operator")) == "of":
            left, right = unwrap(node.child_by_field_name("left")), unwrap(node.child_by_field_name("right"))
            if left is not None and f.src(left) == name:
                return [right] if right is not None and right.type == "call_expression" else []
        node = f.parent(node)
    return []


def _assigned_calls(f: JsFile, name: str, at, taken: set) -> list:
    """The calls `name` is given in the functions around `at` (every one: a `let` given two builders' results),
    but those of a function already in `taken`."""
    if ("assigned", name) not in f.memo:  # the calls `name` is given, by the function giving them (None: module)
        by_owner: dict = {}
        for order, (_, value) in enumerate(f.decls.get(name, [])):
            if value.type == "call_expression":
                owner = enclosing(value)
                by_owner.setdefault(owner.id if owner is not None else None, []).append((order, value))
        f.memo[("assigned", name)] = by_owner
    by_owner = f.memo[("assigned", name)]
    owners: list = [None]  # the module, and the functions around `at`
    node = at
    while node is not None:
        owners += [node.id] if node.type in FUNCTIONS else []
        node = node.parent
    found = []
    for owner in owners:
        if (name, owner) not in taken:
            taken.add((name, owner))
            found += by_owner.get(owner, [])
    return [value for _, value in sorted(found, key=lambda x: x[0])]


def called_builder(f: JsFile, call) -> tuple[str | None, BuiltCall | None]:
    """What a call names: (a function of this module, None) or (None, the builder of another module)."""
    fn = unwrap(call.child_by_field_name("function"))
    if fn is not None and fn.type == "sequence_expression" and fn.named_children:  # TypeScript's `(0, m_1.f)(...)`
        fn = unwrap(fn.named_children[-1])
    if fn is None:
        return None, None
    here = posixpath.dirname(f.path)
    if fn.type == "identifier":
        made = imported_call(f, call)
        if made is not None:
            return None, BuiltCall(tuple(module_paths(made.module)), made.export)
        return f.src(fn), None
    if fn.type != "member_expression":
        return None, None
    obj, name = member_parts(f, fn)
    obj = unwrap(obj)
    if not name or obj is None:
        return None, None
    spaces = namespaces(f)
    if obj.type == "identifier" and f.src(obj) in spaces:
        specs = [spaces[f.src(obj)]]
    elif obj.type == "identifier" or obj.type == "this":
        return None, None  # a local object's or this class's own method
    else:
        specs = sorted(set(spaces.values()))  # a receiver named at run time: a module this file imports
    paths = [p for s in specs for p in module_paths(posixpath.normpath(posixpath.join(here, s)))]
    return None, BuiltCall(tuple(paths), name) if paths else None


def namespaces(f: JsFile) -> dict[str, str]:
    """The names bound to a module of the project (`./x`): `const m = require('./x')` (TypeScript's
    `__importStar(require('./x'))` too), `import * as m`, `import m`, and the names imported from one."""
    if ("namespaces",) in f.memo:
        return f.memo[("namespaces",)]
    out = {name: spec for name, spec in f.imports.items() if spec.startswith(".")}
    f.memo[("namespaces",)] = out
    for name, decls in f.decls.items():
        for _, value in decls:
            spec = required(f, value)
            if spec is not None and spec.startswith("."):
                out[name] = spec
    return out
