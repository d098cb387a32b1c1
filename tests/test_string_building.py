"""sql-string-building fires only when a value a caller chooses reaches the SQL text (issue 10, class 6).

The safe shapes are those real task-queue and client code uses (procrastinate's psycopg
`sql.Identifier`, pg-boss's `${this.schema}` prefixes, placeholder runs built with join/map)."""

import textwrap

import pytest

from advisor import catalogue, engine


def fired(project, name, code):
    project({name: textwrap.dedent(code)})
    return [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "sql-string-building"]


@pytest.mark.parametrize("code", [
    # placeholders built from the number of values
    """
    def f(cur, ids):
        cur.execute(f"SELECT id FROM jobs WHERE id IN ({', '.join(['%s'] * len(ids))})", ids)
    """,
    # a fragment chosen from literals, a module constant, a loop over a fixed tuple
    """
    COLUMNS = "id, status"
    def f(cur, queue, status=None):
        extra = "AND status = %s" if status else ""
        cur.execute(f"SELECT {COLUMNS} FROM jobs WHERE queue = %s {extra}", (queue, status))
        for col in ("lock", "worker"):
            cur.execute(f"UPDATE jobs SET {col} = NULL WHERE queue = %s", (queue,))
    """,
    # identifiers the code owns, numbers
    """
    class Repo:
        def f(self, cur, job_id, limit):
            cur.execute(f"SELECT id FROM {self.table} WHERE id = {int(job_id)}")
            cur.execute("SELECT id FROM jobs LIMIT %d" % limit)
            cur.execute("SELECT id FROM {} WHERE id = %s".format(self._meta.db_table), (job_id,))
    """,
    # a table name handed in by the caller, outside quotes
    """
    def count(cur, table_name):
        cur.execute(f"SELECT count(*) FROM {table_name}")
    """,
])
def test_safe_interpolation_in_python(project, code):
    assert fired(project, "app.py", code) == []


@pytest.mark.parametrize("code,value", [
    ("""
    def f(cur, address):
        cur.execute(f"SELECT id FROM users WHERE wallet_address = '{address}'")
    """, "address"),
    ("""
    def f(cur, user_id):
        cur.execute("SELECT id FROM users WHERE id = " + str(user_id))
    """, "str(user_id)"),
    ("""
    def f(cur, name):
        query = "SELECT id FROM users WHERE name = '%s'" % name
        cur.execute(query)
    """, "name"),
    ("""
    def f(cur, request):
        order = request.args.get("order")
        cur.execute(f"SELECT id FROM users ORDER BY {order}")
    """, "order"),
])
def test_values_from_outside_in_python(project, code, value):
    found = fired(project, "app.py", code)
    assert len(found) == 1 and f"({value})" in found[0].message


def test_javascript_template_literals(project):
    code = """
    async function a(client, ids) {
      await client.query(`SELECT id FROM ${this.schema}.jobs WHERE id IN (${ids.map((_, i) => `$${i + 1}`).join(", ")})`, ids);
      await client.query(`SELECT id FROM ${SCHEMA}.jobs WHERE name = $1`, [x]);
      await client.query("SELECT id FROM " + schema + ".jobs WHERE id = $1", [id]);
    }
    async function b(client, name) {
      await client.query(`SELECT id FROM users WHERE name = '${name}'`);
    }
    """
    found = fired(project, "app.js", code)
    assert [f.location.line for f in found] == [7] and "(name)" in found[0].message


@pytest.mark.parametrize("before,after,name", [
    ("SELECT ", " FROM t", True), ("SELECT a, ", " FROM t", True), ("INSERT INTO t (", ") VALUES", True),
    ("UPDATE t SET ", " WHERE id = ?", True), ("DELETE FROM g WHERE ", " NOT IN (", True),
    ("ORDER BY x ", ", y", True), ("FROM ", ".jobs", True),
    ("INSERT INTO t (a) VALUES (?, ", ")", False), ("WHERE x IN (?, ", ")", False), ("WHERE id = ", "", False),
    ("WHERE a = '", "'", False), ("ORDER BY ", "", False), ("LIMIT ", "", False),
])
def test_where_a_piece_stands(before, after, name):
    from advisor.facts.interpolation import name_position

    assert name_position(before, after) is name
