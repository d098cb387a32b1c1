"""A schema whose foreign keys reference a table no statement of it creates (holdout 35's abstract-chatshare: its
chat tables reference `users`, owned by the site's auth service; Supabase schemas reference `auth.users`): advisor
makes an empty stand-in of that table, with the referenced columns typed as the referencing ones, so the tables
that reference it load and their queries are planned; it says so, and a statement refused for its own reasons
keeps its error."""

from advisor.seed.load import load_schema
from tests.conftest_db import fresh_database, pg_server  # noqa: F401

SCHEMA = """\
CREATE TABLE IF NOT EXISTS chat_rooms (
    id BIGSERIAL PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    site uuid,
    FOREIGN KEY (site) REFERENCES auth.sites (uid)
);
CREATE TABLE IF NOT EXISTS chat_members (
    room_id BIGINT NOT NULL REFERENCES chat_rooms(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id),
    email text REFERENCES users (email),
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX chat_members_user ON chat_members (user_id);
CREATE TABLE notes (id int PRIMARY KEY, body text REFERENCES drafts);
CREATE VIEW recent AS SELECT * FROM nowhere;
"""


def test_a_referenced_table_no_statement_creates_gets_a_stand_in(tmp_path, pg_server):  # noqa: F811
    path = tmp_path / "schema.sql"
    path.write_text(SCHEMA)
    with fresh_database(pg_server) as conn:
        errors = load_schema(conn, [path])
        made = {e.stand_in: e.statement for e in errors if e.stand_in}
        assert sorted(made) == ["auth.sites", "drafts", "users"]
        assert made["users"] == "CREATE TABLE users (id bigint, email text, PRIMARY KEY (id), UNIQUE (email))"
        assert made["drafts"] == "CREATE TABLE drafts (id text, PRIMARY KEY (id))"  # `REFERENCES drafts`: its key
        # every table that references them loaded, and the index after them
        for relation in ("chat_rooms", "chat_members", "chat_members_user", "notes", "auth.sites"):
            assert conn.execute("SELECT to_regclass(%s) IS NOT NULL", (relation,)).fetchone()[0], relation
        # a view on a table nothing references or creates: no stand-in, the error stays
        rejected = [e for e in errors if not e.stand_in]
        assert [(e.line, 'relation "nowhere" does not exist' in e.message) for e in rejected] == [(15, True)]
        assert "empty stand-in for users" in next(e for e in errors if e.stand_in == "users").summary


def test_the_note_says_the_stand_ins_apart_from_the_statements_not_loaded():
    from advisor.explain.findings import _rejected_note
    from advisor.seed.load import LoadError

    made = LoadError("db.py", 35, "", "CREATE TABLE users (id BIGINT, PRIMARY KEY (id))", stand_in="users")
    [(rule, only)] = _rejected_note([made])
    assert rule == "schema-rejected" and only.location.line == 35
    assert only.message.startswith("advisor made an empty stand-in for users (db.py:35), which the schema's foreign")
    refused = LoadError("db.py", 180, 'relation "nowhere" does not exist', "CREATE VIEW v AS SELECT * FROM nowhere")
    [(_, both)] = _rejected_note([made, refused])
    assert both.location.line == 180  # the statement not loaded comes first; the stand-in is said after it
    assert both.message.startswith('PostgreSQL rejects this statement: relation "nowhere" does not exist; advisor')


def test_a_stand_in_is_written_from_quoted_names_and_checked_types(tmp_path, pg_server):  # noqa: F811
    """The repository is untrusted input: a referenced name is quoted, a type the schema writes is sent only when
    a strict pattern allows it (a quoted type name with a `;` gets no stand-in, and its table is not loaded)."""
    path = tmp_path / "schema.sql"
    path.write_text(
        'CREATE TABLE a (b bigint REFERENCES "x""; DROP TABLE c; --" (id));\n'
        "CREATE TABLE c (id int PRIMARY KEY);\n"
        'CREATE DOMAIN "we;ird" AS int;\n'
        'CREATE TABLE d (e "we;ird" REFERENCES elsewhere (id));\n'
    )
    with fresh_database(pg_server) as conn:
        errors = load_schema(conn, [path])
        made = [e.statement for e in errors if e.stand_in]
        assert made == ['CREATE TABLE "x""; DROP TABLE c; --" (id bigint, PRIMARY KEY (id))']
        for relation in ("a", "c", '"x""; DROP TABLE c; --"'):
            assert conn.execute("SELECT to_regclass(%s) IS NOT NULL", (relation,)).fetchone()[0], relation
        assert conn.execute("SELECT to_regclass('d') IS NULL AND to_regclass('elsewhere') IS NULL").fetchone()[0]
