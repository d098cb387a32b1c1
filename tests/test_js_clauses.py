"""A WHERE clause a JS/TS function builds from its own literals is read into the statement (issue 10: "a `${where}`
built from literals: substitute what is known"): the conditions an array collects and joins, an optional piece
chosen against an empty string. Rules read the fullest variant, every condition the code may add; a clause
with a value or a name the run writes stays one placeholder (pg-workflows' run listing, holdout 44)."""

import pytest

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

LISTING = """
const {{ Pool }} = require("pg");
async function listRuns(pool, status, workflow, ids) {{
  const conditions = [];
  const values = [];
{body}
  const where = conditions.length > 0 ? `WHERE ${{conditions.join(" AND ")}}` : "";
  return pool.query(`SELECT id FROM runs ${{where}} ORDER BY created_at DESC LIMIT 20`, values);
}}
module.exports = {{ listRuns }};
"""


def texts(project, files: dict[str, str]) -> list[str]:
    project({"advisor.toml": 'dialect = "postgres"\n', **files})
    return [q.text for q in load_project(["."], Options()).sql_queries]


@pytest.mark.parametrize(
    "body, where",
    [
        (
            "  if (status) { conditions.push(`status = $${values.length + 1}`); values.push(status); }\n"
            "  if (workflow) { conditions.push(`workflow_id = $${values.length + 1}`); values.push(workflow); }\n",
            "WHERE status = ${} AND workflow_id = ${}",
        ),
        ("  conditions.push('archived = false');\n", "WHERE archived = false"),
        # a piece pushed in a loop: how many, advisor does not know
        ("  for (const id of ids) conditions.push(`id <> $${values.length + 1}`);\n", "{}"),
        ("  ids.forEach(() => conditions.push('deleted = false'));\n", "{}"),
        ("  register(conditions);\n  conditions.push('a = 1');\n", "{}"),  # handed on: it may hold anything
        ("  conditions.push(`${status} = $1`);\n", "{}"),  # a name the run writes
    ],
)
def test_the_conditions_an_array_collects_are_read_into_the_statement(project, body, where):
    assert texts(project, {"q.js": LISTING.format(body=body)}) == [
        f"SELECT id FROM runs {where} ORDER BY created_at DESC LIMIT 20"
    ]


@pytest.mark.parametrize(
    "piece, text",
    [
        ('status ? "AND status = $2" : ""', "SELECT id FROM runs WHERE tenant = $1 AND status = $2"),
        ('status ? "" : "AND archived = false"', "SELECT id FROM runs WHERE tenant = $1 AND archived = false"),
        ('desc ? "ORDER BY id DESC" : "ORDER BY id"', "SELECT id FROM runs WHERE tenant = $1 {}"),  # two texts
    ],
)
def test_an_optional_piece_is_read_with_the_statement(project, piece, text):
    code = (
        'const { Pool } = require("pg");\n'
        "async function f(pool, status, desc) {\n"
        f"  const extra = {piece};\n"
        "  return pool.query(`SELECT id FROM runs WHERE tenant = $1 ${extra}`, [1, status]);\n"
        "}\n"
        "module.exports = { f };\n"
    )
    assert texts(project, {"q.js": code}) == [text]


SCHEMA = "CREATE TABLE runs (id bigint PRIMARY KEY, status text, workflow_id text, created_at timestamptz);\n"
CONFIG = 'dialect = "postgres"\nschema = ["schema.sql"]\nlarge-tables = ["*"]\n'
BOTH = (
    "  if (status) { conditions.push(`status = $${values.length + 1}`); values.push(status); }\n"
    "  if (workflow) { conditions.push(`workflow_id = $${values.length + 1}`); values.push(workflow); }\n"
)


@pytest.mark.parametrize(
    "indexes, claimed",
    [
        ("", True),  # no variant's condition has an index
        ("CREATE INDEX runs_status ON runs (status);\n", False),  # the index serves the status variants
    ],
)
def test_rules_judge_the_fullest_variant(project, indexes, claimed):
    project({"advisor.toml": CONFIG, "schema.sql": SCHEMA + indexes, "q.js": LISTING.format(body=BOTH)})
    found = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "missing-index"]
    assert bool(found) == claimed


def test_a_const_is_read_though_another_function_changes_a_name_so_spelled(project):
    code = (
        'const { Pool } = require("pg");\n'
        "async function count(pool, status) {\n"
        '  let whereClause = "WHERE true";\n'
        '  if (status) whereClause += " AND status = $1";\n'
        "  return pool.query(`SELECT count(*) FROM runs ${whereClause}`, [status]);\n"
        "}\n"
        "async function list(pool, status) {\n"
        "  const conditions = [];\n"
        "  if (status) conditions.push(`status = $${1}`);\n"
        '  const whereClause = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";\n'
        "  return pool.query(`SELECT id FROM runs ${whereClause}`, [status]);\n"
        "}\n"
        "module.exports = { count, list };\n"
    )
    # the `let` changed by += stays a placeholder; the other function's const is its own variable
    assert texts(project, {"q.js": code}) == ["SELECT count(*) FROM runs {}", "SELECT id FROM runs WHERE status = ${}"]
