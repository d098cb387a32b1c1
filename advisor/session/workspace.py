"""The session's state: a database to plan on, the schema, the indexes tried.

On advisor's own (seeded) database the whole session runs inside one
transaction that is rolled back when it ends: each `\\try` is a savepoint, so
`\\drop` rolls back to it and nothing the session builds outlives it, not
even in the cached seeded database.  On a database given with --dsn the
session only reads: `\\try` uses HypoPG's hypothetical indexes, and fails with
a clear message where HypoPG is not installed.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from advisor.config import Config
from advisor.indexes.verify import build_limit, index_parts
from advisor.ir import Finding, SqlQuery
from advisor.options import Options
from advisor.project import Project
from advisor.session.report import Advice, PlanFinding, QueryReport, TryReport

if TYPE_CHECKING:
    from psycopg import Connection

    from advisor.explain.plan import Plan
    from advisor.mongo.shape import MongoQuery
    from advisor.seed.prepare import Prepared
    from advisor.seed.server import Target


class SessionError(Exception):
    """A command that cannot be carried out; the session goes on."""


@dataclass
class Tried:
    name: str
    ddl: str
    savepoint: str | None = None  # own database: roll back to it
    hypo_oid: int | None = None  # HypoPG: drop it by oid
    size_bytes: int | None = None
    build_ms: float | None = None
    names: list[str] = dataclasses.field(default_factory=list)  # the index and its partitions' indexes


CREATE_INDEX = re.compile(
    r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(IF\s+NOT\s+EXISTS\s+)?"
    r'(?P<name>(?!ON\b)(?:"(?:[^"]|"")+"|[\w$.])+\s+)?ON\b',
    re.IGNORECASE,
)


class Workspace:
    def __init__(
        self,
        project: Project,
        *,
        dsn: str | None = None,
        mongo_uri: str | None = None,
        analyze: bool = False,
        progress: bool = False,
    ):
        self.config = project.config
        self.dsn = dsn
        self.mongo_uri = mongo_uri
        self.analyze = analyze
        self.progress = progress
        self.params: list[str] = []
        self.tried: list[Tried] = []
        self.last: QueryReport | None = None
        self.recommended: dict[str, tuple[Advice, str]] = {}  # ddl -> (advice, query text)
        self.mode = "sql"
        self.notes: list[str] = []
        self.rows_override: int | None = None
        self.schema = project.schema
        self._prepared: Prepared | None = None
        self._conn: Connection | None = None
        self._table_rows: dict[str, float] = {}
        self._partitions: dict[str, list[str]] = {}
        self._partition_keys: dict[str, list[str]] = {}

    # --- schema and database -------------------------------------------------------

    @property
    def has_schema_files(self) -> bool:
        from advisor.schema.assemble import schema_files

        return bool(schema_files(self.config))

    @property
    def owned(self) -> bool:
        return bool(self._prepared and self._prepared.target.owned)

    def _seed_config(self) -> Config:
        if self.rows_override is None:
            return self.config
        seed = dict(self.config.seed or {})
        seed["rows"] = self.rows_override
        tables = {
            name: {k: v for k, v in spec.items() if k != "rows"} for name, spec in (seed.get("tables") or {}).items()
        }
        if tables:
            seed["tables"] = tables
        return dataclasses.replace(self.config, seed=seed)

    def connection(self):
        """The open connection, preparing (starting, loading, seeding) the database on first use."""
        if self._conn is not None and self._conn.closed:
            self._reopen()
        if self._conn is not None:
            return self._conn
        from advisor.checks.plans import partition_keys_of
        from advisor.explain.stage import catalog
        from advisor.seed.prepare import prepare
        from advisor.seed.server import connect

        if not self.has_schema_files and not self.dsn:
            where = (
                f"{self.config.label}: no schema files configured (schema = [...])"
                if self.config.source
                else f"no advisor config (advisor.toml) at or above {self.config.root}"
            )
            raise SessionError(
                f"{where}: nothing to load and seed; use -C DIR for a project, or --dsn to plan on an existing database"
            )
        from advisor.seed import limits

        with limits.Watch(limits.Deadline.stage().spent):  # seeding under the stage's time limit
            self._prepared = prepare(self._seed_config(), self.dsn, progress=self.progress, schema=self.schema)
        self.notes += self._prepared.notes
        for err in self._prepared.load_errors:
            self.notes.append(str(err))
        target = self._prepared.target
        try:
            conn = connect(target.conninfo, autocommit=True)
            if not target.owned:
                conn.execute("SET default_transaction_read_only = on")
            self._table_rows, self._partitions = catalog(conn)
            self._partition_keys = partition_keys_of(conn)
            if target.owned:
                conn.execute("BEGIN")  # the session's transaction: rolled back at the end
        except BaseException:
            target.close()
            raise
        self._conn = conn
        return conn

    def _target(self) -> Target:
        """The database connection() prepared."""
        if self._prepared is None:
            raise SessionError("no database prepared")  # connection() prepares it: never seen
        return self._prepared.target

    def _reopen(self) -> None:
        """The server ended the connection (a statement terminated it, a restart): open a new one on the next
        use rather than fail every command; what the session built went with the old one."""
        lost = [t.name for t in self.tried]
        self.close()
        self.tried = []
        self.notes.append(
            "the connection to the database was lost and is opened again"
            + (f"; tried indexes gone: {', '.join(lost)}" if lost else "")
        )

    def close(self) -> None:
        if self._conn is not None:
            try:
                if self.owned:
                    self._conn.execute("ROLLBACK")
                self._conn.close()
            except Exception:  # noqa: BLE001 -- a broken connection is closed anyway
                pass
            self._conn = None
        if self._prepared is not None:
            self._prepared.target.close()
            self._prepared = None

    def describe_target(self) -> str:
        from advisor.secrets import mask

        if self._prepared is None:
            return "not connected yet"
        target = self._prepared.target
        if self.dsn and target.owned:
            return f"scratch database on {mask(self.dsn)} (advisor's own: ANALYZE and \\try allowed)"
        if self.dsn:
            hypo = "HypoPG installed" if target.hypopg else "no HypoPG: \\try unavailable"
            return f"{mask(self.dsn)} (read-only; {hypo})"
        rows = sum(self._prepared.seeded.values()) if self._prepared.seeded else None
        how = "reused from cache" if self._prepared.reused else (f"seeded {rows:,} rows" if rows else "seeded")
        return f"embedded PostgreSQL, {how}"

    # --- queries -------------------------------------------------------------------

    def _settings(self):
        from advisor.seed.settings import explain_settings

        return explain_settings(self.config)

    def statements(self, text: str) -> list:
        """The statements (SQL) or shapes (Mongo mode, mongosh or driver syntax) in the text typed."""
        from advisor import sources

        suffix = "js" if self.mode == "mongo" else "sql"
        source = sources.extract(f"input.{suffix}", text, self.config.dialect)
        if source.errors:
            raise SessionError("; ".join(message for _, message in source.errors))
        return list(source.queries)

    def static_findings(self, text: str, suffix: str = "sql") -> list[Finding]:
        from advisor import sources
        from advisor.analysis import Analysis

        analysis = Analysis(self.config, Options())
        analysis.source(sources.extract(f"input.{suffix}", text, self.config.dialect), self.schema)
        return analysis.findings()

    def explain(self, query: SqlQuery) -> QueryReport:
        """Static findings, the plan, plan findings and the measured index advice of one statement."""
        from advisor.explain.advise import answers_static
        from advisor.explain.stage import plan_query, plannable

        report = QueryReport(query.text.strip(), query=query)
        report.static = self.static_findings(query.text)
        if not plannable(query):
            report.error = _not_plannable(query.text)
            report.outcome = "error"
            self.last = report
            return report
        conn = self.connection()
        analyze = self.analyze and not self._read_only_write(query.text)
        needed = _placeholders(query.text)
        missing = self._missing_params(needed) if analyze else None
        settings = self._settings()
        params = self._quoted_params()[:needed] if self.params and needed else None  # the report shows them
        run = plan_query(
            conn, query, self.schema, settings, self._target(), analyze and not missing, params=params, typed=True
        )
        if run.error and "multiple commands" in run.error:
            run.error = (
                "PostgreSQL reads more than one statement in this text (it ends a string or comment where "
                "advisor's splitter did not): nothing was run; type the statements one at a time"
            )
        report.params = run.params
        report.outcome, report.reason = run.outcome, run.reason
        # the measurement answers the static guess: show the measured advice, not both
        report.static = [f for f in report.static if not answers_static(run.outcome, f.rule)]
        read_only = self.analyze and not analyze
        report.error = (
            missing or (read_only and "EXPLAIN only: this database is read-only and the statement writes") or run.error
        )
        report.plan = run.analyzed or run.plan
        report.analyzed = run.analyzed is not None
        if report.plan is not None:
            report.plan_findings = self._plan_findings(report.plan)
        m = run.best
        if m is not None and run.plan is not None and m.cost_after is not None:  # (advise sets all three)
            report.advice = Advice(
                index=m.candidate.describe(),
                ddl=m.candidate.ddl(),
                cost_before=run.plan.cost,
                cost_after=m.cost_after,
                size_bytes=m.size_bytes,
                build_ms=m.build_ms,
                evidence="measured" if self.owned else "planned",
                time_before_ms=run.time_ms,
                time_after_ms=m.time_after_ms,
            )
            if run.outcome == "recommended":
                self.recommended[report.advice.ddl] = (report.advice, report.text)
        self.last = report
        return report

    def _read_only_write(self, text: str) -> bool:
        """A writing statement on a database advisor may not write to: plan it, never run it."""
        return not self.owned and bool(
            re.match(r"^\s*(WITH\b.*\b)?(INSERT|UPDATE|DELETE|MERGE)\b", text, re.IGNORECASE | re.DOTALL)
        )

    def _missing_params(self, needed: int) -> str | None:
        """Why the statement cannot run with the \\params given (too few values), else None."""
        if not self.params or len(self.params) >= needed:
            return None
        return (
            f"EXPLAIN only: the statement has {needed} parameters ($1..${needed}) and \\params gave "
            f"{len(self.params)}: give them all, or \\params alone to sample them from the data"
        )

    def _quoted_params(self) -> list[str]:
        return ["'" + p.replace("'", "''") + "'" for p in self.params]

    def _plan_findings(self, plan: Plan) -> list[PlanFinding]:
        from advisor import catalogue
        from advisor.checks.plans import PlanContext, plan_hits

        ctx = PlanContext(
            plan,
            self._table_rows,
            self._partitions,
            self._settings(),
            partition_keys=self._partition_keys,
            small=self.schema.small,
        )
        out = []
        for name, hit in plan_hits(ctx, lambda n: True):
            spec = catalogue.lookup(name)
            out.append(PlanFinding(name, spec.id if spec else "", hit.message, hit.help, hit.metrics.get("node")))
        return out

    def explain_mongo(self, query: MongoQuery) -> QueryReport:
        """A MongoDB shape: static findings and the static planner's choice; the server's with --mongo-uri."""
        from advisor.checks.mongo import indexes_for
        from advisor.mongo.planner import leading_stages, plan_find

        report = QueryReport(query.text.strip() or f"{query.collection}.{query.operation}(...)", kind="mongo")
        report.static = self.static_findings(query.text, suffix="js")
        indexes, _ = indexes_for(self.schema, query)
        plan = None
        if query.is_aggregate:
            lead = leading_stages(query.pipeline) if isinstance(query.pipeline, list) else None
            if lead is not None:
                plan = plan_find(None, lead.sort, indexes, None, info=lead.info, hint=query.hint)
        elif query.operation not in ("insertOne", "insertMany", "createIndex"):
            plan = plan_find(query.filter, query.sort, indexes, query.projection, hint=query.hint)
        report.mongo_plan = plan.describe() if plan is not None else None
        if self.mongo_uri:
            from advisor.analysis import Analysis
            from advisor.mongo.live_explain import ExplainError, explain_live

            try:
                analysis = Analysis(self.config, Options())
                analysis.hits = explain_live([query], self.mongo_uri)
                report.static += analysis.findings()
            except ExplainError as exc:
                report.error = str(exc)
        self.last = report
        return report

    # --- \try and \drop -----------------------------------------------------------------

    def try_index(self, ddl: str) -> TryReport:
        """Build an index (or a hypothetical one) and re-plan the last query beside its old plan."""
        tried = self._build(ddl)
        self.tried.append(tried)
        result = TryReport(
            tried.ddl + ";",
            tried.name,
            tried.size_bytes,
            tried.build_ms,
            hypothetical=tried.hypo_oid is not None,
            index_names=tried.names or [tried.name],
        )
        before = self.last
        if before is not None and before.kind == "sql" and before.query is not None:
            result.before = before
            result.after = self.explain(before.query)
        return result

    def _build(self, ddl: str) -> Tried:
        """The index of a `\\try`, built in a savepoint (own database) or by HypoPG (--dsn)."""
        m = CREATE_INDEX.match(ddl)
        if not m:
            raise SessionError("\\try takes a CREATE INDEX statement, e.g. \\try CREATE INDEX ON users (lower(email))")
        from advisor.sources.sql_files import split_statements

        if len(split_statements(ddl)) > 1:
            raise SessionError("\\try takes one CREATE INDEX statement")
        ddl = ddl.strip().rstrip(";")
        ddl = re.sub(r"\bCONCURRENTLY\s+", "", ddl, count=1, flags=re.IGNORECASE)  # not allowed in a transaction
        conn = self.connection()
        target = self._target()
        if m.group("name"):
            name = _folded(m.group("name").strip())
        else:
            name = self._free_name(conn)
            ddl = re.sub(
                r"\bINDEX\s+(IF\s+NOT\s+EXISTS\s+)?ON\b", rf"INDEX \1{name} ON", ddl, count=1, flags=re.IGNORECASE
            )
        tried = Tried(name, ddl)
        if target.owned:
            self._build_owned(conn, tried, len(self.tried) + 1)
        elif target.hypopg:
            self._build_hypothetical(conn, tried)
        else:
            raise SessionError(
                "\\try needs HypoPG on this server (CREATE EXTENSION hypopg): advisor never builds "
                "real indexes in a database it did not create"
            )
        return tried

    def _free_name(self, conn) -> str:
        """advisor_try_N, with N free: a name typed in an earlier \\try may have taken one."""
        n = len(self.tried) + 1
        while conn.execute("SELECT to_regclass(%s)", (f"advisor_try_{n}",)).fetchone()[0] is not None:
            n += 1
        return f"advisor_try_{n}"

    def _build_owned(self, conn, tried: Tried, n: int) -> None:
        import time

        import psycopg

        # IF NOT EXISTS would keep the old relation and pass it off as the one tried
        if conn.execute("SELECT to_regclass(%s)", (_quote_ident(tried.name),)).fetchone()[0] is not None:
            raise SessionError(
                f"{tried.name} already exists in the database: give the index another name "
                "(\\d TABLE lists the indexes)"
            )
        savepoint = f"advisor_try_{n}"
        conn.execute(f"SAVEPOINT {savepoint}")
        try:
            if re.search(r"gin_trgm_ops|gist_trgm_ops", tried.ddl, re.IGNORECASE):
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            with build_limit(conn, None):  # a slow index expression is cut, as advisor's own candidates are
                started = time.perf_counter()
                conn.execute(tried.ddl, binary=True)  # extended protocol: one statement, no "; COMMIT; ..." after it
                tried.build_ms = (time.perf_counter() - started) * 1000
                regclass = _quote_ident(tried.name)
                table = conn.execute(
                    "SELECT indrelid::regclass::text FROM pg_index WHERE indexrelid = %s::regclass", (regclass,)
                ).fetchone()[0]
                conn.execute(f"ANALYZE {table}")  # expression indexes bring their own statistics
            parts = index_parts(conn, regclass)
            tried.names = [name for name, _ in parts]
            tried.size_bytes = sum(size for _, size in parts)
        except BaseException as exc:
            # Ctrl-C too: without the rollback the session's transaction stays aborted
            conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
            conn.execute(f"RELEASE SAVEPOINT {savepoint}")
            if isinstance(exc, psycopg.Error):
                raise SessionError(f"cannot build the index: {_first_line(exc)}") from None
            raise
        tried.savepoint = savepoint

    def _build_hypothetical(self, conn, tried: Tried) -> None:
        import psycopg

        try:
            row = conn.execute("SELECT indexrelid, indexname FROM hypopg_create_index(%s)", (tried.ddl,)).fetchone()
            tried.hypo_oid, tried.name = row[0], row[1]
            tried.size_bytes = conn.execute("SELECT hypopg_relation_size(%s)", (row[0],)).fetchone()[0]
        except psycopg.Error as exc:
            raise SessionError(f"HypoPG cannot create this index: {_first_line(exc)}") from None

    def drop(self) -> Tried:
        """Undo the last \\try."""
        if self._conn is not None and self._conn.closed:
            self._reopen()  # the tried indexes went with the connection
        conn = self._conn
        if conn is None or not self.tried:  # the tried indexes live on the open connection
            raise SessionError("nothing to drop: no index tried in this session")
        tried = self.tried.pop()
        if tried.savepoint:
            conn.execute(f"ROLLBACK TO SAVEPOINT {tried.savepoint}")
            conn.execute(f"RELEASE SAVEPOINT {tried.savepoint}")
        elif tried.hypo_oid is not None:
            conn.execute("SELECT hypopg_drop_index(%s)", (tried.hypo_oid,))
        return tried

    # --- \seed, \d -------------------------------------------------------------------

    def reseed(self, rows: int) -> None:
        """Seed again at another size: the tried indexes are rebuilt on the new data."""
        if self.dsn:
            raise SessionError("\\seed works on advisor's embedded database, not on a --dsn database")
        if rows < 1:
            raise SessionError("\\seed takes a row count of at least 1")
        tried = [t.ddl for t in self.tried]
        self.close()
        self.tried = []
        self.rows_override = rows
        self.connection()
        for ddl in tried:  # the last query is not re-planned for each: the next query shows the new data
            try:
                self.tried.append(self._build(ddl))
            except SessionError as exc:
                self.notes.append(f"not rebuilt on the new data: {ddl}: {exc}")

    def find_table(self, typed: str):
        """The schema's table named by what follows \\d: quoted or not, schema-qualified or not."""
        m = re.fullmatch(r'(?:(?:"[^"]+"|[\w$]+)\.)?("(?:[^"]|"")+"|[\w$]+)', typed.strip().rstrip(";").strip())
        if m is None:
            return None
        name = m.group(1)
        if name.startswith('"'):  # quoted: the exact name
            return self.schema.table(name[1:-1].replace('""', '"'))
        found = self.schema.table(name) or self.schema.table(name.lower())
        if found is None:  # unquoted mixed case: forgive it when only one table matches
            close = [t for t in self.schema.tables.values() if t.name.lower() == name.lower()]
            found = close[0] if len(close) == 1 else None
        return found

    def collections(self) -> dict[str, list]:
        """The MongoDB collections the code declares indexes on, with those indexes."""
        out: dict[str, list] = {}
        for index in self.schema.indexes:
            if index.method == "mongo":
                out.setdefault(index.table, []).append(index)
        return out

    def tables(self) -> list[tuple[str, float | None, int]]:
        """(table, rows in the database, number of indexes) for every table of the schema."""
        rows = self._table_rows if self._conn is not None else {}
        return [
            (t.name, rows.get(t.name), len(self.schema.indexes_on(t.name)))
            for t in sorted(self.schema.tables.values(), key=lambda t: t.name)
        ]

    def live_indexes(self, table: str) -> list[tuple[str, str, int | None]]:
        """(name, definition, size) of the indexes the database has on `table`, tried ones included."""
        if self._conn is None:
            return []
        # a partitioned index has no storage of its own: its size is its partitions'
        return [
            (r[0], r[1], r[2])
            for r in self._conn.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid), pg_relation_size(i.indexrelid) + coalesce(("
                "SELECT sum(pg_relation_size(t.relid)) FROM pg_partition_tree(i.indexrelid) t WHERE t.level > 0), 0) "
                "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass(%s) "
                "ORDER BY c.relname",
                (_quote_ident(table),),
            ).fetchall()
        ]

    # --- \save ---------------------------------------------------------------------------

    def migration(self) -> str:
        # an index tried under its own name and also recommended is one index: written once, the tried name
        tried = {_definition(t.ddl): t for t in self.tried}
        lines = ["-- advisor explain: indexes recommended in this session, each measured on seeded data", ""]
        for ddl, (advice, text) in self.recommended.items():
            first = " ".join(text.split())[:100]
            same = tried.pop(_definition(ddl), None)
            lines.append(
                f"-- {advice.index}: cost {advice.cost_before:,.1f} -> {advice.cost_after:,.1f} "
                f"({advice.evidence}){'; tried in the session' if same else ''}; for: {first}"
            )
            lines.append(_concurrently(same.ddl) if same else ddl)
            lines.append("")
        for t in tried.values():
            lines.append(f"-- tried in the session{' (hypothetical)' if t.hypo_oid else ''}")
            lines.append(_concurrently(t.ddl))
            lines.append("")
        from advisor.indexes.migration import commented

        return "\n".join(commented(line) for line in lines)


def _concurrently(ddl: str) -> str:
    """A tried index as a migration builds it: without locking the table against writes."""
    return (
        re.sub(
            r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+",
            lambda m: m.group(0) + "CONCURRENTLY ",
            ddl.rstrip(";"),
            count=1,
            flags=re.IGNORECASE,
        )
        + ";"
    )


def _definition(ddl: str) -> str:
    """What an index is, whatever its name: UNIQUE or not, and everything from its table on."""
    m = CREATE_INDEX.match(ddl)
    if m is None:
        return ddl
    return ("unique " if m.group(1) else "") + re.sub(r"\s+", "", ddl[m.end() :].rstrip().rstrip(";")).lower()


def _placeholders(text: str) -> int:
    """How many parameters ($1, %s, :name...) the statement has."""
    from advisor.explain.params import normalise, strip_statement

    return normalise(strip_statement(text))[1]


def _not_plannable(text: str) -> str:
    """Why a statement is not planned, with the way to do what was likely meant."""
    if re.match(r"\s*CREATE\s+(UNIQUE\s+)?INDEX\b", text, re.IGNORECASE):
        return "an index is built with \\try: \\try " + " ".join(text.split()).rstrip(";")
    if re.match(r"\s*EXPLAIN\b", text, re.IGNORECASE):
        return "type the statement without EXPLAIN: advisor explains it (\\analyze on runs it, rolled back)"
    return "not a statement advisor can plan (SELECT, WITH, INSERT, UPDATE, DELETE, MERGE, VALUES)"


def _quote_ident(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else '"' + name.replace('"', '""') + '"'


def _folded(name: str) -> str:
    """An index name as PostgreSQL stores it: unquoted names fold to lower case."""
    return name[1:-1].replace('""', '"') if name.startswith('"') and name.endswith('"') else name.lower()


def _first_line(exc: BaseException) -> str:
    from advisor.secrets import mask

    return mask(str(exc).strip().splitlines()[0]) if str(exc).strip() else type(exc).__name__
