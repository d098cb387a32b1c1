"""Where the printed DDL builds an index: in its table's schema when that is not public (a migration runs on
the search path of the session that applies it, not on the one advisor's seeded database gives its own
sessions), on a partitioned table's partitions, and never on a view or a temporary table."""

from __future__ import annotations

from click.testing import CliRunner

from advisor.indexes.candidates import Candidate
from advisor.ir import IndexKey
from advisor.schema.ddl import schema_from_queries
from advisor.sources.sql_files import extract_sql
from tests.conftest_db import fresh_database, pg_server  # noqa: F401

SCHEMA = """
CREATE SCHEMA app;
CREATE SCHEMA "We Ird";
CREATE TABLE app.events (id int PRIMARY KEY, account int NOT NULL, note text NOT NULL);
CREATE TABLE "We Ird".accounts (id int PRIMARY KEY, owner int NOT NULL);
SET search_path TO app;
CREATE TABLE notes (id int PRIMARY KEY, event_id int NOT NULL REFERENCES app.events (id), body text);
"""


def _migration(project, schema: str, queries: str) -> list[str]:
    """The statements `advisor indexes --max-size none` prints for a project of this schema and these queries."""
    from advisor.cli import main
    from advisor.cli_db import register
    from advisor.sources.sql_files import split_statements

    if "indexes" not in main.commands:
        register(main)
    root = project(
        {
            "advisor.toml": 'schema = ["schema.sql"]\npaths = ["queries"]\n[seed]\nrows = 20000\n[explain]\ncache = false\n',
            "schema.sql": schema,
            "queries/a.sql": queries,
        }
    )
    result = CliRunner().invoke(main, ["indexes", str(root), "--max-size", "none"])
    assert result.exit_code == 0, result.output
    return [result.stdout[a:b].strip() for a, b in split_statements(result.stdout)]


def test_a_quoted_schema_on_the_search_path_keeps_its_case():
    queries = extract_sql("a.sql", 'CREATE SCHEMA "We Ird";\nSET search_path TO "We Ird", public;\nCREATE TABLE t (id int);')
    queries += extract_sql("b.sql", "SET search_path = App;\nCREATE TABLE u (id int);")
    schema = schema_from_queries(queries)
    assert (schema.tables["t"].namespace, schema.tables["u"].namespace) == ("We Ird", "app")


def test_a_table_knows_the_schema_it_was_created_in():
    # a SET search_path holds for the rest of its file (one session), not for the next file
    queries = extract_sql("a.sql", SCHEMA, source="schema") + extract_sql("b.sql", "CREATE TABLE plain (id int);")
    schema = schema_from_queries(queries)
    assert {t.name: t.namespace for t in schema.tables.values()} == {
        "events": "app", "accounts": "We Ird", "notes": "app", "plain": ""
    }
    assert Candidate("accounts", (IndexKey("owner"),), namespace="We Ird").ddl() == (
        'CREATE INDEX CONCURRENTLY idx_accounts_owner ON "We Ird".accounts (owner);'
    )


def test_the_migration_and_the_fix_texts_run_on_a_default_search_path(project, pg_server):  # noqa: F811
    """Before: `CREATE INDEX ... ON events (account)`, which fails where the search path is `"$user", public`."""
    from advisor.cli import main

    queries = 'SELECT note FROM app.events WHERE account = 17;\nSELECT id FROM "We Ird".accounts WHERE owner = 3;\n'
    statements = _migration(project, SCHEMA, queries)
    assert "CREATE INDEX CONCURRENTLY idx_events_account ON app.events (account)" in statements
    assert 'CREATE INDEX CONCURRENTLY idx_accounts_owner ON "We Ird".accounts (owner)' in statements
    check = CliRunner().invoke(main, ["check", ".", "--select", "unindexed-foreign-key"])
    assert "CREATE INDEX CONCURRENTLY idx_notes_event_id ON app.notes (event_id);" in check.output, check.output
    with fresh_database(pg_server, "ns") as db:
        db.execute(SCHEMA)
        db.execute("RESET search_path")
        for statement in statements:
            db.execute(statement)
        built = db.execute(
            "SELECT schemaname, indexname FROM pg_indexes WHERE indexname IN ('idx_events_account', 'idx_accounts_owner')"
        ).fetchall()
        assert sorted(built) == [("We Ird", "idx_accounts_owner"), ("app", "idx_events_account")]


PARTITIONED = """
CREATE TABLE measurements (id bigint NOT NULL, device int NOT NULL, taken date NOT NULL, value float8)
    PARTITION BY RANGE (taken);
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE logs (id bigint, at date NOT NULL, level int) PARTITION BY RANGE (at);
CREATE TABLE logs_2024 PARTITION OF logs FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY LIST (level);
"""


def test_a_partitioned_table_gets_an_index_it_can_take_as_printed(project, pg_server):  # noqa: F811
    """PostgreSQL builds no index CONCURRENTLY on a partitioned table ('cannot create index on partitioned
    table "measurements" concurrently': what advisor printed before).  With its partitions known: an index ON
    ONLY it, one on each partition built CONCURRENTLY and attached, valid once all are; when they are not all
    known (here a partition partitioned again), one plain CREATE INDEX, which runs as printed."""
    schema = schema_from_queries(extract_sql("schema.sql", PARTITIONED, source="schema"))
    assert schema.partitions("measurements") == (("", "measurements_2024"), ("", "measurements_2025"))
    assert schema.partitions("logs") == () and schema.partitions("measurements_2024") is None
    logs = Candidate("logs", (IndexKey("level"),), partitions=())
    assert logs.ddl() == "CREATE INDEX idx_logs_level ON logs (level);"
    statements = _migration(project, PARTITIONED, "SELECT value FROM measurements WHERE device = 42;\n")
    assert statements[0] == "CREATE INDEX idx_measurements_device ON ONLY measurements (device)", statements
    assert "ALTER INDEX idx_measurements_device ATTACH PARTITION idx_measurements_2025_device" in statements
    with fresh_database(pg_server, "part") as db:
        db.execute(PARTITIONED)
        for statement in statements:  # each on its own, as psql runs a file outside a transaction block
            db.execute(statement)
        db.execute(logs.ddl())
        valid = db.execute(
            "SELECT c.relname, i.indisvalid, (SELECT count(*) FROM pg_inherits h WHERE h.inhparent = c.oid) "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname IN ('idx_measurements_device', 'idx_logs_level')"
        ).fetchall()
        assert sorted(valid) == [("idx_logs_level", True, 1), ("idx_measurements_device", True, 2)]


def test_no_candidate_on_a_view_or_a_temporary_table():
    """A view has no index of its own, a temporary table lives for one session: an index on either cannot be
    printed (before: 'the database refuses an index on big_events(account)' for a query of a view)."""
    from advisor.facts.sql import build_facts
    from advisor.indexes.verify import candidates_for
    from advisor.parse import parse_sql

    ddl = (
        "CREATE TABLE events (id int PRIMARY KEY, account int NOT NULL, kind int NOT NULL);"
        "CREATE VIEW big_events AS SELECT * FROM events WHERE kind > 5;"
        "CREATE TEMP TABLE staging (id int, account int);"
    )
    schema = schema_from_queries(extract_sql("schema.sql", ddl, source="schema"))
    assert schema.tables["staging"].temporary and schema.tables["big_events"].kind == "view"
    for table in ("big_events", "staging"):
        facts = build_facts(parse_sql(f"SELECT id FROM {table} WHERE account = 17"), schema)
        assert candidates_for(facts, schema) == [], table
    facts = build_facts(parse_sql("SELECT id FROM events WHERE account = 17"), schema)
    assert "events(account)" in [c.describe() for c in candidates_for(facts, schema)]
