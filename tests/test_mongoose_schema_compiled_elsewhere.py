"""A schema one module exports and another compiles into a model, as holdout 90's @mongoosejs/studio keeps its own:

    // backend/db/chatMessageSchema.js
    const chatMessageSchema = new mongoose.Schema({...}); chatMessageSchema.index({ chatThreadId: 1 });
    module.exports = chatMessageSchema;
    // backend/index.js
    studioConnection.model('__Studio_ChatMessage', chatMessageSchema, 'studio__chatMessages');
    // backend/actions/ChatThread/getChatThread.js
    const ChatMessage = studioConnection.model('__Studio_ChatMessage');  ChatMessage.find({ chatThreadId })

Its first run put the index on `chatmessages` (the holder's name) and the queries on `__studio_chatmessages` (the
one-argument lookup's plural, read in a file that sorts before the registration), so its coverage note named
collections that do not exist and said the one with an index had none.
"""

from advisor.loader import load_project
from advisor.options import Options

SCHEMA = """\
'use strict';
const mongoose = require('mongoose');

const chatMessageSchema = new mongoose.Schema({
  chatThreadId: { type: mongoose.Schema.Types.ObjectId, required: true },
  userId: { type: mongoose.Schema.Types.ObjectId, index: true },
  content: String,
}, { timestamps: true });

chatMessageSchema.index({ chatThreadId: 1, createdAt: 1 });

module.exports = chatMessageSchema;
"""

THREAD = """\
import { Schema } from 'mongoose';

export const threadDefinition = new Schema({ title: String, userId: { type: Schema.Types.ObjectId, index: true } });
"""

LOG = """\
const { Schema } = require('mongoose');
const logSchema = new Schema({ level: { type: String, index: true } }, { collection: 'app_logs' });
module.exports = logSchema;
"""

BACKEND = """\
'use strict';
const mongoose = require('mongoose');
const chatMessageSchema = require('./db/chatMessageSchema');
const logSchema = require('./db/logSchema');
import { threadDefinition } from './db/threadSchema';

module.exports = function backend(db, studioConnection) {
  studioConnection = studioConnection ?? db;
  studioConnection.model('__Studio_ChatMessage', chatMessageSchema, 'studio__chatMessages');
  studioConnection.model('__Studio_ArchivedMessage', chatMessageSchema, 'studio__archive');
  studioConnection.model('Thread', threadDefinition);
  studioConnection.model('Log', logSchema);
};
"""

ACTION = """\
'use strict';
module.exports = async function getChatThread(params) {
  const { chatThreadId, studioConnection } = params;
  const ChatMessage = studioConnection.model('__Studio_ChatMessage');
  const Thread = studioConnection.model('Thread');
  const messages = await ChatMessage.find({ chatThreadId }).sort({ createdAt: -1 });
  const threads = await Thread.find({ userId: params.userId });
  return { messages, threads };
};
"""


STUDIO = {
    "backend/db/chatMessageSchema.js": SCHEMA,
    "backend/db/threadSchema.ts": THREAD,
    "backend/db/logSchema.js": LOG,
    "backend/index.js": BACKEND,
    "backend/actions/getChatThread.js": ACTION,
}


def _load(project, files):
    project(files)
    p = load_project(["."], Options())
    indexes = sorted((i.table, i.name, i.options.get("model")) for s in p.sources for i in s.indexes)
    queries = sorted((q.location.line, q.collection, q.model) for q in p.other_queries)
    return indexes, queries


def test_an_exported_schema_declares_its_indexes_on_each_model_compiled_from_it(project):
    indexes, _ = _load(project, STUDIO)
    assert indexes == [
        ("app_logs", "level_1", "Log"),  # no collection given where it is compiled: the schema's own option
        ("studio__archive", "chatThreadId_1_createdAt_1", "__Studio_ArchivedMessage"),
        ("studio__archive", "userId_1", "__Studio_ArchivedMessage"),
        ("studio__chatMessages", "chatThreadId_1_createdAt_1", "__Studio_ChatMessage"),
        ("studio__chatMessages", "userId_1", "__Studio_ChatMessage"),
        ("threads", "userId_1", "Thread"),  # the model's plural, not the holder's (threaddefinitions)
    ]


def test_a_lookup_of_a_model_reads_the_collection_it_is_registered_under(project):
    # backend/actions/ sorts before backend/index.js: the registration's collection wins all the same
    _, queries = _load(project, STUDIO)
    assert queries == [(6, "studio__chatMessages", "__Studio_ChatMessage"), (7, "threads", "Thread")]


def test_a_schema_no_module_compiles_keeps_its_holders_name(project):
    # not compiled anywhere in the project (a library's export for its users): the reading by its name, as before
    indexes, _ = _load(project, {"backend/db/chatMessageSchema.js": SCHEMA})
    assert indexes == [("chatmessages", "chatThreadId_1_createdAt_1", None), ("chatmessages", "userId_1", None)]


def test_a_schema_from_a_package_is_not_joined(project):
    # `require('some-package')`: not a module of the project, whatever it exports
    indexes, queries = _load(
        project,
        {
            "backend/db/chatMessageSchema.js": SCHEMA,
            "backend/index.js": (
                "const chatMessageSchema = require('chat-schemas');\n"
                "module.exports = (conn) => conn.model('Message', chatMessageSchema, 'messages_v2');\n"
            ),
        },
    )
    assert {t for t, _, _ in indexes} == {"chatmessages"}


def test_the_coverage_note_names_the_registered_collections(project):
    from click.testing import CliRunner

    from advisor.cli import main

    project(
        {
            **STUDIO,
            "backend/actions/listDashboards.js": (
                "module.exports = async ({ studioConnection }) =>\n"
                "  studioConnection.model('__Studio_Dashboard').find({ ownerId: 1 }).sort({ createdAt: -1 });\n"
            ),
            "backend/registry.js": (
                "const dashboardSchema = require('./db/dashboardSchema');\n"
                "module.exports = (c) => c.model('__Studio_Dashboard', dashboardSchema, 'studio__dashboards');\n"
            ),
            "backend/db/dashboardSchema.js": (
                "const mongoose = require('mongoose');\n"
                "module.exports = new mongoose.Schema({ ownerId: String, title: String });\n"
            ),
        }
    )
    out = CliRunner().invoke(main, ["check", ".", "--format", "json"]).output
    assert "no index declaration for the studio__dashboards collection" in out  # its own, with none declared
    assert "studio__chatMessages" not in out and "__studio_" not in out  # declared, and no plural guessed
