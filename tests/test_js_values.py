"""sql-string-building follows a JS value through the file (advisor.facts.js_values): text the code writes
(placeholders built in arrays, keys of a constant object, quotes escaped for the quote they stand in, a
number a query returned) is no injection; anything a caller can reach still is.

The safe shapes are those of graphile-migrate's schema check (dist/migration.js: an oid pg_namespace
returned, a key of the constant TABLE_CHECKS) and parse-server's Postgres adapter
(PostgresStorageAdapter.js: `$N` patterns pushed onto an array, joined, returned by buildWhereClause,
names quoted by transformDotField), cut down; each dangerous one differs from a safe one by one step."""

import textwrap

import pytest

from advisor import catalogue, engine
from tests.conftest_db import pg_server  # noqa: F401


def fired(project, code, name="adapter.js"):
    project({name: textwrap.dedent(code)})
    found = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "sql-string-building"]
    return [(f.location.line, f.message) for f in found]


SCHEMA_CHECK = """
const TABLE_CHECKS = {
  migrations: { columnCount: 4 },
  current: { columnCount: 3 },
};
async function verifySchema(pgClient) {
  const { rows: [schema] } = await pgClient.query(`select oid from pg_namespace where nspname = 'graphile_migrate';`);
  for (const [tableName, expected] of Object.entries(TABLE_CHECKS)) {
    const { rows: [table] } = await pgClient.query(`select oid from pg_class where relnamespace = ${schema.oid} and relname = '${tableName}'`);
    const { rows: columns } = await pgClient.query(`select attname from pg_attribute where attrelid = ${table.oid} and attnum > 0`);
    if (columns.length !== expected.columnCount) throw new Error(tableName);
  }
}
"""

INSERT = """
async function createObject(client, className, schema, object) {
  let columnsArray = [];
  const valuesArray = [];
  const geoPoints = {};
  Object.keys(object).forEach(fieldName => {
    columnsArray.push(fieldName);
    valuesArray.push(object[fieldName]);
  });
  columnsArray = columnsArray.concat(Object.keys(geoPoints));
  const initialValues = valuesArray.map((val, index) => {
    let termination = '';
    if (schema.fields[columnsArray[index]].type === 'Array') {
      termination = '::jsonb';
    }
    return `$${index + 2 + columnsArray.length}${termination}`;
  });
  const geoPointsInjects = Object.keys(geoPoints).map(key => {
    const l = valuesArray.length + columnsArray.length;
    return `POINT($${l}, $${l + 1})`;
  });
  const columnsPattern = columnsArray.map((col, index) => `$${index + 2}:name`).join();
  const valuesPattern = initialValues.concat(geoPointsInjects).join();
  const qs = `INSERT INTO $1:name (${columnsPattern}) VALUES (${valuesPattern})`;
  return client.none(qs, [className, ...columnsArray, ...valuesArray]);
}
"""

WHERE = """
const COMPARATORS = { $gt: '>', $lt: '<' };
const escapeSqlString = value => value.replace(/'/g, "''");
const transformDotField = fieldName => {
  if (fieldName.indexOf('.') === -1) {
    return `"${fieldName.replace(/"/g, '""')}"`;
  }
  const components = fieldName.split('.').map((cmpt, index) => index === 0 ? `"${cmpt.replace(/"/g, '""')}"` : `'${escapeSqlString(cmpt)}'`);
  let name = components.slice(0, components.length - 1).join('->');
  name += '->>' + components[components.length - 1];
  return name;
};
const buildWhereClause = ({ query, index }) => {
  const patterns = [];
  const values = [];
  for (const fieldName in query) {
    const fieldValue = query[fieldName];
    if (['$or', '$and'].includes(fieldName)) {
      const clauses = [];
      fieldValue.forEach(subQuery => {
        const clause = buildWhereClause({ query: subQuery, index });
        clauses.push(clause.pattern);
        values.push(...clause.values);
        index += clause.values.length;
      });
      const orOrAnd = fieldName === '$and' ? ' AND ' : ' OR ';
      patterns.push(`(${clauses.join(orOrAnd)})`);
    } else if (fieldName.indexOf('.') >= 0) {
      patterns.push(`${transformDotField(fieldName)} = $${index}`);
      values.push(fieldValue);
      index += 1;
    } else {
      Object.keys(COMPARATORS).forEach(cmp => {
        if (fieldValue[cmp]) {
          const pgComparator = COMPARATORS[cmp];
          patterns.push(`$${index}:name ${pgComparator} $${index + 1}`);
          values.push(fieldName, fieldValue[cmp]);
          index += 2;
        }
      });
    }
  }
  return { pattern: patterns.join(' AND '), values };
};
async function deleteObjects(client, className, query) {
  const values = [className];
  const where = buildWhereClause({ query, index: 2 });
  values.push(...where.values);
  if (Object.keys(query).length === 0) {
    where.pattern = 'TRUE';
  }
  return client.one(`DELETE FROM $1:name WHERE ${where.pattern}`, values);
}
"""


@pytest.mark.parametrize("code", [SCHEMA_CHECK, INSERT, WHERE], ids=["query-oid", "placeholder-arrays", "where-clause"])
def test_text_the_code_writes_is_no_injection(project, code):
    assert fired(project, code) == []


@pytest.mark.parametrize("code", [
    # a count the query returns, read as res.rows[0].n; the keys of a frozen object, quoted
    """
    const KINDS = Object.freeze({ job: 'a job', cron: 'a schedule' });
    async function page(client) {
      const res = await client.query('SELECT count(*) AS n FROM jobs');
      const kinds = Object.keys(KINDS).map(k => `'${k}'`).join(', ');
      return client.query(`SELECT id FROM jobs WHERE kind IN (${kinds}) LIMIT ${res.rows[0].n}`);
    }
    """,
    # a fragment chosen from literals through let, and a placeholder list built in a loop
    """
    async function find(client, ids, newestFirst) {
      let direction = 'ASC';
      if (newestFirst) direction = 'DESC';
      const marks = [];
      for (let i = 0; i < ids.length; i++) marks.push('$' + (i + 1));
      return client.query(`SELECT id FROM jobs WHERE id IN (${marks.join(', ')}) ORDER BY id ${direction}`, ids);
    }
    """,
    # a number grown by +=: no longer one text the extractor can write in, followed instead
    """
    async function recent(client, more) {
      let limit = 10;
      if (more) limit += 90;
      return client.query(`SELECT id FROM jobs ORDER BY id DESC LIMIT ${limit}`);
    }
    """,
    # a property of `this` (the code's own by its text, as at the top level) in a fragment pushed onto an array
    """
    class Store {
      async find(ids) {
        const parts = [`${this.schema}.jobs.deleted = false`];
        ids.forEach((id, i) => parts.push(`id <> $${i + 1}`));
        return this.db.query(`SELECT id FROM jobs WHERE ${parts.join(' AND ')}`, ids);
      }
    }
    """,
    # a value escaped for the quote it stands in, by a helper of the file
    """
    const literal = s => "'" + String(s).replace(/'/g, "''") + "'";
    async function byName(client, name) {
      return client.query(`SELECT id FROM users WHERE name = ${literal(name)}`);
    }
    """,
    # an enum's member of a package (holdout 54: `${RunStatus.Run}` from `@playwright-orchestrator/core`)
    """
    import { RunStatus, TestStatus } from '@orchestrator/core';
    async function restart(client, runId) {
      return client.query({
        text: `UPDATE runs SET status = (CASE WHEN status = $2 THEN ${RunStatus.Run} ELSE ${RunStatus.RepeatRun} END)
               WHERE id = $1 AND (SELECT count(*) FROM tests WHERE run_id = $1 AND status = ${TestStatus.Ready}) > 0`,
        values: [runId, RunStatus.Created],
      });
    }
    """,
])
def test_more_safe_shapes(project, code):
    assert fired(project, code) == []


@pytest.mark.parametrize("code,value", [
    # a condition grown by += with the caller's value (the extractor once wrote in its first text)
    ("""
    async function find(client, name) {
      let filter = 'deleted = false';
      if (name) filter += ` AND name = '${name}'`;
      return client.query(`SELECT id FROM users WHERE ${filter}`);
    }
    """, "filter"),
    ("""
    async function find(client, names) {
      let name = 'nobody';
      for (name of names) break;
      return client.query(`SELECT id FROM users WHERE name = '${name}'`);
    }
    """, "name"),
    # a parameter pushed onto the array that is joined
    ("""
    async function find(client, name) {
      const patterns = ['deleted = false'];
      patterns.push(`name = '${name}'`);
      return client.query(`SELECT id FROM users WHERE ${patterns.join(' AND ')}`);
    }
    """, "patterns.join"),
    # the array goes to a function advisor does not follow, which may push anything onto it
    ("""
    async function find(client, req) {
      const parts = ['deleted = false'];
      addFilters(parts, req.query);
      return client.query(`SELECT id FROM users WHERE ${parts.join(' AND ')}`);
    }
    """, "parts.join"),
    # an alias of the array is pushed onto
    ("""
    async function find(client, name) {
      const parts = [];
      const same = parts;
      same.push(`name = '${name}'`);
      return client.query(`SELECT id FROM users WHERE ${parts.join(' AND ')}`);
    }
    """, "parts.join"),
    # a callback pushes what the caller gave
    ("""
    async function find(client, names) {
      const parts = [];
      names.forEach(n => parts.push(`'${n}'`));
      return client.query(`SELECT id FROM users WHERE name IN (${parts.join(', ')})`);
    }
    """, "parts.join"),
    # the property of the returned object is set from outside afterwards
    ("""
    const build = () => ({ pattern: 'TRUE', values: [] });
    async function find(client, req) {
      const where = build();
      where.pattern = req.query.filter;
      return client.query(`SELECT id FROM users WHERE ${where.pattern}`);
    }
    """, "where.pattern"),
    # a helper that returns its parameter inside quotes, unescaped
    ("""
    const quote = s => `'${s}'`;
    async function find(client, name) {
      return client.query(`SELECT id FROM users WHERE name = ${quote(name)}`);
    }
    """, "quote(name)"),
    # map's element is the caller's
    ("""
    async function find(client, ids) {
      return client.query(`SELECT id FROM users WHERE id IN (${ids.map(id => `'${id}'`).join(', ')})`);
    }
    """, "ids.map"),
    # a let given the caller's value on one branch
    ("""
    async function page(client, req) {
      let status = 'open';
      if (req.query.status) status = req.query.status;
      return client.query(`SELECT id FROM jobs WHERE status = '${status}'`);
    }
    """, "status"),
    # a constant map that takes a key and a value from the request
    ("""
    const KINDS = { job: 'job', cron: 'cron' };
    async function find(client, req) {
      KINDS[req.query.k] = req.query.v;
      return client.query(`SELECT id FROM jobs WHERE kind = '${KINDS[req.query.kind]}'`);
    }
    """, "KINDS"),
    ("""
    const KINDS = { job: 'job', cron: 'cron' };
    async function find(client, req) {
      Object.assign(KINDS, req.body);
      return client.query(`SELECT id FROM jobs WHERE kind = '${KINDS[req.query.kind]}'`);
    }
    """, "KINDS"),
    # a Map's forEach passes a key where an array's passes an index
    ("""
    async function find(client, req) {
      const parts = [];
      new Map(Object.entries(req.query)).forEach((value, key) => { parts.push(`tag = '${key}'`); });
      return client.query(`SELECT id FROM jobs WHERE ${parts.join(' OR ')}`);
    }
    """, "parts.join"),
    # a function of the file named like a quoting one, that does not quote
    ("""
    const quoteIdent = s => `'${s}'`;
    async function find(client, name) {
      const parts = ['deleted = false', `name = ${quoteIdent(name)}`];
      return client.query(`SELECT id FROM users WHERE ${parts.join(' AND ')}`);
    }
    """, "parts.join"),
    # what a method returns is not seen: not a property of `this`
    ("""
    class Store {
      async find(req) {
        const filter = this.build(req.query);
        return this.db.query(`SELECT id FROM jobs WHERE kind = '${filter}'`);
      }
    }
    """, "filter"),
    # keys of what the caller sent, inside quotes
    ("""
    async function find(client, input) {
      return client.query(`SELECT id FROM jobs WHERE kind = '${Object.keys(input)[0]}'`);
    }
    """, "Object.keys"),
    # a package's object's lower-case member is no enum's: what the package's caller set there
    ("""
    import { settings } from '@orchestrator/core';
    async function restart(client, runId) {
      return client.query(`UPDATE runs SET status = ${settings.status} WHERE id = $1`, [runId]);
    }
    """, "settings.status"),
])
def test_values_from_outside_still_reported(project, code, value):
    found = fired(project, code)
    assert len(found) == 1 and value in found[0][1], found


@pytest.mark.parametrize("column,reported", [
    ("SELECT oid FROM pg_class WHERE relname = 'jobs'", False),  # a catalog's oid: a number
    ("SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace", False),
    ("SELECT count(*) AS oid FROM jobs", False),
    ("SELECT owner::int AS oid FROM jobs", False),
    ("SELECT oid FROM jobs", True),  # a table of the application may call any column oid
    ("SELECT relname AS oid FROM pg_class", True),  # a name stored in the database: second-order injection
    ("SELECT oid::regclass AS oid FROM pg_class", True),  # prints a name, quotes and all
    ("SELECT * FROM pg_class", True),
])
def test_a_value_a_query_returned(project, column, reported):
    code = f"""
    async function check(pgClient) {{
      const {{ rows: [row] }} = await pgClient.query(`{column}`);
      return pgClient.query(`SELECT attname FROM pg_attribute WHERE attrelid = ${{row.oid}}`);
    }}
    """
    assert [line for line, _ in fired(project, code)] == ([3] if reported else [])


@pytest.mark.parametrize("wrapped,reported", [
    ("""'${x.replace(/'/g, "''")}'""", False),
    ('''"${x.replace(/"/g, '""')}"''', False),
    ("""'${x.replaceAll("'", "''")}'""", False),
    ("""'${x.replace(/"/g, '""')}'""", True),  # escaped for the other quote
    ("""'${x.replace(/'/, "''")}'""", True),  # the first quote only
    ("""E'${x.replace(/'/g, "''")}'""", True),  # a backslash escapes the quote there
    ("""${x.replace(/'/g, "''")}""", True),  # outside quotes: escaping changes nothing
    ("""'${x.replace(/'/g, "''")}""", True),  # the quote is not closed here: where it ends is not known
    ("""$$ '${x.replace(/'/g, "''")}' $$""", True),  # quotes are text in a dollar-quoted body: $$ ends it
])
def test_quotes_escaped_for_the_quote_they_stand_in(project, wrapped, reported):
    code = f"""
    async function find(client, x) {{
      return client.query(`SELECT id FROM users WHERE name = {wrapped} LIMIT 1`);
    }}
    """
    assert [line for line, _ in fired(project, code)] == ([2] if reported else [])


def test_the_catalogs_whose_oid_counts_are_the_servers(pg_server):  # noqa: F811
    from advisor.facts.result_columns import OID_CATALOGS
    from advisor.seed.server import connect

    with connect(pg_server.conninfo(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'pg_catalog' AND a.attname = 'oid' AND a.atttypid = 'oid'::regtype"
        ).fetchall()
    assert OID_CATALOGS <= {r[0] for r in rows}
