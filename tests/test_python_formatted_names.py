"""A statement held in a name and formatted where it runs (holdout 27's biopython BioSQL: `sql = ("SELECT ... WHERE
(identifier = '%s' AND ...)"); self.adaptor.execute(sql % (gi, self.dbid, accession, ...))`) is the formatted
text: the values the `%` splices are judged where they come from, so a record's accession from the parsed file
is string building, and the `'%s'` it is written with is no literal an integer column is compared with. The name
is the one literal the function's assignment gives there: another function's `sql`, run with parameters, is not
formatted by it, and fragments chosen from literals are no outside values."""

from advisor import catalogue, engine

LOADER = """\
def check_duplicate(adaptor, record, dbid):
    accession, version = record.id.split(".")
    version = int(version)
    sql = (
        "SELECT bioentry_id FROM bioentry "
        "WHERE (identifier = '%s' AND biodatabase_id = '%s') "
        "OR (accession = '%s' AND version = '%s' AND biodatabase_id = '%s')"
    )
    adaptor.execute(sql % (record.gi, dbid, accession, version, dbid))


def count(adaptor, name):
    sql = "SELECT COUNT(name) FROM biodatabase WHERE name = %s"
    return adaptor.execute(sql, (name,))


def recent(adaptor, room_id, only_urls):
    where = "AND contains_url = TRUE" if only_urls else ""
    sql = "SELECT bioentry_id FROM bioentry WHERE identifier = %%s %(where)s"
    return adaptor.execute(sql % {"where": where}, (room_id,))
"""

SCHEMA = """\
CREATE TABLE biodatabase (biodatabase_id INTEGER PRIMARY KEY, name VARCHAR(128) NOT NULL UNIQUE);
CREATE TABLE bioentry (
    bioentry_id INTEGER PRIMARY KEY, biodatabase_id INTEGER NOT NULL, identifier VARCHAR(40),
    accession VARCHAR(128) NOT NULL, version SMALLINT NOT NULL, contains_url BOOLEAN
);
"""


def test_a_statement_formatted_where_it_runs_is_judged_as_built(project):
    project(
        {"loader.py": LOADER, "schema.sql": SCHEMA, "advisor.toml": 'dialect = "postgres"\nschema = ["schema.sql"]\n'}
    )
    found = [
        (f.location.path, f.location.line, catalogue.lookup(f.rule).name, f.message)
        for f in engine.check(["."]).active
        if f.location.path == "loader.py"
    ]
    assert [(line, rule) for _, line, rule, _ in found] == [(5, "sql-string-building")]
    assert "record.gi" in found[0][3] and "accession" in found[0][3]
    assert "version" not in found[0][3]  # int(version): a number, no text from outside
