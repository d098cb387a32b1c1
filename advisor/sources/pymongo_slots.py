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

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

from advisor.ir import IndexDef, SourceFile
from advisor.mongo.shape import MongoQuery
from advisor.sources.mongo_names import run_time, run_time_name

if TYPE_CHECKING:
    from advisor.sources.js_mongo_factories import Made


@dataclass(frozen=True)
class Slot:
    """A parameter of a function: `owner` the class whose method it is ("" for a module's function),
    `position` its place among the arguments a call writes (after `self`; -1 keyword-only)."""

    owner: str
    function: str
    parameter: str
    position: int


# a collection's name, the caller's own parameter, a JavaScript caller's factory call (named by advisor.sources.links
# before the slots are settled), or None: not a collection advisor can name
Given = Union[str, Slot, "Made", None]


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

    targets: list[tuple[Slot, MongoQuery | IndexDef]] = field(default_factory=list)
    passed: list[Passed] = field(default_factory=list)
    calls: dict[tuple[str, str | None, bool], int] = field(default_factory=dict)
    typed: set[Slot] = field(default_factory=set)  # parameters annotated as a collection (`col: Collection`)
    # JavaScript: the targets (by id) advisor named by the parameter's own name, kept so when no caller passes one
    guessed: set[int] = field(default_factory=set)


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

    def step(slot: Slot) -> tuple[set[str | None], list[Slot]]:
        """What the calls of the slot's function pass there (None: not a collection), and the slots of the
        callers that hand on their own parameter."""
        calling = [p for p in passed.get(slot.function, ()) if runs(slot, p.owner, p.built)]
        total = sum(n for (owner, built), n in calls.get(slot.function, {}).items() if runs(slot, owner, built))
        out: set[str | None] = {None} if total > len(calling) else set()  # calls passing no collection
        handed: list[Slot] = []
        for p in calling:
            g = p.given(slot)
            if isinstance(g, Slot):
                handed.append(g)
            else:
                _add(out, [g if isinstance(g, str) else None])
        return out, handed

    memo: dict[Slot, set[str | None]] = {}  # shared by every target: each slot is followed once
    for source in sources:
        targets = source.links.slots.targets if source.links is not None else []
        typed = source.links.slots.typed if source.links is not None else set()
        guessed = source.links.slots.guessed if source.links is not None else set()
        for slot, target in targets:
            named = _given(slot, step, memo)
            if not any(named) and id(target) in guessed:
                continue  # no caller passes a collection: the name advisor read there stands (the query is kept)
            if not any(named) and slot not in typed:
                continue  # no caller passes a collection: not known to be MongoDB's (unless its annotation says)
            one = next(iter(named)) if len(named) == 1 and not run_time(str(next(iter(named)))) else None
            if isinstance(target, MongoQuery):
                if one and id(target) in guessed:  # the callers' collection, not a model guessed from the name
                    target.model, target.driver = None, True
                target.collection = one or run_time_name(slot.parameter)
                if id(target) not in guessed:  # a guessed one is among the file's queries already
                    source.queries.append(target)
            elif isinstance(target, IndexDef):
                target.table = one or run_time_name(slot.parameter)
                if id(target) not in guessed:
                    source.indexes.append(target)
        if targets:
            source.queries.sort(key=lambda q: (q.location.line, q.location.col))


def _add(into: set[str | None], more) -> None:
    """`into |= more`, kept to two: two different values already say the callers disagree (a slot's value
    matters only as none, one collection, or several), and sets along a long chain stay small."""
    for g in more:
        if len(into) >= 2:
            return
        into.add(g)


def _given(root: Slot, step: Callable, memo: dict[Slot, set[str | None]]) -> set[str | None]:
    """What the calls of `root`'s function pass there, the slots their callers hand on followed (`step`):
    every value reaching it through the call graph. The slots of one cycle (functions handing a collection
    to each other) are given the same; iterative (Tarjan's strongly connected components, no recursion
    on a chain of thousands of functions); `memo` the finished slots, shared by every target."""
    if root in memo:
        return memo[root]
    order: dict[Slot, int] = {}
    low: dict[Slot, int] = {}
    own: dict[Slot, set[str | None]] = {}
    todo: dict[Slot, Iterator[Slot]] = {}
    component: list[Slot] = []

    def enter(slot: Slot) -> None:
        order[slot] = low[slot] = len(order)
        own[slot], handed = step(slot)
        todo[slot] = iter(handed)
        component.append(slot)

    enter(root)
    path = [root]
    while path:
        slot = path[-1]
        for nxt in todo[slot]:
            if nxt in memo:
                _add(own[slot], memo[nxt])
            elif nxt not in order:
                enter(nxt)
                path.append(nxt)
                break
            else:  # on the component stack: its values join at the component's end
                low[slot] = min(low[slot], order[nxt])
        else:
            path.pop()
            if low[slot] == order[slot]:
                value: set[str | None] = set()
                members = [component.pop()]
                while members[-1] != slot:
                    members.append(component.pop())
                for m in members:
                    _add(value, own[m])
                for m in members:
                    memo[m] = value
            if path:
                low[path[-1]] = min(low[path[-1]], low[slot])
                if slot in memo:
                    _add(own[path[-1]], memo[slot])
    return memo[root]
