"""A hostile repository: its schema and queries try to run programs, read files outside the project,
change the server, and stay behind.  advisor runs them (check --explain --analyze, indexes, seed) on
the real embedded PostgreSQL and on a user's server (--dsn, superuser); nothing of it may happen.

Each attack is first shown to work when run as a superuser (the control test), so that the
assertions below can fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest_db import pg_server, user_server  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
SECRET = "TOP-SECRET-4f9c1e-outside-the-project"
PASSWORD = "s3cret-Pa55word"


@pytest.fixture(scope="module")
def outside():
    """A directory outside the project that the server's user could write to and read from."""
    path = Path(tempfile.mkdtemp(prefix="advisor-hostile-"))
    path.chmod(0o777)
    (path / "secret.txt").write_text(f"{SECRET}\n")
    (path / "secret.txt").chmod(0o644)
    yield path
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _markers(outside: Path) -> list[str]:
    return sorted(p.name for p in outside.iterdir() if p.name.startswith("marker"))


def _schema(outside: Path) -> str:
    """The hostile schema; `-- refused` marks each line advisor must report and not run."""
    secret, m = outside / "secret.txt", outside / "marker"
    return textwrap.dedent(f"""\
        CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, note text);
        CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), total numeric);
        COPY (SELECT 1) TO PROGRAM 'touch {m}_copy'; -- refused
        SELECT pg_read_file('{secret}')::int; -- refused
        ALTER DATABASE postgres SET work_mem = '1MB'; -- refused
        ALTER ROLE CURRENT_USER SET statement_timeout = '1ms'; -- refused
        CREATE DATABASE hostile_db; -- refused
        COMMENT ON DATABASE postgres IS 'pwned'; -- refused
        DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch {m}_do'''; END $$; -- refused
        CREATE FUNCTION py() RETURNS int LANGUAGE plpython3u AS $$ import os; os.system('touch {m}_py') $$; -- refused
        CREATE FUNCTION sys(cstring) RETURNS int AS 'libc.so.6', 'system' LANGUAGE C STRICT; -- refused
        SET ROLE postgres; -- refused
        SELECT lo_import('{secret}'); -- refused
        SELECT lo_export(lo_from_bytea(0, 'x'), '{m}_lo'); -- refused
        CREATE EXTENSION dblink; -- refused
        SELECT dblink_exec('dbname=postgres user=postgres', 'CREATE ROLE pwned SUPERUSER'); -- refused
        SET SESSION AUTHORIZATION postgres; -- refused
        ALTER SYSTEM SET work_mem = '1MB'; -- refused
        CREATE ROLE pwned SUPERUSER LOGIN; -- refused
        GRANT pg_execute_server_program TO CURRENT_USER; -- refused
        LOAD 'auto_explain'; -- refused
        CREATE SERVER evil FOREIGN DATA WRAPPER postgres_fdw; -- refused
        RESET ROLE; -- refused
        CREATE FUNCTION reads() RETURNS int LANGUAGE sql AS $$ SELECT pg_read_file('{secret}')::int $$; -- refused
        CREATE TABLE leaky (x text DEFAULT pg_read_file('{secret}')); -- refused
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX users_email_trgm ON users USING gin (email gin_trgm_ops);
        CREATE FUNCTION evil() RETURNS int LANGUAGE plpgsql AS $$
        BEGIN
          EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch {m}_analyze''';
          RETURN 1;
        END $$;
        CREATE FUNCTION leak() RETURNS int LANGUAGE plpgsql AS $$
        DECLARE r int;
        BEGIN
          EXECUTE 'SELECT pg_read' || '_file(''{secret}'')::int' INTO r;
          RETURN r;
        END $$;
        CREATE FUNCTION writes() RETURNS int LANGUAGE plpgsql AS $$
        BEGIN
          EXECUTE 'COPY (SELECT 1) TO ''{m}_file''';
          RETURN 1;
        END $$;
        CREATE FUNCTION escalate() RETURNS int LANGUAGE plpgsql AS $$
        BEGIN
          EXECUTE 'RESET ' || 'ROLE';
          EXECUTE 'ALTER ' || 'ROLE CURRENT_USER SUPERUSER';
          RETURN 1;
        END $$;
        """)


def _refused_lines(schema: str) -> list[int]:
    return [n for n, line in enumerate(schema.splitlines(), 1) if line.endswith("-- refused")]


QUERIES = textwrap.dedent("""\
    SELECT id, email FROM users WHERE email = $1;
    SELECT evil();
    SELECT leak();
    SELECT escalate();
    SELECT writes();
    SELECT id, total FROM orders WHERE user_id = $1 ORDER BY id DESC LIMIT 20;
    """)


@pytest.fixture
def hostile(tmp_path, monkeypatch, outside):
    project = tmp_path / "app"
    (project / "migrations").mkdir(parents=True)
    (project / "queries").mkdir()
    (project / "migrations" / "001_schema.sql").write_text(_schema(outside))
    (project / "queries" / "q.sql").write_text(QUERIES)
    (project / "advisor.toml").write_text('dialect = "postgres"\nschema = ["migrations/*.sql"]\nlarge-tables = ["*"]\n\n'
                                          '[seed]\nrows = 2000\n\n[explain]\nstatement_timeout_ms = 2000\nmin_cost = 1\ncache = false\n')  # 2,000 rows, min_cost 1: the good queries get verified advice
    monkeypatch.chdir(tmp_path)
    for name in _markers(outside):
        (outside / name).unlink()
    return project


def _cli():
    from advisor.cli import main
    from advisor.cli_db import register

    if "indexes" not in main.commands:
        register(main)
    return main


def _harmless(result, outside: Path) -> None:
    assert result.exit_code != 2, result.output
    assert "Traceback" not in result.output
    assert _markers(outside) == [], "a program ran"
    assert SECRET not in result.output, "a file outside the project was read"


def test_the_attacks_work_as_superuser(pg_server, outside):  # noqa: F811
    """The control: as a superuser these statements do run a program and read the file."""
    from advisor.seed.server import connect

    with connect(pg_server.conninfo(), autocommit=True) as conn:
        # the program reads what COPY writes before it exits: `touch` alone may close the pipe first (EPIPE)
        conn.execute(f"COPY (SELECT 1) TO PROGRAM 'cat > /dev/null; touch {outside}/marker_control'")
        text = conn.execute(f"SELECT pg_read_file('{outside}/secret.txt')").fetchone()[0]
    assert _markers(outside) == ["marker_control"]
    assert SECRET in text
    (outside / "marker_control").unlink()


def test_check_explain_analyze_runs_nothing_hostile(hostile, outside):
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--analyze", "--format", "json", "app"])
    _harmless(result, outside)
    findings = json.loads(result.stdout)["findings"]
    # one note for the file, at its first statement not loaded, naming every line
    (note,) = [f for f in findings if f["rule"] == "PLN010" and f["path"].endswith("001_schema.sql")]
    assert "advisor does not run this statement" in note["message"] and note["severity"] == "info"
    refused = note["metrics"]["lines"]
    assert refused == _refused_lines(_schema(outside)), (refused, _refused_lines(_schema(outside)))
    assert note["line"] == refused[0]
    # the rest of the schema loaded: the good queries were planned and advised on the seeded tables
    advised = {f["line"] for f in findings if f["path"].endswith("q.sql") and f["rule"] == "IDX001"}
    assert advised == {1, 6}


def test_indexes_runs_nothing_hostile(hostile, outside):
    result = CliRunner().invoke(_cli(), ["indexes", "--analyze", "app"])
    _harmless(result, outside)
    assert "001_schema.sql:3: advisor does not run this statement: COPY" in result.output
    assert "q.sql:1:" in result.output


def test_explain_session_runs_nothing_hostile(hostile, outside):
    for query in ("SELECT evil()", "SELECT writes()", "SELECT leak()", "SELECT escalate()",
                  f"SELECT pg_read_file('{outside}/secret.txt')", "SELECT lo_import('/etc/passwd')"):
        # a query typed into the session is the user's: its error is the session's answer (exit 2)
        result = CliRunner().invoke(_cli(), ["explain", "-C", "app", "--analyze", "--format", "json", query])
        assert "Traceback" not in result.output and SECRET not in result.output and _markers(outside) == []
        assert "permission denied" in result.output or "must be" in result.output, result.output


def test_seed_runs_nothing_hostile(hostile, outside):
    result = CliRunner().invoke(_cli(), ["seed", "app"])
    _harmless(result, outside)
    for line in _refused_lines(_schema(outside)):
        assert f"001_schema.sql:{line}: advisor does not run this statement" in result.output
    assert "seeded 2 tables" in result.output


def test_the_repository_sql_runs_without_privileges(pg_server):  # noqa: F811
    """The role the repository's SQL runs as: no superuser, no file or program roles, no CREATEROLE/CREATEDB."""
    from advisor.seed.server import connect, embedded_target

    target = embedded_target(None)
    try:
        with connect(target.conninfo, autocommit=True) as conn:
            row = conn.execute("""SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,
                                         current_user = session_user,
                                         (SELECT count(*) FROM pg_auth_members WHERE member = r.oid)
                                  FROM pg_roles r WHERE rolname = current_user""").fetchone()
            assert row == (False, False, False, False, False, True, 0)
            owner = conn.execute("SELECT pg_get_userbyid(datdba) = current_user FROM pg_database "
                                 "WHERE datname = current_database()").fetchone()[0]
            assert owner
    finally:
        target.close()


def test_temporary_files_are_bounded_and_the_repository_cannot_lift_the_bound(pg_server):  # noqa: F811
    """A query whose EXPLAIN ANALYZE sorts more than the disk holds fails when its temporary files pass a quarter
    of the free disk; the role the repository's SQL runs as cannot change that (a superuser's setting)."""
    import shutil

    import psycopg

    from advisor.seed.server import connect, embedded_target

    target = embedded_target(None)
    try:
        with connect(target.conninfo, autocommit=True) as conn:
            limit_kb = int(conn.execute("SELECT setting FROM pg_settings WHERE name = 'temp_file_limit'").fetchone()[0])
            free_kb = shutil.disk_usage(target.server.datadir).free // 1024
            assert 0 < limit_kb <= free_kb // 3
            for attempt in ("SET temp_file_limit = -1", "SELECT set_config('temp_file_limit', '-1', false)"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(attempt)
    finally:
        target.close()


def test_temporary_directory_of_a_killed_run_is_removed(hostile):
    """SIGKILL leaves the temporary data directory behind; the next run removes it and says so."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = Path(tempfile.gettempdir()) / f"advisor-data-{dead.pid}-k1lled"
    (left / "pgdata").mkdir(parents=True)
    (left / "pgdata" / "PG_VERSION").write_text("18\n")
    mine = Path(tempfile.gettempdir()) / f"advisor-data-{os.getpid()}-alive"  # a live run's: kept
    mine.mkdir()
    try:
        result = CliRunner().invoke(_cli(), ["seed", "app"])
        assert result.exit_code == 0, result.output
        assert f"removed {left}" in result.output
        assert not left.exists() and mine.exists()
    finally:
        import shutil

        shutil.rmtree(left, ignore_errors=True)
        shutil.rmtree(mine, ignore_errors=True)


# --- a user's server ------------------------------------------------------------------------


def _server_state(server) -> dict:
    from advisor.seed.server import connect

    with connect(server.conninfo(), autocommit=True) as conn:
        return {
            "databases": conn.execute("SELECT datname, pg_get_userbyid(datdba), datallowconn, datconnlimit, "
                                      "datacl::text FROM pg_database ORDER BY 1").fetchall(),
            "roles": conn.execute("SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, "
                                  "rolconfig::text FROM pg_roles ORDER BY 1").fetchall(),
            "settings": conn.execute("SELECT setdatabase, setrole, setconfig::text FROM pg_db_role_setting "
                                     "ORDER BY 1, 2").fetchall(),
            "comments": conn.execute("SELECT objoid, description FROM pg_shdescription ORDER BY 1").fetchall(),
            "members": conn.execute("SELECT roleid, member FROM pg_auth_members ORDER BY 1, 2").fetchall(),
            "system": conn.execute("SELECT name, setting FROM pg_file_settings ORDER BY 1").fetchall(),
        }


@pytest.fixture(scope="module")
def users_db(user_server):  # noqa: F811
    from advisor.seed.server import connect

    with connect(user_server.conninfo(), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS hostile_appdb WITH (FORCE)")
        admin.execute("CREATE DATABASE hostile_appdb")
        admin.execute(f"ALTER ROLE postgres PASSWORD '{PASSWORD}'")
    return user_server


def _dsn(server, db="hostile_appdb"):
    return f"postgresql://postgres:{PASSWORD}@/{db}?host={server.socket_dir}&port=5432"


def test_dsn_superuser_server_is_unchanged(hostile, outside, users_db):
    before = _server_state(users_db)
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--analyze", "--format", "json",
                                         "--dsn", _dsn(users_db), "app"])
    _harmless(result, outside)
    assert PASSWORD not in result.output
    findings = json.loads(result.stdout)["findings"]
    (note,) = [f for f in findings if f["rule"] == "PLN010"]
    assert "does not run" in note["message"] and note["metrics"]["lines"] == _refused_lines(_schema(outside))
    assert _server_state(users_db) == before  # no database, role, setting, comment or membership changed or left


def test_dsn_without_role_creation_is_read_only(hostile, outside, users_db):
    """A login that may create databases but not roles: advisor will not run the schema as that login."""
    from advisor.seed.server import connect

    with connect(users_db.conninfo(), autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS creator")
        admin.execute(f"CREATE ROLE creator LOGIN CREATEDB PASSWORD '{PASSWORD}'")
    before = _server_state(users_db)
    dsn = f"postgresql://creator:{PASSWORD}@/hostile_appdb?host={users_db.socket_dir}&port=5432"
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--dsn", dsn, "app"])
    _harmless(result, outside)
    assert "read-only" in result.output and "CREATEROLE" in result.output
    assert _server_state(users_db) == before


def test_dsn_createrole_login_works_as_a_role_without_privileges(hostile, outside, users_db):
    """A login with CREATEROLE and CREATEDB but not superuser: the scratch role is made and dropped too."""
    from advisor.seed.server import connect

    with connect(users_db.conninfo(), autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS maker")
        admin.execute(f"CREATE ROLE maker LOGIN CREATEROLE CREATEDB PASSWORD '{PASSWORD}'")
    try:
        before = _server_state(users_db)
        dsn = f"postgresql://maker:{PASSWORD}@/hostile_appdb?host={users_db.socket_dir}&port=5432"
        result = CliRunner().invoke(_cli(), ["check", "--explain", "--analyze", "--format", "json", "--dsn", dsn,
                                             "app"])
        _harmless(result, outside)
        assert "read-only" not in result.output
        advised = {f["line"] for f in json.loads(result.stdout)["findings"]
                   if f["path"].endswith("q.sql") and f["rule"] == "IDX001"}
        assert advised == {1, 6}
        assert _server_state(users_db) == before
    finally:
        with connect(users_db.conninfo(), autocommit=True) as admin:
            admin.execute("DROP ROLE IF EXISTS maker")


def _scratch_names(server) -> list[str]:
    from advisor.seed.server import connect

    # the test's own session, with no timeout from its first statement on: a role timeout under test does not count
    # (a `SET` as the first statement ran under the role's 1 ms and could be cut on a busy machine)
    with connect(server.conninfo(), autocommit=True, options="-c statement_timeout=0") as conn:
        return [r[0] for r in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'advisor_scratch_%' "
            "UNION ALL SELECT rolname FROM pg_roles WHERE rolname LIKE 'advisor_scratch_%'")]


@pytest.mark.parametrize("sig, code", [(15, 128 + 15), (2, 130)])
def test_sigterm_and_sigint_drop_the_scratch_database(hostile, users_db, sig, code):
    """CI cancels with SIGTERM, people with Ctrl-C: the scratch database and role go with the run."""
    (hostile / "migrations" / "002_slow.sql").write_text("SELECT pg_sleep(20);\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "advisor.cli", "check", "--explain", "--dsn", _dsn(users_db),
                             str(hostile)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not _scratch_names(users_db) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _scratch_names(users_db), "the run never made its scratch database"
    time.sleep(0.5)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, (err, _)
    assert _scratch_names(users_db) == []
    assert PASSWORD.encode() not in err


def test_stale_scratch_database_of_a_dead_run_is_removed(hostile, users_db):
    from advisor.seed import scratch
    from advisor.seed.server import connect

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    name = f"advisor_scratch_{scratch.host_tag()}_{dead.pid}_abc123"
    live = f"advisor_scratch_{scratch.host_tag()}_{os.getppid()}_def456"  # a live process
    with connect(users_db.conninfo(), autocommit=True) as admin:
        for n in (name, live):
            admin.execute(f'CREATE ROLE "{n}"')
            admin.execute(f'CREATE DATABASE "{n}" OWNER "{n}"')
    try:
        result = CliRunner().invoke(_cli(), ["check", "--explain", "--dsn", _dsn(users_db), "app"])
        assert result.exit_code != 2, result.output
        assert f"removed {name}" in result.output
        assert sorted(_scratch_names(users_db)) == [live, live]
    finally:
        with connect(users_db.conninfo(), autocommit=True) as admin:
            for n in (name, live):
                admin.execute(f'DROP DATABASE IF EXISTS "{n}"')
                admin.execute(f'DROP ROLE IF EXISTS "{n}"')


def test_a_role_timeout_does_not_cancel_advisors_own_drop(hostile, users_db):
    """A timeout on the login's role (as a hostile migration would set) does not stop advisor cleaning up."""
    from advisor.seed.server import connect

    with connect(users_db.conninfo(), autocommit=True) as admin:
        admin.execute("ALTER ROLE postgres SET statement_timeout = '1ms'")
    try:
        result = CliRunner().invoke(_cli(), ["check", "--explain", "--dsn", _dsn(users_db), "app"])
        assert result.exit_code != 2, result.output
        assert "could not drop" not in result.output
        assert _scratch_names(users_db) == []
    finally:
        with connect(users_db.conninfo(), autocommit=True, options="-c statement_timeout=0") as admin:
            admin.execute("ALTER ROLE postgres RESET statement_timeout")


def test_a_failed_drop_is_a_visible_warning(capsys):
    from advisor.seed.scratch import Scratch

    Scratch(f"postgresql://bob:{PASSWORD}@127.0.0.1:1/db", "advisor_scratch_00000000_1_abcdef").drop()
    err = capsys.readouterr().err
    assert "warning: could not drop the scratch database and role advisor_scratch_00000000_1_abcdef" in err
    assert PASSWORD not in err


# --- secrets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dsn, says", [
    (f"postgresql//user:{PASSWORD}@h/db", "':' after the scheme"),
    (f"postgresql:/user:{PASSWORD}@h/db", "not 'postgresql://'"),
    (f"user:{PASSWORD}@localhost/db", "neither a URI"),
    (f"user=app {PASSWORD} dbname=x", "no '='"),
    (f"passwd={PASSWORD} host=localhost dbname=x", "unknown keyword 'passwd'"),
    (f"host=localhost password='{PASSWORD} dbname=x", "never closed"),
    (f"mysql://user:{PASSWORD}@h/db", "unknown scheme"),
])
def test_malformed_dsn_is_described_never_echoed(hostile, dsn, says):
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--dsn", dsn, "app"])
    assert result.exit_code == 2
    assert PASSWORD not in result.output
    assert says in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("option, value", [
    # an `@` left unencoded in the password: libpq splits at the first and quotes the rest as a host
    ("--dsn", f"postgresql://app:{PASSWORD[:4]}@{PASSWORD[4:]}@127.0.0.1:1/app"),
    ("--dsn", f"host=127.0.0.1 port=1 dbname=app sslpassword={PASSWORD}"),
    ("--dsn", f"postgresql://app@127.0.0.1:1/app?oauth_client_secret={PASSWORD}&sslmode=disable"),
    ("--mongo-uri", f"mongodb://app:{PASSWORD[:4]}@{PASSWORD[4:]}@127.0.0.1:1/app"),
    ("--mongo-uri", f"mongodb://app:pw@127.0.0.1:1/app?tls=true&tlsCertificateKeyFilePassword={PASSWORD}"),
    ("--mongo-uri", f"mongodb://app:pw@127.0.0.1:1/app?authMechanismProperties=AWS_SESSION_TOKEN:{PASSWORD}"),
])
def test_no_secret_of_a_connection_string_reaches_the_output(hostile, option, value):
    (hostile / "jobs.js").write_text("db.collection('jobs').createIndex({ a: 1 });\n"
                                             "db.collection('jobs').find({ b: 2 }).limit(5);\n")
    result = CliRunner().invoke(_cli(), ["check", "--explain", option, value, "app"])
    assert result.exit_code == 2, result.output
    assert "cannot" in result.output or "invalid" in result.output  # it says why it stopped
    assert PASSWORD[4:] not in result.output and "Traceback" not in result.output


# --- the allow-list, statement by statement ----------------------------------------------------


@pytest.mark.parametrize("sql, action", [
    ("CREATE TABLE t (id int PRIMARY KEY)", "send"),
    ("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)", "send"),
    ("CREATE MATERIALIZED VIEW v AS SELECT 1", "send"),
    ("CREATE TYPE mood AS ENUM ('a', 'b')", "send"),
    ("CREATE DOMAIN d AS int CHECK (VALUE > 0)", "send"),
    ("ALTER TABLE ONLY t ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES u (id)", "send"),
    ("COMMENT ON COLUMN t.a IS 'the a'", "send"),
    ("CREATE OR REPLACE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.x := now(); RETURN NEW; END $$",
     "send"),
    ("CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f()", "send"),
    (("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'x') THEN CREATE TYPE x AS ENUM ('a'); "
      "END IF; END $$"), "send"),
    ("SET search_path = public, pg_catalog", "send"),
    # text the code fills in where it runs the statement (holdout 29's `INTEGER PRIMARY KEY {gen}`): not sent, said
    ("CREATE TABLE backfill_queue (queue_id INTEGER PRIMARY KEY {gen}, user_mxid TEXT)", "refuse"),
    ("CREATE TABLE ${schema}.jobs (id int)", "refuse"),
    ("CREATE TABLE t (j jsonb DEFAULT '{}', k text DEFAULT '${x}')", "send"),  # in a literal: text, not a template
    # a DO block takes no parameters: `$1` is advisor's stand-in for `${pg.escapeLiteral(...)}` (holdout 54), not sent
    ("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = $1) THEN CREATE TABLE t (a int); END IF; END $$",
     "refuse"),
    ("CREATE FUNCTION g(int) RETURNS int LANGUAGE sql AS $$ SELECT $1 + 1 $$", "send"),  # a function's own argument
    ("DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_class WHERE relname = ${pg.escapeLiteral(t)}) THEN NULL; END IF; END $$",
     "refuse"),  # the code writes the name in where it runs the block
    ("SELECT pg_catalog.set_config('search_path', '', false)", "send"),
    ("INSERT INTO t VALUES (1)", "send"),
    ("GRANT SELECT ON t TO app", "ignore"),  # who may read a table changes no plan (and `app` is no role here)
    ("LOCK TABLE t IN ACCESS EXCLUSIVE MODE", "ignore"),  # a fresh database has no writer to keep out
    ("SET statement_timeout = 0", "ignore"),
    ("ALTER TABLE public.t OWNER TO postgres", "ignore"),
    ("ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT SELECT ON TABLES TO app", "ignore"),
    ("COMMENT ON EXTENSION pg_trgm IS 'text similarity'", "ignore"),
    ("BEGIN", "ignore"),
    ("CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\"", "extension"),
    ("CREATE EXTENSION postgres_fdw", "refuse"),
    ("COPY t FROM '/etc/passwd'", "refuse"),
    ("COPY t FROM STDIN", "refuse"),
    ("ALTER DATABASE app SET search_path = x", "refuse"),
    ("DROP DATABASE app", "refuse"),
    ("DROP ROLE app", "refuse"),
    ("CREATE USER x", "refuse"),
    ("ALTER USER x PASSWORD 'y'", "refuse"),
    ("GRANT ALL ON DATABASE app TO x", "refuse"),
    ("REVOKE pg_read_all_data FROM x", "refuse"),
    ("CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f()", "refuse"),
    ("CREATE PUBLICATION p FOR ALL TABLES", "refuse"),
    ("CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p", "refuse"),
    ("CREATE FOREIGN DATA WRAPPER w", "refuse"),
    ("CREATE LANGUAGE plperlu", "refuse"),
    ("CREATE TABLESPACE ts LOCATION '/tmp'", "refuse"),
    ("SET LOCAL ROLE postgres", "refuse"),
    ("SELECT set_config('role', 'postgres', false)", "refuse"),
    ("SET session_replication_role = replica", "refuse"),
    ("RESET ALL", "refuse"),
    ("DO LANGUAGE plperlu $$ system('id') $$", "refuse"),
    ("DO $$ BEGIN ALTER ROLE CURRENT_USER SET work_mem = '1MB'; END $$", "refuse"),
    ("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN COPY t TO '/tmp/x'; END $$", "refuse"),
    ("REASSIGN OWNED BY a TO b", "refuse"),
    ("VACUUM FULL", "send"),
    ("CHECKPOINT", "refuse"),
    ("CREATE AGGREGATE leak(text) (SFUNC = pg_read_file, STYPE = text)", "refuse"),
    ("CREATE VIEW v AS SELECT pg_catalog.\"pg_read_file\"('/etc/passwd')", "refuse"),
    ("SELECT 1; COPY t TO PROGRAM 'id'", "refuse"),
])
def test_allow_list(sql, action):
    from advisor.seed.allowlist import check

    assert check(sql).action == action, check(sql)


def test_allow_list_ignores_words_in_strings_and_comments():
    from advisor.seed.allowlist import check

    assert check("COMMENT ON TABLE t IS 'never COPY to PROGRAM or ALTER ROLE here'").action == "send"
    assert check("-- ALTER ROLE x\nCREATE TABLE t (a int)").action == "send"
    assert check("DO $$ BEGIN RAISE NOTICE 'EXECUTE nothing'; END $$").action == "send"



# --- what loading a schema may spend (found by a red-team pass: a 200-byte schema wrote 3 GB in 33 s and left a
# 6 GB cached database over the 2 GB cap; 1,000 lines of `SELECT pg_sleep(55)` would have loaded for 16 hours) ---

def _budget_project(tmp_path, monkeypatch, schema: str, explain: str = "cache = false\n") -> Path:
    project = tmp_path / "app"
    project.mkdir()
    (project / "schema.sql").write_text(textwrap.dedent(schema).lstrip())
    (project / "q.sql").write_text("SELECT id FROM t WHERE v = $1;\n")  # a value the call passes: measured
    (project / "advisor.toml").write_text(
        f'dialect = "postgres"\nschema = ["schema.sql"]\nlarge-tables = ["*"]\n[seed]\nrows = 2000\n[explain]\nmin_cost = 1\n{explain}')
    monkeypatch.chdir(tmp_path)
    return project


@pytest.mark.parametrize("on", ["embedded", "dsn"])
def test_a_schema_that_writes_past_the_disk_budget_is_cut_inside_its_statement(tmp_path, monkeypatch, pg_server, on):  # noqa: F811
    """The schema's statements spend the byte budget the seed spends (ADVISOR_SEED_MAX_BYTES, here 40 MB): an
    INSERT writing 400 MB is cancelled while it runs, and the run stops with one line naming it. On the embedded
    server the data directory is measured (its WAL too), on a server of yours the scratch database."""
    import re

    _budget_project(tmp_path, monkeypatch, """
        CREATE TABLE t (id int PRIMARY KEY, v int);
        CREATE TABLE big (x text);
        ALTER TABLE big ALTER COLUMN x SET STORAGE EXTERNAL;
        INSERT INTO big SELECT repeat(md5(g::text), 31250) FROM generate_series(1, 400) g;
        CREATE TABLE after_it (id int);
    """)
    monkeypatch.setenv("ADVISOR_SEED_MAX_BYTES", str(40 * 2**20))
    dsn = ["--dsn", pg_server.conninfo()] if on == "dsn" else []
    result = CliRunner().invoke(_cli(), ["check", "--explain", *dsn, "app"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1, result.output
    assert "schema.sql:4: advisor stopped loading the schema here: the schema's statements had written" in result.output
    assert "over the 40.0 MB advisor may use for the schema and its seed" in result.output
    assert "this statement and the 1 after it were not loaded" in result.output
    written = float(re.search(r"had written ([\d,.]+) MB", result.output).group(1).replace(",", ""))
    # cut while it ran, not after its 400 MB (the watch polls every 0.25 s: a fast disk writes ~100 MB past the budget)
    assert written < 300, result.output


def test_the_time_a_schema_takes_to_load_is_bounded_and_the_run_goes_on(tmp_path, monkeypatch):
    """All the schema's statements together have a time budget (limits.SCHEMA_LOAD_SECONDS, here 1 s): the
    statement running when it is spent is cancelled, the rest is not loaded, one schema-rejected note says where
    and why, and the run plans on what was loaded (here without the index, not loaded)."""
    from advisor.seed import limits

    monkeypatch.setattr(limits, "SCHEMA_LOAD_SECONDS", 1.0, raising=False)
    _budget_project(tmp_path, monkeypatch, """
        CREATE TABLE t (id int PRIMARY KEY, v int);
        SELECT pg_sleep(30);
        CREATE INDEX t_v ON t (v);
    """)
    started = time.monotonic()
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--format", "json", "app"])
    assert time.monotonic() - started < 25, "the sleep was waited on"
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output  # a note only: nothing fails
    findings = json.loads(result.stdout)["findings"]
    (note,) = [f for f in findings if f["rule"] == "PLN010"]
    assert (note["path"].endswith("schema.sql"), note["line"]) == (True, 2)
    assert note["message"] == ("advisor stopped loading the schema here: the schema's statements had run 1 s, "
                               "advisor's limit for loading a schema; this statement and the 1 after it were not "
                               "loaded"), note["message"]
    # planned on what was loaded (a scan: t_v was not), yet the schema declares t_v (v): no finding calls an
    # index on v missing, nor a covering copy of it
    assert not [f for f in findings if f["rule"] == "IDX001"], findings


def test_a_seeded_database_over_the_cache_cap_is_not_kept(tmp_path, monkeypatch):
    """ADVISOR_CACHE_MAX_MB caps the cache: a seeded database larger than all of it is used by its run, then
    removed, with a note (it was kept, and every other database evicted instead)."""
    from advisor.seed import dbcache

    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ADVISOR_CACHE_MAX_MB", "1")
    _budget_project(tmp_path, monkeypatch, "CREATE TABLE t (id int PRIMARY KEY, v int);\n", explain="")
    try:
        result = CliRunner().invoke(_cli(), ["seed", "app"])
        assert result.exit_code == 0, result.output
        assert "the cache may hold (ADVISOR_CACHE_MAX_MB): not kept for later runs" in result.output, result.output
        assert [c for c in dbcache.list_databases() if c.seeded or c.size] == []
    finally:
        dbcache.clear()


def _slow_project(tmp_path, monkeypatch) -> Path:
    """Ten statements whose planning sleeps 2 s each (an IMMUTABLE function is evaluated when planned), and a
    config that lets each statement run an hour."""
    project = _budget_project(tmp_path, monkeypatch, """
        CREATE TABLE t (id int PRIMARY KEY, v int);
        CREATE FUNCTION slow() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 1 FROM pg_sleep(2) $$;
    """, explain="cache = false\nstatement_timeout_ms = 3600000\n")
    (project / "q.sql").write_text("".join(f"SELECT id FROM t WHERE v = slow() + {i};\n" for i in range(10)))
    return project


def test_the_database_stage_stops_at_the_invoker_s_time_limit_and_the_run_goes_on(tmp_path, monkeypatch):
    """Red-team pass 7: a repository's config may let each statement run an hour, and its functions make planning
    each one slow: the database stage as a whole stops at ADVISOR_TIME_LIMIT (the invoker's, not the repository's),
    says how many statements it did not plan, and the static findings of every statement are still reported."""
    import re

    _slow_project(tmp_path, monkeypatch)
    monkeypatch.setenv("ADVISOR_TIME_LIMIT", "8")  # past the server's start and the seed, short of ten plans
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--format", "json", "app"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    cut = re.search(r"advisor's time limit for the database stage \(8 s, ADVISOR_TIME_LIMIT\) ran out: (\d+) of 11 "
                    r"statements were not planned", result.stderr)  # the ten, and the function's own SELECT
    assert cut is not None and int(cut.group(1)) >= 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert sorted(f["line"] for f in findings if f["rule"] == "IDX001") == list(range(1, 11))

    result = CliRunner().invoke(_cli(), ["indexes", "app"])  # no set chosen from a workload the limit cut
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("-- advisor: no index set chosen and none verified: advisor's time limit for "
                                    "the database stage (8 s, ADVISOR_TIME_LIMIT) ran out"), result.stdout
    assert "CREATE INDEX" not in result.stdout


@pytest.mark.parametrize("value", ["0", "-5", "soon", "inf"])
def test_a_time_limit_that_is_not_a_number_of_seconds_stops_the_run_in_one_line(tmp_path, monkeypatch, value):
    _slow_project(tmp_path, monkeypatch)
    monkeypatch.setenv("ADVISOR_TIME_LIMIT", value)
    result = CliRunner().invoke(_cli(), ["check", "--explain", "app"])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert "ADVISOR_TIME_LIMIT must be a number of seconds above 0" in result.output


def test_seeding_stops_at_the_time_limit_and_the_database_is_not_kept(tmp_path, monkeypatch):
    """A CHECK the repository makes slow (0.02 s a row): seeding stops at the time limit, leaves the rest empty with
    one note, and the cut database is not kept for later runs (a later run seeds it whole)."""
    from advisor.seed import dbcache

    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    _budget_project(tmp_path, monkeypatch, """
        CREATE FUNCTION slow(x int) RETURNS boolean LANGUAGE sql VOLATILE AS $$ SELECT true FROM pg_sleep(0.02) $$;
        CREATE TABLE t (id int PRIMARY KEY, v int CHECK (slow(v)));
        CREATE TABLE u (id int PRIMARY KEY, v int CHECK (slow(v)));
    """, explain="")
    monkeypatch.setenv("ADVISOR_TIME_LIMIT", "8")  # past the server's start and the load; 2,000 rows take 40 s
    try:
        result = CliRunner().invoke(_cli(), ["seed", "app"])
        assert result.exit_code == 0, result.output
        assert "t: not seeded: cut by the time limit" in result.stderr, result.stderr
        assert ("advisor's time limit for the database stage (8 s, ADVISOR_TIME_LIMIT) ran out while seeding: "
                "1 table(s) left empty") in result.stderr, result.stderr
        assert [c for c in dbcache.list_databases() if c.seeded] == []
    finally:
        dbcache.clear()


def test_a_schema_function_that_allocates_gigabytes_fails_alone_under_the_memory_cap(tmp_path, monkeypatch):
    """Red-team pass 7: a PL/pgSQL function of the schema held 8 strings of 900 MB (8.7 GB in the server).  Each
    process of the embedded server may map memory_cap() (here 1 GiB): the statement fails "out of memory", says
    whose cap it met, and the run goes on with the rest of the schema."""
    from advisor.seed import server

    monkeypatch.setattr(server, "memory_cap", lambda: 2**30)
    _budget_project(tmp_path, monkeypatch, """
        CREATE TABLE t (id int PRIMARY KEY, v int);
        CREATE FUNCTION hog() RETURNS int LANGUAGE plpgsql AS $$
        DECLARE a text; b text; c text; d text;
        BEGIN
          a := repeat('x', 400000000); b := a || 'b'; c := a || 'c'; d := a || 'd';
          RETURN length(a) + length(b) + length(c) + length(d);
        END $$;
        SELECT hog();
    """)
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--format", "json", "app"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    findings = json.loads(result.stdout)["findings"]
    (note,) = [f for f in findings if f["rule"] == "PLN010"]
    assert note["line"] == 8 and note["message"] == (
        "PostgreSQL rejects this statement: out of memory, past advisor's cap of 1,024.0 MB for each server process"
    ), note
    assert [f["line"] for f in findings if f["path"].endswith("q.sql") and f["rule"] in ("IDX001", "PLN001")]


def test_the_session_seeds_under_the_same_time_limit(tmp_path, monkeypatch):
    """`advisor explain` seeds the repository's schema too: the same time limit cuts it, and the session goes on."""
    project = _budget_project(tmp_path, monkeypatch, """
        CREATE FUNCTION slow(x int) RETURNS boolean LANGUAGE sql VOLATILE AS $$ SELECT true FROM pg_sleep(0.02) $$;
        CREATE TABLE t (id int PRIMARY KEY, v int CHECK (slow(v)));
    """)
    (project / "s.sql").write_text("SELECT id FROM t WHERE v = 1;\n")
    monkeypatch.chdir(project)
    monkeypatch.setenv("ADVISOR_TIME_LIMIT", "8")  # past the server's start and the load; 2,000 rows take 40 s
    result = CliRunner().invoke(_cli(), ["explain", "-f", "s.sql"])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert "t: not seeded: cut by the time limit" in result.output, result.output
    assert "Seq Scan on t" in result.output  # planned on what was loaded


def test_a_server_that_does_not_start_leaves_no_socket_or_data_directory_behind():
    """The start failed (here a setting the server refuses): its error says why, and the socket directory made for it
    and a temporary server's data are removed (only a clean stop removed them)."""
    from advisor.seed.server import DatabaseError, temporary_server

    server = temporary_server()
    server.settings["shared_buffers"] = "not-a-size"
    with pytest.raises(DatabaseError, match="did not start: .*shared_buffers"):
        server.start()
    assert server.socket_dir is not None and not server.socket_dir.exists()
    assert not server.datadir.parent.exists()


@pytest.mark.parametrize(("column", "setting", "says"), [
    ("v bigint", 'min = "z"\nmax = 3', "[seed.tables.t.columns.v] min: 'z' is not a number, and t.v is bigint"),
    ("v numeric(10,2)", 'max = "cheap"', "[seed.tables.t.columns.v] max: 'cheap' is not a number, and t.v is numeric(10,2)"),
    # past the type: the table was left empty, `not seeded: integer out of range`, and the run went on (red-team 10)
    ("v integer", "min = 99999999999999999999999",
     "[seed.tables.t.columns.v] min: 99999999999999999999999 is out of range for t.v, integer (-2,147,483,648 to"),
    ("v smallint", "min = 1\nmax = 1e300", "[seed.tables.t.columns.v] max: 1e+300 is out of range for t.v, smallint"),
])
def test_a_bound_a_number_column_cannot_hold_is_one_line_naming_the_setting(tmp_path, monkeypatch, column, setting, says):
    """The config is read before the schema, so only seeding knows the column's type: it said `internal error:
    ValueError` before."""
    project = _budget_project(tmp_path, monkeypatch, f"CREATE TABLE t (id int PRIMARY KEY, {column});\n")
    with (project / "advisor.toml").open("a") as config:
        config.write(f"[seed.tables.t.columns.v]\n{setting}\n")
    result = CliRunner().invoke(_cli(), ["seed", "app"])
    assert result.exit_code == 2 and "internal error" not in result.output, result.output
    assert says in result.output
