"""An execution method held in a name is an execution call: red-discordbot 3.5.24's PostgreSQL driver runs every
statement through `_execute(cls, query, *args, method=None)`, which does `method = cls._pool.execute` (or takes
`self._pool.fetchval` from its caller) and then `await method(query, *args)`; its six statements were not read
(holdout 14).  The helper that forwards its parameter to such a call is then a helper like any other."""

from advisor import engine
from advisor.loader import load_project
from advisor.options import Options

DRIVER = """
class Driver:
    _pool = None

    async def get(self, key):
        return await self._execute("SELECT value FROM settings WHERE key = $1", key, method=self._pool.fetchval)

    async def clear(self, key):
        await self._execute("DELETE FROM settings WHERE key = " + key)

    @classmethod
    async def _execute(cls, query, *args, method=None):
        if method is None:
            method = cls._pool.execute
        return await method(query, *args)


async def run(pool, statement, run_it=None):
    run_it = run_it or pool.fetch
    return await run_it(statement)


async def listing(pool):
    return await run(pool, "SELECT id FROM jobs WHERE queue = $1")


def greet(method):
    return method("hello world, not a statement")
"""


def test_a_call_of_a_held_execution_method_runs_its_text(project):
    project({"advisor.toml": 'dialect = "postgres"\n', "driver.py": DRIVER})
    loaded = load_project(["."], Options())
    texts = sorted(q.text for s in loaded.sources for q in s.queries)
    assert texts == [
        "DELETE FROM settings WHERE key = {}",  # built at run time: a placeholder for the concatenated value
        "SELECT id FROM jobs WHERE queue = $1",
        "SELECT value FROM settings WHERE key = $1",
    ]
    found = {(f.location.line, f.rule) for f in engine.check(["."]).active}
    assert (8, "SQL015") in found  # the concatenated DELETE: sql-string-building, through the helper
    assert not any(line == 36 for line, _ in found)  # a name holding some other function: not an execution
