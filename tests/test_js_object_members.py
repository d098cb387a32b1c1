"""MongoDB extraction: a collection held in a member of a local object the module builds
(meshcentral db.js, holdout 10: `var obj = {}`, `obj.file = db.collection(name)`, then `obj.file.find(...)`),
where the same member holds another library's handle in other branches (SQLite, NeDB), each branch
tagged by `obj.databaseType = ...` and read under `if (obj.databaseType == ...)`. A small program shaped
like the real code, not a copy of it."""

from advisor.mongo.shape import MongoQuery
from advisor.sources import extract

DB = """\
const { MongoClient } = require('mongodb');
module.exports.CreateDB = function (parent) {
    var obj = {};
    var Datastore = null;
    if (parent.args.sqlite) {
        obj.databaseType = 1;
        obj.file = new sqlite3.Database('x.sqlite');
    } else if (parent.args.mongodb) {
        obj.databaseType = 2;
        MongoClient.connect(parent.args.mongodb, function (err, client) {
            const db = client.db('meshcentral');
            obj.file = db.collection('meshcentral');
            obj.file.createIndex({ type: 1, domain: 1 });
        });
    } else {
        obj.databaseType = 3;
        Datastore = require('nedb');
        obj.file = new Datastore({ filename: 'x.db' });
    }
    if (obj.databaseType == 2) {
        obj.Get = function (id, func) { obj.file.find({ _id: id }).toArray(func); };
    } else if ((obj.databaseType == 1) || (obj.databaseType == 4)) {
        obj.Get = function (id, func) { obj.file.all('SELECT 1', [id], func); };
    } else {
        obj.Get = function (id, func) { obj.file.find({ _id: id }, func); };
    }
    obj.GetAll = function (func) { obj.file.find({ type: 'user' }, func); };
    if (obj.databaseType == 2) { obj.Flush = function () { obj.file.find({ a: 1 }).toArray(readDone); }; }
    function readDone(err, docs) { obj.file.find({ _id: { $in: docs } }).toArray(readDone); }
    function anyDone(err, docs) { obj.file.find({ b: 2 }, anyDone); }
    obj.Any = function () { anyDone(); };
    return obj;
};
function other() { var obj = {}; obj.file.find({ b: 1 }); }
"""


def test_a_collection_in_a_member_of_a_local_object_is_read_where_its_branch_is():
    src = extract("db.js", DB)
    assert [(q.location.line, q.collection, q.operation) for q in src.queries if isinstance(q, MongoQuery)] == [
        (21, "meshcentral", "find"),  # under `if (obj.databaseType == 2)`: only the MongoDB branch's value
        (28, "meshcentral", "find"),
        (29, "meshcentral", "find"),  # a callback the file names only in the MongoDB branch
    ]  # the NeDB branch (:25), a use any branch may reach (:27, :30) and another function's `obj` (:34): not read
    assert [(i.location.line, i.table) for i in src.indexes] == [(13, "meshcentral")]  # in the tagged branch


def test_a_member_holding_one_driver_collection_needs_no_branch():
    text = "const db = client.db('m');\nvar obj = {};\nobj.file = db.collection('jobs');\nobj.file.find({ a: 1 }).toArray();\n"
    assert [(q.collection, q.filter) for q in extract("jobs.js", text).queries] == [("jobs", {"a": 1})]
    other_lib = text.replace("db.collection('jobs')", "new Datastore({ filename: 'jobs.db' })")
    assert extract("jobs.js", other_lib).queries == []  # a NeDB datastore is no MongoDB collection
