"""`schema = ["db/migrations"]`: a folder names the `.sql` files under it, as a user points at where the DDL lives
(holdout 77's first run stopped with "matches no file" on its migrations folder); a folder of code migrations and no
`.sql` file, its code files (holdout 83's first run stopped on its node-pg-migrate folder)."""

from click.testing import CliRunner

from advisor import catalogue, engine
from advisor.cli import main
from advisor.config import find_config
from advisor.files import schema_files
from advisor.loader import load_project
from advisor.options import Options

MIGRATIONS = {
    "db/migrations/0001_initial.sql": "CREATE TABLE runs (id bigint PRIMARY KEY, repo bigint NOT NULL, at timestamptz);\n",
    "db/migrations/0002_index.sql": "CREATE INDEX runs_repo ON runs (repo);\n",
    "db/migrations/sub/0003_more.sql": "CREATE INDEX runs_repo_at ON runs (repo, at);\n",
    "db/migrations/README.md": "How to run them.\n",
    "app/q.sql": "SELECT id FROM runs WHERE at > $1 ORDER BY at LIMIT 20;\n",
}


def test_a_folder_names_the_sql_files_under_it_in_path_order(project):
    root = project({**MIGRATIONS, "advisor.toml": 'dialect = "postgres"\nschema = ["db/migrations"]\n'})
    files = [p.relative_to(root).as_posix() for p in schema_files(find_config(root))]
    assert files == [
        "db/migrations/0001_initial.sql",
        "db/migrations/0002_index.sql",
        "db/migrations/sub/0003_more.sql",
    ]
    # the tables are known whole: no incomplete-schema note, and runs' indexes are the folder's
    found = {catalogue.lookup(f.rule).name for f in engine.check(["."]).active}
    assert "incomplete-schema" not in found


def test_a_folder_with_no_sql_file_says_so(project):
    project({"docs/readme.md": "x\n", "q.sql": "SELECT 1;\n", "advisor.toml": 'schema = ["docs"]\n'})
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code == 2, result.output
    assert "names a folder with no .sql or code file" in result.output and "Traceback" not in result.output


NODE_PG_MIGRATE = {
    "migrations/1584273600000_initial-schema.js": (
        "exports.up = (pgm) => {\n"
        "  pgm.createTable('events', { id: 'id', name: { type: 'text', notNull: true }, at: 'timestamptz' });\n"
        "};\n"
    ),
    "migrations/1694773800000_add-indexes.js": (
        "exports.up = (pgm) => {\n  pgm.createIndex('events', ['name', 'at']);\n};\n"
    ),
    "migrations/lib/helpers.js": 'module.exports = { quote: (s) => `"${s}"` };\n',
    "migrations/README.md": "Run with node-pg-migrate.\n",
    "src/stats.js": (
        "async function counts(pool, name) {\n"
        "  return pool.query('SELECT at FROM events WHERE name = $1 ORDER BY at DESC LIMIT 20', [name]);\n"
        "}\nmodule.exports = { counts };\n"
    ),
}


def test_a_folder_of_code_migrations_names_its_code_files(project):
    root = project(
        {
            **NODE_PG_MIGRATE,
            "advisor.toml": 'dialect = "postgres"\nschema = ["migrations"]\nlarge-tables = ["events"]\n',
        }
    )
    files = [p.relative_to(root).as_posix() for p in schema_files(find_config(root))]
    assert files == [
        "migrations/1584273600000_initial-schema.js",
        "migrations/1694773800000_add-indexes.js",
        "migrations/lib/helpers.js",
    ]
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code in (0, 1), result.output
    # events and its (name, at) index are known from the builder calls: the top-N read is served, nothing is claimed
    schema = load_project(["."], Options()).schema
    assert [tuple(k.expr for k in i.keys) for i in schema.indexes_on("events")] == [("id",), ("name", "at")]
    found = {catalogue.lookup(f.rule).name for f in engine.check(["."]).active}
    assert not found & {"incomplete-schema", "missing-index", "unknown-size"}, found
