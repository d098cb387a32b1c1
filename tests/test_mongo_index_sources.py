"""Where MongoDB indexes come from, as a chat back end writes them (holdout 22, tiledesk-server; snippets written
here in its style): a mongoose schema made by calling `mongoose.Schema(...)` without `new`, a compound text or
2dsphere index (which serves no plain query on its prefix, so the prefix's own index is not redundant), and a plugin
folder with its own package.json whose code requires the enclosing package's models (one project, not two)."""

import json
import textwrap

import pytest
from click.testing import CliRunner

from advisor import catalogue, engine
from advisor.cli import main

WEBHOOK = """
const mongoose = require('mongoose');
const WebhookSchema = mongoose.Schema({
  webhook_id: { type: String, default: () => newId(), unique: true, required: true },
  id_project: { type: String, required: true },
});
WebhookSchema.index({ id_project: 1 });
const Webhook = mongoose.model('webhook', WebhookSchema);
async function byId(id) { return Webhook.findOne({ webhook_id: id }); }
async function byChatbot(id) { return Webhook.findOne({ chatbot_id: id }); }
"""


def found(project, files):
    project({name: textwrap.dedent(text) for name, text in files.items()})
    return [(f.location.path, f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active]


@pytest.mark.parametrize("make", ["mongoose.Schema(", "new mongoose.Schema("])
def test_a_schema_called_without_new_declares_its_field_indexes(project, make):
    got = found(project, {"advisor.toml": 'large-tables = ["*"]\n', "webhook.js": WEBHOOK.replace("mongoose.Schema(", make)})
    assert ("webhook.js", 8, "collection-scan") not in got  # webhook_id's unique index serves it
    assert ("webhook.js", 9, "collection-scan") in got  # nothing starts with chatbot_id


FAQ = """
const mongoose = require('mongoose');
const FaqSchema = new mongoose.Schema({ id_faq_kb: { type: String, index: true }, tag: String, id_project: String });
FaqSchema.index({ id_faq_kb: 1, question: 'text' });
FaqSchema.index({ tag: 1 });
FaqSchema.index({ tag: 1, place: '2dsphere' });
FaqSchema.index({ id_project: 1 });
FaqSchema.index({ id_project: 1, key: 'hashed' });
module.exports = mongoose.model('faq', FaqSchema);
"""


def test_a_text_or_2dsphere_index_does_not_make_its_prefix_redundant(project):
    files = {"advisor.toml": 'large-tables = ["*"]\n', "faq.js": FAQ}
    redundant = [line for _, line, rule in found(project, files) if rule == "redundant-index"]
    # id_faq_kb (line 2) and tag (4) serve plain queries no text or 2dsphere index serves; a hashed key after
    # the prefix does serve them (6)
    assert redundant == [6]


MODEL = """
const mongoose = require('mongoose');
const S = new mongoose.Schema({ id_project: String, id_user: String });
S.index({ id_project: 1, id_user: 1 });
module.exports = mongoose.model('project_user', S);
"""
PLUGIN = """
const Project_user = require('../../models/project_user');
async function members(project) { return Project_user.find({ id_project: project }); }
module.exports = { members };
"""


def _check(tmp_path, monkeypatch, plugin, described='{"name": "chat-plugin", "main": "contacts.js"}'):
    (tmp_path / "package.json").write_text('{"name": "server"}')
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "project_user.js").write_text(MODEL)
    chat = tmp_path / "channels" / "chat"
    chat.mkdir(parents=True)
    (chat / "package.json").write_text(described)
    (chat / "contacts.js").write_text(plugin)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--format", "json", "--no-cache", "."])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["findings"]


def test_a_plugin_package_that_requires_the_outer_models_is_part_of_the_project(tmp_path, monkeypatch):
    notes = [f for f in _check(tmp_path, monkeypatch, PLUGIN) if f["name"] == "no-index-declarations"]
    assert notes == []  # the plugin's query is judged with the models' indexes


def test_a_package_of_its_own_stays_a_project_of_its_own(tmp_path, monkeypatch):
    own = PLUGIN.replace("require('../../models/project_user')", "require('mongoose').model('project_user')")
    notes = [f for f in _check(tmp_path, monkeypatch, own) if f["name"] == "no-index-declarations"]
    assert [n["path"] for n in notes] == ["channels/chat/contacts.js"]  # it sees no index of the outer package


def test_a_plugin_described_by_a_package_json_of_metadata_is_part_of_the_project(tmp_path, monkeypatch):
    # holdout 96's Calipso: each module's package.json names it for the CMS's loader (a name, a label, a version)
    # and its code reaches the application through a global path, `require(path.join(rootpath, 'lib/calipso'))`;
    # it was a project of its own, so its notes said the users collection, indexed in another module, had none
    own = PLUGIN.replace("require('../../models/project_user')", "require('mongoose').model('project_user')")
    described = '{"name": "chat", "label": "Chat", "version": "0.2.0", "author": "A <a@example.org>"}'
    notes = [f for f in _check(tmp_path, monkeypatch, own, described) if f["name"] == "no-index-declarations"]
    assert notes == []
