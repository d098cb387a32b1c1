"""The plain data that flows between stages: queries, schema, findings.

Every stage takes and returns these; none of them holds behaviour beyond small
derived properties, so any stage can be built and tested on its own.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error")
Evidence = Literal["static", "planned", "measured"]
# how sure advisor is of a finding: "certain" when the rule's premises are all known (the whole
# statement, the complete schema of its tables), "likely" when part of them is a sketch
Confidence = Literal["certain", "likely"]


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based span in a file; columns count characters."""

    path: str
    line: int
    col: int = 1
    end_line: int | None = None
    end_col: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class TextMap:
    """Maps offsets in a query's text back to file positions.

    `anchors` are (offset in text, line, col) triples in increasing offset
    order; between anchors the text is assumed to be copied verbatim from the
    file, so newlines advance the line.  Strings with escapes only get an anchor
    per literal piece, which keeps positions right to the piece.
    """

    path: str
    text: str
    anchors: tuple[tuple[int, int, int], ...]

    def locate(self, start: int, end: int | None = None) -> Location:
        line, col = self._position(start)
        if end is None:
            return Location(self.path, line, col)
        end_line, end_col = self._position(max(start, end))
        return Location(self.path, line, col, end_line, end_col + 1)

    def part(self, start: int, end: int) -> TextMap:
        """The map of text[start:end]: where it begins, then the anchors inside it, counted from its start."""
        first = self.locate(start)
        inside = tuple((a - start, line, col) for a, line, col in self.anchors if start < a < end)
        return TextMap(self.path, self.text[start:end], ((0, first.line, first.col), *inside))

    def _position(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        base, line, col = self.anchors[0]
        for anchor in self.anchors:
            if anchor[0] <= offset:
                base, line, col = anchor
            else:
                break
        before = bisect.bisect_left(self._newlines, offset)
        newlines = before - bisect.bisect_left(self._newlines, base)
        if newlines > 0:  # none when the first anchor lies past the offset
            return line + newlines, offset - (self._newlines[before - 1] + 1) + 1
        return line, col + (offset - base)

    @functools.cached_property
    def _newlines(self) -> list[int]:
        """Where the text's newlines are, found once: counted from the anchor for each position, a statement
        of N UNION terms with a finding in each was read N times."""
        return [m.start() for m in re.finditer("\n", self.text)]


@dataclass(frozen=True)
class SqlQuery:
    """One SQL statement found in a source file."""

    text: str
    location: Location
    textmap: TextMap
    source: str  # "sql", "python", "js", "schema", "example"
    dynamic: bool = False  # built at run time (f-string, concatenation): text is a sketch
    dialect: str = "postgres"
    # How extraction knew this is a query (the rules weigh their confidence on it):
    # "sql-file", "execute-call" (a literal handed to an execution call), "constant-reaching-call"
    # (a name, attribute, helper or builder that reaches one), "named-constant" (a module constant
    # named as SQL, its use elsewhere), "function-body" (inside CREATE FUNCTION), "routine-ddl" (what a called
    # function creates in its body: assemble), "" (unknown).
    origin: str = ""
    complete: bool = True  # False when parts of the text are placeholders for what is unknown
    # inside a function declared RETURNS SETOF t / RETURNS TABLE (...): the statement whose rows it
    # returns (RETURN QUERY, a SQL function's last statement), so its columns are the declared ones
    returned: bool = False
    # the code that runs it reads the result's column names from the cursor (`cursor.description`):
    # it is written for whatever columns come back (a copier, an exporter)
    columns_from_cursor: bool = False
    # the code executes another statement on the same cursor before reading this one's rows (DB-API
    # replaces the result): it runs for its effects, e.g. `SELECT * ... FOR UPDATE` to lock rows
    result_unread: bool = False
    # executed by a registered one-off job (a Synapse background update handler: a data migration run
    # in batches once per database), so not workload, as a statement of a migration file is not
    runs_once: bool = False
    # a statement of a generated module no module written by hand names (advisor.sources.generated): a catalogue
    # entry the application may never run, so not workload; still read for what it says of the schema's tables
    catalogued: bool = False
    # the names of the functions (and classes) the statement is written in, innermost first: a
    # maintenance routine (`purge_expired`, advisor/oneoff.py) is no more workload than a migration; then
    # the maintenance routine that is the function's only caller (advisor.sources.maintenance_callers)
    scope: tuple[str, ...] = ()
    # the type each `$n` is declared with, where the code says it (a PL/pgSQL variable's, a SQL function's
    # argument's), "" where it does not: the explain stage plans with them (advisor.explain.params)
    param_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class StringBuilt:
    """SQL assembled from pieces at run time and handed to an execute call."""

    how: str  # "f-string", "%-format", ".format()", "concatenation"
    call: str  # the call it flows into, e.g. "cursor.execute"
    location: Location
    interpolated: tuple[str, ...] = ()  # source text of each unknown piece, e.g. ("table", "quote_ident(x)")


@dataclass(frozen=True)
class Suppression:
    location: Location
    rules: tuple[str, ...]  # empty: every rule


JS_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")  # the files of SourceFile.js_files
CODE_SUFFIXES = (".py", *JS_SUFFIXES)  # the modules of a language advisor parses
_STUBS = (".pyi", ".d.ts", ".d.mts", ".d.cts")  # type declarations: no code that runs


def code_file(path: str, runs: bool = False) -> bool:
    """A file of a language advisor parses (Python, JavaScript, TypeScript): its SQL is in its strings. `runs`:
    one whose code runs, not a type stub (`.pyi`, `.d.ts`), which only declares."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    stub = name.endswith(_STUBS)
    return (name.endswith(CODE_SUFFIXES) or stub) and not (runs and stub)


@dataclass
class SourceFile:
    """What extraction found in one file."""

    path: str
    text: str
    queries: list[Any] = field(default_factory=list)  # SqlQuery | MongoQuery
    string_built: list[StringBuilt] = field(default_factory=list)
    indexes: list[Any] = field(default_factory=list)  # index declarations found in code (Mongo)
    suppressions: list[Suppression] = field(default_factory=list)
    errors: list[tuple[Location, str]] = field(default_factory=list)
    # what advisor could not read in valid code (a newer Python's syntax than the one it runs on): said, not claimed
    unread: list[tuple[Location, str]] = field(default_factory=list)
    # the project's Python files (display path -> text), one mapping its files share, set by the loader:
    # where a function's calls are found (advisor.facts.callers)
    python_files: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # what this file says about names other files use, joined by advisor.sources.links once all are read
    links: Any = field(default=None, repr=False, compare=False)
    # the project's JS/TS files, likewise: the modules an import names (advisor.facts.js_imports)
    js_files: dict[str, str] = field(default_factory=dict, repr=False, compare=False)


# --- schema -----------------------------------------------------------------


@dataclass
class Column:
    name: str
    type: str  # lower-case type name as written, e.g. "integer", "varchar", "timestamptz"
    not_null: bool = False
    pinned: bool = False  # a CHECK holds it to one constant (CHECK (lock = 'X')): unique, the table has one row


@dataclass(frozen=True)
class IndexKey:
    """One key of an index: a column name, or an expression in canonical SQL."""

    expr: str
    is_column: bool = True
    desc: bool = False
    # an operator class the index names (`jsonb_path_ops`, `text_pattern_ops`), lower case: the operators the key
    # serves are its, so two keys on one expression with different classes are two indexes, not one twice
    opclass: str | None = None

    def __str__(self) -> str:
        return self.expr + (f" {self.opclass}" if self.opclass else "") + (" DESC" if self.desc else "")


@dataclass
class IndexDef:
    name: str
    table: str
    keys: tuple[IndexKey, ...]
    unique: bool = False
    primary: bool = False
    where: str | None = None  # canonical SQL of a partial index predicate
    include: tuple[str, ...] = ()
    method: str = "btree"
    location: Location | None = None
    constraint: bool = False  # backs a PRIMARY KEY / UNIQUE constraint
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(k.expr for k in self.keys)

    def signature(self) -> tuple:
        """What makes two indexes interchangeable to the planner."""
        return (self.table, self.method, self.keys, self.where)


@dataclass
class ForeignKey:
    table: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    location: Location | None = None
    name: str = ""  # as given, or the name PostgreSQL chooses (`<table>_<columns>_fkey`)
    on_delete: str = ""  # its ON DELETE action as written (CASCADE, SET NULL, ...): "" for NO ACTION


@dataclass
class Table:
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    partition_by: str | None = None  # e.g. "RANGE (timestamp)"
    partition_of: str | None = None
    inherits: list[str] = field(default_factory=list)  # INHERITS (parent, ...): the tables whose scans read it too
    location: Location | None = None  # of its CREATE TABLE; None when only ALTERed or indexed
    temporary: bool = False  # CREATE TEMP TABLE: a scratch table of one session
    kind: str = "table"  # "table", "view" (no storage, no indexes) or "materialized view"
    namespace: str = ""  # the schema its CREATE TABLE put it in, when one other than public: printed DDL names it
    view_sql: str = ""  # a view's query (its column list applied): what the planner reads in its place


_VALUE_COLUMNS = frozenset({"value", "val", "setting_value", "property_value"})


def _piles_up(expire_after: object) -> bool:
    """A TTL index whose documents pile up before they expire: any but one that keeps at most a day's (a literal
    of 86,400 seconds or less: a worker's heartbeat kept an hour holds a handful). 0 expires each document at the
    date it holds, which may be far off."""
    if expire_after is None or isinstance(expire_after, bool):
        return False
    return not (isinstance(expire_after, (int, float)) and 0 < expire_after <= 86_400)


def _named(name: str, patterns: list[str]) -> bool:
    """`name` (lower case, maybe schema-qualified) matches one of the config's table patterns (`*` wildcards)."""
    if not patterns:
        return False
    from fnmatch import fnmatchcase

    bare = name.rsplit(".", 1)[-1]
    return any(fnmatchcase(name, p.lower()) or fnmatchcase(bare, p.lower()) for p in patterns)


@dataclass
class RowChanges:
    """What the project's statements do to rows, table by table (schema/row_changes.py)."""

    added: set[str] = field(default_factory=set)  # tables a statement inserts into (or copies into, or merges into)
    deleted: set[str] = field(default_factory=set)  # tables a statement deletes rows of
    set_columns: dict[str, set[str]] = field(default_factory=dict)  # table -> the columns an UPDATE sets
    expired: set[str] = field(default_factory=set)  # tables a statement purges of the rows older than a cutoff
    # a statement deletes from a table whose name the run fills in, or one advisor could not parse:
    # any table's rows may go
    unknown: bool = False


@dataclass
class Schema:
    tables: dict[str, Table] = field(default_factory=dict)
    indexes: list[IndexDef] = field(default_factory=list)

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)

    def partitions(self, table: str) -> tuple[tuple[str, str], ...] | None:
        """For a partitioned table, its partitions as (namespace, name), each known and none partitioned in turn,
        so an index can be built on each CONCURRENTLY and attached; () when that cannot be done for all of them
        (none known, one partitioned again, or some made at run time: a gap); None when it is not partitioned."""
        t = self.tables.get(table)
        if t is None or not t.partition_by:
            return None
        below = [self.tables[c] for c in self._children().get(table, []) if c in self.tables]
        if not below or table in self.gaps or any(c.partition_by or c.partition_of != table for c in below):
            return ()
        return tuple((c.namespace, c.name) for c in below)

    def indexes_on(self, table: str) -> list[IndexDef]:
        """Its indexes: a partition has every index of its partitioned parents too (a child of INHERITS, its own
        only).  Kept per table: each partition of a deep tree would otherwise walk up to its root."""
        grouped = self._by_table()
        # both kept on the schema while they hold: their ids are theirs
        memo: dict[str, list[IndexDef]] = self._kept("_indexes_on", (id(grouped), id(self._children())), dict)
        chain: list[str] = []
        seen: set[str] = set()
        name: str | None = table
        while name is not None and name not in memo and name not in seen:
            chain.append(name)
            seen.add(name)
            t = self.tables.get(name)
            name = t.partition_of if t is not None and t.partition_of else None
        tail = memo.get(name, []) if name is not None and name not in seen else []
        for n in reversed(chain):
            tail = memo[n] = grouped.get(n, []) + tail if n in grouped else tail
        return list(memo[table])

    def scanned(self, table: str, only: bool = False) -> list[str]:
        """The tables whose rows a scan of `table` reads, as PostgreSQL plans it: the table and every table
        that inherits from it or is one of its partitions, down the tree (`FROM ONLY t`: t alone).  A
        partitioned table holds no rows itself, its partitions do; with none known, the table stands for them."""
        children = self._children()
        if only or table not in children:
            return [table]
        out: list[str] = []
        seen: set[str] = set()
        todo = deque([table])
        while todo:
            name = todo.popleft()
            if name in seen:
                continue
            seen.add(name)
            known = self.tables.get(name)
            below = children.get(name, [])
            if not (known is not None and known.partition_by and below):
                out.append(name)
            todo += below
        return out or [table]

    def inherited(self, table: str) -> bool:
        """Other tables inherit from it or are its partitions."""
        return bool(self._children().get(table))

    def _by_table(self) -> dict[str, list[IndexDef]]:
        """The indexes grouped by table: a lookup per query would otherwise scan every index (quadratic in a
        large schema)."""

        def build() -> dict[str, list[IndexDef]]:
            grouped: dict[str, list[IndexDef]] = {}
            for i in self.indexes:
                grouped.setdefault(i.table, []).append(i)
            return grouped

        return self._cached("_grouped", self.indexes, build)

    def _children(self) -> dict[str, list[str]]:
        """The tables that inherit from each table or are its partitions."""

        def build() -> dict[str, list[str]]:
            children: dict[str, list[str]] = {}
            for t in self.tables.values():
                for parent in dict.fromkeys([*t.inherits, *([t.partition_of] if t.partition_of else [])]):
                    children.setdefault(parent, []).append(t.name)
            return children

        return self._cached("_children_of", self.tables, build)

    def _cached(self, name: str, source, build):
        """`build()`, kept until `source` (a list or dict of this schema) is replaced or changes size."""
        return self._kept(name, (id(source), len(source)), build)

    def _kept(self, name: str, key: tuple, build):
        """`build()`, kept under `name` while `key` stays the same."""
        cached = self.__dict__.get(name)
        if cached is None or cached[0] != key:
            cached = self.__dict__[name] = (key, build())
        return cached[1]

    def column_type(self, table: str, column: str) -> str | None:
        t = self.table(table)
        if t is None:
            return None
        c = t.columns.get(column)
        return c.type if c else None

    def __bool__(self) -> bool:
        return bool(self.tables or self.indexes)

    # appended for the Trust section: rules that claim an absence ask `complete` first
    gaps: dict[str, str] = field(default_factory=dict)  # table -> what advisor could not see of it
    # table -> the schema statement about it advisor could not read (one of its gaps: the note names it)
    unread: dict[str, Location] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)  # the schema files of the config (DDL, migrations)
    # of those, the migration steps a snapshot named before them already holds (assemble.applied_steps): history,
    # neither replayed nor loaded into the seeded database
    history: set[str] = field(default_factory=set)
    # (path, line) of a code file's teardown DROP TABLE (a reset()'s: schema.assemble._without_teardown): neither
    # replayed nor run by the seeded database's load
    teardown: set[tuple[str, int]] = field(default_factory=set)
    # (path, line, DDL) of what a PL/pgSQL function the project's statements call creates in its body
    # (assemble._with_called_routines_ddl): replayed after its definition, and run by the seeded database's load
    called_ddl: list[tuple[str, int, str]] = field(default_factory=list)
    tiny: set[str] = field(default_factory=set)  # tables the config says stay small ([seed.tables.t] rows)
    # tables the config says grow large (`large-tables` patterns, [seed.tables.t] rows, production's counts)
    large: set[str] = field(default_factory=set)
    large_patterns: list[str] = field(default_factory=list)
    # tables the code reads piece by piece: by pages (OFFSET, skip) or the rows after a position it passes
    paged: set[str] = field(default_factory=set)
    # the tables the project's statements add rows to, delete rows from, or set columns of
    changes: RowChanges = field(default_factory=RowChanges)
    # CREATE FUNCTION statements a later definition of the same name replaces (schema.assemble.replaced_routines)
    replaced_routines: list[Location] = field(default_factory=list)

    def small(self, name: str) -> bool:
        """The config says this table or collection stays small, or its columns say it holds settings:
        reading it whole is the cheapest plan, so no rule whose claim rests on its size speaks about it."""
        return name.lower() in self.tiny or self.settings(name)

    def grows(self, name: str) -> bool:
        """advisor knows this table or collection holds many rows: the config says so, or the project
        does: it partitions the table, expires its documents (a TTL index: they pile up with use, unless it
        keeps at most a day's) or its rows (a purge of those older than a cutoff: RowChanges.expired), or
        reads it piece by piece (schema.assemble.paged_tables). A claim that rests on a table's size needs this; without it
        the rule says nothing, and one note (unknown-size) names the tables and how to say their size."""
        key = name.lower()
        if key in self.large or key in self.paged or key in self.changes.expired or _named(key, self.large_patterns):
            return True
        t = self.tables.get(key)
        if t is not None and (t.partition_by or t.partition_of):
            return True
        return any(
            i.method == "mongo" and _piles_up(i.options.get("expireAfterSeconds")) for i in self.indexes_on(name)
        )

    def settings(self, name: str) -> bool:
        """A table of settings: two columns, a name and its `value` (`metadata (name, value)`,
        `properties (property, value)`): one row per setting the code names, a handful."""
        t = self.tables.get(name.lower())
        if t is None or len(t.columns) != 2 or t.partition_by or t.inherits:
            return False
        names = [c.lower() for c in t.columns]
        return names[1] in _VALUE_COLUMNS and names[0] not in _VALUE_COLUMNS

    def complete(self, table: str) -> bool:
        """Its CREATE TABLE was seen and no statement declaring its indexes was unreadable."""
        t = self.tables.get(table)
        return t is not None and t.location is not None and table not in self.gaps

    def unseen(self, table: str, only: bool = False) -> str | None:
        """The first table a scan of `table` reads (itself, then what inherits from it: `scanned`) that advisor
        has not seen whole, if any: no claim that an index is absent holds on it.  A name qualified by its schema
        (a plan's relation, `app.jobs`) is looked up as the schema names it, unqualified when it is."""
        if table not in self.tables and "." in table:
            table = table.rsplit(".", 1)[-1]
        return next((t for t in dict.fromkeys([table, *self.scanned(table, only=only)]) if not self.complete(t)), None)


# --- findings ---------------------------------------------------------------


@dataclass
class Finding:
    """What is wrong here, and what to do about it."""

    rule: str  # rule id, e.g. "SQL001"
    message: str
    location: Location
    severity: Severity = "warning"
    help: str = ""
    fix: str | None = None  # DDL or createIndex spec, or a rewrite
    subject: str = ""  # stable words naming what is wrong (table.column), for fingerprints
    query: str | None = None  # the statement the finding is about
    query_location: Location | None = None
    evidence: Evidence = "static"
    metrics: dict[str, Any] = field(default_factory=dict)  # cost before/after, rows examined...
    fingerprint: str = ""
    suppressed: str | None = None  # "comment" or "baseline" when kept but not counted
    confidence: Confidence = "certain"

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.path, loc.line, loc.col, self.rule, self.message)
