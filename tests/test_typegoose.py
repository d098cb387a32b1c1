"""Typegoose (`@typegoose/typegoose`): a mongoose schema written as a decorated class, as NestJS's is, its model
`getModelForClass(Class)` (holdout 72's game-platform data layer keeps every index in class decorators). Its
`@index(keys, options)` is a `schema.index(...)`, `@prop({ index: true })` a field index, `@modelOptions`'
`schemaOptions.collection` the collection, `@plugin(fn)` a `schema.plugin(fn)`. Written in that style, none copied."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

MESSAGE = """\
import { getModelForClass, index, modelOptions, plugin, prop } from '@typegoose/typegoose';
import * as mongoose from 'mongoose';
import { auditPlugin } from '../audit';
import { IOriginalDocument } from '../documents';

@index({ toGroupId: 1 })
@index({ fromUserId: 1, createdAt: -1 }, { unique: false })
@modelOptions({ schemaOptions: { collection: 'messages', timestamps: true } })
@plugin(auditPlugin)
export class MessageSchema implements IOriginalDocument {
  public _id: mongoose.Types.ObjectId;

  @prop({ index: true, type: String }) public readByUserIds: string[];
  @prop({ required: true }) public toGroupId: mongoose.Types.ObjectId;
  @prop() public body: string;
}
export const Message = getModelForClass(MessageSchema);

export async function forGroup(groupId) {
  return Message.find({ toGroupId: groupId }).limit(50);
}
"""

AUDIT = """\
export function auditPlugin(schema) {
  schema.index({ auditedAt: 1 });
}
"""

GAME = """\
import { getModelForClass, prop } from '@typegoose/typegoose';

export class Game {
  @prop() public title: string;
}
export const GameModel = getModelForClass(Game, { options: { customName: 'Title' } });
"""

USE = """\
import { Message } from './message';

export async function unread(user) {
  return Message.find({ body: user }).limit(10);
}
"""


def test_class_decorators_and_fields_are_the_schema_s_indexes_on_its_collection(project):
    project({"advisor.toml": 'large-tables = ["*"]\n', "models/message.ts": MESSAGE, "audit/index.ts": AUDIT,
             "models/game.ts": GAME, "services/use.ts": USE})
    loaded = load_project(["."], Options())
    declared = sorted((i.table, i.name) for i in loaded.schema.indexes if i.method == "mongo")
    assert declared == [
        ("messages", "auditedAt_1"),  # the plugin's, applied to the class's schema
        ("messages", "fromUserId_1_createdAt_-1"),
        ("messages", "readByUserIds_1"),
        ("messages", "toGroupId_1"),
    ]
    # an interface the class implements declares nothing: no declaration advisor could not read
    assert not [i for i in loaded.schema.indexes if i.method == "mongo-unread"]
    # the model's queries, here and in a module that imports it, stand on its collection
    assert sorted((q.location.path, q.collection) for q in loaded.other_queries) == [
        ("models/message.ts", "messages"),
        ("services/use.ts", "messages"),
    ]
    claims = [(catalogue.lookup(f.rule).name, f.location.path) for f in engine.check(["."]).active]
    assert claims == [("collection-scan", "services/use.ts")]  # body: no index; toGroupId: toGroupId_1


def test_a_model_named_by_its_options_and_a_decorator_of_another_package(project):
    # `customName` names the model, so its collection is mongoose's plural of it; `@index` from elsewhere is not
    # typegoose's and declares nothing advisor reads
    other = GAME.replace("export class Game {", "@index({ title: 1 })\nexport class Game {").replace(
        "import { getModelForClass, prop } from '@typegoose/typegoose';",
        "import { getModelForClass, prop } from '@typegoose/typegoose';\nimport { index } from 'search-lib';")
    project({"models/game.ts": other + "export const first = () => GameModel.findOne({ title: 't' });\n"})
    loaded = load_project(["."], Options())
    assert [q.collection for q in loaded.other_queries] == ["titles"]
    assert not [i for i in loaded.schema.indexes if i.table == "titles" and i.method == "mongo"]
