"""Seeding rate: rows per second for a 6-column table generated inside the server.

    .venv/bin/python benchmarks/seed_rate.py [rows] [runs]

Compares `seed_database` with a named baseline measured in the same run on the same
server: `raw INSERT`, a plain `INSERT INTO events SELECT g, g % 10000, 'a', ..., now(),
NULL FROM generate_series(1, N) g` into the same table (primary key included), then
ANALYZE -- the server's own insert speed for this table shape, with constant-ish values.
Each measurement runs in a fresh database, `runs` times (default 3), interleaved; the
best of each is reported (the machine may be shared, so the best is the least disturbed).

`seed_database (defaults)` seeds a second schema with no column settings at all, so every
column takes the generator's defaults: a foreign key to a users table (a tenth of the rows), a
status list, a flag with a default, nullable columns and a second timestamp (orders and
their 1/10 users, both counted).
"""

import sys
import tempfile
import time
import uuid
from pathlib import Path

from advisor.seed.generate import seed_database
from advisor.seed.load import load_schema
from advisor.seed.server import connect, temporary_server
from advisor.seed.settings import ColumnShape, SeedSettings

DDL = ("CREATE TABLE events (id bigint PRIMARY KEY, user_id int NOT NULL, kind text NOT NULL, "
       "amount numeric(12,2), created_at timestamptz NOT NULL, payload jsonb);")
DEFAULTS_DDL = ("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, "
                "created_at timestamptz NOT NULL DEFAULT now());"
                "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id), "
                "status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled')), "
                "is_gift boolean NOT NULL DEFAULT false, note text, amount numeric(12,2), "
                "created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz, deleted_at timestamptz);")
BASELINE = ("INSERT INTO events SELECT g, g % 10000, 'a', (g % 100000) * 0.01, now(), NULL "
            "FROM generate_series(1, {rows}) AS g")


def fresh_database(server) -> str:
    name = "bench_" + uuid.uuid4().hex[:8]
    with connect(server.conninfo(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return name


def drop_database(server, name: str) -> None:
    with connect(server.conninfo(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def time_baseline(server, rows: int) -> float:
    name = fresh_database(server)
    try:
        with connect(server.conninfo(name), autocommit=True) as conn:
            conn.execute(DDL)
            started = time.perf_counter()
            conn.execute(BASELINE.format(rows=rows))
            conn.execute("ANALYZE events")
            return time.perf_counter() - started
    finally:
        drop_database(server, name)


def _timed_seed(server, ddl_text: str, settings: SeedSettings) -> float:
    """Seconds seed_database takes on a fresh database holding `ddl_text`'s schema."""
    name = fresh_database(server)
    try:
        with connect(server.conninfo(name), autocommit=True) as conn:
            ddl = Path(tempfile.mkdtemp()) / "s.sql"
            ddl.write_text(ddl_text)
            load_schema(conn, [ddl])
            started = time.perf_counter()
            seed_database(conn, settings)
            return time.perf_counter() - started
    finally:
        drop_database(server, name)


def time_seed(server, rows: int) -> float:
    settings = SeedSettings(rows=rows)
    settings.columns[("events", "kind")] = ColumnShape(values=["a", "b", "c", "d"], skew=1.5)
    settings.columns[("events", "user_id")] = ColumnShape(distinct=10000)
    return _timed_seed(server, DDL, settings)


def time_seed_defaults(server, rows: int) -> float:
    return _timed_seed(server, DEFAULTS_DDL, SeedSettings(rows=rows, tables={"users": rows // 10}))


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    server = temporary_server()
    server.start()
    try:
        baseline, seed, defaults = [], [], []
        for _ in range(runs):  # interleaved, so a noisy neighbour disturbs all alike
            baseline.append(time_baseline(server, rows))
            seed.append(time_seed(server, rows))
            defaults.append(time_seed_defaults(server, rows))
    finally:
        server.stop()
    for label, times, n in (("raw INSERT (baseline)", baseline, rows), ("seed_database", seed, rows),
                            ("seed_database (defaults)", defaults, rows + rows // 10)):
        best = min(times)
        runs_ = ", ".join(f"{t:.2f}" for t in times)
        print(f"{label:25s} {n:,} rows in {best:.2f} s (best of {runs}: {runs_}; incl. ANALYZE): "
              f"{n / best:,.0f} rows/s")
    print(f"seed_database / baseline: {min(baseline) / min(seed):.2f}x the raw INSERT rate")


if __name__ == "__main__":
    main()
