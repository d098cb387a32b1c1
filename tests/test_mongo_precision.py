"""Regressions from real MongoDB code (issue 11): shapes real projects write, checked like the server would.

Each snippet is written here in the style of the project it stands for; none is copied from it."""

from dataclasses import replace

import pytest

from advisor.checks.mongo import check_query
from advisor.ir import IndexDef, IndexKey, Schema
from advisor.mongo.filters import analyse_filter
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


# --- index declarations checked like the server ---------------------------------------------------


def test_same_key_pattern_under_two_names_is_the_server_error():
    from advisor.checks.mongo_declared import index_option_conflict
    from advisor.ir import Location

    first = ix("byUser", "user", "-created", table="messages")
    again = ix("user_1_created_-1", "user", "-created", table="messages")
    first.location, again.location = Location("a.js", 1, 1), Location("a.js", 2, 1)
    (hit,) = index_option_conflict(Schema(indexes=[first, again]))
    assert "IndexOptionsConflict" in hit.message and "another name" in hit.message and hit.location.line == 2
    # the same declaration twice (as mongoose and a setup script both do) is a no-op for the server
    same = ix("byUser", "user", "-created", table="messages")
    same.location = Location("b.js", 1, 1)
    assert list(index_option_conflict(Schema(indexes=[first, same]))) == []
    # another collation or partial filter is another index
    other = ix("byUser_ci", "user", "-created", table="messages", collation={"locale": "en", "strength": 2})
    other.location = Location("b.js", 2, 1)
    assert list(index_option_conflict(Schema(indexes=[first, other]))) == []


def test_compound_index_behind_a_unique_prefix():
    from advisor.checks.mongo_declared import unique_prefix
    from advisor.ir import Location

    lone = ix("address_1", "address", table="w", unique=True)
    pair = ix("address_1_type_1", "address", "type", table="w", unique=True)
    plain = ix("address_1_seen_-1", "address", "-seen", table="w")
    sparse = ix("email_1", "email", table="w", unique=True, sparse=True)
    with_email = ix("email_1_tenant_1", "email", "tenant", table="w", unique=True)
    for n, i in enumerate((lone, pair, plain, sparse, with_email)):
        i.location = Location("i.js", n + 1, 1)
    hits = {h.location.line: h.severity for h in unique_prefix(Schema(indexes=[lone, pair, plain, sparse, with_email]))}
    # a plain index behind a unique key still serves sorts (paging on { key, _id }); a sparse unique
    # index is not unique over every document
    assert hits == {2: None}


def test_no_index_declared_for_a_collection_is_said_once(tmp_path, monkeypatch):
    from advisor import engine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.toml").write_text('large-tables = ["*"]\ndialect = "postgres"\n')
    (tmp_path / "jobs.js").write_text("""\
async function due(db) {
  await db.collection('jobs').find({ queue: 'mail', runAt: { $lte: new Date() } }).limit(10).toArray();
  await db.collection('jobs').findOne({ lockedBy: 'w1' });
  await db.collection('users').findOne({ email: 'a@b' });
}
""")
    (tmp_path / "setup.js").write_text("db.collection('users').createIndex({ name: 1 });\n")
    found = [(f.rule, f.location.path, f.location.line) for f in engine.check(["."]).active]
    assert ("MGO015", "jobs.js", 2) in found and sum(1 for r, _, _ in found if r == "MGO015") == 1
    (note,) = [f for f in engine.check(["."]).active if f.rule == "MGO015"]
    assert "whether this and 1 other query on jobs scan the collection" in note.message
    assert not any(r in ("MGO001", "MGO002", "MGO012") and line in (2, 3) for r, _, line in found)
    assert ("MGO001", "jobs.js", 4) in found  # users has declarations: the scan on email is a real finding


def test_collections_with_no_index_declared_are_named_in_one_note(tmp_path, monkeypatch):
    """What advisor could not see is said once per project, naming each collection, not once per collection."""
    from advisor import engine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.js").write_text("""\
async function f(db) {
  await db.collection('settings').findOne({ key: 'site' });
  await db.collection('bands').find({ build: '38' }).toArray();
  await db.collection('bands').find({ chrom: '1' }).toArray();
}
""")
    (tmp_path / "a.js").write_text("db.collection('users').find({ email: 'x' }).limit(1).toArray();\n")
    notes = [f for f in engine.check(["."]).active if f.rule == "MGO015"]
    assert [(n.location.path, n.location.line) for n in notes] == [("a.js", 1)]
    assert "no index declaration for 3 collections" in notes[0].message
    assert "users (1 query, first at a.js:1); settings (1 query, first at b.js:2); bands (2 queries, first at b.js:3)" in notes[0].message


# --- index declarations wherever projects keep them ---------------------------------------------


def test_index_manifest_in_yaml_and_json():
    src = extract("indexes.yaml", """\
collections:
  - collection: messages
    options: { storageEngine: { wiredTiger: { configString: block_compressor=zlib } } }
indexes:
  - collection: mailboxes
    index:
      name: user_path
      unique: true
      key: { user: 1, path: 1 }
  - collection: messages
    index:
      name: by_thread
      key:
        thread: 1
        idate: -1
""")
    assert [(i.table, i.name, i.unique, i.location.line) for i in src.indexes] == [
        ("mailboxes", "user_path", True, 5), ("messages", "by_thread", False, 10)]
    assert src.queries == []
    src = extract("db/indexes.json", '[{"collection": "jobs", "keys": {"queue": 1, "runAt": 1}, '
                                     '"options": {"sparse": true}}]')
    ((ix_,),) = [src.indexes]
    assert (ix_.table, ix_.name, ix_.options["sparse"]) == ("jobs", "queue_1_runAt_1", True)


def test_index_manifest_of_collections_with_their_index_lists():
    # as a pipeline framework configures its databases (ampel-core's conf/.../mongo/data.yaml):
    # each collection by name with its indexes, a field alone or a compound key as a list of fields
    src = extract("conf/mongo/data.yaml", """\
name: data
collections:
- name: t1
  indexes:
  - index:
    - field: stock
    - field: link
      direction: -1
    args:
      unique: true
  - field: channel
  - field: code
    args:
      sparse: true
- name: logs
  args: { capped: true }
role:
  r: logger
""")
    assert [(i.table, i.name, i.unique, i.options.get("sparse"), i.location.line) for i in src.indexes] == [
        ("t1", "stock_1_link_-1", True, None, 5), ("t1", "channel_1", False, None, 11),
        ("t1", "code_1", False, True, 12)]
    assert src.queries == []
    # one collection alone, or a list of them, in JSON
    src = extract("indexes.json", '[{"collection": "jobs", "indexes": [{"keys": {"queue": 1}, "unique": true}]}]')
    assert [(i.table, i.name, i.unique) for i in src.indexes] == [("jobs", "queue_1", True)]


# --- planner fidelity -------------------------------------------------------------------------


def test_ne_has_index_bounds():
    # a task queue's lock sweep: { locked: { $ne: false }, lockedUntil: { $lt: now } }
    task = ix("task", "locked", "lockedUntil", table="tasks")
    flt = {"locked": {"$ne": False}, "lockedUntil": {"$lt": Placeholder("date", "new Date()")}}
    plan = plan_find(flt, None, [task])
    assert plan.stage == "IXSCAN" and (plan.candidate.bounded, plan.candidate.filtered) == (1, 2)
    q = MongoQuery("tasks", "updateMany", filter=flt)
    assert rules(q, [task]) == []
    assert plan_find({"state": {"$nin": ["done", "failed"]}}, None, [ix("s", "state")]).stage == "IXSCAN"
    assert plan_find({"state": {"$not": {"$in": ["done"]}}}, None, [ix("s", "state")]).stage == "COLLSCAN"


def test_partial_index_credited_when_the_query_implies_its_filter():
    partial = ix("unseen", "mailbox", "uid", partialFilterExpression={"$and": [{"unseen": True}, {"deleted": {"$eq": False}}]})
    assert plan_find({"mailbox": 1, "unseen": True, "deleted": False}, None, [partial]).stage == "IXSCAN"
    assert plan_find({"mailbox": 1, "unseen": True}, None, [partial]).stage == "COLLSCAN"


def test_a_partial_type_filter_is_credited_only_for_the_same_type_condition():
    # the server's isSubsetOf has no case for `$type`: holdout 72's builds, `{gameId: id}` beside an index partial on
    # `{gameId: {$type: 'objectId'}}`, are read whole (the query must repeat the `$type` to use it)
    typed = ix("gameId_1", "gameId", partialFilterExpression={"gameId": {"$type": "objectId"}})
    assert plan_find({"gameId": Placeholder("id", "id")}, None, [typed]).stage == "COLLSCAN"
    repeated = {"$and": [{"gameId": Placeholder("id", "id")}, {"gameId": {"$type": "objectId"}}]}
    assert plan_find(repeated, None, [typed]).stage == "IXSCAN"
    other = {"$and": [{"gameId": Placeholder("id", "id")}, {"gameId": {"$type": "string"}}]}
    assert plan_find(other, None, [typed]).stage == "COLLSCAN"


def test_partial_index_range_credited_only_when_the_query_stays_inside_it():
    big = ix("big", "user", partialFilterExpression={"size": {"$gt": 1000}})
    plan = lambda flt: plan_find(flt, None, [big]).stage  # noqa: E731
    assert plan({"user": 1, "size": {"$gt": 5000}}) == "IXSCAN"
    assert plan({"user": 1, "size": {"$gt": 1000}}) == "IXSCAN"
    assert plan({"user": 1, "size": 2000}) == "IXSCAN"
    assert plan({"user": 1, "size": {"$in": [2000, 3000]}}) == "IXSCAN"
    assert plan({"user": 1, "size": Placeholder("number", "min")}) == "IXSCAN"  # the server compares the real value
    # documents the index does not hold could match: the server cannot use it
    assert plan({"user": 1, "size": {"$gte": 1000}}) == "COLLSCAN"
    assert plan({"user": 1, "size": {"$gt": 10}}) == "COLLSCAN"
    assert plan({"user": 1, "size": {"$lt": 5000}}) == "COLLSCAN"
    assert plan({"user": 1, "size": {"$in": [2000, 5]}}) == "COLLSCAN"
    assert plan({"user": 1, "size": {"$lt": Placeholder("number", "max")}}) == "COLLSCAN"
    window = ix("window", "user", partialFilterExpression={"age": {"$gte": 18, "$lt": 65}})
    assert plan_find({"user": 1, "age": {"$gte": 20, "$lt": 30}}, None, [window]).stage == "IXSCAN"
    assert plan_find({"user": 1, "age": {"$gte": 20}}, None, [window]).stage == "COLLSCAN"


def test_runtime_regex_anchoring_from_the_code():
    src = extract("search.js", """\
async function search(db, user, q, escapeRegex, pattern) {
  const byUser = { user };
  await db.collection('addresses').find({ user, name: { $regex: '^' + escapeRegex(q) } }).limit(20).toArray();
  await db.collection('addresses').find({ name: { $regex: '^' + escapeRegex(q), $options: 'i' } }).limit(20).toArray();
  await db.collection('addresses').find({ address: { $regex: escapeRegex(q) } }).limit(20).toArray();
  await db.collection('addresses').find({ address: { $regex: '@' + escapeRegex(q) + '$' } }).limit(20).toArray();
  await db.collection('addresses').find({ address: { $regex: pattern } }).limit(20).toArray();
  await db.collection('addresses').find({ name: new RegExp('^' + escapeRegex(q), 'i') }).limit(20).toArray();
  await db.collection('addresses').find({ name: new RegExp(escapeRegex(q), 'i') }).limit(20).toArray();
  await db.collection('addresses').find({ name: /smith/ }).limit(20).toArray();
}
""")
    found = {}
    for q in mongo(src):
        for name, hit in check_query(q, Schema(indexes=[ix("n", "name", table="addresses")]), lambda n: True):
            if name == "unanchored-regex":
                found[q.location.line] = hit.message
    # anchored but case-insensitive (a lower-cased copy serves it), and a constant pattern; not the caller's
    # value matched anywhere or at the end (lines 5, 6, 9): a search whose meaning no index order keeps
    assert sorted(found) == [4, 8, 10]
    assert "case-insensitive" in found[4] and "case-insensitive" in found[8] and "not anchored" in found[10]


def test_runtime_regex_anchoring_python():
    src = extract("app/search.py", """\
import re


def search(db, q):
    db.people.find({"name": {"$regex": f"^{re.escape(q)}", "$options": ""}}).limit(5)
    db.people.find({"name": {"$regex": f"^{re.escape(q)}", "$options": "i"}}).limit(5)
    db.people.find({"name": {"$regex": f"{re.escape(q)}", "$options": ""}}).limit(5)
    db.people.find({"name": {"$regex": re.escape(q), "$options": "i"}}).limit(5)
""")
    people = [ix("name", "name", table="people")]
    kinds = [analyse_filter(q.filter).preds[0].kind for q in mongo(src)]
    assert kinds == ["prefix", "regex", "regex", "regex"]
    assert plan_find(mongo(src)[0].filter, None, people).stage == "IXSCAN"
    found = [q.location.line for q in mongo(src) if "unanchored-regex" in rules(q, people)]
    assert found == [6]  # anchored but case-insensitive; the others search the caller's value anywhere


def test_new_regexp_is_a_pattern_not_a_value():
    by_name = [ix("n", "name")]
    prefix = plan_find({"name": Placeholder("regex", "new RegExp('^' + escape(q))")}, None, by_name)
    assert prefix.stage == "IXSCAN" and prefix.candidate.eq_prefix == 0 and prefix.candidate.bounded == 1
    # before: read as an equality, so the index "bounded" a substring search
    anywhere = plan_find({"name": Placeholder("regex", "new RegExp(escape(q), 'i')")}, None, by_name)
    assert anywhere.stage == "COLLSCAN"
    unknown = analyse_filter({"name": Placeholder("regex", "new RegExp(q, flags)")})
    assert [p.kind for p in unknown.preds] == ["other"]


def test_no_regex_claim_on_a_sketch_of_the_filter():
    src = extract("lib/api/certs.js", """\
async function list(db, query, altNames) {
  let filter = query ? { servername: { $regex: '^' + escape(query), $options: 'i' } } : {};
  if (query && altNames) {
    filter = { $or: [filter, { altNames: { $regex: '^' + escape(query), $options: 'i' } }] };
    if (query.indexOf('.') >= 0) {
      filter.$or.push({ altNames: '*' + query.substr(query.indexOf('.')) });
    }
  }
  return db.collection('certs').countDocuments(filter);
}
""")
    (q,) = mongo(src)
    assert q.partial
    assert "unanchored-regex" not in rules(q, [ix("servername", "servername", table="certs")])
    whole = replace(q, partial=False, filter={"altNames": {"$regex": Placeholder("string", "'^' + escape(query)"),
                                                           "$options": "i"}})
    assert "unanchored-regex" in rules(whole, [ix("servername", "servername", table="certs")])


def test_esr_order_not_claimed_when_a_contained_or_races_it():
    # a garbage sweep: { acme, updated } then autogenerated, with an $or on expires that another index bounds
    garbage = ix("garbage_check", "acme", "updated", "expires", "autogenerated", table="certs")
    renewal = ix("renewal_check", "acme", "expires", "lastCheck", table="certs")
    old = {"$lt": Placeholder("date", "new Date(Date.now() - TTL)")}
    flt = {"acme": True, "updated": old, "autogenerated": True,
           "$or": [{"expires": {"$exists": False}}, {"expires": {"$lt": Placeholder("date", "new Date()")}}]}
    q = MongoQuery("certs", "deleteMany", filter=flt)
    assert "esr-order" not in rules(q, [garbage, renewal])
    plan = plan_find(flt, None, [garbage, renewal])
    assert plan.index.name == "garbage_check" and plan.or_alternative
    # without an index that bounds the $or clauses, the server has no other plan: the key order is the finding
    assert "esr-order" in rules(q, [garbage])
    assert "esr-order" in rules(replace(q, filter={k: v for k, v in flt.items() if k != "$or"}), [garbage, renewal])


def test_in_memory_sort_not_claimed_when_an_index_on_the_same_equality_gives_the_order():
    undeleted = ix("mailbox_undeleted", "mailbox", "undeleted", table="messages")
    by_uid = ix("mailbox_uid", "mailbox", "uid", "_id", table="messages")
    q = MongoQuery("messages", "find", filter={"mailbox": Placeholder("objectid", "id"), "undeleted": False},
                   sort={"uid": 1}, limit=100, projection={"uid": 1})
    assert "in-memory-sort" not in rules(q, [undeleted, by_uid])
    assert "in-memory-sort" in rules(q, [undeleted])


def test_in_memory_sort_not_claimed_when_an_index_reads_a_window_of_the_sort_key_in_order():
    # a contest's finished submissions: {submitted_on: -1} reads the contest's window in the order asked for, a
    # plan the server races against sorting the status index's matches
    by_status = ix("status_1", "status", table="submissions")
    by_date = ix("submitted_on_-1", "-submitted_on", table="submissions")
    window = {"$gte": Placeholder("date", "start"), "$lt": Placeholder("date", "end")}
    flt = {"status": "done", "submitted_on": window}
    q = MongoQuery("submissions", "find", filter=flt, sort={"submitted_on": -1})
    assert "in-memory-sort" not in rules(q, [by_status, by_date])
    assert plan_find(flt, {"submitted_on": -1}, [by_status, by_date]).sort_alternative is by_date
    # open-ended (keyset pagination after a cursor): in order, that index walks everything after the cursor
    after = replace(q, filter={**flt, "submitted_on": {"$lt": Placeholder("date", "cursor")}})
    assert "in-memory-sort" in rules(after, [by_status, by_date])
    assert "in-memory-sort" in rules(q, [by_status])


def test_in_memory_sort_of_one_entitys_first_document_is_no_claim_a_page_is():
    """The sort's cost is the number of matches its index gives: one entity's documents (`{ user: id }`,
    `{ orderingKey: k }`) are a handful when the code takes the first of them, and a caller's list of keys
    gives as many as it lists; a page of one entity's documents says there are more than a page, and the ready
    jobs of a queue (`{ queue: q, state: 'waiting' }`) are the backlog, read whole to return one."""

    def claimed(flt, index, op="findOne", limit=None):
        q = MongoQuery("c", op, filter=flt, sort={"createdAt": -1}, limit=limit)
        return "in-memory-sort" in rules(q, [index])

    user = Placeholder("objectid", "user")
    assert not claimed({"user": user}, ix("user_1", "user"))  # librechat's balances
    assert not claimed({"orderingKey": Placeholder("string", "k")}, ix("ok_1", "orderingKey"))
    assert not claimed({"courseid": Placeholder("string", "c")}, ix("courseid_1", "courseid"), "find", 1)
    assert not claimed({"txid": {"$in": Placeholder("array", "hashes")}}, ix("txid_1", "txid"), "find", 20)
    # a page of one entity's documents (seed 000's wallets of a creator, paged by the app): more than a page
    assert claimed({"user": user}, ix("user_1", "user"), "find", 20)
    # a state's value, run-time or written: its matches are many, and taking the first reads them all
    job = {"queue": Placeholder("string", "queue"), "state": "waiting"}
    assert claimed(job, ix("queue_1_state_1", "queue", "state"), "findOneAndUpdate")  # sidequest's claim
    assert claimed({"status": {"$in": ["new", "retry"]}}, ix("status_1", "status"))
    assert claimed({"STATUS": Placeholder("string", "STATE_RUNNING")}, ix("s_1", "STATUS"))
    # a name that only ends like an id (`valid`, `paid`) given a written value is no entity
    assert claimed({"paid": True}, ix("paid_1", "paid"))


# --- what is MongoDB ---------------------------------------------------------------------------


def test_a_name_is_a_model_only_when_it_can_be_one():
    src = extract("svc.js", """\
import MongoPaging from 'mongo-cursor-pagination';
import { Order } from 'sequelize-models-lib';
const { Invoice } = require('../models');
const Person = require('./person');
const _ = require('lodash');
class Cache { static find(key) { return null; } }
async function run(db, collection, opts, id) {
  await MongoPaging.find(collection, opts);
  await Cache.find({ key: id });
  await Invoice.find({ customer: id }).limit(5);
  await Person.findOne({ email: id });
  await Account.findOne({ where: { id }, include: ['owner'] });
  await _.find([1, 2], { a: 1 });
}
""")
    assert [(q.collection, q.model) for q in mongo(src)] == [("invoices", "Invoice"), ("people", "Person")]


def test_a_model_destructured_from_a_call_is_the_call_s_not_one_named_model():
    # payload's MongoDB adapter: `const { Model } = getGlobal(...)` is whichever model the slug picks, not a
    # model named "Model" (collection "models"); a key of a models registry is the model of that name
    src = extract("versions.js", """\
import mongoose from 'mongoose';
import { getGlobal } from './getEntity.js';
export async function createVersion(slug, id) {
  const { globalConfig, Model } = getGlobal({ slug });
  await Model.updateMany({ _id: { $ne: id }, latest: true }, { $unset: { latest: 1 } });
}
export async function byEmail(email) {
  const { User } = mongoose.models;
  return User.findOne({ email });
}
export async function free() {
  return Model.find({ latest: true });
}
import * as Channels from '../model/channels';
const { ChannelModel } = Channels;
export const all = () => ChannelModel.find({});
""")
    assert [(q.location.line, q.collection) for q in mongo(src)] == [
        (5, "<Model>"),
        (9, "users"),
        (12, "models"),
        (16, "channelmodels"),  # a model of the project's module (links settles which: openhim-core's channels)
    ]


def test_collections_declared_as_meteor_collections():
    src = extract("tasks.js", "const Tasks = new Mongo.Collection('tasks');\nTasks.find({ owner: 1 }).fetch();\n")
    assert [(q.collection, q.driver) for q in mongo(src)] == [("tasks", True)]


def test_mongoose_pluralisation():
    from advisor.mongo.shape import pluralize

    assert [pluralize(n) for n in ("Person", "Address", "Category", "Status", "Mouse", "Knife", "Settings")] == [
        "people", "addresses", "categories", "status", "mice", "knives", "settings"]


# --- the shape as the code builds it ------------------------------------------------------------


def test_query_object_mutated_before_the_call():
    src = extract("list.js", """\
async function list(db, user, opts) {
  const query = { user };
  query.deleted = false;
  if (opts.tag) {
    query.tags = opts.tag;
  }
  const cursor = db.collection('notes').find(query);
  cursor.sort({ updated: -1 });
  cursor.limit(opts.limit);
  return cursor.toArray();
}
""")
    (q,) = mongo(src)
    assert q.filter == {"user": Placeholder("unknown", "user"), "deleted": False, "tags": Placeholder("unknown", "opts.tag")}
    assert q.conditional == ("tags",) and not q.partial
    assert q.sort == {"updated": -1} and q.limit == Placeholder("unknown", "opts.limit")


def test_changes_advisor_cannot_follow_make_the_shape_partial():
    src = extract("search.js", """\
async function search(db, terms) {
  const query = { $or: [] };
  for (const t of terms) query.$or.push({ name: t });
  return db.collection('items').find(query).limit(10).toArray();
}
""")
    (q,) = mongo(src)
    assert q.partial
    assert rules(q, [ix("other", "other", table="items")]) == []  # no confident planner claim on a sketch


def test_conditional_keys_judged_with_and_without():
    by_creator = ix("creator_createdAt", "creator", "-createdAt", table="w")
    q = MongoQuery("w", "find", filter={"creator": Placeholder("unknown", "id"), "_id": {"$gt": Placeholder("objectid")}},
                   sort={"_id": 1}, limit=21, projection={"a": 1}, conditional=("_id",))
    assert "in-memory-sort" in rules(q, [by_creator])  # sorts in memory with or without the cursor key
    q = MongoQuery("w", "find", filter={"creator": Placeholder("unknown", "id"), "state": "x"}, limit=5,
                   projection={"a": 1}, conditional=("state",))
    assert rules(q, [ix("state", "state", table="w")]) == []  # scans only when the condition holds


def test_pipeline_built_with_push():
    src = extract("report.js", """\
async function report(db, since) {
  const pipeline = [{ $match: { kind: 'order' } }];
  pipeline.push({ $match: { created: { $gte: since } } });
  pipeline.push({ $group: { _id: '$customer', n: { $sum: 1 } } });
  return db.collection('events').aggregate(pipeline).toArray();
}
""")
    (q,) = mongo(src)
    assert [next(iter(s)) for s in q.pipeline] == ["$match", "$match", "$group"] and not q.partial


def test_mongoose_where_chains():
    src = extract("users.js", """\
const User = mongoose.model('User', userSchema);
User.find().where('age').gte(18).lt(65).where('active', true).limit(10);
""")
    (q,) = mongo(src)
    assert q.filter == {"age": {"$gte": 18, "$lt": 65}, "active": True}


def test_a_mongoose_query_the_builder_starts_from_the_model():
    # `Model.where(...)` is a find: mongoose's query builder, started from the model; run when executed
    # (awaited, exec, then); one built and dropped sends nothing; a knex or lodash `where` is no MongoDB query
    src = extract("users.js", """\
const User = mongoose.model('User', userSchema);
async function adults() { return User.where('age').gte(18).lt(65).limit(10).exec(); }
async function named(n) { const q = User.where('name', n); return q.select('age').exec(); }
function dropped() { User.where('age').gt(1); }
async function others(knex, db, arr) {
  await knex('users').where('age', '>', 18);
  return [_.where(arr, { a: 1 }), await db.collection('users').where('a').toArray()];
}
""")
    adults, named = mongo(src)
    assert (adults.location.line, adults.collection, adults.filter, adults.limit) == (
        2, "users", {"age": {"$gte": 18, "$lt": 65}}, 10)
    assert (named.location.line, named.collection, set(named.filter), named.projection) == (
        3, "users", {"name"}, {"age": 1})


def test_one_query_per_call():
    src = extract("audit.js", """\
async function run(db, user) {
  const mailboxes = new Map((await db.collection('mailboxes').find({ user }).toArray()).map(m => [m._id, m]));
}
""")
    assert len(mongo(src)) == 1


# --- info rules that respect the code -----------------------------------------------------------


def _rule_lines(src_path, text, indexes=()):
    src = extract(src_path, text)
    out = []
    for q in mongo(src):
        for name, _ in check_query(q, Schema(indexes=list(indexes)), lambda n: True):
            if name in ("unbounded-find", "missing-projection"):
                out.append((q.location.line, name))
    return sorted(out)


def test_unbounded_find_respects_the_code():
    users = ix("email_1", "email", table="users", unique=True)
    found = _rule_lines("lib/users.js", """\
async function f(db, ids, email, user) {
  await db.collection('users').find({ _id: { $in: ids } }).toArray();
  await db.collection('users').find({ email }).toArray();
  await db.collection('users').find({ role: { $in: ['admin', 'owner'] } }).toArray();
  const cursor = db.collection('users').find({ team: 'staff' });
  while (await cursor.hasNext()) { await cursor.next(); }
  for await (const u of db.collection('users').find({ team: 'staff' })) { }
  await db.collection('users').find({ team: 'staff' }).batchSize(100).forEach(u => u);
  await db.collection('users').find({ team: 'staff' }).toArray();
}
""", [users])
    assert [f for f in found if f[1] == "unbounded-find"] == [(9, "unbounded-find")]
    assert (9, "missing-projection") not in found  # one finding per call
    migration = _rule_lines("migrations/2020-add-flag.js", "db.collection('users').find({ flag: null }).toArray();\n")
    assert ("unbounded-find" not in {n for _, n in migration})


def test_missing_projection_forms_and_whole_documents():
    found = _rule_lines("lib/mail.js", """\
async function f(db, res, id, user) {
  await db.collection('messages').find({ mailbox: id }, { uid: 1, flags: 1 }).limit(5).toArray();
  await db.collection('messages').find({ mailbox: id }, { fields: { uid: 1 } }).limit(5).toArray();
  await db.collection('messages').find({ mailbox: id }, { projection: { uid: 1 } }).limit(5).toArray();
  res.json(await db.collection('messages').find({ mailbox: id }).limit(5).toArray());
  await db.collection('archived').insertMany(await db.collection('messages').find({ user }).limit(50).toArray());
  await db.collection('messages').find({ mailbox: id }).limit(5).toArray();
  const uids = (await db.collection('messages').find({ mailbox: id }).limit(5).toArray()).map(m => m.uid);
  const docs = await db.collection('messages').find({ mailbox: id }).limit(5).toArray();
  for (const { uid, flags } of docs) console.log(uid, flags);
  const kept = await db.collection('messages').find({ mailbox: id }).limit(5).toArray();
  kept.forEach(m => m.uid);
  return kept;
}
""")
    # fields read visibly: lines 8 and 9; line 7 (fields unknown) and 11 (returned whole) stay quiet
    assert found == [(8, "missing-projection"), (9, "missing-projection")]


def test_pymongo_cursors_stream_unless_listed():
    found = _rule_lines("app/feed.py", """\
def feed(db):
    for doc in db.events.find({"kind": "login"}):
        yield doc
    return list(db.events.find({"kind": "login"}, {"user": 1}))
""")
    assert [f for f in found if f[1] == "unbounded-find"] == [(4, "unbounded-find")]


# --- collections held on this / self --------------------------------------------------------------


def test_collections_held_on_self_python():
    src = extract("transport.py", """\
class Channel:
    events_collection = 'events'
    ttl = True

    @cached_property
    def events(self):
        return self.client[self.events_collection]

    def _ensure_indexes(self, database):
        events = database[self.events_collection]
        events.create_index([('queue', 1), ('priority', 1)])

    def get(self, queue):
        return self.events.find_one_and_delete({'queue': queue}, sort=[('priority', 1)])

    def fanout(self, **query):
        return self.events.find(**query)
""")
    assert [i.table for i in src.indexes] == ["events"]
    first, second = mongo(src)
    assert (first.collection, first.operation, first.filter) == ("events", "find_one_and_delete", {"queue": Placeholder("unknown", "queue")})
    assert second.partial and isinstance(second.filter, Placeholder)


def test_collections_held_on_this_js():
    src = extract("queue.js", """\
class Queue {
  constructor(db, name) {
    this.jobs = db.collection('jobs');
    this._collection = db.collection(name);
  }
  async next() {
    await this.jobs.findOne({ queue: 'mail' });
    await this._collection.findOne({ visible: { $lte: new Date() } });
  }
}
""")
    assert [q.collection for q in mongo(src)] == ["jobs", "this._collection"]


def test_create_index_through_a_helper_function():
    src = extract("db.js", """\
function createIndices(db, callback) {
  async.series([
    async.apply(createIndex, 'objects', { _key: 1, score: -1 }, { background: true }),
    async.apply(createIndex, 'objects', { _key: 1, value: -1 }, { unique: true, sparse: true }),
  ], callback);
  function createIndex(collection, index, options, done) {
    db.collection(collection).createIndex(index, options, done);
  }
}
const ensure = async (keys, opts) => db.collection('sessions').createIndex(keys, opts);
ensure({ expires: 1 }, { expireAfterSeconds: 0 });
""")
    assert [(i.table, i.name, i.unique) for i in src.indexes] == [
        ("objects", "_key_1_score_-1", False), ("objects", "_key_1_value_-1", True), ("sessions", "expires_1", False)]


def test_owner_lookups_are_not_unbounded_and_their_regexes_run_on_few_documents():
    by_user = ix("user_path", "user", "path", table="mailboxes")
    found = _rule_lines("lib/imap/list.js", """\
async function list(db, user, q) {
  await db.collection('mailboxes').find({ user }).toArray();
  await db.collection('mailboxes').find({ subscribed: true }).toArray();
}
""", [by_user])
    assert found == [(3, "unbounded-find")]
    search = MongoQuery("mailboxes", "find", filter={"user": Placeholder("unknown", "user"), "$or": [
        {"path": {"$regex": Placeholder("string", "escape(q)"), "$options": ""}}]}, limit=10)
    assert "unanchored-regex" not in rules(search, [by_user])
    assert "unanchored-regex" in rules(replace(search, filter={"path": {"$regex": "inbox"}}), [by_user])


def test_migrations_scan_by_design():
    idx = ix("by_user", "user", table="addressregister")
    q = MongoQuery("addressregister", "find", filter={"disabled": {"$exists": False}}, limit=100, projection={"a": 1})
    assert "collection-scan" in rules(q, [idx])
    from advisor.ir import Location

    q.location = Location("migrations/database/add_disabled.js", 12, 5)
    assert "collection-scan" not in rules(q, [idx])


def test_indexes_declared_as_data_in_python():
    src = extract("settings.py", """\
DOMAIN = {
    'people': {
        'schema': {'email': {'type': 'string'}},
        'mongo_indexes': {
            'email': ([('email', 1)], {'unique': True}),
            'by_name': [('lastname', 1), ('firstname', 1)],
        },
    },
    'invoices': {'datasource': {'source': 'billing'}, 'mongo_indexes': {'due': [('due', -1)]}},
}


class BlogPost(Document):
    meta = {'indexes': ['-published', ('author', '-published'), {'fields': ['slug'], 'unique': True}]}
""")
    got = sorted((i.table, i.name, i.unique) for i in src.indexes)
    assert got == [("billing", "due", False), ("blog_post", "author_1_published_-1", False),
                   ("blog_post", "published_-1", False), ("blog_post", "slug_1", True),
                   ("people", "by_name", False), ("people", "email", True)]


def test_unique_fields_of_a_document_class_are_indexes():
    # fiftyone's DatasetDocument: `name = StringField(unique=True)` under meta = {"collection": "datasets"} is
    # the unique index its find_one({"name": ...}) uses; unique_with makes a compound one; a primary key is _id
    src = extract("odm.py", """\
class DatasetDocument(Document):
    meta = {"collection": "datasets", "strict": False}
    name = StringField(unique=True, required=True)
    slug = me.StringField(unique_with=["owner", "kind"])
    owner = StringField()
    key = StringField(primary_key=True, unique=True)
    title = StringField(unique=False)


class Base(Document):
    meta = {"abstract": True}
    code = StringField(unique=True)
""")
    got = sorted((i.table, [k.expr for k in i.keys], i.unique) for i in src.indexes)
    assert got == [("datasets", ["name"], True), ("datasets", ["slug", "owner", "kind"], True)]


def test_pipeline_built_with_concat():
    src = extract("stats.js", """\
const base = [{ $match: { kind: 'order' } }];
const pipeline = base.concat([{ $sort: { created: -1 } }], { $limit: 10 });
db.collection('events').aggregate(pipeline);
""")
    (q,) = mongo(src)
    assert [next(iter(s)) for s in q.pipeline] == ["$match", "$sort", "$limit"]


# --- precision on one owner's documents, offsets from the caller, keys held in variables ----------------


def test_in_memory_sort_of_one_owners_documents_read_whole():
    by_user = ix("user", "user", table="filters")
    mine = MongoQuery("filters", "find", filter={"user": Placeholder("objectid", "user")}, sort={"_id": 1})
    assert "in-memory-sort" not in rules(mine, [by_user])  # one user's filters, all returned anyway
    # a page of them: the sort reads every match to return limit of them (the code pages: more than a page)
    assert "in-memory-sort" in rules(replace(mine, limit=20), [by_user])
    # the first of them: one entity's few documents sorted to take one
    assert "in-memory-sort" not in rules(replace(mine, limit=1), [by_user])
    # the first of what a run-time key that names no entity holds (a sorted set's members): every match read
    members = MongoQuery("objects", "find", filter={"_key": Placeholder("string", "key")}, sort={"score": 1}, limit=1)
    assert "in-memory-sort" in rules(members, [ix("_key_1", "_key", table="objects")])
    # a constant is one value of a few shared by many documents (a status, a flag), not an owner
    queued = MongoQuery("queue", "find", filter={"deleted": None, "visible": {"$lte": Placeholder("date")}},
                        sort={"_id": 1})
    assert "in-memory-sort" in rules(queued, [ix("deleted_visible", "deleted", "visible", table="queue")])
    flagged = replace(mine, filter={"user": "system"})
    assert "in-memory-sort" in rules(flagged, [by_user])


def test_skip_passed_through_from_the_callers_argument_js():
    src = extract("lib/sorted.js", """\
function getRange(key, start, stop, params) {
  db.collection('objects').find({ _key: key }).limit(stop - start + 1).skip(start).toArray();
  db.collection('objects').aggregate([{ $match: { _key: key } }, { $skip: params.start ? params.start : 0 }]);
}
export const jobs = async function (this: Agenda, query = {}, sort = {}, limit = 0, skip = 0) {
  return this._collection.find(query).sort(sort).limit(limit).skip(skip).toArray();
};
async function page(creatorId, page = 1, size = 20) {
  const skip = (page - 1) * size;
  return db.collection('wallets').find({ creator: creatorId }).skip(skip).limit(size).toArray();
}
""")
    schema = Schema(indexes=[ix("k", "_key", table="objects"), ix("c", "creator", table="wallets")])
    found = [(q.location.line, name) for q in mongo(src)
             for name, _ in check_query(q, schema, lambda n: True) if name == "skip-pagination"]
    # the library passes its caller's offset on; the function that computes one from a page number is the finding
    assert found == [(10, "skip-pagination")]


def test_index_keys_held_in_a_variable_count_as_declared(tmp_path, monkeypatch):
    from advisor import engine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.toml").write_text('large-tables = ["*"]\ndialect = "postgres"\n')
    (tmp_path / "db-init.js").write_text("""\
class Scheduler {
  init(db) {
    db.collection('jobs').createIndex(this._indices, { name: 'findAndLockNextJobIndex' });
  }
}
""")
    (tmp_path / "lock.js").write_text("""\
async function next(db) {
  return db.collection('jobs').findOneAndUpdate({ name: 'x', lockedAt: null }, { $set: { lockedAt: new Date() } },
                                                 { sort: { priority: -1 } });
}
async function other(db) {
  return db.collection('runs').find({ name: 'x' }).limit(5).toArray();
}
""")
    found = [(f.rule, f.location.path, f.location.line) for f in engine.check(["."]).active]
    # jobs has a declaration advisor cannot read: no absence claimed, no plan guessed
    assert not [f for f in found if f[1] == "lock.js" and f[2] == 2]
    assert ("MGO015", "lock.js", 6) in found  # runs has none at all


def test_unreachable_calls_are_not_queries_python():
    src = extract("run.py", """\
def check_auth(userid):
    return userid == "root"
    user = app.data.driver.db["accounts"].find_one({"userid": userid})
    return user


def lookup(userid):
    if not userid:
        return None
    return app.data.driver.db["accounts"].find_one({"userid": userid})
""")
    assert [q.location.line for q in mongo(src)] == [10]


def test_missing_projection_not_on_one_owners_documents_read_whole():
    by_user = ix("user_expire_time", "user", "expires", table="audits")
    found = _rule_lines("lib/filter-handler.js", """\
async function audit(db, userData) {
  const audits = await db.collection('audits').find({ user: userData._id, expires: { $gt: new Date() } }).toArray();
  for (const a of audits) await store(a._id, a.start, a.end);
  const page = await db.collection('audits').find({ user: userData._id }).limit(50).toArray();
  for (const a of page) await store(a._id, a.start, a.end);
}
""", [by_user])
    assert found == [(4, "missing-projection")]


def test_skip_and_index_keys_python():
    src = extract("queue.py", """\
class Jobs:
    def page(self, query, skip=0):
        return list(self.db.jobs.find(query).sort("due", 1).skip(skip).limit(10))

    def listing(self, page):
        return list(self.db.jobs.find({"queue": "q"}).sort("due", 1).skip(page * 10).limit(10))

    def setup(self, spec):
        self.db.jobs.create_index(spec)
""")
    assert [i.method for i in src.indexes] == ["mongo-unread"]
    schema = Schema(indexes=[ix("q_due", "queue", "due", table="jobs")])
    found = [(q.location.line, name) for q in mongo(src)
             for name, _ in check_query(q, schema, lambda n: True) if name == "skip-pagination"]
    assert found == [(6, "skip-pagination")]


def test_a_pipeline_sorting_one_owner_s_documents_is_judged_like_a_find(tmp_path, monkeypatch):
    """The owner premise for in-memory-sort holds for a pipeline's first $match only when no stage pages."""
    from advisor import engine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.toml").write_text('large-tables = ["*"]\n')  # collections that grow (unknown-size)
    (tmp_path / "ix.js").write_text("db.collection('events').createIndex({ _key: 1, kind: 1 });\n")
    (tmp_path / "q.js").write_text("""\
async function f(db, key) {
  await db.collection('events').aggregate([{ $match: { _key: key } }, { $sort: { at: -1 } }]).toArray();
  await db.collection('events').aggregate([{ $match: { _key: key } }, { $sort: { at: -1 } }, { $limit: 20 }]).toArray();
}
""")
    sorts = [f.location.line for f in engine.check(["."]).active if f.rule == "MGO002" and f.location.path == "q.js"]
    assert sorts == [3]


def test_an_or_with_several_unindexed_clauses_is_one_finding_with_an_index_for_each():
    # sidequest's cleanup: { $or: [{ completed_at: ... }, { failed_at: ... }, { canceled_at: ... }] }, no index
    src = extract("lib/jobs.js", """\
async function clean(db, cutoff) {
  await db.collection('jobs').deleteMany({ $or: [{ completed_at: { $lt: cutoff } }, { failed_at: { $lt: cutoff } }, { email: 1 }] });
}
""")
    (q,) = mongo(src)
    hits = [h for name, h in check_query(q, Schema(indexes=[ix("email_1", "email", table="jobs")]), lambda n: True)
            if name == "or-unindexed"]
    assert len(hits) == 1
    assert "clauses 1 (completed_at); 2 (failed_at)" in hits[0].message
    assert hits[0].fix.splitlines() == ["db.jobs.createIndex({ completed_at: 1 })", "db.jobs.createIndex({ failed_at: 1 })"]


def test_an_or_whose_clauses_share_their_fields_asks_for_one_index():
    # openhim-core's tcpAdapter: { $or: [{ type: 'tcp' }, { type: 'tls' }] } on channels: one index serves both
    src = extract("lib/tcp.js", "db.collection('channels').find({ $or: [{ type: 'tcp' }, { type: 'tls' }] }).toArray();\n")
    (q,) = mongo(src)
    (hit,) = [h for name, h in check_query(q, Schema(indexes=[ix("name_1", "name", table="channels")]), lambda n: True)
              if name == "or-unindexed"]
    assert "clauses 1 (type); 2 (type)" in hit.message and " have no index" in hit.message
    assert hit.fix == "db.channels.createIndex({ type: 1 })"
    assert hit.help.startswith("one index serves every clause: db.channels.createIndex({ type: 1 })")


def test_no_collection_scan_claim_for_a_sweep_older_than_now_minus_a_duration():
    # sidequest's stale-job release, alerta's housekeeping: everything older than the clock minus a duration;
    # what is due now is a queue's poll, and a sweep that also picks by a run-time value stays a claim
    src = extract("lib/jobs.js", """\
async function tick(db, now, maxStaleMs, queue) {
  await db.collection('jobs').find({ state: 'running', attempted_at: { $lt: new Date(now - maxStaleMs) } }).toArray();
  await db.collection('jobs').deleteMany({ status: { $in: ['closed', 'expired'] }, at: { $lt: new Date(Date.now() - 86400000) } });
  await db.collection('jobs').find({ state: 'waiting', run_at: { $lte: new Date() } }).limit(1).toArray();
  await db.collection('jobs').deleteMany({ queue, at: { $lt: new Date(Date.now() - 86400000) } });
}
""")
    scans = [q.location.line for q in mongo(src) if "collection-scan" in rules(q, [ix("x_1", "x", table="jobs")])]
    assert scans == [4, 5]


def test_no_scan_claim_for_a_delete_of_everything_before_a_cutoff():
    # sidequest's deleteFinishedJobs, run hourly: every condition an upper bound, in every $or clause; a delete
    # that also picks an owner or a state, a read of the same shape, or a lower bound stays a claim
    src = extract("lib/jobs.js", """\
async function deleteFinishedJobs(db, cutoff) {
  await db.collection('jobs').deleteMany({ $or: [{ completed_at: { $lt: cutoff } }, { failed_at: { $lte: cutoff } }] });
  await db.collection('jobs').deleteMany({ finished_at: { $lt: cutoff } });
  await db.collection('jobs').deleteMany({ $or: [{ completed_at: { $lt: cutoff } }, { owner: cutoff }] });
  await db.collection('jobs').deleteMany({ state: 'done', finished_at: { $lt: cutoff } });
  await db.collection('jobs').find({ finished_at: { $lt: cutoff } }).limit(10).toArray();
  await db.collection('jobs').deleteMany({ finished_at: { $gt: cutoff } });
}
""")
    claimed = [q.location.line for q in mongo(src)
               if {"collection-scan", "or-unindexed"} & set(rules(q, [ix("x_1", "x", table="jobs")]))]
    assert claimed == [4, 5, 6, 7]


def test_a_client_attribute_is_a_database_not_a_collection():
    # maubot instance.py (holdout 17): a Matrix client's set of plugin instances; fiftyone's Label Studio API
    # session; a pymongo client's attribute is a database, so neither is a collection's query
    src = extract("instance.py", """\
import pymongo


class PluginInstance:
    def stop(self):
        self.client.references.remove(self)

    def login(self):
        self._client.headers.update({"Content-Type": "application/json"})


class Channel:
    @cached_property
    def client(self):
        database = pymongo.MongoClient()["kombu"]
        return database

    def get(self, queue):
        return self.client.messages.find_one({"queue": queue})
""")
    assert [(q.location.line, q.collection, q.operation) for q in mongo(src)] == [(19, "messages", "find_one")]


def test_a_call_without_what_pymongo_requires_is_not_the_drivers():
    # r2r core/main/services/graph_service.py (holdout 10): its PostgreSQL graph handler reached through
    # `self.providers.database`, a name read as a database
    src = extract("graph_service.py", """\
class GraphService:
    async def update_entity(self, entity_id, name):
        return await self.providers.database.graphs_handler.entities.update(entity_id=entity_id, name=name)

    async def rename(self, graph_id, name):
        return await self.providers.database.graphs.update_one({"id": graph_id}, {"$set": {"name": name}})

    async def forward(self, *args, **kwargs):
        return await self.providers.database.graphs.delete_one(**kwargs)
""")
    assert [(q.location.line, q.collection, q.operation) for q in mongo(src)] == [
        (6, "graphs", "update_one"),
        (9, "graphs", "delete_one"),  # unpacked: may give the filter
    ]


def test_a_skip_the_deployment_fixes_is_no_growing_walk():
    """eventstore's cleanSnapshots keeps the newest `this.options.maxSnapshotsCount` snapshots: `find(q).sort(newest
    first).skip(options.maxSnapshotsCount)` reads the rest to delete them; the walk over the skipped ones is bounded by
    the setting, as a literal skip is. A skip computed from the data (langchain-mongodb's `count - history_size`)
    grows with it and stays a finding."""
    def rules_of(skip):
        q = MongoQuery("snapshots", "find", filter={"aggregateId": Placeholder("string", "id")},
                       sort={"revision": -1}, skip=skip)
        return rules(q, [ix("agg_rev", "aggregateId", "-revision", table="snapshots")])

    assert "skip-without-limit" not in rules_of(Placeholder("number", "this.options.maxSnapshotsCount"))
    assert "skip-without-limit" not in rules_of(Placeholder("number", "KEEP_LAST"))
    assert "skip-without-limit" in rules_of(Placeholder("number", "count - self.history_size"))
    assert "skip-without-limit" in rules_of(Placeholder("number", "this.options.keep * 2"))


UNIQUE_PAIR = """
db.chunks.createIndex({ sy: 1, s: 1, sg: 1 }, { unique: true });
db.chunks.createIndex({ sy: 1, s: 1, sg: 1, e: 1 }, { unique: true });
"""


@pytest.mark.parametrize(
    "query, reported",
    [
        ('chunks.findOne({ sy: a, s: b, sg: c })', True),  # the prefix pins one document: the longer adds nothing
        ("chunks.find({ sy: a, s: b, sg: c, e: { $gte: d } }).toArray()", True),  # still one document at most
        # a range on the prefix bounded on the later key: only the longer index applies e's bound in the index
        ("chunks.find({ sy: a, s: { $lte: b }, e: { $gte: d } }).toArray()", False),
        ("chunks.find({ sy: a }).sort({ s: 1, sg: 1, e: 1 }).toArray()", False),  # its order, which the shorter lacks
        ("chunks.find(filter).toArray()", False),  # a filter advisor cannot read may be either
        ("others.find({ sy: a, s: { $lte: b }, e: { $gte: d } }).toArray()", True),  # another collection's query
    ],
)
def test_a_unique_index_behind_a_unique_prefix_is_said_unless_a_query_needs_it(project, query, reported):
    from advisor import catalogue, engine

    app = (
        'const { MongoClient } = require("mongodb");\n'
        "async function f(db, a, b, c, d, filter) {\n"
        '  const chunks = db.collection("chunks");\n'
        '  const others = db.collection("others");\n'
        f"  return {query};\n"
        "}\n"
        "module.exports = { f };\n"
    )
    project({"db/indexes.js": UNIQUE_PAIR, "app.js": app})
    found = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "unique-prefix"]
    assert [(f.location.path, f.location.line) for f in found] == ([("db/indexes.js", 2)] if reported else [])
