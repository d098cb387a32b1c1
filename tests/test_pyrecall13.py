"""Python MongoDB extraction recall (issue 11, item 4; benchmarks/realworld/holdout12.md, "Extraction
recall"): a collection a function receives as a parameter from callers in other modules (medallion's
filters/mongodb_filter.py, whose aggregations run on the `data` the back end passes), and a bulk_write of
operations appended to an annotated list (vnpy_mongodb's `requests: list[ReplaceOne] = []`)."""

from advisor.mongo.shape import MongoQuery
from advisor.sources import extract
from advisor.sources.links import link

FILTER = """\
from pymongo import ASCENDING


class BasicFilter:
    def process_filter(self, data, allowed=(), manifest_info=()):
        return [x for x in data if x]


class MongoDBFilter(BasicFilter):
    def process_filter(self, data, allowed, manifest_info):
        pipeline = [{"$match": {"type": "indicator"}}, {"$sort": {"created": ASCENDING}}]
        latest = list(data.aggregate(pipeline))
        count = self.get_result_count(pipeline, data)
        return count, latest

    def get_result_count(self, pipeline, data):
        return list(data.aggregate(pipeline + [{"$count": "total"}]))
"""


def backend(second: str) -> str:
    return f"""\
from pymongo import MongoClient

from ..filters.mongodb_filter import MongoDBFilter


class MongoBackend:
    def __init__(self, uri):
        self.client = MongoClient(uri)

    def get_objects(self, api_root, collection_id, filter_args):
        objects_info = self.client[api_root]["objects"]
        full_filter = MongoDBFilter(filter_args, {{"_collection_id": collection_id}}, ("type",))
        return full_filter.process_filter(objects_info, ("type",), "objects")

    def get_versions(self, api_root, collection_id, filter_args):
        found = {second}
        full_filter = MongoDBFilter(filter_args, {{"_collection_id": collection_id}}, ("version",))
        return full_filter.process_filter(found, ("version",), "manifests")

    def get_status(self, api_root, status_id):
        return self.client[api_root]["status"].find_one({{"id": status_id}})
"""


MEMORY = """\
from ..filters.basic_filter import BasicFilter


def get_objects(data, filter_args):
    return BasicFilter(filter_args).process_filter(data["objects"], ("type",))
"""


def linked(files: dict[str, str]) -> dict[str, list[MongoQuery]]:
    srcs = [extract(path, text) for path, text in files.items()]
    link(srcs)
    return {s.path: [q for q in s.queries if isinstance(q, MongoQuery)] for s in srcs}


def test_a_parameter_every_caller_passes_one_collection_for_is_that_collection():
    found = linked(
        {
            "medallion/filters/mongodb_filter.py": FILTER,
            "medallion/backends/mongodb_backend.py": backend('self.client[api_root]["objects"]'),
            "medallion/backends/memory_backend.py": MEMORY,  # the base class's method: not these callers
        }
    )
    shapes = [
        (q.location.line, q.collection, q.operation, q.sketch) for q in found["medallion/filters/mongodb_filter.py"]
    ]
    # through `self.get_result_count(pipeline, data)` too: the parameter handed on is the same collection
    assert shapes == [(12, "objects", "aggregate", False), (17, "objects", "aggregate", False)]
    first = found["medallion/filters/mongodb_filter.py"][0]
    assert first.pipeline == [{"$match": {"type": "indicator"}}, {"$sort": {"created": 1}}]
    assert first.scope == ("process_filter", "MongoDBFilter")
    # one file alone cannot say what `data` is: nothing kept, no guess
    assert [q for q in extract("medallion/filters/mongodb_filter.py", FILTER).queries] == []


def test_callers_passing_different_collections_leave_it_named_at_run_time():
    found = linked(
        {
            "medallion/filters/mongodb_filter.py": FILTER,
            "medallion/backends/mongodb_backend.py": backend('self.client[api_root]["status"]'),
        }
    )
    shapes = [(q.collection, q.sketch) for q in found["medallion/filters/mongodb_filter.py"]]
    assert shapes == [("<data>", True), ("<data>", True)]  # a sketch: no claim rests on its indexes


def test_a_caller_passing_something_else_as_well_leaves_it_unknown():
    found = linked(
        {
            "medallion/filters/mongodb_filter.py": FILTER,
            "medallion/backends/mongodb_backend.py": backend("load_cached(api_root)"),
        }
    )
    assert {q.collection for q in found["medallion/filters/mongodb_filter.py"]} == {"<data>"}


def test_no_caller_passing_a_collection_keeps_no_shape():
    """`data.aggregate` on what no caller shows to be a collection (a DataFrame has `aggregate`)."""
    caller = """\
import pandas

from .stats import Report


def run(path):
    Report().process_filter(pandas.read_csv(path), (), ())
"""
    found = linked({"app/stats.py": FILTER, "app/run.py": caller})
    assert found["app/stats.py"] == []


def test_a_module_function_called_by_its_name_from_another_module():
    helper = """\
def oldest(coll, owner):
    return coll.find({"owner": owner}).sort("created", 1).limit(10)
"""
    caller = """\
from pymongo import MongoClient

from .helpers import oldest

db = MongoClient()["app"]


def page(owner):
    return list(oldest(db.jobs, owner))


def count(owner):
    return db.jobs.count_documents({"owner": owner})


def other_page(owner):
    return list(oldest(db["jobs"], owner=owner))
"""
    found = linked({"app/helpers.py": helper, "app/views.py": caller})
    shapes = [(q.collection, q.operation, q.filter, q.sort, q.limit) for q in found["app/helpers.py"]]
    assert shapes == [("jobs", "find", {"owner": found["app/helpers.py"][0].filter["owner"]}, {"created": 1}, 10)]
    # a call of some `oldest` on an unknown receiver, in a module calling no driver itself, may pass another
    more = 'from .store import store\n\n\ndef clean():\n    store.oldest(store.db.archive, "x")\n'
    found = linked({"app/helpers.py": helper, "app/views.py": caller, "app/clean.py": more})
    assert [q.collection for q in found["app/helpers.py"]] == ["<coll>"]


def test_a_finding_on_a_query_whose_collection_a_caller_names(tmp_path, monkeypatch):
    """The point of naming it: the back end declares the collection's indexes, the filter module's query
    is judged against them (a collection scan on `type`, which no index leads with)."""
    from advisor import engine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'taxii'\n[tool.advisor]\nlarge-tables = [\"*\"]\n")
    files = {
        "taxii/filters.py": 'class Filter:\n    def run(self, data, kind):\n        return list(data.find({"type": kind}).limit(50))\n',
        "taxii/backend.py": (
            "from pymongo import MongoClient\n\nfrom .filters import Filter\n\n\nclass Backend:\n"
            "    def __init__(self, uri):\n        self.db = MongoClient(uri)['taxii']\n"
            '        self.db.objects.create_index("id")\n\n'
            "    def objects(self, kind):\n        return Filter().run(self.db.objects, kind)\n"
        ),
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    found = [(f.rule, f.location.path, f.location.line) for f in engine.check(["."]).active]
    assert ("MGO001", "taxii/filters.py", 3) in found, found


VNPY = """\
from pymongo import ReplaceOne, MongoClient


class MongodbDatabase:
    def __init__(self):
        self.db = MongoClient()["vnpy"]
        self.bar_collection = self.db["bar_data"]

    def save_bar_data(self, bars):
        requests: list[ReplaceOne] = []
        for bar in bars:
            filter: dict = {"symbol": bar.symbol, "exchange": bar.exchange.value, "datetime": bar.datetime}
            d: dict = {"symbol": bar.symbol, "close_price": bar.close_price}
            requests.append(ReplaceOne(filter, d, upsert=True))
        self.bar_collection.bulk_write(requests, ordered=False)
"""


def test_a_bulk_write_of_replace_ones_appended_to_an_annotated_list_reads_each_filter():
    queries = [q for q in extract("vnpy_mongodb/mongodb_database.py", VNPY).queries if isinstance(q, MongoQuery)]
    assert [(q.location.line, q.collection, q.operation) for q in queries] == [(15, "bar_data", "replace_one")]
    assert sorted(queries[0].filter) == ["datetime", "exchange", "symbol"]  # the appended operation's filter


def test_a_function_handing_its_parameter_on_to_itself_still_takes_its_callers_collection():
    helper = """\
def purge(coll, ids):
    if len(ids) > 100:
        purge(coll, ids[100:])
    coll.delete_many({"_id": {"$in": ids[:100]}})
"""
    caller = """\
from pymongo import MongoClient

from .helpers import purge

db = MongoClient()["app"]


def clean(ids):
    purge(db.sessions, ids)
    return db.sessions.find_one({"_id": ids[0]})
"""
    found = linked({"app/helpers.py": helper, "app/clean.py": caller})
    assert [(q.collection, q.operation) for q in found["app/helpers.py"]] == [("sessions", "delete_many")]
