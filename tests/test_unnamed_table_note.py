"""A statement whose table advisor could not name (testarchiver's DAO: `INSERT INTO {table}(...)`, the table passed
by each of 28 callers; holdout 104) is read and checked against no table: one note per project says so,
at the first of them, with the files that hold most, so advisor's silence there is not read as "nothing found"."""

from advisor import catalogue, engine

DAO = """\
class Database:
    def insert(self, table, data):
        keys = list(data)
        sql = "INSERT INTO {table}({fields}) VALUES ({values})".format(
            table=table, fields=",".join(keys), values=",".join(["%s" for _ in keys])
        )
        self._cursor.execute(sql, [data[k] for k in keys])

    def fetch_id(self, table, key):
        self._cursor.execute("SELECT id FROM {} WHERE name = %s".format(table), (key,))

    def runs(self):
        self._cursor.execute("SELECT id FROM test_run WHERE archived = false")
"""


def _notes(project, files):
    project(files)
    return [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "unread-statement"]


def test_statements_whose_table_the_callers_name_are_said_once_per_project(project):
    other = "def purge(cur, table):\n    cur.execute('DELETE FROM %s WHERE done' % table)\n"
    found = _notes(project, {"db.py": DAO, "jobs.py": other})
    assert len(found) == 1, [f.message for f in found]
    # the INSERT's template, `VALUES ({values})`, is not parsed (its text is the run's): not counted
    assert (found[0].location.path, found[0].location.line) == ("db.py", 10)
    assert found[0].message.startswith("advisor read 2 SQL statements in code without naming their tables")
    assert found[0].message.endswith("the first here; in db.py (1), jobs.py (1)")


def test_a_truncate_or_a_copy_is_no_query_of_the_note(project):
    code = "def reset(cur, table):\n    cur.execute('TRUNCATE TABLE %s' % table)\n    cur.execute('COPY %s TO STDOUT' % table)\n"
    assert _notes(project, {"reset.py": code}) == []


def test_a_table_the_code_fixes_is_named_and_no_note_is_said(project):
    fixed = DAO.replace("self.insert(", "self.insert(").replace(
        "table=table,", 'table="test_run",'
    ).replace(".format(table)", '.format("test_run")')
    assert _notes(project, {"db.py": fixed}) == []
