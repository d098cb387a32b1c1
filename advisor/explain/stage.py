"""Plan statements on a database: EXPLAIN each one (ANALYZE, rolled back, on request) and
measure its index candidates (advisor/explain/advise.py).  `run_workload` does it for a
list of statements on the prepared (seeded) database; `plan_query` for one, as the
interactive session does.  What is reported is worded in advisor/explain/findings.py.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from advisor.explain.params import MAX_PARAMS, normalise, param_types, sample_params, strip_statement, substitute
from advisor.explain.plan import Plan, parse_plan
from advisor.ir import Schema, SqlQuery
from advisor.seed import limits
from advisor.seed.limits import Deadline

if TYPE_CHECKING:
    from advisor.config import Config
    from advisor.facts.sql import QueryFacts
    from advisor.indexes.verify import Measurement
    from advisor.seed.prepare import Prepared
    from advisor.seed.server import Target
    from advisor.seed.settings import ExplainSettings

PLANNABLE = re.compile(r"^\s*(\(\s*)*(SELECT|WITH|INSERT|UPDATE|DELETE|VALUES|TABLE|MERGE)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Recommendation:
    """What advise settles when it recommends an index: the plan's cost, the chosen measurement, its cost."""

    cost_before: float
    best: Measurement
    cost_after: float


@dataclass
class QueryRun:
    query: SqlQuery
    sql: str
    nparams: int
    plan: Plan | None = None
    analyzed: Plan | None = None
    time_ms: float | None = None
    params: list[str] = field(default_factory=list)
    param_types: list[str] = field(default_factory=list)  # PREPARE's, before PostgreSQL 16 (`plain_row`)
    error: str | None = None
    timed_out: bool = False
    outcome: str = ""  # recommended, cheap, no-candidate, below-threshold, not-verified, error
    reason: str = ""
    best: Measurement | None = None
    measurements: list[Measurement] = field(default_factory=list)
    facts: QueryFacts | None = None
    unseeded: str = ""  # the table whose constant the best candidate won by is in almost no seeded row (advise)

    @property
    def cost(self) -> float | None:
        return self.plan.cost if self.plan else None

    def recommendation(self) -> Recommendation:
        """The recommended index with its costs; only for outcome "recommended" (advise sets all three)."""
        m = self.best
        if self.outcome != "recommended" or self.plan is None or m is None or m.cost_after is None:
            raise ValueError(f"no recommendation for a run whose outcome is {self.outcome!r}")
        return Recommendation(self.plan.cost, m, m.cost_after)


@dataclass
class Workload:
    runs: list[QueryRun]
    prepared: Prepared
    table_rows: dict[str, float]
    partitions: dict[str, list[str]]
    partition_keys: dict[str, list[str]] = field(default_factory=dict)
    deadline: Deadline | None = None  # the database stage's time limit, which choosing a set goes on under
    cut: int = 0  # statements not planned: the time limit ran out first


def plannable(query: SqlQuery) -> bool:
    """PostgreSQL's statement to plan: not another database's, by its connection or by its file's name or folder
    (cowrie's `output/mysql.py`, as the static rules read it: advisor.parse.another_database)."""
    from advisor.parse import another_database

    return (
        (not query.dynamic or _named_only(query.text))
        and query.source not in ("schema",)
        and bool(PLANNABLE.match(query.text))
        and query.dialect == "postgres"
        and not another_database(query.location.path, query.dialect)
    )


def _named_only(text: str) -> bool:
    """Built at run time only in the names of its tables (`FROM ${this.prefix}_messages`): planned on the tables the
    schema's statements make under the same names (advisor.parse.named_stand_ins)."""
    from advisor.parse import has_text_template, named_stand_ins

    return has_text_template(text) and named_stand_ins(text) is not None


def readable(query: SqlQuery) -> bool:
    """The text is the whole statement as it runs: advisor's parser read it, and nothing in it is filled in later
    (`WHERE {clause} AND ...`, `${table}`), which PostgreSQL could only refuse (a psql :SCHEMA aside: planned as a
    schema, advisor.explain.params.normalise)."""
    from advisor.parse import PSQL_SCHEMA, ParseFailure, has_text_template, named_stand_ins, parse_sql

    if not (query.complete or _named_only(query.text)) or isinstance(
        parse_sql(query.text, query.dialect), ParseFailure
    ):
        return False
    if _EXPANDED_LIST.search(query.text):
        return False  # `IN %s`, `IN :ids`: the driver writes the list there, so the text is not what runs
    return not has_text_template(PSQL_SCHEMA.sub("x", named_stand_ins(query.text) or query.text))


# a placeholder standing alone after IN, where only a parenthesised list is SQL: a driver expands a tuple there
# (psycopg2's `IN %s`, SQLAlchemy's expanding `IN :names`, kinto's `principal IN :principals`)
_EXPANDED_LIST = re.compile(r"\bIN\s+(?:%s|%\(\w+\)s|:[A-Za-z_]\w*|\$\d+|\?)(?![\w(])", re.IGNORECASE)


def workload_queries(queries: list[SqlQuery], schema: Schema) -> list[SqlQuery]:
    """The statements `check --explain` and `advisor indexes` plan: the plannable, readable ones of the workload, not
    those a migration, a script or a maintenance routine runs (advisor.oneoff.off_workload_statement: a
    backfill is no workload, and an old migration's statements name what a later one dropped or changed)."""
    from advisor.oneoff import off_workload_statement

    return [q for q in queries if plannable(q) and readable(q) and not off_workload_statement(q, schema)]


def explain_row(conn, sql: str):
    """The one row an EXPLAIN returns, the statement sent as exactly one statement.

    PostgreSQL's extended protocol refuses a second statement (psycopg uses it for binary
    results).  advisor's splitter and PostgreSQL's lexer could disagree on where a statement
    ends, and a statement after a `COMMIT` would escape the rolled-back transaction.  A
    GENERIC_PLAN EXPLAIN has `$n` without values: its bind fails once parsing has accepted
    it as a single statement, and only then is it sent plainly.
    """
    import contextlib

    import psycopg
    from psycopg.pq import TransactionStatus

    if "$" not in sql:
        return conn.execute(sql, binary=True, prepare=False).fetchone()
    # inside a transaction, a savepoint: the refusal must not abort it
    guard = contextlib.nullcontext() if conn.info.transaction_status == TransactionStatus.IDLE else conn.transaction()
    try:
        with guard:
            return conn.execute(sql, binary=True, prepare=False).fetchone()
    except psycopg.errors.ProtocolViolation:
        return conn.execute(sql, prepare=False).fetchone()


GENERIC_PLAN_SINCE = 160000  # EXPLAIN (GENERIC_PLAN): PostgreSQL 16


def plain_row(conn, run: QueryRun):
    """The row of a plain EXPLAIN (FORMAT JSON) of the run's statement; its `$n` planned generically.

    PostgreSQL 16 and later: EXPLAIN (GENERIC_PLAN), unless the code declares its parameters' types.  Before
    (or then), the statement is prepared with
    its parameter types (`unknown` where advisor does not know one: the server infers it, as
    GENERIC_PLAN does), planned by EXPLAIN EXECUTE with NULLs under plan_cache_mode =
    force_generic_plan (so the values are never looked at), and deallocated.  The version
    is the one the server reported when the connection was made.

    One difference remains: before 16, EXPLAIN EXECUTE prunes partitions at executor start-up
    with the NULLs, and a `$n` on the partition key removes every partition from the plan.  Such
    a plan is made again without partition pruning, which shows the partitions GENERIC_PLAN
    shows (and those a constant on the key would have pruned at planning).
    """
    if not run.nparams:
        return explain_row(conn, f"EXPLAIN (FORMAT JSON) {run.sql}")
    import psycopg

    types = list(run.param_types or ["unknown"] * run.nparams)
    # the types the code declares (a PL/pgSQL variable's) are given to PREPARE: GENERIC_PLAN infers each from
    # the context, which fails where nothing there tells (`$1 IS NULL`, `coalesce($1, $2)`, `$1 ->> 'k'`)
    if conn.info.server_version >= GENERIC_PLAN_SINCE and not any(run.query.param_types):
        try:
            with conn.transaction():  # a savepoint: the plan is made again below if it fails so
                return explain_row(conn, f"EXPLAIN (GENERIC_PLAN, FORMAT JSON) {run.sql}")
        except psycopg.errors.IndeterminateDatatype as exc:
            types = _as_text(types, exc)
    for _ in range(run.nparams):
        try:
            row = _prepared_row(conn, run, types)
            break
        except psycopg.errors.QueryCanceled:
            raise
        except psycopg.errors.IndeterminateDatatype as exc:
            types = _as_text(types, exc)
        except psycopg.Error:
            if all(t == "unknown" for t in types):
                raise
            types = ["unknown"] * run.nparams  # a type from the schema the server refused
    else:
        row = _prepared_row(conn, run, types)
    if _pruned_at_start(row[0]):
        row = _prepared_row(conn, run, types, prune=False)
    return row


def _as_text(types: list[str], exc: Exception) -> list[str]:
    """`could not determine data type of parameter $2`: nothing in the statement types it (an argument of
    `json_build_object`, `format`, a bare `$2 IS NULL`), so no plan depends on its type: planned as text.
    Raises the error again when it names no parameter advisor left untyped."""
    m = re.search(r"parameter \$(\d+)", str(exc))
    n = int(m.group(1)) if m else 0
    if not 0 < n <= len(types) or types[n - 1] != "unknown":
        raise exc
    return [*types[: n - 1], "text", *types[n:]]


def _pruned_at_start(output: Any) -> bool:
    """Did the executor remove partitions from the plan when it started (with the NULLs of EXECUTE)?"""
    from advisor.explain.plan import PlanError

    try:
        return any(n.subplans_removed for n in parse_plan(output).root.walk())
    except PlanError:
        return False  # the caller reports it


_statement_names = itertools.count(1)


def _prepared_row(conn, run: QueryRun, types: list[str], prune: bool = True):
    """PREPARE, EXPLAIN EXECUTE, DEALLOCATE: each sent as exactly one statement (extended protocol).

    In a transaction (a savepoint inside one) so the SET LOCAL of plan_cache_mode ends with it;
    a prepared statement outlives a rollback, so it is deallocated after, whatever happened.
    """
    name = f"advisor_plan_{next(_statement_names)}"
    prepared = False
    try:
        with conn.transaction():
            conn.execute("SET LOCAL plan_cache_mode = force_generic_plan", prepare=False)
            if not prune:
                conn.execute("SET LOCAL enable_partition_pruning = off", prepare=False)
            conn.execute(f"PREPARE {name} ({', '.join(types)}) AS {run.sql}", binary=True, prepare=False)
            prepared = True
            nulls = ", ".join(["NULL"] * run.nparams)
            return conn.execute(f"EXPLAIN (FORMAT JSON) EXECUTE {name}({nulls})", binary=True, prepare=False).fetchone()
    finally:
        if prepared:
            conn.execute(f"DEALLOCATE {name}", prepare=False)


Explainer = Callable[[Any], tuple[Plan, "float | None"]]  # explain(conn) -> (plan, execution ms)


def make_explainer(run: QueryRun, analyze: bool, timeout_ms: int) -> Explainer:
    """explain(conn) -> (plan, execution ms or None), in a rolled-back transaction (a savepoint when
    one is open, as in the interactive session) under the statement timeout."""

    def explain(conn) -> tuple[Plan, float | None]:
        with conn.transaction(force_rollback=True):
            conn.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
            if analyze:
                text = substitute(run.sql, run.params)
                # rows and loops per node, the run's total time; no clock per node (nothing reads it, and
                # it costs ~10% of the run on TPC-H's joins: advisor indexes times every query the set changes)
                row = explain_row(conn, f"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {text}")
                plan = parse_plan(row[0])
                return plan, plan.execution_ms
            return parse_plan(plain_row(conn, run)[0]), None

    return explain


def open_planner(conninfo: str, timeout_ms: int):
    """A connection for plain EXPLAINs only: the first plan of each statement in run_workload.

    Its session has the statement timeout and is read-only, so a plain EXPLAIN there needs no
    transaction and no SET LOCAL (`plan_only`): EXPLAIN without ANALYZE executes nothing, and a
    failing one leaves an autocommit connection idle.  The timeout is not set on the main
    connection, where index builds, ANALYZE and sampling must run without it.
    """
    from advisor.seed.server import connect

    planner = connect(conninfo, autocommit=True)
    try:
        planner.execute(f"SET statement_timeout = {int(timeout_ms)}")
        planner.execute("SET default_transaction_read_only = on")
    except BaseException:
        planner.close()
        raise
    return planner


def plan_only(planner, run: QueryRun) -> Plan:
    """The plan of a statement on an `open_planner` connection: one round trip."""
    return parse_plan(plain_row(planner, run)[0])


def catalog(conn) -> tuple[dict[str, float], dict[str, list[str]]]:
    rows = {
        r[0]: float(r[1])
        for r in conn.execute(
            "SELECT relname, greatest(reltuples, 0) FROM pg_class WHERE relkind IN ('r', 'p', 'm')"
        ).fetchall()
    }
    parts: dict[str, list[str]] = {}
    for parent, child in conn.execute("""SELECT p.relname, c.relname FROM pg_inherits i
            JOIN pg_class p ON p.oid = i.inhparent JOIN pg_class c ON c.oid = i.inhrelid
            WHERE p.relkind = 'p'""").fetchall():
        parts.setdefault(parent, []).append(child)
    for parent, children in parts.items():
        rows[parent] = sum(rows.get(c, 0.0) for c in children)
    return rows, parts


def run_workload(
    config: Config, queries: list[SqlQuery], schema: Schema, *, dsn: str | None, analyze: bool, progress: bool = False
) -> Workload:
    """Plan every query; measure index candidates. The caller closes workload.prepared.target."""
    from advisor.checks.plans import partition_keys_of
    from advisor.seed.prepare import prepare
    from advisor.seed.server import connect
    from advisor.seed.settings import explain_settings

    settings = explain_settings(config)
    deadline = Deadline.stage()
    with limits.Watch(deadline.spent):
        prepared = prepare(config, dsn, progress=progress, schema=schema)
        target = prepared.target
        runs: list[QueryRun] = []
        try:
            conn = limits.watched(connect(target.conninfo, autocommit=True))
            if not target.owned:
                conn.execute("SET default_transaction_read_only = on")
            table_rows, partitions = catalog(conn)
            partition_keys = partition_keys_of(conn)
            do_analyze = analyze and target.owned
            if analyze and not target.owned:
                prepared.notes.append("--analyze skipped: advisor only reads a database it did not create")
            planner = limits.watched(open_planner(target.conninfo, settings.statement_timeout_ms))
            try:
                for query in queries:
                    if limits.over():
                        break
                    run = plan_query(
                        conn, query, schema, settings, target, do_analyze, planner=planner, candidates=False
                    )
                    if run.error and limits.over():
                        break  # cancelled: the time limit, not the statement
                    runs.append(run)
            finally:
                planner.close()
            from advisor.explain.advise import advise_all

            advise_all(conn, runs, schema, settings, target, do_analyze, make_explainer)  # each candidate built once
            conn.close()
        except BaseException:
            target.close()
            raise
    workload = Workload(runs, prepared, table_rows, partitions, partition_keys, deadline, len(queries) - len(runs))
    if workload.cut:
        prepared.notes.append(
            f"{deadline.spent()}: {workload.cut} of {len(queries)} statements were not planned (no plan findings or "
            f"index advice for them); {limits.TIME_LIMIT_ENV}=<seconds> gives it more"
        )
    return workload


@lru_cache(maxsize=4096)
def _normalised(text: str) -> tuple[str, int]:
    from advisor.parse import named_stand_ins

    return normalise(strip_statement(named_stand_ins(text) or text))


def new_run(query: SqlQuery, schema: Schema) -> QueryRun:
    """A statement ready to plan: placeholders normalised, its facts (built once: the static rules'
    facts are cached by build_facts, so the EXPLAIN stage does not redo them)."""
    from advisor.facts.sql import build_facts
    from advisor.parse import PSQL_SCHEMA, parse_sql

    sql, nparams = _normalised(query.text)
    run = QueryRun(query, sql, nparams)
    if nparams > MAX_PARAMS:  # nothing to plan, and a list per parameter would be as long as the number says
        run.outcome, run.error = "error", f"a parameter past ${MAX_PARAMS}, PostgreSQL's limit: not planned"
        run.nparams = 0
        return run
    # psql's :SCHEMA.table is a placeholder to the static rules, a schema here: the facts (and so the tables
    # of the index candidates) name it as the plan does
    tree = parse_sql(sql if PSQL_SCHEMA.search(query.text) else query.text, query.dialect)
    run.facts = build_facts(tree, schema) if hasattr(tree, "find_all") else None
    if nparams and sql == strip_statement(query.text):  # `$n` as written: the facts' parameters are these
        run.param_types = param_types(run.facts, schema, nparams, query.param_types)
    return run


def plan_query(
    conn,
    query: SqlQuery,
    schema: Schema,
    settings: ExplainSettings,
    target: Target,
    analyze: bool,
    params: list[str] | None = None,
    *,
    planner=None,
    candidates: bool = True,
    typed: bool = False,
) -> QueryRun:
    """Plan one query (and run it, rolled back, when `analyze`); measure its index candidates
    (unless `candidates` is false: run_workload measures them for the whole workload at once).

    planner: an `open_planner` connection for the first plan, else it is planned on conn.
    typed: the user's own statement (the session's), whose errors are shown whole on any server; the
    repository's are shown whole only on advisor's own (secrets.server_message)."""
    import psycopg

    from advisor.explain.advise import advise
    from advisor.secrets import server_message

    run = new_run(query, schema)
    if run.outcome == "error":
        return run
    sql, nparams = run.sql, run.nparams
    tables = sorted({t for s in run.facts.scopes for t in s.sources.values()}) if run.facts else []
    try:
        if planner is not None:
            run.plan = plan_only(planner, run)
        else:
            run.plan, _ = make_explainer(run, False, settings.statement_timeout_ms)(conn)
    except psycopg.Error as exc:
        run.error = server_message(exc, run.sql, typed or target.server is not None)
        run.outcome = "error"
        return run
    if analyze:
        run.params = list(params) if params else sample_params(conn, sql, nparams, tables)
        try:
            run.analyzed, run.time_ms = make_explainer(run, True, settings.statement_timeout_ms)(conn)
        except psycopg.errors.QueryCanceled:
            run.timed_out = True
            run.error = f"cut by the statement timeout ({settings.statement_timeout_ms} ms) while running it (ANALYZE)"
        except psycopg.Error as exc:
            run.error = server_message(exc, run.sql, typed or target.server is not None)
    measured = analyze and not run.timed_out and run.error is None
    if candidates:
        advise(
            conn,
            run,
            schema,
            settings,
            target,
            measured,
            make_explainer(run, measured, settings.statement_timeout_ms),
            make_explainer(run, False, settings.statement_timeout_ms),
        )
    return run
