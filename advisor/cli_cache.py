"""`advisor cache list|clear`: what advisor keeps in its cache directory, and removing it.

`register(main)` adds the group to the click group of advisor/cli.py.
"""

from __future__ import annotations

import time

import click

from advisor.cli_guard import guard


@click.group("cache")
def cache_group() -> None:
    """Show or remove what advisor caches: seeded databases, the results of unchanged files."""


@cache_group.command("list")
@guard
def cache_list() -> None:
    """The cache directory, its seeded databases with their sizes, and the results cache."""
    from advisor.home import cache_root, tree_size
    from advisor.seed import dbcache
    from advisor.units import human_size

    root = cache_root()
    click.echo(f"cache directory: {root}")
    cached = dbcache.list_databases()
    limit = human_size(dbcache.max_bytes())
    click.echo(
        f"seeded databases: {len(cached)}, {human_size(sum(c.size for c in cached))} "
        f"(evicted past {limit}: ADVISOR_CACHE_MAX_MB)"
    )
    for c in reversed(cached):  # most recently used first
        state = "running" if c.running else ("seeded" if c.seeded else "incomplete")
        click.echo(f"  {c.key}  {human_size(c.size):>9}  last used {_ago(c.last_used)}  {state}  {c.data}")
    results = root / "results"
    count = sum(1 for p in results.glob("*.json")) if results.is_dir() else 0
    click.echo(f"results cache: {count} records, {human_size(tree_size(results) if results.is_dir() else 0)}")
    from advisor.seed.kept import list_kept

    for kept in list_kept():
        state = "running" if kept.alive else "stopped"
        click.echo(f"kept server ({state}): {kept.data}; stop it with: advisor seed --stop {kept.data}")


@cache_group.command("clear")
@guard
def cache_clear() -> None:
    """Remove the seeded databases no run is using (their servers stop) and the results cache."""
    from advisor.home import cache_root, remove_tree
    from advisor.seed import dbcache
    from advisor.units import human_size

    removed, busy = dbcache.clear()
    remove_tree(cache_root() / "results")
    click.echo(
        f"removed {len(removed)} seeded database(s), {human_size(sum(c.size for c in removed))}, and the results cache",
        err=True,
    )
    for c in busy:
        click.echo(f"kept {c.key}: another advisor run is using it", err=True)


def stop_kept(what: str) -> None:
    """`advisor seed --stop URI|DIR`: stop a server `advisor seed --keep` left running."""
    from pathlib import Path

    from advisor.config import ConfigError
    from advisor.seed import kept as kept_servers

    wanted = {Path(what).absolute()}
    if "=" in what or "://" in what:
        from psycopg.conninfo import conninfo_to_dict

        try:
            host = conninfo_to_dict(what).get("host")
        except Exception:  # noqa: BLE001  not a URI: a directory
            host = None
        if isinstance(host, str) and host:
            wanted.add(Path(host))
    for kept in kept_servers.list_kept():
        if wanted & {kept.data, kept.data.parent, kept.socket_dir}:
            kept_servers.stop_kept(kept)
            click.echo(f"stopped the server on {kept.data} and removed its data", err=True)
            return
    raise ConfigError(f"no server kept by `advisor seed --keep` at {what} (`advisor cache list` shows them)")


def _ago(when: float) -> str:
    seconds = max(0.0, time.time() - when)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return "just now"


def register(main: click.Group) -> None:
    main.add_command(cache_group)
