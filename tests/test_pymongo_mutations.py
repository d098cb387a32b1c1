"""A pymongo filter the code builds in steps before the call (`query["k"] = v`, `query.update({...})`,
`pipeline.append(stage)`) is read whole, as the JavaScript extractor reads `query.k = v`: keys set under a condition
are noted and judged both ways; a key the run computes, a nested change, or a change after the call in a loop the
call is in leaves the shape a sketch."""

from advisor import catalogue, engine
from advisor.discovery import collect
from advisor.loader import load
from advisor.mongo.shape import MongoQuery
from advisor.options import Options

APP = """\
from pymongo import MongoClient

db = MongoClient().app
db.cases.create_index([("status", 1), ("owner", 1)])
STATUS = "status"


def by_region(region, since):
    query = {STATUS: "open"}
    query["region"] = region
    query.update({"opened": {"$gte": since}})
    return list(db.cases.find(query))


def mine(owner, region=None):
    query = {"owner": owner}
    if region:
        query["region"] = region
    return list(db.cases.find(query))


def by_tag(tag, extra):
    query = {"tag": tag}
    for k, v in extra.items():
        query[k] = v
    return list(db.cases.find(query))


def nested(tag, since):
    query = {"tag": tag, "opened": {}}
    query["opened"]["$gte"] = since
    return list(db.cases.find(query))


def each(tags):
    query = {"status": "open"}
    for tag in tags:
        db.cases.find_one(query)
        query["tag"] = tag


def later(tag):
    query = {"status": "open"}
    found = db.cases.find_one(query)
    query["tag"] = tag
    return found


def latest(owner):
    pipeline = [{"$match": {"owner": owner}}]
    pipeline.append({"$sort": {"opened": -1}})
    return list(db.cases.aggregate(pipeline))
"""

FILES = {"app.py": APP, "advisor.toml": 'large-tables = ["*"]\n'}


def _queries():
    loaded = load(collect(["."], Options())[0])
    return {q.location.line: q for s in loaded.sources for q in s.queries if isinstance(q, MongoQuery)}


def test_keys_set_before_the_call_are_in_the_filter(project):
    project(FILES)
    qs = _queries()
    region = qs[12]
    assert list(region.filter) == ["status", "region", "opened"] and not region.partial
    assert region.filter["opened"].keys() == {"$gte"} and region.conditional == ()
    assert region.at("filter", "region").line == 10  # the key's own line, for the finding's position
    assert list(qs[19].filter) == ["owner", "region"] and qs[19].conditional == ("region",)
    assert qs[52].pipeline[1] == {"$sort": {"opened": -1}} and not qs[52].partial


def test_changes_advisor_cannot_follow_leave_a_sketch(project):
    project(FILES)
    qs = _queries()
    assert qs[26].partial  # keys copied from another dict: the run's
    assert qs[32].partial  # a nested key changed
    assert qs[38].partial  # the loop's next call sees the tag set after this one
    assert not qs[44].partial and qs[44].filter == {"status": "open"}  # a change after the call, no loop


def test_the_claims_rest_on_the_whole_filter(project):
    project(FILES)
    found = sorted(
        (f.location.line, catalogue.lookup(f.rule).name)
        for f in engine.check(["."]).active
        if catalogue.lookup(f.rule).name in ("collection-scan", "in-memory-sort")
    )
    # by_region leads with status (indexed); mine: owner leads no index, with or without the region; the sketches
    # make no claim; latest's $match on owner scans (at the match)
    assert found == [(19, "collection-scan"), (50, "collection-scan")], found


HELPERS = """\
from pymongo import MongoClient

db = MongoClient().app
db.jobs.create_index([("store", 1), ("state", 1), ("due", 1), ("rank", -1)])
RANK = "rank"


def scoped(name, project):
    return {"name": name, "project": project}


class Store:
    def __init__(self, store):
        self.store = store

    def _query(self, extra=None):
        query = {"store": self.store}
        if extra:
            for key, value in extra.items():
                query[key] = value
        return query

    def _maybe(self, extra, flag):
        query = {"store": self.store}
        if flag:
            query.update(extra)
        return query

    def take(self, now):
        return db.jobs.find_one_and_update(
            self._query({"state": "new", "due": {"$lte": now}}), {"$set": {"state": "taken"}}, sort=[(RANK, -1)]
        )

    def count(self):
        return db.jobs.count_documents(self._query())

    def named(self, name, project):
        return db.jobs.find_one(scoped(name, project))

    def sometimes(self, extra):
        return db.jobs.find_one(self._maybe({"state": "new"}, extra))

    def by(self, field):
        return list(db.jobs.find({"store": self.store}).sort([(field, -1)]))
"""


def test_a_filter_a_helper_of_the_module_builds_is_read_with_what_its_caller_passes(project):
    project({"app.py": HELPERS, "advisor.toml": 'large-tables = ["*"]\n'})
    qs = _queries()
    take = qs[30]
    assert list(take.filter) == ["store", "state", "due"] and not take.sketch  # the caller's dict copied in
    assert take.sort == {"rank": -1}  # a constant's name as the sort key, settled to its text
    assert take.at("filter", "due").line == 31  # where the caller wrote it
    assert list(qs[35].filter) == ["store"]  # no conditions given: the store alone
    assert list(qs[38].filter) == ["name", "project"]
    # copied in under a condition of another name: some runs only, so the filter stays unknown
    assert not isinstance(qs[41].filter, dict) or "state" not in qs[41].filter
    assert not isinstance(qs[44].sort, dict)  # a sort key the run names: not read as a field called "field"
    found = sorted(
        (f.location.line, catalogue.lookup(f.rule).name)
        for f in engine.check(["."]).active
        if catalogue.lookup(f.rule).name in ("collection-scan", "in-memory-sort", "esr-order")
    )
    # the take's range on due comes before the sort on rank in the only index: sorted in memory; no index starts
    # with the name the helper's dict looks up
    assert found == [(31, "in-memory-sort"), (38, "collection-scan")], found


def test_a_pipeline_that_starts_with_its_sort_is_said_so(project):
    project({
        "app.py": """\
from pymongo import MongoClient

db = MongoClient().app
db.spans.create_index([("trace", 1)])


def newest_first():
    pipeline = [{"$sort": {"ended": -1}}]
    pipeline.append({"$group": {"_id": "$trace", "keep": {"$first": "$_id"}}})
    return list(db.spans.aggregate(pipeline))
""",
        "advisor.toml": 'large-tables = ["*"]\n',
    })
    (hit,) = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "in-memory-sort"]
    assert hit.message.startswith("the leading $sort of spans.aggregate sorts the whole spans collection"), hit.message
