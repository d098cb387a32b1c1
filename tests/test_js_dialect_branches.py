"""An @effect/sql store (holdout 105's @effect/cluster): the table is a name a local function builds from a prefix
(`const table = (name: string) => `${prefix}_${name}``), held in a name bound to the tag's identifier call
(`const messagesSql = sql(table("messages"))`); statements are tagged with type arguments (`sql<Row>`...``), and
each database has its own member of `sql.onDialectOrElse({ pg: ..., mysql: ..., orElse: ... })`. Read: the table
`{}_messages` (what only the run knows left as `{}`), every statement, and only the configured database's SQL, in
the statements and in the schema the module's strings hold."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

STORE = """\
import * as SqlClient from "@effect/sql/SqlClient"

export const make = (sql: SqlClient.SqlClient, options?: { readonly prefix?: string }) => {
  const prefix = options?.prefix ?? "app"
  const table = (name: string) => `${prefix}_${name}`
  const messagesSql = sql(table("messages"))

  const migrate = sql.onDialectOrElse({
    mysql: () => sql`CREATE TABLE IF NOT EXISTS ${messagesSql} (id BIGINT AUTO_INCREMENT PRIMARY KEY, shard VARCHAR(50) NOT NULL, kind INT)`,
    pg: () => sql`CREATE TABLE IF NOT EXISTS ${messagesSql} (id BIGSERIAL PRIMARY KEY, shard TEXT NOT NULL, kind INT)`,
    orElse: () => sql`CREATE TABLE IF NOT EXISTS ${messagesSql} (id INTEGER PRIMARY KEY, shard TEXT NOT NULL, kind INTEGER)`
  })

  const unprocessed = (shard: string) => sql<{ id: number }>`SELECT id FROM ${messagesSql} WHERE shard = ${shard}`
  const byKind = sql.onDialectOrElse({
    mssql: () => (kind: number) => sql`SELECT TOP 10 id FROM ${messagesSql} WHERE kind = ${kind}`,
    orElse: () => (kind: number) => sql<Array<{ id: number }>>`SELECT id FROM ${messagesSql} WHERE kind = ${kind} LIMIT 10`
  })
  const firstKind = sql.onDialectOrElse({
    pg: () => sql`SELECT id FROM ${messagesSql} WHERE kind = 1 FOR UPDATE SKIP LOCKED`,
    orElse: () => sql`SELECT id FROM ${messagesSql} WHERE kind = 1`
  })
  return { migrate, unprocessed, byKind, firstKind }
}
"""
CONFIG = 'dialect = "postgres"\nschema = ["store.ts"]\nlarge-tables = ["*"]\n'


def test_the_configured_databases_statements_on_the_prefixed_table(project):
    project({"store.ts": STORE, "advisor.toml": CONFIG})
    loaded = load_project(["."], Options())
    texts = sorted(" ".join(q.text.split()) for s in loaded.sources for q in s.queries)
    assert texts == [
        "CREATE TABLE IF NOT EXISTS {}_messages (id BIGSERIAL PRIMARY KEY, shard TEXT NOT NULL, kind INT)",
        "SELECT id FROM {}_messages WHERE kind = $1 LIMIT 10",  # the fallback: no member names PostgreSQL here
        "SELECT id FROM {}_messages WHERE kind = 1 FOR UPDATE SKIP LOCKED",  # pg's; its fallback is the others'
        "SELECT id FROM {}_messages WHERE shard = $1",  # tagged with its row type
    ]
    assert [c.name for c in loaded.schema.tables[next(iter(loaded.schema.tables))].columns.values()] == [
        "id",
        "shard",
        "kind",
    ]  # the PostgreSQL definition, not MySQL's AUTO_INCREMENT one first
    assert {i.columns for i in loaded.schema.indexes} == {("id",)}


def test_no_finding_on_another_databases_sql(project):
    project({"store.ts": STORE, "advisor.toml": CONFIG})
    names = [catalogue.lookup(f.rule).name for f in engine.check(["."]).active]
    assert "parse-error" not in names and "unread-statement" not in names
    assert names.count("missing-index") == 3  # shard, kind twice: neither is indexed on a table said to be large


def test_a_list_the_tag_writes_after_in(project):
    """`IN ${sql.in(ids)}`, `IN ${literalList(ids)}`: PostgreSQL takes no bound value after IN, only a parenthesised
    list, which the tag writes; read as `IN ($1)`, so the statement parses and plans (it was `IN $1`: a syntax error
    the explain-error note blamed on the code). `(a, b) VALUES ${sql.csv(rows)}`: rows of that width."""
    project({
        "store.ts": 'import postgres from "postgres";\nconst sql = postgres();\n'
        "export const byIds = (ids: string[]) => sql`SELECT id FROM jobs WHERE id IN ${sql.in(ids)} AND a = ${1}`;\n"
        "export const add = (rows: unknown[]) => sql`INSERT INTO jobs (id, a) VALUES ${sql.csv(rows)} RETURNING id`;\n",
        "advisor.toml": 'dialect = "postgres"\n',
    })
    texts = [" ".join(q.text.split()) for s in load_project(["."], Options()).sources for q in s.queries]
    assert texts == [
        "SELECT id FROM jobs WHERE id IN ($1) AND a = $2",
        "INSERT INTO jobs (id, a) VALUES ($1, $2) RETURNING id",  # rows of the column list's width
    ]
