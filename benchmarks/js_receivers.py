"""Time of JS extraction on minified-style code, where following what a MongoDB call is made on
branches at every name: one-letter names declared thousands of times, members named like a collection
assigned everywhere, functions passing their parameters on. It should grow linearly with the file.

Baseline, measured in the same run on the same text: tree-sitter parsing alone.

Measured 2026-12-01 (2 shared cores): with the step budget (js_receivers.MAX_STEPS) 200 / 1000 / 3000
units take 0.12 / 0.69 / 2.6 s to extract (parse 0.01 / 0.10 / 0.29 s), every `find` found. Without it
(main at 26ff7b0) the same text took 2.2 s / 420 s / unfinished; chancy's bundled web UI
(chancy/plugins/api/dist/assets/index-*.js, 1.6 MB) takes 2.9 s with it, 3.5 s at 26ff7b0, and took
464 s on this branch before the budget.

Usage: python benchmarks/js_receivers.py [units...]   (default 200 1000 5000)
"""

from __future__ import annotations

import sys
import time

UNIT = (
    "function a{i}(e,t){{var n=e.col;n=t.collection;this.col=n;return b{i}(n,e)}}"
    "function b{i}(e,t){{var n=this.col;e=t.coll;return n.find({{a:t,b:{{$gt:e}}}}).limit(5)}}"
    "var e=a{i}(this.collection,{{x:{i}}}),t=b{i}(e.col,e);e=t;this.collection=e;"
)


def main() -> None:
    from advisor.sources import extract
    from advisor.sources.javascript import _parser

    sizes = [int(a) for a in sys.argv[1:]] or [200, 1000, 5000]
    parser = _parser(".js")
    print(f"{'units':>6} {'KB':>7} {'parse s':>8} {'extract s':>10} {'queries':>8}")
    for n in sizes:
        text = "".join(UNIT.format(i=i) for i in range(n))
        start = time.perf_counter()
        parser.parse(text.encode())
        parsed = time.perf_counter() - start
        start = time.perf_counter()
        found = extract("bundle.min.js", text)
        took = time.perf_counter() - start
        print(f"{n:>6} {len(text) // 1024:>7} {parsed:>8.2f} {took:>10.2f} {len(found.queries):>8}")


if __name__ == "__main__":
    main()
