"""index-option-conflict claims the server meets one key pattern twice: not after the collection is dropped,
and not across a method and the override that replaces it (zaqar's reset helpers and FIFO controllers).

Each snippet is written here in the style of the code it stands for; none is copied from it."""

from advisor.checks.mongo_declared import index_option_conflict
from advisor.ir import Schema
from advisor.sources import extract


def conflicts(text: str) -> list[int]:
    indexes = extract("store.py", text).indexes
    return sorted(hit.location.line for hit in index_option_conflict(Schema(indexes=indexes)))


def test_a_declaration_after_the_collection_is_dropped_meets_no_index():
    text = """\
class Pools:
    def __init__(self, db):
        self._col = db.pools
        self._col.create_index([("n", 1)], name="pools_name", unique=True)

    def drop_all(self):
        self._col.drop()
        self._col.create_index([("n", 1)], unique=True)

    async def reset(self):
        await self._col.drop_indexes()
        self._col.create_index([("n", 1)], name="by_name", unique=True)
        self._col.create_index([("n", 1)], name="again", unique=True)
"""
    # drop_all's and reset's first declarations meet no index; reset's second meets its first
    assert conflicts(text) == [13]


def test_a_drop_of_another_collection_or_after_the_declaration_changes_nothing():
    text = """\
class Pools:
    def __init__(self, db):
        self._col = db.pools
        self._other = db.flavors
        self._col.create_index([("n", 1)], name="pools_name", unique=True)

    def reset(self):
        self._other.drop()
        self._col.create_index([("n", 1)], unique=True)
        self._col.drop()
"""
    assert conflicts(text) == [9]


BASE = """\
class Messages:
    def __init__(self, db):
        self._ensure_indexes(db.messages)

    def _ensure_indexes(self, collection):
        collection.create_index([("k", 1), ("q", 1)], name="queue_marker")


class FifoMessages(Messages):
    def _ensure_indexes(self, collection):
{body}
"""


def test_an_override_that_replaces_the_method_is_an_alternative_not_a_second_declaration():
    body = '        collection.create_index([("k", 1), ("q", 1)], name="queue_marker", unique=True)'
    assert conflicts(BASE.format(body=body)) == []


def test_an_override_that_calls_the_base_declares_both():
    body = """\
        super()._ensure_indexes(collection)
        collection.create_index([("k", 1), ("q", 1)], name="queue_marker", unique=True)"""
    assert conflicts(BASE.format(body=body)) == [12]


def test_two_overrides_of_one_method_are_alternatives_and_unrelated_classes_are_not():
    text = (
        BASE.format(body='        collection.create_index([("k", 1), ("q", 1)], name="fifo", unique=True)')
        + """

class Lifo(Messages):
    def _ensure_indexes(self, collection):
        collection.create_index([("k", 1), ("q", 1)], name="lifo", sparse=True)


class Audit:
    def _ensure_indexes(self, collection):
        self.db.messages.create_index([("k", 1), ("q", 1)], name="audit", unique=True)
"""
    )
    # Audit is no variant of Messages: it is paired with the first declaration a server would also run
    assert conflicts(text) == [21]


def test_the_same_declaration_in_a_subclass_method_of_another_name_still_conflicts():
    text = """\
class Messages:
    def _ensure_indexes(self):
        self.db.messages.create_index([("k", 1)], name="marker")


class FifoMessages(Messages):
    def _ensure_more(self):
        self.db.messages.create_index([("k", 1)], name="marker_unique", unique=True)
"""
    assert conflicts(text) == [8]


def test_a_mongoose_schema_index_that_asks_less_than_its_field_declaration_is_no_conflict():
    """@openneuro/server's WorkerTask: `id: { type: String, unique: true }` and `schema.index({ id: 1 })`. mongoose
    builds a schema's field indexes before its schema.index() ones, so the unique one exists first and the plain one
    is refused with a warning: nothing it asks for is lost. The other way round (the schema.index() asking for
    unique, the field for a plain index), the unique constraint is never built: a conflict that matters."""
    model = """\
const {{ Schema, model }} = require("mongoose")
const taskSchema = new Schema({{
  id: {{ type: String, {field} }},
  state: String,
}})
taskSchema.index({{ id: 1 }}{explicit})
module.exports = model("WorkerTask", taskSchema)
"""
    found = lambda text: sorted(  # noqa: E731
        hit.location.line for hit in index_option_conflict(Schema(indexes=extract("task.js", text).indexes))
    )
    assert found(model.format(field="unique: true", explicit="")) == []
    assert found(model.format(field="index: true", explicit=", { unique: true }")) == [6]
