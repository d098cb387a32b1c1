"""Claims that only matter on a large table (the rules whose page says `sized = true`) are made only on
tables advisor knows grow (Schema.grows): the config says so (`large-tables`, row counts), the schema
does (a partitioned table, a TTL index), or the code does (it pages through the table). On any other
table they are kept back, and one unknown-size note per project names the tables and how to say their
size. Small tables are tests/test_small_tables.py."""

import json
import textwrap

import pytest
from click.testing import CliRunner

from advisor import catalogue, engine
from advisor.cli import main
from advisor.errors import ConfigError

SQL = """
CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL, at timestamptz NOT NULL);
CREATE TABLE audit_log (id bigint PRIMARY KEY, actor text NOT NULL);
"""
QUERIES = "SELECT id FROM events WHERE kind = $1;\nSELECT id FROM audit_log WHERE actor = $1;\n"
CONFIG = 'dialect = "postgres"\nschema = ["schema.sql"]\n'


def names(project, files):
    project({name: textwrap.dedent(text) for name, text in files.items()})
    return [(f.location.path, f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active]


def claims(found, rules=("missing-index", "collection-scan", "in-memory-sort", "unindexed-foreign-key")):
    return sorted((path, line, rule) for path, line, rule in found if rule in rules)


@pytest.mark.parametrize("large, expected", [
    ([], []),
    (["*"], [("q.sql", 1, "missing-index"), ("q.sql", 2, "missing-index")]),
    (["audit_*"], [("q.sql", 2, "missing-index")]),  # a pattern
    (["EVENTS"], [("q.sql", 1, "missing-index")]),  # names fold as PostgreSQL's unquoted names do
    (["public.events"], []),  # a pattern names the table as the code does, or its bare name
])
def test_the_config_names_the_tables_that_grow(project, large, expected):
    config = CONFIG + f"large-tables = {json.dumps(large)}\n"
    found = names(project, {"advisor.toml": config, "schema.sql": SQL, "q.sql": QUERIES})
    assert claims(found) == expected


def test_a_schema_qualified_table_is_named_by_its_bare_name_too(project):
    schema = "CREATE SCHEMA app;\nCREATE TABLE app.events (id bigint PRIMARY KEY, kind text NOT NULL);\n"
    found = names(project, {"advisor.toml": CONFIG + 'large-tables = ["events"]\n', "schema.sql": schema,
                            "q.sql": "SELECT id FROM app.events WHERE kind = $1;\n"})
    assert claims(found) == [("q.sql", 1, "missing-index")]


def test_a_table_of_unknown_size_gets_one_note_naming_its_claims(project):
    found = names(project, {"advisor.toml": CONFIG, "schema.sql": SQL, "q.sql": QUERIES + QUERIES})
    assert claims(found) == []
    notes = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "unknown-size"]
    assert len(notes) == 1
    note = notes[0]
    assert (note.location.path, note.location.line, note.severity) == ("q.sql", 1, "info")
    assert note.message.startswith("advisor does not know whether these tables grow large, so it made none of the 4 ")
    assert "events (2 missing-index; first at q.sql:1); audit_log (2 missing-index; first at q.sql:2)" in note.message
    assert 'large-tables = ["events", "audit_log"]' in note.help
    assert catalogue.lookup("unknown-size").coverage  # what advisor could not see, counted apart


def test_without_the_note_the_claims_stay_unmade(project):
    found = names(project, {"advisor.toml": CONFIG + 'ignore = ["unknown-size"]\n', "schema.sql": SQL,
                            "q.sql": QUERIES})
    assert claims(found) == [] and "unknown-size" not in [r for _, _, r in found]


def test_a_partitioned_table_grows(project):
    schema = ("CREATE TABLE events (id bigint, kind text NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (at);\n"
              "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n")
    found = names(project, {"advisor.toml": CONFIG, "schema.sql": schema,
                            "q.sql": "SELECT id FROM events WHERE kind = $1;\n"})
    assert ("q.sql", 1, "missing-index") in found and "unknown-size" not in [r for _, _, r in found]


@pytest.mark.parametrize("offset, grows", [("OFFSET $2", True), ("OFFSET 40", True), ("OFFSET 0", False), ("", False)])
def test_a_table_the_code_pages_through_grows(project, offset, grows):
    page = f"SELECT id, kind FROM events ORDER BY id LIMIT 20 {offset};\n"
    found = names(project, {"advisor.toml": CONFIG, "schema.sql": SQL, "q.sql": QUERIES, "list.sql": page})
    assert (("q.sql", 1, "missing-index") in found) is grows
    assert ("q.sql", 2, "missing-index") not in found  # audit_log is not paged


@pytest.mark.parametrize("unpaged, grows", [(1, False), (2, True)])
def test_paging_every_table_alike_is_a_convention_not_a_size(project, unpaged, grows):
    """alerta pages every listing its API serves through one helper, 9 of the 10 tables it reads, its few API keys
    as its alerts: paging then says nothing of one table's size. With 5 of 7 tables paged it still does."""
    tables = [f"t{n}" for n in range(5 + unpaged)]
    ddl = "".join(f"CREATE TABLE {t} (id bigint PRIMARY KEY, kind text NOT NULL);\n" for t in tables)
    pages = "".join(f"SELECT id, kind FROM {t} ORDER BY id LIMIT 20 OFFSET $1;\n" for t in tables[:5])
    reads = "".join(f"SELECT id FROM {t} WHERE kind = $1;\n" for t in tables)
    found = names(project, {"advisor.toml": CONFIG, "schema.sql": ddl, "list.sql": pages, "q.sql": reads})
    claimed = [line for path, line, rule in found if path == "q.sql" and rule == "missing-index"]
    assert claimed == ([1, 2, 3, 4, 5] if grows else [])  # the paged five; the others no statement pages


@pytest.mark.parametrize("purge, grows", [
    ("DELETE FROM events WHERE at < $1;", True),  # rows older than a cutoff the run gives: they pile up till then
    ("DELETE FROM events WHERE at < now() - interval '30 days';", True),
    ("DELETE FROM events WHERE at < '2020-01-01';", False),  # a one-off cleanup with a literal date
    ("DELETE FROM events WHERE id = $1;", False),  # one row: no expiry
    ("DELETE FROM events WHERE at < $1 AND kind = $2;", False),  # a cutoff, and a choice of which rows
])
def test_a_table_the_code_purges_of_old_rows_grows(project, purge, grows):
    """The SQL twin of a TTL index (holdout 98's Archon: tournament_events, a row per tournament action, purged
    of the rows older than a cutoff every day): the code expires rows because they pile up with use."""
    found = names(project, {"advisor.toml": CONFIG, "schema.sql": SQL, "q.sql": QUERIES, "purge.sql": purge + "\n"})
    assert (("q.sql", 1, "missing-index") in found) is grows
    assert ("q.sql", 2, "missing-index") not in found  # audit_log is not purged


MONGO = """
async function setup(db) {
  await db.collection('sessions').createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  await db.collection('posts').createIndex({ author: 1 });
}
async function read(db, id) {
  await db.collection('sessions').findOne({ sid: id });
  await db.collection('posts').findOne({ slug: id });
}
"""


def test_a_collection_with_a_ttl_index_grows(project):
    found = names(project, {"app.js": MONGO})
    assert claims(found) == [("app.js", 6, "collection-scan")]  # sessions' documents pile up until they expire
    (note,) = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "unknown-size"]
    assert "posts (1 collection-scan; first at app.js:7)" in note.message


@pytest.mark.parametrize(
    "expire, grows",
    [("0", True), ("60 * 60 * 24 * 30", True), ("ttlSeconds", True), ("3600", False), ("86400", False)],
)
def test_a_ttl_index_that_keeps_at_most_a_day_says_nothing_of_growth(project, expire, grows):
    # mrq's workers and openhim's visualizer events (holdout 24, holdout 21): a heartbeat kept an hour holds a handful
    code = MONGO.replace("{ expireAfterSeconds: 0 }", f"{{ expireAfterSeconds: {expire} }}")
    found = names(project, {"app.js": code})
    assert (("app.js", 6, "collection-scan") in found) is grows


@pytest.mark.parametrize("page, grows", [
    ("db.collection('posts').find({}).sort({ _id: 1 }).skip(n).limit(20)", True),
    ("db.collection('posts').aggregate([{ $sort: { _id: 1 } }, { $skip: 40 }, { $limit: 20 }])", True),
    ("db.collection('posts').find({}).skip(0).limit(20)", False),
])
def test_a_collection_the_code_pages_through_grows(project, page, grows):
    found = names(project, {"app.js": MONGO + f"async function list(db, n) {{ return {page}.toArray(); }}\n"})
    assert (("app.js", 7, "collection-scan") in found) is grows


@pytest.mark.parametrize("value", ['""', "5", '["ok", 3]'])
def test_a_bad_large_tables_setting_is_one_clear_error(project, value):
    project({"advisor.toml": f"large-tables = {value}\n", "q.sql": "SELECT 1;\n"})
    with pytest.raises(ConfigError, match="large-tables"):
        engine.check(["."])


def test_paging_written_in_another_file_invalidates_the_cached_results(project, monkeypatch, tmp_path):
    """Whether a table grows may be said in another file (its OFFSET): a cached result must not outlive it."""
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    project({"advisor.toml": CONFIG, "schema.sql": SQL, "q.sql": QUERIES,
             "list.sql": "SELECT id FROM events ORDER BY id LIMIT 20;\n"})

    def rules():
        result = CliRunner().invoke(main, ["check", "--format", "json", "q.sql", "list.sql"])
        return {(f["path"], f["line"], f["name"]) for f in json.loads(result.output)["findings"]}

    assert ("q.sql", 1, "missing-index") not in rules()
    (tmp_path / "list.sql").write_text("SELECT id FROM events ORDER BY id LIMIT 20 OFFSET $1;\n")
    assert ("q.sql", 1, "missing-index") in rules()


def test_selecting_a_rule_that_needs_sizes_keeps_its_note(project):
    """`--select missing-index` alone: its claims on a table of unknown size are kept back, and the note that says so
    comes with it (ignoring the note is the only way to drop it), so silence is never taken for "no problem"."""
    project({"advisor.toml": CONFIG, "schema.sql": SQL, "q.sql": QUERIES})
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", "--select", "missing-index", "."])
    assert sorted(f["name"] for f in json.loads(result.output)["findings"]) == ["unknown-size"]
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", "--select", "missing-index",
                                       "--ignore", "unknown-size", "."])
    assert json.loads(result.output)["findings"] == []


@pytest.mark.parametrize("read, grows", [
    ("SELECT id, kind FROM events WHERE $1 < id AND id <= $2", True),  # a feed read by stream position
    ("SELECT id, kind FROM events WHERE id > $1 ORDER BY id LIMIT 50", True),  # a keyset page
    ("SELECT id, kind FROM events WHERE at >= $1 ORDER BY kind, at", False),  # rows since a time, ordered otherwise
    ("SELECT id, kind FROM events WHERE id > 100 ORDER BY id", False),  # a position the code fixes
])
def test_a_table_the_code_reads_after_a_position_grows(project, read, grows):
    """Reading a table piece by piece from a position the code passes says it holds too many rows to read whole."""
    found = names(project, {"advisor.toml": CONFIG, "schema.sql": SQL, "q.sql": QUERIES, "feed.sql": read + ";\n"})
    assert (("q.sql", 1, "missing-index") in found) is grows
