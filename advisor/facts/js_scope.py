"""Where a JS/TS name is declared, and every place the code names it.

Scopes as the language has them: `const`, `let` and `class` belong to the nearest block, `var`
and a function's own name to the nearest function (or the module), parameters to their function,
a loop's `const x of ...` to its loop, `catch (e)` to its clause, imports to the module.  A name
used in a nested function is the same variable when nothing closer declares it: a callback that
pushes onto an outer array writes that array.

Plain syntax over tree-sitter nodes; what the values are is advisor.facts.js_values's to say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.sources.js_syntax import FUNCTIONS, WRAPPERS, JsFile, key_name, parameter_list

_BLOCKS = {
    "statement_block",
    "program",
    "for_statement",
    "for_in_statement",
    "catch_clause",
    "switch_body",
    "class_body",
}
_NAMES = ("identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern")
ITEM: tuple[str, ...] = ("item",)  # a step to any element of an array or any value of an object
KEY: tuple[str, ...] = ("key",)  # a step to any key of an object or index of an array
REST: tuple[str, ...] = (
    "rest",
)  # what a `...rest` pattern collects: some of the properties or elements, which unknown


def prop(name: str) -> tuple[str, ...]:
    """A step to one named property (`.rows`, `["0"]`)."""
    return ("prop", name)


@dataclass(eq=False)
class Binding:
    """One variable: every declaration of the name in one scope (`var x` twice is one variable)."""

    name: str
    kind: str  # const, let, var, parameter, function, class, import, catch
    scope: Any  # the node whose subtree sees it
    sites: list = field(default_factory=list)  # (declaring identifier, path inside its pattern, default or None)


class Scopes:
    """The declarations of one file, and where each name is used."""

    def __init__(self, f: JsFile):
        self.f = f
        self._declared: dict[int, dict[str, Binding]] = {}  # scope node id -> name -> binding
        self._sites: set[int] = set()  # ids of identifiers that declare a name
        self.uses: dict[str, list] = {}  # name -> identifiers naming it (declarations excluded)
        self._references: dict[int, list] = {}  # id(binding) -> its references, once asked
        self._exports: Binding | None = None
        self._walk(f.root)

    def binding(self, ident) -> Binding | None:
        """The variable an identifier names (None: a global or something not declared in this file)."""
        name, node = self.f.src(ident), ident
        while node is not None:
            found = self._declared.get(node.id, {}).get(name)
            if found is not None:
                return found
            node = node.parent
        return None

    def gives(self, ident, value) -> bool:
        """`value` is what a declaration of the variable `ident` names, or an assignment to it, gives it (not a
        same-named variable of another scope: a `const { query } = ...` of one method, `query = ...` of another)."""
        node = value
        while node.parent is not None and node.parent.type in WRAPPERS:
            node = node.parent
        holder = node.parent
        if holder is not None and holder.type == "variable_declarator" and holder.child_by_field_name("value") == node:
            target = holder.child_by_field_name("name")
        elif (
            holder is not None
            and holder.type == "assignment_expression"
            and holder.child_by_field_name("right") == node
        ):
            target = holder.child_by_field_name("left")
        else:
            return False
        return target is not None and target.type == "identifier" and self.binding(target) is self.binding(ident)

    def references(self, b: Binding) -> list:
        """Every identifier in the variable's scope that names it."""
        if id(b) not in self._references:
            start, end = b.scope.start_byte, b.scope.end_byte
            uses = self.uses.get(b.name, ())
            self._references[id(b)] = [n for n in uses if start <= n.start_byte < end and self.binding(n) is b]
        return self._references[id(b)]

    def exports(self) -> Binding:
        """CommonJS's `exports` and `module.exports`, where the file declares neither name: one variable,
        declared nowhere, that holds what the module gives `require` (kind "exports")."""
        if self._exports is None:
            b = self._exports = Binding("exports", "exports", self.f.root)
            refs = [n for n in self.uses.get("exports", ()) if self.binding(n) is None]
            for n in self.uses.get("module", ()):
                p = n.parent
                if p is not None and p.type == "member_expression" and p.child_by_field_name("object") == n:
                    named = p.child_by_field_name("property")
                    if named is not None and self.f.src(named) == "exports" and self.binding(n) is None:
                        refs.append(p)
            self._references[id(b)] = sorted(refs, key=lambda n: n.start_byte)
        return self._exports

    def _declare(self, scope, name_node, kind: str, path: tuple = (), default=None) -> None:
        name = self.f.src(name_node)
        table = self._declared.setdefault(scope.id, {})
        b = table.get(name)
        if b is None:
            b = table[name] = Binding(name, kind, scope)
        b.sites.append((name_node, path, default))
        self._sites.add(name_node.id)

    def _walk(self, root) -> None:
        stack = [(root, root, root)]  # (node, block scope, function scope)
        while stack:
            node, block, function = stack.pop()
            t = node.type
            if t in FUNCTIONS:
                self._function(node, block)
                block = function = node
            elif t in _BLOCKS:
                block = node
            if t == "lexical_declaration" or t == "variable_declaration":
                target = block if t == "lexical_declaration" else function
                kind = node.child(0).type if t == "lexical_declaration" else "var"
                for declarator in (c for c in node.named_children if c.type == "variable_declarator"):
                    self._pattern(target, declarator.child_by_field_name("name"), kind)
            elif t == "for_in_statement" and node.child_by_field_name("kind") is not None:
                kind = node.child_by_field_name("kind").type
                self._pattern(node if kind != "var" else function, node.child_by_field_name("left"), kind)
            elif t == "catch_clause" and node.child_by_field_name("parameter") is not None:
                self._pattern(node, node.child_by_field_name("parameter"), "catch")
            elif t in ("class_declaration", "import_specifier", "import_clause", "namespace_import"):
                self._named(node, block)
            elif t in _NAMES and node.id not in self._sites:
                self.uses.setdefault(self.f.src(node), []).append(node)
            stack.extend((c, block, function) for c in reversed(node.named_children))

    def _function(self, fn, block) -> None:
        name = fn.child_by_field_name("name")
        if name is not None and name.type == "identifier":  # a method's name is a property, not a variable
            self._declare(block if fn.type.endswith("declaration") else fn, name, "function")
        for param in parameter_list(fn):
            self._pattern(fn, param, "parameter")

    def _named(self, node, block) -> None:
        if node.type == "class_declaration":
            name = node.child_by_field_name("name")
            if name is not None:
                self._declare(block, name, "class")
            return
        if node.type == "import_specifier":
            names = [c for c in node.named_children if c.type == "identifier"]
            if names:
                self._declare(self.f.root, names[-1], "import")
            return
        for c in node.named_children:  # import_clause's default name, namespace_import's `* as name`
            if c.type == "identifier":
                self._declare(self.f.root, c, "import")

    def _pattern(self, scope, pattern, kind: str) -> None:
        for ident, path, default in names_in(self.f, pattern):
            self._declare(scope, ident, kind, path, default)


def scopes_of(f: JsFile) -> Scopes:
    """The file's scopes, read once for the file (kept in its memo)."""
    if ("scopes",) not in f.memo:
        f.memo[("scopes",)] = Scopes(f)
    return f.memo[("scopes",)]


def names_in(f: JsFile, pattern, path: tuple = (), default=None) -> list[tuple[Any, tuple, Any]]:
    """The names a declaration or parameter binds, each with the steps that reach its value inside the
    destructured one (`{ rows: [row] }`: row at .rows[0]) and its default.  A `...rest` binds what no
    step names: a REST step, which stands for any of them."""
    if pattern is None:
        return []
    t = pattern.type
    if t in ("identifier", "shorthand_property_identifier_pattern"):
        return [(pattern, path, default)]
    if t in ("required_parameter", "optional_parameter"):
        inner = pattern.child_by_field_name("pattern")
        return names_in(f, inner, path, pattern.child_by_field_name("value") or default)
    if t in ("assignment_pattern", "object_assignment_pattern"):
        return names_in(f, pattern.child_by_field_name("left"), path, pattern.child_by_field_name("right"))
    if t == "rest_pattern":
        return [(n, path + (REST,) + p, d) for c in pattern.named_children for n, p, d in names_in(f, c)]
    if t == "object_pattern":
        out = []
        for c in pattern.named_children:
            if c.type == "pair_pattern":
                key = key_name(f, c.child_by_field_name("key"))
                step = prop(key) if key is not None else ITEM
                out += names_in(f, c.child_by_field_name("value"), path + (step,))
            elif c.type == "shorthand_property_identifier_pattern":
                out.append((c, path + (prop(f.src(c)),), None))
            elif c.type == "object_assignment_pattern":
                left = c.child_by_field_name("left")
                out += names_in(f, left, path + (prop(f.src(left)),), c.child_by_field_name("right"))
            else:
                out += names_in(f, c, path)
        return out
    if t == "array_pattern":
        out, index = [], 0
        for c in pattern.children:
            if c.type == ",":
                index += 1
            elif c.is_named and c.type != "comment":
                out += names_in(f, c, path + (prop(str(index)),))
        return out
    return []
