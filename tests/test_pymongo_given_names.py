"""A pymongo class given its collection's name by its caller, as holdout 42's task queue (mongo-taskqueue) is: the
constructor keeps the name (`self.name = name`), a property opens it (`self.db.get_collection(self.name)`), and the
class's own methods declare the indexes (`create_index(keys=[...])`) and make the queries on it, one of them
`find_one_and_update(..., sort=[...])`. Each instance holds one collection, so the class's indexes are the ones its
queries meet, whatever the deployment calls it. Written here in that style; nothing is copied."""

from advisor import catalogue, engine
from advisor.discovery import collect
from advisor.loader import load
from advisor.mongo.shape import MongoQuery
from advisor.options import Options

QUEUE = """\
from functools import cached_property

from pymongo import ASCENDING, DESCENDING, MongoClient


class Queue:
    def __init__(self, url, name, retries=3):
        self.url = url
        self.name = name
        self.retries = retries

    @cached_property
    def db(self):
        return MongoClient(self.url).get_database("q")

    @cached_property
    def jobs(self):
        return self.db.get_collection(self.name)

    def setup(self):
        self.jobs.create_index(keys=[("state", ASCENDING), ("due", ASCENDING), ("rank", DESCENDING)], background=True)
        self.jobs.create_index([("owner", ASCENDING)])

    def take(self, now, me):
        return self.jobs.find_one_and_update(
            filter={"state": "new", "due": {"$lte": now}},
            update={"$set": {"state": "taken", "owner": me}},
            sort=[("rank", DESCENDING)],
        )

    def mine(self, me):
        return list(self.jobs.find({"owner": me}))

    def of_kind(self, kind):
        return list(self.jobs.find({"kind": kind}))
"""

FILES = {"q/__init__.py": "", "q/queue.py": QUEUE, "advisor.toml": 'large-tables = ["*"]\n'}


def _queries(loaded, path):
    return [q for s in loaded.sources if s.path == path for q in s.queries if isinstance(q, MongoQuery)]


def test_the_queries_and_indexes_of_a_class_given_its_collection_meet_on_it(project):
    project(FILES)
    loaded = load(collect(["."], Options())[0])
    assert [(q.location.line, q.collection, q.sketch) for q in _queries(loaded, "q/queue.py")] == [
        (25, "Queue.jobs", False),
        (32, "Queue.jobs", False),
        (35, "Queue.jobs", False),
    ]
    indexes = [(i.table, [k.expr for k in i.keys]) for i in loaded.schema.indexes if i.method == "mongo"]
    assert indexes == [("Queue.jobs", ["state", "due", "rank"]), ("Queue.jobs", ["owner"])]
    take = _queries(loaded, "q/queue.py")[0]
    assert take.sort == {"rank": -1}  # find_one_and_update's sort: the server orders every match for it


def test_its_claims_are_the_ones_its_code_makes_true(project):
    project(FILES)
    found = sorted(
        (f.location.path, f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active
    )
    # the take sorts in memory (a range on due before rank, at its sort); the owner lookup has its index; no index
    # starts with kind
    assert found == [("q/queue.py", 28, "in-memory-sort"), ("q/queue.py", 35, "collection-scan")], found


def test_a_name_the_class_changes_or_takes_from_elsewhere_stays_unknown(project):
    changed = QUEUE.replace(
        "    def setup(self):", "    def rename(self, other):\n        self.name = other\n\n    def setup(self):"
    )
    project({**FILES, "q/queue.py": changed})
    loaded = load(collect(["."], Options())[0])
    assert {q.sketch for q in _queries(loaded, "q/queue.py")} == {True}  # set twice: not what one caller gave
    found = [catalogue.lookup(f.rule).name for f in engine.check(["."]).active]
    assert "in-memory-sort" not in found and "collection-scan" not in found, found


def test_another_class_of_the_same_shape_holds_another_collection(project):
    setup = QUEUE[QUEUE.index("    def setup(self):") : QUEUE.index("    def take(")]
    other = QUEUE.replace("class Queue:", "class Archive:").replace(setup, "")
    project({**FILES, "q/archive.py": other})
    loaded = load(collect(["."], Options())[0])
    assert {q.collection for q in _queries(loaded, "q/archive.py")} == {"Archive.jobs"}
    # Archive declares no index of its own: Queue's do not serve it, and advisor says it saw none
    found = {(f.location.path, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active}
    assert ("q/archive.py", "no-index-declarations") in found, found
    assert not any(path == "q/archive.py" and rule in ("in-memory-sort", "collection-scan") for path, rule in found)


STORE = """\
class VersionStore:
    def __init__(self, lib):
        self._lib = lib
        self._reset()

    def _reset(self):
        self._coll = self._lib.top_level_collection()
        self._versions = self._coll.versions

    def ensure(self):
        self._versions.create_index([("symbol", 1), ("version", -1)])

    def read(self, symbol):
        return self._versions.find_one({"symbol": symbol}, sort=[("version", -1)])

    def by_parent(self, parent):
        return list(self._versions.find({"parent": parent}))
"""


def test_what_the_object_a_constructor_is_given_gives_is_one_collection_per_instance(project):
    """As holdout 5's arctic keeps `self._collection = self._arctic_lib.get_top_level_collection()`: nothing but
    the given object decides it, so the class's index declarations and queries meet on it (and its sub-collections)."""
    project({"q/__init__.py": "", "q/store.py": "import pymongo\n" + STORE, "advisor.toml": 'large-tables = ["*"]\n'})
    loaded = load(collect(["."], Options())[0])
    named = [(q.location.line, q.collection, q.sketch) for q in _queries(loaded, "q/store.py")]
    assert named == [
        (15, "VersionStore._coll.versions", False),
        (18, "VersionStore._coll.versions", False),
    ], named
    found = sorted(
        (f.location.line, catalogue.lookup(f.rule).name)
        for f in engine.check(["."]).active
        if catalogue.lookup(f.rule).name in ("collection-scan", "in-memory-sort")
    )
    assert found == [(18, "collection-scan")], found  # read by symbol has its index; by parent has none
