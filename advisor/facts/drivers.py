"""How the project's PostgreSQL drivers send a statement, from the packages its manifests declare.

A generic plan (one plan for every parameter value, which PostgreSQL may settle on after a prepared
statement's fifth run) only arises for a statement the driver prepares under a name: asyncpg, psycopg 3
(after `prepare_threshold` runs), postgres.js, pg8000, Prisma.  node-postgres sends each statement unnamed
(PostgreSQL plans it with the values given, every time) unless the code names it (`{ name, text }`);
pg-promise, psycopg2 and aiopg write the values into the text.  `custom_plans` is True when every driver the
project declares is of the second kind, and no code of it names a statement: then no statement of its
code runs under a generic plan (unless a session forces one with `plan_cache_mode`)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from advisor.files import read_text

# the files at the project's root that list the packages it installs
MANIFESTS = ("package.json", "pyproject.toml", "setup.cfg", "setup.py", "PKG-INFO", "requirements.txt")

# npm: drivers that send a statement unnamed or with its values in the text; drivers that prepare it
_JS_CUSTOM = frozenset({"pg", "pg-pool", "pg-promise", "@neondatabase/serverless", "@vercel/postgres"})
_JS_PREPARING = frozenset({"postgres", "pg-native", "@prisma/client", "@electric-sql/pglite"})
# PyPI, the same two kinds (names normalised as pip does: lower case, `_` and `.` as `-`)
_PY_CUSTOM = frozenset({"psycopg2", "psycopg2-binary", "psycopg2cffi", "aiopg"})
_PY_PREPARING = frozenset({"psycopg", "psycopg-binary", "psycopg-c", "psycopg-pool", "asyncpg", "pg8000", "databases"})

# node-postgres's named statement (`{ name: 'by-id', text: ... }`) and pg-promise's PreparedStatement
_TEXT_KEY = re.compile(r"\btext\s*:")
_NAME_KEY = re.compile(r"\bname\s*:")
_PREPARE = re.compile(r"\bPREPARE\s+\w+\s*(?:\(|AS\b)", re.IGNORECASE)  # SQL's own PREPARE, any driver
_REQUIREMENT = re.compile(r"""^\s*["']?([A-Za-z0-9][A-Za-z0-9._-]*)""")


def manifest_paths(root: Path) -> list[Path]:
    """The manifests at the project's root: what `custom_plans` reads, so cached findings depend on them."""
    return [root / name for name in MANIFESTS if (root / name).is_file()]


def custom_plans(root: Path, code_texts: list[str]) -> bool:
    """Every PostgreSQL driver the project's manifests declare plans each statement with its values, and
    no text of the project names a statement for node-postgres or pg-promise to prepare, or PREPAREs one."""
    js, py = _declared(root)
    drivers = (js & (_JS_CUSTOM | _JS_PREPARING)) | (py & (_PY_CUSTOM | _PY_PREPARING))
    if not drivers or drivers & (_JS_PREPARING | _PY_PREPARING):
        return False
    return not any(_names_statement(text) or _PREPARE.search(text) for text in code_texts)


def _names_statement(text: str) -> bool:
    """An object literal with a `text` and a `name` key (node-postgres's named statement), or pg-promise's
    PreparedStatement. The key's object runs between the braces around it, nested ones counted; a `name`
    key of an object inside it counts too, so a name is never missed (then a generic plan is assumed)."""
    if "PreparedStatement" in text:
        return True
    for key in _TEXT_KEY.finditer(text):
        start = _brace(text, key.start() - 1, -1, "{", "}")
        end = _brace(text, key.end(), 1, "}", "{")
        if start is not None and _NAME_KEY.search(text, start, end if end is not None else key.end() + _OBJECT):
            return True
    return False


def _brace(text: str, at: int, step: int, wanted: str, other: str) -> int | None:
    """The position of the brace `wanted` that encloses `at`, walking by `step` at most _OBJECT characters."""
    depth = 0
    for i in range(at, max(-1, at - _OBJECT) if step < 0 else min(len(text), at + _OBJECT), step):
        if text[i] == other:
            depth += 1
        elif text[i] == wanted:
            if not depth:
                return i
            depth -= 1
    return None


_OBJECT = 2000  # characters either side of a `text:` key looked at for its object's `name:`


def _declared(root: Path) -> tuple[set[str], set[str]]:
    """The npm and the PyPI packages the root's manifests name (dependencies of every kind but development)."""
    js: set[str] = set()
    py: set[str] = set()
    for path in manifest_paths(root):
        text, _ = read_text(path)
        if not text:
            continue
        if path.name == "package.json":
            js |= _npm(text)
        elif path.name == "pyproject.toml":
            py |= _pyproject(text)
        elif path.name == "PKG-INFO":
            py |= {
                _normal(m.group(1)) for m in re.finditer(r"^Requires-Dist:\s*([A-Za-z0-9][A-Za-z0-9._-]*)", text, re.M)
            }
        else:  # setup.py, setup.cfg, requirements.txt: every quoted or listed requirement's name
            py |= {_normal(m.group(1)) for line in text.splitlines() if (m := _REQUIREMENT.match(line))}
            py |= {
                _normal(m.group(1)) for m in re.finditer(r"""["']([A-Za-z0-9][A-Za-z0-9._-]*)\s*[<>=!~;\[\]"']""", text)
            }
    return js, py


def _npm(text: str) -> set[str]:
    try:
        data = json.loads(text)
    except ValueError:
        return set()
    out: set[str] = set()
    if isinstance(data, dict):
        for key in ("dependencies", "peerDependencies", "optionalDependencies"):
            if isinstance(data.get(key), dict):
                out |= set(data[key])
    return out


def _pyproject(text: str) -> set[str]:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return set()
    project = _table(data, "project")
    groups = [project.get("dependencies"), *_table(project, "optional-dependencies").values()]
    listed = [r for group in groups if isinstance(group, list) for r in group if isinstance(r, str)]
    out = {_normal(m.group(1)) for r in listed if (m := _REQUIREMENT.match(r))}
    return out | {_normal(name) for name in _table(_table(_table(data, "tool"), "poetry"), "dependencies")}


def _table(data: dict, key: str) -> dict:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
