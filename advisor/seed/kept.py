"""Servers `advisor seed --keep` leaves running for the user, and `advisor seed --stop` stops.

Each is a database of its own, seeded apart from the cache (never the cached database later
runs reuse), in a temporary directory; a record in the private cache says where it is and
which process runs it, so `--stop` signals only that process.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from advisor.home import cache_root, private_dir, remove_tree
from advisor.seed.dbcache import proc_start, read_small, stop_pid


@dataclass
class Kept:
    data: Path
    socket_dir: Path
    pid: int
    start: str | None
    record: Path

    @property
    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except OSError:
            return False
        return self.start is not None and self.start == proc_start(self.pid)


def _kept_dir() -> Path:
    return private_dir(cache_root() / "kept")


def record_kept(data: Path, pid: int, socket_dir: Path) -> None:
    name = hashlib.sha256(str(data).encode()).hexdigest()[:16]
    text = json.dumps({"data": str(data), "pid": pid, "start": proc_start(pid), "socket_dir": str(socket_dir)})
    (_kept_dir() / f"{name}.json").write_text(text)


def list_kept() -> list[Kept]:
    out = []
    for path in sorted(_kept_dir().glob("*.json")):
        try:
            r = json.loads(read_small(path) or "")
            out.append(Kept(Path(r["data"]), Path(r["socket_dir"]), int(r["pid"]), r.get("start"), path))
        except (ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)
    return out


def stop_kept(kept: Kept) -> None:
    """Stop a kept server and remove its data (a copy: nothing else uses it)."""
    if kept.alive:
        stop_pid(kept.pid)
    for directory in (kept.socket_dir, kept.data.parent):
        if directory.parent == Path(tempfile.gettempdir()) and directory.name.startswith(
            ("advisor-pg-", "advisor-data-")
        ):
            remove_tree(directory)
    kept.record.unlink(missing_ok=True)
