"""Two mongoose readings from holdout 19's @openneuro/server, whose first run named a collection that does not exist
and missed an index:

1. A model a module exports as its default is the same model whatever an importer calls it
   (`import DatasetModel from "../models/dataset"` is the Dataset model, collection `datasets`, not `datasetmodels`).
2. A nested object with a field named `type` is still a nested object, as mongoose reads it: in
   `event: { type: { type: String }, requestId: { type: String, index: true } }` the fields are event.type and
   event.requestId, and the index is on event.requestId.
"""

from advisor.loader import load_project
from advisor.options import Options

DATASET = """\
import mongoose from "mongoose"
const { Schema, model } = mongoose

const datasetSchema = new Schema({
  id: { type: String, required: true },
  name: String,
  public: Boolean,
})
datasetSchema.index({ public: 1 }, { sparse: true })

const Dataset = model("Dataset", datasetSchema)

export default Dataset
"""

EVENTS = """\
import mongoose from "mongoose"
const { Schema, model } = mongoose

const eventSchema = new Schema<EventDocument>(
  {
    id: { type: String, required: true },
    datasetId: { type: String, required: true },
    event: {
      type: { type: String, required: true, enum: ["created", "deleted"] },
      requestId: { type: String, sparse: true, index: true },
    },
  },
  { toObject: { virtuals: true } },
)

const DatasetEvent = model<EventDocument>(
  "DatasetEvent",
  eventSchema,
)

export default DatasetEvent
"""

RESOLVERS = """\
import DatasetModel from "../models/dataset"
import Dataset from "../models/dataset"
import Events from "../models/datasetEvents"
import Helper from "./helper"

export const rename = (id: string, name: string) => DatasetModel.updateOne({ id }, { $set: { name } }).exec()
export const byId = (id: string) => Dataset.findOne({ id }).exec()
export const byRequest = (r: string) => Events.findOne({ "event.requestId": r }).exec()
export const other = (id: string) => Helper.findOne({ id }).exec()
"""

HELPER = """\
export default class Helper {
  static findOne(q) { return q }
}
"""


def _read(project):
    project({"src/models/dataset.ts": DATASET, "src/models/datasetEvents.ts": EVENTS,
             "src/resolvers/dataset.ts": RESOLVERS, "src/resolvers/helper.ts": HELPER})
    p = load_project(["."], Options())
    return p.other_queries, p.schema


def test_a_default_export_model_is_itself_under_any_imported_name(project):
    queries, _ = _read(project)
    found = sorted((q.location.line, q.collection, q.model) for q in queries if q.location.path.endswith("dataset.ts"))
    assert found[:3] == [
        (6, "datasets", "Dataset"),  # DatasetModel: the Dataset model its module exports
        (7, "datasets", "Dataset"),
        (8, "datasetevents", "DatasetEvent"),  # Events: the DatasetEvent model
    ]
    # a default export that is no model (a class with a static findOne) keeps the reading by its name
    assert all(q.collection != "datasets" for q in queries if q.location.line == 9)


def test_a_nested_object_with_a_type_field_declares_its_fields_indexes(project):
    _, schema = _read(project)
    assert sorted((i.table, i.name) for i in schema.indexes) == [
        ("datasetevents", "event.requestId_1"),
        ("datasets", "public_1"),
    ]


# holdout 21's openhim-core: models exported by name from a module with two connections, imported by name, through
# a namespace import destructured, or read as its member; its first run named collections `channelmodelapis`...
CHANNELS = """\
import { Schema } from "mongoose"
import { connectionAPI, connectionDefault } from "../config"

const ChannelSchema = new Schema({ name: { type: String, unique: true }, allow: [String], priority: Number })

export const ChannelModelAPI = connectionAPI.model("Channel", ChannelSchema)
export const ChannelModel = connectionDefault.model("Channel", ChannelSchema)
"""

USES = """\
import { ChannelModelAPI } from "../model/channels"
import * as Channels from "../model/channels"

const { ChannelModel } = Channels

export const byName = (name) => ChannelModelAPI.findOne({ name })
export const enabled = () => ChannelModel.find({ status: "enabled" })
export const allowed = (role) => Channels.ChannelModelAPI.find({ allow: { $in: [role] } })
"""


def test_a_model_exported_by_name_is_itself_wherever_it_is_imported(project):
    project({"src/model/channels.js": CHANNELS, "src/api/channels.js": USES})
    queries = load_project(["."], Options()).other_queries
    got = sorted((q.location.line, q.collection, q.model) for q in queries if q.location.path == "src/api/channels.js")
    assert got == [(6, "channels", "Channel"), (7, "channels", "Channel"), (8, "channels", "Channel")]


def test_mongoose_4_remove_aliases_are_queries():
    # openhim-core (mongoose 4): TransactionModelAPI.findByIdAndRemove(id), findOneAndRemove({...})
    from advisor.mongo.shape import MongoQuery
    from advisor.sources import extract

    src = extract("src/api/t.js", (
        "const mongoose = require('mongoose')\n"
        "const Tx = mongoose.model('Transaction', new mongoose.Schema({ clientID: String }))\n"
        "export const drop = (id) => Tx.findByIdAndRemove(id).exec()\n"
        "export const dropFor = (c) => Tx.findOneAndRemove({ clientID: c }).exec()\n"
    ))
    got = [(q.location.line, q.operation, q.filter) for q in src.queries if isinstance(q, MongoQuery)]
    assert [(line, op) for line, op, _ in got] == [(3, "findByIdAndRemove"), (4, "findOneAndRemove")]
    assert list(got[0][2]) == ["_id"] and got[1][2] == {"clientID": got[1][2]["clientID"]}


BANK_MODEL = """\
import pkg from "mongoose";
const { model } = pkg;
import BankSchema from "./bank.schema.js";
export const BankModel = model("bank", BankSchema);
"""

PLAYER_MODEL = """\
import { model, Schema } from "mongoose";
const PlayerSchema = new Schema({ name: String, owner: String });
PlayerSchema.index({ owner: 1 });
export const PlayerModel = model("player", PlayerSchema);
"""

BARREL = """\
export * from "./bank.model.js";
export { PlayerModel as Players } from "./player.model.js";
"""

GAME = """\
import { BankModel } from "./database/index.js";
import { Players } from "./database/index.js";
export async function save(owner, name) {
  await BankModel.updateOne({ owner }, { $set: { owner } }, { upsert: true });
  await Players.updateOne({ name }, { $set: { owner } });
}
"""


def test_a_model_mongoose_compiles_as_a_plain_call_and_passed_on_by_a_barrel_is_itself(project):
    """As holdout 55's game client writes its models: `const { model } = pkg` from mongoose's default import (as
    TypeScript compiles it), `export const BankModel = model("bank", ...)`, passed on by a barrel (`export * from`,
    `export { A as B } from`) that the code imports from: the collections are `banks` and `players`, not collections
    guessed from the imported names (`bankmodels`)."""
    project({
        "database/bank.schema.js": 'import { Schema } from "mongoose";\nexport default new Schema({ owner: String });\n',
        "database/bank.model.js": BANK_MODEL,
        "database/player.model.js": PLAYER_MODEL,
        "database/index.js": BARREL,
        "game.js": GAME,
    })
    loaded = load_project(["."], Options())
    queries = [(q.location.line, q.collection) for s in loaded.sources if s.path == "game.js" for q in s.queries]
    assert queries == [(4, "banks"), (5, "players")]
