"""Load a table from a CSV file (header row naming the columns) with COPY."""

from __future__ import annotations

import csv
from pathlib import Path

from advisor.seed.server import DatabaseError


def load_csv(conn, table, path: str) -> int:
    file = Path(path)
    if not file.is_file():
        raise DatabaseError(f"{path}: CSV file for table {table.name} not found")
    with file.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh), None)
    if not header:
        raise DatabaseError(f"{path}: CSV file is empty (expected a header row naming the columns)")
    unknown = [h for h in header if h.strip() not in table.columns]
    if unknown:
        raise DatabaseError(f"{path}:1: column(s) {', '.join(unknown)} not in table {table.name}")
    cols = ", ".join('"' + h.strip().replace('"', '""') + '"' for h in header)
    with conn.transaction():
        with conn.cursor() as cur:
            with cur.copy(f"COPY {table.qname} ({cols}) FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                with file.open("rb") as fh:
                    while chunk := fh.read(1 << 20):
                        copy.write(chunk)
    return conn.execute(f"SELECT count(*) FROM {table.qname}").fetchone()[0]
