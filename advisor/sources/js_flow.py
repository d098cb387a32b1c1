"""What JavaScript code does to a query after writing it, within one function.

A filter object mutated before the call (`query.user = id`, `query.$or.push(...)`), a
pipeline built with `push`, a cursor kept in a variable and shaped or read in later
statements (`cursor.sort(...)`, `await cursor.next()`, `for await (const d of cursor)`),
and what becomes of the result (returned, sent, inserted elsewhere whole).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from advisor.sources.js_syntax import (
    FUNCTIONS,
    WRAPPERS,
    JsFile,
    arg_list,
    bound_names,
    key_name,
    member_parts,
    unwrap,
)

SCOPES = FUNCTIONS | {"program"}
CONDITIONAL = {
    "if_statement",
    "for_statement",
    "for_in_statement",
    "while_statement",
    "do_statement",
    "switch_statement",
    "switch_case",
    "try_statement",
    "catch_clause",
    "ternary_expression",
    "else_clause",
    "binary_expression",
}
ARRAY_GROWERS = {"push", "unshift", "splice"}
MAX_SCOPE_NODES = 20000  # a huge function is read no further


@dataclass
class Mutation:
    kind: str  # "set" (name.key = value), "push" (name.push(value)), "other" (anything else that changes it)
    key: str | None
    values: list
    conditional: bool


def scope_of(node):
    """The function (or program) a node is in."""
    node = node.parent
    while node is not None and node.type not in SCOPES:
        node = node.parent
    return node


def function_name(f: JsFile, fn) -> str | None:
    """The name a function is called by: declared (a function, a generator, a method), else the variable,
    object key, class field or property it is stored in (`const purge = () => ...`, `{ purge() {} }`,
    `exports.purge = ...`), else a function expression's own name (`setInterval(function sweep() {...})`)."""
    if fn.type in ("function_declaration", "generator_function_declaration", "method_definition"):
        return key_name(f, fn.child_by_field_name("name"))
    parent = fn.parent
    if parent is not None and parent.type == "variable_declarator":
        target = parent.child_by_field_name("name")
        return f.src(target) if target is not None and target.type == "identifier" else None
    if parent is not None and parent.type in ("pair", "public_field_definition", "field_definition"):
        return key_name(f, parent.child_by_field_name("key") or parent.child_by_field_name("property"))
    left = parent.child_by_field_name("left") if parent is not None and parent.type == "assignment_expression" else None
    if left is not None:
        return f.src(left) if left.type == "identifier" else member_parts(f, left)[1] or None
    own = fn.child_by_field_name("name")
    return f.src(own) if own is not None else None


def scope_names(f: JsFile, node) -> tuple[str, ...]:
    """The names of the functions and classes a node is written in, innermost first (anonymous ones left out)."""
    names = []
    n = node.parent
    while n is not None:
        name = (
            function_name(f, n)
            if n.type in FUNCTIONS
            else f.src(c)
            if n.type in ("class_declaration", "class") and (c := n.child_by_field_name("name")) is not None
            else None
        )
        if name:
            names.append(name)
        n = n.parent
    return tuple(names)


def parameters(f: JsFile, node) -> tuple[str, ...]:
    """The parameter names of the functions a node is in, the outer ones too (a callback sees them):
    `a`, `b = 0`, `{ c }`, `...d`, TypeScript `e: T`."""
    names: list[str] = []
    fn = scope_of(node)
    while fn is not None and fn.type != "program":
        names += sorted(bound_names(f, fn) - set(names))
        fn = scope_of(fn)
    return tuple(names)


def outer(node):
    """The expression a call chain ends up as: through await, parentheses, type assertions."""
    while node.parent is not None and node.parent.type in WRAPPERS:
        node = node.parent
    return node


def assigned_name(f: JsFile, top) -> str | None:
    """The variable a call chain's value is stored in: `const cursor = db.c.find(q)`."""
    parent = outer(top).parent
    if parent is None:
        return None
    if parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
    elif parent.type == "assignment_expression":
        name = parent.child_by_field_name("left")
    else:
        return None
    return f.src(name) if name is not None and name.type == "identifier" else None


def _walk(scope, start: int, end: int) -> Iterator[Any]:
    """Nodes of a scope that start within [start, end), not inside a nested function."""
    stack = [scope]
    seen = 0
    while stack and seen < MAX_SCOPE_NODES:
        node = stack.pop()
        seen += 1
        if node.end_byte <= start or node.start_byte >= end:
            continue
        if node.start_byte >= start:
            yield node
        stack.extend(reversed(node.children))


def conditional(node, scope) -> bool:
    """Whether `node` runs only on some runs of `scope` (under an if, a loop, a switch, a try, a ternary, `&&`)."""
    node = node.parent
    while node is not None and node != scope:
        if node.type in CONDITIONAL:
            return True
        node = node.parent
    return False


def branch_values(f: JsFile, ident) -> list:
    """The other objects a name may hold where it is read, when the one last written is given on some runs only
    (`let query; if (a) query = { email } else query = { phone }`): every object the function gives it before the
    read; [] when it holds one (or one that is not an object literal)."""
    name, at = f.src(ident), ident.start_byte
    last = f.resolve(name, at)
    if last is None or last.type != "object" or not _on_some_runs(last, ident):
        return []
    fn = scope_of(ident)
    out = []
    for _, value in f.decls.get(name, ()):
        if value is None or value.start_byte >= at or value.start_byte == last.start_byte:
            continue
        if scope_of(value) != fn:
            continue
        if value.type != "object":
            return []  # one of them is not an object the code writes: the variants are not all known
        out.append(value)
    return out


def _on_some_runs(value, use) -> bool:
    """The assignment giving `value` runs only on some of the runs that reach `use` (one branch of an `if`, a case of
    a `switch`, a loop): another value may reach it."""
    holder = value.parent
    while holder is not None and holder.type in WRAPPERS:
        holder = holder.parent
    if holder is None or holder.type != "assignment_expression":
        return False
    above = set()
    node = use
    while node is not None:
        above.add(node.id)
        node = node.parent
    around = holder.parent
    while around is not None and around.id not in above:
        around = around.parent
    return around is not None and conditional(holder, around)


def _object_name(f: JsFile, node) -> tuple[str | None, str | None, Any]:
    """(root identifier, first property, the member node) of `name.prop...`."""
    node = unwrap(node)
    first = None
    while node is not None and node.type in ("member_expression", "subscript_expression"):
        obj, prop = member_parts(f, node)
        first = prop
        node = unwrap(obj if obj is not None else node.child_by_field_name("object"))
    if node is not None and node.type == "identifier":
        return f.src(node), first, node
    return None, None, None


def mutations(f: JsFile, name: str, declared, used) -> list[Mutation]:
    """What the code does to `name` between its declaration and its use (same function)."""
    scope = scope_of(used)
    if scope is None:
        return []
    out: list[Mutation] = []
    for node in _walk(scope, declared.end_byte, used.start_byte):
        if node.type in ("assignment_expression", "augmented_assignment_expression"):
            out += _assignment(f, name, node, scope)
        elif node.type == "call_expression":
            out += _growth(f, name, node, scope)
        elif (
            node.type == "unary_expression"
            and f.src(node).startswith("delete")
            and _object_name(f, node.child_by_field_name("argument"))[0] == name
        ):
            out.append(Mutation("other", None, [], True))
    return out


def _assignment(f: JsFile, name: str, node, scope) -> list[Mutation]:
    """`name.key = value` (a key set), or `name.a.b = v` / `name[k] = v` / `name.x += 1` (changed)."""
    left = unwrap(node.child_by_field_name("left"))
    if (
        left is None
        or left.type not in ("member_expression", "subscript_expression")
        or _object_name(f, left)[0] != name
    ):
        return []
    obj, prop = member_parts(f, left)
    direct = unwrap(obj) is not None and unwrap(obj).type == "identifier"
    kind = "set" if direct and prop and node.type == "assignment_expression" else "other"
    return [
        Mutation(kind, prop if kind == "set" else None, [node.child_by_field_name("right")], conditional(node, scope))
    ]


def _growth(f: JsFile, name: str, node, scope) -> list[Mutation]:
    """`name.push(x)` (appended), `name.$or.push(x)`, `name.splice(...)`, `Object.assign(name, ...)` (changed)."""
    fn = unwrap(node.child_by_field_name("function"))
    args = arg_list(node.child_by_field_name("arguments"))
    if fn is not None and f.src(fn) == "Object.assign" and args and f.src(unwrap(args[0])) == name:
        return [Mutation("other", None, [], True)]
    if fn is None or fn.type != "member_expression":
        return []
    obj, method = member_parts(f, fn)
    if method not in ARRAY_GROWERS or _object_name(f, obj)[0] != name:
        return []
    direct = unwrap(obj).type == "identifier"
    return [Mutation("push" if direct and method == "push" else "other", None, args, conditional(node, scope))]


def pushed(f: JsFile, name: str, declared) -> list:
    """What is pushed onto the list `name` anywhere in the function that declares it, callbacks included
    (`ops.push({ updateOne: ... })` in a loop's callback, before `coll.bulkWrite(ops)`)."""
    scope = scope_of(declared)
    if scope is None:
        return []
    out = []
    for node in _walk(scope, declared.end_byte, scope.end_byte):
        if node.type == "call_expression":
            out += [v for m in _growth(f, name, node, scope) if m.kind == "push" for v in m.values]
    return out


def later_calls(f: JsFile, name: str, top) -> list[tuple[str, Any, Any]]:
    """Method calls on the variable a cursor is kept in, after it is made: [(method, arguments, call)]."""
    scope = scope_of(top)
    if scope is None:
        return []
    out = []
    for node in _walk(scope, outer(top).end_byte, scope.end_byte):
        if node.type != "call_expression":
            continue
        fn = unwrap(node.child_by_field_name("function"))
        if fn is None or fn.type != "member_expression":
            continue
        obj, method = member_parts(f, fn)
        obj = unwrap(obj)
        if obj is not None and obj.type == "identifier" and f.src(obj) == name and method:
            out.append((method, node.child_by_field_name("arguments"), node))
    return out


def iterated(f: JsFile, name: str | None, top) -> bool:
    """`for await (const d of cursor)` / `for (... of db.c.find())`: read one batch at a time."""
    holder = outer(top)
    if (
        holder.parent is not None
        and holder.parent.type == "for_in_statement"
        and holder.parent.child_by_field_name("right") == holder
    ):
        return True
    scope = scope_of(top)
    if name is None or scope is None:
        return False
    for node in _walk(scope, holder.end_byte, scope.end_byte):
        if node.type == "for_in_statement":
            right = unwrap(node.child_by_field_name("right"))
            if right is not None and right.type == "identifier" and f.src(right) == name:
                return True
    return False


# methods that only describe a cursor: none of them sends its query (toArray, next, forEach, exec, then... do)
# mongoose's query builder after `.where('age')`: each method the filter operator it adds
WHERE_OPS = {
    "equals": None,
    "gt": "$gt",
    "gte": "$gte",
    "lt": "$lt",
    "lte": "$lte",
    "in": "$in",
    "nin": "$nin",
    "ne": "$ne",
    "regex": "$regex",
    "exists": "$exists",
    "elemMatch": "$elemMatch",
    "size": "$size",
    "all": "$all",
    "mod": "$mod",
}
CURSOR_BUILDERS = frozenset(
    "sort limit skip project projection select fields hint lean collation comment maxTimeMS batchSize allowDiskUse"
    " readPreference session populate where".split()
) | frozenset(WHERE_OPS)


def never_read(f: JsFile, top, later: list[str], args: list) -> bool:
    """A cursor (`find`, `aggregate`) built and dropped, or only tested for truth (`coll.find(q);`,
    `if (!coll.find())`): the driver sends a query when the cursor is read, and mongoose's Query runs when it
    is awaited, executed or given a callback, so nothing is sent.  Not when awaited (a mongoose Query runs), nor
    when a call of the chain has a second argument other than an object literal (mongojs's `.limit(n, done)`,
    a callback held in a name): `args` are the arguments of every call of the chain.  Only inside a function: at
    the top level of a script, as on a mongosh line, the shell prints (reads) the cursor a statement leaves."""
    if (scope := scope_of(top)) is None or scope.type == "program":
        return False
    node = top
    while node.parent is not None and node.parent.type in WRAPPERS:
        node = node.parent
        if node.type == "await_expression":
            return False
    parent = node.parent
    if parent is None or not set(later) <= CURSOR_BUILDERS:
        return False
    if any((a := unwrap(arg)) is not None and a.type != "object" for call_args in args for arg in call_args[1:]):
        return False
    if parent.type == "expression_statement":
        return True
    if parent.type == "unary_expression" and f.src(parent).lstrip().startswith("!"):
        return True
    return parent.type in ("if_statement", "while_statement") and parent.child_by_field_name("condition") == node


def used_whole(f: JsFile, top) -> bool:
    """The documents leave as they are: returned, sent as the response, written elsewhere, or handed to
    the caller's callback (`find(q).toArray(done)`, `done` a parameter: callback code's return)."""
    holder = outer(top)
    parent = holder.parent
    if _to_callback(f, top):
        return True
    if parent is None:
        return False
    if parent.type in ("return_statement", "arrow_function"):
        return True
    if parent.type == "arguments" and parent.parent is not None:
        fn = unwrap(parent.parent.child_by_field_name("function"))
        _, method = member_parts(f, fn) if fn is not None and fn.type == "member_expression" else (None, None)
        return method in ("json", "send", "insertMany", "insertOne", "insert", "bulkWrite", "write", "resolve")
    return False


def _to_callback(f: JsFile, call) -> bool:
    """`c.find(q).toArray(done)`, `c.find(q, done)`, `Model.find(q).exec(done)`: the chain's last argument is
    a parameter of a function around it."""
    fn = unwrap(call.child_by_field_name("function"))
    method = member_parts(f, fn)[1] if fn is not None and fn.type == "member_expression" else None
    args = arg_list(call.child_by_field_name("arguments"))
    last = unwrap(args[-1]) if args and method in ("toArray", "exec", "find") else None
    return last is not None and last.type == "identifier" and f.src(last) in parameters(f, call)


READERS = ("map", "forEach", "some", "every", "flatMap")  # not filter/find: their documents go on


def used_fields(f: JsFile, top, chained: list) -> tuple[str, ...] | None:
    """The document fields the code reads from a query's result, when it visibly reads only some:
    `(await c.find(q).toArray()).map(d => d.uid)`, `const docs = ...; docs.forEach(({ a, b }) => ...)`,
    `for (const d of docs) use(d.a)`, `const { a } = await c.findOne(q)`. None: unknown or whole.
    `chained`: the calls after the query method in its own chain."""
    readers_in_chain = [(m, call) for m, _, call in chained if m in READERS]
    if readers_in_chain:
        return _fields_of(f, readers_in_chain[:1])
    holder = outer(top)
    parent = holder.parent
    if (
        parent is not None
        and parent.type == "variable_declarator"
        and parent.child_by_field_name("name") is not None
        and parent.child_by_field_name("name").type == "object_pattern"
    ):
        return _pattern_fields(f, parent.child_by_field_name("name"))
    readers = []
    if (
        parent is not None
        and parent.type == "member_expression"
        and parent.parent is not None
        and parent.parent.type == "call_expression"
    ):
        readers.append((member_parts(f, parent)[1], parent.parent))
    name = assigned_name(f, top)
    if name is not None:
        readers += [(method, call) for method, _, call in later_calls(f, name, top)]
        scope = scope_of(top)
        for node in _walk(scope, holder.end_byte, scope.end_byte) if scope is not None else ():
            if node.type == "identifier" and f.src(node) == name and not _is_method_object(f, node):
                loop = node.parent
                if loop is None or loop.type != "for_in_statement" or loop.child_by_field_name("right") != node:
                    return None  # the documents go somewhere advisor does not follow
                readers.append(("for", loop))
    return _fields_of(f, readers) if readers else None


def _fields_of(f: JsFile, readers: list) -> tuple[str, ...] | None:
    fields: set[str] = set()
    for method, call in readers:
        if method == "for":
            got = _loop_fields(f, call)
        elif method in READERS:
            args = arg_list(call.child_by_field_name("arguments"))
            got = _callback_fields(f, args[0]) if args else None
        else:
            return None
        if got is None:
            return None
        fields |= set(got)
    return tuple(sorted(fields)) or None


def _is_method_object(f: JsFile, node) -> bool:
    parent = node.parent
    return (
        parent is not None
        and parent.type == "member_expression"
        and parent.child_by_field_name("object") == node
        and parent.parent is not None
        and parent.parent.type == "call_expression"
    )


def _pattern_fields(f: JsFile, pattern) -> tuple[str, ...] | None:
    out = []
    for part in pattern.named_children:
        if part.type == "shorthand_property_identifier_pattern":
            out.append(f.src(part))
        elif part.type == "pair_pattern" and part.child_by_field_name("key") is not None:
            out.append(f.src(part.child_by_field_name("key")).strip("'\""))
        else:
            return None  # ...rest: everything else too
    return tuple(out) or None


def _callback_fields(f: JsFile, fn) -> tuple[str, ...] | None:
    fn = unwrap(fn)
    if fn is None or fn.type not in ("arrow_function", "function_expression", "function"):
        return None
    params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
    first = (
        params
        if params is not None and params.type == "identifier"
        else next(iter(params.named_children), None)
        if params is not None
        else None
    )
    if first is None:
        return None
    if first.type == "object_pattern":
        return _pattern_fields(f, first)
    if first.type != "identifier":
        return None
    return _member_reads(f, f.src(first), fn.child_by_field_name("body"))


def _member_reads(f: JsFile, name: str, body) -> tuple[str, ...] | None:
    """The fields read as `name.field` in `body`; None when `name` is used any other way."""
    if body is None:
        return None
    out = set()
    for node in _walk(body, body.start_byte, body.end_byte):
        if node.type in ("identifier", "shorthand_property_identifier") and f.src(node) == name:
            parent = node.parent
            if parent is None or parent.type != "member_expression" or parent.child_by_field_name("object") != node:
                return None
            out.add(member_parts(f, parent)[1])
    return tuple(sorted(x for x in out if x)) or None


def _loop_fields(f: JsFile, loop) -> tuple[str, ...] | None:
    """`for (const d of docs) { ... d.a ... }`: the fields the loop body reads of d."""
    left = unwrap(loop.child_by_field_name("left"))
    if left is not None and left.type == "object_pattern":
        return _pattern_fields(f, left)
    if left is None or left.type != "identifier":
        return None
    return _member_reads(f, f.src(left), loop.child_by_field_name("body"))
