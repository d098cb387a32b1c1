"""Claims a reviewer found wrong on a bundled mongoose data layer (holdout 7), each traced to what the
planner believed: `$exists: true` on a plain index, `$ne` on an indexed field, a sort over a caller's list of
ids. Snippets are written here in the style of such a bundle (schemas, then `create...Methods(mongoose)`
closures); none is copied from it."""

from dataclasses import replace

from advisor import catalogue, engine
from advisor.checks.mongo import check_query
from advisor.ir import Schema
from advisor.mongo.planner import plan_find
from advisor.mongo.shape import MongoQuery
from tests.test_mongofid import ix  # one way to write a declared MongoDB index in these tests


def found(project, files):
    project({"advisor.toml": 'large-tables = ["*"]\n', **files})  # collections that grow (unknown-size)
    return [(f.location.line, catalogue.lookup(f.rule).name, f.message) for f in engine.check(["."]).active]


LANES = """\
import { Schema } from 'mongoose';
const laneSchema = new Schema({
  _id: { type: String, required: true },
  user: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
  startedAt: { type: Date },
  cleanupRequestedAt: { type: Date, index: true }
}, { timestamps: true });
laneSchema.index({ startedAt: 1 }, { sparse: true });
export function createLaneMethods(mongoose) {
  const Lane = () => mongoose.models.Lane;
  async function lanesToClean(limit) {
    const lanes = await Lane().find({ cleanupRequestedAt: { $exists: true } })
      .sort({ cleanupRequestedAt: 1, _id: 1 }).limit(limit).select('_id').lean();
    return lanes;
  }
  async function startedPublishers(limit) {
    return await Lane().find({ startedAt: { $exists: true } }).limit(limit).lean();
  }
  async function newestCleanup() {
    return await Lane().findOne({ cleanupRequestedAt: { $exists: true } }).sort({ cleanupRequestedAt: -1 }).lean();
  }
  async function purgeRequested() {
    return await Lane().deleteMany({ cleanupRequestedAt: { $exists: true } });
  }
  return { lanesToClean, startedPublishers, newestCleanup, purgeRequested };
}
export const laneModel = (mongoose) => mongoose.model('Lane', laneSchema);
"""


def test_exists_on_a_plain_index_reads_every_entry_and_says_so(project):
    got = found(project, {"lanes.js": LANES})
    scans = [(line, message) for line, name, message in got if name == "collection-scan"]
    # the server uses cleanupRequestedAt_1 with bounds [MinKey, MaxKey]: it is not "no index starts with"
    assert [line for line, _ in scans] == [12]
    message = scans[0][1]
    assert "no index starts with" not in message
    assert "reads every entry of cleanupRequestedAt_1" in message and "$exists: true" in message
    assert "null key" in message
    # one finding for the statement: the sort it also does in memory is said in the same message
    assert "sorts the result in memory" in message
    assert not any(name == "in-memory-sort" and line == 12 for line, name, _ in got)
    # the sparse startedAt_1 holds only the documents that have startedAt: nothing to say (line 16);
    # walking cleanupRequestedAt_1 down from its largest keys finds the documents that have it first (line 19);
    # a delete of every match may remove most documents, and then reading them all is no waste (line 22)
    assert not any(line in (16, 19, 22) for line, _, _ in got)


def test_the_fix_offered_for_exists_is_an_index_of_the_documents_that_have_the_field():
    query = MongoQuery(
        collection="lanes",
        operation="find",
        filter={"cleanupRequestedAt": {"$exists": True}},
        sort={"cleanupRequestedAt": 1, "_id": 1},
        limit=10,
    )
    ((name, hit),) = check_query(
        query, Schema(indexes=[ix("cleanupRequestedAt_1", "cleanupRequestedAt", table="lanes")]), lambda name: True
    )
    assert name == "collection-scan"
    assert hit.fix == (
        "db.lanes.createIndex({ cleanupRequestedAt: 1, _id: 1 }, "
        "{ partialFilterExpression: { cleanupRequestedAt: { $exists: true } } })"
    )
    # that index holds only the documents with the field: the same query then names nothing
    partial = ix(
        "p",
        "cleanupRequestedAt",
        "_id",
        table="lanes",
        partialFilterExpression={"cleanupRequestedAt": {"$exists": True}},
    )
    assert check_query(query, Schema(indexes=[partial]), lambda name: True) == []


def test_no_index_starts_with_names_only_fields_no_index_starts_with():
    indexes = [ix("name_1", "name"), ix("h", "owner:hashed")]
    query = MongoQuery(
        collection="c", operation="find", filter={"name": {"$regex": "smith", "$options": "i"}, "kind": "a"}
    )
    plan = plan_find(query.filter, None, indexes)
    assert plan.stage == "COLLSCAN"
    ((_, hit),) = [
        (n, h) for n, h in check_query(query, Schema(indexes=indexes), lambda n: True) if n == "collection-scan"
    ]
    assert "no index starts with kind;" in hit.message
    assert "name_1 cannot serve name: an unanchored or case-insensitive regex has no index bounds" in hit.message


def test_a_sparse_index_is_not_used_for_ne_which_matches_documents_without_the_field():
    flt = {"category": {"$ne": "x"}}
    assert plan_find(flt, None, [ix("s", "category", sparse=True)]).stage == "COLLSCAN"
    assert plan_find({"category": {"$ne": None}}, None, [ix("s", "category", sparse=True)]).stage == "IXSCAN"
    assert plan_find(flt, None, [ix("n", "category")]).stage == "IXSCAN"


CONVERSATIONS = """\
import { Schema } from 'mongoose';
const convoSchema = new Schema({
  user: { type: String, index: true },
  reconciliations: { type: [{ status: String, observedAt: Date }], default: undefined }
});
convoSchema.index({ 'reconciliations.status': 1, 'reconciliations.observedAt': 1 }, { sparse: true, name: 'recon_metrics' });
export function createConvoMethods(mongoose) {
  async function pendingMetrics() {
    return await mongoose.models.Conversation.aggregate([
      { $match: { reconciliations: { $elemMatch: { status: { $ne: 'settled' } } } } },
      { $unwind: '$reconciliations' },
      { $group: { _id: null, pending: { $sum: 1 } } }
    ]);
  }
  async function withStatus() {
    return await mongoose.models.Conversation.aggregate([
      { $match: { reconciliations: { $elemMatch: { status: { $ne: null } } } } },
      { $count: 'n' }
    ]);
  }
  return { pendingMetrics, withStatus };
}
export const convoModel = (mongoose) => mongoose.model('Conversation', convoSchema);
"""


def test_a_sparse_index_serves_no_negation_but_ne_null_and_the_message_says_why(project):
    got = found(project, {"convos.js": CONVERSATIONS})
    scans = [(line, message) for line, name, message in got if name == "collection-scan"]
    # the server never gives a sparse index a negation other than $ne: null (nodeIsSupportedBySparseIndex)
    assert [line for line, _ in scans] == [10]
    assert "recon_metrics cannot serve reconciliations.status: it is sparse, and $ne also matches" in scans[0][1]
    assert "no index starts with" not in scans[0][1]


def test_exists_help_offers_ne_null_which_has_bounds_on_a_plain_index():
    plain = [ix("deleted_1_visible_1", "deleted", "visible", table="queue")]
    done = MongoQuery(collection="queue", operation="findOne", filter={"deleted": {"$exists": True}})
    ((name, hit),) = check_query(done, Schema(indexes=plain), lambda name: True)
    assert name == "collection-scan" and "{ deleted: { $ne: null } }" in hit.help
    rewritten = replace(done, filter={"deleted": {"$ne": None}})
    assert plan_find(rewritten.filter, None, plain).candidate.bounded == 1
    assert check_query(rewritten, Schema(indexes=plain), lambda name: True) == []


PROMPTS = """\
import { Schema } from 'mongoose';
const promptGroupSchema = new Schema({
  name: { type: String, required: true, index: true },
  category: { type: String, default: '', index: true },
  author: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
  oneliner: { type: String, default: '' }
}, { timestamps: true });
export function createPromptMethods(mongoose) {
  async function randomGroups() {
    const PromptGroup = mongoose.models.PromptGroup;
    const categories = await PromptGroup.distinct('category', { category: { $ne: '' } });
    return categories;
  }
  async function withOneliner() {
    const PromptGroup = mongoose.models.PromptGroup;
    return await PromptGroup.distinct('name', { oneliner: { $ne: '' } });
  }
  return { randomGroups, withOneliner };
}
export const promptGroupModel = (mongoose) => mongoose.model('PromptGroup', promptGroupSchema);
"""


def test_ne_on_an_indexed_field_is_narrowed_by_the_index(project):
    got = [(line, name) for line, name, _ in found(project, {"prompts.js": PROMPTS})]
    # category_1 bounds [MinKey, ''), ('', MaxKey]: the distinct reads one key per category
    assert (11, "negation-only") not in got
    # oneliner has no index: the negation is all the filter says
    assert (16, "negation-only") in got


ENVIRONMENTS = """\
import { Schema } from 'mongoose';
const environmentSchema = new Schema({
  environmentId: { type: String, required: true },
  createdBy: { type: Schema.Types.ObjectId, ref: 'User', index: true },
  status: { type: String }
}, { timestamps: true });
environmentSchema.index({ status: 1 });
export function createEnvironmentMethods(mongoose) {
  const model = () => mongoose.models.CodeEnvironment;
  async function findByIds(ids) {
    if (ids.length === 0) return [];
    return await model().find({ _id: { $in: ids } }).sort({ createdAt: 1, _id: 1 }).lean();
  }
  async function firstPageByIds(ids) {
    return await model().find({ _id: { $in: ids } }).sort({ createdAt: 1, _id: 1 }).limit(20).lean();
  }
  async function byStatus(status) {
    return await model().find({ status }).sort({ createdAt: 1 }).limit(50).lean();
  }
  return { findByIds, firstPageByIds, byStatus };
}
export const environmentModel = (mongoose) => mongoose.model('CodeEnvironment', environmentSchema);
"""


def test_a_sort_of_the_documents_a_caller_lists_is_no_claim(project):
    got = [(line, name) for line, name, _ in found(project, {"environments.js": ENVIRONMENTS})]
    # every listed document is returned: sorting them costs what reading them costs
    assert (12, "in-memory-sort") not in got
    # with a limit the server still reads every listed document to return the first page: as many as the
    # caller lists, a handful sorted in memory
    assert (15, "in-memory-sort") not in got
    # a status is shared by many documents: still a claim
    assert (18, "in-memory-sort") in got


def test_where_beside_an_id_equality_runs_on_that_document(project):
    # inginious: find_one_and_update({"_id": ObjectId(gid), "$where": "..."}): one document is tested, not all
    hits = [(line, rule) for line, rule, _ in found(project, {"store.js": """
async function join(db, id) {
  await db.collection('groups').findOneAndUpdate({ _id: id, $where: 'this.students.length < this.size' }, { $set: { x: 1 } });
  await db.collection('groups').find({ course: id, $where: 'this.students.length < this.size' }).limit(5).toArray();
}
"""})]
    assert [line for line, rule in hits if rule == "where-operator"] == [3]


def _claims(filter_, indexes, operation="findOne"):
    query = MongoQuery(collection="products", operation=operation, filter=filter_)
    return [(name, hit.message, hit.fix) for name, hit in check_query(query, Schema(indexes=indexes), lambda n: True)]


def test_ne_on_a_unique_key_bounds_the_index_around_one_value_and_reads_every_other_entry():
    # express-cart (holdout 64) checks a new title is free with findOne({ _id: { $ne: id }, productTitle: t }): the
    # server walks _id_ from MinKey to MaxKey but for id, fetching every other product to test the title
    other = [ix("category_1", "category", table="products")]
    ((name, message, fix),) = _claims({"_id": {"$ne": "x"}, "productTitle": "t"}, other)
    assert name == "collection-scan" and "reads every entry of _id_ but the ones its $ne/$nin on _id" in message
    assert "no index serves productTitle" in message and fix == "db.products.createIndex({ productTitle: 1 })"
    # the same on a one-key unique index, and with $nin
    slug = [ix("slug_1", "slug", unique=True, table="products")]
    ((name, message, _),) = _claims({"slug": {"$nin": ["a", "b"]}, "productTitle": "t"}, slug)
    assert name == "collection-scan" and "reads every entry of slug_1" in message


def test_ne_elsewhere_keeps_its_bounds_and_an_exclusion_alone_is_no_claim():
    titled = [ix("productTitle_1", "productTitle", table="products")]
    assert _claims({"_id": {"$ne": "x"}, "productTitle": "t"}, titled) == []  # the title's index finds it
    # a $ne on a key many documents share may leave out most of them: the bounds stay a bound
    status = [ix("status_1", "status", table="products")]
    assert _claims({"status": {"$ne": "done"}, "productTitle": "t"}, status) == []
    assert _claims({"_id": {"$ne": "x"}}, status) == []  # nothing but the exclusion: every document, by design
    # a scan in all but name, judged as one: a count of the matches too (express-cart's `countDocuments`)
    counted = _claims({"_id": {"$ne": "x"}, "productTitle": "t"}, status, operation="countDocuments")
    assert [name for name, *_ in counted] == ["collection-scan"]
