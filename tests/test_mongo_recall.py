"""MongoDB extraction recall: the call shapes real projects use to reach a collection (corpus
files named in benchmarks/realworld/recall.md), each from a minimal snippet shaped like the real code."""

from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.checks.mongo import check_query
from advisor.ir import Schema
from advisor.mongo.shape import MongoQuery, Placeholder
from advisor.sources import extract


def mongo(src):
    return [q for q in src.queries if isinstance(q, MongoQuery)]


def shapes(path, text):
    return [(q.location.line, q.collection, q.operation) for q in mongo(extract(path, text))]


def rules(query, schema=None):
    return sorted(name for name, _ in check_query(query, schema or Schema(), lambda name: True))


# --- collections named at run time (zone-mta lib/mail-queue.js, eve eve/io/mongo/mongo.py) -----------


def test_collection_named_by_an_option_is_extracted_under_that_expression():
    src = extract("lib/mail-queue.js", """\
class MailQueue {
  constructor(options) { this.options = options || {}; }
  listQueued(zone) {
    let collection = this.mongodb.collection(this.options.collection);
    return collection.find({ sendingZone: zone }).toArray();
  }
  getMeta(id) {
    return this.mongodb.collection(this.options.gfs + '.files').findOne({ filename: id });
  }
  purge(id) {
    return this.mongodb.collection(this.options.collection).find({ $where: 'this.a > 1' }).limit(5).toArray();
  }
}
""")
    qs = mongo(src)
    assert [(q.location.line, q.collection) for q in qs] == [
        (5, "<this.options.collection>"), (8, "<this.options.gfs + '.files'>"), (11, "<this.options.collection>")]
    assert qs[0].filter == {"sendingZone": Placeholder("unknown", "zone")}
    # its indexes (and unique keys) are unknown: no scan, no unbounded result, no "no declarations"...
    assert all(q.sketch for q in qs) and rules(qs[0]) == [] and rules(qs[1]) == []
    # ...but what the filter alone shows is still said
    assert rules(qs[2]) == ["where-operator"]


def test_no_index_declarations_not_claimed_for_a_collection_named_at_run_time(tmp_path, monkeypatch):
    from advisor import engine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.toml").write_text('dialect = "postgres"\n')
    (tmp_path / "queue.js").write_text("""\
async function next(db, options) {
  return db.collection(options.collection).find({ zone: 'a', queued: { $lte: new Date() } }).sort({ queued: 1 }).toArray();
}
async function other(db) {
  return db.collection('runs').find({ name: 'x' }).sort({ at: 1 }).limit(5).toArray();
}
""")
    found = [(f.rule, f.location.line) for f in engine.check(["."]).active]
    assert found == [("MGO015", 5)]  # said for runs only


def test_pymongo_collection_named_by_a_variable_or_a_method():
    src = extract("eve/io/mongo/mongo.py", """\
class Mongo:
    def find(self, resource, datasource, spec):
        target = self.pymongo(resource).db[datasource]
        return target.find(spec), target.count()

    def find_one(self, resource, datasource, lookup):
        return self.pymongo(resource).db[datasource].with_options(read_preference=1).find_one(lookup)

    def remove(self, resource, datasource, filter_):
        coll = self.get_collection_with_write_concern(datasource, resource)
        coll.delete_many(filter_)

    def get_collection_with_write_concern(self, datasource, resource):
        return self.pymongo(resource).db[datasource].with_options(write_concern=1)

    def size(self):
        return self._cursor.collection.count_documents({"queue": "q"})
""")
    qs = mongo(src)
    assert [(q.location.line, q.collection, q.operation) for q in qs] == [
        (4, "<datasource>", "find"), (4, "<datasource>", "count"), (7, "<datasource>", "find_one"),
        (11, "<datasource>", "delete_many"), (17, "<self._cursor.collection>", "count_documents")]
    assert all(q.sketch for q in qs)


def test_pymongo_names_resolve_within_their_own_function():
    src = extract("idx.py", """\
def a(db):
    coll = db["jobs"]
    return coll.find_one({"a": 1})

def b(app, colls):
    for coll in colls:
        coll.create_index([("b", 1)])

def c(db, collection):
    colls = [db[collection]]
    colls.append(db["%s_versions" % collection])
    for coll in colls:
        coll.create_index([("c", 1)])
""")
    # b's loop variable is not a's `coll`; c's iterates over a list of collections
    assert [(q.collection, q.location.line) for q in mongo(src)] == [("jobs", 3)]
    assert [(i.table, i.name, i.location.line) for i in src.indexes] == [("<collection>", "c_1", 13)]


# --- names fixed by the module (connect-mongo, agenda, migrate-mongo, auth-mongodb-adapter) ------------


def test_collection_names_by_constant_propagation():
    assert shapes("store.js", """\
const COLL = 'jobs';
class Store {
  constructor({ collectionName = 'sessions', ttl = 1 }) {
    const options = { collectionName, ttl };
    this.sessions = db.collection(options.collectionName);
  }
  a() { return db.collection(COLL).findOne({ a: 1 }); }
  b() { return this.sessions.findOne({ _id: 1 }); }
  c(opts) { return db.collection(opts.name || 'tasks').findOne({ z: 1 }); }
  d(name = 'agendaJobs') { return db.collection(name).findOne({ n: 1 }); }
}
""") == [(7, "jobs", "findOne"), (8, "sessions", "findOne"), (9, "tasks", "findOne"), (10, "agendaJobs", "findOne")]


def test_collections_from_a_local_function_and_an_options_object_with_defaults():
    assert shapes("src/index.ts", """\
export const defaultCollections = { Users: 'users', Sessions: 'sessions' };
export function Adapter(client, options = {}) {
  const { collections } = options;
  const getDb = async () => {
    const _db = (await client).db(options.databaseName);
    const c = { ...defaultCollections, ...collections };
    return { U: _db.collection(c.Users), S: _db.collection(c.Sessions) };
  };
  return {
    async getUser(email) {
      const db = await getDb();
      return db.U.findOne({ email });
    },
    async getSession(token) {
      const env = { stack: [] };
      const db = __addDisposableResource(env, await getDb(), true);
      return db.S.findOne({ sessionToken: token });
    },
  };
}
async function getLockCollection(db) {
  const lockCollection = db.collection(config.lockCollectionName);
  return lockCollection;
}
async function exist(db) {
  const lockCollection = await getLockCollection(db);
  return lockCollection.find({}).toArray();
}
""") == [(12, "users", "findOne"), (17, "sessions", "findOne"), (27, "<config.lockCollectionName>", "find")]


def test_a_member_named_like_a_collection_keeps_its_member_name_when_opened_by_a_parameter():
    # other files of the project reach it as this._collection: one name for its queries and its indexes
    assert shapes("lib/db-init.ts", """\
export const dbInit = function (this: Agenda, collection = 'agendaJobs') {
  this._collection = this._mdb.collection(collection);
  this._collection.createIndex(this._indices, { name: 'findAndLockNextJobIndex' });
  return this._collection.findOne({ name: 'x' });
};
""") == [(4, "this._collection", "findOne")]


# --- collections held in a promise (connect-mongo dist/index.mjs) --------------------------------------


def test_collection_held_in_a_promise():
    assert shapes("dist/index.mjs", """\
class MongoStore {
  constructor(clientP) {
    this.collectionP = clientP.then(async (con) => {
      const collection = con.db('app').collection('sessions');
      return collection;
    });
  }
  async get(sid) {
    const doc = await (await this.collectionP).findOne({ _id: sid });
    const collection = await this.collectionP;
    await collection.updateOne({ _id: sid }, { $set: { a: 1 } });
    this.collectionP.then((c) => c.deleteOne({ _id: sid }));
    return doc;
  }
}
""") == [(9, "sessions", "findOne"), (11, "sessions", "updateOne"), (12, "sessions", "deleteOne")]


# --- bulk writes and findAndModify (wildduck on-fetch.js, nodebb mongo/sorted.js, hash.js) ----------------


def test_bulk_write_operations_written_or_pushed():
    src = extract("lib/handlers/on-fetch.js", """\
function fetch(db, rows) {
  let updateEntries = [];
  const done = () => db.database.collection('messages').bulkWrite(updateEntries, { ordered: false });
  rows.forEach(r => {
    updateEntries.push({ updateOne: { filter: { _id: r._id, mailbox: r.mailbox }, update: { $set: { seen: true } } } });
    if (updateEntries.length > 100) {
      db.database.collection('messages').bulkWrite(updateEntries, () => { updateEntries = []; });
    }
  });
  return db.collection('jobs').bulkWrite([{ deleteMany: { filter: { done: true } } }, { insertOne: { document: {} } }]);
}
""")
    assert [(q.location.line, q.collection, q.operation, sorted(q.filter)) for q in mongo(src)] == [
        (3, "messages", "updateOne", ["_id", "mailbox"]),
        (7, "messages", "updateOne", ["_id", "mailbox"]),
        (10, "jobs", "deleteMany", ["done"]),
    ]


def test_legacy_bulk_operations_and_find_and_modify():
    src = extract("src/database/mongo/sorted.js", """\
function add(db, key, values, scores) {
  var bulk = db.collection('objects').initializeUnorderedBulkOp();
  for (var i = 0; i < scores.length; ++i) {
    bulk.find({ _key: key, value: values[i] }).upsert().updateOne({ $set: { score: scores[i] } });
  }
  const c = bulk.find({ _id: key });
  c.updateOne({ $set: { a: 1 } });
  db.collection('objects').findAndModify({ _key: key }, { score: -1 }, { $inc: { n: 1 } }, { new: true }, () => {});
  return bulk.execute();
}
""")
    qs = mongo(src)
    assert [(q.location.line, q.collection, q.operation) for q in qs] == [
        (4, "objects", "updateOne"), (6, "objects", "updateOne"), (8, "objects", "findAndModify")]
    assert sorted(qs[0].filter) == ["_key", "value"] and qs[2].sort == {"score": -1}


def test_a_parameter_given_a_default_is_still_the_callers_argument():
    src = extract("lib/mail-queue.js", """\
function listQueued(zone, start, maxItems) {
  start = start || 0;
  return db.collection('queue').find({ zone }).skip(start).limit(maxItems).toArray();
}
""")
    (q,) = mongo(src)
    assert q.skip == Placeholder("number", "start")
    assert "skip-pagination" not in rules(q)  # the offset is the caller's: the finding belongs there


# --- property: a name the module fixes is resolved, whatever form fixes it ---------------------------------

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_.", min_size=1, max_size=20)
FORMS = {
    "literal": "function f(db) {{ return db.collection('{n}').findOne({{ a: 1 }}); }}",
    "const": "const COLL = '{n}';\nfunction f(db) {{ return db.collection(COLL).findOne({{ a: 1 }}); }}",
    "default": "function f(db, name = '{n}') {{ return db.collection(name).findOne({{ a: 1 }}); }}",
    "or": "function f(db, o) {{ return db.collection(o.c || '{n}').findOne({{ a: 1 }}); }}",
    "options": "function f(db, {{ c = '{n}' }}) {{ const o = {{ c }}; return db.collection(o.c).findOne({{ a: 1 }}); }}",
    "concat": "const P = '{n}';\nfunction f(db) {{ return db.collection(P + '.files').findOne({{ a: 1 }}); }}",
}


@settings(max_examples=60, deadline=None)
@given(name=NAMES, form=st.sampled_from(sorted(FORMS)))
def test_names_fixed_by_the_module_are_resolved(name, form):
    (q,) = mongo(extract("m.js", FORMS[form].format(n=name)))
    assert q.collection == (name + ".files" if form == "concat" else name)
    assert not q.sketch


@settings(max_examples=60, deadline=None)
@given(expr=st.sampled_from(["opts.c", "this.options.collection", "config.queue.name", "prefix + '.files'", "name"]))
def test_names_known_only_at_run_time_are_marked(expr):
    (q,) = mongo(extract("m.js", f"function f(db, opts, name, prefix) {{ return db.collection({expr}).findOne({{}}); }}"))
    assert q.collection == f"<{expr}>" and q.sketch


# --- collections reached through other objects (apostrophe login/index.js, flask-pymongo wrappers.py) ------


def test_another_modules_collection_and_a_collection_subclass():
    assert shapes("modules/login/index.js", """\
module.exports = {
  methods(self) {
    return {
      async bump(key) {
        await self.apos.cache.cacheCollection.updateOne({ namespace: 'login', key }, { $inc: { n: 1 } });
        await self.apos.user.profile.updateOne({ _id: key }, { $set: { a: 1 } });
      }
    };
  }
};
""") == [(5, "<self.apos.cache.cacheCollection>", "updateOne")]  # `profile` is not named like a collection
    src = extract("flask_pymongo/wrappers.py", """\
from pymongo import collection

class Collection(collection.Collection[dict]):
    def find_one_or_404(self, *args, **kwargs):
        found = self.find_one(*args, **kwargs)
        return found

class Form:
    def find_one(self, key):
        return self.find_one(key)
""")
    assert [(q.location.line, q.collection, q.sketch) for q in mongo(src)] == [(5, "<self>", True)]


def test_a_collection_a_constructor_parameter_names_is_one_per_instance(tmp_path, monkeypatch):
    """`self.store = client[db][collection]` with `collection` a parameter of __init__: whatever the deployment
    calls it, what is declared and queried through `self.store` meets on one collection, so the planner judges
    the queries against those declarations. A member a subclass names (`db[self.name]`) stays a sketch: it is
    another collection per subclass."""
    from advisor import engine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "store.py").write_text("""\
class SessionStore:
    def __init__(self, client, db="app", collection="sessions"):
        self.store = client[db][collection]
        self.store.create_index("expiration", expireAfterSeconds=0)

    def get(self, sid):
        return self.store.find_one({"id": sid})


class Model:
    name = None

    def __init__(self, client):
        self.collection = client["app"][self.name]
        self.collection.create_index("expiration")

    def get(self, sid):
        return self.collection.find_one({"id": sid})
""")
    found = [(f.rule, f.location.line, f.message) for f in engine.check(["."]).active]
    assert [(r, line) for r, line, _ in found if r == "MGO001"] == [("MGO001", 7)]
    assert "no index starts with id (indexes: expiration_1)" in next(m for r, _, m in found if r == "MGO001")


def test_a_name_the_constructor_keeps_with_an_annotation_is_one_collection_per_instance(tmp_path, monkeypatch):
    """As holdout 53's session stores write it: `self.collection_name: str = collection_name`, then
    `self.collection: Collection = self.db[self.collection_name]` (annotated assignments): each instance holds the
    collection its caller names, so the store's declarations serve its queries."""
    from advisor import catalogue, engine
    from advisor.discovery import collect
    from advisor.loader import load
    from advisor.options import Options

    monkeypatch.chdir(tmp_path)
    (tmp_path / "store.py").write_text("""\
from pymongo import MongoClient
from pymongo.collection import Collection


class SessionStore:
    def __init__(self, collection_name: str, db_name: str = "app"):
        self.collection_name: str = collection_name
        self.db = MongoClient()[db_name]
        self.collection: Collection = self.db[self.collection_name]

    def create(self):
        self.collection.create_index("session_id", unique=True)
        self.collection.create_index("user_id")
        self.collection.create_index([("user_id", 1), ("created_at", -1)])

    def read(self, session_id):
        return self.collection.find_one({"session_id": session_id})
""")
    (tmp_path / "advisor.toml").write_text('large-tables = ["*"]\n')
    loaded = load(collect(["."], Options())[0])
    assert {q.collection for s in loaded.sources for q in s.queries} == {"SessionStore.collection"}
    assert {i.table for i in loaded.schema.indexes} == {"SessionStore.collection"}
    found = [(catalogue.lookup(f.rule).name, f.location.line) for f in engine.check(["."]).active]
    assert found == [("redundant-index", 13)], found  # user_id_1 is a prefix of (user_id, created_at): they meet


def test_an_array_the_code_fills_after_writing_it_is_the_runs_not_empty():
    """As holdout 55's observer writes it: `const live = []`, then `live.push(key)` in a loop, then `{ type: { $nin: live
    } }`: the list is what the run fills in, not the empty literal (an empty `$nin` matches everything; an empty `$in`
    nothing). A list only written stays the literal, and so does a written one the code adds to."""
    src = extract("observer.js", """\
const db = client.db("game");
async function sweep(entities, specials) {
  const live = [];
  for (const key in specials) live.push(key);
  const ids = [];
  ids[0] = entities[0]._id;
  const fixed = ["a", "b"];
  const or = [{ owner: 1 }];
  if (specials.x) or.push({ owner: 2 });
  await db.collection("entities").deleteMany({ type: { $nin: live }, _id: { $in: ids }, kind: { $in: fixed }, $or: or });
}
""")
    (q,) = mongo(src)
    assert isinstance(q.filter["type"]["$nin"], Placeholder) and q.filter["type"]["$nin"].kind == "array"
    assert isinstance(q.filter["_id"]["$in"], Placeholder)
    assert q.filter["kind"]["$in"] == ["a", "b"]
    assert q.filter["$or"] == [{"owner": 1}]  # a written list grown under a condition: what it is known to hold
