"""Load a table from a CSV file (header row naming the columns) with COPY."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from advisor.seed.server import DatabaseError, error_line


def load_csv(conn, table, path: str) -> int:
    """The rows loaded; a file the header or COPY cannot read is a DatabaseError naming the file and line."""
    import psycopg

    file = Path(path)
    if not file.is_file():
        raise DatabaseError(f"{path}: CSV file for table {table.name} not found")
    with file.open("rb") as fh:
        first = fh.readline(1 << 20)  # the header only: a bad byte in a later row is COPY's to place
    try:
        header = next(csv.reader(io.StringIO(first.decode("utf-8"), newline="")), None)
    except UnicodeDecodeError:
        raise DatabaseError(f"{path}:1: the CSV header is not UTF-8 text") from None
    except csv.Error as exc:  # a field over the csv module's limit, a NUL byte
        raise DatabaseError(f"{path}:1: the CSV header cannot be read ({exc})") from None
    if not header:
        raise DatabaseError(f"{path}: CSV file is empty (expected a header row naming the columns)")
    unknown = [h for h in header if h.strip() not in table.columns]
    if unknown:
        raise DatabaseError(f"{path}:1: column(s) {', '.join(unknown)} not in table {table.name}")
    cols = ", ".join('"' + h.strip().replace('"', '""') + '"' for h in header)
    try:
        with conn.transaction():
            with conn.cursor() as cur:
                with cur.copy(f"COPY {table.qname} ({cols}) FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                    with file.open("rb") as fh:
                        while chunk := fh.read(1 << 20):
                            copy.write(chunk)
    except psycopg.Error as exc:  # a byte sequence that is not UTF-8, a value of the wrong type: where COPY says
        line = re.search(r"\bline (\d+)", getattr(exc.diag, "context", None) or "")
        raise DatabaseError(f"{path}:{line.group(1) if line else 1}: {error_line(exc)}") from None
    return conn.execute(f"SELECT count(*) FROM {table.qname}").fetchone()[0]
