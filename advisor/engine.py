"""Runs the rules: files → queries → facts → hits → findings → suppression → baseline.

Each checked file belongs to the project of its nearest config, so a monorepo
with several applications (each with its own schema) is checked in one run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from advisor import catalogue
from advisor import files as repo_files
from advisor.config import DEFAULT_EXCLUDE, Config, ConfigError, find_config, load_file
from advisor.ir import Finding, Location, Schema, SourceFile, SqlQuery, severity_rank

PARSE_ERROR = "parse-error"
UNUSED_SUPPRESSION = "unused-suppression"


@dataclass
class Options:
    """What the command line adds to the configuration."""

    config: str | None = None  # an explicit config file for every path
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    baseline: str | None = None
    fail_on: str | None = None
    explain: bool = False  # plan queries on a database (issue: EXPLAIN stage)
    analyze: bool = False
    dsn: str | None = None
    mongo_uri: str | None = None
    cache: bool = False  # reuse the results of unchanged files (advisor/cache.py); the CLI turns it on
    allow_outside: bool = False  # config paths may lie outside the project root (advisor/files.py)


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


@dataclass
class Project:
    config: Config
    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # not read (advisor/files.py), with why


# --- files ------------------------------------------------------------------------


def display_path(path: Path) -> str:
    try:
        rel = os.path.relpath(path, Path.cwd())
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _spec(config: Config):
    from advisor.files import Ignores

    return Ignores(config, DEFAULT_EXCLUDE)


def _excluded(spec, config: Config, path: Path) -> bool:
    return spec.ignored(path)


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

    def config_for(directory: Path, top: Path | None = None) -> Config:
        if explicit is not None:
            explicit.allow_outside = options.allow_outside
            return explicit
        if directory not in configs:
            configs[directory] = find_config(directory, top)
            configs[directory].allow_outside = options.allow_outside
        return configs[directory]

    def spec_for(config: Config):
        if id(config) not in specs:  # built once per config (setdefault would build it per file)
            specs[id(config)] = _spec(config)
        return specs[id(config)]

    def add(path: Path, top: Path | None = None) -> None:
        config = config_for(path.parent, top)
        if _excluded(spec_for(config), config, path) or not _supported(path):
            return
        if top is not None and repo_files.is_test_path(config.test_paths, path, top):
            return
        project = projects.setdefault(config.source or config.root, Project(config))
        # a file named on the command line is the user's choice; one found by walking must stay inside
        roots = (config.root.resolve(), Path(os.path.realpath(top))) if top is not None else (Path("/"),)
        reason = repo_files.skip_reason(path, roots, config.max_file_size)
        (project.skipped.append((path, reason)) if reason else project.files.append(path))

    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ConfigError(f"{raw}: no such file or directory")
        if not path.is_dir():
            add(path)
            continue
        for directory, dirnames, filenames in os.walk(path):
            here = Path(directory)
            config = config_for(here, path)
            spec = spec_for(config)
            dirnames[:] = sorted(d for d in dirnames if not _excluded(spec, config, here / d)
                                 and not repo_files.is_test_path(config.test_paths, here / d, path))
            for name in sorted(filenames):
                add(here / name, path)
    for project in projects.values():
        project.files = sorted(set(project.files))
        project.skipped = sorted(set(project.skipped))
    return list(projects.values())


# --- analysis ---------------------------------------------------------------------------


def _read(path: Path, limit: int) -> tuple[str | None, str | None]:
    return repo_files.read_text(path, limit)


def _schema_files(config: Config) -> list[Path]:
    return repo_files.schema_files(config)


class _Run:
    def __init__(self, config: Config, options: Options):
        self.config = config
        self.options = options
        patterns = options.select or config.select
        self.enabled = catalogue.select(patterns) - catalogue.select(list(config.ignore) + list(options.ignore))
        self.hits: list[tuple[str, object]] = []  # (rule name, hit)
        self.queries = 0

    def enabled_name(self, name: str) -> bool:
        spec = catalogue.lookup(name)
        return spec is not None and spec.id in self.enabled

    def extract(self, path: Path) -> SourceFile:
        from advisor import sources

        shown = display_path(path)
        text, error = _read(path, self.config.max_file_size)
        if text is None:
            result = SourceFile(path=shown, text="")
            result.errors.append((Location(shown, 1, 1), error or "unreadable"))
            return result
        try:
            return sources.extract(shown, text, self.config.dialect)
        except Exception as exc:  # an extractor bug must not end the run: report it where it happened
            result = SourceFile(path=shown, text=text)
            result.errors.append((Location(shown, 1, 1), f"could not extract queries ({type(exc).__name__}: {exc})"))
            return result

    def schema(self, checked: list[SourceFile]) -> Schema:
        from advisor.schema.ddl import schema_from_queries
        from advisor.sources.sql_files import extract_sql

        by_path = {f.path: f for f in checked}
        queries: list[SqlQuery] = []
        seen: set[str] = set()
        for path in _schema_files(self.config):
            shown = display_path(path)
            seen.add(shown)
            if shown in by_path:
                queries += [q for q in by_path[shown].queries if isinstance(q, SqlQuery)]
                continue
            text, error = _read(path, self.config.max_file_size)
            if text is None:
                raise ConfigError(f"{shown}: {error}")
            queries += extract_sql(shown, text, self.config.dialect, source="schema")
        self._parse_errors(queries, schema_only=True)
        for source in checked:
            if source.path.endswith(".sql") and source.path not in seen:
                queries += [q for q in source.queries if isinstance(q, SqlQuery)]
        schema = schema_from_queries(queries)
        for source in checked:
            schema.indexes += source.indexes
        return schema

    def _parse_errors(self, queries: list[SqlQuery], schema_only: bool) -> None:
        from advisor.checks import Hit
        from advisor.parse import ParseFailure, failure_location, parse_sql

        for query in queries:
            if schema_only and query.source != "schema":
                continue
            tree = parse_sql(query.text, query.dialect)
            if isinstance(tree, ParseFailure) and not query.dynamic:
                self.hits.append((PARSE_ERROR, Hit(
                    f"cannot parse this statement: {tree.message}",
                    failure_location(query, tree),
                    help=f"check the syntax for the {query.dialect} dialect; advisor skips this statement",
                    subject=tree.message, query=query.text, query_location=query.location,
                )))

    def analyse(self, source: SourceFile, schema: Schema) -> None:
        from advisor.checks import QUERY_CHECKS, SOURCE_CHECKS, Hit, QueryContext, load_checks
        from advisor.facts.sql import build_facts
        from advisor.parse import parse_sql

        load_checks()  # here, not in __init__: a run served from the cache never imports sqlglot
        for location, message in source.errors:
            self.hits.append((PARSE_ERROR, Hit(message, location, subject=message)))
        query_checks = [(n, f) for n, f in QUERY_CHECKS.items() if self.enabled_name(n)]
        sql_queries = [q for q in source.queries if isinstance(q, SqlQuery)]
        self._parse_errors(sql_queries, schema_only=False)
        for query in sql_queries:
            self.queries += 1
            tree = parse_sql(query.text, query.dialect)
            if not hasattr(tree, "find_all"):
                continue
            facts = build_facts(tree, schema)
            ctx = QueryContext(query, tree, facts, schema)
            for name, check in query_checks:
                for hit in _guarded(check, ctx, name, query.location):
                    self.hits.append((name, hit))
        others = [q for q in source.queries if not isinstance(q, SqlQuery)]
        if others:
            from advisor.checks import mongo

            for query in others:
                self.queries += 1
                try:
                    found = list(mongo.check_query(query, schema, self.enabled_name))
                except Exception as exc:  # noqa: BLE001 - one odd shape must not stop the run
                    found = [(PARSE_ERROR, Hit(f"the MongoDB checks failed on this query ({type(exc).__name__}: "
                                               f"{exc}); please report it", query.location,
                                               subject="internal:mongo", severity="info"))]
                self.hits += found
        for name, check in SOURCE_CHECKS.items():
            if self.enabled_name(name):
                for hit in _guarded(check, source, name, Location(source.path, 1, 1)):
                    self.hits.append((name, hit))

    def schema_findings(self, schema: Schema, checked_paths: set[str]) -> None:
        from advisor.checks import SCHEMA_CHECKS, load_checks

        load_checks()
        for name, check in SCHEMA_CHECKS.items():
            if not self.enabled_name(name):
                continue
            for hit in _guarded(check, schema, name, None):
                if hit.location.path in checked_paths:
                    self.hits.append((name, hit))

    def findings(self) -> list[Finding]:
        out = []
        for name, hit in self.hits:
            spec = catalogue.lookup(name)
            if spec is None or spec.id not in self.enabled:
                continue
            severity = self.config.severity.get(spec.id) or hit.severity or spec.severity
            out.append(Finding(
                rule=spec.id, message=hit.message, location=hit.location, severity=severity, help=hit.help,
                fix=hit.fix, subject=hit.subject, query=hit.query, query_location=hit.query_location,
                metrics=dict(hit.metrics), evidence=hit.metrics.get("evidence", "static"),
            ))
        return out


def _guarded(check, arg, name: str, location: Location | None):
    """A rule that fails on odd input becomes a finding, never a traceback."""
    try:
        return list(check(arg) or ())
    except Exception as exc:  # noqa: BLE001
        from advisor.checks import Hit

        where = location or Location("<schema>", 1, 1)
        return [Hit(f"rule {name} failed on this input ({type(exc).__name__}: {exc}); please report it",
                    where, subject=f"internal:{name}", severity="info")]


# --- suppressions, fingerprints, baseline ----------------------------------------------


def _suppression_covers(s_line: int, rules: tuple[str, ...], finding: Finding, lines: list[str]) -> bool:
    if rules:
        spec = catalogue.lookup(finding.rule)
        names = {r.lower() for r in rules}
        if not spec or not ({spec.id.lower(), spec.name.lower(), *(a.lower() for a in spec.aliases)} & names):
            return False
    starts = {finding.location.line}
    if finding.query_location is not None:
        starts.add(finding.query_location.line)
    if s_line in starts:
        return True
    # a comment on a line of its own covers the next line
    own_line = 0 < s_line <= len(lines) and re.match(r"^\s*(--|#|//|/\*)", lines[s_line - 1])
    return bool(own_line) and (s_line + 1) in starts


def apply_suppressions(findings: list[Finding], sources: list[SourceFile], enabled: set[str]) -> list[Finding]:
    """Mark suppressed findings; report suppressions that suppress nothing."""
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_path[f.location.path].append(f)
    extra = []
    unused_spec = catalogue.lookup(UNUSED_SUPPRESSION)
    for source in sources:
        if not source.suppressions:
            continue
        lines = source.text.splitlines()
        for suppression in source.suppressions:
            used = False
            for f in by_path.get(source.path, []):
                if f.rule != unused_spec.id and _suppression_covers(suppression.location.line, suppression.rules, f, lines):
                    f.suppressed = "comment"
                    used = True
            named = [catalogue.lookup(r) for r in suppression.rules]
            if any(spec is None for spec in named):
                unknown = [r for r, spec in zip(suppression.rules, named) if spec is None]
                extra.append(Finding(unused_spec.id, f"suppression names unknown rule(s): {', '.join(unknown)}",
                                     suppression.location, unused_spec.severity,
                                     help="use a rule id or name from `advisor rules`", subject=",".join(unknown)))
            elif not used and (not named or any(s.id in enabled for s in named)) and unused_spec.id in enabled:
                what = ", ".join(suppression.rules) or "all rules"
                extra.append(Finding(unused_spec.id, f"unused suppression ({what}): nothing here is reported",
                                     suppression.location, unused_spec.severity,
                                     help="remove the comment, or move it to the line of the finding or the line above",
                                     subject=what))
    return findings + extra


def _normalise_query(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip().lower()


def assign_fingerprints(findings: list[Finding]) -> None:
    """Stable across line moves: rule, path, the statement's text and the subject, plus an occurrence count."""
    counts: dict[str, int] = defaultdict(int)
    for f in sorted(findings, key=Finding.sort_key):
        base = "\x1f".join((f.rule, f.location.path, _normalise_query(f.query), f.subject or f.message))
        digest = hashlib.sha256(base.encode("utf-8")).hexdigest()[:32]
        counts[digest] += 1
        f.fingerprint = f"{digest}:{counts[digest]}"


BASELINE_VERSION = 1


def write_baseline(findings: list[Finding], path: str) -> int:
    entries = [
        {"fingerprint": f.fingerprint, "rule": f.rule, "path": f.location.path, "message": f.message}
        for f in sorted(findings, key=Finding.sort_key) if f.suppressed != "comment"
    ]
    Path(path).write_text(json.dumps({"version": BASELINE_VERSION, "findings": entries}, indent=2) + "\n",
                          encoding="utf-8")
    return len(entries)


def read_baseline(path: str) -> set[str]:
    text, error = repo_files.read_text(Path(path), repo_files.MAX_BASELINE_SIZE)
    if text is None:
        raise ConfigError(f"{path}: cannot read baseline: {error}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: baseline is not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION or not isinstance(data.get("findings"), list):
        raise ConfigError(f"{path}: not an advisor baseline (expected version {BASELINE_VERSION} with a findings list)")
    return {str(e.get("fingerprint")) for e in data["findings"] if isinstance(e, dict)}


# --- the whole check ------------------------------------------------------------------


def _schema_contribution(source: SourceFile) -> str:
    """What this file adds to the project's schema (its DDL statements, its index
    declarations), as a hash; "" when nothing. Cached results depend on it."""
    from sqlglot import exp

    from advisor.cache import digest
    from advisor.parse import parse_sql
    from advisor.schema.ddl import is_schema_statement

    ddl = []
    if source.path.endswith(".sql"):  # as in _Run.schema: only .sql files add their DDL
        for query in source.queries:
            tree = parse_sql(query.text, query.dialect) if isinstance(query, SqlQuery) else None
            if isinstance(tree, exp.Expression) and is_schema_statement(tree):
                ddl.append(query)
    return digest(ddl, source.indexes) if ddl or source.indexes else ""


def _result_cache(run: _Run, project: Project):
    """The project's cached results (advisor/cache.py), or None when there is no cache."""
    from advisor import cache

    store = cache.Store.default()
    if store is None:
        return None
    try:
        schema_files = _schema_files(run.config)
    except ConfigError:
        return None  # the full run reports it
    settings = (sorted(vars(run.config).items()), sorted(run.enabled))
    return cache.ProjectCache(store, settings, [(display_path(p), p) for p in project.files],
                              [(display_path(p), p) for p in schema_files])


def _analyse_project(run: _Run, project: Project, options: Options, results) -> tuple[list[Finding], set[str]]:
    """All findings of one project's files, written to the result cache when there is one."""
    sources = [run.extract(p) for p in project.files]
    schema = run.schema(sources)
    queries: dict[str, int] = {}
    for source in sources:
        first_hit, first_query = len(run.hits), run.queries
        run.analyse(source, schema)
        queries[source.path] = run.queries - first_query
        if any(hit.location.path != source.path for _, hit in run.hits[first_hit:]):
            results = None  # a finding about another file: cached per file, it could go stale
    checked = {s.path for s in sources}
    run.schema_findings(schema, checked)
    has_sql = any(isinstance(q, SqlQuery) for s in sources for q in s.queries)
    if options.explain and has_sql:  # plan findings and verified index advice (advisor/explain/stage.py)
        from advisor.explain.stage import explain_project

        run.hits = explain_project(project.config, sources, schema, options, run.hits)
    if options.explain and options.mongo_uri:  # live MongoDB explain of the shapes found
        shapes = [q for s in sources for q in s.queries if not isinstance(q, SqlQuery)]
        if shapes:
            from advisor.mongo.explain import ExplainError, explain_live

            try:
                run.hits += explain_live(shapes, options.mongo_uri)
            except ExplainError as exc:
                raise ConfigError(str(exc)) from None
    findings = apply_suppressions(run.findings(), sources, run.enabled)
    if results is not None:
        results.save(findings, queries, {s.path: _schema_contribution(s) for s in sources})
    return findings, checked


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


def _skipped_findings(run: _Run, project: Project) -> list[Finding]:
    """The files collect did not read, each a parse-error note (a warning when too large to read)."""
    if not project.skipped:
        return []
    from advisor.checks import Hit

    run.hits = []
    for path, reason in project.skipped:
        shown = display_path(path)
        run.hits.append((PARSE_ERROR, Hit(f"skipped: {reason}", Location(shown, 1, 1), subject=f"skipped:{reason}",
                                          severity="warning" if "max-file-size" in reason else "info",
                                          help="advisor reads only regular files inside the project, up to "
                                               "max-file-size bytes; exclude the file to silence this")))
    return run.findings()


def _check(paths: Iterable[str], options: Options) -> Report:
    findings: list[Finding] = []
    files: list[str] = []
    fail_on: dict[str, str] = {}
    queries = 0
    unread: set[str] = set()
    baseline_path = options.baseline
    for project in collect(paths, options):
        run = _Run(project.config, options)
        # plan findings depend on a database, not only on the files: --explain runs are never cached
        results = _result_cache(run, project) if options.cache and not options.explain else None
        cached = results.load() if results is not None else None
        if cached is not None:
            project_findings, run.queries = cached
            checked = {display_path(p) for p in project.files}
        else:
            project_findings, checked = _analyse_project(run, project, options, results)
        findings += project_findings + _skipped_findings(run, project)
        unread |= {display_path(p) for p, _ in project.skipped}
        checked |= unread
        files += sorted(checked)
        queries += run.queries
        level = options.fail_on or project.config.fail_on
        for path in checked:
            fail_on[path] = level
        if baseline_path is None and project.config.baseline:
            baseline_path = str(repo_files.config_path(project.config, "baseline", project.config.baseline))
    assign_fingerprints(findings)
    if baseline_path and Path(baseline_path).exists():
        accepted = read_baseline(baseline_path)
        for f in findings:
            if f.suppressed is None and f.fingerprint in accepted:
                f.suppressed = "baseline"
    elif options.baseline:
        raise ConfigError(f"{options.baseline}: baseline file not found (create it with --write-baseline)")
    findings.sort(key=Finding.sort_key)
    return Report(findings, sorted(files), queries, fail_on, unread)
