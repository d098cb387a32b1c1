"""The database stage of `advisor check --explain`: plan findings and verified index advice from
PostgreSQL (advisor/explain/), and plan findings from a live MongoDB (`--mongo-uri`)."""

from __future__ import annotations

from advisor.analysis import Analysis
from advisor.config import ConfigError
from advisor.options import Options
from advisor.project import Project


def explain(analysis: Analysis, project: Project, options: Options) -> None:
    """Add the plan hits of the project's queries to its analysis (the static hits measured advice replaces go)."""
    if project.sql_queries:
        from advisor.explain.findings import explain_project

        analysis.hits = explain_project(project, options, analysis.hits)
    shapes = project.other_queries
    if options.mongo_uri and shapes:
        from advisor.mongo.live_explain import ExplainError, explain_live

        try:
            analysis.hits += explain_live(shapes, options.mongo_uri)
        except ExplainError as exc:
            raise ConfigError(str(exc)) from None
