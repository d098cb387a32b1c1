"""unbounded-find is silent where a getter named as returning every one of something hands its result on
whole (librechat's getAllRoles, MeshCentral's GetAllEvents(func)): reading the whole match is its contract.

Each snippet is written here in the style of the code it stands for; none is copied from it."""

from advisor.checks.mongo import check_query
from advisor.ir import Schema
from advisor.mongo.shape import MongoQuery
from advisor.oneoff import returns_all
from advisor.sources import extract


def test_names_that_say_every_one():
    for name in ("getAllRoles", "get_all_users", "GetAllSMBIOS", "all_jobs", "fetchAll", "findAllActive", "_get_all"):
        assert returns_all((name, "Store")), name
    for name in ("getRoles", "listUsers", "get_course_groups", "allocate", "install_all", "getAllowed", "ball"):
        assert not returns_all((name, "Store")), name
    assert not returns_all(())
    assert not returns_all(("handler", "getAllRoutes"))  # the function that runs the find: the innermost


def unbounded(text: str) -> list[int]:
    queries = [q for q in extract("store.js", text).queries if isinstance(q, MongoQuery)]
    return sorted(
        q.location.line
        for q in queries
        for name, _ in check_query(q, Schema(indexes=[]), lambda n: True)
        if name == "unbounded-find"
    )


def test_a_getter_of_everything_that_hands_its_result_on_is_not_reported():
    text = """\
const obj = {};
obj.GetAllEvents = function (func) { db.collection('events').find({}).toArray(func); };
obj.GetAllPower = function (func) { db.collection('power').find({}, func); };
async function getAllRoles() { return await db.collection('roles').find().toArray(); }
async function getAllStats() {
  const events = await db.collection('events').find({}).toArray();
  return events.length;
}
async function listUsers(res) { return await db.collection('users').find().toArray(); }
obj.GetEvents = function (func) { db.collection('events').find({}).toArray(func); };
"""
    # getAllStats keeps every event in memory to count them; listUsers and GetEvents are not named as all
    assert unbounded(text) == [6, 9, 10]
