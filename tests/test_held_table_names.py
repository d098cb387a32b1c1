"""A table named by a class member the module sets once (holdout 26's errsole-postgres: `this.logsTable =
`${tablePrefix}_logs_v3`` in the constructor, then `CREATE TABLE ${this.logsTable}` in the schema's strings and
`FROM ${this.logsTable}` in every query) is one table, `…_logs_v3`, in the schema and in the queries alike: its
indexes are known and judged. A member set twice, or to a name only the run knows, names no table."""

from hypothesis import given
from hypothesis import strategies as st

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options
from advisor.sources.held_names import held_text

STORE = """\
class Store {
  constructor (options = {}) {
    let { tablePrefix } = options;
    tablePrefix = tablePrefix ? `errsole_${tablePrefix}` : 'errsole';
    this.logsTable = `${tablePrefix}_logs_v3`;
    this.notificationsTable = `${tablePrefix}_notifications`;
    this.usersTable = 'app_users';
    this.otherTable = options.table;
  }
  async createTables () {
    const queries = [
      `CREATE TABLE IF NOT EXISTS ${this.logsTable} (id BIGSERIAL PRIMARY KEY, hostname text, ts timestamptz)`,
      `CREATE INDEX IF NOT EXISTS idx_${this.logsTable}_hostname_ts ON ${this.logsTable} (hostname, ts)`,
      `CREATE INDEX IF NOT EXISTS idx_${this.logsTable}_hostname ON ${this.logsTable} (hostname)`,
      `CREATE TABLE IF NOT EXISTS ${this.notificationsTable} (id BIGSERIAL PRIMARY KEY, hashed text, at timestamptz)`,
      `CREATE TABLE IF NOT EXISTS ${this.usersTable} (id BIGSERIAL PRIMARY KEY, email text UNIQUE)`,
      `CREATE TABLE IF NOT EXISTS ${this.otherTable} (id BIGSERIAL PRIMARY KEY, k text)`,
    ];
    for (const query of queries) {
      await this.pool.query(query);
    }
  }
  async count (hashed) {
    const sql = `SELECT COUNT(*) AS n FROM ${this.notificationsTable} WHERE hashed = $1`;
    return this.pool.query(sql, [hashed]);
  }
  async user (email) {
    return this.pool.query(`SELECT id FROM ${this.usersTable} WHERE email = $1`, [email]);
  }
  async other (k) {
    return this.pool.query(`SELECT id FROM ${this.otherTable} WHERE k = $1`, [k]);
  }
}
module.exports = Store;
"""

CONFIG = 'dialect = "postgres"\nschema = ["lib/store.js"]\nlarge-tables = ["*"]\n'


def test_the_schema_and_the_queries_name_a_members_table_alike(project):
    project({"lib/store.js": STORE, "advisor.toml": CONFIG})
    loaded = load_project(["."], Options())
    assert set(loaded.schema.tables) == {"___logs_v3", "___notifications", "app_users"}  # not `options.table`'s
    texts = [q.text for s in loaded.sources for q in s.queries if "SELECT" in q.text]
    assert "SELECT COUNT(*) AS n FROM {}_notifications WHERE hashed = $1" in texts
    assert "SELECT id FROM app_users WHERE email = $1" in texts  # set once to a literal: written in
    assert "SELECT id FROM {} WHERE k = $1" in texts


def test_claims_on_a_members_table_show_its_known_part_and_offer_no_fix_with_a_made_up_name(project):
    project({"lib/store.js": STORE, "advisor.toml": CONFIG})
    found = {catalogue.lookup(f.rule).name: f for f in engine.check(["."]).active}
    redundant = found["redundant-index"]
    assert redundant.location.line == 14
    assert "idx_…logs_v3_hostname on …_logs_v3 (hostname)" in redundant.message
    assert "___" not in redundant.message + (redundant.help or "") and redundant.fix is None
    missing = found["missing-index"]  # the count's table is known whole: no index serves `hashed`
    assert missing.location.line == 24 and "…_notifications" in missing.message and missing.fix is None
    # the table only the run names (`options.table`) gets no claim, only the note that its statement went unchecked;
    # the literal one has its unique key
    assert set(found) == {"redundant-index", "missing-index", "unread-statement"}
    assert found["unread-statement"].message.startswith("advisor read one SQL statement in code without naming its table")


def test_a_member_set_twice_names_no_table(project):
    twice = STORE.replace(
        "    this.usersTable = 'app_users';\n", "    this.usersTable = 'app_users';\n    this.usersTable = 'x';\n"
    )
    project({"lib/store.js": twice, "advisor.toml": CONFIG})
    assert "app_users" not in load_project(["."], Options()).schema.tables


def test_held_text_reads_one_assignment_of_a_name():
    assert held_text("this.t = `${p}_jobs`;", "t") == "{}_jobs"
    assert held_text("this.t = 'jobs';", "t") == "jobs"
    assert held_text("this.t = `${p}`;", "t") is None  # nothing of it known
    assert held_text("this.t = `${p} WHERE a = 1`;", "t") is None  # a clause, not a name
    assert held_text("this.t = 'a'; this.t = 'b';", "t") is None
    assert held_text("if (this.t == 'a') {}", "t") is None


@given(st.text(alphabet="this.=`'\"${}_ a;\n", max_size=300))
def test_held_text_is_a_name_or_nothing(text):
    held = held_text(text, "t")
    assert held is None or ("`" not in held and "${" not in held and "'" not in held and held.replace("{}", ""))


QUOTED = """\
import pg from 'pg';
export class Adapter {
  constructor(config) {
    this.runsTable = pg.escapeIdentifier(`${config.tableNamePrefix}_runs`);
  }
  async run(id) {
    return this.pool.query({ text: `SELECT status FROM ${this.runsTable} WHERE id = $1`, values: [id] });
  }
  async byStatus(status) {
    return this.pool.query(`SELECT id FROM ${this.runsTable} WHERE status = $1`, [status]);
  }
}
export class Initializer {
  async initialize() {
    const runsTable = pg.escapeIdentifier(`${this.config.tableNamePrefix}_runs`);
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${runsTable} (id UUID PRIMARY KEY, status INT NOT NULL)`);
  }
}
"""


def test_a_name_a_drivers_quoting_function_is_given_is_the_table(project):
    """As holdout 54's adapter names its tables: `this.runsTable = pg.escapeIdentifier(`${prefix}_runs`)` in the
    constructor, and a local `const runsTable = pg.escapeIdentifier(...)` where the schema is created: quoted, the
    name is still the table `…_runs`, in the schema and in the queries alike."""
    project({"lib/adapter.js": QUOTED, "advisor.toml": 'dialect = "postgres"\nschema = ["lib/adapter.js"]\n'})
    loaded = load_project(["."], Options())
    assert set(loaded.schema.tables) == {"___runs"}
    texts = sorted(q.text for s in loaded.sources for q in s.queries if "SELECT" in q.text)
    assert texts == ["SELECT id FROM {}_runs WHERE status = $1", "SELECT status FROM {}_runs WHERE id = $1"]
    assert held_text("this.t = pg.escapeIdentifier(`${p}_runs`);", "t") == "{}_runs"
    assert held_text("this.t = pg.escapeIdentifier(`${p}_runs` + x);", "t") is None  # not the quoted name alone


SESSIONS = """\
const defaultOptions = {
  sessionTableName: 'shopify_sessions',
  port: 3211,
};

export class SessionStorage {
  constructor(dbUrl, opts = {}) {
    this.options = {...defaultOptions, ...opts};
    this.kv = {table: 'keyv', ...opts};
    this.fixed = {...opts, table: 'audit'};
  }
  async init() {
    await this.client.query(`CREATE TABLE IF NOT EXISTS "${this.options.sessionTableName}" (
      "id" varchar(255) NOT NULL PRIMARY KEY, "shop" varchar(255) NOT NULL)`);
  }
  async byShop(shop) {
    return this.client.query(`SELECT * FROM "${this.options.sessionTableName}" WHERE "shop" = $1`, [shop]);
  }
  async get(key) {
    return this.client.query(`SELECT * FROM ${this.kv.table} WHERE key = $1`, [key]);
  }
  async audit(id) {
    return this.client.query(`SELECT * FROM ${this.fixed.table} WHERE id = $1`, [id]);
  }
  async other(id) {
    return this.client.query(`SELECT * FROM ${this.options.port} WHERE id = $1`, [id]);
  }
}
"""


def test_an_options_member_names_its_defaults_table(project):
    """As holdout 58's session store names its table: `this.options = {...defaultOptions, ...opts}` in the
    constructor, then `"${this.options.sessionTableName}"` in the schema's strings and the queries: the default's
    table, in both alike, quoted without the padding that keeps the schema's offsets; an entry the object gives
    itself (keyv-postgres's `{table: 'keyv', ...options}`), before or after the caller's spread, the same."""
    project({"lib/store.ts": SESSIONS, "advisor.toml": 'dialect = "postgres"\nschema = ["lib/store.ts"]\n'})
    loaded = load_project(["."], Options())
    assert set(loaded.schema.tables) == {"shopify_sessions"}
    texts = sorted(q.text for s in loaded.sources for q in s.queries if q.text.startswith("SELECT"))
    assert texts == [
        'SELECT * FROM "shopify_sessions" WHERE "shop" = $1',
        "SELECT * FROM audit WHERE id = $1",
        "SELECT * FROM keyv WHERE key = $1",
        "SELECT * FROM {} WHERE id = $1",  # a number is no table's name
    ]
