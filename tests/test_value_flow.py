"""Values sql-string-building follows through a variable rebuilt from itself and through arrays and helpers
that only ever hold the code's own text (advisor.facts.provenance, advisor.facts.js_values, js_args).

Each safe shape is cut down from real code (langchain-postgres's `_handle_field_filter`, which rewrites a
checked field name into a JSON path through a comprehension over its own pieces; ckan's datastore upsert,
which builds `:val_N` placeholder names; mastra-pg's filter accumulator handed to a filter function the
caller passes in its options); each dangerous one differs from a safe one by one step and stays reported."""

import textwrap

import pytest

from advisor import catalogue, engine
from tests.conftest_db import pg_server  # noqa: F401


def fired(project, code, name="store.py"):
    project({name: textwrap.dedent(code)})
    found = engine.check(["."]).active
    return [f.location.line for f in found if catalogue.lookup(f.rule).name == "sql-string-building"]


SELECTOR = """
from sqlalchemy import text

TYPES = {int: "INTEGER", float: "FLOAT"}


class Store:
    def _field(self, field, value):
        if not (field.isidentifier() or all(p.isidentifier() for p in field.split("."))):
            raise ValueError(field)
        selector = field
        if self.json_column is not None:
            selector = f"{self.json_column}.{selector}"
        if "." in selector:
            selector = "->".join(
                part if i == 0 else f"{'>' if i == selector.count('.') else ''}'{part}'"
                for i, part in enumerate(selector.split("."))
            )
            selector = f"({selector})::{TYPES.get(type(value))}"
        return f"{selector} = :value", {"value": value}

    async def query(self, conn, filters):
        key, value = list(filters.items())[0]
        filtering, values = self._field(key, value)  # not named as a fragment: followed, not trusted by its name
        return await conn.execute(text(f"SELECT id FROM docs WHERE {filtering}"), values)
"""


def test_a_checked_name_rebuilt_from_itself_through_a_comprehension(project):
    assert fired(project, SELECTOR) == []


@pytest.mark.parametrize(
    "old,new",
    [
        # the path starts from the value, not from the checked name
        ("        selector = field\n", "        selector = str(value)\n"),
        # one rewrite splices the caller's value in
        ('selector = f"({selector})::{TYPES.get(type(value))}"', 'selector = f"({selector})::{value}"'),
        # a piece of the path from the value, not from the checked name
        ("for i, part in enumerate(selector.split(\".\"))", "for i, part in enumerate(str(value).split(\".\"))"),
    ],
)
def test_a_rebuilt_name_with_a_value_from_outside(project, old, new):
    assert old in SELECTOR
    assert fired(project, SELECTOR.replace(old, new)) == [24]
