"""Schema rules: duplicate and redundant indexes, foreign keys without an index."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from advisor.checks import Hit, schema_check
from advisor.indexes.candidates import Candidate
from advisor.ir import ForeignKey, IndexDef, IndexKey, Schema
from advisor.oneoff import migration_path
from advisor.sources.mongo_names import run_time


def _describe(index: IndexDef) -> str:
    keys = ", ".join(str(k) for k in index.keys)
    where = f" WHERE {index.where}" if index.where else ""
    method = "" if index.method == "btree" else f" USING {index.method}"
    plugin = f", declared by the plugin {index.options['plugin']}" if index.options.get("plugin") else ""
    return f"{index.table}{method} ({keys}){where}{plugin}"


def _drop(index: IndexDef) -> str:
    if index.method == "mongo":
        from advisor.mongo.shape import drop_index_command

        return drop_index_command(index.table, index.name)
    from advisor.names import quote

    schema = index.options.get("schema")
    prefix = f"{quote(schema)}." if schema else ""  # an index is found in its table's schema, not by search_path
    if index.constraint:
        return f"ALTER TABLE {prefix}{quote(index.table)} DROP CONSTRAINT {quote(index.name)};"
    return f"DROP INDEX CONCURRENTLY {prefix}{quote(index.name)};"


def _kept_first(indexes: list[IndexDef]) -> list[IndexDef]:
    """Constraint-backed and unique indexes first: they enforce a rule, so they are the ones to keep."""
    return sorted(indexes, key=lambda i: (not i.primary, not i.constraint, not i.unique, i.location or ()))


def _group_key(index: IndexDef) -> tuple:
    return (*index.signature(), index.options.get("schema"))  # `audit.users` and `users` are two tables


@schema_check("duplicate-index")
def duplicate_index(schema: Schema):
    groups: dict[tuple, list[IndexDef]] = defaultdict(list)
    for index in schema.indexes:
        if not index.method.startswith("mongo"):  # MongoDB refuses a second key pattern: index-option-conflict
            groups[_group_key(index)].append(index)
    for group in groups.values():
        if len(group) < 2:
            continue
        keep, *extra = _kept_first(group)
        for index in extra:
            if index.location is None or index.primary or index.constraint:
                continue  # never advise dropping a primary key or a constraint (foreign keys may need it)
            yield Hit(
                f"index {index.name} duplicates {keep.name} on {_describe(index)}: every write maintains both, "
                "and the planner only ever needs one",
                index.location,
                help=f"drop it: {_drop(index)}",
                fix=_drop(index),
                subject=f"{index.table}:{index.name}",
            )


def _is_prefix(short: tuple[IndexKey, ...], long: tuple[IndexKey, ...]) -> bool:
    if len(short) >= len(long):
        return False
    if len(short) == 1:  # a one-column B-tree scans both ways: direction does not matter
        return (short[0].expr, short[0].opclass) == (long[0].expr, long[0].opclass)
    if all(a == b for a, b in zip(short, long)):
        return True
    flipped = tuple(replace(k, desc=not k.desc) for k in short)
    return all(a == b for a, b in zip(flipped, long))


def _subset(index: IndexDef) -> str | None:
    """Which rows an index holds, when not all: a SQL partial index's WHERE, a MongoDB index's
    partialFilterExpression (as written: two equal ones hold the same documents)."""
    if index.method == "mongo":
        pfe = index.options.get("partialFilterExpression")
        return repr(pfe) if pfe is not None else None
    return index.where


def _prefix(keys: tuple[IndexKey, ...]) -> object:
    """What a shorter index must equal to be a prefix (`_is_prefix`): one key's expression (a one-column B-tree
    scans both ways), else the keys with their directions."""
    return (keys[0].expr, keys[0].opclass) if len(keys) == 1 else keys


def _longer(schema: Schema) -> dict[tuple, list[tuple[int, IndexDef]]]:
    """Every index under each of its proper prefixes, with its position: the indexes one may be a prefix of are
    found by one lookup, not by comparing every pair (15,000 indexes on one table took minutes)."""
    out: dict[tuple, list[tuple[int, IndexDef]]] = {}
    for position, other in enumerate(schema.indexes):
        base = (other.table, other.method, other.options.get("schema"))
        for n in range(1, len(other.keys)):
            out.setdefault((*base, _prefix(other.keys[:n])), []).append((position, other))
    return out


@schema_check("redundant-index")
def redundant_index(schema: Schema):
    longer = _longer(schema)
    for index in schema.indexes:
        if index.unique or index.constraint or index.method not in ("btree", "mongo") or index.location is None:
            continue
        if run_time(index.table) and not index.options.get("settings"):
            continue  # a collection named at run time: another declaration under its name may be another one
        if schema.small(index.table):
            continue  # on a table that stays small, the extra index costs next to nothing to keep
        base = (index.table, index.method, index.options.get("schema"))
        flipped = tuple(IndexKey(k.expr, k.is_column, not k.desc) for k in index.keys)
        found = longer.get((*base, _prefix(index.keys)), []) + longer.get((*base, _prefix(flipped)), [])
        for _, other in sorted(dict(found).items()):  # by position: each index once, in declaration order
            if other is index or (run_time(index.table) and other.options.get("settings") != index.options["settings"]):
                continue  # one resource's settings (Eve's, registered at run time): their indexes are one collection's
            if _subset(other) != _subset(index) or not _is_prefix(index.keys, other.keys):
                continue  # a partial index holds some rows only: it serves no query of one that holds others
            if index.options.get("through") or other.options.get("through"):
                continue  # keys read through a hook that may change them at run time (hook.alter(...))
            if _upgrade_only(other, index):
                continue
            covered = set(other.columns) | set(other.include)
            if not set(index.include) <= covered:
                continue
            if other.method == "mongo" and (
                _special(other)
                or other.options.get("sparse")
                or other.options.get("expireAfterSeconds") is not None
                or index.options.get("expireAfterSeconds") is not None
            ):
                continue
            yield Hit(
                f"index {index.name} on {_describe(index)} is a prefix of {other.name} on {_describe(other)}: "
                f"{other.name} serves every query it serves",
                index.location,
                help=f"drop it: {_drop(index)}",
                fix=_drop(index),
                subject=f"{index.table}:{index.name}",
                unsized=None if schema.grows(index.table) else index.table,
            )
            break


def _upgrade_only(longer: IndexDef, index: IndexDef) -> bool:
    """A MongoDB index an upgrade step declares, judged against one the application declares: a MongoDB database
    has no schema a migration history replays, so which steps ran on a deployment is not known (formio's update
    scripts run only on databases older than the version the package pins, none on a new install)."""
    return (
        longer.method == "mongo"
        and longer.location is not None
        and index.location is not None
        and migration_path(longer.location.path)
        and not migration_path(index.location.path)
    )


def _special(index: IndexDef) -> bool:
    """A MongoDB index with a text, 2d or 2dsphere key: a text index serves only `$text` queries, a 2dsphere one
    leaves out the documents without its field, so neither serves every query of a plain index on its prefix (a
    hashed key after the prefix does)."""
    from advisor.mongo.candidates import index_fields  # a MongoDB index's only: a SQL run does not load the planner

    return any(kind not in (1, -1, "hashed") for _, kind in index_fields(index))


def _serves_fk(index: IndexDef, fk_columns: tuple[str, ...]) -> bool:
    width = len(fk_columns)
    if index.method == "hash":
        return width == 1 and index.columns[:1] == fk_columns
    return index.method == "btree" and set(index.columns[:width]) == set(fk_columns)


def _leads_with_part_of(index: IndexDef, fk_columns: tuple[str, ...]) -> bool:
    """A whole btree index whose leading columns are some of a composite key's columns: the constraint's
    lookup (`a = $1 AND b = $2 AND c = $3`) seeks on them (synapse's lock tables: (lock_name, lock_key,
    token) serves the key (lock_name, lock_key, write_lock))."""
    leading = []
    for column in index.columns:
        if column not in fk_columns:
            break
        leading.append(column)
    return index.method == "btree" and index.where is None and len(fk_columns) > 1 and bool(leading)


def _implied_by_key_lookup(where: str, columns: tuple[str, ...]) -> bool:
    """`col IS NOT NULL` on the key's own columns: the constraint check's `col = $1` implies it."""
    import re

    conditions = [c.strip() for c in re.split(r"\s+AND\s+", where, flags=re.IGNORECASE)]
    pattern = re.compile(r"\(?\s*\"?(\w+)\"?\s+IS\s+NOT\s+NULL\s*\)?", re.IGNORECASE)
    return all((m := pattern.fullmatch(c)) is not None and m.group(1).lower() in columns for c in conditions)


def _fk_served(schema: Schema, table: str, columns: tuple[str, ...]) -> bool:
    """An index of the table finds the rows of one key value: a whole one, a partial one the key lookup
    implies, or a whole one that leads with some of a composite key's columns (the check seeks on them)."""
    indexes = schema.indexes_on(table)
    return any(
        _serves_fk(i, columns) and (i.where is None or _implied_by_key_lookup(i.where, columns)) for i in indexes
    ) or any(_leads_with_part_of(i, columns) for i in indexes)


def _referenced_rows_stay(schema: Schema, fk: ForeignKey, losing: set[str]) -> bool:
    """The constraint's check never runs: the project owns the referenced table (creates it and adds its rows
    with statements advisor read), and none of its statements deletes a row of it, itself or through a cascade
    (`losing`), or sets the referenced columns. A table the project only reads is another's, whose rows may go
    elsewhere."""
    changes = schema.changes
    parent = schema.tables.get(fk.ref_table)
    if changes.unknown or parent is None or parent.location is None or fk.ref_table not in changes.added:
        return False
    if fk.ref_table in losing:
        return False
    updated = changes.set_columns.get(fk.ref_table, set())
    return "*" not in updated and not updated & set(fk.ref_columns or parent.primary_key)


def _losing_rows(schema: Schema) -> set[str]:
    """The tables whose rows the project's statements delete: by name, a partition or an inheritance child
    counted for its parents too, and every table a key with ON DELETE CASCADE ties to one of them."""
    out: set[str] = set()
    todo = list(schema.changes.deleted)
    while todo:
        name = todo.pop()
        if name in out:
            continue
        out.add(name)
        known = schema.tables.get(name)
        if known is not None:
            todo += [p for p in (known.partition_of, *known.inherits) if p]
        todo += [
            t.name
            for t in schema.tables.values()
            for fk in t.foreign_keys
            if fk.ref_table == name and fk.on_delete == "CASCADE"
        ]
    return out


@schema_check("unindexed-foreign-key")
def unindexed_foreign_key(schema: Schema):
    seen: set[tuple[str, tuple[str, ...]]] = set()
    losing = _losing_rows(schema)
    for table in schema.tables.values():
        if table.partition_of or not table.foreign_keys:
            continue  # the parent's foreign keys and indexes speak for its partitions
        if not table.partition_by and schema.inherited(table.name):
            continue  # an inheritance parent: its children hold the rows, each with its own keys (not inherited)
        read = schema.scanned(table.name)
        for fk in table.foreign_keys:
            key = (table.name, fk.columns)
            if (
                key in seen
                or fk.location is None
                or schema.small(table.name)
                or _referenced_rows_stay(schema, fk, losing)
            ):
                continue  # a table that stays small (Schema.small) is cheap to scan for the referencing rows
            seen.add(key)
            # a partitioned table's key is checked on each partition, by the indexes each has
            bare = [t for t in read if not _fk_served(schema, t, fk.columns)]
            if not bare:
                continue
            serving = [i for i in schema.indexes_on(bare[0]) if _serves_fk(i, fk.columns)]
            cols = ", ".join(fk.columns)
            ddl = Candidate(table.name, tuple(IndexKey(c) for c in fk.columns)).placed(schema).ddl()
            if serving:
                partial = serving[0]
                message = (
                    f"foreign key {table.name}({cols}) → {fk.ref_table} is indexed only by the partial index "
                    f"{partial.name} (WHERE {partial.where}): the checks of ON DELETE/UPDATE on {fk.ref_table} "
                    f"look for every referencing row, so they cannot use it and scan {table.name}"
                )
            else:
                message = (
                    f"foreign key {table.name}({cols}) → {fk.ref_table} has no index: deleting or updating a row of "
                    f"{fk.ref_table} scans {table.name}, and joins on it cannot use an index"
                )
            yield Hit(
                message,
                fk.location,
                help=f"index the referencing columns without a WHERE: {ddl} If {table.name} stays small, give its size "
                f"([seed.tables.{table.name}] rows = 100) and advisor leaves it be",
                fix=ddl,
                subject=f"{table.name}({cols})",
                withheld=next((t for t in [table.name, *read] if not schema.complete(t)), None),
                unsized=None if schema.grows(table.name) else table.name,
            )
