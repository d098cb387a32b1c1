"""Advice quality on TPC-H: advisor's index set beside a human reference and two peer tools, timed live.

    /work/venv/bin/python benchmarks/tpch_advice.py [--scale 0.1] [--data DIR] [--timeout 20] [--analyze]

Workload: the 22 queries and the PostgreSQL schema of ../shared/workloads/tpch (primary keys only:
tpch-create.sql + tpch-pkeys.sql).  Data: real TPC-H data from the PyPI package `tpchgen-cli`
(the `bench` extra), CSV with a header row, generated into a temporary directory unless --data
names one that has it.

On one temporary embedded server (stopped at the end, whatever happens):
1. advisor: `advisor indexes` (with --analyze: `advisor indexes --analyze`) on the project, through
   the CLI's own code path (advisor/indexes/workload.py: plan_workload, then choose), with an
   advisor.toml whose [seed.csv] points at the CSV files -- so the seeding is advisor's own (schema,
   COPY, VACUUM (ANALYZE)), in a scratch database on that server as with --dsn.  Timed: seeding,
   planning + candidates, selection.  Its migration is printed.  Then, on the same planned workload,
   `advisor indexes --max-size N` with N the human reference's total size, measured in the run (its
   indexes built and rolled back): "advisor at the reference's footprint", its own migration and row.
2. The sets, each built for real in that same database:  advisor's, by running the statements of
   its printed migration exactly as printed (CREATE INDEX CONCURRENTLY; a statement that fails is
   reported); the human reference `schema/tpch-index.sql` (pg_tpch); and every `peer_sets/*.sql`
   (recorded output of supabase index_advisor and Dexter).  Index names are taken from the files
   or given; sizes from pg_relation_size.  Then ANALYZE.
3. Every query is run with EXPLAIN (ANALYZE) under each configuration -- primary keys only, and each
   set -- interleaved round by round: every index is built once, and a configuration is the set of
   the others dropped in a transaction that is rolled back, so a shared machine's noise falls on
   all alike.  Best of --repeat; statement_timeout --timeout per query (a cut run counts as >= it
   and is not repeated; nor is a run over 5 s).

Printed: per set its index count, total size and 22-query total; the time advisor took; per query
the ones some set changes measurably (> 20% and > 5 ms, advisor's own `slower`); the noise seen
(spread of the repeated runs); and the issue's done-criteria, met or not.
Not "TPC-H results" (TPC fair-use rules).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# ../shared next to the checkout (a worktree one level deeper finds it one level up)
WORKLOAD = next((p / "shared" / "workloads" / "tpch" for p in ROOT.parents if (p / "shared" / "workloads").is_dir()),
                ROOT.parent / "shared" / "workloads" / "tpch")
BUDGET = "advisor at the reference's footprint"  # advisor with --max-size = the human reference's measured size
HUMAN = "human (pg_tpch)"
SHORT = {BUDGET: "advisor@ref"}  # column headers of the per-query table
TABLES = ["region", "nation", "part", "supplier", "partsupp", "customer", "orders", "lineitem"]
LONG_MS = 5000.0  # a run this long is not repeated
CREATE = re.compile(r"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
                    r"(?:(?!ON\b)(\"[^\"]+\"|[\w.]+)\s+)?ON\s+(.*)$", re.IGNORECASE | re.DOTALL)


def generate(scale: float, out: Path) -> None:
    exe = shutil.which("tpchgen-cli") or str(Path(sys.executable).parent / "tpchgen-cli")
    if not Path(exe).exists():
        sys.exit("tpchgen-cli not found: pip install tpchgen-cli (the `bench` extra)")
    started = time.perf_counter()
    subprocess.run([exe, "csv", "-s", str(scale), f"--output-dir={out}"], check=True)
    print(f"generated TPC-H SF {scale} CSV in {time.perf_counter() - started:.1f} s ({out})")


def tpch_project(where: Path, settings: str) -> Path:
    """An advisor project of the TPC-H queries over the schema with primary keys only; `settings`
    (TOML) says how to fill it."""
    (where / "schema").mkdir(parents=True, exist_ok=True)
    (where / "queries").mkdir()
    shutil.copy(WORKLOAD / "schema" / "tpch-create.sql", where / "schema" / "01-create.sql")
    shutil.copy(WORKLOAD / "schema" / "tpch-pkeys.sql", where / "schema" / "02-pkeys.sql")
    for q in sorted((WORKLOAD / "queries").glob("q*.sql")):
        shutil.copy(q, where / "queries" / q.name)
    (where / "advisor.toml").write_text(
        'paths = ["queries"]\nschema = ["schema/01-create.sql", "schema/02-pkeys.sql"]\n\n' + settings)
    return where


def project(data: Path, where: Path) -> Path:
    """The TPC-H project loaded from tpchgen-cli's CSV files, linked (else copied) into it: advisor reads
    no file outside the project's root."""
    (where / "data").mkdir(parents=True)
    for t in TABLES:
        try:
            os.link(data / f"{t}.csv", where / "data" / f"{t}.csv")
        except OSError:
            shutil.copy(data / f"{t}.csv", where / "data" / f"{t}.csv")
    csv = "\n".join(f'{t} = {json.dumps(f"data/{t}.csv")}' for t in TABLES)
    return tpch_project(where, f"[seed.csv]\n{csv}\n\n[explain]\ncache = false\n")


def statements(text: str) -> list[str]:
    """The SQL statements of a file or a migration: comments dropped, split on `;`."""
    body = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
    return [s.strip() for s in body.split(";") if s.strip()]


def index_sets(advisor_migration: str, budget_migration: str) -> dict[str, list[tuple[str | None, str]]]:
    """set -> [(index name to give, or None to keep the statement as printed; statement)]."""
    sets: dict[str, list[tuple[str | None, str]]] = {"advisor": [(None, s) for s in statements(advisor_migration)]}
    # the same statements may be in both advisor sets: the budget's are built under names of their own
    sets[BUDGET] = [(f"b_budget_{i}", s) for i, s in enumerate(statements(budget_migration))]
    files = {HUMAN: WORKLOAD / "schema" / "tpch-index.sql"}
    files |= {p.stem: p for p in sorted((WORKLOAD / "peer_sets").glob("*.sql"))}
    for label, path in files.items():
        tag = re.sub(r"\W+", "_", label.split(" ")[0].lower())
        sets[label] = [(f"b_{tag}_{i}", s) for i, s in enumerate(statements(path.read_text()))]
    return sets


def reference_bytes(conn) -> int:
    """The human reference's total size, its indexes built on the loaded data (rolled back)."""
    with conn.transaction(force_rollback=True):
        built, _ = build(conn, {HUMAN: index_sets("", "")[HUMAN]})
        return sum(size for _, size in built[HUMAN])


def build(conn, sets) -> tuple[dict[str, list[tuple[str, int]]], list[str]]:
    """Every set built: set -> [(index name, bytes)]; and the statements that failed."""
    built: dict[str, list[tuple[str, int]]] = {}
    failed = []
    for label, stmts in sets.items():
        built[label] = []
        for rename, sql in stmts:
            m = CREATE.match(sql)
            if m and rename:
                sql = f"CREATE INDEX {rename} ON {m.group(3)}"
            try:
                conn.execute(sql)
            except Exception as exc:  # noqa: BLE001  reported: a printed statement that does not build
                failed.append(f"{label}: {sql}: {str(exc).splitlines()[0]}")
                continue
            if m:
                name = rename or m.group(2)
                size = conn.execute("SELECT pg_relation_size(%s::regclass)", (name,)).fetchone()[0]
                built[label].append((name, size))
    return built, failed


def time_query(conn, sql: str, configs: dict[str, list[str]], timeout_s: float, repeat: int) -> dict:
    """config -> (best ms or None when cut, indexes the plan used, spread max - min of its runs), timed as
    `advisor indexes --analyze` times (advisor/indexes/timing.py): interleaved, in rolled-back savepoints."""
    from advisor.explain.plan import parse_plan
    from advisor.indexes import timing

    def explain(conn):
        conn.execute(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
        return parse_plan(conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", prepare=False).fetchone()[0]), None

    return timing.timed(conn, explain, configs, repeat, long_ms=LONG_MS)


def _ms(value: float | None, timeout_s: float) -> str:
    return f">={timeout_s * 1000:,.0f}" if value is None else f"{value:,.1f}"


def _total(times: dict, timeout_s: float) -> tuple[float, str]:
    values = [v[0] for v in times.values()]
    total = sum(timeout_s * 1000 if v is None else v for v in values)
    return total, (">=" if any(v is None for v in values) else "") + f"{total:,.0f}"


def _mb(n: int) -> str:
    return f"{n / 1048576:,.1f} MB"


def run_advisor(proj: Path, dsn: str, analyze: bool):
    """`advisor indexes [--analyze]` on the project, by the CLI's code path; (loaded project, workload,
    advice, seconds by phase).  The workload's database stays open (the caller closes it)."""
    import advisor.seed.prepare as prepare_module
    from advisor.indexes.workload import choose, plan_workload
    from advisor.loader import load_project
    from advisor.options import Options

    seeded = {}
    real_prepare = prepare_module.prepare

    def timed_prepare(*args, **kwargs):  # the seeding's share, reported apart: the peers ran on loaded data
        t0 = time.perf_counter()
        try:
            return real_prepare(*args, **kwargs)
        finally:
            seeded["s"] = time.perf_counter() - t0

    prepare_module.prepare = timed_prepare
    try:
        t0 = time.perf_counter()
        loaded = load_project(["."], Options())
        workload = plan_workload(loaded, dsn, analyze)
        t1 = time.perf_counter()
        advice = choose(loaded, workload, analyze)
        t2 = time.perf_counter()
    finally:
        prepare_module.prepare = real_prepare
    phases = {"seed": seeded.get("s", 0.0), "plan+candidates": t1 - t0 - seeded.get("s", 0.0), "select": t2 - t1}
    return loaded, workload, advice, phases


def run_budget(loaded, workload, analyze: bool, max_bytes: int):
    """`advisor indexes --max-size <max_bytes>B` on the workload already planned: (advice, seconds to select)."""
    from advisor.indexes.budget import MaxSize
    from advisor.indexes.workload import choose

    t0 = time.perf_counter()
    advice = choose(loaded, workload, analyze, MaxSize(f"{max_bytes}B", bytes=max_bytes))
    return advice, time.perf_counter() - t0


def report(args, phases, advice, built, failed, timed, names) -> None:  # noqa: C901
    t = args.timeout
    sets = list(built)
    configs = ["pkeys only"] + sets
    from advisor.indexes.timing import slower

    print(f"\nTPC-H SF {args.scale:g}, embedded PostgreSQL, EXPLAIN (ANALYZE) planning+execution ms, best of "
          f"{args.repeat}, interleaved, statement_timeout {t:g} s ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})")
    choose_s = phases["plan+candidates"] + phases["select"]
    print(f"advisor chose its set in {choose_s:.1f} s (planning + candidates {phases['plan+candidates']:.1f} s, "
          f"selection {phases['select']:.1f} s; seeding {phases['seed']:.1f} s apart){' with --analyze' if args.analyze else ''}")
    print(f"at the reference's footprint (--max-size {_mb(phases['max_bytes'])}): chosen in "
          f"{phases['plan+candidates'] + phases['select budget']:.1f} s (selection {phases['select budget']:.1f} s)")
    totals = {c: _total({n: timed[n][c] for n in names}, t) for c in configs}
    print(f"\n{'set':<38} {'indexes':>7} {'size':>10} {'22-query total ms':>18}")
    for c in configs:
        idx = built.get(c, [])
        print(f"{c:<38} {len(idx):>7} {_mb(sum(s for _, s in idx)):>10} {totals[c][1]:>18}")
    print("\nqueries some set changes measurably (ms; * = measurably slower than primary keys only):")
    print(f"{'query':<6}" + "".join(f" {SHORT.get(c, c)[:14]:>14}" for c in configs))
    unchanged = []
    for n in names:
        base = timed[n]["pkeys only"][0]
        changed = [c for c in sets if slower(base, timed[n][c][0], t * 1000) or slower(timed[n][c][0], base, t * 1000)]
        if not changed:
            unchanged.append(n)
            continue
        cells = [_ms(timed[n][c][0], t) + ("*" if c != "pkeys only" and slower(base, timed[n][c][0], t * 1000) else "")
                 for c in configs]
        print(f"{n:<6}" + "".join(f" {x:>14}" for x in cells))
    print(f"unchanged by every set: {', '.join(unchanged) or '-'}")
    spreads = [spread / best for n in names for c in configs if (best := timed[n][c][0]) and (spread := timed[n][c][2])]
    if spreads:
        print(f"noise: spread (max-min)/min of the repeated runs of one query in one configuration: median "
              f"{statistics.median(spreads):.0%}, 90th percentile {sorted(spreads)[int(0.9 * (len(spreads) - 1))]:.0%}")
    for label in ("advisor", BUDGET):
        print(f"\n{label}'s set:" if label == "advisor" else f"\n{label} (built as b_budget_<n>, in its order):")
        for name, size in built[label]:
            served = sorted(n for n in names if name in timed[n][label][1])
            print(f"  {name:<40} {_mb(size):>9}  used by {', '.join(served) or '-'}")
    for line in failed:
        print(f"  FAILED TO BUILD: {line}")

    size = {c: sum(s for _, s in built[c]) for c in sets}
    human = HUMAN
    peers = [c for c in sets if c not in ("advisor", BUDGET, human)]
    def spread(n, c):
        return timed[n][c][2]

    # measurably slower: beyond 20%, 5 ms and the spread of either configuration's own runs (advisor's
    # `slower`); a plan that uses none of the set is the plan without it: its difference is noise
    worse = [n for n in names if slower(timed[n]["pkeys only"][0], timed[n]["advisor"][0], t * 1000,
                                        max(spread(n, "pkeys only"), spread(n, "advisor")))]
    set_names = {name for name, _ in built["advisor"]}
    slow = [n for n in worse if timed[n]["advisor"][1] & set_names]
    noise = [n for n in worse if n not in slow]
    adv_failed = [f for f in failed if f.startswith(("advisor:", BUDGET))]
    print("\ndone-criteria (issue 12):")
    checks = [
        (f"22-query total <= human reference ({totals['advisor'][1]} vs {totals[human][1]} ms)",
         totals["advisor"][0] <= totals[human][0]),
        (f"total size <= human reference ({_mb(size['advisor'])} vs {_mb(size[human])})", size["advisor"] <= size[human]),
        *[(f"22-query total below {p} ({totals['advisor'][1]} vs {totals[p][1]} ms)", totals["advisor"][0] < totals[p][0])
          for p in peers],
        (f"chooses in < 10 s ({choose_s:.1f} s)", choose_s < 10),
        (f"no query measurably slower than with primary keys only, beyond its runs' spread, on a plan using the "
         f"set ({', '.join(slow) or 'none'}; slower on the unchanged plan, i.e. noise: {', '.join(noise) or 'none'})",
         not slow),
        (f"every printed statement builds ({len(adv_failed)} failed)", not adv_failed),
        (f"at the reference's footprint: total <= human reference ({totals[BUDGET][1]} vs {totals[human][1]} ms)",
         totals[BUDGET][0] <= totals[human][0]),
        (f"at the reference's footprint: size <= human reference ({_mb(size[BUDGET])} vs {_mb(size[human])})",
         size[BUDGET] <= size[human]),
    ]
    for text, ok in checks:
        print(f"  [{'met' if ok else 'NOT MET'}] {text}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--data", type=Path, help="directory with the tpchgen-cli CSV files (generated when missing)")
    ap.add_argument("--timeout", type=float, default=20.0, help="statement timeout per query, seconds")
    ap.add_argument("--repeat", type=int, default=3, help="runs per query and configuration (best kept)")
    ap.add_argument("--analyze", action="store_true", help="choose advisor's set with `advisor indexes --analyze`")
    args = ap.parse_args()

    from advisor.seed.server import connect, temporary_server

    scratch = Path(tempfile.mkdtemp(prefix="advisor-tpch-"))
    server = workload = None
    try:
        data = args.data or scratch / "data"
        if not (data / "lineitem.csv").is_file():
            data.mkdir(parents=True, exist_ok=True)
            generate(args.scale, data)
        proj = project(data.resolve(), scratch / "tpch")
        server = temporary_server()
        server.start()
        os.chdir(proj)  # paths in advisor's output relative to the project, as a user would run it
        loaded, workload, advice, phases = run_advisor(proj, server.conninfo(), args.analyze)
        print(advice.migration)
        with connect(workload.prepared.target.conninfo, autocommit=True) as conn:
            phases["max_bytes"] = reference_bytes(conn)
        budget, phases["select budget"] = run_budget(loaded, workload, args.analyze, phases["max_bytes"])
        print(f"-- {BUDGET}:\n{budget.migration}")
        names = [Path(r.query.location.path).stem for r in workload.runs]
        sqls = [r.sql for r in workload.runs]
        with connect(workload.prepared.target.conninfo, autocommit=True) as conn:
            built, failed = build(conn, index_sets(advice.migration, budget.migration))
            conn.execute("ANALYZE")
            every = [name for idx in built.values() for name, _ in idx]
            configs = {"pkeys only": every} | {c: [n for n in every if n not in {x for x, _ in idx}]
                                               for c, idx in built.items()}
            print(f"timing the {len(names)} queries under {len(configs)} configurations, interleaved...", file=sys.stderr)
            timed = {}
            for name, sql in zip(names, sqls, strict=True):
                timed[name] = time_query(conn, sql, configs, args.timeout, args.repeat)
                print(f"  {name}: " + ", ".join(f"{c} {_ms(timed[name][c][0], args.timeout)}" for c in configs),
                      file=sys.stderr, flush=True)
        report(args, phases, advice, built, failed, timed, names)
    finally:
        os.chdir(ROOT)
        if workload is not None:
            workload.prepared.target.close()
        if server is not None:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("ADVISOR_NO_CACHE", "1")
    main()
