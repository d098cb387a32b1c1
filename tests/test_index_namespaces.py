"""Printed DDL names a table's schema when it is not public: a migration runs on the search path of the
session that applies it, not on the one advisor's seeded database gives its own sessions (every schema the
files create)."""

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
    from advisor.cli_db import register
    from advisor.sources.sql_files import split_statements

    if "indexes" not in main.commands:
        register(main)
    root = project(
        {
            "advisor.toml": 'schema = ["schema.sql"]\npaths = ["queries"]\n[seed]\nrows = 20000\n[explain]\ncache = false\n',
            "schema.sql": SCHEMA,
            "queries/a.sql": 'SELECT note FROM app.events WHERE account = 17;\nSELECT id FROM "We Ird".accounts WHERE owner = 3;\n',
        }
    )
    result = CliRunner().invoke(main, ["indexes", str(root), "--max-size", "none"])
    assert result.exit_code == 0, result.output
    statements = [result.stdout[a:b].strip() for a, b in split_statements(result.stdout)]
    assert "CREATE INDEX CONCURRENTLY idx_events_account ON app.events (account)" in statements
    assert 'CREATE INDEX CONCURRENTLY idx_accounts_owner ON "We Ird".accounts (owner)' in statements
    check = CliRunner().invoke(main, ["check", str(root), "--select", "unindexed-foreign-key"])
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
