"""Statements a registered one-off job runs are not workload (issue 10, class 5): Synapse's data
migrations are background updates, `register_background_update_handler("name", self._fn)`, run in
batches once per database (shape of synapse/storage/databases/main/receipts.py and
events_bg_updates.py, where missing-index findings inside such handlers were labelled false)."""

from advisor import catalogue, engine
from advisor.sources.python import extract_python

SCHEMA = (
    "CREATE TABLE receipts (stream_id bigint PRIMARY KEY, room_id text NOT NULL, user_id text NOT NULL,"
    " thread_id text);\n"
)

STORE = '''
class ReceiptsBackgroundUpdateStore:
    def __init__(self, database, db_conn, hs):
        self.db_pool.updates.register_background_update_handler(
            "receipts_dedupe",
            self._background_dedupe_receipts,
        )

    async def _background_dedupe_receipts(self, progress, batch_size):
        def _dedupe_txn(txn):
            sql = """
                SELECT MAX(stream_id), room_id, user_id FROM receipts
                WHERE thread_id IS NULL AND user_id = ?
                GROUP BY room_id, user_id
            """
            txn.execute(sql, (progress["user_id"],))
            txn.execute("UPDATE receipts SET thread_id = 'main'")

        await self.db_pool.runInteraction("receipts_dedupe", _dedupe_txn)
        await self.db_pool.updates._end_background_update("receipts_dedupe")
        return 1

    def get_receipts_for_user_txn(self, txn, user_id):
        sql = """
            SELECT MAX(stream_id), room_id, user_id FROM receipts
            WHERE thread_id IS NULL AND user_id = ?
            GROUP BY room_id, user_id
        """
        txn.execute(sql, (user_id,))
        txn.execute("UPDATE receipts SET thread_id = 'main'")
'''


def _hits(project, store):
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["db/*.sql"]\nselect = ["DEFAULT", "update-without-where"]\n', "db/schema.sql": SCHEMA,
             "receipts.py": store})
    return sorted((catalogue.lookup(f.rule).name, f.location.line) for f in engine.check(["."]).active)


def test_a_background_update_handler_is_a_one_off_job(project):
    # the same statements in an ordinary method are workload: missing-index on user_id, and the
    # everything-UPDATE; inside the registered handler's transaction they are a backfill
    assert _hits(project, STORE) == [("missing-index", 25), ("update-without-where", 29)]


def test_without_the_registration_both_are_workload(project):
    store = STORE.replace("register_background_update_handler", "register_something_else")
    assert _hits(project, store) == [
        ("missing-index", 12),
        ("missing-index", 25),
        ("update-without-where", 16),
        ("update-without-where", 29),
    ]


def _once(code: str) -> list[tuple[int, bool]]:
    return [(q.location.line, q.runs_once) for q in extract_python("store.py", code).queries]


def test_the_handler_is_resolved_where_it_is_registered():
    code = (
        "def _fill(txn):\n"  # 1: a module function registered by its bare name
        "    txn.execute('UPDATE t SET a = 1')\n"
        "def register(db_pool):\n"
        "    db_pool.updates.register_background_update_handler('fill', update_handler=_fill)\n"
        "class Store:\n"
        "    def __init__(self):\n"
        "        self.db_pool.updates.register_background_update_handler('x', self._x)\n"
        "    async def _x(self, progress, batch_size):\n"
        "        def _txn(txn):\n"  # 9: nested in the handler, handed to runInteraction
        "            txn.execute('DELETE FROM t WHERE a = 1')\n"
        "        await self.db_pool.runInteraction('x', _txn)\n"
        "        await self.db_pool.runInteraction('x', self._x_txn)\n"
        "    def _x_txn(self, txn):\n"  # 13: a method: a subclass elsewhere may call it as workload
        "        txn.execute('DELETE FROM t WHERE a = 2')\n"
        "    def serve(self, txn):\n"
        "        def _inner(txn):\n"  # 16: nested in an ordinary method
        "            txn.execute('DELETE FROM t WHERE a = 3')\n"
    )
    assert _once(code) == [(2, True), (10, True), (14, False), (17, False)]


def test_a_handler_the_module_also_calls_is_workload():
    code = (
        "class Store:\n"
        "    def __init__(self):\n"
        "        self.db_pool.updates.register_background_update_handler('x', self._x)\n"
        "    def _x(self, txn):\n"
        "        txn.execute('DELETE FROM t WHERE a = 1')\n"
        "    def serve(self, txn):\n"
        "        return self._x(txn)\n"
    )
    assert _once(code) == [(5, False)]


def test_a_handler_of_another_class_or_module_is_not_followed():
    code = (
        "class A:\n"
        "    def _x(self, txn):\n"
        "        txn.execute('DELETE FROM t WHERE a = 1')\n"
        "class B:\n"
        "    def __init__(self):\n"
        "        self.db_pool.updates.register_background_update_handler('x', self._x)\n"
        "        self.db_pool.updates.register_background_update_handler('y', other._y)\n"
    )
    assert _once(code) == [(3, False)]
