"""sql-string-building trusts a JS value that a test before it confines (advisor.facts.js_narrowing): a
throw-guard with an anchored regex, a deny-list regex that excludes the quote the value stands in, a fixed
set (`includes`, `===`), a ternary's branch, a function returning its argument after such a check; and
`this.m(...)` followed to the class's own method (or its base class's in the same file).

The shapes are cut down from mastra-pg (dist/index.js: `parseSchemaName` rejecting quotes before
`"${...}"`, `getVectorTypeName`'s `/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : `"${s}"``); each dangerous
variant differs from a safe one by one step."""

import pytest

from tests.test_js_args import fired

GUARD = """
async function sortBy(client, name, dir) {
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw new Error("bad column " + name);
  if (dir !== "ASC" && dir !== "DESC") throw new Error("bad direction");
  return client.query(`SELECT * FROM items ORDER BY ${name} ${dir}`);
}
module.exports = { sortBy };
"""


def test_a_throw_guard_confines_the_name(project):
    assert fired(project, GUARD) == []


@pytest.mark.parametrize(
    "old,new",
    [
        # unanchored: `a; DROP TABLE x` passes
        ("/^[a-zA-Z_][a-zA-Z0-9_]*$/", "/[a-zA-Z_][a-zA-Z0-9_]*/"),
        # anchored at one end only
        ("/^[a-zA-Z_][a-zA-Z0-9_]*$/", "/^[a-zA-Z_][a-zA-Z0-9_]*/"),
        # the class admits a space and a semicolon
        ("/^[a-zA-Z_][a-zA-Z0-9_]*$/", "/^[a-zA-Z_][a-zA-Z0-9_ ;]*$/"),
        # `m`: `^` and `$` match at any line
        ("/^[a-zA-Z_][a-zA-Z0-9_]*$/.test", "/^[a-zA-Z_][a-zA-Z0-9_]*$/m.test"),
        # the failing branch goes on
        ('throw new Error("bad column " + name);', 'console.warn("bad column " + name);'),
        # the check is on another variable
        ("test(name)", "test(dir)"),
    ],
)
def test_a_guard_that_does_not_confine(project, old, new):
    assert old in GUARD
    found = fired(project, GUARD.replace(old, new))
    assert len(found) == 1 and "name" in found[0][1], found


def test_a_direction_not_confined(project):
    found = fired(
        project, GUARD.replace('if (dir !== "ASC" && dir !== "DESC")', 'if (dir !== "ASC" || dir !== "DESC")')
    )
    assert found == [], "either side of `||` failing throws: dir is both, which nothing is; still confined"
    found = fired(project, GUARD.replace('if (dir !== "ASC" && dir !== "DESC") throw new Error("bad direction");', ""))
    assert len(found) == 1 and "dir" in found[0][1], found


ALLOWED = """
const DIRECTIONS = ["id", "name"];
async function list(client, dir) {
  if (!DIRECTIONS.includes(dir)) {
    throw new Error("bad column");
  }
  return client.query(`SELECT * FROM items ORDER BY ${dir} DESC`);
}
module.exports = { list };
"""


def test_a_fixed_set_confines_the_name(project):
    assert fired(project, ALLOWED) == []


def test_a_set_from_outside_does_not(project):
    found = fired(
        project,
        ALLOWED.replace(
            "async function list(client, dir) {", "async function list(client, dir) {\n  DIRECTIONS.push(dir);"
        ),
    )
    assert len(found) == 1 and "dir" in found[0][1], found


SCHEMA = """
const UNSAFE = /["'\\\\$\\u0000-\\u001f]/;
function parseSchemaName(name) {
  if (typeof name !== "string" || name.length === 0 || UNSAFE.test(name)) throw new Error(`Invalid schema: ${name}`);
  return name;
}
function nsFilter(raw) {
  return `nspname = '${parseSchemaName(raw)}'`;
}
async function count(client, raw) {
  return client.one(`SELECT count(*) FROM pg_namespace WHERE ${nsFilter(raw)}`);
}
module.exports = { count };
"""


def test_a_function_returning_its_checked_argument(project):
    assert fired(project, SCHEMA) == []


@pytest.mark.parametrize(
    "old,new",
    [
        # the name stands outside quotes, where excluding quotes is not enough
        ("'${parseSchemaName(raw)}'", "${parseSchemaName(raw)}"),
        # the class does not exclude the double quote the name stands in
        ("/[\"'\\\\$", '/["\\\\$'),
    ],
)
def test_a_checked_argument_in_the_wrong_place(project, old, new):
    assert old in SCHEMA, old
    found = fired(project, SCHEMA.replace(old, new))
    assert len(found) == 1 and "nsFilter" in found[0][1], found


def test_a_check_after_the_return(project):
    code = SCHEMA.replace(
        '  if (typeof name !== "string" || name.length === 0 || UNSAFE.test(name)) throw new Error(`Invalid schema: ${name}`);\n  return name;',
        "  if (!name) return name;\n  if (UNSAFE.test(name)) throw new Error(`Invalid schema: ${name}`);\n  return name;",
    )
    found = fired(project, code)
    assert len(found) == 1 and "nsFilter" in found[0][1], found


TERNARY = """
async function create(client, ext) {
  const pick = /^[A-Za-z_][A-Za-z0-9_]*$/.test(ext) ? ext : "0";
  return client.query(`SELECT * FROM items WHERE id = ${pick}`);
}
module.exports = { create };
"""


def test_a_ternary_branch_is_confined(project):
    assert fired(project, TERNARY) == []
    found = fired(project, TERNARY.replace('? ext : "0"', '? "0" : ext'))
    assert len(found) == 1 and "pick" in found[0][1], found


CLASS = """
class Base {
  typeFilter(kind) {
    if (kind === "bit") return "kind = 'bit'";
    return "kind = 'vector'";
  }
}
class Store extends Base {
  constructor(pool) { super(); this.pool = pool; }
  direction(dir) {
    return dir === "name" ? "name" : "id";
  }
  async list(opts) {
    const order = this.direction(opts.dir);
    const filter = this.typeFilter(opts.kind);
    return this.pool.query(`SELECT v FROM items WHERE ${filter} ORDER BY ${order}`);
  }
}
module.exports = { Store };
"""


def test_this_method_of_the_class_and_its_base(project):
    assert fired(project, CLASS) == []


@pytest.mark.parametrize(
    "old,new,value",
    [
        # the method returns its argument
        ('return dir === "name" ? "name" : "id";', "return dir;", "order"),
        # a subclass of the file overrides it
        (
            "module.exports = { Store };",
            "class Other extends Store { direction(d) { return d; } }\nmodule.exports = { Store };",
            "order",
        ),
        # `this` inside a plain function is not the instance
        (
            "const order = this.direction(opts.dir);",
            "const order = (function () { return this.direction(opts.dir); })();",
            "order",
        ),
    ],
)
def test_this_method_from_outside(project, old, new, value):
    assert old in CLASS
    found = fired(project, CLASS.replace(old, new))
    assert len(found) == 1 and value in found[0][1], found


def test_a_base_class_in_another_file(project):
    base, store = CLASS.split("class Store extends Base {")
    project({"base.js": base + "module.exports = { Base };\n"})
    store = 'const { Base } = require("./base.js");\nclass Store extends Base {' + store
    found = fired(project, store)
    assert len(found) == 1 and "filter" in found[0][1], found


# a Set of allowed names (agenda's postgres backend, dist/PostgresJobRepository.js: unique keys checked against
# UNIQUE_QUERYABLE_COLUMNS before each condition is pushed and the conditions joined into the WHERE)
SET_GUARD = """
const COLUMNS = new Set(["name", "type", "priority"]);
async function findUnique(pool, unique) {
  const conditions = ["name = $1"];
  let n = 2;
  for (const key of Object.keys(unique)) {
    const column = key.replace(/([A-Z])/g, "_$1").toLowerCase();
    if (!COLUMNS.has(column)) {
      throw new Error("bad unique key " + key);
    }
    conditions.push(`"${column}" = $${n++}`);
  }
  return pool.query(`SELECT * FROM jobs WHERE ${conditions.join(" AND ")} LIMIT 1`, []);
}
module.exports = { findUnique };
"""


def test_a_set_of_names_confines_what_is_pushed_after_its_check(project):
    assert fired(project, SET_GUARD) == []


@pytest.mark.parametrize("old, new", [
    ('new Set(["name", "type", "priority"])', 'new Map([["name", 1]])'),  # a Map's `has` asks of its keys
    ("module.exports = { findUnique };", "module.exports = { findUnique, allow: (c) => COLUMNS.add(c) };"),
    ('new Set(["name", "type", "priority"])', "new Set(process.env.COLUMNS.split(','))"),  # names from outside
    ("      throw new Error(\"bad unique key \" + key);\n", ""),  # the failing branch goes on
])
def test_a_set_that_does_not_confine(project, old, new):
    assert SET_GUARD.count(old) == 1
    assert fired(project, SET_GUARD.replace(old, new)) != []
