"""Holdout 50 (openworkflow): postgres.js's client is a tag function under whatever name the code gives it (`pg`,
`tx`, a parameter), and a table is a fragment a method of the class builds (`${pg(this.schema)}.${pg("runs")}`).
In a project that imports a driver whose tag runs the template (postgres.js, Bun's SQL, the serverless clients,
slonik), a template a name tags whose text is SQL is a statement; the method's fragment is written in, the
schema only the run knows left off. A project with no such driver: no statement (a `gql`, an `html` tag, a
`dedent` of text). And its migrations, each a `BEGIN; ...; COMMIT;` script in a template, are its schema."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

CLIENT = """\
import postgres from "postgres";

export function newPostgres(url) {
  return postgres(url);
}

export function migrations(schema) {
  return [
    `BEGIN;

    CREATE TABLE IF NOT EXISTS ${schema}."runs" (
      "id" TEXT NOT NULL PRIMARY KEY,
      "status" TEXT NOT NULL,
      "worker" TEXT,
      "deadline_at" TIMESTAMPTZ
    );

    CREATE INDEX IF NOT EXISTS "runs_status_idx" ON ${schema}."runs" ("status");

    COMMIT;`,
  ];
}
"""

BACKEND = """\
import { newPostgres } from "./postgres.js";

export class Backend {
  constructor(url, schema) {
    this.pg = newPostgres(url);
    this.schema = schema;
  }

  async byStatus(status) {
    const runs = this.runsTable();
    return await this.pg`SELECT "id" FROM ${runs} WHERE "status" = ${status} LIMIT 10`;
  }

  async byWorker(tx, worker) {
    const runs = this.runsTable(tx);
    return await tx`SELECT "id" FROM ${runs} WHERE "worker" = ${worker}`;
  }

  runsTable(pg = this.pg) {
    return pg`${pg(this.schema)}.${pg("runs")}`;
  }
}
"""


def statements(project, files: dict[str, str]) -> list[tuple[str, int, str]]:
    project(files)
    loaded = load_project(["."], Options())
    return [
        (s.path, q.location.line, " ".join(q.text.split()))
        for s in loaded.sources
        for q in s.queries
        if hasattr(q, "text") and q.text.lstrip().upper().startswith("SELECT")
    ]


def test_a_template_a_name_tags_is_a_statement_where_the_project_imports_a_tag_driver(project):
    read = statements(project, {"src/postgres.js": CLIENT, "src/backend.js": BACKEND})
    assert ("src/backend.js", 11, 'SELECT "id" FROM "runs" WHERE "status" = $1 LIMIT 10') in read
    assert ("src/backend.js", 16, 'SELECT "id" FROM "runs" WHERE "worker" = $1') in read


def test_no_tag_driver_no_statement(project):
    read = statements(project, {"src/backend.js": BACKEND})
    assert [r for r in read if r[0] == "src/backend.js"] == []


def test_the_migration_scripts_in_one_transaction_are_the_schema_and_the_claims_follow(project):
    project(
        {
            "advisor.toml": 'dialect = "postgres"\nschema = ["src/postgres.js"]\nlarge-tables = ["*"]\n',
            "src/postgres.js": CLIENT,
            "src/backend.js": BACKEND,
        }
    )
    loaded = load_project(["."], Options())
    assert {(i.table, i.name) for i in loaded.schema.indexes} >= {("runs", "runs_pkey"), ("runs", "runs_status_idx")}
    found = [(catalogue.lookup(f.rule).name, f.location.line) for f in engine.check(["."]).active]
    assert ("missing-index", 16) in found  # worker: no index
    assert ("missing-index", 11) not in found  # status: runs_status_idx


CONDITION = """\
import postgres from "postgres";

export class Store {
  constructor(url) {
    this.pg = postgres(url);
  }

  async finish(id) {
    return await this.pg`UPDATE "runs" SET "status" = 'done' WHERE "status" = 'running' AND ${this.byId(id)}`;
  }

  byId(id) {
    return this.pg`"id" = ${id}`;
  }
}
"""


def test_a_condition_a_method_builds_with_the_members_tag_is_written_in(project):
    project({"src/store.js": CONDITION})
    loaded = load_project(["."], Options())
    texts = [" ".join(q.text.split()) for s in loaded.sources for q in s.queries if hasattr(q, "text")]
    assert 'UPDATE "runs" SET "status" = \'done\' WHERE "status" = \'running\' AND "id" = $1' in texts


METERS = """\
import postgres from "postgres";

const sql = postgres(process.env.DATABASE_URL);

export async function write(values, id) {
  const names = Object.keys(values);
  await sql`INSERT INTO meter ${sql(values, ...names)} RETURNING id`;
  await sql`UPDATE meter SET ${sql(values, ...names)} WHERE id = ${id}`;
  await sql`INSERT INTO meter ${sql(values)}`;
  return sql`SELECT * FROM ${sql("meter")} WHERE id = ${id}`;
}
"""


def test_a_call_of_the_tag_with_a_row_is_a_helper_the_tag_writes_never_a_bound_value(project):
    """Holdout 60 (konsumation): postgres.js's `${sql(values, ...names)}` writes a column list and its values (or
    `SET a = $1, ...`) where the run calls it: text only the run knows, `{}`, not the bound `$1` PostgreSQL would
    refuse (`UPDATE meter SET $1`); `${sql("meter")}` is still the quoted name."""
    project({"src/meters.js": METERS})
    loaded = load_project(["."], Options())
    texts = [" ".join(q.text.split()) for s in loaded.sources for q in s.queries]
    assert texts == [
        "INSERT INTO meter {} RETURNING id",
        "UPDATE meter SET {} WHERE id = $1",
        "INSERT INTO meter {}",
        'SELECT * FROM "meter" WHERE id = $1',
    ]
