"""JavaScript / TypeScript syntax for the extractors: tree-sitter parsing and static values.

Object literals are read statically: literals become values, everything else a
typed `Placeholder`.  Identifiers are resolved to the nearest earlier `const`/`let`/
`var` declaration in the file (so `var pipeline = [...]; db.x.aggregate(pipeline)` works).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from pathlib import PurePath
from typing import Any

from advisor.ir import Location
from advisor.mongo.shape import Placeholder, Regex

# the node types that open a function's scope
FUNCTIONS = frozenset(
    {
        "function_declaration",
        "function_expression",
        "arrow_function",
        "method_definition",
        "function",
        "generator_function_declaration",
        "generator_function",
    }
)
# the calls that open a driver collection by name: `db.collection(n)`, `db.getCollection(n)`, and the promise of one
# `db.createCollection(n, opts)` gives
OPENERS = ("collection", "getCollection", "createCollection")
WRAPPERS = {
    "await_expression",
    "parenthesized_expression",
    "as_expression",
    "satisfies_expression",
    "non_null_expression",
    "type_assertion",
}
MAX_VALUE_NODES = 5000  # syntax nodes read for one value, variables expanded
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}

_parsers: dict[str, Any] = {}
# TypeScript 5's type-only star export (`export type * from './types'`), which the grammar does not know: erased by
# the compiler, so read as the `export * from` it parses (the same length: every position stays)
_TYPE_STAR = re.compile(rb"(?<![\w$.])(export\s+)type(\s*\*)")
# TypeScript 4.7's variance annotations on type parameters (`interface Entity<in out Type extends string>`), which
# the grammar does not know either: erased by the compiler, so blanked (spaces: every position stays)
# a tag's type arguments (`sql<MessageRow>`SELECT ...``), which the grammar reads as two comparisons: blanked, the
# tag then reads as any tag does (`sql          `SELECT ...``, a space before the template is JavaScript's too)
_TAG_TYPES = re.compile(rb"(?<=[\w$])<[^<>`()=]{0,200}(?:<[^<>`()=]{0,200}>[^<>`()=]{0,200}){0,8}>(?=`)")
_VARIANCE = re.compile(rb"(?<=[<,])(\s*)((?:in\s+)?out|in)(?=\s+[A-Za-z_$][\w$]*\s*(?:extends\b|=|,|>))")


class _Parser:
    def __init__(self, parser, typescript: bool):
        self.parser, self.typescript = parser, typescript

    def parse(self, data: bytes):
        if self.typescript and b"type" in data:
            data = _TYPE_STAR.sub(lambda m: m.group(1) + b"    " + m.group(2), data)
        if self.typescript and b">`" in data:
            data = _TAG_TYPES.sub(lambda m: b" " * len(m.group(0)), data)
        if self.typescript and (b"in " in data or b"out " in data):
            data = _VARIANCE.sub(lambda m: m.group(1) + re.sub(rb"\S", b" ", m.group(2)), data)
        return self.parser.parse(data)


def parser(suffix: str):
    if suffix not in _parsers:
        from tree_sitter import Language, Parser

        if suffix in (".ts", ".mts", ".cts"):
            import tree_sitter_typescript as tst

            lang = Language(tst.language_typescript())
        elif suffix == ".tsx":
            import tree_sitter_typescript as tst

            lang = Language(tst.language_tsx())
        else:
            import tree_sitter_javascript as tsj

            lang = Language(tsj.language())
        _parsers[suffix] = _Parser(Parser(lang), suffix in (".ts", ".mts", ".cts", ".tsx"))
    return _parsers[suffix]


def unwrap(node):
    while node is not None and node.type in WRAPPERS:
        inner = [
            c
            for c in node.named_children
            if c.type
            not in (
                "type_annotation",
                "predefined_type",
                "type_identifier",
                "generic_type",
                "object_type",
                "union_type",
            )
        ]
        if not inner:
            return node
        node = inner[0]
    return node


class JsFile:
    def __init__(self, path: str, text: str, data: bytes, root):
        self.path = path
        self.text = text
        self.data = data
        self.root = root
        self.ascii = len(data) == len(text)
        self.line_starts = [0]
        if not self.ascii:
            for m in re.finditer(b"\n", data):
                self.line_starts.append(m.end())
        self.decls: dict[str, list[tuple[int, Any]]] = {}
        # where a `const`/`let`/`var` declared at a start byte is visible (its block, or function for
        # `var`): a bundle's `const model` of one function is not another function's `model`
        self.scopes: dict[int, tuple[int, int]] = {}
        # a name a `const { a, b } = value` binds -> (where it is visible, the value destructured), per declaration
        self.destructured: dict[str, list[tuple[tuple[int, int], Any]]] = {}
        self.models: dict[str, tuple[str, str | None]] = {}  # model variable -> (model name, collection)
        self.schemas: dict[str, dict] = {}  # schema variable -> {"model":..., "collection":..., "node":...}
        self.imports: dict[str, str] = {}  # name bound by an ES import -> the module it comes from
        self.imported: dict[str, str] = {}  # a name an ES import binds -> the module's name for it (`sql as sql2`)
        self.classes: set[str] = set()  # classes declared in the file
        self.news: list = []  # every `new X(...)`, in the file's order
        self.members: dict[str, list] = {}  # `this.name = value` / `self.name = value`: the values
        self.object_members: dict[tuple[str, str], list] = {}  # `obj.name = value`: the assignments
        self.member_assignments: list = []  # every `a.b = value` / `a[k] = value`, in the file's order
        self.functions: dict[str, list] = {}  # `function name() {...}` declared in the file, by name
        self.methods: dict[str, Any] = {}  # class methods and getters declared in the file, by name
        # calls by what they call: `name(...)`, `this.name(...)`; `a.name(...)` as "a.name"
        self.called: dict[str, list] = {}
        self.receiver_steps = 0  # steps taken to resolve one MongoDB call's receiver (js_receivers)
        self.bound: dict[str, str] = {}  # a loop's name -> the literal it stands for in this reading (js_mongo)
        self.rewritten: set[str] = set()  # names changed other than by `name = value`: `+=`, `++`, `for (name of`
        self.memo: dict[tuple, Any] = {}  # what a reader derives from the file or a node of it, derived once
        self.parents: dict[int, Any] = {}  # node id -> its parent, for the named nodes (filled by collect_decls)
        self.too_deep: Any = None  # the first node nested deeper than MAX_NESTING (collect_decls reads none of it)

    def parent(self, node):
        """`node.parent`, from the map of the file's parents: tree-sitter finds a parent by descending from
        the root, so walking up from a node nested d deep costs d * d (a crafted file nests thousands deep)."""
        got = self.parents.get(node.id)
        return got if got is not None else node.parent

    def src(self, node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def col(self, row: int, bytecol: int) -> int:
        if self.ascii:
            return bytecol + 1
        start = self.line_starts[row] if row < len(self.line_starts) else 0
        return len(self.data[start : start + bytecol].decode("utf-8", "replace")) + 1

    def loc(self, node) -> Location:
        (r1, c1), (r2, c2) = node.start_point, node.end_point
        return Location(self.path, r1 + 1, self.col(r1, c1), r2 + 1, self.col(r2, c2))

    def resolve(self, name: str, before: int):
        """The value last assigned to `name` before `before`, never the one being assigned there:
        in `filter = { $or: [filter, x] }` the inner `filter` is the earlier value."""
        got = self._declared(name, before)
        return got[1] if got is not None else None

    def _declared(self, name: str, before: int):
        """(scope start, value) of the declaration `resolve` finds."""
        decls = self.decls.get(name, [])
        for i in range(bisect_left(decls, before, key=lambda d: d[0]) - 1, -1, -1):  # sorted by start
            start, value = decls[i]
            scope = self.scopes.get(start, (0, len(self.data)))  # an assignment: the name's, unknown
            if not value.start_byte <= before < value.end_byte and scope[0] <= before < scope[1]:
                return None if self._shadowed(name, start, before) else (scope[0], value)
        return None

    def destructured_from(self, name: str, at: int):
        """The value a `const { name } = value` visible at byte `at` destructures (the innermost), or None."""
        seen = [(scope, value) for scope, value in self.destructured.get(name, ()) if scope[0] <= at < scope[1]]
        return max(seen, key=lambda s: s[0][0])[1] if seen else None

    def binding(self, name: str, at: int):
        """What `name` is at byte `at`: the function declared under that name or the value it was
        last given, whichever is declared in the innermost scope around `at` (never a same-named
        function or constant of another function)."""
        fn = None
        for node in self.functions.get(name, ()):
            scope = _scope(self, self.parent(node), lexical=True)
            if scope.start_byte <= at < scope.end_byte and (fn is None or scope.start_byte > fn[0]):
                fn = (scope.start_byte, node)
        if fn is not None and self._shadowed(name, fn[1].start_byte, at):
            fn = None
        value = self._declared(name, at)
        if fn is None or value is not None and value[0] >= fn[0]:
            return value[1] if value is not None else None
        return fn[1]

    def _shadowed(self, name: str, declared: int, used: int) -> bool:
        """A function around the use, not around the declaration, has a parameter of that name
        (`collections.map(collection => ...)` after a `const collection = ...`): the use is the parameter."""
        node = self.root.descendant_for_byte_range(used, used)
        while node is not None:
            if node.type in FUNCTIONS and not node.start_byte <= declared < node.end_byte:
                if name in bound_names(self, node):
                    return True
            node = self.parent(node)
        return False


# node-postgres's streaming readers: `client.query(new Cursor(text, values))` (pg-cursor), `new QueryStream(text,
# values)` (pg-query-stream) run their first argument
_STREAMS = frozenset({"Cursor", "QueryStream"})


def run_text(f: JsFile, arg):
    """The argument an execution call runs as SQL: itself, or the text a streaming reader it is handed runs."""
    arg = unwrap(arg)
    if arg is not None and arg.type == "new_expression":
        ctor = unwrap(arg.child_by_field_name("constructor"))
        if ctor is not None and ctor.type == "member_expression":  # `new pg.Cursor(...)`
            ctor = ctor.child_by_field_name("property")
        name = f.src(ctor) if ctor is not None else ""
        args = arg_list(arg.child_by_field_name("arguments"))
        if name in _STREAMS and args:
            return unwrap(args[0])
    return arg


def parameter_list(fn) -> list:
    """A function's parameters, one node each (`x => ...`: the identifier)."""
    params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
    if params is None:
        return []
    return [params] if params.type == "identifier" else [c for c in params.named_children if c.type != "comment"]


def bound_names(f: JsFile, fn) -> set[str]:
    """The names a function's parameters bind: `a`, `b = 1`, `{ c, d: e }`, `...f`, TypeScript `g: T`."""
    out: set[str] = set()
    stack = parameter_list(fn)
    while stack:
        node = stack.pop()
        if node is None:
            continue
        if node.type in ("identifier", "shorthand_property_identifier_pattern"):
            out.add(f.src(node))
        elif node.type in ("assignment_pattern", "object_assignment_pattern"):
            stack.append(node.child_by_field_name("left"))
        elif node.type in ("required_parameter", "optional_parameter"):
            stack.append(node.child_by_field_name("pattern"))
        elif node.type == "pair_pattern":
            stack.append(node.child_by_field_name("value"))
        elif node.type not in ("type_annotation", "number", "string"):
            stack.extend(node.named_children)
    out.discard("")
    return out


# --- static values -------------------------------------------------------------------------


def required(f: JsFile, node) -> str | None:
    """The module `require('x')` loads: 'x', also through a wrapper's call (TypeScript's
    `__importDefault(require('x'))`, `__importStar(...)`); None for anything else."""
    for _ in range(2):
        node = unwrap(node)
        if node is None or node.type != "call_expression":
            return None
        fn, args = node.child_by_field_name("function"), arg_list(node.child_by_field_name("arguments"))
        if len(args) != 1:
            return None
        if fn is not None and f.src(fn) == "require":
            arg = unwrap(args[0])
            return string_value(f, arg) if arg is not None and arg.type in ("string", "template_string") else None
        node = args[0]
    return None


def string_value(f: JsFile, node) -> str | None:
    if node.type == "string":
        out = []
        for c in node.named_children:
            if c.type == "string_fragment":
                out.append(f.src(c))
            elif c.type == "escape_sequence":
                out.append(unescape(f.src(c)))
        return "".join(out)
    if node.type == "template_string":
        if any(c.type == "template_substitution" for c in node.named_children):
            return None
        out = []
        for c in node.named_children:
            out.append(unescape(f.src(c)) if c.type == "escape_sequence" else f.src(c))
        return "".join(out)
    return None


def unescape(esc: str) -> str:
    body = esc[1:]
    if not body:
        return ""
    if body[0] in _ESCAPES:
        return _ESCAPES[body[0]]
    if body[0] == "u" and len(body) >= 5:
        try:
            return chr(int(body[1:5] if body[1] != "{" else body[2:-1], 16))
        except ValueError:
            return body
    if body[0] == "x" and len(body) >= 3:
        try:
            return chr(int(body[1:3], 16))
        except ValueError:
            return body
    if body[0] == "\n":
        return ""
    return body


def _call_kind(f: JsFile, node) -> Placeholder:
    fn = unwrap(node.child_by_field_name("function") or node.child_by_field_name("constructor"))
    name = f.src(fn) if fn is not None else ""
    last = name.rsplit(".", 1)[-1]
    text = f.src(node)
    if len(text) > 60:
        text = text[:57] + "..."
    if last in ("Date", "ISODate", "now", "getTime", "toISOString", "subtract", "add") or "Date" in name:
        return Placeholder("date", text)
    if last in ("ObjectId", "ObjectID", "isValidObjectId"):
        return Placeholder("objectid", text)
    if last in ("toLowerCase", "toUpperCase", "trim", "toString", "String", "join", "slice", "replace", "toHexString"):
        return Placeholder("string", text)
    if last in (
        "Number",
        "parseInt",
        "parseFloat",
        "NumberInt",
        "NumberLong",
        "NumberDecimal",
        "Int32",
        "Long",
        "Decimal128",
        "floor",
        "ceil",
        "round",
        "max",
        "min",
    ):
        return Placeholder("number", text)
    if last in ("RegExp",):
        return Placeholder("regex", text)
    if last in ("map", "filter", "from", "concat", "keys", "values"):
        return Placeholder("array", text)
    return Placeholder("unknown", text)


def _grown(f: JsFile, name: str, declared) -> bool:
    """The array a name is bound to is filled after it is written (`name.push(x)`, `unshift`, `splice`, `name[i] =`),
    anywhere in the file after it: an empty literal is not what the run holds (a written one keeps its elements,
    `[{ userId }, ...]` then a pushed clause: those it is known to hold)."""
    grows = re.compile(
        rb"\b" + re.escape(name.encode()) + rb"\s*(?:\.\s*(?:push|unshift|splice)\s*\(|\[[^\]]*\]\s*=(?!=))"
    )
    return grows.search(f.data, declared.end_byte) is not None


def read_value(f: JsFile, node, path: tuple, spans: dict, state: dict, depth: int = 0) -> Any:
    """A JS expression as a static Python value (dict/list/str/number/bool/None/Regex/Placeholder)."""
    node = unwrap(node)
    if node is None:
        return Placeholder("unknown")
    t = node.type
    state["nodes"] = 1 if depth == 0 else state.get("nodes", 0) + 1
    if depth > 12 or state["nodes"] > MAX_VALUE_NODES:  # variables expanded into each other stay bounded
        state["partial"] = True
        return Placeholder("unknown", "…")
    if t == "object":
        out: dict = {}
        for child in node.named_children:
            if child.type == "pair":
                key_node = child.child_by_field_name("key")
                key = key_name(f, key_node)
                if key is None:
                    state["partial"] = True
                    continue
                spans[path + (key,)] = f.loc(child)
                out[key] = read_value(f, child.child_by_field_name("value"), path + (key,), spans, state, depth + 1)
            elif child.type == "shorthand_property_identifier":
                key = f.src(child)
                spans[path + (key,)] = f.loc(child)
                resolved = f.resolve(key, child.start_byte)
                out[key] = (
                    read_value(f, resolved, path + (key,), {}, state, depth + 1)
                    if resolved is not None and resolved.type in ("string", "number", "true", "false", "object")
                    else Placeholder("unknown", key)
                )
            elif child.type == "spread_element":
                state["partial"] = True
            elif child.type == "method_definition":
                state["partial"] = True
        return out
    if t == "array":
        items = []
        for i, child in enumerate(c for c in node.named_children if c.type != "comment"):
            spans[path + (i,)] = f.loc(child)
            if child.type == "spread_element":
                state["partial"] = True
                items.append(Placeholder("array", f.src(child)))
                continue
            items.append(read_value(f, child, path + (i,), spans, state, depth + 1))
        return items
    if t in ("string", "template_string"):
        s = string_value(f, node)
        return s if s is not None else Placeholder("string", f.src(node)[:60])
    if t == "number":
        raw = f.src(node).replace("_", "")
        try:
            return int(raw, 0) if re.fullmatch(r"0[xXoObB][0-9a-fA-F]+|\d+", raw) else float(raw)
        except ValueError:
            return Placeholder("number", raw)
    if t == "true":
        return True
    if t == "false":
        return False
    if t in ("null", "undefined"):
        return None
    if t == "regex":
        pattern = node.child_by_field_name("pattern")
        flags = node.child_by_field_name("flags")
        return Regex(f.src(pattern) if pattern else "", f.src(flags) if flags else "")
    if t == "unary_expression":
        arg = node.child_by_field_name("argument")
        op = node.child_by_field_name("operator")
        v = read_value(f, arg, path, {}, state, depth + 1)
        if op is not None and f.src(op) == "-" and isinstance(v, (int, float)) and not isinstance(v, bool):
            return -v
        if op is not None and f.src(op) == "!":
            return Placeholder("bool", f.src(node))
        return Placeholder("unknown", f.src(node)[:60])
    if t == "identifier":
        name = f.src(node)
        if name == "undefined":
            return None
        resolved = f.resolve(name, node.start_byte)
        if _defaulted(f, name, resolved):  # `start = start || 0`: still the parameter, with a default
            default = read_value(f, resolved.child_by_field_name("right"), path, {}, state, depth + 1)
            kind = (
                "number" if isinstance(default, (int, float)) else "string" if isinstance(default, str) else "unknown"
            )
            return Placeholder(kind, name)
        if (
            resolved is not None
            and resolved.type == "array"
            and not resolved.named_children
            and _grown(f, name, resolved)
        ):
            return Placeholder("array", name)  # `const live = []`, then `live.push(key)`: all of it the run's
        if resolved is not None and depth < 8 and resolved.start_byte != node.start_byte:
            return read_value(f, resolved, path, spans, state, depth + 1)
        return Placeholder("unknown", name)
    if t == "call_expression":  # [stages].concat(more): a pipeline built from parts
        fn = unwrap(node.child_by_field_name("function"))
        if fn is not None and fn.type == "member_expression" and f.src(fn.child_by_field_name("property")) == "concat":
            head = read_value(f, fn.child_by_field_name("object"), path, spans, state, depth + 1)
            parts = [
                read_value(f, a, path, {}, state, depth + 1)
                for a in node.child_by_field_name("arguments").named_children
                if a.type != "comment"
            ]
            if isinstance(head, list) and parts:
                return head + [x for p in parts for x in (p if isinstance(p, list) else [p])]
    if t in ("call_expression", "new_expression"):
        return _call_kind(f, node)
    if t == "binary_expression":
        op = node.child_by_field_name("operator")
        left = read_value(f, node.child_by_field_name("left"), path, {}, state, depth + 1)
        kind = (
            "number"
            if op is not None and f.src(op) in ("-", "*", "/", "%")
            else "date"
            if isinstance(left, Placeholder) and left.kind == "date"
            else "string"
            if isinstance(left, str)
            else "unknown"
        )
        return Placeholder(kind, f.src(node)[:60])
    if t == "member_expression":
        member = constant_member(f, node)
        if member is not None and depth < 8:
            return read_value(f, member, path, spans, state, depth + 1)
        return Placeholder("unknown", f.src(node)[:60])
    if t in ("arrow_function", "function_expression", "function"):
        return Placeholder("function", "function")
    return Placeholder("unknown", f.src(node)[:60])


def _defaulted(f: JsFile, name: str, value) -> bool:
    """`name = name || x` / `name ?? x`: the variable keeps what it was given, defaulted."""
    if value is None or value.type != "binary_expression":
        return False
    op, left = value.child_by_field_name("operator"), unwrap(value.child_by_field_name("left"))
    return op is not None and f.src(op) in ("||", "??") and left is not None and f.src(left) == name


def key_name(f: JsFile, key_node) -> str | None:
    if key_node is None:
        return None
    if key_node.type in ("property_identifier", "identifier", "private_property_identifier"):
        return f.src(key_node)
    if key_node.type == "string":
        return string_value(f, key_node)
    if key_node.type == "number":
        return f.src(key_node)
    if key_node.type == "computed_property_name":  # `[KEY]: 1`, `const KEY = 'expiresAt'`: one value in the file
        inner = unwrap(next(iter(key_node.named_children), None))
        if inner is not None and inner.type == "identifier":
            inner = f.resolve(f.src(inner), inner.start_byte) if len(f.decls.get(f.src(inner), ())) == 1 else None
        elif inner is not None and inner.type == "member_expression":  # `[Fields.STATUS]: 1`
            inner = constant_member(f, inner)
        return string_value(f, inner) if inner is not None and inner.type in ("string", "template_string") else None
    return None  # computed key


def constant_member(f: JsFile, node):
    """The value node of `Names.KEY` where `Names` is given once in the file, an object literal that writes `KEY`
    (`const IndexNames = { CLAIM: "chrono-claim-index" }`), and nothing sets a member of it; None otherwise."""
    obj, prop = unwrap(node.child_by_field_name("object")), node.child_by_field_name("property")
    if obj is None or prop is None or obj.type != "identifier" or prop.type != "property_identifier":
        return None
    name = f.src(obj)
    if len(f.decls.get(name, ())) != 1 or name in _members_set(f):
        return None  # given more than once, or a member set somewhere: not the literal's value everywhere
    value = unwrap(f.resolve(name, node.start_byte))
    if value is None or value.type != "object":
        return None
    key = f.src(prop)
    return next(
        (
            pair.child_by_field_name("value")
            for pair in value.named_children
            if pair.type == "pair" and key_name(f, pair.child_by_field_name("key")) == key
        ),
        None,
    )


def _members_set(f: JsFile) -> set[str]:
    """The names whose member the file sets (`Names.KEY = ...`, `Names[k] = ...`), read once per file."""
    if ("members set",) not in f.memo:
        targets = (unwrap(n.child_by_field_name("left").child_by_field_name("object")) for n in f.member_assignments)
        f.memo[("members set",)] = {f.src(t) for t in targets if t is not None and t.type == "identifier"}
    return f.memo[("members set",)]


# --- chains ---------------------------------------------------------------------------------


def member_parts(f: JsFile, node):
    """(object node, property name) of a member or string subscript expression."""
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return node.child_by_field_name("object"), f.src(prop) if prop is not None else ""
    if node.type == "subscript_expression":
        idx = unwrap(node.child_by_field_name("index"))
        if idx is not None and idx.type == "string":
            return node.child_by_field_name("object"), string_value(f, idx) or ""
    return None, None


def callee_name(f: JsFile, call) -> tuple[str, str]:
    """(called name, callee source) of a call: `query` and `this.pool.query` for this.pool.query(...)."""
    fn = unwrap(call.child_by_field_name("function"))
    if fn is None:
        return "", ""
    _, prop = member_parts(f, fn)
    return (prop if prop is not None else (f.src(fn) if fn.type == "identifier" else "")), f.src(fn)


def unchain(f: JsFile, node):
    """The base of a call chain and its calls [(method, arguments node, call node)], first call first."""
    calls = []
    base = None
    node = unwrap(node)
    while node is not None:
        if node.type == "call_expression":
            fn = _callee(unwrap(node.child_by_field_name("function")))
            args = node.child_by_field_name("arguments")
            obj, prop = member_parts(f, fn) if fn is not None else (None, None)
            if prop is None and fn is not None and fn.type == "subscript_expression":
                obj, prop = fn.child_by_field_name("object"), _method_named(f, fn)
            if prop is not None:
                calls.append((prop, args, node))
                node = unwrap(obj)
                continue
            if fn is not None and f.src(fn) == "await" and len(arg_list(args)) == 1:
                node = unwrap(arg_list(args)[0])  # `await (await p).find()` parses as a call of `await`
                continue
            if fn is not None and fn.type == "identifier":
                calls.append((f.src(fn), args, node))
            base = node if fn is not None and fn.type in FUNCTIONS else None  # `(async () => {...})()`
            break
        base = node
        break
    calls.reverse()
    return base, calls


def _method_named(f: JsFile, fn) -> str | None:
    """`coll[ensureIndex](...)` with `var ensureIndex = 'ensureIndex'` (set to 'createIndex' for a newer driver,
    eventstore's mongodb.js): the method the name holds where it is called, when that is a string."""
    idx = unwrap(fn.child_by_field_name("index"))
    if idx is None or idx.type != "identifier":
        return None
    value = unwrap(f.resolve(f.src(idx), idx.start_byte))
    return string_value(f, value) if value is not None and value.type == "string" else None


def _callee(fn):
    """`(0, mod.f)` as compiled TypeScript calls an imported function: `mod.f`."""
    if fn is not None and fn.type == "sequence_expression":
        parts = [c for c in fn.named_children if c.type != "comment"]
        if len(parts) == 2 and parts[0].type == "number" and parts[1].type == "member_expression":
            return parts[1]
    return fn


def prop_loc(f: JsFile, call) -> Location:
    """From a method call's name to the end of the call: `sort({ a: 1 })`."""
    fn = unwrap(call.child_by_field_name("function"))
    start = call
    if fn is not None and fn.type == "member_expression":
        prop = fn.child_by_field_name("property")
        if prop is not None:
            start = prop
    r1, c1 = start.start_point
    r2, c2 = call.end_point
    return Location(f.path, r1 + 1, f.col(r1, c1), r2 + 1, f.col(r2, c2))


def arg_list(args) -> list:
    if args is None or args.type != "arguments":
        return []
    return [c for c in args.named_children if c.type != "comment"]


THIS_ALIASES = {"self", "that", "_this", "me"}  # var self = this


def is_this(f: JsFile, node) -> bool:
    return node.type == "this" or (node.type == "identifier" and f.src(node) in THIS_ALIASES)


def _record_destructured_require(f: JsFile, pattern, value) -> None:
    """`const { User, Post: P } = require('../models')`: each name comes from that module."""
    fn = value.child_by_field_name("function") if value.type == "call_expression" else None
    args = [c for c in value.child_by_field_name("arguments").named_children] if fn is not None else []
    if fn is None or f.src(fn) != "require" or not args or args[0].type != "string":
        return
    module = string_value(f, args[0])
    for part in pattern.named_children:
        ident = part if part.type == "shorthand_property_identifier_pattern" else part.child_by_field_name("value")
        if (
            module is not None
            and ident is not None
            and ident.type in ("identifier", "shorthand_property_identifier_pattern")
        ):
            f.imports[f.src(ident)] = module


def _record_import(f: JsFile, node) -> None:
    source = node.child_by_field_name("source")
    module = string_value(f, source) if source is not None else None
    if module is None:
        return
    for clause in (c for c in node.named_children if c.type == "import_clause"):
        for part in clause.named_children:
            if part.type == "identifier":
                f.imports[f.src(part)] = module
            elif part.type == "namespace_import":
                for ident in (c for c in part.named_children if c.type == "identifier"):
                    f.imports[f.src(ident)] = module
            elif part.type == "named_imports":
                for spec in (c for c in part.named_children if c.type == "import_specifier"):
                    names = [c for c in spec.named_children if c.type == "identifier"]
                    if names:
                        f.imports[f.src(names[-1])] = module
                        f.imported[f.src(names[-1])] = f.src(names[0])


MAX_NESTING = 500  # syntax levels read (real code nests under 200: a vendored DataTables, 194); deeper is not read


# `mysql: () => sql`...``, `sqlite() {`: an object's member named for a database, as @effect/sql's
# `sql.onDialectOrElse({ pg: ..., mysql: ..., orElse: ... })` and per-client maps write them
DATABASE_KEY = re.compile(r"\b(?:mysql|mariadb|mssql|sqlite3?|clickhouse|singlestore)\s*[:(]", re.IGNORECASE)
# the member such an object falls back on: the configured database's only when no member names it
_FALLBACK_KEYS = frozenset({"orElse", "default", "else", "otherwise", "fallback"})


def nodes_of(f: JsFile, kind: str):
    """Every named node of the file of that type, outermost first within each branch (no recursion: a crafted file
    nests thousands deep)."""
    todo = [f.root]
    while todo:
        node = todo.pop()
        todo += node.named_children
        if node.type == kind:
            yield node


def other_database_members(f: JsFile, dialect: str) -> list:
    """The members of object literals written for another database than the configured one: `mysql: () =>
    sql`...`` beside `pg: () => sql`...``, and the fallback (`orElse`) when a member names the configured one. Their
    SQL is that database's, never run on this one (as a file named for it: advisor.parse.another_database)."""
    from advisor.parse import database_named

    out = []
    for node in nodes_of(f, "object"):
        members = [
            (m, key_name(f, m.child_by_field_name("key") or m.child_by_field_name("name")))
            for m in node.named_children
            if m.type in ("pair", "method_definition")
        ]
        named = {key: d for _, key in members if key and (d := database_named(key))}
        if named:  # `{ pg: ..., orElse: ... }`: the fallback is every other database's
            ours = dialect in named.values()
            out += [
                m for m, key in members if (key in named and named[key] != dialect) or (ours and key in _FALLBACK_KEYS)
            ]
    return out


def parsed(path: str, text: str) -> JsFile:
    """A module's text parsed with its suffix's grammar, its declarations collected (collect_decls)."""
    data = text.encode("utf-8", "surrogatepass")
    f = JsFile(path, text, data, parser(PurePath(path).suffix.lower()).parse(data).root_node)
    collect_decls(f)
    return f


def collect_decls(f: JsFile) -> list:
    calls = []
    stack = [(f.root, 0)]
    while stack:
        node, depth = stack.pop()
        children = node.named_children
        for child in children:
            f.parents[child.id] = node
        stack.extend((child, depth + 1) for child in reversed(children))
        if depth > MAX_NESTING:  # a walk up from each call costs its depth: in a crafted nest, quadratic
            f.too_deep = f.too_deep or node
            continue
        t = node.type
        if t == "variable_declarator":
            name = node.child_by_field_name("name")
            value = node.child_by_field_name("value")
            if name is not None and name.type == "identifier" and value is not None:
                f.decls.setdefault(f.src(name), []).append((node.start_byte, unwrap(value)))
                up = f.parent(node)
                lexical = up is not None and up.type == "lexical_declaration"
                scope = _scope(f, up, lexical)
                f.scopes[node.start_byte] = (scope.start_byte, scope.end_byte)
            elif name is not None and name.type == "object_pattern" and value is not None:
                _record_destructured_require(f, name, unwrap(value))
                up = f.parent(node)
                scope = _scope(f, up, up is not None and up.type == "lexical_declaration")
                for ident in pattern_identifiers(name):
                    f.destructured.setdefault(f.src(ident), []).append(
                        ((scope.start_byte, scope.end_byte), unwrap(value))
                    )
        elif t == "assignment_expression":
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if left is not None and left.type in ("member_expression", "subscript_expression") and right is not None:
                f.member_assignments.append(node)
            if left is not None and left.type == "identifier" and right is not None:
                f.decls.setdefault(f.src(left), []).append((node.start_byte, unwrap(right)))
            elif left is not None and left.type == "member_expression" and right is not None:
                obj, prop = left.child_by_field_name("object"), left.child_by_field_name("property")
                if obj is not None and is_this(f, obj) and prop is not None:
                    f.members.setdefault(f.src(prop), []).append(unwrap(right))
                elif obj is not None and obj.type == "identifier" and prop is not None:  # `obj.file = ...`
                    f.object_members.setdefault((f.src(obj), f.src(prop)), []).append(node)
            elif left is not None and left.type in ("object_pattern", "array_pattern"):
                f.rewritten.update(f.src(n) for n in pattern_identifiers(left))  # [a, b] = [b, a]
        elif t in ("augmented_assignment_expression", "update_expression"):
            target = node.child_by_field_name("left") or node.child_by_field_name("argument")
            if target is not None and target.type == "identifier":
                f.rewritten.add(f.src(target))
        elif t == "for_in_statement" and node.child_by_field_name("kind") is None:
            f.rewritten.update(f.src(n) for n in pattern_identifiers(node.child_by_field_name("left")))
        elif t == "call_expression":
            calls.append(node)
        elif t == "new_expression":
            f.news.append(node)
        elif t == "import_statement":
            _record_import(f, node)
        elif t == "function_declaration" and node.child_by_field_name("name") is not None:
            f.functions.setdefault(f.src(node.child_by_field_name("name")), []).append(node)
        elif t == "method_definition" and node.parent is not None and node.parent.type == "class_body":
            f.methods.setdefault(f.src(node.child_by_field_name("name")), node)
        elif t in ("class_declaration", "class") and node.child_by_field_name("name") is not None:
            f.classes.add(f.src(node.child_by_field_name("name")))
    for v in f.decls.values():
        v.sort(key=lambda x: x[0])
    calls.sort(key=lambda n: n.start_byte)
    for call in calls:
        fn = unwrap(call.child_by_field_name("function"))
        obj, prop = member_parts(f, fn) if fn is not None else (None, None)
        if fn is not None and fn.type == "identifier":
            f.called.setdefault(f.src(fn), []).append(call)
        elif prop and obj is not None and is_this(f, unwrap(obj)):
            f.called.setdefault(prop, []).append(call)
        elif prop and obj is not None and unwrap(obj).type == "identifier":  # `async.apply(...)`
            f.called.setdefault(f"{f.src(unwrap(obj))}.{prop}", []).append(call)
    return calls


_BLOCKS = frozenset({"statement_block", "for_statement", "for_in_statement", "switch_body", "class_body"})


def _scope(f: JsFile, node, lexical: bool):
    """The node a declaration at `node` is visible in: its block (`let`, `const`, a function
    declaration in a module) or its function (`var`), else the file."""
    while node is not None and (up := f.parent(node)) is not None:
        if node.type in FUNCTIONS or lexical and node.type in _BLOCKS:
            return node
        node = up
    return node


def destructured_keys(f: JsFile, pattern, name: str) -> list[str] | None:
    """The keys from an object pattern down to the name it binds: `{ collections: { Groups } }` -> [collections,
    Groups]; `{ Accounts: A }` binds A to [Accounts]."""
    for part in pattern.named_children:
        if part.type == "object_assignment_pattern":  # `{ a = 1 }`
            part = part.child_by_field_name("left")
        if part is not None and part.type == "shorthand_property_identifier_pattern" and f.src(part) == name:
            return [name]
        if part is None or part.type != "pair_pattern":
            continue
        key, value = key_name(f, part.child_by_field_name("key")), part.child_by_field_name("value")
        if value is not None and value.type == "assignment_pattern":
            value = value.child_by_field_name("left")
        if key is None or value is None:
            continue
        if value.type == "identifier" and f.src(value) == name:
            return [key]
        inner = destructured_keys(f, value, name) if value.type == "object_pattern" else None
        if inner:
            return [key, *inner]
    return None


def pattern_identifiers(node) -> list:
    """The names an assignment target writes: `x`, `[a, b]`, `{ c, d: e }`."""
    if node is None:
        return []
    if node.type in ("identifier", "shorthand_property_identifier_pattern"):
        return [node]
    if node.type == "pair_pattern":
        return pattern_identifiers(node.child_by_field_name("value"))
    if node.type in ("assignment_pattern", "object_assignment_pattern"):
        return pattern_identifiers(node.child_by_field_name("left"))
    return [n for c in node.named_children for n in pattern_identifiers(c)] if node.type.endswith("pattern") else []


def first_error(root):
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return node
        if node.has_error:
            stack.extend(reversed(node.children))
    return None
