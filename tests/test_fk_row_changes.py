"""unindexed-foreign-key speaks only where the check it warns about can run: a row of the referenced table
goes away (a DELETE of it, or of a table whose ON DELETE CASCADE reaches it) or changes its key. A table the
project creates, fills with statements advisor read and never deletes from nor re-keys costs its foreign keys
nothing (holdout 35's chat_bots and chat_messages.reply_to, both labelled false: bots and messages are never
hard-deleted). A table the project does not fill itself (another service's users) may lose rows elsewhere."""

import pytest

from advisor import catalogue, engine
from advisor.ir import SqlQuery
from advisor.schema.row_changes import row_changes
from advisor.sources.sql_files import extract_sql

CONFIG = 'dialect = "postgres"\nschema = ["schema.sql"]\nlarge-tables = ["*"]\n'
SCHEMA = """
CREATE TABLE rooms (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE bots (id bigint PRIMARY KEY, name text NOT NULL, room_id bigint REFERENCES rooms (id) ON DELETE CASCADE);
CREATE TABLE messages (id bigint PRIMARY KEY, body text, bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
                       user_id bigint REFERENCES users (id) ON DELETE SET NULL);
"""
FILLS = "INSERT INTO rooms (id, name) VALUES ($1, $2);\nINSERT INTO bots (id, name, room_id) VALUES ($1, $2, $3);\n"


def fk_claims(project, queries: str) -> list[str]:
    project({"advisor.toml": CONFIG, "schema.sql": SCHEMA, "q.sql": FILLS + queries})
    return sorted(
        f.message.split(" has no index")[0]
        for f in engine.check(["."]).active
        if catalogue.lookup(f.rule).name == "unindexed-foreign-key"
    )


BOT = "foreign key messages(bot_id) → bots"
ROOM = "foreign key bots(room_id) → rooms"
USER = "foreign key messages(user_id) → users"


@pytest.mark.parametrize(
    "queries, expected",
    [
        # bots and rooms are filled and never lose a row: only the key to users, a table the project does not own, is said
        ("UPDATE bots SET name = $2 WHERE id = $1;\n", [USER]),
        ("DELETE FROM bots WHERE id = $1;\n", [BOT, USER]),
        # deleting a room deletes its bots (ON DELETE CASCADE), which sets messages.bot_id to NULL
        ("DELETE FROM rooms WHERE id = $1;\n", [BOT, ROOM, USER]),
        ("UPDATE bots SET id = $2 WHERE id = $1;\n", [BOT, USER]),  # the referenced key changes
        ("MERGE INTO bots b USING rooms r ON b.room_id = r.id WHEN MATCHED THEN DELETE;\n", [BOT, USER]),
        ("WITH gone AS (DELETE FROM bots WHERE id = $1 RETURNING id) SELECT count(*) FROM gone;\n", [BOT, USER]),
        # a DELETE on a table named at run time may be any table's
        ("DELETE FROM {table} WHERE id = %s;\n", [BOT, ROOM, USER]),
    ],
)
def test_a_key_is_said_only_where_its_referenced_rows_can_go(project, queries, expected):
    assert fk_claims(project, queries) == sorted(expected)


def test_a_table_the_project_only_reads_is_anothers(project):
    project(
        {
            "advisor.toml": CONFIG,
            "schema.sql": SCHEMA,
            "q.sql": "SELECT name FROM bots WHERE id = $1;\n",  # bots' rows are added elsewhere: they may go there too
        }
    )
    found = {f.message.split(" has no index")[0] for f in engine.check(["."]).active}
    assert BOT in found and ROOM in found


def statements(text: str) -> list[SqlQuery]:
    return extract_sql("q.sql", text, "postgres")


def test_row_changes_reads_each_kind_of_change():
    changes = row_changes(
        statements(
            "INSERT INTO a (x) VALUES (1);\n"
            "COPY c TO STDOUT;\n"
            "DELETE FROM ONLY s.d WHERE x = 1;\n"
            "UPDATE e SET x = 1, y = y + 1 WHERE z = 2;\n"
            "SELECT * FROM f;\n"
            "COPY b (x) FROM STDIN;\n"  # last: what follows it is its data
        )
    )
    assert changes.added == {"a", "b"}
    assert changes.deleted == {"d"}
    assert changes.set_columns == {"e": {"x", "y"}}
    assert not changes.unknown


def test_an_unread_delete_counts_its_plain_table_and_an_unnamed_one_is_unknown():
    plain = row_changes(statements("DELETE FROM jobs WHERE id = ANY($1) AND (((;\n"))
    assert plain.deleted == {"jobs"} and not plain.unknown
    built = row_changes(statements("DELETE FROM %I WHERE id = $1 (((;\n"))
    assert built.unknown
