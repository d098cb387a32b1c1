"""Code that is not the application's workload by design: told by where it lives (a migration step,
an operator's script) or by what its function is named (a maintenance routine).

A migration's full scan or unbounded read is the job (a backfill walks every row once), not the
application's workload; so is a script run by hand, and so is a routine named as maintenance
(`purge_expired_sessions`, `cleanupOrphans`, `housekeeping`): it runs in the background on a
schedule, and its pass over a table is what it is for. The rules that claim a query is slow because
of how often it scans -- `missing-index` and the other SQL index rules, MongoDB's planner rules
and `unbounded-find` (the rules whose page says `workload = true`) -- stay silent there. One
classification for SQL and MongoDB alike.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.ir import Schema, SqlQuery

# folders of migrations: Django/Rails/knex `migrations`, `migrate`, alembic, Liquibase changesets,
# schema deltas and upgrades
MIGRATION_DIRS = frozenset(
    {
        "migrations",
        "migration",
        "migrate",
        "alembic",
        "delta",
        "deltas",
        "upgrade",
        "upgrades",
        "changeset",
        "changesets",
    }
)
# folders of operators' scripts: run by hand or by a deploy, over everything
SCRIPT_DIRS = frozenset({"scripts", "script", "bin", "seed", "seeds", "seeders", "tools", "setup", "maintenance"})
# a file named as one step of a sequence, whatever its folder: a version (formio's updates/3.0.1.js),
# a number or timestamp first (Django's 0001_initial.py, knex's 20220331085057_add_x.js, golang-migrate's
# 000001_x.up.sql), Flyway's V1__x.sql
_STEP = re.compile(r"^(v?\d+\.\d+\.\d+|\d{4,}[-_].*|V\d+(_\d+)*__.*)$")


# a file named as an upgrade step, as its folder may be (temboard's share/sql/upgrade-monitoring-purge-instances.sql),
# or as an update from one version to the next (sat-pubsub's db/libervia_pubsub_update_5_7.sql, `update-1.2-to-1.3`)
_UPGRADE = re.compile(r"(^|[-_.])(upgrades?($|[-_.])|update[-_.]v?\d+([-_.](to[-_.])?v?\d+)+($|[-_.]))", re.IGNORECASE)


# a file that undoes a migration step, run only to go back: golang-migrate's and sqlx's `1_init.down.sql`,
# postgrator's `001.undo.sql` (beside `001.do.sql`), diesel's `<step>/down.sql`, Flyway's `U1__init.sql`
_UNDO = re.compile(r"(^|[._-])(down|undo|rollback)$|^U\d+(_\d+)*__", re.IGNORECASE)


def undo_path(path: str) -> bool:
    """A `.sql` file that undoes a migration step, by its name: none of the schema's history."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.lower().endswith(".sql") and bool(_UNDO.search(name[:-4]))


def migration_path(path: str) -> bool:
    """A migration step (or the file that undoes one), by its folder or its name."""
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    return (
        undo_path(path)
        or bool(MIGRATION_DIRS & {p.lower() for p in parts[:-1]})
        or "migrat" in name.lower()
        or bool(_UPGRADE.search(name.rsplit(".", 1)[0]))
        or bool(_STEP.match(name.rsplit(".", 1)[0]))
    )


def script_path(path: str) -> bool:
    """An operator's script, by its folder."""
    return bool(SCRIPT_DIRS & {p.lower() for p in path.replace("\\", "/").split("/")[:-1]})


def runs_once(path: str) -> bool:
    """Code at `path` runs once by design: a migration step or a script."""
    return migration_path(path) or script_path(path)


# the words that name a maintenance routine (or a one-off one) in a function's or class's name, split at
# underscores and case changes: `cleanExpired`, `_purge_history_txn`, `statements_purge`, `reap_users`
MAINTENANCE_WORDS = frozenset(
    {
        "cleanup",
        "purge",
        "prune",
        "housekeeping",
        "sweep",
        "sweeper",
        "vacuum",
        "reap",
        "reaper",
        "cull",
        "expire",
        "expired",
        "retention",
        "orphan",
        "orphans",
        "orphaned",
        "reconcile",
        "reconciliation",
        "stale",
        "gc",
        "backfill",
        "migration",  # `_run_db_migrations`: the schema's upgrade steps, run once per database
        "migrations",
    }
)
# verbs that name a maintenance routine when the name starts with them: a recovery pass after a crash or a
# lost worker (`recoverStalledJobs`, `reclaimInactiveLanes`, `repairIndexes`), a data migration written as a
# function (`migrateLegacyFields`); as another word they may name a request's object (`sendRecoveryEmail`)
MAINTENANCE_VERBS = frozenset({"recover", "reclaim", "repair", "heal", "quarantine", "migrate"})
# a name that asks about one thing (`isExpired(token)`, `has_stale_lock`) is a test run on a request, not a pass
_PREDICATE = frozenset({"is", "has", "was", "check", "should", "can", "will", "needs"})
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def name_words(name: str) -> list[str]:
    """`cleanExpiredJobs` -> clean, expired, jobs; `_purge_history_txn` -> purge, history, txn."""
    return [w.lower() for w in _WORD.findall(name)]


def maintenance(scope: tuple[str, ...]) -> bool:
    """A function (or class) the code is written in is named as maintenance: a cleanup, purge, prune,
    expiry, retention, reconciliation or recovery pass, a sweeper or reaper, a backfill or data migration
    (MAINTENANCE_WORDS; MAINTENANCE_VERBS first; `clean up` in two words too), not a question about one
    thing (`isExpired`)."""
    for name in scope:
        words = name_words(name)
        if not words or words[0] in _PREDICATE:
            continue  # `_` names nothing; `is_expired` asks about one thing
        if (
            MAINTENANCE_WORDS.intersection(words)
            or words[0] in MAINTENANCE_VERBS
            or any(a == "clean" and b == "up" for a, b in zip(words, words[1:]))
        ):
            return True
    return False


# the verbs of a getter (`getAllRoles`, `fetch_all`, `findAll`, `listAll`): with `all` after them, or `all` first
# (`all_jobs`), the function is named as returning every one of something
_GETTERS = frozenset({"get", "find", "fetch", "load", "read", "list", "select", "query"})


def returns_all(scope: tuple[str, ...]) -> bool:
    """The function the code is written in (the innermost) is named as returning every one of something:
    `getAllRoles`, `get_all_users`, `GetAllEvents`, `all_jobs`. Reading the whole match is its contract, not
    an oversight (a listing that pages, `listUsers`, is not named so)."""
    words = name_words(scope[0]) if scope else []
    return bool(words) and (words[0] == "all" or (words[0] in _GETTERS and words[1:2] == ["all"]))


def off_workload(path: str, scope: tuple[str, ...]) -> bool:
    """Code that runs once (a migration step, a script) or in a maintenance routine: not workload."""
    return runs_once(path) or maintenance(scope)


# schema files by their usual paths: Rails' structure.sql, folders named schema / ddl / patches
_SCHEMA_SQL_PATH = re.compile(
    r"(^|/)(schema|schemas|ddl|patches)/[^/]*\.sql$|(^|/)(V\d+(_\d+)*__[^/]*|\d+[_-][^/]*|[^/]*\.(up|down)|"
    r"structure|schema)\.sql$",
    re.IGNORECASE,
)


def one_off(path: str, schema: Schema) -> bool:
    """A statement of a migration, a script or a schema file: run once (a data backfill), not workload."""
    path = path.replace("\\", "/")
    if runs_once(path) or _SCHEMA_SQL_PATH.search(path):
        return True
    from advisor.ir import code_file

    if code_file(path):
        return False  # a module whose strings hold schema (a store's init()) runs the application's statements too
    if path in schema.files:
        return True
    # a file that defines tables (or, in SQL, indexes) of the schema; an index declared from code,
    # createIndex or a background update, does not make its module a migration
    return any(
        t.location is not None and t.location.path == path and not t.temporary for t in schema.tables.values()
    ) or (path.endswith(".sql") and any(i.location is not None and i.location.path == path for i in schema.indexes))


def off_workload_statement(query: SqlQuery, schema: Schema, defines: bool = False) -> bool:
    """A statement that is not the application's workload: one a registered one-off job runs, one a generated
    module holds that the application's own code never names, one in a maintenance routine, or one of a migration, a script or a schema file -- unless it is the definition of a
    view or a function (`defines`: it runs on every use), or a statement inside a function defined outside
    the migrations (a function body in a migration is the function as it was then: a later migration or the
    schema snapshot replaces it, and only the current definition runs; nor one a later definition of its function
    replaces, wherever it stands).  The rules with `workload = true` are
    silent on such a statement, and `--explain` does not plan it."""
    if query.runs_once or query.catalogued or maintenance(query.scope) or _replaced(query, schema):
        return True
    if not one_off(query.location.path, schema):
        return False
    in_body = "function" in (query.origin or "") and not migration_path(query.location.path)
    return not (defines or in_body)


def _replaced(query: SqlQuery, schema: Schema) -> bool:
    """A statement of a function body whose definition a later one of the same name replaces: the function as it
    was then, which no longer runs."""
    if "function" not in (query.origin or ""):
        return False
    at = query.location
    return any(d.path == at.path and d.line <= at.line <= (d.end_line or d.line) for d in schema.replaced_routines)
