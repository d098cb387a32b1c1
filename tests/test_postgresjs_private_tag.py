"""A postgres.js store whose tag and table are private fields (holdout 65's @fedify/postgres: `this.#sql = sql`,
`this.#tableName = options.tableName ?? "fedify_kv_v2"`, then `${this.#sql(this.#tableName)}` in every statement):
the tag's call quotes the identifier it is given, so the table is the option's default in the statements and in the
schema the module's strings hold alike; the module's `drop()` (`DROP TABLE IF EXISTS` of the table its start-up
creates if missing) is a reset on request, not a step of the schema's history."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

KV = """\
export class PostgresKvStore {
  #sql;
  #tableName;
  constructor(sql, options = {}) {
    this.#sql = sql;
    this.#tableName = options.tableName ?? "fedify_kv_v2";
  }
  async get(key) {
    await this.initialize();
    return await this.#sql`
      SELECT value FROM ${this.#sql(this.#tableName)} WHERE key = ${key};
    `;
  }
  async byOwner(owner) {
    return await this.#sql`SELECT key FROM ${this.#sql(this.#tableName)} WHERE owner = ${owner};`;
  }
  async initialize() {
    await this.#sql`
      CREATE TABLE IF NOT EXISTS ${this.#sql(this.#tableName)} (
        key text PRIMARY KEY,
        owner text,
        value jsonb NOT NULL
      );
    `;
  }
  async drop() {
    await this.#sql`DROP TABLE IF EXISTS ${this.#sql(this.#tableName)};`;
  }
}
"""
MOD = 'import postgres from "postgres";\nimport { PostgresKvStore } from "./kv.js";\nexport const kv = new PostgresKvStore(postgres());\n'
CONFIG = 'dialect = "postgres"\nschema = ["kv.js"]\nlarge-tables = ["*"]\n'


def _texts(loaded):
    return [" ".join(q.text.split()) for s in loaded.sources for q in s.queries]


def test_the_tags_own_call_writes_the_options_default_table(project):
    project({"kv.js": KV, "mod.js": MOD, "advisor.toml": CONFIG})
    loaded = load_project(["."], Options())
    texts = _texts(loaded)
    assert 'SELECT value FROM "fedify_kv_v2" WHERE key = $1;' in texts  # not `FROM $1`, a bound value
    assert 'DROP TABLE IF EXISTS "fedify_kv_v2";' in texts  # read as a statement of the code still


def test_the_tables_schema_outlives_the_modules_drop_method(project):
    project({"kv.js": KV, "mod.js": MOD, "advisor.toml": CONFIG})
    loaded = load_project(["."], Options())
    assert set(loaded.schema.tables) == {"fedify_kv_v2"}
    assert [(i.table, i.columns, i.primary) for i in loaded.schema.indexes] == [("fedify_kv_v2", ("key",), True)]
    found = engine.check(["."]).active
    missing = [f for f in found if catalogue.lookup(f.rule).name == "missing-index"]
    assert [(f.location.path, f.location.line) for f in missing] == [("kv.js", 15)]  # by owner; never by key


def test_a_table_the_caller_must_name_stays_unknown(project):
    chosen = KV.replace('options.tableName ?? "fedify_kv_v2"', "options.tableName")
    project({"kv.js": chosen, "mod.js": MOD, "advisor.toml": CONFIG})
    loaded = load_project(["."], Options())
    assert set(loaded.schema.tables) == set()
    assert "SELECT value FROM {} WHERE key = $1;" in _texts(loaded)

