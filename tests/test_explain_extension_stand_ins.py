"""A schema whose column defaults call uuid-ossp's functions (`id uuid DEFAULT uuid_generate_v4()`), on a server
that does not ship uuid-ossp (the embedded one: holdout 31's swh-scheduler): advisor stands in for those functions
with core ones of the same signature, so the tables are created, seeded and planned as with the extension, and no
note says the schema was not loaded. A schema that calls them without creating the extension (holdout 39's
@compas/store: a generated structure.sql, the extension left to the application's migrations) gets it too: the
database it was written for has it."""

import json

import pytest
from click.testing import CliRunner

from advisor import catalogue

from tests.conftest_db import pg_server  # noqa: F401
from tests.test_explain import _cli

SCHEMA = """\
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE TABLE listers (
    id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    name text NOT NULL,
    marker uuid NOT NULL DEFAULT uuid_generate_v5(uuid_ns_url(), 'swh')
);
CREATE TABLE listed_origins (lister_id uuid NOT NULL REFERENCES listers (id), url text NOT NULL, visit_type text);
"""

QUERIES = "SELECT url FROM listed_origins WHERE visit_type = $1;\n"


@pytest.mark.parametrize("created", [True, False], ids=["created", "assumed"])
def test_uuid_ossp_defaults_load_without_the_extension(tmp_path, monkeypatch, pg_server, created):  # noqa: F811
    project = tmp_path / "app"
    project.mkdir()
    (project / "schema.sql").write_text(SCHEMA if created else SCHEMA.split("\n", 1)[1])
    (project / "q.sql").write_text(QUERIES)
    (project / "advisor.toml").write_text(
        'dialect = "postgres"\nschema = ["schema.sql"]\nlarge-tables = ["*"]\n[seed]\nrows = 3000\n'
        "[explain]\nlarge_table_rows = 1000\n"
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--no-cache", "--format", "json", "app"])
    assert result.exit_code in (0, 1), result.output
    found = [(catalogue.lookup(f["rule"]).name, f["message"]) for f in json.loads(result.stdout)["findings"]]
    assert not any(rule in ("schema-rejected", "explain-error") for rule, _ in found), found
    verified = [m for rule, m in found if rule == "missing-index" and "verified on seeded data" in m]
    assert verified and "listed_origins(visit_type)" in verified[0]  # created and seeded: the index is measured
