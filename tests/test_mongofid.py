"""MongoDB fidelity on holdout 7 (issue 11 points 4, 5, 7): each a sound, general mechanism, from
snippets written here in the style of a bundled mongoose data layer (none copied from it)."""

from dataclasses import replace

from advisor.checks.mongo import check_query
from advisor.ir import IndexDef, IndexKey, Schema
from advisor.mongo.planner import plan_find
from advisor.mongo.shape import MongoQuery, Placeholder, Regex
from advisor.sources import extract


def shapes(src):
    return [(q.location.line, q.collection) for q in src.queries if isinstance(q, MongoQuery)]


def ix(name, *keys, table="c", **options):
    return IndexDef(
        name,
        table,
        tuple(IndexKey(k.lstrip("-"), True, k.startswith("-")) for k in keys),
        method="mongo",
        unique=bool(options.get("unique")),
        options=options,
    )


def rules(query, indexes):
    return sorted(name for name, _ in check_query(query, Schema(indexes=indexes), lambda name: True))


# --- 1. a name is the binding in scope at the call ------------------------------------------------

BUNDLE = """\
function createEnvironmentMethods(mongoose) {
  const model = () => mongoose.models.CodeEnvironment;
  async function byCreator(userId) {
    return await model().find({ createdBy: userId }).lean();
  }
}
function createAuditMethods(mongoose) {
  function model() {
    return mongoose.models.AuditLog;
  }
  async function list(chainKey) {
    return await model().find({ chainKey }).lean();
  }
}
function createUserMethods(mongoose) {
  async function one(id) {
    return await model().findOne({ _id: id });
  }
}
"""


def test_a_called_name_is_the_function_or_constant_in_scope_never_another_functions():
    found = shapes(extract("bundle.mjs", BUNDLE))
    assert (4, "codeenvironments") in found  # the local `const model`, not the later `function model`
    assert (12, "auditlogs") in found
    # `model` is bound in neither enclosing scope: no collection is named for it
    assert all(coll in (None, "") or coll.startswith("<") for line, coll in found if line == 17)


def test_a_constant_of_another_function_is_not_read():
    text = """\
function a(db) {
  const coll = db.collection('jobs');
  return coll.find({ owner: 1 }).limit(5).toArray();
}
function b() {
  return coll.find({ owner: 2 }).limit(5).toArray();
}
"""
    found = shapes(extract("two.js", text))
    assert (3, "jobs") in found
    assert (6, "jobs") not in found  # a's constant is not visible in b


# --- 2. a filter that pins a unique key matches one document: nothing to sort ----------------------


def test_equality_on_every_key_of_a_unique_index_sorts_nothing():
    unique = ix("name_1_author_1", "name", "author", unique=True)
    pinned = MongoQuery(
        collection="c", operation="findOne", filter={"name": "a", "author": "b"}, sort={"updatedAt": -1}
    )
    assert plan_find(pinned.filter, pinned.sort, [unique]).blocking_sort is False
    assert "in-memory-sort" not in rules(pinned, [unique])


def test_a_unique_index_the_filter_does_not_pin_still_needs_the_sort():
    unique = ix("name_1_author_1", "name", "author", unique=True)
    for flt, indexes in (
        ({"name": "a"}, [unique]),  # one key of two: many documents
        ({"name": "a", "author": {"$in": ["b", "c"]}}, [unique]),  # two values: two documents
        ({"name": "a", "author": "b"}, [ix("name_1_author_1", "name", "author")]),  # not unique
        (
            {"name": "a", "author": "b"},
            [
                ix("name_1_author_1", "name", "author"),  # unique among live ones only
                ix("p", "name", "author", unique=True, partialFilterExpression={"live": 1}),
            ],
        ),
    ):
        query = MongoQuery(collection="c", operation="find", filter=flt, sort={"updatedAt": -1}, limit=10)
        assert plan_find(flt, query.sort, indexes).blocking_sort, flt
        assert "in-memory-sort" in rules(query, indexes), flt
    # without a limit, the documents of the listed keys are all returned: sorting them costs what reading does
    listed = MongoQuery(
        collection="c", operation="find", filter={"name": "a", "author": {"$in": ["b", "c"]}}, sort={"updatedAt": -1}
    )
    assert "in-memory-sort" not in rules(listed, [unique])
    live = {"name": "a", "author": "b", "live": 1}  # now the partial unique index holds the matches
    assert not plan_find(
        live, {"updatedAt": -1}, [ix("p", "name", "author", unique=True, partialFilterExpression={"live": 1})]
    ).blocking_sort


# --- 3. indexes the server uses for $exists and $elemMatch ----------------------------------------


def test_exists_is_served_by_an_index_that_holds_only_documents_with_the_field():
    flt = {"cleanupAt": {"$exists": True}}
    for index in (
        ix("s", "cleanupAt", sparse=True),
        ix("p", "cleanupAt", partialFilterExpression={"cleanupAt": {"$exists": True}}),
    ):
        plan = plan_find(flt, None, [index])
        assert plan.stage == "IXSCAN" and plan.index is index
        assert "collection-scan" not in rules(MongoQuery(collection="c", operation="find", filter=flt), [index])
    # a plain index holds every document (a missing field is a null key): the server uses it with bounds
    # [MinKey, MaxKey] and reads them all (index_bounds_builder: EXISTS, INEXACT_FETCH unless sparse)
    plain = plan_find(flt, None, [ix("n", "cleanupAt")])
    assert plain.stage == "IXSCAN" and plain.candidate.all_keys and plain.candidate.bounded == 0
    # a compound sparse index holds a document with any of its keys: not only those with the first
    assert plan_find(flt, None, [ix("c", "cleanupAt", "other", sparse=True)]).candidate.all_keys
    # $exists: false is the documents a sparse index leaves out
    assert plan_find({"cleanupAt": {"$exists": False}}, None, [ix("s", "cleanupAt", sparse=True)]).stage == "COLLSCAN"


def test_elem_match_on_subdocuments_is_served_by_an_index_on_their_fields():
    flt = {"runs": {"$elemMatch": {"status": {"$ne": "settled"}, "at": {"$gt": 5}}}}
    on_status = ix("runs.status_1", "runs.status", "runs.at")
    plan = plan_find(flt, None, [on_status])
    assert plan.stage == "IXSCAN" and plan.candidate.bounded == 1
    query = MongoQuery(collection="c", operation="find", filter=flt)
    assert "collection-scan" not in rules(query, [on_status])
    assert "negation-only" not in rules(query, [on_status])  # an element must exist: a positive condition
    assert plan_find({"runs": {"$elemMatch": {"id": 7}}}, None, [ix("i", "runs.id")]).stage == "IXSCAN"
    # an index on the array itself does not bound conditions on its subdocuments' fields
    assert plan_find(flt, None, [ix("runs_1", "runs")]).stage == "COLLSCAN"
    unindexed = rules(query, [ix("runs_1", "runs")])
    assert "collection-scan" in unindexed
    # $elemMatch on values keeps bounding an index on the array
    assert plan_find({"scores": {"$elemMatch": {"$gte": 80}}}, None, [ix("s", "scores")]).stage == "IXSCAN"


# --- 4. an $or clause no index could bound is not a missing index -----------------------------------


def test_an_or_with_a_clause_no_index_can_bound_blames_no_missing_index():
    indexes = [ix("email_1", "email")]
    search = Placeholder("regex", 'new RegExp(escapeRegExp(q), "i")')
    for flt in (
        {"$or": [{"email": search}, {"name": search}]},  # every clause a case-insensitive search
        {"$or": [{"email": Regex("smith")}, {"name": "Smith"}]},  # one unanchored: the $or scans anyway
    ):
        query = MongoQuery(collection="c", operation="find", filter=flt, limit=20)
        found = rules(query, indexes)
        assert "or-unindexed" not in found and "collection-scan" not in found, flt
    # and-ed with an unindexed equality: that is what an index would serve
    scoped = MongoQuery(
        collection="c", operation="find", filter={"org": 1, "$or": [{"email": search}, {"name": search}]}, limit=20
    )
    assert "collection-scan" in rules(scoped, indexes)
    # clauses an index could bound keep the finding
    plain = MongoQuery(collection="c", operation="find", filter={"$or": [{"email": "a"}, {"name": "b"}]}, limit=1)
    assert "or-unindexed" in rules(plain, indexes)
    anchored = MongoQuery(collection="c", operation="find", filter={"$or": [{"email": "a"}, {"name": Regex("^Sm")}]})
    assert "or-unindexed" in rules(anchored, indexes)


# --- 5. a partial index serves only the rows it holds -----------------------------------------------


def _redundant(indexes):
    from advisor.checks.schema import redundant_index
    from advisor.ir import Location

    placed = [replace(i, location=Location("s.js", n + 1, 1)) for n, i in enumerate(indexes)]
    return [hit.subject for hit in redundant_index(Schema(indexes=placed))]


def _index(method, name, *keys, subset=None):
    """An index of `files` holding the rows `subset` keeps (SQL WHERE text, MongoDB partialFilterExpression)."""
    if method == "mongo":
        options = {"partialFilterExpression": subset} if subset is not None else {}
        return replace(ix(name, *keys, table="files", **options), method="mongo")
    return replace(ix(name, *keys, table="files"), method="btree", where=subset)


def test_a_partial_index_makes_no_whole_one_redundant_mongo_and_sql_alike():
    for method, run in (("mongo", {"context": "run"}), ("btree", "context = 'run'")):
        whole, wide = _index(method, "user_1", "user"), _index(method, "run", "user", "runId", subset=run)
        assert _redundant([whole, wide]) == [], method
        # the same rows on both sides: the prefix is redundant
        narrow = _index(method, "user_1", "user", subset=run)
        assert _redundant([narrow, wide]) == ["files:user_1"], method
        assert _redundant([whole, _index(method, "all", "user", "runId")]) == ["files:user_1"], method
