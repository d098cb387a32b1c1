"""Extraction recall on holdout 6 (benchmarks/realworld/recall.md, "Holdout 6"): a collection that is what a
method or function returns (ralph's `self._get_target_collection(target)`), a mongoose model a factory
makes (omniboard's `RunsModel(conn, name)`, the factory in another module), and a collection awaited
from a getter that returns the caller's (feathers-mongodb's `await this.getModel(params)`). Each from a
snippet shaped like the real code, with the near-misses that must stay unread; a collection advisor
cannot name is a sketch on which no index claim is made."""

from advisor import engine
from advisor.mongo.shape import MongoQuery
from advisor.sources import extract
from advisor.sources.links import link


def shapes(src):
    return [(q.location.line, q.collection, q.operation) for q in src.queries if isinstance(q, MongoQuery)]


# --- Python: what a method or function returns (ralph src/ralph/backends/data/mongo.py) ---------------

BACKEND = """\
class Backend:
    def __init__(self, settings):
        self.database = self.client[settings.DATABASE]
        self.collection = self.database[settings.COLLECTION]

    def _read(self, query, target):
        collection = self._get_target_collection(target)
        return collection.find({"kind": query.kind}, batch_size=100)

    def _write(self, batch, target):
        collection = self._get_target_collection(target)
        return self._bulk_delete(batch, collection)

    def _get_target_collection(self, target):
        try:
            return self.database[target] if target else self.collection
        except ValueError as error:
            raise RuntimeError(target) from error

    def _bulk_delete(self, batch, collection):
        return collection.delete_many({"_source.id": {"$in": batch}})
"""


def test_a_method_whose_every_return_is_a_collection_gives_one_named_at_run_time_when_they_differ():
    src = extract("backend.py", BACKEND)
    found = shapes(src)
    assert found == [
        (8, "<self.database[target] if target else self.collection>", "find"),
        (21, "<collection>", "delete_many"),  # the parameter the class's own call passes it for
    ]
    assert all(q.sketch for q in src.queries)  # no collection, no index claim


def test_one_name_in_every_return_names_the_collection():
    text = BACKEND.replace("self.database[target] if target else self.collection", 'self.database["events"]')
    assert [c for _, c, _ in shapes(extract("backend.py", text))] == ["events", "events"]


def test_a_return_that_is_no_collection_makes_the_method_give_none():
    text = BACKEND.replace("raise RuntimeError(target) from error", "return []")
    assert shapes(extract("backend.py", text)) == []


def test_a_generator_method_gives_no_collection():
    text = BACKEND.replace(
        "        except ValueError as error:\n", "            yield target\n        except ValueError as error:\n"
    )
    assert shapes(extract("backend.py", text)) == []


def test_a_module_function_returning_a_collection_names_it_and_its_parameter_callers():
    text = """\
def jobs_collection(db):
    return db.jobs


def purge(coll, before):
    return coll.delete_many({"at": {"$lt": before}})


def run(db):
    jobs_collection(db).find_one({"state": "new"})
    purge(jobs_collection(db), 10)
"""
    assert shapes(extract("jobs.py", text)) == [(6, "jobs", "delete_many"), (10, "jobs", "find_one")]


def test_a_parameter_annotated_as_a_collection_is_read_whoever_calls_it():
    """ampel-core's mongo/query/var/events.py: `def get_last_run(col: Collection, ...)` after two `@overload`
    stubs of it, called from other modules with collections advisor cannot name: MongoDB's all the same, a
    collection named at run time (a sketch: no index claim). An unannotated parameter no call names stays
    unread, and so does a function defined twice (which one runs depends on the order)."""
    text = """\
from typing import overload
from pymongo.collection import Collection


@overload
def get_last_run(col: Collection, name: str, ts: bool) -> float:
    ...


def get_last_run(col: Collection, name: str, ts: bool = True):
    return list(col.find({"name": name}).sort("_id", -1).limit(2))


def untyped(col, name):
    return col.find({"name": name})
"""
    src = extract("ampel/events.py", text)
    link([src])
    assert [(q.location.line, q.collection, q.sketch) for q in src.queries] == [(11, "<col>", True)]
    twice = text.replace("@overload\n", "")
    src = extract("ampel/events.py", twice)
    link([src])
    assert src.queries == []


def test_a_closure_reads_the_collection_its_enclosing_function_holds():
    """ampel-core's cli/EventCommand.py:144-146: `jcol = ctx.db.get_collection('job')`, then a nested
    `def resolve_jobs(d): next(jcol.find({'_id': d.get('jobid')}), None)`. A nested function's own parameter
    of that name is its caller's, not the enclosing function's."""
    text = """\
from pymongo import MongoClient


def run(ctx, args):
    jcol = ctx.db.get_collection("job", mode="r")

    def resolve_jobs(d):
        return next(jcol.find({"_id": d.get("jobid")}), None)

    def shadowed(jcol, d):
        return jcol.find_one({"_id": d})

    return resolve_jobs, shadowed
"""
    assert shapes(extract("ampel/cli/events.py", text)) == [(8, "job", "find")]


def test_a_parameter_some_call_passes_unpacked_or_nothing_for_stays_unread():
    text = """\
def purge(coll, before):
    return coll.delete_many({"at": {"$lt": before}})


def run(args):
    purge(*args)
"""
    assert shapes(extract("jobs.py", text)) == []


# --- JavaScript: mongoose model factories (omniboard server/models/runs.js, server/app.js) -----------

RUNS_MODEL = """\
import mongoose from 'mongoose';
export const RunsSchema = new mongoose.Schema({ _id: { type: Number }, status: String });
export default function (databaseConn, runsCollectionName) {
  return databaseConn.model(runsCollectionName, RunsSchema);
}
"""
FILES_MODEL = """\
import mongoose from 'mongoose';
const FilesSchema = new mongoose.Schema({ filename: String });
export default function (databaseConn) {
  return databaseConn.model('fs.files', FilesSchema);
}
"""
APP = """\
import RunsModel from './models/runs';
import FilesModel from './models/fs.files';
import { helper } from './models/runs';

export default function (db, runsCollectionName) {
  const conn = db.connection;
  RunsModel(conn, runsCollectionName).findOneAndDelete({ _id: 1 });
  RunsModel(conn, 'runs').find({ status: 'RUNNING' }).exec();
  FilesModel(conn).find({ filename: { $regex: 'x' } }).exec();
  helper(conn).find({ a: 1 }).exec();
}
"""


def _project(files: dict):
    sources = [extract(path, text) for path, text in files.items()]
    link(sources)
    return {s.path: s for s in sources}


def test_a_factory_in_another_module_gives_the_model_it_makes_with_the_name_given():
    project = _project(
        {"server/models/runs.js": RUNS_MODEL, "server/models/fs.files.js": FILES_MODEL, "server/app.js": APP}
    )
    app = project["server/app.js"]
    assert shapes(app) == [
        (7, "<runsCollectionName>", "findOneAndDelete"),  # the caller's parameter: named at run time
        (8, "runs", "find"),
        (9, "fs.files", "find"),
    ]  # helper() is not exported as a factory: no shape
    unknown, runs, files = app.queries
    assert unknown.sketch and not runs.sketch and not files.sketch
    assert (runs.model, runs.driver) == ("runs", False)


def test_without_the_factory_module_a_call_of_an_imported_function_is_no_shape():
    assert shapes(_project({"server/app.js": APP})["server/app.js"]) == []


def test_a_factory_in_the_same_file_is_read_where_it_is_called():
    text = FILES_MODEL.replace("export default function (databaseConn)", "function Files(databaseConn, name)")
    text = text.replace("'fs.files'", "name") + "Files(conn, 'Upload').find({ filename: 'a' });\n"
    assert shapes(extract("models.js", text)) == [(6, "uploads", "find")]


# --- JavaScript: a collection awaited from a getter (@feathersjs/mongodb src/adapter.ts) -------------

ADAPTER = """\
export class MongoDbAdapter {
  getModel(params) {
    const { Model } = this.getOptions(params)
    return Promise.resolve(Model)
  }

  async findRaw(params) {
    const model = await this.getModel(params)
    const q = model.find({ name: { $regex: params.name } })
    q.skip(params.skip)
    return q
  }

  async _get(id, params) {
    return this.getModel(params).then((model) => model.findOne({ email: id }))
  }
}
"""


def test_a_getter_named_for_the_model_gives_the_callers_collection_unnamed():
    src = extract("src/adapter.ts", ADAPTER)
    assert shapes(src) == [(9, "<this.getModel(params)>", "find"), (15, "<this.getModel(params)>", "findOne")]
    assert all(q.sketch for q in src.queries)
    assert src.queries[0].skip is not None  # the paging is read


def test_a_method_not_named_for_a_model_gives_nothing_it_cannot_follow():
    assert shapes(extract("src/adapter.ts", ADAPTER.replace("getModel", "getThing"))) == []


def test_rules_that_need_an_index_say_nothing_of_an_unknown_collection(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "backend.py").write_text(BACKEND.replace('{"kind": query.kind}', '{"$where": "this.a > 1"}'))
    (tmp_path / "adapter.ts").write_text(ADAPTER)
    found = {(f.location.line, f.rule) for f in engine.check(["."]).active}
    # collection-scan, in-memory-sort, esr-order, lookup/or unindexed, unique-prefix, no declarations, missing index
    index_rules = {"MGO001", "MGO002", "MGO003", "MGO011", "MGO012", "MGO014", "MGO015", "IDX001"}
    assert not [r for _, r in found if r in index_rules]
    assert (8, "MGO006") in found  # where-operator: needs no index: it speaks


def test_the_same_query_on_a_named_collection_with_declared_indexes_is_judged(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the control of the test above: the index rules do speak on a known collection
    (tmp_path / "advisor.toml").write_text('large-tables = ["*"]\n')  # collections that grow (unknown-size)
    text = BACKEND.replace("self.database[target] if target else self.collection", 'self.database["events"]')
    text = text.replace(
        "    def _read(", '    def setup(self):\n        self.database["events"].create_index("at")\n\n    def _read('
    )
    (tmp_path / "backend.py").write_text(text)
    assert (11, "MGO001") in {(f.location.line, f.rule) for f in engine.check(["."]).active}


# --- Python: bulk_write (ralph's `collection.bulk_write(batch)`) ---------------------------------------

BULK = """\
from pymongo import ReplaceOne, UpdateOne


def replace_all(db, batch, statements):
    db.statements.bulk_write(batch)
    ops = [ReplaceOne({"_source.id": {"$eq": s}}, {"_source": s}) for s in statements]
    db.statements.bulk_write(ops)
    db.statements.bulk_write([UpdateOne({"state": "new"}, {"$set": {"state": "old"}}), {"not": "an op"}])
"""


def test_bulk_write_reads_the_operations_written_there_and_sketches_the_callers():
    src = extract("bulk.py", BULK)
    assert [(line, c, op) for line, c, op in shapes(src)] == [
        (5, "statements", "bulk_write"),  # the caller's operations: a sketch, no filter known
        (7, "statements", "replace_one"),  # a comprehension's operation: one shape for every item
        (8, "statements", "update_one"),
    ]
    sketch, replaced, update = src.queries
    assert sketch.sketch and not update.sketch and update.filter == {"state": "new"}
    assert list(replaced.filter) == ["_source.id"]


def test_a_mongoose_distinct_given_a_callback_has_no_filter():
    src = extract("runs.js", "Run.distinct('status', function (err, result) { done(result) });\n")
    assert [q.filter for q in src.queries] == [{}]


def test_a_commonjs_factory_required_by_another_module():
    factory = "const S = new Schema({ a: Number });\nmodule.exports = (conn, name) => conn.model(name, S);\n"
    caller = "const Make = require('../models/thing');\nconst { other } = require('../models/thing');\n"
    caller += "Make(conn, 'Thing').findOne({ a: 1 });\nother(conn, 'Thing').findOne({ a: 1 });\n"
    project = _project({"lib/models/thing.js": factory, "lib/api/use.js": caller})
    assert shapes(project["lib/api/use.js"]) == [(3, "things", "findOne")]  # `other` is no export of it
