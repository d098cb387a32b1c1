"""sql-string-building and names a validator function checks (advisor.facts.validators, advisor.facts.narrowing):
lnbits' `fetch_page` (lnbits/db.py:240-264) joins GROUP BY names each checked by `_valid_sql_name`, a module
function returning `re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*(\\.[a-zA-Z_][a-zA-Z0-9_]*)?", name) is not None`, in
a loop that raises on the first bad one. Each silent shape stands next to its reported twin: a validator whose
pattern lets a quote through, a loop that skips instead of raising, a collection changed after the check."""

import ast
import textwrap

import pytest

from advisor import catalogue, engine
from advisor.facts.narrowing import confined, items
from advisor.facts.validators import name_checks


def fired(project, code):
    project({"store.py": textwrap.dedent(code)})
    found = engine.check(["."]).active
    return [f.location.line for f in found if catalogue.lookup(f.rule).name == "sql-string-building"]


VALIDATOR = '''
import re


def _valid_sql_name(name: str) -> bool:
    """Check if a SQL name is valid (alphanumeric and underscores only)"""
    return (
        re.fullmatch(r"{pattern}", name)
        is not None
    )
'''

FETCH_PAGE = """

class Database:
    async def fetch_page(self, query, group_by=None, label=""):
        group_by_string = ""
        if group_by:
            for field in group_by:
                if not _valid_sql_name(field):
                    raise ValueError("Value for GROUP BY is invalid")
            {between}
            group_by_string = f"GROUP BY {{', '.join(group_by)}}"
        count_query = f"SELECT COUNT(*) FROM ({{query}} {{group_by_string}}) AS count"
        return await self.execute(count_query)
"""

LNBITS_PATTERN = r"[a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z_][a-zA-Z0-9_]*)?"


def lnbits(pattern=LNBITS_PATTERN, between="pass"):
    return VALIDATOR.format(pattern=pattern) + FETCH_PAGE.format(between=between)


def test_group_by_names_each_checked_by_a_full_match_validator_are_silent(project):
    assert fired(project, lnbits()) == []


@pytest.mark.parametrize(
    "again",
    [
        "def _valid_sql_name(name):\n    return True\n",  # a later def replaces the check
        "_valid_sql_name = lambda name: True\n",
        "from helpers import _valid_sql_name\n",
    ],
)
def test_a_validator_the_module_binds_again_checks_nothing(project, again):
    code = VALIDATOR.format(pattern=LNBITS_PATTERN) + "\n" + again + FETCH_PAGE.format(between="pass")
    assert fired(project, code) != []
    assert name_checks(ast.parse(code)) == frozenset()


@pytest.mark.parametrize(
    "pattern",
    [
        r"[a-zA-Z_][a-zA-Z0-9_ ']*",  # a quote and a space get through
        r".+",
        r"\w+\s*",
    ],
)
def test_a_validator_whose_pattern_lets_a_quote_or_a_space_through_checks_nothing(project, pattern):
    assert fired(project, lnbits(pattern)) == [21]


@pytest.mark.parametrize(
    "between",
    [
        "group_by.append(label)",  # an element added after the check
        "names = group_by",  # another name for it, which could change it
        "group_by = [label]",
        "group_by[0] = label",
        "extend(group_by)",  # a function it is handed to
    ],
)
def test_a_collection_changed_after_its_check_is_reported(project, between):
    assert fired(project, lnbits(between=between)) == [21]


def confined_at_join(code):
    tree = ast.parse(textwrap.dedent(code))
    function = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "build")
    where = confined(function, name_checks(tree))
    join = next(n for n in ast.walk(function) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "join")
    return items("names") in where.get(id(join), frozenset())


LOOP = """
import re

NAME = re.compile(r"[a-z_][a-z0-9_]*")


def is_name(text):
    return NAME.fullmatch(text) is not None


def ok(text):
    return True


def build(names):
    for name in names:
{body}
    return ", ".join(names)
"""


@pytest.mark.parametrize(
    "body, checked",
    [
        ("        if not is_name(name):\n            raise ValueError(name)", True),
        ("        assert is_name(name)", True),
        ("        if not name.isidentifier():\n            raise ValueError(name)", True),
        ("        if not ok(name):\n            raise ValueError(name)", False),  # true for anything
        ("        if not is_name(name):\n            continue", False),  # skipped, not rejected
        ("        if not is_name(name):\n            break", False),
        ("        if name:\n            if not is_name(name):\n                raise ValueError(name)", False),
        ("        try:\n            assert is_name(name)\n        except AssertionError:\n            pass", False),
        ('        if not is_name(name):\n            raise ValueError(name)\n        name = name + "\'"', False),
    ],
)
def test_a_loop_confines_the_elements_only_when_it_rejects_every_unchecked_one(body, checked):
    assert confined_at_join(LOOP.format(body=body)) is checked


@pytest.mark.parametrize(
    "function, checks",
    [
        ("def v(n):\n    return re.fullmatch(r'[a-z]+(\\.[a-z]+)?', n) is not None", True),
        ("def v(n):\n    return bool(re.fullmatch(PATTERN, n))", True),  # a module constant
        ("def v(n):\n    return isinstance(n, str) and n.isidentifier()", True),
        ("def v(n):\n    return re.match(r'^[a-z]+$', n) is not None", False),  # $ lets a newline end it
        ("def v(n):\n    return re.fullmatch(r'[a-z]+', n, re.X) is not None", False),  # flags: not read
        ("def v(n):\n    return re.fullmatch(r'[a-z]+', n) is None", False),  # true for the others
        ("def v(n):\n    return isinstance(n, str) or n.isidentifier()", False),
        ("def v(n, m):\n    return re.fullmatch(r'[a-z]+', m) is not None", False),  # not its first parameter
        ("@cache\ndef v(n):\n    return n.isidentifier()", False),  # a decorator may change what it returns
    ],
)
def test_only_a_function_true_for_names_alone_is_a_name_check(function, checks):
    tree = ast.parse(f"import re\nPATTERN = r'[a-z_]+'\n{function}\n")
    assert ("v" in name_checks(tree)) is checks
