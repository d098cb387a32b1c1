"""The result cache of `advisor check`: an unchanged file is not analysed twice.

A file's findings depend on the file (its bytes and display path), on the project's
effective settings (the config, the enabled rules), on advisor's code (version, the
sizes and mtimes of the package's files and rule pages, the installed libraries, the
Python version), and on the schema: the config's schema files plus the DDL and index
declarations of every file checked with it (and what else one file gives another: see
results.schema_contribution). So the cache keeps, as JSON records:

- per file key (file, settings, code): what the file adds to the schema, as a hash;
- per file key and context (a hash of the schema files and of every checked file's
  contribution): the file's findings, suppressions applied, and its query count;
- per context: the findings located in unchecked schema files (their parse errors).

A project is served from the cache only when every one of its files has both records
in the current context; otherwise it is analysed in full, and the records written.
Plan findings depend on a database: runs with --explain never use the cache.

Records live in cache_root()/results (ADVISOR_CACHE_DIR overrides the root), bounded by
age and size (see `Store`). An
unreadable, corrupt or foreign record is a miss, and a cache that cannot be written
is no cache: the cache can make a run faster, never different, never fail.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import stat
import sys
import time
from functools import lru_cache
from pathlib import Path

from advisor.files import content_key
from advisor.ir import Finding, Location

FORMAT = 2  # bump when the record layout changes (2: each distinct statement once per record)
MAX_BYTES = 512 * 2**20  # disk blocks: a 20,000-file project writes 40,000 records, 160 MB of 4 kB blocks
MAX_AGE_DAYS = 30
DAY = 86_400.0
PRUNE_EVERY = 3_600.0  # seconds between two prunes of one cache
PRUNED = ".pruned"  # its mtime says when the last prune ran


def digest(*parts: object) -> str:
    """A hash of plain data (its repr: strings, numbers, tuples, lists, dicts, paths)."""
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _stat(path: str | os.PathLike) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


@lru_cache(maxsize=1)
def code_version() -> str:
    """advisor's version, the size and mtime of every file of the package and of the rule
    pages, and the mtimes of the site-packages directories (installing or upgrading a
    library such as sqlglot changes them). Cheap: stats only, no imports."""
    from advisor import __version__
    from advisor.catalogue import rules_dir

    parts: list[object] = [__version__, sys.version]
    package = Path(__file__).resolve().parent
    try:
        rules = rules_dir()
    except Exception:  # noqa: BLE001  the run reports a missing catalogue itself
        rules = package
    for top in sorted({package, rules}):
        for directory, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                path = os.path.join(directory, name)
                parts.append((os.path.relpath(path, top), _stat(path)))
    parts += [
        (entry, _stat(entry)) for entry in sys.path if os.path.basename(entry) in ("site-packages", "dist-packages")
    ]
    return digest(*parts)


# --- findings as plain data ------------------------------------------------------------


def finding_to_json(finding: Finding) -> dict:
    return dataclasses.asdict(finding)


def finding_from_json(data: dict) -> Finding:
    data = dict(data)
    data["location"] = Location(**data["location"])
    if data["query_location"] is not None:
        data["query_location"] = Location(**data["query_location"])
    return Finding(**data)


def _exact_json(finding: Finding) -> dict | None:
    """The finding as JSON data, or None unless it comes back exactly (its metrics could
    hold a tuple, a number as a key, a NaN...).  Its statement, plain text, is not sent through
    the round trip: thousands of findings on one long statement made that quadratic."""
    data = finding_to_json(finding)
    bare = {**data, "query": None}
    try:
        back = finding_from_json(json.loads(json.dumps(bare)))
    except (TypeError, ValueError):
        return None
    return data if dataclasses.replace(back, query=finding.query) == finding else None


def _pack(findings: list[dict]) -> dict:
    """A record's findings with each distinct statement stored once (`statements`, a finding's `query` its index):
    a finding carries its whole statement, and one statement of thousands of terms, a finding each, made the
    record quadratic in the file (a 218 kB file, an 874 MB record)."""
    statements: dict[str, int] = {}
    packed = [
        {**f, "query": statements.setdefault(f["query"], len(statements))} if isinstance(f["query"], str) else f
        for f in findings
    ]
    return {"findings": packed, "statements": list(statements)}


def _unpack(record: dict) -> list[dict]:
    statements = record.get("statements", [])
    return [{**f, "query": statements[f["query"]]} if isinstance(f["query"], int) else f for f in record["findings"]]


# --- the records on disk -------------------------------------------------------------


class Store:
    """Records by key, one JSON file each, in a private directory (advisor/home.py).

    Bounded by age and size, never by a count of records, so a project of any size is served
    from the cache: a record unread for MAX_AGE_DAYS goes, and past MAX_BYTES the records read
    least recently go first -- never those the current run just wrote. A record read is
    touched (at most once a day) so a project in use keeps its records.
    """

    def __init__(self, directory: Path):
        self.directory = directory

    @classmethod
    def default(cls) -> Store | None:
        from advisor.home import CacheError, cache_root, private_dir

        try:
            return cls(private_dir(cache_root() / "results"))
        except CacheError as exc:
            print(f"advisor: warning: {exc}; results are not cached", file=sys.stderr)
            return None
        except Exception:  # noqa: BLE001  no usable cache directory: no cache
            return None

    def load(self, key: str) -> dict | None:
        try:
            fd = os.open(self.directory / f"{key}.json", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return None
            chunks = []
            while chunk := os.read(fd, max(st.st_size, 4096)):
                chunks.append(chunk)
            record = json.loads(b"".join(chunks))
            if time.time() - st.st_mtime > DAY:
                os.utime(fd)  # in use: keep it past the age limit
        except (OSError, ValueError):
            return None
        finally:
            os.close(fd)
        return record if isinstance(record, dict) and record.get("key") == key else None

    def save(self, key: str, record: dict) -> bool:
        """Write atomically (a reader sees the old record or the new one); False if it could not."""
        text = json.dumps({"key": key, **record}, separators=(",", ":")).encode()
        tmp = self.directory / f".{key}.{os.getpid()}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(text)
            os.replace(tmp, self.directory / f"{key}.json")
        except OSError:
            try:
                tmp.unlink()
            except OSError:
                pass
            return False
        return True

    def prune(
        self,
        keep_since: float,
        max_bytes: int | None = None,
        max_age_days: float | None = None,
        every: float = PRUNE_EVERY,
    ) -> int:
        """Remove records older than the age limit, then the least recently used past the size
        limit (down to 3/4 of it), sparing those written at or after `keep_since`. At most once
        in `every` seconds (a stamp file says when). Returns how many records went."""
        try:
            dir_fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return 0
        try:
            return self._prune(
                dir_fd,
                keep_since,
                MAX_BYTES if max_bytes is None else max_bytes,
                time.time() - (MAX_AGE_DAYS if max_age_days is None else max_age_days) * DAY,
                every,
            )
        finally:
            os.close(dir_fd)

    def _prune(self, dir_fd: int, keep_since: float, max_bytes: int, cutoff: float, every: float) -> int:
        try:
            if time.time() - os.stat(PRUNED, dir_fd=dir_fd, follow_symlinks=False).st_mtime < every:
                return 0
        except OSError:
            pass
        entries = []
        with os.scandir(dir_fd) as it:
            for entry in it:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if entry.name != PRUNED:
                    entries.append((st.st_mtime, st.st_blocks * 512, entry.name))
        entries.sort()  # least recently used first
        total = sum(size for _, size, _ in entries)
        target = max_bytes * 3 // 4 if total > max_bytes else total
        removed = 0
        for mtime, size, name in entries:
            if mtime >= keep_since:
                continue
            if mtime >= cutoff and total <= target:
                break  # the rest is newer still
            try:
                os.unlink(name, dir_fd=dir_fd)  # the entry itself, never what a symlink points to
            except OSError:
                continue
            total -= size
            removed += 1
        with contextlib.suppress(OSError):
            os.close(os.open(PRUNED, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dir_fd))
            os.utime(PRUNED, dir_fd=dir_fd, follow_symlinks=False)
        return removed


# --- one project's results ---------------------------------------------------------------


class ProjectCache:
    """The cached findings of one project's files.

    `settings`: plain data of everything about the project's configuration that findings
    depend on. `files`: (display path, path) of the files checked, in the run's order.
    `schema_files`: (display path, path) of the config's schema files, the config file itself and its
    `[seed] stats` file (production's row counts say which tables are tiny), in order.
    """

    def __init__(
        self,
        store: Store,
        settings: object,
        files: list[tuple[str, Path]],
        schema_files: list[tuple[str, Path]],
        limit: int | None = None,
    ):
        self.store = store
        self.limit = limit  # max-file-size: a file over it is refused by the run, so is not read here either
        self.files = files
        self.schema_files = schema_files
        self.base = digest(FORMAT, code_version(), settings)
        self.keys = self._file_keys()
        self.schema = self._schema_state()

    def _file_keys(self) -> dict[str, str | None]:
        keys: dict[str, str | None] = {}
        for shown, path in self.files:
            try:
                keys[shown] = digest(self.base, "file", shown, content_key(path, self.limit))
            except OSError:
                keys[shown] = None  # an unreadable file is reported by a full run, never cached
        return keys

    def _schema_state(self) -> list[tuple[str, str, bool]] | None:
        """The schema files' content, and whether each is checked too; None if one is unreadable."""
        state = []
        for shown, path in self.schema_files:
            try:
                state.append((shown, content_key(path, self.limit), shown in self.keys))
            except OSError:
                return None  # a full run reports it
        return state

    def _readable_keys(self) -> dict[str, str] | None:
        """The file keys, or None if a file was unreadable (a full run reports it)."""
        keys = {shown: key for shown, key in self.keys.items() if key is not None}
        return keys if len(keys) == len(self.keys) else None

    def _context(self, contributions: dict[str, str]) -> str:
        """The hash of the schema the project's findings are computed with: the schema files
        and what each checked file gives the others (its DDL, its index declarations, what it names);
        and which files there are: a `.sql` file is left out as one nothing loads by what the others
        name (sources/sql_file_use), so a file added, removed or renaming one changes another's findings."""
        added = [(shown, contributions[shown]) for shown, _ in self.files if contributions[shown]]
        return digest(self.base, "context", self.schema, added, sorted(shown for shown, _ in self.files))

    def load(self) -> tuple[list[Finding], int] | None:
        """(findings, query count) of every file, or None unless all of them are cached
        in the current context."""
        keys = self._readable_keys()
        if self.schema is None or keys is None:
            return None
        try:
            contributions = {}
            for shown, key in keys.items():
                record = self.store.load(key)
                if record is None:
                    return None
                contributions[shown] = record["contribution"]
            context = self._context(contributions)
            loaded = [self.store.load(digest(key, context)) for key in keys.values()]
            loaded.append(self.store.load(digest(context, "unchecked")))
            results = [record for record in loaded if record is not None]
            if len(results) != len(loaded):
                return None
            findings = [finding_from_json(f) for record in results for f in _unpack(record)]
            return findings, sum(int(record.get("queries", 0)) for record in results)
        except Exception:  # noqa: BLE001  a corrupt or foreign record is a miss, never a crash
            return None

    def save(self, findings: list[Finding], queries: dict[str, int], contributions: dict[str, str]) -> None:
        """Record a full run's results. Nothing is written when an input changed while the run
        read it, when a finding lies where no record can own it, or when JSON cannot carry
        a finding exactly."""
        keys = self._readable_keys()
        if self.schema is None or keys is None:
            return
        if self._file_keys() != self.keys or self._schema_state() != self.schema:
            return
        started = time.time() - 1  # mtimes may be coarser than time.time()
        context = self._context(contributions)
        schema_paths = {shown for shown, _ in self.schema_files}
        by_path: dict[str, list[dict]] = {shown: [] for shown in self.keys}
        unchecked: list[dict] = []
        for finding in findings:
            data = _exact_json(finding)
            if data is None:
                return
            path = finding.location.path
            if path in by_path:
                by_path[path].append(data)
            elif path in schema_paths:
                unchecked.append(data)
            else:
                return
        records: dict[str, dict[str, object]] = {digest(context, "unchecked"): _pack(unchecked)}
        for shown, key in keys.items():
            records[key] = {"contribution": contributions[shown]}
            records[digest(key, context)] = {"queries": queries.get(shown, 0), **_pack(by_path[shown])}
        for key, record in records.items():
            if not self.store.save(key, record):
                return
        self.store.prune(keep_since=started)
