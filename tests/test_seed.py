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
