"""A `.sql` file the project never loads, in a folder whose other files it loads by name, holds no
query (ark-core's `state-builder/delegates.sql`, left in the package after its loader stopped naming
it); its DDL stays in the schema. Said only when sure: a name built around a hole, a folder named on
its own, or the file's stem named keep every file."""

from advisor import catalogue, engine
from advisor.sources.sql_file_use import left_over, mentions

SCHEMA = "CREATE TABLE transactions (id bigint PRIMARY KEY, type int, sender text, amount bigint);\n"


def unloaded(sql_files, texts):
    return left_over(sql_files, [mentions(t) for t in texts])


QUERY = "SELECT sender, sum(amount) FROM transactions WHERE type = {n} GROUP BY sender;\n"
LOADER = """
const { QueryFile } = require("pg-promise");
const load = (file) => new QueryFile(path.join(__dirname, file), { minify: true });
module.exports = {
  blockRewards: load("./state-builder/block-rewards.sql"),
  sent: load("./state-builder/sent-transactions.sql"),
};
"""


def _missing(project, files):
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["schema/*.sql"]\n', "schema/01.sql": SCHEMA, **files})
    report = engine.check(["."])
    return sorted(f.location.path for f in report.active if catalogue.lookup(f.rule).name == "missing-index")


def test_a_file_the_loader_does_not_name_holds_no_query(project):
    files = {
        "queries/index.js": LOADER,
        "queries/state-builder/block-rewards.sql": QUERY.format(n=1),
        "queries/state-builder/sent-transactions.sql": QUERY.format(n=2),
        "queries/state-builder/delegates.sql": QUERY.format(n=3),
    }
    assert _missing(project, files) == [
        "queries/state-builder/block-rewards.sql",
        "queries/state-builder/sent-transactions.sql",
    ]


def test_a_left_over_file_keeps_its_ddl(project):
    project(
        {
            "index.js": LOADER,
            "state-builder/block-rewards.sql": QUERY.format(n=1),
            "state-builder/sent-transactions.sql": "SELECT sender FROM transactions WHERE id = $1;\n",
            "state-builder/old.sql": SCHEMA + "CREATE INDEX tx_type ON transactions (type);\n" + QUERY.format(n=3),
        }
    )
    report = engine.check(["."])
    missing = [f for f in report.active if catalogue.lookup(f.rule).name == "missing-index"]
    assert missing == []  # the index old.sql declares is in the schema: block-rewards' scan is served
    assert not [f for f in report.active if f.location.path == "state-builder/old.sql"]


def test_when_names_may_stand_for_it_every_file_is_read(project):
    folder = {
        "db/a.sql": QUERY.format(n=1),
        "db/b.sql": QUERY.format(n=2),
        "db/c.sql": QUERY.format(n=3),
    }
    texts = {
        "a name with a hole": ['open("db/a.sql")', 'open(f"db/{name}.sql")'],
        "a format string": ['open("db/a.sql")', 'open("db/%s.sql" % name)'],
        "a concatenation": ['open("db/a.sql")', "open('db/' + name + '.sql')"],
        "the folder on its own": ['open("db/a.sql")', 'os.listdir(os.path.join(HERE, "db"))'],
        "the stem": ['open("db/a.sql")', 'run_named_query("db/c")'],
        "a glob": ['open("db/a.sql")', 'glob.glob("db/*.sql")'],
    }
    for why, lines in texts.items():
        left = unloaded(list(folder), lines)
        assert left <= {"db/b.sql", "db/c.sql"}, why
        assert "db/b.sql" not in left or why == "the stem", why
        assert "db/c.sql" not in left, why
    # named one by one: the one no text names is left over; a JS import of a module named as the
    # folder is no listing of it
    assert unloaded(list(folder), ['open("db/a.sql")', 'require("./db")', "open('db/c.sql')"]) == {"db/b.sql"}
    # a folder none of whose files is named is not judged (loaded some way advisor does not see)
    assert unloaded(list(folder), ['open("other/x.sql")']) == set()
