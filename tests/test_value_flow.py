"""Values sql-string-building follows through a variable rebuilt from itself and through arrays and helpers
that only ever hold the code's own text (advisor.facts.provenance, advisor.facts.js_values, js_args).

Each safe shape is cut down from real code (langchain-postgres's `_handle_field_filter`, which rewrites a
checked field name into a JSON path through a comprehension over its own pieces; ckan's datastore upsert,
which builds `:val_N` placeholder names; mastra-pg's filter accumulator handed to a filter function the
caller passes in its options); each dangerous one differs from a safe one by one step and stays reported."""

import textwrap

import pytest

from advisor import catalogue, engine
from tests.conftest_db import pg_server  # noqa: F401


def fired(project, code, name="store.py"):
    project({name: textwrap.dedent(code)})
    found = engine.check(["."]).active
    return [f.location.line for f in found if catalogue.lookup(f.rule).name == "sql-string-building"]


SELECTOR = """
from sqlalchemy import text

TYPES = {int: "INTEGER", float: "FLOAT"}


class Store:
    def _field(self, field, value):
        if not (field.isidentifier() or all(p.isidentifier() for p in field.split("."))):
            raise ValueError(field)
        selector = field
        if self.json_column is not None:
            selector = f"{self.json_column}.{selector}"
        if "." in selector:
            selector = "->".join(
                part if i == 0 else f"{'>' if i == selector.count('.') else ''}'{part}'"
                for i, part in enumerate(selector.split("."))
            )
            selector = f"({selector})::{TYPES.get(type(value))}"
        return f"{selector} = :value", {"value": value}

    async def query(self, conn, filters):
        key, value = list(filters.items())[0]
        filtering, values = self._field(key, value)  # not named as a fragment: followed, not trusted by its name
        return await conn.execute(text(f"SELECT id FROM docs WHERE {filtering}"), values)
"""


def test_a_checked_name_rebuilt_from_itself_through_a_comprehension(project):
    assert fired(project, SELECTOR) == []


@pytest.mark.parametrize(
    "old,new",
    [
        # the path starts from the value, not from the checked name
        ("        selector = field\n", "        selector = str(value)\n"),
        # one rewrite splices the caller's value in
        ('selector = f"({selector})::{TYPES.get(type(value))}"', 'selector = f"({selector})::{value}"'),
        # a piece of the path from the value, not from the checked name
        ('for i, part in enumerate(selector.split("."))', 'for i, part in enumerate(str(value).split("."))'),
    ],
)
def test_a_rebuilt_name_with_a_value_from_outside(project, old, new):
    assert old in SELECTOR
    assert fired(project, SELECTOR.replace(old, new)) == [24]


def js_fired(project, code):
    return fired(project, code, "store.js")


def line_of(code, marker):
    """The line of the project file (written without its leading newline) that holds `marker`."""
    return next(i for i, text in enumerate(code.lstrip("\n").splitlines(), 1) if marker in text)


HANDED_IN = """
const EVENTS = "events";
function newAccumulator() {
  return { conditions: [], params: [], next: 1 };
}
function pushEq(acc, column, value) {
  if (value === undefined) return;
  acc.conditions.push(`"${column}" = $${acc.next++}`);
  acc.params.push(value);
}
function applyLogFilters(acc, filters) {
  pushEq(acc, "level", filters.level);
}
function applyMetricFilters(acc, filters) {
  pushEq(acc, "name", filters.name);
  if (filters.labels) {
    acc.conditions.push(`"labels" @> $${acc.next++}::jsonb`);
    acc.params.push(JSON.stringify(filters.labels));
  }
}
function whereOrEmpty(acc) {
  return acc.conditions.length ? `WHERE ${acc.conditions.join(" AND ")}` : "";
}
async function listSignal(config) {
  const { client, filters, applyFilters } = config;
  const acc = newAccumulator();
  applyFilters(acc, filters);
  return client.manyOrNone(`SELECT id FROM ${EVENTS} ${whereOrEmpty(acc)} LIMIT 10`, acc.params);
}
async function listLogs(client, filters) {
  return listSignal({ client, filters, applyFilters: applyLogFilters });
}
async function listMetrics(client, filters) {
  return listSignal({ client, filters, applyFilters: applyMetricFilters });
}
module.exports = { listLogs, listMetrics };
"""


def test_an_accumulator_handed_to_the_filter_function_each_caller_passes(project):
    assert js_fired(project, HANDED_IN) == []


@pytest.mark.parametrize(
    "old,new",
    [
        # one of the functions the callers pass pushes the value itself
        ('pushEq(acc, "name", filters.name);', "acc.conditions.push(`name = '${filters.name}'`);"),
        # a caller passes a function that is not the file's to know
        ("applyFilters: applyMetricFilters", "applyFilters: filters.apply"),
        # the function is the module's caller's: listSignal is exported
        ("module.exports = { listLogs, listMetrics };", "module.exports = { listLogs, listMetrics, listSignal };"),
        # the options object is changed before the call: the function it then holds is not followed
        (
            "  const { client, filters, applyFilters } = config;",
            "  config.applyFilters = config.override;\n  const { client, filters, applyFilters } = config;",
        ),
        # a spread may set the property as well
        ("{ client, filters, applyFilters: applyLogFilters }", "{ applyFilters: applyLogFilters, ...filters }"),
    ],
)
def test_a_handed_in_function_that_lets_a_value_in(project, old, new):
    assert old in HANDED_IN
    changed = HANDED_IN.replace(old, new)
    assert js_fired(project, changed) == [line_of(changed, "client.manyOrNone")]


UNION = """
function schemaName(schema) {
  return schema ? `"${schema}"` : '"public"';
}
function tableName({ indexName, schemaName }) {
  return schemaName ? `${schemaName}."${indexName}"` : `"${indexName}"`;
}
class Store {
  #schema;
  async included(db, include) {
    const table = tableName({ indexName: "messages", schemaName: schemaName(this.#schema) });
    const unionQueries = [];
    const params = [];
    let paramIdx = 1;
    for (const inc of include) {
      const p1 = "$" + paramIdx;
      const p2 = "$" + (paramIdx + 1);
      unionQueries.push(`(SELECT id FROM ${table} m WHERE m.thread_id = ${p1} LIMIT ${p2})`);
      params.push(inc.threadId, inc.limit);
      paramIdx += 2;
    }
    return db.manyOrNone(`SELECT * FROM (${unionQueries.join(" UNION ALL ")}) AS combined`, params);
  }
}
module.exports = { Store };
"""


def test_subqueries_of_fixed_text_over_the_class_s_private_schema(project):
    assert js_fired(project, UNION) == []


@pytest.mark.parametrize(
    "old,new",
    [
        ("schemaName(this.#schema)", "schemaName(include.schema)"),  # the caller's schema, then joined
        ("LIMIT ${p2}", "LIMIT ${inc.limit}"),  # a value pushed into one of the subqueries
    ],
)
def test_subqueries_with_a_value_from_outside(project, old, new):
    assert old in UNION
    assert js_fired(project, UNION.replace(old, new)) == [line_of(UNION, "db.manyOrNone")]


DESTRUCTURED = """
const SPANS = "spans";
function buildFilters(filters, next) {
  const conditions = ['r."deleted" = false'];
  const params = [];
  let i = next;
  if (filters.traceId !== undefined) {
    conditions.push(`r."traceId" = $${i++}`);
    params.push(filters.traceId);
  }
  return { conditions, params, nextParamIdx: i };
}
async function listDelta(client, filters, cursor) {
  const built = buildFilters(filters, 1);
  const { conditions, params, nextParamIdx } = built;
  let i = nextParamIdx;
  conditions.push(`r."cursorId" > $${i++}`);
  params.push(cursor);
  return client.manyOrNone(`SELECT * FROM ${SPANS} r WHERE ${conditions.join(" AND ")}`, params);
}
module.exports = { listDelta };
"""


def test_conditions_destructured_from_what_a_builder_returns(project):
    assert js_fired(project, DESTRUCTURED) == []


@pytest.mark.parametrize(
    "old,new",
    [
        # the caller's value pushed through the destructured name
        ('conditions.push(`r."cursorId" > $${i++}`);', "conditions.push(`r.\"cursorId\" > '${cursor}'`);"),
        # through another name for the same array
        (
            'conditions.push(`r."cursorId" > $${i++}`);',
            "const more = conditions;\n  more.push(`r.\"cursorId\" > '${cursor}'`);",
        ),
        # a `...rest` holds some of the properties, which is not known
        (
            "const { conditions, params, nextParamIdx } = built;",
            "const { conditions, params, nextParamIdx } = built;\n  const { ...rest } = built;\n  rest.conditions.push(cursor);",
        ),
    ],
)
def test_destructured_conditions_with_a_value_from_outside(project, old, new):
    assert old in DESTRUCTURED
    changed = DESTRUCTURED.replace(old, new)
    assert js_fired(project, changed) == [line_of(changed, "client.manyOrNone")]


PLACEHOLDERS = """
import itertools

import sqlalchemy as sa


def upsert(conn, table_sql, records, method):
    for record in records:
        idx = itertools.count()
        names = [f"val_{next(idx)}" for _ in record]
        values = [":" + p for p in names]
        bound = dict(zip(names, record.values()))
        if method == "update":
            sql = "UPDATE {t} SET ({c}) = ({v})".format(t=table_sql, c="a, b", v=", ".join(values))
            conn.execute(sa.text(sql), bound)
        elif method == "upsert":
            values = {**bound}
            conn.execute(sa.text("INSERT INTO t VALUES (:val_0)"), values)
"""


def test_a_name_assigned_again_after_its_use_in_another_branch(project):
    assert fired(project, PLACEHOLDERS) == []


@pytest.mark.parametrize(
    "old,new",
    [
        # the other assignment now comes first, in the same iteration
        (
            '        if method == "update":\n',
            '        if method == "merge":\n            values = list(record.values())\n        if method == "update":\n',
        ),
        # the next iteration reads what the last one left: the assignment no longer precedes the use
        (
            '        values = [":" + p for p in names]\n',
            "",
        ),
    ],
)
def test_a_value_from_outside_reaching_the_read(project, old, new):
    assert old in PLACEHOLDERS
    changed = PLACEHOLDERS.replace(old, new)
    if not new:  # values is read before any assignment of this iteration: define it once before the loop
        changed = changed.replace("    for record in records:\n", "    values = []\n    for record in records:\n")
    assert fired(project, changed) == [line_of(changed, "UPDATE")]


def test_a_parameter_given_a_literal_in_one_branch_only(project):
    code = """
    def find(cursor, name, exact):
        if not exact:
            name = "%"
        cursor.execute(f"SELECT id FROM users WHERE name LIKE '{name}'")
    """
    assert fired(project, code) == [4]
