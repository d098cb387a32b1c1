"""List what advisor extracts from some files of a corpus project: one line per query
shape and per index declaration. The aid for hand-counting extraction recall (recall.md).

    PYTHONPATH=$PWD python benchmarks/realworld/shapes.py wildduck lib/handlers/on-fetch.js ...
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch import cache_dir


def main(argv: list[str]) -> int:
    from advisor.sources import extract

    project, files = argv[0], argv[1:]
    root = cache_dir() / project
    for rel in files:
        text = (root / rel).read_text(encoding="utf-8", errors="replace")
        sf = extract(rel, text)
        print(f"== {rel}: {len(sf.queries)} queries, {len(sf.indexes)} index declarations, {len(sf.errors)} errors")
        for q in sf.queries:
            loc = getattr(q, "location", None)
            what = f"{getattr(q, 'collection', '')}.{getattr(q, 'operation', '')}" if hasattr(q, "operation") \
                else (getattr(q, "sql", "") or "")[:60].replace("\n", " ")
            print(f"  {loc.line if loc else '?':>5}  {what}")
        for ix in sf.indexes:
            loc = getattr(ix, "location", None)
            print(f"  {loc.line if loc else '?':>5}  index {getattr(ix, 'table', '')} {getattr(ix, 'name', '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
