"""Two readings of where a driver collection comes from (holdout 26 and the corpus's tiledesk-server and formio):

1. `db.createCollection(name, opts)` gives the collection, as `db.collection(name)` does: the indexes created on
   what it gives (`const c = await db.createCollection('submissions'); await c.createIndexes([...])`) are that
   collection's (formio's install script).
2. A member the module sets to a name (`this.collection = options.collection || 'log'`, every assignment of it
   the same constant) names the collection `db.collection(this.collection)` opens (tiledesk's bundled
   winston-mongodb transport); set to two names, it names none.
"""

from advisor.loader import load_project
from advisor.options import Options

INSTALL = """\
module.exports = async function (db) {
  const submissions = await db.createCollection('submissions', null);
  await submissions.createIndexes([{ key: { form: 1 }, name: 'form_1' }]);
  const schema = await db.createCollection('schema');
  await schema.createIndex({ key: 1 });
};
"""

TRANSPORT = """\
function MongoDB(options) {
  this.collection = (options.collection || 'log');
  this.logDb = options.db;
}
MongoDB.prototype.query = function (level) {
  return this.logDb.collection(this.collection).find({ level }).toArray();
};
module.exports = MongoDB;
"""


def _read(project, files):
    project(files)
    loaded = load_project(["."], Options())
    queries = [(q.location.line, q.collection) for s in loaded.sources for q in s.queries]
    return {(i.table, i.name) for i in loaded.schema.indexes}, queries


def test_the_collection_create_collection_gives_holds_the_indexes_created_on_it(project):
    indexes, _ = _read(project, {"install.js": INSTALL})
    assert indexes == {("submissions", "form_1"), ("schema", "key_1")}


def test_a_member_set_to_one_name_names_the_collection_it_opens(project):
    _, queries = _read(project, {"transport.js": TRANSPORT})
    assert queries == [(6, "log")]


def test_a_member_set_to_two_names_names_no_collection(project):
    twice = TRANSPORT.replace(
        "  this.logDb = options.db;\n", "  this.logDb = options.db;\n  this.collection = 'audit';\n"
    )
    _, queries = _read(project, {"transport.js": twice})
    assert [collection for _, collection in queries] != ["log"] and [c for _, c in queries] != ["audit"]
