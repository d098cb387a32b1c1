"""upsert-not-unique: an upsert by the fields of an index that is not unique (holdout 23's dossier, P1: a sync
service's write checkpoints upserted per user on a plain { user_id } index). The upsert flag is read wherever
the drivers take it; the rule speaks only when the code's own index names the key and nothing makes it unique. It
is off by default (0 of 13 worth a pull request on the corpus: its page).
Snippets are written here in the style of such services; none is copied from one."""

from advisor import catalogue, engine
from advisor.mongo.shape import MongoQuery
from advisor.sources import extract

JS = """\
async function writes(db, ops) {
  const c = db.collection('marks')
  await c.updateOne({ user: u }, { $set: { v } }, { upsert: true })
  await c.updateOne({ user: u }, { $set: { v } })
  await c.replaceOne({ user: u }, doc, { upsert: true })
  await c.findOneAndUpdate({ user: u }, { $set: { v } }, { upsert: true, returnDocument: 'after' })
  await c.update({ user: u }, { $set: { v } }, true)
  await c.findAndModify({ user: u }, [], { $set: { v } }, { upsert: true })
  await c.bulkWrite([{ updateOne: { filter: { user: u }, update: { $set: { v } }, upsert: true } }])
  const bulk = c.initializeUnorderedBulkOp()
  bulk.find({ user: u }).upsert().updateOne({ $set: { v } })
}
"""

PY = """\
from pymongo import UpdateOne


def writes(db, u, v):
    db.marks.update_one({"user": u}, {"$set": {"v": v}}, upsert=True)
    db.marks.update_one({"user": u}, {"$set": {"v": v}}, True)
    db.marks.update_one({"user": u}, {"$set": {"v": v}})
    db.marks.find_one_and_update({"user": u}, {"$set": {"v": v}}, upsert=True)
    db.marks.bulk_write([UpdateOne({"user": u}, {"$set": {"v": v}}, upsert=True)])
"""


def _upserts(path, text):
    return [(q.operation, q.upsert) for q in extract(path, text).queries if isinstance(q, MongoQuery)]


def test_the_upsert_flag_is_read_wherever_the_drivers_take_it():
    assert _upserts("writes.js", JS) == [
        ("updateOne", True),
        ("updateOne", False),
        ("replaceOne", True),
        ("findOneAndUpdate", True),
        ("update", True),
        ("findAndModify", True),
        ("updateOne", True),
        ("updateOne", True),
    ]
    assert _upserts("writes.py", PY) == [
        ("update_one", True),
        ("update_one", True),
        ("update_one", False),
        ("find_one_and_update", True),
        ("update_one", True),
    ]


def test_a_writes_options_are_never_read_as_a_projection():
    (q,) = [
        q
        for q in extract(
            "w.js", "db.collection('c').updateOne({ a: 1 }, { $set: { b: 2 } }, { upsert: true })\n"
        ).queries
    ]
    assert q.upsert and q.projection is None


SELECTED = 'select = ["DEFAULT", "upsert-not-unique"]\n'  # a policy check, off by default


def _reported(project, files):
    """(line, message) of each upsert-not-unique finding of a check of `files`."""
    project(files)
    found = engine.check(["."]).active
    return [(f.location.line, f.message) for f in found if catalogue.lookup(f.rule).name == "upsert-not-unique"]


CHECKPOINTS = """\
async function setup(db) {
  await db.collection('checkpoints').createIndex({ user_id: 1 })
  await db.collection('prefs').createIndex({ user: 1, key: 1 })
  await db.collection('prefs').createIndex({ user: 1 }, { unique: true })
  await db.collection('marks').createIndex({ tenant: 1, user: 1, key: 1 }, { unique: true })
  await db.collection('marks').createIndex({ user: 1, key: 1 })
  await db.collection('logs').createIndex({ user: 1, at: 1 })
  await db.collection('seen').createIndex({ user: 1 }, { sparse: true })
}

async function save(db, userId, key, lsn, since) {
  await db.collection('checkpoints').updateOne({ user_id: userId }, { $set: { lsn } }, { upsert: true })
  await db.collection('checkpoints').updateOne({ user_id: userId }, { $set: { lsn } })
  await db.collection('prefs').updateOne({ user: userId, key }, { $set: { lsn } }, { upsert: true })
  await db.collection('marks').updateOne({ user: userId, key }, { $set: { lsn } }, { upsert: true })
  await db.collection('logs').updateOne({ user: userId, at: { $gte: since } }, { $inc: { n: 1 } }, { upsert: true })
  await db.collection('checkpoints').updateOne({ _id: userId, user_id: userId }, { $set: { lsn } }, { upsert: true })
  await db.collection('seen').updateOne({ user: userId }, { $set: { lsn } }, { upsert: true })
  await db.collection('other').updateOne({ user: userId }, { $set: { lsn } }, { upsert: true })
}
module.exports = { setup, save }
"""


def test_only_the_upsert_whose_key_has_a_plain_index_and_no_unique_one_is_reported(project):
    got = _reported(project, {"store.js": CHECKPOINTS, "advisor.toml": SELECTED})
    # not the plain update (13), nor a key a unique index holds in part (14: { user } unique), or whole with a
    # tenant (15), nor a range (16), _id (17), a sparse index (18), a collection with no index on the key (19)
    assert [line for line, _ in got] == [12], got
    assert "user_id_1 { user_id: 1 } is not unique" in got[0][1]


MODELS = """\
const mongoose = require('mongoose')

const LeadSchema = new mongoose.Schema({
  lead_id: { type: String, index: true },
  email: { type: String, index: true, unique: true },
  name: String,
})
const Lead = mongoose.model('lead', LeadSchema)

async function touch(leadId, email, name) {
  await Lead.findOneAndUpdate({ lead_id: leadId }, { name }, { new: true, upsert: true })
  await Lead.findOneAndUpdate({ email }, { name }, { new: true, upsert: true })
}
module.exports = { touch }
"""


def test_a_mongoose_field_index_is_read_as_the_key_and_a_unique_one_as_its_guard(project):
    got = _reported(project, {"models/lead.js": MODELS, "advisor.toml": SELECTED})
    assert [line for line, _ in got] == [11], got
    assert got[0][1].startswith("leads.findOneAndUpdate upserts the document of { lead_id }")


def test_the_rule_is_off_by_default(project):
    assert _reported(project, {"store.js": CHECKPOINTS}) == []
