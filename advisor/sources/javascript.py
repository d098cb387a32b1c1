"""SQL in JavaScript / TypeScript (tree-sitter), and the entry point for JS files.

SQL handed to `pool.query`, `client.query`, `knex.raw`, Prisma `$queryRaw`; the
MongoDB calls and index declarations are read by advisor.sources.js_mongo.
"""

from __future__ import annotations

from advisor.ir import Location, SourceFile, SqlQuery, StringBuilt, TextMap
from advisor.sources import register
from advisor.sources.js_mongo import extract_mongo
from advisor.sources.js_syntax import JsFile as _File
from advisor.sources.js_syntax import arg_list as _arg_list
from advisor.sources.js_syntax import collect_decls, first_error
from advisor.sources.js_syntax import key_name as _key_name
from advisor.sources.js_syntax import member_parts as _member_parts
from advisor.sources.js_syntax import parser as _parser
from advisor.sources.js_syntax import string_value as _string_value
from advisor.sources.js_syntax import unescape as _unescape
from advisor.sources.js_syntax import unwrap as _unwrap

SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts")
SQL_SINKS = {"query", "execute", "raw", "$queryRaw", "$executeRaw", "$queryRawUnsafe", "$executeRawUnsafe",
             "unsafe", "none", "one", "oneOrNone", "many", "manyOrNone", "any", "result"}
SAFE_TAGS = {"$queryRaw", "$executeRaw", "sql", "SQL", "raw"}
UNSAFE_METHODS = {"$queryRawUnsafe", "$executeRawUnsafe", "unsafe"}
DYNAMIC_PLACEHOLDER = "__advisor_param"


# --- SQL ---------------------------------------------------------------------------------------


def _string_pieces(f: _File, node, tagged: bool):
    """(text, anchors, substitutions) of a string or template literal, anchored per piece."""
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
            subs += 1
            text += f"${subs}" if tagged else DYNAMIC_PLACEHOLDER
    if not anchors:
        r, col = node.start_point
        anchors.append((0, r + 1, f.col(r, col) + 1))
    return text, tuple(anchors), subs


def _flatten_plus(node) -> list:
    node = _unwrap(node)
    if node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        if op is not None and op.type == "+":
            return _flatten_plus(node.child_by_field_name("left")) + _flatten_plus(node.child_by_field_name("right"))
    return [node]


def _sql_from_calls(f: _File, calls: list, result: SourceFile, dialect: str, seen: set) -> None:
    from advisor.sources.python import looks_like_sql

    for call in calls:
        fn = _unwrap(call.child_by_field_name("function"))
        args = call.child_by_field_name("arguments")
        if fn is None or args is None:
            continue
        obj, prop = _member_parts(f, fn)
        name = prop if prop is not None else (f.src(fn) if fn.type == "identifier" else "")
        callee = f.src(fn)
        if args.type == "template_string":  # tagged template
            if name not in SAFE_TAGS and name not in SQL_SINKS:
                continue
            text, anchors, _ = _string_pieces(f, args, tagged=True)
            if looks_like_sql(text):
                seen.add(args.id)
                result.queries.append(SqlQuery(text, f.loc(args), TextMap(f.path, text, anchors), "js",
                                               dialect=dialect))
            continue
        if name not in SQL_SINKS:
            continue
        arglist = _arg_list(args)
        if not arglist:
            continue
        arg = _unwrap(arglist[0])
        if arg.type == "identifier":
            resolved = f.resolve(f.src(arg), arg.start_byte)
            if resolved is not None and resolved.type in ("string", "template_string", "binary_expression"):
                arg = resolved
        if arg.type == "object":  # client.query({ text: '...', values })
            for child in arg.named_children:
                if child.type == "pair" and _key_name(f, child.child_by_field_name("key")) == "text":
                    arg = _unwrap(child.child_by_field_name("value"))
                    break
        if arg.type in ("string", "template_string"):
            text, anchors, subs = _string_pieces(f, arg, tagged=False)
            if not looks_like_sql(text.replace(DYNAMIC_PLACEHOLDER, "x")):
                continue
            seen.add(arg.id)
            if subs:
                result.string_built.append(StringBuilt("template literal", callee, f.loc(arg)))
                result.queries.append(SqlQuery(text, f.loc(arg), TextMap(f.path, text, anchors), "js", dynamic=True,
                                               dialect=dialect))
            else:
                result.queries.append(SqlQuery(text, f.loc(arg), TextMap(f.path, text, anchors), "js",
                                               dialect=dialect))
        elif arg.type == "binary_expression":
            parts = _flatten_plus(arg)
            if len(parts) < 2:
                continue
            text = ""
            dynamic = False
            for p in parts:
                s = _string_value(f, p) if p.type in ("string", "template_string") else None
                if s is None:
                    dynamic = True
                    text += DYNAMIC_PLACEHOLDER
                else:
                    text += s
                seen.update(x.id for x in (p,))
            if not looks_like_sql(text.replace(DYNAMIC_PLACEHOLDER, "x")):
                continue
            seen.add(arg.id)
            loc = f.loc(arg)
            if dynamic:
                result.string_built.append(StringBuilt("concatenation", callee, loc))
            r, c = arg.start_point
            result.queries.append(SqlQuery(text, loc, TextMap(f.path, text, ((0, r + 1, f.col(r, c)),)), "js",
                                           dynamic=dynamic, dialect=dialect))


def _sql_literals(f: _File, result: SourceFile, dialect: str, seen: set) -> None:
    """Other string constants that look like SQL (as the Python extractor does)."""
    from advisor.sources.python import looks_like_sql

    stack = [f.root]
    while stack:
        node = stack.pop()
        if node.type in ("string", "template_string"):
            if node.id not in seen and node.parent is not None and node.parent.type != "call_expression":
                text, anchors, subs = _string_pieces(f, node, tagged=False)
                if not subs and len(text) >= 8 and looks_like_sql(text):
                    result.queries.append(SqlQuery(text, f.loc(node), TextMap(f.path, text, anchors), "js",
                                                   dialect=dialect))
            continue
        stack.extend(node.children)


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
        result.errors.append((Location(path, where.line, where.col),
                              f"JavaScript/TypeScript syntax error ({what}); queries after it may be missed"))
    calls = collect_decls(f)
    extract_mongo(f, calls, result)
    seen: set = set()
    _sql_from_calls(f, calls, result, dialect, seen)
    _sql_literals(f, result, dialect, seen)
    result.queries.sort(key=lambda q: (q.location.line, q.location.col))
    return result


register(SUFFIXES, extract_javascript)
