"""The SQL text of a JavaScript / TypeScript expression: a string, a template, a concatenation of them.

What the module fixes (a literal, a `const` of one, their concatenation) is written into the text; what
only the run knows (a parameter, a call, a name changed by `+=`) is a typed placeholder `{}` that
advisor.parse reads as a name, a value or a spliced clause, its source kept in `unknown`. A template held
in a const and named in another (a WHERE clause built apart) stays one placeholder: written in, the
placeholder after its own value swallowed an ORDER BY spliced next to it (mastra-pg's paged queries); a clause
built from the code's own literals, with no value but a parameter's number in it, is written in (`clause_text`:
the conditions an array collects and joins, an optional piece), every piece it may add.
Every piece keeps its position in the file (a TextMap anchor), so findings point where the text is written.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.ir import SqlQuery, TextMap
from advisor.sources.held_names import QUOTING, held_default, held_text, is_name
from advisor.sources.js_flow import scope_names
from advisor.sources.js_mongo_factories import returns
from advisor.sources.js_names import returned
from advisor.sources.js_syntax import (
    FUNCTIONS,
    JsFile,
    arg_list,
    callee_name,
    key_name,
    member_parts,
    parameter_list,
    string_value,
    unescape,
    unwrap,
)
from advisor.sources.sql_shape import DYNAMIC_PLACEHOLDER

MAX_DEPTH = 4  # constants followed into constants, templates into templates


def string_pieces(f: JsFile, node, tagged: bool, unknown: list | None = None, tag: str = "", _bound: int = 0):
    """(text, anchors, substitutions) of a string or template literal, anchored per piece.

    In an untagged template, a substitution whose value the module fixes (`${TABLE}` with
    `const TABLE = "jobs"`, `${schema}.${table}` prefixes) is replaced by that value; the others are placeholders, counted in `substitutions`
    and their source text appended to `unknown`. In a template tagged `tag`, a substitution is a bound `$n`,
    unless it is a fragment of the same tag (`${query`ORDER BY ${o}`}`, or one chosen by a condition with an
    empty other branch): the tag splices a fragment's SQL, so its text is written in, its own values bound."""
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
            found = _fragment(f, inner, tag) if tagged and tag else None
            if found is not None:
                fragment, its_tag = found
                piece, piece_anchors, piece_subs = string_pieces(f, fragment, True, unknown, its_tag, _bound + subs)
                anchors.pop()
                if fragment.start_byte > node.end_byte or fragment.end_byte < node.start_byte:  # written elsewhere (a
                    anchors.append((len(text), r + 1, f.col(r, col)))  # const, a method's return): placed at the `${`
                    piece = _run_time_qualifier_off(piece)
                else:
                    anchors += [(len(text) + at, row, column) for at, row, column in piece_anchors]
                text += piece
                subs += piece_subs
                continue
            named = tag_identifier(f, inner, tag) if tagged and tag else None
            if named is not None:  # `${sql("jobs")}`: the tag quotes an identifier, written in
                text += named
                continue
            tail = text[-_TAIL:] if tagged else ""  # the text's end only: one pass per `${`
            row = _ROW_AFTER.search(tail)
            if row or _LIST_AFTER.search(tail):  # `IN ${sql.in(ids)}`: what a tag writes there is `($1, ...)`
                width = len(row[1].split(",")) if row else 1  # `(a, b, c) VALUES ${sql.csv(rows)}`: rows of three
                text += "(" + ", ".join(f"${_bound + subs + k + 1}" for k in range(width)) + ")"
                subs += width
                if unknown is not None:
                    unknown.append(f.src(c)[2:-1].strip())
                continue
            known = None if tagged else static_text(f, inner, 0)
            if known is not None:
                text += known
                continue
            held = None if tagged else held_name(f, inner) or clause_text(f, inner)
            if held is not None:  # `${this.logsTable}`, set once to `${prefix}_logs_v3`: the table `{}_logs_v3`
                text += held  # or a clause built from literals: `${conditions.join(" AND ")}`
                subs += held.count(DYNAMIC_PLACEHOLDER)
                if unknown is not None:
                    unknown.append(f.src(c)[2:-1].strip())
                continue
            subs += 1
            text += f"${_bound + subs}" if tagged else DYNAMIC_PLACEHOLDER
            if unknown is not None:
                unknown.append(f.src(c)[2:-1].strip())
    if not anchors:
        r, col = node.start_point
        anchors.append((0, r + 1, f.col(r, col) + 1))
    return text, tuple(anchors), subs


def tag_identifier(f: JsFile, node, tag: str) -> str | None:
    """`tag("jobs")`, `tag(this.#tableName)` (the tag `this.#sql`): an identifier the tag quotes (postgres.js's
    `sql(name)`): the name it holds (`held_name`, or by default), quoted, `{}` for what only the run knows;
    `tag(values, ...names)`, `tag(rows)`: a helper's column list and values (`INSERT INTO t ${sql(values, ...names)}`,
    `UPDATE t SET ${sql(values, ...names)}`), text the tag writes at run time (`{}`), never one bound value."""
    node = unwrap(node)
    if node is not None and node.type == "identifier":  # `const messagesTableSql = sql(messagesTable)`, once
        node = unwrap(bound_value(f, node))
    if node is None or node.type != "call_expression":
        return None
    args = arg_list(node.child_by_field_name("arguments"))
    if not args or callee_name(f, node)[0] != tag:
        return None
    name = held_name(f, args[0]) or _held_default(f, args[0]) if len(args) == 1 else None
    return f'"{name}"' if name is not None and DYNAMIC_PLACEHOLDER not in name else name or DYNAMIC_PLACEHOLDER


# a tagged template's `IN ${...}`: PostgreSQL takes no bound value there, only a list in parentheses, which the tag
# writes (@effect/sql's `sql.in(ids)`, a `sql.literal("(...)")`)
_LIST_AFTER = re.compile(r"\bIN\s*$", re.IGNORECASE)
_TAIL = 4000  # how much of a template's text before a `${` these look at
# `INSERT INTO t (a, b, c) VALUES ${...}`: rows the tag writes, each of the column list's width
_ROW_AFTER = re.compile(r"\(([^()]+)\)\s*VALUES\s*$", re.IGNORECASE)


def _run_time_qualifier_off(text: str) -> str:
    """`"{}"."jobs" ...` -> `"jobs" ...`: a schema only the run knows left off a name (the table is the same)."""
    for qualifier in (f'"{DYNAMIC_PLACEHOLDER}".', f"{DYNAMIC_PLACEHOLDER}."):
        if text.startswith(qualifier):
            return text[len(qualifier) :]
    return text


def _fragment(f: JsFile, node, tag: str, depth: int = 0) -> tuple[Any, str] | None:
    """The template of a fragment of `tag` the expression splices: `tag`...`` itself, or the non-empty branch of a
    condition whose other branch is an empty fragment or string (an optional clause: read with the clause), or
    what a name bound once to one holds (`const table = this.table(tx)` with `table(pg) { return pg`...` }`: a
    method of the class whose one return is a fragment of its own tag). With the tag its text is written for."""
    node = unwrap(node)
    if node is None or depth > MAX_DEPTH:
        return None
    if node.type == "identifier":
        value = bound_value(f, node)
        return _fragment(f, value, tag, depth + 1) if value is not None else None
    if node.type == "ternary_expression":
        sides = [node.child_by_field_name(k) for k in ("consequence", "alternative")]
        fragments = [_fragment(f, side, tag, depth + 1) for side in sides]
        blank = [
            (frag is not None and not f.src(frag[0]).strip("`").strip()) or _empty_string(f, side)
            for frag, side in zip(fragments, sides)
        ]
        return fragments[0] if blank == [False, True] else fragments[1] if blank == [True, False] else None
    if node.type != "call_expression":
        return None
    fn, args = unwrap(node.child_by_field_name("function")), node.child_by_field_name("arguments")
    if fn is None or args is None:
        return None
    obj, prop = member_parts(f, fn)
    if args.type != "template_string":  # `this.table(sql)`: the method's one return, a fragment of its tag
        method = f.methods.get(prop or "") if obj is not None and unwrap(obj).type == "this" else None
        back = returned(method) if method is not None else None
        inner = (
            unwrap(back.child_by_field_name("function"))
            if back is not None and back.type == "call_expression"
            else None
        )
        own = (  # its tag: `pg`, or `this.pg`'s name
            f.src(inner)
            if inner is not None and inner.type == "identifier"
            else member_parts(f, inner)[1]
            if inner
            else None
        )
        return _fragment(f, back, own, depth + 1) if own is not None and back is not None else None
    name = prop if prop is not None else (f.src(fn) if fn.type == "identifier" else "")
    return (args, tag) if name == tag else None


def clause_text(f: JsFile, node, depth: int = 0) -> str | None:
    """The text of a clause the code builds from its own literals, every piece it may add written in: an
    optional piece (`c ? " AND status = $2" : ""`), the conditions an array collects and joins
    (`conditions.push(`status = ANY($${i})`)` ... `conditions.join(" AND ")`), their concatenation. Rules read
    the fullest variant: its conditions are each a variant's, so an index none of them can use serves no
    variant. Within it only a bind parameter's number may be unknown (`$${i}`, `${}` in the text): a clause with a
    value or a name the run writes stays one placeholder, as the text the caller adds after it could be read into it."""
    node = unwrap(node)
    if node is None or depth > MAX_DEPTH:
        return None
    known = static_text(f, node, depth)
    if known is not None:
        return known
    if node.type == "ternary_expression":
        sides = [node.child_by_field_name(k) for k in ("consequence", "alternative")]
        empty = [_empty_string(f, side) for side in sides]
        return clause_text(f, sides[empty.index(False)], depth + 1) if sorted(empty) == [False, True] else None
    if node.type == "identifier":
        value = bound_value(f, node)
        return clause_text(f, value, depth + 1) if value is not None else None
    if node.type == "template_string":

        def fill(inner, before: str) -> str | None:
            piece = clause_text(f, inner, depth + 1) if inner is not None else None
            if piece is None:  # only a parameter's number may be unknown, not a value or a name the run writes
                return DYNAMIC_PLACEHOLDER if before.endswith("$") else None
            return piece

        return _template_text(f, node, fill)
    if node.type == "binary_expression":
        parts = flatten_plus(node)
        texts = [clause_text(f, part, depth + 1) for part in parts] if len(parts) > 1 else [None]
        return "".join(texts) if all(t is not None for t in texts) else None  # type: ignore[arg-type]
    if node.type == "call_expression":
        return _joined(f, node, depth)
    return None


def _joined(f: JsFile, call, depth: int) -> str | None:
    """`parts.join(sep)` of an array the function declares empty and only pushes clauses onto, each once (not in a
    loop or a callback), before the join: the pushed texts in the code's order, joined by the literal separator."""
    fn, args = unwrap(call.child_by_field_name("function")), arg_list(call.child_by_field_name("arguments"))
    obj, prop = member_parts(f, fn) if fn is not None else (None, None)
    if prop != "join" or obj is None or obj.type != "identifier" or len(args) != 1:
        return None
    sep = static_text(f, args[0], depth + 1)
    name = f.src(obj)
    array = f.resolve(name, call.start_byte)
    if sep is None or array is None or array.type != "array" or array.named_children or not _unchanged(f, obj):
        return None
    home = _function_of(f, array)
    if home is None or not home.start_byte <= call.start_byte < home.end_byte:
        return None
    pieces: list[str] = []
    for use in _identifiers(home, name, array.end_byte, call.start_byte, f):
        member = f.parent(use)
        if member is None or member.type != "member_expression" or member.child_by_field_name("object") != use:
            return None  # handed on, stored, spread: what it holds may change elsewhere
        method = f.src(member.child_by_field_name("property"))
        if method == "length":
            continue
        push = f.parent(member)
        if method != "push" or push is None or push.type != "call_expression" or _repeats(f, push, home):
            return None
        for arg in arg_list(push.child_by_field_name("arguments")):
            piece = clause_text(f, arg, depth + 1)
            if piece is None:
                return None
            pieces.append(piece)
    return sep.join(pieces) if pieces else None


def _function_of(f: JsFile, node):
    node = f.parent(node)
    while node is not None and node.type not in FUNCTIONS:
        node = f.parent(node)
    return node


def _identifiers(scope, name: str, start: int, end: int, f: JsFile):
    """The identifiers spelled `name` in `scope` between the byte offsets, in the file's order."""
    stack = [scope]
    found = []
    while stack:
        node = stack.pop()
        if node.end_byte <= start or node.start_byte >= end:
            continue
        if node.type == "identifier" and f.src(node) == name:
            found.append(node)
        stack += node.named_children
    return sorted(found, key=lambda n: n.start_byte)


_REPEATING = {"for_statement", "for_in_statement", "while_statement", "do_statement"}


def _repeats(f: JsFile, node, home) -> bool:
    """The node runs any number of times per run of `home`: inside a loop or a function within it."""
    node = f.parent(node)
    while node is not None and node != home:
        if node.type in _REPEATING or node.type in FUNCTIONS:
            return True
        node = f.parent(node)
    return False


def _empty_string(f: JsFile, node) -> bool:
    node = unwrap(node)
    return node is not None and node.type in ("string", "template_string") and not node.named_children


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
        value = bound_value(f, node)  # not a parameter, nor a name `+=`, `++` or a loop changes: one text
        return static_text(f, value, depth + 1) if value is not None else None
    if node.type == "member_expression":  # `${streamsTable.name}` with `var streamsTable = { name: "emt_streams" }`
        return _member_text(f, node, depth)
    if node.type == "binary_expression":
        parts = flatten_plus(node)
        texts = [static_text(f, p, depth + 1) for p in parts] if len(parts) > 1 else [None]
        return "".join(texts) if all(t is not None for t in texts) else None  # type: ignore[arg-type]
    return None


def held_name(f: JsFile, node, depth: int = 0, given: dict[str, str] | None = None) -> str | None:
    """The name of a table an expression holds, `{}` for each part only the run knows (`{}_messages`), when some
    part is known: a member of `this` set once (advisor.sources.held_names); a name bound once to one; a template
    of a name; a call of the class's own method (`this.getTableName(`${this.tablePrefix}_messages`)`,
    `this.vectorTable()`) every return of which names the same table, its parameters standing for what the call
    passes, a qualifier only the run knows left off (`"${this.schema}"."${tableName}"` when a schema is set).
    None for anything else: a clause, a value, a name nothing of which is known. `given`: the names a method's
    parameters stand for, in its body."""
    node = unwrap(node)
    if node is None or depth > MAX_DEPTH:
        return None
    if node.type == "identifier" and given is not None and f.src(node) in given:
        return given[f.src(node)]
    known = static_text(f, node, depth)
    if known is not None:
        return known if is_name(known) else None
    if node.type == "member_expression":
        return _held(f, node)
    if node.type == "identifier":
        value = bound_value(f, node)
        return held_name(f, value, depth + 1) if value is not None else None
    if node.type == "template_string":
        text = _name_template(f, node, depth, given)
        return text if text is not None and is_name(text) else None
    if node.type == "call_expression":
        return _quoted_name(f, node, depth) or _method_name(f, node, depth)
    return None


def _quoted_name(f: JsFile, call, depth: int) -> str | None:
    """`pg.escapeIdentifier(`${prefix}_runs`)`: the name a driver's quoting function is given (held_names.QUOTING)."""
    fn = unwrap(call.child_by_field_name("function"))
    args = arg_list(call.child_by_field_name("arguments"))
    if fn is None or len(args) != 1 or QUOTING.fullmatch(f.src(fn)) is None:
        return None
    return held_name(f, args[0], depth + 1)


def _name_template(f: JsFile, node, depth: int, given: dict[str, str] | None) -> str | None:
    """A template's text, each substitution the name it holds or `{}`."""
    text = ""
    for c in node.named_children:
        if c.type == "string_fragment":
            text += f.src(c)
        elif c.type == "template_substitution":
            inner = c.named_children[0] if c.named_children else None
            text += held_name(f, inner, depth + 1, given) or DYNAMIC_PLACEHOLDER
        else:
            return None
    return text


def _method_name(f: JsFile, call, depth: int) -> str | None:
    """The table a call of the class's own method names (held_name), or of a function a name is bound to once
    (`const table = (name: string) => `${prefix}_${name}``, then `table("messages")`: `{}_messages`)."""
    fn = unwrap(call.child_by_field_name("function"))
    obj, prop = member_parts(f, fn) if fn is not None and fn.type == "member_expression" else (None, None)
    method = _own_method(f, call, prop) if obj is not None and obj.type == "this" and prop else None
    if method is None and fn is not None and fn.type == "identifier":
        value = unwrap(bound_value(f, fn))
        method = value if value is not None and value.type in ("arrow_function", "function_expression") else None
    if method is None:
        return None
    args = arg_list(call.child_by_field_name("arguments"))
    params = [_param_name(f, p) for p in parameter_list(method)]
    named = [p for p in params if p is not None]
    if len(args) > len(params) or len(named) < len(params):
        return None
    given = {p: DYNAMIC_PLACEHOLDER for p in named}
    given |= {p: held_name(f, a, depth + 1) or DYNAMIC_PLACEHOLDER for p, a in zip(named, args, strict=False)}
    names = {
        _unqualified(
            _name_template(f, r, depth + 1, given) if r.type == "template_string" else held_name(f, r, depth + 1, given)
        )
        for r in map(unwrap, returns(method))
        if r is not None
    }
    name = names.pop() if len(names) == 1 else None
    return name if name is not None and is_name(name) else None


def _param_name(f: JsFile, param) -> str | None:
    """A plain parameter's name (TypeScript's `tableName: string` too); None for a pattern or a default."""
    if param.type in ("required_parameter", "optional_parameter") and param.child_by_field_name("value") is None:
        param = param.child_by_field_name("pattern")
    return f.src(param) if param is not None and param.type == "identifier" else None


def _unqualified(name: str | None) -> str | None:
    """`"{}"."{}_messages"` -> `{}_messages`: a schema only the run knows, left off (the table is the same)."""
    return _run_time_qualifier_off(name).strip('"') if name is not None else None


def _own_method(f: JsFile, call, name: str):
    """The one method named `name` of the class whose method makes `call` (`this.name(...)`), else None (also in a
    `function` of the method, where `this` is another object: only an arrow function keeps the method's)."""
    node = f.parent(call)
    while node is not None and not (node.type == "method_definition" and f.parent(node).type == "class_body"):
        if node.type in FUNCTIONS and node.type not in ("arrow_function", "method_definition"):
            return None
        node = f.parent(node)
    if node is None:
        return None
    body = f.parent(node)
    found = [
        m for m in body.named_children if m.type == "method_definition" and f.src(m.child_by_field_name("name")) == name
    ]
    return found[0] if len(found) == 1 else None


def _held(f: JsFile, node) -> str | None:
    """The name `this.<member>` holds (advisor.sources.held_names), `{}` for what the run fills in; or the name an
    options member gives by default (`_option_default`)."""
    node = unwrap(node)
    if node is None or node.type != "member_expression":
        return None
    obj, prop = member_parts(f, node)
    if obj is not None and obj.type == "this" and prop:
        return held_text(f.text, prop)
    return _option_default(f, unwrap(obj), prop) if obj is not None and prop else None


def _held_default(f: JsFile, node) -> str | None:
    """The name a member of `this` holds by default (held_names.held_default)."""
    node = unwrap(node)
    obj, prop = member_parts(f, node) if node is not None and node.type == "member_expression" else (None, None)
    return held_default(f.text, prop) if obj is not None and obj.type == "this" and prop else None


def _option_default(f: JsFile, obj, prop: str) -> str | None:
    """`this.options.sessionTableName` where the class sets `this.options` once to an object of its defaults and the
    caller's options (`{...defaultOptions, ...opts}`, `{table: "keyv", ...options}`): the default's name, the table
    its statements name unless a caller says otherwise (as a settings field's default names a Python store's)."""
    owner, member = member_parts(f, obj) if obj is not None and obj.type == "member_expression" else (None, None)
    values = f.members.get(member or "", []) if owner is not None and owner.type == "this" else []
    value = unwrap(values[0]) if len(values) == 1 else None
    text = _entry(f, value, prop, 0) if value is not None and value.type == "object" else None
    return text if text is not None and is_name(text) else None


def _entry(f: JsFile, obj, prop: str, depth: int) -> str | None:
    """The text the last entry of an object literal that gives `prop` gives: its own pair, or an object a spread of
    a name bound once brings; a spread advisor cannot read (the caller's options) may replace it at run time."""
    if depth > MAX_DEPTH:
        return None
    for child in reversed(obj.named_children):
        if child.type == "pair" and key_name(f, child.child_by_field_name("key")) == prop:
            return static_text(f, child.child_by_field_name("value"), depth + 1)
        if child.type == "spread_element" and child.named_children:
            spread = unwrap(child.named_children[0])
            bound = unwrap(bound_value(f, spread)) if spread is not None and spread.type == "identifier" else None
            found = _entry(f, bound, prop, depth + 1) if bound is not None and bound.type == "object" else None
            if found is not None:
                return found
    return None


def _member_text(f: JsFile, node, depth: int) -> str | None:
    """`OBJ.prop` of an object literal the module binds to a name and never changes a member of: that entry's text;
    `this.prop` set once in the module to a name it writes whole."""
    held = _held(f, node)
    if held is not None:
        return held if DYNAMIC_PLACEHOLDER not in held else None
    obj, prop = member_parts(f, node)
    obj = unwrap(obj)
    if obj is None or obj.type != "identifier" or not _unchanged(f, obj):
        return None
    if any(o == f.src(obj) for o, _ in f.object_members) or len(f.decls.get(f.src(obj), ())) != 1:
        return None  # `obj.name = ...` somewhere, or the name given twice: not one text
    value = unwrap(f.resolve(f.src(obj), obj.start_byte))
    if value is None or value.type != "object":
        return None
    return _entry(f, value, prop, depth)


def _static_pieces(f: JsFile, node, depth: int) -> tuple[str, int]:
    """A template's text with what the module fixes written in, and how many substitutions it does not fix."""
    unfixed = 0

    def fill(inner, before: str) -> str:
        nonlocal unfixed
        known = static_text(f, inner, depth + 1) if inner is not None else None
        unfixed += known is None
        return known or ""

    return _template_text(f, node, fill) or "", unfixed


def _template_text(f: JsFile, node, fill) -> str | None:
    """A template literal's text: its literal pieces, and for each substitution what `fill(expression, the text so
    far)` gives; None when it gives None for one."""
    text = ""
    for c in node.named_children:
        if c.type == "string_fragment":
            text += f.src(c)
        elif c.type == "escape_sequence":
            text += unescape(f.src(c))
        elif c.type == "template_substitution":
            piece = fill(c.named_children[0] if c.named_children else None, text)
            if piece is None:
                return None
            text += piece
    return text


def bound_value(f: JsFile, name):
    """What a name holds where it is read, when that is one value: its declaration's (`_unchanged`), else None."""
    return f.resolve(f.src(name), name.start_byte) if _unchanged(f, name) else None


def _unchanged(f: JsFile, node) -> bool:
    """The name holds what its declaration gives it wherever it is read: not a parameter, and either no code of the
    file changes a name so spelled other than by `name = value` (`+=`, `++`, a loop's), or its declaration is a
    `const`, which nothing can change (another function's `let` of the same name is another variable)."""
    if is_parameter(f, node):
        return False
    name = f.src(node)
    if name not in f.rewritten:
        return True
    value = f.resolve(name, node.start_byte)
    declarator = f.parent(value) if value is not None else None
    declaration = f.parent(declarator) if declarator is not None else None
    return (
        declarator is not None
        and declarator.type == "variable_declarator"
        and declaration is not None
        and declaration.type == "lexical_declaration"
        and f.src(declaration).startswith("const")
    )


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


def joined_parts(f: JsFile, node) -> list | None:
    """The parts of `[a, b + c, ...].join(" ")` as a concatenation reads them (flatten_plus), the separator's text
    between each two (a str part); None for anything else (an array built elsewhere, a separator the run gives)."""
    node = unwrap(node)
    if node is None or node.type != "call_expression":
        return None
    fn, args = unwrap(node.child_by_field_name("function")), arg_list(node.child_by_field_name("arguments"))
    obj, prop = member_parts(f, fn) if fn is not None else (None, None)
    array = unwrap(obj) if prop == "join" else None
    if array is None or array.type != "array" or not array.named_children or len(args) > 1:
        return None
    sep = static_text(f, args[0], 0) if args else ","
    if sep is None or any(e.type == "spread_element" for e in array.named_children):
        return None
    parts: list = []
    for n, element in enumerate(array.named_children):
        parts += ([sep] if n and sep else []) + flatten_plus(element)
    return parts


def concatenation(f: JsFile, parts: list, unknown: list, seen: set | None = None):
    """(text, anchors, placeholders) of `a + b + ...`: each literal or template part anchored where it is
    written (a template's own substitutions read as in `string_pieces`), a fixed name's text, else `{}`;
    a None part is a piece only some runs add (`if (x) q += ' AND ...'`): `{}` too; a str part, text the code
    puts between two parts (an array's `join` separator: joined_parts)."""
    text, anchors, subs = "", [], 0
    for p in parts:
        if isinstance(p, str):
            text += p
            continue
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
