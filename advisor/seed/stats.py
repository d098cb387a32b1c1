"""Production statistics without production data.

`export_stats` reads pg_class (relpages, reltuples, relallvisible) and pg_stats
for the user tables of a server into a small JSON file; `restore_stats` puts
them into the seeded database with PostgreSQL 18's `pg_restore_relation_stats`
and `pg_restore_attribute_stats`, so plans see production's cardinalities.
"""

from __future__ import annotations

import json

from advisor.seed.server import connect

STAT_FIELDS = ("null_frac", "avg_width", "n_distinct", "most_common_vals", "most_common_freqs",
               "histogram_bounds", "correlation")


def export_stats(dsn: str, output: str) -> tuple[int, int]:
    with connect(dsn, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = on")
        tables = conn.execute("""
            SELECT n.nspname, c.relname, c.relpages, c.reltuples, c.relallvisible
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2""").fetchall()
        columns = conn.execute(f"""
            SELECT schemaname, tablename, attname, inherited, {', '.join(
                f + '::text' if f in ('most_common_vals', 'histogram_bounds', 'most_common_freqs') else f
                for f in STAT_FIELDS)}
            FROM pg_stats WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
            ORDER BY 1, 2, 3""").fetchall()
    data = {
        "version": 1,
        "tables": [{"schema": s, "table": t, "relpages": p, "reltuples": r, "relallvisible": v}
                   for s, t, p, r, v in tables],
        "columns": [dict(zip(("schema", "table", "column", "inherited") + STAT_FIELDS, row)) for row in columns],
    }
    with open(output, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, default=str)
        fh.write("\n")
    return len(data["tables"]), len(data["columns"])


def restore_stats(conn, path: str) -> list[str]:
    notes = []
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    for t in data.get("tables", []):
        try:
            with conn.transaction():
                conn.execute("""SELECT pg_restore_relation_stats('schemaname', %s::text, 'relname', %s::text,
                                'relpages', %s::int, 'reltuples', %s::real, 'relallvisible', %s::int)""",
                             (t["schema"], t["table"], t["relpages"], t["reltuples"], t["relallvisible"]))
        except Exception as exc:  # noqa: BLE001
            notes.append(f"stats for {t['table']} not restored: {str(exc).splitlines()[0]}")
    for c in data.get("columns", []):
        args = ["'schemaname'", "%s::text", "'relname'", "%s::text", "'attname'", "%s::text",
                "'inherited'", "%s::bool"]
        values = [c["schema"], c["table"], c["column"], c["inherited"]]
        for f in STAT_FIELDS:
            if c.get(f) is None:
                continue
            cast = {"null_frac": "real", "avg_width": "int", "n_distinct": "real", "correlation": "real",
                    "most_common_freqs": "real[]"}.get(f, "text")
            args += [f"'{f}'", f"%s::{cast}"]
            values.append(c[f])
        try:
            with conn.transaction():
                conn.execute(f"SELECT pg_restore_attribute_stats({', '.join(args)})", values)
        except Exception as exc:  # noqa: BLE001
            notes.append(f"stats for {c['table']}.{c['column']} not restored: {str(exc).splitlines()[0]}")
    return notes
