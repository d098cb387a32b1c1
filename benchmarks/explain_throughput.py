"""EXPLAIN throughput: plans per second through advisor's explain stage, against raw EXPLAIN.

    .venv/bin/python benchmarks/explain_throughput.py [--repeat 20]

Workloads: fixtures/dchat (its .sql and Python queries, schema from its migrations) and the
22 TPC-H queries (../shared/workloads/tpch, primary keys only), each on a database seeded
by advisor itself (`prepare`: embedded server, schema, generated rows; cached in a
temporary directory removed at the end, servers stopped).

Measured in the same run, on the same connection and the same statements:
- baseline: `EXPLAIN (FORMAT JSON) <sql>` through psycopg, the JSON fetched (GENERIC_PLAN
  for statements with $n parameters, as advisor does): what any EXPLAIN-based tool pays;
- advisor: the explain stage's per-statement work in `advisor check --explain`, as
  `run_workload` does it -- `new_run` (placeholders normalised, the parsed tree and its facts:
  both cached, as the static rules built them already), planned through `plan_only` on the
  `open_planner` connection (statement timeout set for its session, read-only), the JSON parsed
  into a plan tree, the plan rules run -- without candidate verification;
- and, once, the whole `run_workload` (planning plus building and re-planning every
  index candidate), as statements per second: the wall time a user waits.
Printed: plans per second for both, the ratio, and where advisor's time per plan goes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def tpch_project(where: Path) -> Path:
    """TPC-H over generated data (the CSV files tpch_advice.py loads are not needed here)."""
    from tpch_advice import tpch_project as project

    return project(where, "[seed]\nrows = 10000\n[seed.tables.lineitem]\nrows = 60000\n[seed.tables.orders]\n"
                          "rows = 15000\n[seed.tables.nation]\nrows = 25\n[seed.tables.region]\nrows = 5\n")


def load(path: Path):
    from advisor.explain.stage import plannable
    from advisor.loader import load_project
    from advisor.options import Options

    cwd = os.getcwd()
    os.chdir(path)
    try:
        project = load_project(["."], Options())
    finally:
        os.chdir(cwd)
    return project.config, [q for q in project.sql_queries if plannable(q)], project.schema


def bench(label: str, path: Path, repeat: int) -> dict:
    from advisor.checks.plans import PlanContext, plan_hits
    from advisor.explain.params import normalise, strip_statement
    from advisor.explain.stage import QueryRun, catalog, make_explainer, new_run, open_planner, plan_only, run_workload
    from advisor.seed.prepare import prepare
    from advisor.seed.server import connect
    from advisor.seed.settings import explain_settings

    cfg, queries, schema = load(path)
    settings = explain_settings(cfg)
    started = time.perf_counter()
    prepared = prepare(cfg, cache=True)  # seeded once into the benchmark's own cache, reused below
    seed_s = time.perf_counter() - started
    try:
        conn = connect(prepared.target.conninfo, autocommit=True)
        planner = open_planner(prepared.target.conninfo, settings.statement_timeout_ms)
        table_rows, partitions = catalog(conn)
        # statements the server accepts (a fixture may hold one that fails on purpose)
        statements = []
        for q in queries:
            sql, n = normalise(strip_statement(q.text))
            try:
                make_explainer(QueryRun(q, sql, n), False, settings.statement_timeout_ms)(conn)
            except Exception:  # noqa: BLE001
                continue
            statements.append((q, sql, n))

        def raw() -> None:
            for _, sql, n in statements:
                conn.execute(f"EXPLAIN ({'GENERIC_PLAN, ' if n else ''}FORMAT JSON) {sql}", prepare=False).fetchone()

        parts = {"parse+facts": 0.0, "plan": 0.0, "rules": 0.0}

        def stage() -> None:
            for q, _, _ in statements:
                t0 = time.perf_counter()
                run = new_run(q, schema)
                t1 = time.perf_counter()
                run.plan = plan_only(planner, run)
                t2 = time.perf_counter()
                plan_hits(PlanContext(run.plan, table_rows, partitions, settings), lambda name: True)
                t3 = time.perf_counter()
                parts["parse+facts"] += t1 - t0
                parts["plan"] += t2 - t1
                parts["rules"] += t3 - t2

        raw()
        stage()  # warm both: catalog caches, sqlglot imports, the parse and facts caches (which the
        # static rules fill before the explain stage in `advisor check --explain`)
        timings = {"raw": [], "advisor": []}
        rounds = []  # advisor's split per round
        for _ in range(repeat):  # interleaved, so both see the same machine
            for name, fn in (("raw", raw), ("advisor", stage)):
                parts = dict.fromkeys(parts, 0.0)
                t0 = time.perf_counter()
                fn()
                timings[name].append(time.perf_counter() - t0)
            rounds.append(parts)
        planner.close()
        conn.close()
    finally:
        prepared.target.close()

    started = time.perf_counter()
    workload = run_workload(cfg, queries, schema, dsn=None, analyze=False)
    try:
        whole_s = time.perf_counter() - started
        measured = sum(len(r.measurements) for r in workload.runs)
    finally:
        workload.prepared.target.close()

    n = len(statements)
    best = {k: min(v) for k, v in timings.items()}
    return {"label": label, "statements": n, "seed_s": seed_s, "rows": sum(prepared.seeded.values()),
            "raw": n / best["raw"], "advisor": n / best["advisor"],
            "parts": {k: v / n * 1000 for k, v in rounds[timings["advisor"].index(best["advisor"])].items()},
            "whole_s": whole_s, "whole_queries": len(workload.runs), "measured": measured}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20, help="rounds over the workload (best round kept)")
    args = ap.parse_args()
    os.environ.pop("ADVISOR_NO_CACHE", None)
    scratch = Path(tempfile.mkdtemp(prefix="advisor-explain-bench-"))
    scratch.chmod(0o755)  # the server may run as another user (advisor run as root)
    os.environ["ADVISOR_CACHE_DIR"] = str(scratch / "cache")  # private: removed at the end
    try:
        results = [bench("dchat", ROOT / "fixtures" / "dchat", args.repeat),
                   bench("tpch", tpch_project(scratch / "tpch"), args.repeat)]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"EXPLAIN throughput, PostgreSQL 18 (embedded), best of {args.repeat} rounds, plans per second")
    print(f"{'workload':<9} {'stmts':>5} {'raw EXPLAIN':>12} {'advisor stage':>14} {'ratio':>6}   "
          f"advisor ms/plan (best round): parse+facts / plan / rules")
    for r in results:
        p = r["parts"]
        print(f"{r['label']:<9} {r['statements']:>5} {r['raw']:>12,.0f} {r['advisor']:>14,.0f} "
              f"{r['advisor'] / r['raw']:>5.2f}x   {p['parse+facts']:.2f} / {p['plan']:.2f} / {p['rules']:.2f}")
    print("\nwhole explain stage with candidate verification (run_workload on the cached seeded database, "
          "server start included):")
    for r in results:
        print(f"{r['label']:<9} {r['whole_queries']} statements, {r['measured']} candidates built and re-planned "
              f"in {r['whole_s']:.1f} s: {r['whole_queries'] / r['whole_s']:.1f} statements/s "
              f"(seeding {r['rows']:,} rows took {r['seed_s']:.1f} s before that)")


if __name__ == "__main__":
    main()
