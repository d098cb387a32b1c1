"""A migration that renames a collection to a backup and creates it again (holdout 32's We.Publish: `await
userCollection.rename('23-users.bak')`, then `db.createCollection('users')`): MongoDB moves the indexes with the
renamed collection, so the `email` index the first migration declared is the backup's, and `users` has only `_id`.
advisor claims the login's scan on `users`; a rename of something that is no driver collection (`fs.rename`) moves
nothing."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

MIGRATION = """\
const fs = require('fs')

module.exports = [
  {
    version: 1,
    async migrate(db) {
      const users = await db.createCollection('users')
      await users.createIndex({ email: 1 }, { unique: true })
      const invoices = await db.createCollection('invoices')
      await invoices.createIndex({ subscriptionID: 1 })
    },
  },
  {
    version: 2,
    async migrate(db) {
      const userCollection = await db.collection('users')
      await userCollection.rename('users.bak')
      await db.createCollection('users')
      fs.rename('a.log', 'b.log', () => {})
    },
  },
]
"""

QUERIES = """\
async function login(db, email) {
  return db.collection('users').findOne({ email })
}
async function invoices(db, subscriptionID) {
  return db.collection('invoices').find({ subscriptionID }).toArray()
}
module.exports = { login, invoices }
"""


def test_a_renamed_collections_indexes_go_with_it(project):
    project({"src/migration.js": MIGRATION, "src/db.js": QUERIES})
    schema = load_project(["."], Options()).schema
    on = {t: sorted(i.name for i in schema.indexes if i.table == t) for t in ("users", "users.bak", "invoices")}
    assert on == {"users": ["_id_"], "users.bak": ["email_1"], "invoices": ["subscriptionID_1"]}


def test_the_recreated_collection_is_scanned(project):
    project({"src/migration.js": MIGRATION, "src/db.js": QUERIES, "advisor.toml": 'large-tables = ["*"]\n'})
    scans = [f.message for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "collection-scan"]
    assert len(scans) == 1 and scans[0].startswith("users.findOne({ email: email })")
