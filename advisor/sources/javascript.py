"""SQL in JavaScript / TypeScript (tree-sitter), and the entry point for JS files.

SQL handed to `pool.query`, `client.query`, `knex.raw`, Prisma `$queryRaw`; the
MongoDB calls and index declarations are read by advisor.sources.js_mongo.
"""

from __future__ import annotations

import re

from advisor.facts.js_scope import scopes_of
from advisor.ir import JS_SUFFIXES, Location, SourceFile, SqlQuery, StringBuilt, TextMap
from advisor.parse import another_database
from advisor.sources import register
from advisor.sources.js_flow import scope_names
from advisor.sources.js_mongo import extract_mongo
from advisor.sources.js_pg_format import pg_format_queries
from advisor.sources.js_sql_builders import (
    appended_pieces,
    appended_to,
    builder_queries,
    called_builder,
    enclosing,
    exported_builders,
    reaching_calls,
)
from advisor.sources.js_sql_helpers import sql_helpers
from advisor.sources.js_sql_text import concatenation, flatten_plus, joined_parts, js_query, read_once, string_pieces
from advisor.sources.js_syntax import (
    DATABASE_KEY,
    MAX_NESTING,
    WRAPPERS,
    callee_name,
    collect_decls,
    first_error,
    other_database_members,
    run_text,
)
from advisor.sources.js_syntax import JsFile as _File
from advisor.sources.js_syntax import arg_list as _arg_list
from advisor.sources.js_syntax import key_name as _key_name
from advisor.sources.js_syntax import parser as _parser
from advisor.sources.js_syntax import unwrap as _unwrap
from advisor.sources.links import links_of
from advisor.sources.sql_shape import DYNAMIC_PLACEHOLDER, runs_as_sql

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
# the packages whose client is a tag function that runs the template it tags (postgres.js, Bun's SQL, Vercel's and
# Neon's serverless clients) or builds a statement from it (slonik): a project importing one runs, under any name
# (`pg`, `tx`, a parameter), a template tagged by a name whose text is SQL (advisor.sources.links)
TAG_DRIVERS = re.compile(
    r"""(?:\bfrom\s*|\brequire\s*\(\s*)["'](?:postgres|bun|slonik|@vercel/postgres|@neondatabase/serverless)["']"""
)
TAGGED = "<a template a SQL driver's tag runs>"  # the helper name the pending tagged templates wait under
UNSAFE_METHODS = {"$queryRawUnsafe", "$executeRawUnsafe", "unsafe"}


# --- SQL ---------------------------------------------------------------------------------------


def _sql_from_calls(f: _File, calls: list, helpers: dict, result: SourceFile, dialect: str, seen: set) -> None:
    """Text an execution call runs (or a helper that forwards it): SQL when `runs_as_sql` reads it, DDL and
    session commands too, as in Python (advisor.sources.python). A method call of no helper of this module
    whose argument is SQL text (`context.runQuery(sql, ...)`) is handed to advisor.sources.links: an execution
    call when another module of the project defines a helper of that name, that position its text."""
    for call in calls:
        fn = _unwrap(call.child_by_field_name("function"))
        args = call.child_by_field_name("arguments")
        if fn is None or args is None:
            continue
        name, callee = callee_name(f, call)
        if args.type == "template_string":  # tagged template
            known = name in SAFE_TAGS or name in SQL_SINKS
            if not known and (not name or fn.type not in ("identifier", "member_expression")):
                continue
            text, anchors, _ = string_pieces(f, args, tagged=True, tag=name)
            if runs_as_sql(text):
                seen.add(args.id)
                query = SqlQuery(
                    text,
                    f.loc(args),
                    TextMap(f.path, text, anchors),
                    "js",
                    dialect=dialect,
                    origin="execute-call",
                    scope=scope_names(f, call),
                    complete=not _appended_later(f, call),
                )
                if known:
                    result.queries.append(query)
                else:  # `pg\`SELECT ...\``: a statement when the project imports a driver whose tag runs it
                    links_of(result).pending_sql.append((TAGGED, 0, [query], []))
            continue
        arglist = _arg_list(args)
        index = 0 if name in SQL_SINKS else helpers.get(name)
        if index is not None and len(arglist) > index:
            _read_argument(f, call, arglist[index], name, callee, result, dialect, seen)
        elif name and fn.type == "member_expression":  # (a call too short for this module's helper of the name)
            for index, arg in enumerate(arglist[:_PENDING_ARGUMENTS]):
                pending = SourceFile(path=result.path, text=result.text)
                if _read_argument(f, call, arg, name, callee, pending, dialect, set(seen)):
                    links_of(result).pending_sql.append((name, index, pending.queries, pending.string_built))


_PENDING_ARGUMENTS = 3  # a helper's text is among its first parameters


def _appended_later(f: _File, tagged) -> bool:
    r"""The statement a tagged template starts grows after it (`const sql = SQL\`UPDATE teams SET a = ${a},\``, then
    `sql.append(SQL\`b = ${b}\`)`, as @nearform/sql's and sql-template-strings' statements do): not the whole of
    what runs."""
    holder = tagged.parent
    while holder is not None and holder.type in WRAPPERS:
        holder = holder.parent
    name = holder.child_by_field_name("name") if holder is not None and holder.type == "variable_declarator" else None
    if name is None or name.type != "identifier":
        return False
    return any(at > tagged.end_byte for at in _appends(f, enclosing(tagged) or f.root).get(f.src(name), ()))


def _appends(f: _File, scope) -> dict[str, list[int]]:
    """Where the function (or module) calls `x.append(...)`, by `x`: walked once per function (a module may tag
    thousands of statements)."""
    key = ("appends", scope.id)
    if key not in f.memo:
        out: dict[str, list[int]] = {}
        todo = [scope] if ".append(" in f.text else []
        while todo:
            node = todo.pop()
            fn = node.child_by_field_name("function") if node.type == "call_expression" else None
            if (
                fn is not None
                and fn.type == "member_expression"
                and f.src(fn.child_by_field_name("property")) == "append"
            ):
                out.setdefault(f.src(fn.child_by_field_name("object")), []).append(node.start_byte)
            todo.extend(node.named_children)
        f.memo[key] = out
    return f.memo[key]


def _read_argument(f: _File, call, arg, name: str, callee: str, result: SourceFile, dialect: str, seen: set) -> bool:
    """Add the statement the argument an execution call is handed holds; True when it is one."""
    arg = run_text(f, arg)
    origin = "execute-call"
    # knex's raw() handed to a builder method (`.select(db.raw('count(*) as n'))`) is a fragment of the
    # builder's statement, not a statement: its text is checked for what it interpolates, not parsed
    fragment = name == "raw" and call.parent is not None and call.parent.type == "arguments"
    appended: list = []  # what `sql += ...` adds to the name before the call (None: on some runs only)
    pieces: list = []  # every piece `+=` adds before the call, also on some runs only: each judged where it stands
    if arg.type == "identifier":
        resolved = f.resolve(f.src(arg), arg.start_byte)
        if (
            resolved is not None
            and (resolved.type in ("string", "template_string", "binary_expression") or joined_parts(f, resolved))
            and scopes_of(f).gives(arg, resolved)
        ):
            fn = enclosing(resolved)
            added = appended_to(f, fn, f.src(arg), arg.start_byte) if fn is not None and fn == enclosing(arg) else []
            if added is None:
                return False  # changed another way than by appending: not one text advisor can say
            pieces = appended_pieces(f, fn, f.src(arg), arg.start_byte) if added else []
            arg, origin, appended = resolved, "constant-reaching-call", added
    if arg.type == "object":  # client.query({ text: '...', values })
        for child in arg.named_children:
            if child.type == "pair" and _key_name(f, child.child_by_field_name("key")) == "text":
                arg = _unwrap(child.child_by_field_name("value"))
                break
    # the text and what `+=` appends to it before the call, read as one concatenation of their pieces
    joined = joined_parts(f, arg)  # `[...].join(" ")`: its parts, the separator between each two
    parts = (joined or flatten_plus(arg)) + [
        p for a in appended for p in (flatten_plus(a) if a is not None else [None])
    ]
    if arg.type in ("string", "template_string") and not appended:
        unknown: list[str] = []
        text, anchors, subs = string_pieces(f, arg, tagged=False, unknown=unknown)
        if not runs_as_sql(text):
            return False
        seen.add(arg.id)
        if subs:
            result.string_built.append(StringBuilt("template literal", callee, f.loc(arg), tuple(unknown)))
        if not fragment:
            result.queries.append(
                js_query(f, arg, text, anchors, dynamic=bool(subs), dialect=dialect, origin=origin, at=call)
            )
        return True
    if arg.type in ("string", "template_string", "binary_expression") or joined:
        if len(parts) < 2 and not joined:
            return False
        unknown = []
        text, anchors, _ = concatenation(f, parts, unknown, seen)
        dynamic = bool(unknown)
        if not runs_as_sql(text):
            return False
        seen.add(arg.id)
        # what each piece splices, judged where it is written: the text, and each piece `+=` appends before the
        # call, also one only some runs append (a placeholder, `...`, in the text read: js_sql_text.concatenation)
        for piece in [arg, *(p for p in pieces if p is not None)]:
            spliced: list[str] = unknown if not appended else []
            if appended:
                concatenation(f, joined_parts(f, piece) or flatten_plus(piece), spliced)
            if spliced:
                result.string_built.append(StringBuilt("concatenation", callee, f.loc(piece), tuple(spliced)))
        if not fragment:
            result.queries.append(
                js_query(f, arg, text, anchors, dynamic=dynamic, dialect=dialect, origin=origin, at=call)
            )
        return True
    return False


_SQL_WORD = re.compile(r"\b(?:SELECT|INSERT|UPDATE|DELETE|CREATE|WITH|DROP|ALTER)\b", re.IGNORECASE)


def _sql_builders(f: _File, calls: list, helpers: dict, result: SourceFile, dialect: str, seen: set) -> None:
    """Functions returning SQL text whose result is run (advisor.sources.js_sql_builders): this module's
    own are read here, another module's are left to advisor.sources.links, and the ones this module
    exports are handed to it for the modules that run them."""
    if not _SQL_WORD.search(f.text):
        exported: dict = {}
    else:
        exported = exported_builders(f, dialect)
    if exported:
        links_of(result).builders = exported
    sinks = dict.fromkeys(SQL_SINKS, 0) | helpers
    read = {(q.location.line, q.location.col) for q in result.queries}  # kept up to date: once per module
    for call in reaching_calls(f, calls, sinks):
        name, built = called_builder(f, call)
        if built is not None:
            links_of(result).built.append(built)
        fn = f.binding(name, call.start_byte) if name is not None else None
        if fn is not None and not another_database(f.path, dialect):
            for q in builder_queries(f, fn, dialect):
                if (q.location.line, q.location.col) not in read:
                    read.add((q.location.line, q.location.col))
                    result.queries.append(q)


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
            text, anchors, subs = string_pieces(f, node, tagged=False, unknown=unknown)
            if len(text) >= 8 and looks_like_sql(text.replace(DYNAMIC_PLACEHOLDER, "x")):
                result.queries.append(
                    js_query(f, node, text, anchors, dynamic=bool(subs), dialect=dialect, origin="named-constant")
                )


# --- entry point ---------------------------------------------------------------------------------


def extract_javascript(path: str, text: str, dialect: str = "postgres") -> SourceFile:
    from pathlib import PurePath

    result = SourceFile(path=path, text=text)
    suffix = PurePath(path).suffix.lower()
    if "\r" in text:  # a CR alone ends a line (as for splitlines), tree-sitter counts LF only: same length
        text = re.sub(r"\r(?!\n)", "\n", text)
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
    if f.too_deep is not None:
        where = f.loc(f.too_deep)
        result.errors.append(
            (where, f"code nested more than {MAX_NESTING} levels deep: advisor did not read the calls inside it")
        )
    extract_mongo(f, calls, result)
    seen: set = set()
    helpers = sql_helpers(f, calls, SQL_SINKS)
    if helpers:  # the other modules' calls of them are execution calls too (advisor.sources.links)
        links_of(result).sql_helpers.update(helpers)
    if TAG_DRIVERS.search(text):  # its tag runs the templates a name tags, in every module (advisor.sources.links)
        links_of(result).sql_helpers[TAGGED] = 0
    _sql_from_calls(f, calls, helpers, result, dialect, seen)
    _sql_builders(f, calls, helpers, result, dialect, seen)
    pg_format_queries(f, calls, dict.fromkeys(SQL_SINKS, 0) | helpers, dialect, seen, result)
    _sql_literals(f, result, dialect, seen)
    read = {
        (q.location.line, q.location.col)
        for q in result.queries
        if isinstance(q, SqlQuery) and q.origin != "named-constant"
    }
    result.queries = read_once(result.queries, read)  # a constant a builder of this module returns
    if DATABASE_KEY.search(text):  # `sql.onDialectOrElse({ pg: ..., mysql: ... })`: the other databases' SQL
        others = [f.loc(m) for m in other_database_members(f, dialect)]
        result.queries = [q for q in result.queries if not _within(q.location, others)]
        result.indexes = [i for i in result.indexes if not _within(i.location, others)]
    result.queries.sort(key=lambda q: (q.location.line, q.location.col))
    return result


def _within(where: Location | None, spans: list[Location]) -> bool:
    at = (where.line, where.col) if where is not None else None
    return at is not None and any((s.line, s.col) <= at <= (s.end_line or s.line, s.end_col or s.col) for s in spans)


register(JS_SUFFIXES, extract_javascript)
