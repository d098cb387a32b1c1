"""What a member of a local object holds where it is used: `obj.file = db.collection('m')` in a module
that builds `var obj = {}`, then `obj.file.find(...)` in its functions (meshcentral's db.js).

Such an object often holds another library's handle under the same member in another branch (SQLite,
NeDB, ...), each branch tagged by an assignment such as `obj.databaseType = DB_MONGODB` and read under
`if (obj.databaseType == DB_MONGODB)`. The values a use may see are those assigned to the same binding
whose branch tags do not contradict the conditions around the use; the caller (advisor.sources.js_receivers)
takes the member for a collection only when every one of them is one.
"""

from __future__ import annotations

import re

from advisor.sources.js_syntax import JsFile, unwrap

EQUAL = ("==", "===")
UNEQUAL = ("!=", "!==")


def held_values(f: JsFile, obj, prop: str) -> list:
    """The values `obj.prop` may hold at this use: [] when the file assigns it nothing."""
    name = f.src(obj)
    binding = f.resolve(name, obj.start_byte)
    if binding is None:
        return []
    allowed, excluded = _conditions(f, obj)
    for a, v in _tags(f, obj).items():  # a use in the tagged branch itself: `obj.file.createIndex(...)` there
        allowed.setdefault(a, {v})
    values = []
    for assign in f.object_members.get((name, prop), ()):
        held = f.resolve(name, assign.start_byte)
        if held is None or (held.start_byte, held.end_byte) != (binding.start_byte, binding.end_byte):
            continue  # another variable of the same name
        tags = _tags(f, assign)
        if any(
            a in tags and (tags[a] in excluded.get(a, ()) or a in allowed and tags[a] not in allowed[a]) for a in tags
        ):
            continue  # assigned in a branch the use is not in
        values.append(unwrap(assign.child_by_field_name("right")))
    return values


def _tags(f: JsFile, node) -> dict[str, str]:
    """`obj.databaseType = DB_MONGODB` written in a block around the assignment (the innermost wins).
    Read once per node: each use of a member weighs every assignment of it, and each of those its tags."""
    key = ("tags", node.id)
    if key not in f.memo:
        tags: dict[str, str] = {}
        block = f.parent(node)
        while block is not None:
            if block.type in ("statement_block", "program"):
                for start, left, right in _block_tags(f, block):
                    if start != node.start_byte:
                        tags.setdefault(left, right)
            block = f.parent(block)
        f.memo[key] = tags
    return f.memo[key]


def _block_tags(f: JsFile, block) -> list[tuple[int, str, str]]:
    """A block's own `a.b = X` statements (start byte, `a.b`, `X`), read once per block: the uses and
    assignments under a bundle's top level all look through the same thousands of statements."""
    key = ("block", block.id)
    if key not in f.memo:
        found = []
        for stmt in block.named_children:
            expr = stmt.named_children[0] if stmt.type == "expression_statement" and stmt.named_children else None
            if expr is None or expr.type != "assignment_expression":
                continue
            left, right = expr.child_by_field_name("left"), unwrap(expr.child_by_field_name("right"))
            if left is not None and left.type == "member_expression" and right is not None and _tag(right):
                found.append((expr.start_byte, f.src(left), f.src(right)))
        f.memo[key] = found
    return f.memo[key]


def _tag(node) -> bool:
    return node.type in ("identifier", "number", "string", "member_expression", "true", "false")


def _conditions(f: JsFile, use, depth: int = 0) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The `if (a == X || a == Y)` around a use: a's allowed values; and those an `else` of `if (a == X)`
    (or `if (a != X)`) excludes. In a named function, also what holds at every place the file names it
    (`find(...).toArray(fileBulkReadCompleted)` only in the MongoDB branch)."""
    allowed: dict[str, set[str]] = {}
    excluded: dict[str, set[str]] = {}
    child, node = use, use.parent
    while node is not None:
        if node.type == "function_declaration" and depth < 2:
            for a, vs in _callers_conditions(f, node, depth).items():
                allowed.setdefault(a, vs)
        if node.type == "if_statement":
            cond = node.child_by_field_name("condition")
            inside = node.child_by_field_name("consequence")
            alternative = node.child_by_field_name("alternative")
            eq = _equalities(f, cond, EQUAL)
            ne = _equalities(f, cond, UNEQUAL)
            if inside is not None and inside.start_byte <= child.start_byte < inside.end_byte:
                for a, vs in (eq or {}).items():
                    allowed.setdefault(a, set(vs))
                for a, vs in (ne or {}).items():
                    excluded.setdefault(a, set()).update(vs)
            elif alternative is not None and alternative.start_byte <= child.start_byte < alternative.end_byte:
                for a, vs in (eq or {}).items():
                    excluded.setdefault(a, set()).update(vs)
        child, node = node, node.parent
    return allowed, excluded


def _callers_conditions(f: JsFile, fn, depth: int) -> dict[str, set[str]]:
    """The values a tag may have at every reference to a function declaration outside it: {} when a
    reference has none (or the name is used nowhere else). Read once per function and depth."""
    key = ("callers", fn.id, depth)
    if key not in f.memo:
        f.memo[key] = _callers(f, fn, depth)
    return f.memo[key]


def _callers(f: JsFile, fn, depth: int) -> dict[str, set[str]]:
    name_node = fn.child_by_field_name("name")
    name = f.src(name_node).encode() if name_node is not None else b""
    found: dict[str, set[str]] | None = None
    for m in re.finditer(rb"\b" + re.escape(name) + rb"\b", f.data) if name else ():
        ref = f.root.descendant_for_byte_range(m.start(), m.end())
        if ref is None or ref.type != "identifier" or fn.start_byte <= m.start() < fn.end_byte:
            continue
        allowed, _ = _conditions(f, ref, depth + 1)
        for a, v in _tags(f, ref).items():
            allowed.setdefault(a, {v})
        found = allowed if found is None else {a: found[a] | allowed[a] for a in found if a in allowed}
        if not found:
            return {}
    return found or {}


def _equalities(f: JsFile, cond, ops: tuple[str, ...]) -> dict[str, set[str]] | None:
    """`a == X` or `a == X || a == Y`: {a: {X, Y}}; None for any other condition."""
    cond = unwrap(cond)
    if cond is None or cond.type != "binary_expression":
        return None
    op = cond.child_by_field_name("operator")
    left, right = unwrap(cond.child_by_field_name("left")), unwrap(cond.child_by_field_name("right"))
    if op is None or left is None or right is None:
        return None
    if f.src(op) == "||" and ops == EQUAL:
        a, b = _equalities(f, left, ops), _equalities(f, right, ops)
        if a is None or b is None or set(a) != set(b) or len(a) != 1:
            return None
        key = next(iter(a))
        return {key: a[key] | b[key]}
    if f.src(op) in ops and left.type == "member_expression" and _tag(right):
        return {f.src(left): {f.src(right)}}
    return None
