"""Where a value spliced into Python SQL text can come from: the code itself, or outside it.

A value is the code's own when it is a constant, a number (`int(x)`, a `%d` conversion), an
identifier quoted for SQL, a literal with its quotes doubled or a setting the operator configures
(advisor.facts.safe_text), a name checked against a fixed set of literals before use
(`if d not in ("ASC", "DESC"): raise`), a group of a regular-expression match that can hold only
word characters (`m.group("name")` of `re.search(r"(?P<name>\\w+)", s)`), or built only from such
values — through assignments in the enclosing functions and the module, list growth
(`parts.append(...)`), and calls to the module's own functions, whose parameters take what the
call passes them. A parameter is the code's own when the function has calls in the project and
every one passes the code's own value for it (advisor.facts.callers: a function with no call seen,
or one also handed around as a value, is an entry point). Otherwise the expressions that let a
caller choose it are its `Source`s: parameters, unknown calls, names the module does not assign.
Plain `ast`.
"""

from __future__ import annotations

import ast
import re

from advisor.facts.callers import Defined, argument, call_name, defaults
from advisor.facts.narrowing import items
from advisor.facts.objects import attribute_values, class_method, classes_of, imported_function, members
from advisor.facts.python_scope import Path, Scope, Source, Sources, identifier_name, never_bound, parameter_names
from advisor.facts.reaching import PARAMETER, own_nodes
from advisor.facts.regex_groups import word_group
from advisor.facts.routes import route_numbers
from advisor.facts.safe_text import escaped_literal, quoted_literal, setting_read, word_characters_only
from advisor.facts.sql_positions import name_position
from advisor.sources.python_parts import literal, parts

# calls whose result is an identifier quoted for SQL, a number, or a length
SAFE_CALLS = frozenset(
    "identifier quote_ident quote_identifier escape_identifier escapeidentifier quoteidentifier ident literal quote_literal escape_literal escapeliteral int "
    "float len bool abs round range count placeholders as_string uuid1 uuid4 token_hex".split()
)
# a geometry's well-known text or hex (shapely's, GEOS's, Django GIS's `boundary.wkt`): coordinates, keywords and
# hex digits, never a quote, whatever geometry a caller drew
GEOMETRY_TEXT = frozenset({"wkt", "ewkt", "wkb_hex", "hexewkb"})
_DEPTH = 20  # how far a value is followed through names and calls (each name and each call is a step)
_NONE: Sources = frozenset()


def sources(node: ast.expr, scope: Scope, depth: int = 0, path: Path = ()) -> Sources:
    """What lets a caller choose this value (empty: the code's own; a parameter or a call when in doubt).

    `path` asks about a part of the value only: `(0,)` its first element (`a` of `a, b = f()`), `("item",)` any
    element as a subscript reads it (a mapping's value), `("each",)` as a loop does (`for x in v`: a mapping's key),
    `("key",)` a mapping's key; where the value's shape is not known, about all of it."""
    if depth > _DEPTH:
        return frozenset({Source(ast.unparse(node)[:60], False)})
    more = depth  # a part of the expression is no step further: names and calls are
    rest = path[1:]
    if isinstance(node, ast.Constant):
        return _NONE
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        if path and not any(isinstance(e, ast.Starred) for e in node.elts):
            head = path[0]
            if isinstance(head, int) and not isinstance(node, ast.Set) and -len(node.elts) <= head < len(node.elts):
                return sources(node.elts[head], scope, more, rest)
            return _union(sources(e, scope, more, rest) for e in node.elts)
        return _union(sources(e, scope, more) for e in node.elts)
    if isinstance(node, ast.Dict):
        if path[:1] in (("key",), ("each",)):  # a key (`d.keys()`, `for k in d`): a `**spread`'s are its mapping's
            return _union(
                sources(k, scope, more, rest) if k is not None else sources(v, scope, more, path)
                for k, v in zip(node.keys, node.values)
            )
        return _union(sources(v, scope, more, rest) for v in node.values if v is not None)
    if isinstance(node, ast.DictComp):  # `{k: v for k, v in data.items() if v is not None}`
        inner = scope.with_loops(node)
        keys, values = sources(node.key, inner, more), sources(node.value, inner, more, rest)
        return keys if path[:1] in (("key",), ("each",)) else values if path else keys | values
    if isinstance(node, ast.FormattedValue):
        return sources(node.value, scope, more)
    if isinstance(node, ast.IfExp):
        return sources(node.body, scope, more, path) | sources(node.orelse, scope, more, path)
    if isinstance(node, ast.BoolOp):
        return _union(sources(v, scope, more, path) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _identifier_template(node.left):
        return _NONE  # "%s_stream_id" % kind, "%s = ?" % column: the value becomes a name
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):  # ["%s"] * n, "?, " * n, (fmt,) * 2
        written = (ast.List, ast.Tuple, ast.JoinedStr)
        repeated = [s for s in (node.left, node.right) if isinstance(s, written) or literal(s) is not None]
        if len(repeated) == 1:  # a sequence written there, repeated: its items reach the text, the count never
            return sources(repeated[0], scope, more)
        left, right = sources(node.left, scope, more), sources(node.right, scope, more)
        return left | right if left and right else _NONE
    if isinstance(node, ast.BinOp) and isinstance(node.op, _ARITHMETIC) and any(map(_number, (node.left, node.right))):
        return _NONE  # `columns.index(key) + 1`: a number whenever it runs (text or a list and a number raise)
    built = parts(node)
    if quoted_literal(built):
        return _NONE  # "'" + s.replace("'", "''") + "'": a whole literal the value cannot end
    if built is not None:  # f-string, %, .format(), +: its values (numeric conversions are numbers)
        return _union(sources(p, scope, more) for p in _values_of(built))
    default = setting_read(node, scope.tree) if _module_name(node, scope) else None
    if default is not None:
        return sources(default, scope, more)  # a setting the operator configures (advisor.facts.safe_text)
    if isinstance(node, ast.BinOp):
        return sources(node.left, scope, more) | sources(node.right, scope, more)
    if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
        return sources(node.elt, scope.with_loops(node), more, rest)
    if isinstance(node, (ast.Call, ast.Subscript)) and word_group(node, scope.assigned, scope.loops):
        return _NONE  # a regular-expression group of word characters: never a quote or a space
    if isinstance(node, ast.Call):
        return _call_sources(node, scope, more, path)
    if isinstance(node, ast.Subscript):  # an entry of a fixed mapping is as fixed as the mapping
        index = node.slice
        if isinstance(index, ast.Constant) and isinstance(index.value, int) and not isinstance(index.value, bool):
            return sources(node.value, scope, more, (index.value, *path))
        return sources(node.value, scope, more, path if isinstance(index, ast.Slice) else ("item", *path))
    if isinstance(node, ast.Attribute):
        if _attribute_fixed(node) and not (scope.foreign and call_name(_root(node)) in ("self", "cls")):
            return _NONE
        if path[:1] == ("each",) and _a_class(node, scope) or _enum_member(_root(node), scope):
            return _NONE  # `for c in models.RankingCategory`: an Enum's members, `c.name` and `c.value` written in it
        if node.attr in GEOMETRY_TEXT:
            return _NONE
        if ast.unparse(node) in scope.narrowed:
            return _NONE  # `tournament.uid` after `uuid.UUID(tournament.uid)`: a form with no quote (narrowing)
        root = _root(node)
        if isinstance(root, ast.Name) and never_bound(root.id, scope.tree):
            return _NONE  # `sqlfile.stem` where nothing binds sqlfile: NameError before the statement is built
        read = _property_read(node, scope, more, path)
        if read is None and _literal_attribute(node, scope):
            return _NONE  # `config.format_str`, set only to "?" or "%s" by its class: the code's own text
        return read if read is not None else frozenset({Source(ast.unparse(node)[:60], False)})
    if isinstance(node, ast.Name):
        if path[:1] == ("each",) and _a_class(node, scope):
            return _NONE  # `for c in RankingCategory`: an Enum's members
        return _name_sources(node.id, scope, more, path, node)
    return frozenset({Source(ast.unparse(node)[:60], False)})


def _values_of(built: list[str | ast.expr]) -> list[ast.expr]:
    """The values of a fragment that may carry a caller's text: not one escaped for its quotes, nor a name held
    in a variable named for it where SQL expects a name (`f"{table_name}.vec {op} $1"`), as in the statement."""
    out, before = [], ""
    for i, p in enumerate(built):
        if isinstance(p, str):
            before += p
            continue
        after = built[i + 1] if i + 1 < len(built) else ""
        literal = "".join(t for t in built[:i] if isinstance(t, str))
        named = isinstance(p, (ast.Name, ast.Attribute)) and (
            identifier_name(p.id if isinstance(p, ast.Name) else p.attr) or _QUALIFIED.search(before) is not None
        )
        if not escaped_literal(literal, p) and not (
            named and name_position(before, after if isinstance(after, str) else "")
        ):
            out.append(p)
        before += "?"  # the value's own text is unknown; it is not a quote
    return out


# right after `alias.` (`m.%s`, `%s.%s`): the second part of a qualified name, where only an identifier stands,
# as a name held in a variable or an attribute (a call or an expression there is followed as any value is)
_QUALIFIED = re.compile(r'[\w"?]\.$')


def _module_name(node: ast.expr, scope: Scope) -> bool:
    """The read's root name is the module's, not a parameter or a local of the enclosing functions."""
    root = node.value if isinstance(node, ast.Subscript) else node.func if isinstance(node, ast.Call) else node
    while isinstance(root, (ast.Attribute, ast.Subscript)):
        root = root.value
    return (
        isinstance(root, ast.Name)
        and root.id not in scope.params
        and not (scope.functions and root.id in scope.assigned)
    )


def _union(items) -> Sources:
    out: set[Source] = set()
    for item in items:
        out |= item
    return frozenset(out)


_TEXT_METHODS = {"join", "format", "replace", "strip", "lower", "upper", "rstrip", "lstrip", "split", "rsplit", "title"}


def _call_sources(node: ast.Call, scope: Scope, depth: int, path: Path = ()) -> Sources:
    name = call_name(node.func)
    if name.lower() in SAFE_CALLS or word_characters_only(node):
        return _NONE
    if name == "enumerate" and isinstance(node.func, ast.Name) and node.args:
        if path[:2] == ("each", 0):
            return _NONE  # the count
        return sources(node.args[0], scope, depth, ("each", *path[2:]) if path[:2] == ("each", 1) else ())
    receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
    if receiver is not None and name in _TEXT_METHODS:
        args = [
            a for a in node.args if not (name == "join" and isinstance(a, ast.Name) and items(a.id) in scope.narrowed)
        ]
        return sources(receiver, scope, depth) | _union(sources(a, scope, depth) for a in args)  # joined: each checked
    if name == "get" and isinstance(receiver, ast.Name) and 1 <= len(node.args) <= 2 and not node.keywords:
        return sources(receiver, scope, depth, ("item", *path)) | _union(
            sources(a, scope, depth, path) for a in node.args[1:]
        )  # d.get(k, default): an entry of d, or the default
    if receiver is not None and name in ("keys", "values", "items") and not node.args and not node.keywords:
        return _mapping_view(receiver, name, scope, depth, path)
    if name in _RECORD_DICTS and path[:1] in (("key",), ("each",)) and (name != "dict" or receiver is not None):
        return _NONE  # `asdict(feedback)`, `model.model_dump()`: its keys are the class's field names
    if name in ("next", "str") and isinstance(node.func, ast.Name) and len(node.args) == 1 and not node.keywords:
        return sources(node.args[0], scope, depth)  # an item of the code's own iterator; the text of its own value
    function = None
    if isinstance(node.func, ast.Name):
        function = scope.module_functions.get(name)
        imported = imported_function(name, scope.tree, scope.callers) if function is None else None
        if imported is not None and _followed(imported[1], call=True):  # a function of another of its modules
            return _returned(node, imported[1], scope, depth + 1, path, imported[0])
    elif isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
        function = scope.methods.get(name)  # a method of the class itself
    if function is not None:
        return _returned(node, function, scope, depth + 1, path)
    own = class_method(receiver, name, scope) if receiver is not None and scope.callers is not None else None
    if own is not None and own.function is not None and _followed(own.function, call=True):
        return _returned(node, own.function, scope, depth + 1, path, own.owner.tree, foreign=False)
    if receiver is not None:  # `db.placeholder("now")`: a method of the object's class, when the project has it
        found = members(receiver, name, scope)
        if found and all(m.function is not None and _followed(m.function, call=True) for m in found):
            return _union(_returned(node, m.function, scope, depth + 1, path, m.owner.tree) for m in found)  # type: ignore[arg-type]
        if _dialect_helper(receiver, name, node) and _own_connection(receiver, scope):
            return _NONE
    return frozenset({Source(ast.unparse(node)[:60], False)})


# a record's fields as a mapping: a dataclass's (`dataclasses.asdict`), a named tuple's, a pydantic model's (`.dict()`,
# a method: the builtin `dict(m)` has the keys of whatever mapping it is given)
_RECORD_DICTS = frozenset({"asdict", "_asdict", "model_dump", "dict"})


def _mapping_view(mapping: ast.expr, view: str, scope: Scope, depth: int, path: Path) -> Sources:
    """`d.keys()`, `d.values()`, `d.items()`: the mapping's keys, its values, or (key, value) pairs, as an element
    (`for k, v in d.items()`) or whole."""
    keys = lambda rest: sources(mapping, scope, depth, ("key", *rest))  # noqa: E731
    values = lambda rest: sources(mapping, scope, depth, ("item", *rest))  # noqa: E731
    rest = path[1:] if path[:1] == ("each",) else ()
    if view == "keys":
        return keys(rest)
    if view == "values":
        return values(rest)
    if rest[:1] == (0,):
        return keys(rest[1:])
    if rest[:1] == (1,):
        return values(rest[1:])
    return keys(()) | values(())


# a database connection, by the names code gives it; and what a connection's method reads rather than writes
_CONNECTION = re.compile(r"_*(db|conn|connection|cnx|dbconn|db_conn|dialect|backend)", re.IGNORECASE)
_READS = re.compile(r"_*(get|fetch|execute|query|read|find|select|scalar|first|one|all|load|lookup|value|row)", re.I)


def _own_connection(receiver: ast.expr, scope: Scope) -> bool:
    """A connection the function holds itself (`with env.db_query as db:`), of a class the project does not show:
    not a parameter (a caller's object may be anything) nor an object whose class advisor knows (then its method is
    followed, or is unknown where it cannot be)."""
    return (
        isinstance(receiver, ast.Name)
        and receiver.id not in scope.params
        and scope.callers is not None
        and classes_of(receiver, scope, 0) is None
    )


def _dialect_helper(receiver: ast.expr, name: str, call: ast.Call) -> bool:
    """`db.cast('s2.var_value', 'int')`, `db.like()`, `conn.concat("a", "b")`: a connection's SQL for its dialect,
    given only constants the code writes: the same text on every call, nothing a caller chooses (trac's backends).
    A method that reads (`db.get("sort")`, `conn.execute(...)`) returns data, never this."""
    last = (
        receiver.attr if isinstance(receiver, ast.Attribute) else receiver.id if isinstance(receiver, ast.Name) else ""
    )
    return (
        bool(_CONNECTION.fullmatch(last))
        and not _READS.match(name)
        and all(isinstance(a, ast.Constant) for a in call.args)
        and all(isinstance(k.value, ast.Constant) for k in call.keywords)
    )


# decorators a method followed through an object may have: none changes what a call of it returns
_KEPT = {"staticmethod", "classmethod", "cache", "lru_cache", "override"}


def _followed(function: Defined, call: bool) -> bool:
    """A method called (`call`) or a property read: as written, with the decorators that keep it so."""
    decorators = {call_name(d.func if isinstance(d, ast.Call) else d) for d in function.decorator_list}
    properties = decorators & {"property", "cached_property"}
    return (not properties if call else bool(properties)) and decorators - {"property", "cached_property"} <= _KEPT


def _property_read(node: ast.Attribute, scope: Scope, depth: int, path: Path) -> Sources | None:
    """`db.timestamp_now`: what the property returns, for every class the object can be (None: unknown)."""
    found = members(node.value, node.attr, scope)
    if not found or not all(m.function is not None and _followed(m.function, call=False) for m in found):
        return None
    read = ast.Call(func=node, args=[], keywords=[])
    return _union(_returned(read, m.function, scope, depth + 1, path, m.owner.tree) for m in found)  # type: ignore[arg-type]


_ARITHMETIC = (ast.Add, ast.Sub, ast.Div, ast.FloorDiv, ast.Pow)  # not `*` (text repeated) nor `%` (text formatted)


def _number(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def _literal_attribute(node: ast.Attribute, scope: Scope) -> bool:
    """A data attribute of a project class's objects that the project only ever sets to texts written in the code
    (or None): the placeholder style a config object keeps for its database (objects.attribute_values)."""
    values = attribute_values(node.value, node.attr, scope)
    return (
        values is not None
        and bool(values)
        and all(isinstance(v, ast.Constant) and (v.value is None or isinstance(v.value, str)) for v in values)
    )


def _root(node: ast.expr) -> ast.expr:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node


def _returned(
    call: ast.Call,
    function: Defined,
    scope: Scope,
    depth: int,
    path: Path = (),
    tree: ast.Module | None = None,
    foreign: bool | None = None,
) -> Sources:
    """What a call to one of the module's functions (or `self.m(...)`, of the class's methods) returns: its
    return values, its parameters bound to the call's arguments (one the call leaves takes its default).
    `tree`: the module of a method reached through an object (`db.m()`), whose `self` is not the caller's;
    `foreign=False` for a classmethod called on its class (`Lister.columns()`): its `cls` is the class, whose
    attributes are the code's as the caller's own class's are."""
    foreign = (scope.foreign or tree is not None) if foreign is None else foreign
    tree = scope.tree if tree is None else tree
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    if isinstance(call.func, ast.Attribute) and not any(
        call_name(d) == "staticmethod" for d in function.decorator_list
    ):
        positional = positional[1:]  # self.m(a): self is bound already
    bound: dict[str, Sources] = {}
    given = defaults(function)
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return frozenset({Source(ast.unparse(call)[:60], False)})  # f(*args), f(**kw): unknown binding
    if given:
        module = Scope(tree, (), answers=scope.answers, callers=scope.callers)
        for name, default in given.items():
            bound[name] = sources(default, module, depth)
    for param, arg in zip(positional, call.args):
        bound[param.arg] = sources(arg, scope, depth)
    for keyword in call.keywords:
        bound[str(keyword.arg)] = sources(keyword.value, scope, depth)

    def answer() -> Sources:
        inner = Scope(tree, (function,), bound, scope.answers, scope.callers, foreign)
        values = [n.value for n in own_nodes(function) if isinstance(n, ast.Return) and n.value is not None]
        return _union(sources(v, inner.at(v), depth, path) for v in values)

    return scope.answers.ask((function, frozenset(bound.items()), path, foreign), answer)


_NAME_TEMPLATE = re.compile(r"^(?:[\w.\"]*%s[\w.\"]*|(?:\s*%s\s*(?:=|<>|!=|<=|>=|<|>)\s*(?:\?|%s|\$\d+)\s*))$")


def _identifier_template(node: ast.expr) -> bool:
    """A %-template that glues its value into a name, or puts it where a column name stands."""
    return (
        isinstance(node, ast.Constant) and isinstance(node.value, str) and _NAME_TEMPLATE.match(node.value) is not None
    )


def _class_reference(node: ast.expr) -> bool:
    """`RankingCategory`, `models.RankingCategory`: a CapWords name, a class by PEP 8; what iterating a class gives
    is an Enum's members (a metaclass's `__iter__`), each written in the class."""
    last = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return last[:1].isupper() and not last.isupper() and "_" not in last


def _enum_member(root: ast.expr, scope: Scope) -> bool:
    """A loop's name over an Enum class only, never assigned: its attributes (`.name`, `.value`) are the class's."""
    if not isinstance(root, ast.Name) or root.id in scope.assigned:
        return False
    loops = scope.loops.get(root.id, [])
    return bool(loops) and all(_a_class(i, scope) for i in loops)


def _a_class(node: ast.expr, scope: Scope) -> bool:
    """A class reference (_class_reference) the function does not bind itself: `Items` a parameter is a value."""
    return _class_reference(node) and not (
        isinstance(node, ast.Name) and node.id in scope.params | scope.assigned.keys()
    )


def _attribute_fixed(node: ast.Attribute) -> bool:
    """`self.table`, `cls._meta.db_table`, `settings.SCHEMA`: configuration of the code, not input."""
    root: ast.expr = node
    while isinstance(root, ast.Attribute):
        root = root.value
    if isinstance(root, ast.Name) and (root.id in ("self", "cls") or root.id.isupper() or root.id[:1].isupper()):
        return True
    return identifier_name(node.attr) or node.attr.isupper()


def _name_sources(name: str, scope: Scope, depth: int, path: Path = (), read: ast.Name | None = None) -> Sources:
    if name.isupper() or name in scope.narrowed:
        return _NONE  # a module constant; a name the tests around confine to a fixed set or to word characters
    reach = scope.reach.get(id(read)) if read is not None and name not in scope.comprehended else None
    if reach is not None:  # the assignments that reach this read, and the parameter's own value if it does
        return scope.answers.ask((scope, name, path, reach), lambda: _reached(name, scope, depth + 1, path, reach))
    return scope.answers.ask((scope, name, path), lambda: _name_sources_once(name, scope, depth + 1, path))


def _reached(name: str, scope: Scope, depth: int, path: Path, reach: frozenset[int]) -> Sources:
    given = [
        (value, looped)
        for looped, table in ((True, scope.loops), (False, scope.assigned))
        for value in table.get(name, ())
        if id(value) not in scope.sites or scope.sites[id(value)] in reach  # no site: `parts.append(x)`, always
    ]
    out = _union(sources(v, scope.at(v), depth, _within(scope, name, v, path, looped)) for v, looped in given)
    if PARAMETER in reach:
        out |= _unassigned_sources(name, scope, depth, checked=False)
    return out


def _name_sources_once(name: str, scope: Scope, depth: int, path: Path) -> Sources:
    if name in scope.loops:
        return _union(
            sources(i, scope if name in scope.comprehended else scope.at(i), depth, _within(scope, name, i, path, True))
            for i in scope.loops[name]
        )
    values = scope.assigned.get(name)
    if values:
        return _union(sources(v, scope.at(v), depth, _within(scope, name, v, path)) for v in values)
    return _unassigned_sources(name, scope, depth)


def _unassigned_sources(name: str, scope: Scope, depth: int, checked: bool = True) -> Sources:
    """What a name holds that the function does not assign it: a parameter's argument, a global.  `checked`:
    the name is never assigned, so a test against literals anywhere before its use confines it."""
    if (checked and name in scope.checked) or name in scope.numbers:
        return _NONE  # never assigned, and checked against literals before use, or annotated as a number
    if scope.bound is not None and name in scope.bound:
        return scope.bound[name]
    if name in scope.params:
        return _parameter_sources(name, scope, depth)
    if identifier_name(name) or never_bound(name, scope.tree):
        return _NONE  # a name by convention; or one nothing binds: the statement raises before it runs
    return frozenset({Source(name, False)})  # an import or another global


def _within(scope: Scope, name: str, value: ast.expr, path: Path, looped: bool = False) -> Path:
    """Where `name` is in what it was given (`for k, v in pairs`: v is an item's second), then `path` in it."""
    return ("each",) * looped + scope.unpacked.get((name, id(value)), ()) + path


def _parameter_sources(name: str, scope: Scope, depth: int) -> Sources:
    """A parameter is the code's own when the function has calls and every one passes the code's own value."""
    caller_chooses = frozenset({Source(name, True)})
    function = next((f for f in reversed(scope.functions) if name in parameter_names(f)), None)
    if scope.callers is None or not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return caller_chooses
    callers, defined = scope.callers, function

    def answer() -> Sources:
        calls = callers.calls(defined, scope.tree)
        if not calls:  # no call seen: an entry point; or calls that cannot all be seen
            return _NONE if name in route_numbers(defined, callers) else caller_chooses  # <int:id>: a number
        binding = callers.binding(defined, scope.tree)
        for call in calls:
            bound = argument(call, defined, name, binding)
            if bound is None:
                return caller_chooses
            value, default = bound
            where = (scope.tree, ()) if default else (call.tree, call.functions)
            if sources(value, Scope(*where, answers=scope.answers, callers=callers).at(value), depth):
                return caller_chooses
        return _NONE

    # a parameter that reaches itself through its calls (recursion) stays the caller's: its first value is unseen
    return scope.answers.ask(("parameter", function, name), answer, cyclic=caller_chooses)
