"""Where a value spliced into Python SQL comes from (advisor.facts.provenance), as sql-string-building sees it.

A parameter takes what the function's calls pass it, across the project's Python files (advisor.facts.callers);
a regular-expression group of word characters is safe (advisor.facts.regex_groups). The shapes are those of
barman's `get_replication_slot(self.slot_name)` and django-pgtrigger's `temporarily_drop_trigger`, fed from
`re.search(r"trigger (?P<trigger>\\w+)", ...)`."""

import ast
import textwrap

import pytest

from advisor import catalogue, engine
from advisor.facts.regex_groups import word_group, word_only


def fired(project, files):
    project({name: textwrap.dedent(code) for name, code in files.items()})
    found = engine.check(["."]).active
    return [(f.location.path, f.location.line) for f in found if catalogue.lookup(f.rule).name == "sql-string-building"]


SLOT = """
class Postgres:
    def status(self):
        return self.get_slot({argument})

    def get_slot(self, slot_name):
        cur = self.cursor()
        cur.execute("SELECT active FROM pg_replication_slots WHERE slot_name = '%s'" % slot_name)
        return cur.fetchone()
"""


@pytest.mark.parametrize("argument", ['"barman"', "self.slot_name", "SLOT_NAME"])
def test_a_parameter_every_call_passes_the_codes_own_value_is_silent(project, argument):
    assert fired(project, {"pg.py": SLOT.format(argument=argument)}) == []


def test_a_call_that_passes_a_value_from_outside_is_reported(project):
    # status(name) has no call: its parameter is the caller's, and it reaches get_slot's
    code = SLOT.format(argument="name").replace("def status(self):", "def status(self, name):")
    assert fired(project, {"pg.py": code}) == [("pg.py", 7)]


def test_a_function_with_no_call_is_an_entry_point(project):
    code = SLOT.format(argument='"barman"').replace("return self.get_slot(", "return self.other(")
    assert fired(project, {"pg.py": code}) == [("pg.py", 7)]


@pytest.mark.parametrize("use", [
    "callbacks.append(self.get_slot)",  # handed on as a value: its calls are not all seen
    'getattr(self, "get_slot")',  # called by a name in a string
    "self.get_slot(*names)",  # a binding that cannot be read
    'self.get_slot(slot_name=request.args["slot"])',  # by keyword, from a request
    "Postgres.get_slot(self, name)",  # through the class: self is passed, then the parameter
])
def test_calls_that_cannot_all_be_seen_or_pass_outside_values_are_reported(project, use):
    code = SLOT.format(argument='"barman"') + f"\n    def other(self, callbacks, names, request, name):\n        {use}\n"
    assert fired(project, {"pg.py": code}) == [("pg.py", 7)]


def test_calls_are_followed_across_the_projects_files(project):
    caller = """
    from pg import Postgres

    def handler(request):
        Postgres().get_slot(request.args["slot"])
    """
    assert fired(project, {"pg.py": SLOT.format(argument='"barman"'), "web.py": caller}) == [("pg.py", 7)]


def test_a_caller_in_another_file_passing_a_constant_is_silent(project):
    caller = """
    def main(pg):
        pg.get_slot("standby")
    """
    assert fired(project, {"pg.py": SLOT.format(argument="self.slot_name"), "cli.py": caller}) == []


@pytest.mark.parametrize("code,found", [
    # a helper only ever called with constants, or left to its constant default
    ("""
    def _count(cur, kind="message"):
        cur.execute(f"SELECT count(*) FROM events WHERE kind = '{kind}'")
    def main(cur):
        _count(cur)
        _count(cur, "state")
    """, []),
    # a context manager passes its calls through; another decorator may call it with anything
    ("""
    import contextlib
    @contextlib.contextmanager
    def dropped(cur, name):
        cur.execute(f"SELECT 1 FROM pg_trigger WHERE tgname = '{name}'")
        yield
    def main(cur):
        with dropped(cur, "t1"):
            pass
    """, []),
    ("""
    @app.route("/slot")
    def show(cur, name):
        cur.execute(f"SELECT 1 FROM pg_trigger WHERE tgname = '{name}'")
    def main(cur):
        show(cur, "t1")
    """, [3]),
    # a function that only calls itself has no first value the code chooses
    ("""
    def walk(cur, name, depth):
        cur.execute(f"SELECT 1 FROM nodes WHERE name = '{name}'")
        if depth:
            walk(cur, name, depth - 1)
    """, [2]),
    # a chain of calls: the value comes from a constant two calls up
    ("""
    def _inner(cur, name):
        cur.execute(f"SELECT 1 FROM nodes WHERE name = '{name}'")
    def _outer(cur, name):
        _inner(cur, name)
    def main(cur):
        _outer(cur, "root")
    """, []),
])
def test_parameters_through_calls(project, code, found):
    assert [line for _, line in fired(project, {"app.py": code})] == found


TRIGGER = """
import re

class Editor:
    def drop(self, trigger):
        cursor.execute(f"SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = '{{trigger}}'")

    def execute(self, message):
        {read}
        if match:
            self.drop({group})
"""


@pytest.mark.parametrize("read,group,safe", [
    ('match = re.search(r\'DETAIL:\\s+trigger (?P<trigger>\\w+).+on table "?(?P<table>\\w+)"?\', message)',
     'match.groupdict()["trigger"]', True),
    ('match = re.search(r"trigger ([A-Za-z0-9_]+) on (.+)", message)', "match.group(1)", True),
    ('match = re.search(r"trigger ([A-Za-z0-9_]+) on (.+)", message)', "match.group(2)", False),
    ('match = re.search(r"trigger (?P<trigger>.+)", message)', 'match["trigger"]', False),
    ('match = re.search(r"trigger (?P<trigger>[^ ]+)", message)', 'match.group("trigger")', False),
    ("match = PATTERN.match(message)", 'match.group("t")', True),  # PATTERN = re.compile(...) below
    ("match = re.search(pattern, message)", "match.group(1)", False),  # a pattern the code does not write
    ("match = find(message)", "match.group(1)", False),
])
def test_regular_expression_groups(project, read, group, safe):
    code = TRIGGER.format(read=read, group=group) + '\nPATTERN = re.compile(r"(?P<t>\\w+)", re.I)\npattern = input()\n'
    assert fired(project, {"editor.py": code}) == ([] if safe else [("editor.py", 5)])


@pytest.mark.parametrize("pattern,group,words", [
    (r"(?P<x>\w+)", "x", True), (r"(?P<x>\w+)\.(?P<y>.+)", "y", False), (r"(\d{1,3})", 1, True),
    (r"([a-z_][a-z0-9_]*)", 1, True), (r"([\w-]+)", 1, False), (r"([^;]+)", 1, False), (r"(\S+)", 1, False),
    (r"(x|y\d)", 1, True), (r"(\w+(?=\s))", 1, True), (r"(?:(\w+))?", 1, True), (r"(\w+)", 0, True),
    (r"a (\w+)", 0, False), (r"(\w+)", 2, False), (r"(\w+)", "x", False), (r"(\w+", 1, False),
    (r"(?x)( \w + )", 1, True), (r"( \w + )", 1, False), (r"([ -z]+)", 1, False),
])
def test_word_only(pattern, group, words):
    assert word_only(pattern, 0, group) is words


def test_a_loop_over_finditer_and_a_walrus_match():
    tree = ast.parse(textwrap.dedent("""
        for m in re.finditer(r"(?P<n>\\w+)", text):
            pass
        if (w := re.fullmatch(r"(\\w+)=(.*)", text)):
            pass
    """))
    loops = {"m": [tree.body[0].iter]}
    assigned = {"w": [tree.body[1].test.value]}

    def reads(expr):
        return word_group(ast.parse(expr, mode="eval").body, assigned, loops)

    assert reads('m.group("n")') and reads("w.groups()[0]") and reads("w.group(1)")
    assert not reads("w.groups()[1]") and not reads("w.group()") and not reads('m.group("other")')


# ckan's tabledesigner: `literal_string` of another module quotes its value whole, `.replace(':', r'\:')` keeps the
# statement; a function of another module that hands its argument back leaves the value the caller's
QUOTING = {
    "util.py": """
    def literal_string(s):
        return "'" + s.replace("'", "''") + "'"

    def passed(s):
        return s
    """,
    "pkg/__init__.py": "",
    "pkg/reexport.py": "from util import literal_string, passed\n",
}
CHECK = """
import sqlalchemy as sa
from {module} import {function}

def compare(conn, low, high):
    return conn.scalar(sa.text(
        "SELECT {{low}} > {{high}}".format(low={function}(low), high={function}(high)).replace(":", r"\\:")
    ))
"""


@pytest.mark.parametrize("module", ["util", "pkg.reexport"])
@pytest.mark.parametrize(("function", "found"), [("literal_string", []), ("passed", [("check.py", 6)])])
def test_a_function_of_another_module_is_followed(project, module, function, found):
    files = {**QUOTING, "check.py": CHECK.format(module=module, function=function)}
    assert fired(project, files) == found


# chainlit's SQLAlchemy layer: a named placeholder per key of a dict the function writes itself (`data = {"id": ...}`,
# kept when not None), its values bound; the keys of a mapping a caller passes are the caller's
MAPPED = """
class Layer:
    async def execute_sql(self, query, parameters):
        async with self.engine.begin() as conn:
            return await conn.execute(sa.text(query), parameters)

    async def update(self, thread_id, name, user_id, given):
        data = {{"id": thread_id, "name": name, "userId": user_id}}
        parameters = {{key: value for key, value in data.items() if value is not None}}
        values = ", ".join(f":{{key}}" for key in {keys})
        await self.execute_sql(query=f"INSERT INTO threads (id) VALUES ({{values}})", parameters=parameters)
"""


@pytest.mark.parametrize(("keys", "found"), [
    ("parameters.keys()", []),
    ("parameters", []),  # iterating a mapping gives its keys
    ("data", []),
    ("(k for k, _ in data.items())", []),
    ("{**data, 'tenant': 1}.keys()", []),
    ("given.keys()", [("layer.py", 12)]),
    ("(v for _, v in data.items())", [("layer.py", 12)]),  # the values are the caller's
    ("{k: 1 for k in given}", [("layer.py", 12)]),
])
def test_the_keys_of_a_mapping_the_function_writes_are_its_own(project, keys, found):
    assert fired(project, {"layer.py": "import sqlalchemy as sa\n" + MAPPED.format(keys=keys)}) == found


@pytest.mark.parametrize(("keys", "found"), [
    ("asdict(given)", []),  # a dataclass's field names
    ("given.model_dump()", []),
    ("dict(given)", [("layer.py", 12)]),  # the builtin: the keys of whatever it is given
])
def test_the_keys_of_a_records_fields_are_its_classs(project, keys, found):
    code = "import sqlalchemy as sa\nfrom dataclasses import asdict\n" + MAPPED.format(keys=keys)
    assert fired(project, {"layer.py": code.replace("layer.py", "")}) == [(p, line + 1) for p, line in found]


# holdout 91's osm-rawdata: the area a caller draws reaches the view as its geometry's well-known text, which shapely
# writes from coordinates alone; the name of the geometry's owner is not enough (its `.name` is a caller's text)
AREA = """
from shapely.geometry import Polygon

class Extract:
    async def query_local(self, boundary: Polygon = None):
        sql = f"CREATE VIEW ways_view AS SELECT * FROM ways_poly WHERE ST_CONTAINS(ST_GeomFromEWKT('SRID=4326;{{boundary.{attribute}}}'), geom)"
        await self.pg.execute(sql)
"""


@pytest.mark.parametrize("attribute, reported", [("wkt", False), ("ewkt", False), ("wkb_hex", False), ("name", True)])
def test_a_geometrys_well_known_text_is_the_codes_own(project, attribute, reported):
    assert bool(fired(project, {"extract.py": AREA.format(attribute=attribute)})) is reported


# holdout 91's osm-rawdata: createTable splices `sqlfile.stem`, a name nothing in the module binds (its parameter is
# `sql`): the line raises NameError before the statement is built, so no value of anyone's reaches it. A name the
# module does bind (an import, a global, a loop's) is another matter, and so is a star import, which may bind any.
UNBOUND = """
{header}

class Store:
    async def create_table(self, sql: str):
        {loop}
        sql = f"INSERT INTO schemas(schema, version) VALUES('{{sqlfile.stem}}', 1.0)"
        self.pg.execute(sql)
"""


@pytest.mark.parametrize(
    "header, loop, reported",
    [
        ("import logging", "pass", False),
        ("from files import sqlfile", "pass", True),
        ("from files import *", "pass", True),
        ("sqlfile = None", "pass", True),
        ("import logging", "for sqlfile in self.files(): pass", True),
    ],
)
def test_a_name_nothing_binds_never_reaches_the_statement(project, header, loop, reported):
    assert bool(fired(project, {"store.py": UNBOUND.format(header=header, loop=loop)})) is reported


# holdout 98's Archon: `uid = uuid.UUID(tournament.uid)` first, then `'{{ratings,{tournament.uid}}}'` spliced into a
# jsonb path. uuid.UUID raises on any text that is not a UUID (hex digits, hyphens, braces): past it, the value holds
# no quote, as after `int(n)`. Only a call every run makes: not under a condition, and not once the value is set again.
CONVERTED = """
import uuid

class Store:
    async def update(self, tournament, flag):
        {check}
        {between}
        await self.cursor.execute(
            f"UPDATE members SET data = jsonb_set(data, '{{{{ratings,{{tournament.uid}}}}}}', %s) WHERE uid = %s",
            [1, 2],
        )
"""


@pytest.mark.parametrize(
    "check, between, reported",
    [
        ("uid = uuid.UUID(tournament.uid)", "pass", False),
        ("await self.cursor.execute('SELECT 1 WHERE x = %s', [uuid.UUID(tournament.uid)])", "pass", False),
        ("n = int(tournament.uid)", "tournament.vekn = 3", False),  # another attribute set: uid is as checked
        ("pass", "pass", True),
        ("uid = uuid.UUID(tournament.uid) if flag else None", "pass", True),  # on some runs only
        ("uid = uuid.UUID(tournament.uid)", "tournament.uid = flag", True),  # set again after the check
        ("uid = str(tournament.uid)", "pass", True),  # str() accepts anything
    ],
)
def test_a_value_a_strict_conversion_accepted_holds_no_quote(project, check, between, reported):
    assert bool(fired(project, {"store.py": CONVERTED.format(check=check, between=between)})) is reported
