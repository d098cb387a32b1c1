"""Production-like seeding: the shapes real data has, what they change in advice, and the
invariants every shape keeps (foreign keys, unique keys, NOT NULL, CHECK, determinism)."""

import contextlib
import json
import uuid

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import conftest_db

pg_server = conftest_db.pg_server  # the embedded server fixture


@contextlib.contextmanager
def database(server, ddl: str, tmp_path):
    """A fresh database of `server` with `ddl` loaded, dropped afterwards."""
    from advisor.seed.load import load_schema
    from advisor.seed.server import connect

    name = "s_" + uuid.uuid4().hex[:8]
    with connect(server.conninfo(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    conn = connect(server.conninfo(name), autocommit=True)
    try:
        path = tmp_path / f"{name}.sql"
        path.write_text(ddl)
        assert load_schema(conn, [path]) == []
        yield conn
    finally:
        conn.close()
        with connect(server.conninfo(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


SHOP = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, bio text, nickname text DEFAULT 'anon',
  is_active boolean NOT NULL DEFAULT true, is_incoming boolean NOT NULL,
  role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL, deleted_at timestamptz);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id), coupon_id bigint,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
  kind text NOT NULL, started_at timestamp(3) NOT NULL, ended_at timestamp(3), CHECK (ended_at > started_at),
  memo text, gift_note text, gift_to text, CHECK (gift_note IS NULL OR gift_to IS NOT NULL));
"""


def _q(conn, sql):
    return conn.execute(sql).fetchone()[0]


def test_production_defaults_shape_the_data(pg_server, tmp_path):
    from advisor.seed.generate import seed_database
    from advisor.seed.settings import SeedSettings

    with database(pg_server, SHOP, tmp_path) as conn:
        result = seed_database(conn, SeedSettings(rows=20000, tables={"users": 2000}))
        assert result.rows == {"users": 2000, "orders": 20000} and result.notes == []
        q = lambda sql: _q(conn, sql)  # noqa: E731
        # foreign keys: a long tail, 80/20, yet no parent with more than 1/16 of the children
        # (and the busiest is not user 1, the id example queries name)
        counts = [n for (n,) in conn.execute(
            "SELECT count(o.id) FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id ORDER BY 1 DESC")]
        assert 0.7 < sum(counts[: len(counts) // 5]) / 20000 < 0.9
        assert 0.01 < counts[0] / 20000 <= 1 / 16 + 0.005
        assert counts[len(counts) // 2] <= 20000 / 2000 / 2  # the median user has a fraction of the mean
        assert q("SELECT count(*) FROM orders WHERE user_id = 1") < counts[0]
        # short value lists: one dominant value; a lifecycle settles, its initial state is rare
        statuses = dict(conn.execute("SELECT status, count(*) FROM orders GROUP BY 1").fetchall())
        assert max(statuses, key=statuses.get) == "completed" and statuses["completed"] > 0.7 * 20000
        assert statuses["pending"] == min(statuses.values())
        assert q("SELECT mode() WITHIN GROUP (ORDER BY role) FROM users") == "member"  # a role: the default
        assert 0.8 < q("SELECT avg(is_active::int) FROM users") < 0.97  # a flag: its default
        assert 0.4 < q("SELECT avg(is_incoming::int) FROM users") < 0.6  # no default: half and half
        kinds = [n for (n,) in conn.execute("SELECT count(*) FROM orders GROUP BY kind ORDER BY 1 DESC")]
        assert len(kinds) == 5 and kinds[0] > 0.7 * 20000  # a "kind" the schema does not list
        # NULLs: only where a column may be NULL, has no default and is no key
        assert q("SELECT count(*) FROM users WHERE nickname IS NULL OR updated_at IS NULL") == 0
        assert q("SELECT count(*) FROM orders WHERE coupon_id IS NULL") > 0  # no FK: just a nullable number
        assert 0.85 < q("SELECT avg((deleted_at IS NULL)::int) FROM users") < 0.95  # a soft delete: live rows
        assert 0.4 < q("SELECT avg((bio IS NULL)::int) FROM users") < 0.6  # unknown: half
        assert 0.4 < q("SELECT avg((memo IS NULL)::int) FROM orders") < 0.6
        assert q("SELECT avg((ended_at IS NULL)::int) FROM orders") < 0.06  # a step nearly every row reached
        assert q("SELECT count(*) FROM orders WHERE gift_to IS NULL") == 0  # its CHECK speaks of NULL
        # timestamps: creation grows with the row; what follows it does, a little later
        assert q("SELECT count(*) FROM users WHERE updated_at < created_at") == 0
        assert q("SELECT count(*) FROM users WHERE updated_at > created_at") > 0.8 * 2000
        assert q("SELECT count(*) FROM orders WHERE ended_at <= started_at") == 0
        corr = dict(conn.execute("SELECT attname, correlation FROM pg_stats WHERE tablename = 'users'").fetchall())
        assert corr["created_at"] > 0.999 and corr["updated_at"] > 0.9
        assert q("SELECT bool_and(convalidated) FROM pg_constraint WHERE conrelid = 'orders'::regclass")


def test_settings_win_over_defaults_and_uniform_turns_them_off(pg_server, tmp_path):
    from advisor.seed.generate import seed_database
    from advisor.seed.settings import ColumnShape, SeedSettings

    with database(pg_server, SHOP, tmp_path) as conn:
        q = lambda sql: _q(conn, sql)  # noqa: E731
        settings = SeedSettings(rows=4000, tables={"users": 400})
        settings.columns[("users", "bio")] = ColumnShape(null_fraction=0.0)
        settings.columns[("orders", "status")] = ColumnShape(values=["pending", "failed"])
        settings.columns[("orders", "user_id")] = ColumnShape(distinct=400)
        seed_database(conn, settings)
        assert q("SELECT count(*) FROM users WHERE bio IS NULL") == 0
        assert 0.4 < q("SELECT avg((status = 'pending')::int) FROM orders") < 0.6  # as described: no skew
        assert q("SELECT max(c) FROM (SELECT count(*) c FROM orders GROUP BY user_id) x") < 40  # uniform
        assert 0.85 < q("SELECT avg((deleted_at IS NULL)::int) FROM users") < 0.95  # the rest: defaults

        conn.execute("TRUNCATE orders, users")
        seed_database(conn, SeedSettings(rows=4000, tables={"users": 400}, shape="uniform"))
        assert q("SELECT count(*) FROM users WHERE bio IS NULL OR deleted_at IS NULL") == 0
        assert 0.4 < q("SELECT avg(is_active::int) FROM users") < 0.6
        assert q("SELECT max(c) FROM (SELECT count(*) c FROM orders GROUP BY user_id) x") < 40
        assert q("SELECT count(*) FROM users WHERE updated_at <> created_at") == 0  # the old generator


def test_config_names_match_quoted_names_and_dates_grow(pg_server, tmp_path):
    """A TOML key is lower-cased, the catalog's "Wallet"."lastSyncedAt" is not: the setting still
    applies (and is not reported as naming a column the schema lacks)."""
    from advisor.seed.generate import seed_database
    from advisor.seed.settings import ColumnShape, SeedSettings

    ddl = """CREATE TABLE "Wallet" (id bigint PRIMARY KEY, "lastSyncedAt" timestamp(3), created_on date NOT NULL,
      starts_on date NOT NULL, ends_on date NOT NULL, CHECK (ends_on > starts_on));"""
    with database(pg_server, ddl, tmp_path) as conn:
        settings = SeedSettings(rows=100, tables={"wallet": 3000})
        settings.columns[("wallet", "lastsyncedat")] = ColumnShape(null_fraction=1.0)
        result = seed_database(conn, settings)
        assert result.rows == {"Wallet": 3000} and result.notes == []
        assert _q(conn, 'SELECT count(*) FROM "Wallet" WHERE "lastSyncedAt" IS NOT NULL') == 0
        assert _q(conn, 'SELECT count(*) FROM "Wallet" WHERE ends_on <= starts_on') == 0
        corr = dict(conn.execute("SELECT attname, correlation FROM pg_stats WHERE tablename = 'Wallet'").fetchall())
        assert corr["created_on"] > 0.999  # a day holds many rows, in the order they came


def test_stats_size_tables_and_shape_columns(pg_server, tmp_path):
    from advisor.config import Config
    from advisor.seed.generate import seed_database
    from advisor.seed.settings import seed_settings

    stats = {"version": 1, "values": False,
             "tables": [{"schema": "public", "table": "users", "relpages": 1, "reltuples": 37.0, "relallvisible": 1},
                        {"schema": "public", "table": "orders", "relpages": 90, "reltuples": 5e6, "relallvisible": 9}],
             "columns": [{"schema": "public", "table": "users", "column": "bio", "inherited": False,
                          "null_frac": 0.0, "n_distinct": -1.0},
                         {"schema": "public", "table": "orders", "column": "memo", "inherited": False,
                          "null_frac": 0.25, "n_distinct": -0.1},
                         {"schema": "public", "table": "orders", "column": "user_id", "inherited": False,
                          "null_frac": 0.0, "n_distinct": 12.0}]}
    (tmp_path / "stats.json").write_text(json.dumps(stats))
    config = Config(root=tmp_path, source=tmp_path / "advisor.toml", seed={"rows": 3000, "stats": "stats.json"})
    settings = seed_settings(config)
    assert settings.rows_for("users") == 37 and settings.rows_for("orders") == 3000  # up to [seed] rows
    with database(pg_server, SHOP, tmp_path) as conn:
        q = lambda sql: _q(conn, sql)  # noqa: E731
        assert seed_database(conn, settings).rows == {"users": 37, "orders": 3000}
        assert q("SELECT count(*) FROM users WHERE bio IS NULL") == 0  # production has none
        assert 0.2 < q("SELECT avg((memo IS NULL)::int) FROM orders") < 0.3
        assert 250 <= q("SELECT count(DISTINCT memo) FROM orders") <= 300  # a tenth of the rows
        assert q("SELECT count(DISTINCT user_id) FROM orders") == 12  # the parents production's children have
    explicit = seed_settings(Config(root=tmp_path, source=tmp_path / "advisor.toml",
                                    seed={"stats": "stats.json", "tables": {"users": {"rows": 5}}}))
    assert explicit.rows_for("users") == 5
    uniform = seed_settings(Config(root=tmp_path, source=tmp_path / "advisor.toml",
                                   seed={"stats": "stats.json", "shape": "uniform"}))
    assert uniform.rows_for("users") == 10000


def test_shape_setting_is_checked(tmp_path):
    from advisor.config import Config, ConfigError
    from advisor.seed.settings import seed_settings

    with pytest.raises(ConfigError, match="shape.*'production', 'uniform'.*'zipf'"):
        seed_settings(Config(root=tmp_path, source=tmp_path / "advisor.toml", seed={"shape": "zipf"}))


# --- what it changes in advice -------------------------------------------------------------

APP = """
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz);
CREATE TABLE jobs (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts(id), kind text NOT NULL,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
  created_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz);
-- the soft-delete index of the clearing guide (seed 004): an account's live jobs, newest first
CREATE INDEX jobs_account_live ON jobs (account_id, created_at DESC) WHERE deleted_at IS NULL;
"""
NEWEST = "SELECT id, email FROM accounts WHERE deleted_at IS NULL ORDER BY created_at DESC LIMIT 50"
CLAIM = "SELECT id, kind FROM jobs WHERE status = 'queued' AND deleted_at IS NULL ORDER BY created_at LIMIT 10"


@pytest.fixture(scope="module")
def advice(tmp_path_factory):
    """`advisor check --explain` on a small app seeded each way: its findings by shape and line."""
    from advisor.cli import main
    from advisor.cli_db import register
    from tests.conftest import _SESSION_CACHE

    if "indexes" not in main.commands:
        register(main)
    root = tmp_path_factory.mktemp("advice")
    out: dict[str, dict[int, list[dict]]] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ADVISOR_CACHE_DIR", _SESSION_CACHE)  # the test session's cache, as every test's
        mp.chdir(root)
        for shape in ("uniform", "production"):
            (root / shape / "queries").mkdir(parents=True)
            (root / shape / "schema.sql").write_text(APP)
            (root / shape / "queries" / "q.sql").write_text(f"{NEWEST};\n\n{CLAIM};\n")
            (root / shape / "advisor.toml").write_text(
                f'dialect = "postgres"\nschema = ["schema.sql"]\nlarge-tables = ["*"]\n[seed]\nrows = 20000\n'
                f'shape = "{shape}"\n')
            result = CliRunner().invoke(main, ["check", "--explain", "--format", "json", shape])
            assert result.exit_code in (0, 1), result.output
            data = json.loads(result.stdout)
            by_line = out.setdefault(shape, {})
            for f in data["findings"] if isinstance(data, dict) else data:
                if f["path"].endswith("q.sql"):
                    by_line.setdefault(f["line"], []).append(f)
    return out


def seq_scans(findings: list[dict]) -> list[dict]:
    """The metrics of each Seq Scan the plans show: a PLN001 finding's, or the evidence another finding of the
    statement carries when it makes the same claim on that table (advisor.explain.findings)."""
    return [f["metrics"] for f in findings if f["rule"] == "PLN001"] + [
        p for f in findings for p in f.get("metrics", {}).get("plan", []) if p["rule"] == "seq-scan-large-table"
    ]


def test_uniform_data_misstates_a_soft_delete_production_shapes_do_not(advice):
    """A soft delete: with no NULLs in the data, `deleted_at IS NULL` looks like it keeps one row -- the
    plan "reads 20,000 rows to keep ~1", and an index that holds the live rows looks empty (8 kB; before
    the partial candidates, it was accounts(deleted_at) that "cut the cost 99%" for nothing).  In
    production the live rows are nearly all rows: the planner sorts them all for 50, and the index that
    serves the query, (created_at DESC) WHERE deleted_at IS NULL, holds them."""
    uniform, production = advice["uniform"], advice["production"]
    scan = seq_scans(uniform[1])
    assert scan and scan[0]["rows_kept"] < 10
    assert not seq_scans(production[1])
    sort = [f for f in production[1] if f["rule"] == "PLN003"]
    assert sort and sort[0]["metrics"]["input_rows"] > 0.8 * 20000
    live = "accounts(created_at DESC) WHERE deleted_at IS NULL"
    small, real = ([f for f in advice[k][1] if f["rule"] == "IDX001" and f["metrics"]["index"] == live]
                   for k in ("uniform", "production"))
    assert small and real and real[0]["metrics"]["index_size"] > 20 * small[0]["metrics"]["index_size"]
    assert not any("accounts(deleted_at" in f["message"] for k in advice for f in advice[k][1])


def test_uniform_data_hides_a_queue_index_production_shapes_reveal_it(advice, pg_server, tmp_path):
    """The worker's claim query (the clearing fixture's): with no NULLs, the partial index of live
    rows is empty, `deleted_at IS NULL` seems to keep nothing and the query is "cheap already";
    with production's shape it reads the whole table, and an index on the queue is advised."""
    from advisor.seed.generate import seed_database
    from advisor.seed.settings import SeedSettings

    uniform, production = advice["uniform"], advice["production"]
    # uniform: no plan finding and no verified index (the measurement answered the static guess: cheap already)
    assert not any(f["rule"].startswith("PLN") or f.get("evidence") == "measured" for f in uniform.get(3, []))
    scans = seq_scans(production[3])
    assert scans and scans[0]["rows_kept"] > 100
    advised = [f for f in production[3] if f["rule"] == "IDX001" and f["metrics"].get("cost_after") is not None]
    assert advised and advised[0]["metrics"]["cost_after"] < 0.5 * advised[0]["metrics"]["cost_before"]
    # the index that need calls for, measured on the production-shaped data
    with database(pg_server, APP, tmp_path) as conn:
        seed_database(conn, SeedSettings(rows=20000))
        cost = lambda: conn.execute(f"EXPLAIN (FORMAT JSON) {CLAIM}").fetchone()[0][0]["Plan"]["Total Cost"]  # noqa: E731
        before = cost()
        with conn.transaction(force_rollback=True):
            conn.execute("CREATE INDEX ON jobs (created_at) WHERE status = 'queued' AND deleted_at IS NULL")
            assert cost() < 0.05 * before


# --- invariants, for every shape -------------------------------------------------------------

_TYPES = st.sampled_from(["bigint", "text", "uuid"])


@st.composite
def schemas(draw):
    """Two tables, a parent and a child, with a random mix of what seeding must honour."""
    key = draw(_TYPES)
    statuses = draw(st.lists(st.sampled_from(["new", "active", "done", "failed", "held", "sent"]),
                             min_size=2, max_size=5, unique=True))
    default = draw(st.sampled_from([None, *statuses]))
    parent = [f"id {key} PRIMARY KEY", "code text UNIQUE",
              "status text NOT NULL" + (f" DEFAULT '{default}'" if default else "")
              + f" CHECK (status IN ({', '.join(repr(s) for s in statuses)}))",
              "flag boolean" + draw(st.sampled_from(["", " NOT NULL", " NOT NULL DEFAULT true", " DEFAULT false"])),
              "created_at timestamptz" + draw(st.sampled_from(["", " NOT NULL", " NOT NULL DEFAULT now()"])),
              "updated_at timestamptz" + draw(st.sampled_from(["", " NOT NULL"])),
              "note text", "amount numeric(8,2) CHECK (amount >= 0)"]
    if draw(st.booleans()):
        parent += ["ended_at timestamptz", "CHECK (ended_at > created_at)"]
    nullable_fk = draw(st.booleans())
    child = ["id bigint PRIMARY KEY", f"parent_id {key}{'' if nullable_fk else ' NOT NULL'} REFERENCES parent(id)",
             "seq int NOT NULL", "kind text NOT NULL", "deleted_at timestamptz", "a text", "b text",
             "CHECK (a IS NOT NULL OR b IS NOT NULL)", "UNIQUE (parent_id, seq)"]
    ddl = (f"CREATE TABLE parent ({', '.join(parent)});\n"
           f"CREATE TABLE child ({', '.join(child)});\n")
    rows = {"parent": draw(st.integers(1, 200)), "child": draw(st.integers(0, 600))}
    return ddl, rows, draw(st.sampled_from(["production", "uniform"])), draw(st.integers(0, 2**32 - 1))


CONTENT = ("SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {} t")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(schemas())
def test_seeding_keeps_every_constraint_and_is_deterministic(pg_server, tmp_path, schema):
    from advisor.seed.generate import seed_database
    from advisor.seed.settings import SeedSettings

    ddl, rows, shape, seed = schema
    contents = []
    for _ in range(2):  # the same settings in a second database: the same data
        with database(pg_server, ddl, tmp_path) as conn:
            q = lambda sql: _q(conn, sql)  # noqa: E731
            result = seed_database(conn, SeedSettings(rows=100, tables=rows, shape=shape, seed=seed))
            assert result.notes == []  # nothing left out, no constraint dropped or left unvalidated
            assert result.rows == rows
            assert q("SELECT bool_and(convalidated) FROM pg_constraint WHERE connamespace = 'public'::regnamespace")
            assert q("SELECT count(*) FROM child c LEFT JOIN parent p ON p.id = c.parent_id "
                     "WHERE c.parent_id IS NOT NULL AND p.id IS NULL") == 0
            assert q("SELECT count(*) - count(DISTINCT code) - count(*) FILTER (WHERE code IS NULL) FROM parent") == 0
            assert q("SELECT count(*) - count(DISTINCT (parent_id, seq)) FROM child") == 0
            assert q("SELECT count(*) FROM parent WHERE updated_at < created_at") == 0  # what follows, follows
            assert q("SELECT count(*) FROM child WHERE seq IS NULL OR kind IS NULL OR (a IS NULL AND b IS NULL)") == 0
            contents.append([q(CONTENT.format("parent")), q(CONTENT.format("child"))])
    assert contents[0] == contents[1]


def test_an_integer_flag_is_seeded_as_a_flag(pg_server, tmp_path):
    """Synapse keeps booleans as numbers (`deactivated smallint DEFAULT 0 NOT NULL`): seeded as random numbers,
    `deactivated = 0` matched no row and an index on it was "verified" at -95 %. A number with a default of 0 or 1
    and a name that says a state of the row is a flag, its default the common value; a count is not one."""
    from advisor.seed.generate import seed_database
    from advisor.seed.settings import SeedSettings

    ddl = ("CREATE TABLE users (id bigint PRIMARY KEY, deactivated smallint NOT NULL DEFAULT 0, "
           "is_guest integer NOT NULL DEFAULT 1, retries smallint NOT NULL DEFAULT 0);\n")
    with database(pg_server, ddl, tmp_path) as conn:
        seed_database(conn, SeedSettings(rows=5000))
        q = lambda sql: _q(conn, sql)  # noqa: E731
        assert q("SELECT array_agg(DISTINCT deactivated ORDER BY deactivated) FROM users") == [0, 1]
        assert 0.8 < q("SELECT avg((deactivated = 0)::int) FROM users") < 0.97  # the default: the common value
        assert 0.8 < q("SELECT avg((is_guest = 1)::int) FROM users") < 0.97
        assert q("SELECT count(DISTINCT retries) FROM users") > 2  # a count, not a flag
