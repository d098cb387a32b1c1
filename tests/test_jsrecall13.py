"""MongoDB extraction: a driver collection a class is given by its constructor and keeps on `this` under a
name that says nothing (`this.mongodb = mongodb`, @lumieducation/h5p-mongos3's storage classes, holdout 12:
0 of 41 query sites read). The class's own calls on the member make it a collection, named `Class.member`
so its queries and index declarations meet and another class's `this.mongodb` stays another collection.
Small programs shaped like the real (compiled TypeScript) code, not copies of it."""

from advisor.mongo.shape import MongoQuery
from advisor.sources import extract

LIBRARIES = """\
class LibraryStorage {
    mongodb;
    options;
    constructor(mongodb, options) {
        this.mongodb = mongodb;
        this.options = options;
    }
    async createIndexes() {
        await this.mongodb.createIndexes([
            { key: { ubername: 1 } },
            { key: { ubername: 1, 'files.filename': 1 } },
        ]);
    }
    async getFileStats(library, file) {
        return this.mongodb.findOne({ ubername: library, 'files.filename': file }, { projection: { files: 1 } });
    }
    async getDependentsCount(library) {
        return await this.mongodb.countDocuments({ 'metadata.preloadedDependencies': library });
    }
    async listAddons() {
        return (await this.mongodb.find({ 'metadata.addTo': { $exists: true } }).toArray()).map((m) => m.metadata);
    }
    async addFile(library, file) {
        await this.mongodb.updateOne({ ubername: library }, { $push: { files: file } });
    }
}
class ContentStorage {
    constructor(s3, mongodb) {
        this.s3 = s3;
        this.mongodb = mongodb;
    }
    async getUsage(name) {
        return this.mongodb.countDocuments({ 'metadata.mainLibrary': name });
    }
    async deleteContent(id) {
        await this.mongodb.deleteOne({ _id: id });
        await this.s3.deleteObjects({ Bucket: 'b' }).promise();
    }
}
exports.LibraryStorage = LibraryStorage;
"""


def _keys(src):
    return [
        (q.location.line, q.collection, q.operation, list(q.filter)) for q in src.queries if isinstance(q, MongoQuery)
    ]


def test_a_collection_given_to_the_constructor_is_read_in_every_method_under_its_class():
    src = extract("storage.js", LIBRARIES)
    assert _keys(src) == [
        (15, "LibraryStorage.mongodb", "findOne", ["ubername", "files.filename"]),
        (18, "LibraryStorage.mongodb", "countDocuments", ["metadata.preloadedDependencies"]),
        (21, "LibraryStorage.mongodb", "find", ["metadata.addTo"]),
        (24, "LibraryStorage.mongodb", "updateOne", ["ubername"]),
        (33, "ContentStorage.mongodb", "countDocuments", ["metadata.mainLibrary"]),
        (36, "ContentStorage.mongodb", "deleteOne", ["_id"]),
    ]  # the S3 client's deleteObjects (:37) is no query; each class's member is its own collection
    assert src.queries[2].filter == {"metadata.addTo": {"$exists": True}}
    assert src.queries[0].projection == {"files": 1}
    assert not any(q.partial for q in src.queries)  # a collection advisor can judge, not a sketch
    assert [(i.location.line, i.table, tuple(i.columns)) for i in src.indexes] == [
        (9, "LibraryStorage.mongodb", ("ubername",)),
        (9, "LibraryStorage.mongodb", ("ubername", "files.filename")),
    ]


def test_queries_and_indexes_on_the_member_meet(tmp_path, monkeypatch):
    from advisor import engine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "package.json").write_text('{"name": "storage"}')
    (tmp_path / "advisor.toml").write_text('large-tables = ["*"]\n')  # its collections grow (unknown-size)
    (tmp_path / "storage.js").write_text(LIBRARIES)
    active = engine.check(["."]).active
    found = {(f.rule, f.location.line) for f in active}
    assert ("SCH002", 9) in found, found  # redundant-index: {ubername} is a prefix of {ubername, files.filename}
    assert ("MGO001", 18) in found, found  # collection-scan: no index starts with metadata.preloadedDependencies
    assert ("MGO001", 15) not in found and ("MGO001", 24) not in found  # served by the declared indexes
    scan = next(f for f in active if f.rule == "MGO001")
    assert '[seed.tables."LibraryStorage.mongodb"] rows = 100' in scan.help  # a TOML key that names it whole


TYPESCRIPT = """\
import { Collection } from 'mongodb';
export class ResultStorage {
    constructor(private readonly results: Collection<Result>, private readonly log: Logger) {}
    async byUser(userId: string) {
        this.log.debug('reading');
        return this.results.find({ userId }).toArray();
    }
    async save(r: Result) {
        await this.results.replaceOne({ userId: r.userId, contentId: r.contentId }, r, { upsert: true });
    }
}
"""


def test_a_typescript_parameter_property_is_the_same():
    assert _keys(extract("results.ts", TYPESCRIPT)) == [
        (6, "ResultStorage.results", "find", ["userId"]),
        (9, "ResultStorage.results", "replaceOne", ["userId", "contentId"]),
    ]


NOT_COLLECTIONS = """\
class Cache {
    constructor(items, db, repo, store, client) {
        this.items = items;
        this.db = db;
        this.repo = repo;
        this.store = store;
        this.client = client;
    }
    first(id) { return this.items.find({ id }); }
    count() { return this.items.length; }
    users(id) { return this.db.collection('users').findOne({ _id: id }); }
    async sessions(id) { await this.db.createIndex('sessions', { userId: 1 }); }
    rows(id) { return this.repo.findAll({ where: { id } }); }
    one(id) { return this.repo.findOne({ id }); }
    async drop(id) { await this.repo.deleteOne({ id }); }
    async put(id) { await this.store.updateOne({ id }, { $set: { a: 1 } }); }
    reset() { this.store = null; }
    async keep(id) { return this.client.findOne({ id }); }
}
"""


def test_a_member_used_as_anything_but_a_collection_stays_unread():
    src = extract("cache.js", NOT_COLLECTIONS)
    # an array (`.length`), a Sequelize model (`findAll`), a member assigned outside the constructor, a member
    # only ever given a `findOne` (no method only a Collection has): none read; the Db handle works as before
    assert _keys(src) == [(11, "users", "findOne", ["_id"])]
    assert not any(i.table.startswith("Cache.") for i in src.indexes)
