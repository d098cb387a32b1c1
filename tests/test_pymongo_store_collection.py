"""Holdout 46 (jobflow-remote): a class keeps the collection a store object it is given holds
(`self.jobs = self.queue_store._collection`), declares its indexes as key lists (`["state", "remote.x"]`), and
adds the indexes its caller names (`for idx in job_custom_indexes: create_index(idx)`). The collection is the
class's (`JobController.jobs`), a list of plain keys is a compound index ascending, and a declaration whose keys
the run supplies keeps the planner's claims back, said once in the incomplete-schema note."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

CONTROLLER = """
import pymongo


class JobController:
    def __init__(self, queue_store, flows_collection: str = "flows"):
        self.queue_store = queue_store
        self.db = self.queue_store._collection.database
        self.jobs = self.queue_store._collection
        self.flows = self.db[flows_collection]

    def build_indexes(self, custom=None):
        self.jobs.create_index("db_id", unique=True)
        self.jobs.create_index(["state", "remote.retry_time_limit"])
{custom}
    def by_host(self, flow_uuid):
        return list(self.jobs.find({{"job.hosts": flow_uuid}}).skip(20).limit(10))

    def ready(self):
        return self.jobs.find_one({{"state": "READY", "remote.retry_time_limit": None}})
"""
NO_CUSTOM = ""
CUSTOM = "        for idx in custom or []:\n            self.jobs.create_index(idx)\n"


def test_a_store_objects_collection_is_the_class_members(project):
    project({"jc.py": CONTROLLER.format(custom=NO_CUSTOM)})
    loaded = load_project(["."], Options())
    assert {(q.location.line, q.collection) for q in loaded.other_queries} == {
        (16, "JobController.jobs"),
        (19, "JobController.jobs"),
    }
    keys = {i.name: [(k.expr, k.desc) for k in i.keys] for i in loaded.schema.indexes}
    assert keys["state_1_remote.retry_time_limit_1"] == [("state", False), ("remote.retry_time_limit", False)]


def claims(found) -> list[tuple[str, int]]:
    return sorted((catalogue.lookup(f.rule).name, f.location.line) for f in found)


def test_the_scan_is_claimed_when_every_declaration_is_read(project):
    project({"jc.py": CONTROLLER.format(custom=NO_CUSTOM)})
    found = engine.check(["."]).active
    assert ("collection-scan", 16) in claims(found)  # job.hosts: no index; the ready lookup is served
    assert not [f for f in found if catalogue.lookup(f.rule).name == "incomplete-schema"]


def test_a_declaration_the_run_supplies_keeps_the_claims_back_and_says_so_once(project):
    project({"jc.py": CONTROLLER.format(custom=CUSTOM)})
    found = engine.check(["."]).active
    assert "collection-scan" not in {name for name, _ in claims(found)}
    notes = [f for f in found if catalogue.lookup(f.rule).name == "incomplete-schema"]
    assert len(notes) == 1
    assert "could not read the keys of the index declaration at jc.py:15, on JobController.jobs" in notes[0].message
    assert "collection-scan" in notes[0].message and notes[0].location.line == 15


def test_a_js_list_of_plain_keys_is_a_compound_index(project):
    project(
        {
            "db.js": 'const { MongoClient } = require("mongodb");\n'
            'async function init(db) { await db.collection("jobs").createIndex(["queue", "runAt"]); }\n'
            "module.exports = { init };\n"
        }
    )
    indexes = load_project(["."], Options()).schema.indexes
    assert [(i.table, [k.expr for k in i.keys]) for i in indexes] == [("jobs", ["queue", "runAt"])]
