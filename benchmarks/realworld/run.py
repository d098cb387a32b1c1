"""Run advisor over the real-world corpus, or compare two runs.

    PYTHONPATH=$PWD python benchmarks/realworld/run.py [--label NAME] [--only P ...]
    python benchmarks/realworld/run.py --compare A.jsonl B.jsonl

A run checks each fetched project (`fetch.py` first) with the advisor importable from this
interpreter (PYTHONPATH decides which worktree), as `advisor check --format json --no-cache .`
in the project root, prints one line per project and a loud FAILED for a run that exits 2,
prints a traceback, or produces no report, and writes every finding to
$ADVISOR_REALWORLD/findings-<label>.jsonl. `--compare` prints, finding by finding, what
appeared and disappeared between two such files (application code first).
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch import MARKER, Project, cache_dir, load_manifest

ADVISOR = [sys.executable, "-c", "import sys; from advisor.cli import main; sys.exit(main())"]
PARSE_ERROR = "parse-error"


def is_app(path: str, project: Project, nonapp: tuple[str, ...]) -> bool:
    """A pattern with a `/` is matched against the path, one without against the file's name (`test_*.py` is a test
    file at any depth, not `src/test_archiver/database.py`, the application of a package named test_archiver)."""
    name = path.rsplit("/", 1)[-1]
    return not any(fnmatch(path if "/" in pat else name, pat) for pat in (*nonapp, *project.nonapp))


def is_rule_failure(f: dict) -> bool:
    """A rule or planner that raised on some input (reported as a finding by the engine's guard)."""
    return "failed on this input" in f["message"] or f["rule"] in ("rule-failed", "internal-error")


@dataclass
class Result:
    project: Project
    exit_code: int
    seconds: float
    summary: dict = field(default_factory=dict)
    findings: list[dict] = field(default_factory=list)
    failure: str = ""  # why the run FAILED; empty when it did not


def run_one(p: Project, nonapp: tuple[str, ...], timeout: float, cache: bool, explain: bool = False) -> Result:
    cmd = [*ADVISOR, "check", "--format", "json", *([] if cache else ["--no-cache"]), *(["--explain"] if explain else []), "."]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, check=False, cwd=p.root, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Result(p, -1, time.perf_counter() - start, failure=f"timed out after {timeout:.0f} s")
    seconds = time.perf_counter() - start
    res = Result(p, proc.returncode, seconds)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report = None
    err = proc.stderr.strip()
    if proc.returncode not in (0, 1) or report is None or "Traceback" in err or "internal error" in err:
        last = err.splitlines()[-1] if err else "(no stderr)"
        res.failure = f"exit {proc.returncode}: {last}"
    if report:
        res.summary = report.get("summary", {})
        for f in report.get("findings", []):
            path = f.get("path") or ""
            res.findings.append({
                "project": p.name, "kind": p.kind, "rule": f.get("name") or f["rule"], "id": f["rule"],
                "severity": f.get("severity"), "path": path, "line": f.get("line"), "column": f.get("column"),
                "app": is_app(path, p, nonapp), "message": f.get("message", ""),
            })
    return res


def print_result(r: Result) -> None:
    by_rule = collections.Counter(f["rule"] for f in r.findings)
    app = sum(f["app"] for f in r.findings)
    parse_errors = by_rule.get(PARSE_ERROR, 0)
    failures = sum(is_rule_failure(f) for f in r.findings)
    head = (f"{r.project.name:22} {r.project.kind:5} files {r.summary.get('files', '?'):>4}  "
            f"queries {r.summary.get('queries', '?'):>5}  findings {len(r.findings):>4} (app {app:>4})  "
            f"parse-errors {parse_errors:>3}  rule-failures {failures:>2}  {r.seconds:6.1f} s  exit {r.exit_code}")
    print(head)
    if r.failure:
        print(f"    !!!!!! FAILED RUN: {r.failure}")
    if by_rule:
        print("    " + ", ".join(f"{k} {v}" for k, v in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))))
    for f in r.findings:
        if is_rule_failure(f):
            print(f"    rule failure: {f['path']}:{f['line']} {f['message'][:160]}")


def run(args: argparse.Namespace) -> int:
    projects, nonapp = load_manifest()
    if args.only:
        projects = [p for p in projects if p.name in args.only]
    if args.explain:
        projects = [p for p in projects if p.kind == "sql"]
    missing = [p.name for p in projects if not (p.root / MARKER).exists()]
    if missing:
        print(f"not fetched (run benchmarks/realworld/fetch.py): {', '.join(missing)}", file=sys.stderr)
        return 2
    probe = subprocess.run([sys.executable, "-c", "import advisor; print(advisor.__file__)"],
                           check=False, capture_output=True, text=True)
    print(f"advisor from {probe.stdout.strip() or probe.stderr.strip()}; corpus {cache_dir()}")
    start = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda p: run_one(p, nonapp, args.timeout, args.cache, args.explain), projects))
    total = time.perf_counter() - start
    for r in results:
        print_result(r)
    out = Path(args.out) if args.out else cache_dir() / f"findings-{args.label}.jsonl"
    with out.open("w") as fh:
        for r in results:
            for f in r.findings:
                fh.write(json.dumps(f, sort_keys=True) + "\n")
    all_f = [f for r in results for f in r.findings]
    app = [f for f in all_f if f["app"]]
    failed = [r.project.name for r in results if r.failure]
    print(f"\n{len(results)} projects, {len(all_f)} findings ({len(app)} in application code), "
          f"{sum(f['rule'] == PARSE_ERROR for f in all_f)} parse errors, "
          f"{sum(is_rule_failure(f) for f in all_f)} rule failures, {total:.0f} s wall ({args.jobs} jobs)")
    by_rule = collections.Counter((f["kind"], f["rule"]) for f in app)
    print("app-code findings by rule: " + ", ".join(f"{r} {n}" for (k, r), n in sorted(by_rule.items())))
    if failed:
        print(f"!!!!!! {len(failed)} FAILED RUNS: {', '.join(failed)}")
    print(f"findings written to {out}")
    return 1 if failed else 0


def _key(f: dict) -> tuple:
    return (f["project"], f["rule"], f["path"], f["line"])


def _labels() -> dict[tuple, dict]:
    """labels.csv, as score.py reads it (score.label_of gives a finding's row)."""
    from score import LABELS, load_labels

    return load_labels(LABELS) if LABELS.exists() else {}


def compare(a_path: str, b_path: str) -> int:
    """Findings that appeared and disappeared from A to B, one line each."""
    def load(p: str) -> list[dict]:
        return [json.loads(line) for line in Path(p).read_text().splitlines() if line.strip()]

    a, b = load(a_path), load(b_path)
    ca = collections.Counter((*_key(f), f["message"]) for f in a)
    cb = collections.Counter((*_key(f), f["message"]) for f in b)
    app = {(*_key(f), f["message"]): f["app"] for f in a + b}
    gone, new = ca - cb, cb - ca
    # the same (project, rule, path, line) with another message: reworded, not gone
    gone_keys = collections.Counter(k[:4] for k in gone.elements())
    new_keys = collections.Counter(k[:4] for k in new.elements())
    reworded = gone_keys & new_keys
    from score import label_of

    labels = _labels()

    def verdict(k: tuple) -> str:
        row = label_of(labels, {"project": k[0], "rule": k[1], "path": k[2], "line": k[3], "message": k[4]})
        return "unlabelled" if row is None else row["verdict"]

    for title, diff, sign in (("disappeared", gone, "-"), ("appeared", new, "+")):
        rows = sorted(diff.elements(), key=lambda k: (not app[k], k[0], k[2], k[3] or 0, k[1]))
        verdicts = collections.Counter(verdict(k) for k in rows if app[k])
        print(f"== {title}: {len(rows)} ({sum(app[k] for k in rows)} in application code: "
              f"{verdicts['true']} labelled true, {verdicts['false']} labelled false, {verdicts['unlabelled']} unlabelled)")
        for k in rows:
            tag = f"[{verdict(k)}]" if app[k] else "[not app]"
            note = " (reworded)" if reworded[k[:4]] else ""
            message = " ".join(k[4].split())[:200]
            print(f"{sign} {tag:12} {k[0]}: {k[2]}:{k[3]} {k[1]}{note}: {message}")
    by_rule = collections.Counter()
    for k in gone.elements():
        by_rule[k[1]] -= 1
    for k in new.elements():
        by_rule[k[1]] += 1
    print("net by rule: " + (", ".join(f"{r} {n:+d}" for r, n in sorted(by_rule.items()) if n) or "none"))
    print(f"{len(a)} -> {len(b)} findings; {sum(reworded.values())} reworded in place")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", help="names the findings file: findings-<label>.jsonl "
                    "(default: current, or partial with --only)")
    ap.add_argument("--out", help="findings JSONL path (default: in the corpus dir)")
    ap.add_argument("--only", nargs="*", help="project names")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--cache", action="store_true", help="let advisor reuse its per-file cache")
    ap.add_argument("--explain", action="store_true", help="run `check --explain` (the SQL projects only: each plans its "
                    "statements on an embedded PostgreSQL seeded from its schema)")
    ap.add_argument("--compare", nargs=2, metavar=("A.jsonl", "B.jsonl"))
    args = ap.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    args.label = args.label or ("partial" if args.only else "current")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
