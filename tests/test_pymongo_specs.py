"""Collections declared as spec objects and reached through an instance of another module's class (pynenc-mongo,
holdout 19: 4 of its 97 call sites were read before).

    class JobCollections(MongoCollections):              # pkg/specs.py
        @cached_property
        def jobs(self):
            spec = CollectionSpec(name="jobs", indexes=[IndexModel([("job_id", ASCENDING)], unique=True), ...])
            return self.instantiate(spec)

    self.cols = JobCollections(conf)                     # pkg/queue.py, or `cols: JobCollections` given
    self.cols.jobs.find({...})

The spec names the collection and lists its indexes; the indexes are declared when the project applies some
spec's `.indexes` (`for index in spec.indexes: coll.create_indexes([index])`); a member of the instance is a
collection only when its class says so.
"""

from advisor import engine
from advisor.loader import load_project
from advisor.options import Options

SPECS = '''
from dataclasses import dataclass, field
from functools import cached_property

from pymongo import ASCENDING, IndexModel

from pkg.client import Client

EVENTS = "job_events"


@dataclass
class CollectionSpec:
    name: str
    indexes: list[IndexModel] = field(default_factory=list)


class BaseCollections:
    def __init__(self, conf):
        self.conf = conf

    def instantiate(self, spec):
        return Client.get(self.conf).get_collection(spec)


class JobCollections(BaseCollections):
    @cached_property
    def jobs(self):
        spec = CollectionSpec(
            name="jobs",
            indexes=[
                IndexModel([("job_id", ASCENDING)], unique=True),
                IndexModel([("status", ASCENDING)]),
            ],
        )
        return self.instantiate(spec)

    @cached_property
    def events(self):
        return self.instantiate(CollectionSpec(name=EVENTS, indexes=[IndexModel([("job_id", ASCENDING)])]))

    @property
    def label(self):
        return "jobs of " + self.conf.name
'''

CLIENT = '''
class Client:
    def __init__(self, client, name):
        self.db = client[name]

    def get_collection(self, spec):
        collection = self.db[spec.name]
        for index in spec.indexes:
            collection.create_indexes([shorten(index, spec.name)])
        return collection


def shorten(index, name):
    return index
'''

QUEUE = '''
from pkg.specs import JobCollections


class Queue:
    def __init__(self, conf):
        self.cols = JobCollections(conf)

    def pending(self, owner):
        return list(self.cols.jobs.find({"owner": owner, "status": "pending"}).sort("created_at", 1))

    def by_id(self, job_id):
        return self.cols.jobs.find_one({"job_id": job_id})

    def history(self, job_id):
        return list(self.cols.events.find({"job_id": job_id}))

    def where(self):
        return self.cols.label.find("of")


class Worker:
    def __init__(self, cols: JobCollections):
        self.cols = cols

    def done(self, owner):
        return self.cols.jobs.count_documents({"owner": owner, "status": "done"})
'''


def _queries(project, files):
    project(files)
    p = load_project(["."], Options())
    return sorted((q.collection, q.operation, q.location.line) for q in p.other_queries), p.schema


def test_queries_on_an_instances_members_are_on_the_collections_its_class_names(project):
    queries, _ = _queries(project, {"pkg/specs.py": SPECS, "pkg/client.py": CLIENT, "pkg/queue.py": QUEUE})
    assert queries == [
        ("job_events", "find", 15),  # the name a module constant gives
        ("jobs", "count_documents", 26),  # through a parameter annotated with the class
        ("jobs", "find", 9),
        ("jobs", "find_one", 12),
    ]  # `self.cols.label.find("of")`: a str's find, the member holds no collection


def test_a_specs_indexes_are_declared_when_the_project_applies_them(project):
    _, schema = _queries(project, {"pkg/specs.py": SPECS, "pkg/client.py": CLIENT, "pkg/queue.py": QUEUE})
    assert sorted((i.table, i.name) for i in schema.indexes) == [
        ("job_events", "job_id_1"),
        ("jobs", "job_id_1"),
        ("jobs", "status_1"),
    ]
    unapplied = CLIENT.replace("            collection.create_indexes([shorten(index, spec.name)])\n", "")
    _, schema = _queries(project, {"pkg/specs.py": SPECS, "pkg/client.py": unapplied, "pkg/queue.py": QUEUE})
    assert schema.indexes == []  # listed but never created: no index advisor may credit


def test_the_rules_read_the_specs_indexes(project):
    project({"advisor.toml": 'large-tables = ["*"]\n', "pkg/specs.py": SPECS, "pkg/client.py": CLIENT,
             "pkg/queue.py": QUEUE})
    found = sorted((f.rule, f.location.path, f.location.line) for f in engine.check(["."]).active)
    # the owner's pending jobs: the status index finds them, the sort by created_at is done in memory; the
    # lookup by job_id is served by its unique index, the history by the events' index
    assert found == [("MGO002", "pkg/queue.py", 9)]


def test_a_bulk_write_of_a_comprehension_reads_its_operation(project):
    # pynenc-mongo's trigger: bulk_write([ReplaceOne({"valid_condition_id": vc.id}, ..., upsert=True) for vc in ...])
    worker = QUEUE + '''

    def mark(self, found):
        ops = [ReplaceOne({"job_id": j.id}, {"job_id": j.id, "seen": True}, upsert=True) for j in found]
        self.cols.jobs.bulk_write(ops)
'''
    queries, _ = _queries(project, {"pkg/specs.py": SPECS, "pkg/client.py": CLIENT, "pkg/queue.py": worker})
    assert ("jobs", "replace_one", 31) in queries
