"""Database commands: `advisor indexes`, `advisor seed`, `advisor stats export`.

`register(main)` adds them to the click group of advisor/cli.py.
"""

from __future__ import annotations

import sys

import click

from advisor.cli_guard import guard as _guarded  # noqa: E402  one error policy for every command


def _project(paths, config):
    from advisor.loader import load_project
    from advisor.options import Options

    return load_project(paths, Options(config=config))


@click.command("indexes")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the migration here.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="Use this config file.")
@click.option("--dsn", envvar="ADVISOR_DSN", help="PostgreSQL server to use instead of the embedded one.")
@click.option(
    "--analyze",
    is_flag=True,
    help="Also run the queries (rolled back) without and with the chosen set; drop an index that "
    "only makes a query slower, flag the slowdowns it cannot fix.",
)
@click.option(
    "--max-size",
    metavar="SIZE",
    help="Storage budget for the set: its total size on the seeded data stays at or below SIZE "
    "(35MB, 1GB, or 20%% of the size of the tables the workload reads; none: no budget); "
    "default: [indexes] max_size, else none.",
)
@_guarded
def indexes_command(paths, output, config, dsn, analyze, max_size) -> None:
    """Choose one verified index set for the whole workload and write a migration."""
    from advisor.indexes.budget import parse_max_size
    from advisor.indexes.migration import measured_change
    from advisor.indexes.workload import advise_workload
    from advisor.units import human_size

    budget = parse_max_size(max_size) if max_size is not None else None  # checked before any database starts
    advice = advise_workload(_project(paths, config), dsn, analyze, budget)
    summary = advice.summary
    from advisor.reporters import printable  # repository names on one line, no control characters

    for note in advice.notes:
        click.echo(printable(note), err=True)
    for outcome in advice.outcomes:  # standard error: standard output is the migration alone, run as printed
        click.echo(
            printable(f"{outcome.location.path}:{outcome.location.line}: {outcome.status}: {outcome.detail}"), err=True
        )
    if summary.unchosen:
        click.echo(f"\nno index set chosen: {summary.unchosen}", err=True)
    else:
        click.echo(
            f"\n{summary.indexes} index(es), {human_size(summary.size_bytes)} on the seeded data"
            + (f" (budget {human_size(summary.max_bytes)})" if summary.max_bytes is not None else "")
            + "; workload cost "
            f"{summary.cost_before:,.1f} -> {summary.cost_after:,.1f}",
            err=True,
        )
    if summary.timings:
        click.echo(
            f"measured the {len(summary.timings)} queries the set changes: {measured_change(summary)}; "
            f"{len(summary.time_dropped)} index(es) left out after measuring, "
            f"{len(summary.warnings)} query(ies) still slower (flagged in the migration)",
            err=True,
        )
    if output:
        from advisor.files import write_output

        write_output(output, advice.migration)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(advice.migration)


@click.command("seed")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="Use this config file.")
@click.option(
    "--keep",
    is_flag=True,
    help="Seed a database of its own (never the cached one), leave its server running and print its URI.",
)
@click.option(
    "--stop",
    "stop",
    metavar="URI|DIR",
    help="Stop a server --keep left running (its URI or data directory) and remove its data.",
)
@click.option("--dsn", envvar="ADVISOR_DSN", help="Seed a scratch database on this server instead.")
@_guarded
def seed_command(paths, config, keep, stop, dsn) -> None:
    """Load the schema into a database and fill it with generated data."""
    from advisor.seed import limits
    from advisor.seed.prepare import prepare
    from advisor.seed.server import EmbeddedServer

    if stop:
        from advisor.cli_cache import stop_kept

        stop_kept(stop)
        return
    project = _project(paths, config)
    # --keep: a private copy seeded apart, so nothing the user does to it reaches later --explain runs
    with limits.Watch(limits.Deadline.stage().spent):  # the database stage's time limit
        prepared = prepare(
            project.config, dsn, progress=sys.stderr.isatty(), cache=False if keep else None, schema=project.schema
        )
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
        from advisor.seed.server import KEPT_MARK

        server = target.server
        datadir = server.datadir
        server.temporary = False
        server.stop()
        kept = EmbeddedServer(datadir)
        kept.start(detach=True)
        (datadir.parent / KEPT_MARK).touch()  # never removed as a dead run's leftover
        running = kept.running_pid()  # the server started, or one start() found running there and adopted
        if running is None:
            from advisor.cli_guard import fail

            fail(f"the kept server on {datadir} stopped as soon as it started")
        record_kept(datadir, *running)
        click.echo(kept.uri())
        click.echo(f"data directory: {datadir}; stop it with: advisor seed --stop {datadir}", err=True)
        return
    if keep and target.scratch is not None:
        scratch, target.scratch = target.scratch, None  # the user asked to keep it
        click.echo(scratch.keep())
        return
    target.close()


@click.group("stats")
def stats_group() -> None:
    """Production statistics without production data."""


@stats_group.command("export")
@click.option("--dsn", envvar="ADVISOR_DSN", required=True, help="The server to read statistics from.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True), default="advisor-stats.json", show_default=True
)
@click.option(
    "--with-values",
    is_flag=True,
    help="Also export column values (most common values, histogram bounds): they hold real data.",
)
@_guarded
def stats_export(dsn, output, with_values) -> None:
    """Write table and column statistics (pg_class, pg_stats) to a small file to commit.

    By default no column value leaves the server: counts, null fractions, distinct counts,
    correlation and widths only."""
    from advisor.seed.stats import export_stats

    n_tables, n_columns = export_stats(dsn, output, with_values=with_values)
    what = "with column values" if with_values else "no column values"
    click.echo(f"wrote {output}: {n_tables} tables, {n_columns} columns ({what})", err=True)


def register(main: click.Group) -> None:
    main.add_command(indexes_command)
    main.add_command(seed_command)
    main.add_command(stats_group)
