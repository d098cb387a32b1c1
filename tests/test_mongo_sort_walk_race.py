"""A page of documents sorted by what an index gives from its first key (holdout 31's billy: `events.find({state})
.sort('when', -1).limit(20)` beside `{when: -1, state: 1, type: 1}` and `{state: 1, 'related_bills.bill_id': 1,
when: -1}`): the server races a walk down the `when` index, testing each entry's state and stopping at 20, against
sorting every match the state index finds. Which wins depends on the data, so no in-memory sort is claimed. Where no
index gives the order (`updated_at`), or only one that must fetch every document to test the filter (`_id`), the
claim stands."""

from advisor import catalogue, engine

INDEXES = """\
import pymongo
from app.core import db

db.events.ensure_index([('when', pymongo.DESCENDING), ('state', pymongo.ASCENDING), ('type', pymongo.ASCENDING)])
db.events.ensure_index([('state', pymongo.ASCENDING), ('related_bills.bill_id', pymongo.ASCENDING), ('when', pymongo.DESCENDING)])
"""

VIEWS = """\
import pymongo
from app.core import db

def recent(state):
    return list(db.events.find({'state': state}, sort=[('when', pymongo.DESCENDING)]).limit(20))

def updated(state):
    return list(db.events.find({'state': state}).sort('updated_at', pymongo.DESCENDING).limit(20))

def latest(state, kinds):
    return list(db.events.find({'state': state, 'type': {'$in': kinds}, 'done': False}).sort('_id', -1).limit(1))
"""


def test_a_page_in_an_indexes_order_is_a_race_one_no_index_orders_is_not(project):
    project(
        {
            "app/__init__.py": "",
            "app/indexes.py": INDEXES,
            "app/views.py": VIEWS,
            "advisor.toml": 'large-tables = ["*"]\n',
        }
    )
    sorts = [f.location.line for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "in-memory-sort"]
    # updated()'s; latest()'s too: a walk down _id fetches every document to test the filter, as bad as the sort;
    # recent()'s page may walk the when index, which holds state
    assert sorts == [8, 11]
