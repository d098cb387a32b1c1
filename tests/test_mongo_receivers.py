"""MongoDB extraction: collections reached the ways the holdout projects reach them (benchmarks/realworld
recall.md, "Holdout"): held on the Express request, returned by another module's helper behind a getter
or a memoised async function, handed to a promise callback by a method, passed to a helper as a
parameter; and a bulkWrite of the caller's operations. Each input is a small program shaped like the
real code (mongo-express, mongodash, parse-server, connect-mongo), not a copy of it."""

from advisor.checks.mongo import check_query
from advisor.checks.mongo_reads import passed_through
from advisor.ir import Schema
from advisor.mongo.shape import MongoQuery, Placeholder
from advisor.sources import extract


def mongo(src):
    return [q for q in src.queries if isinstance(q, MongoQuery)]


def shapes(src):
    return [(q.location.line, q.collection, q.operation, q.sketch) for q in mongo(src)]


def declared(src):
    return [(i.location.line, i.table, i.method, [k.expr for k in i.keys]) for i in src.indexes]


def rules(query, indexes=()):
    return sorted(name for name, _ in check_query(query, Schema(indexes=list(indexes)), lambda name: True))


# --- a collection held on the request (mongo-express lib/router.js, lib/routes/*.js) --------------------


def test_a_collection_on_the_request_is_the_collection_named_by_the_url():
    src = extract("lib/routes/items.js", """\
module.exports = function (router, connections) {
  router.param('coll', function (req, res, next, id) {
    req.collection = connections[req.dbName].db.collection(id);
    next();
  });
  router.get('/:coll', async (req, res) => {
    const docs = await req.collection.find({ $where: req.query.js }).toArray();
    await req.collection.createIndex(JSON.parse(req.body.keys));
    res.json(await req.collection.countDocuments({ owner: req.user.id }));
  });
};
""")
    assert shapes(src) == [(7, "<req.collection>", "find", True), (9, "<req.collection>", "countDocuments", True)]
    assert declared(src) == [(8, "<req.collection>", "mongo-unread", [])]
    find, count = mongo(src)
    # the collection (and its indexes) is the user's choice: what the filter alone shows is said, no scan claimed
    assert rules(find) == ["where-operator"] and rules(count) == []


def test_an_object_property_that_is_not_named_like_a_collection_is_not_one():
    src = extract("lib/cart.js", """\
function total(req) { return req.items.find({ sku: 'a' }); }
function pick(state) { return state.store.findOne({ a: 1 }); }
""")
    assert mongo(src) == []


# --- another module's helper behind a getter or a memoised async function (mongodash dist/lib/*.js) --------


HELPER = """\
'use strict';
const getCollection_1 = require("./getCollection");
const LOCK_KEY = 'heldUntil';
const state = {
    _collection: null,
    get collection() {
        if (!this._collection) {
            this._collection = (0, getCollection_1.getCollection)('schedules');
        }
        return this._collection;
    },
};
function ensureIndex() {
    return Promise.all([
        state.collection.createIndex({ dueAt: 1, _id: 1 }, { name: 'dueIndex' }),
    ]);
}
async function next() {
    return state.collection.findOneAndUpdate({ dueAt: { $lte: new Date() } }, { $set: { a: 1 } }, { sort: { dueAt: 1 } });
}
async function byOwner(owner) {
    return state.collection.find({ owner, active: true }).limit(10).toArray();
}
let pending = null;
async function lockCollection() {
    if (!pending) {
        const setup = (async () => {
            const collection = (0, getCollection_1.getCollection)('mutexes');
            await collection.createIndex({ [LOCK_KEY]: 1 }, { expireAfterSeconds: 0 });
            return collection;
        })().catch((err) => {
            pending = null;
            throw err;
        });
        pending = setup;
    }
    return pending;
}
async function acquire(key) {
    const collection = await lockCollection();
    await collection.replaceOne({ _id: key, [LOCK_KEY]: { $lte: new Date() } }, { a: 1 }, { upsert: true });
}
"""


def test_a_collection_from_another_modules_helper_behind_a_getter_or_a_memoised_promise():
    src = extract("dist/lib/schedules.js", HELPER)
    assert shapes(src) == [
        (19, "schedules", "findOneAndUpdate", False),
        (22, "schedules", "find", False),
        (41, "mutexes", "replaceOne", False),
    ]
    # the index declarations made the same way are on the same collections, keys read (a constant computed key too)
    assert declared(src) == [(15, "schedules", "mongo", ["dueAt", "_id"]), (29, "mutexes", "mongo", ["heldUntil"])]
    replaced = mongo(src)[2].filter
    assert replaced["_id"] == Placeholder("unknown", "key") and list(replaced["heldUntil"]) == ["$lte"]


def test_the_planner_judges_a_helpers_collection_by_the_declarations_made_through_the_same_helper():
    src = extract("dist/lib/schedules.js", HELPER)
    nxt, by_owner, _ = mongo(src)
    assert rules(nxt, src.indexes) == []  # dueIndex serves it
    assert "collection-scan" in rules(by_owner, src.indexes)  # no index starts with owner


def test_a_computed_key_is_read_only_when_the_file_gives_its_name_one_value():
    (q,) = mongo(extract("dist/lib/list.js", """\
async function list(query = {}) {
    let field = query.field || 'dueAt';
    if (field === 'next') field = 'dueAt';
    return db.collection('schedules').find({ a: 1 }).sort({ [field]: 1 }).limit(5).toArray();
}
"""))
    assert q.sketch and q.sort == {}  # the caller chooses the sort key: no claim about it
    assert rules(q) == []


# --- a collection handed to a promise callback by a method (parse-server MongoStorageAdapter.js) ---------------


ADAPTER = """\
class StorageAdapter {
  _adaptive(name) {
    return this.connect().then(() => this.database.collection(this._prefix + name)).then(raw => new Wrapper(raw)).catch(err => this.fail(err));
  }
  setIndex(className, keys, options) {
    return this._adaptive(className).then(collection => collection._rawCollection.createIndex(keys, options)).catch(err => this.fail(err));
  }
  upsert(className, where, update) {
    return this._adaptive(className).then(collection => collection._rawCollection.findOneAndUpdate(where, update, { upsert: true }));
  }
  wipe(fast) {
    return allCollections(this).then(collections => Promise.all(collections.map(collection => fast ? collection.deleteMany({}) : collection.drop())));
  }
  get tasks() { return this.database.collection('tasks'); }
  due() { return this.tasks.find({ dueAt: { $lte: 1 } }).limit(5).toArray(); }
  _settings() { return this.database.collection('settings'); }
  setting(key) { return this._settings().findOne({ key }); }
}
"""


def test_a_collection_handed_to_a_promise_callback_or_returned_by_a_method_or_getter():
    src = extract("lib/Adapters/Storage/StorageAdapter.js", ADAPTER)
    assert shapes(src) == [
        (9, "<collection._rawCollection>", "findOneAndUpdate", True),
        (12, "<collection>", "deleteMany", True),
        (15, "tasks", "find", False),
        (17, "settings", "findOne", False),
    ]
    # declared on a collection named at run time, keys unread: no claim rests on it
    assert declared(src) == [(6, "<collection._rawCollection>", "mongo-unread", [])]


def test_a_callback_parameter_is_not_an_earlier_variable_of_the_same_name():
    src = extract("lib/cleanup.js", """\
const collection = db.collection('locks');
function wipe(all) {
  return all.then(collections => Promise.all(collections.map(collection => collection.deleteMany({ a: 1 }))));
}
function one(key) { return collection.deleteOne({ _id: key }); }
""")
    assert shapes(src) == [(3, "<collection>", "deleteMany", True), (5, "locks", "deleteOne", False)]


# --- a helper given the collection as a parameter (connect-mongo dist/index.cjs) ------------------------


def test_a_parameter_is_the_collection_the_files_calls_pass_for_it():
    src = extract("dist/index.cjs", """\
class Store {
  constructor({ collectionName = 'sessions' }) {
    this.collectionP = clientP.then(async (con) => {
      const collection = con.db('app').collection(collectionName);
      await this.setAutoRemove(collection);
      return collection;
    });
  }
  setAutoRemove(collection) {
    return collection.createIndex({ expires: 1 }, { expireAfterSeconds: 0 });
  }
}
function purge(coll, at) { return coll.deleteMany({ at: { $lt: at } }); }
purge(db.collection('a'), 1);
purge(db.collection('b'), 2);
""")
    assert declared(src) == [(10, "sessions", "mongo", ["expires"])]
    assert shapes(src) == [(13, "<coll>", "deleteMany", True)]  # two collections pass through it: named at run time


# --- index helpers whose callers are in other files (parse-server MongoCollection.js) ----------------------


def test_an_index_helper_called_only_from_other_files_keeps_its_declaration_unread():
    src = extract("lib/Adapters/Storage/Mongo/Wrapper.js", """\
class Wrapper {
  constructor(raw) { this._rawCollection = raw; }
  _ensureUnique(keys) {
    return this._rawCollection.createIndex(keys, { unique: true, sparse: true });
  }
}
""")
    assert declared(src) == [(4, "this._rawCollection", "mongo-unread", [])]


def test_an_index_helper_called_in_its_file_is_read_at_its_call_sites():
    src = extract("src/database/store.js", """\
class Store {
  ensure(name, keys, opts) { return this.db.collection(name).createIndex(keys, opts); }
  async init() {
    await this.ensure('objects', { _key: 1, score: -1 }, { background: true });
    await this.ensure('objects', { expireAt: 1 }, { expireAfterSeconds: 0 });
  }
}
""")
    assert declared(src) == [(4, "objects", "mongo", ["_key", "score"]), (5, "objects", "mongo", ["expireAt"])]


# --- a bulkWrite of the caller's operations (mongodash ReactiveTaskRepository.js) --------------------------------


def test_a_bulk_write_of_the_callers_operations_is_a_sketch():
    src = extract("dist/lib/repository.js", """\
class Repository {
  constructor(db) { this.tasksCollection = db.collection('tasks'); }
  async executeBulkWrite(operations, options) {
    await this.tasksCollection.bulkWrite(operations, options || {});
  }
}
""")
    (q,) = mongo(src)
    assert (q.location.line, q.collection, q.operation, q.sketch) == (4, "tasks", "bulkWrite", True)
    assert rules(q) == []


# --- an offset the caller gives, as TypeScript compiles `??` -----------------------------------------------------


def test_a_defaulted_offset_of_the_caller_is_the_callers():
    assert passed_through("(_b = query.skip) !== null && _b !== void 0 ? _b : 0", ("query",))
    assert passed_through("opts.skip ?? 0", ("opts",)) and passed_through("opts.skip || 0", ("opts",))
    assert not passed_through("(_b = query.skip) !== null && _b !== void 0 ? _b : 0", ("other",))
    assert not passed_through("(page - 1) * size", ("page", "size"))
    (q,) = mongo(extract("dist/lib/list.js", """\
async function list(query = {}) {
    var _b;
    const skip = (_b = query.skip) !== null && _b !== void 0 ? _b : 0;
    return db.collection('jobs').find({ a: 1 }).skip(skip).limit(10).toArray();
}
"""))
    assert "skip-pagination" not in rules(q)
