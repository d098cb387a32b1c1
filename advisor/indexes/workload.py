"""`advisor indexes`: one verified index set for a project's whole workload, and what became of
each statement (recommended, served by another index, left out, timed)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from advisor.explain.stage import QueryRun, Workload, make_explainer, run_workload, workload_queries
from advisor.indexes.budget import MaxSize
from advisor.indexes.migration import migration, time_change
from advisor.indexes.select import Choice, Summary, select
from advisor.ir import Location
from advisor.project import Project


@dataclass
class Outcome:
    """What became of one statement of the workload."""

    location: Location
    status: str  # recommended, cheap, no-candidate, below-threshold, not-verified, error
    detail: str


@dataclass
class WorkloadAdvice:
    notes: list[str] = field(default_factory=list)  # for the user, before the rest
    outcomes: list[Outcome] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)
    migration: str = ""


def advise_workload(
    project: Project, dsn: str | None, analyze: bool, max_size: MaxSize | None = None
) -> WorkloadAdvice:
    """Plan every statement of a loaded project, measure its candidates, choose the set, write the migration.
    max_size: the storage budget (`--max-size`); None: the config's `[indexes] max_size`, or the default."""
    workload = plan_workload(project, dsn, analyze)
    try:
        return choose(project, workload, analyze, max_size)
    finally:
        workload.prepared.target.close()


def plan_workload(project: Project, dsn: str | None, analyze: bool) -> Workload:
    """Every plannable statement planned (and its candidates measured) on the prepared database; the
    caller closes workload.prepared.target."""
    queries = workload_queries(project.sql_queries, project.schema)
    return run_workload(project.config, queries, project.schema, dsn=dsn, analyze=analyze, progress=sys.stderr.isatty())


def choose(project: Project, workload: Workload, analyze: bool, max_size: MaxSize | None = None) -> WorkloadAdvice:
    """The set for a planned workload, on its (still open) database, and the migration."""
    from advisor.indexes.budget import max_size_setting
    from advisor.seed import limits
    from advisor.seed.server import DatabaseError, connect
    from advisor.seed.settings import explain_settings

    settings = explain_settings(project.config)
    budget = max_size if max_size is not None else max_size_setting(project.config)
    out = WorkloadAdvice(summary=Summary(timeout_ms=settings.statement_timeout_ms))
    taken = [i.name for i in project.schema.indexes]
    out.notes += [f"advisor: note: {note}" for note in workload.prepared.notes]
    out.notes += [str(err) for err in workload.prepared.load_errors]
    spent = workload.deadline.spent if workload.deadline is not None else lambda: ""
    if not workload.prepared.target.owned:
        out.summary.unchosen = "read-only mode: advisor only plans on the database of --dsn, where it builds no index"
    elif spent():
        out.summary.unchosen = spent()
    if out.summary.unchosen:
        out.notes.append(f"advisor: note: no index set chosen: {out.summary.unchosen}")
    else:
        import psycopg

        with limits.Watch(spent), limits.watched(connect(workload.prepared.target.conninfo, autocommit=True)) as conn:
            try:
                out.choices, out.summary = select(
                    conn,
                    workload.runs,
                    project.schema,
                    settings.threshold,
                    make_explainer,
                    settings.statement_timeout_ms,
                    analyze=analyze,
                    min_cost=settings.min_cost,
                    max_size=budget,
                )
            except psycopg.Error:
                if limits.over():  # a statement of the choice cancelled: the run cannot go on to a set
                    raise DatabaseError(f"{limits.over()} while choosing the index set; no set chosen") from None
                raise
            # every statement was built by select() under another name: the printed name must be free too
            taken += [r[0] for r in conn.execute("SELECT relname FROM pg_class").fetchall()]
    out.outcomes = [_outcome(run, out.choices, out.summary) for run in workload.runs]
    out.migration = migration(out.choices, out.summary, taken=taken)
    return out


def _outcome(run: QueryRun, choices: list[Choice], summary: Summary) -> Outcome:
    kept = {id(r): ch for ch in choices for r in ch.queries}
    dropped = {id(r): ch for ch in summary.dropped for r in ch.queries}
    time_dropped = {id(r): d for d in summary.time_dropped for r in d.choice.queries}
    timings = {id(t.run): t for t in summary.timings}
    slow = {id(t.run) for t in summary.warnings}
    detail = run.reason or (run.error or "")
    if run.outcome == "recommended":
        rec = run.recommendation()
        m = rec.best
        detail = f"{m.candidate.describe()}: cost {rec.cost_before:,.1f} -> {rec.cost_after:,.1f}"
        if id(run) in kept and kept[id(run)].candidate != m.candidate:
            detail += f" (served by {kept[id(run)].candidate.describe()})"
        elif id(run) in dropped:
            detail += " (left out of the set: next to the other indexes it saves too little for its size)"
        elif id(run) in time_dropped:
            d = time_dropped[id(run)]
            detail += (
                " (left out after measuring: no query it serves ran measurably faster)"
                if d.idle
                else f" (left out after measuring: {d.timing.run.query.location.path}:"
                f"{d.timing.run.query.location.line} ran slower with it)"
            )
    if id(run) in timings:
        detail += f"; measured {time_change(timings[id(run)], summary.timeout_ms)} with the set"
        if id(run) in slow:
            detail += " (WARNING: slower)"
    return Outcome(run.query.location, run.outcome or "error", detail)
