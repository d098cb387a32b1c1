"""A JS/TS function or method that runs the text its caller hands it (advisor.sources.js_sql_helpers): its call
sites are execution calls, read where the caller writes the text.  Written like @nymphjs/driver-postgresql's
PostgreSQLDriver (queryRun / queryGet / queryIter over translateQuery and `client.query`), with the near misses
that must not count: a method that logs, returns or builds the text, one that runs something else."""

from advisor.ir import SqlQuery
from advisor.sources import extract


def read(path: str, text: str) -> list[tuple[int, int, str]]:
    return [
        (q.location.line, q.location.col, q.text) for q in extract(path, text).queries if isinstance(q, SqlQuery)
    ]


DRIVER = """\
export default class PostgreSQLDriver {
  private translateQuery(origQuery: string, origParams: { [k: string]: any }): { query: string; params: any[] } {
    const params: any[] = [];
    let query = origQuery;
    let match;
    let i = 1;
    while ((match = query.match(/@[a-zA-Z0-9]+/))) {
      params.push(origParams[match[0].substr(1)]);
      query = query.replace(/@[a-zA-Z0-9]+/, () => '$' + i++);
    }
    return { query, params };
  }

  private async query<T extends () => any>(runQuery: T, query: string, etypes: string[] = []) {
    try {
      this.nymph.config.debugInfo('postgresql:query', query);
      return await runQuery();
    } catch (e: any) {
      throw new QueryFailedError('Query failed: ' + e?.code, query);
    }
  }

  private queryIter(query: string, { etypes = [], params = {} }: { etypes?: string[]; params?: any } = {}) {
    const { query: newQuery, params: newParams } = this.translateQuery(query, params);
    return this.query(
      async () => {
        const results: QueryResult<any> = await new Promise((resolve, reject) => {
          (this.transaction?.connection?.client ?? this.link)
            .query(newQuery, newParams)
            .then((results) => resolve(results), (error) => reject(error));
        });
        return results.rows;
      },
      `${query} -- ${JSON.stringify(params)}`,
      etypes,
    );
  }

  private queryRun(query: string, { etypes = [], params = {}, connection }: { etypes?: string[]; params?: any; connection?: any } = {}) {
    const { query: newQuery, params: newParams } = this.translateQuery(query, params);
    return this.query(async () => {
      const results = await ((connection ?? this.transaction?.connection)?.client ?? this.link).query(newQuery, newParams);
      return { rowCount: results.rowCount ?? 0 };
    }, `${query} -- ${JSON.stringify(params)}`, etypes);
  }

  private async createTables(etype: string) {
    await this.queryRun(
      `CREATE INDEX ${PostgreSQLDriver.escape(`${this.prefix}data_${etype}_id_name`)} ON ${PostgreSQLDriver.escape(
        `${this.prefix}data_${etype}`,
      )} USING btree ("name");`,
    );
  }

  public async deleteUID(name: string) {
    await this.queryRun(`DELETE FROM ${PostgreSQLDriver.escape(`${this.prefix}uids`)} WHERE "name"=@name;`, {
      params: { name },
    });
  }

  public async exportUIDs() {
    return this.queryIter(`SELECT * FROM ${PostgreSQLDriver.escape(`${this.prefix}uids`)} ORDER BY "name";`);
  }

  private makeEntityQuery(options: any, etype: string) {
    let query: string;
    const params: { [k: string]: any } = {};
    query = `SELECT "guid" FROM ${PostgreSQLDriver.escape(`${this.prefix}entities_${etype}`)} LIMIT 1`;
    return { query, params, etypes: [etype] };
  }

  protected performQuery(options: any, etype: string) {
    const { query, params, etypes } = this.makeEntityQuery(options, etype);
    return this.queryIter(query, { etypes, params });
  }

  public ping() {
    this.performQuery('SELECT 1 FROM nothing_performs_this', 'x');
    return this.link.query('SELECT 1;');
  }
}
"""


def test_a_method_forwarding_a_translated_parameter_to_client_query_is_an_execution_call():
    # createTables' CREATE INDEX reaches the wrapper too: a command an execution call runs is read, as in Python
    # (sql_shape.runs_as_sql)
    assert read("src/PostgreSQLDriver.ts", DRIVER) == [
        (49, 7, 'CREATE INDEX {} ON {} USING btree ("name");'),
        (56, 25, 'DELETE FROM {} WHERE "name"=@name;'),
        (62, 27, 'SELECT * FROM {} ORDER BY "name";'),
        (79, 28, "SELECT 1;"),
    ]


def test_a_method_handing_on_what_a_builder_of_its_class_returns_is_no_wrapper():
    # performQuery's parameter is the builder's options, not the text; makeEntityQuery's `query = ...` is the
    # variable of another method than performQuery's `const { query }`: neither is read at the call
    found = read("src/PostgreSQLDriver.ts", DRIVER)
    assert not any(line in (68, 78) for line, _, _ in found)


PRIVATE = """\
const format = require('pg-format');
function translate(sql) {
  return sql.replace(/\\?/g, () => '$1');
}
async function run(pool, sql, values) {
  const text = translate(sql);
  return pool.query(text, values);
}
class Store {
  #exec(text, values) {
    return this.pool.query(`${text};`, values);
  }
  async all(sql, values) {
    const trimmed = sql.trim();
    return (await this.#exec(trimmed, values)).rows;
  }
  first(statement, ...values) {
    let q = format(statement, ...values);
    q += ' LIMIT 1';
    return this.all(q);
  }
  jobs() {
    return this.all('SELECT id FROM jobs WHERE state = $1', ['ready']);
  }
  job(id) {
    return this.first('SELECT id FROM jobs WHERE id = %L', id);
  }
}
run(pool, 'DELETE FROM jobs WHERE id = ?', [1]);
"""


def test_helpers_of_helpers_through_a_private_method_and_a_module_function():
    assert read("store.js", PRIVATE) == [
        (23, 21, "SELECT id FROM jobs WHERE state = $1"),
        (26, 23, "SELECT id FROM jobs WHERE id = %L"),
        (29, 11, "DELETE FROM jobs WHERE id = ?"),
    ]


NEAR_MISSES = """\
class Repo {
  log(sql) {
    console.log(sql);
    this.logger.debug(`running ${sql}`);
  }
  prepare(sql) {
    return sql.trim();
  }
  remember(sql) {
    const text = `${sql} LIMIT 1`;
    this.last = text;
    return text;
  }
  ping(sql) {
    return this.pool.query('SELECT 1');
  }
  ping2(sql) {
    const q = 'SELECT 2';
    return this.pool.query(q);
  }
  replaced(sql) {
    sql = 'SELECT 3';
    return this.pool.query(sql);
  }
  byTable(table) {
    return this.pool.query(`SELECT * FROM ${table}`);
  }
  params(sql, params) {
    const { params: p } = this.translate(sql, params);
    return this.pool.query(p);
  }
  translate(sql, params) {
    return { sql: sql.trim(), params: Object.values(params) };
  }
  looped(sql, list) {
    for (sql of list) {}
    return this.pool.query(sql);
  }
  use() {
    this.log('SELECT id FROM logged');
    this.prepare('SELECT id FROM prepared');
    this.remember('SELECT id FROM remembered');
    this.ping('SELECT id FROM pinged');
    this.ping2('SELECT id FROM pinged2');
    this.replaced('SELECT id FROM replaced');
    this.byTable('SELECT id FROM tables');
    this.params('SELECT id FROM params', {});
    this.looped('SELECT id FROM looped', []);
  }
}
"""


def test_methods_that_log_return_build_or_run_something_else_are_no_wrappers():
    assert [text for _, _, text in read("repo.js", NEAR_MISSES)] == [
        "SELECT 1",
        "SELECT 2",
        "SELECT 3",
        "SELECT * FROM {}",
    ]


def test_a_wrapper_is_found_whatever_order_the_file_declares_it_in():
    text = """\
class A {
  load() { return this.get('SELECT a FROM t WHERE id = $1', [1]); }
  get(sql, values) { return this.run(sql, values); }
  run(sql, values) { const { text } = toPg(sql); return this.client.query(text, values); }
}
"""
    assert read("a.js", text) == [(2, 28, "SELECT a FROM t WHERE id = $1")]
