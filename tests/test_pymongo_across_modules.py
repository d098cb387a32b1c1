"""A pymongo store spread over modules, as holdout 40's job queue (mq-python) is: its collections held by a base
class of another module, named by a pydantic setting's default, its keys constants of a third module, its index keys
a shared list plus the rest. Read whole, the store's claims are the ones its code makes true, and none that a
symbol read as a field would make (`FIELD_ID`, which is `_id`). Written here in that style; nothing is copied."""

from advisor import catalogue, engine
from advisor.discovery import collect
from advisor.loader import load
from advisor.mongo.shape import MongoQuery
from advisor.options import Options

FILES = {
    "mq/__init__.py": "",
    "mq/config.py": """\
from pydantic_settings import BaseSettings


class Config(BaseSettings):
    jobs_collection: str = "jobs"
    workers_collection: str = "workers"


config = Config()
""",
    "mq/constants.py": 'FIELD_ID = "_id"\nFIELD_STORE = "store_name"\nFIELD_STATUS = "status"\n',
    "mq/base.py": """\
from pymongo import ASCENDING, IndexModel

from mq.config import config
from mq.constants import FIELD_STATUS, FIELD_STORE


class _Queue:
    def __init__(self, db):
        self._jobs = db.get_collection(config.jobs_collection, codec_options=None)
        self._cache = {}
        fields = [(FIELD_STORE, ASCENDING)]
        indexes = [
            IndexModel(fields + [(FIELD_STATUS, ASCENDING)], name=f"by_status"),
            IndexModel(fields + [(FIELD_STATUS, ASCENDING), ("run_at", ASCENDING)], name="acquire"),
        ]
        self._jobs.create_indexes(indexes)
""",
    "mq/store.py": """\
from pymongo import ReturnDocument

from mq.base import _Queue
from mq.constants import FIELD_ID, FIELD_STATUS


class Store(_Queue):
    def get(self, job_id):
        return self._jobs.find_one({FIELD_ID: job_id})

    def count(self, status):
        return self._jobs.count_documents({FIELD_STATUS: status})

    def by_payload(self, field, value):
        return self._jobs.find_one({f"payload.{field}": value})

    def remember(self, job):
        self._cache.update(job)
        return self._elsewhere.find_one({"a": 1})
""",
    "advisor.toml": 'large-tables = ["*"]\n',
}


def test_a_store_over_modules_is_read_on_its_collection_with_its_keys(project):
    project(FILES)
    loaded = load(collect(["."], Options())[0])
    queries = [q for s in loaded.sources if s.path == "mq/store.py" for q in s.queries if isinstance(q, MongoQuery)]
    # the dict member's update and a member no class holds a collection in are no queries
    assert [(q.location.line, q.collection, q.operation) for q in queries] == [
        (9, "jobs", "find_one"),
        (12, "jobs", "count_documents"),
        (15, "jobs", "find_one"),
    ]
    assert queries[0].filter == {"_id": queries[0].filter["_id"]} and queries[1].filter.keys() == {"status"}
    assert queries[2].partial  # a key the code fills in: which field it tests is the run's
    indexes = [(i.table, i.name, [k.expr for k in i.keys]) for i in loaded.schema.indexes if i.method == "mongo"]
    assert indexes == [
        ("jobs", "by_status", ["store_name", "status"]),
        ("jobs", "acquire", ["store_name", "status", "run_at"]),
    ]


def test_its_claims_are_the_ones_its_code_makes_true(project):
    project(FILES)
    found = sorted(
        (f.location.path, f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active
    )
    assert found == [
        ("mq/base.py", 13, "redundant-index"),  # by_status is a prefix of acquire
        ("mq/store.py", 12, "collection-scan"),  # no index starts with status
    ], found


def test_a_setting_made_with_arguments_names_no_collection(project):
    files = dict(FILES)
    files["mq/config.py"] = FILES["mq/config.py"].replace("config = Config()", 'config = Config(_env_file=".env")')
    project(files)
    loaded = load(collect(["."], Options())[0])
    names = {q.collection for s in loaded.sources for q in s.queries if isinstance(q, MongoQuery)}
    assert "jobs" not in names, names


def test_a_collection_named_by_a_setting_in_the_query_itself_is_no_sketch_once_named(project):
    """A query written on `db[config.jobs_collection]` is named at run time while its file is read; once the
    setting's default names it, the claims that rest on the collection speak (its filter was whole all along)."""
    files = dict(FILES)
    files["mq/stats.py"] = """\
from mq.config import config


def failed(db):
    return db[config.jobs_collection].count_documents({"status": "failed"})
"""
    project(files)
    loaded = load(collect(["."], Options())[0])
    (query,) = [q for s in loaded.sources if s.path == "mq/stats.py" for q in s.queries]
    assert (query.collection, query.partial, query.sketch) == ("jobs", False, False)
    found = {(f.location.path, f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active}
    assert ("mq/stats.py", 5, "collection-scan") in found, found


def test_a_constant_re_exported_by_another_module_is_its_text(project):
    """As arctic's chunkstore imports `START, END` from `date_chunker`, which imports them from `_chunker`, where
    `START = 's'`: the keys of its filters and indexes are `s` and `e`, not names read as fields."""
    project(
        {
            "pkg/__init__.py": "",
            "pkg/_keys.py": 'START = "s"\nEND = "e"\n',
            "pkg/chunker.py": "from ._keys import START, END\n\n\nclass Chunker:\n    pass\n",
            "pkg/store.py": """\
from pymongo import MongoClient

from .chunker import Chunker, START, END

db = MongoClient().app
db.chunks.create_index([("sy", 1), (START, 1), (END, 1)])


def read(symbol, since):
    return list(db.chunks.find({"sy": symbol, START: {"$gte": since}}))
""",
        }
    )
    loaded = load(collect(["."], Options())[0])
    (query,) = [q for s in loaded.sources if s.path == "pkg/store.py" for q in s.queries]
    assert list(query.filter) == ["sy", "s"]
    assert [[k.expr for k in i.keys] for i in loaded.schema.indexes if i.method == "mongo"] == [["sy", "s", "e"]]


SPLIT = {
    "sg/__init__.py": "",
    "sg/ingest.py": """\
from pymongo.collection import Collection


def generate_ops(data_collection: Collection, ids):
    return list(data_collection.find({"id": {"$in": ids}}))
""",
    "sg/manager.py": """\
from pymongo import IndexModel

from sg.ingest import generate_ops


class Database:
    def __init__(self, name, client):
        self.data_collection = client.get_database("sg").get_collection(name)

    def ingest(self, ids):
        self.data_collection.create_indexes([IndexModel([("id", 1)])])
        return generate_ops(self.data_collection, ids)
""",
}


def _collections(path):
    loaded = load(collect(["."], Options())[0])
    return [(q.location.line, q.collection) for s in loaded.sources if s.path == path for q in s.queries]


def test_a_collection_named_from_its_parameter_is_the_one_its_callers_pass(project):
    """splitgill's `generate_ops(data_collection)`, called from another module with the collection a class holds
    (holdout 109): the query is on that collection, the one its indexes are declared on, not on a `data` guessed
    from the parameter's name."""
    project(SPLIT)
    assert _collections("sg/ingest.py") == [(5, "Database.data_collection")]


def test_the_name_read_from_the_parameter_stands_when_no_caller_passes_one(project):
    project({**SPLIT, "sg/manager.py": "import sg.ingest\n"})
    assert _collections("sg/ingest.py") == [(5, "data")]
