"""List what advisor extracts from some files of a corpus project: one line per query
shape and per index declaration. The aid for hand-counting extraction recall (recall.md).

    PYTHONPATH=$PWD python benchmarks/realworld/shapes.py wildduck lib/handlers/on-fetch.js ...
    PYTHONPATH=$PWD python benchmarks/realworld/shapes.py --alone wildduck lib/handlers/on-fetch.js ...

By default the whole project is loaded as a run loads it (`advisor check` in the project root), so
names one file settles for another (advisor/sources/links.py) are as a run sees them; `--alone`
extracts each listed file by itself, as before 2026-12-02.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch import cache_dir


def _project_sources(root: Path, files: list[str]) -> dict:
    from advisor.loader import load_project
    from advisor.options import Options

    os.chdir(root)
    project = load_project(["."], Options())
    return {s.path: s for s in project.sources if s.path in files}


def main(argv: list[str]) -> int:
    from advisor.mongo.shape import MongoQuery
    from advisor.sources import extract

    if not argv or argv[0] in ("-h", "--help") or argv == ["--alone"]:
        print(__doc__)
        return 0 if argv else 2
    alone = "--alone" in argv
    argv = [a for a in argv if a != "--alone"]
    project, files = argv[0], argv[1:]
    root = cache_dir() / project
    loaded = {} if alone else _project_sources(root, files)
    for rel in files:
        sf = loaded.get(rel) or extract(rel, (root / rel).read_text(encoding="utf-8", errors="replace"))
        print(f"== {rel}: {len(sf.queries)} queries, {len(sf.indexes)} index declarations, {len(sf.errors)} errors")
        for q in sf.queries:
            loc = getattr(q, "location", None)
            what = (
                f"{q.collection}.{q.operation}" if isinstance(q, MongoQuery) else " ".join(q.text.split())[:60]
            )
            print(f"  {loc.line if loc else '?':>5}  {what}")
        for ix in sf.indexes:
            loc = getattr(ix, "location", None)
            print(f"  {loc.line if loc else '?':>5}  index {getattr(ix, 'table', '')} {getattr(ix, 'name', '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
