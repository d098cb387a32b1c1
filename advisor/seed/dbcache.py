"""Cached seeded databases: where they live, how concurrent runs share one, when its server stops.

Layout. cache_root() is private (0700, owned by the user, checked: advisor/home.py):

    <cache>/databases/<key>/        0700, ours: advisor's records about one seeded database
        setup.lock, users.lock      the locks below
        seeded                      written once schema and seed are loaded; its mtime = last use
        load-errors                 the schema's load errors, shown again on reuse
        server.json                 the running server: pid, process start time, socket directory
        server.log                  the server's output (advisor opens it, the server inherits it)
        data/                       the PostgreSQL data directory, when advisor is not root

As root, PostgreSQL runs as an unprivileged user (advisor/seed/server.py) that cannot enter
root's private cache (nor, usually, /root). Its files then live where that user can reach them,
without making the cache traversable:

    /var/cache/advisor/             root, 0711: others may pass through, not list or write
        <id>/                       root, 0711: one per cache directory (a hash of its path)
            <key>/                  the server user, 0700, made by root: the data directory
            pginstall-<digest>/     root, nothing writable by others: staged binaries (server.py)

/var/cache and its parents belong to root and no one else may write them, so no other user can
plant any of this; each level is still checked before use (a real directory, its owner, its
mode), and a data directory of the wrong owner is removed and made again. Root never opens a
path inside the server user's directory other than postmaster.pid (O_NOFOLLOW, regular files
only) and removes it only through remove_tree (no symlink followed): records, log, locks and the
socket directory's name stay in the private cache, where the server user cannot change them.

Sharing, with two flock files per database:
- setup.lock, exclusive: held while a run checks, creates, seeds, starts or stops the server.
  On a fresh cache the second run waits here while the first seeds, then finds it seeded.
- users.lock, shared: held by every run using the server, from setup to the end of the run.
Each run plans on its own copy of the seeded database (server.py: CREATE DATABASE ... TEMPLATE,
a file copy with statistics and visibility map), so runs sharing a server never meet each
other's rolled-back indexes, ANALYZE or locks, and report what a run alone would. A run that
ends drops its copy and its share, takes setup.lock, and stops the server only when it then
gets users.lock exclusively: the last one out stops it. The server does not die with the run that
started it (no parent-death signal), so it serves the others until they are done. After a
SIGKILL nothing stops it: the next run on that database adopts it and, last out, stops it;
`advisor cache clear` stops it too. Databases not in use are evicted, least recently used
first, past ADVISOR_CACHE_MAX_MB (default 2048) of seeded data; one larger than all of it is
never kept (server.mark_seeded): its run plans on it, and it goes when the run ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import stat
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from advisor.home import CacheError, cache_root, private_dir, remove_tree, tree_size
from advisor.locks import FileLock

SERVER_AREA = Path("/var/cache/advisor")
DEFAULT_MAX_MB = 2048
SOCKET_PREFIX = "advisor-pg-"


@dataclass
class Slot:
    """One cached seeded database: advisor's records (`meta`, private) and its data directory."""

    key: str
    meta: Path
    data: Path
    owner: tuple[int, int] | None  # the server user's (uid, gid) when it is not us

    @property
    def log(self) -> Path:
        return self.meta / "server.log"

    @property
    def seeded(self) -> bool:
        return (self.meta / "seeded").exists()


def databases_dir() -> Path:
    return private_dir(cache_root() / "databases")


def server_area() -> Path:
    """Root's directory for what the server user must reach (see the module docstring)."""
    for directory in reversed(SERVER_AREA.parent.resolve().parents):
        _check_system_dir(directory)
    _check_system_dir(SERVER_AREA.parent.resolve())
    root = cache_root().resolve()
    ident = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    area = private_dir(private_dir(SERVER_AREA, mode=0o711) / ident, mode=0o711)
    if not (area / "cache-dir").exists():
        (area / "cache-dir").write_text(str(root))  # says when the area is an orphan (collect_orphans)
    return area


def collect_orphans() -> list[Path]:
    """Remove the server areas of cache directories that no longer exist (a removed test or CI
    cache): nothing can reuse or clear them any more."""
    gone = []
    with os.scandir(SERVER_AREA) as it:
        areas = [Path(e.path) for e in it if e.is_dir(follow_symlinks=False)]
    for area in areas:
        owner = read_small(area / "cache-dir")
        if owner is not None and not os.path.isdir(os.path.join(owner, "databases")):
            remove_tree(area)
            gone.append(area)
    return gone


def _check_system_dir(directory: Path) -> None:
    st = os.lstat(directory)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != 0 or st.st_mode & 0o022:
        raise CacheError(
            f"{directory} is not a directory only root may write: advisor will not keep the "
            "embedded server's files under it as root (run advisor as a user, or pass --dsn)"
        )


def open_slot(key: str, owner: tuple[int, int] | None = None) -> Slot:
    """The records and data directory of one cached database; `owner`: the server user, as root."""
    key = key[:20]
    meta = private_dir(databases_dir() / key)
    data = server_area() / key if os.name == "posix" and os.geteuid() == 0 else meta / "data"
    return Slot(key, meta, data, owner)


def fresh_data_dir(slot: Slot) -> None:
    """An empty data directory, owned by the server user, 0700 (a leftover is removed first)."""
    remove_tree(slot.data)
    private_dir(slot.data, owner=None if slot.owner is None else slot.owner[0])
    if slot.owner is not None:
        os.chown(slot.data, *slot.owner)


# --- the running server --------------------------------------------------------------


@dataclass
class Running:
    pid: int
    socket_dir: Path


def proc_start(pid: int) -> str | None:
    """The process's start time (Linux), to tell it from a later process given the same pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def read_small(path: Path, limit: int = 1 << 20) -> str | None:
    """A small regular file's text, never through a symlink nor from a FIFO or device; None if not."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, limit).decode("utf-8", "replace")
    finally:
        os.close(fd)


def record_running(slot: Slot, pid: int, socket_dir: Path) -> None:
    text = json.dumps({"pid": pid, "start": proc_start(pid), "socket_dir": str(socket_dir)})
    (slot.meta / "server.json").write_text(text)


def running(slot: Slot) -> Running | None:
    """The server recorded for this database, when it is still that process and ready."""
    try:
        record = json.loads(read_small(slot.meta / "server.json") or "")
        pid, socket_dir = int(record["pid"]), Path(record["socket_dir"])
        os.kill(pid, 0)
    except (ValueError, KeyError, TypeError, OSError):
        return None
    if record.get("start") != proc_start(pid):
        return None
    lines = (read_small(slot.data / "postmaster.pid") or "").splitlines()
    if _postmaster(slot) != pid or len(lines) < 8 or lines[7].strip() != "ready":
        return None
    return Running(pid, socket_dir) if (socket_dir / ".s.PGSQL.5432").exists() else None


def _postmaster(slot: Slot) -> int | None:
    """The pid in the server's postmaster.pid (read without following a link)."""
    lines = (read_small(slot.data / "postmaster.pid") or "").splitlines()
    return int(lines[0]) if lines and lines[0].strip().isdigit() else None


def stop(slot: Slot, process=None) -> None:
    """Stop the recorded server (fast shutdown), remove its socket directory and the record."""
    try:
        record = json.loads(read_small(slot.meta / "server.json") or "")
        pid, socket_dir = int(record["pid"]), Path(record["socket_dir"])
    except (ValueError, KeyError, TypeError):
        return
    if process is not None and process.pid == pid:
        _stop_child(process)
    elif record.get("start") == proc_start(pid) and (record.get("start") is not None or _postmaster(slot) == pid):
        stop_pid(pid)  # still that process (its start time; without /proc, the server's own pid file)
    # the record is ours, but check the name anyway: only a socket directory advisor made goes
    if socket_dir.parent == Path(tempfile.gettempdir()) and socket_dir.name.startswith(SOCKET_PREFIX):
        remove_tree(socket_dir)
    (slot.meta / "server.json").unlink(missing_ok=True)


def _stop_child(process) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except Exception:  # noqa: BLE001  subprocess.TimeoutExpired
            process.kill()
            process.wait(5)


def stop_pid(pid: int) -> None:
    """Stop a server another run started (it is not our child: init reaps it)."""
    try:
        os.kill(pid, signal.SIGINT)
        for _ in range(300):
            time.sleep(0.05)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # ours after all (started by this process): reap it
            os.kill(pid, 0)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# --- sharing ---------------------------------------------------------------------------


class Lease:
    """One run's use of a cached database: setup.lock while it sets up, then a share of users.lock."""

    def __init__(self, slot: Slot):
        max_bytes()  # a bad ADVISOR_CACHE_MAX_MB is reported before any work, not after seeding
        self.slot = slot
        self.setup = FileLock(slot.meta / "setup.lock")
        self.users = FileLock(slot.meta / "users.lock")
        self.sharing = False
        deadline = time.monotonic() + 1
        while not self.setup.acquire(wait=False):
            if time.monotonic() > deadline:  # a moment is normal; longer, another run is seeding it
                print(
                    f"advisor: waiting for another advisor run to set up the seeded database {slot.key}",
                    file=sys.stderr,
                    flush=True,
                )
                self.setup.acquire()
                break
            time.sleep(0.02)

    def share(self) -> None:
        """Set-up done: use the server alongside other runs."""
        self.users.acquire(shared=True)
        self.sharing = True
        self.setup.release()
        os.utime(self.slot.meta / "seeded")  # last used

    def end(self, process=None, before_stop=None) -> None:
        """Leave; stop the server when no other run uses it (after `before_stop()`)."""
        if self.sharing:
            self.users.release()
            self.sharing = False
            self.setup.acquire()
        try:
            if self.users.acquire(wait=False):
                try:
                    if before_stop is not None:
                        before_stop()
                    stop(self.slot, process)
                    if not self.slot.seeded:
                        remove_tree(self.slot.data)  # half-seeded: useless
                finally:
                    self.users.release()
        finally:
            self.setup.release()


def mark_seeded(slot: Slot, load_errors: list[dict]) -> None:
    (slot.meta / "load-errors").write_text(json.dumps(load_errors))
    (slot.meta / "seeded").write_text("ok\n")


def load_errors(slot: Slot) -> list[dict]:
    try:
        records = json.loads(read_small(slot.meta / "load-errors") or "[]")
    except ValueError:
        return []
    return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []


# --- listing, clearing, evicting ---------------------------------------------------------


@dataclass
class Cached:
    key: str
    data: Path
    size: int
    last_used: float
    seeded: bool
    running: bool


def list_databases() -> list[Cached]:
    out = []
    with os.scandir(databases_dir()) as it:
        names = sorted(e.name for e in it if e.is_dir(follow_symlinks=False))
    for name in names:
        slot = open_slot(name)
        try:
            used = os.stat(slot.meta / "seeded").st_mtime
        except OSError:
            used = os.lstat(slot.meta).st_mtime
        out.append(Cached(name, slot.data, tree_size(slot.data), used, slot.seeded, running(slot) is not None))
    return sorted(out, key=lambda c: c.last_used)


def remove(key: str) -> bool:
    """Stop and remove a cached database no run uses; False if one does."""
    slot = open_slot(key)
    setup, users = FileLock(slot.meta / "setup.lock"), FileLock(slot.meta / "users.lock")
    if not setup.acquire(wait=False):
        return False
    try:
        if not users.acquire(wait=False):
            return False
        try:
            stop(slot)
            remove_tree(slot.data)
            remove_tree(slot.meta)  # the lock files too: a waiting run locks the new ones
        finally:
            users.release()
    finally:
        setup.release()
    return True


def max_bytes() -> int:
    text = os.environ.get("ADVISOR_CACHE_MAX_MB", "")
    try:
        value = float(text) if text else DEFAULT_MAX_MB
    except ValueError:
        raise CacheError(f"ADVISOR_CACHE_MAX_MB={text!r}: not a number of megabytes") from None
    if not value >= 0 or value == float("inf"):
        raise CacheError(f"ADVISOR_CACHE_MAX_MB={text!r}: expected a size in megabytes, 0 or more")
    return int(value * 2**20)


def evict(keep: str) -> list[Cached]:
    """Remove the least recently used databases (never `keep`, never one in use) past the limit."""
    limit = max_bytes()
    if os.name == "posix" and os.geteuid() == 0:
        collect_orphans()
    cached = list_databases()
    total = sum(c.size for c in cached)
    gone = []
    for c in cached:
        if total <= limit:
            break
        if c.key != keep[:20] and remove(c.key):
            total -= c.size
            gone.append(c)
    return gone


def clear() -> tuple[list[Cached], list[Cached]]:
    """Remove every cached database no run uses: (removed, in use). As root, the server area
    goes too (staged binaries included) once no database is left in it."""
    removed: list[Cached] = []
    busy: list[Cached] = []
    for c in list_databases():
        (removed if remove(c.key) else busy).append(c)
    if os.name == "posix" and os.geteuid() == 0 and not busy:
        remove_tree(server_area())
    return removed, busy
