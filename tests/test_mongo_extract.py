"""JS/TS, Python (pymongo) and shape-file extraction of Mongo queries, indexes and SQL."""

from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.ir import SqlQuery
from advisor.mongo.shape import MongoQuery, Placeholder, Regex
from advisor.sources import extract

JS = """\
const mongoose = require('mongoose');
const s = new mongoose.Schema({ sessionId: { type: String, unique: true }, expiresAt: { type: Date, expires: '24h' } },
  { collection: 'wallet_sessions' });
s.index({ address: 1, status: 1 }, { name: 'by_addr' });
const WalletSession = mongoose.model('WalletSession', s);
const LIMIT = 20;
async function f(id, page) {
  await WalletSession.find({ address: id, createdAt: { $gt: new Date() }, name: /^ab/i }, 'a -b')
    .sort('-createdAt name').skip(page * LIMIT).limit(LIMIT).lean();
  await db.collection('orders').find({ total: { $gte: 5 } }, { projection: { a: 1 }, sort: { total: -1 } }).toArray();
  await db.users.aggregate([{ $match: { status: `x` } }, { $group: { _id: '$a' } }]).toArray();
  [1, 2].find(x => x > 1);
  await pool.query('SELECT id FROM users WHERE id = $1', [id]);
  await pool.query(`SELECT id FROM users WHERE id = ${id}`);
  await prisma.$queryRaw`SELECT id FROM users WHERE id = ${id}`;
}
"""


def mongo(src):
    return [q for q in src.queries if isinstance(q, MongoQuery)]


def test_mongoose_chain_read_statically():
    src = extract("app.js", JS)
    q = mongo(src)[0]
    assert (q.collection, q.operation, q.model, q.lean) == ("wallet_sessions", "find", "WalletSession", True)
    assert q.filter["address"] == Placeholder("unknown", "id")
    assert q.filter["createdAt"]["$gt"].kind == "date" and q.filter["name"] == Regex("^ab", "i")
    assert q.projection == {"a": 1, "b": 0} and q.sort == {"createdAt": -1, "name": 1}
    assert q.limit == 20 and isinstance(q.skip, Placeholder)
    assert (q.location.line, q.location.col) == (8, 23)
    assert q.at("filter", "name").line == 8


def test_driver_and_mongosh_calls():
    qs = mongo(extract("app.js", JS))
    orders = qs[1]
    assert (orders.collection, orders.driver, orders.sort, orders.projection) == ("orders", True, {"total": -1}, {"a": 1})
    agg = qs[2]
    assert agg.collection == "users" and agg.pipeline[0] == {"$match": {"status": "x"}}
    assert len(qs) == 3  # Array.prototype.find is not a query


def test_indexes_from_schema_and_calls():
    src = extract("app.js", JS)
    got = {(i.table, i.name, tuple(i.options.get(k) for k in ("unique", "expireAfterSeconds"))) for i in src.indexes}
    assert got == {("wallet_sessions", "sessionId_1", (True, None)), ("wallet_sessions", "expiresAt_1", (None, 86400)),
                   ("wallet_sessions", "by_addr", (None, None))}


def test_sql_in_js_positions_and_string_building():
    src = extract("app.js", JS)
    sql = [q for q in src.queries if isinstance(q, SqlQuery)]
    assert [(q.location.line, q.dynamic) for q in sql] == [(13, False), (14, True), (15, False)]
    assert sql[0].textmap.locate(0).col == 21
    assert sql[2].text == "SELECT id FROM users WHERE id = $1"  # tagged template: parameterised
    assert [(b.how, b.location.line) for b in src.string_built] == [("template literal", 14)]


def test_typescript_and_parse_errors():
    ts = "const x: number = 1;\nconst r = await User.find({ a: x } as any).limit(1);\n"
    q = mongo(extract("a.ts", ts))[0]
    assert q.filter == {"a": 1} and q.collection == "users"
    bad = extract("b.js", "function ( {\n")
    assert bad.errors and "parser could not read this" in bad.errors[0][1] and bad.errors[0][0].line == 1
    # valid JavaScript tree-sitter stops on (ASI ends the arrow function before `[`): no claim that the code is wrong
    valid = "const g = (f, i = 0) => {\n  return f\n}\n\n[...a, ...b].forEach((x) => g(x))\n"
    assert all("syntax error" not in message for _, message in extract("c.js", valid).errors)


def test_pymongo_calls():
    py = ("from pymongo import DESCENDING\nimport re\ndb = client.shop\n"
          "db.orders.create_index([('customer', 1), ('created', DESCENDING)], unique=True)\n"
          "rows = db.orders.find({'customer': c}, {'total': 1}).sort('created', -1).limit(5)\n"
          "db['users'].find_one({'name': re.compile('x', re.I)})\n")
    src = extract("app.py", py)
    q1, q2 = mongo(src)
    assert (q1.collection, q1.sort, q1.limit, q1.projection) == ("orders", {"created": -1}, 5, {"total": 1})
    assert q2.collection == "users" and q2.filter["name"] == Regex("x", "i")
    assert src.indexes[0].name == "customer_1_created_-1" and src.indexes[0].unique


def test_shape_files_and_other_json():
    src = extract("shapes.yaml", "queries:\n  - collection: o\n    filter: {a: 1}\n    sort: {b: -1}\n")
    q = mongo(src)[0]
    assert (q.collection, q.filter, q.sort, q.location.line) == ("o", {"a": 1}, {"b": -1}, 2)
    assert mongo(extract("orders.json", '[{"$match": {"a": {"$gt": 1}}}]'))[0].operation == "aggregate"
    for other in ('{"name": "x", "scripts": {}}', "{ broken", '{"$schema": "x", "properties": {"a": {"$ref": "y"}}}',
                  '{"queryPlanner": {"parsedQuery": {"a": {"$eq": 1}}}}', "- a\n- b\n", ""):
        got = extract("package.json", other)
        assert not got.queries and not got.errors


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="{}[]()'\"`$.:,;=> \nabcfindsortlimitdbMo1-/\\^", max_size=120))
def test_random_js_never_crashes(text):
    extract("fuzz.js", text)
    extract("fuzz.ts", text)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="{}[]:,\"' \n-$abcmatchfiltercollection12", max_size=120))
def test_random_json_yaml_never_crashes(text):
    assert not extract("f.json", text).errors
    assert not extract("f.yaml", text).errors


def test_an_option_given_by_its_name_is_the_object_it_holds():
    # holdout 94's saml-jackson: `const sort = { createdAt: ... }` handed as `{ sort, skip, limit }`
    src = extract("store.js", (
        "async function byIndex(db, key, sortOrder, skip, limit) {\n"
        "  const sort = { createdAt: sortOrder === 'ASC' ? 'asc' : 'desc' };\n"
        "  return db.collection('store').find({ indexes: key }, { sort, skip, limit }).toArray();\n"
        "}\n"
    ))
    (q,) = mongo(src)
    assert list(q.sort) == ["createdAt"]  # the key it sorts on; its direction is the caller's
    assert isinstance(q.skip, Placeholder) and isinstance(q.limit, Placeholder)


def test_a_filter_given_in_one_branch_of_several_carries_the_others():
    # holdout 96's Calipso: `query` is one of four filters chosen by `template.to`
    src = extract("mail.js", (
        "function send(User, template, data) {\n"
        "  var query;\n"
        "  if (template.to === 'Everyone') { query = {}; }\n"
        "  else if (template.to === 'Administrators') { query = { roles: 'Administrator' }; }\n"
        "  else { query = { id: template.to }; }\n"
        "  return User.find(query);\n"
        "}\n"
        "function one(User, name) {\n"
        "  var query = { a: 1 };\n"
        "  query = { username: name };\n"
        "  return User.find(query);\n"
        "}\n"
    ))
    chosen, plain = mongo(src)
    assert list(chosen.filter) == ["id"] and [list(v) for v in chosen.variants] == [[], ["roles"]]
    assert plain.variants == () and list(plain.filter) == ["username"]  # written over on every run


def test_a_member_of_a_constant_object_is_the_text_it_holds():
    # holdout 99's chrono-mongo-datastore names its indexes by `IndexNames.CLAIM_DOCUMENT_INDEX`, a member of an
    # object literal given once; a key written `[Fields.STATUS]` is the same. An object whose member the file sets is
    # not the literal's value everywhere, so it stays unknown.
    src = extract("store.js", (
        "const IndexNames = { CLAIM: 'chrono-claim-document-index' };\n"
        "const Fields = { STATUS: 'status' };\n"
        "const Moving = { KEY: 'kind' };\n"
        "Moving.KEY = process.env.KEY;\n"
        "async function ensure(db) {\n"
        "  await db.collection('tasks').createIndex({ kind: 1, status: 1 }, { name: IndexNames.CLAIM });\n"
        "}\n"
        "async function byStatus(db, s) {\n"
        "  return db.collection('tasks').find({ [Fields.STATUS]: s, [Moving.KEY]: 1 }).toArray();\n"
        "}\n"
    ))
    assert [i.name for i in src.indexes] == ["chrono-claim-document-index"]
    (q,) = mongo(src)
    assert list(q.filter) == ["status"] and q.partial  # Moving.KEY: set at run time, a key unknown
