"""A migration file's rollback section is not the schema: node-pg-migrate writes `-- Up Migration` and `-- Down
Migration` in one file (holdout 30's job queue: every table and index dropped again below the marker, so advisor
knew none of them whole), dbmate `-- migrate:up` / `-- migrate:down`, goose `-- +goose Up` / `-- +goose Down`."""

import pytest

from advisor.schema.ddl import schema_from_queries
from advisor.sources.sql_files import extract_sql

NODE_PG_MIGRATE = """\
-- 001-initial.sql

-- Up Migration
CREATE TABLE IF NOT EXISTS job_queue (id SERIAL PRIMARY KEY, status VARCHAR(50), created_at TIMESTAMPTZ);
CREATE INDEX IF NOT EXISTS idx_job_queue_status ON job_queue(status);

-- Down Migration
DROP INDEX IF EXISTS idx_job_queue_status;
DROP TABLE IF EXISTS job_queue;
"""


@pytest.mark.parametrize(
    "up, down",
    [
        ("-- Up Migration", "-- Down Migration"),
        ("-- migrate:up", "-- migrate:down"),
        ("-- +goose Up", "-- +goose Down"),
    ],
)
def test_a_migrations_rollback_is_not_replayed(up, down):
    text = NODE_PG_MIGRATE.replace("-- Up Migration", up).replace("-- Down Migration", down)
    queries = extract_sql("migrations/001.sql", text)
    assert [q.location.line for q in queries] == [4, 5]  # the statements before the rollback, where they stand
    schema = schema_from_queries(queries)
    assert set(schema.tables) == {"job_queue"}
    assert {ix.name for ix in schema.indexes} == {"job_queue_pkey", "idx_job_queue_status"}


def test_an_up_section_after_a_down_one_is_read_again():
    text = "-- +goose Down\nDROP TABLE a;\n-- +goose Up\nCREATE TABLE a (id int);\n"
    assert [q.text.strip() for q in extract_sql("m.sql", text)] == ["CREATE TABLE a (id int)"]
    plain = "CREATE TABLE a (id int);\n-- a comment that says Down Migration later\nDROP TABLE b;\n"
    assert len(extract_sql("m.sql", plain)) == 2  # a marker is a comment line of its own, as the tools write it
