"""A collection a Python function receives as a parameter from another module of the project.

`def process_filter(self, data, ...): data.aggregate(pipeline)` in one module, called in another as
`MongoDBFilter(...).process_filter(db["objects"], ...)`: the module holding the query cannot name the
collection, the modules calling it can. Each file records the queries and indexes on such a parameter (its
`Slot`), and the calls that pass a collection, or one of those parameters, by the name called (`Passed`),
with how many calls of each name it makes. Once every file is extracted (advisor.sources.links.link), a
slot is the collection every call of its function in the project passes there, followed through functions
that hand their own parameter on (`self.get_result_count(pipeline, data)`); when the callers pass
different collections, or something else as well, it is a collection named at run time (`<data>`, a
sketch: no claim rests on its indexes, as for a parameter its own module's calls disagree on); when no
caller passes a collection, nothing says it is MongoDB's and the shape is not kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from advisor.ir import IndexDef, SourceFile
from advisor.mongo.shape import MongoQuery
from advisor.sources.mongo_names import run_time, run_time_name


@dataclass(frozen=True)
class Slot:
    """A parameter of a function: `owner` the class whose method it is ("" for a module's function),
    `position` its place among the arguments a call writes (after `self`; -1 keyword-only)."""

    owner: str
    function: str
    parameter: str
    position: int


Given = str | Slot | None  # a collection's name, the caller's own parameter, or something else


@dataclass(frozen=True)
class Passed:
    """A call of `function` passing a collection (or a slot) for some argument; `owner` the class of the
    receiver when known (`self.f()` in class C, `x.f()` after `x = C(...)`: `built`, that very class), ""
    for a plain `f()`, None when the receiver is unknown (it may be any class's)."""

    function: str
    owner: str | None
    positional: tuple[Given, ...]
    keywords: tuple[tuple[str, Given], ...]
    built: bool = False

    def given(self, slot: Slot) -> Given:
        named = dict(self.keywords)
        if slot.parameter in named:
            return named[slot.parameter]
        return self.positional[slot.position] if 0 <= slot.position < len(self.positional) else None


@dataclass
class Slots:
    """What one file says: its queries and indexes on a slot, its calls passing collections, and how many
    calls it makes of each (name, receiver class, whether built there)."""

    targets: list[tuple[Slot, Any]] = field(default_factory=list)
    passed: list[Passed] = field(default_factory=list)
    calls: dict[tuple[str, str | None, bool], int] = field(default_factory=dict)


def settle_slots(sources: list[SourceFile], ancestors: Callable[[str], list[str]]) -> None:
    """Name the targets of every file's slots and add those kept to their file (in place);
    `ancestors(cls)`: the class and its bases across the project, nearest first."""
    found = [s.links.slots for s in sources if s.links is not None]
    passed: dict[str, list[Passed]] = {}
    calls: dict[str, dict[tuple[str | None, bool], int]] = {}  # name -> (receiver class, built) -> calls
    for slots in found:
        for p in slots.passed:
            passed.setdefault(p.function, []).append(p)
        for (name, owner, built), n in slots.calls.items():
            counted = calls.setdefault(name, {})
            counted[(owner, built)] = counted.get((owner, built), 0) + n

    def runs(slot: Slot, owner: str | None, built: bool) -> bool:
        """Whether a call on a receiver of class `owner` may run the slot's function: an instance built
        from it or a subclass; `self` in a class it derives from or derives it (None: any receiver)."""
        if owner is None or not slot.owner:
            return owner is None or (not slot.owner and owner == "")
        return slot.owner in ancestors(owner) or (not built and owner in ancestors(slot.owner))

    def given(slot: Slot, memo: dict[Slot, set[str | None]]) -> set[str | None]:
        """What the calls of the slot's function pass there, slots followed (None: not a collection). A set: what
        matters is whether they agree, and paths through a call graph can be many more than its calls."""
        if slot in memo:
            return memo[slot]
        memo[slot] = set()  # being followed: a call handing it on to itself passes what its callers pass
        calling = [p for p in passed.get(slot.function, ()) if runs(slot, p.owner, p.built)]
        total = sum(n for (owner, built), n in calls.get(slot.function, {}).items() if runs(slot, owner, built))
        out: set[str | None] = {None} if total > len(calling) else set()  # calls passing no collection
        for p in calling:
            g = p.given(slot)
            out |= given(g, memo) if isinstance(g, Slot) else {g if isinstance(g, str) else None}
        memo[slot] = out
        return out

    for source in sources:
        targets = source.links.slots.targets if source.links is not None else []
        for slot, target in targets:
            named = given(slot, {})
            if not any(named):
                continue  # no caller passes a collection: not known to be MongoDB's
            one = next(iter(named)) if len(named) == 1 and not run_time(str(next(iter(named)))) else None
            if isinstance(target, MongoQuery):
                target.collection = one or run_time_name(slot.parameter)
                target.partial = target.partial or one is None
                source.queries.append(target)
            elif isinstance(target, IndexDef):
                target.table = one or run_time_name(slot.parameter)
                source.indexes.append(target)
        if targets:
            source.queries.sort(key=lambda q: (q.location.line, q.location.col))
