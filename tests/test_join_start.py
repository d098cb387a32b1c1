"""A join no table of which an index finds by its own conditions starts by reading a whole table (holdout 35's chat
backend: `FROM chat_rooms r JOIN chat_members m ON m.room_id = r.id AND m.user_id = %s WHERE r.archived_at IS NULL`,
and a self-join of the members by user, the primary key `(room_id, user_id)` serving only the probes). advisor read
such a table as reached through the join and said nothing; the first table with conditions of its own an index
could serve gets the claim. Silent when another table can start the join, when a table's indexes are not all known,
when the only conditions are between the tables, or when a piece of the statement is filled in at run time."""

from advisor import catalogue, engine

SCHEMA = """
CREATE TABLE rooms (id bigint PRIMARY KEY, archived_at timestamptz, owner_id bigint);
CREATE TABLE members (room_id bigint REFERENCES rooms(id), user_id bigint, since timestamptz, PRIMARY KEY (room_id, user_id));
CREATE INDEX rooms_owner ON rooms (owner_id);
"""


def claims(project, queries: str) -> list[tuple[int, str]]:
    project(
        {
            "advisor.toml": 'dialect = "postgres"\nschema = ["schema.sql"]\nlarge-tables = ["*"]\n',
            "schema.sql": SCHEMA,
            "q.sql": queries,
        }
    )
    return [
        (f.location.line, f.message)
        for f in engine.check(["."]).active
        if catalogue.lookup(f.rule).name == "missing-index"
    ]


def test_a_join_no_index_can_start_gets_the_claim_on_its_first_filtered_table(project):
    got = claims(
        project,
        "SELECT r.id FROM rooms r JOIN members m ON m.room_id = r.id AND m.user_id = $1 WHERE r.archived_at IS NULL;\n"
        "SELECT 1 FROM members a JOIN members b ON a.room_id = b.room_id WHERE a.user_id = $1 AND b.user_id = $2;\n",
    )
    assert [line for line, _ in got] == [1, 2]  # one claim a statement: the join needs one way in
    assert all(
        "no index on members serves this query's access (user_id), and no table it joins is found by an index of its "
        "own: the join starts by reading a whole table" in message
        for _, message in got
    )


def test_no_claim_when_a_table_can_start_it_or_only_the_join_relates_them(project):
    got = claims(
        project,
        # rooms is found by owner_id: the join starts there and probes members by its key
        "SELECT m.user_id FROM rooms r JOIN members m ON m.room_id = r.id AND m.user_id = $2 WHERE r.owner_id = $1;\n"
        # a condition between the two sides is the join's, no way into either table
        "DELETE FROM members a USING members b WHERE a.room_id = b.room_id AND a.user_id = b.user_id AND a.since < b.since;\n",
    )
    assert got == []


def test_no_claim_on_a_join_with_a_table_not_seen_whole(project):
    got = claims(
        project,
        "SELECT m.user_id FROM members m JOIN room_meta x ON x.room_id = m.room_id WHERE m.user_id = $1 AND x.kind = $2;\n",
    )
    assert got == []  # room_meta has no CREATE TABLE: an index of its may start the join


def test_the_claim_stands_at_the_condition_it_asks_an_index_for(project):
    got = claims(
        project,
        "SELECT r.id\nFROM rooms r\nJOIN members m\n  ON m.room_id = r.id\n  AND m.user_id = $1\nWHERE r.archived_at IS NULL;\n",
    )
    assert [line for line, _ in got] == [5]  # `m.user_id = $1`, not the join key the table is probed by


def test_a_left_join_s_nullable_side_never_starts_the_join(project):
    # xtransit (holdout 75): the rooms a join keeps come first and probe members by its key with the member's own
    # condition; the same condition on an inner join's side is still where that join starts
    left = "SELECT r.id, m.since FROM rooms r LEFT JOIN members m ON m.room_id = r.id AND m.user_id = $1;\n"
    inner = "SELECT r.id, m.since FROM rooms r JOIN members m ON m.room_id = r.id AND m.user_id = $1;\n"
    assert claims(project, left) == []
    assert [line for line, _ in claims(project, inner)] == [1]
    # a WHERE condition on the nullable side makes it an inner join (gene-normalizer's deletes by source)
    reduced = "SELECT r.id FROM rooms r LEFT JOIN members m ON m.room_id = r.id WHERE m.user_id = $1;\n"
    assert [line for line, _ in claims(project, reduced)] == [1]
