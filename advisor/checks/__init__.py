"""The code of the rules: one registry of functions, each registered under its rule's name.

A rule's metadata (id, severity, summary, examples) lives in its page in `rules/`
(advisor/catalogue.py); here is only what it looks for.  Every rule is a function of
one input yielding `Hit`s, registered with the decorator of its family:

- `query_check`: one parsed SQL statement with its facts and the schema (`QueryContext`);
- `source_check`: one extracted file, for what only the host language shows (`SourceFile`);
- `schema_check`: the whole schema, once (`Schema`);
- `mongo_check`: one MongoDB query shape with its collection's indexes (checks/mongo.py);
- `plan_check`: one PostgreSQL plan (checks/plans.py) or one MongoDB explain (mongo/explain.py).

`run_rules` is the one guard: a rule that raises on an input becomes a `rule-failed`
finding on that input, never a stopped run.  The analysis (advisor/analysis.py) turns
hits into findings with the rule's id and severity from the catalogue.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from advisor import catalogue, oneoff
from advisor.facts.sql import QueryFacts
from advisor.ir import Location, Schema, SqlQuery
from advisor.parse import without_stand_ins


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
    withheld_at: Location | None = None  # the declaration that may be the absent index, when one is known
    # a table or collection the hit's claim rests on the size of, when advisor does not know it grows
    # (Schema.grows): the engine reports no finding, and one note per project (unknown-size) names it
    unsized: str | None = None
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
    neighbours: tuple[SqlQuery | None, SqlQuery | None] = (None, None)  # the file's statements before and after
    # the project's drivers plan each statement with its values: no generic plan (advisor.facts.drivers)
    custom_plans: bool = False

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
            raw = self.query.text[span[0] : span[1] + 1]
            # a function's closing parenthesis has no position of its own
            depth = raw.count("(") - raw.count(")")
            rest = self.query.text[span[1] + 1 :]
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
        if isinstance(kwargs.get("help"), str):  # a fix keeps its stand-ins: no fix names one (advisor.analysis)
            kwargs["help"] = without_stand_ins(kwargs["help"])
        return Hit(without_stand_ins(message), self.at(node), **kwargs)

    @property
    def runs_once(self) -> bool:
        """Not the application's workload (advisor.oneoff.off_workload_statement): the rules with
        `workload = true` are silent on it."""
        defines = isinstance(self.tree, exp.Create) and (self.tree.args.get("kind") or "").upper() in (
            "VIEW",
            "FUNCTION",
            "PROCEDURE",
        )
        return oneoff.off_workload_statement(self.query, self.schema, defines)

    @property
    def confidence(self) -> str:
        """ "likely" when the statement is a sketch (built at run time, parts unknown) or was found by its
        name rather than by reaching an execution call; "certain" otherwise."""
        query = self.query
        sketch = query.dynamic or not getattr(query, "complete", True)
        return "likely" if sketch or getattr(query, "origin", "") == "named-constant" else "certain"


RULE_FAILED = "rule-failed"
KINDS = ("query", "source", "schema", "project", "mongo", "plan", "mongo-plan")


@dataclass(frozen=True)
class Rule:
    name: str  # the name of its page in rules/
    kind: str  # one of KINDS: what the function is given
    fn: Callable[[Any], Iterable[Hit]]


RULES: dict[str, Rule] = {}


def register(kind: str, name: str) -> Callable:
    """The decorator of every rule family: `fn` becomes the rule `name`, run on inputs of `kind`."""
    if kind not in KINDS:
        raise ValueError(f"unknown rule kind {kind!r}")

    def add(fn: Callable) -> Callable:
        if name in RULES and RULES[name].fn is not fn:
            raise ValueError(f"rule {name} registered twice")
        RULES[name] = Rule(name, kind, fn)
        return fn

    return add


def query_check(name: str) -> Callable:
    return register("query", name)


def source_check(name: str) -> Callable:
    return register("source", name)


def schema_check(name: str) -> Callable:
    return register("schema", name)


def project_check(name: str) -> Callable:
    """A rule over the whole loaded project (advisor.project.Project): what only all files together show."""
    return register("project", name)


def mongo_check(name: str) -> Callable:
    return register("mongo", name)


def plan_check(name: str) -> Callable:
    return register("plan", name)


def rules(kind: str) -> list[Rule]:
    """The registered rules of one kind, in registration order."""
    return [r for r in RULES.values() if r.kind == kind]


def run_rules(
    kind: str, arg: Any, where: Location, enabled: Callable[[str], bool], once: bool = False
) -> list[tuple[str, Hit]]:
    """(rule name, hit) of every enabled rule of `kind` on `arg`: the one guard of every rule family.

    A rule that raises yields one `rule-failed` hit at `where` (the input it failed on) instead.  `once`:
    `arg` is code that runs once by design, where the rules whose page says `workload = true` stay silent."""
    out: list[tuple[str, Hit]] = []
    for rule in rules(kind):
        if not enabled(rule.name):
            continue
        if once and _workload(rule.name):
            continue
        try:
            out += [(rule.name, hit) for hit in rule.fn(arg) or ()]
        except Exception as exc:  # noqa: BLE001  a rule's bug must not end the run
            out.append((RULE_FAILED, failure(rule.name, exc, where)))
    return out


def _workload(name: str) -> bool:
    spec = catalogue.lookup(name)
    return spec is not None and spec.workload


def failure(name: str, exc: Exception, where: Location, what: str = "") -> Hit:
    """The `rule-failed` hit of rule `name` (or of `what` the rules `name` need) that raised `exc`
    on the input at `where`."""
    return Hit(
        f"{what or 'rule ' + name} failed on this input ({type(exc).__name__}: {exc}); please report it",
        where,
        help=f"advisor skipped {'the ' + name if what else 'this rule'} here and checked the rest",
        subject=name,
        metrics={"rule": name},
    )


CHECK_MODULES = ("sql", "indexes", "schema", "mongo", "mongo_declared")


def load_checks() -> None:
    for name in CHECK_MODULES:
        module = f"advisor.checks.{name}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
