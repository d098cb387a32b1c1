"""`--dsn` on PostgreSQL before 16 (no EXPLAIN (GENERIC_PLAN)): a real older server, started by the test run.

The server is Debian's postgresql-<v> package (/usr/lib/postgresql/<v>/bin), run through advisor's own
EmbeddedServer (initdb into a temporary directory, a unix socket there, an unprivileged user when the
tests run as root).  In CI (`CI` set) missing binaries fail the tests: .ci/run installs the package.
"""

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.explain.plan import parse_plan

ROOT = Path(__file__).resolve().parent.parent
OLDER_VERSIONS = ("15",)  # the older PostgreSQL Debian offers on the CI machine
# statements of dchat that fail on every PostgreSQL: a column pg_stat_user_indexes does not have, an extension
# not installed (explain-error is right there)
BROKEN_EVERYWHERE = "fixtures/dchat/queries/monitoring.sql"
PARAM_QUERY = "SELECT id, content FROM messages WHERE group_id = $1 ORDER BY timestamp DESC LIMIT 20"


def _cli():
    from advisor.cli import main
    from advisor.cli_db import register

    if "indexes" not in main.commands:
        register(main)
    return main


@pytest.fixture(scope="session", params=OLDER_VERSIONS)
def older_server(request):
    """A PostgreSQL <version> server of the test session, on a unix socket in its temporary directory."""
    from advisor.seed.server import temporary_server

    bin_dir = Path(f"/usr/lib/postgresql/{request.param}/bin")
    if not (bin_dir / "postgres").exists() or not (bin_dir / "initdb").exists():
        message = (f"PostgreSQL {request.param} is not installed ({bin_dir}): "
                   f"apt-get install postgresql-{request.param} (.ci/run does it)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = temporary_server()
    server.bin_dir = bin_dir
    server.start()
    yield server
    server.stop()


def _dsn(server, db="postgres", user="postgres"):
    return f"postgresql://{user}@/{db}?host={server.socket_dir}&port=5432"


def _version(server) -> int:
    from advisor.seed.server import connect

    with connect(server.conninfo(), autocommit=True) as conn:
        return conn.info.server_version


def _findings(args):
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["findings"]


def _scanned(finding) -> bool:
    """A seq-scan-large-table finding, or a finding carrying one as its plan's evidence (advisor.explain.findings)."""
    plan = finding.get("metrics", {}).get("plan", [])
    return finding["name"] == "seq-scan-large-table" or any(p["rule"] == "seq-scan-large-table" for p in plan)


def test_server_is_older_than_generic_plan(older_server):
    from advisor.explain.stage import GENERIC_PLAN_SINCE

    assert _version(older_server) < GENERIC_PLAN_SINCE  # the PREPARE path is what these tests exercise


def test_check_explain_gives_plans_and_verified_advice(older_server, monkeypatch):
    monkeypatch.chdir(ROOT)
    old = _findings(["--dsn", _dsn(older_server), "fixtures/dchat"])
    errors = [f for f in old if f["name"] == "explain-error"]
    assert errors and all(f["path"] == BROKEN_EVERYWHERE for f in errors), errors
    assert any(_scanned(f) and "$1" in f["query"] for f in old)
    verified = [f for f in old if f["name"] == "missing-index" and f["evidence"] == "measured"
                and "verified on seeded data" in f["message"]]
    assert any("$1" in f["query"] or "%s" in f["query"] for f in verified)
    assert not any(f["name"] == "schema-rejected" for f in old)
    # the same findings where the embedded server (PostgreSQL 16+) plans with GENERIC_PLAN
    new = _findings(["fixtures/dchat"])
    assert {(f["name"], f["path"], f["line"]) for f in old} == {(f["name"], f["path"], f["line"]) for f in new}


def test_one_shot_explain_of_a_parameterised_query(older_server, monkeypatch):
    monkeypatch.chdir(ROOT / "fixtures/dchat")
    result = CliRunner().invoke(_cli(), ["explain", "--dsn", _dsn(older_server), "--format", "json", PARAM_QUERY])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    assert "error" not in doc and "$1" in json.dumps(doc["plan"])
    assert [f["name"] for f in doc["plan_findings"]] == ["seq-scan-large-table"]
    assert doc["advice"]["recommended"] and doc["advice"]["cost_after"] < doc["advice"]["cost_before"] / 2
    assert "group_id" in doc["advice"]["ddl"]


def test_one_shot_explain_analyze_samples_the_parameter(older_server, monkeypatch):
    monkeypatch.chdir(ROOT / "fixtures/dchat")
    result = CliRunner().invoke(_cli(), ["explain", "--dsn", _dsn(older_server), "--analyze", "--format", "json",
                                         PARAM_QUERY])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    assert doc["analyzed"] is True and len(doc["params"]) == 1


def test_indexes_command(older_server, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(_cli(), ["indexes", "--dsn", _dsn(older_server), "fixtures/dchat"])
    assert result.exit_code == 0, result.output
    assert "CREATE INDEX CONCURRENTLY idx_messages_group_id" in result.stdout  # with or without the sort key
    errors = [line for line in result.stderr.splitlines() if ": error:" in line]  # per-query lines: stderr
    assert errors and all(line.startswith(BROKEN_EVERYWHERE) for line in errors), errors


@pytest.fixture(scope="module")
def older_app(older_server):
    """A user's database on the older server (dchat's schema, seeded) and an application's login (no CREATEDB,
    no CREATEROLE): advisor may only read with it."""
    from advisor.seed.generate import seed_database
    from advisor.seed.load import load_schema
    from advisor.seed.server import connect
    from advisor.seed.settings import SeedSettings

    with connect(older_server.conninfo(), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS oldapp WITH (FORCE)")
        admin.execute("CREATE DATABASE oldapp")
        admin.execute("DROP ROLE IF EXISTS oldreader")
        admin.execute("CREATE ROLE oldreader LOGIN")
    with connect(older_server.conninfo("oldapp"), autocommit=True) as conn:
        assert load_schema(conn, sorted((ROOT / "fixtures/dchat/migrations").glob("*.sql"))) == []
        seed_database(conn, SeedSettings(rows=3000))
        conn.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO oldreader")
    return older_server


def test_read_only_login_plans_parameterised_statements(older_app, tmp_path, monkeypatch):
    """A login that may not create a scratch database: plans on the user's database, nothing left on it."""
    from advisor.seed.server import connect

    shutil.copytree(ROOT / "fixtures/dchat", tmp_path / "fixtures/dchat")
    with open(tmp_path / "fixtures/dchat/advisor.toml", "a") as fh:
        fh.write("\n[explain]\nlarge_table_rows = 1000\n")  # the user's tables are small
    monkeypatch.chdir(tmp_path)
    relations = "SELECT string_agg(relname, ',' ORDER BY relname), (SELECT count(*) FROM users) FROM pg_class"
    with connect(older_app.conninfo("oldapp"), autocommit=True) as conn:
        before = conn.execute(relations).fetchone()
    found = _findings(["--dsn", _dsn(older_app, "oldapp", "oldreader"), "fixtures/dchat"])
    errors = [f for f in found if f["name"] == "explain-error"]
    assert errors and all(f["path"] == BROKEN_EVERYWHERE for f in errors), errors
    assert any(_scanned(f) and "$1" in f["query"] for f in found)
    with connect(older_app.conninfo("oldapp"), autocommit=True) as conn:
        assert conn.execute(relations).fetchone() == before  # nothing built, nothing written


def _stage_run(text: str, schema):
    from advisor.explain.stage import new_run
    from advisor.ir import Location, SqlQuery, TextMap

    return new_run(SqlQuery(text, Location("q.sql", 1, 1), TextMap("q.sql", text, ((0, 1, 1),)), "sql"), schema)


def test_prepared_statement_is_one_statement_and_deallocated(older_app):
    """PREPARE goes through the extended protocol (one statement), inside the caller's transaction when there is
    one, and no prepared statement is left on the connection, after a plan or an error."""
    import psycopg

    from advisor.explain.stage import plain_row
    from advisor.ir import Column, Schema, Table
    from advisor.seed.server import connect

    schema = Schema({"messages": Table("messages", {"group_id": Column("group_id", "bigint")})})
    with connect(older_app.conninfo("oldapp"), autocommit=True) as conn:
        run = _stage_run("SELECT id FROM messages WHERE group_id = $1", schema)
        assert run.param_types == ["bigint"]
        plan = plain_row(conn, run)[0]
        assert "$1" in json.dumps(plan) and "One-Time Filter" not in json.dumps(plan)  # generic, not for NULL
        with conn.transaction(force_rollback=True):
            conn.execute("CREATE TABLE rolled_back (a int)")
            assert "rolled_back" in json.dumps(plain_row(conn, _stage_run("SELECT * FROM rolled_back WHERE a = $1",
                                                                          Schema()))[0])
        smuggled = _stage_run("SELECT id FROM messages WHERE group_id = $1; CREATE TABLE leaked (a int)", Schema())
        with pytest.raises(psycopg.Error):
            plain_row(conn, smuggled)
        assert conn.execute("SELECT to_regclass('leaked'), to_regclass('rolled_back')").fetchone() == (None, None)
        assert conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0] == 0
        assert conn.execute("SHOW plan_cache_mode").fetchone()[0] == "auto"


def test_a_schema_type_the_server_refuses_falls_back_to_inference(older_app):
    from advisor.explain.stage import plain_row
    from advisor.ir import Column, Schema, Table
    from advisor.seed.server import connect

    schema = Schema({"messages": Table("messages", {"group_id": Column("group_id", "no_such_type")})})
    run = _stage_run("SELECT id FROM messages WHERE group_id = $1", schema)
    assert run.param_types == ["no_such_type"]
    with connect(older_app.conninfo("oldapp"), autocommit=True) as conn:
        assert "messages" in json.dumps(plain_row(conn, run)[0])
        assert conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0] == 0


def test_a_parameter_on_the_partition_key_does_not_prune_every_partition(older_app):
    """EXPLAIN EXECUTE prunes at executor start-up with its NULLs (before 16): the plan must still show the
    partitions, as EXPLAIN (GENERIC_PLAN) does, or the plan rules see an empty Append."""
    from advisor.explain.stage import plain_row
    from advisor.ir import Schema
    from advisor.seed.server import connect

    with connect(older_app.conninfo("oldapp"), autocommit=True) as conn, conn.transaction(force_rollback=True):
        conn.execute("CREATE TABLE ledger (id int, ts date NOT NULL) PARTITION BY RANGE (ts)")
        conn.execute("CREATE TABLE ledger_jan PARTITION OF ledger FOR VALUES FROM ('2025-01-01') TO ('2025-02-01')")
        conn.execute("CREATE TABLE ledger_feb PARTITION OF ledger FOR VALUES FROM ('2025-02-01') TO ('2025-03-01')")
        plan = parse_plan(plain_row(conn, _stage_run("SELECT id FROM ledger WHERE ts < $1 AND id = $2", Schema()))[0])
    assert {n.relation for n in plan.root.walk() if n.relation} == {"ledger_jan", "ledger_feb"}
    assert not any(n.subplans_removed for n in plan.root.walk())


def test_stats_restore_says_it_needs_18(older_app, tmp_path):
    from advisor.seed.server import connect
    from advisor.seed.stats import restore_stats

    path = tmp_path / "stats.json"
    path.write_text(json.dumps({"version": 1, "values": False, "columns": [],
                                "tables": [{"schema": "public", "table": "users", "relpages": 10, "reltuples": 1e6,
                                            "relallvisible": 10}]}))
    with connect(older_app.conninfo("oldapp"), autocommit=True) as conn:
        notes = restore_stats(conn, str(path))
    assert len(notes) == 1 and "needs PostgreSQL 18" in notes[0]
