"""Regressions from real MongoDB code (issue 11): shapes real projects write, checked like the server would.

Each snippet is written here in the style of the project it stands for; none is copied from it."""

from advisor.checks.mongo import check_query
from advisor.ir import IndexDef, IndexKey, Schema
from advisor.mongo.planner import plan_find
from advisor.mongo.shape import MongoQuery, Placeholder
from advisor.sources import extract


def mongo(src):
    return [q for q in src.queries if isinstance(q, MongoQuery)]


def ix(name, *keys, table="c", **options):
    return IndexDef(name, table, tuple(IndexKey(k.lstrip("-"), True, k.startswith("-")) for k in keys),
                    method="mongo", unique=bool(options.get("unique")), options=options)


def rules(query, indexes):
    return sorted(name for name, _ in check_query(query, Schema(indexes=indexes), lambda name: True))


# --- never abort ------------------------------------------------------------------------------


def test_or_nested_in_an_or_clause_without_index_plans():
    flt = {"$or": [{"$or": [{"a": 1}, {"b": 2}]}, {"c": 3}]}
    plan = plan_find(flt, None, [])
    assert plan.stage == "COLLSCAN" and [n for n, _ in plan.unindexed_clauses] == [0, 1]
    served = plan_find(flt, None, [ix("a", "a"), ix("b", "b"), ix("c_", "c")])
    assert served.stage == "OR"


def test_variable_reassigned_in_terms_of_itself_js():
    src = extract("search.js", """\
async function search(filter, key, db) {
  filter = { $or: [filter, { owner: 'me' }] };
  filter = { $or: [filter, { shared: true }] };
  await db.collection('docs').find(filter).limit(5).toArray();
  key = { $in: key };
  await db.collection('docs').find({ key: key }).limit(5).toArray();
}
""")
    first, second = mongo(src)
    inner = first.filter["$or"][0]["$or"]
    assert inner[0] == Placeholder("unknown", "filter") and inner[1] == {"owner": "me"}
    assert first.filter["$or"][1] == {"shared": True}
    assert second.filter == {"key": {"$in": Placeholder("unknown", "key")}}


def test_variable_reassigned_in_terms_of_itself_python():
    src = extract("search.py", """\
def search(db, flt, key):
    flt = {"$or": [flt, {"owner": "me"}]}
    db.docs.find(flt).limit(5)
    key = {"$in": key}
    db.docs.find_one({"key": key})
""")
    first, second = mongo(src)
    assert first.filter == {"$or": [Placeholder("unknown", "flt"), {"owner": "me"}]}
    assert second.filter == {"key": {"$in": Placeholder("unknown", "key")}}


def test_values_built_from_each_other_stay_bounded():
    lines = ["let q = { x: 1 };"] + ["q = { $and: [" + ", ".join(["q"] * 20) + "] };"] * 8
    src = extract("blowup.js", "\n".join(lines) + "\ndb.collection('c').findOne(q);\n")
    (q,) = mongo(src)
    assert q.partial and len(repr(q.filter)) < 2_000_000
