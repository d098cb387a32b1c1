"""Production statistics without production data.

`export_stats` reads pg_class (relpages, reltuples, relallvisible) and pg_stats
for the user tables of a server into a small JSON file; `restore_stats` puts
them into the seeded database with PostgreSQL 18's `pg_restore_relation_stats`
and `pg_restore_attribute_stats`, so plans see production's cardinalities.

The planner does not take `reltuples` as it is: it scales the tuple density
(reltuples / relpages) by the table's *current* size on disk.  A seeded table of
a few pages restored with production's relpages would be estimated at a few
pages' worth of production rows.  So a table's relpages (and relallvisible, in
proportion) are restored as the seeded table's own page count: the row
estimates are production's, while page costs stay those of the seeded data.
"""

from __future__ import annotations

import json

from advisor.seed.server import connect

# pg_stats columns exported when the server has them (the range_* ones are PostgreSQL 17+)
STAT_FIELDS = (
    "null_frac",
    "avg_width",
    "n_distinct",
    "most_common_vals",
    "most_common_freqs",
    "histogram_bounds",
    "correlation",
    "most_common_elems",
    "most_common_elem_freqs",
    "elem_count_histogram",
    "range_length_histogram",
    "range_empty_frac",
    "range_bounds_histogram",
)
# how each is passed to pg_restore_attribute_stats (anyarray ones as their text form)
_CASTS = {
    "null_frac": "real",
    "avg_width": "int",
    "n_distinct": "real",
    "correlation": "real",
    "most_common_freqs": "real[]",
    "most_common_elem_freqs": "real[]",
    "elem_count_histogram": "real[]",
    "range_empty_frac": "real",
}
_NUMERIC = {"null_frac", "avg_width", "n_distinct", "correlation", "range_empty_frac"}
# the fields that hold column VALUES (names, emails, addresses...), with the frequencies that
# mean nothing without them: exported only when asked (`--with-values`)
VALUE_FIELDS = {
    "most_common_vals",
    "most_common_freqs",
    "histogram_bounds",
    "most_common_elems",
    "most_common_elem_freqs",
    "range_bounds_histogram",
}


def export_stats(dsn: str, output: str, *, with_values: bool = False) -> tuple[int, int]:
    """Table and column statistics of `dsn`'s user tables into `output`: counts, null fractions,
    distinct counts, correlation and widths; column values only `with_values`."""
    with connect(dsn, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = on")
        tables = conn.execute("""
            SELECT n.nspname, c.relname, c.relpages, c.reltuples, c.relallvisible
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2""").fetchall()
        present = {
            r[0]
            for r in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = 'pg_catalog.pg_stats'::regclass AND attnum > 0"
            )
        }
        fields = [f for f in STAT_FIELDS if f in present and (with_values or f not in VALUE_FIELDS)]
        columns = conn.execute(f"""
            SELECT schemaname, tablename, attname, inherited, {
            ", ".join(f if f in _NUMERIC else f + "::text" for f in fields)
        }
            FROM pg_stats WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
              AND schemaname NOT LIKE 'pg_toast%'
            ORDER BY 1, 2, 3, 4""").fetchall()
    data = {
        "version": 1,
        "values": with_values,
        "tables": [
            {"schema": s, "table": t, "relpages": p, "reltuples": r, "relallvisible": v} for s, t, p, r, v in tables
        ],
        "columns": [
            {k: v for k, v in zip(("schema", "table", "column", "inherited", *fields), row) if v is not None}
            for row in columns
        ],
    }
    from advisor.files import write_output

    write_output(output, json.dumps(data, indent=1, default=str) + "\n")
    return len(tables), len(columns)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def restore_stats(conn, path: str) -> list[str]:
    """Restore the file's statistics into `conn`'s database; notes on what could not be restored."""
    notes: list[str] = []
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or data.get("version") != 1:
        return [f"{path}: not an advisor statistics file (advisor stats export writes version 1)"]
    version = conn.info.server_version
    if version < 180000:
        return [
            f"seed.stats needs PostgreSQL 18 or later to restore statistics (pg_restore_relation_stats); "
            f"this server is {version // 10000}: planning on the seeded data's own statistics"
        ]
    warnings: list[str] = []

    def on_notice(diag) -> None:
        if diag.severity in ("WARNING", "ERROR"):
            warnings.append(diag.message_primary or "")

    # (schema, table) -> (relkind, pages on disk now) for the tables of the seeded database
    here = {
        (s, t): (k, p)
        for s, t, k, p in conn.execute("""
        SELECT n.nspname, c.relname, c.relkind::text,
               (pg_relation_size(c.oid) / current_setting('block_size')::int)::int
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p')""").fetchall()
    }
    missing: list[str] = []
    conn.add_notice_handler(on_notice)
    try:
        for t in data.get("tables", []):
            key = (t["schema"], t["table"])
            if key not in here:
                missing.append(f"{t['schema']}.{t['table']}")
                continue
            relkind, pages = here[key]
            relpages, reltuples, allvisible = t.get("relpages"), t.get("reltuples"), t.get("relallvisible")
            if relkind == "r" and relpages and reltuples is not None and reltuples > 0:
                if pages == 0:
                    notes.append(
                        f"stats for {t['table']}: the seeded table is empty, so the planner "
                        f"ignores its {reltuples:,.0f} production rows; seed at least one row"
                    )
                else:  # density x current pages = production's row count (see the module docstring)
                    allvisible = min(pages, round((allvisible or 0) / relpages * pages))
                    relpages = pages
            del warnings[:]
            try:
                with conn.transaction():
                    ok = conn.execute(
                        """SELECT pg_restore_relation_stats('schemaname', %s::text, 'relname', %s::text,
                                    'relpages', %s::int, 'reltuples', %s::real, 'relallvisible', %s::int)""",
                        (t["schema"], t["table"], relpages, reltuples, allvisible),
                    ).fetchone()[0]
            except Exception as exc:  # noqa: BLE001
                notes.append(f"stats for {t['table']} not restored: {_first_line(exc)}")
                continue
            if not ok:
                notes.append(f"stats for {t['table']} partly restored: {'; '.join(warnings) or 'rejected'}")
        for c in data.get("columns", []):
            if (c["schema"], c["table"]) not in here:
                continue  # reported once per table above
            args = [
                "'schemaname'",
                "%s::text",
                "'relname'",
                "%s::text",
                "'attname'",
                "%s::text",
                "'inherited'",
                "%s::bool",
            ]
            values = [c["schema"], c["table"], c["column"], c["inherited"]]
            for f in STAT_FIELDS:
                if c.get(f) is None:
                    continue
                args += [f"'{f}'", f"%s::{_CASTS.get(f, 'text')}"]
                values.append(c[f])
            del warnings[:]
            try:
                with conn.transaction():
                    ok = conn.execute(f"SELECT pg_restore_attribute_stats({', '.join(args)})", values).fetchone()[0]
            except Exception as exc:  # noqa: BLE001
                notes.append(f"stats for {c['table']}.{c['column']} not restored: {_first_line(exc)}")
                continue
            if not ok:
                notes.append(
                    f"stats for {c['table']}.{c['column']} partly restored: {'; '.join(warnings) or 'rejected'}"
                )
    finally:
        conn.remove_notice_handler(on_notice)
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        notes.append(f"stats for {len(missing)} table(s) not in the seeded schema skipped: {shown}")
    return notes
