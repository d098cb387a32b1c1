"""Holdout 111 (a message-queue backend for PostgreSQL, its DDL as string constants of a Python module): the table's
key is declared `ts BIGINT PRIMARY KEY` for a fresh database, and an old one's migration builds a unique index on
`ts`, then makes it the key: `ALTER TABLE messages ADD CONSTRAINT messages_pkey PRIMARY KEY USING INDEX <the index,
found by its shape at run time>`. sqlglot does not read that statement; advisor reported the unique index as a
duplicate of the key, and the table as not known whole. And a prefix range written `queue COLLATE "C" >= $1 AND
queue COLLATE "C" < $2` was reported twice at one line. Snippets are written here in that style; none is copied."""

from advisor import catalogue, engine
from advisor.ir import Location, SqlQuery, TextMap
from advisor.schema.ddl import schema_from_queries

TABLE = "CREATE TABLE IF NOT EXISTS events (topic text NOT NULL, body text, ts bigint PRIMARY KEY)"
UNIQUE = "CREATE UNIQUE INDEX IF NOT EXISTS events_ts_key ON events (ts)"


def schema(*statements: str):
    queries = []
    for n, text in enumerate(statements, 1):
        location = Location("schema.sql", n, 1)
        queries.append(SqlQuery(text, location, TextMap("schema.sql", text, ((0, n, 1),)), "schema"))
    return schema_from_queries(queries)


def keys(s):
    return sorted((i.name, i.columns, i.primary) for i in s.indexes)


def test_a_unique_index_made_the_key_is_the_key_once():
    promote = "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_ts_key"
    s = schema(TABLE, UNIQUE, promote)
    assert keys(s) == [("events_pkey", ("ts",), True)]
    assert "events" not in s.gaps


def test_the_index_a_run_time_name_gives_is_the_one_unique_index_it_could_be():
    promote = "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX {quote_ident(found)}"
    s = schema(TABLE, UNIQUE, "CREATE INDEX events_topic ON events (topic, ts)", promote)
    assert keys(s) == [("events_pkey", ("ts",), True), ("events_topic", ("topic", "ts"), False)]
    assert "events" not in s.gaps


def test_a_statement_advisor_cannot_replay_leaves_the_table_not_known_whole():
    # two unique indexes either of which a run-time name could give: which one became the key is not known
    other = "CREATE UNIQUE INDEX events_topic_ts ON events (topic, ts)"
    promote = "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX {found}"
    s = schema(TABLE, UNIQUE, other, promote)
    assert "events" in s.gaps
    # a key PostgreSQL would refuse (another key on other columns): not replayed either
    s = schema(TABLE, other, "ALTER TABLE events ADD PRIMARY KEY USING INDEX events_topic_ts")
    assert "events" in s.gaps


def test_a_unique_constraint_using_an_index_keeps_the_index_under_the_constraint_name():
    s = schema(
        TABLE,
        "CREATE UNIQUE INDEX t_idx ON events (topic, body)",
        "ALTER TABLE events ADD CONSTRAINT events_topic_body UNIQUE USING INDEX t_idx",
    )
    assert ("events_topic_body", ("topic", "body"), False) in keys(s) and "events" not in s.gaps


def test_no_duplicate_index_is_claimed_and_the_table_is_judged(project):
    project(
        {
            "advisor.toml": 'dialect = "postgres"\nschema = ["schema.sql"]\nlarge-tables = ["events"]\n',
            "schema.sql": ";\n".join(
                [TABLE, UNIQUE, "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_ts_key"]
            )
            + ";\n",
            "q.sql": "SELECT ts FROM events WHERE body = $1;\n",
        }
    )
    found = [catalogue.lookup(f.rule).name for f in engine.check(["."]).active]
    assert "duplicate-index" not in found and "incomplete-schema" not in found, found
    assert "missing-index" in found, found  # body: no index, on a table known whole


def test_a_range_on_one_wrapped_column_is_one_finding(project):
    project(
        {
            "advisor.toml": 'dialect = "postgres"\nschema = ["schema.sql"]\n',
            "schema.sql": TABLE + ";\nCREATE INDEX events_topic ON events (topic, ts);\n",
            "q.sql": 'SELECT DISTINCT topic FROM events WHERE topic COLLATE "C" >= $1 AND topic COLLATE "C" < $2;\n',
        }
    )
    found = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "function-on-column"]
    assert len(found) == 1, [f.message for f in found]
