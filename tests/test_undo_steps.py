"""A file that undoes a migration step is run only to go back, never as part of the schema's history: postgrator's
`001.undo.sql` beside `001.do.sql` (holdout 92's @nearform/udaru-core), golang-migrate's and sqlx's `1_init.down.sql`,
diesel's `<step>/down.sql`, Flyway's `U1__init.sql`. Holdout 92's first run replayed every undo file after the steps
(`001.undo.sql` drops every table), and said it had not seen the whole definition of any of its tables."""

import pytest

from advisor.config import find_config
from advisor.files import schema_files
from advisor.loader import load_project
from advisor.oneoff import migration_path, undo_path
from advisor.options import Options

STEPS = {
    "database/migrations/001.do.sql": (
        "CREATE TABLE users (id varchar(128) UNIQUE, org_id varchar NOT NULL);\n"
        "CREATE TABLE user_policies (policy_id varchar(128), user_id varchar(128), PRIMARY KEY (policy_id, user_id));\n"
    ),
    "database/migrations/001.undo.sql": "DROP TABLE user_policies;\nDROP TABLE users;\n",
    "database/migrations/002.do.sql": "CREATE INDEX users_org ON users (org_id);\n",
    "database/migrations/002.undo.sql": "DROP INDEX users_org;\n",
    "lib/q.sql": "SELECT id FROM users WHERE org_id = $1;\n",
}


@pytest.mark.parametrize(
    "path, undo",
    [
        ("database/migrations/001.undo.sql", True),
        ("migrations/000001_create_users.down.sql", True),
        ("migrations/2024-01-01-000000_init/down.sql", True),  # diesel
        ("db/U2__drop_flag.sql", True),  # Flyway's undo
        ("db/002_users_rollback.sql", True),
        ("database/migrations/001.do.sql", False),
        ("migrations/000001_create_users.up.sql", False),
        ("queries/slowdown.sql", False),  # not the word
        ("lib/rollback.js", False),  # a module of the application, named for what it does
        ("db/users.sql", False),
    ],
)
def test_an_undo_file_by_its_name(path, undo):
    assert undo_path(path) is undo
    if undo:
        assert migration_path(path)  # one-off code: no workload rule speaks about its statements


@pytest.mark.parametrize(
    "config",
    [
        'dialect = "postgres"\nschema = ["database/migrations/*.sql"]\n',  # a glob that takes the undo files too
        'dialect = "postgres"\nschema = ["database/migrations"]\n',  # the folder
        'dialect = "postgres"\n',  # none: the project's .sql files are its schema
    ],
)
def test_the_undo_files_are_not_replayed(project, config):
    root = project({**STEPS, "advisor.toml": config})
    if "schema" in config:
        names = [p.name for p in schema_files(find_config(root))]
        assert names == ["001.do.sql", "002.do.sql"]
    schema = load_project(["."], Options()).schema
    assert sorted(schema.tables) == ["user_policies", "users"]
    assert "users_org" in {i.name for i in schema.indexes}
    assert not schema.gaps


def test_an_undo_file_named_alone_is_read(project):
    # named by itself, it is what the user asked for
    root = project(
        {**STEPS, "advisor.toml": 'schema = ["database/migrations/001.do.sql", "database/migrations/001.undo.sql"]\n'}
    )
    names = [p.name for p in schema_files(find_config(root))]
    assert names == ["001.do.sql", "001.undo.sql"]
