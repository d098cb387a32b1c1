"""A table a Python class names through a property or a constructor parameter's default (holdout 79's
llama-agents-server: `def __init__(self, ..., events_table_name: str = "wf_events")`, `self._events_table_name =
events_table_name`, then `@property def _ticks_ref(self): return f"{self._schema}.wf_ticks" if ... else "wf_ticks"`,
and `f"SELECT ... FROM {self._ticks_ref} WHERE run_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3"`): the
statement is on that table, whatever schema the run qualifies it with. A property whose returns name two tables, or
a parameter whose defaults differ, names none."""

import pytest

from advisor.loader import load_project
from advisor.options import Options

STORE = '''\
class Store:
    def __init__(self, pool, schema=None, events_table_name: str = "wf_events"):
        self._pool = pool
        self._schema = schema
        self._events_table_name = events_table_name

    @property
    def _events_ref(self) -> str:
        if self._schema:
            return f"{self._schema}.{self._events_table_name}"
        return self._events_table_name

    @property
    def _ticks_ref(self) -> str:
        if self._schema:
            return f"{self._schema}.wf_ticks"
        return "wf_ticks"

    @property
    def _either(self) -> str:
        return "a" if self._schema else "b"

    async def events(self, run_id):
        return await self._pool.fetch(f"SELECT sequence FROM {self._events_ref} WHERE run_id = $1", run_id)

    async def ticks(self, run_id, after):
        return await self._pool.fetch(
            f"SELECT sequence FROM {self._ticks_ref} WHERE run_id = $1 AND sequence > $2 ORDER BY sequence LIMIT 100",
            run_id, after,
        )

    async def either(self, run_id):
        return await self._pool.fetch(f"SELECT 1 FROM {self._either} WHERE run_id = $1", run_id)
'''


def _texts(project, store: str) -> dict[int, str]:
    project({"store.py": store})
    loaded = load_project(["."], Options())
    return {q.location.line: q.text for s in loaded.sources for q in s.queries}


def test_a_property_and_a_parameter_default_name_the_table(project):
    texts = _texts(project, STORE)
    assert texts[24] == "SELECT sequence FROM wf_events WHERE run_id = $1"
    assert "FROM wf_ticks WHERE run_id = $1 AND sequence > $2" in texts[28]
    assert texts[33] == "SELECT 1 FROM {} WHERE run_id = $1"  # a property returning two names: none of them


@pytest.mark.parametrize("other", ['def other(self, events_table_name="events"):\n        pass\n',
                                   "def other(self, events_table_name):\n        pass\n"])
def test_a_parameter_the_module_defaults_otherwise_names_no_table(project, other):
    texts = _texts(project, STORE + "\n    " + other)
    assert texts[24] == "SELECT sequence FROM {} WHERE run_id = $1"
