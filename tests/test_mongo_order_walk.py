"""Holdout 49 (sidetree): `find({ transactionTime: t }).sort({ transactionNumber: 1 })` with only a unique index on
transactionNumber. No index bounds the filter, so the server walks transactionNumber_1 from end to end for its order
and fetches every document to test transactionTime: a scan of the collection in the index's order, claimed as one.
Not where the walked index holds the filter's fields (tested on its keys, only the matches fetched), nor for a
listing of everything in order."""

from advisor import catalogue, engine

CONFIG = 'large-tables = ["*"]\n'
STORE = """\
const {{ MongoClient }} = require('mongodb');

async function setup(db) {{
  await db.collection('transactions').createIndex({index}, {{ unique: true }});
}}

async function byTime(db, t) {{
  return db.collection('transactions').find({filter}).sort({{ transactionNumber: 1 }}).toArray();
}}

module.exports = {{ setup, byTime }};
"""


def scans(project, index: str, filter_: str) -> list[str]:
    project({"advisor.toml": CONFIG, "store.js": STORE.format(index=index, filter=filter_)})
    return [f.message for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "collection-scan"]


def test_a_filter_no_index_bounds_read_through_the_sort_index_is_a_scan(project):
    found = scans(project, "{ transactionNumber: 1 }", "{ transactionTime: t }")
    assert len(found) == 1
    assert "reads every document of the transactions collection: no index starts with transactionTime" in found[0]
    assert "walks transactionNumber_1" in found[0]


def test_no_claim_where_the_walked_index_holds_the_filters_fields(project):
    assert scans(project, "{ transactionNumber: 1, transactionTime: 1 }", "{ transactionTime: t }") == []


def test_no_claim_for_a_listing_in_order(project):
    assert scans(project, "{ transactionNumber: 1 }", "{}") == []


def test_no_claim_where_an_index_bounds_the_filter(project):
    assert scans(project, "{ transactionTime: 1, transactionNumber: 1 }", "{ transactionTime: t }") == []
