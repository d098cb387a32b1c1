"""Mongoose models a module registers in a function from the schema it is given, as compiled TypeScript
writes them, and queried through their driver collection from another module (holdout 9, medici build/):
`exports.lockModel = (0, mongoose_1.model)("Ledger_Lock", schema, collection)` inside `setLockSchema`,
`lock_1.lockModel.collection.updateOne(...)` in the caller. Snippets are written here in that style; none
is copied from it."""

from advisor import catalogue, engine
from advisor.mongo.shape import MongoQuery
from advisor.sources import extract
from advisor.sources.links import link

LOCK = """\
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.setLockSchema = exports.lockModel = void 0;
const mongoose_1 = require("mongoose");
const lockSchema = new mongoose_1.Schema({ ledger: String, account: String, updatedAt: Date });
lockSchema.index({ account: 1, ledger: 1 }, { unique: true });
function setLockSchema(schema, collection) {
    if (mongoose_1.connection.models["Ledger_Lock"]) {
        mongoose_1.connection.deleteModel("Ledger_Lock");
    }
    exports.lockModel = (0, mongoose_1.model)("Ledger_Lock", schema, collection);
}
exports.setLockSchema = setLockSchema;
!mongoose_1.connection.models["Ledger_Lock"] && setLockSchema(lockSchema);
async function staleLock(account) {
    return exports.lockModel.collection.findOne({ account, updatedAt: { $lt: new Date(0) } });
}
exports.staleLock = staleLock;
"""

ENTRY = """\
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.setEntrySchema = exports.entryModel = void 0;
const mongoose_1 = require("mongoose");
exports.entrySchema = new mongoose_1.Schema({ ledger: String, account: String, datetime: Date, memo: String });
function setEntrySchema(schema, collection, options = {}) {
    const { defaultIndexes = true } = options;
    if (defaultIndexes) {
        schema.index({ ledger: 1, account: 1, datetime: -1 });
    }
    exports.entryModel = (0, mongoose_1.model)("Ledger_Entry", schema, collection);
}
exports.setEntrySchema = setEntrySchema;
!mongoose_1.connection.models["Ledger_Entry"] && setEntrySchema(exports.entrySchema);
"""

LEDGER = """\
"use strict";
const lock_1 = require("./models/lock");
const entry_1 = require("./models/entry");
class Ledger {
    async lockAccount(account) {
        await lock_1.lockModel.collection.updateOne({ account, ledger: this.name }, { $set: { updatedAt: new Date() } }, { upsert: true });
    }
    async byMemo(memo) {
        return entry_1.entryModel.collection.find({ memo }).limit(20).toArray();
    }
    async entries(account) {
        return entry_1.entryModel.collection.find({ ledger: this.name, account }).sort({ datetime: -1 }).limit(50).toArray();
    }
}
exports.Ledger = Ledger;
"""

FILES = {"lib/models/lock.js": LOCK, "lib/models/entry.js": ENTRY, "lib/Ledger.js": LEDGER}


def test_a_model_registered_in_a_function_is_named_where_its_driver_collection_is_queried():
    srcs = [extract(path, text) for path, text in FILES.items()]
    link(srcs)
    by = {s.path: s for s in srcs}
    shapes = lambda path: [(q.collection, q.driver) for q in by[path].queries if isinstance(q, MongoQuery)]  # noqa: E731
    assert shapes("lib/Ledger.js") == [("ledger_locks", True), ("ledger_entries", True), ("ledger_entries", True)]
    assert shapes("lib/models/lock.js") == [("ledger_locks", True)]  # the module's own export
    # the schema handed to the registering function, and the parameter it declares indexes on inside it
    assert [(i.table, i.name) for i in by["lib/models/lock.js"].indexes] == [("ledger_locks", "account_1_ledger_1")]
    assert [(i.table, i.name) for i in by["lib/models/entry.js"].indexes] == [
        ("ledger_entries", "ledger_1_account_1_datetime_-1")
    ]


def test_a_function_registering_no_model_from_its_parameter_names_nothing():
    text = LOCK.replace('(0, mongoose_1.model)("Ledger_Lock", schema, collection)', "makeModel(schema)")
    src = extract("lib/models/lock.js", text)
    assert [i.table for i in src.indexes] == ["locks"]  # named after the schema variable, as before


def test_the_queries_meet_the_models_indexes(project):
    project({**FILES, "advisor.toml": 'large-tables = ["*"]\n'})
    got = [(f.location.path, f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active]
    planned = [g for g in got if g[2] in ("collection-scan", "in-memory-sort", "no-index-declarations")]
    # memo has no index on ledger_entries; the lock upsert and the account page ride their indexes
    assert planned == [("lib/Ledger.js", 9, "collection-scan")], got


ROLE_MODEL = """\
import {type Connection, Schema} from "mongoose";

const roleSchema = new Schema({name: {type: String, unique: true}, permissions: [String]});

export const createRoleModel = (connection: Connection): RoleModel => {
  if (connection.models.Role) {
    return connection.models.Role as RoleModel;
  }
  return connection.model<RoleDocument, RoleModel>("Role", roleSchema);
};
"""

ROLE_MANAGER = """\
import {createRoleModel} from "./roleModel";

export const createRoleManager = ({connection}) => {
  const roles = createRoleModel(connection);
  return {list: async () => roles.find({}).sort({name: 1})};
};
"""


def test_a_typescript_factory_that_returns_the_compiled_model_or_compiles_it_opens_that_model():
    # holdout 25 (a REST framework): `connection.models.Role` returned before `connection.model<T>("Role", schema)`
    sources = [extract("src/rbac/roleModel.ts", ROLE_MODEL), extract("src/rbac/roleManager.ts", ROLE_MANAGER)]
    link(sources)
    found = [(q.location.line, q.collection) for s in sources for q in s.queries if isinstance(q, MongoQuery)]
    assert found == [(5, "roles")]
