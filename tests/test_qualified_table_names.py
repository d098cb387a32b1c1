"""Table names a JavaScript class builds through its own methods (holdout 34's @voltagent/postgres 2.1.2: `this.tablePrefix
= options.tablePrefix ?? "voltagent_memory"`, then in each method `const messagesTable =
this.getTableName(`${this.tablePrefix}_messages`)`, where getTableName returns the name, or `"${this.schema}"."${name}"`
when a schema is set; the vector store's `${this.vectorTable()}`) name one table each, `…_messages`, alike in the
schema's strings and in the queries: its indexes are known and judged (and a `$${n}` the run numbers is no `$$`
that swallows the schema's later statements). Every table had been `{}`: 72 statements and
no finding. A value `+=` appends to the statement before it runs is judged where it is appended (the adapter's
`sql += ` ORDER BY ${orderBy} ${orderDirection}``, the caller's text), also inside a `try` around both."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

STORE = """\
class MemoryAdapter {
  constructor(options) {
    this.tablePrefix = options.tablePrefix ?? "app_memory";
    this.schema = options.schema;
  }
  getTableName(tableName) {
    if (this.schema) {
      return `"${this.schema}"."${tableName}"`;
    }
    return tableName;
  }
  vectorTable() {
    return `${this.tablePrefix}_vectors`;
  }
  async initialize(client) {
    const conversations = this.getTableName(`${this.tablePrefix}_conversations`);
    const messages = this.getTableName(`${this.tablePrefix}_messages`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${conversations} (id TEXT PRIMARY KEY, user_id TEXT NOT NULL)`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${messages} (
        conversation_id TEXT NOT NULL REFERENCES ${conversations}(id) ON DELETE CASCADE,
        message_id TEXT NOT NULL,
        PRIMARY KEY (conversation_id, message_id)
      )`);
    await client.query(`CREATE INDEX IF NOT EXISTS idx_${this.tablePrefix}_messages_conv ON ${messages}(conversation_id)`);
    await client.query(`SELECT column_name FROM information_schema.columns WHERE table_name = $${this.schema ? 2 : 1}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${this.vectorTable()} (id TEXT PRIMARY KEY, v BYTEA)`);
  }
  async list(client, options) {
    const conversations = this.getTableName(`${this.tablePrefix}_conversations`);
    try {
      let sql = `SELECT * FROM ${conversations} WHERE user_id = $1`;
      const orderBy = options.orderBy || "id";
      sql += ` ORDER BY ${orderBy}`;
      return await client.query(sql, [options.userId]);
    } finally {
      client.release();
    }
  }
  async vector(client, id) {
    return client.query(`SELECT v FROM ${this.vectorTable()} WHERE id = $1`, [id]);
  }
}
module.exports = { MemoryAdapter };
"""

CONFIG = 'dialect = "postgres"\nschema = ["lib/store.js"]\n'


def test_a_table_named_through_the_classs_own_methods_is_one_table(project):
    project({"lib/store.js": STORE, "advisor.toml": CONFIG})
    loaded = load_project(["."], Options())
    assert set(loaded.schema.tables) == {"___conversations", "___messages", "___vectors"}
    texts = {
        q.text for s in loaded.sources for q in s.queries if "SELECT" in q.text and "information_schema" not in q.text
    }
    assert texts == {
        "SELECT * FROM {}_conversations WHERE user_id = $1 ORDER BY {}",
        "SELECT v FROM {}_vectors WHERE id = $1",
    }


def test_its_indexes_are_judged_and_an_appended_value_where_it_is_appended(project):
    project({"lib/store.js": STORE, "advisor.toml": CONFIG + 'large-tables = ["*_messages"]\n'})
    found = {catalogue.lookup(f.rule).name: f for f in engine.check(["."]).active}
    # (unknown-size: no index serves user_id, and nothing says how large the conversations grow)
    assert set(found) == {"redundant-index", "sql-string-building", "unknown-size"}
    redundant = found["redundant-index"]
    assert (
        redundant.location.line == 25
        and "…_messages_pkey on …_messages (conversation_id, message_id)" in redundant.message
    )
    built = found["sql-string-building"]  # at the `+=`, naming what it splices; the table's name is not a value
    assert built.location.line == 34 and "values (orderBy)" in built.message


def test_a_method_that_names_two_tables_names_none(project):
    two = STORE.replace("    return tableName;\n", "    return `${tableName}_v2`;\n")
    project({"lib/store.js": two, "advisor.toml": CONFIG})
    loaded = load_project(["."], Options())
    assert set(loaded.schema.tables) == {"___vectors"}  # getTableName's returns differ: no one name
    assert "SELECT * FROM {} WHERE user_id = $1 ORDER BY {}" in {q.text for s in loaded.sources for q in s.queries}


def test_this_in_a_function_of_the_method_is_another_object(project):
    # `function () { this.getTableName(...) }` inside the method: `this` is whatever calls it, not the class
    inner = STORE.replace(
        "    const conversations = this.getTableName(`${this.tablePrefix}_conversations`);\n    try {",
        "    const conversations = (function () { return this.getTableName(`${this.tablePrefix}_conversations`); })();\n    try {",
    )
    project({"lib/store.js": inner, "advisor.toml": CONFIG})
    loaded = load_project(["."], Options())
    texts = {q.text for s in loaded.sources for q in s.queries if "user_id = $1" in q.text}
    assert texts == {"SELECT * FROM {} WHERE user_id = $1 ORDER BY {}"}
