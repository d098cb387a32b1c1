"""SQL a Python module runs on a SQLite connection is SQLite's, not the configured database's (LightRAG keeps its
scan spool in a `sqlite3` file beside its PostgreSQL storage): no PostgreSQL rule and no note about the schema
speaks of it, and what it splices into its text is still SQL built from strings. Written here, none copied."""

import textwrap

from advisor import catalogue, engine

SPOOL = '''
import sqlite3


class Spool:
    def __init__(self, path):
        self._connection = sqlite3.connect(path)
        self._connection.executescript("CREATE TABLE candidates (sequence INTEGER PRIMARY KEY, key TEXT, path TEXT)")

    def find(self, key):
        return self._connection.execute("SELECT path FROM candidates WHERE key = ?", (key,)).fetchone()

    def page(self, after, key):
        cur = self._connection.cursor()
        cur.execute(f"SELECT path FROM candidates WHERE sequence > ? AND key = '{key}'", (after,))
        return cur.fetchall()


def scratch(path, name):
    with sqlite3.connect(path) as db:
        return db.execute("SELECT path FROM candidates WHERE path = ?", (name,)).fetchall()


def postgres(conn, name):  # a parameter: any connection, so the configured database's
    return conn.execute("SELECT id FROM jobs WHERE name = %s", (name,)).fetchall()
'''


def test_sql_run_on_a_sqlite_connection_is_sqlites(project):
    project({
        "advisor.toml": 'large-tables = ["*"]\nschema = ["schema.sql"]\n',
        "schema.sql": "CREATE TABLE jobs (id bigint PRIMARY KEY, name text);\n",
        "spool.py": textwrap.dedent(SPOOL),
    })
    found = [(f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active]
    # the PostgreSQL statement keeps its claim; the SQLite ones make none, and no note names `candidates`
    assert (24, "missing-index") in found, found
    assert not [f for f in found if f[1] in ("incomplete-schema", "missing-index", "parse-error") and f[0] != 24], found
    # a value spliced into SQLite's SQL is still SQL built from strings
    assert (14, "sql-string-building") in found, found


AIOSQLITE = '''
from typing import Optional

import aiosqlite


class SqliteBackend:
    def __init__(self, path):
        self._path = path
        self._conn: Optional[aiosqlite.Connection] = None

    async def open(self):
        self._conn = await aiosqlite.connect(self._path)

    async def queued(self, name):
        async with self._conn.execute("SELECT id FROM jobs WHERE name = ? AND unique_job = 1", (name,)) as cur:
            return await cur.fetchall()

    async def close(self):
        await self._conn.close()
        self._conn = None
'''


def test_a_connection_member_empty_until_it_connects_is_sqlites(project):
    """elephantq's optional SQLite backend (holdout 41): `self._conn` is None until aiosqlite connects, and again once
    closed; None is no other database's connection, so its statements are SQLite's, never planned on PostgreSQL."""
    project({
        "advisor.toml": 'large-tables = ["*"]\nschema = ["schema.sql"]\n',
        "schema.sql": "CREATE TABLE jobs (id bigint PRIMARY KEY, name text, unique_job boolean);\n",
        "backend.py": textwrap.dedent(AIOSQLITE),
    })
    from advisor.loader import load_project
    from advisor.options import Options

    queries = load_project(["."], Options()).sql_queries
    assert [q.dialect for q in queries if q.location.path == "backend.py"] == ["sqlite"]
    assert not [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "missing-index"]
