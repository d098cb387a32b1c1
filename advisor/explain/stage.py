"""The EXPLAIN stage of `advisor check --explain`: plan every query, run the plan
rules, verify index candidates on the seeded data.

`explain_project` takes the static hits of a project and returns them with the
plan findings and verified index advice added.  When a query was planned and
its candidates measured, the static `missing-index` hits of that query are
replaced: by a `missing-index` finding with evidence "measured" (or "planned"
with HypoPG) carrying cost before/after, size and build time, or -- when the
measurement does not confirm the static guess -- by an info finding saying why
no index is recommended.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache

from advisor.units import human_size
from advisor.explain.params import normalise, strip_statement
from advisor.explain.plan import Plan, parse_plan
from advisor.ir import Location, SqlQuery

PLANNABLE = re.compile(r"^\s*(\(\s*)*(SELECT|WITH|INSERT|UPDATE|DELETE|VALUES|TABLE|MERGE)\b", re.IGNORECASE)


@dataclass
class QueryRun:
    query: SqlQuery
    sql: str
    nparams: int
    plan: Plan | None = None
    analyzed: Plan | None = None
    time_ms: float | None = None
    params: list[str] = field(default_factory=list)
    error: str | None = None
    timed_out: bool = False
    outcome: str = ""  # recommended, cheap, no-candidate, below-threshold, not-verified, error
    reason: str = ""
    best: object | None = None  # Measurement
    measurements: list = field(default_factory=list)
    facts: object | None = None

    @property
    def cost(self) -> float | None:
        return self.plan.cost if self.plan else None


@dataclass
class Workload:
    runs: list[QueryRun]
    prepared: object
    table_rows: dict[str, float]
    partitions: dict[str, list[str]]
    partition_keys: dict[str, list[str]] = field(default_factory=dict)


def plannable(query: SqlQuery) -> bool:
    return (not query.dynamic and query.source not in ("schema",) and bool(PLANNABLE.match(query.text))
            and query.dialect == "postgres")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sample_params(conn, sql: str, nparams: int, tables: list[str]) -> list[str]:
    """A value for each $n, sampled from the seeded data where the column it meets is known."""
    values = []
    for n in range(1, nparams + 1):
        value = None
        if re.search(rf"\b(LIMIT)\s+\${n}\b", sql, re.IGNORECASE):
            value = "20"
        elif re.search(rf"\bOFFSET\s+\${n}\b", sql, re.IGNORECASE):
            value = "0"
        else:
            m = re.search(rf'"?(\w+)"?\s*(?:=|<>|!=|<=|>=|<|>|\bI?LIKE\b)\s*(?:ANY\s*\()?\${n}\b', sql, re.IGNORECASE) \
                or re.search(rf'\${n}\s*(?:=|<>|!=|<=|>=|<|>)\s*(?:\w+\.)?"?(\w+)"?', sql)
            if m:
                column = m.group(1)
                for table in tables:
                    try:
                        with conn.transaction():
                            row = conn.execute(
                                f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL '
                                f"OFFSET (SELECT greatest(0, (reltuples / 3)::int8) FROM pg_class "
                                f"WHERE oid = %s::regclass) LIMIT 1", (f'"{table}"',)).fetchone()
                    except Exception:  # noqa: BLE001
                        continue
                    if row is not None:
                        value = row[0]
                        if re.search(rf"I?LIKE\s*\${n}\b", sql, re.IGNORECASE):
                            value = value[:3] + "%"
                        break
        values.append(_literal(value if value is not None else "1"))
    return values


def _substitute(sql: str, params: list[str]) -> str:
    """`$n` replaced by its value in one pass: not inside literals, comments or values already put in."""
    from advisor.explain.params import _TOKEN

    def repl(m: re.Match) -> str:
        n = int(m.group("dollar")[1:]) if m.group("dollar") else 0
        return params[n - 1] if 0 < n <= len(params) else m.group(0)

    return _TOKEN.sub(repl, sql)


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


def _plain_explain(run: QueryRun) -> str:
    return f"EXPLAIN ({'GENERIC_PLAN, ' if run.nparams else ''}FORMAT JSON) {run.sql}"


def make_explainer(run: QueryRun, analyze: bool, timeout_ms: int):
    """explain(conn) -> (plan, execution ms or None), in a rolled-back transaction (a savepoint when
    one is open, as in the interactive session) under the statement timeout."""
    def explain(conn) -> tuple[Plan, float | None]:
        with conn.transaction(force_rollback=True):
            conn.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
            if analyze:
                text = _substitute(run.sql, run.params)
                row = explain_row(conn, f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {text}")
                plan = parse_plan(row[0])
                return plan, plan.execution_ms
            row = explain_row(conn, _plain_explain(run))
            return parse_plan(row[0]), None
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
    return parse_plan(explain_row(planner, _plain_explain(run))[0])


def _catalog(conn) -> tuple[dict[str, float], dict[str, list[str]]]:
    rows = {r[0]: float(r[1]) for r in conn.execute(
        "SELECT relname, greatest(reltuples, 0) FROM pg_class WHERE relkind IN ('r', 'p', 'm')").fetchall()}
    parts: dict[str, list[str]] = {}
    for parent, child in conn.execute("""SELECT p.relname, c.relname FROM pg_inherits i
            JOIN pg_class p ON p.oid = i.inhparent JOIN pg_class c ON c.oid = i.inhrelid
            WHERE p.relkind = 'p'""").fetchall():
        parts.setdefault(parent, []).append(child)
    for parent, children in parts.items():
        rows[parent] = sum(rows.get(c, 0.0) for c in children)
    return rows, parts


def run_workload(config, queries: list[SqlQuery], schema, *, dsn: str | None, analyze: bool,
                 progress: bool = False) -> Workload:
    """Plan every query; measure index candidates. The caller closes workload.prepared.target."""
    from advisor.checks.plans import partition_keys_of
    from advisor.seed.prepare import prepare
    from advisor.seed.server import connect
    from advisor.seed.settings import explain_settings

    settings = explain_settings(config)
    prepared = prepare(config, dsn, progress=progress)
    target = prepared.target
    runs: list[QueryRun] = []
    try:
        conn = connect(target.conninfo, autocommit=True)
        if not target.owned:
            conn.execute("SET default_transaction_read_only = on")
        table_rows, partitions = _catalog(conn)
        partition_keys = partition_keys_of(conn)
        do_analyze = analyze and target.owned
        if analyze and not target.owned:
            prepared.notes.append("--analyze skipped: advisor only reads a database it did not create")
        planner = open_planner(target.conninfo, settings.statement_timeout_ms)
        try:
            for query in queries:
                runs.append(plan_query(conn, query, schema, settings, target, do_analyze, planner=planner))
        finally:
            planner.close()
        conn.close()
    except BaseException:
        target.close()
        raise
    return Workload(runs, prepared, table_rows, partitions, partition_keys)


@lru_cache(maxsize=4096)
def _normalised(text: str) -> tuple[str, int]:
    return normalise(strip_statement(text))


def new_run(query: SqlQuery, schema) -> QueryRun:
    """A statement ready to plan: placeholders normalised, its facts (built once: the static rules'
    facts are cached by build_facts, so the EXPLAIN stage does not redo them)."""
    from advisor.facts.sql import build_facts
    from advisor.parse import parse_sql

    sql, nparams = _normalised(query.text)
    run = QueryRun(query, sql, nparams)
    tree = parse_sql(query.text, query.dialect)
    run.facts = build_facts(tree, schema) if hasattr(tree, "find_all") else None
    return run


def plan_query(conn, query: SqlQuery, schema, settings, target, analyze: bool,
               params: list[str] | None = None, *, planner=None) -> QueryRun:
    """Plan one query (and run it, rolled back, when `analyze`); measure its index candidates.

    planner: an `open_planner` connection for the first plan, else it is planned on conn."""
    import psycopg

    from advisor.indexes.verify import candidates_for, measure
    from advisor.seed.server import mask

    run = new_run(query, schema)
    sql, nparams = run.sql, run.nparams
    tables = sorted({t for s in run.facts.scopes for t in s.sources.values()}) if run.facts else []
    try:
        if planner is not None:
            run.plan = plan_only(planner, run)
        else:
            run.plan, _ = make_explainer(run, False, settings.statement_timeout_ms)(conn)
    except psycopg.Error as exc:
        run.error = mask(str(exc).strip().splitlines()[0])
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
            run.error = mask(str(exc).strip().splitlines()[0])
    _advise(conn, run, schema, settings, target, analyze and not run.timed_out and run.error is None,
            candidates_for, measure)
    return run


def _advise(conn, run: QueryRun, schema, settings, target, analyze: bool, candidates_for, measure) -> None:
    if run.facts is None:
        run.outcome, run.reason = "no-candidate", "the statement could not be parsed for candidates"
        return
    if not target.owned and not target.hypopg:
        run.outcome, run.reason = "not-verified", "read-only database without HypoPG: index candidates not verified"
        return
    before = run.plan.cost
    if before < settings.min_cost:
        run.outcome, run.reason = "cheap", f"cheap already (cost {before:,.1f} < {settings.min_cost:g})"
        return
    candidates = candidates_for(run.facts, schema)
    if not candidates:
        run.outcome, run.reason = "no-candidate", "no index candidate from this query's conditions, joins or sort"
        return
    explain = make_explainer(run, analyze, settings.statement_timeout_ms)
    plain = make_explainer(run, False, settings.statement_timeout_ms)
    best = None
    for candidate in candidates:
        m = measure(conn, candidate, plain, target.owned, target.hypopg)
        if m.error or m.cost_after is None:
            continue
        run.measurements.append(m)
        if not m.used:
            continue
        gain = (before - m.cost_after) / before if before else 0.0
        score = (gain, -(m.size_bytes or 0))
        if best is None or score > best[0]:
            best = (score, m)
    if best is None:
        run.outcome, run.reason = "below-threshold", "the planner used none of the candidate indexes"
        return
    gain, m = best[0][0], best[1]
    # among the candidates within 5% of the best gain, keep the smallest
    for other in run.measurements:
        if other.used and other is not m and (before - other.cost_after) / before >= gain - 0.05 \
                and (other.size_bytes or 0) < (m.size_bytes or 0):
            m = other
    gain = (before - m.cost_after) / before
    run.best = m
    if gain < settings.threshold:
        run.outcome = "below-threshold"
        run.reason = (f"best candidate {m.candidate.describe()} lowers cost {before:,.1f} -> {m.cost_after:,.1f} "
                      f"({gain:.0%}), below the {settings.threshold:.0%} threshold")
        return
    run.outcome = "recommended"
    if analyze and run.time_ms is not None and target.owned:
        import psycopg

        from advisor.indexes.verify import measure as _measure

        try:
            timed = _measure(conn, m.candidate, explain, True)
            m.time_after_ms = timed.time_after_ms
        except psycopg.Error:
            pass


# --- hits -------------------------------------------------------------------------------



def explain_project(config, sources, schema, options, hits: list | None = None) -> list:
    """The project's hits with plan findings and verified index advice; static missing-index replaced."""
    from advisor import catalogue
    from advisor.checks import Hit
    from advisor.checks.plans import PlanContext, plan_hits
    from advisor.seed.settings import explain_settings

    hits = list(hits or [])
    queries = [q for s in sources for q in s.queries if isinstance(q, SqlQuery) and plannable(q)]
    workload = run_workload(config, queries, schema, dsn=options.dsn, analyze=options.analyze,
                            progress=sys.stderr.isatty())
    settings = explain_settings(config)
    try:
        for note in workload.prepared.notes:
            print(f"advisor: note: {note}", file=sys.stderr)
        out = []
        for err in workload.prepared.load_errors:
            out.append(("schema-rejected", Hit(err.summary,
                                               Location(err.path, err.line, 1), subject=err.message,
                                               help="fix the migration; advisor loaded the rest of the schema",
                                               metrics={"evidence": "planned"})))
        by_query: dict[Location, list] = {}
        for name, hit in hits:
            if hit.query_location is not None:
                by_query.setdefault(hit.query_location, []).append((name, hit))
        replaced: set[int] = set()
        for run in workload.runs:
            q = run.query
            statics = by_query.get(q.location, [])
            if run.plan is None or run.timed_out:
                out.append(("explain-error", Hit(
                    f"cannot {'run' if run.timed_out else 'plan'} this statement: {run.error}", q.location,
                    help="advisor went on with the next statement", subject=run.error or "",
                    query=q.text, query_location=q.location,
                    metrics={"evidence": "measured" if run.timed_out else "planned"})))
                if run.plan is None:
                    continue
            related: dict[str, list[str]] = {}
            for name, hit in statics:
                spec = catalogue.lookup(name)
                if spec is not None:
                    related.setdefault(name, []).append(f"{spec.id} {name} at line {hit.location.line}")
            ctx = PlanContext(run.analyzed or run.plan, workload.table_rows, workload.partitions, settings, related,
                              partition_keys=workload.partition_keys)
            for name, message, help_, metrics in plan_hits(ctx, lambda n: True):
                if run.time_ms is not None:
                    metrics["time_ms"] = run.time_ms
                out.append((name, Hit(message, q.location, help=help_, subject=message.split(":")[0],
                                      query=q.text, query_location=q.location, metrics=metrics)))
            static_missing = [(n, h) for n, h in statics if n == "missing-index"]
            evidence = "measured" if workload.prepared.target.owned else "planned"
            if run.outcome == "recommended":
                m = run.best
                c = m.candidate
                anchor = next((h for _, h in static_missing if h.subject.startswith(c.table + "(")), None)
                for _, h in static_missing:
                    replaced.add(id(h))
                before, after = run.plan.cost, m.cost_after
                metrics = {"evidence": evidence, "cost_before": before, "cost_after": after,
                           "index_size": m.size_bytes, "build_ms": m.build_ms, "index": c.describe(),
                           "reason": c.reason}
                timing = ""
                if run.time_ms is not None:
                    metrics["time_before_ms"] = run.time_ms
                    if m.time_after_ms is not None:
                        metrics["time_after_ms"] = m.time_after_ms
                        timing = f", time {run.time_ms:,.1f} ms -> {m.time_after_ms:,.1f} ms"
                ddl = c.ddl()
                out.append(("missing-index", Hit(
                    f"index {c.describe()} verified on seeded data: cost {before:,.1f} -> {after:,.1f} "
                    f"(-{(before - after) / before:.0%}){timing}; size {human_size(m.size_bytes)}"
                    + (f", built in {m.build_ms:,.0f} ms" if m.build_ms is not None else ""),
                    anchor.location if anchor else q.location,
                    help=f"add it: {ddl}", fix=ddl, subject=c.describe(), query=q.text, query_location=q.location,
                    metrics=metrics)))
            elif static_missing and run.outcome in ("below-threshold", "cheap", "no-candidate"):
                for _, h in static_missing:
                    replaced.add(id(h))
                    metrics = {"evidence": evidence, "cost_before": run.plan.cost}
                    if run.best is not None:
                        metrics.update(cost_after=run.best.cost_after, index_size=run.best.size_bytes,
                                       build_ms=run.best.build_ms)
                    out.append(("missing-index", Hit(
                        f"no index recommended for this query: {run.reason}", h.location,
                        help="advisor built the candidate indexes on seeded data and re-planned; "
                             "the static suggestion was not confirmed", subject=h.subject, query=q.text,
                        query_location=q.location, metrics=metrics, severity="info")))
        kept = [(n, h) for n, h in hits if id(h) not in replaced]
        return kept + out
    finally:
        workload.prepared.target.close()
