"""Values sql-string-building follows further (advisor.facts.provenance, advisor.facts.narrowing): what a method of
the class returns through `self.m(...)`, one position of a returned tuple, names the surrounding tests confine,
parameters annotated as numbers, comprehension-local loop names, `str(uuid4())`. Each shape is modelled on real
code (langchain-postgres's filter clause builder, alerta's `is_flapping(window: int)`), each with its negative:
a value from outside still reported."""

import ast
import textwrap

import pytest

from advisor import catalogue, engine
from advisor.facts.narrowing import confined


def fired(project, code):
    project({"store.py": textwrap.dedent(code)})
    found = engine.check(["."]).active
    return [f.location.line for f in found if catalogue.lookup(f.rule).name == "sql-string-building"]


FILTER = """
import uuid

NATIVE = {"$eq": "=", "$lt": "<"}


class Store:
    def _field(self, field, value):
        if not (field.isidentifier() or all(p.isidentifier() for p in field.split("."))):
            raise ValueError(field)
        name = f"{field.replace('.', '_')}_{str(uuid.uuid4()).split('-')[0]}"
        if isinstance(value, dict):
            operator, operand = list(value.items())[0]
            if operator not in NATIVE:
                raise ValueError(operator)
        else:
            operator, operand = "$eq", value
        return f"{field} {NATIVE[operator]} :{name}", {name: operand}

    def _clause(self, filters):
        key, value = list(filters.items())[0]
        if key.lower() == "$and" or key.lower() == "$or":
            op = key[1:].upper()
            parts = [self._clause(f) for f in value]
            return f"({f' {op} '.join(p[0] for p in parts)})", {k: v for p in parts for k, v in p[1].items()}
        return self._field(key, value)

    async def query(self, conn, filters):
        filtering, params = self._clause(filters)  # not named as a fragment: followed, not trusted by its name
        suffix = str(uuid.uuid4()).split("-")[0]
        return await conn.execute(text(f"SELECT id FROM items WHERE {filtering} LIMIT :limit_{suffix}"), params)
"""


def test_a_clause_built_by_the_classs_methods_from_checked_names_and_bound_values_is_silent(project):
    assert fired(project, FILTER) == []


@pytest.mark.parametrize(
    "change",
    [
        (
            'return f"{field} {NATIVE[operator]} :{name}", {name: operand}',
            "return f\"{field} {NATIVE[operator]} '{operand}'\", {}",
        ),  # the value itself put in the text
        ("return f\"({f' {op} '.join(p[0] for p in parts)})\"", "return f\"({f' {op} '.join(p[1] for p in parts)})\""),
        ("if not (field.isidentifier() or", "if not (field or"),  # no check on the name
        ('if key.lower() == "$and" or key.lower() == "$or":', 'if key.lower() == "$and" or value:'),
        ("            if operator not in NATIVE:\n                raise ValueError(operator)\n", ""),
    ],
)
def test_a_value_from_outside_in_the_clause_is_still_reported(project, change):
    old, new = change
    assert old in FILTER
    code = FILTER.replace(old, new)
    if "NATIVE[operator]" in code and "operator not in NATIVE" not in code:
        code = code.replace("NATIVE[operator]", "operator")  # without the check the operator is the caller's text
    execute = next(i for i, line in enumerate(code.lstrip().splitlines(), 1) if "conn.execute" in line)
    assert fired(project, code) == [execute]


FLAPPING = """
class Db:
    def is_flapping(self, cur, alert, window=1800):
        cur.execute("SELECT count(*) FROM history WHERE at > now() - INTERVAL '{window} seconds'".format(window=window))



class Alert:
    def is_flapping(self, db, cur, window{annotation} = 1800):
        return db.is_flapping(cur, self, window)
"""


@pytest.mark.parametrize("annotation", [": int", ": Optional[int]", ": int | None", ': "float"'])
def test_a_parameter_annotated_as_a_number_is_the_codes_own(project, annotation):
    assert fired(project, FLAPPING.replace("{annotation}", annotation)) == []


@pytest.mark.parametrize("annotation", ["", ": str", ": Optional[str]", ": int | str"])
def test_an_unannotated_or_text_parameter_is_still_the_callers(project, annotation):
    assert fired(project, FLAPPING.replace("{annotation}", annotation)) == [3]


PLACEHOLDERS = """
import itertools

def upsert(conn, record, fields, method):
    counter = itertools.count()
    names = [f"val_{{next(counter)}}" for _ in fields]
    values = [":" + p for p in names]
    if method == "update":
        conn.execute(text("UPDATE t SET ({{}}) = ({{}})".format(", ".join(fields), ", ".join(values))), record)
    pairs = [p for p in {outside}]
"""


def test_a_comprehensions_loop_name_is_its_own(project):
    # `p` of the last comprehension is another name than the `p` of `":" + p for p in names`
    assert fired(project, PLACEHOLDERS.format(outside="record.items()")) == []


def test_a_comprehension_over_outside_values_is_reported(project):
    code = PLACEHOLDERS.format(outside="x").replace('values = [":" + p for p in names]', "values = [p for p in record]")
    assert fired(project, code) == [8]


def _confined_at(code: str, marker: str) -> frozenset[str]:
    tree = ast.parse(textwrap.dedent(code))
    function = tree.body[0]
    found = confined(function)
    node = next(n for n in ast.walk(function) if isinstance(n, ast.Name) and n.id == marker)
    return found.get(id(node), frozenset())


@pytest.mark.parametrize(
    "code, confined_names",
    [
        ("def f(d):\n    if d not in ('ASC', 'DESC'):\n        raise ValueError\n    use(HERE)", {"d"}),
        ("def f(d):\n    if d.upper() in SORTS:\n        use(HERE)", {"d"}),
        ("def f(d):\n    if d == 'a' or d == 'b':\n        use(HERE)\n", {"d"}),
        ("def f(d):\n    if d == 'a':\n        pass\n    else:\n        use(HERE)", set()),
        ("def f(d):\n    if d == 'a' or e:\n        use(HERE)", set()),
        (
            "def f(d):\n    if d not in X:\n        raise ValueError\n    d = g()\n    use(HERE)",
            set(),
        ),  # assigned again
        ("def f(d):\n    if d not in X:\n        log(d)\n    use(HERE)", set()),  # the failing branch goes on
        (
            "def f(d):\n    if ok:\n        if d not in X:\n            raise E\n    else:\n        return\n    use(HERE)",
            {"d"},
        ),
        (
            "def f(d):\n    if ok:\n        if d not in X:\n            raise E\n    use(HERE)",
            set(),
        ),  # not on every path
        ("def f(d):\n    assert isinstance(d, int)\n    use(HERE)", {"d"}),
        ("def f(d):\n    if not all(p.isidentifier() for p in d.split(' ')):\n        raise E\n    use(HERE)", set()),
        ("def f(d):\n    if not d.isidentifier():\n        return\n    use(HERE)", {"d"}),
        ("def f(d):\n    for x in xs:\n        if d not in X:\n            continue\n        use(HERE)", {"d"}),
    ],
)
def test_names_the_tests_confine(code, confined_names):
    assert _confined_at(code, "HERE") == frozenset(confined_names)


@pytest.mark.parametrize("column, reported", [
    ("i", False),  # enumerate's count is a number
    ("value", True),  # its item is the caller's text
])
def test_enumerate_gives_a_count_and_the_items_of_its_argument(project, column, reported):
    code = f"""
    def insert(cur, values):
        for i, value in enumerate(values):
            cur.execute(f"UPDATE t SET pos = {{{column}}} WHERE id = 1")
    """
    assert fired(project, code) == ([3] if reported else [])


DIALECT = """\
def do_upgrade(env, version, cursor):
    with env.db_query as db:
        cursor.execute("UPDATE ticket_change SET newvalue=%s*1000000 WHERE field %s"
                       % (db.cast('newvalue', 'int64'), db.like()), ('_comment%',))
        cursor.execute("SELECT * FROM session WHERE sid = %s" % db.cast(env.sid, 'text'))
        cursor.execute("SELECT * FROM session WHERE sid = '%s'" % db.get('last_sid'))
"""


def test_a_connections_dialect_helper_given_constants_is_the_codes_own(project):
    # trac's upgrades splice `db.cast('newvalue', 'int64')` and `db.like()`: SQL the backend writes for its dialect
    lines = fired(project, DIALECT)
    assert 3 not in lines
    # a value from outside given to it, or a connection's method that reads data: still reported
    assert 5 in lines and 6 in lines



SANITISED = """
import re


def graph(conn, workspace):
    name = re.sub(r"[^a-zA-Z0-9_]", "_", workspace.strip())
    conn.execute(f"SELECT create_graph('{name}')")


def label(conn, workspace):
    name = re.sub(r"\\W+", "", workspace, flags=re.IGNORECASE)
    conn.execute(f"SELECT count(*) FROM vertices WHERE label = '{name}'")


def dashed(conn, workspace):
    name = re.sub(r"[^a-z0-9_-]", "_", workspace)
    conn.execute(f"SELECT create_graph('{name}')")


def first_only(conn, workspace):
    name = re.sub(r"[^a-z0-9_]", "_", workspace, 1)
    conn.execute(f"SELECT create_graph('{name}')")
"""


def test_a_text_reduced_to_word_characters_is_the_code_s_own(project):
    """Holdout 33's LightRAG makes a workspace name fit for AGE with re.sub(r"[^a-zA-Z0-9_]", "_", ...): nothing is
    left that could end the literal or the name. A pattern that keeps a dash (`--` starts a comment) or replaces
    only the first character keeps the value the caller's."""
    assert fired(project, SANITISED) == [16, 21]


SANITISED_JS = """\
async function graph(client, workspace) {
  const name = workspace.replace(/[^a-zA-Z0-9_]/g, "_");
  await client.query(`SELECT create_graph('${name}')`);
  await client.query(`SELECT count(*) FROM vertices WHERE label = E'${workspace.replace(/\\W+/g, "")}'`);
}
async function unsafe(client, workspace) {
  await client.query(`SELECT create_graph('${workspace.replace(/[^a-z0-9_-]/g, "_")}')`);
  await client.query(`SELECT create_graph('${workspace.replace(/[^a-z0-9_]/, "_")}')`);
}
"""


def test_a_javascript_text_reduced_to_word_characters_is_the_code_s_own(project):
    """The same in JavaScript: `.replace(/[^a-zA-Z0-9_]/g, "_")`, even inside E'...' (no backslash is left); a dash
    kept, or a replace without the g flag (only the first match), keeps the value the caller's."""
    project({"graph.js": SANITISED_JS})
    found = engine.check(["."]).active
    assert [f.location.line for f in found if catalogue.lookup(f.rule).name == "sql-string-building"] == [7, 8]


LOCK = '''
import os
from contextlib import contextmanager

import psycopg

DEFAULT_TIMEOUT = "15min"
ENV_TIMEOUT = "APP_DDL_LOCK_TIMEOUT"


@contextmanager
def ddl_lock(dsn, timeout=None):
    effective = timeout or os.environ.get(ENV_TIMEOUT) or DEFAULT_TIMEOUT
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute(f"SET lock_timeout = '{effective}'")
    yield conn


def start(dsn):
    with ddl_lock(dsn):
        pass
'''


@pytest.mark.parametrize(
    "change,reported",
    [
        ("", False),  # the operator's environment, under a name the module's constant holds, or the default
        ('ENV_TIMEOUT = "APP_DDL_LOCK_TIMEOUT"', True),  # the constant gone: a name the module never binds
        ("    with ddl_lock(dsn):", True),  # a caller passing its own parameter: the caller's value
    ],
)
def test_a_setting_read_under_a_constants_name_is_the_operators(project, change, reported):
    """Holdout 52's startup lock: `timeout or os.environ.get(ENV_TIMEOUT) or DEFAULT_TIMEOUT` spliced into a SET, the
    setting's name a text constant of the module: configuration, not input. Its caller passes no timeout."""
    code = LOCK
    if change.startswith("ENV_TIMEOUT"):
        code = code.replace(change + "\n", "")
    elif change:
        code = code.replace(change, "    with ddl_lock(dsn, timeout=dsn):")
    assert bool(fired(project, code)) is reported, fired(project, code)


POSITIONS = """
def check(conn, columns, wanted, note):
    expressions = [f"CASE WHEN fields[{columns.index(w) + 1}]<>'' THEN 1 ELSE 0 END" for w in wanted]
    return conn.execute(f"SELECT row_number FROM rows WHERE ({' + '.join(expressions)})<>1 LIMIT 1")
"""


@pytest.mark.parametrize(("value", "reported"), [
    ("columns.index(w) + 1", False),  # a number whenever it runs: text or a list plus a number raises
    ("1 + columns.index(w)", False),
    ("columns.index(w) - 1", False),
    ("note + 1", False),
    ("note + '1'", True),  # text and text: the caller's text
    ("note", True),
])
def test_arithmetic_with_a_number_is_a_number(project, value, reported):
    # xtransit (holdout 75) writes each column's position into a CASE with `columns.index(key) + 1`
    assert fired(project, POSITIONS.replace("columns.index(w) + 1", value)) == ([3] if reported else [])
