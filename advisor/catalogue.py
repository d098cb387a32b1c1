"""The rule catalogue: one Markdown page per rule in `rules/`, the single home of its
metadata (TOML front matter), documentation and examples.

A page's fenced code blocks tagged `bad` or `good` are its test cases; blocks
tagged `schema` give the DDL its examples run against.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from advisor.ir import SEVERITIES

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
    severity: str
    needs: tuple[str, ...]
    aliases: tuple[str, ...]
    body: str
    path: str
    examples: tuple[Example, ...] = field(default=())

    @property
    def family(self) -> str:
        return re.match(r"[A-Z]+", self.id).group(0)

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
    text = path.read_text(encoding="utf-8")
    m = _FRONT.match(text)
    if not m:
        raise CatalogueError(f"{path}: missing +++ front matter")
    meta = tomllib.loads(m.group("meta"))
    body = text[m.end():]
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
    )


@lru_cache(maxsize=1)
def catalogue() -> dict[str, RuleSpec]:
    """Every rule by id, in id order."""
    specs = [parse_page(p) for p in sorted(rules_dir().glob("*.md")) if p.name != "README.md"]
    return {s.id: s for s in sorted(specs, key=lambda s: (list(FAMILIES).index(s.family), s.id))}


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
    """Rule ids matching ids, names, aliases or id prefixes ("SQL", "SQL00", "ALL")."""
    ids: set[str] = set()
    for pattern in patterns:
        spec = lookup(pattern)
        if spec:
            ids.add(spec.id)
            continue
        upper = pattern.upper()
        matched = {i for i in catalogue() if upper == "ALL" or i.startswith(upper)}
        if not matched:
            raise CatalogueError(f"unknown rule or prefix {pattern!r}")
        ids |= matched
    return ids
