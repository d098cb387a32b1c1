"""Holdout 8's false SQL classes (issue 10), fixed in general.

1. Foreign keys dropped by the names PostgreSQL gave them: a migration that runs
   `ALTER TABLE prices DROP CONSTRAINT prices_product_fkey` removes the unnamed
   `product text REFERENCES products` an earlier one declared (stripe-sync-engine's
   dist/migrations/0034_remove_foreign_keys.sql), so no unindexed-foreign-key on it.
"""

from advisor import engine
from advisor.schema.ddl import schema_from_queries
from advisor.seed.server import connect
from advisor.sources.sql_files import extract_sql
from tests.conftest_db import pg_server  # noqa: F401


def build(*files: tuple[str, str]):
    queries = []
    for path, text in files:
        queries += extract_sql(path, text)
    return schema_from_queries(queries)


def fk_names(schema, table):
    return sorted(f.name for f in schema.tables[table].foreign_keys)


# The shapes of stripe-sync-engine's migrations (0003_prices.sql, 0013_add_subscription_items.sql, 0034)
CREATE = """
create table if not exists "stripe"."products" ("id" text primary key);
create table if not exists "stripe"."subscriptions" ("id" text primary key);
create table if not exists "stripe"."prices" ("id" text primary key, "product" text references stripe.products);
create table if not exists "stripe"."subscription_items" (
  "id" text primary key,
  "price" text references "stripe"."prices",
  "subscription" text references "stripe"."subscriptions"
);
"""
DROP = """
ALTER TABLE "stripe"."prices" DROP CONSTRAINT IF EXISTS "prices_product_fkey";
ALTER TABLE "stripe"."subscription_items" DROP CONSTRAINT IF EXISTS "subscription_items_price_fkey";
ALTER TABLE "stripe"."subscription_items" DROP CONSTRAINT IF EXISTS "subscription_items_subscription_fkey";
"""


def test_unnamed_foreign_keys_get_postgresql_default_names():
    schema = build(("migrations/0001.sql", CREATE))
    assert fk_names(schema, "prices") == ["prices_product_fkey"]
    assert fk_names(schema, "subscription_items") == [
        "subscription_items_price_fkey",
        "subscription_items_subscription_fkey",
    ]


def test_drop_constraint_by_default_name_removes_the_foreign_key():
    schema = build(("migrations/0001.sql", CREATE), ("migrations/0034.sql", DROP))
    assert fk_names(schema, "prices") == []
    assert fk_names(schema, "subscription_items") == []


def test_dropped_foreign_keys_are_not_reported(project):
    root = project(
        {
            "advisor.toml": 'large-tables = ["*"]\ndialect = "postgres"\nschema = ["migrations/*.sql"]\n',
            "migrations/0001_create.sql": CREATE,
            "migrations/0034_remove_foreign_keys.sql": DROP,
        }
    )

    def unindexed():
        return [f for f in engine.check(["."]).active if f.rule == "SCH003"]

    assert unindexed() == []
    # without the drops, the same keys are reported: the test can fail
    (root / "migrations/0034_remove_foreign_keys.sql").unlink()
    assert len(unindexed()) == 3


def test_a_named_foreign_key_is_dropped_by_its_name_only():
    schema = build(
        (
            "m.sql",
            """
            create table a (id int primary key);
            create table b (id int primary key, a_id int constraint b_to_a references a, c int, d int,
              foreign key (c, d) references a2 (x, y));
            alter table b drop constraint b_a_id_fkey;
            """,
        )
    )
    assert fk_names(schema, "b") == ["b_c_d_fkey", "b_to_a"]
    schema = build(
        ("m.sql", "create table b (a_id int constraint b_to_a references a); alter table b drop constraint b_to_a;")
    )
    assert fk_names(schema, "b") == []


LONG = "a_rather_long_table_name_that_goes_on_and_on_ffff"  # 49 bytes
LONG_DDL = f"""
create table target (x int unique, y int, unique (x, y));
create table {LONG} (
  some_quite_long_column_name_one int references target (x),
  some_quite_long_column_name_one_again int,
  "ééééééééééééééééééééééééééééééé" int,
  foreign key (some_quite_long_column_name_one, some_quite_long_column_name_one_again) references target (x, y),
  foreign key ("ééééééééééééééééééééééééééééééé") references target (x)
);
create table dup (a int references target (x), b int, foreign key (a) references other (z));
"""


def test_default_names_match_the_database(pg_server):  # noqa: F811
    """Long names are cut to 63 bytes as PostgreSQL cuts them, on a character boundary, and a taken name
    gets a number: what the embedded server itself names the same keys."""
    ddl = LONG_DDL.replace("references other (z)", "references target (x)")
    with connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute("create schema fk_names")
        conn.execute("set search_path = fk_names")
        conn.execute("create table other (z int primary key)")
        for statement in ddl.split(";"):
            if statement.strip():
                conn.execute(statement)
        rows = conn.execute(
            "select conrelid::regclass::text, conname from pg_constraint "
            "where contype = 'f' and connamespace = 'fk_names'::regnamespace"
        ).fetchall()
        conn.execute("drop schema fk_names cascade")
    expected: dict[str, list[str]] = {}
    for table, name in rows:
        expected.setdefault(table.strip('"'), []).append(name)
    schema = build(("m.sql", LONG_DDL))
    assert len(expected[LONG]) == 3
    for table, names in expected.items():
        assert fk_names(schema, table) == sorted(names)
    assert max(len(n.encode()) for n in expected[LONG]) == 63


# 2. PL/pgSQL's INTO wherever it stands, with several targets, record fields and NEW.col: shapes from
# nominatim-db's lib-sql/functions/placex_triggers.sql (a trigger function; relation_members is declared
# in an inner block)
TRIGGER = """
CREATE OR REPLACE FUNCTION placex_update() RETURNS TRIGGER AS $$
DECLARE
  bnd RECORD;
BEGIN
  IF bnd.osm_type = 'R' THEN
    DECLARE
      relation_members TEXT[];
    BEGIN
      SELECT members FROM planet_osm_rels WHERE id = bnd.osm_id INTO relation_members;
    END;
  END IF;
  SELECT * INTO NEW.rank_search, NEW.rank_address
    FROM compute_place_rank(NEW.country_code, NEW.class, 'x INTO y');
  SELECT wikipedia, importance INTO STRICT NEW.wikipedia, NEW."importance"
    FROM compute_importance(NEW.extratags, NEW.country_code);
  SELECT * FROM insert_addresslines(NEW.place_id, NEW.partition)
    INTO NEW.parent_place_id, NEW.postcode, nameaddress_vector;
  INSERT INTO location_area (place_id) VALUES (NEW.place_id) RETURNING place_id INTO NEW.place_id;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def body_statements(text):
    from advisor.parse import parse_sql

    queries = [q for q in extract_sql("functions.sql", text) if q.origin == "function-body"]
    return [(q, parse_sql(q.text)) for q in queries]


def test_plpgsql_into_targets_anywhere_are_removed():
    statements = body_statements(TRIGGER)
    assert len(statements) == 5
    for query, tree in statements:
        assert type(tree).__name__ != "ParseFailure", query.text
        assert " INTO NEW" not in query.text and "INTO relation" not in query.text and "INTO STRICT" not in query.text
    texts = [q.text for q, _ in statements]
    assert "'x INTO y'" in texts[1]  # a string is left as it is
    assert texts[4].startswith("INSERT INTO location_area")  # the INSERT's own INTO stays
    # same length: a position in the statement is the position in the file
    last = statements[3][0]
    assert (last.location.line, last.location.col) == (17, 3)
    assert TRIGGER.splitlines()[last.location.line - 1][last.location.col - 1 :].startswith("SELECT * FROM insert_")


def test_into_in_a_sql_function_creates_a_table_and_stays():
    text = "CREATE FUNCTION f() RETURNS void AS $$ SELECT a INTO archive FROM t $$ LANGUAGE sql;"
    ((query, _tree),) = body_statements(text)
    assert "INTO archive" in query.text


# 3. A function of a column that a usable partial index's predicate holds: nominatim-db's placex has
# `CREATE INDEX ... USING gist (geometry) WHERE rank_address between 1 and 25 AND ST_GeometryType(geometry) IN
# (...)` (lib-sql/tables/placex.sql:48-51), and placex_triggers.sql:237-241 writes that condition to use it
PLACEX = """
CREATE TABLE placex (place_id bigint PRIMARY KEY, rank_address smallint, geometry geometry, name text);
CREATE INDEX idx_placex_geometry_address_area_candidates ON placex
  USING gist (geometry)
  WHERE rank_address between 1 and 25
        and ST_GeometryType(geometry) in ('ST_Polygon','ST_MultiPolygon');
"""


def wrapped_findings(project, query):
    project(
        {
            "advisor.toml": 'large-tables = ["*"]\ndialect = "postgres"\nschema = ["db/*.sql"]\n',
            "db/schema.sql": PLACEX,
            "queries/q.sql": query,
        }
    )
    return [(f.location.path, f.location.line) for f in engine.check(["."]).active if f.rule == "SQL003"]


USES_INDEX = """
SELECT place_id FROM placex
 WHERE $1 && geometry
   AND rank_address between 5 and 25
   AND ST_GeometryType(geometry) in ('ST_Polygon','ST_MultiPolygon')
 ORDER BY rank_address desc;
"""


def test_condition_of_a_usable_partial_index_is_not_reported(project):
    assert wrapped_findings(project, USES_INDEX) == []


def test_condition_without_a_usable_partial_index_is_reported(project):
    # rank_address up to 26 is outside the predicate: PostgreSQL cannot use the index, each row is evaluated
    outside = USES_INDEX.replace("between 5 and 25", "between 5 and 26")
    assert wrapped_findings(project, outside) == [("queries/q.sql", 4)]
    # a function the predicate does not hold
    other = USES_INDEX.replace("ST_GeometryType(geometry)", "ST_Dimension(geometry)").replace(
        "('ST_Polygon','ST_MultiPolygon')", "(2)"
    )
    assert wrapped_findings(project, other) == [("queries/q.sql", 4)]


def test_a_storage_template_before_the_where_of_an_index_reads_as_nothing():
    """nominatim-db writes `USING gist (geometry) {{db.tablespace.address_index}} WHERE ...`: the index is known,
    with its predicate; a template that may be the WHERE itself (at the end) still leaves it unknown."""
    templated = PLACEX.replace("USING gist (geometry)", "USING gist (geometry) {{db.tablespace.address_index}}")
    schema = build(("lib-sql/tables/placex.sql", templated))
    (index,) = [i for i in schema.indexes if i.where]
    assert index.name == "idx_placex_geometry_address_area_candidates" and "rank_address" in index.where
    at_end = "CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a) {{db.tablespace.address_index}};"
    assert [i.name for i in build(("t.sql", at_end)).indexes] == []
