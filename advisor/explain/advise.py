"""Which index to recommend for one planned statement: its candidates built (or hypothesised) on
the seeded data and re-planned, the best kept when it saves enough (`advise`); and the one rule
of how a measurement answers the static `missing-index` guess (`answers_static`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from advisor import catalogue
from advisor.seed import limits

if TYPE_CHECKING:
    from psycopg import Connection

    from advisor.explain.stage import Explainer, QueryRun
    from advisor.ir import Schema
    from advisor.seed.server import Target
    from advisor.seed.settings import ExplainSettings

STATIC_ADVICE = "missing-index"  # the static rule whose guess the measurement answers
# outcomes that answer it: the measured advice (or why there is none) replaces the static guess
ANSWERING = ("recommended", "cheap", "below-threshold", "no-candidate")


def answers_static(outcome: str, rule: str) -> bool:
    """Does a statement's measured outcome replace a finding of `rule` (id or name) on it?"""
    spec = catalogue.lookup(rule)
    return outcome in ANSWERING and spec is not None and spec.name == STATIC_ADVICE


def advise(
    conn: Connection,
    run: QueryRun,
    schema: Schema,
    settings: ExplainSettings,
    target: Target,
    analyze: bool,
    explain: Explainer,
    plain: Explainer,
) -> None:
    """Measure the candidate indexes of one planned statement; set its outcome, reason and best measurement.

    plain(conn) plans the statement; explain(conn) too, or runs it (rolled back) when `analyze`."""
    from advisor.indexes.verify import measure

    candidates = _candidates(run, schema, settings, target)
    for candidate in candidates:
        m = measure(conn, candidate, plain, target.owned, target.hypopg)
        if m.error or m.cost_after is not None:  # a refusal is kept: it says why there is no advice
            run.measurements.append(m)
    if candidates:
        _choose(conn, run, settings, target, analyze, explain)


def advise_all(
    conn: Connection,
    runs: list[QueryRun],
    schema: Schema,
    settings: ExplainSettings,
    target: Target,
    analyze: bool,
    make_explainer,
) -> None:
    """`advise` for a whole workload at once: each distinct candidate is built once on the seeded data
    and every statement that proposes it is re-planned with it (not one build per statement).
    make_explainer(run, analyze, timeout_ms) -> Explainer (explain/stage.make_explainer)."""
    timeout = settings.statement_timeout_ms
    if not limits.over():
        proposed = {id(run): _candidates(run, schema, settings, target) for run in runs}
        _measure_workload(conn, runs, proposed, settings, target, make_explainer)
    for run in runs:
        if run.plan is None or run.outcome:
            continue
        if limits.over():  # what was measured may be part of what the statement proposes: no choice from it
            run.outcome, run.reason = "not-verified", f"{limits.over()} before its index candidates were measured"
            continue
        timed = analyze and run.time_ms is not None and not run.timed_out and run.error is None
        _choose(conn, run, settings, target, timed, make_explainer(run, timed, timeout))


def _measure_workload(conn, runs, proposed: dict, settings, target, make_explainer) -> None:
    """advise_all's measurements: the candidates each statement proposes (id(run) -> its list), each built once."""
    timeout = settings.statement_timeout_ms
    # a shorter prefix of a composite, down to its leading column alone, is built only as a narrower
    # variant of one that passed (the choice's narrowest is among them): it searches on less and saves
    # only the bytes of the columns it leaves out, so of one that did not pass it is unlikely to, and
    # it costs a build (TPC-H Q10's lineitem(l_returnflag), Q12's lineitem(l_shipmode): 0.8 s each).
    # One another statement proposes for itself is built anyway: re-planning with it is free.
    first = {replace(c, reason="") for cs in proposed.values() for c in cs if c.reason not in NARROWER}
    now = {
        k: [c for c in cs if c.reason not in NARROWER or replace(c, reason="") in first] for k, cs in proposed.items()
    }
    _measure_all(conn, runs, now, target, make_explainer, timeout)
    later = {
        id(r): [c for c in proposed[id(r)] if c not in now[id(r)] and _narrows_a_pass(r, c, settings.threshold)]
        for r in runs
    }
    _measure_all(conn, runs, later, target, make_explainer, timeout)


def _measure_all(conn: Connection, runs: list[QueryRun], candidates: dict, target: Target, make_explainer, timeout):
    """Each distinct candidate (candidates: id(run) -> its list) built once, every statement proposing it
    re-planned with it; the measurements appended to each run's."""
    from advisor.indexes.verify import measure

    wanted: dict = {}  # index -> [(run, its candidate)] in the workload's order
    for run in runs:
        seen = set()
        for candidate in candidates.get(id(run), []):
            same = replace(candidate, reason="")  # the same index, whatever made a scope propose it
            if same not in seen:
                seen.add(same)
                wanted.setdefault(same, []).append((run, candidate))
    if not wanted:
        return
    plains = {index: [make_explainer(r, False, timeout) for r, _ in proposing] for index, proposing in wanted.items()}
    if target.owned:
        alone = {index for index, proposing in wanted.items() if any(_writes(r) for r, _ in proposing)}
        results = _build_each(conn, target.conninfo, plains, alone)
    else:
        results = {
            i: [measure(conn, i, p, False, target.hypopg) for p in ps] for i, ps in plains.items() if not limits.over()
        }
    for index, proposing in wanted.items():
        if index not in results:
            continue  # the time limit ran out before it was built (advise_all verifies none of it)
        for (run, candidate), m in zip(proposing, results[index], strict=True):
            m.candidate = candidate
            if m.error or m.cost_after is not None:  # a refusal is kept: it says why there is no advice
                run.measurements.append(m)


def _narrows_a_pass(run: QueryRun, prefix, threshold: float) -> bool:
    """Does a measured candidate of the run whose keys `prefix` leads (and exceeds) pass the threshold?"""
    before = run.plan.cost if run.plan is not None else 0.0
    return bool(before) and any(
        m.used
        and m.cost_after is not None
        and (before - m.cost_after) / before >= threshold
        and (m.candidate.table, m.candidate.where, m.candidate.method) == (prefix.table, prefix.where, prefix.method)
        and len(m.candidate.keys) > len(prefix.keys)
        and m.candidate.keys[: len(prefix.keys)] == prefix.keys
        for m in run.measurements
    )


NARROWER = ("prefix", "leading")  # reasons of a composite's shorter prefixes (indexes/verify.candidates_for)
WORKERS = 4  # at most this many candidate builds at once, one connection each (and never more than the cores)


def _writes(run: QueryRun) -> bool:
    """Does the statement write (UPDATE, DELETE, INSERT, MERGE, also in a CTE)?  Not known: it may."""
    from sqlglot import exp

    return run.facts is None or bool(run.facts.find(exp.Insert, exp.Update, exp.Delete, exp.Merge))


class _Gate:
    """Candidate builds side by side, except one re-planned for a statement that writes: it runs alone.  Planning
    an UPDATE, DELETE or INSERT takes RowExclusiveLock on the tables it writes, which waits for the ShareLock
    another build holds on one of them; two such builds wait for each other, a deadlock PostgreSQL ends after
    deadlock_timeout (1 s) by failing one (pg-chameleon's and procrastinate's DELETEs and UPDATEs did, now and
    then; measure_shared builds a failed one again).  A build waiting to run alone goes before new ones."""

    def __init__(self) -> None:
        import threading

        self.changed = threading.Condition()
        self.running = 0
        self.alone = False
        self.waiting = 0  # builds waiting to run alone

    def enter(self, alone: bool) -> None:
        with self.changed:
            if alone:
                self.waiting += 1
                self.changed.wait_for(lambda: not self.alone and self.running == 0)
                self.waiting -= 1
                self.alone = True
            else:
                self.changed.wait_for(lambda: not self.alone and not self.waiting)
            self.running += 1

    def leave(self) -> None:
        with self.changed:
            self.running -= 1
            self.alone = False if self.running == 0 else self.alone
            self.changed.notify_all()


def _build_each(conn: Connection, conninfo: str, plains: dict, alone: set | None = None) -> dict:
    """index -> its Measurements (measure_shared).  The builds of column indexes (partial ones too) run
    side by side on their own connections (two CREATE INDEX on one table do not wait for each other, and
    each sees only its own uncommitted index), but one re-planned for a statement that writes (`alone`) runs
    with no other (_Gate); an expression index (it ANALYZEs the table: two at once
    could deadlock) or a trigram one (it may create pg_trgm) is built on `conn`, one at a time, while the
    others build beside it; then `conn` takes its share of them.  The largest tables' first: the builds
    end together, not with one connection left building a large index alone."""
    import os
    import queue
    from concurrent.futures import ThreadPoolExecutor

    from advisor.indexes.candidates import regclass_text
    from advisor.indexes.verify import measure_shared, relation_bytes
    from advisor.seed.server import connect

    side = [i for i in plains if not i.opclass and all(k.is_column for k in i.keys)]
    own = [i for i in plains if i not in side]
    workers = min(WORKERS, os.cpu_count() or 1, len(side) + bool(own))
    if workers < 2:
        return {i: measure_shared(conn, i, plains[i]) for i in plains if not limits.over()}
    sizes = {t: relation_bytes(conn, regclass_text(t)) for t in {i.table for i in side}}
    todo: queue.Queue = queue.Queue()
    for i in sorted(side, key=lambda i: (-sizes[i.table], i.where is not None, -len(i.keys) - len(i.include))):
        todo.put(i)

    gate = _Gate()
    alone = alone or set()

    def build(c, i, name: str) -> list:
        gate.enter(i in alone)
        try:
            return measure_shared(c, i, plains[i], name=name)
        finally:
            gate.leave()

    def drain(c, name: str, first: list) -> dict:
        done = {i: build(c, i, "advisor_candidate") for i in first if not limits.over()}
        while not limits.over():  # past the time limit: no more builds (advise_all verifies none of them)
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return done
            done[i] = build(c, i, name)
        return done

    def work(n: int) -> dict:
        if n == 0:
            return drain(conn, "advisor_candidate", own)
        with limits.watched(connect(conninfo, autocommit=True)) as c:
            return drain(c, f"advisor_candidate_{n}", [])

    out: dict = {}
    with ThreadPoolExecutor(workers) as pool:
        for done in pool.map(work, range(workers)):
            out.update(done)
    return out


def _candidates(run: QueryRun, schema: Schema, settings: ExplainSettings, target: Target) -> list:
    """The statement's candidates; none (and its outcome says why) when there is nothing to measure."""
    from advisor.indexes.existing import covered_by_existing
    from advisor.indexes.verify import candidates_for

    if run.plan is None or run.outcome:
        return []
    if run.facts is None:
        run.outcome, run.reason = "no-candidate", "the statement could not be parsed for candidates"
        return []
    if not target.owned and not target.hypopg:
        run.outcome, run.reason = "not-verified", "read-only database without HypoPG: index candidates not verified"
        return []
    before = run.plan.cost
    if before < settings.min_cost:
        run.outcome, run.reason = "cheap", f"cheap already (cost {before:,.1f} < {settings.min_cost:g})"
        return []
    found = candidates_for(run.facts, schema)
    # as the static index rules: no advice on a table that stays small (Schema.small), nor an index the schema
    # already has, built by the code where the seeded database lacks it (a background update)
    candidates = [c for c in found if not schema.small(c.table) and not covered_by_existing(c, schema)]
    if not candidates:
        run.outcome, run.reason = (
            "no-candidate",
            (
                "no index candidate from this query's conditions, joins or sort"
                if not found
                else "its tables stay small, or the schema has the index already"
            ),
        )
    return candidates


def _choose(
    conn: Connection, run: QueryRun, settings: ExplainSettings, target: Target, analyze: bool, explain: Explainer
) -> None:
    """The best of the statement's measurements (run.measurements): its outcome, reason and best."""
    from advisor.indexes.verify import measure

    if run.plan is None:  # never so: _candidates measures nothing for an unplanned statement
        return
    before = run.plan.cost
    # (measurement, its cost): verify sets cost_after whenever it sets used
    used = [(m, m.cost_after) for m in run.measurements if m.used and m.cost_after is not None]
    if not used:
        refused = "; ".join(_refusal(conn, m) for m in run.measurements if m.error)
        if not any(m.cost_after is not None for m in run.measurements):
            run.outcome, run.reason = "no-candidate", refused or "no candidate index could be measured"
            return
        run.outcome = "below-threshold"
        run.reason = "the planner used none of the candidate indexes" + (f"; {refused}" if refused else "")
        return
    m, after = _narrowest(conn, before, used, settings.threshold, settings.min_cost)
    gain = (before - after) / before
    run.best = m
    if gain < settings.threshold:
        run.outcome = "below-threshold"
        run.reason = (
            f"best candidate {m.candidate.describe()} lowers cost {before:,.1f} -> {after:,.1f} "
            f"({gain:.0%}), below the {settings.threshold:.0%} threshold"
        )
        return
    constant = _unseeded(conn, run, m.candidate)
    if constant is not None:
        run.outcome, run.unseeded = "not-verified", m.candidate.table
        run.reason = (
            f"{m.candidate.describe()} wins by how many rows hold {constant}, which almost no seeded row does: the "
            "share is advisor's, not the table's (describe the column in [seed.tables], or give [seed] stats)"
        )
        return
    run.outcome = "recommended"
    if analyze and run.time_ms is not None and target.owned:
        import psycopg

        try:
            timed = measure(conn, m.candidate, explain, True)
            m.time_after_ms = timed.time_after_ms
        except psycopg.Error:
            pass


# below this share of the seeded rows, a constant's rows are the seed's accident, not a shape it models; and a
# column with fewer distinct seeded values than this share of the rows holds states, not one value per entity
UNSEEDED_SHARE = 0.001
STATE_DISTINCT = 0.01


def _unseeded(conn: Connection, run: QueryRun, candidate) -> str | None:
    """The constant condition the candidate wins by, when the seed never drew its value: a partial index's
    predicate (`WHERE type = 'm.room.encrypted'`) or an equality of its leading column with a constant the
    statement names, on a column of states (few distinct seeded values) almost no seeded row holds. The seed
    models a state's share only for the values it knows (an enum, a CHECK list, a flag's default, a nullable
    column's NULLs, the config's values); one it never drew is in no row, and the index looks selective for that
    alone (synapse's metrics counts, -98 % "verified"). A constant on a column of many values is one entity's
    (`l_partkey = 42`): rare in production too, measured as ever; unless it is 0 or 1, a flag kept as a number
    (`_flag_values`). None when it cannot be told."""
    import psycopg
    from sqlglot import exp

    from advisor.facts.sql import parameterised
    from advisor.indexes.candidates import table_sql
    from advisor.names import quote

    if run.facts is None or not candidate.keys:
        return None
    table = candidate.table.rsplit(".", 1)[-1]
    lead = candidate.keys[0].expr if candidate.keys[0].is_column else None
    named = [
        p
        for scope in run.facts.scopes
        for p in scope.predicates
        if (p.table or "").rsplit(".", 1)[-1] == table
        and not p.in_or
        and not p.wrapped
        and p.op in ("eq", "in")
        and p.value is not None
        and not parameterised(p.node)
        and (p.column == lead if candidate.where is None else re.search(rf"\b{re.escape(p.column)}\b", candidate.where))
    ]
    if not named:
        return None
    nodes = [p.node.copy() for p in named]
    for node in nodes:
        for column in node.find_all(exp.Column):
            column.set("table", None)
    condition = " AND ".join(n.sql(dialect="postgres") for n in nodes)
    columns = sorted({p.column for p in named})
    distinct = ", ".join(f"count(DISTINCT {quote(c)})" for c in columns)
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("SET LOCAL statement_timeout = '5s'")
            row = conn.execute(
                f"SELECT count(*) FILTER (WHERE {condition}), count(*), {distinct} FROM {table_sql(candidate.table)}"  # noqa: S608
            ).fetchone()
    except psycopg.Error:
        return None
    if row is None or not row[1]:
        return None
    states = all(n < STATE_DISTINCT * row[1] for n in row[2:])
    return condition if (states or _flag_values(named)) and row[0] < UNSEEDED_SHARE * row[1] else None


def _flag_values(named: list) -> bool:
    """Every constant is the integer 0 or 1 (`notif = 1`): a flag the code keeps in an integer column the schema
    gives no shape (no default, no CHECK), which the seed drew as a range of numbers; the share of its 1s is the
    seed's accident, not the table's (Synapse's event_push_actions.notif, 1 on most rows in production)."""
    from sqlglot import exp

    def flag(value) -> bool:
        items = value.expressions if isinstance(value, exp.Tuple) else [value]
        return all(isinstance(v, exp.Literal) and not v.is_string and v.name in ("0", "1") for v in items)

    return all(p.value is not None and flag(p.value) for p in named)


def _narrowest(conn: Connection, before: float, used: list, threshold: float, floor: float) -> tuple:
    """Of the (measurement, cost) pairs, the narrowest one that passes the threshold and that no larger
    one pays over: a wider index must save this query what an index of its extra bytes would have to
    (advisor/indexes/slim.py), so a trailing key column or an INCLUDE that buys little is left out;
    nor does one pay that only makes the query cheaper once the narrower one made it cheap (`floor`).
    When none passes, the cheapest (to say how close it came)."""
    from advisor.indexes.candidates import regclass_text
    from advisor.indexes.slim import narrowest
    from advisor.indexes.verify import relation_bytes

    passing = [(m, after) for m, after in used if before and (before - after) / before >= threshold]
    if not passing:  # nothing to recommend: the one that comes closest, to say so
        return min(used, key=lambda pair: (pair[1], pair[0].size_bytes or 0))
    pool = {m.candidate: (m, after) for m, after in reversed(passing)}  # the first of equal candidates
    tables = {c.table: relation_bytes(conn, regclass_text(c.table)) for c in pool}
    sizes = {c: m.size_bytes or 0 for c, (m, _) in pool.items()}
    costs = {c: {0: after} for c, (_, after) in pool.items()}
    return pool[narrowest(sizes, costs, tables, threshold, floor)]


def _refusal(conn: Connection, m) -> str:
    """Why the database refused a candidate, and what it builds instead: an index on a function that is
    not IMMUTABLE (date_trunc('day', timestamptz), a timestamptz cast to date: both depend on the
    TimeZone setting) is refused; the same expression at a stated time zone builds (verified here,
    rolled back), and so does the plain column for the condition written as a range on it."""

    if "statement timeout" in (m.error or ""):
        return (
            f"an index on {m.candidate.describe()} took too long to build on the seeded data (cut after 10 s, or "
            "100 µs a row): an expression this slow to compute would slow every write to the table too"
        )
    text = f"the database refuses an index on {m.candidate.describe()} ({m.error})"
    if "IMMUTABLE" not in (m.error or ""):
        return text
    zoned = tuple(_at_utc(k) for k in m.candidate.keys)
    columns = sorted({c for k in m.candidate.keys if not k.is_column for c in _columns(k.expr)})
    offers = []
    fixed = replace(m.candidate, keys=zoned, include=(), method="btree", opclass=None)
    if zoned != m.candidate.keys and _builds(conn, fixed):
        offers.append(
            f"index {fixed.describe()} and write the condition the same way (a stated time zone makes it immutable)"
        )
    if columns:
        cols = ", ".join(columns)
        offers.append(
            f"write the condition as a range on {cols} ({columns[0]} >= :start AND {columns[0]} < :end) "
            f"and index ({cols})"
        )
    return text + (": " + "; or ".join(offers) if offers else "")


def _columns(expr: str) -> list[str]:
    import sqlglot
    from sqlglot import exp

    try:
        return [c.name for c in sqlglot.parse_one(expr, read="postgres").find_all(exp.Column)]
    except Exception:  # noqa: BLE001  an expression advisor cannot re-read: no column to name
        return []


def _at_utc(key):
    """The key with each column of its expression read at UTC (`col AT TIME ZONE 'UTC'`)."""
    import sqlglot
    from sqlglot import exp

    if key.is_column:
        return key
    try:
        tree = sqlglot.parse_one(key.expr, read="postgres")
    except Exception:  # noqa: BLE001
        return key
    tree = tree.transform(
        lambda n: exp.AtTimeZone(this=n.copy(), zone=exp.Literal.string("UTC")) if isinstance(n, exp.Column) else n
    )
    return replace(key, expr=tree.sql(dialect="postgres"))


def _builds(conn: Connection, candidate) -> bool:
    import psycopg

    from advisor.indexes.verify import create

    try:
        with conn.transaction(force_rollback=True):
            create(conn, candidate, "advisor_candidate")
        return True
    except psycopg.Error:
        return False
