"""A collection read through a getter of the project's own class, from another module (`ctx.db.bucketStateV1`),
is the collection the getter returns, not one named after the getter (issue 11, holdout 23: PowerSync's
storage reads `bucket_state` through `get bucketStateV1() { return this.upstream.bucket_state; }`, and its
no-index-declarations note named `bucketStateV1` as a collection without indexes, whose indexes stand on
`bucket_state`)."""

from advisor import engine
from advisor.loader import load_project
from advisor.options import Options

DB_JS = """
class Store {
  constructor(db) {
    this.bucket_state = db.collection('bucket_state');
  }
  async init() {
    await this.bucket_state.createIndex({ g: 1, last_op: 1 });
  }
}
module.exports = { Store };
"""

WRAPPER_JS = """
class Versioned {
  constructor(upstream, db) {
    this.upstream = upstream;
    this.db = db;
  }
  get bucketStateV1() {
    return this.upstream.bucket_state;
  }
  get definitions() {
    return this.db.collection('sync_config');
  }
  get cursor() {
    return compute(this.upstream);
  }
  get form() {
    return this._form;
  }
}
module.exports = { Versioned };
"""

USE_JS = """
async function changes(ctx, g, op) {
  return ctx.db.bucketStateV1.find({ g: g, last_op: { $gt: op } }).toArray();
}
async function configs(ctx, id) {
  return ctx.db.definitions.find({ stream: id }).toArray();
}
async function users(db, id) {
  return db.users.find({ org: id }).toArray();
}
async function held(ctx, id) {
  return ctx.db.cursor.find({ org: id }).toArray();
}
async function given(versioned, id) {
  return versioned.definitions.find({ stream: id }).toArray();
}
async function plain(options, id) {
  return options.items.find({ org: id });
}
async function own(router, id) {
  return router.models.form.findOne({ org: id });
}
module.exports = { changes, configs, users, held, given, plain, own };
"""


def _collections(project) -> dict[int, str]:
    root = project({"package.json": '{"name": "x"}', "db.js": DB_JS, "wrapper.js": WRAPPER_JS, "use.js": USE_JS})
    loaded = load_project([str(root)], Options())
    return {q.location.line: q.collection for q in loaded.other_queries if q.location.path.endswith("use.js")}


def test_a_getter_of_the_project_names_the_collection_it_returns(project):
    found = _collections(project)
    assert found[2] == "bucket_state"  # the property the getter hands on, as `db.bucket_state` would be read
    assert found[5] == "sync_config"  # the collection the getter opens
    assert found[8] == "users"  # no getter of that name: mongosh's `db.users` stays the collection users
    assert found[11] == "<ctx.db.cursor>"  # a getter advisor cannot follow: a collection named at run time
    assert found[14] == "sync_config"  # on an object advisor cannot name, the getter's collection all the same
    assert 17 not in found  # `items` is no getter of the project: not a query advisor can place
    assert 20 not in found  # the getter `form` returns its class's own member, which advisor cannot name


def test_the_no_index_declarations_note_names_no_getter_as_a_collection(project):
    _collections(project)
    notes = [f.message for f in engine.check(["."]).active if f.rule == "MGO015"]
    assert notes and all("bucketStateV1" not in m and "definitions" not in m for m in notes)
    assert any("sync_config" in m for m in notes)
