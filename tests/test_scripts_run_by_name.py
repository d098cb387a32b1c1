"""A script the code runs by name drops what it adds again (holdout 37's gene-normalizer: an update runs
`drop_fkeys.sql` and `drop_indexes.sql`, bulk-loads, then `add_fkeys.sql` and `add_indexes.sql`). With the schema
files named in the config, the drops of such a script are a moment of the code's run, not the schema's history:
the model keeps the indexes and foreign keys the schema files create. A drop in a checked `.sql` file the code does
not name (a migration a runner applies), or in a project without a configured schema, still counts."""

from advisor.loader import load_project
from advisor.options import Options

CREATE = """\
CREATE TABLE concepts (concept_id varchar(127) PRIMARY KEY, label text);
CREATE TABLE symbols (id serial PRIMARY KEY, symbol text NOT NULL,
                      concept_id varchar(127) REFERENCES concepts (concept_id));
"""
ADD_INDEXES = "CREATE INDEX idx_symbols_low ON symbols (lower(symbol));\n"
DROP_INDEXES = "DROP INDEX IF EXISTS idx_symbols_low;\n"
DROP_FKEYS = "ALTER TABLE symbols DROP CONSTRAINT IF EXISTS symbols_concept_id_fkey;\n"
CODE = """\
from pathlib import Path

SCRIPTS = Path(__file__).parent / "sql"


def reload(conn, rows):
    conn.execute((SCRIPTS / "drop_indexes.sql").read_bytes())
    conn.execute((SCRIPTS / "drop_fkeys.sql").read_bytes())
    conn.executemany("INSERT INTO symbols (symbol, concept_id) VALUES (%s, %s)", rows)
    conn.execute((SCRIPTS / "add_indexes.sql").read_bytes())


def lookup(conn, symbol):
    return conn.execute("SELECT concept_id FROM symbols WHERE lower(symbol) = %s", (symbol,)).fetchall()
"""


def _schema(project, config: str, extra: dict | None = None):
    project(
        {
            "advisor.toml": config,
            "pkg/sql/create_tables.sql": CREATE,
            "pkg/sql/add_indexes.sql": ADD_INDEXES,
            "pkg/sql/drop_indexes.sql": DROP_INDEXES,
            "pkg/sql/drop_fkeys.sql": DROP_FKEYS,
            "pkg/db.py": CODE,
            **(extra or {}),
        }
    )
    return load_project(["."], Options()).schema


CONFIGURED = 'dialect = "postgres"\nschema = ["pkg/sql/create_tables.sql", "pkg/sql/add_indexes.sql"]\n'


def test_a_script_the_code_runs_by_name_does_not_drop_from_the_schema(project):
    schema = _schema(project, CONFIGURED)
    assert "idx_symbols_low" in {i.name for i in schema.indexes_on("symbols")}
    assert [fk.ref_table for fk in schema.tables["symbols"].foreign_keys] == ["concepts"]


def test_a_drop_the_code_does_not_name_still_counts(project):
    schema = _schema(project, CONFIGURED, {"pkg/db.py": CODE.replace('"drop_indexes.sql"', "script_name")})
    assert "idx_symbols_low" not in {i.name for i in schema.indexes_on("symbols")}
    # drop_fkeys.sql is still named: its drop is the code's, the foreign key stays
    assert [fk.ref_table for fk in schema.tables["symbols"].foreign_keys] == ["concepts"]


def test_without_configured_schema_files_every_drop_counts(project):
    schema = _schema(project, 'dialect = "postgres"\n')
    assert "idx_symbols_low" not in {i.name for i in schema.indexes_on("symbols")}


def test_a_name_several_files_share_is_no_script(project):
    """Each migration folder's `up.sql`, which a runner names once for all of them: their drops are history."""
    runner = 'from pathlib import Path\n\ndef migrate(conn, folder):\n    conn.execute((Path(folder) / "up.sql").read_text())\n'
    schema = _schema(
        project,
        'dialect = "postgres"\nschema = ["pkg/sql/create_tables.sql", "pkg/sql/add_indexes.sql"]\n',
        {
            "pkg/migrations/001/up.sql": "CREATE INDEX idx_symbols_concept ON symbols (concept_id);\n",
            "pkg/migrations/002/up.sql": "DROP INDEX idx_symbols_low;\n",
            "pkg/migrate.py": runner,
        },
    )
    names = {i.name for i in schema.indexes_on("symbols")}
    assert "idx_symbols_concept" in names and "idx_symbols_low" not in names
