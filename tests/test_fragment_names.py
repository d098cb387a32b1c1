"""Fragments of SQL an ORM-like layer builds from its schema's names (roundup's multilink joins, written here in
its style): a table named after a class (`'_' + prop.classname`), and a column spliced right after `alias.` (the
second part of a qualified name, where only an identifier stands). sql-string-building stays silent on them, and
still speaks where the same fragment carries a value."""

import textwrap

import pytest

from advisor import catalogue, engine
from advisor.facts.sql_positions import name_position

STORE = """
class Store:
    def materialize(self, prop, nodeid, retired_too):
        tn = prop.table_name
        lid = prop.linkid_name
        w = j = ''
        if retired_too:
            tn2 = '_' + prop.classname
            j = ', %s' % tn2
            w = ' and %s.%s=%s.id and %s.__retired__=0' % (tn, lid, tn2, tn2)
        sql = 'select %s from %s%s where nodeid=%%s%s' % (lid, tn, j, w)
        self.cursor.execute(sql, (nodeid,))
"""


def fired(project, code):
    project({"advisor.toml": 'dialect = "postgres"\n', "store.py": textwrap.dedent(code)})
    found = engine.check(["."]).active
    return [f.location.line for f in found if catalogue.lookup(f.rule).name == "sql-string-building"]


def test_names_of_the_schema_in_fragments_are_no_values(project):
    assert fired(project, STORE) == []


@pytest.mark.parametrize("old, new", [
    # a value after the qualified name, not in its place
    ("' and %s.%s=%s.id and %s.__retired__=0' % (tn, lid, tn2, tn2)",
     "' and %s.%s=%s and %s.__retired__=0' % (tn, lid, nodeid, tn2)"),
    # a class name the caller passes, not the schema's
    ("tn2 = '_' + prop.classname", "tn2 = '_' + str(nodeid)"),
])
def test_a_value_in_the_same_fragment_is_still_one(project, old, new):
    assert old in STORE
    assert fired(project, STORE.replace(old, new)) == [10]


@pytest.mark.parametrize("before, after, name", [
    ("select id from _", "", True),  # glued to a word: one name
    ("where nodeid=%s", "", False),  # after a placeholder: its `s` is no word the piece joins
    ("where nodeid=%(id)s", " and x", False),
    ("where m.", "", True),
])
def test_a_placeholder_is_no_word_a_piece_is_glued_to(before, after, name):
    assert name_position(before, after) is name
