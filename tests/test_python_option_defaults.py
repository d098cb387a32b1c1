"""A table or collection a caller's option names, with a default (holdout 69's pyncette: `self._table_name =
kwargs.get("postgres_table_name", "pyncette_tasks")`, then `f"SELECT * FROM {self._table_name} ..."` and its DDL in an
f-string the schema file runs at start-up; `self._db[kwargs.get("mongodb_collection_name", "tasks")]`): the default is
the name, in the statements, in the schema's strings and for MongoDB alike, as a JS option's `?? "kv"` is."""

from advisor.loader import load_project
from advisor.mongo.shape import MongoQuery
from advisor.options import Options
from advisor.sources import extract

REPO = '''\
class PostgresRepository:
    def __init__(self, pool, **kwargs):
        self._pool = pool
        self._table_name = kwargs.get("postgres_table_name", "pyncette_tasks")

    async def initialize(self):
        async with self._pool.acquire() as connection:
            await connection.execute(
                f"""
                CREATE TABLE IF NOT EXISTS {self._table_name} (name text PRIMARY KEY, parent_name text);
                CREATE INDEX IF NOT EXISTS due_{self._table_name} ON {self._table_name} (parent_name);
                """
            )

    async def get(self, connection, name):
        return await connection.fetchrow(f"SELECT * FROM {self._table_name} WHERE name = $1", name)
'''


def test_the_options_default_names_the_table_in_the_statements_and_the_schema(project):
    project({"repo.py": REPO, "advisor.toml": 'schema = ["repo.py"]\n'})
    loaded = load_project(["."], Options())
    texts = [" ".join(q.text.split()) for s in loaded.sources for q in s.queries]
    assert "SELECT * FROM pyncette_tasks WHERE name = $1" in texts
    assert set(loaded.schema.tables) == {"pyncette_tasks"}
    assert sorted((i.table, i.columns) for i in loaded.schema.indexes) == [
        ("pyncette_tasks", ("name",)),
        ("pyncette_tasks", ("parent_name",)),
    ]


def test_a_name_set_twice_or_without_a_default_stays_unknown(project):
    twice = REPO.replace(
        '        self._pool = pool\n', '        self._pool = pool\n        self._table_name = kwargs["table"]\n'
    )
    for text in (twice, REPO.replace(', "pyncette_tasks")', ")")):
        project({"repo.py": text, "advisor.toml": 'schema = ["repo.py"]\n'})
        loaded = load_project(["."], Options())
        assert set(loaded.schema.tables) == set()
        assert not any("pyncette_tasks" in q.text for s in loaded.sources for q in s.queries)


MONGO = '''\
from pymongo import MongoClient, ASCENDING


class MongoRepository:
    def __init__(self, **kwargs):
        self._db = MongoClient()["pyncette"]
        self._coll = self._db[kwargs.get("mongodb_collection_name", "tasks")]

    def initialize(self):
        self._coll.create_index([("partition_id", ASCENDING), ("task_id", ASCENDING)], unique=True)

    def get(self, pid, tid):
        return self._coll.find_one({"partition_id": pid, "task_id": tid})
'''


def test_a_collection_an_option_names_by_default():
    found = extract("mongo.py", MONGO)
    assert [(q.collection, q.operation) for q in found.queries if isinstance(q, MongoQuery)] == [("tasks", "find_one")]
    assert [i.table for i in found.indexes] == ["tasks"]
