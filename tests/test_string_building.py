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


def test_a_list_written_from_each_items_position_is_the_codes_own(project):
    """Holdout 58's session store: `ids.map((_, i) => `${this.client.getArgumentPlaceholder(i + 1)}`).join(', ')`
    writes `$1, $2, ...` from the positions alone; a list that writes the items themselves is a value."""
    code = """
    class Store {
      async deleteSessions(ids) {
        await this.client.query(`DELETE FROM s WHERE id IN (${ids
          .map((_, i) => `${this.client.getArgumentPlaceholder(i + 1)}`)
          .join(', ')})`, ids);
      }
      async deleteNamed(ids) {
        await this.client.query(`DELETE FROM s WHERE id IN (${ids.map((id, i) => `'${id}'`).join(', ')})`);
      }
    }
    """
    found = fired(project, "app.js", code)
    assert [f.location.line for f in found] == [8]


@pytest.mark.parametrize("before,after,name", [
    ("SELECT ", " FROM t", True), ("SELECT a, ", " FROM t", True), ("INSERT INTO t (", ") VALUES", True),
    ("UPDATE t SET ", " WHERE id = ?", True), ("DELETE FROM g WHERE ", " NOT IN (", True),
    ("ORDER BY x ", ", y", True), ("FROM ", ".jobs", True),
    ("INSERT INTO t (a) VALUES (?, ", ")", False), ("WHERE x IN (?, ", ")", False), ("WHERE id = ", "", False),
    ("WHERE a = '", "'", False), ("ORDER BY ", "", False), ("LIMIT ", "", False),
    # the direction after a quoted sort key or an expression (mastra-pg: ORDER BY "${field}" ${direction})
    ('ORDER BY "created" ', ', "id" ASC LIMIT $1', True), ('ORDER BY COALESCE("a", "b") ', " LIMIT $2", True),
    ('WHERE "a" = $1 AND "b" ', " = $2", True), ('SELECT "a" FROM t WHERE "b" ', " OR x", False),
    ('ORDER BY "a" LIMIT 10 OFFSET (SELECT "n") ', "", False),
    # a command binds no parameters: an index's access method is a name, not an expression where values go
    # (mastra-pg: USING ivfflat (embedding ...) WITH (lists = ${lists})); a policy's USING (...) is one
    ("CREATE INDEX i ON t USING ivfflat (embedding vector_cosine_ops) WITH (lists = ", ")", True),
    ("CREATE POLICY p ON t USING (owner = ", ")", False), ("ALTER TABLE t ALTER c TYPE int USING (c + ", ")", False),
    # glued to a word, part of one name (roundup's `from _%s`, `DELETE FROM %ss`); a relation named as text
    ("select count(*) from _", " where id=%s", True), ("DELETE FROM ", "s", True), ("WHERE tbl_", ".id = 1", True),
    ("select nextval('_", "_ids')", True), ("select setval( '", "', 5)", True),
    # a replication slot named as text (pg-transactional-outbox's slot from its settings); its second argument is a value
    ("select pg_create_logical_replication_slot('", "', 'pgoutput')", True),
    ("select pg_drop_replication_slot('", "')", True), ("select pg_create_logical_replication_slot('s', '", "')", False),
    ("WHERE id = ", " AND x = 1", False), ("WHERE a = '", "_suffix'", False), ("WHERE x = lower('", "')", False),
])
def test_where_a_piece_stands(before, after, name):
    from advisor.facts.interpolation import name_position

    assert name_position(before, after) is name


# What a value's provenance shows (advisor.facts.provenance), each shape from synapse's storage layer.
@pytest.mark.parametrize("code", [
    # a direction checked against a fixed set before use; a column the caller names after ORDER BY
    """
    def page(cur, table, orderby, start, order_direction="ASC"):
        if order_direction not in ["ASC", "DESC"]:
            raise ValueError("order_direction must be one of 'ASC' or 'DESC'.")
        cur.execute("SELECT id FROM %s ORDER BY %s %s LIMIT ? OFFSET ?" % (table, orderby, order_direction), (10, start))
    """,
    # a number written by %d, next to a constant written by %s
    """
    KIND = "'m.room'"
    def f(cur, position):
        cur.execute("SELECT id FROM events WHERE stream > %d AND kind = %s" % (position, KIND))
    """,
    # a clause built by the module's own helpers: numbers by %d and {n:d}, a checked operator, a literal column
    """
    def _bound(op, column, value):
        assert op in ("<", ">=")
        if value is None:
            return "TRUE"
        return "(%d %s %s)" % (int(value), op, column) if column else "({value:d} {op} x)".format(value=value, op=op)

    def where(position, backwards):
        parts = []
        parts.append(_bound(">=" if backwards else "<", "stream_ordering", position))
        return " AND ".join(parts)

    def f(cur, position):
        bounds = where(position, backwards=False)
        cur.execute(f"SELECT id FROM events WHERE room = ? AND {bounds}", ("!r",))
    """,
    # a fragment chosen from literals around a fragment parameter (an index predicate, by its name)
    """
    def upsert(cur, where_clause=None):
        cur.execute("INSERT INTO t (a) VALUES (?) ON CONFLICT (a) %sDO NOTHING" % (
            f"WHERE {where_clause} " if where_clause else "",), (1,))
    """,
])
def test_values_the_code_constrains(project, code):
    assert fired(project, "app.py", code) == []


@pytest.mark.parametrize("code,value", [
    # the helper splices what the caller passes into a quoted literal
    ("""
    def _match(value):
        return "name = '%s'" % value
    def f(cur, name):
        cond = _match(name)
        cur.execute(f"SELECT id FROM users WHERE {cond}")
    """, "cond"),
    # a check that does not stop the function constrains nothing
    ("""
    def f(cur, log, kind):
        if kind not in ("a", "b"):
            log.warning("unknown kind %s", kind)
        cur.execute(f"SELECT id FROM jobs WHERE kind = '{kind}'")
    """, "kind"),
    # a %s value after a %d number
    ("""
    def f(cur, n, name):
        cur.execute("SELECT id FROM users WHERE id = %d AND name = '%s'" % (n, name))
    """, "name"),
    # a sort key read from a request is not a column the code names
    ("""
    def f(cur, request):
        cur.execute("SELECT id FROM users ORDER BY %s" % request.args["sort"])
    """, "request.args['sort']"),
    # a recursive helper still hands back what the caller passed
    ("""
    def _nested(x, n):
        return _nested(x, n - 1) if n else x
    def f(cur, v):
        cur.execute(f"SELECT id FROM t WHERE x = '{_nested(v, 3)}'")
    """, "_nested(v, 3)"),
    # names that feed each other: each is answered in full, whichever is asked first
    ("""
    def f(cur, v, flag):
        a = v
        b = a
        if flag:
            a = b
        cur.execute(f"SELECT id FROM t WHERE x = '{a}' AND y = '{b}'")
    """, "a, b"),
])
def test_values_from_outside_through_helpers_and_checks(project, code, value):
    found = fired(project, "app.py", code)
    assert len(found) == 1 and f"({value})" in found[0].message, [f.message for f in found]


def test_built_string_parts():
    import ast

    from advisor.sources.python_parts import parts

    def split(code):
        return [p if isinstance(p, str) else ast.unparse(p) for p in parts(ast.parse(code, mode="eval").body)]

    assert split('"a %d b %s c %%" % (n, s)') == ["a ", "0", " b ", "s", " c ", "%", ""]
    assert split('"x %(k)s y %(n)d" % {"n": a, "k": b}') == ["x ", "b", " y ", "0", ""]
    assert split('"{0} {n:05d} {t.name}".format(a, n=b, t=c)') == ["", "a", " ", "0", " ", "c.name", ""]
    assert split('f"{a:>10} {b:.2f}"') == ["a", " ", "0"]
    assert parts(ast.parse('"a" + "b"', mode="eval").body) is None


# A parameter TypeScript holds to a number or a boolean is the code's own value (advisor.facts.js_types);
# the shapes are node-pg-migrate's advisory lock (`lockValue = PG_MIGRATE_LOCK_ID`) and its variants.
LOCK = """
const PG_MIGRATE_LOCK_ID = 7241865325823964;
export async function lock(db, lockValue = {default}) {{
  await db.query(`SELECT pg_advisory_lock(${{lockValue}})`);
}}
"""


@pytest.mark.parametrize("default,reported", [
    ("PG_MIGRATE_LOCK_ID", False),  # TypeScript infers number from the module constant
    ("-1", False),
    ("'fail'", True),  # a string default: any string a caller passes
    ("PG_MIGRATE_LOCK_ID + ''", True),  # not a literal nor a constant: not followed
    ("7 as any", True),  # typed any: the compiler holds the callers to nothing
])
def test_defaulted_parameter_in_typescript(project, default, reported):
    found = fired(project, "runner.ts", LOCK.format(default=default))
    assert [f.location.line for f in found] == ([3] if reported else []), [f.message for f in found]


@pytest.mark.parametrize("declarations,reported", [
    (True, False),  # JS a TypeScript compiler emitted (runner.d.ts beside it): the default's type was checked
    (False, True),  # plain JS: nothing holds a caller to the default's type
])
def test_defaulted_parameter_in_javascript(project, declarations, reported):
    if declarations:
        project({"runner.d.ts": "export declare const PG_MIGRATE_LOCK_ID = 7241865325823964;\n"})
    found = fired(project, "runner.js", LOCK.format(default="PG_MIGRATE_LOCK_ID"))
    assert [f.location.line for f in found] == ([3] if reported else []), [f.message for f in found]


STORE_JS = """
export class JobStore {
  async bucket(minutes) {
    return this.db.query(`SELECT date_trunc('minute', now()) - interval '${minutes} minutes'`);
  }
}
export async function find(db, id) {
  return db.query(`SELECT name FROM users WHERE id = ${id}`);
}
"""


@pytest.mark.parametrize("declarations,reported", [
    # the declarations emitted beside compiled JS keep the annotations the compiler held callers to
    ("export declare class JobStore {\n    bucket(minutes: number): Promise<Date>;\n}\n"
     "export declare function find(db: any, id: number): Promise<any>;\n", []),
    ("export declare class JobStore {\n    bucket(minutes: string): Promise<Date>;\n}\n"
     "export declare function find(db: any, id: string): Promise<any>;\n", [3, 7]),
    # a private method's declaration carries no type; overloads do not say which one a call meets;
    # another class's method of the same name is not this one
    ("export declare class JobStore {\n    private bucket;\n}\n"
     "export declare function find(db: any, id: number): Promise<any>;\n"
     "export declare function find(db: any, id: string): Promise<any>;\n", [3, 7]),
    ("export declare class OtherStore {\n    bucket(minutes: number): Promise<Date>;\n}\n", [3, 7]),
])
def test_parameter_typed_in_the_emitted_declarations(project, declarations, reported):
    project({"store.d.ts": declarations})
    found = fired(project, "store.js", STORE_JS)
    assert [f.location.line for f in found] == reported, [f.message for f in found]


@pytest.mark.parametrize("parameter,reported", [
    ("id: number", False),
    ("id?: bigint | null", False),
    ("id: 1 | 2", False),
    ("id: boolean = false", False),
    ("id: string", True),
    ("id: number | string", True),
    ("id: string = 5 as any", True),  # the annotation is what the compiler holds callers to
    ("id", True),  # untyped, no default
    ("{ id }: { id: number }", True),  # destructured: not followed
])
def test_annotated_parameter_in_typescript(project, parameter, reported):
    code = f"""
    export async function find(db, {parameter}) {{
      return db.query(`SELECT name FROM users WHERE id = ${{id}}`);
    }}
    """
    found = fired(project, "users.ts", code)
    assert [f.location.line for f in found] == ([2] if reported else []), [f.message for f in found]


def test_typed_parameter_shadowed_or_untyped_in_between(project):
    code = """
    export async function a(db, id: number) {
      if (db) {
        const id = db.lastInput;
        await db.query(`SELECT name FROM users WHERE id = ${id}`);
      }
    }
    export const b = (db, id: number) => (id) => db.query(`SELECT name FROM users WHERE id = ${id}`);
    export const c = (db, id: number) => () => db.query(`SELECT name FROM users WHERE id = ${id}`);
    export async function e(db, id: number, ids) {
      for (const id of ids) await db.query(`SELECT name FROM users WHERE id = ${id}`);
    }
    let STEP = 10;
    STEP = process.env.STEP;
    export async function d(db, n = STEP) {
      await db.query(`SELECT name FROM users LIMIT ${n}`);
    }
    """
    found = fired(project, "users.ts", code)
    # a: an inner const shadows the number; b: the inner untyped parameter; c: the closure's number;
    # e: the loop's variable; d: a module variable assigned twice is no constant
    assert [f.location.line for f in found] == [4, 7, 10, 15], [f.message for f in found]


# advisor.facts.safe_text: values no one outside the deployment chooses, or that cannot end their literal
QUOTING = r"""
from flask import current_app, request
from ckan.common import config
import os

def literal_string(s):
    return "'" + s.replace("'", "''").replace("\\0", "") + "'"

def sloppy(s):
    return "'" + s.replace("'", "''").replace("''", "'") + "'"

def a(cur, name):
    cur.execute(f"SELECT id FROM t WHERE name = {literal_string(name)}")

def b(cur, name):
    cur.execute(f"SELECT id FROM t WHERE name = '{name.replace('x', 'y')}'")

def c(cur, name):
    cur.execute(f'''SELECT id FROM t WHERE name LIKE '%{name.replace("'", "''")}%' ''')

def d(cur, name):
    cur.execute(f'''SELECT id FROM t WHERE name = E'{name.replace("'", "''")}' ''')

def e(cur, name):
    cur.execute(f"SELECT id FROM t WHERE name = {sloppy(name)}")

def g(cur):
    cur.execute(f"SELECT id FROM t LIMIT {current_app.config['HISTORY_LIMIT']}")
    cur.execute(f"SELECT id FROM t LIMIT {config.get('ckan.rows_max', 100)}")
    cur.execute(f"SET search_path TO {os.environ['APP_SCHEMA']}")

def h(cur, config):
    cur.execute(f"SELECT id FROM t LIMIT {config['limit']}")

def i(cur):
    cur.execute(f"SELECT id FROM t LIMIT {config.get('ckan.rows_max', request.args['n'])}")
    cur.execute(f"SELECT id FROM t LIMIT {request.args['n']}")
"""


def test_doubled_quotes_and_operator_settings_are_the_code_s_own(project):
    found = fired(project, "app.py", QUOTING)
    # b: a replace that does not double quotes; d: E'' lets a backslash escape the quote; e: the quotes
    # undoubled again; h: a parameter named config is the caller's; i: a setting's default from a request
    assert sorted(f.location.line for f in found) == [15, 21, 24, 32, 35, 36], [f.message for f in found]


def test_an_item_of_the_code_s_own_iterator_is_its_own(project):
    """ckan's placeholders: f"val_{next(idx_gen)}" with idx_gen = itertools.count(); an item of an iterator
    over what a caller passes is the caller's."""
    found = fired(project, "app.py", """
    import itertools

    def f(cur, record, rows):
        idx_gen = itertools.count()
        names = [f"val_{next(idx_gen)}" for _ in record]
        values = [":" + p for p in names]
        cur.execute(f"INSERT INTO t VALUES ({','.join(values)})", record)
        it = iter(rows)
        cur.execute(f"SELECT id FROM t WHERE name = '{next(it)}'")
    """)
    assert [f.location.line for f in found] == [9], [f.message for f in found]


def test_declarations_are_read_from_the_files_the_run_loaded(project, tmp_path_factory):
    """A declaration file that is a symlink leading outside the project is not read (the run skips it), so
    what it says types nothing: the parameters stay the caller's."""
    outside = tmp_path_factory.mktemp("outside") / "store.d.ts"
    outside.write_text("export declare function find(db: any, id: number): Promise<any>;\n")
    root = project({})
    (root / "store.d.ts").symlink_to(outside)
    found = fired(project, "store.js", STORE_JS)
    assert [f.location.line for f in found] == [3, 7], [f.message for f in found]


def test_a_function_named_for_the_identifier_it_checks_gives_the_code_s_own_name(project):
    # mastra-pg: each key of the caller's object passes through @mastra/core's parseSqlIdentifier (unseen here)
    code = """
    const { parseSqlIdentifier } = require("@x/utils");
    async function del(client, keySet) {
      const conditions = [];
      Object.keys(keySet).forEach((key) => {
        conditions.push(`"${parseSqlIdentifier(key, "column name")}" = $1`);
      });
      await client.query(`DELETE FROM t WHERE ${conditions.join(" AND ")}`, []);
    }
    async function raw(client, keySet) {
      const conditions = [];
      Object.keys(keySet).forEach((key) => { conditions.push(`"${key}" = $1`); });
      await client.query(`DELETE FROM t WHERE ${conditions.join(" AND ")}`, []);
    }
    module.exports = { del, raw };
    """
    assert [f.location.line for f in fired(project, "store.js", code)] == [12]


def test_a_value_spliced_twice_is_named_once(project):
    code = """
    def search(cur, term):
        cur.execute(f"SELECT id FROM docs WHERE title = '{term}' OR body = '{term}'")
    """
    found = fired(project, "search.py", code)
    assert len(found) == 1 and "values (term)" in found[0].message


def test_the_members_of_an_enum_the_code_iterates_are_its_own(project):
    """vtes-archon's `for category in models.RankingCategoy:` splices `category.name` and `category.value` into
    a CREATE INDEX: iterating a class gives an Enum's members, written in the class. Iterating anything else (an
    UPPER constant's twin in lower case, a parameter named like a class) is not read so."""
    found = fired(project, "app.py", """
    import enum
    from app import models

    class Color(enum.StrEnum):
        RED = "red"

    def f(cur, Items, rows):
        for category in models.RankingCategory:
            cur.execute(f"SELECT id FROM members WHERE kind = '{category.value}' AND n = '{category.name}'")
        for c in Color:
            cur.execute(f"SELECT id FROM members WHERE color = '{c}'")
        for item in Items:
            cur.execute(f"SELECT id FROM members WHERE kind = '{item.value}'")
        for row in rows:
            cur.execute(f"SELECT id FROM members WHERE kind = '{row.value}'")
    """)
    assert sorted(f.location.line for f in found) == [13, 15], [f.message for f in found]


def test_a_classmethod_called_on_its_class_returns_the_class_s_own_text(project):
    """swh-scheduler's `Lister.insert_columns_and_metavars()`: a classmethod called on the class itself returns
    the `%(field)s` placeholders it builds from the class's fields and keeps on `cls`: the code's own. A plain
    method called on the class, or a classmethod given a caller's value, is not read so."""
    project({"model.py": textwrap.dedent("""
    class Base:
        _meta = None

        @classmethod
        def metavars(cls):
            if cls._meta is None:
                cls._meta = tuple(f"%({name})s" for name in ("id", "state"))
            return cls._meta

        @classmethod
        def wrapped(cls, text):
            return text

        def plain(self):
            return self.where

    class Lister(Base):
        pass
    """)})
    found = fired(project, "backend.py", """
    from model import Lister

    def f(cur, d, text):
        meta = ", ".join(Lister.metavars())
        cur.execute(f"INSERT INTO listers (id, state) VALUES ({meta})", d)
        cur.execute(f"SELECT id FROM listers WHERE id = {Lister.wrapped(text)}", d)
        cur.execute(f"SELECT id FROM listers WHERE id = {Lister.plain(d)}", d)
    """)
    assert sorted(f.location.line for f in found) == [6, 7], [f.message for f in found]


MIGRATIONS_JS = """
class Connection {
  async runMigrations() {
    for (const migration of this.migrations) {
      const name = migration.name;
      if (name === "20190313-add-asset") {
        await this.migrateAsset(name);
      }
    }
  }
  async migrateAsset(name) {
    await this.db.none(`DELETE FROM migrations WHERE name = '${name}'`);
  }
}
module.exports = { Connection };
"""


@pytest.mark.parametrize("declared,reported", [
    # ark's compiled TypeScript: `private` in the declarations emitted beside it; only `this.migrateAsset(...)` in
    # the class's body may call it, and its one call passes a name narrowed to a literal
    ("private migrateAsset;", []),
    ("migrateAsset(name: string): Promise<void>;", [11]),  # public: any caller anywhere
    ("protected migrateAsset(name: string): Promise<void>;", [11]),  # a subclass may call it too
])
def test_a_typescript_private_method_is_called_only_by_its_class(project, declared, reported):
    project({"connection.d.ts": f"export declare class Connection {{\n    {declared}\n}}\n"})
    found = fired(project, "connection.js", MIGRATIONS_JS)
    assert [f.location.line for f in found] == reported, [f.message for f in found]


@pytest.mark.parametrize("modifier,reported", [("private", []), ("", [11]), ("public", [11])])
def test_a_private_method_in_typescript_source(project, modifier, reported):
    code = MIGRATIONS_JS.replace("  async migrateAsset(name)", f"  {modifier} async migrateAsset(name: string)")
    found = fired(project, "connection.ts", code.replace("module.exports = { Connection };", "export {}"))
    assert [f.location.line for f in found] == reported, [f.message for f in found]


def test_a_private_method_called_another_way_is_the_caller_s(project):
    """`this.migrateAsset` handed around as a value, or a call of another object's method of that name: the
    calls in the class's body are not all of them."""
    code = MIGRATIONS_JS.replace("await this.migrateAsset(name);", "await this.migrateAsset(name);\n"
                                 "        setTimeout(this.migrateAsset, 10, req.query.name);")
    found = fired(project, "connection.ts", code.replace("  async migrateAsset(name)", "  private async migrateAsset(name)"))
    assert [f.location.line for f in found] == [12], [f.message for f in found]
