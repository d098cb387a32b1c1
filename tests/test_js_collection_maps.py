"""MongoDB extraction: collections kept by name in an object on `this` (aedes-persistence-mongodb,
holdout 11: `this.#cl = { subscriptions, retained }`, read as `this.#cl.retained.find(...)`), index
declarations kept as a list of `{ collection, key, ... }` applied in a loop, and names built from a prefix
option with a default (`${opts.collectionPrefix || ''}subscriptions`). Small programs shaped like the real
code, not copies of it."""

from advisor.mongo.shape import MongoQuery
from advisor.sources import extract

PERSISTENCE = """\
class Store {
  #cl
  #opts
  constructor (opts = {}) { this.#opts = opts; this.#cl = null }
  async setup (db) {
    const prefix = `${this.#opts.collectionPrefix || ''}`
    const subscriptions = db.collection(`${prefix}subscriptions`)
    const outgoing = db.collection(`${prefix}outgoing`)
    this.#cl = { subscriptions, outgoing, will: db.collection('will') }
    const createIndex = async (idx) => {
      const indexOpts = { name: idx.name }
      if (idx.unique) { indexOpts.unique = true }
      await this.#cl[idx.collection].createIndex(idx.key, indexOpts)
    }
    const indexes = [
      { collection: 'outgoing', key: { clientId: 1, 'packet.messageId': 1 }, name: 'by_message' },
      { collection: 'subscriptions', key: { clientId: 1, topic: 1 }, name: 'by_topic', unique: true, weights: { a: 1 } },
      { collection: 'nowhere', key: { a: 1 } }
    ]
    await Promise.all(indexes.map(createIndex))
  }
  async byClient (client) { return this.#cl.subscriptions.find({ clientId: client.id }).toArray() }
  async getWill (client) { return this.#cl['will'].findOne({ clientId: client.id }) }
  async clear (client, packet) { await updatePacket(this.#cl, client, packet) }
  async any (name, id) { return this.#cl[name].findOne({ _id: id }) }
}
async function updatePacket (cols, client, packet) {
  await cols.outgoing.updateOne({ clientId: client.id, 'packet.messageId': packet.messageId }, { $set: { packet } })
}
"""


def _queries(src):
    return [(q.location.line, q.collection, q.operation, q.sketch) for q in src.queries if isinstance(q, MongoQuery)]


def test_queries_on_members_of_an_object_on_this_are_tied_to_their_collections():
    src = extract("store.js", PERSISTENCE)
    assert _queries(src) == [
        (22, "subscriptions", "find", False),  # the prefix option's default '' names it
        (23, "will", "findOne", False),  # a literal key
        (25, "<this.#cl[name]>", "findOne", True),  # a key known only at run time: a sketch, no claim
        (28, "outgoing", "updateOne", False),  # a parameter every call passes `this.#cl` for
    ]


def test_an_index_list_applied_in_a_loop_declares_each_element_on_its_collection():
    src = extract("store.js", PERSISTENCE)
    got = [(i.location.line, i.table, [k.expr for k in i.keys], i.name, i.unique) for i in src.indexes]
    assert got == [
        (16, "outgoing", ["clientId", "packet.messageId"], "by_message", False),
        (17, "subscriptions", ["clientId", "topic"], "by_topic", True),
    ]  # the third names no member of `this.#cl`: nothing claimed for it
    assert "weights" not in src.indexes[1].options  # an option the applying code never reads is not applied


MEMBERS = """\
class Repo {
  constructor (db) {
    this.cols = {}
    this.cols.users = db.collection('users')
    this.cols['posts'] = db.collection('posts')
    for (const name of ['jobs', 'locks']) { this.cols[name] = db.collection('app_' + name) }
  }
  user (id) { return this.cols.users.findOne({ _id: id }) }
  post (id) { return this.cols['posts'].findOne({ _id: id }) }
  purge () { for (const n of ['jobs', 'locks']) { this.cols[n].deleteMany({ done: true }) } }
  ensure () { ['jobs', 'locks'].forEach(n => this.cols[n].createIndex({ done: 1 })) }
}
"""


def test_members_assigned_one_by_one_or_in_a_loop_over_literal_names():
    src = extract("repo.js", MEMBERS)
    assert _queries(src) == [
        (8, "users", "findOne", False),
        (9, "posts", "findOne", False),
        (10, "app_jobs", "deleteMany", False),  # once per name the loop gives `n`
        (10, "app_locks", "deleteMany", False),
    ]
    assert [(i.location.line, i.table) for i in src.indexes] == [(11, "app_jobs"), (11, "app_locks")]


LOOPED = """\
const INDEXES = [
  { coll: 'events', keys: { runId: 1, seq: 1 }, unique: true },
  { coll: 'hooks', keys: { token: 1 }, unique: true }
]
async function ensure (db) {
  for (const spec of INDEXES) {
    await db.collection(spec.coll).createIndex(spec.keys, { unique: spec.unique })
  }
}
"""


def test_a_for_of_loop_over_a_constant_list_opening_each_collection_by_its_name():
    src = extract("indexes.js", LOOPED)
    assert [(i.location.line, i.table, [k.expr for k in i.keys], i.unique) for i in src.indexes] == [
        (2, "events", ["runId", "seq"], True),
        (3, "hooks", ["token"], True),
    ]


RUN_TIME = """\
class Cache {
  constructor (db, names) {
    this.cols = { a: db.collection('a') }
    for (const n of names) { this.cols[n] = db.collection(n) }
  }
  get (kind, id) { return this.cols[kind].findOne({ _id: id }) }
  ensure (specs) { specs.forEach(s => this.cols[s.collection].createIndex(s.key)) }
}
"""


def test_a_run_time_key_or_list_stays_a_sketch():
    src = extract("cache.js", RUN_TIME)
    assert _queries(src) == [(6, "<this.cols[kind]>", "findOne", True)]  # the caller's key: partial, no claim
    assert [(i.table, i.method) for i in src.indexes] == [("<this.cols[s.collection]>", "mongo-unread")]


def test_bulk_operations_a_map_builds_and_operations_pushed_from_elsewhere():
    text = """\
const db = client.db('m')
async function add (client, subs) {
  const operations = subs.map(sub => ({ updateOne: { filter: { clientId: client.id, topic: sub.topic }, update: { $set: sub }, upsert: true } }))
  await db.collection('subscriptions').bulkWrite(operations)
}
async function flush (queue) {
  const ops = []
  while (queue.length) { const { operation } = queue.shift(); ops.push(operation) }
  await db.collection('retained').bulkWrite(ops)
}
"""
    src = extract("bulk.js", text)
    got = [(q.location.line, q.collection, q.operation, q.sketch) for q in src.queries]
    assert got == [(4, "subscriptions", "updateOne", False), (9, "retained", "bulkWrite", True)]
    assert src.queries[0].filter == {
        "clientId": src.queries[0].filter["clientId"],
        "topic": src.queries[0].filter["topic"],
    }


DEFINITIONS = """\
class Agents {
  defaultIndexes () { return [{ collection: 'agents', keys: { id: 1 }, options: { unique: true } }] }
  async createDefaultIndexes () {
    for (const def of this.defaultIndexes()) {
      await (await this.getCollection(def.collection)).createIndex(def.keys, def.options)
    }
  }
}
class Threads {
  defaultIndexes () { return [{ collection: 'threads', keys: { resourceId: 1, createdAt: -1 } }] }
  async createDefaultIndexes () {
    for (const def of this.defaultIndexes()) {
      await (await this.getCollection(def.collection)).createIndex(def.keys, def.options)
    }
  }
}
"""


def test_a_list_a_method_of_the_same_class_returns():
    src = extract("bundle.js", DEFINITIONS)
    got = [(i.location.line, i.table, [k.expr for k in i.keys], i.unique) for i in src.indexes]
    assert got == [(2, "agents", ["id"], True), (10, "threads", ["resourceId", "createdAt"], False)]
