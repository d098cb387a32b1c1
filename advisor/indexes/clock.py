"""Steps 6-8 of advisor/indexes/select.py inside select()'s transaction: the queries the set changes timed
without and with it (the quick check, or best of `repeat` with --analyze), and the indexes that only slow
some down, or buy no measured time, dropped (advisor/indexes/timing.py decides, over plain numbers)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from advisor.indexes.timing import TimeDrop, Timing, again, checked, idle, leave_idle, settle, timed

if TYPE_CHECKING:
    from advisor.explain.stage import QueryRun
    from advisor.indexes.select import MakeExplainer, Summary


@dataclass
class Clocked:
    """What a quick check of the set measured (steps 6-7): the timings, the plans timed (`after`, once
    its drops were made) and the runs, with the parameters they ran with, by id(run)."""

    timings: dict[int, Timing]
    plans: dict = field(default_factory=dict)
    runs: dict[int, QueryRun] = field(default_factory=dict)


def measure_set(
    conn,
    planned,
    kept,
    names,
    before,
    after,
    make_explainer: MakeExplainer,
    timeout_ms,
    repeat,
    summary: Summary,
    known: Clocked | None = None,
) -> Clocked:
    """Steps 6-8 inside select()'s transaction: time the queries the set changes, drop the indexes
    that only slow some down or buy no measured time (DROP INDEX for good in that transaction).  Fills
    summary.timings, .time_dropped, .warnings; returns id(run) -> Timing (`.plans` left for the caller).
    summary.quick: the quick check (step 6); an index it finds idle has its queries timed best of `repeat`
    each way before it is left out.  `known` (the quick check of the set before the budget
    chose again): a query keeps the time it had there when its plan is the one timed then, and its run
    without the set otherwise (no new index, the same parameters: the same configuration), so only what
    the budget changed runs again."""
    import psycopg

    by_name = {names[id(ch)].rsplit(".", 1)[-1]: ch for ch in kept}
    earlier = known or Clocked({})

    def same_plan(r) -> bool:
        was, now = earlier.plans.get(id(r)), after[id(r)]
        return was is not None and was[1] == now[1] and abs(was[0] - now[0]) <= 1e-9 * max(was[0], now[0])

    def moved(r) -> bool:
        return bool(after[id(r)][1] & set(by_name)) or abs(after[id(r)][0] - before[id(r)][0]) > 1e-6 * before[id(r)][0]

    runnable = _runnable(conn, [r for r in planned if moved(r)], summary.quick, earlier.runs)
    changed = [r for r in planned if id(r) in runnable]
    explain = {id(r): make_explainer(runnable[id(r)], True, timeout_ms) for r in changed}
    timings: dict[int, Timing] = {}
    for r in changed:
        dropped = [names[id(ch)] for ch in kept]
        old = earlier.timings.get(id(r))
        if old is not None and same_plan(r):
            timings[id(r)] = replace(old, used=old.used & set(by_name))
            continue
        try:
            if summary.quick:
                b, a, cut = checked(
                    conn,
                    explain[id(r)],
                    lambda ms, r=r: make_explainer(runnable[id(r)], True, ms),
                    dropped,
                    repeat,
                    ((old.before_ms, frozenset(), old.noise_ms), old.cut_ms) if old is not None else None,
                )
            else:  # a query the workload's own --analyze run saw cut without any new index is not run without it again
                t = timed(
                    conn, explain[id(r)], {"after": []} if r.timed_out else {"before": dropped, "after": []}, repeat
                )
                b, a, cut = t.get("before", (None, frozenset(), 0.0)), t["after"], None
        except psycopg.Error:  # the query fails with its sampled parameters: not measured
            continue
        used = (a[1] if a[0] is not None else after[id(r)][1]) & set(by_name)  # cut: the planned plan
        timings[id(r)] = Timing(r, b[0], a[0], frozenset(used), max(a[2], b[2]), cut_ms=cut)

    def without(name: str, keys: list, with_set: bool = False) -> dict:
        """key -> (best ms with the set minus `name`, the indexes that plan uses, the spread, and with_set: the
        best ms with the whole set, timed interleaved with it)."""
        configs = {"without": [names[id(by_name[name])]], **({"after": []} if with_set else {})}
        out: dict = {}
        for key in keys:
            try:
                t = timed(conn, explain[key], configs, repeat)
            except psycopg.Error:  # counted as cut without it: never a reason to drop, and a win of this index
                out[key] = (None, frozenset(), 0.0, 0.0 if with_set else None)
                continue
            ms, used, spread = t["without"]
            now = t["after"] if with_set else (None, frozenset(), 0.0)
            out[key] = (ms, used & set(by_name), max(spread, now[2]), now[0] if with_set else None)
        return out

    def drop(name: str) -> None:
        conn.execute(f"DROP INDEX {names[id(by_name[name])]}")

    drops, slow = settle(
        timings, lambda name, keys: {k: v[:3] for k, v in without(name, keys).items()}, drop, timeout_ms
    )
    summary.time_dropped = [TimeDrop(by_name[name], t, ms) for name, t, ms in drops]

    suspects = idle(timings, timeout_ms)
    if summary.quick and suspects:  # one run each way: the queries of an index that looks idle, best of `repeat`
        live = [names[id(by_name[n])] for n in sorted(set(by_name) - {d[0] for d in drops})]
        for key, once in list(timings.items()):
            if once.used & set(suspects) and once.before_ms is not None and once.after_ms is not None:
                timings[key] = again(conn, explain[key], live, repeat, once, set(by_name))
    # step 8: left out one at a time; their queries keep the time they had without them (advisor.indexes.timing)
    for name, before in leave_idle(timings, timeout_ms, lambda n, keys: without(n, keys, with_set=True), drop):
        summary.time_dropped.append(TimeDrop(by_name[name], before, before.before_ms, idle=True))
    slow = [k for k in slow if timings[k].used]
    summary.timings = list(timings.values())
    summary.warnings = [timings[k] for k in slow]
    summary.uses = {id(t.run): [by_name[n].candidate.describe() for n in sorted(t.used)] for t in timings.values()}
    return Clocked(timings, runs=runnable)


def _runnable(conn, runs: list[QueryRun], sample: bool, sampled: dict[int, QueryRun]) -> dict[int, QueryRun]:
    """id(run) -> the run with a value for each of its parameters: as the workload's --analyze run sampled
    them, or (`sample`: the quick check, after a workload planned without running) sampled here, or by an
    earlier check (`sampled`).  A run without them is not timed."""
    from advisor.explain.params import sample_params

    out = {}
    for r in runs:
        run = sampled.get(id(r), r)
        if sample and len(run.params) < run.nparams:
            tables = sorted({t for s in r.facts.scopes for t in s.sources.values()}) if r.facts else []
            run = replace(r, params=sample_params(conn, r.sql, r.nparams, tables))
        if len(run.params) >= run.nparams:
            out[id(r)] = run
    return out
