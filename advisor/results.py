"""The results cache of `advisor check` (advisor/cache.py) for one project: what the cached
findings depend on (the config, the rules enabled, each file and the schema files), and
what each file adds to the schema."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.config import ConfigError
from advisor.discovery import display_path
from advisor.facts.drivers import manifest_paths
from advisor.files import config_path
from advisor.ir import JS_SUFFIXES, Schema, SourceFile, SqlQuery
from advisor.project import Project
from advisor.schema.assemble import schema_files

if TYPE_CHECKING:
    from advisor.cache import ProjectCache


def project_cache(project: Project, enabled: set[str]) -> ProjectCache | None:
    """The project's cached results, or None when there is no cache."""
    from advisor import cache

    store = cache.Store.default()
    if store is None:
        return None
    try:
        files = schema_files(project.config)
    except ConfigError:
        return None  # the full run reports it
    settings = (sorted(vars(project.config).items()), sorted(enabled))
    if project.config.source is not None:  # the incomplete-schema note stands on its `schema =` line
        files = [*files, project.config.source]
    files = [*files, *manifest_paths(project.config.root)]  # the drivers they declare (advisor.facts.drivers)
    stats = project.config.seed.get("stats")
    if isinstance(stats, str) and stats.strip():  # production's row counts: which tables are tiny
        try:
            path = config_path(project.config, "[seed] stats", stats)
        except ConfigError:
            return None  # the full run reports it
        if path.exists():
            files = [*files, path]
    return cache.ProjectCache(
        store,
        settings,
        [(display_path(p), p) for p in project.files],
        [(display_path(p), p) for p in files],
        project.config.max_file_size,
    )


def schema_contribution(source: SourceFile) -> str:
    """What this file gives the findings of the project's other files, as a hash; "" when nothing.
    Cached results depend on it. Its index declarations; a `.sql` file's DDL; a Python or JS/TS
    file's text (what its calls pass decides findings in other files: advisor.facts.callers, and what
    it exports in the files importing it: advisor.facts.js_imports); any other file's temporary tables
    and inheritance parents (schema/assemble.py); and every file's mentions of `.sql` files, which
    decide the query files the project leaves over (sources/sql_file_use)."""
    from sqlglot import exp

    from advisor.cache import digest
    from advisor.parse import parse_sql
    from advisor.schema.assemble import read_piecewise, routine_defined, temporary_tables
    from advisor.schema.ddl import is_schema_statement
    from advisor.schema.inheritance import parents_named, self_indexed_partitions
    from advisor.sources.sql_file_use import said_to_others

    if source.path.lower().endswith((".py", ".pyi", *JS_SUFFIXES)):
        return digest([source.text], source.indexes)
    given: list = []
    if source.path.endswith(".sql"):  # as in schema/assemble.py: only .sql files add their DDL
        for query in source.queries:
            tree = parse_sql(query.text, query.dialect) if isinstance(query, SqlQuery) else None
            if isinstance(tree, exp.Expression) and is_schema_statement(tree):
                given.append(query)
            elif isinstance(query, SqlQuery) and routine_defined(query):
                given.append(routine_defined(query))  # a later definition retires an earlier one's statements
        given += [sorted(t) for t in read_piecewise([source], Schema())]  # what it reads, piece by piece or whole
    else:
        given += [q.text for q in temporary_tables(source)]
        given += parents_named(source.text) + self_indexed_partitions(source.text)
    said = said_to_others(source)
    if said and any(said):
        given.append(said)
    return digest(given, source.indexes) if given or source.indexes else ""
