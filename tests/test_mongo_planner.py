"""The static planner against what recorded explains show the server did, and its ESR advice."""

from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.ir import IndexDef, IndexKey
from advisor.mongo.filters import analyse_filter
from advisor.mongo.planner import esr_keys, leading_stages, plan_find
from advisor.mongo.shape import Placeholder, Regex


def ix(name, *keys, **options):
    return IndexDef(name, "c", tuple(IndexKey(k.lstrip("-"), True, k.startswith("-")) for k in keys),
                    method="mongo", options=options)


def test_sample_01_12_no_index_collscan():
    assert plan_find({"category": "low_rated"}, None, []).stage == "COLLSCAN"


def test_sample_02_range_uses_index():
    p = plan_find({"age": {"$gte": 33, "$lte": 40}}, None, [ix("age_1", "age")])
    assert p.stage == "IXSCAN" and p.index.name == "age_1" and not p.blocking_sort


def test_sample_03_covered():
    p = plan_find({"age": {"$gte": 33, "$lte": 40}}, None, [ix("age_1", "age")], projection={"age": 1, "_id": 0})
    assert p.covered


def test_sample_04_range_then_sort_is_blocking():
    p = plan_find({"age": {"$gte": 33, "$lte": 40}}, {"email": 1}, [ix("age_1", "age")])
    assert p.stage == "IXSCAN" and p.blocking_sort
    assert esr_keys(analyse_filter({"age": {"$gte": 33}}), {"email": 1}) == [("email", 1), ("age", 1)]


def test_sample_11_in_plus_sort_on_other_field_is_blocking():
    p = plan_find({"startingAirport": "LAX", "destinationAirport": {"$in": ["JFK", "LGA"]}}, {"baseFare": 1},
                  [ix("sd", "startingAirport", "destinationAirport")])
    assert p.index.name == "sd" and p.blocking_sort


def test_in_under_200_values_acts_as_equality_for_sort():
    idx = [ix("a_1_c_1", "a", "c")]
    assert not plan_find({"a": {"$in": list(range(10))}}, {"c": 1}, idx).blocking_sort
    assert plan_find({"a": {"$in": list(range(300))}}, {"c": 1}, idx).blocking_sort


def test_sample_15_equality_prefix():
    p = plan_find({"a": 0}, None, [ix("a_1_b_1", "a", "b")])
    assert p.index.name == "a_1_b_1"


def test_sample_16_or_with_sort_merge():
    flt = {"$or": [{"a": {"$in": ["1", "2"]}, "b": "1"}, {"d": "3", "e": "3"}, {"f": "4", "g": "3"}]}
    idx = [ix("a_1_b_1_c_1", "a", "b", "c"), ix("d_1_c_1", "d", "c"), ix("f_1_c_1", "f", "c")]
    p = plan_find(flt, {"c": 1}, idx)
    assert p.stage == "OR" and not p.blocking_sort and len(p.branches) == 3
    q = plan_find(flt, {"c": 1}, idx[:2])
    assert q.stage == "COLLSCAN" and [n for n, _ in q.unindexed_clauses] == [2]


def test_sort_direction_rules():
    idx = [ix("a_1_b_-1", "a", "-b")]
    assert not plan_find({"a": 1}, {"b": -1}, idx).blocking_sort
    assert plan_find({}, {"a": -1, "b": 1}, idx).sort_served  # fully reversed
    assert plan_find({}, {"a": 1, "b": 1}, idx).blocking_sort


def test_equality_between_sort_keys():
    p = plan_find({"b": 5}, {"a": 1, "c": 1}, [ix("abc", "a", "b", "c")])
    assert p.stage == "IXSCAN" and not p.blocking_sort


def test_id_equality_is_idhack():
    assert plan_find({"_id": Placeholder("objectid")}, None, []).stage == "IDHACK"


def test_partial_and_sparse_indexes():
    partial = ix("p", "status", partialFilterExpression={"active": True})
    assert plan_find({"status": "x"}, None, [partial]).stage == "COLLSCAN"
    assert plan_find({"status": "x", "active": True}, None, [partial]).stage == "IXSCAN"
    sparse = ix("s", "nick", sparse=True)
    assert plan_find({}, {"nick": 1}, [sparse]).blocking_sort


def test_regex_prefix_is_bounded_unanchored_is_not():
    idx = [ix("n", "name")]
    assert plan_find({"name": Regex("^Smi")}, None, idx).stage == "IXSCAN"
    assert plan_find({"name": Regex("smi")}, None, idx).stage == "COLLSCAN"


def test_leading_match_after_project_and_sort():
    pipe = [{"$project": {"a": 1, "x": {"$add": ["$a", 1]}}}, {"$match": {"a": 1}}, {"$sort": {"b": 1}},
            {"$group": {"_id": "$a"}}]
    lead = leading_stages(pipe)
    assert [p.field for p in lead.info.preds] == ["a"]
    assert leading_stages([{"$project": {"x": "$y"}}, {"$match": {"x": 1}}]).info.preds == []
    assert leading_stages([{"$limit": 5}, {"$match": {"a": 1}}]).info.preds == []


values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.just(Placeholder("unknown")),
              st.builds(Placeholder, st.just("regex"), st.text(max_size=12).map(lambda t: f"new RegExp({t})")),
              st.builds(Regex, st.text(max_size=4), st.sampled_from(["", "i"]))),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.sampled_from(["a", "b", "c.d", "$gt", "$in", "$or", "$and", "$ne",
                                                                "$regex", "$exists", "$elemMatch", "$not", "$nor",
                                                                "$where", "$expr", "_id", "$eq"]),
                                               children, max_size=4)),
    max_leaves=12)
stages = st.dictionaries(st.sampled_from(["$match", "$sort", "$group", "$project", "$unwind", "$lookup", "$limit",
                                          "$skip", "$set", "$unset", "$facet"]), values, min_size=1, max_size=1)
indexes = st.lists(st.lists(st.sampled_from(["a", "-a", "b", "-b", "c.d", "_id"]), min_size=1, max_size=3, unique=True)
                   .map(lambda ks: ix("_".join(ks), *ks)), max_size=3)


@settings(max_examples=200, deadline=None)
@given(values, values, values, indexes)
def test_random_filters_never_crash_the_planner(flt, sort, projection, idx):
    plan = plan_find(flt, sort, idx, projection)
    assert plan.stage in {"IDHACK", "IXSCAN", "COLLSCAN", "OR", "EMPTY", "SPECIAL", "UNKNOWN"}
    esr_keys(analyse_filter(flt), sort)


@settings(max_examples=150, deadline=None)
@given(st.lists(stages, max_size=6), indexes)
def test_random_pipelines_never_crash_the_rules(pipeline, idx):
    from advisor.checks.mongo import check_query
    from advisor.ir import Schema
    from advisor.mongo.shape import MongoQuery

    q = MongoQuery("c", "aggregate", pipeline=pipeline)
    failed = [h.message for name, h in check_query(q, Schema(indexes=idx), lambda name: True) if name == "rule-failed"]
    q = MongoQuery("c", "find", filter=pipeline[0] if pipeline else {}, sort={"a": -1}, skip=Placeholder("number"))
    failed += [h.message for name, h in check_query(q, Schema(indexes=idx), lambda name: True) if name == "rule-failed"]
    assert failed == []  # the guard turns a crash into a finding: none may fail


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "e"]), st.integers(), min_size=1, max_size=3), indexes)
def test_the_chosen_index_serves_the_equality_fields(flt, idx):
    """An equality filter on plain fields: when an index leads with one of them the planner never scans
    the collection, and the equality prefix it credits is made of fields the filter pins."""
    plan = plan_find(flt, None, idx)
    leads = [i for i in idx if i.keys[0].expr in flt]
    if leads:
        assert plan.stage in ("IXSCAN", "IDHACK"), (flt, [i.name for i in idx], plan.describe())
    if plan.stage == "IXSCAN":
        assert plan.index is not None and plan.candidate is not None
        assert all(k.expr in flt for k in plan.index.keys[: plan.candidate.eq_prefix]), plan.describe()
    else:
        assert not leads


patterns = st.text(alphabet="ab^$'\"` +.", min_size=1, max_size=10).filter(str.strip)


@settings(max_examples=300, deadline=None)
@given(patterns, st.sampled_from(["", "i", "gi"]), st.text(max_size=20))
def test_regexp_calls_read_as_written(pattern, flags, junk):
    from advisor.mongo.patterns import regexp_call

    assert regexp_call(f"new RegExp({pattern}, '{flags}')") == (pattern.strip(), flags)
    assert regexp_call(f"new RegExp(fn({pattern}, x), opts)") == (f"fn({pattern}, x)", None)
    text, fl = regexp_call(junk)  # anything else: read or not, never an error
    assert isinstance(text, str) and (fl is None or isinstance(fl, str))
