"""Ignore patterns (`.gitignore`, `exclude`, `test-paths`) are repository text: matched without
backtracking, as pathspec's GitIgnoreSpec (the reading advisor used before) matched them."""

import pathspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor import wildmatch
from advisor.wildmatch import IgnoreSpec, holes

# negated classes are left out: pathspec's `[!a]` also matches a slash, git's never does (below)
_PIECES = ["a", "b", "*", "?", "/", "!", "[ab]", "[a]", "\\", " ", "#", "**", "a", "/"]
_PATTERN = st.lists(st.sampled_from(_PIECES), max_size=9).map("".join)
_PATH = st.tuples(
    st.lists(st.sampled_from(["a", "b", "ab", "ba", "aa", "*"]), min_size=1, max_size=6), st.booleans()
).map(lambda p: "/".join(p[0]) + ("/" if p[1] else ""))


@settings(max_examples=3000)
@given(st.lists(_PATTERN, min_size=1, max_size=4), _PATH)
def test_a_path_is_excluded_or_kept_as_pathspec_said(lines, path):
    try:
        old = pathspec.GitIgnoreSpec.from_lines(lines).check_file(path).include
    except ValueError:  # pathspec refused the pattern (a trailing backslash): advisor stopped with an internal error
        assert IgnoreSpec(lines).check(path) is IgnoreSpec([line for line in lines if not line.rstrip().endswith("\\")]).check(path)
        return
    assert IgnoreSpec(lines).check(path) is old


@pytest.mark.parametrize(
    ("lines", "path", "expected"),
    [
        (["build/"], "build/", True),
        (["build/"], "src/build/q.sql", True),  # through the directory
        (["build/"], "build", None),  # a file called build
        (["/build"], "src/build", None),  # anchored
        (["build/", "!build/keep.sql"], "build/keep.sql", False),
        (["!build/keep.sql", "build/"], "build/keep.sql", False),  # the path's own match beats its directory's
        (["*.sql", "!q.sql"], "a/q.sql", False),
        (["a/**/b"], "a/b", True),
        (["a/**/b"], "a/x/y/b", True),
        (["**/b"], "x/b/c", True),
        (["a/**"], "a", None),
        (["a/**"], "a/x", True),
        (["[!a]x"], "a/x", None),  # a class never matches a slash (pathspec's `[^a]` did)
        (["foo\\"], "foo", None),  # git discards it; pathspec raised, and advisor stopped
        (["[z-a]"], "z", None),
        (["\\#x", "\\!y"], "#x", True),
        (["a\\ "], "a ", True),
    ],
)
def test_git_s_reading(lines, path, expected):
    assert IgnoreSpec(lines).check(path) is expected


def test_many_double_stars_on_a_deep_path_are_matched_without_trying_every_split():
    """`a/**/` fifteen times then `b/**/c`, on a path 60 directories deep: pathspec's regex tried every way to
    split the path among the `**` (killed after 120 s). Each run of segments a `**` leads to is committed
    at the first place it fits (an atomic group), so no split is tried twice."""
    line = "a/**/" * 15 + "b/**/c"
    (pattern,) = IgnoreSpec([line]).patterns
    assert pattern.regex.pattern.count("(?>") == 15  # all but the last run
    assert IgnoreSpec([line]).check("a/" * 60 + "q.sql") is None
    assert IgnoreSpec([line]).check("a/" * 15 + "x/b/y/c") is True
    assert IgnoreSpec([line]).check("a/" * 15 + "x/b/y/c/d.sql") is True  # below it
    assert IgnoreSpec(["*a/" * 70]).patterns[0].fixed == 70  # longer than the path: not tried


def test_many_stars_in_one_name_are_matched_without_trying_every_split():
    glob = "*a" * 40 + "*b"
    assert IgnoreSpec([glob]).check("a" * 4000) is None  # `[^/]*a[^/]*a...` backtracked over every split
    assert IgnoreSpec([glob]).check("x/" + "a" * 4000 + "b") is True
    assert holes(["", "a"] * 40 + ["b.sql"]).match("a" * 200 + ".sql") is None
    assert holes(["", "a"] * 40 + ["b.sql"]).match("a" * 200 + "B.SQL")
