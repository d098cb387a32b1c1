"""A table whose name the code fills in (`CREATE TABLE IF NOT EXISTS ${table} (...)` in a schema file that is
code) is a table advisor cannot name: it is not put in the schema under the placeholder's name (issue 10,
holdout 23: autumndb's cards.js creates `${table}`, which the schema model held as a table named `________`)."""

from advisor.schema.ddl import schema_from_queries
from advisor.sources.sql_files import extract_sql

TEXT = """
CREATE TABLE IF NOT EXISTS ${table} (id uuid PRIMARY KEY, slug text UNIQUE);
CREATE INDEX IF NOT EXISTS slug_idx ON ${table} (slug);
ALTER TABLE ${table} ADD COLUMN name text;
CREATE TABLE jobs (id bigint PRIMARY KEY, owner bigint);
CREATE INDEX jobs_owner ON jobs (owner);
"""


def test_a_table_named_at_run_time_is_no_table_of_the_schema():
    schema = schema_from_queries(extract_sql("schema.sql", TEXT))
    assert sorted(schema.tables) == ["jobs"]
    assert sorted((i.table, i.name) for i in schema.indexes) == [("jobs", "jobs_owner"), ("jobs", "jobs_pkey")]
