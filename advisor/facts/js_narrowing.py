"""Names a JS/TS test confines where they stand: for advisor.facts.js_values.

A variable is confined inside the branch of a test that holds only for such values, and after a test whose
failing branch leaves (`throw`, `return`):
- a regex anchored at both ends whose every character is known (`if (!/^[A-Za-z_]\\w*$/.test(name)) throw
  ...`): the name holds only the characters it admits; without the `m` flag (`^`/`$` at any line);
- a regex of one character class that finds a forbidden character (`if (BAD.test(name)) throw`, `const BAD
  = /["'\\\\$]/`): the name holds none of them, safe inside the quote it excludes;
- `ALLOWED.includes(dir)`, `dir === 'ASC' || dir === 'DESC'` (or the failing `dir !== 'ASC' && dir !==
  'DESC'`): the name is one of the values, judged as they are;
- a ternary's branch (`RE.test(s) ? s : `"${s}"``) likewise.
Only a `const` or a parameter the code never assigns again; the test must stand before the place, in a block
around it (a `try` the place is outside of does not count), and name the same variable.  A function that
returns its argument after such a test (`function parseName(s) { if (!RE.test(s)) throw ...; return s }`)
returns a confined value: its `return s` is read here like any other place.
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING

from advisor.facts.js_scope import ITEM
from advisor.facts.js_uses import use_of
from advisor.sources.js_syntax import FUNCTIONS, arg_list, unwrap

if TYPE_CHECKING:
    from advisor.facts.js_scope import Binding
    from advisor.facts.js_values import Values

_WORD = frozenset(string.ascii_letters + string.digits + "_")
_BARE = _WORD | {"."}  # text outside quotes: a name, a qualified name, a number
_QUOTED = frozenset(chr(c) for c in range(32, 127)) - {"'", '"', "\\", "`"}  # inside '...' or "...": no quote
_NEEDED = {"'": {"'"}, '"': {'"'}}  # a deny-list keeps a value inside these quotes when it excludes them
_EXITS = {"throw_statement", "return_statement"}


def confined(v: Values, ident, quote) -> bool:
    """The variable `ident` names can only hold, where `ident` stands, text safe in `quote`."""
    b = v.scopes.binding(ident)
    if b is None or b.kind not in ("const", "parameter") or _assigned(v, b):
        return False
    key = ("confining", id(b))
    if key in v.pending:
        return False  # the test's own values reached from the name: circular (`ALLOWED.push(dir)`)
    v.pending.add(key)
    try:
        return _confined(v, ident, b, quote)
    finally:
        v.pending.discard(key)


def _confined(v: Values, ident, b: Binding, quote) -> bool:
    node = ident
    while node is not None and node.id != b.scope.id:
        p = node.parent
        if p is None:
            return False
        if p.type in ("statement_block", "program", "switch_case", "switch_default"):
            for s in p.named_children:
                if s.end_byte > node.start_byte:
                    break
                if s.type == "if_statement" and _after_if(v, s, b, quote):
                    return True
        elif p.type == "if_statement" and node.type != "parenthesized_expression":
            branch = p.child_by_field_name("consequence")
            holds = branch is not None and branch.id == node.id
            if _ok(v, _facts(v, p.child_by_field_name("condition"), holds, b), quote):
                return True
        elif p.type == "else_clause" and p.parent is not None and p.parent.type == "if_statement":
            if _ok(v, _facts(v, p.parent.child_by_field_name("condition"), False, b), quote):
                return True
        elif p.type == "ternary_expression" and node.id != p.child_by_field_name("condition").id:
            holds = node.id == p.child_by_field_name("consequence").id
            if _ok(v, _facts(v, p.child_by_field_name("condition"), holds, b), quote):
                return True
        node = p
    return False


def _assigned(v: Values, b: Binding) -> bool:
    return any((u := use_of(v.f, r)).kind == "write" and not u.chain for r in v.scopes.references(b))


def _after_if(v: Values, s, b: Binding, quote) -> bool:
    """After `if (c) A else B`: c false when A always leaves, true when B does."""
    cond, then = s.child_by_field_name("condition"), s.child_by_field_name("consequence")
    other = s.child_by_field_name("alternative")
    if other is not None and other.type == "else_clause":
        other = next((c for c in other.named_children if c.type != "comment"), None)
    if _leaves(then) and _ok(v, _facts(v, cond, False, b), quote):
        return True
    return other is not None and _leaves(other) and _ok(v, _facts(v, cond, True, b), quote)


def _leaves(s) -> bool:
    """The statement always throws or returns."""
    if s is None:
        return False
    if s.type in _EXITS:
        return True
    if s.type == "statement_block":
        return any(_leaves(c) for c in s.named_children)
    if s.type == "if_statement":
        other = s.child_by_field_name("alternative")
        inner = next((c for c in other.named_children if c.type != "comment"), None) if other is not None else None
        return _leaves(s.child_by_field_name("consequence")) and _leaves(inner)
    return False


# A fact: ("chars", admitted characters) | ("excludes", forbidden characters) | ("values", [(node, path)])


def _facts(v: Values, cond, holds: bool, b: Binding) -> list:
    """What `cond` evaluating to `holds` says of the variable `b`: every fact holds."""
    cond = unwrap(cond)
    if cond is None:
        return []
    t = cond.type
    if t == "unary_expression" and v.f.src(cond.child_by_field_name("operator")) == "!":
        return _facts(v, cond.child_by_field_name("argument"), not holds, b)
    if t == "binary_expression":
        op = v.f.src(cond.child_by_field_name("operator"))
        left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
        if (op == "&&" and holds) or (op == "||" and not holds):
            return _facts(v, left, holds, b) + _facts(v, right, holds, b)
        if op in ("&&", "||"):  # one side or the other: what both sides say
            return _either(_facts(v, left, holds, b), _facts(v, right, holds, b))
        if (op in ("===", "==") and holds) or (op in ("!==", "!=") and not holds):
            for one, other in ((left, right), (right, left)):
                if _names(v, one, b) and unwrap(other).type == "string":
                    return [("values", [(other, ())])]
        return []
    if t != "call_expression":
        return []
    fn = unwrap(cond.child_by_field_name("function"))
    args = arg_list(cond.child_by_field_name("arguments"))
    if fn is None or fn.type != "member_expression" or len(args) != 1 or not _names(v, args[0], b):
        return []
    method, obj = v.f.src(fn.child_by_field_name("property")), fn.child_by_field_name("object")
    if method == "test":
        regex = _regex(v, obj)
        if regex is None:
            return []
        if holds:
            chars = _anchored(*regex)
            return [("chars", chars)] if chars is not None else []
        forbidden = _one_class(*regex)
        return [("excludes", forbidden)] if forbidden is not None else []
    if method in ("includes", "has") and holds:  # an array's or a Set's items (a Map's `has` asks of its keys:
        return [("values", [(obj, (ITEM,))])]  # its items are pairs, never safe text, so no fact)
    return []


def _either(one: list, other: list) -> list:
    """Facts that hold whichever of two alternatives holds: values of both, characters of both."""
    out = []
    for kind in ("values", "chars"):
        a = [f for f in one if f[0] == kind]
        b = [f for f in other if f[0] == kind]
        if a and b:
            out.append((kind, a[0][1] + b[0][1] if kind == "values" else a[0][1] | b[0][1]))
    return out


def _names(v: Values, node, b: Binding) -> bool:
    node = unwrap(node)
    return node is not None and node.type == "identifier" and v.scopes.binding(node) is b


def _ok(v: Values, facts: list, quote) -> bool:
    for kind, data in facts:
        if kind == "chars" and data <= (_BARE if quote is None else _QUOTED if quote in ("'", '"') else _WORD):
            return True
        if kind == "excludes" and quote in _NEEDED and _NEEDED[quote] <= data:
            return True
        if kind == "values" and all(v.safe(n, p, quote) for n, p in data):
            return True
    return False


def _regex(v: Values, node) -> tuple[str, str] | None:
    """The pattern and flags of a regex literal, or of a `const` holding one."""
    node = unwrap(node)
    if node is not None and node.type == "identifier":
        b = v.scopes.binding(node)
        if b is None or b.kind != "const" or len(b.sites) != 1 or b.sites[0][1]:
            return None
        holder = b.sites[0][0].parent
        if holder.type != "variable_declarator" or any(
            use_of(v.f, r).kind in ("write", "changed") for r in v.scopes.references(b)
        ):
            return None
        node = unwrap(holder.child_by_field_name("value"))
    if node is None or node.type != "regex":
        return None
    pattern, flags = node.child_by_field_name("pattern"), node.child_by_field_name("flags")
    return v.f.src(pattern) if pattern is not None else "", v.f.src(flags) if flags is not None else ""


_ESCAPES = {"w": _WORD, "d": frozenset(string.digits)}
_TOKEN = re.compile(r"\\[wd]|\\[^a-zA-Z0-9]|\[(?!\^)(?:\\.|[^\]\\])*\]|\(\?:|[()|*+?]|\{\d+(?:,\d*)?\}|[\w\-]")


def _anchored(pattern: str, flags: str) -> frozenset | None:
    """Every character a regex anchored at both ends can match, or None if it is not such a regex or uses
    anything whose characters are not listed (`.`, `\\s`, a negated class, a lookaround)."""
    if "m" in flags or not (pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$")):
        return None
    body, chars, depth = pattern[1:-1], set(), 0
    at = 0
    while at < len(body):
        m = _TOKEN.match(body, at)
        if m is None:
            return None
        tok, at = m.group(), m.end()
        if tok in ("(", "(?:"):
            depth += 1
        elif tok == ")":
            depth -= 1
        elif tok == "|" and depth == 0:
            return None  # `^a|b$`: each end anchors one alternative only
        elif tok.startswith("["):
            inner = _class(tok[1:-1])
            if inner is None:
                return None
            chars |= inner
        elif tok[:1] == "\\":
            chars |= _ESCAPES.get(tok[1], {tok[1]})
        elif tok not in ("*", "+", "?") and not tok.startswith("{"):
            chars.add(tok)
    if depth != 0:
        return None
    if "i" in flags:
        chars |= {c.swapcase() for c in chars}
    return frozenset(chars)


def _class(inner: str) -> set | None:
    """The characters of a `[...]` class's body (ranges, `\\w`, `\\d`, escaped punctuation), or None."""
    out: set = set()
    i = 0
    while i < len(inner):
        c = inner[i]
        if c == "\\":
            if i + 1 >= len(inner):
                return None
            e = inner[i + 1]
            if e in _ESCAPES:
                out |= _ESCAPES[e]
            elif e == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", inner[i + 2 : i + 6]):
                c, i = chr(int(inner[i + 2 : i + 6], 16)), i + 4
                out.add(c)
            elif e.isalnum():
                return None  # \s, \W, \b, \x..: not listed here
            else:
                out.add(e)
            i += 2
            continue
        if i + 2 < len(inner) and inner[i + 1] == "-" and inner[i + 2] != "\\":
            out |= {chr(x) for x in range(ord(c), ord(inner[i + 2]) + 1)}
            i += 3
            continue
        out.add(c)
        i += 1
    return out


def _one_class(pattern: str, flags: str) -> frozenset | None:
    """The characters a regex of one non-negated class finds anywhere in a text (`/["'\\\\$]/`)."""
    if not (pattern.startswith("[") and pattern.endswith("]") and not pattern.startswith("[^")):
        return None
    if re.fullmatch(r"\[(?:\\.|[^\]\\])*\]", pattern) is None:
        return None
    inner = _class(pattern[1:-1])
    return frozenset(inner) if inner is not None else None


def method(v: Values, call):
    """The method `this.m(...)` calls: the class's own `m`, or its base class's when the base is a class of
    this file; None when `this` is not the class's (inside a `function`), or a class of the file that
    extends it defines `m` too, or something assigns a property named `m`."""
    fn = unwrap(call.child_by_field_name("function"))
    if fn is None or fn.type != "member_expression" or unwrap(fn.child_by_field_name("object")).type != "this":
        return None
    name = v.f.src(fn.child_by_field_name("property"))
    holder = call.parent
    while holder is not None and holder.type not in FUNCTIONS:
        holder = holder.parent
    while holder is not None and holder.type == "arrow_function":
        holder = holder.parent
        while holder is not None and holder.type not in FUNCTIONS and holder.type != "class_body":
            holder = holder.parent
    if holder is None or holder.type != "method_definition" or holder.parent.type != "class_body":
        return None
    if re.search(r"\.\s*" + re.escape(name) + r"\s*=(?!=)|\[\s*['\"]" + re.escape(name), v.f.text):
        return None  # a property of that name assigned: not the method
    static = _static(holder)
    cls = holder.parent.parent
    for _ in range(8):
        if cls is None or _overridden(v, cls, name):
            return None
        found = [m for m in _methods(cls) if _method_name(v, m) == name and _static(m) == static]
        if len(found) == 1:
            return found[0]
        if found:
            return None
        cls = _base(v, cls)
    return None


def _methods(cls) -> list:
    body = cls.child_by_field_name("body")
    return [m for m in (body.named_children if body is not None else []) if m.type == "method_definition"]


def _method_name(v: Values, m) -> str | None:
    if any(c.type in ("get", "set", "*") for c in m.children if not c.is_named):
        return None
    key = m.child_by_field_name("name")
    return (
        v.f.src(key) if key is not None and key.type in ("property_identifier", "private_property_identifier") else None
    )


def _static(m) -> bool:
    return any(c.type == "static" for c in m.children)


def _base(v: Values, cls):
    """The class a class extends, when it is a class of this file named by a binding."""
    heritage = next((c for c in cls.named_children if c.type == "class_heritage"), None)
    if heritage is None:
        return None
    parent = unwrap(next((c for c in heritage.named_children if c.type != "comment"), None))
    if parent is None or parent.type != "identifier":
        return None
    b = v.scopes.binding(parent)
    if b is None or b.kind != "class" or len(b.sites) != 1:
        return None
    node = b.sites[0][0].parent
    return node if node is not None and node.type in ("class_declaration", "class") else None


def _overridden(v: Values, cls, name: str) -> bool:
    """A class of this file that extends `cls` (at any depth) defines `name`."""
    key = ("classes",)
    if key not in v.answers:
        stack, seen = [v.f.root], []
        while stack:
            n = stack.pop()
            if n.type in ("class_declaration", "class"):
                seen.append(n)
            stack.extend(n.named_children)
        v.answers[key] = seen
    for other in v.answers[key]:
        base, hops = _base(v, other), 0
        while base is not None and hops < 8 and base.id != cls.id:
            base, hops = _base(v, base), hops + 1
        if base is not None and base.id == cls.id and any(_method_name(v, m) == name for m in _methods(other)):
            return True
    return False
