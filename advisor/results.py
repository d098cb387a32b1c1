"""The results cache of `advisor check` (advisor/cache.py) for one project: what the cached
findings depend on (the config, the rules enabled, each file and the schema files), and
what each file adds to the schema."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.config import ConfigError
from advisor.discovery import display_path
from advisor.ir import JS_SUFFIXES, SourceFile, SqlQuery
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
    return cache.ProjectCache(
        store, settings, [(display_path(p), p) for p in project.files], [(display_path(p), p) for p in files]
    )


def schema_contribution(source: SourceFile) -> str:
    """What this file adds to the project's schema (its DDL statements, its index
    declarations), as a hash; "" when nothing. Cached results depend on it. A Python file's text is
    part of it: what its calls pass decides findings in other files (advisor.facts.callers); so is a
    JS/TS file's: what it exports decides them in the files importing it (advisor.facts.js_imports); and
    any other file's mentions of `.sql` files: they decide which query files the project leaves over."""
    from sqlglot import exp

    from advisor.cache import digest
    from advisor.parse import parse_sql
    from advisor.schema.assemble import routine_defined
    from advisor.schema.ddl import is_schema_statement
    from advisor.sources.sql_file_use import said_to_others

    ddl: list = []
    if source.path.endswith(".sql"):  # as in schema/assemble.py: only .sql files add their DDL
        for query in source.queries:
            tree = parse_sql(query.text, query.dialect) if isinstance(query, SqlQuery) else None
            if isinstance(tree, exp.Expression) and is_schema_statement(tree):
                ddl.append(query)
            elif isinstance(query, SqlQuery) and routine_defined(query):
                ddl.append(routine_defined(query))  # a later definition retires an earlier one's statements
    calls = source.text if source.path.lower().endswith((".py", *JS_SUFFIXES)) else ""
    # any other file's `.sql` names decide which query files are left over (sources/sql_file_use)
    said = None if calls else said_to_others(source)
    said = said if said and any(said) else None
    return digest(ddl, source.indexes, calls, said) if ddl or source.indexes or calls or said else ""
