"""Lint throughput against parsing alone, and the wall time of a pre-commit style check.

    python benchmarks/lint_throughput.py [--repeat 5]

Baseline, measured in the same run: `sqlglot.parse` of the same statements (what
any sqlglot-based linter must pay). Reported: statements per second for both and
their ratio (target: lint within 1.5x of parse). Parse and lint rounds take turns, and
each starts as a fresh process would: advisor's caches empty, no garbage left by an
earlier round for the garbage collector to traverse on the round's time. Then the wall time of
`advisor check <one file>` as pre-commit runs it (target: under 0.3 s), with the
result cache warm and with --no-cache, against the baseline of starting the
interpreter and importing nothing (`python -c pass`). benchmarks/startup.py
measures start-up in more detail (cold cache, `import sqlglot`, bytecode cached).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ROOT.parent / "shared" / "workloads"


def workload_files() -> list[Path]:
    files = sorted((WORKLOADS / "tpch" / "queries").glob("*.sql"))
    files += sorted((WORKLOADS / "pgbench" / "queries").glob("*.sql"))
    files += sorted((WORKLOADS / "pgbench" / "log_extracts").glob("*.sql"))
    files += sorted((WORKLOADS / "tpch" / "schema").glob("*.sql")) + sorted((WORKLOADS / "pgbench" / "schema").glob("*.sql"))
    return files


def statements(files: list[Path]) -> list[str]:
    from advisor.sources.sql_files import split_statements

    out = []
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")
        out += [text[s:e] for s, e in split_statements(text)]
    return out


def time_parse(stmts: list[str]) -> float:
    import sqlglot

    gc.collect()  # as in a fresh process: no garbage of an earlier round to collect on our time
    start = time.perf_counter()
    for s in stmts:
        try:
            sqlglot.parse(s, read="postgres")
        except Exception:
            pass
    return time.perf_counter() - start


def time_lint(directory: str) -> tuple[float, int]:
    from advisor import engine
    from advisor.facts.sql import _FACTS
    from advisor.parse import parse_sql

    parse_sql.cache_clear()  # no help from earlier rounds
    _FACTS.clear()  # (its entries would also keep the earlier rounds' trees alive)
    gc.collect()
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        start = time.perf_counter()
        report = engine.check(["."])
        return time.perf_counter() - start, len(report.findings)
    finally:
        os.chdir(cwd)


def wall(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import logging

    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    files = workload_files()
    if not files:
        sys.exit(f"no workloads under {WORKLOADS}")
    stmts = statements(files)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "advisor.toml").write_text('dialect = "postgres"\n')
        for i, f in enumerate(files):
            (Path(tmp) / f"{i:03d}_{f.name}").write_text(f.read_text(encoding="utf-8", errors="replace"))
        time_parse(stmts[:50]), time_lint(tmp)  # warm imports
        parse_times, lint_runs = [], []
        for _ in range(args.repeat):  # taking turns, so a burst of load elsewhere on the machine hits both alike
            parse_times.append(time_parse(stmts))
            lint_runs.append(time_lint(tmp))
    parse_s = statistics.median(parse_times)
    lint_s = statistics.median(t for t, _ in lint_runs)
    n = len(stmts)
    print(f"workload: {len(files)} files, {n} statements (TPC-H, pgbench scripts and log extracts, DDL)")
    print(f"baseline sqlglot.parse : {n / parse_s:9.0f} statements/s  ({parse_s * 1000:.0f} ms)")
    print(f"advisor check (static) : {n / lint_s:9.0f} statements/s  ({lint_s * 1000:.0f} ms, {lint_runs[0][1]} findings)")
    print(f"ratio lint/parse       : {lint_s / parse_s:.2f}x   (target <= 1.5x)")

    advisor = str(Path(sys.executable).parent / "advisor")
    one_file = str(ROOT / "fixtures" / "dchat" / "queries" / "users.sql")
    base = wall([sys.executable, "-c", "pass"], args.repeat)
    with tempfile.TemporaryDirectory() as cache_dir:
        os.environ["ADVISOR_CACHE_DIR"] = cache_dir  # a private result cache, warmed by the first run
        full = wall([advisor, "check", one_file, "--no-cache"], args.repeat)
        warm = wall([advisor, "check", one_file], args.repeat)
    print(f"baseline python -c pass: {base * 1000:6.0f} ms")
    print(f"advisor check one file : {warm * 1000:6.0f} ms   (warm result cache; target < 300 ms; best of {args.repeat})")
    print(f"  the same, --no-cache : {full * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
