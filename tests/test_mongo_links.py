"""Which collection a name is, and where a project keeps its index declarations, across classes and
files (issue 11, items 3 and 4): each mechanism from a snippet shaped like the real code it was seen in
(benchmarks/realworld/recall.md, "Holdout 2"), with the near-misses that must not match."""

from advisor.mongo.shape import MongoQuery
from advisor.sources import extract


def mongo(src):
    return [q for q in src.queries if isinstance(q, MongoQuery)]


def shapes(src):
    return [(q.location.line, q.collection, q.operation) for q in mongo(src)]


def indexes(src):
    return [(i.table, i.name, i.method) for i in src.indexes]


# --- a member of one class, a property of another (fireworks fireworks/core/launchpad.py) -----------


LAUNCHPAD = """\
from pymongo import MongoClient


class LaunchPad:
    def __init__(self, host, name):
        self.db = MongoClient(host)[name]
        self.fireworks = self.db.fireworks
        self.launches = self.db.launches

    def tuneup(self, bkground=True):
        self.launches.create_index("launch_id", unique=True, background=bkground)
        self.launches.create_index("fw_id", background=bkground)

    def get_launch_by_id(self, launch_id):
        return self.launches.find_one({"launch_id": launch_id})


class LazyFirework:
    def __init__(self, fw_id, fw_coll, launch_coll):
        self.fw_id = fw_id

    @property
    def launches(self):
        return self._get_launch_data("launches")
"""


def test_a_member_is_read_in_its_own_class_not_from_a_property_of_another():
    src = extract("fireworks/core/launchpad.py", LAUNCHPAD)
    assert shapes(src) == [(15, "launches", "find_one")]
    assert indexes(src) == [("launches", "launch_id_1", "mongo"), ("launches", "fw_id_1", "mongo")]


def test_a_property_of_the_class_itself_or_its_base_still_names_the_collection():
    src = extract(
        "store.py",
        """\
class Base:
    @property
    def jobs(self):
        return self.db.jobs


class Store(Base):
    def next(self):
        return self.jobs.find_one({"state": "ready"})


class Other:
    def next(self):
        return self.jobs.find_one({"state": "ready"})
""",
    )
    # `Other` has no `jobs` of its own or from a base: its `self.jobs` is not Store's collection
    assert shapes(src) == [(9, "jobs", "find_one")]


# --- a collection held by a class of another file (scout-browser scout/adapter/mongo/base.py) ---------

HANDLER = """\
class CaseHandler(object):
    def case(self, case_id):
        return self.case_collection.find_one({"_id": case_id})

    def cases(self, owner):
        return self.case_collection.find({"owner": owner}).sort("updated_at", -1)
"""

ADAPTER = """\
from .case import CaseHandler
from .user import UserHandler


class MongoAdapter(CaseHandler, UserHandler):
    def setup(self, database):
        self.db = database
        self.case_collection = database.case
        self.user_collection = database.user
"""


def linked(files):
    from advisor.sources.links import link

    srcs = [extract(path, text) for path, text in files.items()]
    link(srcs)
    return {s.path: s for s in srcs}


def test_a_member_set_in_a_subclass_in_another_file_names_the_collection():
    alone = extract("scout/adapter/mongo/case.py", HANDLER)
    assert {q.collection for q in mongo(alone)} == {"self.case_collection"}  # one file cannot say more
    srcs = linked({"scout/adapter/mongo/case.py": HANDLER, "scout/adapter/mongo/base.py": ADAPTER})
    assert shapes(srcs["scout/adapter/mongo/case.py"]) == [(3, "case", "find_one"), (6, "case", "find")]


def test_a_member_of_an_unrelated_class_or_two_collections_is_named_at_run_time():
    """Unresolved, `self.case_collection` is CaseHandler's own, named at run time: a sketch, never the same
    collection as another class's `self.case_collection` because the text is the same."""
    other = """\
class Report:
    def __init__(self, db):
        self.case_collection = db.archived_case
"""
    srcs = linked({"a/case.py": HANDLER, "a/report.py": other})  # Report does not mix CaseHandler in
    assert {(q.collection, q.sketch) for q in mongo(srcs["a/case.py"])} == {("<CaseHandler.case_collection>", True)}
    two = """\
from .case import CaseHandler

class Live(CaseHandler):
    def __init__(self, db):
        self.case_collection = db.case

class Archive(CaseHandler):
    def __init__(self, db):
        self.case_collection = db.archived_case
"""
    srcs = linked({"a/case.py": HANDLER, "a/stores.py": two})  # which one depends on the instance
    assert {(q.collection, q.sketch) for q in mongo(srcs["a/case.py"])} == {("<CaseHandler.case_collection>", True)}


def test_a_member_of_a_class_that_only_shares_a_base_is_not_read():
    """ampel-core: T2Worker's `self.col` is set by its base AbsWorker to a name built at run time
    (f"t{self.tier}"); T3LogsAppender, which derives the same unit class, sets its own `self.col` to `log`.
    Neither is the other's: T2Worker's queries are on a collection named at run time, not on `log`."""
    files = {
        "ampel/base.py": "class ContextUnit:\n    pass\n",
        "ampel/worker.py": "from .base import ContextUnit\n\nclass AbsWorker(ContextUnit):\n"
        "    def __init__(self, db):\n        self.col = db.get_collection(f't{self.tier}')\n",
        "ampel/t2.py": "from .worker import AbsWorker\n\nclass T2Worker(AbsWorker):\n"
        "    def run(self, query):\n        return list(self.col.find(query))\n",
        "ampel/logs.py": "from .base import ContextUnit\n\nclass T3LogsAppender(ContextUnit):\n"
        "    def __init__(self, db):\n        self.col = db.get_collection('log')\n"
        "    def logs(self, run):\n        return list(self.col.find({'r': run}))\n",
    }
    srcs = linked(files)
    assert [q.collection for q in mongo(srcs["ampel/logs.py"])] == ["log"]
    assert [q.collection for q in mongo(srcs["ampel/t2.py"])] != ["log"]
    # the base's own code is named by what a subclass sets, as before (T3LogsAppender's is no subclass of it)
    files["ampel/worker.py"] += "    def stale(self):\n        return self.col.find({'s': 1})\n"
    files["ampel/t9.py"] = "from .worker import AbsWorker\n\nclass T9Worker(AbsWorker):\n    def __init__(self, db):\n        self.col = db.t9\n"
    files["ampel/worker.py"] = files["ampel/worker.py"].replace("self.col = db.get_collection(f't{self.tier}')", "pass")
    srcs = linked(files)
    assert [q.collection for q in mongo(srcs["ampel/worker.py"])] == ["t9"]


def test_a_member_named_col_something_is_a_collection_in_a_mongodb_module():
    """ampel-core's AbsWorker sets `self.col_t1 = db.get_collection('t1')`; T2Worker, in another file, reads
    `self.col_t1.find(...)`. Named col_<x> in a module of a MongoDB driver (bson's ObjectId), it is a
    collection; in a module that imports none, `self.col_name.find('.')` is a string's find."""
    files = {
        "ampel/worker.py": "class AbsWorker:\n    def __init__(self, db):\n"
        "        self.col_t1 = db.get_collection('t1', mode='r')\n",
        "ampel/t2.py": "from bson import ObjectId\nfrom .worker import AbsWorker\n\nclass T2Worker(AbsWorker):\n"
        "    def load(self, doc):\n        return next(self.col_t1.find({'stock': doc['stock']}), None)\n",
    }
    assert [(q.location.line, q.collection) for q in mongo(linked(files)["ampel/t2.py"])] == [(6, "t1")]
    plain = "class Table:\n    def dot(self):\n        return self.col_name.find('.')\n"
    assert mongo(extract("report/table.py", plain)) == []
    assert mongo(extract("report/table.py", "import pymongo\n" + plain.replace("col_name", "col_jobs"))) != []


AMPELDB = """\
from functools import cached_property
from pymongo import MongoClient


class AmpelDB:
    def get_collection(self, col_name, mode="r"):
        return self.mongo_collections[col_name][mode]

    @cached_property
    def col_conf_ids(self):
        return self.get_collection("conf")

    @cached_property
    def archive(self):
        return self.get_collection("conf_archive")
"""


# --- a handle set to None, then once by a property (databroker headersource/mongo.py) -------------------

LAZY_HANDLES = """\
import pymongo


class MDSRO:
    def __init__(self, config):
        self.config = config
        self.reset_connection()

    def reset_connection(self):
        self.__db = None
        self.__runstart_col = None

    def _create_runstart_index(self):
        self._runstart_col.create_index([("uid", pymongo.DESCENDING)], unique=True)

    @property
    def _db(self):
        if self.__db is None:
            self.__db = pymongo.MongoClient(self.config["host"])[self.config["database"]]
        return self.__db

    @property
    def _runstart_col(self):
        if self.__runstart_col is None:
            self.__runstart_col = self._db.get_collection("run_start")
        return self.__runstart_col

    def find_by_scan(self, scan_id):
        return self._runstart_col.find({"scan_id": scan_id})
"""


def test_a_handle_reset_to_none_and_set_once_by_its_property_is_what_it_holds():
    src = extract("databroker/headersource/mongo.py", LAZY_HANDLES)
    assert shapes(src) == [(29, "run_start", "find")]
    assert indexes(src) == [("run_start", "uid_-1", "mongo")]


def test_a_handle_only_ever_none_names_no_collection():
    never = LAZY_HANDLES.replace('            self.__runstart_col = self._db.get_collection("run_start")\n', "            pass\n")
    src = extract("databroker/headersource/mongo.py", never)
    assert "run_start" not in [c for _, c, _ in shapes(src)]
    assert "run_start" not in [t for t, _, _ in indexes(src)]


CATALOG = """\
import pymongo


class _Entries:
    def __init__(self, catalog):
        self.catalog = catalog

    def __getitem__(self, name):
        collection = self.catalog._run_start_collection
        return collection.find_one({"uid": name})


class Catalog:
    def __init__(self, uri):
        db = pymongo.MongoClient(uri).get_database()
        self._run_start_collection = db.get_collection("run_start")

    @property
    def entries(self):
        return _Entries(self)

    def by_scan(self, n):
        return self._run_start_collection.find_one({"scan_id": n})
"""


def test_an_object_a_class_is_given_as_self_by_another_class_is_that_class(project):
    """databroker's `_Entries(self)` in its catalog, then `self.catalog._run_start_collection` in the entries: the
    catalog's member. Built by two classes, or from anything but their `self`, it is neither's."""
    src = extract("databroker/_drivers/mongo_normalized.py", CATALOG)
    assert shapes(src) == [(10, "run_start", "find_one"), (23, "run_start", "find_one")]
    twice = CATALOG + "\n\nclass Other:\n    def entries(self):\n        return _Entries(self)\n"
    assert [c for _, c, _ in shapes(extract("m.py", twice))] == ["run_start"]
    given = CATALOG.replace("return _Entries(self)", "return _Entries(self.parent)")
    assert [c for _, c, _ in shapes(extract("m.py", given))] == ["run_start"]


def test_a_holder_property_of_a_project_class_names_its_collection_where_another_class_reads_it():
    """ampel-core: `self.db.col_conf_ids.find(...)` (AmpelContext.py:180), `db` read as a database by its name,
    was named `col_conf_ids`; it is AmpelDB's cached_property returning `get_collection('conf')` (its own
    get_collection, a cache looked up by the name it is given). A member not named as a holder is left as
    written: `self.db.archive` may be the database's own collection."""
    context = (
        "from bson import ObjectId\n\nclass AmpelContext:\n    def conf(self, conf_id):\n"
        "        return list(self.db.col_conf_ids.find({'_id': conf_id}))\n\n"
        "    def old(self, conf_id):\n        return self.db.archive.find_one({'_id': conf_id})\n"
    )
    alone = extract("ampel/core/AmpelContext.py", context)
    assert [q.collection for q in mongo(alone)] == ["col_conf_ids", "archive"]
    srcs = linked({"ampel/core/AmpelDB.py": AMPELDB, "ampel/core/AmpelContext.py": context})
    assert [q.collection for q in mongo(srcs["ampel/core/AmpelContext.py"])] == ["conf", "archive"]


def test_collections_kept_by_name_in_a_dict_on_self():
    """ampel-core's MongoStockDeleter keeps `self._collections = {"stock": db.get_collection("stock")} | {...}` and
    reads `self._collections["stock"].find(...)`: the entry the key names; DBUpdatesBuffer keeps a typed
    comprehension, `self._cols: dict[str, Collection] = {n: db.get_collection(n) for n in ops}`, read by a
    variable key: a collection named at run time. A dict of other things is no collection."""
    src = extract(
        "ampel/purge.py",
        """\
from pymongo import MongoClient


class Deleter:
    def __init__(self, db, ops):
        self._collections = {"stock": db.get_collection("stock")} | {
            f"t{tier}": db.get_collection(f"t{tier}") for tier in range(3)
        }
        self._cols: dict = {name: db.get_collection(name) for name in ops}
        self._limits = {"stock": 10}

    def latest(self):
        return next(self._collections["stock"].find({}, {"ts": 1}).sort([("_id", -1)]).limit(1))

    def purge(self, k, match):
        self._cols[k].delete_many(match)
        return self._limits["stock"].find(3)
""",
    )
    assert [(q.location.line, q.collection) for q in mongo(src)] == [(13, "stock"), (16, "<self._cols[k]>")]


def test_a_member_set_in_a_base_class_through_an_intermediate_class_of_a_third_file():
    srcs = linked(
        {
            "app/handlers.py": HANDLER,
            "app/mixins.py": "from .handlers import CaseHandler\n\nclass AllHandlers(CaseHandler):\n    pass\n",
            "app/adapter.py": "from .mixins import AllHandlers\n\nclass Adapter(AllHandlers):\n"
            "    def __init__(self, db):\n        self.case_collection = db['case']\n",
        }
    )
    assert {q.collection for q in mongo(srcs["app/handlers.py"])} == {"case"}


# --- a collection reached through a method that gives the database (holdout 3, alerta-server) -------

STORE = """\
from flask import g


class Store:
    def session(self):
        if "conn" not in g:
            g.conn = self.open()
        return g.conn

    def open(self):
        raise NotImplementedError
"""

MONGO_STORE = """\
from pymongo import ASCENDING, MongoClient

from shop.store import Store


class Backend(Store):
    def open(self):
        self.client = MongoClient(self.url)
        return self.client[self.dbname] if self.dbname else self.client.get_database()

    def prepare(self):
        self.session().orders.create_index([("customer", ASCENDING), ("placed", ASCENDING)])

    def open_orders(self, customer):
        return list(self.session().orders.find({"customer": customer}).sort("placed", -1))

    def order(self, number):
        return self.session()["orders"].find_one({"number": number})
"""

SQL_STORE = """\
import sqlite3

from shop.store import Store


class Backend(Store):
    def open(self):
        return sqlite3.connect(self.url)

    def open_orders(self, customer):
        return self.session().orders.find({"customer": customer})
"""


def test_a_collection_of_the_database_a_base_class_method_returns_is_named():
    files = {"shop/store.py": STORE, "shop/backends/mongo.py": MONGO_STORE, "shop/backends/sql.py": SQL_STORE}
    assert shapes(extract("shop/backends/mongo.py", MONGO_STORE)) == []  # one file cannot say what session() is
    srcs = linked(files)
    mongo_store = srcs["shop/backends/mongo.py"]
    assert shapes(mongo_store) == [(15, "orders", "find"), (18, "orders", "find_one")]
    assert indexes(mongo_store) == [("orders", "customer_1_placed_1", "mongo")]
    # the sibling backend's session() dispatches to its own open(), which gives no Database
    assert shapes(srcs["shop/backends/sql.py"]) == []


def test_a_method_that_also_returns_something_else_gives_no_database():
    other = STORE.replace(
        "        return g.conn", "        if self.cached:\n            return self.cache\n        return g.conn"
    )
    srcs = linked({"shop/store.py": other, "shop/backends/mongo.py": MONGO_STORE})
    assert shapes(srcs["shop/backends/mongo.py"]) == [] and indexes(srcs["shop/backends/mongo.py"]) == []


def test_a_database_placeholder_a_subclass_fills_names_the_collection_at_run_time():
    src = extract(
        "app/model.py",
        """\
class Model:
    def __init__(self):
        self.name = None
        self.initialize()

    def reconnect(self, client):
        self.database = client.get_database()
        self.collection = self.database[self.name]

    def find(self, query):
        return self.collection.find(query)
""",
    )
    assert [(q.collection, q.sketch) for q in mongo(src)] == [("<self.name>", True)]


# --- a base-class property named by the subclass's class attribute (openedx-forum forum/backends/mongodb) --

BASE_MODEL = """\
from abc import ABC
from typing import Any, Optional

from forum.mongo import Database, get_database


class MongoBaseModel(ABC):
    MONGODB_DATABASE: Optional[Database] = None
    COLLECTION_NAME: str = "default"

    @property
    def _collection(self):
        return self.__get_database()[self.COLLECTION_NAME]

    @classmethod
    def __get_database(cls) -> Database:
        if cls.MONGODB_DATABASE is None:
            cls.MONGODB_DATABASE = get_database()
        return cls.MONGODB_DATABASE

    def find_one(self, query: dict[str, Any]) -> Optional[dict[str, Any]]:
        return self._collection.find_one(query)
"""

USERS_MODEL = """\
from forum.backends.mongodb.base_model import MongoBaseModel


class Users(MongoBaseModel):
    COLLECTION_NAME: str = "users"

    def update_user(self, external_id, **kwargs):
        result = self._collection.update_one({"external_id": external_id}, {"$set": kwargs})
        return result.modified_count
"""

CONTENTS_MODEL = """\
from forum.backends.mongodb.base_model import MongoBaseModel


class BaseContents(MongoBaseModel):
    COLLECTION_NAME: str = "contents"

    def create_indexes(self) -> None:
        self._collection.create_index([("comment_thread_id", 1), ("sk", 1)], sparse=True)

    def get_votes(self, author_id):
        return list(self._collection.find({"author_id": author_id}).limit(20))
"""

COMMENTS_MODEL = """\
from forum.backends.mongodb.contents import BaseContents


class Comment(BaseContents):
    content_type = "Comment"

    def delete_children(self, parent_id):
        return self._collection.delete_many({"parent_id": parent_id})
"""

OPENEDX = {
    "forum/backends/mongodb/base_model.py": BASE_MODEL,
    "forum/backends/mongodb/users.py": USERS_MODEL,
    "forum/backends/mongodb/contents.py": CONTENTS_MODEL,
    "forum/backends/mongodb/comments.py": COMMENTS_MODEL,
}


def test_a_base_class_property_names_each_subclass_collection_by_its_class_attribute():
    srcs = linked(OPENEDX)
    named = {path: [(q.collection, q.sketch) for q in mongo(src)] for path, src in srcs.items()}
    assert named["forum/backends/mongodb/users.py"] == [("users", False)]
    assert named["forum/backends/mongodb/contents.py"] == [("contents", False)]
    assert named["forum/backends/mongodb/comments.py"] == [("contents", False)]  # the base's attribute
    # the base's own methods run on every subclass: no one collection, a sketch
    assert named["forum/backends/mongodb/base_model.py"] == [("<self.COLLECTION_NAME>", True)]
    assert [i.table for i in srcs["forum/backends/mongodb/contents.py"].indexes] == ["contents"]


def test_one_class_indexes_are_not_another_class_indexes_for_the_same_member_text(tmp_path, monkeypatch):
    """Before, every model's `self._collection` was one collection: users' lookups were judged against the
    indexes of contents (a wrong collection-scan). Now users has no index declaration (one note), and
    the unindexed lookups on contents are still claims."""
    from advisor import engine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'forum'\n[tool.advisor]\nlarge-tables = [\"*\"]\n")
    for path, text in OPENEDX.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    found = [(f.rule, f.location.path, f.location.line, f.message) for f in engine.check(["."]).active]
    scans = [(path, line) for rule, path, line, _ in found if rule == "MGO001"]
    # contents' and comments' lookups meet contents' one index, which leads with neither field
    assert scans == [("forum/backends/mongodb/comments.py", 8), ("forum/backends/mongodb/contents.py", 11)], found
    note = next(m for rule, _, _, m in found if rule == "MGO015")
    assert "for the users collection" in note and "contents" not in note


def test_a_class_attribute_two_subclasses_of_one_module_give_differently():
    src = extract(
        "models.py",
        """\
class Model:
    collection_name = None

    def __init__(self, db):
        self.db = db

    @property
    def coll(self):
        return self.db[self.collection_name]

    def get(self, oid):
        return self.coll.find_one({"_id": oid})


class Job(Model):
    collection_name = "jobs"

    def due(self, now):
        return self.coll.find_one({"run_at": {"$lte": now}})


class Lock(Model):
    def initialize(self):
        self.collection_name = "locks"

    def held(self, key):
        return self.coll.find_one({"key": key})
""",
    )
    assert [(q.collection, q.sketch) for q in mongo(src)] == [
        ("<self.collection_name>", True),
        ("jobs", False),
        ("locks", False),  # set in a method of its own: girder's `def initialize(self): self.name = "user"`
    ]


# --- index lists kept as data (scout-browser scout/constants/indexes.py, adapter/mongo/index.py) ------

TABLE = """\
from pymongo import ASCENDING, DESCENDING, TEXT, IndexModel

INDEXES = {
    "case": [
        IndexModel([("owner", ASCENDING), ("updated_at", DESCENDING)], name="owner_updated"),
        IndexModel([("display_name", TEXT)], name="display_name_text"),
    ],
    "user": [IndexModel([("email", ASCENDING)], name="email", unique=True)],
}
"""

APPLY = """\
from scout.constants import INDEXES


class IndexHandler(object):
    def load_indexes(self, collections=[]):
        for collection_name in collections or INDEXES:
            indexes = INDEXES[collection_name]
            self.db[collection_name].create_indexes(indexes)

    def update_indexes(self):
        for collection_name in INDEXES:
            indexes = INDEXES[collection_name]
            for index in indexes:
                self.db[collection_name].create_indexes([index])
"""


def declared(src):
    return [(i.table, i.name, [(k.expr, k.desc) for k in i.keys], i.unique) for i in src.indexes]


def test_index_models_keyed_by_collection_are_declared_when_the_project_applies_them():
    srcs = linked({"scout/constants/indexes.py": TABLE, "scout/adapter/mongo/index.py": APPLY})
    assert declared(srcs["scout/constants/indexes.py"]) == [
        ("case", "owner_updated", [("owner", False), ("updated_at", True)], False),
        ("case", "display_name_text", [("display_name:text", False)], False),
        ("user", "email", [("email", False)], True),
    ]
    assert srcs["scout/adapter/mongo/index.py"].indexes == []  # the table holds them, not the loop


def test_a_table_applied_through_items_in_the_same_file():
    src = linked(
        {
            "app/db.py": TABLE
            + """
def ensure(db):
    for name, models in INDEXES.items():
        db[name].create_indexes(models)
"""
        }
    )["app/db.py"]
    assert [(t, n) for t, n, _, _ in declared(src)] == [
        ("case", "owner_updated"),
        ("case", "display_name_text"),
        ("user", "email"),
    ]


def test_a_table_nothing_applies_or_a_dict_of_other_things_declares_nothing():
    assert linked({"scout/constants/indexes.py": TABLE})["scout/constants/indexes.py"].indexes == []
    settings = """\
from pymongo import IndexModel
LIMITS = {"case": [10, 20], "user": [IndexModel([("a", 1)])]}
SINGLE = {"case": IndexModel([("a", 1)])}

def ensure(db):
    db.case.create_indexes(LIMITS["case"])
    db.case.create_indexes([SINGLE["case"]])
"""
    src = linked({"app/settings.py": settings})["app/settings.py"]
    # neither dict is a table (a value that is not a list of IndexModel): each call declares its
    # collection's indexes with their keys unread, as any create_indexes(variable) does
    assert [(i.table, i.method) for i in src.indexes] == [("case", "mongo-unread"), ("case", "mongo-unread")]


def test_create_indexes_of_a_list_read_item_by_item():
    src = extract(
        "app/db.py",
        """\
from pymongo import IndexModel

def ensure(db, extra):
    db.jobs.create_indexes([IndexModel([("state", 1)], name="state"), extra])
""",
    )
    assert [(i.table, i.name if i.method == "mongo" else "?", i.method) for i in src.indexes] == [
        ("jobs", "state", "mongo"),
        ("jobs", "?", "mongo-unread"),
    ]


def test_a_checked_project_joins_its_files(tmp_path, monkeypatch):
    from advisor import engine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'scout'\n[tool.advisor]\nlarge-tables = [\"*\"]\n")
    pkg = tmp_path / "scout"
    (pkg / "adapter").mkdir(parents=True)
    (pkg / "constants").mkdir()
    (pkg / "constants" / "indexes.py").write_text(TABLE)
    (pkg / "adapter" / "index.py").write_text(APPLY)
    (pkg / "adapter" / "case.py").write_text(
        HANDLER
        + """
    def by_status(self, status):
        return list(self.case_collection.find({"status": status}).limit(50))
"""
    )
    (pkg / "adapter" / "base.py").write_text(ADAPTER)
    found = [(f.rule, f.location.path, f.location.line) for f in engine.check(["."]).active]
    # the queries meet the case collection's declared indexes: no "no index declarations" (MGO015),
    # and the status lookup is judged against them: no index leads with status (collection-scan, MGO001)
    assert [rule for rule, _, _ in found if rule == "MGO015"] == []
    assert ("MGO001", "scout/adapter/case.py", 9) in found, found


# --- mongoose schemas through wrappers, held in objects, named by their module (formio src/models) --

FORM_MODEL = """\
module.exports = (formio) => {
  const hook = require('../util/hook')(formio);
  const model = require('./BaseModel')({
    schema: new formio.mongoose.Schema(
      hook.alter('formSchema', {
        title: { type: String, required: true },
        path: { type: String, index: true, required: true },
        owner: { type: formio.mongoose.Schema.Types.Mixed, ref: 'submission', index: true },
      }),
    ),
  });
  model.schema.index(hook.alter('schemaIndex', { type: 1, deleted: 1, modified: -1 }));
  model.schema.index({ deleted: 1 });
  return model;
};
"""

REGISTRY = """\
module.exports = (router) => ({
  async forms(query) {
    return router.formio.resources.form.model.find(query).lean().exec();
  },
  async actions(form) {
    return router.formio.actions.model.find({ form, deleted: { $eq: null } }).exec();
  },
  async exists(id) {
    return router.formio.mongoose.model('form').findOne({ _id: id }).lean().exec();
  },
  async other(id) {
    return router.formio.templates.model.find({ _id: id });
  },
});
"""


def test_a_schema_built_through_a_wrapper_and_held_in_an_object_belongs_to_its_modules_model():
    alone = extract("src/models/Form.js", FORM_MODEL)
    assert alone.indexes == []  # which collection is only known from the project
    srcs = linked(
        {
            "src/models/Form.js": FORM_MODEL,
            "src/util/delete.js": REGISTRY,
            "src/actions/actions.js": "module.exports = (router) => ({ model: router.formio.mongoose.model('action') });",
        }
    )
    assert [(i.table, i.name, i.options.get("model")) for i in srcs["src/models/Form.js"].indexes] == [
        ("forms", "path_1", "form"),
        ("forms", "owner_1", "form"),
        ("forms", "type_1_deleted_1_modified_-1", "form"),
        ("forms", "deleted_1", "form"),
    ]


def test_a_modules_schema_with_no_model_of_that_name_in_the_project_keeps_no_index():
    plugin = """\
module.exports = (modelName) => (schema) => {
  schema.add({ machineName: { type: String } });
  schema.index({ machineName: 1 }, { unique: true });
};
"""
    srcs = linked({"src/models/Form.js": FORM_MODEL, "src/plugins/machineName.js": plugin})
    # no file names a model `form` or `machineName`: neither schema's collection is known (before, the
    # plugin's `schema` parameter was read as a `schemas` collection)
    assert srcs["src/models/Form.js"].indexes == [] and srcs["src/plugins/machineName.js"].indexes == []


def test_a_schema_variable_assigned_through_a_wrapper():
    src = extract(
        "src/models/Token.js",
        """\
module.exports = (formio) => {
  const hook = require('../util/hook')(formio);
  const TokenSchema = hook.alter('tokenSchema', new formio.mongoose.Schema({
    key: { type: String, index: true, required: true },
    expireAt: { type: Date },
  }));
  TokenSchema.index({ expireAt: 1 }, { expireAfterSeconds: 0 });
  const merged = _.merge({}, base, { extra: { type: String, index: true } });
  const Other = new formio.mongoose.Schema(_.merge({}, base, { extra: { type: String, index: true } }));
  return require('./BaseModel')({ schema: TokenSchema });
};
""",
    )
    # `_.merge` is given two objects: which one it returns is not known, so nothing is read through it
    assert [(i.table, i.name) for i in src.indexes] == [("tokens", "key_1"), ("tokens", "expireAt_1")]


def test_a_model_reached_through_a_registry_is_the_model_the_project_names():
    srcs = linked(
        {
            "src/util/delete.js": REGISTRY,
            "src/actions/actions.js": "module.exports = (router) => ({ model: router.formio.mongoose.model('action') });",
        }
    )
    # `resources.form.model` and `actions.model` (the registry of the `action` model); `templates.model`
    # names no model the project knows: not a query advisor can name (nor any collection)
    assert shapes(srcs["src/util/delete.js"]) == [(3, "forms", "find"), (6, "actions", "find"), (9, "forms", "findOne")]
    assert all(not q.sketch for q in mongo(srcs["src/util/delete.js"])[1:])
    alone = extract("src/util/delete.js", REGISTRY)
    assert shapes(alone) == [(9, "forms", "findOne")]


def test_an_override_or_a_registry_model_is_a_sketch_on_the_default_model():
    code = """\
module.exports = (router) => ({
  async remove(req, query) {
    const submissionModel = req.submissionModel || router.formio.resources.submission.model;
    return submissionModel.updateMany(query, { deleted: Date.now() });
  },
  pick(list) {
    const items = list || [];
    return items.find((item) => item.deleted);
  },
});
"""
    srcs = linked(
        {"src/util/delete.js": code, "src/models/lookup.js": "module.exports = (m) => m.model('submission');"}
    )
    (q,) = mongo(srcs["src/util/delete.js"])  # Array.prototype.find on `list || []` is no query
    # the default's collection, but the request may carry another model: only the rules on the filter speak
    assert (q.location.line, q.collection, q.model, q.sketch) == (4, "submissions", "submission", True)


def test_an_index_read_through_a_hook_is_no_ground_for_calling_another_redundant(tmp_path, monkeypatch):
    from advisor import engine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "package.json").write_text('{"name": "forms"}')
    (tmp_path / "advisor.toml").write_text('large-tables = ["*"]\n')
    (tmp_path / "Form.js").write_text("""\
const mongoose = require('mongoose');
module.exports = (hook) => {
  const FormSchema = new mongoose.Schema({ type: { type: String, index: true }, deleted: Number });
  FormSchema.index(hook.alter('schemaIndex', { type: 1, deleted: 1 }));
  return mongoose.model('form', FormSchema);
};
""")
    (tmp_path / "Plain.js").write_text("""\
const mongoose = require('mongoose');
const PlainSchema = new mongoose.Schema({ kind: { type: String, index: true }, deleted: Number });
PlainSchema.index({ kind: 1, deleted: 1 });
module.exports = mongoose.model('plain', PlainSchema);
""")
    found = [(f.rule, f.location.path, f.location.line) for f in engine.check(["."]).active]
    # the hook may re-key the compound (a deployment prefixing every index): type_1 is not known redundant;
    # the same declarations written plainly are (redundant-index, SCH002)
    assert [(path, line) for rule, path, line in found if rule == "SCH002"] == [("Plain.js", 2)], found


# --- a filter changed after it is built (scout case.py, event.py, variant_events.py) -----------------


def test_a_filter_changed_in_place_is_merged_or_a_sketch():
    src = extract("scout/adapter/mongo/case.py", """\
class CaseHandler:
    def cases_by_status(self, status, institute_id=None):
        query = {}
        if institute_id:
            query["collaborators"] = institute_id
        query["status"] = status
        return self.case_collection.find(query).sort("updated_at", -1)

    def sanger_ordered(self, institute_id=None):
        query = {"$match": {"$and": [{"verb": "sanger"}]}}
        if institute_id:
            query["$match"]["$and"].append({"institute": institute_id})
        return self.event_collection.aggregate([query, {"$group": {"_id": "$case"}}])

    def by_owner(self, user):
        user["seen"] = True
        query = {"owner": user["_id"]}
        return self.case_collection.find(query)

    def elsewhere(self, status):
        query = {"status": status}
        return self.case_collection.find(query)
""")
    # keys set before the call are merged in (one under a condition noted: the rules judge both); a nested change
    # leaves a sketch; a name used only as a value changes no key, and another function's `query` is another variable
    assert [(q.location.line, q.sketch) for q in mongo(src)] == [(7, False), (13, True), (18, False), (22, False)]
    first = mongo(src)[0]
    assert list(first.filter) == ["collaborators", "status"] and first.conditional == ("collaborators",)



# --- a collection opened by another class's constant (fiftyone operators/store/clone.py, holdout 17) ------

REPO = """\
import pymongo


class MongoExecutionStoreRepo:
    COLLECTION_NAME = "execution_store"

    def __init__(self, collection):
        self._collection = collection

    def _create_indexes(self):
        self._collection.create_index([("store_name", pymongo.ASCENDING)], name="store_name_1")
"""

CLONE = """\
import fiftyone.core.odm as foo
from fiftyone.factory.repos.execution_store import MongoExecutionStoreRepo


def clone_store(src_dataset_id):
    coll = foo.get_db_conn()[MongoExecutionStoreRepo.COLLECTION_NAME]
    return list(coll.find({"dataset_id": src_dataset_id}))


def count_stores(db):
    return db[MongoExecutionStoreRepo.collection_name].count_documents({})
"""


def test_a_collection_named_by_another_class_constant_is_that_collection():
    srcs = linked({"fiftyone/factory/repos/execution_store.py": REPO, "fiftyone/operators/store/clone.py": CLONE})
    assert [(q.collection, q.sketch) for q in mongo(srcs["fiftyone/operators/store/clone.py"])] == [
        ("execution_store", False),  # before: <MongoExecutionStoreRepo.COLLECTION_NAME>, a sketch
        ("<MongoExecutionStoreRepo.collection_name>", True),  # a lower-case member: not read as a constant
    ]
