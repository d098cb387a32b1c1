"""Hostile psycopg compositions and long lines: the code checked is untrusted, so no shape of it may stop
the extraction of a file or take more than linear time (each case took seconds to minutes, or raised,
before: nested `Composed([...]) + SQL(...)` doubled per level, a long `+` chain overflowed the stack,
`{²}` and `sql.SQL()` raised, a template's every field re-read its literal, a long line's last word was
searched for from the front). The other statement of each file must still be found."""

from advisor.facts.sql_positions import name_position
from advisor.sources.python import extract_python

OTHER = '\n\ndef other(cur):\n    cur.execute("SELECT name FROM users WHERE id = %s", (1,))\n'


def _texts(body: str) -> list[str]:
    result = extract_python("hostile.py", "from psycopg import sql\n\n\ndef f(cur, x):\n    " + body + OTHER)
    assert not result.errors
    return [q.text for q in result.queries]


def test_nested_compositions_are_read_each_once():
    expr = 'sql.SQL("SELECT id FROM jobs")'
    for _ in range(30):
        expr = f'sql.Composed([{expr}]) + sql.SQL(" ")'
    texts = _texts(f"cur.execute({expr})")
    assert "SELECT name FROM users WHERE id = %s" in texts
    assert any(t.startswith("SELECT id FROM jobs") for t in texts)  # the part nested too deep: its own statement


def test_repeated_fields_do_not_multiply():
    expr = 'sql.SQL("SELECT id FROM jobs WHERE a = {}").format(x)'
    for _ in range(12):
        expr = f'sql.SQL("{{0}} {{0}} {{0}} {{0}}").format({expr})'
    texts = _texts(f"cur.execute({expr})")
    assert "SELECT name FROM users WHERE id = %s" in texts


def test_a_long_composition_chain_is_one_statement():
    chain = 'sql.SQL("SELECT id FROM jobs WHERE a = 1")' + ' + sql.SQL(" AND a = 1")' * 1500
    texts = _texts(f"cur.execute({chain})")
    assert "SELECT id FROM jobs WHERE a = 1" + " AND a = 1" * 1500 in texts
    assert "SELECT name FROM users WHERE id = %s" in texts


def test_a_long_string_chain_in_a_file_naming_sql():
    texts = _texts('cur.execute("SELECT id FROM jobs WHERE a = 1"' + " + x" * 1500 + ")")
    assert "SELECT name FROM users WHERE id = %s" in texts
    assert any(t.startswith("SELECT id FROM jobs WHERE a = 1") for t in texts)


def test_too_deep_to_parse_is_an_error_not_a_crash():
    result = extract_python("deep.py", "from psycopg import sql\nq = " + "sql.SQL('x') + " * 5000 + "sql.SQL('y')\n")
    assert [loc.path for loc, _ in result.errors] == ["deep.py"]


def test_a_field_named_by_a_digit_that_is_no_number():
    texts = _texts('cur.execute(sql.SQL("SELECT id FROM jobs WHERE owner = {\u00b2}").format(x))')
    assert "SELECT id FROM jobs WHERE owner = {}" in texts
    assert "SELECT name FROM users WHERE id = %s" in texts


def test_sql_without_a_positional_text():
    texts = _texts('cur.execute(sql.SQL("SELECT id FROM jobs WHERE a = ") + sql.SQL() + sql.SQL(string=x))')
    assert "SELECT id FROM jobs WHERE a = {} {}" in texts
    assert "SELECT name FROM users WHERE id = %s" in texts


def test_a_template_of_many_fields_is_placed():
    fields = ", ".join(["{}"] * 16000)
    texts = _texts(f'cur.execute(sql.SQL("SELECT id FROM jobs WHERE a IN ({fields})").format(*x))')
    assert f"SELECT id FROM jobs WHERE a IN ({fields})" in texts


def test_the_last_word_of_a_long_line():
    long_word = "a" * 40000  # a word far from the end: a search from the front read it at every offset
    assert name_position(f"SELECT id FROM t WHERE {long_word} = 1 ORDER BY created ", "")  # a sort's direction
    assert not name_position(f"SELECT id FROM t WHERE {long_word} = 1 AND b = ", "")
    assert not name_position("SELECT id FROM t WHERE " + "x = 1 AND " * 4000 + "a = ", "")
    assert name_position("SELECT id FROM t ORDER BY " + "1" * 40000 + "created ", "")
