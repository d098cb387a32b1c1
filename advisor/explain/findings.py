"""What the EXPLAIN stage of `advisor check --explain` reports: plan findings and verified index
advice, as hits beside the static ones.

When a statement was planned and its candidates measured, the measurement answers the static
`missing-index` guess (`advise.answers_static`): the guess is replaced by a `missing-index`
finding with evidence "measured" (or "planned" with HypoPG) carrying cost before/after, size
and build time; when the measurement does not confirm the guess, the guess goes and nothing is said.
A `function-on-column` finding whose expression the verified index keys is answered too (its fix).
What PostgreSQL could not plan or load is one note for the project.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from typing import TYPE_CHECKING, Any

from advisor import catalogue
from advisor.checks import Hit
from advisor.explain.advise import answers_static
from advisor.explain.stage import QueryRun, Workload, run_workload, workload_queries
from advisor.indexes.existing import covered_by_existing
from advisor.ir import Location, Schema
from advisor.options import Options
from advisor.project import Project
from advisor.units import human_size

if TYPE_CHECKING:
    from advisor.seed.settings import ExplainSettings

Hits = list[tuple[str, Hit]]


def explain_project(project: Project, options: Options, hits: Hits) -> Hits:
    """The project's hits with plan findings and verified index advice; the answered static guesses replaced."""
    from advisor.seed.settings import explain_settings

    queries = workload_queries(project.sql_queries, project.schema)
    if not options.dsn and not project.schema.files:
        return hits + _no_database(project, queries)
    workload = run_workload(
        project.config, queries, project.schema, dsn=options.dsn, analyze=options.analyze, progress=sys.stderr.isatty()
    )
    settings = explain_settings(project.config)
    try:
        for note in workload.prepared.notes:
            print(f"advisor: note: {note}", file=sys.stderr)
        out = _rejected_note(workload.prepared.load_errors) + _unplanned_note(
            workload.runs, workload.prepared.load_errors
        )
        by_query: dict[Location, Hits] = {}
        for name, hit in hits:
            if hit.query_location is not None:
                by_query.setdefault(hit.query_location, []).append((name, hit))
        replaced: set[int] = set()
        evidence = "measured" if workload.prepared.target.owned else "planned"
        for run in workload.runs:
            statics = by_query.get(run.query.location, [])
            answered = (
                [h for n, h in statics if answers_static(run.outcome, n) or _answers_wrapped(run, n, h.metrics)]
                if run.plan is not None
                else []
            )
            replaced |= {id(h) for h in answered}
            advice = _advice_hits(run, answered, evidence, project.schema)
            standing = advice + [(n, h) for n, h in statics if id(h) not in replaced]  # the verified fix first
            # a plan finding's help names the findings of the statement that explain it: only those reported
            shown = [(n, h) for n, h in standing if not h.withheld and not h.unsized]
            plans = _plan_hits(run, shown, workload, settings, project.schema)
            if run.unseeded:
                # the measurement rests on a constant the seed never drew (advise._unseeded): the static guesses
                # stand (not-verified answers none), and no plan finding claims the rows of that table it keeps
                table = run.unseeded.rsplit(".", 1)[-1]
                plans = [(n, h) for n, h in plans if str(h.metrics.get("relation") or "").rsplit(".", 1)[-1] != table]
            out += _unfolded(plans, standing) + advice
        return [(n, h) for n, h in hits if id(h) not in replaced] + out
    finally:
        workload.prepared.target.close()


def _answers_wrapped(run: QueryRun, rule: str, metrics: dict) -> bool:
    """Is the recommended index on the expression a `function-on-column` finding (`rule`, `metrics`) wraps its
    column in?  Then the verified index is that finding's fix: one problem, one finding."""
    spec = catalogue.lookup(rule)
    best = run.best
    if spec is None or spec.name != "function-on-column" or run.outcome != "recommended" or best is None:
        return False
    table = str(metrics.get("table") or "").rsplit(".", 1)[-1]
    return best.candidate.table.rsplit(".", 1)[-1] == table and any(
        not k.is_column and k.expr == metrics.get("expression") for k in best.candidate.keys
    )


def _plan_hits(
    run: QueryRun,
    shown: Hits,
    workload: Workload,
    settings: ExplainSettings,
    schema: Schema,
) -> Hits:
    """explain-error when the statement could not be planned or run; the plan rules' hits on its plan. A plan
    claim that only matters on a large table (its page: `sized = true`) on a table advisor does not know grows
    is kept back (Hit.unsized): the seeded rows are advisor's, not the table's."""
    from advisor.checks.plans import PlanContext, plan_hits

    q = run.query
    out: Hits = []
    if run.plan is None:  # said once for the project (_unplanned_note)
        return out
    if run.timed_out:
        out.append(
            (
                "explain-error",
                Hit(
                    f"cannot run this statement: {run.error}",
                    q.location,
                    help="advisor went on with the next statement; the plan findings below are from its plan",
                    subject=_error_subject(run),
                    query=q.text,
                    query_location=q.location,
                    metrics={"evidence": "measured"},
                    severity="warning",
                ),
            )
        )
    related: dict[str, list[str]] = {}
    for name, hit in shown:  # the statement's findings that are reported, which a plan finding may name
        spec = catalogue.lookup(name)
        if spec is not None:
            related.setdefault(name, []).append(f"{spec.id} {name} at line {hit.location.line}")
    ctx = PlanContext(
        run.analyzed or run.plan,
        workload.table_rows,
        workload.partitions,
        settings,
        related,
        partition_keys=workload.partition_keys,
        query=q,
        small=schema.small,
    )
    stand_ins = {e.stand_in for e in workload.prepared.load_errors if getattr(e, "stand_in", "")}
    for name, hit in plan_hits(ctx, lambda n: True):
        if run.time_ms is not None:
            hit.metrics["time_ms"] = run.time_ms
        relation = str(hit.metrics.get("relation") or "")
        if relation and (relation in stand_ins or relation.rsplit(".", 1)[-1] in stand_ins):
            continue  # an empty table advisor made for the references to it: its plan says nothing of the real one
        if relation and name in catalogue.sized():
            hit.unsized = None if schema.grows(relation) else relation
            hit.withheld = schema.unseen(relation)  # its unseen part may hold the index the plan lacks
        out.append((name, hit))
    return out


def _unfolded(plans: Hits, standing: Hits) -> Hits:
    """The plan findings that are not the same claim as a finding the statement already has.  A table read row
    by row (SAME_CLAIM) that a finding of the statement explains on that table (its verified index, its optional
    filter, a function on its column: EXPLAINED_BY) is that finding's evidence, not a second finding: it is added
    to that finding's help and metrics ("plan").  One problem, one finding, and one claim when it is kept back for
    want of the table's size (the unknown-size note counts it once)."""
    from advisor.checks.plans import EXPLAINED_BY, SAME_CLAIM

    out: Hits = []
    for name, hit in plans:
        relation = str(hit.metrics.get("relation") or "").rsplit(".", 1)[-1] if name in SAME_CLAIM else ""
        named = re.compile(rf"(?<![\w$]){re.escape(relation)}(?![\w$])") if relation else None
        owner = next(
            (
                h
                for n, h in standing
                if named is not None
                and not h.withheld  # not reported: a note names the table advisor has not seen whole
                and n in EXPLAINED_BY.get(name, ())
                and (named.search(h.subject) or named.search(h.message))
            ),
            None,
        )
        if owner is None:
            out.append((name, hit))
            continue
        owner.help = owner.help.rstrip(";") + f"; the plan shows it: {hit.message}"  # after a statement's own ";"
        owner.metrics.setdefault("plan", []).append({"rule": name, "message": hit.message, **hit.metrics})
    return out


def _no_database(project: Project, queries: list) -> Hits:
    """A project whose config names no schema files: nothing to build a database from, so nothing planned (the
    static findings stand); said once, at its first statement, and the run goes on with the other projects."""
    if not queries:
        return []
    first = queries[0]
    return [
        (
            "explain-error",
            Hit(
                (
                    "advisor did not plan the one statement of this project"
                    if len(queries) == 1
                    else f"advisor planned none of the {len(queries)} statements of this project"
                )
                + ": its config "
                f"({project.config.label}) names no schema files, so there is no database to plan "
                + ("it" if len(queries) == 1 else "them")
                + " on",
                first.location,
                help="point `schema` at the files that build the schema (DDL, migrations), or give --dsn",
                subject="no schema files",
                query=first.text,
                query_location=first.location,
                metrics={"evidence": "planned"},
            ),
        )
    ]


def error_summary(errors: list[str]) -> str:
    """The distinct errors, the first one first (often the cause of the rest: an extension the server lacks, then
    every table that needed it), then the most frequent, each with its count when more than one: `extension
    "uuid-ossp" is not available; relation "records" does not exist (x7); and 2 other errors`."""
    counts = Counter(errors)
    order = [errors[0], *(e for e, _ in counts.most_common() if e != errors[0])] if errors else []
    shown = [f"{e} (x{counts[e]})" if counts[e] > 1 else e for e in order[:3]]
    rest = len(counts) - len(shown)
    return "; ".join(shown) + (f"; and {rest} other error{'s' if rest > 1 else ''}" if rest else "")


def _where(locations: list[Location], what: str, of: int | None = None) -> str:
    """`this statement`, `3 of the 40 statements of this file`, `12 statements, in 4 files`."""
    files = len({loc.path for loc in locations})
    if len(locations) == 1:
        return f"this {what}"
    count = f"{len(locations)} of the {of} {what}s" if of else f"{len(locations)} {what}s"
    return count + (" of this file" if files == 1 else f", in {files} files")


def _lines(locations: list[Location]) -> list:
    """Each statement's line (one file), or path:line (several)."""
    if len({loc.path for loc in locations}) == 1:
        return [loc.line for loc in locations]
    return [f"{loc.path}:{loc.line}" for loc in locations]


def _unplanned_note(runs: list[QueryRun], load_errors: list | None = None) -> Hits:
    """One note for the project on the statements PostgreSQL could not plan (a table advisor could not seed, a
    template it cannot fill, a statement for another server), at the first of them: what advisor could not see
    there, not a claim about the code; what they lack named as advisor's doing when a schema statement it did not
    load makes it."""
    failed = sorted((r for r in runs if r.plan is None), key=lambda r: (r.query.location.path, r.query.location.line))
    if not failed:
        return []
    first, where = failed[0].query, [r.query.location for r in failed]
    unloaded = _made_unloaded(failed, load_errors or [])
    return [
        (
            "explain-error",
            Hit(
                f"PostgreSQL could not plan {_where(where, 'statement', len(runs))}, so advisor has no plan findings "
                f"or index advice for {'it' if len(failed) == 1 else 'them'}: {error_summary([r.error or '' for r in failed])}"
                + ("" if len(failed) == 1 else " (the first is here)")
                + unloaded,
                first.location,
                help="where a table is missing, point `schema` at every file that builds the schema (one it failed "
                "to load is a schema-rejected note); a statement written for another server or with a template "
                "advisor cannot fill stays unplanned",
                subject="unplanned statements",
                query=first.text,
                query_location=first.location,
                metrics={"evidence": "planned", "lines": _lines(where)},
            ),
        )
    ]


_MISSING = re.compile(r'(?:relation|column) "(?:[^"]*\.)?([^".]+)" does not exist')


def _made_unloaded(failed: list[QueryRun], load_errors: list) -> str:
    """What the statements lack that a schema statement advisor did not load (refused, rejected) would have made
    (`column "meta" does not exist`, the column a DO block advisor did not send adds, LoadError.makes), said with
    that statement's place: advisor's doing, not the project's ('' when none is)."""
    missing = [m.group(1).lower() for r in failed if r.error and (m := _MISSING.search(r.error))]
    made: dict[str, Location] = {}
    for e in sorted(load_errors, key=lambda e: (e.path, e.line)):
        for name in getattr(e, "makes", "").split() if not getattr(e, "stand_in", "") else ():
            made.setdefault(name, Location(e.path, e.line, 1))
    named = [n for n in dict.fromkeys(missing) if n in made]
    if not named:
        return ""
    first = made[named[0]]
    more = f" (and {len(named) - 1} more)" if len(named) > 1 else ""
    return (
        f'; "{named[0]}"{more} is made by a schema statement advisor did not load ({first.path}:{first.line}, in the '
        "schema-rejected note)"
    )


def _rejected_note(errors: list) -> Hits:
    """One note for the project on the schema statements PostgreSQL rejected or advisor would not run while loading
    them, at the first: advisor loaded the rest, and what depends on them may go unplanned."""
    stand_ins = [e for e in errors if getattr(e, "stand_in", "")]
    errors = [e for e in errors if not getattr(e, "stand_in", "")]
    made = _stand_ins_said(stand_ins)
    if not errors and stand_ins:
        at = [Location(e.path, e.line, 1) for e in stand_ins]
        advice = "give advisor the schema files that create these tables (`schema` in advisor.toml) and it loads them as they are"
        metrics = {"evidence": "planned", "lines": _lines(at)}
        return [
            ("schema-rejected", Hit(made, at[0], subject="schema statements not loaded", help=advice, metrics=metrics))
        ]
    if not errors:
        return []
    # in the order the schema was loaded; where advisor stopped loading it (its budget spent) comes first: the
    # reason for every statement after it
    stop = next((e for e in errors if getattr(e, "stopped", False)), None)
    first = stop or errors[0]
    where = [Location(e.path, e.line, 1) for e in errors]
    many = f"{_where(where, 'schema statement')}{',' if len({e.path for e in errors}) > 1 else ''} were not loaded: "
    many = many if len(errors) > 1 else ""
    here = "(advisor stopped here)" if stop is not None else "(the first is here)"
    loaded = (
        "advisor loaded the schema up to this statement and planned on that; a schema that takes longer to load, or "
        "writes more, than advisor's limits (the README's security model) is not loaded whole"
        if stop is not None
        else "advisor loaded the rest of the schema"
    )
    return [
        (
            "schema-rejected",
            Hit(
                (
                    f"{many}{error_summary([first.summary, *(e.summary for e in errors if e is not first)])} {here}"
                    if many
                    else first.summary
                )
                + (f"; {made}" if made else ""),
                Location(first.path, first.line, 1),
                subject="schema statements not loaded",
                help=f"{loaded}; a statement PostgreSQL rejects here fails in "
                "production too, one advisor does not run is on its allow-list (see this rule's page)",
                metrics={"evidence": "planned", "lines": _lines(where)},
            ),
        )
    ]


def _stand_ins_said(stand_ins: list) -> str:
    """What the schema-rejected note says of the empty tables advisor made for the references to them ("" for none)."""
    if not stand_ins:
        return ""
    one = len(stand_ins) == 1
    named = ", ".join(f"{e.stand_in} ({e.path}:{e.line})" for e in stand_ins[:5])
    more = f" and {len(stand_ins) - 5} more" if len(stand_ins) > 5 else ""
    it = "it" if one else "them"
    return (
        f"advisor made {'an empty stand-in' if one else 'empty stand-ins'} for {named}{more}, which the schema's foreign "
        f"keys reference and no statement of it creates, so the tables that reference {it} loaded; advisor claims "
        f"nothing about {it} (empty, with only the referenced columns)"
    )


def _error_subject(run: QueryRun) -> str:
    """The error without its numbers (a timeout's milliseconds, an OID, a position): the same error each run."""
    if run.timed_out:
        return "statement timeout"
    return re.sub(r"\d+", "#", run.error or "")


def _advice_hits(run: QueryRun, answered: list[Hit], evidence: str, schema: Schema) -> Hits:
    """The measured index advice of a statement, at the static guess it answers; none when no index is
    recommended (cheap already, below the threshold, no candidate): the guess goes, and nothing is said (the
    corpus's 17 such notes were none worth a line; `advisor indexes` lists every statement's outcome)."""
    q, plan, m = run.query, run.plan, run.best
    if plan is None:  # an unplanned statement has its explain-error (_plan_hits) and no advice
        return []
    if run.outcome == "recommended" and m is not None and m.cost_after is not None:  # (advise sets all three)
        c = m.candidate
        if covered_by_existing(c, schema, keys_only=True):
            return []  # an index leads with its keys already: a covering copy of it is no missing index
        anchor = next((h for h in answered if h.subject.startswith(c.table + "(")), None)
        # the static guess it answers, or its table: which candidate won, its cost and size are measured
        subject = anchor.subject if anchor else c.table
        wrapped = [h for h in answered if "expression" in h.metrics]  # function-on-column: this index is its fix
        where = anchor.location if anchor else wrapped[0].location if wrapped else q.location
        before, after = plan.cost, m.cost_after
        metrics: dict[str, Any] = {
            "evidence": evidence,
            "cost_before": before,
            "cost_after": after,
            "index_size": m.size_bytes,
            "build_ms": m.build_ms,
            "index": c.describe(),
            "reason": c.reason,
        }
        timing = ""
        if run.time_ms is not None:
            metrics["time_before_ms"] = run.time_ms
            if m.time_after_ms is not None:
                metrics["time_after_ms"] = m.time_after_ms
                timing = f", time {run.time_ms:,.1f} ms -> {m.time_after_ms:,.1f} ms"
        ddl = c.ddl()
        help_text = f"add it: {ddl}"
        if wrapped:
            metrics["answers"] = [{"rule": "function-on-column", "message": h.message} for h in wrapped]
        for h in wrapped:
            rewrite = next((part for part in h.help.split("; or ") if part.startswith("rewrite: ")), "")
            help_text += f" (line {h.location.line}: {h.message.split(': an index on')[0]})" + (
                f"; or {rewrite}" if rewrite else ""
            )
        return [
            (
                "missing-index",
                Hit(
                    f"index {c.describe()} verified on seeded data: cost {before:,.1f} -> {after:,.1f} "
                    f"(-{(before - after) / before:.0%}){timing}; size {human_size(m.size_bytes)}"
                    + (f", built in {m.build_ms:,.0f} ms" if m.build_ms is not None else ""),
                    where,
                    help=help_text,
                    fix=ddl,
                    subject=subject,
                    query=q.text,
                    query_location=q.location,
                    metrics=metrics,
                    unsized=None if schema.grows(c.table) else c.table,  # measured on advisor's rows, not the table's
                    withheld=schema.unseen(c.table),  # an index advisor has not seen may serve it
                ),
            )
        ]
    return []  # no index recommended: the measurement answers the static guess, which goes without a word
