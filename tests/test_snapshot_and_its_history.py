"""A schema snapshot the config names, beside the migration steps that built it (holdout 31's swh-scheduler:
`swh/scheduler/sql/30-schema.sql` and `60-indexes.sql` are the schema a new database gets, `sql/upgrades/02.sql` to
`38.sql` the steps an old one took to reach it). The steps the snapshot already holds are history: replayed on top of
it, upgrade 33's `ALTER TABLE task RENAME TO archive_task` moved the snapshot's `task`, with its indexes, to
`archive_task`, and every claim on `task` was about the wrong table. A step is known to be held when one of its
statements would fail on the snapshot because its change is there already; it and the steps before it are not
replayed, the steps after it are (a full schema plus the deltas newer than it)."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

from tests.conftest_db import pg_server  # noqa: F401

CONFIG = """\
dialect = "postgres"
schema = ["sql/*.sql"]
"""

SCHEMA = """\
CREATE TABLE task (id bigserial PRIMARY KEY, type text NOT NULL, arguments jsonb, next_run timestamptz);
CREATE TABLE listers (id uuid PRIMARY KEY, name text, last_listing_finished_at timestamptz);
"""

INDEXES = """\
CREATE INDEX ON task (type);
CREATE INDEX ON task (type, md5(arguments::text));
"""

STEPS = {
    # older than the snapshot: an old table moved aside, a new one put in its place (no columns known)
    "sql/upgrades/02.sql": """\
CREATE TABLE new_task (LIKE task INCLUDING ALL EXCLUDING INDEXES);
ALTER TABLE task RENAME TO archive_task;
ALTER TABLE new_task RENAME TO task;
CREATE INDEX ON task (next_run);
CREATE INDEX ON task (next_run, type);
""",
    # the last step the snapshot holds: its column is there already
    "sql/upgrades/10.sql": """\
ALTER TABLE listers ADD COLUMN last_listing_finished_at timestamptz;
""",
}

NEWER = """\
CREATE INDEX listers_name ON listers (name);
CREATE INDEX listers_name_id ON listers (name, id);
"""

QUERY = """\
def due(cur, type_, args):
    cur.execute(
        "SELECT id FROM task WHERE type = %s AND md5(arguments::text) = md5(%s::text)",
        (type_, args),
    )
"""


def _files(newer: bool = False) -> dict[str, str]:
    files = {"advisor.toml": CONFIG, "sql/30-schema.sql": SCHEMA, "sql/60-indexes.sql": INDEXES, **STEPS}
    if newer:
        files["sql/upgrades/9.sql"] = STEPS["sql/upgrades/02.sql"]  # in number order: before 10, held too
        files["sql/upgrades/11.sql"] = NEWER
    return files


def test_the_steps_a_snapshot_holds_are_not_replayed_on_it(project):
    project(_files())
    schema = load_project(["."], Options()).schema
    assert "archive_task" not in schema.tables and "new_task" not in schema.tables
    task = schema.tables["task"]
    assert list(task.columns) == ["id", "type", "arguments", "next_run"]  # the snapshot's, whole
    on_task = {tuple(k.expr for k in i.keys) for i in schema.indexes_on("task")}
    assert ("next_run",) not in on_task and ("type",) in on_task  # the history's index is not the snapshot's


def test_a_step_newer_than_the_snapshot_is_replayed(project):
    project(_files(newer=True))
    schema = load_project(["."], Options()).schema
    assert {i.name for i in schema.indexes_on("listers")} >= {"listers_name", "listers_name_id"}
    assert "archive_task" not in schema.tables


def test_findings_are_about_the_snapshots_tables(project):
    project({**_files(newer=True), "app/jobs.py": QUERY, "advisor.toml": CONFIG + 'large-tables = ["*"]\n'})
    found = [(catalogue.lookup(f.rule).name, f.location.path, f.location.line) for f in engine.check(["."]).active]
    rules = {(name, path) for name, path, _ in found}
    # task(type) under task(type, md5(...)): the snapshot's own redundancy, on the table it names
    assert ("redundant-index", "sql/60-indexes.sql") in rules
    # the newer step's redundancy is found; none of the history's (task (next_run) under (next_run, type))
    assert ("redundant-index", "sql/upgrades/11.sql") in rules
    assert not any(path.startswith("sql/upgrades/0") or path == "sql/upgrades/9.sql" for _, path, _ in found)
    # md5(arguments::text) after `type = %s` is the second key of an index: served, no function-on-column
    assert not any(name == "function-on-column" for name, _, _ in found)


def test_without_a_held_step_every_step_is_replayed(project):
    """No statement of the steps is already in the snapshot: nothing says they are older, so they are the deltas
    after it (a full schema and its newer migrations, as synapse ships them)."""
    files = {"advisor.toml": CONFIG, "sql/30-schema.sql": SCHEMA, "sql/upgrades/11.sql": NEWER}
    project(files)
    schema = load_project(["."], Options()).schema
    assert "listers_name" in {i.name for i in schema.indexes_on("listers")}


def test_the_config_s_own_steps_a_snapshot_holds_are_not_replayed(project):
    """Holdout 83's ultralytics names both of its ways to set a database up, `schema = ["schema.sql",
    "migrations"]`: the snapshot, and node-pg-migrate steps whose first builds the same table with indexes named
    otherwise. Replayed on the snapshot that step would fail (the table exists), so it is history, and its indexes
    are not the snapshot's twins ("duplicate-index"); the step after it, newer, is replayed."""
    snapshot = (
        "CREATE TABLE IF NOT EXISTS events (id bigserial PRIMARY KEY, name text NOT NULL, at timestamptz);\n"
        "CREATE INDEX IF NOT EXISTS idx_events_name ON events (name);\n"
    )
    initial = "exports.up = (pgm) => {\n  pgm.createTable('events', { id: 'id', name: 'text', at: 'timestamptz' });\n  pgm.createIndex('events', 'name');\n};\n"
    newer = (
        "exports.up = (pgm) => {\n  pgm.createIndex('events', ['name', 'at'], { name: 'idx_events_name_at' });\n};\n"
    )
    project(
        {
            "advisor.toml": 'dialect = "postgres"\nschema = ["schema.sql", "migrations"]\nlarge-tables = ["*"]\n',
            "schema.sql": snapshot,
            "migrations/1584273600000_initial.js": initial,
            "migrations/1694773800000_indexes.js": newer,
        }
    )
    schema = load_project(["."], Options()).schema
    assert sorted(i.name for i in schema.indexes_on("events")) == [
        "events_pkey",
        "idx_events_name",
        "idx_events_name_at",
    ]
    found = {(catalogue.lookup(f.rule).name, f.location.path) for f in engine.check(["."]).active}
    assert ("redundant-index", "schema.sql") in found  # (name) under the newer (name, at)
    assert not any(rule == "duplicate-index" for rule, _ in found)


def test_the_seeded_database_is_built_as_the_schema_is_read(tmp_path, monkeypatch, pg_server):  # noqa: F811
    """The steps a snapshot holds are not loaded into the seeded database either: the snapshot and the newer step
    are, and nothing is refused (the initial step's CREATE TABLE would be: its table exists)."""
    import json

    from click.testing import CliRunner

    from tests.test_explain import _cli

    project = tmp_path / "app"
    files = {
        "advisor.toml": 'dialect = "postgres"\nschema = ["schema.sql", "migrations"]\n[seed]\nrows = 200\n',
        "schema.sql": "CREATE TABLE events (id bigserial PRIMARY KEY, name text NOT NULL, at timestamptz);\n",
        "migrations/1584273600000_initial.js": (
            "exports.up = (pgm) => {\n  pgm.createTable('events', { id: 'id', name: 'text', at: 'timestamptz' });\n};\n"
        ),
        "migrations/1694773800000_indexes.js": (
            "exports.up = (pgm) => {\n  pgm.createIndex('events', ['name', 'at'], { name: 'idx_events_name_at' });\n};\n"
        ),
        "q.sql": "SELECT id FROM events WHERE name = $1 ORDER BY at DESC LIMIT 20;\n",
    }
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--no-cache", "--format", "json", "app"])
    assert result.exit_code in (0, 1), result.output
    found = [catalogue.lookup(f["rule"]).name for f in json.loads(result.stdout)["findings"]]
    assert "schema-rejected" not in found and "explain-error" not in found, found
