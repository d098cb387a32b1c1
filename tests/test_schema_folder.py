"""`schema = ["db/migrations"]`: a folder names the `.sql` files under it, as a user points at where the DDL lives
(holdout 77's first run stopped with "matches no file" on its migrations folder)."""

from click.testing import CliRunner

from advisor import catalogue, engine
from advisor.cli import main
from advisor.config import find_config
from advisor.files import schema_files

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
    assert files == ["db/migrations/0001_initial.sql", "db/migrations/0002_index.sql", "db/migrations/sub/0003_more.sql"]
    # the tables are known whole: no incomplete-schema note, and runs' indexes are the folder's
    found = {catalogue.lookup(f.rule).name for f in engine.check(["."]).active}
    assert "incomplete-schema" not in found


def test_a_folder_with_no_sql_file_says_so(project):
    project({"docs/readme.md": "x\n", "q.sql": "SELECT 1;\n", "advisor.toml": 'schema = ["docs"]\n'})
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code == 2, result.output
    assert "names a folder with no .sql file" in result.output and "Traceback" not in result.output
