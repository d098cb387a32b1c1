"""pymongo recall: a collection handed to a constructor and kept on `self` (hyperopt/mongoexp.py's
`MongoJobs(db, jobs, ...)`, built by its classmethods as `cls(db, db[jobs_coll], ...)`; counted in
benchmarks/realworld/recall.md, holdout 5), each from a minimal snippet shaped like the real code."""

from advisor.mongo.shape import MongoQuery
from advisor.sources import extract

JOBS = """\
class Jobs:
    def __init__(self, db, jobs, gfs=None):
        self.db = db
        self.jobs = jobs

    @classmethod
    def alloc(cls, db, jobs_coll="jobs"):
        return cls(db, db[jobs_coll])

    def running(self):
        return list(self.jobs.find(filter=dict(state=1)))

    def reserve(self, host):
        return self.jobs.find_and_modify({"owner": None}, {"$set": {"owner": host}}, sort=[("_id", 1)])

    def count(self, name):
        return self.name.find(name)


def main(db):
    jobs = Jobs.alloc(db)
    return jobs.jobs.find_one({"state": 2})
"""


def shapes(text, path="jobs.py"):
    return [
        (q.location.line, q.collection, q.operation, q.filter)
        for q in extract(path, text).queries
        if isinstance(q, MongoQuery)
    ]


def test_a_constructor_parameter_the_module_passes_a_collection_for_is_one_collection_per_instance():
    assert shapes(JOBS) == [
        (11, "Jobs.jobs", "find", {"state": 1}),  # dict(state=1) is the document {"state": 1}
        (14, "Jobs.jobs", "find_and_modify", {"owner": None}),
        (22, "Jobs.jobs", "find_one", {"state": 2}),  # an instance the classmethod builds: its member
    ]  # self.name.find(name): no collection is passed for `name`, so str.find is no query


def test_the_legacy_find_and_modify_reads_its_sort():
    q = next(q for q in extract("jobs.py", JOBS).queries if q.operation == "find_and_modify")
    assert q.sort == {"_id": 1}


def test_one_literal_collection_at_every_construction_site_names_it():
    text = JOBS.replace("cls(db, db[jobs_coll])", "cls(db, db.jobs)")
    assert {c for _, c, _, _ in shapes(text)} == {"jobs"}
    mixed = text + "\n\ndef other(db):\n    return Jobs(db, db.other)\n"
    assert {c for _, c, _, _ in shapes(mixed)} == {"Jobs.jobs"}  # two collections: one per instance


def test_a_parameter_no_site_passes_a_collection_for_stays_unread():
    text = JOBS.replace("cls(db, db[jobs_coll])", "cls(db, [])").replace("jobs.jobs.find_one", "jobs.find_one")
    assert shapes(text) == []


def test_the_planner_judges_the_per_instance_collection_against_its_own_declarations(tmp_path, monkeypatch):
    from advisor import engine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.toml").write_text('large-tables = ["*"]\n')  # collections that grow (unknown-size)
    (tmp_path / "jobs.py").write_text(
        JOBS.replace(
            "        self.jobs = jobs\n", "        self.jobs = jobs\n        self.jobs.create_index('owner')\n"
        )
    )
    found = [(f.rule, f.location.line, f.message) for f in engine.check(["."]).active]
    scans = [(line, m) for r, line, m in found if r == "MGO001"]
    assert [line for line, _ in scans] == [12, 23]  # state: no index; the reservation by owner is served
    assert "indexes: owner_1" in scans[0][1]


# inginious/frontend/user_manager.py (holdout 10): the Database kept in `self._database`
MANAGER = """\
class UserManager:
    def __init__(self, database, superadmins):
        self._database = database
        self._store = None

    def get_user(self, username):
        return self._database.users.find_one({"username": username})

    def loose(self, key):
        return self._store.find(key)


class Cache:
    def __init__(self, store):
        self._store = store

    def entry(self, key):
        return self._store.entries.find_one({"key": key})


def make(client):
    return Cache(client.get_database("cache"))


def save(app, sid):
    app.user_manager._database.lti_sessions.find_one_and_update({"session_id": sid}, {"$set": {"a": 1}})
"""


def test_a_member_assigned_a_database_holds_one_whatever_its_name():
    assert [(line, c, op) for line, c, op, _ in shapes(MANAGER, "user_manager.py")] == [
        (7, "users", "find_one"),  # self._database = database: a parameter named as a Database
        (18, "entries", "find_one"),  # self._store = store, every construction passing a Database
        (26, "lti_sessions", "find_one_and_update"),  # `_database` on another object: named as one
    ]  # self._store.find(key) in UserManager: its _store is None, no Database


def test_a_database_named_for_what_it_holds_is_one():
    text = (
        "class QueueController:\n"
        "    def __init__(self, driver):\n"
        "        self._collection = self.driver.queues_database.queues\n\n"
        "    def get(self, name):\n"
        "        return self._collection.find_one({'p_q': name})\n"
    )  # zaqar storage/mongodb/queues.py (holdout 10): a database per collection family
    assert [(line, c, op) for line, c, op, _ in shapes(text, "queues.py")] == [(6, "queues", "find_one")]


PARTITIONS = """\
class MessageController:
    def __init__(self, driver):
        self._collections = [db.messages for db in self.driver.message_databases]
        self._others = [x.messages for x in self.driver.hosts]
        for collection in self._collections:
            self._ensure_indexes(collection)

    def _ensure_indexes(self, collection):
        collection.create_index([("q", 1)], name="queue")

    def _collection(self, queue_name, project=None):
        return self._collections[hash(queue_name) % 4]

    def first(self, queue_name):
        return self._collection(queue_name).find_one({"q": queue_name})

    def other(self, queue_name):
        return self._others[0].find_one({"q": queue_name})
"""


def test_a_list_of_one_collection_per_partition_database_is_that_collection():
    # zaqar storage/mongodb/messages.py (holdout 10); `hosts` is no list of databases
    assert [(line, c, op) for line, c, op, _ in shapes(PARTITIONS, "messages.py")] == [(15, "messages", "find_one")]
    declared = extract("messages.py", PARTITIONS).indexes  # each partition's, through the loop over them
    assert [(i.location.line, i.table, i.name) for i in declared] == [(9, "messages", "queue")]


def test_a_key_held_in_a_constant_is_the_key_its_index_declaration_names():
    text = (
        "from zaqar.storage.mongodb import utils\n"
        "PROJ_QUEUE = utils.PROJ_QUEUE_KEY\n"
        "CLAIMED = [(PROJ_QUEUE, 1), ('c.id', 1)]\n\n"
        "def setup(db):\n"
        "    db.messages.create_index(CLAIMED, name='claimed')\n\n"
        "def unclaim(db, scope, cid):\n"
        "    db.messages.update_many({PROJ_QUEUE: scope, 'c.id': cid}, {'$set': {'c': None}})\n"
    )  # zaqar storage/mongodb/messages.py (holdout 10): the key was dropped, so the index looked unusable
    src = extract("messages.py", text)
    (q,) = src.queries
    (ix,) = src.indexes
    assert list(q.filter) == [ix.keys[0].expr, "c.id"] == ["utils.PROJ_QUEUE_KEY", "c.id"]  # named as written


# alerta/database/backends/mongodb/base.py (corpus): queries on `self.get_db().alerts`, whose Database the
# project settles once every file is read (advisor.sources.links), keep the function they are written in
BACKEND = """\
from pymongo import MongoClient


class Backend:
    def get_db(self):
        return self.client[self.dbname]

    def create_indexes(self):
        self.get_db().alerts.create_index([("environment", 1), ("resource", 1)])

    def get_alert(self, resource):
        return self.get_db().alerts.find_one({"environment": "prod", "resource": resource})

    def get_expired(self, threshold):
        return list(self.get_db().alerts.find({"status": "expired", "timeout": threshold}))

    def get_open(self):
        return list(self.get_db().alerts.find({"status": "open"}).limit(50))
"""


def test_a_query_on_a_database_a_method_gives_keeps_its_scope(tmp_path, monkeypatch):
    from advisor import engine
    from advisor.loader import load_project
    from advisor.options import Options

    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.toml").write_text('large-tables = ["*"]\n')  # collections that grow (unknown-size)
    (tmp_path / "backend.py").write_text(BACKEND)
    project = load_project(["."], Options())
    scopes = {q.location.line: q.scope for q in project.other_queries}
    assert scopes == {12: ("get_alert", "Backend"), 15: ("get_expired", "Backend"), 18: ("get_open", "Backend")}
    scans = [f.location.line for f in engine.check(["."]).active if f.rule == "MGO001"]
    assert scans == [18]  # get_expired is named as a maintenance pass (advisor.oneoff): not workload


def test_a_private_member_of_a_database_holder_is_no_collection_named_so():
    # jaraco.mongodb's repair-gridfs reads GridFS's own collections through its private members: pymongo gives
    # no collection for `db._x` (AttributeError), so `_GridFS__files` names nothing advisor knows (holdout 16)
    src = extract("repair.py", """\
import gridfs


class FileRepair:
    def __init__(self, gfs):
        self.gfs = gfs

    def handle(self, spec):
        for doc in self.gfs._GridFS__files.find(spec):
            print(doc)
        return self.gfs.files.find_one(spec)


def run(db):
    FileRepair(db).handle({})
""")
    names = [(q.location.line, q.collection, q.sketch) for q in src.queries if isinstance(q, MongoQuery)]
    assert names == [(9, "<self.gfs._GridFS__files>", True), (11, "files", False)]


TAGS = """\
from pymongo import ASCENDING
import fiftyone.core.odm as foo

TAGS = "tags"


def _get_or_create_collection():
    collection = foo.get_db_conn()[TAGS]
    _ensure_indexes(collection)
    return collection


def count(sample_id):
    return _get_or_create_collection().count_documents({"_sample_id": sample_id})


def _ensure_indexes(collection) -> None:
    collection.create_index([("_sample_id", ASCENDING), ("kind", ASCENDING)], name="by_sample")


def labels(doc):
    return to_db_dict(doc)["labels"].find("x")
"""


def test_a_function_named_as_giving_a_database_gives_one():
    # fiftyone core/tags.py (holdout 17): `foo.get_db_conn()[TAGS]` handed to the helper declaring its indexes;
    # the coverage note said tags had no index declaration
    src = extract("tags.py", TAGS)
    assert [(q.location.line, q.collection, q.operation) for q in src.queries] == [(14, "tags", "count_documents")]
    assert [(i.location.line, i.table, i.name) for i in src.indexes] == [(18, "tags", "by_sample")]
    # to_db_dict(doc)["labels"] is a dict's item: named with `db`, but not as a getter of one


CLIENT = """\
from pymongo import MongoClient

OPTIONS = "options"


class Client:
    def __init__(self, mongo_client: MongoClient):
        self.mongo_client = mongo_client

    def get_mongo_database(self):
        return self.mongo_client.get_database("sg")

    def options_collection(self):
        return self.get_mongo_database().get_collection(OPTIONS)


class Database:
    def __init__(self, name, client: Client, other):
        self._client = client
        self._other = other
        self.options = self._client.options_collection()
        self.guessed = self._other.options_collection()

    def pending(self):
        return self.options.find_one({"version": None})

    def elsewhere(self):
        return self.guessed.find_one({"version": None})
"""


def test_a_method_of_an_instance_the_annotation_names_gives_its_collection():
    """splitgill's `self.options_collection = self._client.get_options_collection()` with `client: SplitgillClient`
    a class of the module (holdout 109): the method's return names the collection. An unannotated parameter's
    object may be anything: not followed."""
    found = shapes(CLIENT, "manager.py")
    assert (25, "options", "find_one", {"version": None}) in found
    assert (28, "Database.guessed", "find_one", {"version": None}) in found
