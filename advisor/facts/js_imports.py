"""What another module of the project exports to a JS/TS file: imports followed to the value they name.

advisor.facts.js_values judges a value in one file.  A name imported from another module of the project
is judged where that module defines it, by the same rules:
- `import { X } from './a.js'`, `import * as a from '../a'`, `import a from './a'`, `const { X } =
  require('./a')`, `const a = require('./a'); a.X`, and `export { X } from './a'`, `export * from './a'`
  on the way;
- only a specifier that starts with `./` or `../` and names, as Node and TypeScript resolve it (as written,
  with a suffix, as `/index` with one, `.ts` for a `.js` written), a JS/TS file the run loaded: a package,
  a path outside the project, a file advisor did not read (excluded, a symlink out) is never followed, and
  its name is judged by its text as before.  Nothing here opens a file: the texts are the loader's.
- there, `export const X` (never `let` or `var`), `export { x as X }` of such a const, re-exports, and
  CommonJS's `module.exports = {...}` and `exports.X = ...`, every assignment to which is judged (the
  module's `exports` is one more variable: advisor.facts.js_scope);
- and no module importing it changes it (advisor.facts.js_exports).

Cheap: each module is parsed at most once a run (at most MAX_MODULES of them, then a value from outside),
each question answered once, imports followed at most MAX_HOPS modules deep.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING

from advisor.facts import js_exports
from advisor.facts.js_exports import DEFAULT, MAX_HOPS
from advisor.facts.js_scope import Binding, Scopes, names_in, prop
from advisor.ir import JS_SUFFIXES
from advisor.sources.js_syntax import JsFile, arg_list, parser, string_value, unwrap

if TYPE_CHECKING:
    from advisor.facts.js_values import Values

MAX_MODULES = 200  # files parsed for one run's imports
MAX_STARS = 64  # modules searched for one name through `export * from`
_TS_FOR = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}  # `./a.js` of `a.ts`
_HERE = re.compile(r"""(['"`])\.\.?/?\1""")  # `from '.'`, `require('..')`: a directory's index
_SPECIFIER = re.compile(r"""\b(from|import|require)\s*+(\(?)\s*+(['"`])(\.\.?(?:/[^'"`\n]*+)?)\3""")  # no backtracking


@dataclass(eq=False)
class Module:
    """One module's exports by name: ("binding", Binding) a variable of it, ("from", specifier, name) another
    module's, ("namespace", specifier) `export * as n from`, ("value", node) `export default <expression>`,
    ("opaque",) a function or a class.  `stars`: the specifiers of `export * from`."""

    path: str
    f: JsFile
    scopes: Scopes
    exports: dict = field(default_factory=dict)
    stars: list = field(default_factory=list)
    esm: bool = False  # has import or export statements
    cjs: bool = False  # names `exports` or `module.exports`


class Project:
    """The JS/TS files one run loaded (display path -> text), their modules parsed once, answers kept."""

    def __init__(self, files: Mapping[str, str]):
        self.files = files
        cwd = os.getcwd()
        self.directory = {p: os.path.dirname(os.path.normpath(os.path.join(cwd, p))) for p in files}
        self.by_path = {os.path.join(d, os.path.basename(p)): p for p, d in self.directory.items()}
        self.parsed: dict[str, tuple[JsFile, Scopes] | None] = {}
        self.modules: dict[str, Module | None] = {}
        self.answers: dict = {}
        self.pending: set = set()
        self.current: tuple = ()  # (path, JsFile, Scopes) of the file being checked: parsed already
        self._resolved: dict[tuple[str, str], str | None] = {}
        self._importers: dict[str, list[tuple[str, bool]]] = {}
        self._here: set[str] | None = None  # files with a specifier `.` or `..`

    def resolve(self, importer: str, spec: str) -> str | None:
        """The loaded file a relative specifier names (None: a package, or nothing the run read)."""
        if spec not in (".", "..") and not spec.startswith(("./", "../")) or importer not in self.directory:
            return None
        key = (self.directory[importer], spec)
        if key not in self._resolved:
            base = os.path.normpath(os.path.join(key[0], spec))
            stem, suffix = os.path.splitext(base)
            tried = [base, *(stem + s for s in _TS_FOR.get(suffix, ()))]
            tried += [base + s for s in JS_SUFFIXES] + [os.path.join(base, "index" + s) for s in JS_SUFFIXES]
            self._resolved[key] = next((self.by_path[p] for p in tried if p in self.by_path), None)
        return self._resolved[key]

    def parse(self, path: str) -> tuple[JsFile, Scopes] | None:
        if self.current and self.current[0] == path:
            return self.current[1], self.current[2]
        if path not in self.parsed:
            text = self.files.get(path)
            if text is None or len(self.parsed) >= MAX_MODULES:
                return None
            data = text.encode("utf-8", "surrogatepass")
            f = JsFile(path, text, data, parser(PurePath(path).suffix.lower()).parse(data).root_node)
            self.parsed[path] = (f, Scopes(f))
        return self.parsed[path]

    def module(self, path: str) -> Module | None:
        if path not in self.modules:
            parsed = self.parse(path)
            self.modules[path] = _exports(path, *parsed) if parsed is not None else None
        return self.modules[path]

    def importers(self, module: str) -> list[tuple[str, bool]]:
        """The files whose specifiers name the module, each with whether one is a dynamic `import()`."""
        if module not in self._importers:
            names = {PurePath(module).stem}
            if "index" in names:  # `from '../util'`: the directory's name; `require('./index')`: its own
                names.add(PurePath(module).parent.name)
            if self._here is None:
                self._here = {p for p, text in self.files.items() if _HERE.search(text)}
            found: dict[str, bool] = {}
            for path, text in self.files.items():
                if not any(name in text for name in names) and path not in self._here:
                    continue  # no specifier in it can name the module
                for m in _SPECIFIER.finditer(text):
                    if self.resolve(path, m.group(4)) == module:
                        found[path] = found.get(path, False) or (m.group(1) == "import" and m.group(2) == "(")
            self._importers[module] = sorted(found.items())
        return self._importers[module]


_last: list = []  # [(files, Project)]: the run's project, while its files are the ones asked about


def project(files: Mapping[str, str]) -> Project:
    if not _last or _last[0][0] is not files:
        _last[:] = [(files, Project(files))]
    return _last[0][1]


# --- following a name to its module ------------------------------------------------------


def imported(v: Values, b: Binding, path: tuple, quote) -> bool | None:
    """An import's value reaches, by `path`, only own text (None: not a module of the project's)."""
    holder = b.sites[0][0].parent if b.sites else None
    statement = holder
    while statement is not None and statement.type != "import_statement":
        statement = statement.parent
    source = statement.child_by_field_name("source") if statement is not None else None
    target = v.project.resolve(v.path, string_value(v.f, source) or "") if source is not None else None
    module = v.project.module(target) if target is not None else None
    if module is None or holder is None:
        return None
    if holder.type == "import_specifier":
        name = holder.child_by_field_name("name")
        if name is None:
            return None
        route: tuple = (prop(string_value(v.f, name) or "" if name.type == "string" else v.f.src(name)),)
    elif holder.type == "namespace_import":
        route = ()
    else:  # the default: an ES module's `default`, a CommonJS module's exports
        route = (DEFAULT,) if module.esm else ()
    return exported(v, module, route + path, quote)


def required(v: Values, call, path: tuple, quote) -> bool | None:
    """`require('./a')`: its exports, by `path` (None: not a `require` of a module of the project's)."""
    fn = unwrap(call.child_by_field_name("function"))
    args = arg_list(call.child_by_field_name("arguments"))
    if fn is None or fn.type != "identifier" or v.f.src(fn) != "require" or v.scopes.binding(fn) is not None:
        return None
    if len(args) != 1 or args[0].type != "string":
        return None
    target = v.project.resolve(v.path, string_value(v.f, args[0]) or "")
    module = v.project.module(target) if target is not None else None
    return exported(v, module, path, quote) if module is not None else None


def exported(v: Values, module: Module, path: tuple, quote) -> bool | None:
    """What the module exports reaches, by `path` (its first step the export's name), only own text."""
    proj = v.project
    key = (module.path, path, quote)
    if key in proj.answers:
        return proj.answers[key]
    if key in proj.pending or v.hops >= MAX_HOPS:
        return False  # a cycle of re-exports, or too far
    proj.pending.add(key)
    there = v.elsewhere(module.f, module.scopes)
    try:
        ok = _exported(there, module, path, quote)
    finally:
        v.steps = there.steps
        proj.pending.discard(key)
    proj.answers[key] = ok
    return ok


def _exported(v: Values, module: Module, path: tuple, quote) -> bool | None:
    if not path or path[0][0] != "prop":
        return False  # the whole module, or an export chosen at run time
    name, rest = path[0][1], path[1:]
    entry = module.exports.get(name) or _star(v, module, name, set())
    if entry is None:
        return v.binding(module.scopes.exports(), path, quote) if module.cjs else None
    if entry[0] == "binding":
        b = entry[1]
        if b.kind == "import":
            return bool(imported(v, b, rest, quote))
        return b.kind == "const" and v.binding(b, rest, quote)
    if entry[0] == "value":  # `export default 'x'`; an object or array there, importers may change
        return bool(rest) and v.safe(entry[1], rest, quote) and js_exports.unchanged(v.project, module.path, path)
    if entry[0] == "opaque":
        return False
    target = v.project.resolve(module.path, entry[1])
    other = v.project.module(target) if target is not None else None
    if other is None:
        return False
    return bool(exported(v, other, (prop(entry[2]), *rest) if entry[0] == "from" else rest, quote))


def _star(v: Values, module: Module, name: str, seen: set[str]) -> tuple | None:
    """`export * from './b'` where b (or what b re-exports so) exports the name (never `default`)."""
    seen.add(module.path)
    if name == "default" or len(seen) > MAX_STARS:
        return None
    for spec in module.stars:
        target = v.project.resolve(module.path, spec)
        if (
            target is None
            or target in seen
            or (name not in v.project.files[target] and "*" not in v.project.files[target])
        ):
            continue  # (a module whose text does not name it, nor re-exports all of another, cannot export it)
        other = v.project.module(target)
        if other is not None and (name in other.exports or _star(v, other, name, seen)):
            return ("from", spec, name)
    return None


def _exports(path: str, f: JsFile, scopes: Scopes) -> Module:
    m = Module(path, f, scopes, cjs=bool(scopes.references(scopes.exports())))
    for st in f.root.named_children:
        m.esm = m.esm or st.type in ("import_statement", "export_statement")
        if st.type != "export_statement":
            continue
        source = st.child_by_field_name("source")
        spec = string_value(f, source) if source is not None else None
        declaration, value = st.child_by_field_name("declaration"), st.child_by_field_name("value")
        if declaration is not None and declaration.type in ("lexical_declaration", "variable_declaration"):
            for d in (c for c in declaration.named_children if c.type == "variable_declarator"):
                for ident, _, _ in names_in(f, d.child_by_field_name("name")):
                    m.exports[f.src(ident)] = _bound(scopes, ident)
        elif declaration is not None:
            named = declaration.child_by_field_name("name")
            m.exports[f.src(named) if named is not None else "default"] = ("opaque",)
        elif value is not None:
            inner = unwrap(value)
            m.exports["default"] = _bound(scopes, inner) if inner.type == "identifier" else ("value", inner)
        for c in st.named_children:
            if c.type == "export_clause":
                for s in (s for s in c.named_children if s.type == "export_specifier"):
                    local = s.child_by_field_name("name")
                    alias = s.child_by_field_name("alias") or local
                    key = string_value(f, alias) if alias.type == "string" else f.src(alias)
                    m.exports[key or ""] = ("from", spec, f.src(local)) if spec else _bound(scopes, local)
            elif c.type == "namespace_export" and spec:
                named = next((n for n in c.named_children if n.type in ("identifier", "string")), None)
                if named is not None:
                    m.exports[f.src(named)] = ("namespace", spec)
        if (
            spec
            and any(c.type == "*" for c in st.children)
            and not any(c.type in ("export_clause", "namespace_export") for c in st.named_children)
        ):
            m.stars.append(spec)
    return m


def _bound(scopes: Scopes, ident) -> tuple:
    b = scopes.binding(ident)
    return ("binding", b) if b is not None else ("opaque",)
