"""Ignore patterns (`.gitignore`, `exclude`, `test-paths`) are repository text: matched without
backtracking, as pathspec's GitIgnoreSpec (the reading advisor used before) matched them."""

import pathspec
import pytest
from hypothesis import example, given, settings
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


_SEGMENTS = st.sampled_from(["**", "**", "a", "b", "*a", "a*", "?", "[ab]", "*", "ab", "b?", "*b*"])
_STRUCTURED = st.tuples(st.sampled_from(["", "/", "!"]), st.lists(_SEGMENTS, min_size=1, max_size=5),
                        st.sampled_from(["", "/"])).map(lambda p: p[0] + "/".join(p[1]) + p[2])
_WORDS = st.lists(st.sampled_from(["a", "b", "ab", "ba", "x", "xa", "bb"]), min_size=1, max_size=6)


@settings(max_examples=3000)
@given(st.lists(_STRUCTURED, min_size=1, max_size=2), _WORDS, st.booleans())
@example(["**/a/**/b"], ["ab", "a", "b"], False)  # red-team pass 10: a run committed where it ended mid-name
@example(["a/**/b?/**/c"], ["a", "bxy", "bz", "c"], False)
def test_patterns_of_whole_segments_and_double_stars_read_as_pathspec_read_them(lines, words, directory):
    path = "/".join(words) + ("/" if directory else "")
    assert IgnoreSpec(lines).check(path) is pathspec.GitIgnoreSpec.from_lines(lines).check_file(path).include


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


def test_brackets_python_would_warn_about_are_read_in_silence():
    """`[[`, `&&`, `--` in a bracket printed Python's FutureWarning, with advisor's source line, on every run."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spec = IgnoreSpec(["[[:alpha:]]x", "*[a&&b]*", "[a--b]"])
    assert spec.check("&") is True and spec.check("q") is None
