"""A schema a Python module creates for several databases at once (holdout 71's Postfix policy daemon, for SQLite,
MySQL and PostgreSQL): its CREATE INDEX written with a `%` format the code fills from literals, an old version's
table dropped in an `except` handler and created again below, and the placeholder style kept on a config object,
`"... WHERE date <= %s" % config.format_str`. Written in that style, none copied."""

from advisor import catalogue, engine
from advisor.loader import load_project
from advisor.options import Options

UTILS = '''
class LazyConfig(object):
    format_str = None

    def setup(self, backend):
        if backend == "sqlite":
            self.format_str = "?"
        else:
            self.format_str = "%s"


config = LazyConfig()


def database_init(cur, backend):
    query = """CREATE TABLE IF NOT EXISTS mail_count (
      id varchar(40) NOT NULL,
      date bigint NOT NULL,
      instance varchar(40) NOT NULL
    )"""
    try:
        cur.execute("SELECT instance FROM mail_count")
    except Exception:
        cur.execute("DROP TABLE mail_count")
    cur.execute(query)
    cur.execute("CREATE INDEX %s mail_count_index ON mail_count(id, date)" % ("" if backend == 1 else "IF NOT EXISTS"))


def clean(cur, expired):
    cur.execute("DELETE FROM mail_count WHERE date <= %s" % config.format_str, (expired,))


def count(cur, sender, since):
    cur.execute("SELECT count(*) FROM mail_count WHERE id = %s AND date >= %s" % ((config.format_str,) * 2),
                (sender, since))


def forget(cur, instance):
    cur.execute("DELETE FROM mail_count WHERE instance = %s" % config.format_str, (instance,))
'''


def test_the_schema_as_it_stands_after_the_run(project):
    project({"advisor.toml": 'dialect = "postgres"\nschema = ["policyd/utils.py"]\nlarge-tables = ["*"]\n',
             "policyd/utils.py": UTILS})
    loaded = load_project(["."], Options())
    # the DROP in the except handler recovers from an old version's table: the table stands, created below
    assert "mail_count" in loaded.schema.tables
    # the `%` format writes "" or "IF NOT EXISTS": either way, one index on (id, date)
    assert [(i.table, i.name, i.columns) for i in loaded.schema.indexes] == [
        ("mail_count", "mail_count_index", ("id", "date"))
    ]
    found = [(catalogue.lookup(f.rule).name, f.location.line) for f in engine.check(["."]).active]
    # the per-recipient delete by instance has no index; the count by (id, date) has one
    assert found == [("missing-index", 38)]


def test_a_placeholder_style_the_class_sets_only_from_literals_is_no_value_from_outside(project):
    project({"advisor.toml": 'dialect = "postgres"\n', "policyd/utils.py": UTILS})
    assert not [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "sql-string-building"]
    # the same attribute also set from elsewhere may hold anything
    elsewhere = UTILS + "\n\ndef configure(text):\n    config.format_str = text\n"
    project({"advisor.toml": 'dialect = "postgres"\n', "policyd/utils.py": elsewhere})
    built = [f.location.line for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "sql-string-building"]
    assert built == [29, 33, 38]  # a tuple of it, repeated: its item reaches the text


def test_a_statement_another_object_s_wrapper_passes_on_is_read(project):
    # xtransit (holdout 75): `self.sql = self.store.sql`, the store's method that prefixes its schema as `text()`
    # does, then `c.execute(self.sql("SELECT ..."))`: the statement written there is what runs
    code = '''
class Data:
    def __init__(self, store):
        self.sql = store.sql

    async def stops(self, c, feed):
        return await c.execute(self.sql("SELECT stop_id FROM transit.stops WHERE feed = :feed"), {"feed": feed})

    async def named(self, c, feed):
        return await c.execute(self.sql(feed))
'''
    project({"advisor.toml": 'dialect = "postgres"\n', "web/data.py": code})
    loaded = load_project(["."], Options())
    texts = [q.text for s in loaded.sources for q in s.queries]
    assert texts == ["SELECT stop_id FROM transit.stops WHERE feed = :feed"]  # a name passed: nothing to read
