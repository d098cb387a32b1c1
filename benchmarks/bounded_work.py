"""Time and peak memory of `advisor check` on large generated inputs: shape files of 1k/10k/100k
shapes and .sql files of 5/50 MB. Both should grow linearly with the input.

Baseline, measured in the same run on the same file: the raw parse that any reader pays
(yaml.safe_load for a shape file; sqlglot.parse of the whole .sql file). Each measurement runs
in its own process, so its peak resident memory is its own.

Usage: python benchmarks/bounded_work.py [--quick] [shapes|sql]
(--quick: 1k/10k shapes, 1/5 MB of SQL; `shapes` or `sql`: that half only)
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATEMENTS = [
    "CREATE TABLE t{i} (id bigint PRIMARY KEY, name text, created_at timestamptz, status int);",
    "CREATE INDEX t{i}_name ON t{i} (name);",
    ("SELECT id, name FROM t{j} WHERE status = {i} AND created_at > now() - interval '1 day' "
     "ORDER BY created_at DESC LIMIT 10;"),
    "SELECT * FROM t{j} a JOIN t{k} b ON a.id = b.id WHERE lower(a.name) = 'x{i}';",
    "UPDATE t{j} SET status = {i} WHERE id = {i};",
    "INSERT INTO t{j} (id, name) VALUES ({i}, 'n{i}');",
]

# run in a child: prints {"seconds": ..., "peak_mb": ...}
CHILD = r"""
import json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if kind == "advisor":
    from advisor import engine
    engine.check([path], engine.Options())
elif kind == "yaml":
    import yaml
    yaml.safe_load(open(path, encoding="utf-8"))
elif kind == "sqlglot":
    import sqlglot
    sqlglot.parse(open(path, encoding="utf-8").read(), read="postgres")
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def shapes_file(directory: Path, count: int) -> Path:
    shapes = [{"collection": f"c{i % 50}", "filter": {"a": i, "b": {"$gt": i}}, "sort": {"c": 1}, "limit": 10}
              for i in range(count)]
    path = directory / "queries.json"
    path.write_text(json.dumps({"queries": shapes}, indent=1), encoding="utf-8")
    return path


def sql_file(directory: Path, megabytes: float) -> Path:
    rng = random.Random(1)
    parts, size, i = [], 0, 0
    while size < megabytes * 1_000_000:
        line = rng.choice(STATEMENTS).format(i=i, j=i % 100, k=(i + 1) % 100) + "\n"
        parts.append(line)
        size += len(line)
        i += 1
    path = directory / "queries.sql"
    path.write_text("".join(parts), encoding="utf-8")
    return path


def measure(kind: str, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ADVISOR_NO_CACHE": "1"}
    done = subprocess.run([sys.executable, "-c", CHILD, kind, str(path)], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"seconds": float("nan"), "peak_mb": float("nan"), "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def row(label: str, size_mb: float, ours: dict, base: dict, base_name: str) -> None:
    print(f"{label:>14} {size_mb:8.1f} MB   advisor {ours['seconds']:8.1f} s {ours['peak_mb']:8.0f} MB peak"
          f" ({ours['peak_mb'] / max(size_mb, 0.01):5.0f}x input)   {base_name} {base['seconds']:7.1f} s"
          f" {base['peak_mb']:7.0f} MB peak" + (f"   error: {ours['error']}" if "error" in ours else ""), flush=True)


def main() -> None:
    quick = "--quick" in sys.argv
    only = {"shapes", "sql"} & set(sys.argv[1:]) or {"shapes", "sql"}
    counts = ([1_000, 10_000] if quick else [1_000, 10_000, 100_000]) if "shapes" in only else []
    sizes = ([1, 5] if quick else [5, 50]) if "sql" in only else []
    for count in counts:
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            (directory / "advisor.toml").write_text("max-file-size = 1000000000\n", encoding="utf-8")
            path = shapes_file(directory, count)
            size = path.stat().st_size / 1e6
            row(f"{count:,} shapes", size, measure("advisor", directory), measure("yaml", path), "yaml.safe_load")
    for megabytes in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            (directory / "advisor.toml").write_text("max-file-size = 1000000000\n", encoding="utf-8")
            path = sql_file(directory, megabytes)
            row(f"{megabytes} MB of SQL", path.stat().st_size / 1e6, measure("advisor", directory),
                measure("sqlglot", path), "sqlglot.parse")


if __name__ == "__main__":
    main()
