"""SQL a Python project writes in helper methods and builds with `%`, `.format()` or f-strings (holdout 13,
benchmarks/realworld/holdout13.md "Extraction recall"): a loader whose load path is statements returned by
its own methods (`cur.execute(self.merge_query(staging))`), and schema / session commands built on names
(`CREATE SCHEMA %s`, `SET search_path = {0}`, `ALTER TABLE {} ADD COLUMN {}`). Snippets written in the style
of such code; each statement is read where its text is written, what the code fills in as `{}`."""

import textwrap

from advisor import catalogue, engine
from advisor.sources.python import extract_python
from advisor.sources.sql_shape import looks_like_sql, runs_as_sql


def read(code):
    source = extract_python("loader.py", textwrap.dedent(code).lstrip("\n"))
    return [(q.location.line, q.text, q.dynamic) for q in source.queries]


# --- a builder: a function whose every return is SQL text, called with values --------------------------

LOADER = '''
import logging

log = logging.getLogger(__name__)


class StagingLoader:
    def __init__(self, target, keys):
        self.target = target
        self.keys = keys

    def run(self, statement, params=None):
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def merge_query(self, staging):
        """Return the UPDATE ... FROM staging statement that merges the batch."""
        return "UPDATE {} t SET {} FROM {} s WHERE {}".format(
            self.target, self.assignments(), staging, self.join_condition())

    def append_query(self, staging):
        if not self.keys:
            return f"INSERT INTO {self.target} SELECT * FROM {staging}"
        return f"INSERT INTO {self.target} SELECT s.* FROM {staging} s WHERE NOT EXISTS (SELECT 1 FROM {self.target} t WHERE {self.join_condition()})"

    def staging_table_query(self, name, temporary=True):
        return "CREATE {}TABLE IF NOT EXISTS {} (LIKE {})".format("TEMP " if temporary else "", name, self.target)

    def join_condition(self):
        return " AND ".join("t.{0} = s.{0}".format(k) for k in self.keys)

    def assignments(self):
        return ", ".join("{0} = s.{0}".format(c) for c in self.columns)

    def count_query(self, staging):
        return "SELECT count(*) FROM %s" % staging

    def load(self, cur, staging):
        cur.execute(self.staging_table_query(staging))
        if self.keys:
            cur.execute(self.merge_query(staging))
        statement = self.append_query(staging)
        cur.execute(statement)
        log.info("loaded: %s", self.count_query(staging))
'''


def test_a_method_that_returns_sql_is_read_where_its_text_is_written():
    assert read(LOADER) == [
        (18, "UPDATE {} t SET {} FROM {} s WHERE {}", True),
        (23, "INSERT INTO {} SELECT * FROM {}", True),
        (24, "INSERT INTO {} SELECT s.* FROM {} s WHERE NOT EXISTS (SELECT 1 FROM {} t WHERE {})", True),
        (27, "CREATE {}TABLE IF NOT EXISTS {} (LIKE {})", True),
    ]


def test_what_a_builder_returns_is_no_query_when_it_only_reaches_a_log():
    # count_query (line 36) returns SQL, but only a log message takes it; the docstring of merge_query and
    # the clause helpers (join_condition, assignments: no statement of their own) are no queries either
    lines = [line for line, _, _ in read(LOADER)]
    assert LOADER.lstrip("\n").splitlines()[35].strip().startswith('return "SELECT count(*)')
    assert 36 not in lines and 17 not in lines and 30 not in lines and 33 not in lines


def test_a_module_function_builder_and_one_that_returns_something_else():
    queries = read('''
        def purge_statement(table, days):
            return "DELETE FROM %s WHERE created < now() - interval '%d days'" % (table, days)


        def maybe_statement(table):
            if not table:
                return None
            return "DELETE FROM %s" % table


        def purge(cur, table):
            cur.execute(purge_statement(table, 30))
            cur.execute(maybe_statement(table))
    ''')
    # maybe_statement also returns None: not a builder (a call passing values is followed only into those)
    assert queries == [(2, "DELETE FROM %s WHERE created < now() - interval '%d days'", True)]


def test_a_builder_of_another_class_under_the_same_name_must_also_return_sql():
    queries = read('''
        class Writer:
            def statement(self, table):
                return f"TRUNCATE {table}"


        class Reporter:
            def statement(self, table):
                return table.upper()

            def go(self, cur, table):
                cur.execute(self.statement(table))
    ''')
    assert queries == []  # which `statement` runs is not known: neither is read


# --- commands built with %, .format() and f-strings ------------------------------------------------------


def test_schema_and_session_commands_built_on_names_are_statements():
    queries = read('''
        def quote_schema_name(name):
            return '"%s"' % name.replace('"', '""')


        class TenantSchema:
            def create(self, cursor):
                cursor.execute("CREATE SCHEMA %s" % quote_schema_name(self.schema_name))

            def drop(self, cursor):
                cursor.execute("DROP SCHEMA %s CASCADE" % quote_schema_name(self.schema_name))

            def activate(self, cursor, paths):
                cursor.execute("SHOW search_path")
                self.saved = cursor.fetchone()[0]
                cursor.execute("SET search_path = {0}".format(",".join(quote_schema_name(p) for p in paths)))

            def restore(self, cursor):
                cursor.execute(f"SET search_path = {self.saved}")

            def rename(self, cursor, new):
                sql = "ALTER SCHEMA {0} RENAME TO {1}".format(quote_schema_name(self.schema_name), new)
                cursor.execute(sql)
    ''')
    assert queries == [
        (7, "CREATE SCHEMA %s", True),
        (10, "DROP SCHEMA %s CASCADE", True),
        (13, "SHOW search_path", False),
        (15, "SET search_path = {0}", True),
        (18, "SET search_path = {}", True),
        (21, "ALTER SCHEMA {0} RENAME TO {1}", True),
    ]


def test_ddl_grant_and_copy_through_a_variable_and_a_query_helper():
    queries = read('''
        class Target:
            def query(self, sql, params=None):
                with self.conn.cursor() as cur:
                    cur.execute(sql, params)

            def index(self, table, column):
                query = "CREATE INDEX IF NOT EXISTS {} ON {} ({})".format("ix_" + column, table, column)
                self.query(query)

            def grant(self, schema, role):
                self.query("GRANT USAGE ON SCHEMA {} TO {}".format(schema, role))

            def widen(self, table, column):
                self.query("ALTER TABLE {} ADD COLUMN {}".format(table, column))

            def copy_in(self, cur, table, f):
                cur.copy_expert("COPY {} FROM STDIN WITH (FORMAT CSV)".format(table), f)
    ''')
    assert [(line, text) for line, text, _ in queries] == [
        (7, "CREATE INDEX IF NOT EXISTS {} ON {} ({})"),
        (11, "GRANT USAGE ON SCHEMA {} TO {}"),
        (14, "ALTER TABLE {} ADD COLUMN {}"),
        (17, "COPY {} FROM STDIN WITH (FORMAT CSV)"),
    ]


def test_a_command_that_reaches_no_execution_call_is_no_query():
    queries = read('''
        """Run ALTER TABLE jobs ADD COLUMN x on upgrade; SET search_path = app first."""

        HELP = "GRANT SELECT ON ALL TABLES IN SCHEMA app TO reader"
        CREATE_SQL = "CREATE SCHEMA app"  # a named constant: only statements the rules read count here


        def explain(log, table):
            log.info("ALTER TABLE {} ADD COLUMN {}".format(table, "x"))
            return "Create schema for the tenant"
    ''')
    assert queries == []


def test_the_command_shapes_tell_sql_from_prose():
    for text in (
        "CREATE TABLE IF NOT EXISTS {} (id int)",
        "CREATE UNIQUE INDEX CONCURRENTLY ix ON jobs (id)",
        "DROP TABLE IF EXISTS a, b CASCADE",
        "TRUNCATE TABLE jobs RESTART IDENTITY",
        "SET LOCAL statement_timeout = 5000",
        "SHOW server_version",
        "REVOKE ALL ON jobs FROM public",
        "COPY (SELECT 1) TO STDOUT",
        "ALTER TABLE ONLY jobs DROP CONSTRAINT jobs_pkey",
        "LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE",
        "CREATE EXTENSION pg_trgm;",
        'CREATE EXTENSION IF NOT EXISTS "uuid-ossp";',
        "CREATE SEQUENCE IF NOT EXISTS zoid_seq;",
        # maubot's v01 (holdout 17): an enum rebuilt in a migration
        "DROP TYPE IF EXISTS membership",
        "CREATE TYPE membership AS ENUM ('join', 'leave', 'invite', 'ban', 'knock')",
        "CREATE TYPE pair AS (a int, b text)",
        "ALTER TYPE membership ADD VALUE 'knock'",
        "CREATE DOMAIN posint AS integer CHECK (VALUE > 0)",
    ):
        assert runs_as_sql(text), text
        assert not looks_like_sql(text) or text.startswith("CREATE TABLE"), text
    for text in (
        "Create schema for the tenant",
        "Create extension for the app;",
        "Drop table if it exists",
        "Set the value to x",
        "Show the current path here",
        "Grant access on request",
        "Copy the files to the bucket",
        "Truncate the log at 100 lines",
        "Create type as needed",
        "Drop type hints for now",
        "Alter type of the column",
    ):
        assert not runs_as_sql(text), text


# --- what a run says of a builder's text: the value spliced in, at the builder --------------------------


def string_building(project, code):
    project({"loader.py": textwrap.dedent(code)})
    return [
        (f.location.line, f.message)
        for f in engine.check(["."]).active
        if catalogue.lookup(f.rule).name == "sql-string-building"
    ]


def test_a_caller_chosen_value_a_builder_quotes_in_is_reported_at_the_builder(project):
    found = string_building(project, '''
        class Archive:
            def lookup_query(self, label):
                return "SELECT id FROM archive WHERE label = '{}'".format(label)

            def find(self, cur, label):
                cur.execute(self.lookup_query(label))
                return cur.fetchall()
    ''')
    assert [line for line, _ in found] == [3]
    assert "label" in found[0][1]


def test_a_builder_of_names_the_code_chooses_is_not_reported(project):
    found = string_building(project, '''
        class Archive:
            table = "archive"

            def purge_query(self):
                return "DELETE FROM {} WHERE expired".format(self.table)

            def count_query(self, days):
                return "SELECT count(*) FROM {} WHERE age > {:d}".format(self.table, days)

            def purge(self, cur, days):
                cur.execute(self.purge_query())
                cur.execute(self.count_query(days))
    ''')
    assert found == []


def test_a_command_without_parameters_is_reported_only_for_a_value_in_quotes(project):
    found = string_building(project, '''
        def configure(cursor, schemas, timeout, role, app_name):
            cursor.execute("SET search_path = {0}".format(",".join(schemas)))
            cursor.execute("SET lock_timeout = %s" % timeout)
            cursor.execute(f"GRANT USAGE ON SCHEMA {schemas[0]} TO {role}")
            cursor.execute("ALTER TABLE {} ADD COLUMN {}".format(schemas[0], role))
            cursor.execute(f"SET application_name = '{app_name}'")
    ''')
    # names, settings and clauses of DDL/SET/GRANT have no parameter to bind instead (as `FROM {table}`);
    # a caller's text inside quotes is a value that can end its literal
    assert [line for line, _ in found] == [6]
    assert "app_name" in found[0][1]


# --- one way through a function: a call that passes nothing is followed whatever it returns ------------


def test_a_call_that_passes_nothing_follows_every_definition_and_only_its_own_returns():
    code = '''
    JOBS = "SELECT id FROM jobs WHERE state = 'ready'"
    DONE = "SELECT id FROM jobs WHERE state = 'done'"

    class Queue:
        def query(self):
            return JOBS

        def poll(self, cur):
            cur.execute(self.query())

    class Archive:
        def query(self):
            def never_called():
                return "SELECT * FROM nested_only"
            return DONE
    '''
    texts = {t for _, t, _ in read(code)}
    # both definitions of `query` (a call cannot tell which class self is), each through its constant;
    # the nested function's return is not `query`'s
    assert "SELECT id FROM jobs WHERE state = 'ready'" in texts
    assert "SELECT id FROM jobs WHERE state = 'done'" in texts
    assert not any("nested_only" in t for t in texts)


def test_a_call_with_values_follows_only_a_function_whose_every_return_is_sql():
    code = '''
    def pick(name):
        if name:
            return name
        return "SELECT 1"

    def run(cur, name):
        cur.execute(pick(name))
    '''
    # `pick(name)` may return the caller's own value: no text is claimed for it
    assert [t for _, t, _ in read(code)] == []


def test_stripped_and_dedented_text_is_the_same_text():
    for call in ("LIST.strip()", "textwrap.dedent(LIST)", "LIST.strip().strip()"):
        code = f'''
        import textwrap
        LIST = """
            SELECT id FROM jobs ORDER BY id
        """

        def run(cur):
            cur.execute({call})
        '''
        # read where the text is written (line 2), once
        assert [(line, t.strip()) for line, t, _ in read(code)] == [(2, "SELECT id FROM jobs ORDER BY id")], call
    code = """
    def run(cur, sql):
        cur.execute(sql.strip())
    """
    assert read(code) == []
