"""Load projects one way: find their files (advisor/discovery.py), extract the queries of
each file, assemble the schema.  Every command starts here."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from advisor.config import Config, ConfigError, find_config, load_file
from advisor.discovery import collect, default_paths, display_path, read_text
from advisor.files import minified
from advisor.ir import JS_SUFFIXES, Location, SourceFile
from advisor.options import Options
from advisor.project import Project
from advisor.schema.assemble import assemble, schema_files


def extract(path: Path, dialect: str, limit: int) -> SourceFile:
    """The queries of one file; a file that cannot be read or extracted has the error instead."""
    from advisor import sources

    shown = display_path(path)
    text, error = read_text(path, limit)
    if text is None:
        result = SourceFile(path=shown, text="")
        result.errors.append((Location(shown, 1, 1), error or "unreadable"))
        return result
    if path.suffix.lower() in JS_SUFFIXES and minified(text):
        return SourceFile(path=shown, text="")  # built code (a bundle, a vendored library): advisor reads its source
    try:
        return sources.extract(shown, text, dialect)
    except Exception as exc:  # noqa: BLE001  an extractor bug must not end the run: report it where it happened
        result = SourceFile(path=shown, text=text)
        result.errors.append((Location(shown, 1, 1), f"could not extract queries ({type(exc).__name__}: {exc})"))
        return result


def load(project: Project) -> Project:
    """Extract the project's files and assemble its schema (in place; returned for chaining)."""
    from advisor.sources.generated import mark_unused_generated
    from advisor.sources.links import link
    from advisor.sources.maintenance_callers import mark_maintenance_callees
    from advisor.sources.sql_file_use import drop_unloaded

    project.sources = [extract(p, project.config.dialect, project.config.max_file_size) for p in project.files]
    python_files = {s.path: s.text for s in project.sources if s.path.endswith(".py")}
    try:
        link(project.sources)  # names one file knows for another (a class's collection, an index table, a model)
        mark_maintenance_callees(project.sources, python_files)  # a function only a cleanup calls is the cleanup's
    except Exception as exc:  # noqa: BLE001  a bug here must not end the run: each file keeps its own reading
        if project.sources:
            where = Location(project.sources[0].path, 1, 1)
            project.sources[0].errors.append(
                (where, f"could not join names across files ({type(exc).__name__}: {exc})")
            )
    # a .sql file of a folder whose other files the project loads by name, and which it never names: no queries
    drop_unloaded(project.sources, {display_path(p) for p in schema_files(project.config)})
    mark_unused_generated(project.sources)  # a generated module no hand-written one names: not workload
    js_files = {s.path: s.text for s in project.sources if s.path.lower().endswith(JS_SUFFIXES)}
    for source in project.sources:
        source.python_files = python_files
        source.js_files = js_files
    project.schema, project.schema_queries = assemble(project.config, project.sources)
    return project


def load_project(paths: Iterable[str], options: Options) -> Project:
    """The loaded project of the first file under the paths (`advisor indexes`, `advisor seed`)."""
    projects = collect(list(paths) or default_paths(options), options)
    if not projects:
        raise ConfigError("no files to check under the given paths")
    return load(projects[0])


def load_session_project(directory: str, config_path: str | None) -> Project:
    """The project of a directory for `advisor explain`; with no file to check, its config and the
    schema of its schema files alone, so a session over --dsn works from any directory."""
    options = Options(config=config_path)
    projects = collect([directory], options)
    if projects:
        return load(projects[0])
    config: Config | None = load_file(Path(config_path)) if config_path else find_config(Path(directory))
    if config is None:
        raise ConfigError(f"{config_path}: no [tool.advisor] section")
    return load(Project(config))
