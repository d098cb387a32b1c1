"""Claims about a condition that is not what finds the rows, and about DDL a template renders (issue 10).

1. A DROP in a template's `{% if %}` branch may not run: nominatim-db's lib-sql/indices.sql drops the partial GiST
   index idx_placex_geometry_address_area_candidates only `{% if drop %}` (a frozen database); replayed, it made
   advisor forget the index placex_triggers.sql's `ST_GeometryType(geometry) IN (...)` is written to use.
2. Another condition an index searches by (`bbox && geometry`, `wallet_id = $1`) is the access path: a wrapped
   column beside it is a filter over the rows that index finds, not "every row is evaluated".
3. A parent whose children a template creates (`CREATE TABLE area_{{ p }} () INHERITS (area)` in a `{% for %}`
   loop, nominatim-db's partition-tables.src.sql) is not known whole: no missing-index on it.
4. or-across-columns: an OR costs a scan only when one branch has no index while another has one; advisor says so
   only when it has seen the table's indexes, and never beside function-on-column for the same cause (lnbits'
   `LOWER(email) = :value or LOWER(username) = :value`).
"""

import psycopg

from advisor import catalogue, engine
from advisor.schema.ddl import schema_from_queries
from advisor.sources.sql_files import extract_sql
from tests.conftest_db import pg_server  # noqa: F401


def build(*files: tuple[str, str]):
    queries = []
    for path, text in files:
        queries += extract_sql(path, text)
    return schema_from_queries(queries)


def found(project, files, schema_glob='schema = ["db/*.sql"]\n'):
    project({"advisor.toml": 'large-tables = ["*"]\ndialect = "postgres"\n' + schema_glob, **files})
    return [(catalogue.lookup(f.rule).name, f.location.path, f.location.line) for f in engine.check(["."]).active]


# --- 1. DROP in a template's conditional branch ---------------------------------------------------------------

PLACEX = """\
CREATE TABLE placex (
  place_id BIGINT NOT NULL,
  rank_address SMALLINT NOT NULL,
  geometry GEOMETRY(Geometry, 4326) NOT NULL
  );

CREATE INDEX idx_placex_geometry_address_area_candidates ON placex
  USING gist (geometry) {{db.tablespace.address_index}}
  WHERE rank_address between 1 and 25
        and ST_GeometryType(geometry) in ('ST_Polygon','ST_MultiPolygon');

CREATE INDEX idx_placex_rank_address_sector ON placex
  USING BTREE (rank_address) {{db.tablespace.address_index}}
  WHERE rank_address > 0;
"""

# the shape of nominatim-db's lib-sql/indices.sql: both branches of `{% if drop %}`, then statements after it
INDICES = """\
CREATE INDEX IF NOT EXISTS idx_placex_geometry ON placex
  USING GIST (geometry);
---
DROP INDEX IF EXISTS idx_placex_rank_address_sector;

{% if drop %}
---
  DROP INDEX IF EXISTS idx_placex_geometry_address_area_candidates;
  DROP INDEX IF EXISTS idx_placex_geometry;
{% else %}
-- Indices only needed for updating.
---
  CREATE INDEX IF NOT EXISTS idx_placex_rank ON placex USING BTREE (rank_address);
{% endif %}

{%- if 'search_name' in db.tables %}
  CREATE INDEX IF NOT EXISTS idx_placex_place ON placex USING BTREE (place_id);
{% endif %}
DROP INDEX IF EXISTS idx_placex_place;
"""


def test_a_drop_in_a_template_branch_keeps_what_it_drops():
    schema = build(("lib-sql/tables/placex.sql", PLACEX), ("lib-sql/indices.sql", INDICES))
    names = {i.name for i in schema.indexes}
    # dropped only `{% if drop %}`: the configuration that runs the update triggers keeps them
    assert {"idx_placex_geometry_address_area_candidates", "idx_placex_geometry"} <= names
    # a CREATE in the other branch exists in some configuration
    assert "idx_placex_rank" in names
    # outside any branch a DROP drops: before the `{% if %}`, and after its `{% endif %}`
    assert "idx_placex_rank_address_sector" not in names
    assert "idx_placex_place" not in names


def test_a_template_branch_in_one_file_ends_with_it():
    unclosed = "CREATE INDEX a_x ON a (x);\n{% if drop %}\nDROP INDEX a_y;\n"
    other = "CREATE TABLE a (x int, y int);\nCREATE INDEX a_y ON a (y);\nDROP INDEX a_x;\n"
    schema = build(("one.sql", unclosed), ("two.sql", other))
    assert {i.name for i in schema.indexes} == {"a_y"}  # two.sql's DROP is no branch of one.sql's `{% if %}`


TRIGGER = """\
CREATE OR REPLACE FUNCTION find_parent_for_poi(bbox GEOMETRY)
  RETURNS BIGINT
  AS $$
DECLARE
  location RECORD;
BEGIN
  FOR location IN
    SELECT place_id FROM placex
     WHERE bbox && geometry AND _ST_Covers(geometry, ST_Centroid(bbox))
           AND rank_address between 5 and 25
           AND ST_GeometryType(geometry) in ('ST_Polygon','ST_MultiPolygon')
     ORDER BY rank_address desc
  LOOP
    RETURN location.place_id;
  END LOOP;
  RETURN NULL;
END;
$$
LANGUAGE plpgsql STABLE PARALLEL SAFE;
"""


def test_the_condition_of_a_partial_index_a_template_branch_drops_is_not_reported(project):
    files = {"lib-sql/tables/placex.sql": PLACEX, "lib-sql/functions/placex_triggers.sql": TRIGGER}
    schema = 'schema = ["lib-sql/tables/*.sql", "lib-sql/indices.sql"]\n'
    only_drop = "{% if drop %}\n  DROP INDEX IF EXISTS idx_placex_geometry_address_area_candidates;\n{% endif %}\n"
    kept = found(project, {**files, "lib-sql/indices.sql": only_drop}, schema)
    assert [f for f in kept if f[0] == "function-on-column"] == []
    # dropped for good, the condition is evaluated on every row the remaining access reads
    dropped = "DROP INDEX IF EXISTS idx_placex_geometry_address_area_candidates;\n"
    assert ("function-on-column", "lib-sql/functions/placex_triggers.sql", 11) in found(
        project, {**files, "lib-sql/indices.sql": dropped}, schema
    )


# --- 2. another condition an index searches by ------------------------------------------------------------------

LEDGER = """\
CREATE TABLE transactions (id bigint PRIMARY KEY, wallet_id text NOT NULL, status text NOT NULL,
  created_at timestamptz NOT NULL, usd_value numeric, email text, tags text[]);
CREATE INDEX idx_transactions_wallet ON transactions (wallet_id);
CREATE INDEX idx_transactions_status ON transactions (status);
CREATE INDEX idx_transactions_tags ON transactions USING gin (tags);
CREATE INDEX idx_transactions_email ON transactions (email);
"""

REPO = '''\
from sqlalchemy import text


def large_transfers(conn, wallet_id):
    """Compliance report: transfers above 10k USD of one wallet."""
    return conn.execute(
        text(
            "SELECT id, usd_value FROM transactions "
            "WHERE wallet_id = :wallet_id AND usd_value * 100 > 1000000"
        ),
        {"wallet_id": wallet_id},
    ).fetchall()


def tagged_large(conn, tags):
    return conn.execute(
        text("SELECT id FROM transactions WHERE tags && :tags AND usd_value * 100 > 1000000"), {"tags": tags}
    ).fetchall()


def active_by_email(conn, email):
    return conn.execute(
        text("SELECT id FROM transactions WHERE status = 'active' AND lower(email) = :email"), {"email": email}
    ).fetchall()


def all_large(conn):
    return conn.execute(text("SELECT id FROM transactions WHERE usd_value * 100 > 1000000")).fetchall()
'''


def wrapped(project, schema=LEDGER):
    return [
        line
        for rule, path, line in found(project, {"db/schema.sql": schema, "app/repo.py": REPO})
        if rule == "function-on-column"
    ]


def test_a_wrapped_column_beside_an_indexed_lookup_filters_the_rows_found(project):
    # wallet_id = :wallet_id (B-tree) and tags && :tags (GIN) find the rows; the arithmetic filters them.
    # `status = 'active'` is a state, which may hold for most rows: lower(email) there is reported (it defeats
    # idx_transactions_email), as is the arithmetic with nothing else to find the rows by
    assert wrapped(project) == [23, 28]


def test_without_an_index_for_the_other_condition_the_wrap_is_reported(project):
    bare = LEDGER.replace("CREATE INDEX idx_transactions_wallet ON transactions (wallet_id);\n", "").replace(
        "CREATE INDEX idx_transactions_tags ON transactions USING gin (tags);\n", ""
    )
    assert wrapped(project, bare) == [9, 17, 23, 28]


def test_a_wrap_that_costs_the_index_the_lookup_uses_is_reported(project):
    # the index that finds the wallet's rows also holds the wrapped column: the cast keeps it from seeking on it
    schema = LEDGER + "CREATE INDEX idx_transactions_wallet_time ON transactions (wallet_id, created_at);\n"
    daily = (
        "SELECT id FROM transactions WHERE wallet_id = $1 AND created_at::date = $2;\n"
        "SELECT id FROM transactions WHERE wallet_id = $1 AND usd_value * 100 > 1000000;\n"
    )
    rules = found(project, {"db/schema.sql": schema, "queries/daily.sql": daily})
    assert [line for rule, _, line in rules if rule == "function-on-column"] == [1]


def test_a_wrap_no_rewrite_or_index_could_remove_filters_the_rows_another_index_finds(project):
    # message-db's consumer group: MOD(hash(stream_name), $6) = $5 beside `global_position >= $2` (the primary key).
    # An index on stream_name exists, but no rewrite frees the column from a hash modulo a parameter and no index can
    # hold an expression of a parameter: the condition can only filter the rows the key's range finds
    schema = (
        "CREATE TABLE messages (global_position bigint PRIMARY KEY, stream_name text NOT NULL, position bigint);\n"
        "CREATE UNIQUE INDEX messages_stream ON messages (stream_name, position);\n"
    )
    group = (
        "SELECT * FROM messages WHERE global_position >= $2 AND MOD(hashtext(stream_name), $6) = $5;\n"
        "SELECT * FROM messages WHERE MOD(hashtext(stream_name), $6) = $5;\n"
        "SELECT * FROM messages WHERE global_position >= $2 AND lower(stream_name) = $5;\n"
    )
    rules = found(project, {"db/schema.sql": schema, "queries/group.sql": group})
    assert [line for rule, _, line in rules if rule == "function-on-column"] == [2, 3]


def test_postgresql_finds_the_rows_by_the_other_condition_and_filters_them(pg_server):  # noqa: F811
    """What the silence rests on: the plan reads the wallet's rows (the tag's rows) by their index and tests the
    arithmetic on those alone."""
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        with conn.transaction(force_rollback=True):
            conn.execute(LEDGER.replace("numeric", "numeric(12,2)"))
            conn.execute(
                "INSERT INTO transactions SELECT g, 'w' || (g % 5000), 'active', now(), g % 20000, 'u' || g, "
                "ARRAY['t' || (g % 3000)] FROM generate_series(1, 60000) g"
            )
            conn.execute("ANALYZE transactions")
            for where, index in (
                ("wallet_id = 'w7' AND usd_value * 100 > 1000000", "idx_transactions_wallet"),
                ("tags && ARRAY['t7'] AND usd_value * 100 > 1000000", "idx_transactions_tags"),
            ):
                plan = "\n".join(r[0] for r in conn.execute(f"EXPLAIN SELECT id FROM transactions WHERE {where}"))
                assert index in plan and "Seq Scan" not in plan, plan
                assert "(usd_value * '100'::numeric) > '1000000'::numeric" in plan, plan  # a filter on those rows


# --- 3. children a template creates ---------------------------------------------------------------------------

AREA = """\
CREATE TABLE location_area (
  place_id BIGINT NOT NULL,
  keywords INTEGER[] NOT NULL,
  geometry GEOMETRY(Geometry, 4326) NOT NULL
  );

CREATE TABLE location_area_large () INHERITS (location_area);
"""

PARTITIONS = """\
{% for partition in db.partitions %}
  CREATE TABLE location_area_large_{{ partition }} () INHERITS (location_area_large) {{db.tablespace.address_data}};
  CREATE INDEX idx_location_area_large_{{ partition }}_place_id
    ON location_area_large_{{ partition }}
    USING BTREE (place_id) {{db.tablespace.address_index}};
{% endfor %}
"""

DELETE = """\
CREATE OR REPLACE FUNCTION delete_location(OLD_place_id BIGINT)
  RETURNS BOOLEAN
  AS $$
BEGIN
  DELETE FROM location_area where place_id = OLD_place_id;
  RETURN true;
END;
$$
LANGUAGE plpgsql;
"""


def test_a_parent_whose_children_a_template_creates_is_not_known_whole(project):
    files = {"lib-sql/tables/location_area.sql": AREA, "lib-sql/functions/utils.sql": DELETE}
    schema = 'schema = ["lib-sql/tables/*.sql"]\n'
    with_children = found(project, {**files, "lib-sql/partition-tables.src.sql": PARTITIONS}, schema)
    assert [f for f in with_children if f[0] == "missing-index"] == []
    assert "incomplete-schema" in {f[0] for f in with_children}
    # children listed by name are known whole: the one without an index is reported
    named = "CREATE TABLE location_area_large_1 () INHERITS (location_area_large);\n"
    by_name = found(project, {**files, "lib-sql/partition-tables.src.sql": named}, schema)
    assert ("missing-index", "lib-sql/functions/utils.sql", 5) in by_name


def test_templated_child_names_mark_the_parent():
    schema = build(("area.sql", AREA), ("partition-tables.src.sql", PARTITIONS))
    assert "location_area_large" in schema.gaps and "template" in schema.gaps["location_area_large"]
    assert "location_area" not in schema.gaps  # its child location_area_large is named


# --- 4. or-across-columns --------------------------------------------------------------------------------------

USERS = '''\
async def get_account_by_username_or_email(username_or_email: str, conn=None):
    return await (conn or db).fetchone(
        """
            SELECT * FROM accounts
            WHERE
                (LOWER(email) = :value or LOWER(username) = :value)
                AND (activated = true OR activated = :activated)
        """,
        {"value": username_or_email.lower(), "activated": True},
    )


async def get_account(login: str, conn=None):
    return await (conn or db).fetchone(
        "SELECT id FROM accounts WHERE email = :login OR username = :login", {"login": login}
    )
'''

ACCOUNTS = """\
CREATE TABLE accounts (id text PRIMARY KEY, email text, username text, activated boolean);
CREATE INDEX idx_accounts_email ON accounts (email);
"""


def test_an_or_of_wrapped_columns_is_function_on_columns_finding(project):
    # no schema: function-on-column says LOWER() defeats the indexes; whether the OR's branches have indexes,
    # advisor does not know, so the OR is not blamed
    rules = found(project, {"crud/users.py": USERS}, schema_glob="")
    assert sorted((r, line) for r, _, line in rules if r in ("function-on-column", "or-across-columns")) == [
        ("function-on-column", 6),
        ("function-on-column", 6),
    ]


def test_an_or_is_blamed_for_the_branch_without_an_index(project):
    rules = found(project, {"crud/users.py": USERS, "db/schema.sql": ACCOUNTS})
    assert [(r, line) for r, _, line in rules if r == "or-across-columns"] == [("or-across-columns", 15)]
    (finding,) = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "or-across-columns"]
    assert "no index serves accounts.username" in finding.message
    # both branches indexed: a BitmapOr of the two
    indexed = ACCOUNTS + "CREATE INDEX idx_accounts_username ON accounts (username);\n"
    assert "or-across-columns" not in {
        r for r, _, _ in found(project, {"crud/users.py": USERS, "db/schema.sql": indexed})
    }
    # an expression index on each wrapped branch: served, and no function-on-column either
    expressions = ACCOUNTS + (
        "CREATE INDEX accounts_lower_email ON accounts (LOWER(email));\n"
        "CREATE INDEX accounts_lower_username ON accounts (LOWER(username));\n"
    )
    rules = found(project, {"crud/users.py": USERS, "db/schema.sql": expressions})
    assert [(r, line) for r, _, line in rules if r in ("function-on-column", "or-across-columns")] == [
        ("or-across-columns", 15)
    ]
