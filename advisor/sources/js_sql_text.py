"""The SQL text of a JavaScript / TypeScript expression: a string, a template, a concatenation of them.

What the module fixes (a literal, a `const` of one, their concatenation) is written into the text; what
only the run knows (a parameter, a call, a name changed by `+=`) is a typed placeholder `{}` that
advisor.parse reads as a name, a value or a spliced clause, its source kept in `unknown`. A template held
in a const and named in another (a WHERE clause built apart) stays one placeholder: written in, the
placeholder after its own value swallowed an ORDER BY spliced next to it (mastra-pg's paged queries).
Every piece keeps its position in the file (a TextMap anchor), so findings point where the text is written.
"""

from __future__ import annotations

from advisor.ir import SqlQuery, TextMap
from advisor.sources.held_names import held_text
from advisor.sources.js_flow import scope_names
from advisor.sources.js_syntax import FUNCTIONS, JsFile, key_name, member_parts, string_value, unescape, unwrap
from advisor.sources.sql_shape import DYNAMIC_PLACEHOLDER

MAX_DEPTH = 4  # constants followed into constants, templates into templates


def string_pieces(f: JsFile, node, tagged: bool, unknown: list | None = None):
    """(text, anchors, substitutions) of a string or template literal, anchored per piece.

    In an untagged template, a substitution whose value the module fixes (`${TABLE}` with
    `const TABLE = "jobs"`, `${schema}.${table}` prefixes) is replaced by that value; the others are placeholders, counted in `substitutions`
    and their source text appended to `unknown`."""
    text = ""
    anchors: list[tuple[int, int, int]] = []
    subs = 0
    for c in node.named_children:
        r, col = c.start_point
        anchors.append((len(text), r + 1, f.col(r, col)))
        if c.type == "string_fragment":
            text += f.src(c)
        elif c.type == "escape_sequence":
            text += unescape(f.src(c))
        elif c.type == "template_substitution":
            inner = c.named_children[0] if c.named_children else c
            known = None if tagged else static_text(f, inner, 0)
            if known is not None:
                text += known
                continue
            held = None if tagged else _held(f, inner)
            if held is not None:  # `${this.logsTable}`, set once to `${prefix}_logs_v3`: the table `{}_logs_v3`
                text += held
                subs += held.count(DYNAMIC_PLACEHOLDER)
                if unknown is not None:
                    unknown.append(f.src(c)[2:-1].strip())
                continue
            subs += 1
            text += f"${subs}" if tagged else DYNAMIC_PLACEHOLDER
            if unknown is not None:
                unknown.append(f.src(c)[2:-1].strip())
    if not anchors:
        r, col = node.start_point
        anchors.append((0, r + 1, f.col(r, col) + 1))
    return text, tuple(anchors), subs


def static_text(f: JsFile, node, depth: int) -> str | None:
    """The text an expression always has in this module (a literal, a const, their concatenation), or None."""
    node = unwrap(node)
    if node is None or depth > MAX_DEPTH:
        return None
    if node.type in ("string", "template_string"):
        if node.type == "template_string":
            text, subs = _static_pieces(f, node, depth)
            return text if subs == 0 else None
        return string_value(f, node)
    if node.type == "identifier":
        if is_parameter(f, node) or f.src(node) in f.rewritten:
            return None  # a function's parameter, or a name `+=`, `++` or a loop changes: not one text
        value = f.resolve(f.src(node), node.start_byte)
        return static_text(f, value, depth + 1) if value is not None else None
    if node.type == "member_expression":  # `${streamsTable.name}` with `var streamsTable = { name: "emt_streams" }`
        return _member_text(f, node, depth)
    if node.type == "binary_expression":
        parts = flatten_plus(node)
        texts = [static_text(f, p, depth + 1) for p in parts] if len(parts) > 1 else [None]
        return "".join(texts) if all(t is not None for t in texts) else None  # type: ignore[arg-type]
    return None


def _held(f: JsFile, node) -> str | None:
    """The name `this.<member>` holds (advisor.sources.held_names), `{}` for what the run fills in."""
    node = unwrap(node)
    if node is None or node.type != "member_expression":
        return None
    obj, prop = member_parts(f, node)
    return held_text(f.text, prop) if obj is not None and obj.type == "this" and prop else None


def _member_text(f: JsFile, node, depth: int) -> str | None:
    """`OBJ.prop` of an object literal the module binds to a name and never changes a member of: that entry's text;
    `this.prop` set once in the module to a name it writes whole."""
    held = _held(f, node)
    if held is not None:
        return held if DYNAMIC_PLACEHOLDER not in held else None
    obj, prop = member_parts(f, node)
    obj = unwrap(obj)
    if obj is None or obj.type != "identifier" or is_parameter(f, obj) or f.src(obj) in f.rewritten:
        return None
    if any(o == f.src(obj) for o, _ in f.object_members) or len(f.decls.get(f.src(obj), ())) != 1:
        return None  # `obj.name = ...` somewhere, or the name given twice: not one text
    value = unwrap(f.resolve(f.src(obj), obj.start_byte))
    if value is None or value.type != "object":
        return None
    for pair in value.named_children:
        if pair.type == "pair" and key_name(f, pair.child_by_field_name("key")) == prop:
            return static_text(f, pair.child_by_field_name("value"), depth + 1)
    return None


def _static_pieces(f: JsFile, node, depth: int) -> tuple[str, int]:
    text, subs = "", 0
    for c in node.named_children:
        if c.type == "string_fragment":
            text += f.src(c)
        elif c.type == "escape_sequence":
            text += unescape(f.src(c))
        elif c.type == "template_substitution":
            known = static_text(f, c.named_children[0], depth + 1) if c.named_children else None
            subs += known is None
            text += known or ""
    return text, subs


def is_parameter(f: JsFile, node) -> bool:
    name, scope = f.src(node), node.parent
    while scope is not None:
        if scope.type in FUNCTIONS:
            params = scope.child_by_field_name("parameters") or scope.child_by_field_name("parameter")
            if params is not None and name in {f.src(n) for n in _names_in(params)}:
                return True
        scope = f.parent(scope)
    return False


def _names_in(node) -> list:
    """The identifiers a parameter list binds (destructuring and defaults included, default values not)."""
    if node.type in ("identifier", "shorthand_property_identifier_pattern"):
        return [node]
    out = []
    for child in node.named_children:
        defaults = (node.child_by_field_name("right"), node.child_by_field_name("value"))
        if child in defaults or child.type.endswith("type_annotation"):
            continue
        out += _names_in(child)
    return out


def flatten_plus(node) -> list:
    """The operands of `a + b + ...`, in order (a stack, not recursion: a chain of thousands of terms)."""
    out: list = []
    stack = [node]
    while stack:
        node = unwrap(stack.pop())
        if node is None:
            continue
        op = node.child_by_field_name("operator") if node.type == "binary_expression" else None
        if op is not None and op.type == "+":
            stack += [node.child_by_field_name("right"), node.child_by_field_name("left")]
        else:
            out.append(node)
    return out


def concatenation(f: JsFile, parts: list, unknown: list, seen: set | None = None):
    """(text, anchors, placeholders) of `a + b + ...`: each literal or template part anchored where it is
    written (a template's own substitutions read as in `string_pieces`), a fixed name's text, else `{}`;
    a None part is a piece only some runs add (`if (x) q += ' AND ...'`): `{}` too."""
    text, anchors, subs = "", [], 0
    for p in parts:
        if p is None:
            unknown.append("...")
            text, subs = text + DYNAMIC_PLACEHOLDER, subs + 1
            continue
        p = unwrap(p)
        r, c = p.start_point
        s = static_text(f, p, 0)
        if s is None and p.type == "template_string":
            piece, piece_anchors, piece_subs = string_pieces(f, p, False, unknown)
            anchors += [(len(text) + at, line, column) for at, line, column in piece_anchors]
            text, subs = text + piece, subs + piece_subs
        else:
            anchors.append((len(text), r + 1, f.col(r, c) + (p.type in ("string", "template_string"))))
            if s is None:
                unknown.append(f.src(p))
                s, subs = DYNAMIC_PLACEHOLDER, subs + 1
            text += s
        if seen is not None:
            seen.add(p.id)
    return text, tuple(anchors), subs


def js_query(f: JsFile, node, text: str, anchors, *, dynamic: bool, dialect: str, origin: str, at=None) -> SqlQuery:
    """A statement read from a JS string, mapped back to the file; built at run time when `dynamic`; its
    scope the functions around the call that runs it (`at`), else around the string."""
    return SqlQuery(
        text,
        f.loc(node),
        TextMap(f.path, text, anchors),
        "js",
        dynamic=dynamic,
        dialect=dialect,
        origin=origin,
        complete=not dynamic,
        scope=scope_names(f, at if at is not None else node),
    )


def read_once(queries: list, where: set[tuple[int, int]]) -> list:
    """The queries but a constant named as SQL (`const GET_JOB_SQL = "..."`) at one of `where`'s positions: the
    text a call runs there is that call's query, read once, not a second time as the constant."""
    return [
        q
        for q in queries
        if not (isinstance(q, SqlQuery) and q.origin == "named-constant" and (q.location.line, q.location.col) in where)
    ]
