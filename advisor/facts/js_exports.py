"""What makes a JS/TS variable an export, and whether a module importing it may change it.

A module's export is another module's to change: `X.push(v)`, `X[0] = v`, `a.X = v` (a CommonJS module's
exports are an object like any other), or an alias (`const list = X`, `{ types: X }`, `return X`) that may
be changed later.  Every module that imports the one defining X (found by the specifiers in its text:
advisor.facts.js_imports, and through re-exports) is read for these, and any one makes X a value from
outside; so does a dynamic `import()` of the module, or TypeScript's `import a = require(...)`.  Handing X
to a function (`.whereIn('type', ROLE_TYPES)`) reads it there, unless the function is named for writing
into its first argument (`Object.assign(X, ...)`, `_.merge(X, ...)`).  An ES module's export itself no
importer can assign: only what is inside it (an array's elements, an object's properties) is asked about.

In the module that defines it the rules of one file hold (advisor.facts.js_values), where any use advisor
does not follow is a change; exporting it (`export { x }`, `module.exports = { x }`) is no such use.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from advisor.facts.js_scope import ITEM, REST, Binding, Scopes, names_in, prop
from advisor.facts.js_uses import Use, covers, member_step, use_of
from advisor.sources.js_syntax import WRAPPERS, JsFile, arg_list, key_name, string_value, unwrap

if TYPE_CHECKING:
    from advisor.facts.js_imports import Project
    from advisor.facts.js_values import Values

MAX_HOPS = 8  # modules followed from one file's name, or re-exports from one module
DEFAULT = prop("default")
_WHOLE = re.compile(r"\*\s*as\b|\bexport\s*\*|\brequire\b|\bimport\s*\(")  # forms that hold a whole module
_WRITERS = re.compile(  # functions named for writing into their first argument
    r"(assign|merge\w*|extend\w*|defaults\w*|set\w*|define\w*|mixin|apply|call|update|fill|splice|push|unshift)"
)


def exports_of(f: JsFile, scopes: Scopes, b: Binding) -> tuple[list[tuple[tuple, bool]], set[int]]:
    """Where importers find the variable: each route from the module's exports (`export const X`: .X;
    `module.exports = X`: the exports themselves) with whether an importer may assign it there (a
    CommonJS module's exports are a plain object); and the ids of the references that export it."""
    refs = scopes.references(b)
    if b.kind == "exports":  # tsc's and Babel's `Object.defineProperty(exports, "__esModule", ...)` sets a flag
        return [((), True)], {r.id for r in refs if _module_flag(f, r)}
    routes, exporting = [], set()
    if b.kind in ("const", "let", "var") and any(_declared_exported(ident) for ident, _, _ in b.sites):
        routes.append(((prop(b.name),), False))
    for r in refs:
        route = export_route(f, scopes, r)
        if route is not None:
            routes.append(route)
            exporting.add(r.id)
    return routes, exporting


def untouched(v: Values, routes: list[tuple[tuple, bool]], path: tuple, quote) -> bool:
    """No importer of v's module changes what `path` reaches in the variable exported at `routes`, nor
    does the module through its CommonJS exports (`module.exports.X.push(v)`)."""
    for route, assignable in routes:
        target = route + path
        if not assignable and len(target) < 2:
            continue  # an ES module's export itself no importer can assign
        if not unchanged(v.project, v.path, target) or (
            assignable and not v.binding(v.scopes.exports(), target, quote)
        ):
            return False
    return True


def export_route(f: JsFile, scopes: Scopes, node) -> tuple[tuple, bool] | None:
    """The route from the module's exports at which `node`'s value is exported, and whether importers may
    assign it: `export { x as X }` (.X), `export default x`, `module.exports = x` (the exports themselves),
    `exports.X = x`, `module.exports = { X: x }` / `{ x }` (.X, .x)."""
    p = node.parent
    if p is not None and p.type == "export_specifier" and p.child_by_field_name("name") == node:
        statement = p.parent.parent if p.parent is not None else None
        if statement is None or statement.child_by_field_name("source") is not None:
            return None
        alias = p.child_by_field_name("alias") or node
        return (prop(string_value(f, alias) or "" if alias.type == "string" else f.src(alias)),), False
    if p is not None and p.type == "export_statement" and p.child_by_field_name("value") == node:
        return (DEFAULT,), False
    top = node
    while top.parent is not None and top.parent.type in WRAPPERS:
        top = top.parent
    q, key = top.parent, None
    if top.type == "shorthand_property_identifier":
        key = f.src(top)
    elif q is not None and q.type == "pair" and q.child_by_field_name("value") == top:
        key = key_name(f, q.child_by_field_name("key"))
        q = q.parent
    if q is not None and q.type == "object" and key is not None:
        while q.parent is not None and q.parent.type in WRAPPERS:
            q = q.parent
        outer = _assigned_to(f, scopes, q)
        return ((*outer, prop(key)), True) if outer is not None else None
    route = _assigned_to(f, scopes, top)
    return (route, True) if route is not None else None


def _assigned_to(f: JsFile, scopes: Scopes, value) -> tuple | None:
    """`module.exports = value` (()), `exports.X = value` ((.X,)), through `a = b = value`; None otherwise."""
    while value.parent is not None and value.parent.type == "assignment_expression":
        a = value.parent
        if a.child_by_field_name("right") != value:
            return None
        left = unwrap(a.child_by_field_name("left"))
        if _is_exports(f, scopes, left):
            return ()
        if left.type in ("member_expression", "subscript_expression"):
            if _is_exports(f, scopes, left.child_by_field_name("object")):
                return (member_step(f, left),)
        value = a
    return None


def _is_exports(f: JsFile, scopes: Scopes, node) -> bool:
    node = unwrap(node)
    if node is None:
        return False
    if node.type == "identifier":
        return f.src(node) == "exports" and scopes.binding(node) is None
    if node.type != "member_expression":
        return False
    obj, named = unwrap(node.child_by_field_name("object")), node.child_by_field_name("property")
    return (
        obj is not None
        and obj.type == "identifier"
        and f.src(obj) == "module"
        and scopes.binding(obj) is None
        and named is not None
        and f.src(named) == "exports"
    )


def _declared_exported(ident) -> bool:
    """`export const X = ...`, `export const { a, b: X } = ...`."""
    node = ident.parent
    while node is not None and node.type not in ("lexical_declaration", "variable_declaration"):
        if node.type not in ("variable_declarator", "object_pattern", "array_pattern", "pair_pattern") and not (
            node.type.endswith("_pattern")
        ):
            return False
        node = node.parent
    return node is not None and node.parent is not None and node.parent.type == "export_statement"


def _module_flag(f: JsFile, ref) -> bool:
    """`Object.defineProperty(exports, "__esModule", { value: true })`."""
    given = _define_property_args(f, ref)
    return given is not None and len(given) > 1 and given[0] == ref and string_value(f, given[1]) == "__esModule"


def _define_property_args(f: JsFile, node) -> list | None:
    """The arguments of the `Object.defineProperty(...)` call `node` is an argument of; None when it is not one."""
    args = node.parent
    call = args.parent if args is not None and args.type == "arguments" else None
    if call is None or f.src(call.child_by_field_name("function")) != "Object.defineProperty":
        return None
    return arg_list(args)


def unchanged(proj: Project, module: str, target: tuple) -> bool:
    """No module importing `module` changes what `target` (steps from its exports) reaches."""
    key = ("importers", module, target)
    if key not in proj.answers:
        proj.answers[key] = _unchanged(proj, module, target, set(), 0)
    return proj.answers[key]


def _unchanged(proj: Project, module: str, target: tuple, seen: set, hops: int) -> bool:
    """Every importer of `module` leaves what `target` reaches alone, and so do those of a re-export."""
    if (module, target) in seen:
        return True
    if hops > MAX_HOPS:
        return False
    seen.add((module, target))
    exporter = proj.module(module)
    if exporter is None:
        return False
    for importer, dynamic in proj.importers(module):
        if dynamic:
            return False  # `import('./a')`: what it does with the module is not followed
        if exporter.esm and not _may_reach(proj.files[importer], target):
            continue  # (a CommonJS module's default import is its exports: any name may reach them)
        parsed = proj.parse(importer)
        if parsed is None or not _leaves(proj, importer, *parsed, module, target, seen, hops):
            return False
    return True


def _may_reach(text: str, target: tuple) -> bool:
    """The importer's text names the export, or may hold or pass on the whole module (`* as`, `export *`,
    `require`)."""
    if not target or target[0][0] != "prop" or target[0] == DEFAULT:
        return True
    name = target[0][1]
    return (name in text and re.search(rf"(?<![\w$]){re.escape(name)}(?![\w$])", text) is not None) or (
        _WHOLE.search(text) is not None
    )


def _leaves(proj: Project, importer: str, f: JsFile, scopes: Scopes, module: str, target: tuple, seen, hops) -> bool:
    """One importer neither changes what `target` reaches nor re-exports it to one that may."""
    exporter = proj.module(module)
    if exporter is None:
        return False
    for st in f.root.named_children:
        source = st.child_by_field_name("source") if st.type in ("import_statement", "export_statement") else None
        if source is None or proj.resolve(importer, string_value(f, source) or "") != module:
            continue
        if st.type == "export_statement":
            for again in _reexported(f, st, target):
                if not _unchanged(proj, importer, again, seen, hops + 1):
                    return False
            continue
        for clause in st.named_children:
            if clause.type == "import_require_clause":
                return False  # TypeScript's `import a = require('./a')`: not followed
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                for ident, route in _imported_names(f, part, exporter.esm):
                    if not _holds(proj, importer, f, scopes, scopes.binding(ident), route, target, seen, hops):
                        return False
    for ident in scopes.uses.get("require", ()):
        call = ident.parent
        if call is None or call.type != "call_expression" or call.child_by_field_name("function") != ident:
            continue
        args = arg_list(call.child_by_field_name("arguments"))
        if scopes.binding(ident) is not None or not args or args[0].type != "string":
            continue
        if proj.resolve(importer, string_value(f, args[0]) or "") != module:
            continue
        if not _required_left(proj, importer, f, scopes, call, target, seen, hops):
            return False
    return True


def _imported_names(f: JsFile, part, module_is_esm: bool) -> list[tuple]:
    if part.type == "identifier":
        return [(part, (DEFAULT,) if module_is_esm else ())]
    if part.type == "namespace_import":
        return [(c, ()) for c in part.named_children if c.type == "identifier"]
    out = []
    for s in (s for s in part.named_children if s.type == "import_specifier"):
        name = s.child_by_field_name("name")
        local = s.child_by_field_name("alias") or name
        if name is None:
            continue
        out.append((local, (prop(string_value(f, name) or "" if name.type == "string" else f.src(name)),)))
    return out


def _reexported(f: JsFile, st, target: tuple) -> list[tuple]:
    """Where `export ... from` puts `target` among the importer's own exports."""
    out = []
    for c in st.named_children:
        if c.type == "export_clause":
            for s in (s for s in c.named_children if s.type == "export_specifier"):
                name = s.child_by_field_name("name")
                alias = s.child_by_field_name("alias") or name
                if not target or covers((prop(f.src(name)),), target[:1]):
                    out.append((prop(f.src(alias)), *target[1:]))
            return out
        if c.type == "namespace_export":
            named = next((n for n in c.named_children if n.type == "identifier"), None)
            return [(prop(f.src(named)), *target)] if named is not None else []
    return [target]  # export * from


def _required_left(proj: Project, importer: str, f: JsFile, scopes: Scopes, call, target, seen, hops) -> bool:
    """`const a = require(m)`, `const { X } = require(m)`: what the names do; `require(m).X...`: what it does."""
    top = call
    while top.parent is not None and top.parent.type in WRAPPERS:
        top = top.parent
    holder = top.parent
    if holder is not None and holder.type == "variable_declarator" and holder.child_by_field_name("value") == top:
        for ident, inner, _ in names_in(f, holder.child_by_field_name("name")):
            route = tuple(ITEM if step == REST else step for step in inner)
            if not _holds(proj, importer, f, scopes, scopes.binding(ident), route, target, seen, hops):
                return False
        return True
    exported = export_route(f, scopes, call)
    if exported is not None:  # `module.exports = require(m)`, `exports.a = require(m)`
        return _unchanged(proj, importer, exported[0] + target, seen, hops + 1)
    use = use_of(f, call)
    return not _changes(use, use.chain, target, _passed(f, call))


def _holds(proj: Project, importer: str, f, scopes, b: Binding | None, route: tuple, target: tuple, seen, hops) -> bool:
    """The importer's variable `b`, which holds the module's exports at `route`, leaves `target` alone."""
    if b is None:
        return False
    if not (covers(route, target) or covers(target, route)):
        return True  # another export
    routes, exporting = exports_of(f, scopes, b)
    for again, _ in routes:
        if len(route) > len(target) or not _unchanged(proj, importer, again + target[len(route) :], seen, hops + 1):
            return False
    for r in scopes.references(b):
        if r.id in exporting or r.parent.type == "import_specifier":  # `import { X as y }`: X names the export
            continue
        if _typed_only(r):
            continue
        getter = _getter_export(f, scopes, r)
        if getter is not None:  # re-exported: the importer's importers must leave it alone
            name, chain = getter
            whole = route + chain
            if (covers(whole, target) or covers(target, whole)) and not _unchanged(
                proj, importer, (prop(name), *target[len(whole) :]), seen, hops + 1
            ):
                return False
            continue
        use = use_of(f, r)
        if use.kind == "write" and not use.chain:
            continue  # the importer's own variable given another value
        if _changes(use, route + use.chain, target, _passed(f, r)):
            return False
    return True


def _typed_only(ref) -> bool:
    """`typeof X` in a TypeScript type: a type, nothing that runs."""
    node = ref.parent
    while node is not None and node.type not in ("statement_block", "program"):
        if node.type == "type_query":
            return True
        node = node.parent
    return False


def _getter_export(f: JsFile, scopes: Scopes, ref) -> tuple[str, tuple] | None:
    """tsc's and Babel's re-export, `Object.defineProperty(exports, "N", { get: function () { return m.X; } })`
    with `ref` the `m`: ("N", the steps `.X` from m).  A getter without a setter: importers cannot assign
    N, only change what is inside it."""
    top, chain = ref, []
    while top.parent is not None and top.parent.type in ("member_expression", "subscript_expression"):
        if top.parent.child_by_field_name("object") != top:
            return None
        chain.append(member_step(f, top.parent))
        top = top.parent
    body = top.parent
    if body is not None and body.type == "return_statement":
        block = body.parent
        if block is None or block.type != "statement_block" or len(block.named_children) != 1:
            return None
        fn = block.parent
    elif body is not None and body.type == "arrow_function" and body.child_by_field_name("body") == top:
        fn = body
    else:
        return None
    pair = fn.parent if fn is not None else None
    if pair is None or pair.type != "pair" or pair.child_by_field_name("value") != fn:
        return None
    if key_name(f, pair.child_by_field_name("key")) != "get" or fn.type not in (
        "function_expression",
        "arrow_function",
    ):
        return None
    descriptor = pair.parent
    for c in descriptor.named_children:
        if c.type != "comment" and (
            c.type != "pair" or key_name(f, c.child_by_field_name("key")) not in ("get", "enumerable", "configurable")
        ):
            return None  # a setter, a value, a spread: not the plain re-export
    given = _define_property_args(f, descriptor)
    if (
        given is None
        or len(given) != 3
        or given[2] != descriptor
        or not _is_exports(f, scopes, given[0])
        or given[1].type != "string"
    ):
        return None
    name = string_value(f, given[1])
    return (name, tuple(chain)) if name else None


def _changes(use: Use, chain: tuple, target: tuple, passed: bool) -> bool:
    """A use at `chain` (from the exports) may change what `target` reaches: a write or a change in it,
    or an alias of something holding it; handed to a function as an argument, it is read there."""
    if use.kind == "read" or (use.kind == "escape" and passed):
        return False
    if use.kind == "escape":
        return covers(chain, target) and len(chain) < len(target)
    return covers(chain, target) or covers(target, chain)


def _passed(f: JsFile, node) -> bool:
    """`node` (or a property of it) is an argument of a call not named for writing into its first argument."""
    while node.parent is not None and (
        node.parent.type in WRAPPERS
        or (
            node.parent.type in ("member_expression", "subscript_expression")
            and node.parent.child_by_field_name("object") == node
        )
    ):
        node = node.parent
    args = node.parent.parent if node.parent is not None and node.parent.type == "spread_element" else node.parent
    if args is None or args.type != "arguments":
        return False
    fn = unwrap(args.parent.child_by_field_name("function")) if args.parent is not None else None
    name = f.src(fn).rsplit(".", 1)[-1] if fn is not None else ""
    given = arg_list(args)
    first = bool(given) and given[0].start_byte <= node.start_byte < given[0].end_byte
    return not (first and _WRITERS.fullmatch(name))
