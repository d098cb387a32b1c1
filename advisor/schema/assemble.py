"""A project's schema: its schema files' DDL, the DDL of the checked `.sql` files, and the
index declarations the extractors found in the checked code (createIndex, models)."""

from __future__ import annotations

import re
from pathlib import Path

from advisor.config import Config, ConfigError
from advisor.discovery import display_path, read_text
from advisor.ir import Schema, SourceFile, SqlQuery, code_file
from advisor.oneoff import migration_path, undo_path


def schema_files(config: Config) -> list[Path]:
    """The files the config's `schema` patterns name, in order; a pattern that matches none is an error."""
    from advisor import files

    return files.schema_files(config)  # regular files inside the project only


def assemble(config: Config, checked: list[SourceFile]) -> tuple[Schema, list[SqlQuery]]:
    """The schema, and the statements read from schema files that are not among the checked files
    (the analysis reports those that do not parse)."""
    from advisor.names import fold
    from advisor.parse import another_database
    from advisor.schema.code_keys import code_keys, code_schema_statement, schema_statements
    from advisor.schema.ddl import schema_from_queries
    from advisor.schema.inheritance import parents_named, self_indexed_partitions
    from advisor.schema.row_changes import row_changes
    from advisor.sources.sql_file_use import run_by_name
    from advisor.sources.sql_shape import uncommented

    by_path = {f.path: f for f in checked}
    named: dict[str, list[SqlQuery]] = {}  # each schema file's statements, in the config's order
    for path in schema_files(config):
        shown = display_path(path)
        known = by_path.get(shown)
        if known is not None and not code_file(shown):  # a SQL file, read with the others
            named[shown] = [q for q in known.queries if isinstance(q, SqlQuery)]
            continue
        text, error = (known.text, None) if known is not None else read_text(path, config.max_file_size)
        if text is None:
            raise ConfigError(f"{shown}: {error}")
        # a code file: the DDL of its string literals (each DO block's too); a query piece, a session's SET: its code's
        read_sql = schema_statements(shown, text, config.dialect)
        named[shown] = [q for q in read_sql if code_schema_statement(shown, q.text)]
    seen = set(named)
    teardown: set[tuple[str, int]] = set()
    for code in [shown for shown in named if code_file(shown) and not migration_path(shown)]:
        kept = _without_teardown(named[code], checked)  # a reset()'s DROP TABLE of what init() creates
        teardown |= {(q.location.path, q.location.line) for q in named[code] if q not in kept}
        named[code] = kept
    # the config's own migration steps that its snapshot holds already (`schema.sql` beside the migrations that
    # build the same tables, two ways to set one database up): replayed on it, PostgreSQL would refuse them
    snapshot = [q for path, statements in named.items() if not migration_path(path) for q in statements]
    steps = {path: statements for path, statements in named.items() if migration_path(path)}
    held = applied_steps(snapshot, steps)
    queries = [q for path, statements in named.items() if path not in held for q in statements]
    read = [q for q in queries if q.source == "schema"]
    retired = replaced_routines(queries)  # the schema files' only: their order is the config's
    history = applied_migrations(queries, checked, seen)
    # with the schema files named, a script the code runs by name drops what it adds again (a bulk load's
    # `drop_indexes.sql`, then `add_indexes.sql`): a moment of the code's run, not the schema's history
    scripts = run_by_name(checked) if config.schema else set()
    for source in checked:
        if (
            source.path.endswith(".sql")
            and source.path not in seen
            and source.path not in history
            and not undo_path(source.path)  # run only to go back: `001.undo.sql` drops what `001.do.sql` made
            and not another_database(source.path, config.dialect)  # cowrie's docs/sql/sqlite3.sql: SQLite's schema
        ):
            queries += [
                q
                for q in source.queries
                if isinstance(q, SqlQuery) and not (source.path in scripts and _DROPS.match(uncommented(q.text)))
            ]
        elif not source.path.endswith(".sql"):
            queries += temporary_tables(source)
    with_called = _with_called_routines_ddl(queries, checked)
    schema = schema_from_queries(with_called)
    schema.called_ddl = [(q.location.path, q.location.line, q.text) for q in with_called if q.origin == "routine-ddl"]
    for table in schema.tables.values():
        if table.temporary and table.location is not None and not table.location.path.endswith(".sql"):
            schema.gaps.setdefault(table.name, "the code creates it, and its indexes, at run time")
    for source in checked:  # code that creates a table's inheritance children: ones advisor cannot see
        if not source.path.endswith(".sql"):
            for parent in parents_named(source.text):
                schema.gaps.setdefault(parent, f"{source.path} creates tables that inherit from it at run time")
            for parent in self_indexed_partitions(source.text):
                schema.gaps.setdefault(parent, f"{source.path} creates its partitions and indexes them at run time")
    schema.files = seen
    schema.history = held
    schema.teardown = teardown
    schema.replaced_routines = retired
    schema.tiny, schema.large = sized_tables(config)
    schema.large_patterns = list(config.large_tables)
    declared = {(i.table, fold(i.name)) for i in schema.indexes}
    for source in checked:  # an index the DDL declares too is the same object (a snapshot taken after it was built)
        schema.indexes += [i for i in source.indexes if i.method == "mongo" or (i.table, fold(i.name)) not in declared]
    schema.indexes += code_keys(checked, set(schema.tables))  # code_keys reads the code files only
    replaced = {(i.table, fold(i.options["replaces"])) for s in checked for i in s.indexes if i.options.get("replaces")}
    if replaced:  # a background update that builds an index and then drops the one it supersedes
        schema.indexes = [i for i in schema.indexes if (i.table, fold(i.name)) not in replaced]
    schema.paged = paged_tables(checked, schema)
    schema.changes = row_changes([q for source in checked for q in source.queries if isinstance(q, SqlQuery)] + read)
    return schema, read


def _without_teardown(statements: list[SqlQuery], checked: list[SourceFile]) -> list[SqlQuery]:
    """A code file read as schema that is no migration is the application itself, and its strings run when their
    functions do, not in the file's order: a `DROP TABLE` of a table nothing after it creates again (nor renames
    to), where the application's own statements still use the table, is a teardown (a `reset()`, a CLI command),
    not where the schema ends. Left out, so the tables `init()` creates stay the schema its queries run against.
    So is a `DROP TABLE` of tables nothing before it in the file creates: an older version's tables, dropped when
    the code finds them (@effect/cluster's `if (hasOldTables) DROP TABLE shards`), which a new database never has.
    (A migration module's DROP is a step of the schema's history: replayed as written.)"""
    from sqlglot import exp

    from advisor.parse import creates_table, parse_sql
    from advisor.schema.code_keys import is_ddl

    def tables(query: SqlQuery) -> list[str]:
        tree = parse_sql(query.text, query.dialect)
        named = [t.name.lower() for t in tree.find_all(exp.Table)] if isinstance(tree, (exp.Drop, exp.Create)) else []
        return named if isinstance(tree, exp.Drop) else named[:1]  # what CREATE TABLE references comes after

    created: dict[str, int] = {}  # each table's last creation: CREATE TABLE, or a rename to its name
    first: dict[str, int] = {}  # and its first
    for i, q in enumerate(statements):
        made = tables(q) if creates_table(q.text) else []
        for name in [*made, *(m.group(1).strip('"').lower() for m in _RENAMED.finditer(q.text))]:
            created[name] = i
            first.setdefault(name, i)
    drops = {i: tables(q) for i, q in enumerate(statements) if _DROP_TABLE.match(q.text)}
    if not drops:
        return statements
    used = {  # the words of the application's own statements: the tables they read and write among them
        word.lower()
        for source in checked
        for q in source.queries
        if isinstance(q, SqlQuery) and q.source != "schema" and not is_ddl(q.text)
        for word in re.findall(r"\w+", q.text)
    }
    return [
        q
        for i, q in enumerate(statements)
        if not drops.get(i)
        or (
            any(first.get(n, i) < i for n in drops[i])
            and any(created.get(n, -1) > i or n not in used for n in drops[i])
        )
    ]


_RENAMED = re.compile(r"\bRENAME\s+TO\s+(\"[^\"]+\"|\w+)", re.IGNORECASE)
_DROP_TABLE = re.compile(r"\s*DROP\s+TABLE\b", re.IGNORECASE)
_DROPS = re.compile(r"\s*(DROP\b|ALTER\s+TABLE\b[^;]*?\bDROP\b)", re.IGNORECASE | re.DOTALL)


def applied_migrations(snapshot: list[SqlQuery], checked: list[SourceFile], seen: set[str]) -> set[str]:
    """The migration files (outside the schema files) that the schema files already hold: in each folder of
    migrations, in order, every step up to the last one with a statement PostgreSQL would refuse on the schema files'
    tables because its change is there already (CREATE TABLE or a named CREATE INDEX of one they define, ADD COLUMN
    of a column they have, none with IF NOT EXISTS). Such a step ran before the snapshot was taken; replaying the
    history on top of the snapshot would apply it twice (swh-scheduler's upgrade 33 renames `task` to `archive_task`
    and a new table to `task`: replayed after 30-schema.sql, its indexes and columns land on the wrong tables).
    The steps after it are newer than the snapshot and are replayed (a full schema plus the deltas after it)."""
    steps = {
        source.path: [q for q in source.queries if isinstance(q, SqlQuery)]
        for source in checked
        if source.path.endswith(".sql")
        and source.path not in seen
        and migration_path(source.path)
        and not undo_path(source.path)
    }
    return applied_steps(snapshot, steps)


def applied_steps(snapshot: list[SqlQuery], steps: dict[str, list[SqlQuery]]) -> set[str]:
    """Of the migration steps (path -> statements), those the snapshot holds already: in each folder, in order,
    every step up to the last one with a statement PostgreSQL would refuse on the snapshot (_holds_already)."""
    import posixpath

    from advisor.schema.ddl import schema_from_queries

    if not steps or not snapshot:
        return set()
    schema = schema_from_queries(snapshot)
    if not schema.tables:
        return set()
    index_names = {i.name.lower() for i in schema.indexes}
    folders: dict[str, list[str]] = {}
    for path in steps:
        folders.setdefault(posixpath.dirname(path), []).append(path)
    out: set[str] = set()
    for paths in folders.values():
        paths.sort(key=lambda p: _in_order(posixpath.basename(p)))
        last = max((n for n, p in enumerate(paths) if _holds_already(steps[p], schema, index_names)), default=-1)
        out.update(paths[: last + 1])
    return out


def _in_order(name: str) -> list:
    """A step's place by its name, numbers compared as numbers (`9.sql` before `10.sql`)."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name) if part]


def _holds_already(statements: list[SqlQuery], schema: Schema, index_names: set[str]) -> bool:
    """A statement of the step PostgreSQL would refuse on the schema because its change is there already."""
    from sqlglot import exp

    from advisor.parse import parse_sql

    for query in statements:
        if not re.match(r"\s*(CREATE|ALTER)\b", query.text, re.IGNORECASE):
            continue
        tree = parse_sql(query.text, query.dialect)
        if isinstance(tree, exp.Create) and not tree.args.get("exists") and not tree.args.get("replace"):
            kind = (tree.args.get("kind") or "").upper()
            target = tree.this
            if kind == "TABLE" and isinstance(target, (exp.Schema, exp.Table)):
                table = target.this if isinstance(target, exp.Schema) else target
                if isinstance(table, exp.Table) and schema.table(table.name.lower()) is not None:
                    return True
            if kind == "INDEX" and isinstance(target, exp.Index) and target.this is not None:
                if target.this.name.lower() in index_names:
                    return True
        if isinstance(tree, exp.Alter) and isinstance(tree.this, exp.Table):
            table = schema.table(tree.this.name.lower())
            columns = {c.lower() for c in table.columns} if table is not None else set()
            for action in tree.args.get("actions") or []:
                if (
                    isinstance(action, exp.ColumnDef)
                    and not action.args.get("exists")
                    and action.name.lower() in columns
                ):
                    return True
    return False


# CREATE [OR REPLACE] FUNCTION|PROCEDURE [schema.]name( -- the schema may be a psql variable (:APP.name)
_ROUTINE = re.compile(
    r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\s+(?P<qualified>(?::?[\w$]+|\"[^\"]+\")\s*\.\s*)?"
    r"(?P<name>[\w$]+|\"[^\"]+\")\s*\(",
    re.IGNORECASE,
)


_DROP_ROUTINE = re.compile(r"\s*DROP\s+(?:FUNCTION|PROCEDURE|ROUTINE)\s+(?:IF\s+EXISTS\s+)?", re.IGNORECASE)
# each name of `DROP FUNCTION a.f(int), g, "h"(text)`: at the start or after a comma, outside argument lists
_DROPPED = re.compile(r"(?:^|,)\s*(?:(?::?[\w$]+|\"[^\"]+\")\s*\.\s*)?(?P<name>[\w$]+|\"[^\"]+\")(?:\s*\([^()]*\))?")


def routine_defined(query: SqlQuery) -> str | None:
    """The name of the function or procedure the statement defines (lower case, without its schema), or None."""
    m = _ROUTINE.match(query.text) if query.origin != "function-body" else None
    return m.group("name").strip('"').lower() if m else None


def _with_called_routines_ddl(queries: list[SqlQuery], checked: list[SourceFile]) -> list[SqlQuery]:
    """`queries` with the tables and indexes each PL/pgSQL function creates in its body after its definition, for
    the functions the project's statements call (`SELECT * FROM fetchq.init()`): the schema it has once they ran."""
    from advisor.sources.sql_files import routine_creates

    defined = {id(q): m for q in queries if q.origin != "function-body" and (m := _ROUTINE.match(q.text))}
    if not defined:
        return queries
    # what the statements call, by the name as written (`fetchq.init`): a definition's own text (its name, its
    # body) calls nothing; its body's statements may
    called = {
        _called_name(m.group(1))
        for s in checked
        for q in s.queries
        if isinstance(q, SqlQuery) and (q.origin == "function-body" or not _ROUTINE.match(q.text))
        for m in _CALL.finditer(q.text)
    }
    out = []
    for q in queries:
        out.append(q)
        m = defined.get(id(q))
        if m is not None and _called_name((m.group("qualified") or "") + m.group("name")) in called:
            out += routine_creates(q)
    return out


_PART = r'(?:[\w$]+|"[^"]+")'
_CALL = re.compile(rf"(?<![\w$.\"])({_PART}(?:\s*\.\s*{_PART})?)\s*\(")


def _called_name(written: str) -> str:
    """A function's name as a call writes it, schema and all: unquoted parts folded, spaces around the dot gone."""
    return ".".join(p if p.startswith('"') else p.lower() for p in re.findall(_PART, written))


def replaced_routines(queries: list[SqlQuery]) -> list:
    """The definitions of a function or procedure that a later one of the same name replaces (or drops), in the
    order the schema files are built (the config's order; another `.sql` file's place in it is unknown): the
    function as it was
    then (graphile-worker's sql/000001.sql to 000019.sql redefine add_job and get_job), whose statements no
    longer run.  By name: an overload replaced by another of its name is counted replaced too."""
    last: dict[str, SqlQuery] = {}
    replaced = []
    for q in queries:
        name = routine_defined(q)
        if name is not None:
            if name in last:
                replaced.append(last[name].location)
            last[name] = q
        elif q.origin != "function-body" and (drop := _DROP_ROUTINE.match(q.text)) is not None:
            for dropped in _DROPPED.finditer(q.text[drop.end() :].rstrip().rstrip(";")):
                gone = last.pop(dropped.group("name").strip('"').lower(), None)
                if gone is not None:  # dropped: its statements no longer run (unless it is defined again)
                    replaced.append(gone.location)
    return replaced


_TEMP_TABLE = re.compile(r"\s*CREATE\s+(?:GLOBAL\s+|LOCAL\s+)?TEMP(?:ORARY)?\s+TABLE\b", re.IGNORECASE)


def temporary_tables(source: SourceFile) -> list[SqlQuery]:
    """The CREATE TEMP TABLE statements of a code file: a scratch table of the session, defined with
    its columns by the code that fills and reads it."""
    return [q for q in source.queries if isinstance(q, SqlQuery) and not q.dynamic and _TEMP_TABLE.match(q.text)]


def sized_tables(config: Config) -> tuple[set[str], set[str]]:
    """The tables (and collections) whose row count is below explain's large_table_rows, and those at or
    above it: as configured ([seed.tables.t] rows), else production's (`[seed] stats`). A scan of a small
    one is cheap, so no rule whose claim rests on its size speaks about it (Schema.small); a large one
    gets those claims (Schema.grows)."""
    from advisor.seed.settings import explain_settings, seed_settings

    try:
        seed, large = seed_settings(config), explain_settings(config).large_table_rows
    except ConfigError:
        return set(), set()  # reported where the settings are used
    rows = {**seed.stats_rows, **seed.tables}
    return (
        {table.lower() for table, count in rows.items() if count < large},
        {table.lower() for table, count in rows.items() if count >= large},
    )


def paged_tables(checked: list[SourceFile], schema: Schema) -> set[str]:
    """The tables and collections the code reads piece by piece: pages (`OFFSET`, `.skip(n)`, `$skip`) or the rows
    after a position it passes (_after_a_position): its authors expect more rows than one read should take
    (Schema.grows). Not when the code pages all it reads alike (`_UNIFORM`): alerta's one read helper takes a page
    of every listing its API serves, 9 of the 10 tables it reads, its few API keys as its alerts; paging then is
    the API's convention and tells one table from another no more than reading does."""
    paged, read = read_piecewise(checked, schema)
    bare = {t.rsplit(".", 1)[-1] for t in paged}
    if len(bare) >= _UNIFORM[0] and len(bare) >= _UNIFORM[1] * len({t.rsplit(".", 1)[-1] for t in read | paged}):
        return set()
    return paged


# at least this many tables paged, and this share of those the code reads: paging by convention
_UNIFORM = (5, 0.8)


def read_piecewise(checked: list[SourceFile], schema: Schema) -> tuple[set[str], set[str]]:
    """The tables and collections the code reads piece by piece (paged_tables), and every other one it reads:
    those a SELECT takes its rows from, those a find, a count or an aggregate reads. A collection is named as its
    indexes name it (a model's)."""
    from sqlglot import exp

    from advisor.mongo.indexes import indexes_named
    from advisor.parse import parse_sql

    paged: set[str] = set()
    read: set[str] = set()
    for source in checked:
        for query in source.queries:
            if not isinstance(query, SqlQuery):
                collection = getattr(query, "collection", None)
                if not collection:
                    continue
                name = indexes_named(schema, collection, getattr(query, "model", None))[1].lower()
                pipeline = getattr(query, "pipeline", None)
                skips = [getattr(query, "skip", None)] + [
                    stage.get("$skip")
                    for stage in (pipeline if isinstance(pipeline, list) else [])
                    if isinstance(stage, dict)
                ]
                if any(s is not None and s != 0 for s in skips):
                    paged.add(name)
                elif getattr(query, "operation", "") in _MONGO_READS:
                    read.add(name)
                continue
            if query.source == "schema" or not _SELECTED.search(query.text):
                continue
            tree = parse_sql(query.text, query.dialect)
            if not isinstance(tree, exp.Expression):
                continue
            for select in tree.find_all(exp.Select):
                source_table = select.args.get("from_")
                table = source_table.this if source_table is not None else None
                if not isinstance(table, exp.Table) or not table.name:
                    continue
                names = {".".join(p for p in (table.db, table.name) if p).lower(), table.name.lower()}
                piecewise = _PIECEWISE.search(query.text) and (_paged(select) or _after_a_position(select))
                (paged if piecewise else read).update(names)
    return paged, read - paged


_MONGO_READS = frozenset({"find", "find_one", "findOne", "aggregate", "count", "countDocuments", "count_documents"})
_SELECTED = re.compile(r"\bSELECT\b", re.IGNORECASE)
_PIECEWISE = re.compile(r"\bOFFSET\b|[<>]", re.IGNORECASE)


def _paged(select) -> bool:
    """`OFFSET n` (n not 0): a page of the rows."""
    from sqlglot import exp

    offset = select.args.get("offset")
    return offset is not None and not (isinstance(offset.expression, exp.Literal) and offset.expression.name == "0")


def _after_a_position(select) -> bool:
    """The rows after a position the code passes, read in order or up to a second position: a feed read by its
    stream position (`WHERE stream_id > $1 AND stream_id <= $2`) or a keyset page (`WHERE id > $1 ORDER BY id
    LIMIT 50`). The code reads the table piece by piece because it holds too many rows to read whole."""
    from sqlglot import exp

    where = select.args.get("where")
    if where is None:
        return False
    below: set[str] = set()  # columns held above a passed value, and below one
    above: set[str] = set()
    for node in where.find_all(exp.GT, exp.GTE, exp.LT, exp.LTE):
        left, right = node.this, node.expression
        for column, value, greater in ((left, right, True), (right, left, False)):
            if isinstance(column, exp.Column) and isinstance(value, (exp.Placeholder, exp.Parameter)):
                lower = isinstance(node, (exp.GT, exp.GTE)) == greater  # column > value: held from below
                (below if lower else above).add(column.name.lower())
    order = (select.args.get("order") or exp.Order()).expressions
    first = order[0].this if order else None  # a keyset page orders by its position first
    ordered = {first.name.lower()} if isinstance(first, exp.Column) else set()
    return bool(below & (above | ordered))
