"""A filter key the code takes from a name that is no constant (holdout 66's pysaml2: `MDB.primary_key = "mdb"`,
which each subclass sets again, then `self.db.find({self.primary_key: key})` in the base class; a key a parameter
names) tests a field known only at run time: the filter is a sketch (partial), as an f-string key is. A constant's
name (`{QUEUE_KEY: ...}`) and a name the module binds to a literal stay the key."""

import pytest

from advisor.mongo.shape import MongoQuery
from advisor.sources import extract

STORE = """\
import pymongo

QUEUE_KEY = "queue"
field_name = "owner"


class MDB:
    primary_key = "mdb"

    def __init__(self, db):
        self.db = db["store"]

    def has(self, key):
        return list(self.db.find({{{key}: key}}))


class IdentMDB(MDB):
    primary_key = "user_id"
"""


def partial(key):
    found = [q for q in extract("store.py", STORE.format(key=key)).queries if isinstance(q, MongoQuery)]
    assert [q.location.line for q in found] == [14]
    return found[0].partial


@pytest.mark.parametrize(("key", "sketch"), [
    ("self.primary_key", True),  # each subclass says which field
    ("self.session_key", False),  # a member the instance keeps: as written, as its index declaration writes it
    ("cls_key", True),  # not bound in the module: unknown
    ("key", True),  # the parameter: the caller's field
    ("QUEUE_KEY", False),  # a constant, as index declarations name it too
    ("field_name", False),  # bound once to a literal
    ('"user_id"', False),
])
def test_a_key_from_a_name_that_is_no_constant_makes_the_filter_a_sketch(key, sketch):
    assert partial(key) is sketch


def test_a_class_attribute_an_object_is_given_again_is_no_one_field():
    # pysaml2's IdentMDB: `self.mdb = MDB(database, collection)`, then `self.mdb.primary_key = "user_id"`
    text = STORE.format(key="self.primary_key").replace(
        'class IdentMDB(MDB):\n    primary_key = "user_id"\n',
        'class IdentMDB:\n    def __init__(self, db):\n        self.mdb = MDB(db)\n        self.mdb.primary_key = "user_id"\n',
    )
    (found,) = [q for q in extract("store.py", text).queries if isinstance(q, MongoQuery)]
    assert found.partial
