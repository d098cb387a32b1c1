"""The code of the rules: functions registered by rule name.

A rule's metadata lives in its catalogue page; here is only what it looks for.
Three kinds of checks:

- query checks see one parsed statement with its facts and the schema;
- source checks see one extracted file (for what only the host language shows);
- schema checks see the whole schema once.

Each yields `Hit`s; the engine turns them into findings with the rule's id and
severity from the catalogue.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from sqlglot import exp

from advisor.ir import Location, Schema, SourceFile, SqlQuery
from advisor.facts.sql import QueryFacts


@dataclass
class Hit:
    message: str
    location: Location
    help: str = ""
    fix: str | None = None
    subject: str = ""
    query: str | None = None
    query_location: Location | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    severity: str | None = None  # overrides the rule's default for this hit
    # a table whose definition advisor has not wholly seen, when the hit claims an absence about it:
    # the engine reports no finding, and one note per project names what it could not see
    withheld: str | None = None
    confidence: str = "certain"


def _span(node: exp.Expression) -> tuple[int, int] | None:
    """(first start, last end) offsets of the positions sqlglot kept under a node."""
    starts, ends = [], []
    for child in node.walk():
        if child._meta and "start" in child.meta:  # noqa: SLF001 (reading .meta would create empty dicts)
            starts.append(child.meta["start"])
            ends.append(child.meta["end"])
    return (min(starts), max(ends)) if starts else None


@dataclass
class QueryContext:
    query: SqlQuery
    tree: exp.Expression
    facts: QueryFacts
    schema: Schema

    def at(self, node: exp.Expression | None) -> Location:
        """The span of a node in the file, from the nearest positions sqlglot kept."""
        if node is None:
            return self.query.location
        span = _span(node)
        if span:
            return self.query.textmap.locate(*span)
        parent = node.parent
        while parent is not None:
            if parent._meta and "start" in parent.meta:  # noqa: SLF001
                return self.query.textmap.locate(parent.meta["start"], parent.meta["end"])
            parent = parent.parent
        return self.query.location

    def text(self, node: exp.Expression) -> str:
        """The node as the user wrote it (falls back to generated SQL)."""
        span = _span(node)
        if span:
            raw = self.query.text[span[0]: span[1] + 1]
            # a function's closing parenthesis has no position of its own
            depth = raw.count("(") - raw.count(")")
            rest = self.query.text[span[1] + 1:]
            while depth > 0 and rest.lstrip().startswith(")"):
                stripped = rest.lstrip()
                raw += rest[: len(rest) - len(stripped) + 1]
                rest = stripped[1:]
                depth -= 1
            if depth == 0:
                cast = re.match(r"\s*::\s*[A-Za-z_][\w ]*?(\(\s*\d+(\s*,\s*\d+)?\s*\))?(?=\W|$)", rest)
                if isinstance(node, (exp.Cast, exp.TryCast)) and cast:
                    raw += cast.group(0)
                return raw
        return node.sql(dialect="postgres")

    def hit(self, node: exp.Expression | None, message: str, **kwargs: Any) -> Hit:
        kwargs.setdefault("query", self.query.text)
        kwargs.setdefault("query_location", self.query.location)
        kwargs.setdefault("confidence", self.confidence)
        for key in ("help", "fix"):
            if isinstance(kwargs.get(key), str):
                kwargs[key] = _PLACEHOLDER.sub("…", kwargs[key])
        return Hit(_PLACEHOLDER.sub("…", message), self.at(node), **kwargs)

    @property
    def confidence(self) -> str:
        """"likely" when the statement is a sketch (built at run time, parts unknown) or was found by its
        name rather than by reaching an execution call; "certain" otherwise."""
        query = self.query
        sketch = query.dynamic or not getattr(query, "complete", True)
        return "likely" if sketch or getattr(query, "origin", "") == "named-constant" else "certain"


_PLACEHOLDER = re.compile(r"\b__advisor\w*")  # internal stand-ins for unknown pieces: never shown

QueryCheck = Callable[[QueryContext], Iterable[Hit]]
SourceCheck = Callable[[SourceFile], Iterable[Hit]]
SchemaCheck = Callable[[Schema], Iterable[Hit]]

QUERY_CHECKS: dict[str, QueryCheck] = {}
SOURCE_CHECKS: dict[str, SourceCheck] = {}
SCHEMA_CHECKS: dict[str, SchemaCheck] = {}


def query_check(name: str):
    def register(fn: QueryCheck) -> QueryCheck:
        QUERY_CHECKS[name] = fn
        return fn

    return register


def source_check(name: str):
    def register(fn: SourceCheck) -> SourceCheck:
        SOURCE_CHECKS[name] = fn
        return fn

    return register


def schema_check(name: str):
    def register(fn: SchemaCheck) -> SchemaCheck:
        SCHEMA_CHECKS[name] = fn
        return fn

    return register


CHECK_MODULES = ("sql", "indexes", "schema", "mongo")


def load_checks() -> None:
    for name in CHECK_MODULES:
        module = f"advisor.checks.{name}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
