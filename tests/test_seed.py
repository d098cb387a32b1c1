"""Seeding respects types and constraints; schema load errors carry file:line."""

from pathlib import Path

import pytest

from tests.conftest_db import pg_server  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_db(pg_server):
    import uuid

    from advisor.seed.server import connect

    name = "t_" + uuid.uuid4().hex[:8]
    with connect(pg_server.conninfo(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    conn = connect(pg_server.conninfo(name), autocommit=True)
    yield conn
    conn.close()
    with connect(pg_server.conninfo(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_seed_respects_constraints(fresh_db, tmp_path):
    from advisor.seed.generate import seed_database
    from advisor.seed.load import load_schema
    from advisor.seed.settings import ColumnShape, SeedSettings

    ddl = tmp_path / "schema.sql"
    ddl.write_text("""
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE users (id bigserial PRIMARY KEY, email varchar(40) NOT NULL UNIQUE, ext uuid NOT NULL UNIQUE,
  wallet varchar(42) CHECK (wallet ~ '^0x[0-9a-fA-F]{40}$'), mood mood NOT NULL,
  score numeric(5,2) CHECK (score BETWEEN 0 AND 100), tags text[], meta jsonb, created_at timestamptz NOT NULL);
CREATE TABLE posts (id int PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id),
  status text NOT NULL CHECK (status IN ('draft', 'live')), body text);
CREATE TABLE likes (post_id int REFERENCES posts(id), user_id bigint REFERENCES users(id), PRIMARY KEY (post_id, user_id));
""")
    assert load_schema(fresh_db, [ddl]) == []
    settings = SeedSettings(rows=2000, tables={"users": 500})
    settings.columns[("posts", "body")] = ColumnShape(null_fraction=0.5)
    settings.columns[("posts", "status")] = ColumnShape(values=["draft", "live"], skew=3.0)
    result = seed_database(fresh_db, settings)
    assert result.rows == {"users": 500, "posts": 2000, "likes": 2000}
    q = lambda sql: fresh_db.execute(sql).fetchone()[0]  # noqa: E731
    # vacuumed like a live production table: the visibility map makes index-only scans cheap
    assert (
        q(
            "SELECT min(relallvisible::float / greatest(relpages, 1)) FROM pg_class "
            "WHERE relname IN ('users', 'posts', 'likes')"
        )
        == 1.0
    )
    assert q("SELECT count(*) FROM posts p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL") == 0
    assert q("SELECT count(DISTINCT email) FROM users") == 500
    assert 0.4 < q("SELECT avg((body IS NULL)::int) FROM posts") < 0.6
    live = q("SELECT avg((status = 'draft')::int) FROM posts")
    assert live > 0.6  # skewed towards the first value
    # deterministic: the same settings give the same data
    first = q("SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM posts p")
    fresh_db.execute("TRUNCATE likes, posts, users")
    seed_database(fresh_db, settings)
    assert q("SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM posts p") == first


def test_schema_load_error_has_file_line(fresh_db):
    from advisor.seed.load import load_schema

    files = sorted((ROOT / "fixtures/wallet-ledger/migrations").glob("*.sql"))
    errors = load_schema(fresh_db, files, {p: f"migrations/{p.name}" for p in files})
    assert [(e.path, e.line) for e in errors] == [("migrations/002_partition_transactions.sql", 50)]
    assert "partition" in errors[0].message
    # the run went on: the statements after it loaded
    assert fresh_db.execute("SELECT to_regclass('transactions_archive') IS NOT NULL").fetchone()[0]


def test_seed_partitioned_rows_in_every_partition(fresh_db):
    from advisor.seed.generate import seed_database
    from advisor.seed.load import load_schema
    from advisor.seed.settings import SeedSettings

    files = sorted((ROOT / "fixtures/wallet-ledger/migrations").glob("*.sql"))
    load_schema(fresh_db, files)
    seed_database(fresh_db, SeedSettings(rows=900))
    counts = fresh_db.execute("SELECT count(*) FROM transactions GROUP BY tableoid").fetchall()
    assert len(counts) == 3


def test_unknown_seed_key_is_config_error(tmp_path):
    from advisor.config import Config, ConfigError
    from advisor.seed.settings import seed_settings

    with pytest.raises(ConfigError, match="rowz"):
        seed_settings(Config(root=tmp_path, source=tmp_path / "advisor.toml", seed={"rowz": 5}))


SCHEMA_FINGERPRINT = """
    SELECT string_agg(x, E'\\n' ORDER BY x) FROM (
      SELECT i.indexrelid::regclass || ': ' || pg_get_indexdef(i.indexrelid) || ' valid=' || i.indisvalid
             || coalesce(' comment=' || obj_description(i.indexrelid, 'pg_class'), '')
      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace
      UNION ALL
      SELECT conrelid::regclass || '.' || conname || ': ' || pg_get_constraintdef(oid) || ' validated=' || convalidated
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace) s(x)"""


def test_seed_sets_aside_and_restores_indexes_and_keys(fresh_db, tmp_path):
    """Indexes and foreign keys dropped for the load come back exactly; a unique index still catches duplicates."""
    from advisor.seed.generate import seed_database
    from advisor.seed.load import load_schema
    from advisor.seed.settings import ColumnShape, SeedSettings

    ddl = tmp_path / "schema.sql"
    ddl.write_text("""
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, deleted_at timestamptz, code int,
  CONSTRAINT users_code_key UNIQUE (code) DEFERRABLE);
CREATE UNIQUE INDEX users_live_email ON users (lower(email)) WHERE deleted_at IS NULL;
CREATE INDEX users_id_desc ON users (id DESC) WITH (fillfactor = 80);
COMMENT ON INDEX users_id_desc IS 'kept in place: re-creating would lose the storage option';
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  parent_id bigint REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED, doc jsonb, meta jsonb);
CREATE UNIQUE INDEX orders_doc ON orders ((doc->>'id'));
CREATE INDEX orders_user ON orders (user_id) INCLUDE (id);
""")
    assert load_schema(fresh_db, [ddl]) == []
    q = lambda sql: fresh_db.execute(sql).fetchone()[0]  # noqa: E731
    before = q(SCHEMA_FINGERPRINT)
    settings = SeedSettings(rows=3000, tables={"users": 500})
    settings.columns[("users", "email")] = ColumnShape(distinct=10)  # duplicates the partial unique index rejects
    settings.columns[("users", "deleted_at")] = ColumnShape(null_fraction=1.0)
    result = seed_database(fresh_db, settings)
    assert result.rows == {"users": 500, "orders": 3000}
    assert q(SCHEMA_FINGERPRINT) == before
    assert q("SELECT count(DISTINCT lower(email)) FROM users") == 500
    assert q("SELECT count(*) FROM orders o LEFT JOIN users u ON u.id = o.user_id WHERE u.id IS NULL") == 0
    assert q("SELECT count(DISTINCT doc) FROM orders") == 3000  # in a unique index: every document different
    assert 1 < q("SELECT count(DISTINCT meta) FROM orders") <= 35  # free to repeat: prebuilt documents


def test_failed_load_leaves_schema_as_it_was(fresh_db, tmp_path):
    from advisor.seed.generate import seed_database
    from advisor.seed.load import load_schema
    from advisor.seed.settings import SeedSettings

    ddl = tmp_path / "schema.sql"
    ddl.write_text("""
CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id));
CREATE INDEX orders_user ON orders (user_id);
""")
    assert load_schema(fresh_db, [ddl]) == []
    q = lambda sql: fresh_db.execute(sql).fetchone()[0]  # noqa: E731
    before = q(SCHEMA_FINGERPRINT)
    result = seed_database(fresh_db, SeedSettings(rows=100), only={"orders"})  # no users to point at
    assert result.rows == {"orders": 0}
    assert any("orders: not seeded" in n and "orders_user_id_fkey" in n for n in result.notes)
    assert q(SCHEMA_FINGERPRINT) == before
    assert q("SELECT count(*) FROM orders") == 0


def test_csv_table_loaded_with_indexes_set_aside(fresh_db, tmp_path):
    from advisor.seed.generate import seed_database
    from advisor.seed.load import load_schema
    from advisor.seed.settings import SeedSettings

    ddl = tmp_path / "schema.sql"
    ddl.write_text("""
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id));
""")
    (tmp_path / "users.csv").write_text("id,email\n10,a@x\n20,b@x\n30,c@x\n")
    assert load_schema(fresh_db, [ddl]) == []
    q = lambda sql: fresh_db.execute(sql).fetchone()[0]  # noqa: E731
    before = q(SCHEMA_FINGERPRINT)
    settings = SeedSettings(rows=200, csv={"users": str(tmp_path / "users.csv")})
    assert seed_database(fresh_db, settings).rows == {"users": 3, "orders": 200}
    assert q(SCHEMA_FINGERPRINT) == before
    assert q("SELECT count(DISTINCT user_id) FROM orders WHERE user_id IN (10, 20, 30)") == 3


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"id,n\xe9me\n1,a\n", "users.csv:1: the CSV header is not UTF-8 text"),
        (b"id," + b"e" * 200_000 + b"\n1,a\n", "users.csv:1: the CSV header cannot be read (field larger than"),
        (b"id,email\n10,a@x\n20,caf\xe9\n", 'users.csv:3: invalid byte sequence for encoding "UTF8"'),
        (b"id,email\n10,a@x\nx,b@x\n", 'users.csv:3: invalid input syntax for type bigint: "x"'),
        (b"id,em\x00ail\n", "users.csv:1: column(s) em\\x00ail not in table users"),
    ],
)
def test_a_bad_seed_csv_is_one_line_naming_file_and_line(tmp_path, monkeypatch, pg_server, data, says):
    """Found by a red-team pass: a CSV that is not UTF-8, or with a field over the csv module's limit, stopped
    the run with an internal error naming no file.  Now: exit 2, the file and line, the NUL written out."""
    from click.testing import CliRunner

    from advisor.cli import main

    (tmp_path / "schema.sql").write_text("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n")
    (tmp_path / "advisor.toml").write_text(
        'dialect = "postgres"\nschema = ["schema.sql"]\n[seed]\nrows = 10\ncsv = { users = "users.csv" }\n'
    )
    (tmp_path / "users.csv").write_bytes(data)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["seed", "--dsn", pg_server.conninfo(), "."])
    assert result.exit_code == 2, result.output
    assert says in result.output and "internal error" not in result.output and "\x00" not in result.output


def test_seed_settings_naming_what_the_schema_lacks_are_noted():
    from advisor.seed.generate import TableInfo, unknown_settings
    from advisor.seed.settings import ColumnShape, SeedSettings

    tables = {"users": TableInfo(1, "users", "users", {"id": object()})}  # only the column names matter
    settings = SeedSettings(tables={"users": 5, "userz": 9})
    settings.columns[("users", "id")] = ColumnShape(distinct=3)
    settings.columns[("users", "nmae")] = ColumnShape(distinct=3)
    notes = unknown_settings(settings, tables)
    assert notes == [
        "[seed] names table 'userz', which the schema does not have: ignored",
        "[seed] tables.users.columns.nmae: users has no column 'nmae': ignored",
    ]


def test_the_schema_s_code_does_not_run_for_seeded_rows_and_what_runs_has_a_timeout(fresh_db, tmp_path):
    """A trigger is the schema's code: generated rows do not run it (a trigger sleeping for a day no longer
    holds the seed), and it is there again afterwards. What does run per row (a CHECK, an index expression)
    runs under a statement timeout: seen here by a CHECK that writes down the session's setting."""
    from advisor.seed.generate import seed_database
    from advisor.seed.load import load_schema
    from advisor.seed.settings import SeedSettings

    ddl = tmp_path / "schema.sql"
    ddl.write_text("""
CREATE TABLE seen (timeout text);
CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(86400); RETURN NEW; END $$;
CREATE FUNCTION noted(v text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN INSERT INTO seen VALUES (current_setting('statement_timeout')); RETURN true; END $$;
CREATE TABLE t (id bigserial PRIMARY KEY, payload text NOT NULL CHECK (noted(payload)));
CREATE TRIGGER t_slow BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION slow();
""")
    assert load_schema(fresh_db, [ddl]) == []
    result = seed_database(fresh_db, SeedSettings(rows=50, tables={"seen": 0}))
    assert result.rows["t"] == 50
    assert {r[0] for r in fresh_db.execute("SELECT DISTINCT timeout FROM seen")} == {"1min"}
    enabled = fresh_db.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 't_slow'").fetchone()[0]
    assert enabled == "O"  # enabled again


def test_a_seed_larger_than_the_disk_may_hold_is_refused_before_any_row(fresh_db, tmp_path):
    from advisor.seed.generate import SeedTooLarge, estimated_bytes, introspect, seed_database
    from advisor.seed.load import load_schema
    from advisor.seed.settings import SeedSettings

    ddl = tmp_path / "schema.sql"
    ddl.write_text("CREATE TABLE t (id bigserial PRIMARY KEY, payload text NOT NULL);\n")
    assert load_schema(fresh_db, [ddl]) == []
    huge = SeedSettings(rows=1_000_000_000)
    need = estimated_bytes(introspect(fresh_db), huge)
    assert need > 10**11  # a billion rows of two columns: over 100 GB
    with pytest.raises(SeedTooLarge):
        seed_database(fresh_db, huge, disk_budget=10**9)
    assert fresh_db.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    assert seed_database(fresh_db, SeedSettings(rows=100), disk_budget=10**9).rows["t"] == 100


def test_a_table_referencing_itself_is_seeded_each_row_under_an_earlier_one(fresh_db, tmp_path):
    """`knowledge.originalId REFERENCES knowledge(id)` (holdout 28's elizaOS adapter), a tree's `parent`: each row
    names an earlier row, whatever batch it is loaded in, so the table is seeded (it was left empty)."""
    from advisor.seed.generate import seed_database
    from advisor.seed.load import load_schema
    from advisor.seed.settings import SeedSettings

    ddl = tmp_path / "schema.sql"
    ddl.write_text("""
CREATE TABLE nodes (id uuid PRIMARY KEY, parent uuid REFERENCES nodes(id), name text NOT NULL);
CREATE TABLE folders (id bigserial PRIMARY KEY, parent_id bigint NOT NULL REFERENCES folders(id));
""")
    assert load_schema(fresh_db, [ddl]) == []
    result = seed_database(fresh_db, SeedSettings(rows=3000))
    assert result.rows == {"folders": 3000, "nodes": 3000}
    q = lambda sql: fresh_db.execute(sql).fetchone()[0]  # noqa: E731
    assert q("SELECT count(*) FROM nodes c JOIN nodes p ON p.id = c.parent") == 3000
    assert q("SELECT count(DISTINCT parent) FROM nodes") > 100  # a tree, not every row under one
    assert q("SELECT count(*) FROM folders c JOIN folders p ON p.id = c.parent_id WHERE p.id < c.id") >= 2999


def test_a_statement_that_needs_a_table_advisor_did_not_create_is_not_blamed_on_the_project(fresh_db, tmp_path):
    """nutshell's schema (holdout 24): `CREATE TABLE promises (amount {db.big_int} ...)` is a template advisor does
    not send, so every statement after it on `promises` fails in advisor's database, not in the project's: the
    note says advisor did not create the table, not that PostgreSQL rejects the project's SQL."""
    from advisor.seed.load import load_schema

    ddl = tmp_path / "schema.sql"
    ddl.write_text(
        "CREATE TABLE promises (id text PRIMARY KEY, amount {big_int} NOT NULL);\n"
        "CREATE INDEX promises_amount ON promises (amount);\n"
        "CREATE INDEX elsewhere ON nowhere (x);\n"
    )
    errors = load_schema(fresh_db, [ddl])
    assert [(e.line, e.summary) for e in errors] == [
        (
            1,
            "advisor does not run this statement: part of its text is filled in where the code runs it (a template), "
            "so it is not sent",
        ),
        (2, "advisor could not load this statement: it needs promises, whose CREATE advisor did not send"),
        (3, 'PostgreSQL rejects this statement: relation "nowhere" does not exist'),
    ]


def test_the_seeded_database_is_keyed_by_advisor_s_reading_of_the_schema_files_too(tmp_path, monkeypatch):
    """A cached seeded database is one advisor's reading of the schema files made: read by another advisor (a
    code file's literals unescaped since, a script split otherwise), the same files make another key, so the
    cache never serves the errors of a reading advisor no longer has (holdout 48's `feed` table)."""
    from advisor.seed import server

    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE t (id bigint PRIMARY KEY);\n")
    first = server.cache_key([schema], {})
    assert server.cache_key([schema], {}) == first  # the same files, the same advisor: the same database
    monkeypatch.setattr(server, "_code_key", lambda: "another advisor's code")
    assert server.cache_key([schema], {}) != first


def test_a_template_naming_an_index_or_constraint_is_a_label_postgresql_gives_itself(fresh_db, tmp_path):
    """ffun's migrations (yoyo steps) name their indexes and constraints from the module's constants
    (`f"ALTER TABLE f_feeds ADD CONSTRAINT {unique_index} UNIQUE (uid)"`): the name is a label no plan depends on,
    so the statement is sent without it and PostgreSQL names the object; a DROP of a templated name is not sent
    (which object it drops is not known), nor is a template standing for anything else (a table)."""
    from advisor.seed.load import load_schema

    step = tmp_path / "20240512_01_unique_uids.py"
    step.write_text(
        'unique_index = "idx_f_feeds_uid"\n'
        "\n"
        "\n"
        "def apply_step(conn):\n"
        '    conn.execute("CREATE TABLE f_feeds (id bigint PRIMARY KEY, uid text, url text)")\n'
        '    conn.execute(f"ALTER TABLE f_feeds ADD CONSTRAINT {unique_index} UNIQUE (uid)")\n'
        '    conn.execute(f"CREATE INDEX IF NOT EXISTS {unique_index}_url ON f_feeds (url)")\n'
        '    conn.execute(f"CREATE INDEX {INDEX} ON {TABLE} (url)")\n'
        '    conn.execute(f"DROP INDEX {old_index}")\n'
    )
    errors = load_schema(fresh_db, [step])
    assert [e.line for e in errors] == [8, 9]
    assert all("template" in e.summary for e in errors)
    indexes = fresh_db.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'f_feeds'").fetchall()
    assert sorted(d.split(" USING ")[1] for (d,) in indexes) == ["btree (id)", "btree (uid)", "btree (url)"]
    unique = fresh_db.execute(
        "SELECT count(*) FROM pg_constraint WHERE conrelid = 'f_feeds'::regclass AND contype = 'u'"
    ).fetchone()[0]
    assert unique == 1
