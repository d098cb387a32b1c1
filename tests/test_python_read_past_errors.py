"""A Python module with lines Python 3 cannot read (holdout 31's billy is Python 2: `raise E, "msg"` in
bin/update.py, the literal `0100644` in importers/bills.py, `ur''` in a view) is read past them: each such line is
read as `pass` (`if 1:` when it opens a block, `except:` for a Python 2 handler), the lines keep their numbers, and
one parse-error note says where Python's first error is and that the rest of the file was read. Before, the whole file was
lost, with every query in it."""

from hypothesis import given, settings
from hypothesis import strategies as st

from advisor import catalogue, engine
from advisor.facts.python_parse import parse_python
from advisor.sources.python import extract_python

PY2 = """\
from app.core import db


def load(bill_id):
    print "loading", bill_id
    try:
        bill = db.bills.find_one({'_all_ids': bill_id})
    except KeyError, e:
        raise ValueError, "no bill %s" % e
    mode = 0100644
    return db.votes.find({'bill_id': bill['_id']}).sort('date', -1)


def by_type(kind):
    objects = getattr(db, kind).find({'state': 'ny'})
    return getattr(db, 'committees').find_one({'committee': kind})
"""


def test_the_queries_around_python_2_lines_are_read():
    source = extract_python("app/load.py", PY2)
    shapes = [(q.location.line, q.collection, q.operation) for q in source.queries]
    assert (7, "bills", "find_one") in shapes and (11, "votes", "find") in shapes
    assert len(source.errors) == 1
    where, message = source.errors[0]
    # the error Python reports first (the octal literal: the tokenizer's), and how many lines were left out
    assert where.line == 10 and "advisor read the rest of the file without 4 lines, this one among them" in message


def test_getattr_of_a_database_is_its_collection():
    shapes = {(q.location.line, q.collection) for q in extract_python("app/load.py", PY2).queries}
    assert (16, "committees") in shapes  # a literal name: that collection
    assert (15, "<kind>") in shapes  # a name the caller gives: named at run time


def test_one_note_per_file_and_its_findings(project):
    project({"app/__init__.py": "", "app/load.py": PY2})
    found = [(catalogue.lookup(f.rule).name, f.location.line) for f in engine.check(["."]).active]
    assert [line for name, line in found if name == "parse-error"] == [10]


def test_a_file_that_is_not_python_is_not_read():
    text = "\n".join(f"this is not python {i}" for i in range(40)) + "\n"
    parsed = parse_python(text)
    assert parsed.tree is None and parsed.error is not None and parsed.error.lineno == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(['print "x"', "x = 0755", "raise E, 'm'", "y = 1", "z = f(y)"]), max_size=12))
def test_lines_keep_their_numbers(lines):
    """Whatever lines are left out, every statement read stands on its own line of the file."""
    text = "\n".join(lines) + "\n"
    parsed = parse_python(text)
    assert parsed.tree is not None
    read = {node.lineno for node in parsed.tree.body}
    for n, line in enumerate(lines, 1):
        if n in parsed.skipped:
            assert line in ('print "x"', "x = 0755", "raise E, 'm'")
        else:
            assert n in read


def test_a_line_python_reads_whole_is_one_line():
    """A form feed or U+2028 inside a line is no line end to Python: the line left out is the one it names."""
    parsed = parse_python('s = "a\u2028b"\x0c\nprint "x"\ny = 2\n')
    assert parsed.skipped == (2,) and parsed.tree is not None
    assert [node.lineno for node in parsed.tree.body] == [1, 2, 3]
