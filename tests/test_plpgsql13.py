"""Statements a PL/pgSQL routine builds in a text variable and EXECUTEs, its assignments' subqueries,
`NOT DEFERRABLE` constraints, and the incomplete-schema note that names a statement advisor could not read
(issue 10, holdout 12: message-db's read functions, postgresql-audit's transaction lookups)."""

from advisor import engine
from advisor.schema.ddl import schema_from_queries
from advisor.sources.sql_files import extract_sql

# the shape of message-db 1.3.1's get_last_stream_message / get_stream_messages (database/functions/)
BUILT = """CREATE OR REPLACE FUNCTION get_last(stream_name varchar, type varchar DEFAULT NULL, condition varchar DEFAULT NULL)
RETURNS SETOF message
AS $$
DECLARE
  _command text;
BEGIN
  _command := '
    SELECT id, data
    FROM messages
    WHERE stream_name = $1';

  IF get_last.type IS NOT NULL THEN
    _command := _command || ' AND
      type = $2 AND kind <> ''x''';
  END IF;

  _command := _command || '
    ORDER BY position DESC LIMIT 1';

  RETURN QUERY EXECUTE _command USING get_last.stream_name, get_last.type;
END;
$$ LANGUAGE plpgsql;
"""


def _body(text: str, name: str = "f.sql"):
    return [q for q in extract_sql(name, text) if q.origin == "function-body"]


def _at(query, word: str) -> tuple[int, int]:
    loc = query.textmap.locate(query.text.index(word))
    return loc.line, loc.col


def test_execute_of_a_variable_built_from_literals_reads_each_branch_where_it_is_written():
    found = _body(BUILT)
    texts = sorted(" ".join(q.text.split()) for q in found)
    assert texts == [
        "SELECT id, data FROM messages WHERE stream_name = $1 AND type = $2 AND kind <> 'x' ORDER BY position DESC LIMIT 1",
        "SELECT id, data FROM messages WHERE stream_name = $1 ORDER BY position DESC LIMIT 1",
    ]
    for q in found:
        assert q.complete and not q.dynamic and q.returned  # RETURN QUERY in a RETURNS SETOF routine
        assert (q.location.line, q.location.col) == (8, 5)  # the SELECT inside the first literal
        assert _at(q, "ORDER BY") == (18, 5)
    with_type = next(q for q in found if "type" in q.text)
    assert _at(with_type, "type = $2") == (14, 7)
    assert _at(with_type, "<> 'x'") == (14, 26)  # after the '' escape, still the file's column


def test_a_part_that_is_not_a_literal_is_a_placeholder_never_a_guess():
    text = BUILT.replace(
        "  _command := _command || '\n    ORDER BY",
        "  IF get_last.condition IS NOT NULL THEN\n    _command := _command || ' AND (%s)';\n"
        "    _command := format(_command, get_last.condition);\n  END IF;\n  _command := _command || '\n    ORDER BY",
    )
    found = _body(text)
    unknown = [q for q in found if "{}" in q.text]
    assert len(found) == 4 and len(unknown) == 2
    for q in unknown:
        assert not q.complete and q.dynamic and "AND ({})" in q.text
        assert _at(q, "({})") == (18, 35)  # where `(%s)` is written
    assert all(q.complete for q in found if q not in unknown)


def test_execute_of_an_argument_or_a_loop_built_text_reads_nothing():
    argument = """CREATE FUNCTION run(sql text) RETURNS void AS $$
BEGIN
  EXECUTE sql;
  EXECUTE 'SELECT 1 FROM ' || quote_ident(sql) || ' WHERE id = $1' USING 1;
END $$ LANGUAGE plpgsql;
"""
    found = _body(argument)
    assert [" ".join(q.text.split()) for q in found] == ["SELECT 1 FROM {} WHERE id = $1"]
    assert not found[0].complete
    looped = """CREATE FUNCTION g(cols text[]) RETURNS void AS $$
DECLARE q text := 'SELECT * FROM t WHERE true'; c text;
BEGIN
  FOREACH c IN ARRAY cols LOOP
    q := q || ' AND ' || c || ' IS NOT NULL';
  END LOOP;
  EXECUTE q;
  EXECUTE 'CREATE TABLE ' || cols[1] || ' (id int)';
END $$ LANGUAGE plpgsql;
"""
    assert _body(looped) == []  # how many times the loop appended is not guessed; DDL is not a query


def test_assignment_subqueries_and_select_into_are_queries():
    text = """CREATE OR REPLACE FUNCTION create_activity() RETURNS TRIGGER AS $$
DECLARE
    _transaction_id BIGINT;
    audit_row activity;
BEGIN
    _transaction_id := (
        SELECT id
        FROM transaction
        WHERE native_transaction_id = pg_current_xact_id()
    );
    audit_row.transaction_id = coalesce((SELECT max(id) FROM transaction WHERE actor = _transaction_id AND kind <> 'x'), 0);
    SELECT count(*) INTO audit_row.n FROM activity WHERE transaction_id = _transaction_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
    found = _body(text)
    assert [(q.location.line, q.location.col) for q in found] == [(7, 9), (11, 42), (12, 5)]
    assert found[0].text.split() == "SELECT id FROM transaction WHERE native_transaction_id = pg_current_xact_id()".split()
    assert "actor = $1" in found[1].text  # the variable as a parameter
    assert found[1].text.endswith("kind <> 'x'")  # up to its closing parenthesis, a string before it included
    assert "INTO" not in found[2].text and "transaction_id = $1" in found[2].text


def test_a_not_deferrable_primary_key_is_recorded():
    ddl = (
        "CREATE TABLE IF NOT EXISTS s.messages (global_position bigserial NOT NULL, stream_name text NOT NULL);\n\n"
        "ALTER TABLE s.messages ADD PRIMARY KEY (global_position) NOT DEFERRABLE INITIALLY IMMEDIATE;\n"
        "CREATE TABLE jobs (id bigint PRIMARY KEY NOT DEFERRABLE, note text DEFAULT 'not deferrable');\n"
    )
    schema = schema_from_queries(extract_sql("messages.sql", ddl))
    assert schema.tables["messages"].primary_key == ("global_position",)
    assert schema.complete("messages") and schema.complete("jobs")
    assert schema.tables["jobs"].primary_key == ("id",)


def test_the_note_names_the_schema_statement_advisor_could_not_read(project):
    project({
        "advisor.toml": 'schema = ["db/*.sql"]\n',
        "db/s.sql": "CREATE TABLE jobs (id bigint PRIMARY KEY, queue text);\n"
                    "CREATE INDEX jobs_q ON jobs USING btree (queue) WITH (fillfactor = 70) TABLESPACE fast WHERE WHERE;\n",
        "q.sql": "SELECT id FROM jobs WHERE queue = $1;\nSELECT id FROM events WHERE kind = $1;\n",
    })
    notes = [f for f in engine.check(["."]).active if f.rule == "ADV005"]
    assert len(notes) == 1
    note = notes[0]
    assert "has not seen the whole definition of events" in note.message
    assert "could not read the statement at db/s.sql:2, which changes jobs" in note.message
    assert "point `schema`" in note.help and "run the statement in PostgreSQL" in note.help


def test_a_note_only_about_an_unread_statement_stands_on_it_and_asks_for_no_schema_files(project):
    project({
        "advisor.toml": 'schema = ["db/*.sql"]\n',
        "db/s.sql": "CREATE TABLE jobs (id bigint PRIMARY KEY, queue text);\n"
                    "CREATE INDEX jobs_q ON jobs USING btree (queue) WITH (fillfactor = 70) TABLESPACE fast WHERE WHERE;\n",
        "q.sql": "SELECT id FROM jobs WHERE queue = $1;\n",
    })
    notes = [f for f in engine.check(["."]).active if f.rule == "ADV005"]
    assert [(n.location.path, n.location.line) for n in notes] == [("db/s.sql", 2)]
    assert "could not read the statement at db/s.sql:2" in notes[0].message
    assert "point `schema`" not in notes[0].help


def test_an_index_on_a_schema_qualified_function_serves_the_unqualified_call(project):
    project({
        "advisor.toml": 'schema = ["db/*.sql"]\n',
        "db/s.sql": "CREATE TABLE messages (id bigint PRIMARY KEY, stream_name text, global_position bigint);\n"
                    "CREATE INDEX m_cat ON messages (app.category(stream_name), global_position);\n",
        "q.sql": "SELECT id FROM messages WHERE category(stream_name) = $1 ORDER BY global_position LIMIT 10;\n"
                 "SELECT id FROM messages WHERE @length(stream_name) = $1;\n",
    })
    found = [(f.location.line, f.rule) for f in engine.check(["."]).active if f.location.path == "q.sql"]
    assert (1, "SQL003") not in found  # the index holds category(stream_name)
    assert (2, "SQL003") in found  # PostgreSQL's prefix @ (absolute value) is read: the wrap is reported
