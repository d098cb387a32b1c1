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


def claims(project, files: dict, path: str) -> set:
    """(line, rule) of each finding the project's file at `path` gets."""
    project(files)
    return {
        (f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active if f.location.path == path
    }


def test_a_claim_is_made_only_when_every_chosen_filter_holds_it(project):
    found = claims(
        project, {"user.js": MODEL, "mail.js": CHOSEN, "advisor.toml": 'large-tables = ["users"]\n'}, "mail.js"
    )
    assert (6, "collection-scan") not in found  # the username variant is served by its unique index
    assert (12, "collection-scan") in found  # neither email nor phone is indexed: it scans either way


# The same in Python (pymongo), where a filter name's values are the assignments that reach the call
# (advisor.facts.reaching): a branch's dict, or an `else` one; what the code sets on it after the branches goes
# into every variant alike.
PYMONGO = """from pymongo import MongoClient

db = MongoClient()["app"]
db.users.create_index("username", unique=True)
db.users.create_index([("phone", 1), ("active", 1)])


def recipients(to, name):
    if to == "Target":
        query = {"username": name}
    else:
        query = {"id": to}
    return db.users.find_one(query)


def by_contact(value):
    if "@" in value:
        query = {"email": value}
    else:
        query = {"nickname": value}
    return db.users.find_one(query)


def active_by_contact(value):
    if "@" in value:
        query = {"username": value}
    else:
        query = {"phone": value}
    query["active"] = True
    return db.users.find_one(query)


def one_value(name):
    query = {"id": name}
    return db.users.find_one(query)
"""


def test_pymongo_a_claim_is_made_only_when_every_chosen_filter_holds_it(project):
    found = claims(project, {"mail.py": PYMONGO, "advisor.toml": 'large-tables = ["users"]\n'}, "mail.py")
    assert (13, "collection-scan") not in found  # the username variant is served by its unique index
    assert (21, "collection-scan") in found  # neither email nor nickname is indexed: it scans either way
    assert (30, "collection-scan") not in found  # both variants, with `active` set after, are served
    assert (35, "collection-scan") in found  # one value: judged as before


def test_pymongo_variants_are_the_other_dicts_that_reach_the_call(project):
    from advisor.loader import load_project
    from advisor.options import Options

    project({"mail.py": PYMONGO})
    read = {q.location.line: q for s in load_project(["."], Options()).sources for q in s.queries}
    assert read[13].filter.keys() == {"id"} and [v.keys() for v in read[13].variants] == [{"username"}]
    assert read[30].filter.keys() == {"phone", "active"}  # set after the branches: on every variant too
    assert [v.keys() for v in read[30].variants] == [{"username", "active"}]
    assert read[35].variants == ()  # one assignment reaches the call


# zaqar's pools and scout's disease terms: `query = {}` unless a branch sets a filter. The empty filter lists the
# collection by design (no index to want); the claim on the filter a branch sets still stands. And alerta's lookup by
# id or by a prefix of it: `{'$regex': '^' + id}` is anchored (read as the text its parts join to, `^id`), so the
# unindexed lastReceiveId clause scans in either variant.
DEFAULTED = """from pymongo import MongoClient

db = MongoClient()["app"]
db.pools.create_index("n", unique=True)
db.alerts.create_index("environment")


def pools_by_flavor(flavor=None):
    query = {}
    if flavor is None:
        query = {"f": None}
    elif flavor.get("name") is not None:
        query = {"f": flavor.get("name")}
    return db.pools.find(query)


def get_alert(id):
    if len(id) == 8:
        query = {"$or": [{"_id": {"$regex": "^" + id}}, {"lastReceiveId": {"$regex": "^" + id}}]}
    else:
        query = {"$or": [{"_id": id}, {"lastReceiveId": id}]}
    return db.alerts.find_one(query)
"""


def test_an_empty_variant_leaves_the_claim_on_the_others(project):
    found = claims(project, {"store.py": DEFAULTED, "advisor.toml": 'large-tables = ["pools", "alerts"]\n'}, "store.py")
    assert (14, "collection-scan") in found  # no index on f: the branches' filters scan
    assert any(line in (20, 21) and name == "or-unindexed" for line, name in found)  # lastReceiveId: either way
