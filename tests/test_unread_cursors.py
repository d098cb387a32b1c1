"""A cursor built and never read sends no query (holdout 15, bitcore-wallet-service): `if
(!db.collection('stats').find())` tests the cursor object, which is always truthy, and `coll.find({});` drops it.
The driver sends a query when a cursor is read; mongoose runs a Query when it is awaited, executed or given a
callback.  Such a call is no query; every way of reading one still is."""

from advisor.sources import extract


def _lines(src: str) -> list[int]:
    return sorted(q.location.line for q in extract("s.js", src, "postgres").queries if getattr(q, "collection", None))


def test_a_cursor_dropped_or_tested_for_truth_is_no_query():
    src = """\
async function update(db) {
  if (!db.collection('stats_wallets').find()) {
    await db.createCollection('stats_wallets');
  }
  db.collection('adverts').find({});
  db.collection('adverts').find({ a: 1 }).sort({ b: 1 }).limit(5);
  if (db.collection('x').aggregate([{ $match: { a: 1 } }])) { return 1; }
}
"""
    assert _lines(src) == []


def test_every_way_of_reading_a_cursor_is_a_query():
    src = """\
async function read(db, cb, Model) {
  const rows = await db.collection('a').find({ x: 1 }).toArray();
  db.collection('b').find({ x: 1 }).forEach(doc => cb(doc));
  db.collection('c').find({ x: 1 }, (err, cursor) => cb(cursor));
  await Model.find({ x: 1 });
  const cursor = db.collection('d').find({ x: 1 });
  for await (const doc of cursor) cb(doc);
  if (!(await db.collection('e').findOne({ x: 1 }))) cb();
  db.collection('f').updateOne({ x: 1 }, { $set: { y: 2 } });
  db.collection('h').find({ x: 1 }).sort({ t: -1 }).limit(10, cb);
  return db.collection('g').find({ x: 1 });
}
"""
    assert _lines(src) == [2, 3, 4, 5, 6, 8, 9, 10, 11]  # 10: mongojs's limit(n, callback) runs it


def test_a_statement_at_the_top_level_of_a_script_is_read_by_the_shell():
    """mongosh prints the cursor a line leaves, and a shape file is written so: `db.accounts.find(q);` is a query."""
    src = "db.accounts.find({ credits: { $gt: 5 } });\ndb.players.aggregate([{ $match: { a: 1 } }]);\n"
    assert _lines(src) == [1, 2]
