"""MongoDB fixes from holdout 8 (issue 11; benchmarks/realworld/recall.md, "Holdout 8"): each from a
snippet shaped like the real code it was seen in, with the near-misses that must not change."""

from advisor.checks.mongo import check_query
from advisor.ir import Schema
from advisor.mongo.shape import MongoQuery
from advisor.sources import extract


def mongo(src):
    return [q for q in src.queries if isinstance(q, MongoQuery)]


def rules(q):
    return {name for name, _ in check_query(q, Schema(indexes=[]), lambda n: True)}


# --- find(filter, options): an options object in the projection's place (reaction-orders imageURLs.js) ---

IMAGE_URLS = """\
export default async function imageURLs(context, item) {
  const { Media } = context.collections;
  const { productId, variantId } = item;
  const media = await Media.find({
    "$or": [{ "metadata.productId": productId }, { "metadata.variantId": variantId }],
    "metadata.workflow": { $nin: ["archived", "unpublished"] }
  }, {
    sort: { "metadata.priority": 1, "uploadedAt": 1 },
    limit: 1
  });
  const fields = await Media.find({ "metadata.productId": productId }, { limit: 1, name: 1 });
  const bare = await Media.find({ "metadata.productId": productId }, { limit: 1 });
  return [media, fields, bare];
}
"""


def test_an_options_object_as_finds_second_argument_bounds_the_read():
    q, fields, bare = mongo(extract("src/util/imageURLs.js", IMAGE_URLS))
    assert (q.limit, q.sort, q.projection) == (1, {"metadata.priority": 1, "uploadedAt": 1}, None)
    assert "unbounded-find" not in rules(q)
    # a key that is no option, or only projection-like values: a projection, as before
    assert fields.limit is None and fields.projection == {"limit": 1, "name": 1}
    assert bare.limit is None and bare.projection == {"limit": 1}
    assert "unbounded-find" in rules(fields)


def test_mongoose_projection_then_options_still_read():
    src = "const User = require('./models/User');\nUser.find({ team: t }, 'name email', { limit: 5, sort: { name: 1 } });\n"
    (q,) = mongo(extract("lib/users.js", src))
    assert (q.projection, q.limit, q.sort) == ({"name": 1, "email": 1}, 5, {"name": 1})
