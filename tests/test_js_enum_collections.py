"""A collection named by a member of a TypeScript enum of names (holdout 32's @wepublish/api-db-mongodb: `export
enum CollectionName { Users = 'users', ... }` in db/schema.ts, then `db.collection(CollectionName.Users)` in every
adapter): the collection is the member's string, in the module that declares the enum or one that imports it, so
its queries meet its indexes. An enum with a member that is no string names nothing."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

SCHEMA = """\
export enum CollectionName {
  Users = 'users',
  Invoices = 'invoices',
}
export const Backups = { Users: 'users_backup' } as const
export enum Mixed { Users = 'users', Count = 3 }
"""

MIGRATION = """\
import { Db } from 'mongodb'
import { CollectionName } from './schema'

export async function migrate(db: Db) {
  const users = await db.createCollection(CollectionName.Users)
  await users.createIndex({ email: 1 }, { unique: true })
  await db.collection(CollectionName.Invoices).createIndex({ mail: 1 })
}
"""

ADAPTER = """\
import { Db, Collection } from 'mongodb'
import { CollectionName, Backups, Mixed } from './schema'

export class UserAdapter {
  private users: Collection
  constructor(db: Db) {
    this.users = db.collection(CollectionName.Users)
  }
  async byEmail(email: string) {
    return this.users.findOne({ email })
  }
  async byProvider(provider: string) {
    return this.users.findOne({ provider })
  }
}

export async function invoices(db: Db, subscriptionID: string) {
  return db.collection(CollectionName.Invoices).find({ subscriptionID }).toArray()
}

export async function backup(db: Db, email: string) {
  return db.collection(Backups.Users).findOne({ email })
}

export async function mixed(db: Db, email: string) {
  return db.collection(Mixed.Users).findOne({ email })
}
"""


def _load(project):
    project({"src/schema.ts": SCHEMA, "src/migration.ts": MIGRATION, "src/user.ts": ADAPTER})
    return load_project(["."], Options())


def test_an_enum_members_collection_is_its_string(project):
    loaded = _load(project)
    named = sorted({q.collection for s in loaded.sources for q in s.queries})
    assert named == ["<Mixed.Users>", "invoices", "users", "users_backup"]
    assert {(i.table, i.name) for i in loaded.schema.indexes} == {("users", "email_1"), ("invoices", "mail_1")}


def test_claims_on_an_enum_members_collection(project):
    project(
        {
            "src/schema.ts": SCHEMA,
            "src/migration.ts": MIGRATION,
            "src/user.ts": ADAPTER,
            "advisor.toml": 'large-tables = ["*"]\n',
        }
    )
    scans = sorted(
        f.message.split(" scans")[0]
        for f in engine.check(["."]).active
        if catalogue.lookup(f.rule).name == "collection-scan"
    )
    # byEmail is served by email_1; the provider lookup and the invoices by subscription are not
    assert scans == ["invoices.find({ subscriptionID: subscriptionID })", "users.findOne({ provider: provider })"]
