"""Reading the checked repository's files: it is untrusted input.

Only regular files inside the project are read: a symlink that leaves it, a symlink loop, a
named pipe, a device or a socket is skipped with a reason (a pipe would hang the run, a link to
/dev/zero fill the memory, a link to /etc/passwd print it in a finding). At most
`max-file-size` bytes of a file are read; a UTF-8 byte-order mark is dropped (positions are
counted as an editor counts them, without it). Paths written in the config resolve inside the
project root, unless the command line says `--allow-outside`. Ignore files are read as git
reads them: `.git/info/exclude`, then every `.gitignore` from the repository's top down.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.errors import ConfigError
from advisor.ir import CODE_SUFFIXES, JS_SUFFIXES
from advisor.oneoff import undo_path
from advisor.wildmatch import IgnoreSpec

if TYPE_CHECKING:
    from advisor.config import Config

DEFAULT_MAX_FILE_SIZE = 5_000_000
MAX_BASELINE_SIZE = 200_000_000  # written by advisor itself, one line per accepted finding
_KINDS = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def real(path: Path) -> Path:
    """The absolute path of `path`'s directory without symlinks, and `path`'s own name: the link
    itself, not what it points to (which `skip_reason` judges)."""
    return Path(os.path.realpath(path.parent)) / path.name


def _undecodable(path: Path) -> bool:
    """A name with a byte that is not UTF-8 (Python holds it as a lone surrogate): no report can carry it."""
    return any("\udc80" <= ch <= "\udcff" for ch in str(path))


def skip_reason(path: Path, roots: tuple[Path, ...], limit: int) -> str | None:
    """Why this file is not read (None: read it). `roots`: the resolved directories it may lie in."""
    if _undecodable(path):
        return "its name is not UTF-8 text, which no report format can carry"
    try:
        target = Path(os.path.realpath(path, strict=True))
    except OSError as exc:
        return "a symlink loop" if exc.errno == 40 else f"cannot read file: {exc.strerror or exc}"
    if not any(inside(target, root) for root in roots):
        return "a symlink leading outside the project"
    try:
        info = os.stat(target)
    except OSError as exc:
        return f"cannot read file: {exc.strerror}"
    return _kind_reason(info.st_mode) or _size_reason(info.st_size, limit)


def _kind_reason(mode: int) -> str | None:
    for test, kind in _KINDS:
        if test(mode):
            return f"not a regular file ({kind})"
    return None if stat.S_ISREG(mode) else "not a regular file"


# how a file of the project is opened to be read: never blocking on a pipe, never taking a terminal
_READ = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
TOO_LARGE = "larger than max-file-size"  # how a skip reason for size starts (engine: a warning, not a note)


def _size_reason(size: int, limit: int) -> str | None:
    if size > limit:
        return f"{TOO_LARGE} ({size:,} > {limit:,} bytes)"
    return None


MINIFIED_SIZE = 10_000  # characters: below it a file of long lines is read (a few long statements)
MINIFIED_LINE = 300  # characters a line holds on average in minified code; written code averages 30 to 60


# a module that opens with an import or export written without spaces (`import{o as e}from"./x-DAXXjFlN.js"`):
# a minifier's output (a bundler's chunk), however its lines are broken; a person, tsc, babel and tsup write spaces
_COMPACT_MODULE = re.compile(r"(?:/\*.*?\*/|//[^\n]*\n|\s)*(?:import|export)\{[^{}]{0,2000}\}from[\"']", re.DOTALL)


def minified(text: str) -> bool:
    """Built JavaScript: a bundle or a vendored library squeezed onto long lines (`jquery.min.js`, a
    bundler's hashed asset), or a bundler's chunk opening as only a minifier writes (`import{...}from"..."`).
    Its source is what advisor reads; reading the build costs minutes and finds positions no one can act on.
    A trailing source-map comment (one long line on compiled code of normal lines) does not count."""
    if _COMPACT_MODULE.match(text[:4096]):
        return True
    if len(text) < MINIFIED_SIZE:
        return False
    lines = text.count("\n") + text.count("\r") - text.count("\r\n") + 1  # CR-only line ends count too
    mapping = max(text.rfind("\n//# sourceMappingURL="), text.rfind("\r//# sourceMappingURL="))
    if mapping != -1 and len(text[mapping + 1 :].splitlines()) == 1:
        text, lines = text[:mapping], lines - 1
    return len(text) / max(lines, 1) > MINIFIED_LINE


def read_text(path: Path, limit: int = DEFAULT_MAX_FILE_SIZE) -> tuple[str | None, str | None]:
    """(text, None), or (None, why not). Never blocks on a pipe, never reads more than `limit` + 1 bytes."""
    try:
        fd = os.open(path, _READ)
    except OSError as exc:
        return None, "a symlink loop" if exc.errno == 40 else f"cannot read file: {exc.strerror}"
    try:
        info = os.fstat(fd)
        reason = _kind_reason(info.st_mode) or _size_reason(info.st_size, limit)
        if reason:
            return None, reason
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        return None, f"cannot read file: {exc.strerror}"
    finally:
        os.close(fd)
    if len(data) > limit:
        return None, _size_reason(len(data), limit)
    return decode(data, path.suffix.lower())


def built_bundle(path: Path, reason: str) -> bool:
    """A JavaScript file skipped for its size that is a bundler's output (`minified` on its first bytes): built
    code advisor never reads, not a file it failed to read."""
    return reason.startswith(TOO_LARGE) and path.suffix.lower() in JS_SUFFIXES and minified(head(path))


def head(path: Path, size: int = 4096) -> str:
    """The first `size` bytes of a regular file, decoded loosely ("" when it cannot be read): enough to tell a
    bundler's output from written code without reading a file over the size limit."""
    try:
        fd = os.open(path, _READ)
    except OSError:
        return ""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        return os.read(fd, size).decode("utf-8", "replace")
    except OSError:
        return ""
    finally:
        os.close(fd)


def content_key(path: Path, limit: int | None = None) -> str:
    """A hash of the file's bytes, read in chunks (a 3 GB file named in the config never sits in memory);
    of its kind, size and times instead for a file that is not regular or is over `limit` (the run
    refuses it: there is nothing to read for). Raises OSError as opening it would; never blocks on a pipe."""
    import hashlib

    fd = os.open(path, _READ)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (limit is not None and info.st_size > limit):
            return f"unread:{stat.S_IFMT(info.st_mode)}:{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    finally:
        os.close(fd)


def decode(data: bytes, suffix: str) -> tuple[str | None, str | None]:
    """The text as the file's runtime reads it: Node decodes JS/TS as UTF-8, a byte that is not as U+FFFD (a
    cp1252 apostrophe in a comment is no error there); Python as its coding declaration says (PEP 263), UTF-8
    without one, an undecodable byte a SyntaxError; anything else must be UTF-8 (a BOM dropped). None of them
    reads UTF-16 (a file saved so by a Windows editor): said as such, not as bytes that are not UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, "file is UTF-16 text (it starts with a UTF-16 byte-order mark), not UTF-8: save it as UTF-8"
    if suffix in JS_SUFFIXES:
        return data.decode("utf-8-sig", errors="replace"), None
    encoding = "utf-8-sig"
    if suffix == ".py":
        import io
        import tokenize

        try:
            encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        except SyntaxError as exc:  # an unknown encoding named, or a BOM with another declaration
            return None, f"the file's encoding declaration cannot be read: {exc.msg}"
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError as exc:
        what, line = "UTF-8" if encoding.startswith("utf-8") else encoding, data[: exc.start].count(b"\n") + 1
        return None, f"file is not {what} text (line {line})"


def inside_root(config: Config, key: str, value: str) -> Path:
    """A path written in the config, resolved, inside the project root unless --allow-outside (or refused,
    naming the key)."""
    if "\x00" in value:  # no file system takes one
        raise ConfigError(f"{config.label}: {key}: {value!r} is not a file path (it holds a NUL character)")
    path = Path(os.path.realpath(config.root / value))
    if not config.allow_outside and not inside(path, config.root.resolve()):
        raise ConfigError(
            f"{config.label}: {key}: {value!r} is outside the project root {config.root} "
            "(give --allow-outside on the command line to allow it)"
        )
    return path


def config_path(config: Config, key: str, value: str) -> Path:
    """A file written in the config, resolved inside the project root (or refused, naming the key)."""
    path = inside_root(config, key, value)
    if path.exists() and not path.is_file():  # a pipe would hang the seeding, a device never end
        raise ConfigError(f"{config.label}: {key}: {value!r} is not a regular file")
    return path


def read_config_file(config: Config, key: str, value: str) -> str:
    """The text of a file the config names (baseline, seed statistics), inside the project and bounded."""
    path = config_path(config, key, value)
    text, error = read_text(path, config.max_file_size)
    if text is None:
        raise ConfigError(f"{config.label}: {key}: {value}: {error}")
    return text


def named_schema_files(config: Config) -> set[Path]:
    """The resolved paths of the config's schema files (none when a pattern is unusable: reported
    where the schema is assembled). A walk checks them whatever their suffix (`full.sql.postgres`)."""
    try:
        return {Path(os.path.realpath(p)) for p in schema_files(config)} if config.schema else set()
    except ConfigError:
        return set()


def schema_files(config: Config) -> list[Path]:
    """The files the config's `schema` patterns match, all regular files inside the project."""
    root = config.root.resolve()
    files: dict[Path, None] = {}  # in order, each once (a list's `in` was quadratic in thousands of files)
    outside = "(give --allow-outside on the command line to allow it)"
    for pattern in config.schema:
        where = f"{config.label}: schema {pattern!r}"
        if not config.allow_outside and pattern.replace("\\", "/").startswith("../"):
            # refused before any folder above the root is listed: which files are there is not the repository's
            raise ConfigError(f"{where}: starts outside the project root {config.root} {outside}")
        try:
            matched = sorted(glob_once(config.root, pattern))
        except (ValueError, NotImplementedError, IndexError) as exc:
            raise ConfigError(f"{where}: not a usable glob pattern ({exc or 'empty'})") from None
        kept = []
        if _wild(pattern):  # a file that undoes a step is no schema, unless named alone (advisor.oneoff)
            matched = [p for p in matched if p.is_dir() or not undo_path(p.name)]
        for path in _folder_schema_files(matched):
            resolved = Path(os.path.realpath(path))
            if not config.allow_outside and not inside(resolved, root):
                # named by the link in the repository, not by what it reaches outside it
                raise ConfigError(
                    f"{where}: reaches outside the project root through {_link_in(path, config.root)} {outside}"
                )
            # stat: pipes, devices and directories are not schema files; nor is a name that is not UTF-8
            # (discovery skips it with a note: it holds no table advisor could name)
            if resolved.is_file() and not _undecodable(path):
                kept.append(path)
        if not kept:
            folder = any(p.is_dir() for p in matched)
            raise ConfigError(
                f"{where}: {'names a folder with no .sql or code file' if folder else 'matches no file'} under {config.root}"
            )
        files.update(dict.fromkeys(kept))
    return list(files)


def _folder_schema_files(matched: list[Path]) -> list[Path]:
    """A folder in `schema` (`db/migrations`, as a user names where the DDL lives) stands for the `.sql` files
    under it, at any depth, in path order: the order migration tools run them in; a folder of none, for its
    Python, JavaScript and TypeScript files (node-pg-migrate's `1584273600000_initial-schema.js`, yoyo's steps),
    read as schema files are: the DDL of their strings and a migration tool's builder calls."""
    out: list[Path] = []
    for path in matched:
        if path.is_dir():
            found = sorted(p for p in glob_once(path, "**/*") if p.is_file())
            sql = [p for p in found if p.suffix.lower() == ".sql" and not undo_path(p.name)]
            out += sql or [p for p in found if p.suffix.lower() in CODE_SUFFIXES]
        else:
            out.append(path)
    return out


def glob_once(root: Path, pattern: str) -> list[Path]:
    """What `root.glob(pattern)` matches, each directory (and file) entered once whatever links lead to it: three
    links to `.` under ten `*/` levels were 3^10 matches through pathlib's glob (44 s; twelve levels, minutes), and
    one file under two names was two schema files.  `*`, `?`, `[...]` within a name, `**` for any directories."""
    from fnmatch import fnmatchcase

    text = pattern.replace("\\", "/")
    if not text.strip() or text.startswith("/"):
        raise ValueError("empty" if not text.strip() else "not relative to the project root")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    seen: set[tuple[str, int]] = set()
    found: list[Path] = []
    todo = [(root, 0)]
    while todo:
        here, i = todo.pop()
        key = (os.path.realpath(here), i)
        if key in seen:
            continue
        seen.add(key)
        if i == len(parts):
            found.append(here)
            continue
        part, last = parts[i], i + 1 == len(parts)
        if part == "**":
            nexts = [(here, i + 1)] + [(here / e, i) for e in _names(here, dirs=True)]
        elif not _wild(part):
            nexts = [(here / part, i + 1)] if os.path.lexists(here / part) else []
        else:
            nexts = [(here / e, i + 1) for e in _names(here, dirs=not last) if fnmatchcase(e, part)]
        todo += reversed(nexts)
    return found


def _wild(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def _names(directory: Path, dirs: bool) -> list[str]:
    """The names in a directory, sorted (only those of directories, links to them included, when `dirs`)."""
    try:
        with os.scandir(directory) as entries:
            return sorted(e.name for e in entries if not dirs or e.is_dir())
    except OSError:
        return []


def _link_in(path: Path, root: Path) -> str:
    """The first part of `path` below `root` that is a symbolic link, as the repository names it."""
    for part in [*reversed(path.parents), path]:
        if root in part.parents and part.is_symlink():
            return part.relative_to(root).as_posix()
    return "a symbolic link"


# --- ignore files -----------------------------------------------------------------------


def git_top(directory: Path) -> Path | None:
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


class Ignores:
    """Whether a path is excluded: by the config (`DEFAULT_EXCLUDE` + `exclude`, relative to the
    project root), or by git's ignore files, where a deeper file's match wins and `!` re-includes."""

    def __init__(self, config: Config, defaults: list[str]):
        self.root = config.root.resolve()
        self.limit = config.max_file_size
        self.config_spec = IgnoreSpec(list(defaults) + list(config.exclude))
        self.top = git_top(self.root) or self.root
        self._specs: dict[Path, IgnoreSpec | None] = {}
        self._chains: dict[Path, tuple[tuple[int, IgnoreSpec], ...]] = {}
        exclude = self.top / ".git" / "info" / "exclude"
        self._info = self._load(exclude) if exclude.is_file() else None

    def _load(self, path: Path) -> IgnoreSpec | None:
        if skip_reason(path, (self.top,), self.limit):
            return None
        try:
            info = os.stat(path)
        except OSError:
            return None
        return _ignore_file(str(path), info.st_size, info.st_mtime_ns, self.limit)

    def _spec(self, directory: Path):
        if directory not in self._specs:
            path = directory / ".gitignore"
            self._specs[directory] = self._load(path) if os.path.lexists(path) else None
        return self._specs[directory]

    def ignored(self, path: Path) -> bool:
        path = real(path)
        is_dir = path.is_dir() and not path.is_symlink()
        if inside(path, self.root) and path != self.root:
            text = path.relative_to(self.root).as_posix()
            if self.config_spec.matches(text) or (is_dir and self.config_spec.matches(text + "/")):
                return True
        if not inside(path, self.top) or path == self.top:
            return False
        decision = None
        parts, suffix = path.relative_to(self.top).parts, "/" if is_dir else ""
        for depth, spec in self._chain(path.parent):
            result = spec.check("/".join(parts[depth:]) + suffix)
            if result is not None:
                decision = result
        return bool(decision)

    def _chain(self, directory: Path) -> tuple[tuple[int, IgnoreSpec], ...]:
        """The ignore files governing the entries of a folder inside the top, top down, each with its folder's depth
        below the top: built on the nearest folder above already known, which on a walk is the parent (looking every
        folder up again per entry made a path 400 folders deep cost 53 s)."""
        below: list[Path] = []
        known = directory
        while known not in self._chains:
            if known == self.top:
                top = self._spec(known)
                self._chains[known] = tuple((0, s) for s in (self._info, top) if s is not None)
                break
            below.append(known)
            known = known.parent
        chain, depth = self._chains[known], len(known.relative_to(self.top).parts)
        for folder in reversed(below):
            depth += 1
            spec = self._spec(folder)
            chain = (*chain, (depth, spec)) if spec is not None else chain
            self._chains[folder] = chain
        return self._chains[directory]


@functools.lru_cache(maxsize=64)
def _ignore_file(path: str, size: int, mtime: int, limit: int) -> IgnoreSpec | None:
    """An ignore file's patterns, read once while it is unchanged: every directory walked without a config
    of its own gets a Config, and its Ignores, of its own, and all of them read the repository's .gitignore."""
    text, _ = read_text(Path(path), limit)
    return IgnoreSpec(text.splitlines()) if text else None


@functools.lru_cache(maxsize=8)
def _tests_spec(patterns: tuple[str, ...]) -> IgnoreSpec:
    return IgnoreSpec(patterns)


def is_test_path(patterns: list[str], path: Path, top: Path) -> bool:
    """Whether `path`, found by walking `top` (a path given on the command line), lies in tests or
    examples (`test-paths`). Matched below `top` only: `advisor check fixtures/app` checks that app."""
    if not patterns:
        return False
    spec = _tests_spec(tuple(patterns))
    try:
        text = real(path).relative_to(os.path.realpath(top)).as_posix()
    except ValueError:
        return False
    return text != "." and (spec.matches(text) or (path.is_dir() and spec.matches(text + "/")))


class OutputError(ConfigError):
    """An output file advisor cannot or will not write, with why."""


def write_output(path: str | os.PathLike, text: str) -> None:
    """Write a file the user named (a report, a baseline, a migration, exported statistics).

    The name is the user's; what stands at it on disk may be the checkout's, which a pull request controls
    (`report.txt -> ~/.bashrc`, `reports -> /etc`). So a relative path is followed one directory at a time
    without following a symbolic link, and a symbolic link where the file goes is replaced by the file, not
    written through; a pipe, a device or a directory there is refused.  An absolute path is written as named.
    """
    name = os.fspath(path)
    try:
        _write(name, text.encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"{name}: cannot write: {exc.strerror or exc}") from None


def _write(name: str, data: bytes) -> None:
    if os.path.isabs(name):
        with open(name, "wb") as fh:
            fh.write(data)
        return
    parts = [p for p in name.split(os.sep) if p not in ("", ".")]
    if not parts:
        raise OutputError(f"{name}: not a file name")
    *folders, leaf = parts
    nofollow = os.O_NOFOLLOW | os.O_CLOEXEC
    dir_fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for n, folder in enumerate(folders):
            try:
                next_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | nofollow, dir_fd=dir_fd)
            except OSError as exc:
                where = os.sep.join(folders[: n + 1])
                why = (
                    "is a symbolic link or not a directory"
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR)
                    else exc.strerror
                )
                raise OutputError(f"{name}: {where} {why}: advisor writes nowhere through it") from None
            os.close(dir_fd)
            dir_fd = next_fd
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NONBLOCK | nofollow
        try:
            fd = os.open(leaf, flags, 0o666, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno != errno.ELOOP:  # a symbolic link stands there
                raise OutputError(f"{name}: cannot write: {exc.strerror}") from None
            os.unlink(leaf, dir_fd=dir_fd)
            fd = os.open(leaf, flags | os.O_EXCL, 0o666, dir_fd=dir_fd)
        with os.fdopen(fd, "wb") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OutputError(f"{name}: {_kind_reason(os.fstat(fd).st_mode) or 'not a file'}: refused")
            fh.write(data)
    finally:
        os.close(dir_fd)
