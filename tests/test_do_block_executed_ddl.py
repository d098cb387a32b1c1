"""A DO block runs as its file is read, so the DDL it EXECUTEs is the schema a fresh database gets, as its plain
DDL is (holdout 28's elizaOS adapter creates its two largest tables so: `EXECUTE format('CREATE TABLE IF NOT
EXISTS memories (... "embedding" vector(%s) ...)', vector_dim)`). A value filled in after the name leaves it the
same table; DDL a function EXECUTEs runs when it is called, and a name only the run knows names no table."""

from advisor.schema.ddl import schema_from_queries
from advisor.sources.sql_files import extract_sql

SCHEMA = """\
CREATE TABLE rooms (id uuid PRIMARY KEY);

DO $$
DECLARE
    vector_dim INTEGER;
BEGIN
    vector_dim := get_embedding_dimension();
    EXECUTE format('
        CREATE TABLE IF NOT EXISTS memories (
            "id" UUID PRIMARY KEY,
            "type" TEXT NOT NULL,
            "embedding" vector(%s),
            "roomId" UUID REFERENCES rooms("id") ON DELETE CASCADE
        )', vector_dim);
END $$;

CREATE INDEX idx_memories_type_room ON memories ("type", "roomId");

DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables LOOP
        EXECUTE format('CREATE TABLE %I_archive (id int)', t);
    END LOOP;
END $$;

CREATE FUNCTION make_later() RETURNS void AS $$
BEGIN
    EXECUTE 'CREATE TABLE later (id int)';
END;
$$ LANGUAGE plpgsql;
"""


def test_a_do_blocks_executed_ddl_is_the_schema():
    schema = schema_from_queries(extract_sql("schema.sql", SCHEMA))
    assert set(schema.tables) == {"rooms", "memories"}  # not `later` (a function's), nor a name the loop builds
    memories = schema.tables["memories"]
    assert list(memories.columns) == ["id", "type", "embedding", "roomId"]
    assert memories.location is not None and (memories.location.path, memories.location.line) == (
        "schema.sql",
        9,
    )  # its CREATE, where written
    assert {(ix.name, ix.columns) for ix in schema.indexes_on("memories")} == {
        ("memories_pkey", ("id",)),
        ("idx_memories_type_room", ("type", "roomId")),
    }
    assert [(fk.columns, fk.ref_table) for fk in memories.foreign_keys] == [(("roomId",), "rooms")]
