"""Measured times of a query without and with an index set, and the decisions taken on them
(steps 6-8 of advisor/indexes/select.py), over plain numbers where they can be: `slower` and its
margin, `settle` (which index only slows a query), `idle` (which bought no measured time);
`timed` runs one query under several configurations, round by round; `checked` is the quick
check `advisor indexes` makes without --analyze."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.explain.stage import QueryRun
    from advisor.indexes.select import Choice

SLOWER = 0.2  # measurably slower: more than 20% longer...
SLOWER_MS = 5.0  # ...and more than 5 ms longer
REPEAT = 3  # runs per measurement, the best kept
LONG_MS = 1000.0  # a run this long is not repeated: a few ms of noise do not matter there
FASTER = 2.0  # quick check: cut without the set at this many times its time with it (plus SLOWER_MS)
SUSPECT = 0.5  # quick check: one run slower by half the margins makes a suspect, timed best of 3 both ways


@dataclass
class Timing:
    """One query timed without the set and with it: planning + execution ms, best of the runs;
    None when cut by the statement timeout (it took at least that)."""

    run: QueryRun
    before_ms: float | None
    after_ms: float | None
    used: frozenset = frozenset()  # names of the set's indexes its plan with the set uses
    noise_ms: float = 0.0  # the widest spread between repeated runs of this query in one configuration
    cut_ms: float | None = None  # before_ms None: the run without the set was cut here (None: the statement timeout)


@dataclass
class TimeDrop:
    """An index left out after measuring: with it `timing` was slower than before the set; or (idle)
    no query it serves ran measurably faster with the set (`timing`: one of them)."""

    choice: Choice
    timing: Timing  # the slow query, before the drop
    without_ms: float | None  # that query without the index
    idle: bool = False


def slower(base: float | None, new: float | None, timeout_ms: float, noise_ms: float = 0.0) -> bool:
    """`new` measurably slower than `base` (ms; None: cut by the timeout, counted as the timeout): by
    more than 20%, more than 5 ms and more than the noise measured on that query."""
    if base is None and new is None:
        return False
    b = timeout_ms if base is None else base
    n = timeout_ms if new is None else new
    return n > b * (1 + SLOWER) and n - b > max(SLOWER_MS, noise_ms)


def regressions(timings: dict, timeout_ms: float) -> list:
    """Keys of the queries measurably slower with the set than without, the largest slowdown first."""

    def ms(v):
        return timeout_ms if v is None else v

    slow = [k for k, t in timings.items() if slower(t.before_ms, t.after_ms, timeout_ms, t.noise_ms)]
    return sorted(slow, key=lambda k: -(ms(timings[k].after_ms) - ms(timings[k].before_ms)))


def restores(key, timings: dict, without: dict, timeout_ms: float) -> bool:
    """Drop the index measured `without` (key -> ms of the queries whose plans use it, the set minus
    it)?  Yes iff query `key` is then no longer slower than before the set and no other of them is
    measurably slower than with the whole set."""
    if key not in without or slower(timings[key].before_ms, without[key], timeout_ms, timings[key].noise_ms):
        return False
    return not any(
        slower(timings[k].after_ms, ms, timeout_ms, timings[k].noise_ms) for k, ms in without.items() if k != key
    )


def settle(timings: dict, measure_without, drop, timeout_ms: float) -> tuple[list, list]:
    """Step 7 of the module docstring, over plain numbers.

    timings: key -> Timing with the current set (updated in place as indexes go);
    measure_without(name, keys) -> {key: (ms, used names)} for those queries with the set minus
    index `name`; drop(name) removes it for good.  Returns [(name, Timing before the drop,
    ms without)] for the indexes dropped, and the keys still measurably slower.
    """
    drops: list = []
    measured: dict[str, dict] = {}  # name -> its `without` times, for the current set
    # only the set's own indexes can be dropped: a plan measured without one may use others (a
    # primary key), which are never candidates for a drop
    live = frozenset().union(*(t.used for t in timings.values()))
    while True:
        for key in regressions(timings, timeout_ms):
            fix = None
            for name in sorted(timings[key].used & live):
                if name not in measured:
                    measured[name] = measure_without(name, [k for k, t in timings.items() if name in t.used])
                if restores(key, timings, {k: v[0] for k, v in measured[name].items()}, timeout_ms):
                    fix = name
                    break
            if fix is not None:
                drops.append((fix, timings[key], measured[fix][key][0]))
                drop(fix)
                live -= {fix}
                for k, (ms, used, *spread) in measured[fix].items():
                    timings[k] = replace(
                        timings[k],
                        after_ms=ms,
                        used=frozenset(used) & live,
                        noise_ms=max([timings[k].noise_ms, *spread]),
                    )
                measured.clear()  # the set changed: times without another index are stale
                break
        else:
            return drops, regressions(timings, timeout_ms)


def idle(timings: dict, timeout_ms: float, marginal=None) -> list[str]:
    """The set's indexes (names in the timings' `used`) none of whose queries ran faster because of them by
    more than 20%, best against best (no milliseconds floor: 2.5 ms to 0.05 ms on a small seeded table is
    a win; and no noise margin: one slow run widens a query's spread past a real sub-millisecond win, and
    noise must never be the reason an index is left out): the planner's cost said they help, the clock
    did not; they would cost writes and space for nothing measured.  A query whose plan uses other indexes of the set too counts
    for this one only if it ran faster with the set than with the set minus this one: `marginal(name,
    keys)` -> key -> (best ms without it, best ms with the set), run interleaved (TPC-H Q7 made faster by
    orders(o_custkey) is no win of lineitem(l_suppkey), which its plan also uses).  Without `marginal`,
    such a query's win counts for every index its plan uses."""

    def faster(before: float | None, after: float | None) -> bool:
        if after is None:
            return False
        return (timeout_ms if before is None else before) > after * (1 + SLOWER)

    out = []
    for name in sorted(set().union(*(t.used for t in timings.values()))):
        served = {k: t for k, t in timings.items() if name in t.used}
        wins = [k for k, t in served.items() if faster(t.before_ms, t.after_ms)]
        if marginal is not None and wins and all(served[k].used != {name} for k in wins):
            m = marginal(name, wins)
            wins = [k for k in wins if faster(m[k][0], m[k][1])]
        if not wins:
            out.append(name)
    return out


def leave_idle(timings: dict, timeout_ms: float, measure, drop) -> list[tuple[str, Timing]]:
    """Step 8 over plain numbers: the idle indexes left out one at a time, each deciding again on the set the
    last one left (two that each keep a query's win alone are not both idle).  measure(name, keys) -> key ->
    (best ms with the set minus `name`, the set's indexes that plan uses, spread, best ms with the set);
    drop(name) removes it.  A query whose win was measured without the index keeps that time and plan; the
    others the time they had without the set.  Returns [(name, one of its queries' Timing before)]."""
    out: list[tuple[str, Timing]] = []
    margins: dict[str, dict] = {}

    def marginal(name: str, keys: list) -> dict:
        margins[name] = measure(name, keys)
        return {k: (v[0], v[3]) for k, v in margins[name].items()}

    while suspects := idle(timings, timeout_ms, marginal):
        name = suspects[0]
        drop(name)
        served = [k for k, t in timings.items() if name in t.used]
        out.append((name, timings[served[0]]))
        for k in served:
            m = margins.get(name, {}).get(k)
            if m is not None and m[0] is not None:
                timings[k] = replace(timings[k], after_ms=m[0], used=frozenset(m[1]) - {name})
            else:
                timings[k] = replace(timings[k], after_ms=timings[k].before_ms, used=timings[k].used - {name})
        margins.clear()
    return out


def timed(
    conn, explain, configs: dict[str, list[str]], repeat: int, long_ms: float = LONG_MS
) -> dict[str, tuple[float | None, frozenset, float]]:
    """One query under each configuration (the indexes it drops, in a savepoint), round by round:
    config -> (best planning + execution ms, or None when cut by the timeout; indexes its plan used;
    the spread, max - min, of its runs: the noise)."""
    import psycopg

    best: dict[str, tuple[float | None, frozenset, float]] = {c: (None, frozenset(), 0.0) for c in configs}
    runs: dict[str, list[float]] = {c: [] for c in configs}
    done: set[str] = set()
    for _ in range(repeat):
        for config, dropped in configs.items():
            if config in done:
                continue
            try:
                with conn.transaction(force_rollback=True):
                    for name in dropped:
                        conn.execute(f"DROP INDEX {name}")
                    plan, _ = explain(conn)
            except psycopg.errors.QueryCanceled:
                done.add(config)
                continue
            ms = (plan.planning_ms or 0.0) + (plan.execution_ms or 0.0)
            runs[config].append(ms)
            spread = max(runs[config]) - min(runs[config])
            fastest = best[config][0]  # None: no run of it finished yet
            if fastest is None or ms < fastest:
                best[config] = (ms, frozenset(plan.indexes_used()), spread)
            else:
                best[config] = (*best[config][:2], spread)
            if ms > long_ms:
                done.add(config)
    return best


Run = tuple[float | None, frozenset, float]  # what `timed` gives per configuration: best ms, indexes used, spread


def checked(
    conn, explain, capped, dropped: list[str], repeat: int, known: tuple[Run, float | None] | None = None
) -> tuple[Run, Run, float | None]:
    """The quick check of one query (`advisor indexes` without --analyze): (without the set, with it, the
    cap the run without it was cut at, if it was).  One run with the set; then one without it, cut at
    FASTER times that (`capped(ms)` is the explainer under that timeout).  Unless that one run was
    slower with the set by half the margins (`_suspect`), it is settled; a suspect is run
    `repeat` - 1 more rounds of both, interleaved, its first run each way counted with them: best of
    `repeat` each way, as --analyze times every query; a decision to drop an index is never taken on one run.  A true slowdown of a few tens of percent can hide in one run's noise:
    --analyze is the thorough check.  `dropped`: the set's index names (a savepoint drops them).  `known`: the
    run without the set an earlier check of this query took (and the cap it was cut at, if it was): no new
    index, the same configuration, so it is not run again unless its cap is below this check's."""
    after = timed(conn, explain, {"after": []}, 1)["after"]
    if after[0] is None:  # cut by the statement timeout with the set: it is not run again
        if known is not None and known[1] is None:
            return known[0], after, None
        return timed(conn, explain, {"before": dropped}, repeat)["before"], after, None
    cap = FASTER * after[0] + SLOWER_MS
    if known is not None and (known[1] is None or known[1] >= cap):
        before, cut = known
    else:
        before = timed(conn, capped(cap), {"before": dropped}, 1)["before"]
        cut = cap if before[0] is None else None
    if before[0] is None or not _suspect(before[0], after[0]):
        return before, after, cut
    more = timed(conn, explain, {"before": dropped, "after": []}, repeat - 1)
    return _merge(before, more["before"]), _merge(after, more["after"]), None


def again(conn, explain, dropped: list[str], repeat: int, t: Timing, names: set[str]) -> Timing:
    """A query the quick check ran once each way, run `repeat` - 1 more rounds of both, interleaved, those
    runs counted: best of `repeat` each way, before an index is left out as idle on its times.  `dropped`:
    the set's index names (a savepoint drops them); `names`: the set's, for the indexes its plan uses."""
    more = timed(conn, explain, {"before": dropped, "after": []}, repeat - 1)
    before = _merge((t.before_ms, frozenset(), 0.0), more["before"])
    after = _merge((t.after_ms, t.used, 0.0), more["after"])
    used = after[1] & names if after[0] is not None else t.used
    return replace(
        t, before_ms=before[0], after_ms=after[0], used=frozenset(used), noise_ms=max(t.noise_ms, before[2], after[2])
    )


def _suspect(before_ms: float, after_ms: float) -> bool:
    """One run each way, slower with the set by half the margins of `slower`: a slowdown of 20% hides in one
    run's noise (a median spread near 20% on TPC-H), so the screen is looser than the decision, which
    best of 3 each way takes with the full margins."""
    return after_ms > before_ms * (1 + SLOWER * SUSPECT) and after_ms - before_ms > SLOWER_MS * SUSPECT


def _merge(a: Run, b: Run) -> Run:
    """Two series of runs of one configuration as one: the best, its plan's indexes, the whole spread."""
    a_ms, b_ms = a[0], b[0]
    if a_ms is None or b_ms is None:
        return b if a_ms is None else a
    best, best_ms = (a, a_ms) if a_ms <= b_ms else (b, b_ms)
    return best_ms, best[1], max(a_ms + a[2], b_ms + b[2]) - best_ms
