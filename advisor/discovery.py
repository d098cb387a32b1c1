"""Which files a run checks, and the config that governs each: the paths walked, the excluded
patterns and `.gitignore` honoured, only files an extractor reads kept; and reading one file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from advisor.config import DEFAULT_EXCLUDE, Config, ConfigError, find_config, load_file
from advisor.options import Options
from advisor.project import Project


def display_path(path: Path) -> str:
    try:
        rel = os.path.relpath(path, Path.cwd())
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _spec(config: Config):
    import pathspec

    lines = list(DEFAULT_EXCLUDE) + list(config.exclude)
    gitignore = config.root / ".gitignore"
    if gitignore.is_file():
        lines += gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _excluded(spec, config: Config, path: Path) -> bool:
    try:
        rel = path.resolve().relative_to(config.root)
    except ValueError:
        return False
    text = rel.as_posix()
    return spec.match_file(text) or (path.is_dir() and spec.match_file(text + "/"))


def _supported(path: Path) -> bool:
    """sources.supported, without loading the optional extractors (and the Mongo modules they
    import) for a file a built-in extractor reads: they only ever add suffixes."""
    from advisor import sources

    return path.suffix.lower() in sources.EXTRACTORS or sources.supported(str(path))


def collect(paths: Iterable[str], options: Options) -> list[Project]:
    """Group the files to check by the config that governs them."""
    explicit = load_file(Path(options.config)) if options.config else None
    if options.config and explicit is None:
        raise ConfigError(f"{options.config}: no [tool.advisor] section")
    projects: dict[Path | None, Project] = {}
    configs: dict[Path, Config] = {}
    specs: dict[int, object] = {}

    def config_for(directory: Path) -> Config:
        if explicit is not None:
            return explicit
        if directory not in configs:
            configs[directory] = find_config(directory)
        return configs[directory]

    def spec_for(config: Config):
        if id(config) not in specs:  # built once per config (setdefault would build it per file)
            specs[id(config)] = _spec(config)
        return specs[id(config)]

    def add(path: Path) -> None:
        config = config_for(path.parent)
        if _excluded(spec_for(config), config, path) or not _supported(path):
            return
        key = config.source or config.root
        projects.setdefault(key, Project(config)).files.append(path)

    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ConfigError(f"{raw}: no such file or directory")
        if path.is_file():
            add(path)
            continue
        for directory, dirnames, filenames in os.walk(path):
            here = Path(directory)
            config = config_for(here)
            spec = spec_for(config)
            dirnames[:] = sorted(d for d in dirnames if not _excluded(spec, config, here / d))
            for name in sorted(filenames):
                add(here / name)
    for project in projects.values():
        project.files = sorted(set(project.files))
    return list(projects.values())


def read_text(path: Path) -> tuple[str | None, str | None]:
    try:
        return path.read_text(encoding="utf-8"), None
    except UnicodeDecodeError:
        return None, "file is not UTF-8 text"
    except OSError as exc:
        return None, f"cannot read file: {exc.strerror}"
