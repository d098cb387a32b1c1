"""A collection a Python class's constructor is given and keeps (`self.collection = collection`), named by what
the class's calls in the project pass (holdout 24: mrq's Scheduler, built by the worker as
`Scheduler(self.mongodb_jobs.mrq_scheduled_jobs, ...)`: 0 of its 5 query sites read). A base class's
`__init__` run from a subclass (`super().__init__()`, `Queue.__init__(self)`) is a call of that base's only.
Snippets are written here in that style; none is copied from mrq."""

from advisor.mongo.shape import MongoQuery
from advisor.sources import extract
from advisor.sources.links import link

SCHEDULER = """\
class Scheduler(object):
    def __init__(self, collection, tasks):
        self.collection = collection
        self.tasks = tasks

    def sync(self):
        for task in self.tasks:
            self.collection.find_one_and_update({"hash": task["hash"]}, {"$set": task}, upsert=True)
        return list(self.collection.find())
"""

WORKER = """\
from .scheduler import Scheduler


class Base(object):
    def __init__(self, name):
        self.name = name


class Worker(Base):
    def __init__(self, name, db):
        super().__init__(name)
        Base.__init__(self, name)
        self.db = db

    def start(self):
        self.scheduler = Scheduler(self.db.scheduled_jobs, [])
        self.db.workers.update_one({"name": self.name}, {"$set": {"up": True}}, upsert=True)
"""


def shapes(files):
    sources = [extract(path, text) for path, text in files.items()]
    link(sources)
    return {
        s.path: [(q.location.line, q.collection, q.sketch) for q in s.queries if isinstance(q, MongoQuery)]
        for s in sources
    }


def test_a_collection_the_constructor_keeps_is_what_the_class_is_built_with():
    got = shapes({"app/scheduler.py": SCHEDULER, "app/worker.py": WORKER})
    assert got["app/scheduler.py"] == [(8, "scheduled_jobs", False), (9, "scheduled_jobs", False)]


def test_callers_that_pass_two_collections_or_none_leave_it_named_at_run_time():
    two = WORKER + "\n\ndef other(db):\n    return Scheduler(db.archive, [])\n"
    assert {c for _, c, partial in shapes({"s.py": SCHEDULER, "w.py": two})["s.py"] if partial} == {"<collection>"}
    none = WORKER.replace("Scheduler(self.db.scheduled_jobs, [])", "Scheduler(make_collection(), [])")
    assert shapes({"s.py": SCHEDULER, "w.py": none})["s.py"] == []  # nothing says it is MongoDB's


def test_a_member_the_class_sets_twice_is_not_one_argument():
    twice = SCHEDULER.replace(
        "        self.tasks = tasks\n",
        "        self.tasks = tasks\n\n    def use(self, c):\n        self.collection = c\n",
    )
    assert shapes({"s.py": twice, "w.py": WORKER})["s.py"] == []


DASHBOARD = """\
def listing(db, unit, query):
    collection = None
    if unit == "workers":
        collection = db.mrq_workers
    elif unit == "jobs":
        collection = db.mrq_jobs
    if collection is not None:
        return list(collection.find(query))


def jobs(db, query):
    collection = db.mrq_workers
    collection = db.mrq_jobs
    return list(collection.find(query))
"""


def test_a_name_each_branch_gives_another_collection_is_named_at_run_time():
    # mrq's dashboard: a find on one of four collections, named by the last assignment in the text before
    got = shapes({"app.py": DASHBOARD})["app.py"]
    assert got == [(8, "<collection>", True), (14, "mrq_jobs", False)]  # the second's last assignment is the one
