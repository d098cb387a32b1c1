"""A table or collection the config says stays small (`[seed.tables.t] rows`, below
`[explain] large_table_rows`) gets no claim that rests on its size, in every rule family: reading
it whole is the cheapest plan. One advisor knows grows gets the claim; one of unknown size gets
none, and the project's unknown-size note names it (tests/test_table_sizes.py)."""

import textwrap

import pytest

from advisor import catalogue, engine

MONGO = """
async function setup(db) {
  await db.collection("queues").createIndex({ name: 1 }, { unique: true });
}
async function pause(db, id) {
  await db.collection("queues").updateOne({ id: id }, { $set: { paused: true } });
}
async function unpaused(db) {
  return db.collection("queues").find({ paused: false }).toArray();
}
"""

SQL = """
CREATE TABLE instances (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE checks (
    id bigint PRIMARY KEY,
    instance_id bigint NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    name text NOT NULL
);
"""

QUERY = "SELECT id FROM checks WHERE name = $1;\n"

SMALL = '\n[seed.tables.{}]\nrows = 20\n'
LARGE = 'large-tables = ["*"]\n'
OPT_IN = 'select = ["DEFAULT", "unbounded-find"]\n'  # off by default: its claim rests on size too


def names(project, files):
    project({name: textwrap.dedent(text) for name, text in files.items()})
    return sorted((f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active)


def test_mongo_rules_resting_on_size_speak_of_a_collection_that_grows(project):
    found = names(project, {"store.js": MONGO, "advisor.toml": LARGE + OPT_IN})
    assert (5, "collection-scan") in found and (8, "unbounded-find") in found


def test_mongo_rules_resting_on_size_leave_a_collection_of_unknown_size_to_the_note(project):
    found = names(project, {"store.js": MONGO, "advisor.toml": OPT_IN})
    assert [rule for _, rule in found if rule in ("collection-scan", "unbounded-find", "unknown-size")] == [
        "unknown-size"]


def test_mongo_collection_the_config_says_stays_small_gets_no_size_claim(project):
    found = names(project, {"store.js": MONGO, "advisor.toml": LARGE + OPT_IN + SMALL.format("queues")})
    assert not [rule for _, rule in found
                if rule in ("collection-scan", "unbounded-find", "no-index-declarations", "unknown-size")]


def test_a_small_collection_says_nothing_for_another(project):
    found = names(project, {"store.js": MONGO, "advisor.toml": LARGE + SMALL.format("jobs")})
    assert (5, "collection-scan") in found


@pytest.mark.parametrize("sizes,expected", [
    ("", {"unknown-size"}),
    (LARGE, {"unindexed-foreign-key", "missing-index"}),
    (LARGE + SMALL.format("checks"), set()),  # small wins over a pattern naming every table
    (LARGE + SMALL.format("instances"), {"unindexed-foreign-key", "missing-index"}),  # the referencing table is scanned
])
def test_sql_rules_resting_on_size(project, sizes, expected):
    config = 'dialect = "postgres"\nschema = ["schema.sql"]\n' + sizes  # the [seed.tables] table last
    found = names(project, {"schema.sql": SQL, "queries.sql": QUERY, "advisor.toml": config})
    assert {rule for _, rule in found if rule in ("unindexed-foreign-key", "missing-index", "unknown-size")} == expected


@pytest.mark.parametrize("checks_rows,expected", [(12, set()), (90000, {"unindexed-foreign-key", "missing-index"})])
def test_production_row_counts_from_a_stats_file_say_which_tables_stay_small_and_which_grow(
    project, checks_rows, expected
):
    stats = '{"version": 1, "tables": [{"schema": "public", "table": "checks", "reltuples": %d}, ' \
        '{"schema": "public", "table": "instances", "reltuples": 90000}]}' % checks_rows
    config = 'dialect = "postgres"\nschema = ["schema.sql"]\n[seed]\nstats = "stats.json"\n'
    found = names(project, {"schema.sql": SQL, "queries.sql": QUERY, "advisor.toml": config, "stats.json": stats})
    assert {rule for _, rule in found if rule in ("unindexed-foreign-key", "missing-index", "unknown-size")} == expected


def test_a_redundant_index_is_worth_a_finding_on_a_table_that_grows_and_only_there(project):
    """Every write maintains the shorter index: on a table that grows that is a cost, on a small one next to
    nothing, and where advisor does not know the size, the unknown-size note counts the claim."""
    schema = SQL + "CREATE INDEX checks_name ON checks (name);\nCREATE INDEX checks_name_id ON checks (name, id);\n"
    config = 'dialect = "postgres"\nschema = ["schema.sql"]\n'
    rules = lambda extra: [rule for _, rule in names(project, {"schema.sql": schema, "advisor.toml": config + extra})]  # noqa: E731
    assert "redundant-index" in rules(LARGE)
    assert "redundant-index" not in rules("") and "unknown-size" in rules("")
    project({"schema.sql": schema, "advisor.toml": config})
    note = next(f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "unknown-size")
    assert "checks (1 redundant-index, 1 unindexed-foreign-key; first at schema.sql:" in note.message, note.message
    assert not {"redundant-index", "unknown-size"} & set(rules(SMALL.format("checks")))


SETTINGS = """
CREATE TABLE metadata (name varchar(128) NOT NULL, value varchar(512) NOT NULL);
CREATE TABLE events (name text NOT NULL, value text NOT NULL, at timestamptz NOT NULL);
CREATE TABLE tags (name text NOT NULL, label text NOT NULL);
"""


@pytest.mark.parametrize("table, claimed", [
    ("metadata", False),  # a name and its value: one row per setting the code names
    ("events", True),  # a third column: rows of data, not settings
    ("tags", True),  # no value column
])
def test_a_table_of_settings_stays_small(project, table, claimed):
    config = LARGE + 'dialect = "postgres"\nschema = ["schema.sql"]\n'
    query = f"SELECT * FROM {table} WHERE name = $1;\n"
    found = names(project, {"schema.sql": SETTINGS, "queries.sql": query, "advisor.toml": config})
    assert ((1, "missing-index") in found) is claimed
