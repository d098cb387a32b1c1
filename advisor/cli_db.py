"""Database commands: `advisor indexes`, `advisor seed`, `advisor stats export`.

`register(main)` adds them to the click group of advisor/cli.py.
"""

from __future__ import annotations

import sys

import click


from advisor.cli_guard import guard as _guarded  # noqa: E402  one error policy for every command


def _project(paths, config):
    from advisor import engine

    options = engine.Options(config=config)
    projects = engine.collect(list(paths) or ["."], options)
    if not projects:
        raise engine.ConfigError("no files to check under the given paths")
    project = projects[0]
    run = engine._Run(project.config, options)  # noqa: SLF001
    sources = [run.extract(p) for p in project.files]
    schema = run.schema(sources)
    return project.config, sources, schema


@click.command("indexes")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the migration here.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="Use this config file.")
@click.option("--dsn", envvar="ADVISOR_DSN", help="PostgreSQL server to use instead of the embedded one.")
@click.option("--analyze", is_flag=True,
              help="Also run the queries (rolled back) without and with the chosen set; drop an index that "
                   "only makes a query slower, flag the slowdowns it cannot fix.")
@_guarded
def indexes_command(paths, output, config, dsn, analyze) -> None:
    """Choose one verified index set for the whole workload and write a migration."""
    from advisor.explain.stage import make_explainer, plannable, run_workload
    from advisor.indexes.select import Timing, _time_change, migration, select
    from advisor.ir import SqlQuery
    from advisor.seed.server import connect
    from advisor.units import human_size
    from advisor.seed.settings import explain_settings

    cfg, sources, schema = _project(paths, config)
    queries = [q for s in sources for q in s.queries if isinstance(q, SqlQuery) and plannable(q)]
    workload = run_workload(cfg, queries, schema, dsn=dsn, analyze=analyze, progress=sys.stderr.isatty())
    settings = explain_settings(cfg)
    try:
        for note in workload.prepared.notes:
            click.echo(f"advisor: note: {note}", err=True)
        for err in workload.prepared.load_errors:
            click.echo(f"{err}", err=True)
        if not workload.prepared.target.owned:
            choices, summary = [], {"cost_before": 0.0, "cost_after": 0.0, "indexes": 0, "size_bytes": 0,
                                    "dropped": []}
            click.echo("advisor: note: read-only database: no index set chosen", err=True)
        else:
            with connect(workload.prepared.target.conninfo, autocommit=True) as conn:
                choices, summary = select(conn, workload.runs, schema, settings.threshold, make_explainer,
                                          settings.statement_timeout_ms, analyze=analyze)
        kept = {id(r): ch for ch in choices for r in ch.queries}
        dropped = {id(r): ch for ch in summary.get("dropped", []) for r in ch.queries}
        time_dropped = {id(r): d for d in summary.get("time_dropped", []) for r in d.choice.queries}
        timings = {id(t.run): t for t in summary.get("timings", [])}
        slow = {id(t.run) for t in summary.get("warnings", [])}
        timeout = summary.get("timeout_ms", settings.statement_timeout_ms)
        for run in workload.runs:
            loc = run.query.location
            status = run.outcome or "error"
            detail = run.reason or (run.error or "")
            if run.outcome == "recommended":
                m = run.best
                detail = f"{m.candidate.describe()}: cost {run.plan.cost:,.1f} -> {m.cost_after:,.1f}"
                if id(run) in kept and kept[id(run)].candidate != m.candidate:
                    detail += f" (served by {kept[id(run)].candidate.describe()})"
                elif id(run) in dropped:
                    detail += " (left out of the set: next to the other indexes it saves too little for its size)"
                elif id(run) in time_dropped:
                    d = time_dropped[id(run)]
                    detail += (f" (left out after measuring: {d.timing.run.query.location.path}:"
                               f"{d.timing.run.query.location.line} ran slower with it)")
            if id(run) in timings:
                detail += f"; measured {_time_change(timings[id(run)], timeout)} with the set"
                if id(run) in slow:
                    detail += " (WARNING: slower)"
            click.echo(f"{loc.path}:{loc.line}: {status}: {detail}")
        text = migration(choices, summary)
        click.echo(f"\n{summary['indexes']} index(es), {human_size(summary['size_bytes'])} on the seeded data; workload cost "
                   f"{summary['cost_before']:,.1f} -> {summary['cost_after']:,.1f}", err=True)
        if timings:
            cut = lambda v: timeout if v is None else v  # noqa: E731
            total = Timing(None, sum(cut(t.before_ms) for t in timings.values()),
                           sum(cut(t.after_ms) for t in timings.values()))
            more = "at least " if any(t.before_ms is None for t in timings.values()) else ""
            click.echo(f"measured the {len(timings)} queries the set changes: {more}{_time_change(total, timeout)}; "
                       f"{len(summary['time_dropped'])} index(es) left out after measuring, "
                       f"{len(slow)} query(ies) still slower (flagged in the migration)", err=True)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
            click.echo(f"wrote {output}", err=True)
        else:
            click.echo(text)
    finally:
        workload.prepared.target.close()


@click.command("seed")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="Use this config file.")
@click.option("--keep", is_flag=True, help="Seed a database of its own (never the cached one), leave its server "
              "running and print its URI.")
@click.option("--stop", "stop", metavar="URI|DIR", help="Stop a server --keep left running (its URI or data "
              "directory) and remove its data.")
@click.option("--dsn", envvar="ADVISOR_DSN", help="Seed a scratch database on this server instead.")
@_guarded
def seed_command(paths, config, keep, stop, dsn) -> None:
    """Load the schema into a database and fill it with generated data."""
    from advisor.seed.prepare import prepare
    from advisor.seed.server import EmbeddedServer, mask

    if stop:
        from advisor.cli_cache import stop_kept

        stop_kept(stop)
        return
    cfg, _, _ = _project(paths, config)
    # --keep: a private copy seeded apart, so nothing the user does to it reaches later --explain runs
    prepared = prepare(cfg, dsn, progress=sys.stderr.isatty(), cache=False if keep else None)
    target = prepared.target
    for err in prepared.load_errors:
        click.echo(str(err), err=True)
    for note in prepared.notes:
        click.echo(f"advisor: note: {note}", err=True)
    rows = sum(prepared.seeded.values())
    if prepared.reused:
        click.echo("reused the cached seeded database (schema and seed settings unchanged)", err=True)
    else:
        click.echo(f"seeded {len(prepared.seeded)} tables, {rows:,} rows", err=True)
    if keep and target.server is not None:
        from advisor.seed.kept import record_kept

        server = target.server
        datadir = server.datadir
        server.temporary = False
        server.stop()
        kept = EmbeddedServer(datadir)
        kept.start(detach=True)
        record_kept(datadir, kept.process.pid, kept.socket_dir)
        click.echo(kept.uri())
        click.echo(f"data directory: {datadir}; stop it with: advisor seed --stop {datadir}", err=True)
        return
    if keep and target.scratch is not None:
        target.scratch = None  # the user asked to keep it
        click.echo(mask(target.conninfo))
        return
    target.close()


@click.group("stats")
def stats_group() -> None:
    """Production statistics without production data."""


@stats_group.command("export")
@click.option("--dsn", envvar="ADVISOR_DSN", required=True, help="The server to read statistics from.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default="advisor-stats.json",
              show_default=True)
@_guarded
def stats_export(dsn, output) -> None:
    """Write table and column statistics (pg_class, pg_stats) to a small file to commit."""
    from advisor.seed.stats import export_stats

    n_tables, n_columns = export_stats(dsn, output)
    click.echo(f"wrote {output}: {n_tables} tables, {n_columns} columns", err=True)


def register(main: click.Group) -> None:
    main.add_command(indexes_command)
    main.add_command(seed_command)
    main.add_command(stats_group)
