"""advisor's scratch databases on a user's server (`--dsn`), and what earlier runs left behind.

The repository's SQL runs as the *session user* of its connection, a role advisor creates for
the run: it logs in (random password), owns the scratch database and nothing else, and has no
SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS, and no membership of any role
(pg_read_server_files, pg_write_server_files, pg_execute_server_program...).  `SET ROLE` from
the user's own login would not do: any function of the schema could `RESET ROLE` and be the
user again.  So advisor needs a login that may create roles and databases (a superuser, or
CREATEROLE and CREATEDB); with less, or when the server does not let the new role log in
(pg_hba.conf), advisor only reads: EXPLAIN without ANALYZE on the user's database, and says so.

Names say whose a scratch database is: advisor_scratch_<host>_<pid>_<random>.  A run removes the
ones of this host whose process is gone (a SIGKILL, a CI runner cut off), with a note.  Dropping
runs under its own statement timeout, and a failure to drop is a visible warning.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import socket
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from advisor.seed.exits import off_exit, on_exit
from advisor.seed.server import (
    KEPT_MARK,
    DatabaseError,
    EmbeddedServer,
    Target,
    connect,
    error_line,
    mask,
    with_dbname,
    with_params,
)

PREFIX = "advisor_scratch_"
KEPT = "advisor_scratch_kept_"  # `advisor seed --keep`: the user's; never removed as stale
_NAME = re.compile(r"advisor_scratch_([0-9a-f]{8})_(\d+)_[0-9a-f]{6}")
DROP_TIMEOUT = "60s"
OLDEST_SERVER = 130000  # DROP DATABASE ... WITH (FORCE)


def host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def scratch_name() -> str:
    return f"{PREFIX}{host_tag()}_{os.getpid()}_{secrets.token_hex(3)}"


def alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: alive
    return True


def _dead_owner(name: str) -> int | None:
    """The pid of the run of this host that made `name`, when that process is gone; else None."""
    m = _NAME.fullmatch(name)
    if m is None or m.group(1) != host_tag() or alive(int(m.group(2))):
        return None
    return int(m.group(2))


def _admin(dsn: str):
    """A connection on the user's login with advisor's own session settings, asked for in the startup
    packet: they outrank the role's defaults (ALTER ROLE ... SET statement_timeout = '1ms') from the first
    statement on, so no statement of advisor's -- not even a SET, on a loaded machine -- is cancelled
    by them.  The DSN's own `options` are kept."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    own = f"-c statement_timeout={DROP_TIMEOUT} -c lock_timeout=30s"
    try:
        theirs = str(conninfo_to_dict(dsn).get("options") or "")
    except psycopg.Error:  # a malformed DSN: connect() says what is wrong with it, without quoting it
        theirs = ""
    return connect(dsn, autocommit=True, options=" ".join(filter(None, [theirs, own])))


def _drop(conn, name: str) -> None:
    from psycopg import sql

    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@dataclass
class Scratch:
    """A scratch database and the role that owns it, on the server of `admin` (the user's DSN)."""

    admin: str
    name: str

    def drop(self) -> None:
        """Drop both; a failure is a warning on stderr naming what is left."""
        off_exit(self)
        try:
            with _admin(self.admin) as conn:
                _drop(conn, self.name)
        except Exception as exc:  # noqa: BLE001 -- reported, the run's result stands
            print(
                f"advisor: warning: could not drop the scratch database and role {self.name} "
                f"({error_line(exc)}); a later run removes it, or: DROP DATABASE {self.name} WITH (FORCE); "
                f"DROP ROLE {self.name};",
                file=sys.stderr,
            )

    def keep(self) -> str:
        """Leave the database for the user (renamed so no run removes it); the DSN that reaches it."""
        from psycopg import sql

        off_exit(self)
        kept = KEPT + self.name[len(PREFIX) :]
        try:
            with _admin(self.admin) as conn:
                conn.execute(
                    sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(self.name), sql.Identifier(kept))
                )
                conn.execute(
                    sql.SQL("ALTER ROLE {} RENAME TO {}").format(sql.Identifier(self.name), sql.Identifier(kept))
                )
        except DatabaseError as exc:
            print(
                f"advisor: warning: could not rename the kept database {self.name} ({exc}): a later run may remove it",
                file=sys.stderr,
            )
            kept = self.name
        except Exception as exc:  # noqa: BLE001
            print(
                f"advisor: warning: could not rename the kept database {self.name} ({error_line(exc)}): "
                "a later run may remove it",
                file=sys.stderr,
            )
            kept = self.name
        return mask(with_dbname(self.admin, kept))


def remove_stale(conn) -> list[str]:
    """Drop the scratch databases and roles of dead advisor runs of this host; one note for each."""
    names = {
        r[0]
        for r in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'advisor\\_scratch\\_%' "
            "UNION SELECT rolname FROM pg_roles WHERE rolname LIKE 'advisor\\_scratch\\_%'"
        )
    }
    notes = []
    for name, pid in sorted((n, _dead_owner(n)) for n in names):
        if pid is None:
            continue
        try:
            _drop(conn, name)
        except Exception as exc:  # noqa: BLE001
            notes.append(
                f"could not remove {name}, left by an advisor run that ended without cleaning up: {error_line(exc)}"
            )
        else:
            notes.append(
                f"removed {name}: the scratch database of an advisor run (process {pid}) that ended without cleaning up"
            )
    return notes


def _create(conn, dsn: str) -> tuple[Scratch, str]:
    """The role and its database; the DSN that logs in as that role."""
    import psycopg
    from psycopg import sql

    name, password = scratch_name(), secrets.token_urlsafe(24)
    hashed = conn.pgconn.encrypt_password(password.encode(), name.encode()).decode()  # no clear text on the wire
    role, db = sql.Identifier(name), sql.Identifier(name)
    scratch = Scratch(dsn, name)
    on_exit(scratch, scratch.drop)
    try:
        # before 16 a NOINHERIT role does not get its own database's public schema (owned by pg_database_owner
        # from 15 on); it is member of no other role, so INHERIT brings nothing else
        inherit = sql.SQL("NOINHERIT" if conn.info.server_version >= 160000 else "INHERIT")
        conn.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE {} NOREPLICATION "
                "NOBYPASSRLS CONNECTION LIMIT 32 PASSWORD {}"
            ).format(role, inherit, sql.Literal(hashed))
        )
        try:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(db, role))
        except psycopg.errors.InsufficientPrivilege:
            # a CREATEROLE login (not superuser) must be able to SET ROLE to the owner it names
            conn.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(role))
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(db, role))
    except BaseException:
        scratch.drop()
        raise
    return scratch, with_params(dsn, dbname=name, user=name, password=password)


def user_target(dsn: str) -> Target:
    """A scratch database on the user's server, run as a role without privileges; else read-only use."""
    with _admin(dsn) as conn:
        if conn.info.server_version < OLDEST_SERVER:
            raise DatabaseError(
                f"advisor needs PostgreSQL 13 or later for --dsn; this server is {conn.info.server_version // 10000}"
            )
        notes = remove_stale(conn)
        row = conn.execute(
            "SELECT rolsuper, rolcreaterole AND rolcreatedb FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        if row and (row[0] or row[1]):
            note = None
            try:
                scratch, login = _create(conn, dsn)
            except Exception as exc:  # noqa: BLE001
                note = f"cannot make a scratch database and role ({error_line(exc)})"
            else:
                try:
                    with connect(login, autocommit=True):
                        pass
                except DatabaseError as exc:
                    scratch.drop()
                    note = f"the server does not let advisor's scratch role log in ({exc})"
                else:
                    return Target(login, owned=True, admin=with_dbname(dsn, scratch.name), scratch=scratch, notes=notes)
            note += ": read-only mode (EXPLAIN without ANALYZE on the given database)"
        else:
            note = (
                "advisor runs the repository's schema only as a role without privileges, and this login "
                "may not create one (it needs CREATEROLE and CREATEDB, or superuser): read-only mode "
                "(EXPLAIN without ANALYZE on the given database)"
            )
        hypo = conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'hypopg'").fetchone()[0] > 0
    return Target(dsn, owned=False, fresh=False, hypopg=hypo, notes=[*notes, note])


def remove_stale_temporary() -> list[str]:
    """Remove the temporary data and socket directories of advisor runs that died (SIGKILL) on this host.

    Only directories named by advisor with the pid of a process that is gone, owned by this
    user and not symlinks, whose server (if any) is gone too."""
    notes = []
    for parent in {Path(tempfile.gettempdir()), Path("/tmp")}:
        try:
            entries = list(parent.iterdir())
        except OSError:
            continue
        for entry in entries:
            m = re.fullmatch(r"advisor-(data|pg)-(\d+)-[A-Za-z0-9_]+", entry.name)
            if not m or alive(int(m.group(2))):
                continue
            try:
                st = entry.lstat()
            except OSError:
                continue
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
                continue
            server = EmbeddedServer(entry / "pgdata")
            kept = (entry / KEPT_MARK).exists()  # seed --keep marks the directory it owns
            if m.group(1) == "data" and (kept or server.running_pid() is not None):
                continue
            shutil.rmtree(entry, ignore_errors=True)
            if m.group(1) == "data":
                notes.append(
                    f"removed {entry}: the temporary database of an advisor run (process "
                    f"{m.group(2)}) that ended without cleaning up"
                )
    return notes
