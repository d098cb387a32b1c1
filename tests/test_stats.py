"""`advisor stats export` on a "production" server, then `advisor seed` of a tiny project with
that file: the seeded database plans with production's cardinalities, not its own few rows."""

import json
import re

import psycopg
import pytest
from click.testing import CliRunner

from tests.conftest_db import pg_server, user_server  # noqa: F401

PASSWORD = "s3cret-Pw-17"
SCHEMA = """
CREATE TABLE orders (
    id       bigint PRIMARY KEY,
    status   text NOT NULL,
    customer int NOT NULL,
    amount   numeric(12, 2)
);
"""
PROD_ROWS = 120_000
SEED_ROWS = 40


def _cli():
    from advisor.cli import main
    from advisor.cli_db import register

    if "stats" not in main.commands:
        register(main)
    return main


def _with_password(conninfo: str) -> str:
    return f"{conninfo} password={PASSWORD}"  # trust auth: ignored by the server, a secret to the tool


@pytest.fixture(scope="module")
def production(user_server):  # noqa: F811
    """A database on the 'user' server with a skewed, analysed orders table."""
    name = "stats_prod"
    with psycopg.connect(user_server.conninfo(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(user_server.conninfo(name), autocommit=True) as conn:
        conn.execute(SCHEMA)
        # 90% done, 9% open, 1% failed; customer: 5000 distinct
        conn.execute(f"""INSERT INTO orders
            SELECT g, CASE WHEN g % 100 < 90 THEN 'done' WHEN g % 100 < 99 THEN 'open' ELSE 'failed' END,
                   g % 5000, (g % 997) * 1.5
            FROM generate_series(1, {PROD_ROWS}) g""")
        conn.execute("ANALYZE orders")
    yield user_server.conninfo(name)
    with psycopg.connect(user_server.conninfo(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _export(tmp_path, dsn, *extra):
    out = tmp_path / "prod-stats.json"
    result = CliRunner().invoke(_cli(), ["stats", "export", "--dsn", dsn, "-o", str(out), *extra])
    return result, out


def test_export_writes_no_column_values_by_default(production, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result, out = _export(tmp_path, production)
    assert result.exit_code == 0, result.output
    assert "no column values" in result.output
    text = out.read_text()
    data = json.loads(text)
    assert data["values"] is False
    for value in ("done", "open", "failed"):  # the status column's values never leave the server
        assert value not in text
    status = next(c for c in data["columns"] if c["table"] == "orders" and c["column"] == "status")
    assert not {"most_common_vals", "most_common_freqs", "histogram_bounds"} & set(status)
    assert status["n_distinct"] == 3 and status["null_frac"] == 0


def test_export_then_seed_restores_production_cardinalities(production, pg_server, tmp_path,  # noqa: F811
                                                             monkeypatch):
    monkeypatch.chdir(tmp_path)
    result, out = _export(tmp_path, _with_password(production), "--with-values")
    assert result.exit_code == 0, result.output
    assert "1 tables" in result.output and out.exists()
    text = out.read_text()
    assert PASSWORD not in text and PASSWORD not in result.output
    data = json.loads(text)
    exported = {t["table"]: t for t in data["tables"]}
    assert exported["orders"]["reltuples"] == pytest.approx(PROD_ROWS, rel=0.01)
    status = next(c for c in data["columns"] if c["table"] == "orders" and c["column"] == "status")
    assert status["most_common_vals"] == "{done,open,failed}"

    project = tmp_path / "shop"
    project.mkdir()
    (project / "schema.sql").write_text(SCHEMA)
    (project / "queries.sql").write_text("SELECT id FROM orders WHERE status = 'failed';\n")
    (project / "prod-stats.json").write_text(text)
    (project / "advisor.toml").write_text(
        f'dialect = "postgres"\nschema = ["schema.sql"]\n\n[seed]\nrows = {SEED_ROWS}\nstats = "prod-stats.json"\n')
    seeded = CliRunner().invoke(_cli(), ["seed", str(project), "--dsn", pg_server.conninfo(), "--keep"])
    assert seeded.exit_code == 0, seeded.output
    assert "not restored" not in seeded.output and "partly restored" not in seeded.output, seeded.output
    dsn = seeded.stdout.strip().splitlines()[-1]
    dbname = re.search(r"dbname=(\S+)", dsn).group(1)
    assert dbname.startswith("advisor_scratch_")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == SEED_ROWS
            reltuples = conn.execute("SELECT reltuples FROM pg_class WHERE relname = 'orders'").fetchone()[0]
            assert reltuples == pytest.approx(exported["orders"]["reltuples"])
            stats = {r[0]: r[1:] for r in conn.execute(
                "SELECT attname, most_common_vals::text, most_common_freqs, n_distinct FROM pg_stats "
                "WHERE tablename = 'orders'").fetchall()}
            by_column = {c["column"]: c for c in data["columns"] if c["table"] == "orders"}
            mcv, freqs, n_distinct = stats["status"]
            assert mcv == by_column["status"]["most_common_vals"] == "{done,open,failed}"
            assert freqs == pytest.approx(json.loads(by_column["status"]["most_common_freqs"].replace("{", "[")
                                                      .replace("}", "]")))
            assert n_distinct == pytest.approx(by_column["status"]["n_distinct"]) == 3
            assert stats["customer"][2] == pytest.approx(by_column["customer"]["n_distinct"])
            # the planner's estimates are production's, not the 40 seeded rows'
            whole = conn.execute("EXPLAIN (FORMAT JSON) SELECT * FROM orders").fetchone()[0][0]["Plan"]
            assert whole["Plan Rows"] == pytest.approx(PROD_ROWS, rel=0.02)
            failed = conn.execute("EXPLAIN (FORMAT JSON) SELECT id FROM orders WHERE status = 'failed'") \
                .fetchone()[0][0]["Plan"]
            assert failed["Plan Rows"] == pytest.approx(PROD_ROWS * 0.01, rel=0.3)
            assert failed["Plan Rows"] > SEED_ROWS * 10
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def test_export_error_masks_password(tmp_path, monkeypatch, pg_server):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    dsn = _with_password(pg_server.conninfo("no_such_database"))
    result, out = _export(tmp_path, dsn)
    assert result.exit_code == 2
    assert "no_such_database" in result.output and PASSWORD not in result.output
    assert not out.exists()


def test_restore_skips_unknown_tables_with_one_note(pg_server, tmp_path):  # noqa: F811
    from advisor.seed.stats import restore_stats

    path = tmp_path / "stats.json"
    path.write_text(json.dumps({"version": 1, "tables": [
        {"schema": "public", "table": f"gone_{i}", "relpages": 10, "reltuples": 1000.0, "relallvisible": 0}
        for i in range(7)], "columns": [
        {"schema": "public", "table": "gone_1", "column": "x", "inherited": False, "null_frac": 0.0}]}))
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        notes = restore_stats(conn, str(path))
    assert notes == ["stats for 7 table(s) not in the seeded schema skipped: public.gone_0, public.gone_1, "
                     "public.gone_2, public.gone_3, public.gone_4 and 2 more"]
