"""Load the application's schema: the DDL/migration files from config, in order.

Every statement first passes advisor's allow-list (advisor/seed/allowlist.py): one that reaches
beyond the schema is not sent and is reported at its file:line.  The extensions the schema asks
for (trusted ones only) are created by `create_extension` -- advisor's administrator connection --
before any statement of the repository runs.  The rest runs on `conn`, a role without privileges,
each statement on its own (autocommit), so one PostgreSQL rejects is reported as
`file:line: message` and the rest still load, as a migration runner that skips a broken step would.
The load as a whole has a budget of time and bytes (advisor/seed/limits.py): past it, the statement running is
cancelled and it and the rest are not loaded, reported as one error at its file:line.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from advisor.parse import DOLLAR_QUOTED, PSQL_BEFORE, PSQL_SCHEMA, QUOTED_TEXT, created_table
from advisor.secrets import server_message
from advisor.seed import limits
from advisor.units import human_size

SCHEMA_STATEMENT_TIMEOUT = "60s"  # a schema statement that runs longer (pg_sleep, a huge INSERT) is cut


@dataclass
class LoadError:
    path: str
    line: int
    message: str
    statement: str
    refused: bool = False  # advisor's allow-list refused it; it was never sent
    stopped: bool = False  # the load's budget ran out here: it and the statements after it were not loaded
    unmade: str = ""  # the table it needs whose CREATE advisor did not send: PostgreSQL's error is advisor's doing
    stand_in: str = ""  # not an error: the table advisor made empty for the references to it (_stand_ins)
    # the tables, views and columns it would have made (`CREATE TABLE x`, `ADD COLUMN meta`), lower case, kept with
    # the cached database (its statement is not): a statement planned without them lacks them for want of this one
    makes: str = ""

    def __post_init__(self) -> None:
        if not self.makes and self.statement:
            self.makes = " ".join(sorted({_bare(m) for m in _MAKES.findall(self.statement)}))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.summary}"

    @property
    def summary(self) -> str:
        if self.stand_in:
            return (
                f"advisor made an empty stand-in for {self.stand_in}, which this statement references and no schema "
                "statement creates (another service's table), so the statements that reference it load"
            )
        if self.refused:
            return f"advisor does not run this statement: {self.message}"
        if self.stopped:
            return f"advisor stopped loading the schema here: {self.message}"
        if self.unmade:
            return f"advisor could not load this statement: it needs {self.unmade}, whose CREATE advisor did not send"
        return f"PostgreSQL rejects this statement: {self.message}"


@dataclass
class _Refused:
    """A DO block refused for the SQL it builds: its DDL read inside it (block_ddl) is sent in its place, and its
    error is reported only when none was."""

    error: tuple[int, LoadError]  # (statement number, error)
    last_line: int
    read: int = 0  # statements of it sent in its place


def _line_of(text: str, start_line: int, position: str | None) -> int:
    if not position:
        return start_line
    try:
        offset = int(position) - 1
    except ValueError:
        return start_line
    return start_line + text.count("\n", 0, max(0, offset))


_ADD_COLUMN = re.compile(r"\s*ALTER\s+TABLE\s+(?:ONLY\s+)?[^;]*?\bADD\s+(?:COLUMN\s+)?(?!CONSTRAINT\b)", re.I)


def adds_one_column(body: str) -> bool:
    """`ALTER TABLE t ADD COLUMN c ...` alone: refused as a duplicate, it leaves the table as declared. Not one of
    several actions (`ADD COLUMN a ..., ADD COLUMN b ...`): PostgreSQL then refuses them all, b too."""
    return _ADD_COLUMN.match(body) is not None and re.search(r",\s*(?:ADD|ALTER|DROP|RENAME)\b", body, re.I) is None


def _send(conn, query, body: str, schemas: set[str], private: bool) -> tuple[int, str] | None:
    """Run one schema statement; (line, message) of the error PostgreSQL gives, or None.  A schema it names that
    does not exist (`CREATE TABLE stripe.products`, where a migration runner made `stripe` first) is created once,
    in advisor's database, and the statement sent again."""
    import psycopg

    while True:
        try:
            # binary results take the extended protocol, where PostgreSQL refuses a second statement: if its
            # lexer and advisor's ever disagree on where one ends, nothing unchecked runs after it
            conn.execute(body, binary=True, prepare=False)
            return None
        except psycopg.Error as exc:
            if isinstance(exc, psycopg.errors.DuplicateColumn) and adds_one_column(body):
                return None  # the column is there (its CREATE TABLE has it; the code adds it when it is missing)
            where = _line_of(query.text, query.location.line, exc.diag.statement_position)
            failed = where, server_message(exc, body, private)
            if private and isinstance(exc, psycopg.errors.OutOfMemory):  # advisor's cap, not production's memory
                from advisor.seed.server import memory_cap

                failed = where, f"{failed[1]}, past advisor's cap of {human_size(memory_cap())} for each server process"
            missing = _missing_schema(exc) if isinstance(exc, psycopg.errors.InvalidSchemaName) else None
            if missing is None or missing in schemas:
                return failed
            schemas.add(missing)
            try:
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{missing.replace(chr(34), chr(34) * 2)}"')
            except psycopg.Error:
                return failed


# pg-promise's name with the SQL-name filter, in any of its brackets: `${schema~}`, `$(schema:name)`, `$<s:alias>`;
# and a JS template's value before a `.`, `${quotedSchema}."runs"` in a code schema file: a qualifier the run writes
_PGP_NAME = "|".join(
    [re.escape(o) + r"\s*\w+\s*(?:~|:name|:alias)\s*" + re.escape(c) for o, c in ("{}", "()", "<>", "[]", "//")]
    + [r"\{\s*[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\s*\}"]
)
# psql's variables, `:SCHEMA`, `:'SCHEMA'`, `:"SCHEMA"` (graphile-worker's migrations are written with
# `:GRAPHILE_WORKER_SCHEMA.jobs`, its runner replacing the name everywhere): outside strings and comments, and in a
# dollar-quoted body where one names a schema (followed by `.`); and a pg-promise name before a `.`
_PSQL = re.compile(
    rf"""(?P<keep>{QUOTED_TEXT})
      |(?P<body>{DOLLAR_QUOTED})
      |(?P<qualifier>\$(?:"""
    + _PGP_NAME
    + r""")\s*\.)
      |"""
    + PSQL_BEFORE
    + r""":(?:'(?P<literal>[A-Za-z_]\w*)'|"(?P<quoted>[A-Za-z_]\w*)"|(?P<name>[A-Za-z_]\w*))""",
    re.VERBOSE | re.DOTALL,
)


_MAKES = re.compile(
    r"\b(?:CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL|LOCAL|TEMP|TEMPORARY|UNLOGGED|MATERIALIZED)\s+)*(?:TABLE|VIEW)"
    r"|ADD\s+(?!(?:CONSTRAINT|PRIMARY|UNIQUE|FOREIGN|CHECK|EXCLUDE)\b)(?:COLUMN\s+)?)\s*(?:IF\s+NOT\s+EXISTS\s+)?((?:\"[^\"]+\"|[\w$]+)(?:\s*\.\s*(?:\"[^\"]+\"|[\w$]+))?)",
    re.IGNORECASE,
)
_MISSING_RELATION = re.compile(r'relation "(.*?)" does not exist', re.DOTALL)  # a name with quotes in it too


# an object a statement needs that the files create later (a migration that alters a table before, in file-name
# order, the one that creates it: steps ordered by a version inside each file)
_NOT_YET = re.compile(r'(?:relation|column|type|function|schema) "[^"]+"(?: of relation "[^"]+")? does not exist')
_ROUNDS = 3  # passes over what still waits: each one made of what the one before loaded


def _refused(name: str, failed: tuple[int, str], body: str, unmade: set[str]) -> LoadError:
    """PostgreSQL's refusal of a statement; one for want of a table whose CREATE advisor did not send is said so."""
    missing = _MISSING_RELATION.search(failed[1])
    needs = missing.group(1) if missing and _bare(missing.group(1)) in unmade else ""
    return LoadError(name, failed[0], failed[1], body, unmade=needs)


def _again(conn, waiting: list, errors: list, schemas: set[str], private: bool, unmade: set[str]) -> list:
    """Send again, after the rest, the statements refused for an object not made yet, while a pass loads some: a
    statement that loads drops its error, one refused again keeps the error of its last try."""
    by_seq = dict(errors)
    for _ in range(_ROUNDS):
        if not waiting or limits.over():
            break
        still = []
        for seq, name, query, body in waiting:
            failed = None if limits.over() else _send(conn, query, body, schemas, private)
            if failed is None and not limits.over():
                by_seq.pop(seq, None)
            elif failed is not None:
                by_seq[seq] = _refused(name, failed, body, unmade)
                still.append((seq, name, query, body))
        if len(still) == len(waiting):
            break  # nothing more loaded: what waits needs what is not there
        waiting = still
    return list(by_seq.items())


def _bare(name: str) -> str:
    """A table's name without its schema and quotes, in lower case: how two statements name the same table."""
    return name.rsplit(".", 1)[-1].strip().strip('"').lower()


_BUILDS_SQL = "it builds SQL at run time (EXECUTE)"  # advisor.seed.allowlist's reason for a DO block it does not run
_TYPE_MODIFIER = re.compile(r"(\w+)\s*\(\s*\{\}\s*\)")  # `vector({})`: a modifier filled in at run time
# pgvector's types: their indexes need a size, any size serves a plan, so a stand-in one (the others' goes)
_SIZED_TYPES = {"vector": "3", "halfvec": "3", "sparsevec": "3", "bit": "3"}


def block_ddl(query) -> str | None:
    """The text to send for a statement advisor read in a DO block it does not run (its EXECUTEd DDL, its plain DDL):
    written out whole, or but for a type's modifier filled in at run time, which goes (`varchar(%s)` -> `varchar`),
    or for pgvector's types, whose indexes need one, is a stand-in (`vector(%s)` -> `vector(3)`: a plan is the same
    whatever the size); None for anything else. Sent in the block's place, each through the allow-list."""
    from advisor.sources.function_bodies import EXECUTED_DDL

    if not EXECUTED_DDL.match(query.text):
        return None

    def modifier(m: re.Match) -> str:
        size = _SIZED_TYPES.get(m.group(1).lower())
        return f"{m.group(1)}({size})" if size else m.group(1)

    text = _TYPE_MODIFIER.sub(modifier, query.text)
    return None if "{}" in text else text


# a template standing for the name an index or a constraint is given (`CREATE INDEX {index} ON`, `ADD CONSTRAINT
# {unique_index} UNIQUE (uid)`): a label no plan depends on, so it goes, and PostgreSQL names the object itself
_TEMPLATE_WORD = r"(?:\{\{[^{}\n]*\}\}|\$\{[^{}\n]*\}|\{[^{}'\"\n]{0,60}\})"
_LABEL = re.compile(
    rf"\b(?P<index>CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?)(?:IF\s+NOT\s+EXISTS\s+)?{_TEMPLATE_WORD}(?=\s+ON\s)"
    rf"|\bCONSTRAINT\s+{_TEMPLATE_WORD}(?=\s+(?:UNIQUE|PRIMARY\s+KEY|CHECK|FOREIGN\s+KEY|EXCLUDE|REFERENCES)\b)",
    re.IGNORECASE,
)


def _unlabelled(text: str) -> str:
    """The statement without the names a template gives the indexes and constraints it makes, blanked (_LABEL):
    `IF NOT EXISTS` goes with the name, which it needs."""
    if "{" not in text:
        return text
    return _LABEL.sub(lambda m: (m.group("index") or "").ljust(len(m.group(0))), text)


def filled(text: str) -> str:
    """The statement with each psql variable as a stand-in of the same length: the variable's name in lower case,
    as a name, a quoted name or a literal (`:GRAPHILE_WORKER_SCHEMA.jobs` -> `graphile_worker_schema .jobs`): one
    schema advisor creates for them (see `_send`), the same name the EXPLAIN stage plans their queries on.  A
    pg-promise name naming the schema (`${schema~}.blocks`, which its runner formats), or a JS template's value
    before a `.` (`${quotedSchema}."runs"`, in a code schema file), goes: the table is made in the search path, where
    the project's queries, written without it (advisor reads them so), find it.  A template that is part of a longer
    name (`CREATE TABLE {}_messages`, a prefix the run writes) is underscores, the name the queries are planned on."""
    from advisor.parse import named_stand_ins

    text = _unlabelled(text)  # `CREATE INDEX {index} ON t (a)`: PostgreSQL names the index
    if ":" not in text and "$" not in text:
        return named_stand_ins(text) or text  # `CREATE TABLE {}_messages`: the name its queries are planned on

    def fill(m: re.Match) -> str:
        if m.group("keep") is not None:
            return m.group(0)
        if m.group("qualifier") is not None:
            return " " * len(m.group(0))
        if m.group("body") is not None:
            return PSQL_SCHEMA.sub(lambda n: n.group(1).lower() + " ", m.group(0))
        for kind, mark in (("literal", "'"), ("quoted", '"'), ("name", "")):
            if m.group(kind) is not None:
                return (mark + m.group(kind).lower() + mark).ljust(len(m.group(0)))
        return m.group(0)

    text = _PSQL.sub(fill, text)
    return named_stand_ins(text) or text


def _missing_schema(exc) -> str | None:
    """The schema a statement names that does not exist (`schema "stripe" does not exist`)."""
    m = re.fullmatch(r'schema "(.+)" does not exist', (exc.diag.message_primary or "").strip())
    return m.group(1) if m else None


def _load_spent(budget: limits.Budget) -> Callable[[], str]:
    """What the load's budget says once it is spent: the clock, or the bytes written (the statement that writes
    past it is cancelled: an INSERT wrote 3 GB in 33 s, inside the minute it may run)."""
    seconds = budget.seconds if budget.seconds is not None else limits.SCHEMA_LOAD_SECONDS
    deadline = time.monotonic() + seconds

    def spent() -> str:
        if time.monotonic() >= deadline:
            return f"the schema's statements had run {seconds:g} s, advisor's limit for loading a schema"
        if budget.bytes is None:
            return ""
        used = budget.spent()
        if used <= budget.bytes:
            return ""
        return (
            f"the schema's statements had written {human_size(used)}, over the {human_size(budget.bytes)} "
            f"advisor may use for the schema and its seed ({budget.why})"
        )

    return spent


# The functions of a trusted extension a schema may call without creating it (`id uuid DEFAULT uuid_generate_v4()`
# in a generated structure.sql): the database it was written for has the extension (a migration of another file, the
# template database), so the seeded one gets it as a CREATE EXTENSION of the schema's would.
_EXTENSION_FUNCTIONS = {"uuid-ossp": re.compile(r"\buuid_(?:generate_v[1345]|generate_v1mc|nil|ns_\w+)\s*\(", re.I)}


def _assumed_extensions(bodies) -> list[str]:
    texts = list(bodies)
    return [name for name, calls in _EXTENSION_FUNCTIONS.items() if any(calls.search(t) for t in texts)]


def load_schema(
    conn,
    files: list[Path],
    shown: dict[Path, str] | None = None,
    create_extension: Callable[[str], None] | None = None,
    budget: limits.Budget | None = None,
    private: bool = True,
    declared: Sequence[tuple[str, int, str]] = (),
    skipped: Collection[tuple[str, int]] = (),
) -> list[LoadError]:
    """Run every allowed statement of the files; returns the statements refused or rejected, and where the
    budget (by default: SCHEMA_LOAD_SECONDS, no byte limit) stopped the load, if it did.  `private`: the
    server is advisor's own, and PostgreSQL's messages are shown whole (secrets.server_message).  `declared`:
    (path, line, CREATE INDEX) of the indexes the project's code builds on the schema's tables (Synapse's
    background updates), run after the files as one of them, through the same allow-list. `skipped`: (path, line)
    of the statements the schema advisor reads leaves out (Schema.teardown), not run either."""
    import psycopg

    from advisor.schema.code_keys import code_schema_statement, schema_statements
    from advisor.seed.allowlist import check
    from advisor.sources.sql_files import extract_sql

    errors: list[tuple[int, LoadError]] = []  # (statement number, error): reported in file order
    unmade: set[str] = set()  # the tables of the CREATE TABLE statements advisor did not send
    allowed = []
    created: set[str] = set()
    counter = itertools.count()
    sources = [
        (
            (shown or {}).get(path, str(path)),
            schema_statements((shown or {}).get(path, str(path)), path.read_text(encoding="utf-8", errors="replace")),
            0,
        )
        for path in files
    ]
    sources += [(path, extract_sql(path, ddl, source="schema"), line - 1) for path, line, ddl in declared]
    for name, statements, offset in sources:
        block: _Refused | None = None  # the DO block last refused for the SQL it builds
        for query in statements:
            if offset:  # an index the code declares: where its declaration stands
                at = query.location
                end = at.end_line + offset if at.end_line is not None else None
                query = replace(query, location=replace(at, line=at.line + offset, end_line=end))
            if query.origin == "function-body":
                if block is None or query.location.line > block.last_line or (ddl := block_ddl(query)) is None:
                    continue  # analysed as a query, never sent: its CREATE FUNCTION carries it
                query = replace(query, text=ddl)  # read in the block, sent in its place
                block.read += 1
            elif block is not None:
                errors += [] if block.read else [block.error]
                block = None
            if not code_schema_statement(name, query.text) or (name, query.location.line) in skipped:
                continue  # a code file's query or SET: its code runs it, not the schema's load; a reset()'s DROP
            seq = next(counter)
            query = replace(query, text=filled(query.text))  # what is checked is what is sent
            body = query.text.strip()
            if not body or body.rstrip(";").strip() == "":
                continue
            verdict = check(query.text)
            if verdict.action == "refuse" and (table := created_table(query.text)) is not None:
                unmade.add(_bare(table))  # a table the statements after it may need
            if verdict.action == "refuse" and verdict.reason.endswith(_BUILDS_SQL):
                at = query.location
                refused = (seq, LoadError(name, at.line, verdict.reason, body, refused=True))
                block = _Refused(refused, at.end_line if at.end_line is not None else at.line)
            elif verdict.action == "refuse":
                errors.append((seq, LoadError(name, query.location.line, verdict.reason, body, refused=True)))
            elif verdict.action == "extension":
                if verdict.extension in created:
                    continue
                created.add(verdict.extension)
                try:
                    if create_extension is None:
                        raise LookupError("no administrator connection to create it with")
                    create_extension(verdict.extension)
                except (psycopg.Error, LookupError) as exc:
                    message = server_message(exc, body, private) if isinstance(exc, psycopg.Error) else str(exc)
                    errors.append((seq, LoadError(name, query.location.line, message, body)))
            elif verdict.action == "send":
                allowed.append((seq, name, query, body))
        errors += [block.error] if block is not None and not block.read else []
    for extension in _assumed_extensions(body for _, _, _, body in allowed):
        if extension not in created and create_extension is not None:
            created.add(extension)
            with contextlib.suppress(psycopg.Error):  # not made: the statements that need it say so when refused
                create_extension(extension)
    conn.autocommit = True
    conn.execute(f"SET statement_timeout = '{SCHEMA_STATEMENT_TIMEOUT}'")
    schemas: set[str] = set()  # created for the files, which use them and leave their creation to a runner
    with limits.Watch(_load_spent(budget or limits.Budget())):
        limits.watched(conn)
        waiting: list[tuple] = []  # (seq, name, query, body) refused for an object not made yet: sent after the rest
        for n, (seq, name, query, body) in enumerate(allowed):
            if not limits.over():  # the load's budget, or the database stage's time limit around it
                failed = _send(conn, query, body, schemas, private)
                if failed is None or not limits.over():  # loaded, or rejected for its own reasons
                    if failed is not None:
                        errors.append((seq, _refused(name, failed, body, unmade)))
                        if _NOT_YET.search(failed[1]):
                            waiting.append((seq, name, query, body))
                    continue
            # the budget ran out before this statement or while it ran (cancelled): it and the rest are not loaded
            rest = len(allowed) - n - 1
            after = f"; this statement and the {rest} after it were not loaded" if rest else "; it was not loaded"
            errors.append((seq, LoadError(name, query.location.line, limits.over() + after, body, stopped=True)))
            waiting = []
            break
        errors = _again(conn, waiting, errors, schemas, private, unmade)
        stand_ins = _stand_ins(conn, allowed, errors, schemas, private, unmade) if not limits.over() else []
        if stand_ins:  # what waited for them, sent again
            again = {seq for seq, e in errors if _MISSING_RELATION.search(e.message)}
            errors = _again(conn, [a for a in allowed if a[0] in again], errors, schemas, private, unmade) + stand_ins
    # seeding is not cut; a role default the schema sets does not count.  Sent again if a cancel the watch sent as
    # the last statement ended lands on it
    for _ in range(3):
        try:
            conn.execute("SET statement_timeout = 0")
            break
        except psycopg.errors.QueryCanceled:
            continue
    return [e for _, e in sorted(errors, key=lambda pair: pair[0])]


def _stand_ins(conn, allowed: list, errors: list, schemas: set[str], private: bool, unmade: set[str]) -> list:
    """Empty tables for the ones the schema's foreign keys reference and no statement of it creates (a chat
    service's `users`, owned by its auth service; Supabase's `auth.users`): each with the referenced columns, typed
    as the referencing ones, as its primary key (or unique), so the tables that reference it load and their queries
    are planned. Made only for a CREATE TABLE refused for want of it, and said as (statement number, LoadError)."""
    import sqlglot
    from sqlglot import exp

    from advisor.names import plain_type, quote
    from advisor.seed.allowlist import check

    created = {_bare(new) for _, _, q, _ in allowed if (new := created_table(q.text)) is not None} | unmade
    wanted: dict[str, tuple[exp.Table, list[tuple[tuple[str, ...], tuple[str, ...]]], tuple]] = {}
    by_seq = {a[0]: a for a in allowed}
    for seq, error in errors:
        if (
            not _MISSING_RELATION.search(error.message) or seq not in by_seq
        ):  # (refused for a table it waits for, maybe one that waits for one)
            continue
        try:
            tree = sqlglot.parse_one(by_seq[seq][3], read="postgres")
        except Exception:  # noqa: BLE001  unreadable: no stand-in, the error stays
            continue
        if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema):
            continue
        types = {
            d.name.lower(): d.args.get("kind")
            for d in tree.this.expressions
            if isinstance(d, exp.ColumnDef) and d.args.get("kind") is not None
        }
        for ref in tree.find_all(exp.Reference):
            table = ref.this.this if isinstance(ref.this, exp.Schema) else ref.this
            if not isinstance(table, exp.Table) or _bare(table.name) in created:
                continue  # (every table it references that nothing creates: PostgreSQL names the first only)
            to = tuple(i.name for i in ref.this.expressions) if isinstance(ref.this, exp.Schema) else ("id",)
            holder = ref.parent.parent if isinstance(ref.parent, exp.ColumnConstraint) else None
            referencing = (
                (holder.name,)
                if isinstance(holder, exp.ColumnDef)
                else tuple(i.name for i in ref.parent.expressions)
                if isinstance(ref.parent, exp.ForeignKey)
                else ()
            )
            kinds = [types[c.lower()] for c in referencing if c.lower() in types]
            if len(to) != len(referencing) or len(kinds) != len(referencing):
                continue
            sql_types = tuple(t for k in kinds if k is not None and (t := plain_type(str(k.sql("postgres")))))
            if len(sql_types) != len(to):
                continue  # a type advisor would not write into a statement of its own
            key = ".".join(_bare(p) for p in (table.db, table.name) if p)
            entry = wanted.setdefault(key, (table, [], by_seq[seq]))
            if (to, sql_types) not in entry[1]:
                entry[1].append((to, sql_types))
    made = []
    for key, (table, keys, (seq, name, query, _)) in wanted.items():
        typed: dict[str, str] = {}
        for to, sql_types in keys:
            for column, sql_type in zip(to, sql_types):
                typed.setdefault(column, sql_type)
        uniques = [", ".join(quote(c) for c in to) for to, _ in keys]
        named = ".".join(quote(p) for p in (table.db, table.name) if p)
        ddl = (
            f"CREATE TABLE {named} ("
            + ", ".join(f"{quote(c)} {t}" for c, t in typed.items())
            + f", PRIMARY KEY ({uniques[0]})"
            + "".join(f", UNIQUE ({u})" for u in dict.fromkeys(uniques[1:]) if u != uniques[0])
            + ")"
        )
        if check(ddl).action != "send" or _send(conn, query, ddl, schemas, private) is not None:
            continue
        made.append((seq, LoadError(name, query.location.line, "", ddl, stand_in=key)))
    return made
