"""The keys of the tables a project's code creates (`CREATE TABLE` in a string the code runs at start-up).

A project that keeps no schema file often creates its tables from code, one definition per back end it
supports (MeshCentral's db.js: `CREATE TABLE IF NOT EXISTS main (id VARCHAR(256) PRIMARY KEY NOT NULL, ...)`
for PostgreSQL, MySQL and SQLite).  Those strings are no queries, so the schema never sees them, and a
lookup by the table's primary key is not known to find one row.  Their primary keys and UNIQUE constraints
are taken, and only those: a key every definition of the table declares, for a table no schema file
defines.  The table itself stays unknown (its columns and other indexes may differ per back end), so no
rule that claims an absence speaks about it.

Only a definition inside one string literal counts (Python's string tokens, JavaScript's and TypeScript's
string and template literals): one in a comment is no code.  In a file of another kind (YAML, JSON), one on
a line that starts a comment (`#`, `//`) or inside `/* */` is skipped.  A definition advisor cannot read (no
closing bracket within 4,000 characters, or no one table's DDL) says nothing of its table's keys, so no key
of that table is taken: the keys are those every definition declares.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import partial
from pathlib import PurePath
from typing import TYPE_CHECKING

from advisor.ir import JS_SUFFIXES, IndexDef, Location, SourceFile, SqlQuery, TextMap, code_file

if TYPE_CHECKING:
    import ast

_CREATE = re.compile(r"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][\w.\"`]*)\s*\(", re.IGNORECASE)
_MAX = 4000  # characters of one definition's body: longer is no literal statement
_BRACKET = re.compile(r"[()]")
_NAME_QUOTES = str.maketrans("", "", '"`')
_LINE_COMMENT = re.compile(r"^[ \t]*(?:#|//)[^\n]*", re.MULTILINE)


def code_keys(sources: list[SourceFile], known: set[str]) -> list[IndexDef]:
    """The unique keys every CREATE TABLE of a table in the code files declares (tables in `known` skipped)."""
    from advisor.names import fold

    keys: dict[str, list[IndexDef]] = {}
    definitions: dict[str, int] = {}
    unread: set[str] = set()  # tables with a definition advisor cannot read: no key of theirs is known
    for source in sources:
        if source.path.endswith(".sql") or "CREATE" not in source.text.upper():
            continue
        for name, text, location in _definitions(source):
            declared = _unique_keys(text, location) if text is not None else None
            if declared is None:
                unread.update(_names(name))
                continue
            table = fold(declared[0])
            if table in known:
                continue
            definitions[table] = definitions.get(table, 0) + 1
            keys.setdefault(table, []).extend(declared[1])
    out: list[IndexDef] = []
    for table, found in keys.items():
        if table in unread:
            continue
        seen: set[tuple[str, ...]] = set()
        for index in found:
            every = sum(1 for i in found if i.columns == index.columns) >= definitions[table]
            if every and index.columns not in seen:
                seen.add(index.columns)
                index.options["code"] = True  # declared by a CREATE TABLE the code runs
                out.append(index)
    return out


def _names(written: str) -> set[str]:
    """The names a table written `"app".main` may be known by: `app.main` and `main`."""
    from advisor.names import fold

    name = fold(written.translate(_NAME_QUOTES))
    return {name, name.rsplit(".", 1)[-1]}


def _definitions(source: SourceFile):
    """Each `CREATE TABLE name (...)` inside a string literal of the file, with its balanced column list:
    (name, the definition's text or None when it has no closing bracket within _MAX, its location)."""
    text = source.text
    spans: list[tuple[int, int]] | None = None
    line, counted, line_start = 1, 0, 0  # a running count: each match counts from the one before
    after = 0  # the end of the definition before: one inside it is none (each character is read once)
    for match in _CREATE.finditer(text):
        if spans is None:
            spans = _literal_spans(source.path, source.text)
        start = match.start()
        if start < after:
            continue
        inside = bisect_right(spans, (start, len(text) + 1)) - 1
        if inside < 0 or spans[inside][1] <= start:
            continue  # in a comment, not in the code's strings
        depth, end = 0, None
        for bracket in _BRACKET.finditer(text, match.end() - 1, min(len(text), match.end() + _MAX)):
            depth += 1 if bracket.group() == "(" else -1
            if depth == 0:
                end = after = bracket.end()
                break
        line += text.count("\n", counted, start)
        line_start = max(line_start, text.rfind("\n", counted, start) + 1)
        counted = start
        column = start - line_start + 1
        body = text[start:end] if end is not None and end <= spans[inside][1] else None
        yield match.group(1), body, Location(source.path, line, column)


def schema_sql(
    path: str, text: str, dialect: str = "postgres", composed: frozenset[tuple[int, int]] = frozenset()
) -> str:
    """What of a schema file is SQL: a file of no language advisor parses, all of it; a code file the config names as
    a schema file (sqlc's generated Python holds each statement in a string constant), the SQL of its string
    literals, the rest blanked and each literal's closing quote a `;`, so every offset stays the file's. Not the
    literals of a member written for another database (`mysql: () => sql`CREATE TABLE ...``), nor those at a
    (line, column) of `composed`: templates a composition fills, read whole (python.composed_ddl)."""
    from advisor.sources.sql_shape import runs_as_sql, sqlalchemy_colons

    if not code_file(path):
        return text
    python = path.endswith((".py", ".pyi"))
    others = [] if python else _other_database_spans(path, text, dialect)
    names = [] if python or "${" not in text else _js_names(path, text)
    out = [c if c == "\n" else " " for c in text]
    constant = _module_constants(text) if python else None
    recovery = _recovery_lines(text) if python and "DROP" in text.upper() else []
    starts = [0] + [m.end() for m in re.finditer("\n", text)] if composed else []
    for group in _statements(_literal_spans(path, text), text, python):
        if any(start <= group[0][0] < end for start, end in others):
            continue
        line = bisect_right(starts, group[0][0])
        if composed and (line, group[0][0] - starts[line - 1] + 1) in composed:
            continue
        opening = _QUOTE.match(text, group[0][0]) if recovery else None
        if opening is not None and _DROP.match(text, opening.end()) and _within(recovery, text, group):
            continue  # a DROP in an `except` handler: the recovery from an old version's table, not a step
        bodies = []
        for start, end in group:
            quote = _QUOTE.match(text, start, end)
            if quote is None or end - start < 2 * len(quote.group(1)):
                break
            inner_start, inner_end = quote.end(), end - len(quote.group(1))
            body = text[inner_start:inner_end]
            if "r" not in text[start : quote.start(1)].lower():  # `\"kind\"`, `\n`: the quote, the space it writes
                body = _unescaped(body)
            if python:  # `\\:` in the source, `\:` in the string: SQLAlchemy text()'s `:`
                body = sqlalchemy_colons(body, backslashes=2)
                if "f" in text[start : quote.start(1)].lower():
                    body = _FIELD.sub(partial(_table_field, constant=constant), body)
            else:
                if names:  # `${this.logsTable}`, `${messagesTable}`: the table each names (js_sql_text.held_name)
                    body = _named(text, body, inner_start, [n for n in names if inner_start <= n[0] < inner_end])
                # `$${n}`: a numbered parameter the run writes, never the `$$` that opens a quoted body
                body = _JS_BIND.sub(lambda m: "$" + "1".ljust(len(m.group(0)) - 1), body)
            bodies.append((inner_start, inner_end, body))
        if len(bodies) < len(group) or not runs_as_sql("".join(b for _, _, b in bodies)):
            continue  # a docstring, a message, a name: no statement
        for inner_start, inner_end, body in bodies:
            out[inner_start:inner_end] = body
        out[bodies[-1][1]] = ";"
    return "".join(out)


def _other_database_spans(path: str, text: str, dialect: str) -> list[tuple[int, int]]:
    """The character spans of the members written for another database (js_syntax.other_database_members)."""
    from advisor.sources.js_syntax import DATABASE_KEY, other_database_members, parsed

    if not DATABASE_KEY.search(text):
        return []
    f = parsed(path, text)

    def at(byte: int) -> int:
        return byte if f.ascii else len(f.data[:byte].decode("utf-8", "replace"))

    return [(at(m.start_byte), at(m.end_byte)) for m in other_database_members(f, dialect)]


def schema_statements(path: str, text: str, dialect: str = "postgres") -> list[SqlQuery]:
    """The statements of a schema file, in its order: a SQL file's; a code file's string literals' DDL
    (schema_sql), a psycopg composition's DDL as the module fills it (advisor.sources.python.composed_ddl), and a
    migration tool's builder calls as the DDL they run (node-pg-migrate's `pgm.createTable(...)`,
    advisor.schema.pg_migrate), each at its call."""
    from advisor.sources.sql_files import extract_sql

    built: list[SqlQuery] = []
    composed: frozenset[tuple[int, int]] = frozenset()
    if path.endswith((".py", ".pyi")) and ".format(" in text and "SQL(" in text:
        from advisor.sources.python import composed_ddl

        built, literals = composed_ddl(path, text, dialect)
        composed = frozenset(literals)
    queries = list(extract_sql(path, schema_sql(path, text, dialect, composed), dialect, source="schema"))
    if built:  # psycopg's `sql.SQL("CREATE TABLE {t} ...").format(t=...)`: the statement as the module fills it
        queries = sorted(queries + built, key=lambda q: (q.location.line, q.location.col))
    if code_file(path) and not path.endswith((".py", ".pyi")) and "up" in text:
        calls = _builder_statements(path, text)
        if calls:
            # one text of the file's lines, each call's DDL on its line from its column (a second call on a line
            # after the first): read in one pass, whatever the number of calls
            lines = [""] * (text.count("\n") + 1)
            for line, col, ddl in calls:
                one = " ".join(ddl.split()) + ";"
                lines[line - 1] = f"{lines[line - 1]} {one}" if lines[line - 1] else " " * (col - 1) + one
            built = extract_sql(path, "\n".join(lines), dialect, source="schema")
            queries = sorted(queries + built, key=lambda q: (q.location.line, q.location.col))
    return queries


def _builder_statements(path: str, text: str) -> list[tuple[int, int, str]]:
    """(line, column, DDL) of each builder call of the file's `up` steps (advisor.schema.pg_migrate)."""
    from advisor.schema.pg_migrate import builder_ddl
    from advisor.sources.js_syntax import parsed

    f = parsed(path, text)
    return [(f.loc(node).line, f.loc(node).col, ddl) for node, ddl in builder_ddl(f)]


_DROP = re.compile(r"\s*DROP\s", re.IGNORECASE)


def _recovery_lines(text: str) -> list[tuple[int, int]]:
    """The lines (first, last) of each `except` handler's body: what runs when a statement failed. policyd-rate-limit
    drops `mail_count` there when the table an old version made lacks a column, then creates it again below; replayed
    in the file's order, the table would be gone."""
    import ast

    from advisor.facts.python_parse import parse_python

    tree = parse_python(text).tree
    return [
        (h.body[0].lineno, h.end_lineno or h.body[-1].lineno)
        for h in (ast.walk(tree) if tree is not None else ())
        if isinstance(h, ast.ExceptHandler) and h.body
    ]


def _within(lines: list[tuple[int, int]], text: str, group: list[tuple[int, int]]) -> bool:
    line = text.count("\n", 0, group[0][0]) + 1
    return any(first <= line <= last for first, last in lines)


def _statements(spans: list[tuple[int, int]], text: str, python: bool) -> list[list[tuple[int, int]]]:
    """The literals of each string: in Python, literals next to each other are one (`f"ALTER TABLE {t} ADD"
    " COLUMN c TEXT"`, as black wraps a long one), so a statement runs on to the last."""
    groups: list[list[tuple[int, int]]] = []
    for span in spans:
        if python and groups and not text[groups[-1][-1][1] : span[0]].strip():
            groups[-1].append(span)
        else:
            groups.append([span])
    return groups


_FIELD = re.compile(r"\{([^{}\n]{1,300})\}")  # an f-string's replacement field, as written in the source


def _table_field(match: re.Match, constant) -> str:
    """`{db.table_with_schema("promises")}`, `{self._table_name}` in an f-string's source: the table it names (a
    function named for tables, python_parts.named_table; a name the module sets once, or to a caller's option with
    a default: `constant`, as the statements read it), padded to the field's length; any other field as it is."""
    import ast

    if "table" not in match.group(1).lower():
        return match.group(0)
    try:
        node = ast.parse(match.group(1).strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return match.group(0)
    name = constant(node) if isinstance(node, (ast.Call, ast.Name, ast.Attribute)) else None
    if name is None or len(name) > len(match.group(0)) or not re.fullmatch(r"[\w.\"]+", name):
        return match.group(0)
    return name.ljust(len(match.group(0)))


def _module_constants(text: str):
    """What a name of the module holds, as its statements read it (python_reach.Reach.constant): the module read
    once, and only when a field that names a table asks."""
    reach: list = []

    def constant(node):
        if not reach:
            from advisor.facts.python_parse import parse_python
            from advisor.sources.python_reach import Reach

            tree = parse_python(text).tree
            reach.append(Reach(tree) if tree is not None else None)
        return reach[0].constant(node) if reach[0] is not None else None

    return constant


def _js_names(path: str, text: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of each `${...}` of the module's untagged templates that names a table, as its statements
    read it (advisor.sources.js_sql_text.held_name: `${this.logsTable}` -> `{}_logs_v3`), in character offsets."""
    from advisor.sources.js_sql_text import held_name, tag_identifier
    from advisor.sources.js_syntax import callee_name, parsed
    from advisor.sources.sql_shape import DYNAMIC_PLACEHOLDER

    f = parsed(path, text)
    found: list[tuple[int, int, str]] = []
    stack = [f.root]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type != "template_substitution" or not node.named_children:
            continue
        parent = f.parent(node)
        if parent is not None and parent.parent is not None and parent.parent.type == "call_expression":
            # a tagged template: the tag is given the values, never the text, but for a name its own call quotes
            # (postgres.js's `${sql(this.#tableName)}`), which it writes in
            name = tag_identifier(f, node.named_children[0], callee_name(f, parent.parent)[0])
            if name is not None and name != DYNAMIC_PLACEHOLDER:
                found.append((node.start_byte, node.end_byte, name))
            continue
        name = held_name(f, node.named_children[0])
        if name is not None:
            found.append((node.start_byte, node.end_byte, name))
    offsets = _characters(f.data, text, {b for s, e, _ in found for b in (s, e)})
    return sorted((offsets[s], offsets[e], name) for s, e, name in found)


def _characters(data: bytes, text: str, offsets: set[int]) -> dict[int, int]:
    """byte offset -> character offset, decoded once from the start in order."""
    if len(data) == len(text):
        return {b: b for b in offsets}
    chars: dict[int, int] = {}
    at_byte = at_char = 0
    for offset in sorted(offsets):
        at_char += len(data[at_byte:offset].decode("utf-8", "surrogatepass"))
        chars[offset], at_byte = at_char, offset
    return chars


def _named(text: str, body: str, body_start: int, names: list[tuple[int, int, str]]) -> str:
    """The body with each `${...}` that names a table written as that name, padded to the field's length (inside a
    longer name, `idx_${this.logsTable}_host`, its run-time part made longer); as it is when the name is longer."""
    for start, end, name in reversed(names):
        size = end - start
        if len(name) > size:
            continue
        after = text[end : end + 1]
        if after == '"' and text[start - 1 : start] == '"' and end < body_start + len(body):
            # `"${this.options.table}"`: a quoted name, its padding after the closing quote, not in the name
            written, end = (name + '"').ljust(size + 1), end + 1
        elif (after.isalnum() or after == "_") and "{}" in name:
            written = name.replace("{}", "{" + " " * (size - len(name)) + "}", 1)
        else:
            written = name.ljust(size)
        body = body[: start - body_start] + written + body[end - body_start :]
    return body


_JS_BIND = re.compile(r"\$\$\{[^{}`\n]{0,200}\}")

_ESCAPE = re.compile(r"\\(.)")  # an escape sequence of a string literal's source
_CONTINUED = re.compile(r"(?<!\\)((?:\\\\)*)\\$")  # a line the literal continues: an odd run of backslashes at its end


def _unescaped(body: str) -> str:
    """A literal's source with its escaped quotes and whitespace as the characters they write (`\"kind\"` ->
    `"kind"`, `\n` -> a space, the backslash that continues a line a space), each line padded at its end to its
    length in the source: line numbers stay the file's, and a column after an escape moves by one per escape before
    it; any other escape as written."""

    def one(match: re.Match) -> str:
        char = match.group(1)
        return char if char in "\"'`" else " " if char in "ntr" else match.group(0)

    lines = body.split("\n")
    return "\n".join(_ESCAPE.sub(one, _CONTINUED.sub(r"\1 ", line)).ljust(len(line)) for line in lines)


_QUOTE = re.compile(r"""[rRbBuUfF]{0,2}(\"\"\"|'\'\'|"|'|`)""")


def code_schema_statement(path: str, text: str) -> bool:
    """Whether a statement of a schema file is schema: any of a SQL file's; of a code file's strings, only DDL (a
    string may be a piece of a query the code completes at run time, or a session's SET, which its connection keeps)."""
    return not code_file(path) or is_ddl(text)


def is_ddl(text: str) -> bool:
    """The statement defines objects (CREATE, ALTER, DROP, COMMENT, a DO block): schema, not a query."""
    return _DDL.match(text) is not None


_DDL = re.compile(r"\s*(?:CREATE|ALTER|DROP|COMMENT|DO)\b", re.IGNORECASE)


def _literal_spans(path: str, text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of the file's outermost string literals, in order; for a file of no
    language advisor parses, all of its text but its comment lines and `/* */` comments."""
    suffix = PurePath(path).suffix.lower()
    spans: list[tuple[int, int]] | None = None
    if suffix in (".py", ".pyi"):
        starts = [0] + [m.end() for m in re.finditer("\n", text)]  # each line's offset, for both readers
        spans = _python_strings(text, starts)
        if spans:
            spans = _outside(spans, _python_rollbacks(text, starts) + _python_declared_drops(text, starts))
    elif suffix in JS_SUFFIXES:
        spans = _js_strings(text, suffix)
    if spans is None:
        spans = _uncommented(text)
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if not out or start >= out[-1][1]:
            out.append((start, end))
    return out


# what a migration tool calls the code that undoes a step, run only to go back (knex's and node-pg-migrate's
# `exports.down`, umzug's and a step object's `down:`, TypeORM's `async down(queryRunner)`, alembic's
# `downgrade()`, a function named `rollback`): its DDL is no part of the schema a database has (a .sql file's
# rollback section: sources/sql_files._rollbacks)
ROLLBACK_NAMES = frozenset({"down", "downgrade", "rollback", "revert", "undo"})
# what a store's class calls the method that removes its tables on request (@fedify/postgres's `async drop()`, beside
# the `initialize()` that creates them if missing): no step of the schema's history either
TEARDOWN_NAMES = frozenset({"drop", "droptable", "droptables", "destroy", "teardown", "uninstall"})


def _migration(text: str) -> bool:
    """A module of migration steps (a function that undoes one, yoyo's `step(...)`): its DDL is a history."""
    return any(f"def {name}" in text for name in ROLLBACK_NAMES) or "step(" in text


def _outside(spans: list[tuple[int, int]], away: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [s for s in spans if not any(a <= s[0] and s[1] <= b for a, b in away)]


def _python_rollbacks(text: str, starts: list[int]) -> list[tuple[int, int]]:
    """The spans of the module's code for undoing a step: its functions named so (`def downgrade():`), and what a
    yoyo step is given to undo it (`step(apply_step, rollback_step)`, `step("CREATE ...", "DROP ...")`, or
    `rollback=`): the function of the module it names, or the text itself."""
    if not _migration(text):
        return []
    import ast

    from advisor.facts.ast_nodes import walk
    from advisor.facts.python_parse import parse_python

    tree = parse_python(text).tree
    if tree is None:
        return []
    lines = text.split("\n")
    functions = {n.name: n for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    undoing = [n for name, n in functions.items() if name in ROLLBACK_NAMES]
    out = []
    for node in walk(tree):
        if (
            not isinstance(node, ast.Call)
            or (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) != "step"
        ):
            continue
        given = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "rollback")]
        for arg in given:
            if isinstance(arg, ast.Name) and arg.id in functions:
                undoing.append(functions[arg.id])
            elif isinstance(arg, (ast.Constant, ast.JoinedStr)):
                out.append(_span(arg, lines, starts))
    return out + [
        (starts[n.lineno - 1], starts[n.end_lineno] if n.end_lineno < len(starts) else len(text))
        for n in undoing
        if n.end_lineno is not None
    ]


_CREATED = re.compile(r"\bCREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w.\"]+)", re.IGNORECASE)
_DROPPED = re.compile(r"\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?([\w.\"]+(?:\s*,\s*[\w.\"]+)*)", re.IGNORECASE)


def _python_declared_drops(text: str, starts: list[int]) -> list[tuple[int, int]]:
    """The spans of the texts a function of the module runs to drop tables the module declares at its top level
    (`SCHEMA = \"\"\"CREATE TABLE history ...\"\"\"`, then `def convert(conn): conn.execute("DROP TABLE history CASCADE")`):
    the module's constants declare the schema; a function's drop is a path the code takes on request (a conversion,
    a reset), not a step of its history. Tables the functions create themselves, and any module of migration steps
    (yoyo's `rollback_step` runs a constant's CREATE after `apply_step` dropped the table), are not these."""
    if "def " not in text or _migration(text) or not re.search(r"DROP\s+TABLE", text, re.IGNORECASE):
        return []
    import ast

    from advisor.facts.python_parse import parse_python

    tree = parse_python(text).tree
    if tree is None:
        return []
    declared = {
        name.strip('"').rsplit(".", 1)[-1].lower()
        for stmt in tree.body
        if isinstance(stmt, (ast.Assign, ast.AnnAssign))
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
        for name in _CREATED.findall(stmt.value.value)
    }
    if not declared:
        return []
    lines = text.split("\n")
    out = []
    for fn in ast.walk(tree):
        for node in ast.walk(fn) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) else ():
            m = _DROPPED.match(node.value) if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
            names = {n.strip().strip('"').rsplit(".", 1)[-1].lower() for n in m.group(1).split(",")} if m else set()
            if names and names <= declared:
                out.append(_span(node, lines, starts))
    return out


def _span(node: ast.AST, lines: list[str], starts: list[int]) -> tuple[int, int]:
    """A node's (start, end) offsets in the module's text (ast's columns count UTF-8 bytes)."""

    def offset(line: int, col: int) -> int:
        return starts[line - 1] + len(lines[line - 1].encode()[:col].decode(errors="ignore"))

    line, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
    return offset(line, col), offset(getattr(node, "end_lineno", None) or line, getattr(node, "end_col_offset", 0) or 0)


def _python_strings(text: str, starts: list[int]) -> list[tuple[int, int]] | None:
    import io
    import tokenize

    try:
        return [
            (starts[t.start[0] - 1] + t.start[1], starts[t.end[0] - 1] + t.end[1])
            for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type == tokenize.STRING
        ]
    except (tokenize.TokenError, SyntaxError, IndexError):
        return None  # not Python: read as a file of no known language


def _js_strings(text: str, suffix: str) -> list[tuple[int, int]]:
    from advisor.sources.js_syntax import parser

    data = text.encode("utf-8", "surrogatepass")
    found: list[tuple[int, int]] = []
    stack = [parser(suffix).parse(data).root_node]
    while stack:
        node = stack.pop()
        if node.type in ("string", "template_string"):
            found.append((node.start_byte, node.end_byte))  # outermost: its substitutions' strings are inside it
        elif not _js_rollback(data, node):
            stack.extend(node.children)
    chars = _characters(data, text, {b for span in found for b in span})
    return [(chars[a], chars[b]) for a, b in found]


def _js_rollback(data: bytes, node) -> bool:
    """A step's code to undo it: `down: async (client) => {...}`, `async down(queryRunner) {...}`, `function down()`,
    `const down = ...`, `exports.down = ...`; a store's teardown method (`async drop() {...}`)."""
    named = None
    if node.type in ("pair", "method_definition", "function_declaration", "variable_declarator"):
        named = node.child_by_field_name("key" if node.type == "pair" else "name")
    elif node.type == "assignment_expression":
        left = node.child_by_field_name("left")
        named = left.child_by_field_name("property") if left is not None and left.type == "member_expression" else None
    if named is None:
        return False
    name = data[named.start_byte : named.end_byte].decode("utf-8", "replace").strip("'\"")
    return name in ROLLBACK_NAMES or name.lower() in TEARDOWN_NAMES


def _uncommented(text: str) -> list[tuple[int, int]]:
    """The text between comment lines (`#`, `//`) and `/* */` comments."""
    comments = [(m.start(), m.end()) for m in _LINE_COMMENT.finditer(text)]
    at = text.find("/*")
    while at >= 0:  # each `/*` to its `*/` (or the end): one pass, however many are left open
        end = text.find("*/", at + 2)
        end = len(text) if end < 0 else end + 2
        comments.append((at, end))
        at = text.find("/*", end)
    comments.sort()
    out, at = [], 0
    for start, end in comments:
        if start > at:
            out.append((at, start))
        at = max(at, end)
    out.append((at, len(text)))
    return out


def _unique_keys(text: str, location: Location) -> tuple[str, list[IndexDef]] | None:
    """(table, its whole-table unique indexes) of one definition, or None when it does not read as one table."""
    from advisor.schema.ddl import schema_from_queries

    query = SqlQuery(text, location, TextMap(location.path, text, ((0, location.line, location.col),)), "schema")
    schema = schema_from_queries([query])
    if len(schema.tables) != 1:
        return None
    (table,) = schema.tables
    return table, [i for i in schema.indexes if i.unique and i.where is None and all(k.is_column for k in i.keys)]
