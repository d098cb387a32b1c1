"""Which collection a name is, and where a project keeps its index declarations, across classes and
files (issue 11, items 3 and 4): each mechanism from a snippet shaped like the real code it was seen in
(benchmarks/realworld/recall.md, "Holdout 2"), with the near-misses that must not match."""

from advisor.mongo.shape import MongoQuery
from advisor.sources import extract


def mongo(src):
    return [q for q in src.queries if isinstance(q, MongoQuery)]


def shapes(src):
    return [(q.location.line, q.collection, q.operation) for q in mongo(src)]


def indexes(src):
    return [(i.table, i.name, i.method) for i in src.indexes]


# --- a member of one class, a property of another (fireworks fireworks/core/launchpad.py) -----------


LAUNCHPAD = """\
from pymongo import MongoClient


class LaunchPad:
    def __init__(self, host, name):
        self.db = MongoClient(host)[name]
        self.fireworks = self.db.fireworks
        self.launches = self.db.launches

    def tuneup(self, bkground=True):
        self.launches.create_index("launch_id", unique=True, background=bkground)
        self.launches.create_index("fw_id", background=bkground)

    def get_launch_by_id(self, launch_id):
        return self.launches.find_one({"launch_id": launch_id})


class LazyFirework:
    def __init__(self, fw_id, fw_coll, launch_coll):
        self.fw_id = fw_id

    @property
    def launches(self):
        return self._get_launch_data("launches")
"""


def test_a_member_is_read_in_its_own_class_not_from_a_property_of_another():
    src = extract("fireworks/core/launchpad.py", LAUNCHPAD)
    assert shapes(src) == [(15, "launches", "find_one")]
    assert indexes(src) == [("launches", "launch_id_1", "mongo"), ("launches", "fw_id_1", "mongo")]


def test_a_property_of_the_class_itself_or_its_base_still_names_the_collection():
    src = extract("store.py", """\
class Base:
    @property
    def jobs(self):
        return self.db.jobs


class Store(Base):
    def next(self):
        return self.jobs.find_one({"state": "ready"})


class Other:
    def next(self):
        return self.jobs.find_one({"state": "ready"})
""")
    # `Other` has no `jobs` of its own or from a base: its `self.jobs` is not Store's collection
    assert shapes(src) == [(9, "jobs", "find_one")]
