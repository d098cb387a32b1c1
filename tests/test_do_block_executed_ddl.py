"""A DO block runs as its file is read, so the DDL it EXECUTEs is the schema a fresh database gets, as its plain
DDL is (holdout 28's elizaOS adapter creates its two largest tables so: `EXECUTE format('CREATE TABLE IF NOT
EXISTS memories (... "embedding" vector(%s) ...)', vector_dim)`). A value filled in after the name leaves it the
same table; DDL a function EXECUTEs runs when it is called, and a name only the run knows names no table."""

from advisor.schema.ddl import schema_from_queries
from advisor.sources.sql_files import extract_sql
from tests.conftest_db import pg_server  # noqa: F401

LOOPED = """\
DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables LOOP
        EXECUTE format('CREATE TABLE %I_archive (id int)', t);
    END LOOP;
END $$;
"""  # a name only the run knows: no table

SCHEMA = (
    """\
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

"""
    + LOOPED
    + """\

CREATE FUNCTION make_later() RETURNS void AS $$
BEGIN
    EXECUTE 'CREATE TABLE later (id int)';
END;
$$ LANGUAGE plpgsql;
"""
)


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


LOADED = (
    """\
CREATE EXTENSION IF NOT EXISTS vector;
DO $$
DECLARE dim INTEGER;
BEGIN
    dim := 1536;
    EXECUTE format('CREATE TABLE memories (id uuid PRIMARY KEY, note varchar(%s), embedding vector(%s))', dim, dim);
END $$;
CREATE INDEX memories_embedding ON memories USING hnsw (embedding vector_cosine_ops);
"""
    + LOOPED
    + """\
DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''true'''; END $$;
"""
)


def test_explains_database_gets_the_ddl_advisor_read_in_a_do_block_it_does_not_run(tmp_path, pg_server):  # noqa: F811
    """The explain stage does not run a DO block that builds SQL at run time; it sends, in its place and through
    the same allow-list, the DDL advisor read in it, a run-time size of pgvector's types a stand-in one (any serves
    a plan; its index needs one), another type's dropped. A block of which advisor read nothing stays refused, said."""
    import uuid

    from advisor.seed.generate import seed_database
    from advisor.seed.load import load_schema
    from advisor.seed.server import connect
    from advisor.seed.settings import SeedSettings

    ddl = tmp_path / "schema.sql"
    ddl.write_text(LOADED)
    name = "t_" + uuid.uuid4().hex[:8]
    with connect(pg_server.conninfo(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with connect(pg_server.conninfo(name), autocommit=True) as conn:
            errors = load_schema(conn, [ddl], create_extension=lambda e: conn.execute(f"CREATE EXTENSION {e}"))
            assert [(e.line, e.refused) for e in errors] == [(9, True), (16, True)]  # the loop's, the COPY's
            assert all("builds SQL at run time" in e.message for e in errors)
            types = conn.execute(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = 'memories'::regclass AND attnum > 0 ORDER BY attnum"
            ).fetchall()
            assert types == [("id", "uuid"), ("note", "character varying"), ("embedding", "vector(3)")]
            assert conn.execute("SELECT to_regclass('memories_embedding') IS NOT NULL").fetchone()[0]
            seed_database(conn, SeedSettings(rows=50))
            assert conn.execute("SELECT count(*), min(vector_dims(embedding)) FROM memories").fetchone() == (50, 3)
    finally:
        with connect(pg_server.conninfo(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
