"""Shapes per second through JS extraction and the Mongo rules, on ../shared/workloads/mongodb/.

Baseline, measured in the same run: tree-sitter parsing alone (the floor any
tree-sitter extractor pays).  Usage: python benchmarks/mongo_shapes.py [dir] [rounds]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "workloads" / "mongodb"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    files = [(str(p), p.read_text(encoding="utf-8")) for p in sorted(root.rglob("*.js"))]
    if not files:
        sys.exit(f"no .js files under {root}")
    from advisor.checks import load_checks
    from advisor.checks.mongo import check_query
    from advisor.ir import Schema
    from advisor.mongo.shape import MongoQuery
    from advisor.sources import extract
    from advisor.sources.javascript import _parser

    load_checks()
    parser = _parser(".js")
    extract(*files[0])  # warm up
    data = [t.encode() for _, t in files]

    start = time.perf_counter()
    for _ in range(rounds):
        for d in data:
            parser.parse(d)
    parse_s = (time.perf_counter() - start) / rounds

    start = time.perf_counter()
    shapes = hits = 0
    for _ in range(rounds):
        sources = [extract(p, t) for p, t in files]
        schema = Schema(indexes=[i for s in sources for i in s.indexes])
        shapes = hits = 0
        for s in sources:
            for q in s.queries:
                if isinstance(q, MongoQuery):
                    shapes += 1
                    hits += len(list(check_query(q, schema, lambda name: True)))
    full_s = (time.perf_counter() - start) / rounds
    size = sum(len(d) for d in data)
    print(f"workload: {len(files)} files, {size / 1024:.0f} KiB, {shapes} query shapes, {hits} findings")
    print(f"baseline  tree-sitter parse only : {parse_s * 1000:8.2f} ms/run  ({shapes / parse_s:10,.0f} shapes/s equivalent)")
    print(f"advisor   extraction + Mongo rules: {full_s * 1000:8.2f} ms/run  ({shapes / full_s:10,.0f} shapes/s)")
    print(f"overhead over parsing alone: {full_s / parse_s:.1f}x")


if __name__ == "__main__":
    main()
