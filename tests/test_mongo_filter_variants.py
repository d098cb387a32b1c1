"""A filter the code chooses among several (`if (a) query = {...} else query = {...}`) is judged on each: a claim is
made only when it holds on every filter the code may pass. Holdout 96's Calipso chose one of four filters by
`template.to`; read as the last one written (`{ id: ... }`), it made a false claim that users is read whole, where
the `username` variant uses its unique index. An email-or-phone lookup with neither indexed still scans either way."""

from advisor import catalogue, engine

MODEL = """
const mongoose = require('mongoose');
const userSchema = new mongoose.Schema({ username: { type: String, unique: true }, email: String, phone: String });
const User = mongoose.model('User', userSchema);
module.exports = User;
"""

CHOSEN = """
const User = require('./user');
async function recipients(to, name) {
  let query;
  if (to === 'Target') { query = { username: name }; }
  else { query = { id: to }; }
  return User.find(query);
}
async function byContact(value) {
  let query;
  if (isNaN(Number(value))) { query = { email: value }; }
  else { query = { phone: value }; }
  return User.findOne(query);
}
module.exports = { recipients, byContact };
"""


def test_a_claim_is_made_only_when_every_chosen_filter_holds_it(project):
    project({"user.js": MODEL, "mail.js": CHOSEN, "advisor.toml": 'large-tables = ["users"]\n'})
    found = [
        (f.location.line, catalogue.lookup(f.rule).name)
        for f in engine.check(["."]).active
        if f.location.path == "mail.js"
    ]
    assert (6, "collection-scan") not in found  # the username variant is served by its unique index
    assert (12, "collection-scan") in found  # neither email nor phone is indexed: it scans either way
