"""The analysis step: a loaded project's queries, files and schema → the rules → findings.

`Analysis` collects the (rule name, hit) pairs of one project's rules and turns them into
findings with the rule's id and severity (catalogue, then the config's overrides), leaving
out the rules not enabled.  `analyse` is the whole static analysis of a project; the
EXPLAIN stage (advisor/live.py) adds its hits before `findings()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from advisor import catalogue
from advisor.config import Config
from advisor.discovery import display_path, read_text
from advisor.ir import Finding, Location, Schema, Severity, SourceFile, SqlQuery, code_file
from advisor.options import Options
from advisor.parse import without_stand_ins
from advisor.project import Project

if TYPE_CHECKING:
    from advisor.checks import Hit

PARSE_ERROR = "parse-error"
UNREAD_STATEMENT = "unread-statement"
INCOMPLETE_SCHEMA = "incomplete-schema"
UNKNOWN_SIZE = "unknown-size"
RULE_FAILED = "rule-failed"  # as advisor.checks.RULE_FAILED (not imported here: a cached run never loads the rules)


class Analysis:
    def __init__(self, config: Config, options: Options):
        self.config = config
        self.options = options
        patterns = options.select or config.select
        ignored = catalogue.select(list(config.ignore) + list(options.ignore))
        # a selected rule that fails says so unless rule-failed itself is ignored: selecting rules must not
        # turn their failures into silent misses
        self.enabled = (catalogue.select(patterns) | catalogue.select([RULE_FAILED])) - ignored
        # nor selecting a rule whose claims need a table's size: where it keeps them back, the note says so
        if any(spec.sized for id_, spec in catalogue.catalogue().items() if id_ in self.enabled):
            self.enabled |= catalogue.select([UNKNOWN_SIZE]) - ignored
        self.hits: list[tuple[str, Hit]] = []  # (rule name, hit)
        self.unsupported_said: set[str] = set()  # files where unreadable PostgreSQL was already said (once each)
        self.unread: dict[str, list] = {}  # path -> (query, failure) of the SQL in code advisor could not read
        # path -> its statements in code whose table advisor could not name
        self.unnamed: dict[str, list[SqlQuery]] = {}
        self.queries = 0
        self.has_schema = False  # without any DDL, the absence rules are silent, and one note says so
        self.unread_schema: dict[str, Location] = {}  # table -> the schema statement about it advisor could not read
        self.schema = Schema()  # the project's, once the schema rules run: where unread MongoDB keys are looked up

    def enabled_name(self, name: str) -> bool:
        spec = catalogue.lookup(name)
        return spec is not None and spec.id in self.enabled

    def elsewhere(self, query: SqlQuery) -> bool:
        """Another database's SQL: its file's folder or name says so (db/mysql/...), or the code runs it on
        another database's connection (advisor.sources.sqlite_calls)."""
        from advisor.parse import another_database

        return query.dialect != self.config.dialect or another_database(query.location.path, query.dialect)

    def parse_errors(self, queries: list[SqlQuery]) -> None:
        """A parse-error hit for each statement that does not parse (built at run time: not reported)."""
        from advisor.checks import Hit
        from advisor.parse import (
            ParseFailure,
            failure_location,
            failure_reported,
            failure_severity,
            parse_sql,
        )

        for query in queries:
            tree = parse_sql(query.text, query.dialect)
            if not isinstance(tree, ParseFailure) or not failure_reported(query, tree):
                continue  # parsed, or not the whole statement as it runs: advisor is unsure, so silent
            # the DDL of a code file read as schema (schema.code_keys.code_schema_statement): said as code's is, once
            in_code = query.source == "schema" and code_file(query.location.path)
            if tree.unsupported:
                if query.location.path not in self.unsupported_said:
                    self.unsupported_said.add(query.location.path)
                    self.hits.append(  # valid PostgreSQL, not the author's error: what advisor could not read
                        (
                            UNREAD_STATEMENT,
                            Hit(
                                "advisor's parser does not read this PostgreSQL syntax; it skips statements like this one "
                                "in this file",
                                failure_location(query, tree),
                                severity="info",
                                subject="unsupported syntax",
                                query=query.text,
                                query_location=query.location,
                            ),
                        )
                    )
            elif query.source not in ("sql", "schema") or in_code or self.elsewhere(query):
                self.unread.setdefault(query.location.path, []).append((query, tree))  # said once per file
            else:
                self.hits.append(
                    (
                        PARSE_ERROR,
                        Hit(
                            f"cannot parse this statement: {tree.message}",
                            failure_location(query, tree),
                            help=f"check the syntax for the {query.dialect} dialect; advisor skips this statement",
                            subject=tree.message,
                            query=query.text,
                            query_location=query.location,
                            severity=failure_severity(query, tree),
                        ),
                    )
                )

    def source(self, source: SourceFile, schema: Schema, custom_plans: bool = False) -> None:
        """The hits of every query of one file, and of the file itself (`custom_plans`: the project's drivers
        plan each statement with its values, advisor.facts.drivers)."""
        from advisor.checks import Hit, QueryContext, failure, load_checks, run_rules
        from advisor.facts.sql import build_facts
        from advisor.parse import parse_sql

        load_checks()  # here, not in __init__: a run served from the cache never imports sqlglot
        for location, message in source.errors:  # outside .sql files: what advisor could not read is info
            if source.path.endswith((".d.ts", ".d.mts", ".d.cts")):
                continue  # a declaration file holds types only, no code that runs: nothing unread is lost
            severity = None if source.path.endswith(".sql") else "info"
            self.hits.append((PARSE_ERROR, Hit(message, location, subject=message, severity=severity)))
        for location, message in source.unread:  # valid code advisor could not read: a coverage note, not an error
            self.hits.append((UNREAD_STATEMENT, Hit(message, location, subject=message)))
        sql_queries = [q for q in source.queries if isinstance(q, SqlQuery)]
        for n, query in enumerate(sql_queries):
            self.parse_errors([query])  # right before its rules: each statement is parsed once, cache or not
            self.queries += 1
            tree = parse_sql(query.text, query.dialect)
            if not hasattr(tree, "find_all") or self.elsewhere(query):
                continue  # another database's SQL (db/mysql/..., a SQLite connection's) that parses: not ours
            if query.source not in ("sql", "schema") and _unnamed_table(tree):
                self.unnamed.setdefault(source.path, []).append(query)
            try:
                facts = build_facts(tree, schema)
            except Exception as exc:  # noqa: BLE001  what every query rule reads: its bug must not end the run
                self.hits.append(
                    (
                        RULE_FAILED,
                        failure("query rules", exc, query.location, "building the facts the query rules read"),
                    )
                )
                continue
            neighbours = (sql_queries[n - 1] if n else None, sql_queries[n + 1] if n + 1 < len(sql_queries) else None)
            context = QueryContext(query, tree, facts, schema, neighbours, custom_plans)
            self.hits += run_rules("query", context, query.location, self.enabled_name, once=context.runs_once)
        self._unread_note(source.path)
        others = [q for q in source.queries if not isinstance(q, SqlQuery)]
        if others:
            from advisor.checks.mongo import check_query

            for query in others:
                self.queries += 1
                self.hits += check_query(query, schema, self.enabled_name)
        self.hits += run_rules("source", source, Location(source.path, 1, 1), self.enabled_name)

    def schema_rules(self, schema: Schema, checked_paths: list[str]) -> None:
        """The hits of the schema rules on the checked files (a schema rule's failure: on the first of them)."""
        from advisor.checks import load_checks, run_rules

        load_checks()
        self.schema = schema
        self.has_schema = bool(schema.tables)
        self.unread_schema = dict(schema.unread)
        if not checked_paths:
            return
        where = Location(checked_paths[0], 1, 1)
        self.hits += [
            (name, hit)
            for name, hit in run_rules("schema", schema, where, self.enabled_name)
            if hit.location.path in checked_paths
        ]

    def project_rules(self, project: Project) -> None:
        """The hits of the rules that see the whole project (a failure: at its first file)."""
        from advisor.checks import run_rules

        if project.sources:
            self.hits += run_rules("project", project, Location(project.sources[0].path, 1, 1), self.enabled_name)

    def findings(self) -> list[Finding]:
        out = []
        withheld: dict[str, set[str]] = {}  # rule name -> tables not wholly seen
        unsized: list[tuple[str, Hit]] = []  # claims on the size of tables advisor knows nothing of
        said: set[tuple] = set()  # the variants of one built statement (each IF's text) say the same once
        for name, hit in self.hits:
            spec = catalogue.lookup(name)
            if spec is None or spec.id not in self.enabled or (name, hit.location, hit.message) in said:
                continue
            said.add((name, hit.location, hit.message))
            if hit.withheld:
                withheld.setdefault(name, set()).add(hit.withheld)
                continue
            if hit.unsized:
                unsized.append((name, hit))
                continue
            severity = cast(Severity, self.config.severity.get(spec.id) or hit.severity or spec.severity)
            out.append(
                Finding(
                    rule=spec.id,
                    message=without_stand_ins(
                        hit.message
                    ),  # every family's hits: no stand-in of a template in a message
                    location=hit.location,
                    severity=severity,
                    help=without_stand_ins(hit.help) if hit.help else hit.help,
                    # a fix names objects exactly: none where a name holds a part only the run knows
                    fix=hit.fix if hit.fix is None or without_stand_ins(hit.fix) == hit.fix else None,
                    subject=hit.subject,
                    query=hit.query,
                    query_location=hit.query_location,
                    metrics=dict(hit.metrics),
                    evidence=hit.metrics.get("evidence", "static"),
                    confidence=getattr(hit, "confidence", "certain"),
                )
            )
        note = self._incomplete_schema_note(withheld, [h for _, h in self.hits if getattr(h, "withheld", None)])
        sizes = self._unknown_size_note(unsized)
        unnamed = self._unnamed_note()
        return out + ([note] if note else []) + ([sizes] if sizes else []) + ([unnamed] if unnamed else [])

    def _unknown_size_note(self, unsized: list[tuple[str, Hit]]) -> Finding | None:
        """One note per project for the claims that rest on the size of tables advisor knows nothing of
        (Schema.grows): whether a scan or a sort in memory matters is the table's size, which the code
        rarely says. The note names the tables, their claims and where the first one is."""
        spec = catalogue.lookup(UNKNOWN_SIZE)
        if not unsized or spec is None or spec.id not in self.enabled:
            return None
        by_table: dict[str, list[tuple[str, Hit]]] = {}
        for name, hit in unsized:
            by_table.setdefault(without_stand_ins(hit.unsized or ""), []).append((name, hit))
        at = lambda h: (h.location.path, h.location.line, h.location.col)  # noqa: E731
        firsts = {t: min((h for _, h in hs), key=at) for t, hs in by_table.items()}
        order = sorted(by_table, key=lambda t: (*at(firsts[t]), t))
        listed = []
        for table in order[:8]:
            counts: dict[str, int] = {}
            for name, _ in by_table[table]:
                counts[name] = counts.get(name, 0) + 1
            said = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
            where = firsts[table].location
            listed.append(f"{table} ({said}; first at {where.path}:{where.line})")
        more = f" and {len(order) - 8} more" if len(order) > 8 else ""
        n = len(unsized)
        first = firsts[order[0]].location
        tables = ", ".join(f'"{t}"' for t in order[:3])
        # MongoDB's rules speak of collections (their ids MGO...), the others of tables
        mongo = {self._speaks_of_collection(name, hit) for name, hit in unsized}
        thing = "collection" if mongo == {True} else "table" if mongo == {False} else "table or collection"
        things = "collections" if mongo == {True} else "tables" if mongo == {False} else "tables and collections"
        return Finding(
            rule=spec.id,
            severity=cast(Severity, self.config.severity.get(spec.id) or spec.severity),
            location=first,
            message=f"advisor does not know whether {f'this {thing} grows' if len(order) == 1 else f'these {things} grow'} "
            + (
                f"large, so it did not make the one claim that only matters on a large {thing}: "
                if n == 1
                else f"large, so it made none of the {n} claims that only matter on a large {thing}: "
            )
            + "; ".join(listed)
            + more,
            help=f"name the tables that grow large in advisor.toml, and advisor makes these claims: large-tables = "
            f'[{tables}] (or ["*"] for every table); production\'s row counts say it too ([seed] stats, from '
            "`advisor stats export`); a table that stays small: [seed.tables.<name>] rows = 100",
            subject=",".join(order),
        )

    def _speaks_of_collection(self, name: str, hit: Hit) -> bool:
        """A MongoDB rule's claim, or a schema rule's on a collection (its indexes are MongoDB's)."""
        spec = catalogue.lookup(name)
        if spec is not None and spec.id.startswith("MGO"):
            return True
        return any(i.method.startswith("mongo") for i in self.schema.indexes_on(hit.unsized or ""))

    def _unread_note(self, path: str) -> None:
        """One note per file for the SQL in its code advisor could not read (another database's SQL, a clause the
        code builds, a driver's own placeholders, syntax its parser does not know): what it could not check, not an
        error."""
        from advisor.checks import Hit
        from advisor.parse import failure_location

        unread = self.unread.pop(path, [])
        if not unread:
            return
        query, failure = unread[0]
        n = len(unread)
        self.hits.append(
            (
                UNREAD_STATEMENT,
                Hit(
                    f"advisor could not read {'this SQL statement' if n == 1 else f'{n} SQL statements in this file'} "
                    f"({'this one: ' if n > 1 else ''}{failure.message}), so it did not check "
                    f"{'it' if n == 1 else 'them'}: SQL of another database, a clause the code builds where it runs, "
                    "a driver's own placeholders, or syntax advisor's parser does not know",
                    failure_location(query, failure),
                    help="if this code talks to another database, leave it out (`exclude`) or check it with its "
                    "own `dialect` in a config of its folder; if it is PostgreSQL, run it: a syntax error is "
                    "PostgreSQL's to report",
                    subject=f"unread:{n}",
                    query=query.text,
                    query_location=query.location,
                ),
            )
        )

    def _unnamed_note(self) -> Finding | None:
        """One note per project for the statements in its code whose table advisor could not name (a helper's
        `INSERT INTO {table} ...` filled in by each caller, a name built where advisor does not follow): read, and
        checked against no table."""
        spec = catalogue.lookup(UNREAD_STATEMENT)
        if not self.unnamed or spec is None or spec.id not in self.enabled:
            return None
        files = sorted(self.unnamed, key=lambda p: (-len(self.unnamed[p]), p))
        n = sum(len(qs) for qs in self.unnamed.values())
        first = min((q.location for qs in self.unnamed.values() for q in qs), key=lambda at: (at.path, at.line))
        most = ", ".join(f"{p} ({len(self.unnamed[p])})" for p in files[:3]) + (
            f" and {len(files) - 3} more files" if len(files) > 3 else ""
        )
        return Finding(
            rule=spec.id,
            severity=cast(Severity, self.config.severity.get(spec.id) or spec.severity),
            location=first,
            message=(
                f"advisor read {'one SQL statement' if n == 1 else f'{n} SQL statements'} in code without naming "
                f"{'its table' if n == 1 else 'their tables'} (a name the code gives where it runs, `FROM {{table}}` "
                f"filled in by a caller, or one it builds in a way advisor does not follow), so no rule checked "
                f"{'it' if n == 1 else 'them'} against the schema: {'here' if n == 1 else f'the first here; in {most}'}"
            ),
            help='advisor follows a table name the code fixes (a constant, a class attribute, `.format("jobs")`, a '
            "parameter every call passes the same text); a name each caller passes its own is the run's to say",
            subject=f"unnamed:{n}",
        )

    def _schema_setting(self) -> Location | None:
        """Where the config names its schema: a note about the config belongs there, not on a query."""
        source = self.config.source
        if source is None:
            return None
        text, _ = read_text(source, 1 << 20)
        lines = (text or "").splitlines()
        line = next((n for n, t in enumerate(lines, 1) if re.match(r"\s*schema\s*=", t)), 1)
        return Location(display_path(source), line)

    def _unread_keys(self, collection: str) -> tuple[Location, bool] | None:
        """The first declaration on the collection whose keys advisor could not read, found as the MongoDB rules
        that kept their claims back found it (mongo.indexes.unread_named), and whether it is fields spread into a
        schema's definition from elsewhere rather than an index declaration."""
        from advisor.mongo.indexes import unread_named

        found = [
            (i.location, bool(i.options.get("spread"))) for i in unread_named(self.schema, collection) if i.location
        ]
        return min(found, key=lambda f: (f[0].path, f[0].line)) if found else None

    def _incomplete_schema_note(self, withheld: dict[str, set[str]], hits: list) -> Finding | None:
        """One note per project for the absence claims advisor kept to itself (Trust, DESIGN.md). A table
        it lost to a schema statement it could not read is named with that statement: the config is right."""
        spec = catalogue.lookup(INCOMPLETE_SCHEMA)
        if not withheld or spec is None or spec.id not in self.enabled:
            return None
        tables = sorted({without_stand_ins(t) for t in set().union(*withheld.values())})
        unread = {t: self.unread_schema[t] for t in tables if t in self.unread_schema}
        first_unread = {t: got for t in tables if t not in unread and (got := self._unread_keys(t)) is not None}
        keys = {t: at for t, (at, spread) in first_unread.items() if not spread}
        spread = {t: at for t, (at, spread) in first_unread.items() if spread}
        # a declaration on a collection advisor could not name, which would serve a query it kept its claim on back
        named: dict[str, Location] = {}
        for hit in sorted(hits, key=lambda h: (h.withheld_at.path, h.withheld_at.line) if h.withheld_at else ("", 0)):
            if hit.withheld_at is not None:
                named.setdefault(without_stand_ins(hit.withheld), hit.withheld_at)
        maybe = {t: named[t] for t in tables if t not in unread and t not in first_unread and t in named}
        unseen = [t for t in tables if t not in unread and t not in first_unread and t not in maybe]
        if not (unseen or unread or first_unread or maybe):
            return None
        rules = ", ".join(sorted(withheld))
        where = f"{self.config.source.name}" if self.config.source else "advisor.toml"
        first = min(hits, key=lambda h: (h.location.path, h.location.line))
        said, helps = [], []
        if unseen:
            shown = ", ".join(unseen[:8]) + (f" and {len(unseen) - 8} more" if len(unseen) > 8 else "")
            # without any DDL, every table is unseen: said as the config's want, not as each table's
            none_read = (
                "its schema files create no table advisor could name"
                if self.config.schema
                else "the config names no schema files"
                if self.config.source
                else "no config file names schema files"
            )
            said.append(
                f"has not seen the whole definition of {shown}"
                if self.has_schema
                else f"read no table's definition ({none_read}): not of {shown}"
            )
            helps.append(
                f"point `schema` in {where} at the files that create these tables and their indexes (a schema "
                'dump, the migrations\' .sql files): schema = ["db/schema.sql"]'
            )
        unreadable = (
            (
                unread,
                "could not read the statement at {at}, which changes {names}",
                "run the statement in PostgreSQL: if PostgreSQL rejects it, fix it; if it runs, advisor's parser "
                "does not know part of its syntax, and these tables stay unchecked until it is written in a form "
                "advisor reads",
            ),
            (
                keys,
                "could not read the keys of the index declaration at {at}, on {names}",
                "advisor reads the keys an index declaration writes (literals, the module's constants); one whose "
                "keys the run supplies (a list a caller passes, a setting) may serve these queries: write them "
                "where advisor can read them, and it judges the collection's queries",
            ),
            (
                spread,
                "could not read the fields spread into the schema of {names} at {at}, which may declare its indexes",
                "advisor reads the fields a mongoose schema's definition writes, and an object of the module spread "
                "into it; fields spread from another package or a call (`...base.fields`) may carry `index: true` "
                "and serve these queries: declare those indexes in the project (`schema.index({...})`), or spread "
                "an object the module writes, and advisor judges the collection's queries",
            ),
            (
                maybe,
                "could not name the collection of the index declaration at {at}, which may be {names}",
                "advisor names the collection a declaration is made on when the code does (a literal, a constant, a "
                "literal list a loop walks, a class's collection its callers name); one named only at run time "
                "(`db[name].create_index(...)`) may be any collection, and its keys would serve queries of these: "
                "declare the index where the collection is named, and advisor judges them",
            ),
        )
        for where_read, saying, help_text in unreadable:
            for at in sorted(set(where_read.values()), key=lambda loc: (loc.path, loc.line)):
                names = ", ".join(t for t in where_read if where_read[t] == at)
                said.append(saying.format(at=f"{at.path}:{at.line}", names=names))
            if where_read:
                helps.append(help_text)
        located = {**unread, **keys, **spread, **maybe}
        location = (
            self._schema_setting()
            if unseen or not located
            else min(located.values(), key=lambda loc: (loc.path, loc.line))
        )
        return Finding(
            rule=spec.id,
            severity=cast(Severity, self.config.severity.get(spec.id) or spec.severity),
            location=location or first.location,
            message=f"advisor {'; it '.join(said)}, so it stayed silent where {rules} would claim an index or "
            "a condition is absent",
            help="; ".join(helps),
            subject=",".join(tables),
        )


@dataclass
class Analysed:
    """The static analysis of one project: its analysis (hits so far) and the statements per file."""

    analysis: Analysis
    queries: dict[str, int] = field(default_factory=dict)  # display path -> statements checked
    local: bool = True  # every hit is on the file it came from (results cached per file stay true)


def analyse(project: Project, options: Options) -> Analysed:
    """Every static rule on a loaded project: parse errors, query, MongoDB, source and schema rules."""
    from advisor.facts.drivers import custom_plans

    analysis = Analysis(project.config, options)
    analysis.parse_errors(project.schema_queries)
    out = Analysed(analysis)
    plans = custom_plans(project.config.root, [s.text for s in project.sources])
    for source in project.sources:
        first_hit, first_query = len(analysis.hits), analysis.queries
        analysis.source(source, project.schema, plans)
        out.queries[source.path] = analysis.queries - first_query
        if any(hit.location.path != source.path for _, hit in analysis.hits[first_hit:]):
            out.local = False  # a finding about another file: cached per file, it could go stale
    analysis.schema_rules(project.schema, sorted({s.path for s in project.sources}))
    analysis.project_rules(project)
    return out


def _unnamed_table(tree) -> bool:
    """A query or DML statement (not DDL, TRUNCATE or COPY) one of whose tables is a template's stand-in (`FROM
    {table}`): advisor knows no table it reads or writes there."""
    from sqlglot import exp

    from advisor.parse import is_placeholder_name

    kinds = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Insert, exp.Update, exp.Delete, exp.Merge)
    return isinstance(tree, kinds) and any(is_placeholder_name(t.name) for t in tree.find_all(exp.Table))
