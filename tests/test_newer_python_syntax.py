"""Valid code of a newer Python than the one advisor runs on is not a syntax error (oban 0.7.0, holdout 18:
`type Result[T] = Cancel | Snooze | Record | T | None`, Python 3.12 syntax, reported as "Python syntax
error" by advisor on 3.11). It is said as what it is, a file advisor could not read; a real syntax error
(pyspider's `async=True` parameter, invalid on every Python from 3.7) stays a parse-error."""

import sys

from advisor import catalogue, engine
from advisor.sources.python import newer_syntax

JOB = '''\
type Result[T] = Cancel | Snooze | Record | T | None


def fetch(conn, queue):
    return conn.execute("SELECT * FROM oban_jobs WHERE queue = %s", (queue,))
'''

BROKEN = "def __init__(self, poolsize=100, async=True):\n    pass\n"


def _found(project, files):
    project(files)
    return [(catalogue.lookup(f.rule).name, f.location.path, f.location.line, f.message) for f in engine.check(["."]).active]


def test_newer_syntax_is_said_as_unread_code_and_a_real_syntax_error_stays_one(project):
    found = _found(project, {"oban/job.py": JOB, "pyspider/run.py": BROKEN})
    assert ("parse-error", "pyspider/run.py", 1) in [f[:3] for f in found]
    job = [f for f in found if f[1] == "oban/job.py" and f[0] != "incomplete-schema"]  # no schema: said, apart
    if sys.version_info < (3, 12):
        assert [f[:3] for f in job] == [("unread-statement", "oban/job.py", 1)]
        assert "Python 3.12" in job[0][3] and "syntax error" not in job[0][3]
        # the rest of the file is read: its query is checked (advisor.facts.python_parse)
        assert "advisor read the rest of the file without it" in job[0][3]
    else:  # read: no note, no error; its query is checked like any other
        assert not [f for f in job if f[0] in ("unread-statement", "parse-error")]


def test_the_constructs_a_newer_python_reads():
    lines = {
        "type Result[T] = Cancel | T | None": (3, 12),
        "type Ids = list[int]": (3, 12),
        "def first[T](items: list[T]) -> T:": (3, 12),
        "class Box[T]:": (3, 12),
        "except ValueError, TypeError:": (3, 14),
        "greeting = t'hello {name}'": (3, 14),
    }
    for line, version in lines.items():
        said = newer_syntax(line)
        assert (said is not None) == (sys.version_info < version), line
    for line in ("typed = 1", "def f(x, async=True):", "except (ValueError, TypeError):", "x = 't'"):
        assert newer_syntax(line) is None, line
