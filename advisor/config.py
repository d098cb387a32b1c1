"""Configuration: `advisor.toml`, or `[tool.advisor]` in `pyproject.toml`.

Validated strictly: an unknown key or a bad value is an error naming the file
and the key, so a typo never silently turns a rule off.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.errors import ConfigError
from advisor.ir import SEVERITIES

CONFIG_FILES = ("advisor.toml", "pyproject.toml")
DIALECTS = ("postgres", "mysql", "sqlite", "duckdb", "bigquery", "snowflake", "tsql", "oracle")
DEFAULT_EXCLUDE = [".git/", ".hg/", ".venv/", "venv/", "node_modules/", "__pycache__/", ".tox/", "dist/", "build/"]


@dataclass
class Config:
    root: Path  # the directory paths are relative to
    source: Path | None = None  # the file this came from
    dialect: str = "postgres"
    paths: list[str] = field(default_factory=lambda: ["."])
    exclude: list[str] = field(default_factory=list)
    schema: list[str] = field(default_factory=list)
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    fail_on: str = "warning"
    baseline: str | None = None
    mongo: dict[str, Any] = field(default_factory=dict)
    explain: dict[str, Any] = field(default_factory=dict)
    seed: dict[str, Any] = field(default_factory=dict)

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
            attr = "exclude" if key == "extend-exclude" else key
            if key == "extend-exclude":
                values = config.exclude + values
            setattr(config, attr, values)
        elif key == "severity":
            _expect(value, dict, where(key), "a table of rule = severity")
            for rule, level in value.items():
                if catalogue.lookup(rule) is None:
                    raise ConfigError(f"{where(key)}.{rule}: unknown rule {rule!r}")
                if level not in SEVERITIES:
                    raise ConfigError(f"{where(key)}.{rule}: severity {level!r} is not one of {', '.join(SEVERITIES)}")
                config.severity[catalogue.lookup(rule).id] = level
        elif key == "fail-on":
            if value not in (*SEVERITIES, "never"):
                raise ConfigError(f"{where(key)}: {value!r} is not one of {', '.join(SEVERITIES)}, never")
            config.fail_on = value
        elif key == "baseline":
            config.baseline = _expect(value, str, where(key), "a path")
        elif key in ("mongo", "explain", "seed"):
            setattr(config, key, _expect(value, dict, where(key), "a table"))
        else:
            raise ConfigError(f"{where(key)}: unknown key {key!r}")
    return config


def load_file(path: Path) -> Config | None:
    """The config in this file, or None for a pyproject.toml without [tool.advisor]."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    if path.name == "pyproject.toml":
        section = data.get("tool", {}).get("advisor")
        if section is None:
            return None
        return from_mapping(_expect(section, dict, f"{path}: [tool.advisor]", "a table"), path.parent, path,
                            "tool.advisor.")
    return from_mapping(data, path.parent, path, "")


def find_config(start: Path) -> Config:
    """The nearest config at or above `start`; defaults rooted at `start` when there is none."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    for candidate_dir in (directory, *directory.parents):
        for name in CONFIG_FILES:
            candidate = candidate_dir / name
            if candidate.is_file():
                config = load_file(candidate)
                if config is not None:
                    return config
    return Config(root=directory)
