"""Index tables built from other tables and lists, applied through a constructor's parameter (holdout 33's
pandahub: each collection's list spreads a shared `*VARIANT_INDEXES`, three tables are joined with `|`, and the
class creates them from `self.mongodb_indexes`, its constructor's `mongodb_indexes=MONGODB_INDEXES`). Written in
that style, none copied."""

from advisor.loader import load_project
from advisor.options import Options

TABLES = """\
from pymongo import DESCENDING, IndexModel

SHARED = [
    IndexModel([("variant", DESCENDING)]),
]

POWER = {
    "net_bus": [
        IndexModel([("net_id", DESCENDING), ("index", DESCENDING)], unique=True),
        *SHARED,
    ],
}

COMMON = {
    "variant": [IndexModel([("net_id", DESCENDING), ("index", DESCENDING)], unique=True)],
}

ALL_INDEXES = POWER | COMMON
"""

HUB = """\
from pymongo import MongoClient

from hub.indexes import ALL_INDEXES


class Hub:
    def __init__(self, url, mongodb_indexes: dict = ALL_INDEXES):
        self.client = MongoClient(url)
        self.mongodb_indexes = mongodb_indexes

    def create_indexes(self, project, collection=None):
        db = self.client[project]
        if collection:
            indexes_to_set = {collection: self.mongodb_indexes[collection]}
        else:
            indexes_to_set = self.mongodb_indexes
        for name, indexes in indexes_to_set.items():
            db[name].create_indexes(indexes)

    def variant(self, project, net_id, index):
        return self.client[project]["variant"].find_one({"net_id": net_id, "index": index})
"""


def test_a_joined_table_with_spread_lists_applied_through_a_constructor_default(project):
    project({"hub/__init__.py": "", "hub/indexes.py": TABLES, "hub/core.py": HUB, "advisor.toml": ""})
    declared = sorted(
        (i.table, tuple(k.expr for k in i.keys))
        for i in load_project(["."], Options()).schema.indexes
        if i.method == "mongo"
    )
    assert ("net_bus", ("net_id", "index")) in declared
    assert ("net_bus", ("variant",)) in declared  # spread from SHARED
    assert ("variant", ("net_id", "index")) in declared  # the joined table's COMMON part
