"""The fuzz tests (tests/test_fuzz.py) run long: many more generated and mutated inputs than CI runs.

Prints the time taken and pytest's summary, with hypothesis' statistics (how often a MongoDB check
failed and was reported as a finding). Usage: python benchmarks/fuzz.py [examples per test, default 1000]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    examples = sys.argv[1] if len(sys.argv) > 1 else "1000"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ADVISOR_FUZZ_EXAMPLES": examples}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--hypothesis-show-statistics",
                           str(ROOT / "tests" / "test_fuzz.py")], cwd=ROOT, env=env, check=False)
    print(f"fuzz: {examples} examples per test, {time.perf_counter() - start:.0f} s, exit {done.returncode}")
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
