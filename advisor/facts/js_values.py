"""Which JS/TS values can only be text the code itself writes: nothing a caller chooses reaches them.

`sql-string-building` asks of each `${...}` in SQL built at run time whether a value from outside
can reach it.  This module follows the value through the file, as the language runs it (scopes from
advisor.facts.js_scope), and says yes unless every value it can hold is, by construction:
- written in the code: a literal, a number (`a.length + 1`, `i * 2`, `-x`), a boolean;
- a placeholder's number: what follows a literal `$` (`$${i + 1}`);
- a variable whose every assignment is one of these (`let cast = ''; if (a) cast = '::jsonb'`), or an
  array every element pushed onto is (`patterns.push(`$${i}:name = $${i + 1}`)`), joined
  (`patterns.join(' AND ')`), mapped to such text (`ids.map((_, i) => `$${i + 1}`)`) or concatenated;
- a key or a value of an object literal the code never lets out of its sight (`Object.entries(TABLES)`,
  `OPERATORS[op]`), or a property of one (`where.pattern` of the object a local function returns);
- what a function of the file returns, when every `return` is one of these (its parameters are the
  caller's: an untyped parameter is never own, unless TypeScript holds it to a number);
- a string escaped for the quotes it stands in: `"${name.replace(/"/g, '""')}"`,
  `'${value.replace(/'/g, "''")}'` (never inside `E'...'` or a `$$` body: advisor.facts.js_quotes), or reduced to
  word characters wherever it stands (`name.replace(/[^a-zA-Z0-9_]/g, '_')`);
- a column that a query returned when the query's text fixes its type as a number
  (advisor.facts.result_columns: the oid of a system catalog, a count, a cast);
- a name imported from another module of the project (`import`, `require`), or what CommonJS's
  `exports` holds, when the module's own code gives it only such values and no module changes it
  (advisor.facts.js_imports, advisor.facts.js_exports).

A variable counts only when the code never lets it out of sight: passed to a function advisor does
not know, stored in another object or returned, what it holds could change behind its back.  Anything
else, a parameter, a global, an import from a package, a method's result, is what a caller chooses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TypeVar

from advisor.facts import js_args, js_calls, js_exports, js_imports, js_narrowing
from advisor.facts.js_quotes import escapes, parts, scan, word_characters_only
from advisor.facts.js_scope import ITEM, KEY, REST, Binding, Scopes, prop
from advisor.facts.js_uses import Use, arrayish, covers, member_step, use_of
from advisor.sources.js_syntax import JsFile, parsed, unwrap

_LITERALS = {"string", "number", "true", "false", "null", "undefined", "regex"}
MAX_STEPS = 20000  # values followed for one question: past it, the answer is "from outside"
MAX_DEPTH = 90
_T = TypeVar("_T")


class _TooFar(Exception):
    pass


def own_pieces(
    path: str, text: str, offset: int, looks_own: Callable[[str], bool], files: Mapping[str, str] | None = None
) -> list[tuple[str, bool]] | None:
    """The values interpolated into the template literal or `+` chain that starts at character `offset` of
    the file, in order, each with whether it can only be text the code writes (None: no such expression).
    `looks_own` judges by its text what advisor cannot follow: an import from a package, a property of
    `this`, a call of a function from elsewhere.  `files`: the project's JS/TS files (display path -> text),
    whose modules imports are followed to (advisor.facts.js_imports); none: this file alone."""
    f, scopes = _analysed(path, text)
    project = js_imports.project(files or {path: text})
    project.current = (path, f, scopes)
    at = len(text[:offset].encode("utf-8", "surrogatepass"))
    node = f.root.descendant_for_byte_range(at, at)
    while node is not None and not (node.start_byte == at and node.type in ("template_string", "binary_expression")):
        node = node.parent
    if node is None:
        return None
    while node.parent is not None and node.parent.type == "binary_expression" and node.parent.start_byte == at:
        node = node.parent
    out = []
    for expr, quote in scan(f, parts(f, node), None):
        try:  # one question per piece: an answer assumed while another was pending holds for that question only
            out.append(
                (
                    f.src(expr),
                    quote in ("$", "::") or Values(f, scopes, path, text, looks_own, project).safe(expr, (), quote),
                )
            )
        except _TooFar:
            out.append((f.src(expr), False))
    return out


@lru_cache(maxsize=2)
def _analysed(path: str, text: str) -> tuple[JsFile, Scopes]:
    f = parsed(path, text)
    return f, Scopes(f)


class Values:
    """One question's answers: `safe(node, path, quote)` is True when every value reached from `node` by
    `path` (steps into properties and elements) is text the code writes, standing in `quote`."""

    def __init__(
        self, f: JsFile, scopes: Scopes, path: str, text: str, looks_own: Callable[[str], bool], project, hops: int = 0
    ):
        self.f, self.scopes, self.path, self.text, self.looks_own = f, scopes, path, text, looks_own
        self.project: js_imports.Project = project  # the other modules, and answers about them
        self.hops = hops  # modules followed to reach this one
        self.answers: dict = {}
        self.pending: set = set()
        self.steps = self.depth = 0
        self.env: tuple = ()  # the calls being followed: (function, call, the env its arguments are read in)
        self._enclosing: dict[int, frozenset] = {}

    def elsewhere(self, f: JsFile, scopes: Scopes) -> Values:
        """A question about another module of the project, on this question's budget."""
        other = Values(f, scopes, f.path, f.text, self.looks_own, self.project, self.hops + 1)
        other.steps, other.depth = self.steps, self.depth
        return other

    def frame(self, fn) -> tuple | None:
        """The call `fn` is followed from in this env, if any: (function id, call, the caller's env)."""
        return next((e for e in self.env if e[0] == fn.id), None)

    def context(self, scope) -> tuple:
        """The part of the env a variable declared in `scope` depends on: the calls of its functions."""
        if not self.env:
            return ()
        ids = self._enclosing.get(scope.id)
        if ids is None:
            node, found = scope, set()
            while node is not None:
                found.add(node.id)
                node = node.parent
            ids = self._enclosing[scope.id] = frozenset(found)
        return tuple(e for e in self.env if e[0] in ids)

    def within(self, env: tuple, ask: Callable[[], _T]) -> _T:
        """`ask` answered with the calls of `env` followed."""
        saved, self.env = self.env, env
        try:
            return ask()
        finally:
            self.env = saved

    def safe(self, node, path: tuple = (), quote: str | None = None) -> bool:
        self.steps += 1
        if self.steps > MAX_STEPS or self.depth > MAX_DEPTH:
            raise _TooFar
        path = _settle(path)
        self.depth += 1
        try:
            return self._safe(unwrap(node), path, quote)
        finally:
            self.depth -= 1

    def _safe(self, node, path: tuple, quote) -> bool:
        if node is None:
            return False
        t = node.type
        if t in _LITERALS:
            return True
        if t in ("template_string", "binary_expression") and path[:1] == (prop("length"),):
            return True  # a string's length
        if t == "template_string" or (t == "binary_expression" and self._op(node) == "+"):
            return self.text_of(parts(self.f, node), quote)
        if t == "binary_expression":
            if self._op(node) in ("||", "&&", "??"):
                return all(self.safe(node.child_by_field_name(s), path, quote) for s in ("left", "right"))
            return True  # arithmetic, comparison: a number or a boolean
        if t == "ternary_expression":
            return all(self.safe(node.child_by_field_name(s), path, quote) for s in ("consequence", "alternative"))
        if t in ("unary_expression", "update_expression"):
            return True  # -x, !x, typeof x, void x, i++
        if t == "assignment_expression":
            return self.safe(node.child_by_field_name("right"), path, quote)
        if t == "sequence_expression":
            return self.safe(node.named_children[-1], path, quote)
        if t in ("identifier", "shorthand_property_identifier"):  # `{ name }`: the variable's value
            return self._name(node, path, quote) or (not path and js_narrowing.confined(self, node, quote))
        if t in ("member_expression", "subscript_expression"):
            inner = node.child_by_field_name("object")
            if inner is not None and self.safe(inner, (member_step(self.f, node), *path), quote):
                return True
            return not path and self._unseen(_root(inner)) and self.looks_own(self.f.src(node))
        if t in ("call_expression", "new_expression"):
            module = js_imports.required(self, node, path, quote) if t == "call_expression" else None
            if module is not None:
                return module  # `require('./a')`: what the module exports
            own = not path and (escapes(self.f, node, quote) or word_characters_only(self.f, node))
            return own or js_calls.call(self, node, path, quote)
        if t == "array":
            return self._array(node, path, quote)
        if t == "object":
            return self._object(node, path, quote)
        return False

    def _op(self, node) -> str:
        op = node.child_by_field_name("operator")
        return self.f.src(op) if op is not None else ""

    def text_of(self, pieces: list, quote) -> bool:
        """Literal text and interpolated values, each safe in the quote it stands in."""
        for expr, inner in scan(self.f, pieces, quote):
            if inner in ("$", "::"):
                continue  # `$${i + 1}`: a placeholder's number; `$2::${type}`: a type's name
            if not self.safe(expr, (), inner if inner in (None, "'", '"') else "?"):  # E'..', $$..$$: no escape holds
                return False
        return True

    def _array(self, node, path: tuple, quote) -> bool:
        items = [c for c in node.named_children if c.type != "comment"]
        if path[:1] in ((prop("length"),), (KEY,)):
            return True
        step, rest = (path[0], path[1:]) if path else (ITEM, ())
        if step[0] == "prop" and step[1].isdigit() and not any(c.type == "spread_element" for c in items):
            return int(step[1]) >= len(items) or self.safe(items[int(step[1])], rest, quote)
        if step[0] == "prop":
            return True  # a method of the array, never text
        return all(
            self.safe(c.named_children[0], (ITEM, *rest), quote)
            if c.type == "spread_element"
            else self.safe(c, rest, quote)
            for c in items
        )

    def _object(self, node, path: tuple, quote) -> bool:
        """An object literal: the named property, every value, or every key."""
        from advisor.sources.js_syntax import key_name

        step, rest = (path[0], path[1:]) if path else (ITEM, ())
        for c in node.named_children:
            if c.type == "pair":
                key = key_name(self.f, c.child_by_field_name("key"))
                if step == KEY:
                    ok = key is not None or self.safe(c.child_by_field_name("key").named_children[0])
                elif step[0] == "prop" and key is not None and key != step[1]:
                    continue
                else:
                    ok = self.safe(c.child_by_field_name("value"), rest, quote)
            elif c.type == "shorthand_property_identifier":
                ok = step == KEY or (step[0] == "prop" and step[1] != self.f.src(c)) or self.safe(c, rest, quote)
            elif c.type == "spread_element":
                ok = self.safe(c.named_children[0], path or (ITEM,), quote)
            else:
                ok = c.type == "comment"  # a method or a getter: its text is code, what it returns is not known
            if not ok:
                return False
        return True

    def _name(self, node, path: tuple, quote) -> bool:
        b = self.scopes.binding(node)
        name = self.f.src(node)
        if b is None and (name == "exports" or (name == "module" and path[:1] == (prop("exports"),))):
            if self.binding(self.scopes.exports(), path[1:] if name == "module" else path, quote):
                return True  # CommonJS: what the module exports, all it is given
        elif b is not None and b.kind == "import":
            followed = js_imports.imported(self, b, path, quote)
            if followed is not None:
                return followed  # a module of the project's: judged there
        if b is None or b.kind == "import":  # a global, or another module's: as its text says
            return name in ("undefined", "NaN", "Infinity") or (not path and self.looks_own(name))
        return self.binding(b, path, quote)

    def _unseen(self, node) -> bool:
        """`this`, a global or an import: what it holds is set where advisor does not look (its text may say)."""
        if node is None or node.type == "this":
            return node is not None
        b = self.scopes.binding(node) if node.type == "identifier" else None
        return node.type == "identifier" and (b is None or b.kind == "import")

    def binding(self, b: Binding, path: tuple, quote) -> bool:
        """Every value the variable is given, and nothing the code does to it changes what `path` reaches."""
        if not path and self._holds_array(b):
            path = (ITEM,)  # an array's text is its elements'
        key = (id(b), path, quote, self.context(b.scope))
        if key in self.answers:
            return self.answers[key]
        if key in self.pending:
            return True  # while it is being answered: what it holds is what the rest of the code gives it
        self.pending.add(key)
        try:
            ok = all(self._given(b, site, path, quote) for site in b.sites) and self._unchanged(b, path, quote)
        finally:
            self.pending.discard(key)
        self.answers[key] = ok
        return ok

    def _unchanged(self, b: Binding, path: tuple, quote) -> bool:
        """Nothing the code does to the variable gives what `path` reaches a value from outside: in this
        file, and, if it is exported, in the modules importing it (advisor.facts.js_exports)."""
        routes, exporting = js_exports.exports_of(self.f, self.scopes, b)
        refs = self.scopes.references(b)
        kept = [r for r in refs if r.id not in exporting and not js_args.handed_back(b, r)]
        return all(self.untouched(use_of(self.f, r), path, quote) for r in kept) and (
            js_exports.untouched(self, routes, path, quote)
        )

    def _holds_array(self, b: Binding) -> bool:
        """The variable is given an array somewhere (`const parts = []`, `ids = ids.map(...)`)."""
        for ident, inner, _ in b.sites:
            if not inner and ident.parent.type == "variable_declarator":
                if arrayish(self.f, ident.parent.child_by_field_name("value")):
                    return True
        for r in self.scopes.references(b):
            use = use_of(self.f, r)
            if use.kind == "write" and not use.chain and any(arrayish(self.f, n) for n, s in use.values if not s):
                return True
        return False

    def always_array(self, node) -> bool:
        """The expression is an array whatever runs: by its shape, or a variable only ever given arrays."""
        node = unwrap(node)
        if arrayish(self.f, node):
            return True
        b = self.scopes.binding(node) if node is not None and node.type == "identifier" else None
        if b is None or b.kind not in ("const", "let", "var"):
            return False
        for ident, inner, _ in b.sites:
            if inner or ident.parent.type != "variable_declarator":
                return False
            if not arrayish(self.f, ident.parent.child_by_field_name("value")):
                return False
        uses = [use_of(self.f, r) for r in self.scopes.references(b)]
        return all(
            u.chain
            or (u.kind == "write" and bool(u.values) and all(not s and arrayish(self.f, n) for n, s in u.values))
            for u in uses
            if u.kind in ("write", "changed")
        )

    def _given(self, b: Binding, site, path: tuple, quote) -> bool:
        """What one declaration gives the variable: its initial value, a loop's element, a parameter's argument."""
        ident, inner, default = site
        if default is not None and not self.safe(default, path, quote):
            return False
        if b.kind == "parameter":
            return js_args.parameter(self, b, ident, inner, path, quote)
        if b.kind not in ("const", "let", "var"):
            return False  # an import, a class, a function as text, a caught error
        holder = ident.parent
        while holder is not None and holder.type not in ("variable_declarator", "for_in_statement"):
            holder = holder.parent
        if holder is None:
            return False
        if holder.type == "variable_declarator":
            value = holder.child_by_field_name("value")
            return value is None or self.safe(value, inner + path, quote)
        right = holder.child_by_field_name("right")
        if f_src(self.f, holder.child_by_field_name("operator")) == "in":
            return self.safe(right, (KEY,), quote)
        return self.safe(right, (ITEM, *inner, *path), quote)

    def untouched(self, use: Use, path: tuple, quote) -> bool:
        """One place the code names the variable does not give what `path` reaches a value from outside."""
        if use.kind == "read":
            return True
        if use.kind == "write":  # `x = v`, `x.a = v`, `x.push(v)`: v lands at use.chain
            if covers(use.chain, path):
                return all(self.safe(v, (*inside, *path[len(use.chain) :]), quote) for v, inside in use.values)
            if path[:1] == (KEY,) and use.keys:
                return all(self.safe(k) for k in use.keys)
            return not covers(path, use.chain)  # something inside what path reaches changed: not followed
        # "escape": the value at use.chain goes where advisor does not follow it, and may change there
        if not (covers(use.chain, path) and len(use.chain) < len(path)) and not (
            use.kind == "changed" and covers(path, use.chain)
        ):
            return True
        if use.alias is not None:
            return js_args.aliased(self, use, path, quote)  # `const { a } = x`: what is done through `a`
        return use.into is not None and js_args.handed(self, use, path, quote)  # a function of the file's


def f_src(f: JsFile, node) -> str:
    return f.src(node) if node is not None else ""


def _root(node):
    """The object a member chain starts from: `this` of `this.a.b`."""
    while node is not None and node.type in ("member_expression", "subscript_expression"):
        node = unwrap(node.child_by_field_name("object"))
    return unwrap(node) if node is not None else node


def _settle(path: tuple) -> tuple:
    """A REST step (what `...rest` collects) stands for any of the properties: the next named one widens to ITEM."""
    while REST in path:
        i = path.index(REST)
        rest = path[i + 1 :]
        if rest and rest[0][0] == "prop" and rest[0][1] != "length":
            rest = (ITEM, *rest[1:])
        path = path[:i] + rest
    return path
