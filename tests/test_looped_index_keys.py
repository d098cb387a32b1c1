"""Indexes declared in a loop over a literal list of field names are one declaration per name.

Real code: fireworks 2.0's LaunchPad.tuneup (`for f in ("state", "time_start", ...):
self.launches.create_index(f, background=...)`), hyperopt's `for k in ["exp_key", "result.loss", "book_time"]:
jobs.create_index(k)`, casbin-mongodb-adapter's `for (const name of indexFields) createIndex({ [name]: 1 })`.
Read as "keys not read", such a declaration silenced every claim about the collection; read, its queries are
judged against the indexes it declares.  A list advisor cannot read (a parameter, a user's setting) stays a
declaration whose keys are not read."""

from advisor import catalogue, engine


def scans(project, files: dict[str, str]) -> list[tuple[str, int, str]]:
    project({"advisor.toml": 'large-tables = ["*"]\n', **files})  # collections that grow: the planner's claims are made (unknown-size)
    found = engine.check(["."]).active
    return [
        (f.location.path, f.location.line, f.message)
        for f in found
        if catalogue.lookup(f.rule).name in ("collection-scan", "no-index-declarations")
    ]


PY = """
from pymongo import MongoClient

db = MongoClient()["app"]


def tuneup(user_indices):
    for f in ("state", "host"):
        db.launches.create_index(f, background=True)
    for k in user_indices:
        db.fireworks.create_index(k)


def by_state(s):
    return list(db.launches.find({"state": s}).limit(10))


def by_ip(ip):
    return list(db.launches.find({"ip": ip}).limit(10))


def by_name(n):
    return list(db.fireworks.find({"name": n}).limit(10))
"""


def test_python_loop_over_literal_field_names(project):
    got = scans(project, {"app.py": PY})
    # launches: state and host are declared, so the ip lookup scans; fireworks' keys are the caller's: silent
    assert [(path, line) for path, line, _ in got] == [("app.py", 18)]
    assert "no index starts with ip (indexes: state_1, host_1)" in got[0][2]


def test_python_loop_variable_reassigned_is_not_read(project):
    code = PY.replace("db.launches.create_index(f, background=True)", "f = f + '_x'\n        db.launches.create_index(f)")
    assert scans(project, {"app.py": code}) == []  # what f holds at the call is not the list's element


JS = """
class Adapter {
  async createIndexes() {
    const indexFields = ['ptype', 'v0'];
    for (const name of indexFields) {
      await this.getCollection().createIndex({ [name]: 1 });
    }
  }
  getCollection() { return this.db.collection('casbin_rule'); }
  async byType(t) { return this.getCollection().find({ ptype: t }).limit(10).toArray(); }
  async byV2(v) { return this.getCollection().find({ v2: v }).limit(10).toArray(); }
}
['a', 'b'].forEach((f) => db.collection('other').createIndex(f));
function ensure(fields) { fields.forEach((f) => db.collection('third').createIndex(f)); }
async function byC(c) { return db.collection('other').find({ c }).limit(5).toArray(); }
async function byA(a) { return db.collection('other').find({ a }).limit(5).toArray(); }
async function byD(d) { return db.collection('third').find({ d }).limit(5).toArray(); }
module.exports = { Adapter, byC, byA, byD, ensure };
"""


def test_js_loop_over_literal_field_names(project):
    got = scans(project, {"adapter.js": JS})
    assert [(path, line) for path, line, _ in got] == [("adapter.js", 10), ("adapter.js", 14)]
    assert "no index starts with v2 (indexes: ptype_1, v0_1)" in got[0][2]
    assert "no index starts with c (indexes: a_1, b_1)" in got[1][2]  # third: the caller's fields, silent


def test_an_index_method_named_by_a_variable_is_read():
    # eventstore 1.15.5 lib/databases/mongodb.js (holdout 18): `self.events[ensureIndex]({...})` with the
    # method's name in a variable, 'createIndex' for a newer driver
    from advisor.sources import extract

    text = """
var ensureIndex = 'ensureIndex';
if (mongo.MongoClient.length === 2) {
  ensureIndex = 'createIndex';
}
self.events = self.db.collection('events');
self.events[ensureIndex]({ aggregateId: 1, streamRevision: 1 }, function (err) {});
self.events[ensureIndex]({ commitStamp: 1 }, function (err) {});
self.events[pick()]({ other: 1 });
"""
    declared = extract("lib/databases/mongodb.js", text).indexes
    assert [(i.location.line, i.table, i.name) for i in declared] == [
        (7, "events", "aggregateId_1_streamRevision_1"),
        (8, "events", "commitStamp_1"),
    ]


def test_python_loop_over_a_module_constant_is_read_like_the_literal(project):
    # the same reading as LightRAG's CREATE INDEX loop (advisor.facts.loops): a name the module assigns once
    code = PY.replace('for f in ("state", "host"):', "for f in LAUNCH_FIELDS:").replace(
        'db = MongoClient()["app"]', 'db = MongoClient()["app"]\nLAUNCH_FIELDS = ["state", "host"]'
    )
    got = scans(project, {"app.py": code})
    assert [(path, line) for path, line, _ in got] == [("app.py", 19)]
    assert "no index starts with ip (indexes: state_1, host_1)" in got[0][2]
    twice = code.replace("def tuneup(", "LAUNCH_FIELDS = ['ip']\n\n\ndef tuneup(")
    assert scans(project, {"app.py": twice}) == []  # assigned twice: what the loop walks is not known
