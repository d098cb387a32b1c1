"""Get a database ready to plan on: start or reach it, load the schema, seed it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from advisor.config import Config
from advisor.discovery import display_path
from advisor.ir import Schema
from advisor.schema.assemble import schema_files
from advisor.seed import limits
from advisor.seed.limits import Budget
from advisor.seed.load import LoadError, load_schema
from advisor.seed.scratch import remove_stale_temporary, user_target
from advisor.seed.server import (
    DatabaseError,
    Target,
    cache_key,
    connect,
    embedded_target,
    mark_seeded,
    recorded_load_errors,
)
from advisor.seed.settings import explain_settings, seed_settings


@dataclass
class Prepared:
    target: Target
    load_errors: list[LoadError] = field(default_factory=list)
    seeded: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reused: bool = False


def _shown(paths: list[Path]) -> dict[Path, str]:
    return {p: display_path(p) for p in paths}


DSN_SEED_BYTES = 10 * 1024**3  # on a server of yours (--dsn), whose free disk advisor cannot see


def disk_budget(target) -> int:
    """The bytes a seed may take: half the free space of the embedded server's data directory, 10 GiB on a
    server of yours; ADVISOR_SEED_MAX_BYTES (the user's, never the repository's) sets another ceiling."""
    import shutil

    given = os.environ.get("ADVISOR_SEED_MAX_BYTES", "")
    ceiling = int(given) if given.isdigit() else None
    if target.server is not None:
        free = shutil.disk_usage(target.server.datadir).free // 2
        return min(free, ceiling) if ceiling is not None else free
    return ceiling if ceiling is not None else DSN_SEED_BYTES


def _budget_words(target) -> str:
    if target.server is not None:
        return "half the free space where the server keeps its data, or ADVISOR_SEED_MAX_BYTES"
    return "10 GiB on a server of yours, or ADVISOR_SEED_MAX_BYTES"


@contextlib.contextmanager
def _meter(target) -> Iterator[Callable[[], int]]:
    """The bytes written since it started: the embedded server's data directory (its WAL too: a 3 GB INSERT left
    6 GB there), else the scratch database's size, on a connection of its own (a thread reads it while the
    schema's statements run)."""
    from advisor.home import tree_size

    if target.server is not None:
        datadir = target.server.datadir
        base = tree_size(datadir)
        yield lambda: tree_size(datadir) - base
        return
    with connect(target.conninfo, autocommit=True) as conn:

        def size() -> int:
            return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])

        base = size()
        yield lambda: size() - base


def prepare(
    config: Config,
    dsn: str | None = None,
    *,
    progress: bool = False,
    cache: bool | None = None,
    schema: Schema | None = None,
) -> Prepared:
    """The seeded database of the project's schema files (and of the indexes its code declares on their tables,
    `schema` given: code_declared)."""
    seed = seed_settings(config)
    # what the code runs on the schema besides its files: the indexes it declares, what a function it calls creates
    declared = code_declared(schema) + schema.called_ddl if schema is not None else []
    teardown = schema.teardown if schema is not None else set()  # a reset()'s DROPs: not run on the seed
    explain = explain_settings(config)
    files = schema_files(config)
    if schema is not None:  # the steps a snapshot holds are not run on it: the schema advisor reads
        files = [f for f in files if display_path(f) not in schema.history]
    if not files:
        raise DatabaseError(f"{config.label}: no schema files configured (schema = [...]): nothing to load and seed")
    if dsn:
        target = user_target(dsn)
    else:
        use_cache = explain.cache if cache is None else cache
        if os.environ.get("ADVISOR_NO_CACHE"):
            use_cache = False
        data = [Path(p) for p in seed.csv.values()] + ([Path(seed.stats)] if seed.stats else [])
        key = cache_key(files, config.seed, data, config.max_file_size, declared, teardown) if use_cache else None
        stale = remove_stale_temporary() if key is None else []
        target = embedded_target(key)
        target.notes[:0] = stale
    prepared = Prepared(target, notes=list(target.notes))
    if not target.fresh:
        prepared.reused = target.owned
        prepared.load_errors = cached_load_errors(target)
        return prepared
    try:
        with limits.watched(connect(target.conninfo, autocommit=True)) as conn, _meter(target) as spent:
            from advisor.seed.generate import SeedTooLarge, seed_database
            from advisor.units import human_size

            # one byte budget for the schema's statements and the seed after them (the seed gets what is left)
            budget, why = disk_budget(target), _budget_words(target)
            prepared.load_errors = _load(
                conn, target, files, Budget(bytes=budget, spent=spent, why=why), declared, teardown
            )
            _search_path(conn)
            schema_bytes = max(spent(), 0)
            stop = next((e for e in prepared.load_errors if e.stopped), None)
            if schema_bytes >= budget:  # nothing left to seed with: the run cannot go on
                raise DatabaseError(
                    f"{config.label}: {stop}; nothing is left to seed with"
                    if stop is not None
                    else f"{config.label}: the schema's statements wrote {human_size(schema_bytes)}, all of the "
                    f"{human_size(budget)} advisor may use for the schema and its seed ({why}); nothing is left to "
                    "seed with"
                )
            try:
                result = seed_database(
                    conn, seed, progress=progress, disk_budget=budget - schema_bytes, private=target.server is not None
                )
            except SeedTooLarge as exc:
                left = f"{human_size(exc.budget)} left of {human_size(budget)}" if schema_bytes else human_size(budget)
                raise DatabaseError(
                    f"{config.label}: the seed its [seed] settings ask for would take about {human_size(exc.need)} on "
                    f"disk, more than advisor may use ({left}: {why}); lower [seed] rows or [seed.tables.<t>] rows"
                ) from None
            prepared.seeded = result.rows
            prepared.notes += result.notes
            if seed.stats:
                from advisor.seed.stats import restore_stats

                prepared.notes += restore_stats(conn, seed.stats)
        # the errors are shown again when it is reused; a load the budget stopped is not kept: on another
        # machine, or a quieter one, it may load whole
        # nor is one the database stage's time limit cut (limits.over)
        prepared.notes += mark_seeded(target, prepared.load_errors, keep=stop is None and not limits.over())
    except BaseException:
        target.close()
        raise
    return prepared


def code_declared(schema: Schema) -> list[tuple[str, int, str]]:
    """(path, line, CREATE INDEX) of each index the project's code declares on a table of the schema files
    (Synapse's `register_background_index_update(...)`, advisor.sources.python_indexes): built in production
    at start-up, so in the seeded database too, or the plans of their queries are not production's."""
    from advisor.indexes.candidates import Candidate

    out = []
    for ix in schema.indexes:
        at = ix.location
        if at is None or at.path.endswith(".sql") or at.path in schema.files:
            continue  # a schema file's own: loaded with it
        if ix.method.startswith("mongo") or not schema.complete(ix.table):
            continue
        if ix.primary or ix.constraint or not ix.keys:
            continue
        ddl = Candidate(ix.table, ix.keys, ix.include, ix.where, ix.method).ddl(concurrently=False, name=ix.name)
        out.append((at.path, at.line, ddl.replace("CREATE INDEX", "CREATE UNIQUE INDEX", 1) if ix.unique else ddl))
    return out


def _load(
    conn,
    target: Target,
    files: list[Path],
    budget: Budget,
    declared: list[tuple[str, int, str]],
    skipped: set[tuple[str, int]],
) -> list[LoadError]:
    """The schema, as the target's role without privileges; the trusted extensions it asks for (and
    pg_trgm, which index candidates use) created first on the administrator's login, before any of
    the repository's SQL has run."""
    import contextlib

    from psycopg import sql

    private = target.server is not None  # a server of the user's: its messages could quote its data
    if target.admin is None:
        return load_schema(
            conn, files, _shown(files), budget=budget, private=private, declared=declared, skipped=skipped
        )
    with connect(target.admin, autocommit=True) as admin:
        admin.execute("SET statement_timeout = '60s'")

        def create_extension(name: str) -> None:
            try:
                admin.execute(
                    sql.SQL("CREATE EXTENSION IF NOT EXISTS {} SCHEMA public CASCADE").format(sql.Identifier(name))
                )
            except Exception:
                if name not in STAND_INS:
                    raise
                for statement in STAND_INS[name]:  # advisor's own DDL, on the administrator's login
                    admin.execute(statement)

        with contextlib.suppress(Exception):
            create_extension("pg_trgm")
        return load_schema(conn, files, _shown(files), create_extension, budget, private, declared, skipped)


# Extensions a server may not ship (the embedded one has no uuid-ossp) whose functions a schema uses only in column
# defaults (`id uuid DEFAULT uuid_generate_v4()`): stood in for by core functions of the same signature, so the
# tables are created and planned as with the extension (a default's function changes no plan).
STAND_INS: dict[str, tuple[str, ...]] = {
    "uuid-ossp": (
        *(
            f"CREATE OR REPLACE FUNCTION public.{f}() RETURNS uuid LANGUAGE sql VOLATILE AS 'SELECT gen_random_uuid()'"
            for f in ("uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4")
        ),
        *(
            f"CREATE OR REPLACE FUNCTION public.{f}(namespace uuid, name text) RETURNS uuid LANGUAGE sql IMMUTABLE "
            "AS 'SELECT md5(namespace::text || name)::uuid'"
            for f in ("uuid_generate_v3", "uuid_generate_v5")
        ),
        *(
            f"CREATE OR REPLACE FUNCTION public.{f}() RETURNS uuid LANGUAGE sql IMMUTABLE AS 'SELECT ''{u}''::uuid'"
            for f, u in (
                ("uuid_nil", "00000000-0000-0000-0000-000000000000"),
                ("uuid_ns_dns", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
                ("uuid_ns_url", "6ba7b811-9dad-11d1-80b4-00c04fd430c8"),
                ("uuid_ns_oid", "6ba7b812-9dad-11d1-80b4-00c04fd430c8"),
                ("uuid_ns_x500", "6ba7b814-9dad-11d1-80b4-00c04fd430c8"),
            )
        ),
    ),
}


def _search_path(conn) -> None:
    """The schemas the files created, in the order they did, on the search path of every later session (before
    `public`): an application's role has them there (`ALTER ROLE app SET search_path = message_store, public`),
    and its statements name their tables bare (message-db's functions read `messages` of `message_store`)."""
    from psycopg import sql

    made = [
        name
        for (name,) in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
            " AND nspname <> 'public' AND nspname NOT LIKE 'pg\\_%' ORDER BY oid"
        ).fetchall()
    ]
    if made:
        path = sql.SQL(", ").join([*map(sql.Identifier, made), sql.Identifier("public")])
        # the role's own default (not the database's, which a copy of the cached database would not keep)
        conn.execute(sql.SQL("ALTER ROLE CURRENT_USER SET search_path TO {}").format(path))


def cached_load_errors(target: Target) -> list[LoadError]:
    errors = []
    for record in recorded_load_errors(target):
        try:
            errors.append(LoadError(**{**record, "statement": ""}))
        except TypeError:  # recorded by another version: seeded again when the cache key changes
            continue
    return errors
