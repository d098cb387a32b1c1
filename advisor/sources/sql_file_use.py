"""The `.sql` files of a project that the project itself never loads.

A project that loads its query files one by one names each (ark-core's
`loadQueryFile(__dirname, "./state-builder/block-rewards.sql")`, nominatim's
`{% include('functions/utils.sql') %}`); a file in the same folder that nothing in the project names
is left over -- a query the code no longer runs (ark-core's `state-builder/delegates.sql`, kept in
the package after the loader stopped naming it). Its statements reach no execution call, so they are
no queries; its DDL stays in the schema model, as before.

Said only when sure, per folder: another `.sql` file of the folder is named by its file name; no
name in the project is built around a hole that could stand for it (`"migration_{0:03d}.sql"`,
`` `${name}.sql` ``, `name + ".sql"`: what the holes leave fixed must not match); the folder itself
is not named on its own (`os.path.join(HERE, "sql")`, a loader that lists it); nor is the file's
stem (`sql('state-builder/delegates')`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from advisor.sources.sql_shape import uncommented
from advisor.wildmatch import holes

# files that build or describe a package, not code that loads anything (`"copy": "cpy './**/*.sql' ../dist"`)
BUILD_FILES = frozenset({"package.json", "package-lock.json", "tsconfig.json", "pyproject.toml"})
# what a left-over file keeps: its DDL, which the schema model reads as before; a query, or a statement
# of a function body it defines, goes (the function is never created)
_DML = re.compile(r"^\s*(\(\s*)*(SELECT|WITH|INSERT|UPDATE|DELETE|MERGE|VALUES|TABLE)\b", re.IGNORECASE)

# a name ending in .sql as it stands in any text (a path, a template, an include): found by its suffix,
# then read back to where the name starts, at most _REACH characters (every pass is linear in the text:
# the repository is untrusted input, a crafted file must not stall a run)
_SUFFIX = re.compile(r"\.sql\b", re.IGNORECASE)
_NAME_BACKWARDS = re.compile(r"""[^\s"'`(),;=<>]*""")
_REACH = 200
# a quoted string (what a loader could list a folder by), and whether a JS import names it as a module
_STRING = re.compile(r"""(require\(\s*|import\(\s*|from\s+)?["'`]([^"'`\n]{1,300})["'`]""")
# the holes of a template, a format string or a glob: what they leave fixed is matched around them
_HOLE = re.compile(r"\$\{[^}]*\}|\{[^}]*\}|%\(\w+\)[a-z]|%[-0-9.]*[a-z]|[*?]|\[[^\]]*\]")
_MANY = 100  # more distinct names with holes than this: any file may be one of them (unsure: none is left over)
# a pattern is what the holes leave fixed, lower case, joined by a NUL (which no file name holds): plain
# data for the results cache, matched without backtracking (wildmatch.holes), so a name with many holes
# costs no more than one with few
_GAP = "\0"
_ANY = _GAP  # `name + ".sql"`: nothing fixed, any file


def _pattern(name: str) -> str | None:
    """A file name with holes as a pattern over file names; None when it has none."""
    if name.lower().startswith(".sql"):
        return _ANY
    if not _HOLE.search(name):
        return None
    return _GAP.join(part.lower() for part in _HOLE.split(name))


def mentions(text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """What one text says about `.sql` files: the file names it names, the names with holes it
    builds (as patterns), and the last parts of its strings (a folder or a stem it may load by).
    Plain sorted data: the results cache keeps it as part of what each file gives the others."""
    names: set[str] = set()
    patterns: set[str] = set()
    for m in _SUFFIX.finditer(text):
        window = text[max(0, m.start() - _REACH) : m.start()][::-1]
        head = _NAME_BACKWARDS.match(window)
        base = ((head.group(0)[::-1] if head else "") + m.group(0)).replace("\\", "/").rsplit("/", 1)[-1]
        pattern = _pattern(base)
        if pattern is None:
            names.add(base.lower())
        else:
            patterns.add(pattern)
    return tuple(sorted(names)), tuple(sorted(patterns)), tuple(sorted(_strings(text)))


def left_over(sql_files: Iterable[str], said: Iterable[tuple[tuple[str, ...], ...]]) -> set[str]:
    """The paths among `sql_files` (display paths, `/`-separated) that no text of the project names while
    naming another `.sql` file of the same folder, from the `mentions` of each text."""
    by_folder: dict[str, list[PurePosixPath]] = {}
    for path in sql_files:
        p = PurePosixPath(path.replace("\\", "/"))
        by_folder.setdefault(str(p.parent), []).append(p)
    if not any(len(files) > 1 for files in by_folder.values()):
        return set()
    names: set[str] = set()
    patterns: set[str] = set()
    alone: set[str] = set()
    for file_names, file_patterns, strings in said:
        names.update(file_names)
        patterns.update(file_patterns)
        alone.update(strings)
    if _ANY in patterns or len(patterns) > _MANY:
        return set()
    compiled = [holes(p.split(_GAP)) for p in patterns]

    def named(p: PurePosixPath) -> bool:
        return p.name.lower() in names or any(m.match(p.name) for m in compiled)

    out: set[str] = set()
    for folder, files in by_folder.items():
        if len(files) < 2 or not any(named(p) for p in files):
            continue
        left = [p for p in files if not named(p)]
        if not left or PurePosixPath(folder).name in alone or folder == ".":
            continue
        out.update(str(p) for p in left if p.stem not in alone)
    return out


def _strings(text: str) -> set[str]:
    """What a string of the text names as its last part (`"sql"`, `'./sql/'`, `"queries/users"` -> sql,
    sql, users), other than a module a JS import names (`require("./state-builder")` beside the folder
    `state-builder/`): a folder a loader may list, a file it may read by its stem."""
    out = set()
    for m in _STRING.finditer(text):
        if not m.group(1):
            out.add(m.group(2).rstrip("/").rsplit("/", 1)[-1])
    return out


def said_to_others(source: Any) -> tuple[tuple[str, ...], ...] | None:
    """The `mentions` of a source's text that decide which `.sql` files are left over, or None for
    a file that builds or describes the package."""
    if PurePosixPath(source.path).name.lower() in BUILD_FILES:
        return None
    return mentions(source.text)


def drop_unloaded(sources: list[Any], exempt: set[str]) -> None:
    """Take the queries out of the project's left-over `.sql` files (in place), but for `exempt` (the
    config's schema files): each keeps its DDL."""
    left = left_over(
        [s.path for s in sources if s.path.lower().endswith(".sql") and s.path not in exempt],
        (m for s in sources if (m := said_to_others(s)) is not None),  # read only if a folder has two
    )
    for source in sources:
        if source.path in left:
            source.queries = [
                q
                for q in source.queries
                if "function" not in (getattr(q, "origin", "") or "") and not _DML.match(uncommented(q.text))
            ]


def run_by_name(sources: list[Any]) -> set[str]:
    """The `.sql` files the project's code names by their file name (`(SCRIPTS_DIR / "drop_indexes.sql")`): a
    script the code loads and runs at a moment of its own, as a bulk load drops the indexes it adds again after. A
    name several files share (each migration folder's `up.sql`) is a runner's pattern, not one script: none of them."""
    by_name: dict[str, list[str]] = {}
    for s in sources:
        if s.path.lower().endswith(".sql"):
            by_name.setdefault(PurePosixPath(s.path).name.lower(), []).append(s.path)
    sql = {name: paths[0] for name, paths in by_name.items() if len(paths) == 1}
    if not sql:
        return set()
    named: set[str] = set()
    for source in sources:
        if not source.path.lower().endswith(".sql") and ".sql" in source.text.lower():
            said = said_to_others(source)
            named.update(said[0] if said is not None else ())
    return {path for name, path in sql.items() if name in named}
