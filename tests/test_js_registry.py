"""Collections a framework registers by key with their indexes as data, as Reaction Commerce's plugins do
(holdout 20's @reactioncommerce/api-plugin-accounts, whose first run read no index of it and said so wrongly):

    app.registerPlugin({ collections: { Accounts: { name: "Accounts", indexes: [[{ shopId: 1 }, { name: "s" }]] } } })

and the queries reach them as `context.collections.Accounts`, `const { Accounts } = collections`,
`const { collections: { Groups } } = context`, or a parameter `{ collections: { Orders } }`.
"""

from advisor.ir import Location
from advisor.loader import load_project
from advisor.mongo.manifest import manifest_indexes
from advisor.options import Options

PLUGIN = """\
export default async function register(app) {
  await app.registerPlugin({
    label: "Accounts",
    collections: {
      Accounts: {
        name: "Accounts",
        indexes: [
          [{ groups: 1 }, { name: "c2_groups" }],
          [{ userId: 1 }, { name: "c2_userId", unique: true }],
          [{ shopId: 1, createdAt: -1 }]
        ]
      },
      Groups: { name: "Groups" }
    }
  });
}
"""

QUERIES = """\
export async function byEmail(context, email) {
  const { collections } = context;
  const { Accounts } = collections;
  return Accounts.findOne({ "emails.address": email });
}

export async function byUser(context, userId) {
  return context.collections.Accounts.findOne({ userId });
}

export async function group(context, slug) {
  const { collections: { Groups } } = context;
  return Groups.findOne({ slug });
}

export async function latest({ collections: { Accounts: A } }, shopId) {
  return A.find({ shopId }).sort({ createdAt: -1 }).limit(10).toArray();
}

export async function notARegistry(models, id) {
  const { Account } = models;
  return Account.findOne({ id });
}
"""


def _read(project):
    project({"src/index.js": PLUGIN, "src/queries.js": QUERIES})
    p = load_project(["."], Options())
    return p.other_queries, p.schema


def test_the_registered_indexes_are_read_on_the_collection_the_framework_opens(project):
    _, schema = _read(project)
    got = sorted((i.table, i.name, i.columns, i.unique) for i in schema.indexes)
    assert got == [
        ("Accounts", "c2_groups", ("groups",), False),
        ("Accounts", "c2_userId", ("userId",), True),
        ("Accounts", "shopId_1_createdAt_-1", ("shopId", "createdAt"), False),
    ]
    assert all(i.location.path.endswith("src/index.js") for i in schema.indexes)
    assert sorted(i.location.line for i in schema.indexes) == [8, 9, 10]  # each at its entry


def test_every_way_of_reaching_a_registered_collection_names_it_by_its_key(project):
    queries, _ = _read(project)
    got = sorted((q.location.line, q.collection, q.model, q.driver) for q in queries)
    assert got == [
        (4, "Accounts", None, True),  # destructured from a destructured `collections`
        (8, "Accounts", None, True),  # a member of `context.collections`
        (13, "Groups", None, True),  # nested destructuring of the context
        (17, "Accounts", None, True),  # a parameter's nested pattern, renamed
        (22, "accounts", "Account", False),  # destructured from anything else: a model, as before
    ]


def test_a_manifest_entry_may_be_createIndex_arguments():
    here = Location("m.json", 1, 1)
    value = {"collections": {"Jobs": {"name": "jobs", "indexes": [[{"a": 1}, {"unique": True}], [{"b": -1}]]}}}
    spans = {("collections", "Jobs", "indexes", 0): here, ("collections", "Jobs", "indexes", 1): here}
    got = sorted((i.table, i.columns, i.unique) for i in manifest_indexes(value, spans))
    assert got == [("jobs", ("a",), True), ("jobs", ("b",), False)]


BEDROCK = """\
import * as database from '@bedrock/mongodb';

const COLLECTION_NAME = 'edv-storage-doc';

bedrock.events.on('bedrock-mongodb.ready', async () => {
  await database.openCollections([COLLECTION_NAME]);
  await database.createIndexes([{
    collection: COLLECTION_NAME,
    fields: {localEdvId: 1, 'doc.id': 1},
    options: {unique: true}
  }, {
    collection: COLLECTION_NAME,
    fields: {localEdvId: 1, attributes: 1},
    options: {name: 'attributes.equals', partialFilterExpression: {attributes: {$exists: true}}, unique: false}
  }]);
});

export async function get({localEdvId, id}) {
  const collection = database.collections[COLLECTION_NAME];
  return collection.findOne({localEdvId, 'doc.id': id});
}

export async function list(localEdvId) {
  return database.collections[COLLECTION_NAME].find({localEdvId}).toArray();
}

export async function indexed(collection, spec) {
  await collection.createIndexes([{key: {a: 1}, name: 'a_1'}]);  // the driver's entries: on `collection`
}
"""


def test_a_frameworks_registry_by_a_constant_key_and_its_listed_indexes(project):
    """Holdout 61's Bedrock storage: `database.collections[COLLECTION_NAME]` is the registry's collection of that
    name, and `database.createIndexes([{collection, fields, options}])` declares each entry's index on the collection
    it names (the driver's own `createIndexes` entries name none: read as the driver's, on their receiver)."""
    project({"lib/storage/docs.js": BEDROCK})
    p = load_project(["."], Options())
    assert sorted((q.location.line, q.collection) for q in p.other_queries) == [
        (20, "edv-storage-doc"),
        (24, "edv-storage-doc"),
    ]
    got = sorted((i.table, i.name, i.columns, i.unique, "partialFilterExpression" in i.options) for i in p.schema.indexes)
    assert ("edv-storage-doc", "attributes.equals", ("localEdvId", "attributes"), False, True) in got
    assert ("edv-storage-doc", "localEdvId_1_doc.id_1", ("localEdvId", "doc.id"), True, False) in got
    assert not [i for i in p.schema.indexes if i.table == "edv-storage-doc" and i.columns == ("a",)]


def test_a_listed_index_helper_called_by_its_own_name_is_read_as_the_framework_s(project):
    # `const { createIndexes } = database;` then `createIndexes([...])`: the same call, the callee bare
    project({"lib/storage/docs.js": BEDROCK.replace(
        "import * as database from '@bedrock/mongodb';", "import * as database from '@bedrock/mongodb';\n"
        "const {createIndexes} = database;").replace("await database.createIndexes([{\n", "await createIndexes([{\n")})
    p = load_project(["."], Options())
    got = sorted((i.table, i.columns) for i in p.schema.indexes if i.table == "edv-storage-doc")
    assert got == [("edv-storage-doc", ("localEdvId", "attributes")), ("edv-storage-doc", ("localEdvId", "doc.id"))]
