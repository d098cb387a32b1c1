"""`advisor explain`: the interactive session, or one query and exit.

`register(main)` adds it to the click group of advisor/cli.py.
"""

from __future__ import annotations

import sys

import click

from advisor.cli_guard import EXIT_ERROR, guard


@click.command("explain")
@click.argument("query", required=False)
@click.option(
    "-f",
    "--file",
    "file",
    type=click.File("r", encoding="utf-8"),
    help="Explain the statements in this file (- for standard input), then exit.",
)
@click.option(
    "-C",
    "--project",
    default=".",
    show_default=True,
    type=click.Path(exists=True, file_okay=False),
    help="Project directory whose config (schema, seed) the session uses.",
)
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="Use this config file.")
@click.option(
    "--dsn",
    envvar="ADVISOR_DSN",
    help="Plan on this PostgreSQL server instead of the embedded one "
    "(read-only unless advisor may create its own scratch database there).",
)
@click.option("--mongo-uri", envvar="ADVISOR_MONGO_URI", help="MongoDB to run live explain against in \\mongo mode.")
@click.option("--mongo", "mongo", is_flag=True, help="Start in MongoDB mode.")
@click.option("--analyze", is_flag=True, help="Run queries (EXPLAIN ANALYZE, rolled back), not only plan them.")
@click.option("--param", "params", multiple=True, help="A value for $1, $2, ... in order; repeatable.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json writes one JSON document per statement, command, error or note (JSON Lines).",
)
@guard
def explain_command(query, file, project, config, dsn, mongo_uri, mongo, analyze, params, fmt) -> None:
    """Explain queries one at a time: plan, findings, and index advice measured on seeded data.

    With QUERY or --file: explain and exit (exit 2 if a statement failed). Without: an interactive
    session at a terminal, or the statements read from a pipe.
    """
    from rich.console import Console

    from advisor.home import cache_root
    from advisor.loader import load_session_project
    from advisor.session.commands import Controller
    from advisor.session.render import print_visibly
    from advisor.session.repl import run_lines, run_terminal
    from advisor.session.workspace import Workspace

    interactive = query is None and file is None and sys.stdin.isatty()
    console = Console(highlight=False, soft_wrap=fmt == "json")
    print_visibly(console)  # the repository's names and literals never reach the terminal raw
    workspace = Workspace(
        load_session_project(project, config),
        dsn=dsn,
        mongo_uri=mongo_uri,
        analyze=analyze,
        progress=sys.stderr.isatty(),
    )
    workspace.params = list(params)
    if mongo:
        workspace.mode = "mongo"
    controller = Controller(workspace, console, fmt, typed=query is not None or (file is None and interactive))
    try:
        if query is not None:
            run_lines(controller, [query if complete_enough(query) else query + ";"] if not mongo else [query])
        elif file is not None:
            run_lines(controller, file)
        elif interactive:
            if fmt == "text":
                console.print("[bold]advisor explain[/]: type SQL ending with ; or \\help. Ctrl-D leaves.")
            run_terminal(controller, history_path=cache_root() / "explain-history")
        else:
            run_lines(controller, sys.stdin)
    finally:
        workspace.close()
    if controller.failed and not interactive:
        sys.exit(EXIT_ERROR)


def complete_enough(query: str) -> bool:
    """A one-shot query needs no `;`: it is whole by definition."""
    return query.strip().startswith("\\") or query.rstrip().endswith(";")


def register(main: click.Group) -> None:
    main.add_command(explain_command)
