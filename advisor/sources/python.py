"""SQL in Python: what reaches an execution call (execute, fetch, text(), raw()...).

Uses the standard `ast` module: string literals keep their exact positions,
implicit concatenation and triple-quoted strings included.  SQL assembled at
run time (f-strings, `%`, `.format`, `+`) that reaches an execute call is
reported as string building; its static sketch is still analysed.  psycopg's
composition (`sql.SQL(...) + ...`, advisor.sources.psycopg_sql) is one statement.
Text that reaches an execution call may be any command (DDL, `SET`, `GRANT`, `COPY`:
advisor.sources.sql_shape.runs_as_sql); a constant named as SQL must look like a query.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import sys
from pathlib import PurePath

from advisor.facts.ast_nodes import LineSpans, NameUses, Span, scope_at, span, walk
from advisor.facts.python_parse import parse_python
from advisor.ir import Location, SourceFile, SqlQuery, StringBuilt, TextMap
from advisor.sources import psycopg_sql
from advisor.sources.function_bodies import EXECUTED_DDL
from advisor.sources.python_classes import reads_mongo, record_bases
from advisor.sources.python_jobs import JOB_REGISTRATIONS, one_off_code
from advisor.sources.python_parts import Number, format_template, literal, parts
from advisor.sources.python_reach import COMPOSITION, Reach, dynamic_sketch
from advisor.sources.python_sinks import Reached
from advisor.sources.python_text import LineIndex, location, string_textmap
from advisor.sources.sql_files import split_statements
from advisor.sources.sql_shape import looks_like_sql, runs_as_sql
from advisor.sources.sqlite_calls import runs_on_sqlite, sqlite_receivers


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        base = _call_name(func.value)
        return f"{base}.{func.attr}" if base else func.attr
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Call):
        return _call_name(func.func) + "()"
    return ""


_NAMED_SQL = re.compile(r"(?:^|_)(?:SQL|QUERY|QUERIES|STATEMENT|STMT|DML)(?:_|$)")


def _named_constants(tree: ast.Module, path: str) -> list[ast.Constant]:
    """Module and class constants named as SQL (`GET_USER_SQL = "..."`), or any upper-case constant of
    a module named as SQL (`_sql.py`, `queries.py`): executed from another module."""
    store = _SQL_MODULE.search(PurePath(path).stem) is not None
    bodies = [tree.body] + [n.body for n in tree.body if isinstance(n, ast.ClassDef)]
    out = []
    for body in bodies:
        for node in body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant)
            ):
                name = node.targets[0].id
                if _NAMED_SQL.search(name) or (store and name.isupper()):
                    out.append(node.value)
    return out


# syntax newer Pythons read and this one may not: (the construct, its pattern on the line the parse stopped at,
# the first Python that reads it). A file using it is valid code advisor could not read, not a syntax error
_NEWER_SYNTAX = (
    ("a `type` alias (PEP 695)", re.compile(r"^\s*type\s+\w+\s*(\[[^\]]*\])?\s*="), (3, 12)),
    ("type parameters (PEP 695)", re.compile(r"^\s*(async\s+def|def|class)\s+\w+\s*\["), (3, 12)),
    ("`except` without parentheses (PEP 758)", re.compile(r"^\s*except\*?\s+\w[\w.]*\s*,"), (3, 14)),
    ("a template string (PEP 750)", re.compile(r"(?<![\w\"'])[tT][rR]?(\"|')"), (3, 14)),
)


def newer_syntax(line: str, rest_read: bool = False) -> str | None:
    """Why the running Python cannot read a line a newer one reads (`type Result[T] = ...` on 3.11), or None;
    `rest_read`: advisor read the file past it (advisor.facts.python_parse)."""
    for what, pattern, version in _NEWER_SYNTAX:
        if sys.version_info < version and pattern.search(line):
            wanted = ".".join(map(str, version))
            running = f"{sys.version_info.major}.{sys.version_info.minor}"
            lost = (
                "advisor read the rest of the file without it"
                if rest_read
                else "none of its SQL or MongoDB queries were read"
            )
            return (
                f"advisor runs on Python {running}, which cannot read this {'line' if rest_read else 'file'}: it "
                f"uses {what}, Python {wanted} syntax; {lost} (run advisor on Python {wanted} or newer)"
            )
    return None


_SQL_MODULE = re.compile(r"^_?(?:sql|queries|query|statements)$|_(?:sql|queries)$", re.IGNORECASE)


def extract_python(path: str, text: str, dialect: str = "postgres") -> SourceFile:
    result = SourceFile(path=path, text=text)
    code = text[1:] if text.startswith("\ufeff") else text  # a byte order mark is no code (and takes no column)
    parsed = parse_python(code, path)
    if parsed.error is not None:
        exc = parsed.error
        line = getattr(exc, "lineno", None) or 1
        where = Location(path, line, getattr(exc, "offset", None) or 1)
        lines = code.splitlines()
        newer = newer_syntax(lines[line - 1] if 0 < line <= len(lines) else "", parsed.tree is not None)
        message = f"Python syntax error: {exc.msg if isinstance(exc, SyntaxError) else exc}"
        if newer is not None:
            result.unread.append((where, newer))
        elif parsed.tree is None:
            result.errors.append((where, message))
        else:  # read past the lines Python could not parse (advisor.facts.python_parse)
            n = len(parsed.skipped)
            rest = "this line" if n == 1 else f"{n} lines, this one among them"
            result.errors.append((where, f"{message}; advisor read the rest of the file without {rest}"))
    if parsed.tree is None:
        return result
    tree = parsed.tree
    index = LineIndex(code)
    reach = Reach(tree)
    seen: set[int] = set()
    described = _described_calls(tree) if ".description" in code else set()
    unread = _unread_calls(tree) if _SELECT_STAR.search(code) else set()  # only select-star asks
    once = one_off_code(tree) if any(r in code for r in JOB_REGISTRATIONS) else set()
    reached = Reached()
    roots, inner = psycopg_sql.compositions(tree) if "SQL" in code else ([], set())
    extended = (psycopg_sql.extended(tree, roots) if roots else set()) | (_appended_to(tree) if "+=" in code else set())
    for node in walk(tree):
        if id(node) in inner or not isinstance(node, ast.Call) or (arg := reach.sink_argument(node)) is None:
            continue  # an sql.SQL("...") that is a piece of a composition is no statement of its own
        reached.add(reach.strings, node, arg)
    for root in roots:  # a composition no execution call is seen to run: a statement all the same
        built = next((n for n in ast.walk(root) if isinstance(n, ast.Call) and psycopg_sql.kind(n)), None)
        if id(root) not in reached.texts and psycopg_sql.kind(root) != "SQL" and built is not None:  # SQL(text): above
            reached.add(lambda node: [node], built, root)
    scopes = LineSpans(_function_spans(tree))
    sqlite = sqlite_receivers(tree) if "sqlite" in code else set()  # SQLite's SQL, read as SQLite's (sqlite_calls)
    # a text some call formats (`sql % (gi, accession)`) is that statement, not also the text as written: another
    # call reading a name `sql` of another function does not run it unformatted
    formatted = {
        id(v.left) for v, _ in reached.texts.values() if isinstance(v, ast.BinOp) and isinstance(v.op, ast.Mod)
    }
    for value, _ in list(reached.texts.values()):
        if id(value) in formatted:
            continue
        node, arg = reached.nearest(value, scopes)
        origin = "execute-call" if value is arg else "constant-reaching-call"
        runs_on = "sqlite" if sqlite and runs_on_sqlite(node, sqlite) else dialect
        first = len(result.queries)
        if _add_query(result, path, value, node, origin, index, runs_on, reach):
            seen.add(id(value))  # the statement runs where the call is: a module constant run by `purge()`
            facts: dict[str, object] = {"scope": scope_at(tree, node.lineno)}
            if id(node) in described:
                facts["columns_from_cursor"] = True
            if id(node) in unread:  # its rows are never read: it runs for its locks or other effects
                facts["result_unread"] = True
            if id(value) in once:  # the text is written inside a one-off job: built only while it runs
                facts["runs_once"] = True
            if id(value) in extended:  # `sql += " GROUP BY ..."`, `+= sql.SQL(...)` later: not the whole statement
                facts["complete"] = False
            for n in range(first, len(result.queries)):  # each statement of a script the call runs
                result.queries[n] = dataclasses.replace(result.queries[n], **facts)
    for value in _named_constants(tree, path):
        if id(value) not in seen:
            _add_query(result, path, value, None, "named-constant", index, dialect, reach)
    if "index_in_background" in text or "background_index_update" in text:  # indexes built from code
        from advisor.sources.python_indexes import code_indexes

        result.indexes += code_indexes(tree, path)
    if _LOOPED_INDEX.search(code):  # CREATE INDEX text an f-string writes for each table a loop walks
        from advisor.sources.python_indexes import looped_indexes

        result.indexes += looped_indexes(tree, path)
    if _FORMATTED_INDEX.search(code):  # CREATE INDEX text a `%` format fills from literals
        from advisor.sources.python_indexes import formatted_indexes

        result.indexes += formatted_indexes(tree, path)
    record_bases(result, tree)  # the project's class tree: a collection one class holds for another's
    if reads_mongo(text):  # pymongo calls, index tables, collections held on classes (pymongo_calls.py)
        from advisor.sources.pymongo_calls import add_pymongo

        add_pymongo(result, tree, path, index)
    else:  # its calls still count among a function's callers (advisor.sources.pymongo_slots)
        from advisor.sources.links import links_of
        from advisor.sources.pymongo_params import count_calls

        count_calls(links_of(result).slots, tree)
    for n, q in enumerate(result.queries):
        if q.scope:
            continue
        if isinstance(q, SqlQuery):
            result.queries[n] = dataclasses.replace(q, scope=scope_at(tree, q.location.line))
        else:  # a MongoDB shape links.py completes later (the collection `self.x` holds): the same object
            q.scope = scope_at(tree, q.location.line)
    result.queries.sort(key=lambda q: (q.location.line, q.location.col))
    return result


# what a statement of a script begins with: not a routine body's `DECLARE`, `IF`, `END IF` split out of it
_STATEMENT = re.compile(r"(?!(?:DECLARE|IF|END|BEGIN|ELSE|ELSIF|LOOP|WHILE|RETURN|SIGNAL)\b)", re.IGNORECASE)
_LOOPED_INDEX = re.compile(r"""\bf["']{1,3}\s*CREATE\s+(?:UNIQUE\s+)?INDEX\b""", re.IGNORECASE)
_FORMATTED_INDEX = re.compile(r"""["']\s*CREATE\s+(?:UNIQUE\s+)?INDEX\b[^"'\n]*%""", re.IGNORECASE)


def _function_spans(tree: ast.AST) -> list[tuple[int, int]]:
    """(first line, last line) of every function."""
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    return [(n.lineno, n.end_lineno or n.lineno) for n in walk(tree) if isinstance(n, kinds)]


_EXECUTE = {"execute", "executemany"}
_SELECT_STAR = re.compile(r"SELECT\s+\*", re.IGNORECASE)


def _unread_calls(tree: ast.AST) -> set[int]:
    """The `cur.execute(...)` calls whose rows nobody reads: the next use of `cur` on the way on (not in the
    other branch of an `if`) executes another statement, which replaces the result (DB-API). Such a
    statement runs for its effects, e.g. `SELECT * ... FOR UPDATE` to lock rows."""
    out: set[int] = set()
    for function in walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        parents = {id(c): n for n in ast.walk(function) for c in ast.iter_child_nodes(n)}
        uses = NameUses(function)
        for stmt in ast.walk(function):
            call = stmt.value if isinstance(stmt, ast.Expr) else None
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr in _EXECUTE
                and isinstance(call.func.value, ast.Name)
            ):
                continue
            if isinstance(stmt, ast.stmt) and _next_use_executes(function, stmt, call.func.value.id, parents, uses):
                out.add(id(call))
    return out


def _next_use_executes(function: ast.AST, stmt: ast.stmt, cursor: str, parents: dict, uses: NameUses) -> bool:
    elsewhere: list[Span] = []  # the other branch of every `if` on the way up, and any loop makes it unsure
    child: ast.AST = stmt
    while (parent := parents.get(id(child))) is not None and parent is not function:
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.While)):
            return False  # a read earlier in the loop body may take this result on the next turn
        if isinstance(parent, ast.If):
            other = parent.orelse if any(child is c for c in parent.body) else parent.body
            elsewhere += [span(other[0], other[-1])] if other else []
        child = parent
    later = uses.next_after(cursor, span(stmt)[1], elsewhere)
    if later is None:
        return False  # the caller may read it
    use = parents.get(id(later))
    return (
        isinstance(use, ast.Attribute)
        and use.attr in _EXECUTE
        and isinstance(call := parents.get(id(use)), ast.Call)
        and call.func is use
    )


def _function_nodes(tree: ast.AST):
    """Each function's nodes (its nested functions' among them), listed once per function."""
    for function in walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield list(ast.walk(function))


def _described_calls(tree: ast.AST) -> set[int]:
    """The `cur.execute(...)` calls whose function also reads `cur.description` (the result's column
    names): that code takes whatever columns the statement returns."""
    out: set[int] = set()
    for nodes in _function_nodes(tree):
        cursors = {
            n.value.id
            for n in nodes
            if isinstance(n, ast.Attribute) and n.attr == "description" and isinstance(n.value, ast.Name)
        }
        out |= {
            id(n)
            for n in nodes
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name)
            and n.func.value.id in cursors
        }
    return out


def _add_query(
    result: SourceFile,
    path: str,
    value: ast.expr,
    call: ast.Call | None,
    origin: str,
    index: LineIndex,
    dialect: str,
    reach: Reach,
) -> bool:
    """Record `value` as a query when its text looks like SQL (any command, when a call runs it); True when it did."""
    is_sql = looks_like_sql if origin == "named-constant" else runs_as_sql
    plain = literal(value)
    if plain is not None:
        if not is_sql(plain):
            return False
        textmap = string_textmap(path, value, plain, index)  # type: ignore[arg-type]
        complete = not _has_format_fields(call, plain)
        spans = split_statements(plain, dialect) if ";" in plain.strip().rstrip(";") else []
        if len(spans) < 2 or not all(_STATEMENT.match(plain, a) and runs_as_sql(plain[a:b]) for a, b in spans):
            spans = [(0, len(plain))]  # one statement (a MySQL routine's `BEGIN ... END` body too): as written
        for start, end in spans:  # a script (`conn.execute(DDL)`) runs each of its statements
            text = plain if (start, end) == (0, len(plain)) else plain[start:end]
            part = textmap if text is plain else textmap.part(start, end)
            where = location(path, value, index) if text is plain else part.locate(0)
            result.queries.append(
                SqlQuery(text, where, part, "python", dialect=dialect, origin=origin, complete=complete)
            )
        return True
    if psycopg_sql.pieces(value) is not None:
        return _add_composition(result, path, value, call, origin, index, dialect, reach)
    sketch = dynamic_sketch(value)
    if sketch is None:
        return False
    how, sql = sketch
    interpolated = _interpolated(value)
    filled = reach.fill_constants(value)
    if filled is not None:
        sql, interpolated = filled
    if not is_sql(sql):
        return False
    loc = location(path, value, index)
    textmap = TextMap(path, sql, ((0, loc.line, loc.col),))
    # "... %s ..." % x, "... {} ...".format(x): the template as written, read with typed placeholders (advisor.parse),
    # positions exact; but where a constant fills its table (`.format("test_run", where)`), the statement on that
    # table, filled as an f-string is
    template = format_template(value) if interpolated else None
    if template is not None and filled is not None and _TABLE_FIELD.search(str(template.value)):
        template = template if _TABLE_FIELD.search(sql) else None
    if template is not None:
        sql = str(template.value)
        textmap = string_textmap(path, template, sql, index)
        loc = location(path, template, index)
    if not interpolated:  # every piece is a constant of the module: f"SELECT ... FROM {TABLE}"
        result.queries.append(SqlQuery(sql, loc, textmap, "python", dialect=dialect, origin=origin))
        return True
    result.string_built.append(StringBuilt(how, _call_name(call.func) if call is not None else "", loc, interpolated))
    result.queries.append(
        SqlQuery(sql, loc, textmap, "python", dynamic=True, dialect=dialect, origin=origin, complete=False)
    )
    return True


def _appended_to(tree: ast.Module) -> set[int]:
    """The ids of the strings assigned to a name the same function then extends (`sql = "SELECT ..."`, later
    `sql += " GROUP BY ..."`): the text as assigned is not the statement the call runs."""
    out: set[int] = set()
    for nodes in _function_nodes(tree):
        added = {
            n.target.id
            for n in nodes
            if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add) and isinstance(n.target, ast.Name)
        }
        out |= {
            id(n.value)
            for n in nodes
            if added and isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id in added for t in n.targets)
        }
    return out


def _add_composition(
    result: SourceFile,
    path: str,
    value: ast.expr,
    call: ast.Call | None,
    origin: str,
    index: LineIndex,
    dialect: str,
    reach: Reach,
) -> bool:
    """psycopg's `sql.SQL(...) + ...`: one statement, its literal pieces where they are written, a placeholder
    for each value (advisor.sources.psycopg_sql)."""

    textmaps: dict[int, TextMap] = {}  # one per literal: a template's every field is a piece of it

    def position(node: ast.expr, start: int, length: int) -> list[tuple[int, int, int]]:
        if start < 0 or not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            return [(0, node.lineno, index.char_col(node.lineno, node.col_offset))]
        textmap = textmaps.get(id(node)) or textmaps.setdefault(id(node), string_textmap(path, node, node.value, index))
        return list(textmap.part(start, start + length).anchors)

    text, anchors, unknown = psycopg_sql.sketch(parts(value) or [], value, reach.constant, position)
    if not (looks_like_sql if origin == "named-constant" else runs_as_sql)(text):
        return False
    loc = location(path, value, index)
    _raw_texts(result, path, value, reach, index)
    complete = not unknown and "{" not in text  # a template's fields filled elsewhere
    textmap = TextMap(path, text, anchors)
    query = SqlQuery(
        text, loc, textmap, "python", dynamic=bool(unknown), dialect=dialect, origin=origin, complete=complete
    )
    result.queries.append(query)
    return True


def composed_ddl(path: str, text: str, dialect: str = "postgres") -> tuple[list[SqlQuery], set[tuple[int, int]]]:
    """The DDL a schema file's psycopg compositions write (`sql.SQL("CREATE TABLE {t} (...)").format(t=
    names.table("jobs"))`), each read as the module's statements are (the table a constant or a function named for
    tables gives), and the (line, column) of each string literal they are built from: scanned on its own, such a
    literal is a template whose fields nothing fills."""
    code = text[1:] if text.startswith("\ufeff") else text
    tree = parse_python(code, path).tree if "SQL" in code else None
    if tree is None:
        return [], set()
    index, reach = LineIndex(code), Reach(tree)
    result = SourceFile(path=path, text=text)
    literals: set[tuple[int, int]] = set()
    for root in psycopg_sql.compositions(tree)[0]:
        if psycopg_sql.kind(root) == "SQL":
            continue  # `sql.SQL("...")` alone: its literal, read as it stands
        if not _add_composition(result, path, root, None, "execute-call", index, dialect, reach):
            continue
        if not EXECUTED_DDL.match(result.queries[-1].text):
            result.queries.pop()
            continue
        literals |= {
            (n.lineno, index.char_col(n.lineno, n.col_offset))
            for n in ast.walk(root)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        }
    return [dataclasses.replace(q, source="schema") for q in result.queries], literals


def _raw_texts(result: SourceFile, path: str, value: ast.expr, reach: Reach, index: LineIndex) -> None:
    """A composition's values are composables (quoted by the driver, or checked where they are built), except
    the text of `sql.SQL(text)`: when that text is built at run time, it is SQL built from strings."""
    for text in psycopg_sql.raw_texts(value):
        for built in reach.strings(text):
            sketch = dynamic_sketch(built)
            filled = reach.fill_constants(built)
            interpolated = filled[1] if filled is not None else _interpolated(built)
            loc = location(path, built, index)
            if sketch is None or sketch[0] == COMPOSITION or not interpolated:
                continue  # constants; a composition the name also holds somewhere (`q = sql.SQL(q)`)
            if all(b.location != loc for b in result.string_built):
                result.string_built.append(StringBuilt(sketch[0], "sql.SQL", loc, interpolated))


def _has_format_fields(call: ast.Call | None, literal: str) -> bool:
    """psycopg's sql.SQL("... {} ...") is a template: its fields are filled with composed names."""
    return call is not None and _call_name(call.func).split(".")[-1] == "SQL" and "{" in literal


def _interpolated(node: ast.expr) -> tuple[str, ...]:
    """The source of each value spliced into dynamic SQL (what the rules judge: a name, a quoted identifier)."""
    values = [
        p.node if isinstance(p, Number) else p
        for p in parts(node) or ()
        if not isinstance(p, str) or isinstance(p, Number)
    ]
    return tuple(ast.unparse(v) for v in values if isinstance(v, ast.expr))


# a template's field where a statement names its table (`FROM {}`, `INTO %s`, `UPDATE {table}`)
_TABLE_FIELD = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN)\s+(?:\{[^{}]*\}|%(?:\(\w+\))?s)(?![\w.])", re.IGNORECASE)
