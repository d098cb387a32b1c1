"""A collection named by a setting with its default (holdout 38's stac-fastapi.mongo: `ITEMS_INDEX =
os.getenv("STAC_ITEMS_INDEX", "items")`, then `db[ITEMS_INDEX]` for its indexes and its queries alike): every use
of the constant names one collection, whatever the operator sets, so its queries meet its indexes under the
default's name and are judged against them. A setting with no default stays a name known only at run time."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

LOGIC = """\
import os

from motor.motor_asyncio import AsyncIOMotorClient

ITEMS_INDEX = os.getenv("STAC_ITEMS_INDEX", "items")
OTHER = os.environ.get("OTHER_INDEX")


async def create_indexes(db):
    await db[ITEMS_INDEX].create_index([("id", 1)], unique=True)


async def item(db, item_id):
    return await db[ITEMS_INDEX].find_one({"id": item_id})


async def by_collection(db, collection_id):
    return await db[ITEMS_INDEX].delete_many({"collection": collection_id})


async def other(db, key):
    return await db[OTHER].find_one({"key": key})
"""


def test_a_setting_with_a_default_names_its_collection(project):
    project({"stac/logic.py": LOGIC, "advisor.toml": 'large-tables = ["*"]\n'})
    loaded = load_project(["."], Options())
    assert sorted({q.collection for s in loaded.sources for q in s.queries}) == ["<OTHER>", "items"]
    assert [(i.table, i.name) for i in loaded.schema.indexes] == [("items", "id_1")]
    scans = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "collection-scan"]
    # the lookup by id is served; the delete by collection is not; the run-time collection is not judged
    assert [f.location.line for f in scans] == [18]
