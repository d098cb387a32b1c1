"""MongoDB fixes from holdout 8 (issue 11; benchmarks/realworld/recall.md, "Holdout 8"): each from a
snippet shaped like the real code it was seen in, with the near-misses that must not change."""

from advisor.checks.mongo import check_query
from advisor.ir import Schema
from advisor.mongo.shape import MongoQuery
from advisor.sources import extract


def mongo(src):
    return [q for q in src.queries if isinstance(q, MongoQuery)]


def rules(q):
    return {name for name, _ in check_query(q, Schema(indexes=[]), lambda n: True)}


# --- find(filter, options): an options object in the projection's place (reaction-orders imageURLs.js) ---

IMAGE_URLS = """\
export default async function imageURLs(context, item) {
  const { Media } = context.collections;
  const { productId, variantId } = item;
  const media = await Media.find({
    "$or": [{ "metadata.productId": productId }, { "metadata.variantId": variantId }],
    "metadata.workflow": { $nin: ["archived", "unpublished"] }
  }, {
    sort: { "metadata.priority": 1, "uploadedAt": 1 },
    limit: 1
  });
  // the near-misses on a mongoose model, whose second argument is a projection unless only options can be it
  // (Reaction's Media is a driver collection, whose second argument is options: advisor.sources.js_registry)
  const Images = mongoose.model("Image");
  const fields = await Images.find({ "metadata.workflow": "published" }, { limit: 1, name: 1 });
  const bare = await Images.find({ "metadata.productId": productId }, { limit: 1 });
  return [media, fields, bare];
}
"""


def test_an_options_object_as_finds_second_argument_bounds_the_read():
    q, fields, bare = mongo(extract("src/util/imageURLs.js", IMAGE_URLS))
    assert (q.limit, q.sort, q.projection) == (1, {"metadata.priority": 1, "uploadedAt": 1}, None)
    assert "unbounded-find" not in rules(q)
    # a key that is no option, or only projection-like values: a projection, as before
    assert fields.limit is None and fields.projection == {"limit": 1, "name": 1}
    assert bare.limit is None and bare.projection == {"limit": 1}
    assert "unbounded-find" in rules(fields)


def test_mongoose_projection_then_options_still_read():
    src = "const User = require('./models/User');\nUser.find({ team: t }, 'name email', { limit: 5, sort: { name: 1 } });\n"
    (q,) = mongo(extract("lib/users.js", src))
    assert (q.projection, q.limit, q.sort) == ({"name": 1, "email": 1}, 5, {"name": 1})


# --- a model set on another module's exports inside a function (iotagent-node-lib lib/model/Device.js) ---

DEVICE_MODEL = """\
const mongoose = require('mongoose');
const Schema = mongoose.Schema;

const Device = new Schema({ id: String, service: String, subservice: String, apikey: String, name: String });

function load() {
    Device.index({ service: 1, subservice: 1, apikey: 1, id: 1 }, { unique: true });
    module.exports.model = mongoose.model('Device', Device);
    module.exports.internalSchema = Device;
}

module.exports.load = load;
"""

DEVICE_REGISTRY = """\
const mongoose = require('mongoose');
const Device = require('../../model/Device');

function getDevice(id, service, subservice, callback) {
    const query = Device.model.findOne({ id, service, subservice });
    query.exec(callback);
}

function listDevices(condition, limit) {
    const query = Device.model.find(condition).sort({ _id: 1 });
    return Device.model.countDocuments(condition);
}

function byName(name) {
    const Model = Device.model;
    return Model.find({ name });
}

function clear(id) {
    return require('../../model/Device').model.deleteOne({ id });
}

function other(id) {
    return Device.internalSchema.find({ id });
}
"""

NOT_A_MODEL = """\
function load() {
    module.exports.model = makeStore('devices');
}
module.exports.load = load;
"""


def linked(files):
    from advisor.sources.links import link

    srcs = [extract(path, text) for path, text in files.items()]
    link(srcs)
    return {s.path: s for s in srcs}


def test_a_model_set_on_a_required_modules_exports_in_a_function_is_that_model():
    srcs = linked({"lib/model/Device.js": DEVICE_MODEL, "lib/services/devices/deviceRegistryMongoDB.js": DEVICE_REGISTRY})
    found = [(q.location.line, q.collection, q.model, q.operation)
             for q in mongo(srcs["lib/services/devices/deviceRegistryMongoDB.js"])]
    assert found == [
        (5, "devices", "Device", "findOne"),
        (10, "devices", "Device", "find"),
        (11, "devices", "Device", "countDocuments"),
        (16, "devices", "Device", "find"),
        (20, "devices", "Device", "deleteOne"),
    ]  # not `Device.internalSchema` (a schema, no model)
    (index,) = srcs["lib/model/Device.js"].indexes
    assert index.table == "devices" and index.unique  # the same collection: the planner can judge


def test_no_model_there_or_no_module_read_keeps_nothing():
    alone = extract("lib/services/devices/deviceRegistryMongoDB.js", DEVICE_REGISTRY)
    assert mongo(alone) == []  # one file cannot say what Device.model is
    srcs = linked({"lib/model/Device.js": NOT_A_MODEL, "lib/services/devices/deviceRegistryMongoDB.js": DEVICE_REGISTRY})
    assert mongo(srcs["lib/services/devices/deviceRegistryMongoDB.js"]) == []


def test_driver_2x_fields_then_options_are_both_read():
    src = "async function f(db, t) {\n  return db.collection('users').find({ team: t }, { name: 1 }, { limit: 10 }).toArray();\n}\n"
    (q,) = mongo(extract("lib/users.js", src))
    assert (q.projection, q.limit) == ({"name": 1}, 10)
    assert "unbounded-find" not in rules(q)
