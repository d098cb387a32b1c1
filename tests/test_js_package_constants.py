"""A collection named by a constant another package exports, as holdout 5's Mastra MongoDB store names every one
(`this.getCollection(TABLE_MESSAGES)`, `import { TABLE_MESSAGES } from "@mastra/core/storage"`, and an index list
`{ collection: TABLE_MESSAGES, keys: {...} }` created in a loop): the text is in a package advisor does not read, but
an import binding is one value, so the queries and the indexes written with it meet on one collection. Written here
in that style; nothing is copied."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

STORE = """\
import { TABLE_JOBS, TABLE_RUNS as RUNS } from "@acme/core/storage";
import core from "@acme/core";
import { TABLE_LOCAL } from "./names.js";

export class Store {
  constructor(db) { this.db = db; }
  indexDefinitions() {
    return [
      { collection: TABLE_JOBS, keys: { state: 1, due: 1 } },
      { collection: RUNS, keys: { jobId: 1 } },
    ];
  }
  async init() {
    for (const def of this.indexDefinitions()) {
      await this.db.collection(def.collection).createIndex(def.keys);
    }
  }
  next(now) {
    return this.db.collection(TABLE_JOBS).find({ state: "new", due: { $lte: now } }).sort({ priority: -1 }).toArray();
  }
  runsOf(jobId) {
    return this.db.collection(RUNS).find({ jobId }).toArray();
  }
  byOwner(owner) {
    return this.db.collection(RUNS).find({ owner }).toArray();
  }
  other(owner) {
    return this.db.collection(core.TABLE_OTHER).find({ owner }).toArray();
  }
  local(owner) {
    return this.db.collection(TABLE_LOCAL).find({ owner }).toArray();
  }
}
"""

FILES = {"src/store.js": STORE, "advisor.toml": 'large-tables = ["*"]\n'}


def test_queries_and_indexes_named_by_a_package_constant_meet_on_it(project):
    project(FILES)
    loaded = load_project(["."], Options())
    queries = [(q.location.line, q.collection, q.sketch) for q in loaded.other_queries]
    assert queries == [
        (19, "@acme/core/storage:TABLE_JOBS", False),
        (22, "@acme/core/storage:TABLE_RUNS", False),  # imported under another name: the export's
        (25, "@acme/core/storage:TABLE_RUNS", False),
        (28, "<core.TABLE_OTHER>", True),  # a member of a default import: not a binding the module cannot change
        (31, "<TABLE_LOCAL>", True),  # the project's own module: its text is the project's to say
    ], queries
    indexes = sorted((i.table, [k.expr for k in i.keys]) for i in loaded.schema.indexes if i.method == "mongo")
    assert indexes == [
        ("@acme/core/storage:TABLE_JOBS", ["state", "due"]),
        ("@acme/core/storage:TABLE_RUNS", ["jobId"]),
    ]


def test_its_claims_rest_on_those_indexes(project):
    project(FILES)
    found = sorted(
        (f.location.line, catalogue.lookup(f.rule).name, f.message)
        for f in engine.check(["."]).active
        if catalogue.lookup(f.rule).name in ("collection-scan", "in-memory-sort")
    )
    # the jobs read sorts in memory (no index gives priority); runs by job has its index; by owner scans
    assert [(line, rule) for line, rule, _ in found] == [(19, "in-memory-sort"), (25, "collection-scan")], found
    assert "@acme/core/storage:TABLE_RUNS" in found[1][2]


def test_one_with_no_index_declared_is_said_once_as_what_it_is(project):
    project(
        {
            "src/store.js": STORE.replace("TABLE_RUNS as RUNS }", "TABLE_RUNS as RUNS, TABLE_LOGS }").replace(
                "  other(owner) {",
                "  logs(level) {\n    return this.db.collection(TABLE_LOGS).find({ level }).toArray();\n  }\n  other(owner) {",
            ),
            "advisor.toml": 'large-tables = ["*"]\n',
        }
    )
    notes = [f.message for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "no-index-declarations"]
    assert (
        len(notes) == 1 and "@acme/core/storage:TABLE_LOGS collection (a collection a constant of another" in notes[0]
    )


LOGGER = """\
import { MongoClient } from "mongodb";

export default class LogStore {
  constructor(uri, { prefix } = {}) {
    this.client = new MongoClient(uri);
    this.logsName = `${prefix}_logs`;
    this.usersName = `${prefix}_users`;
  }
  rename(name) {
    this.usersName = name;
  }
  async setup() {
    const db = this.client.db();
    await db.collection(this.logsName).createIndex({ hostname: 1, timestamp: -1 });
  }
  recent(hostname) {
    return this.client.db().collection(this.logsName).find({ hostname }).sort({ timestamp: -1 }).toArray();
  }
  byLevel(level) {
    return this.client.db().collection(this.logsName).find({ level }).toArray();
  }
  user(email) {
    return this.client.db().collection(this.usersName).findOne({ email });
  }
}
"""


def test_a_name_the_constructor_alone_sets_once_is_one_collection_per_instance(project):
    """As errsole's MongoDB store keeps `this.logsCollectionName = `${collectionPrefix}_logs_v2``: whatever prefix the
    run gives, the class's queries and index declarations written with the member meet on one collection."""
    project({"src/logs.js": LOGGER, "advisor.toml": 'large-tables = ["*"]\n'})
    loaded = load_project(["."], Options())
    named = [(q.location.line, q.collection, q.sketch) for q in loaded.other_queries]
    assert named == [
        (17, "LogStore.logsName", False),
        (20, "LogStore.logsName", False),
        (23, "<this.usersName>", True),  # set again in a method: not known to be one name
    ], named
    found = sorted(
        (f.location.line, catalogue.lookup(f.rule).name)
        for f in engine.check(["."]).active
        if catalogue.lookup(f.rule).name in ("collection-scan", "in-memory-sort")
    )
    assert found == [(20, "collection-scan")], found  # by hostname in order has its index; by level none
