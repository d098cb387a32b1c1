"""Start-up time of a pre-commit style check: `advisor check <one small file>`.

    python benchmarks/startup.py [--runs 10] [--file fixtures/dchat/queries/users.sql] [--imports]

Each command runs as a subprocess; the best of --runs wall times is reported (the
machine is shared: the minimum is the least noisy statistic). Measured in the same
run, so the ratios hold on any machine:

- baselines: `python -c pass` (the interpreter alone), `python -c "import sqlglot"`
  (the parser every run that parses must import) and `advisor --version` (click and
  the command modules: the floor of any advisor command);
- `advisor check FILE --no-cache`: everything recomputed;
- cold: an empty result cache (ADVISOR_CACHE_DIR is a fresh directory per run), so the
  run computes and writes the cache;
- warm: the cache written by an earlier run of the same command (the file unchanged).

Bytecode is cached in a private directory (PYTHONPYCACHEPREFIX), as an installed tool
has its .pyc files, even where PYTHONDONTWRITEBYTECODE is set; --no-bytecode measures
with PYTHONDONTWRITEBYTECODE=1 and no .pyc of advisor's modules (every run compiles
them: a source checkout in an environment that forbids bytecode). Target: warm < 300 ms.
--imports also prints the modules a warm run imports, by cumulative import time.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "fixtures" / "dchat" / "queries" / "users.sql"


def best_of(commands: list[tuple[str, list[str], dict, object]], runs: int) -> list[tuple[str, float]]:
    """Best wall time of each command over `runs` rounds; the commands take turns within a
    round, so a burst of load elsewhere on the machine hits them alike. A command's
    `before()` prepares each of its runs, outside the timing."""
    best = {name: float("inf") for name, *_ in commands}
    for _ in range(runs):
        for name, cmd, env, before in commands:
            if before is not None:
                before()
            start = time.perf_counter()
            subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            best[name] = min(best[name], time.perf_counter() - start)
    return [(name, best[name]) for name, *_ in commands]


def top_imports(cmd: list[str], env: dict[str, str], count: int = 15) -> list[tuple[int, str]]:
    """Top-level imports of one run by cumulative microseconds (python -X importtime)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *cmd], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(2)) == 1:
            rows.append((int(m.group(1)), m.group(3)))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--file", default=str(DEFAULT_FILE.relative_to(ROOT)), help="relative to the repository")
    parser.add_argument("--imports", action="store_true", help="also list the imports of a warm run")
    parser.add_argument("--no-bytecode", action="store_true", help="PYTHONDONTWRITEBYTECODE=1, no bytecode cache")
    args = parser.parse_args()

    python = sys.executable
    advisor = str(Path(python).parent / "advisor")
    with tempfile.TemporaryDirectory(prefix="advisor-startup-") as tmp:
        env = dict(os.environ)
        if args.no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pyc")
        env["ADVISOR_CACHE_DIR"] = str(Path(tmp) / "warm")
        env.pop("ADVISOR_NO_CACHE", None)
        check = [advisor, "check", args.file]
        help_text = subprocess.run([advisor, "check", "--help"], env=env, capture_output=True, text=True).stdout
        has_cache = "--no-cache" in help_text
        for _ in range(2):  # compile the bytecode, write the warm cache
            subprocess.run(check, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([python, "-c", "import sqlglot"], env=env, check=False)

        cold_env = dict(env)
        counter = iter(range(10**6))

        def fresh_cache() -> None:
            cold_env["ADVISOR_CACHE_DIR"] = str(Path(tmp) / f"cold-{next(counter)}")

        commands = [
            ("python -c pass", [python, "-c", "pass"], env, None),
            ('python -c "import sqlglot"', [python, "-c", "import sqlglot"], env, None),
            ("advisor --version", [advisor, "--version"], env, None),
        ]
        if has_cache:
            commands.append(("advisor check FILE --no-cache", [*check, "--no-cache"], env, None))
        commands.append(("advisor check FILE (cold cache)", check, cold_env, fresh_cache))
        commands.append(("advisor check FILE (warm cache)", check, env, None))
        rows = best_of(commands, args.runs)
        if args.imports:
            imports = top_imports(check, env)

    bytecode = "no bytecode written" if args.no_bytecode else "bytecode cached"
    print(f"file: {args.file}   (best of {args.runs}; {bytecode}; "
          f"{'result cache supported' if has_cache else 'no result cache in this version'})")
    base = rows[0][1]
    sqlglot = rows[1][1]
    for name, seconds in rows:
        print(f"  {name:34} {seconds * 1000:7.0f} ms   {seconds / base:6.1f}x pass   {seconds / sqlglot:5.2f}x sqlglot")
    warm = rows[-1][1]
    print(f"warm check: {warm * 1000:.0f} ms (target < 300 ms); warm/cold = {warm / rows[-2][1]:.2f}")
    if args.imports:
        print("imports of a warm run (cumulative, top level):")
        for micros, name in imports:
            print(f"  {micros / 1000:7.1f} ms  {name}")


if __name__ == "__main__":
    main()
