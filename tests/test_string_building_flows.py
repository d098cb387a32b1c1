"""sql-string-building on value flows that carry no outside text (issue 10, item 6), each family next to the
one step that lets a caller's text in again.

Cut down from the corpus: mastra-pg's vector upsert (`$2::${qualifiedVectorType}`) and its group-by aliases
(`group_by_${index}` of a `.map` callback); r2r's chunk search (an IndexMeasure enum imported through a
package's `from .abstractions import *`, read through a settings model's annotated fields, spliced next to
`{table_name}.vec`); mastra-pg's batched upsert rows (a cast inside each pushed row) and lnbits' insert
builder (`placeholders.append(f":{field}")`)."""

import textwrap

import pytest

from advisor import catalogue, engine
from tests.conftest_db import pg_server  # noqa: F401


def fired(project, files):
    project({name: textwrap.dedent(code) for name, code in files.items()})
    found = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "sql-string-building"]
    return [(f.location.path, f.location.line, f.message) for f in found]


# --- JS: the type of a cast is a name ---------------------------------------------------------------

CAST = """
async function upsert(client, table, vectorType, id, vector) {
  await client.query(`INSERT INTO items (id, embedding) VALUES ($1, $2::${vectorType})`, [id, vector]);
}
module.exports = { upsert };
"""


def test_the_type_of_a_cast_is_a_name(project):
    assert fired(project, {"store.js": CAST}) == []


def test_a_value_next_to_the_cast_is_still_a_value(project):
    code = CAST.replace("$2::${vectorType})`", "$2::${vectorType}) ON CONFLICT DO NOTHING RETURNING '${id}'`")
    found = fired(project, {"store.js": code})
    assert [line for _, line, _ in found] == [2] and "(id)" in found[0][2], found


ROWS = """
async function upsertMany(client, vectorType, ids, vectors) {
  const rows = [];
  const values = [];
  for (let i = 0; i < ids.length; i++) {
    const base = values.length;
    rows.push(`($${base + 1}, $${base + 2}::${vectorType})`);
    values.push(ids[i], vectors[i]);
  }
  await client.query(`INSERT INTO items (id, embedding) VALUES ${rows.join(", ")}`, values);
}
module.exports = { upsertMany };
"""


def test_the_type_of_a_cast_in_rows_the_code_builds_is_a_name(project):
    # each pushed row is placeholders and a cast: the array's text is the code's own
    assert fired(project, {"store.js": ROWS}) == []


def test_a_value_in_rows_the_code_builds_is_still_a_value(project):
    found = fired(project, {"store.js": ROWS.replace("$${base + 2}::${vectorType})", "'${vectors[i]}'::vector)")})
    assert [line for _, line, _ in found] == [9] and 'rows.join(", ")' in found[0][2], found


def test_postgres_reads_what_follows_a_cast_as_a_type_name(pg_server):  # noqa: F811
    """The premise: after `::` PostgreSQL expects a type's name; a value (a literal) there is a syntax error."""
    from advisor.seed.server import connect

    with connect(pg_server.conninfo(), autocommit=True) as conn:
        assert conn.execute("SELECT %s::int4", ("7",)).fetchone()[0] == 7
        with pytest.raises(Exception, match="syntax error"):
            conn.execute("SELECT %s::'int4'", ("7",))


# --- JS: the index a .map callback is given is a number ------------------------------------------------

GROUP_BY = """
function resolveGroupBy(groupBy, columns) {
  return groupBy.map((key, index) => {
    if (!columns.has(key)) throw new Error(`Invalid groupBy column: ${key}`);
    return { key, alias: `group_by_${index}` };
  });
}
async function breakdown(client, args) {
  const resolved = resolveGroupBy(args.groupBy, new Set(["name", "model"]));
  const keys = resolved.map((e) => e.key);
  return client.query(
    `SELECT count(*) FROM spans WHERE name = ANY($1) GROUP BY ${resolved.map((e) => e.alias).join(", ")}`,
    [keys],
  );
}
module.exports = { breakdown };
"""


def test_a_map_callback_index_is_a_number(project):
    assert fired(project, {"store.js": GROUP_BY}) == []


def test_the_element_a_set_of_the_callers_confines_is_no_callers_text(project):
    """`columns.has(key)` with a throw, where every call passes `new Set(["name", "model"])`: key is one of them."""
    assert fired(project, {"store.js": GROUP_BY.replace("alias: `group_by_${index}`", "alias: `group_by_${key}`")}) == []


@pytest.mark.parametrize(
    "old,new",
    [
        # the element, not the index, and unchecked: the caller's text
        (
            "    if (!columns.has(key)) throw new Error(`Invalid groupBy column: ${key}`);\n"
            "    return { key, alias: `group_by_${index}` };",
            "    return { key, alias: `group_by_${key}` };",
        ),
        # a Map's (or a Set's) forEach passes a key where an array's passes an index
        (
            "return groupBy.map((key, index) => {",
            "const keys = [];\n  new Map(groupBy).forEach((value, index) => { keys.push(index); });\n"
            "  return groupBy.map((key, i) => {\n    const index = keys[i];",
        ),
    ],
)
def test_what_a_callback_is_given_besides_the_index_is_the_caller_s(project, old, new):
    assert old in GROUP_BY
    found = fired(project, {"store.js": GROUP_BY.replace(old, new)})
    assert len(found) == 1 and "e.alias" in found[0][2], found


# --- Python: a class re-exported by a package's star import, an annotated field ----------------------

MEASURE = """
from enum import Enum


class IndexMeasure(str, Enum):
    cosine_distance = "cosine_distance"
    l2_distance = "l2_distance"

    @property
    def pgvector_repr(self) -> str:
        return {IndexMeasure.cosine_distance: "<=>", IndexMeasure.l2_distance: "<->"}[self]
"""
SETTINGS = """
from pydantic import BaseModel

from .vector import IndexMeasure


class ChunkSettings(BaseModel):
    index_measure: IndexMeasure = IndexMeasure.cosine_distance


class SearchSettings(BaseModel):
    chunk_settings: ChunkSettings
    limit: int = 10
"""
SEARCH = """
from shared.abstractions import IndexMeasure, SearchSettings


class Chunks:
    async def search(self, conn, vector, settings: SearchSettings, measure, table_name):
        imeasure = IndexMeasure(measure)
        by_measure = f"{table_name}.vec {imeasure.pgvector_repr} $1::vector"
        by_settings = f"{table_name}.vec {settings.chunk_settings.index_measure.pgvector_repr} $1::vector"
        await conn.fetch(f"SELECT id, ({by_measure}) AS d FROM {table_name} ORDER BY d LIMIT 10", vector)
        await conn.fetch(f"SELECT id, ({by_settings}) AS d FROM {table_name} ORDER BY d LIMIT 10", vector)
"""


def _r2r(search: str = SEARCH, star: str = "from .vector import *\nfrom .search import *\n") -> dict[str, str]:
    return {
        "shared/__init__.py": "",
        "shared/abstractions/__init__.py": star,
        "shared/abstractions/vector.py": MEASURE,
        "shared/abstractions/search.py": SETTINGS,
        "core/__init__.py": "",
        "core/chunks.py": search,
    }


def test_an_enum_s_operator_through_a_star_import_and_an_annotated_field(project):
    assert fired(project, _r2r()) == []


def test_a_value_named_for_a_name_where_a_fragment_expects_a_name(project):
    """`f"{table_name}.vec ..."`: a name, as `FROM {table_name}` is, whatever the table name is made of."""
    search = SEARCH.replace("measure, table_name):", "measure, by):\n        table_name = by.text")
    assert fired(project, _r2r(search)) == []


@pytest.mark.parametrize(
    "change",
    [
        # a star import from outside the project may bind the name too: the class is not known
        lambda files: {**files, "shared/abstractions/__init__.py": "from numpy import *\n" + files["shared/abstractions/__init__.py"]},
        # an `__all__` that leaves the class out: the star import does not give it
        lambda files: {
            **files,
            "shared/abstractions/__init__.py": "from .vector import *\nfrom .search import SearchSettings\n",
            "shared/abstractions/vector.py": "__all__ = ['Other']\n" + MEASURE,
        },
        # the operator is the caller's text
        lambda files: {**files, "core/chunks.py": SEARCH.replace("{imeasure.pgvector_repr}", "{measure}")},
        # a value named for a name is a name only where SQL expects one: here it is compared as a value
        lambda files: {
            **files,
            "core/chunks.py": SEARCH.replace("measure, table_name):", "measure, by):\n        table_name = by.text")
            .replace("{table_name}.vec {imeasure", "vec <> {table_name} AND vec {imeasure"),
        },
    ],
)
def test_the_operator_from_elsewhere_is_reported(project, change):
    found = fired(project, change(_r2r()))
    assert found and found[0][0] == "core/chunks.py" and "(by_measure)" in found[0][2], found


def test_a_field_annotated_with_a_class_of_outside_is_not_known(project):
    files = _r2r()
    files["shared/abstractions/search.py"] = SETTINGS.replace("index_measure: IndexMeasure", "index_measure: str")
    found = fired(project, files)
    assert [(path, line) for path, line, _ in found] == [("core/chunks.py", 10)], found


# --- Python: the name of a bind parameter is a name -------------------------------------------------

INSERT = """
from sqlalchemy import text


def insert_query(table_name, model):
    placeholders = []
    keys = model.dict().keys()
    for field in keys:
        placeholders.append(f":{field}")
    fields = ", ".join([f'"{key}"' for key in keys])
    values = ", ".join(placeholders)
    return f"INSERT INTO {table_name} ({fields}) VALUES ({values})"


async def insert(conn, table_name, model):
    await conn.execute(text(insert_query(table_name, model)), model.dict())
"""


def test_the_name_of_a_bind_parameter_is_a_name(project):
    # `:{field}` is the name of a parameter the driver binds; a column-named variable there is a name, as in
    # `"{key}"` beside it (what reaches the statement is the model's values, bound)
    assert fired(project, {"db.py": INSERT}) == []


def test_a_value_beside_the_bind_parameters_is_still_a_value(project):
    code = INSERT.replace('placeholders.append(f":{field}")', 'placeholders.append(f"\'{model.dict()[field]}\'")')
    found = fired(project, {"db.py": code})
    assert [(path, line) for path, line, _ in found] == [("db.py", 11)] and "(values)" in found[0][2], found


# --- code that runs once: a migration step, an operator's script ------------------------------------

BACKFILL = """
async def m014_backfill(db, conn):
    rows = await conn.fetchall("SELECT secret FROM proofs_used")
    for row in rows:
        await conn.execute(f"UPDATE proofs_used SET y = '{row['secret']}' WHERE secret = '{row['secret']}'")
"""


def test_a_migration_step_or_a_script_splicing_its_own_data_is_not_reported(project):
    # holdout 24's mint: 12 such statements in cashu/mint/migrations.py, each judged not worth a pull request
    assert fired(project, {"cashu/mint/migrations.py": BACKFILL, "scripts/fix_y.py": BACKFILL}) == []
    # the same code in the application: a caller's value may reach it
    assert [(p, line) for p, line, _ in fired(project, {"cashu/mint/ledger.py": BACKFILL})] == [
        ("cashu/mint/ledger.py", 4)
    ]
