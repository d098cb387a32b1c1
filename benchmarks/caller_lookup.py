"""The cost of following a parameter to its calls in the project (advisor.facts.callers).

    python benchmarks/caller_lookup.py [PROJECT_DIR] [--files N]

For every parameter of every function in the first N Python files of a project (default: synapse
from the real-code corpus, /work/realworld/synapse, 962 files, 15 MB), asks what the function's calls
pass it, with a fresh `Callers` per file (as sql-string-building does) and reports the time per
parameter (median, p95, max), the time per file, and how many parameters came out the code's own.
Baseline, measured in the same run: `ast.parse` of every Python file of the project, what reading the
whole project up front would cost. sql-string-building asks only for a value it would report otherwise,
so on real code this is an upper bound: on the corpus it asks twice.
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.facts.callers import Callers  # noqa: E402
from advisor.facts.provenance import Scope, sources  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    default = Path(os.environ.get("ADVISOR_REALWORLD", "/work/realworld")) / "synapse"
    parser.add_argument("project", nargs="?", default=str(default))
    parser.add_argument("--files", type=int, default=40)
    args = parser.parse_args()
    root = Path(args.project)
    paths = sorted(p for p in root.rglob("*.py") if p.is_file())
    texts = {str(p.relative_to(root)): p.read_text(encoding="utf-8", errors="replace") for p in paths}
    started = time.perf_counter()
    for text in texts.values():
        try:
            ast.parse(text)
        except (SyntaxError, ValueError):
            pass
    parse_all = time.perf_counter() - started
    per_parameter: list[float] = []
    per_file: list[float] = []
    own = 0
    for path in list(texts)[: args.files]:
        try:
            tree = ast.parse(texts[path])
        except (SyntaxError, ValueError):
            continue
        file_started = time.perf_counter()
        callers = Callers(texts, {path: tree})
        for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
            for arg in [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]:
                if arg.arg in ("self", "cls"):
                    continue
                one = time.perf_counter()
                found = sources(ast.Name(arg.arg), Scope(tree, (function,), callers=callers))
                per_parameter.append(time.perf_counter() - one)
                own += not found
        per_file.append(time.perf_counter() - file_started)
    if not per_parameter:
        print("no parameters found")
        return 1
    ms = sorted(t * 1000 for t in per_parameter)
    print(f"project {root} ({len(texts)} Python files, {sum(map(len, texts.values())) / 1e6:.1f} MB)")
    print(f"baseline: ast.parse of every file {parse_all:.2f} s")
    print(
        f"{len(ms)} parameters in {len(per_file)} files: median {statistics.median(ms):.2f} ms, "
        f"p95 {ms[int(len(ms) * 0.95)]:.1f} ms, max {ms[-1]:.0f} ms; per file: max {max(per_file):.2f} s, "
        f"total {sum(per_file):.2f} s; the code's own: {own}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
