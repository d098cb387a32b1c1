"""Index lists kept as a table of key lists, keyed by collection, applied in a loop over the table (holdout 31's
billy: `all_indexes = {'votes': [[('bill_id', ASCENDING), ('date', ASCENDING)], ...], 'legislators': [...,
{'role_and_name_parts': [...]}]}`, then `for index in all_indexes[collection]: db[collection].ensure_index(index)`).
Each collection's indexes are its own; a list the code appends to at run time (`all_indexes['bills'].append(index)`)
holds entries advisor cannot read, so nothing is claimed absent on that collection."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

INDEXES = """\
import pymongo
from app.core import db


def ensure(collections=None):
    all_indexes = {
        'votes': [
            [('bill_id', pymongo.ASCENDING), ('date', pymongo.ASCENDING)],
        ],
        'legislators': [
            [('_all_ids', pymongo.ASCENDING)],
            {'by_role': [('roles.type', pymongo.ASCENDING), ('last_name', pymongo.ASCENDING)]},
        ],
        'bills': [
            [('_all_ids', pymongo.ASCENDING)],
        ],
    }
    for keys in [('chamber',), ('session', 'chamber')]:
        index = [(k, pymongo.ASCENDING) for k in keys]
        all_indexes['bills'].append(index)
    for collection in collections or all_indexes.keys():
        for index in all_indexes[collection]:
            if isinstance(index, list):
                db[collection].ensure_index(index)
            elif isinstance(index, dict):
                name, index_spec = index.items()[0]
                db[collection].ensure_index(index_spec, name=name)
"""

VIEWS = """\
from app.core import db


def legislator(leg_id):
    return db.legislators.find_one({'_all_ids': leg_id})


def by_role(kind):
    return list(db.legislators.find({'roles.type': kind}).sort('last_name', 1))


def votes(state):
    return list(db.votes.find({'state': state}))


def bills(chamber):
    return list(db.bills.find({'chamber': chamber, 'session': '2013'}))
"""


def _load(project):
    project({"app/__init__.py": "", "app/indexes.py": INDEXES, "app/views.py": VIEWS})
    return load_project(["."], Options()).schema


def test_each_collection_gets_its_own_key_lists(project):
    schema = _load(project)
    names = {t: sorted(i.name for i in schema.indexes if i.table == t) for t in ("votes", "legislators")}
    assert names == {"votes": ["bill_id_1_date_1"], "legislators": ["_all_ids_1", "by_role"]}
    assert not any(i.table.startswith("<") for i in schema.indexes)  # every application named by the table


def test_a_list_the_code_appends_to_is_not_read_whole(project):
    schema = _load(project)
    bills = [i for i in schema.indexes if i.table == "bills"]
    assert [i.name for i in bills if i.method == "mongo"] == ["_all_ids_1"]
    assert any(i.method == "mongo-unread" for i in bills)


def test_claims_follow_the_table(project):
    project(
        {
            "app/__init__.py": "",
            "app/indexes.py": INDEXES,
            "app/views.py": VIEWS,
            "advisor.toml": 'large-tables = ["*"]\n',
        }
    )
    found = [(catalogue.lookup(f.rule).name, f) for f in engine.check(["."]).active]
    scans = [f.message for name, f in found if name == "collection-scan"]
    assert len(scans) == 1 and scans[0].startswith("votes.find")  # no index starts with state
    assert not any(name == "in-memory-sort" for name, _ in found)  # by_role serves roles.type, then last_name
    # nothing is claimed on bills, whose appended keys advisor cannot read: the one note that says so names it
    coverage = ("no-index-declarations", "incomplete-schema")
    assert not any("bills" in f.message for name, f in found if name not in coverage)
    notes = [f.message for name, f in found if name == "incomplete-schema"]
    assert len(notes) == 1 and "on bills" in notes[0] and "collection-scan" in notes[0]


def test_a_key_joined_from_a_literal_and_a_setting_meets_the_querys_key(project):
    """`('roles.' + settings.LEVEL_FIELD, ASCENDING)`: the key `roles.<that setting>`, which a query under `roles`
    writes as `{'roles': {'$elemMatch': {settings.LEVEL_FIELD: abbr}}}`; the index serves it, no scan is claimed."""
    indexes = """\
import pymongo
from app.core import db, settings

db.legislators.ensure_index([('roles.' + settings.LEVEL_FIELD, pymongo.ASCENDING), ('roles.term', pymongo.ASCENDING)])
db.legislators.ensure_index([('_all_ids', pymongo.ASCENDING)])
"""
    views = """\
from app.core import db, settings

def members(abbr, term):
    return list(db.legislators.find({'roles': {'$elemMatch': {settings.LEVEL_FIELD: abbr, 'term': term}}}))

def by_party(party):
    return list(db.legislators.find({'party': party}))
"""
    project(
        {
            "app/__init__.py": "",
            "app/indexes.py": indexes,
            "app/views.py": views,
            "advisor.toml": 'large-tables = ["*"]\n',
        }
    )
    found = [(catalogue.lookup(f.rule).name, f) for f in engine.check(["."]).active]
    scans = [f.location.line for name, f in found if name == "collection-scan"]
    assert scans == [7]  # by_party's; members' $elemMatch is served by roles.<setting>
