"""The rule catalogue: one Markdown page per rule in `rules/`, the single home of its
metadata (TOML front matter), documentation and examples.

A page's fenced code blocks tagged `bad` or `good` are its test cases; blocks
tagged `schema` give the DDL its examples run against.

Every command reads the catalogue, so the parsed pages are kept as JSON in the cache
directory, keyed by the pages' names, sizes and mtimes: a run whose pages did not change
reads one file instead of parsing every page's TOML and Markdown.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from advisor.ir import SEVERITIES, Severity

FAMILIES = {
    "SQL": "static SQL",
    "MGO": "static MongoDB",
    "PLN": "from a query plan",
    "IDX": "index advice",
    "SCH": "schema",
    "ADV": "the tool itself",
}
_FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<code>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_FRONT = re.compile(r"\A\+\+\+\n(?P<meta>.*?)\n\+\+\+\n", re.DOTALL)
HELP_URI = "https://github.com/advisor-dev/advisor/blob/main/rules/{name}.md"


@dataclass(frozen=True)
class Example:
    kind: str  # bad, good, schema
    lang: str  # sql, python, js, ...
    code: str
    line: int  # line of the code's first line in the page


@dataclass(frozen=True)
class RuleSpec:
    id: str
    name: str
    summary: str
    severity: Severity
    needs: tuple[str, ...]
    aliases: tuple[str, ...]
    body: str
    path: str
    examples: tuple[Example, ...] = field(default=())
    default: bool = True  # selected unless the config says otherwise (`default = false`: a team policy, opt-in)
    # `workload = true`: the rule claims a cost paid each time the statement runs, so it is silent on code that
    # runs once by design (a migration step, a script: advisor/oneoff.py), where a full scan is the job
    workload: bool = False
    # `coverage = true`: a note on what advisor could not see (a table's definition, a collection's index
    # declarations), not a problem in the code: counted apart from the findings that claim one
    coverage: bool = False
    # `sized = true`: the claim only matters on a large table, so the rule is silent on one advisor does not
    # know grows (Schema.grows), and the project's unknown-size note names it
    sized: bool = False

    @property
    def family(self) -> str:
        m = re.match(r"[A-Z]+", self.id)
        if m is None:
            raise CatalogueError(f"{self.path}: rule id {self.id!r} does not start with a family prefix")
        return m.group(0)

    @property
    def help_uri(self) -> str:
        return HELP_URI.format(name=self.name)

    def section(self, title: str) -> str:
        m = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", self.body, re.MULTILINE | re.DOTALL)
        return m.group(1).strip() if m else ""

    @property
    def rationale(self) -> str:
        return _FENCE.sub("", self.section("Why")).strip()


class CatalogueError(Exception):
    pass


def rules_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "_catalogue", here.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise CatalogueError("rule catalogue not found (expected advisor/_catalogue or rules/)")


def parse_page(path: Path) -> RuleSpec:
    import tomllib  # here: a run served from the parsed-catalogue cache never imports it

    text = path.read_text(encoding="utf-8")
    m = _FRONT.match(text)
    if not m:
        raise CatalogueError(f"{path}: missing +++ front matter")
    meta = tomllib.loads(m.group("meta"))
    body = text[m.end() :]
    body_line = text.count("\n", 0, m.end()) + 1
    examples = []
    for fence in _FENCE.finditer(body):
        words = fence.group("info").split()
        if len(words) >= 2 and words[1] in ("bad", "good", "schema"):
            line = body_line + body.count("\n", 0, fence.start("code"))
            examples.append(Example(words[1], words[0], fence.group("code"), line))
    severity = meta.get("severity", "warning")
    if severity not in SEVERITIES:
        raise CatalogueError(f"{path}: severity {severity!r} is not one of {SEVERITIES}")
    default, workload, coverage = meta.get("default", True), meta.get("workload", False), meta.get("coverage", False)
    sized = meta.get("sized", False)
    for key, value in (("default", default), ("workload", workload), ("coverage", coverage), ("sized", sized)):
        if not isinstance(value, bool):
            raise CatalogueError(f"{path}: {key} {value!r} is not true or false")
    return RuleSpec(
        id=meta["id"],
        name=meta["name"],
        summary=meta["summary"],
        severity=severity,
        needs=tuple(meta.get("needs", ())),
        aliases=tuple(meta.get("aliases", ())),
        body=body.strip(),
        path=str(path),
        examples=tuple(examples),
        default=default,
        workload=workload,
        coverage=coverage,
        sized=sized,
    )


@lru_cache(maxsize=1)
def catalogue() -> dict[str, RuleSpec]:
    """Every rule by id, in id order."""
    directory = rules_dir()
    pages = sorted(p for p in directory.glob("*.md") if p.name != "README.md")
    key = _pages_key(directory, pages)
    specs = _load_parsed(key)
    if specs is None:
        specs = [parse_page(p) for p in pages]
        _save_parsed(key, specs)
    return {s.id: s for s in sorted(specs, key=lambda s: (list(FAMILIES).index(s.family), s.id))}


@lru_cache(maxsize=1)
def sized() -> frozenset[str]:
    """The names of the rules whose claim only matters on a large table (`sized = true`)."""
    return frozenset(s.name for s in catalogue().values() if s.sized)


# --- the parsed catalogue, cached -------------------------------------------------

_PARSED_FORMAT = 5  # bump when RuleSpec or Example change shape
_PARSED_FILE = "catalogue.json"


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _pages_key(directory: Path, pages: list[Path]) -> str:
    """What the parsed catalogue depends on: the pages, and this module (it does the parsing)."""
    parts = [_PARSED_FORMAT, str(directory), _stat(Path(__file__))] + [(p.name, _stat(p)) for p in pages]
    return json.dumps(parts)


def _parsed_path() -> Path | None:
    try:
        from advisor.home import cache_root

        return cache_root() / _PARSED_FILE
    except Exception:  # noqa: BLE001  no usable cache directory: parse the pages
        return None


def _load_parsed(key: str) -> list[RuleSpec] | None:
    """The specs cached under this key, or None (no cache, another key, an unreadable record)."""
    path = _parsed_path()
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        return [_spec_from_json(s) for s in data["specs"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save_parsed(key: str, specs: list[RuleSpec]) -> None:
    """Write the record beside, then move it in place: a concurrent run reads the old or the new one."""
    path = _parsed_path()
    if path is None:
        return
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_text(json.dumps({"key": key, "specs": [asdict(s) for s in specs]}), encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        temp.unlink(missing_ok=True)  # a cache that cannot be written is no cache


def _spec_from_json(data: dict) -> RuleSpec:
    data = dict(data)
    data["needs"] = tuple(data["needs"])
    data["aliases"] = tuple(data["aliases"])
    data["examples"] = tuple(Example(**e) for e in data["examples"])
    return RuleSpec(**data)


@lru_cache(maxsize=1)
def _by_name() -> dict[str, RuleSpec]:
    names = {}
    for spec in catalogue().values():
        for key in (spec.id, spec.name, *spec.aliases):
            names[key.lower()] = spec
    return names


def lookup(key: str) -> RuleSpec | None:
    """A rule by id, name or alias (case-insensitive)."""
    return _by_name().get(key.strip().lower())


def select(patterns: list[str]) -> set[str]:
    """Rule ids matching ids, names, aliases or id prefixes ("SQL", "SQL00", "ALL"); "DEFAULT": the rules on
    by default (every rule but the opt-in ones, whose page says `default = false`)."""
    ids: set[str] = set()
    for pattern in patterns:
        spec = lookup(pattern)
        if spec:
            ids.add(spec.id)
            continue
        upper = pattern.upper()
        if upper == "DEFAULT":
            ids |= {i for i, s in catalogue().items() if s.default}
            continue
        matched = {i for i in catalogue() if upper == "ALL" or (upper.strip() and i.startswith(upper))}
        if not matched:  # an empty pattern is no prefix of everything
            raise CatalogueError(
                f"unknown rule or prefix {pattern!r} (a rule id, name or id prefix from `advisor rules`, "
                "DEFAULT: the rules on by default, or ALL)"
            )
        ids |= matched
    return ids
