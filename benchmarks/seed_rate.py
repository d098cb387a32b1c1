"""Seeding rate: rows per second for a 6-column table generated inside the server.

    .venv/bin/python benchmarks/seed_rate.py [rows]
"""

import sys
import tempfile
import time
from pathlib import Path

from advisor.seed.generate import seed_database
from advisor.seed.load import load_schema
from advisor.seed.server import connect, temporary_server
from advisor.seed.settings import ColumnShape, SeedSettings

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
server = temporary_server()
server.start()
try:
    with connect(server.conninfo(), autocommit=True) as conn:
        ddl = Path(tempfile.mkdtemp()) / "s.sql"
        ddl.write_text("CREATE TABLE events (id bigint PRIMARY KEY, user_id int NOT NULL, kind text NOT NULL, "
                       "amount numeric(12,2), created_at timestamptz NOT NULL, payload jsonb);")
        load_schema(conn, [ddl])
        settings = SeedSettings(rows=rows)
        settings.columns[("events", "kind")] = ColumnShape(values=["a", "b", "c", "d"], skew=1.5)
        settings.columns[("events", "user_id")] = ColumnShape(distinct=10000)
        started = time.perf_counter()
        seed_database(conn, settings)
        seconds = time.perf_counter() - started
    print(f"{rows:,} rows in {seconds:.2f} s (incl. ANALYZE): {rows / seconds:,.0f} rows/s")
finally:
    server.stop()
