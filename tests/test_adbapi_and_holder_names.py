"""Holdout 67's cowrie: its PostgreSQL output runs every statement through Twisted's adbapi pool
(`self.db.runQuery(sql, args)`, `runOperation`), which is an execution call; its shell's
`self.protocol.cmdstack.remove(self)` is a list's, not a MongoDB collection's (`protocol` ends in `col` but is not
named for one); and the SQLite schema beside the PostgreSQL one (`docs/sql/sqlite3.sql`) is SQLite's, not part of
the PostgreSQL schema advisor builds."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.mongo.shape import MongoQuery
from advisor.options import Options
from advisor.sources import extract
from advisor.sources.mongo_names import named_for_collection

OUTPUT = '''\
from twisted.enterprise import adbapi


class Output:
    def start(self):
        self.db = adbapi.ConnectionPool("psycopg2", database="cowrie")

    def simpleQuery(self, sql, args):
        return self.db.runQuery(sql, args)

    def client(self, version):
        return self.db.runQuery("SELECT id FROM clients WHERE version = %s", (version,))

    def login(self, session, user):
        self.simpleQuery("INSERT INTO auth (session, username) VALUES (%s, %s)", (session, user))
        return self.db.runOperation("UPDATE sessions SET endtime = now() WHERE id = %s", (session,))
'''


def test_twisteds_pool_runs_the_statements_it_is_given():
    texts = [q.text for q in extract("output.py", OUTPUT).queries]
    assert texts == [
        "SELECT id FROM clients WHERE version = %s",
        "INSERT INTO auth (session, username) VALUES (%s, %s)",
        "UPDATE sessions SET endtime = now() WHERE id = %s",
    ]


SHELL = '''\
import pymongo


class HoneyPotShell(Shell):  # `self.protocol` set by the framework's base class
    def __init__(self, jobs_collection):
        self.jobs_collection = jobs_collection

    def leave(self):
        self.protocol.cmdstack.remove(self)
        return self.jobs_collection.find_one({"state": "done"})
'''


def test_a_member_named_for_its_collection_is_one_and_protocol_is_not():
    found = [(q.collection, q.operation) for q in extract("shell.py", SHELL).queries if isinstance(q, MongoQuery)]
    assert found == [("jobs", "find_one")]  # the list's remove is no query
    assert [named_for_collection(n) for n in ("protocol", "cols", "_coll", "jobs_col", "jobsCollection", "mycol")] == [
        False, True, True, True, True, False,
    ]


def test_another_databases_schema_file_is_not_in_the_schema(project):
    project({
        "advisor.toml": 'large-tables = ["*"]\nschema = ["docs/sql/postgres.sql"]\n',
        "docs/sql/postgres.sql": "CREATE TABLE clients (id serial PRIMARY KEY, version text);\n",
        "docs/sql/sqlite3.sql": "CREATE TABLE clients (id INTEGER PRIMARY KEY, version TEXT);\n"
        "CREATE INDEX clients_version ON clients (version);\n",
        "q.sql": "SELECT id FROM clients WHERE version = $1;\n",
    })
    assert [(i.table, i.columns) for i in load_project(["."], Options()).schema.indexes] == [("clients", ("id",))]
    names = [catalogue.lookup(f.rule).name for f in engine.check(["."]).active if f.location.path == "q.sql"]
    assert names == ["missing-index"]  # SQLite's index serves no PostgreSQL query
