"""A Python project reaching MongoDB the way holdout 29's blockchain database does: every query through its
connection class's `conn.collection('transactions')` (a proxy that replays `client[db][name]`), its indexes in
a dict of `(keys, options)` pairs applied by a function the module calls with `INDEXES[name]`
(`for fields, kwargs in indexes: conn.conn[dbname][collection].create_index(fields, **kwargs)`), and a
double-spend check `{inputs: {$elemMatch: {$and: [...]}}}` that the multikey compound index serves."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.mongo.filters import analyse_filter
from advisor.options import Options

SCHEMA = """\
from pymongo import ASCENDING, DESCENDING

INDEXES = {
    'transactions': [
        ('id', dict(unique=True, name='transaction_id')),
        ([('inputs.fulfills.transaction_id', ASCENDING),
          ('inputs.fulfills.output_index', ASCENDING)], dict(name='inputs')),
    ],
    'blocks': [
        ([('height', DESCENDING)], dict(name='height', unique=True)),
    ],
}
TABLES = ('transactions', 'blocks')


def create_tables(conn, dbname):
    for table_name in TABLES:
        create_indexes(conn, dbname, table_name, INDEXES[table_name])


def create_indexes(conn, dbname, collection, indexes):
    for fields, kwargs in indexes:
        conn.conn[dbname][collection].create_index(fields, **kwargs)
"""

QUERY = """\
from pymongo import DESCENDING


def get_transaction(conn, transaction_id):
    return conn.run(conn.collection('transactions').find_one({'id': transaction_id}, {'_id': 0}))


def get_spent(conn, transaction_id, output):
    query = {'inputs': {'$elemMatch': {'$and': [{'fulfills.transaction_id': transaction_id},
                                                {'fulfills.output_index': output}]}}}
    return conn.run(conn.collection('transactions').find(query, {'_id': 0}))


def get_block_with_transaction(conn, txid):
    return conn.run(conn.collection('blocks').find({'transactions': txid}, projection={'_id': False}))


def get_latest_block(conn):
    return conn.run(conn.collection('blocks').find_one(projection={'_id': False}, sort=[('height', DESCENDING)]))
"""

SETTINGS = """\
def host(settings):
    return settings['mongo']['host'].find('.')
"""


def test_queries_through_a_connection_helper_and_indexes_from_pairs_applied_by_a_function(project):
    project({"app/schema.py": SCHEMA, "app/query.py": QUERY, "app/settings.py": SETTINGS, "advisor.toml": ""})
    loaded = load_project(["."], Options())
    shapes = sorted((s.path, q.location.line, q.collection, q.operation) for s in loaded.sources for q in s.queries)
    assert shapes == [
        ("app/query.py", 5, "transactions", "find_one"),
        ("app/query.py", 11, "transactions", "find"),
        ("app/query.py", 15, "blocks", "find"),
        ("app/query.py", 19, "blocks", "find_one"),
    ]  # not `settings['mongo']['host'].find('.')`, a string's, in a module that imports no driver
    declared = sorted((ix.table, ix.columns, bool(ix.unique)) for ix in loaded.schema.indexes)
    assert declared == [
        ("blocks", ("height",), True),
        ("transactions", ("id",), True),
        ("transactions", ("inputs.fulfills.transaction_id", "inputs.fulfills.output_index"), False),
    ]
    active = engine.check(["."]).active
    found = {(catalogue.lookup(f.rule).name, f.location.line) for f in active}
    assert ("unknown-size", 15) in found  # blocks by `transactions`: no index; the claim waits on its size
    assert not any(name == "collection-scan" for name, _ in found)  # the double-spend check is served
    (note,) = [f for f in active if catalogue.lookup(f.rule).name == "unknown-size"]
    assert note.message.startswith(
        "advisor does not know whether this collection grows large, so it did not make the one claim that only "
        "matters on a large collection: blocks (1 collection-scan;"
    )  # a collection, not a table


def test_elem_match_on_subdocuments_bounds_their_paths_also_under_and():
    both = {"inputs": {"$elemMatch": {"$and": [{"fulfills.id": 1}, {"fulfills.n": 2}]}}}
    plain = {"inputs": {"$elemMatch": {"fulfills.id": 1, "fulfills.n": 2}}}
    values = {"scores": {"$elemMatch": {"$gte": 80, "$lt": 90}}}
    fields = lambda flt: sorted((p.field, p.kind) for p in analyse_filter(flt).preds)  # noqa: E731
    assert (
        fields(both) == fields(plain) == [("inputs", "has"), ("inputs.fulfills.id", "eq"), ("inputs.fulfills.n", "eq")]
    )
    assert fields(values) == [("scores", "elem")]  # on the array's values: no field of an element
