"""The command line. Each command parses options, calls one function, returns an exit code.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage, config or internal error.
"""

from __future__ import annotations

import os
import sys

import click

from advisor import __version__
from advisor.cli_guard import fail as _fail
from advisor.cli_guard import guard as _guard

EXIT_CLEAN, EXIT_FINDINGS = 0, 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="advisor")
def main() -> None:
    """advisor: find the queries an application issues, lint them, and recommend indexes."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["terminal", "json", "sarif", "github", "markdown", "gitlab"]),
    default="terminal",
    show_default=True,
    help="Output format.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="Use this config file for every path.")
@click.option(
    "--select",
    multiple=True,
    help="Only these rules (id, name or prefix; DEFAULT: the rules on by default, ALL: every rule, "
    "opt-in ones too), instead of the config's select; repeatable.",
)
@click.option("--ignore", multiple=True, help="Skip these rules (id, name or prefix, as --select); repeatable.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), help="Lowest severity that fails.")
@click.option("--baseline", type=click.Path(dir_okay=False), help="Accept the findings recorded in this file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), help="Record the current findings and exit 0.")
@click.option(
    "--explain",
    is_flag=True,
    help="Also plan every query on a seeded database (embedded PostgreSQL unless --dsn) and verify index advice.",
)
@click.option("--analyze", is_flag=True, help="With --explain: run EXPLAIN ANALYZE in a rolled-back transaction.")
@click.option("--dsn", envvar="ADVISOR_DSN", help="PostgreSQL server to use instead of the embedded one.")
@click.option("--mongo-uri", envvar="ADVISOR_MONGO_URI", help="MongoDB to run explain against (with --explain).")
@click.option(
    "--diff",
    "diff_base",
    metavar="BASE",
    help="Only report what the change since BASE (a git commit or "
    "branch, e.g. origin/main) is responsible for: findings on added or modified lines, and findings "
    "anywhere that BASE does not have.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    envvar="ADVISOR_NO_CACHE",
    help="Analyse every file, without reusing the "
    "cached results of unchanged files (the cache is never used with --explain).",
)
@click.option(
    "--allow-outside",
    is_flag=True,
    help="Let the config's paths (schema, baseline, [seed] files) lie "
    "outside the project root; without it they are refused, as the config comes with the repository.",
)
@_guard
def check(
    paths,
    fmt,
    output,
    config,
    select,
    ignore,
    fail_on,
    baseline,
    write_baseline,
    explain,
    analyze,
    dsn,
    mongo_uri,
    diff_base,
    no_cache,
    allow_outside,
) -> None:
    """Check SQL (and MongoDB) queries in PATHS (default: the current directory)."""
    from advisor import engine, reporters

    options = engine.Options(
        config=config,
        select=_split(select),
        ignore=_split(ignore),
        baseline=baseline,
        fail_on=fail_on,
        explain=explain or analyze,
        analyze=analyze,
        dsn=dsn,
        mongo_uri=mongo_uri,
        cache=not no_cache,
        allow_outside=allow_outside,
    )
    from advisor.discovery import default_paths

    paths = tuple(paths) or tuple(default_paths(options))
    report = engine.check(list(paths), options)
    if write_baseline:
        from advisor.baseline import write_baseline as write

        count = write(report.findings, write_baseline)
        click.echo(f"advisor: wrote {count} finding(s) to {write_baseline}", err=True)
        sys.exit(EXIT_CLEAN)
    if diff_base:
        from advisor import diff

        report = diff.restrict_to_change(
            report, diff_base, list(paths), options, warn=lambda text: click.echo(f"advisor: {text}", err=True)
        )
    render = reporters.get(fmt)
    if output:
        import io

        from advisor.files import write_output

        buffer = io.StringIO()
        render(report, buffer)
        write_output(output, buffer.getvalue())
    else:
        render(report, sys.stdout)
    _step_summary(report)
    sys.exit(EXIT_FINDINGS if report.failing() else EXIT_CLEAN)


def _step_summary(report) -> None:
    """In GitHub Actions, append the Markdown summary to the job page (GITHUB_STEP_SUMMARY)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    from advisor.reporters import markdown

    try:
        with open(target, "a", encoding="utf-8") as out:
            out.write(markdown.summary(report) + "\n")
    except OSError as exc:
        click.echo(f"advisor: warning: cannot write the job summary to {target}: {exc.strerror}", err=True)


def _split(values) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["terminal", "json"]), default="terminal", show_default=True)
@_guard
def rules_command(fmt) -> None:
    """List the rule catalogue."""
    from advisor import catalogue

    specs = list(catalogue.catalogue().values())
    if fmt == "json":
        import json

        click.echo(
            json.dumps(
                [
                    {
                        "id": s.id,
                        "name": s.name,
                        "severity": s.severity,
                        "needs": list(s.needs),
                        "summary": s.summary,
                        "default": s.default,
                        "workload": s.workload,  # silent on code that runs once (advisor/oneoff.py)
                        "coverage": s.coverage,  # a note on what advisor could not see, not a problem
                        "sized": s.sized,  # speaks only on tables advisor knows grow (unknown-size)
                        "help_uri": s.help_uri,
                    }
                    for s in specs
                ],
                indent=2,
            )
        )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for column in ("id", "name", "severity", "default", "needs", "summary"):
        table.add_column(column, no_wrap=column != "summary")  # a name is typed in full: only summaries wrap
    for s in specs:  # default "off": opt-in, run only when selected by name (select = ["DEFAULT", name])
        table.add_row(s.id, s.name, s.severity, "on" if s.default else "off", ", ".join(s.needs), s.summary)
    Console().print(table)


@main.command("rule")
@click.argument("key")
@_guard
def rule_command(key) -> None:
    """Show one rule's page, by id or name (e.g. SQL001 or select-star)."""
    from advisor import catalogue

    spec = catalogue.lookup(key)
    if spec is None:
        _fail(f"no rule {key!r}; `advisor rules` lists them")
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console()
    console.print(
        f"[bold]{spec.id}[/] {spec.name} · default severity {spec.severity}"
        + ("" if spec.default else " · off by default (opt-in)")
        + (f" · needs {', '.join(spec.needs)}" if spec.needs else "")
    )
    console.print(Markdown(spec.body))


def _register_database_commands() -> None:
    from advisor import cli_cache, cli_db, cli_explain

    cli_db.register(main)
    cli_explain.register(main)
    cli_cache.register(main)


_register_database_commands()

if __name__ == "__main__":
    main()
