"""A MongoDB index an upgrade step declares is not known to exist where the application's own is (formio's
src/db/updates/3.1.5.js creates {form, project, data.email, deleted}, but the package pins schema 3.1.4, so no
install ever runs it): a redundant-index claim never rests on one against an index the application declares.
The same pair declared by the application alone, or both in the steps, is judged as before."""

import pytest

from advisor import catalogue, engine

MODEL = """\
const mongoose = require('mongoose');
const ActionSchema = new mongoose.Schema({ title: String, priority: { type: Number, index: true } });
module.exports = mongoose.model('action', ActionSchema);
"""

STEP = """\
module.exports = async function (db) {
  await db.collection('actions').createIndex({ priority: 1, title: 1 });
};
"""

STARTUP = """\
module.exports = async function (db) {
  const actions = await db.createCollection('actions');
  await actions.createIndexes([{ key: { priority: 1, title: 1 }, name: 'priority_1_title_1' }]);
};
"""


def _redundant(project, files):
    project({**files, "advisor.toml": 'large-tables = ["*"]\n'})
    return [
        (f.location.path, f.location.line)
        for f in engine.check(["."]).active
        if catalogue.lookup(f.rule).name == "redundant-index"
    ]


def test_no_claim_rests_on_an_index_only_an_upgrade_step_declares(project):
    assert _redundant(project, {"src/models/Action.js": MODEL, "src/db/updates/3.3.20.js": STEP}) == []


@pytest.mark.parametrize("covering", ["src/db/install.js", "src/db/updates/3.3.21.js"])
def test_the_applications_own_pair_or_a_pair_of_steps_is_judged(project, covering):
    model = MODEL if covering == "src/db/install.js" else STEP.replace("priority: 1, title: 1", "priority: 1")
    path = "src/models/Action.js" if covering == "src/db/install.js" else "src/db/updates/3.3.20.js"
    found = _redundant(project, {path: model, covering: STARTUP})
    assert found == [(path, 2)]
