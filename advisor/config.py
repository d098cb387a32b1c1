"""Configuration: `advisor.toml`, or `[tool.advisor]` in `pyproject.toml`.

Validated strictly, on every command: an unknown key or a bad value is an error naming the
file and the key, so a typo never silently turns a rule off. The config is read from the
checked repository, so it is untrusted too: it is read with a size limit, and the paths it
names must lie inside the project (advisor/files.py).

Keys beyond the README's: `max-file-size` (bytes; default 5,000,000: larger files are
skipped with a finding), `test-paths` (gitignore patterns of tests, examples and fixtures,
default `TEST_PATHS`: files there are not checked when a directory above them is walked;
`[]` checks them; a path named on the command line is always checked).
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.errors import ConfigError
from advisor.files import DEFAULT_MAX_FILE_SIZE, git_top, inside
from advisor.ir import SEVERITIES

CONFIG_FILES = ("advisor.toml", "pyproject.toml")
DIALECTS = ("postgres", "mysql", "sqlite", "duckdb", "bigquery", "snowflake", "tsql", "oracle")
BUILD_OUTPUT = ("dist", "build")  # the folders of a build's output
# a build's output, but not a folder of the sources that happens to bear the name: a model named build
# (`src/models/build/model.ts`, a game platform's builds) is code
DEFAULT_EXCLUDE = [
    ".git/",
    ".hg/",
    ".venv/",
    "venv/",
    "node_modules/",
    "__pycache__/",
    ".tox/",
    *(f"{d}/" for d in BUILD_OUTPUT),
    *(f"!**/src/**/{d}/" for d in BUILD_OUTPUT),
]
TEST_PATHS = [
    "test/",
    "tests/",
    "__tests__/",
    "spec/",
    "specs/",
    "example/",
    "examples/",
    "fixture/",
    "fixtures/",
    "__fixtures__/",
    "testdata/",
    "__mocks__/",
    "*.test.*",
    "*.spec.*",
    "test_*.py",
    "*_test.py",
    "conftest.py",
]
PACKAGE_MARKERS = (".git", "package.json", "pyproject.toml", "setup.py", "setup.cfg")
MAX_CONFIG_SIZE = 1_000_000
FILE_SIZE_RANGE = (1_000, 1_000_000_000)
__all__ = ["Config", "ConfigError", "find_config", "from_mapping", "load_file"]


@dataclass
class Config:
    root: Path  # the directory paths are relative to
    source: Path | None = None  # the file this came from
    dialect: str = "postgres"
    paths: list[str] | None = None  # what a run naming no path checks, from the root; None: the cwd
    exclude: list[str] = field(default_factory=list)
    schema: list[str] = field(default_factory=list)
    select: list[str] = field(default_factory=lambda: ["DEFAULT"])
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    fail_on: str = "warning"
    baseline: str | None = None
    mongo: dict[str, Any] = field(default_factory=dict)
    explain: dict[str, Any] = field(default_factory=dict)
    seed: dict[str, Any] = field(default_factory=dict)
    indexes: dict[str, Any] = field(default_factory=dict)  # [indexes]: advisor/indexes/budget.py
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes read of one file at most (advisor/files.py)
    test_paths: list[str] = field(default_factory=lambda: list(TEST_PATHS))
    large_tables: list[str] = field(default_factory=list)  # names (`*` wildcards) of the tables that grow large
    allow_outside: bool = False  # set from the command line only: config paths may leave the root

    @property
    def label(self) -> str:
        return str(self.source) if self.source else "defaults"


def _expect(value: Any, kind: type | tuple, where: str, what: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: expected {what}, got {type(value).__name__} {value!r}")
    return value


def _string_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    _expect(value, list, where, "a list of strings")
    for item in value:
        _expect(item, str, where, "a list of strings")
    return list(value)


def check_glob(pattern: str, where: str) -> None:
    """A schema pattern advisor can use: relative, non-empty, valid for Path.glob."""
    from pathlib import PurePosixPath

    if not pattern.strip() or pattern.strip() in (".", "./") or "\x00" in pattern:
        raise ConfigError(f'{where}: {pattern!r} is not a file pattern (e.g. "migrations/*.sql")')
    if os.path.isabs(pattern):
        raise ConfigError(f"{where}: {pattern!r} is an absolute path; patterns are relative to the project root")
    parts = PurePosixPath(pattern.replace("\\", "/")).parts
    for part in parts:
        if "**" in part and part != "**":
            raise ConfigError(f"{where}: {pattern!r}: '**' can only be a whole path component")
    # `..` after a name: `*/../*/../...` makes the glob's work grow as the directory count to the power of its
    # depth (a 40-character pattern ran for minutes); leading, it names a folder above the root
    if ".." in parts and any(part != ".." for part in parts[: len(parts) - parts[::-1].index("..")]):
        raise ConfigError(f"{where}: {pattern!r}: '..' can only lead a pattern (\"../db/*.sql\")")


def from_mapping(data: dict[str, Any], root: Path, source: Path | None, prefix: str) -> Config:
    from advisor import catalogue

    config = Config(root=root, source=source)
    where = lambda key: f"{source or 'config'}: {prefix}{key}"  # noqa: E731
    for key, value in data.items():
        if key == "dialect":
            if value not in DIALECTS:
                raise ConfigError(f"{where(key)}: unknown dialect {value!r} (one of {', '.join(DIALECTS)})")
            config.dialect = value
        elif key in ("paths", "exclude", "schema", "select", "ignore", "extend-exclude"):
            values = _string_list(value, where(key))
            if key in ("select", "ignore"):
                try:
                    catalogue.select(values)
                except catalogue.CatalogueError as exc:
                    raise ConfigError(f"{where(key)}: {exc}") from None
            if key == "paths":
                for path in values:
                    if not path.strip() or "\x00" in path or os.path.isabs(path):
                        raise ConfigError(f"{where(key)}: {path!r} is not a path relative to the project root")
            attr = "exclude" if key == "extend-exclude" else key
            if key == "extend-exclude":
                values = config.exclude + values
            setattr(config, attr, values)
        elif key == "severity":
            _expect(value, dict, where(key), "a table of rule = severity")
            for rule, level in value.items():
                spec = catalogue.lookup(rule)
                if spec is None:
                    raise ConfigError(f"{where(key)}.{rule}: unknown rule {rule!r}")
                if level not in SEVERITIES:
                    raise ConfigError(f"{where(key)}.{rule}: severity {level!r} is not one of {', '.join(SEVERITIES)}")
                config.severity[spec.id] = level
        elif key == "fail-on":
            if value not in (*SEVERITIES, "never"):
                raise ConfigError(f"{where(key)}: {value!r} is not one of {', '.join(SEVERITIES)}, never")
            config.fail_on = value
        elif key == "baseline":
            config.baseline = _expect(value, str, where(key), "a path")
            if not value.strip() or "\x00" in value:
                raise ConfigError(f"{where(key)}: expected a file path, got {value!r}")
        elif key == "max-file-size":
            config.max_file_size = _expect(value, int, where(key), "a number of bytes")
            low, high = FILE_SIZE_RANGE
            if not low <= value <= high:
                raise ConfigError(f"{where(key)}: {value} is out of range ({low:,} to {high:,} bytes)")
        elif key == "test-paths":
            config.test_paths = _string_list(value, where(key))
        elif key == "large-tables":
            config.large_tables = _string_list(value, where(key))
            for name in config.large_tables:
                if not name.strip() or "\x00" in name:
                    raise ConfigError(
                        f'{where(key)}: {name!r} is not a table name or pattern ("events", "audit_*", "*")'
                    )
        elif key == "mongo":
            # no [mongo] setting exists yet: a key there is a typo or meant for another version
            for name in _expect(value, dict, where(key), "a table"):
                raise ConfigError(f"{where(key)}: unknown key {name!r} ([mongo] takes no settings)")
            config.mongo = value
        elif key in ("explain", "seed", "indexes"):
            setattr(config, key, _expect(value, dict, where(key), "a table"))
        else:
            raise ConfigError(f"{where(key)}: unknown key {key!r}")
    _check_whole(config, data, where(""))
    return config


def _check_whole(config: Config, data: dict[str, Any], where: str) -> None:
    """What is checked once every key is read: the patterns, the [seed] and [explain] tables
    (on every command, not only under --explain), and no nan or inf anywhere."""
    from advisor.indexes.budget import max_size_setting
    from advisor.seed.settings import explain_settings, seed_settings

    for pattern in config.schema:
        check_glob(pattern, f"{where}schema")
    seed_settings(config)
    explain_settings(config)
    max_size_setting(config)
    _check_numbers(data, where)


def _check_numbers(value: Any, where: str) -> None:
    """TOML allows nan and inf: no setting means them.  Walked without recursion (any nesting TOML reads)."""
    stack = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise ConfigError(f"{at.rstrip('. ')}: {item} is not a number advisor can use")
        if isinstance(item, dict):
            stack.extend((sub, f"{at}{key}.") for key, sub in item.items())
        elif isinstance(item, list):
            stack.extend((sub, at) for sub in item)


def load_file(path: Path) -> Config | None:
    """The config in this file, or None for a pyproject.toml without [tool.advisor]."""
    try:
        with open(path, "rb") as handle:  # a config is never large: a bounded read
            raw = handle.read(MAX_CONFIG_SIZE + 1)
        if len(raw) > MAX_CONFIG_SIZE:
            raise ConfigError(f"{path}: larger than {MAX_CONFIG_SIZE:,} bytes; not a config file")
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text (save it as UTF-8)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except ValueError as exc:  # an integer of thousands of digits: Python's int limit, not a TOMLDecodeError
        raise ConfigError(f"{path}: invalid TOML: {str(exc)[:120]}") from None
    except RecursionError:  # the TOML reader recurses: arrays nested hundreds deep
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        section = tool.get("advisor") if isinstance(tool, dict) else None  # `tool = 5`: no advisor section
        if section is None:
            return None
        return from_mapping(
            _expect(section, dict, f"{path}: [tool.advisor]", "a table"), path.parent, path, "tool.advisor."
        )
    return from_mapping(data, path.parent, path, "")


def find_config(start: Path, top: Path | None = None) -> Config:
    """The nearest config at or above `start`. Without one, defaults rooted at the project:
    the nearest directory that is a git repository's top or a package's (package.json,
    pyproject.toml, ...), so index declarations in `db/` serve the queries in `services/`;
    without either, `top` (the directory named on the command line) or `start` itself."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    for candidate_dir in (directory, *directory.parents):
        for name in CONFIG_FILES:
            candidate = candidate_dir / name
            if candidate.is_file():
                _inside_its_checkout(candidate)
                config = load_file(candidate)
                if config is not None:
                    return config
    root = project_root(directory)
    if root is None:
        top = top.resolve() if top is not None else None
        root = top if top is not None and (top == directory or top in directory.parents) else directory
    return Config(root=root)


def _inside_its_checkout(config: Path) -> None:
    """A config found in the tree is the repository's: one that is a symbolic link must lead to a file of the
    same checkout (its git top, else its own folder), or advisor would read, and quote in its errors, a file
    of the machine's (a credentials file) that the repository names."""
    if not config.is_symlink():
        return
    top = git_top(config.parent) or config.parent
    if not inside(Path(os.path.realpath(config)), Path(os.path.realpath(top))):
        raise ConfigError(
            f"{config}: a symbolic link leading outside the repository: advisor does not read it "
            "(give the file with --config to use it)"
        )


def project_root(directory: Path) -> Path | None:
    """The nearest folder with a package marker; a package inside another one whose code requires the outer
    package's modules (`require('../../models/user')`: a plugin folder with its own package.json) is part of it,
    so the models and indexes it uses are in the same project."""
    for candidate in (directory, *directory.parents):
        if any(os.path.lexists(candidate / marker) for marker in PACKAGE_MARKERS):
            outer = project_root(candidate.parent) if candidate.parent != candidate else None
            if (
                outer is not None
                and not os.path.lexists(candidate / ".git")
                and (_metadata_only(str(candidate)) or _reaches_out(str(candidate)))
            ):
                return outer
            return candidate
    return None


# what makes a package.json a package's: code it exports or runs, or what it depends on
_PACKAGE_KEYS = frozenset(
    "main exports module browser bin types typings scripts workspaces dependencies devDependencies "
    "peerDependencies optionalDependencies".split()
)


@functools.lru_cache(maxsize=256)
def _metadata_only(folder: str) -> bool:
    """The folder's only package marker is a package.json that names no code and no dependency: a plugin's
    description for the application's loader (Calipso's `modules/core/user/package.json`, a name, a label, a
    version) or a build's `{"type": "module"}`, not a package of its own."""
    if any(os.path.lexists(os.path.join(folder, m)) for m in PACKAGE_MARKERS if m != "package.json"):
        return False
    try:
        with open(os.path.join(folder, "package.json"), encoding="utf-8", errors="replace") as f:
            data = json.loads(f.read(_REACH_BYTES))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and not _PACKAGE_KEYS & set(data)


_RELATIVE_IMPORT = re.compile(r"""(?:\brequire\s*\(|\bfrom\s+|\bimport\s*\()\s*['"](\.\.?/[^'"\n]{1,300})['"]""")
_SCRIPT_SUFFIXES = (".js", ".cjs", ".mjs", ".ts", ".tsx", ".jsx")
_REACH_FILES, _REACH_BYTES = 400, 200_000  # a bounded look: the repository is untrusted input


@functools.lru_cache(maxsize=256)
def _reaches_out(folder: str) -> bool:
    """A JS/TS file of the folder (not its node_modules) imports a module outside it by a relative path."""
    root = os.path.realpath(folder)
    seen = 0
    for directory, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d != "node_modules" and not d.startswith("."))
        for name in sorted(filenames):
            if not name.endswith(_SCRIPT_SUFFIXES):
                continue
            seen += 1
            if seen > _REACH_FILES:
                return False
            path = os.path.join(directory, name)
            if os.path.islink(path):
                continue
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read(_REACH_BYTES)
            except OSError:
                continue
            for match in _RELATIVE_IMPORT.finditer(text):
                target = os.path.normpath(os.path.join(os.path.realpath(directory), match.group(1)))
                if not inside(Path(target), Path(root)):
                    return True
    return False
