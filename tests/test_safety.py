"""Safety: a user's database is never written; passwords never shown; timeouts cut and reported."""

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest_db import user_server  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "s3cret-Pa55word"


def _cli():
    from advisor.cli import main
    from advisor.cli_db import register

    if "indexes" not in main.commands:
        register(main)
    return main


@pytest.fixture(scope="module")
def user_db(user_server):
    """The 'user's database': dchat's schema with data, and a read-only role."""
    from advisor.seed.generate import seed_database
    from advisor.seed.load import load_schema
    from advisor.seed.server import connect
    from advisor.seed.settings import SeedSettings

    with connect(user_server.conninfo(), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS appdb WITH (FORCE)")
        admin.execute("CREATE DATABASE appdb")
        admin.execute("DROP ROLE IF EXISTS reader")
        admin.execute(f"CREATE ROLE reader LOGIN PASSWORD '{PASSWORD}'")
        admin.execute(f"ALTER ROLE postgres PASSWORD '{PASSWORD}'")
    with connect(user_server.conninfo("appdb"), autocommit=True) as conn:
        load_schema(conn, sorted((ROOT / "fixtures/dchat/migrations").glob("*.sql")))
        seed_database(conn, SeedSettings(rows=2000))
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
    return user_server


def _checksums(server) -> dict:
    from advisor.seed.server import connect

    with connect(server.conninfo("appdb"), autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")]
        return {t: conn.execute(f'SELECT count(*), md5(coalesce(string_agg(x::text, \',\' ORDER BY x::text), \'\')) '
                                f'FROM "{t}" x').fetchone() for t in tables}


def _databases(server) -> set:
    from advisor.seed.server import connect

    with connect(server.conninfo(), autocommit=True) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


def _project(tmp_path):
    dst = tmp_path / "app"
    shutil.copytree(ROOT / "fixtures/dchat", dst)
    (dst / "queries" / "dml.sql").write_text(textwrap.dedent("""
        DELETE FROM messages WHERE sender_id = $1;
        UPDATE users SET name = 'changed' WHERE id = $1;
        INSERT INTO groups (name, owner_id) VALUES ('new', 1);
        SELECT pg_sleep(30);
        SELECT id FROM messages WHERE content = $1;
    """))
    with open(dst / "advisor.toml", "a") as fh:  # min_cost 1: on 1,000 rows the last statement still gets advice
        fh.write("\n[seed]\nrows = 1000\n\n[explain]\nstatement_timeout_ms = 300\ncache = false\nmin_cost = 1\n")
    return dst


def _dsn(server, user="postgres"):
    return f"postgresql://{user}:{PASSWORD}@/appdb?host={server.socket_dir}&port=5432"


def test_analyze_against_user_database_changes_nothing(user_db, tmp_path, monkeypatch):
    project = _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    before, dbs = _checksums(user_db), _databases(user_db)
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--analyze", "--format", "json",
                                         "--dsn", _dsn(user_db), "app"])
    assert result.exit_code in (0, 1), result.output
    assert _checksums(user_db) == before
    assert _databases(user_db) == dbs  # the scratch database is gone again
    assert PASSWORD not in result.output
    findings = json.loads(result.stdout)["findings"]
    timeouts = [f for f in findings if f["rule"] == "PLN009" and "timeout" in f["message"]]
    assert timeouts and timeouts[0]["path"].endswith("dml.sql")
    # the run went on after the timeout: the statement after it was planned and advised
    after = [f for f in findings if f["path"].endswith("dml.sql") and f["line"] == 6
             and f["rule"].startswith(("IDX", "PLN"))]
    assert after, [f["message"] for f in findings if "dml" in f["path"]]


def test_read_only_role_only_reads(user_db, tmp_path, monkeypatch):
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = _checksums(user_db)
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--analyze", "--dsn", _dsn(user_db, "reader"), "app"])
    assert result.exit_code in (0, 1), result.output
    assert _checksums(user_db) == before
    assert PASSWORD not in result.output
    assert "read-only" in result.output


def test_read_only_indexes_says_no_set_was_chosen_or_verified(user_db, tmp_path, monkeypatch):
    """Issue 12: in read-only mode advisor builds nothing, so its migration says so, not "indexes verified"."""
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = _checksums(user_db)
    result = CliRunner().invoke(_cli(), ["indexes", "--dsn", _dsn(user_db, "reader"), "app"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == ("-- advisor: no index set chosen and none verified: read-only mode: advisor only "
                                     "plans on the database of --dsn, where it builds no index"), result.stdout
    assert "no index set chosen: read-only mode" in result.stderr and "index(es)" not in result.stderr
    assert _checksums(user_db) == before and PASSWORD not in result.output


def test_unreachable_dsn_is_one_masked_line(tmp_path, monkeypatch):
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    dsn = f"postgresql://bob:{PASSWORD}@127.0.0.1:1/nothing"
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--dsn", dsn, "app"])
    assert result.exit_code == 2
    assert PASSWORD not in result.output
    lines = [l for l in result.output.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("advisor: error:") and "Traceback" not in result.output


def test_mask_forms():
    from advisor.seed.server import mask

    assert PASSWORD not in mask(f"postgresql://u:{PASSWORD}@h/db")
    assert PASSWORD not in mask(f"host=h password={PASSWORD} dbname=x")
    assert PASSWORD not in mask(f"postgresql://u@h/db?password={PASSWORD}")
    # an unencoded `/` in the password (red-team pass 6): libpq reads the host `u` and a path
    slashed = "Sl4shedS3cret"  # seen by no earlier test: mask() also hides every password it was shown
    for dsn in (f"postgresql://u:Xk9/{slashed}@h/db", f"postgresql://u:{slashed}/@h:1/db"):
        assert slashed not in mask(f"cannot connect to {dsn}: failed to resolve host 'u'"), dsn
        assert mask(dsn).endswith("@h/db") or mask(dsn).endswith("@h:1/db")  # the server is still named


@pytest.mark.parametrize("command", [["check", "--explain"], ["indexes"], ["stats", "export", "-o", "s.json"]])
def test_a_password_with_a_slash_is_never_printed(tmp_path, monkeypatch, command):
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    secret = f"Sl4sh{command[0]}S3cret"  # its own: mask() also hides every password it was shown
    dsn = f"postgresql://bob:Xk9/{secret}@127.0.0.1:1/nothing"
    result = CliRunner().invoke(_cli(), [*command, "--dsn", dsn, *(["app"] if command[0] != "stats" else [])])
    assert result.exit_code == 2, result.output
    assert secret not in result.output and "Traceback" not in result.output


LEAKED = "JWT-KEY-0123456789"
READS_SETTINGS = "(SELECT reverse(string_agg(array_to_string(setconfig, ','), ' | ')) FROM pg_db_role_setting)"


def test_the_servers_data_never_reaches_the_output_through_its_messages(user_db, tmp_path, monkeypatch):
    """On a server of the user's the repository's SQL runs as a role without privileges, which can still read
    what PUBLIC can (pg_db_role_setting: a PostgREST jwt_secret set on the database). A cast error quoting it, an
    exception a function raises in the schema, while seeding (a CHECK) and while planning (an IMMUTABLE call
    the planner folds): the statement is reported, the server's text is not (red-team pass 6)."""
    from advisor.seed.server import connect

    with connect(user_db.conninfo(), autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE appdb SET app.settings.jwt_secret = '{LEAKED}'")
    raising = f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '%', {READS_SETTINGS}; END $$"
    app = tmp_path / "app"
    app.mkdir()
    (app / "schema.sql").write_text(textwrap.dedent(f"""
        CREATE TABLE t (id int PRIMARY KEY, c int);
        SELECT CAST({READS_SETTINGS} AS int);
        CREATE FUNCTION leak() RETURNS int IMMUTABLE {raising};
        CREATE FUNCTION positive(n int) RETURNS boolean IMMUTABLE {raising};
        CREATE TABLE u (id int PRIMARY KEY, n int CHECK (positive(n)));
    """))
    (app / "q.sql").write_text("SELECT id FROM t WHERE c = leak();\n")
    (app / "advisor.toml").write_text('schema = ["schema.sql"]\n\n[seed]\nrows = 100\n\n[explain]\ncache = false\n')
    monkeypatch.chdir(tmp_path)
    try:
        result = CliRunner().invoke(_cli(), ["check", "--explain", "--format", "json", "--dsn", _dsn(user_db), "app"])
        seeded = CliRunner().invoke(_cli(), ["seed", "--dsn", _dsn(user_db), "app"])
    finally:
        with connect(user_db.conninfo(), autocommit=True) as admin:
            admin.execute("ALTER DATABASE appdb RESET app.settings.jwt_secret")
    assert result.exit_code in (0, 1), result.output
    assert LEAKED not in result.output and LEAKED[::-1] not in result.output, result.output
    assert seeded.exit_code == 0 and "u: not seeded: RaiseException" in seeded.output, seeded.output  # the CHECK ran
    assert LEAKED not in seeded.output and LEAKED[::-1] not in seeded.output, seeded.output
    findings = json.loads(result.stdout)["findings"]
    (rejected,) = [f for f in findings if f["rule"] == "PLN010"]
    assert "schema.sql" in rejected["path"] and "not shown on a server that is not advisor's own" in rejected["message"]
