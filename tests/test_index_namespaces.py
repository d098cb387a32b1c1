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
            "advisor.toml": 'large-tables = ["*"]\nschema = ["schema.sql"]\npaths = ["queries"]\n[seed]\nrows = 20000\n[explain]\ncache = false\n',
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
    facts = build_facts(parse_sql("SELECT id FROM staging WHERE account = 17"), schema)
    assert candidates_for(facts, schema) == []
    facts = build_facts(parse_sql("SELECT id FROM events WHERE account = 17"), schema)
    assert "events(account)" in [c.describe() for c in candidates_for(facts, schema)]
    # a view's query is read in its place (pushdown.through_views): the index goes on its table, never on it
    facts = build_facts(parse_sql("SELECT id FROM big_events WHERE account = 17"), schema)
    found = candidates_for(facts, schema)
    assert found and {c.table for c in found} == {"events"} and "events(account)" in [c.describe() for c in found]


def _through_views(ddl: str, sql: str) -> list[str]:
    from advisor.facts.sql import build_facts
    from advisor.indexes.verify import candidates_for
    from advisor.parse import parse_sql

    schema = schema_from_queries(extract_sql("schema.sql", ddl, source="schema"))
    return [c.describe() for c in candidates_for(build_facts(parse_sql(sql), schema), schema)]


VIEWS = """
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL, total numeric,
                     created_at timestamptz NOT NULL);
CREATE VIEW open_orders (ident, customer, amount) AS SELECT id, customer_id, total FROM orders WHERE status = 'open';
CREATE VIEW recent AS SELECT o.id, o.customer_id AS buyer, o.created_at FROM orders o WHERE o.total > 100;
CREATE VIEW recent_open AS SELECT r.id, r.buyer FROM recent r JOIN open_orders oo ON oo.ident = r.id;
CREATE VIEW summed AS SELECT customer_id, sum(total) AS spent FROM orders GROUP BY customer_id;
"""


def test_a_query_through_a_view_gets_candidates_on_the_view_s_tables():
    """Issue 12: the planner reads a view as the subquery it stands for and pushes the outer conditions into it;
    the candidates follow, through its column list, its aliases and a view over views (before: no candidate, and
    the measured 'no-candidate' answered the static finding with nothing)."""
    found = _through_views(VIEWS, "SELECT ident FROM open_orders WHERE customer = $1")
    assert "orders(customer_id) WHERE status = 'open'" in found and "orders(status, customer_id) INCLUDE (id, total)" in found
    assert "orders(customer_id)" in _through_views(VIEWS, "SELECT v.id FROM recent v WHERE v.buyer = $1")
    assert "orders(customer_id)" in _through_views(VIEWS, "SELECT id FROM recent_open WHERE buyer = 7")
    # a condition on an aggregate's group is not pushed into a GROUP BY: nothing is claimed for it
    assert _through_views(VIEWS, "SELECT spent FROM summed WHERE spent > 10") == []


def test_views_written_out_are_bounded_however_they_nest():
    """A view joining another ten times, eight deep, would be written out 10^8 times: past VIEW_READS reads of a
    view, none is written out and the statement gets what it had before (no candidate on a view)."""
    ddl = ["CREATE TABLE t (id int PRIMARY KEY, a int);", "CREATE VIEW v0 AS SELECT id, a FROM t;"]
    for level in range(1, 9):
        joins = " ".join(f"JOIN v{level - 1} x{k} ON x{k}.id = x0.id" for k in range(1, 10))
        ddl.append(f"CREATE VIEW v{level} AS SELECT x0.id, x0.a FROM v{level - 1} x0 {joins};")
    assert _through_views("\n".join(ddl), "SELECT id FROM v8 WHERE a = 1") == []
    assert "t(a)" in _through_views("\n".join(ddl), "SELECT id FROM v1 WHERE a = 1")


def test_advisor_indexes_builds_on_the_tables_a_view_reads(project, pg_server):  # noqa: F811
    """End to end on the embedded server: the statements read views (a column list, a view over a view, a
    FROM subquery), the set is built on their table and verified, and the migration names the table."""
    statements = _migration(
        project,
        VIEWS,
        "SELECT ident FROM open_orders WHERE customer = $1;\n"
        "SELECT id FROM recent_open WHERE buyer = $1;\n"
        "SELECT s.id FROM (SELECT id, customer_id FROM orders) s WHERE s.customer_id = $1;\n",
    )
    creates = [s for s in statements if s.startswith("CREATE INDEX")]
    assert creates and all(" ON orders (" in s for s in creates), statements
    assert any("(customer_id)" in s for s in creates), creates
