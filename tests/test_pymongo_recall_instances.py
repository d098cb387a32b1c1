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
    (tmp_path / "jobs.py").write_text(
        JOBS.replace(
            "        self.jobs = jobs\n", "        self.jobs = jobs\n        self.jobs.create_index('owner')\n"
        )
    )
    found = [(f.rule, f.location.line, f.message) for f in engine.check(["."]).active]
    scans = [(line, m) for r, line, m in found if r == "MGO001"]
    assert [line for line, _ in scans] == [12, 23]  # state: no index; the reservation by owner is served
    assert "indexes: owner_1" in scans[0][1]
