"""PL/pgSQL text built for EXECUTE and assignments' subqueries on hostile routines: the text read stays bounded
(`q := q || q` repeated, `format('%L', q)` repeated), deep parentheses do not lose the file, an IF merges only
the variables assigned in it, INTO / FOR / GET DIAGNOSTICS targets are unknown afterwards, and an assignment's
target is looked for only where a statement can start (review of the PL/pgSQL reader)."""

import pytest

from advisor.sources import function_bodies, plpgsql_exec
from advisor.sources.sql_files import extract_sql


def _routine(body: str, declare: str = "q text := 'SELECT a FROM t WHERE b = 1';") -> str:
    return f"CREATE FUNCTION f(c bool) RETURNS SETOF t LANGUAGE plpgsql AS $$\nDECLARE {declare}\nBEGIN\n{body}\nEND;\n$$;\n"


def _executed(text: str) -> list[str]:
    """The texts read from the routine's EXECUTEs (its assignments' and plain statements left out)."""
    return sorted(
        " ".join(q.text.split())
        for q in extract_sql("f.sql", text)
        if q.origin == "function-body" and (q.text.startswith("SELECT a") or "{}" in q.text)
    )


def test_a_text_doubled_on_every_line_is_not_read_past_a_bound():
    doubled = _routine("  q := q || q;\n" * 10 + "  RETURN QUERY EXECUTE q;")  # 1024 copies, 30 KB
    assert _executed(doubled) == []
    quoted = _routine(
        "  q := format('%L', q);\n" * 18 + "  EXECUTE 'SELECT a FROM t WHERE b = ' || q;", "q text := 'x';"
    )
    assert all(len(t) <= plpgsql_exec._MAX_TEXT for t in _executed(quoted))  # its quotes double on every line
    twice = _routine("  q := q || ' UNION ALL ' || q;\n  RETURN QUERY EXECUTE q;")  # real code: still read
    assert _executed(twice) == ["SELECT a FROM t WHERE b = 1 UNION ALL SELECT a FROM t WHERE b = 1"]


def test_many_executes_of_a_large_text_read_at_most_a_multiple_of_the_routine():
    grown = "  q := q || q;\n" * 9 + "".join(f"  RETURN QUERY EXECUTE q || ' AND b = {n}';\n" for n in range(200))
    text = _routine(grown)
    assert sum(len(t) for t in _executed(text)) <= 4 * len(text) + plpgsql_exec._MAX_TEXT


def test_deep_parentheses_are_unknown_and_the_file_is_still_read():
    deep = "(" * 600 + "'SELECT a FROM t WHERE b = 2'" + ")" * 600
    text = "CREATE TABLE t (a int, b int);\n" + _routine(f"  q := {deep};\n  SELECT b INTO c FROM t;\n  EXECUTE q;")
    found = extract_sql("f.sql", text)  # raised RecursionError: the whole file's queries were lost
    assert any(q.text.startswith("CREATE TABLE t") for q in found)
    assert any(q.origin == "function-body" and q.text.startswith("SELECT b") for q in found)
    assert _executed(text) == []  # too deep to follow: not read, never guessed
    shallow = _routine("  q := ((('SELECT a FROM t WHERE b = 2')));\n  EXECUTE q;")
    assert _executed(shallow) == ["SELECT a FROM t WHERE b = 2"]


def test_an_if_merges_only_the_variables_assigned_in_it(monkeypatch):
    merged = []
    real = plpgsql_exec._merged
    monkeypatch.setattr(plpgsql_exec, "_merged", lambda values: merged.append(values) or real(values))
    names = "".join(f"  v{n} := 'x';\n" for n in range(50))
    assert _executed(_routine(names + "  IF c THEN NULL; END IF;\n" * 50 + "  EXECUTE q;")) == [
        "SELECT a FROM t WHERE b = 1"
    ]
    assert merged == []  # every IF copied and merged all 50 variables


def test_nested_ifs_merge_each_branch_and_restore_the_value_before():
    body = """  IF c THEN
    q := q || ' AND a = 1';
    IF c THEN q := q || ' AND a = 2'; END IF;
  ELSIF NOT c THEN
    IF c THEN NULL; ELSE q := q || ' AND a = 3'; END IF;
  ELSE
    NULL;
  END IF;
  EXECUTE q;"""
    assert _executed(_routine(body)) == [
        "SELECT a FROM t WHERE b = 1",
        "SELECT a FROM t WHERE b = 1 AND a = 1",
        "SELECT a FROM t WHERE b = 1 AND a = 1 AND a = 2",
        "SELECT a FROM t WHERE b = 1 AND a = 3",
    ]
    deep = "IF c THEN " * 40 + "q := q || ' AND a = 4';" + " END IF;" * 40 + "\n  EXECUTE q;"
    assert _executed(_routine(deep)) == []  # nested deeper than real code: not followed


@pytest.mark.parametrize(
    "store",
    [
        "EXECUTE 'SELECT ''SELECT a FROM t WHERE b IS NULL''' INTO q;",
        "EXECUTE 'SELECT 1' INTO STRICT n, q USING c;",
        "SELECT 'SELECT a FROM t' INTO q;",
        "FETCH cur INTO q;",
        "UPDATE t SET a = 1 RETURNING 'x' INTO q;",
        "FOR q IN SELECT 'SELECT 1' FROM t LOOP NULL; END LOOP;",
        "GET DIAGNOSTICS n = ROW_COUNT, q = PG_CONTEXT;",
    ],
)
def test_a_statement_storing_into_the_variable_makes_it_unknown(store):
    text = _routine(f"  {store}\n  RETURN QUERY EXECUTE q;", "q text := 'SELECT a FROM t WHERE b = NULL'; n int;")
    assert _executed(text) == []  # it was read as `b = NULL`: a finding about a text that never runs


def test_insert_into_a_table_named_like_the_variable_leaves_it_known():
    text = _routine("  INSERT INTO q VALUES (1);\n  IF c THEN EXECUTE q; END IF;")
    assert _executed(text) == ["SELECT a FROM t WHERE b = 1"]


class _Tried:
    """A pattern that records where it is tried."""

    def __init__(self, pattern):
        self.pattern, self.at = pattern, []

    def match(self, string, pos=0):
        self.at.append(pos)
        return self.pattern.match(string, pos)


def test_an_assignment_target_is_tried_only_where_a_statement_starts(monkeypatch):
    tried = _Tried(function_bodies._ASSIGNMENT)
    monkeypatch.setattr(function_bodies, "_ASSIGNMENT", tried)
    ors = " OR ".join(["a=1"] * 300)
    text = _routine(
        f"  {'a' * 5000};\n  IF {ors} THEN NULL; END IF;\n  IF c THEN n := (SELECT a FROM t); END IF;", "n int;"
    )
    found = [q for q in extract_sql("f.sql", text) if q.origin == "function-body"]
    assert [q.text for q in found] == ["SELECT a FROM t"]
    assert len(tried.at) <= 20  # once at each piece's start and after each block keyword, never at every `=`


def test_a_block_comment_in_a_body_hides_what_it_holds_and_the_statements_after_it_are_read():
    """A body's quoted text, comments and dollar quotes are PostgreSQL's one reading (parse.QUOTED): before, a
    `/* ... ; */` was read as text, its `;` ended a statement, and the UPDATE after it was lost."""
    text = (
        "CREATE TABLE t (id int PRIMARY KEY, a int);\n"
        "CREATE FUNCTION f(p int) RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n"
        "  /* retired: DELETE FROM t; */\n  UPDATE t SET a = 1 WHERE id = p;\n  /* SELECT a INTO x FROM t */\nEND $$;\n"
    )
    body = [(q.location.line, " ".join(q.text.split())) for q in extract_sql("f.sql", text) if q.origin == "function-body"]
    assert body == [(5, "UPDATE t SET a = 1 WHERE id = ?")]


def test_the_subqueries_a_return_gives_back_are_read():
    """gdata2pg's get-or-create `RETURN (SELECT id FROM keys WHERE key = new_key);` (holdout 107): the value a
    RETURN gives back is an expression whose subqueries run, as an assignment's are; `RETURN QUERY` stays a
    statement of its own, read once."""
    text = (
        "CREATE FUNCTION key_id(new_key text) RETURNS bigint LANGUAGE plpgsql AS $$\nBEGIN\n"
        "  INSERT INTO keys (key) VALUES (new_key) ON CONFLICT DO NOTHING;\n"
        "  RETURN (SELECT id FROM keys WHERE key = new_key);\nEND $$;\n"
        "CREATE FUNCTION rows() RETURNS SETOF keys LANGUAGE plpgsql AS $$\nBEGIN\n"
        "  RETURN QUERY SELECT * FROM keys;\n  RETURN NEXT coalesce((SELECT max(id) FROM keys), 0);\nEND $$;\n"
    )
    body = [" ".join(q.text.split()) for q in extract_sql("f.sql", text) if q.origin == "function-body"]
    assert body == [
        "INSERT INTO keys (key) VALUES ($1 ) ON CONFLICT DO NOTHING",
        "SELECT id FROM keys WHERE key = $1",
        "SELECT * FROM keys",
        "SELECT max(id) FROM keys",
    ], body
