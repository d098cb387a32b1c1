"""pymongo recall: sub-collections (`coll.versions`, pymongo's "<coll>.versions") of a collection held on
`self` whose own name the module cannot know, driver methods called through a retry wrapper
(`retry(coll.delete_one)(flt)`), bulk operations appended to a list, and the server's own databases
(arctic 1.82.2's VersionStore and TickStore shapes, benchmarks/realworld/holdout7.md), each from a
minimal snippet written in the style of such code, with the near-misses that must stay unread."""

from advisor.mongo.shape import MongoQuery
from advisor.sources import extract

STORE = """\
import pymongo

from .retrying import retry


class RevisionStore(object):

    def __init__(self, library):
        self._library = library
        self._reset()

    @retry
    def _reset(self):
        self._collection = self._library.get_library_collection()
        self._revisions = self._collection.revisions
        self._counters = self._collection.counters

    @retry
    def _ensure_index(self):
        coll = self._collection
        coll.revisions.create_index([('key', pymongo.ASCENDING), ('rev', pymongo.DESCENDING)], unique=True)
        coll.counters.create_index('key', unique=True)

    def latest(self, key, secondary=False):
        revisions = self._revisions.with_options(read_preference=None)
        return revisions.find_one({'key': key}, sort=[('rev', pymongo.DESCENDING)])

    def bump(self, key):
        return retry(self._counters.find_one_and_update)({'key': key}, {'$inc': {'rev': 1}}, upsert=True)

    def drop(self, doc_id):
        retry(self._revisions.delete_one)({'_id': doc_id})
        retry(self._revisions.insert_one)({'_id': doc_id})

    def chunks(self, key):
        return self._collection.find({'key': key})

    def audit(self):
        store = self
        return store._collection.revisions.find_one({'owner': 'admin'})
"""


def shapes(text, path="store.py"):
    return [
        (q.location.line, q.collection, q.operation, q.sketch)
        for q in extract(path, text).queries
        if isinstance(q, MongoQuery)
    ]


def indexes(text, path="store.py"):
    return [(ix.location.line, ix.table, ix.name) for ix in extract(path, text).indexes]


def test_a_sub_collection_of_a_collection_held_on_self_is_the_members_wherever_it_is_reached():
    assert shapes(STORE) == [
        (26, "RevisionStore._collection.revisions", "find_one", False),  # through with_options and a variable
        (29, "RevisionStore._collection.counters", "find_one_and_update", False),  # retry(coll.method)(...)
        (32, "RevisionStore._collection.revisions", "delete_one", False),
        (36, "RevisionStore._collection", "find", False),  # the parent itself: what the given library gives
        (40, "RevisionStore._collection.revisions", "find_one", False),  # `store = self`: the same member
    ]  # retry(...insert_one)(doc): no filter, no query


def test_index_declarations_on_the_sub_collection_meet_its_queries():
    assert indexes(STORE) == [
        (21, "RevisionStore._collection.revisions", "key_1_rev_-1"),  # `coll = self._collection` first
        (22, "RevisionStore._collection.counters", "key_1"),
    ]


def test_two_classes_holding_their_own_collection_have_their_own_sub_collections():
    other = STORE.replace("RevisionStore", "TickStore").replace("_library.get", "_library.get")
    text = STORE + "\n\n" + other.split("\n", 4)[4]
    names = {c for _, c, _, _ in shapes(text)}
    assert "RevisionStore._collection.revisions" in names and "TickStore._collection.revisions" in names


def test_near_misses_stay_unread_or_named_at_run_time():
    text = """\
import pymongo


class Store:
    def __init__(self, lib):
        self._collection = lib.get_library_collection()

    def hidden(self):
        return self._collection._state.find_one({'a': 1})

    def name(self):
        return self._collection.name.find('.')

    def partial(self, flt):
        import functools
        return functools.sketch(self._collection.versions.find, flt)()


def purge(coll, cutoff):
    return coll.archive.delete_many({'at': {'$lt': cutoff}})
"""
    # `_state`: pymongo gives no sub-collection for a name starting with "_"; `.name` is a str;
    # functools.sketch(coll.find, flt)() passes its own argument: not the driver's call as written
    # a sub-collection of a parameter: another collection per call, named at run time (a sketch)
    assert shapes(text) == [(20, "<coll.archive>", "delete_many", True)]


def test_without_a_driver_import_a_collection_method_or_parameter_is_another_librarys():
    text = """\
class Index:
    def __init__(self, client, name):
        self.coll = client.get_or_create_collection(name)

    def size(self):
        return self.coll.count()

    def near(self, vector):
        return self.coll.meta.find({'v': vector})


def clear(collection, ids):
    collection.delete_many({'id': {'$in': ids}})
"""
    assert shapes(text) == []
    assert [c for _, c, _, _ in shapes("import pymongo\n" + text)] == [
        "<client.get_or_create_collection(name)>",
        "<Index.coll>.meta",
        "<collection>",  # a parameter named `collection` in a pymongo module, no caller here
    ]


def test_a_collection_s_database_and_the_server_s_own_databases():
    text = """\
import pymongo


def stats(coll, name):
    db = coll.database
    conn = db.connection
    shards = conn.config.databases.find_one({'_id': db.name})
    same = db.other.find_one({'k': name})
    return shards, same


def stats2(users_collection):
    return users_collection.database.client.admin.system.users.find({'user': 'x'})
"""
    got = shapes(text)
    assert got[0] == (7, "config.databases", "find_one", True)  # the server's metadata: a sketch
    assert got[1] == (8, "other", "find_one", False)
    assert got[2][1:] == ("admin.system.users", "find", True)


def test_bulk_operations_appended_to_a_list_are_read_once_per_distinct_operation():
    text = """\
import pymongo


def write(collection, segments, version):
    ops = []
    for seg in segments:
        spec = {'key': seg['key'], 'hash': seg['hash']}
        if seg['new']:
            ops.append(pymongo.UpdateOne(spec, {'$set': seg}, upsert=True))
        else:
            ops.append(pymongo.UpdateOne(spec, {'$addToSet': {'parent': version}}))
    ops.extend([pymongo.DeleteMany({'parent': version, 'stale': True})])
    ops.append(pymongo.InsertOne({'k': 1}))
    if ops:
        collection.bulk_write(ops, ordered=False)
"""
    q = [x for x in extract("w.py", text).queries if isinstance(x, MongoQuery)]
    assert [(x.location.line, x.operation) for x in q] == [(15, "update_one"), (15, "delete_many")]
    assert q[0].filter == {"key": q[0].filter["key"], "hash": q[0].filter["hash"]}


def test_the_planner_judges_a_sub_collection_against_its_own_declarations(tmp_path, monkeypatch):
    from advisor import engine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.toml").write_text('large-tables = ["*"]\n')  # collections that grow (unknown-size)
    extra = "\n    def by_owner(self, owner):\n        return self._revisions.find_one({'owner': owner, 'rev': 3})\n"
    extra += "\n    def last(self, key):\n        return self._collection.notes.find_one({'owner': key})\n"
    (tmp_path / "store.py").write_text(STORE + extra)
    found = [(f.rule, f.location.line, f.message) for f in engine.check(["."]).active]
    scans = [(line, m) for r, line, m in found if r == "MGO001"]
    assert [line for line, _ in scans] == [40, 43]  # owner: no index on revisions; latest(key) is served
    assert "RevisionStore._collection.revisions" in scans[0][1] and "key_1_rev_-1" in scans[0][1]
    notes = [m for r, _, m in found if r == "MGO015"]  # notes: no declaration, so no scan claimed, one note
    assert len(notes) == 1 and "RevisionStore._collection.notes" in notes[0]


def test_a_sub_collection_of_a_member_a_base_class_in_another_file_holds(tmp_path, monkeypatch):
    from advisor.loader import load_project
    from advisor.options import Options

    (tmp_path / "base.py").write_text(
        "import pymongo\n\n\nclass Base(object):\n    def _reset(self):\n"
        "        self._collection = self._db.jobs\n        self._log = self._collection.log\n"
    )
    (tmp_path / "worker.py").write_text(
        "import pymongo\n\nfrom .base import Base\n\n\nclass Worker(Base):\n    def recent(self, key):\n"
        "        return self._collection.log.find_one({'key': key})\n\n"
        "\nclass Other(object):\n    def recent(self, key):\n        return self._collection.log.find_one({'key': key})\n"
    )
    monkeypatch.chdir(tmp_path)
    project = load_project(["."], Options())
    got = [(q.location.line, q.collection) for s in project.sources for q in s.queries]
    assert got == [(8, "jobs.log"), (13, "<Other._collection.log>")]  # Other is no Base: its own, named at run time
