"""A mongoose schema compiled into two models: each model has its own collection and the schema's indexes.

ltijs 5.9.9 (dist/Utils/Database.js:188-189) compiles `keySchema` into `privatekey` and `publickey`.  advisor took
the second model's collection from the first (`privatekeys`), so a query on publickey was judged, and named, on the
wrong collection, and the schema's `{kid: 1}` index was declared for privatekeys only."""

from advisor import catalogue, engine

DB = """
const mongoose = require('mongoose');
const { Schema } = mongoose;
const keySchema = new Schema({ kid: String, platformUrl: String, key: String });
keySchema.index({ kid: 1 }, { unique: true });
const tokenSchema = new Schema({ token: { type: String, index: true }, user: String });
mongoose.model('privatekey', keySchema);
mongoose.model('publickey', keySchema);
mongoose.model('publickey', keySchema);
mongoose.model('accesstoken', tokenSchema);
mongoose.model('refreshtoken', tokenSchema, 'refresh');
async function pubByKid(kid) { return mongoose.model('publickey').findOne({ kid }); }
async function pubByUrl(u) { return mongoose.model('publickey').findOne({ platformUrl: u }); }
async function privByUrl(u) { return mongoose.model('privatekey').findOne({ platformUrl: u }); }
async function refreshByToken(t) { return mongoose.model('refreshtoken').findOne({ token: t }); }
async function refreshByUser(u) { return mongoose.model('refreshtoken').findOne({ user: u }); }
module.exports = { pubByKid, pubByUrl, privByUrl, refreshByToken, refreshByUser };
"""


def test_each_model_of_a_schema_has_its_collection_and_the_schemas_indexes(project):
    project({"advisor.toml": 'large-tables = ["*"]\n', "db.js": DB})
    found = [(f.location.line, f.message) for f in engine.check(["."]).active
             if catalogue.lookup(f.rule).name == "collection-scan"]
    assert found == [
        (12, "publickeys.findOne({ platformUrl: u }) scans the whole publickeys collection: no index starts with "
             "platformUrl (indexes: kid_1)"),
        (13, "privatekeys.findOne({ platformUrl: u }) scans the whole privatekeys collection: no index starts with "
             "platformUrl (indexes: kid_1)"),
        (15, "refresh.findOne({ user: u }) scans the whole refresh collection: no index starts with user "
             "(indexes: token_1)"),
    ]
