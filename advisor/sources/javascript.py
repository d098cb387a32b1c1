"""SQL in JavaScript / TypeScript (tree-sitter), and the entry point for JS files.

SQL handed to `pool.query`, `client.query`, `knex.raw`, Prisma `$queryRaw`; the
MongoDB calls and index declarations are read by advisor.sources.js_mongo.
"""

from __future__ import annotations

import re

from advisor.ir import Location, SourceFile, SqlQuery, StringBuilt, TextMap
from advisor.sources import register
from advisor.sources.js_flow import function_name, scope_names
from advisor.sources.js_mongo import extract_mongo
from advisor.sources.js_syntax import FUNCTIONS, collect_decls, first_error
from advisor.sources.js_syntax import JsFile as _File
from advisor.sources.js_syntax import arg_list as _arg_list
from advisor.sources.js_syntax import key_name as _key_name
from advisor.sources.js_syntax import member_parts as _member_parts
from advisor.sources.js_syntax import parser as _parser
from advisor.sources.js_syntax import string_value as _string_value
from advisor.sources.js_syntax import unescape as _unescape
from advisor.sources.js_syntax import unwrap as _unwrap

SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts")
SQL_SINKS = {
    "query",
    "execute",
    "raw",
    "$queryRaw",
    "$executeRaw",
    "$queryRawUnsafe",
    "$executeRawUnsafe",
    "unsafe",
    "none",
    "one",
    "oneOrNone",
    "many",
    "manyOrNone",
    "any",
    "result",
}
SAFE_TAGS = {"$queryRaw", "$executeRaw", "sql", "SQL", "raw"}
UNSAFE_METHODS = {"$queryRawUnsafe", "$executeRawUnsafe", "unsafe"}
DYNAMIC_PLACEHOLDER = "{}"  # read by advisor.parse as a typed placeholder: a name, a value or a spliced clause


# --- SQL ---------------------------------------------------------------------------------------


def _string_pieces(f: _File, node, tagged: bool, unknown: list | None = None):
    """(text, anchors, substitutions) of a string or template literal, anchored per piece.

    In an untagged template, a substitution whose value the module fixes (`${TABLE}` with
    `const TABLE = "jobs"`, `${schema}.${table}` prefixes) is replaced by that value; the others
    are placeholders, counted in `substitutions` and their source text appended to `unknown`."""
    text = ""
    anchors: list[tuple[int, int, int]] = []
    subs = 0
    for c in node.named_children:
        r, col = c.start_point
        anchors.append((len(text), r + 1, f.col(r, col)))
        if c.type == "string_fragment":
            text += f.src(c)
        elif c.type == "escape_sequence":
            text += _unescape(f.src(c))
        elif c.type == "template_substitution":
            known = None if tagged else _static_text(f, c.named_children[0] if c.named_children else c, 0)
            if known is not None:
                text += known
                continue
            subs += 1
            text += f"${subs}" if tagged else DYNAMIC_PLACEHOLDER
            if unknown is not None:
                unknown.append(f.src(c)[2:-1].strip())
    if not anchors:
        r, col = node.start_point
        anchors.append((0, r + 1, f.col(r, col) + 1))
    return text, tuple(anchors), subs


def _static_text(f: _File, node, depth: int) -> str | None:
    """The text an expression always has in this module (a literal, a const, their concatenation), or None."""
    node = _unwrap(node)
    if node is None or depth > 4:
        return None
    if node.type in ("string", "template_string"):
        if node.type == "template_string":
            text, _, subs = _string_pieces_static(f, node, depth)
            return text if subs == 0 else None
        return _string_value(f, node)
    if node.type == "identifier":
        if _is_parameter(f, node) or f.src(node) in f.rewritten:
            return None  # a function's parameter, or a name `+=`, `++` or a loop changes: not one text
        value = f.resolve(f.src(node), node.start_byte)
        return _static_text(f, value, depth + 1) if value is not None else None
    if node.type == "binary_expression":
        parts = _flatten_plus(node)
        texts = [_static_text(f, p, depth + 1) for p in parts] if len(parts) > 1 else [None]
        return "".join(texts) if all(t is not None for t in texts) else None  # type: ignore[arg-type]
    return None


def _is_parameter(f: _File, node) -> bool:
    name, scope = f.src(node), node.parent
    while scope is not None:
        if scope.type in FUNCTIONS:
            params = scope.child_by_field_name("parameters") or scope.child_by_field_name("parameter")
            if params is not None and name in {f.src(n) for n in _names_in(params)}:
                return True
        scope = scope.parent
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


def _string_pieces_static(f: _File, node, depth: int):
    text, subs = "", 0
    for c in node.named_children:
        if c.type == "string_fragment":
            text += f.src(c)
        elif c.type == "escape_sequence":
            text += _unescape(f.src(c))
        elif c.type == "template_substitution":
            known = _static_text(f, c.named_children[0], depth + 1) if c.named_children else None
            subs += known is None
            text += known or ""
    return text, (), subs


def _flatten_plus(node) -> list:
    node = _unwrap(node)
    if node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        if op is not None and op.type == "+":
            return _flatten_plus(node.child_by_field_name("left")) + _flatten_plus(node.child_by_field_name("right"))
    return [node]


def _callee_name(f: _File, call) -> tuple[str, str]:
    """(called name, callee source) of a call: `query` and `this.pool.query` for this.pool.query(...)."""
    fn = _unwrap(call.child_by_field_name("function"))
    if fn is None:
        return "", ""
    _, prop = _member_parts(f, fn)
    return (prop if prop is not None else (f.src(fn) if fn.type == "identifier" else "")), f.src(fn)


def _sql_helpers(f: _File, calls: list) -> dict[str, int]:
    """Functions and methods that hand one of their parameters to a SQL execution call, e.g.
    `executeQuery(sql, params) { return this.pool.query(sql, params) }`: name -> that parameter's index."""
    helpers: dict[str, int] = {}
    for _ in range(3):  # helpers of helpers
        grew = False
        for call in calls:
            name, _ = _callee_name(f, call)
            index = 0 if name in SQL_SINKS else helpers.get(name)
            arglist = _arg_list(call.child_by_field_name("arguments"))
            if index is None or index >= len(arglist) or _unwrap(arglist[index]).type != "identifier":
                continue
            forwarded = f.src(_unwrap(arglist[index]))
            node = call.parent
            while node is not None:  # the enclosing function that has the forwarded name as a parameter
                if node.type in FUNCTIONS:
                    params = node.child_by_field_name("parameters")
                    names = (
                        [f.src(p.child_by_field_name("pattern") or p) for p in params.named_children]
                        if params is not None
                        else []
                    )
                    if forwarded in names:
                        helper = function_name(f, node)
                        if helper and helper not in helpers and helper not in SQL_SINKS:
                            helpers[helper] = names.index(forwarded)
                            grew = True
                        break
                node = node.parent
        if not grew:
            break
    return helpers


def _sql_from_calls(f: _File, calls: list, result: SourceFile, dialect: str, seen: set) -> None:
    from advisor.sources.python import looks_like_sql

    helpers = _sql_helpers(f, calls)
    for call in calls:
        fn = _unwrap(call.child_by_field_name("function"))
        args = call.child_by_field_name("arguments")
        if fn is None or args is None:
            continue
        name, callee = _callee_name(f, call)
        if args.type == "template_string":  # tagged template
            if name not in SAFE_TAGS and name not in SQL_SINKS:
                continue
            text, anchors, _ = _string_pieces(f, args, tagged=True)
            if looks_like_sql(text):
                seen.add(args.id)
                result.queries.append(
                    SqlQuery(
                        text,
                        f.loc(args),
                        TextMap(f.path, text, anchors),
                        "js",
                        dialect=dialect,
                        origin="execute-call",
                        scope=scope_names(f, call),
                    )
                )
            continue
        if name not in SQL_SINKS and name not in helpers:
            continue
        arglist = _arg_list(args)
        index = 0 if name in SQL_SINKS else helpers[name]
        if len(arglist) <= index:
            continue
        arg = _unwrap(arglist[index])
        origin = "execute-call"
        # knex's raw() handed to a builder method (`.select(db.raw('count(*) as n'))`) is a fragment of the
        # builder's statement, not a statement: its text is checked for what it interpolates, not parsed
        fragment = name == "raw" and call.parent is not None and call.parent.type == "arguments"
        if arg.type == "identifier":
            resolved = f.resolve(f.src(arg), arg.start_byte)
            if resolved is not None and resolved.type in ("string", "template_string", "binary_expression"):
                arg, origin = resolved, "constant-reaching-call"
        if arg.type == "object":  # client.query({ text: '...', values })
            for child in arg.named_children:
                if child.type == "pair" and _key_name(f, child.child_by_field_name("key")) == "text":
                    arg = _unwrap(child.child_by_field_name("value"))
                    break
        if arg.type in ("string", "template_string"):
            unknown: list[str] = []
            text, anchors, subs = _string_pieces(f, arg, tagged=False, unknown=unknown)
            if not looks_like_sql(text.replace(DYNAMIC_PLACEHOLDER, "x")):
                continue
            seen.add(arg.id)
            if subs:
                result.string_built.append(StringBuilt("template literal", callee, f.loc(arg), tuple(unknown)))
            if not fragment:
                result.queries.append(
                    _js_query(f, arg, text, anchors, dynamic=bool(subs), dialect=dialect, origin=origin, at=call)
                )
        elif arg.type == "binary_expression":
            parts = _flatten_plus(arg)
            if len(parts) < 2:
                continue
            text = ""
            unknown = []
            for p in parts:
                s = _static_text(f, p, 0)
                if s is None:
                    unknown.append(f.src(p))
                    text += DYNAMIC_PLACEHOLDER
                else:
                    text += s
                seen.add(p.id)
            dynamic = bool(unknown)
            if not looks_like_sql(text.replace(DYNAMIC_PLACEHOLDER, "x")):
                continue
            seen.add(arg.id)
            loc = f.loc(arg)
            if dynamic:
                result.string_built.append(StringBuilt("concatenation", callee, loc, tuple(unknown)))
            r, c = arg.start_point
            anchors = ((0, r + 1, f.col(r, c)),)
            if not fragment:
                result.queries.append(
                    _js_query(f, arg, text, anchors, dynamic=dynamic, dialect=dialect, origin=origin, at=call)
                )


def _js_query(f: _File, node, text: str, anchors, *, dynamic: bool, dialect: str, origin: str, at=None) -> SqlQuery:
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


_NAMED_SQL = re.compile(r"(?:^|_)(?:SQL|QUERY|QUERIES|STATEMENT|STMT)(?:_|$)|[a-z](?:Sql|Query|Statement)$")


def _sql_literals(f: _File, result: SourceFile, dialect: str, seen: set) -> None:
    """Constants named as SQL (`const GET_JOB_SQL = "..."`, `fetchJobQuery`), executed from another
    module; other SQL-looking strings are not queries (they reach no execution call)."""
    from advisor.sources.python import looks_like_sql

    for name, values in f.decls.items():
        if not _NAMED_SQL.search(name):
            continue
        for _, node in values:
            if node.type not in ("string", "template_string") or node.id in seen:
                continue
            seen.add(node.id)
            unknown: list[str] = []
            text, anchors, subs = _string_pieces(f, node, tagged=False, unknown=unknown)
            if len(text) >= 8 and looks_like_sql(text.replace(DYNAMIC_PLACEHOLDER, "x")):
                result.queries.append(
                    _js_query(f, node, text, anchors, dynamic=bool(subs), dialect=dialect, origin="named-constant")
                )


# --- entry point ---------------------------------------------------------------------------------


def extract_javascript(path: str, text: str, dialect: str = "postgres") -> SourceFile:
    from pathlib import PurePath

    result = SourceFile(path=path, text=text)
    suffix = PurePath(path).suffix.lower()
    data = text.encode("utf-8", "surrogatepass")
    tree = _parser(suffix).parse(data)
    root = tree.root_node
    f = _File(path, text, data, root)
    if root.has_error:
        bad = first_error(root)
        where = f.loc(bad) if bad is not None else Location(path, 1, 1)
        what = f"missing {bad.type!r}" if bad is not None and bad.is_missing else "unexpected syntax"
        result.errors.append(
            (
                Location(path, where.line, where.col),
                # tree-sitter also stops on valid code it does not know (npm's lib/base-cmd.js:233, where
                # ASI ends an arrow function before `[`): a claim about advisor's reading, not the code
                f"advisor's JavaScript/TypeScript parser could not read this ({what}); queries after it may be missed",
            )
        )
    calls = collect_decls(f)
    extract_mongo(f, calls, result)
    seen: set = set()
    _sql_from_calls(f, calls, result, dialect, seen)
    _sql_literals(f, result, dialect, seen)
    result.queries.sort(key=lambda q: (q.location.line, q.location.col))
    return result


register(SUFFIXES, extract_javascript)
