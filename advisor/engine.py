"""`advisor check`: paths → projects → findings → suppressions → fingerprints → baseline → a report.

Each checked file belongs to the project of its nearest config, so a monorepo with several
applications (each with its own schema) is checked in one run.  The jobs are modules of
their own: discovery.py (which files), loader.py (extract, schema), analysis.py (the rules),
live.py (--explain), suppress.py, fingerprints.py, baseline.py, results.py (the cache).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from advisor.baseline import apply_baseline
from advisor.config import ConfigError
from advisor.discovery import BUILD_ONLY, collect, display_path
from advisor.fingerprints import assign_fingerprints
from advisor.ir import Finding, severity_rank
from advisor.options import Options
from advisor.project import Project

__all__ = ["Options", "Report", "check"]


@dataclass
class Report:
    findings: list[Finding]
    files: list[str]
    queries: int
    fail_on: dict[str, str] = field(default_factory=dict)  # path -> its project's fail-on
    unread: set[str] = field(default_factory=set)  # paths skipped unread (advisor/files.py): never shown

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed is None]

    def failing(self) -> list[Finding]:
        out = []
        for f in self.active:
            level = self.fail_on.get(f.location.path, "warning")
            if level != "never" and severity_rank(f.severity) >= severity_rank(level):
                out.append(f)
        return out


def check(paths: Iterable[str], options: Options | None = None) -> Report:
    """Every finding of the paths. The cyclic garbage collector pauses meanwhile: the syntax trees
    stay alive until the report anyway, and its full passes over them cost a fifth of a run."""
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        return _check(paths, options or Options())
    finally:
        if collecting:
            gc.enable()


def project_findings(project: Project, options: Options) -> tuple[list[Finding], int, list[str]]:
    """(findings, statements checked, display paths checked) of one project, from the results cache
    when its files are unchanged."""
    from advisor.analysis import Analysis

    enabled = Analysis(project.config, options).enabled
    # plan findings depend on a database, not only on the files: --explain runs are never cached
    results = None
    if options.cache and not options.explain:
        from advisor.results import project_cache

        results = project_cache(project, enabled)
    cached = results.load() if results is not None else None
    if cached is not None:
        findings, queries = cached
        return findings, queries, [display_path(p) for p in project.files]
    return _analyse_project(project, options, results)


def _analyse_project(project: Project, options: Options, results) -> tuple[list[Finding], int, list[str]]:
    from advisor.analysis import analyse
    from advisor.loader import load
    from advisor.suppress import apply_suppressions

    load(project)
    analysed = analyse(project, options)
    analysis = analysed.analysis
    if options.explain:
        from advisor import live

        live.explain(analysis, project, options)
    findings = apply_suppressions(analysis.findings(), project.sources, analysis.enabled)
    if results is not None and analysed.local:
        from advisor.results import schema_contribution

        results.save(findings, analysed.queries, {s.path: schema_contribution(s) for s in project.sources})
    return findings, analysis.queries, [s.path for s in project.sources]


def _check(paths: Iterable[str], options: Options) -> Report:
    findings: list[Finding] = []
    files: list[str] = []
    fail_on: dict[str, str] = {}
    queries = 0
    unread: set[str] = set()
    baselines: list[tuple[str, list[Finding]]] = []  # a config's baseline governs its own project's findings
    for project in collect(paths, options):
        project_found, project_queries, checked = project_findings(project, options)
        skipped = [(display_path(p), reason) for p, reason in project.skipped]
        project_found += _skipped_findings(project, options, skipped)
        findings += project_found
        unread |= {shown for shown, _ in skipped}
        checked = checked + [shown for shown, _ in skipped]
        files += sorted(set(checked))
        queries += project_queries
        level = options.fail_on or project.config.fail_on
        for path in checked:
            fail_on[path] = level
        if options.baseline is None and project.config.baseline:
            from advisor.files import config_path

            baselines.append((str(config_path(project.config, "baseline", project.config.baseline)), project_found))
    assign_fingerprints(findings)
    if options.baseline:  # the command line's: every finding of the run
        if not Path(options.baseline).exists():
            raise ConfigError(f"{options.baseline}: baseline file not found (create it with --write-baseline)")
        apply_baseline(findings, options.baseline)
    for path, own in baselines:
        if Path(path).exists():
            apply_baseline(own, path)
    findings.sort(key=Finding.sort_key)
    return Report(findings, sorted(files), queries, fail_on, unread)


def _skipped_findings(project: Project, options: Options, skipped: list[tuple[str, str]]) -> list[Finding]:
    """The files collect did not read (advisor/files.py), each a parse-error note at its first line;
    a warning when it was too large to read."""
    if not skipped:
        return []
    from advisor.analysis import PARSE_ERROR, Analysis
    from advisor.checks import Hit
    from advisor.files import TOO_LARGE
    from advisor.ir import Location

    analysis = Analysis(project.config, options)
    for shown, reason in skipped:
        analysis.hits.append(
            (
                PARSE_ERROR,
                Hit(
                    f"skipped: {reason}",
                    Location(shown, 1, 1),
                    subject=f"skipped:{reason}",
                    severity="warning" if reason.startswith(TOO_LARGE) else "info",
                    help=(
                        "advisor checks a package's sources; the exclude entry re-includes the build it ships"
                        if reason.startswith(BUILD_ONLY)
                        else "advisor reads only regular files inside the project, up to max-file-size bytes; "
                        "exclude the file to silence this"
                    ),
                ),
            )
        )
    return analysis.findings()
