"""The no-index-declarations note never reads as "none is declared" where advisor saw declarations it could not
tie to a name (fiftyone's repositories create their indexes on `self._collection`, a collection the class is given,
while database.py queries `conn.execution_store`; hyperopt's MongoJobs is given its jobs collection): it says which
collections it could not name, and where declarations stand on them."""

from advisor import catalogue, engine

REPO = """\
import pymongo
from pymongo import IndexModel


class JobRepo:
    COLLECTION_NAME = "jobs"

    def __init__(self, collection):
        self._collection = collection
        self._collection.create_indexes([IndexModel([("state", pymongo.ASCENDING)])])

    def due(self, state):
        return self._collection.find({"owner": state})
"""

ADMIN = """\
import pymongo


def stuck(db, state):
    return list(db.jobs.find({"state": state, "worker": None}).limit(10))


def audit(db, who):
    return list(db.audit.find({"who": who}).limit(10))
"""


def _note(project, files):
    project(files)
    found = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "no-index-declarations"]
    assert len(found) == 1
    return found[0].message


def test_declarations_on_a_collection_advisor_could_not_name_are_said(project):
    message = _note(project, {"repo.py": REPO, "admin.py": ADMIN})
    assert "jobs (" in message and "audit (" in message
    # the repository's declaration stands on the collection its class is given: named where it stands
    assert (
        "1 index declaration stands on collections advisor could not name (JobRepo._collection at repo.py:10)"
        in message
    )


BOOT = """\
from pymongo import MongoClient

db = MongoClient()["app"]


def boot(names):
    for collection_name in ["workflows", "triggers"]:
        db[collection_name].create_index("id", unique=True)
    for collection_name in names:
        db.get_collection(collection_name).create_index("type")


def per_field(fields):
    for collection_name, field in fields:
        db[collection_name].create_index(field)


def jobs(state):
    return list(db.jobs.find({"state": state}).limit(10))


def flows(name):
    return list(db.workflows.find({"name": name}).limit(10))
"""


def test_each_place_a_collection_is_named_at_run_time_is_one_declaration(project):
    # nmdc-runtime 2.19.0's api/main.py (holdout 34): a loop over a literal list names its collections, each
    # declared; `db.get_collection(name)` and `db[name]` in two other functions are two places advisor could not name
    message = _note(project, {"advisor.toml": 'large-tables = ["*"]\n', "boot.py": BOOT})
    assert message.startswith("advisor found no index declaration for the jobs collection")  # workflows: declared
    assert message.endswith(
        "2 index declarations stand on collections advisor could not name (<collection_name> at boot.py:10; "
        "<collection_name> at boot.py:15), which may be some of these"
    )


STORE = """\
import pymongo


class Store:
    def __init__(self, collection):
        self._collection = collection

    def get(self, key):
        return self._collection.find_one({"key": key, "kind": "x"})
"""


def test_a_collection_a_class_is_given_is_said_to_be_unnamed(project):
    message = _note(project, {"store.py": STORE})
    assert message.startswith(
        "advisor found no index declaration for the Store._collection collection (a collection its class is given, "
        "which advisor could not name), so it cannot tell"
    )


def test_without_such_declarations_the_note_is_as_before(project):
    message = _note(project, {"admin.py": ADMIN})
    assert "could not name" not in message
    assert message.startswith("advisor found no index declaration for 2 collections")


def test_the_count_is_of_the_queries_advisor_could_otherwise_judge(project):
    # databroker 1.2.5's header collection (holdout 59): of 7 queries read, 6 filter on a query the caller gives
    # (`{"$and": [self._query, {"uid": name}]}`), which no plan is judged on: the count is the 1 it would judge
    partial = ADMIN + "\n\ndef search(db, query, name):\n    return db.jobs.find_one({\"$and\": [query, {\"uid\": name}]})\n"
    message = _note(project, {"admin.py": partial})
    assert "stayed silent on the ones it could otherwise judge: jobs (1 query, first at admin.py:5)" in message


def test_what_advisor_could_not_name():
    from advisor.sources.mongo_names import unnamed

    assert unnamed("MongoJobs.jobs") and unnamed("this.col") and unnamed("Repo._collection") and unnamed("<name>")
    # named: a plain collection, a sub-collection, a GridFS bucket's own collections under a capitalised bucket name
    assert not any(unnamed(c) for c in ("jobs", "fs.files", "Photos.files", "Photos.chunks", "config.system"))


def test_each_declaration_of_one_call_is_counted(project):
    """splitgill's `create_indexes([IndexModel(id), IndexModel(version)])` on a collection its class is given: two
    declarations in one call (holdout 109: "1 index declaration" was wrong)."""
    repo = REPO.replace(
        'IndexModel([("state", pymongo.ASCENDING)])])',
        'IndexModel([("state", pymongo.ASCENDING)]), IndexModel([("owner", 1)])])',
    )
    message = _note(project, {"repo.py": repo, "admin.py": ADMIN})
    assert "2 index declarations stand on collections advisor could not name (JobRepo._collection at repo.py:10)" in (
        message
    )
