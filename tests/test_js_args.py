"""sql-string-building follows a JS value into the functions of the file that it is passed to
(advisor.facts.js_args): a call binds its function's parameters to its arguments, a variable handed to a
function is changed only by what that function does with it, a module-private function's parameter is
given what its calls pass, and an array a function makes and returns is its caller's.

The safe shapes are cut down from mastra-pg's observability storage (dist/index.js: `whereOrEmpty(acc)`
over an accumulator that `pushEq` fills with `"column" = $N`, `tenancyWhere` returning its conditions,
`dayBounds` turning a Date into partition bounds); each dangerous one differs from a safe one by one step."""

import textwrap

import pytest

from advisor import catalogue, engine
from tests.conftest_db import pg_server  # noqa: F401


def fired(project, code, name="store.js"):
    project({name: textwrap.dedent(code)})
    found = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "sql-string-building"]
    return [(f.location.line, f.message) for f in found]


ACCUMULATOR = """
function newFilterAccumulator(startIndex = 1) {
  return { conditions: [], params: [], next: startIndex };
}
function pushEq(acc, column, value, prefix = "") {
  if (value === undefined) return;
  acc.conditions.push(`${prefix}"${column}" = $${acc.next++}`);
  acc.params.push(value);
}
function applyFilters(acc, filters, options = {}) {
  const prefix = options.prefix ?? "";
  pushEq(acc, "traceId", filters.traceId, prefix);
  pushEq(acc, "userId", filters.userId, prefix);
}
function whereOrEmpty(acc) {
  return acc.conditions.length ? `WHERE ${acc.conditions.join(" AND ")}` : "";
}
const SPANS = "spans";
async function listSpans(client, filters) {
  const acc = newFilterAccumulator();
  applyFilters(acc, filters, { prefix: "r." });
  return client.manyOrNone(`SELECT * FROM ${SPANS}
    ${whereOrEmpty(acc)}`, acc.params);
}
module.exports = { listSpans };
"""


def test_an_accumulator_filled_by_functions_of_the_file(project):
    assert fired(project, ACCUMULATOR) == []


@pytest.mark.parametrize(
    "old,new",
    [
        # one call passes the caller's prefix: the pushed condition is the caller's text
        ('applyFilters(acc, filters, { prefix: "r." });', "applyFilters(acc, filters, { prefix: filters.alias });"),
        # the column pushed is the caller's
        ('pushEq(acc, "userId", filters.userId, prefix);', "pushEq(acc, filters.column, filters.userId, prefix);"),
        # the accumulator also goes to a function advisor does not follow
        ("const acc = newFilterAccumulator();", "const acc = newFilterAccumulator(); filters.extend(acc);"),
        # the function that fills it is given by the caller
        ("async function listSpans(client, filters) {", "async function listSpans(client, filters, applyFilters) {"),
    ],
)
def test_an_accumulator_with_a_value_from_outside(project, old, new):
    assert old in ACCUMULATOR
    found = fired(project, ACCUMULATOR.replace(old, new))
    assert len(found) == 1 and "whereOrEmpty(acc)" in found[0][1], found


PRIVATE = """
async function some(client, filter) {
  return client.query(`SELECT id FROM jobs WHERE ${filter}`);
}
async function recent(client) {
  return some(client, "created_at > now() - interval '1 day'");
}
async function large(client) {
  return some(client, "size > 1000");
}
module.exports = { recent, large };
"""


def test_a_private_function_whose_calls_all_pass_literals(project):
    assert fired(project, PRIVATE) == []


@pytest.mark.parametrize(
    "old,new",
    [
        # one call passes what its own caller chose
        (
            'async function large(client) {\n  return some(client, "size > 1000");',
            "async function large(client, by) {\n  return some(client, by);",
        ),
        # exported: callers elsewhere choose the column
        ("module.exports = { recent, large };", "module.exports = { recent, large, some };"),
        ("async function some(", "export async function some("),
        # handed around as a value: anything may call it
        ("module.exports = { recent, large };", "module.exports = { recent, large };\nsetImmediate(some);"),
        # a script, not a module: another script may call its top-level functions
        ("module.exports = { recent, large };", ""),
    ],
)
def test_a_parameter_a_caller_may_choose(project, old, new):
    assert old in PRIVATE
    found = fired(project, PRIVATE.replace(old, new))
    assert len(found) == 1 and "filter" in found[0][1], found


def test_a_call_binds_the_parameters_it_passes(project):
    code = """
    const equals = (value) => `kind = '${value}'`;
    async function count(client, req) {
      const fixed = await client.query(`SELECT count(*) FROM jobs WHERE ${equals("cron")}`);
      return client.query(`SELECT count(*) FROM jobs WHERE ${equals(req.query.kind)}`);
    }
    module.exports = { count };
    """
    found = fired(project, code)
    assert [line for line, _ in found] == [4] and "equals(req.query.kind)" in found[0][1], found


def test_recursion_binds_nothing(project):
    code = """
    function condition(text, again) {
      return again ? condition(again, null) : text;
    }
    async function find(client, req) {
      return client.query(`SELECT id FROM jobs WHERE ${condition("size > 0", req.query.sort)}`);
    }
    module.exports = { find };
    """
    found = fired(project, code)
    assert len(found) == 1 and "condition(" in found[0][1], found


RETURNED = """
function tenancyWhere(filters, startIndex) {
  const conditions = [];
  const params = [];
  let idx = startIndex;
  if (filters.organizationId !== undefined) {
    conditions.push(`"organizationId" = $${idx++}`);
    params.push(filters.organizationId);
  }
  return { conditions, params, nextIndex: idx };
}
async function remove(client, id, filters) {
  const { conditions, params } = tenancyWhere(filters, 2);
  return client.query(`DELETE FROM experiments WHERE ${["\\"id\\" = $1", ...conditions].join(" AND ")}`, [id, ...params]);
}
module.exports = { remove };
"""


def test_an_array_a_function_makes_and_returns(project):
    assert fired(project, RETURNED) == []


@pytest.mark.parametrize(
    "old,new",
    [
        # the caller then pushes its own caller's text onto it
        (
            "const { conditions, params } = tenancyWhere(filters, 2);",
            "const { conditions, params } = tenancyWhere(filters, 2);\n  conditions.push(filters.raw);",
        ),
        # the array is the module's, shared by every call, and exported
        (
            "function tenancyWhere(filters, startIndex) {\n  const conditions = [];",
            "const conditions = [];\nfunction tenancyWhere(filters, startIndex) {",
        ),
    ],
)
def test_a_returned_array_changed_from_outside(project, old, new):
    assert old in RETURNED
    code = RETURNED.replace(old, new)
    if "const conditions = [];\nfunction" in code:
        code = code.replace("module.exports = { remove };", "module.exports = { remove, conditions };")
    found = fired(project, code)
    assert len(found) == 1 and "conditions" in found[0][1], found


def test_the_parts_of_a_date(project):
    code = """
    function dayBounds(d) {
      const month = String(d.getUTCMonth() + 1).padStart(2, "0");
      return { start: `${d.getUTCFullYear()}-${month}-01 00:00:00+00` };
    }
    async function partition(client) {
      const { start } = dayBounds(new Date());
      return client.none(`CREATE TABLE IF NOT EXISTS spans_p FOR VALUES FROM ('${start}') TO (MAXVALUE)`);
    }
    module.exports = { partition };
    """
    assert fired(project, code) == []


def test_a_function_that_reaches_its_argument_through_arguments(project):
    code = ACCUMULATOR.replace(
        "function whereOrEmpty(acc) {",
        "function pushRaw(acc) {\n  const [into, raw] = arguments;\n  into.conditions.push(raw);\n}\nfunction whereOrEmpty(acc) {",
    ).replace(
        'applyFilters(acc, filters, { prefix: "r." });',
        'applyFilters(acc, filters, { prefix: "r." });\n  pushRaw(acc, filters.raw);',
    )
    found = fired(project, code)
    assert len(found) == 1 and "whereOrEmpty(acc)" in found[0][1], found


def test_a_tagged_template_binds_nothing(project):
    code = """
    const fragment = (strings, value) => `kind = '${value}'`;
    async function count(client, req) {
      return client.query(`SELECT count(*) FROM jobs WHERE ${fragment`${req.query.kind}`}`);
    }
    module.exports = { count };
    """
    found = fired(project, code)
    assert len(found) == 1, found


def test_the_one_reader_of_require_names_the_module_through_a_wrapper():
    from advisor.sources import js_syntax

    cases = {
        "require('./models/job')": "./models/job",
        "require(`./models/job`)": "./models/job",
        "__importDefault(require('./db'))": "./db",
        "tslib.__importStar(require('pg-format'))": "pg-format",
        "require(name)": None,
        "require(`./${name}`)": None,
        "load('./db')": None,
    }
    for expr, module in cases.items():
        text = f"const m = {expr};\n"
        tree = js_syntax.parser(".js").parse(text.encode())
        f = js_syntax.JsFile("a.js", text, text.encode(), tree.root_node)
        declarator = tree.root_node.named_children[0].named_children[0]
        assert js_syntax.required(f, declarator.child_by_field_name("value")) == module, expr
