"""Query extraction: statement splitting, positions, Python call sites."""

from hypothesis import given, settings, strategies as st

from advisor.sources.python import extract_python
from advisor.sources.sql_files import extract_sql, split_statements
from advisor.sources.suppressions import find_suppressions


def test_splits_statements_with_positions():
    text = "-- header\nSELECT 1;\n  /* a; b */ SELECT 'x;y' FROM t;\nSELECT $$;$$, $tag$ ; $tag$"
    queries = extract_sql("f.sql", text)
    assert [q.text for q in queries] == ["SELECT 1", "SELECT 'x;y' FROM t", "SELECT $$;$$, $tag$ ; $tag$"]
    assert [(q.location.line, q.location.col) for q in queries] == [(2, 1), (3, 14), (4, 1)]


def test_dollar_quoted_function_body_is_one_statement():
    text = (
        "CREATE FUNCTION f() RETURNS void AS $body$\nBEGIN\n  DELETE FROM t;\nEND;\n$body$ LANGUAGE plpgsql;\nSELECT 2;"
    )
    queries = [q for q in extract_sql("f.sql", text) if q.origin == "sql-file"]
    assert len(queries) == 2
    assert queries[0].text.endswith("LANGUAGE plpgsql") and queries[1].location.line == 6


def test_nested_block_comments_and_escaped_strings():
    text = "/* outer /* inner; */ still; */ SELECT E'it\\'s;' ; SELECT 'a''b;c'"
    assert [t for t in (text[s:e] for s, e in split_statements(text))] == ["SELECT E'it\\'s;'", "SELECT 'a''b;c'"]
    # an identifier ending in E before a quote is a typed literal, not an escape string: PostgreSQL ends
    # 'x\' at the second quote, and so must advisor (or "; COMMIT; ..." would hide inside one statement)
    text = "SELECT NAME'x\\'; COMMIT; CREATE TABLE t (a int); --'"
    assert [text[s:e] for s, e in split_statements(text)] == ["SELECT NAME'x\\'", "COMMIT", "CREATE TABLE t (a int)"]


def test_psql_meta_commands_are_skipped():
    queries = extract_sql("f.sql", "\\connect app\nSELECT 1;\n\\timing on\nSELECT 2;")
    assert [q.text for q in queries] == ["SELECT 1", "SELECT 2"]


def test_textmap_points_inside_multiline_statement():
    queries = extract_sql("f.sql", "\n\nSELECT id\n  FROM users\n WHERE x = 1;")
    q = queries[0]
    where = q.text.index("WHERE")
    loc = q.textmap.locate(where)
    assert (loc.line, loc.col) == (5, 2)


PY = '''
import sqlalchemy
from sqlalchemy import text

USERS = ("SELECT id, name "
         "FROM users WHERE id = %s")

REPORT = """
    SELECT count(*)
    FROM messages
    WHERE status = 'unread'
"""

def run(cur, conn, address, table):
    cur.execute("UPDATE users SET name = %(name)s WHERE id = %(id)s", {"name": 1, "id": 2})
    cur.executemany("INSERT INTO t (a) VALUES (%s)", rows)
    conn.execute(text("SELECT id FROM users WHERE email = :email"))
    cur.execute(f"SELECT id FROM users WHERE wallet_address = '{address}'")
    q = "SELECT id FROM " + table
    cur.execute(q)
    cur.execute("SELECT id FROM t WHERE a = '%s'" % address)
    cur.execute("DELETE FROM t WHERE id = {}".format(address))
    print("not sql: select the best option")
    cur.execute(USERS, (1,))
    report(conn)


def report(conn):
    return conn.execute(text(REPORT))
'''


def test_python_extraction_finds_calls_constants_and_string_building():
    result = extract_python("app.py", PY)
    static = [q for q in result.queries if not q.dynamic]
    texts = [q.text for q in static]
    assert "SELECT id, name FROM users WHERE id = %s" in texts
    assert any("FROM messages" in t for t in texts)
    assert any(t.startswith("UPDATE users") for t in texts)
    assert any(t.startswith("INSERT INTO t") for t in texts)
    assert "SELECT id FROM users WHERE email = :email" in texts
    assert not any("best option" in t for t in texts)
    assert sorted(b.how for b in result.string_built) == sorted([".format()", "%-format", "concatenation", "f-string"])
    assert all(b.call.endswith("execute") for b in result.string_built)
    # implicit concatenation: the second piece is anchored on its own line
    users = next(q for q in static if q.text.startswith("SELECT id, name"))
    loc = users.textmap.locate(users.text.index("FROM"))
    assert (loc.line, loc.col) == (6, 11)
    # triple-quoted: positions follow the newlines
    report = next(q for q in static if "FROM messages" in q.text)
    loc = report.textmap.locate(report.text.index("WHERE"))
    assert (loc.line, loc.col) == (11, 5)


def test_python_syntax_error_is_reported_not_raised():
    result = extract_python("bad.py", "def f(:\n  pass")
    assert result.errors and result.errors[0][0].line == 1


def test_suppressions_in_every_comment_style():
    text = "SELECT 1; -- advisor: ignore SQL001\n# advisor: ignore select-star, offset-pagination\n// advisor: ignore\n/* advisor: ignore SQL009 */"
    found = find_suppressions("x", text)
    assert [s.rules for s in found] == [("SQL001",), ("select-star", "offset-pagination"), (), ("SQL009",)]
    assert [s.location.line for s in found] == [1, 2, 3, 4]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("SELECT*from;'\"$-/\n\\ xE()"))))
def test_splitter_never_crashes_and_spans_are_ordered(text):
    spans = split_statements(text)
    last = -1
    for start, end in spans:
        assert 0 <= start <= end <= len(text)
        assert start > last
        last = end
    for q in extract_sql("p.sql", text):
        loc = q.textmap.locate(len(q.text))
        assert loc.line >= q.location.line


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_python_extractor_never_crashes(text):
    extract_python("p.py", text)


def test_a_python_script_literal_is_one_query_per_statement():
    """`conn.execute(_DDL)` runs each statement of the script (LightRAG's pgtable_impl.py takes a lock, then creates
    its tables): each is a query of its own, at its own line, not the first one standing for the whole text."""
    from advisor.sources.python import extract_python

    code = 'def init(conn):\n    conn.execute("""\nSELECT pg_advisory_xact_lock(42);\n\nCREATE TABLE IF NOT EXISTS t (id int);\nSELECT id FROM t WHERE id = 1;\n""")\n'
    queries = extract_python("app.py", code).queries
    assert [(q.text.split()[0], q.location.line, q.location.col) for q in queries] == [
        ("SELECT", 3, 1),
        ("CREATE", 5, 1),
        ("SELECT", 6, 1),
    ]
    assert queries[2].textmap.locate(queries[2].text.index("id = 1")).col == 24


def test_a_statement_the_function_extends_with_plus_equals_is_not_whole():
    """LightRAG's conflict listing assigns `sql = "SELECT file_path, COUNT(*) ..."` and appends its GROUP BY with
    `sql +=` before the call: the text as assigned is not the statement that runs, so it is not planned as one."""
    from advisor.sources.python import extract_python

    code = (
        "async def conflicts(db, after):\n"
        "    sql = \"SELECT path, COUNT(*) AS c FROM docs WHERE workspace = $1\"\n"
        "    if after:\n"
        "        sql += \" AND path > $2\"\n"
        "    sql += \" GROUP BY path HAVING COUNT(*) >= 2\"\n"
        "    return await db.fetch(sql, 1)\n"
        "\n"
        "async def script(db):\n"
        "    await db.execute(\"SELECT 1; SELECT id FROM docs\")\n"
    )
    queries = extract_python("app.py", code).queries
    assert [(q.location.line, q.complete) for q in queries] == [(2, False), (9, True), (9, True)]
    assert [q.scope[:1] for q in queries] == [("conflicts",), ("script",), ("script",)]


def test_a_class_attribute_names_the_table_of_its_own_class():
    """MetaCat's `DBFile.Table = "files"` and `DBDataset.Table = "datasets"` in one module: `{self.Table}` in a
    method of DBDataset (or of a subclass that does not bind it again) is datasets, not the module's first class's
    table; a method of a base that does not bind it is one of its subclasses' (a variant)."""
    code = (
        "class Base:\n"
        "    def count(self, c):\n"
        '        c.execute(f"select count(*) from {self.Table}")\n'
        "class DBFile(Base):\n"
        '    Table = "files"\n'
        "class DBDataset(Base):\n"
        '    Table = "datasets"\n'
        "    def nfiles(self, c):\n"
        '        c.execute(f"select file_count from {self.Table} where name = %s", (self.Name,))\n'
        "class Child(DBDataset):\n"
        "    def rename(self, c):\n"
        '        c.execute(f"update {self.Table} set name = %s", ("x",))\n'
    )
    import re

    tables = {q.location.line: re.search(r"(?:from|update) (\w+)", q.text)[1] for q in extract_python("m.py", code).queries}
    assert tables[9] == "datasets"
    assert tables[12] == "datasets"
    assert tables[3] in ("files", "datasets")
