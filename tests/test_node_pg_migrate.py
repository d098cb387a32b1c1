"""node-pg-migrate's builder calls in a migration named as a schema file (holdout 81's @cardstack/pgsearch, whose tables
and indexes are only `pgm.createTable(...)`, `pgm.addConstraint(...)`, `pgm.createIndex(...)`): each is the DDL it runs,
a statement at the call, replayed in the steps' order; `exports.down` undoes a step and is not read; a call whose
arguments advisor cannot read leaves its table one it has not seen whole."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options
from advisor.schema.code_keys import schema_statements

INITIAL = """\
exports.up = pgm => {
    pgm.createTable("documents", {
        type: "varchar",
        id: "varchar",
        branch: "varchar",
        refs: "varchar[]",
        source: "varchar",
        expires: { type: "timestamp with time zone", notNull: true },
    });
    pgm.sql('ALTER TABLE documents SET UNLOGGED');
    pgm.addConstraint("documents", "documents_pkey", { primaryKey: ["type", "id", "branch"] });
    pgm.createIndex("documents", "refs", { method: "GIN" });
};
exports.down = pgm => {
    pgm.dropTable("documents");
};
"""

BRANCHLESS = """\
exports.up = (pgm) => {
  pgm.dropConstraint('documents', 'documents_pkey');
  pgm.dropColumns('documents', 'branch');
  pgm.addConstraint("documents", "documents_pkey", { primaryKey: ["type", "id"]});
};
"""

QUERIES = """\
const { Client } = require("pg");
const client = new Client();
async function bySource(source) { return client.query("SELECT id FROM documents WHERE source = $1", [source]); }
async function one(type, id) { return client.query("SELECT refs FROM documents WHERE type = $1 AND id = $2", [type, id]); }
module.exports = { bySource, one };
"""

CONFIG = 'dialect = "postgres"\nschema = ["migrations/*.js"]\nlarge-tables = ["*"]\n'


def test_the_builder_calls_are_the_ddl_they_run_at_their_calls():
    statements = [(q.location.line, q.text) for q in schema_statements("migrations/1_initial.js", INITIAL)]
    assert statements[0][0] == 2 and statements[0][1].startswith("CREATE TABLE documents (type varchar, id varchar")
    assert "expires timestamp with time zone NOT NULL" in statements[0][1]
    assert [line for line, _ in statements] == [2, 10, 11, 12]  # the step's order; `down`'s DROP TABLE not read
    assert statements[2][1] == "ALTER TABLE documents ADD CONSTRAINT documents_pkey PRIMARY KEY (type, id, branch)"
    assert statements[3][1] == "CREATE INDEX ON documents USING GIN (refs)"


def test_the_steps_replay_to_the_schema_and_its_claims_are_judged(project):
    project({"migrations/1_initial.js": INITIAL, "migrations/2_branchless.js": BRANCHLESS, "app/store.js": QUERIES,
             "advisor.toml": CONFIG})
    schema = load_project(["."], Options()).schema
    assert sorted((i.columns, i.primary) for i in schema.indexes_on("documents")) == [
        (("refs",), False), (("type", "id"), True)]
    assert "branch" not in schema.tables["documents"].columns
    found = {(catalogue.lookup(f.rule).name, f.location.line) for f in engine.check(["."]).active}
    assert ("missing-index", 3) in found  # by source: no index has it
    assert not any(line == 4 for _, line in found)  # the primary key serves the lookup
    assert "incomplete-schema" not in {name for name, _ in found}


def test_a_call_advisor_cannot_read_leaves_its_table_unseen(project):
    unread = INITIAL.replace('pgm.createIndex("documents", "refs", { method: "GIN" });',
                             'pgm.createIndex("documents", indexed, { method: "GIN" });')
    project({"migrations/1_initial.js": unread, "app/store.js": QUERIES, "advisor.toml": CONFIG})
    found = {catalogue.lookup(f.rule).name for f in engine.check(["."]).active}
    assert "missing-index" not in found and "incomplete-schema" in found


def test_the_id_shorthand_and_a_key_of_two_columns():
    step = """\
exports.up = (pgm) => {
  pgm.createTable("users", { id: "id", email: { type: "text", notNull: true, unique: true } });
  pgm.createTable("members", {
    group_id: { type: "integer", primaryKey: true },
    user_id: { type: "integer", primaryKey: true, references: "users", onDelete: "CASCADE" },
  });
};
"""
    texts = [q.text for q in schema_statements("migrations/1_users.js", step)]
    assert texts == [
        "CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL)",
        "CREATE TABLE members (group_id integer, user_id integer REFERENCES users ON DELETE CASCADE, "
        "PRIMARY KEY (group_id, user_id))",
    ]


def test_a_materialized_view_made_if_it_does_not_exist_is_a_schema_statement():
    """Holdout 83's ultralytics: `pgm.sql(`CREATE MATERIALIZED VIEW IF NOT EXISTS daily_event_stats AS ...`)` and
    the indexes on it, in one step: the view's statement is read too (without it, its indexes were refused by the
    seeded database: the relation did not exist)."""
    step = (
        "exports.up = (pgm) => {\n"
        "  pgm.sql(`\n"
        "    CREATE MATERIALIZED VIEW IF NOT EXISTS daily_event_stats AS\n"
        "    SELECT DATE_TRUNC('day', timestamp) AS day, name AS event_name, COUNT(*) AS event_count\n"
        "    FROM events GROUP BY DATE_TRUNC('day', timestamp), name\n"
        "    WITH DATA;\n"
        "  `);\n"
        "  pgm.sql(`CREATE INDEX IF NOT EXISTS idx_daily_event_stats_day ON daily_event_stats (day);`);\n"
        "};\n"
    )
    statements = [" ".join(q.text.split())[:48] for q in schema_statements("migrations/1685001600000_views.js", step)]
    assert statements == [
        "CREATE MATERIALIZED VIEW IF NOT EXISTS daily_eve",
        "CREATE INDEX IF NOT EXISTS idx_daily_event_stats",
    ]


def test_if_not_exists_is_a_materialized_view_s_only():
    """PostgreSQL takes IF NOT EXISTS for a materialized view, not for a view: `CREATE VIEW IF NOT EXISTS` is SQLite's
    (nutshell's wallet migrations), not read as this dialect's statement."""
    from advisor.sources.sql_shape import runs_as_sql

    assert runs_as_sql("CREATE MATERIALIZED VIEW IF NOT EXISTS daily AS SELECT day FROM events")
    assert not runs_as_sql("CREATE VIEW IF NOT EXISTS balance AS SELECT COALESCE(SUM(s), 0) AS balance FROM (SELECT 1 AS s)")


def test_a_call_on_the_step_s_parameter_that_is_no_builder_call_is_not_a_table_s():
    """A Sequelize-style step (`export async function up(connection) { await connection.query(`CREATE TABLE ...`) }`,
    holdout 108's): `query` is no builder method, so its SQL is no table's name left unseen (it was read as
    `ALTER TABLE "CREATE TABLE ..." ADD ?`, rejected 31 times by the seeded database); its string is the schema."""
    step = (
        "export async function up (connection, queryOptions = {}) {\n"
        "  await connection.query(`\n    CREATE TABLE IF NOT EXISTS pages (id text PRIMARY KEY);\n  `, queryOptions)\n}\n"
    )
    texts = [" ".join(q.text.split()) for q in schema_statements("lib/migrations/001-initial.js", step)]
    assert texts == ["CREATE TABLE IF NOT EXISTS pages (id text PRIMARY KEY)"]
