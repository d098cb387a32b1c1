"""Holdout 49 (sidetree): a base class opens a collection for its subclasses by the name each passes to
`super(...)` (`this.collection = db.collection(this.collectionName)`), and each subclass declares its indexes and
queries on `this.collection`. Each subclass's queries are on its own collection, named as it passes it (a static
member, a literal, its compiled form), meeting its own declarations and never another subclass's; a name the
subclass's caller passes stays one only the run knows."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

BASE = """\
import { Collection, Db, MongoClient } from 'mongodb';

export default class MongoDbStore {
  protected collection!: Collection<any>;

  constructor (private serverUrl: string, private collectionName: string, private databaseName: string) { }

  public async initialize (): Promise<void> {
    const client = await MongoClient.connect(this.serverUrl);
    const db: Db = client.db(this.databaseName);
    this.collection = await db.createCollection(this.collectionName);
    await this.createIndex();
  }

  public async clearCollection () {
    await this.collection.deleteMany({ });
  }

  public async createIndex (): Promise<void> { }
}
"""

OPERATIONS = """\
import MongoDbStore from './MongoDbStore';

export default class MongoDbOperationStore extends MongoDbStore {
  public static readonly collectionName: string = 'operations';

  constructor (serverUrl: string, databaseName: string) {
    super(serverUrl, MongoDbOperationStore.collectionName, databaseName);
  }

  public async createIndex () {
    await this.collection.createIndex({ didSuffix: 1, txnNumber: 1 }, { unique: true });
    await this.collection.createIndex({ didSuffix: 1 });
  }

  public async get (didSuffix: string) {
    return this.collection.find({ didSuffix }).toArray();
  }
}
"""

TRANSACTIONS = """\
import MongoDbStore from './MongoDbStore';

export default class MongoDbTransactionStore extends MongoDbStore {
  public constructor (serverUrl: string, databaseName: string) {
    super(serverUrl, 'transactions', databaseName);
  }

  public async createIndex () {
    await this.collection.createIndex({ transactionNumber: 1 }, { unique: true });
  }

  public async byTime (time: number) {
    return this.collection.find({ transactionTime: time }).skip(100).limit(100).toArray();
  }
}
"""

GIVEN = """\
import MongoDbStore from './MongoDbStore';

export default class MongoDbServiceStateStore extends MongoDbStore {
  constructor (serverUrl: string, collectionName: string, databaseName: string) {
    super(serverUrl, collectionName, databaseName);
  }

  public async get () {
    return this.collection.findOne({ });
  }
}
"""

# the compiled form a package ships (tsc's CommonJS output)
COMPILED = """\
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const MongoDbStore_1 = require("./MongoDbStore");
class MongoDbBlockStore extends MongoDbStore_1.default {
    constructor(serverUrl, databaseName) {
        super(serverUrl, MongoDbBlockStore.collectionName, databaseName);
    }
    async createIndex() {
        await this.collection.createIndex({ height: 1 }, { unique: true });
    }
    async above(height) {
        return this.collection.find({ height: { $gt: height } }).toArray();
    }
}
exports.default = MongoDbBlockStore;
MongoDbBlockStore.collectionName = 'blocks';
"""

COMPILED_BASE = """\
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const mongodb_1 = require("mongodb");
class MongoDbStore {
    constructor(serverUrl, collectionName, databaseName) {
        this.serverUrl = serverUrl;
        this.collectionName = collectionName;
        this.databaseName = databaseName;
    }
    async initialize() {
        const client = await mongodb_1.MongoClient.connect(this.serverUrl);
        this.db = client.db(this.databaseName);
        this.collection = this.db.collection(this.collectionName);
    }
}
exports.default = MongoDbStore;
"""


def collections(files: dict[str, str], project) -> set[tuple[str, int, str]]:
    project(files)
    loaded = load_project(["."], Options())
    return {(q.location.path, q.location.line, q.collection) for q in loaded.other_queries}


def test_each_subclass_queries_the_collection_it_passes(project):
    found = collections(
        {
            "lib/MongoDbStore.ts": BASE,
            "lib/MongoDbOperationStore.ts": OPERATIONS,
            "lib/MongoDbTransactionStore.ts": TRANSACTIONS,
            "lib/MongoDbServiceStateStore.ts": GIVEN,
        },
        project,
    )
    named = {(path.rsplit("/", 1)[1], coll) for path, _, coll in found}
    assert ("MongoDbOperationStore.ts", "operations") in named
    assert ("MongoDbTransactionStore.ts", "transactions") in named
    # the caller names it: one collection per instance, not another subclass's
    state = [coll for path, _, coll in found if path.endswith("MongoDbServiceStateStore.ts")]
    assert state and all(coll not in ("operations", "transactions") for coll in state)
    # the base class's own query runs on every subclass's collection: none of theirs by name
    base = [coll for path, _, coll in found if path.endswith("MongoDbStore.ts")]
    assert base and all(coll not in ("operations", "transactions") for coll in base)


def test_the_compiled_form_names_it_too(project):
    found = collections({"lib/MongoDbStore.js": COMPILED_BASE, "lib/MongoDbBlockStore.js": COMPILED}, project)
    assert ("lib/MongoDbBlockStore.js", 12, "blocks") in found


def test_subclasses_declarations_stay_their_own(project):
    project(
        {
            "lib/MongoDbStore.ts": BASE,
            "lib/MongoDbOperationStore.ts": OPERATIONS,
            "lib/MongoDbTransactionStore.ts": TRANSACTIONS,
        }
    )
    loaded = load_project(["."], Options())
    tables = {(i.table, i.name) for i in loaded.schema.indexes}
    assert ("operations", "didSuffix_1") in tables and ("transactions", "transactionNumber_1") in tables
    found = engine.check(["."]).active
    claims = {(catalogue.lookup(f.rule).name, f.location.path.rsplit("/", 1)[1], f.location.line) for f in found}
    # operations' own prefix index is redundant (a claim on a collection whose size nothing says: the note's, which
    # speaks of a collection); transactions' lookup by time is a scan of transactions (a paged read: it grows),
    # which no index of operations could hide
    assert ("unknown-size", "MongoDbOperationStore.ts", 12) in claims and ("redundant-index", "MongoDbOperationStore.ts", 12) not in claims
    note = next(f for f in found if catalogue.lookup(f.rule).name == "unknown-size")
    assert note.message.startswith("advisor does not know whether this collection grows large") and \
        "operations (1 redundant-index; first at lib/MongoDbOperationStore.ts:12)" in note.message, note.message
    assert ("collection-scan", "MongoDbTransactionStore.ts", 13) in claims
