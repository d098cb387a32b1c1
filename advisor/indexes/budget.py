"""A storage budget for the set (`advisor indexes --max-size`, `[indexes] max_size`): the standard
footprint control of index advisors (SQL Server's Database Engine Tuning Advisor `-B storage_size`;
the index-selection literature's knapsack), applied after the set is chosen by cost
(advisor/indexes/select.py) and only when that set's measured size is over the budget.

The default, when nobody sets one: 25% of the heap of the tables the workload reads, and never less
than the narrowest form of every index of the set together (each index's smallest variant below: its
leading key alone, without INCLUDE columns, as built).  An index that earns its bar is worth its bytes
by the cost model, but the last milliseconds of a covering index can cost more bytes than the rest of
the set (TPC-H: lineitem(l_shipdate) INCLUDE (four columns), 28 MB, a third of lineitem, for 26 ms
of the 22 queries' 1.4 s); bytes are disk, write amplification and cache.  The floor is why a share of
the data can be the default: on a project of narrow tables, where one plain integer index is a tenth or
a quarter of its table, a share alone left queries without their index (tried, and undone, before);
with the floor the default narrows an index, it never leaves one out for want of bytes.  `none` lifts it.

Then the set is chosen again, greedily, by benefit per byte under the budget -- from every index of the
set in its narrowest form, when the budget holds them all (the default always does): a greedy from
nothing fills the bytes with the largest savings first and can leave a small index that pays well out
for want of the last few hundred kB (TPC-H at 25%: Q12's 2.8 MB index, or Q22's 1.2 MB one, by turns);
from the narrowest forms it spends what is left on widening them.  The options are the set's
indexes, their narrower variants (each prefix of the keys, with and without the INCLUDE
columns: advisor/indexes/slim.py) and the merges of two of them that lead with the same column
(one's keys, the other's columns carried as INCLUDE: slim.merged -- where nearly every key is
unique, btree deduplication saves nothing and one index stands for two in the bytes of one:
TPC-H's lineitem(l_partkey, l_quantity) and (l_partkey, l_suppkey), 18 + 6 MB, as one of 18 MB).
Every option is built on the seeded data and its size measured (deduplication counted).  Each round
adds the option that saves the most of the workload's planned cost per byte it adds,

    score(o | S) = saved(cost_S, cost_{S+o}) / (size(o) - size(replaced))
    saved(a, b)  = sum over q of (a(q) - b(q))

in absolute cost, not each query's saving relative to its cost as the set's rule counts benefit: the
budget trades one index against another, and a large saving on one query must not be outweighed by
small relative ones on several (TPC-H: Q17's index, 20830 -> 8045, counts 0.61 relative, less than
lineitem(l_suppkey)'s 7655 -> 12063 on Q7 and 7694 -> 10650 on Q21, 0.64 together, for 7364 of cost
against 12785).  A query made dearer counts against (a merge can serve one of its two queries worse than the
index it replaces).  An option standing for an index already taken (wider than it, or merging it)
replaces it (its score is per byte it adds over it), one the set already stands for is never taken
beside it.  An option must fit the budget and earn the set's bar for the bytes it adds, by the set's
relative rule (`net`), `threshold * (1 + added / table size)`: the budget caps the bytes, it never
lowers what an index must save to be worth having (nor does it fill the bytes with indexes the set
would not take without it).  Scores only fall as the set grows, so each round re-plans the best stale
score first and takes it when it stays on top (lazy greedy); an index taken on a table makes that
table's options be re-planned.  A greedy by gain per byte can leave unused the bytes a larger option
would have paid for (knapsack): then single exchanges are tried, an option that does not fit going in
for an index of the set when it earns its bar there and the workload's planned cost falls
(`Search.swaps`).  The set left then goes through the cost-based elimination again (an index a later
one made redundant goes), and the clock (select.py, steps 6-8): an index it leaves out goes with every
option that comes from the same index of the set, and the search runs again over the rest (`Fit`).
Each configuration is planned only for the queries an option in it can change, once
(advisor/indexes/reach.py, replan.ConfigPlans).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from advisor.errors import ConfigError  # light: the config check parses [indexes] max_size on every command

if TYPE_CHECKING:
    from advisor.config import Config
    from advisor.indexes.candidates import Candidate
    from advisor.indexes.select import Choice

UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}  # as pg_size_pretty
SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(%|[kmgt]?b)\s*", re.IGNORECASE)
HINT = 'expected a size such as 35MB, 500kB, 2GB, a share of the tables the workload reads such as 20%, or "none"'
NONE = "none"  # no budget: every index that earns its bar is kept, whatever the set's size
DEFAULT = "25%"  # of the tables the workload reads, and at least the set's narrowest form (module docstring)


@dataclass(frozen=True)
class MaxSize:
    """A budget: bytes, or a fraction of the heap size of the tables the workload reads (seeded data);
    neither: no budget (`none`).  `default`: nobody set it."""

    text: str
    bytes: int | None = None
    fraction: float | None = None
    default: bool = False

    @property
    def none(self) -> bool:
        return self.bytes is None and self.fraction is None

    def limit(self, heap_bytes: int) -> int:
        return self.bytes if self.bytes is not None else int((self.fraction or 0.0) * heap_bytes)


def parse_max_size(text: str, where: str = "--max-size") -> MaxSize:
    """`35MB`, `500kB`, `1.5GB` (1024-based, as PostgreSQL prints sizes), `20%` or `none`; ConfigError otherwise."""
    if isinstance(text, str) and text.strip().lower() == NONE:
        return MaxSize(NONE)
    m = SIZE.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise ConfigError(f"{where}: {text!r} is not a size ({HINT})")
    number, unit = float(m.group(1)), m.group(2).lower()
    if not math.isfinite(number) or number <= 0:
        raise ConfigError(f"{where}: {text!r}: a budget must be above zero ({HINT})")
    if unit == "%":
        if number > 1000:
            raise ConfigError(f"{where}: {text!r}: at most 1000% of the tables' size")
        return MaxSize(text.strip(), fraction=number / 100)
    return MaxSize(text.strip(), bytes=int(number * UNITS[unit]))


INDEXES_KEYS = {"max_size"}


def max_size_setting(config: Config) -> MaxSize:
    """`[indexes] max_size` of the config, validated; the default (DEFAULT, with its floor) when not set."""
    where = f"{config.label}: [indexes]"
    raw = config.indexes or {}
    for key in raw:
        if key not in INDEXES_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} (expected one of {', '.join(sorted(INDEXES_KEYS))})")
    if "max_size" not in raw:
        return replace(parse_max_size(DEFAULT), default=True)
    if not isinstance(raw["max_size"], str):
        raise ConfigError(
            f'{where} max_size: expected a string such as "35MB", "20%" or "none", got {raw["max_size"]!r}'
        )
    return parse_max_size(raw["max_size"], f"{where} max_size")


def heap_bytes(conn, tables: set[str]) -> int:
    """Heap size of these tables on the seeded data (partitions summed; a name that is no table: 0)."""
    from advisor.indexes.candidates import regclass_text

    row = conn.execute(
        """SELECT coalesce(sum(CASE WHEN c.relkind = 'p'
            THEN (SELECT coalesce(sum(pg_relation_size(t.relid)), 0) FROM pg_partition_tree(c.oid) t)
            ELSE pg_relation_size(c.oid) END), 0)
        FROM pg_class c WHERE c.oid IN (SELECT to_regclass(x) FROM unnest(%s::text[]) x)""",
        ([regclass_text(t) for t in sorted(tables)],),
    ).fetchone()
    return int(row[0])


def narrower(a: Candidate, b: Candidate) -> bool:
    """Is a one of b's narrower variants (a prefix of its keys, with or without its INCLUDE columns)?
    Why each was proposed (`reason`) does not count."""
    from advisor.indexes.slim import variants

    return replace(a, reason="") in {replace(v, reason="") for v in variants(b)}


@dataclass
class Fitted:
    """What fit() left: the set under the budget, and what became of each index of the set over it."""

    kept: list[Choice]
    narrowed: list[tuple[Choice, Choice]] = field(default_factory=list)  # (index of the set, its variant taken)
    merged: list[tuple[Choice, Choice]] = field(default_factory=list)  # (index of the set, the merge taken for it)
    # (index of the set, an option taken that stands for its narrowest form: a wider index over the same prefix)
    standing: list[tuple[Choice, Choice]] = field(default_factory=list)
    left_out: list[Choice] = field(default_factory=list)  # neither it nor a variant fits


def _options(
    conn, kept: list[Choice], names: dict[int, str], qualified: Callable[[str, str], str]
) -> tuple[list[Choice], dict[int, tuple[Choice, Choice]], dict[int, set[int]]]:
    """The set's indexes, their narrower variants and the merges of two of them (slim.merged), each built
    (in the caller's transaction); for each merge, by id, the two indexes it stands for; and for each
    option, by id, the ids of the indexes of the set it comes from."""
    from advisor.indexes.slim import merged, variants

    options, by_shape = list(kept), {replace(ch.candidate, reason=""): ch for ch in kept}
    parts: dict[int, tuple[Choice, Choice]] = {}
    origin = {id(ch): {id(ch)} for ch in kept}

    def add(ch: Choice, v: Candidate, queries: list, comes_from: set[int]) -> Choice | None:
        shape = replace(v, reason="")
        if shape in by_shape:  # one variant of two indexes of the set: built once, standing for both
            by_shape[shape].queries.extend(r for r in queries if r not in by_shape[shape].queries)
            origin[id(by_shape[shape])] |= comes_from
            return None
        opt = replace(ch, candidate=v, queries=list(queries), size_bytes=None, build_ms=None, served=[])
        if _build(conn, opt, qualified(v.table, f"advisor_fit_{len(names)}"), names):
            options.append(opt)
            by_shape[shape] = opt
            origin[id(opt)] = set(comes_from)
            return opt
        return None

    for ch in kept:
        for v in variants(ch.candidate):
            add(ch, v, ch.queries, {id(ch)})
    for a in kept:
        for b in kept:
            m = merged(a.candidate, b.candidate) if a is not b else None
            opt = add(b, m, a.queries + b.queries, {id(a), id(b)}) if m is not None else None
            if opt is not None:
                parts[id(opt)] = (a, b)
    return options, parts, origin


def _build(conn, opt: Choice, name: str, names: dict[int, str]) -> bool:
    """Build one option under `name` (a savepoint: a refused build leaves the rest); its size and build time."""
    import psycopg

    from advisor.indexes.verify import build

    try:
        with conn.transaction():
            opt.build_ms, opt.size_bytes = build(conn, opt.candidate, name)
    except psycopg.Error:
        return False
    names[id(opt)] = name
    return True


def saved(old: dict[int, float], new: dict[int, float]) -> float:
    """The workload's planned cost saved going from costs `old` to `new` (a query made dearer counts against)."""
    return sum(old[k] - new[k] for k in old)


def net(old: dict[int, float], new: dict[int, float]) -> float:
    """What the queries gain together going from costs `old` to `new`, each relative to the larger of its two
    costs: a query made cheaper counts as the set's rule counts it, one made dearer (an option standing for an
    index that served it better) counts against."""
    return sum((old[k] - new[k]) / max(old[k], new[k]) for k in old if max(old[k], new[k]) > 0)


class Search:
    """The greedy and the exchanges over built options (module docstring), over plain numbers:
    costs(config) -> query key -> planned cost with exactly those options built; `chosen` is the set
    and `current` the costs with it; parts: id(option) -> the two options a merge stands for."""

    def __init__(
        self,
        options: list[Choice],
        limit: int,
        threshold: float,
        before: dict[int, float],
        costs: Callable[[list[Choice]], dict[int, float]],
        parts: dict[int, tuple[Choice, Choice]] | None = None,
    ) -> None:
        self.options, self.limit, self.threshold, self.costs = options, limit, threshold, costs
        self.keys = list(before)
        self.current = dict(before)
        self.chosen: list[Choice] = []
        self.required: list[set[int]] = []  # start(): each index's forms, one of which every set keeps
        self.seen: dict[frozenset[int], dict[int, float]] = {}
        parts = parts or {}

        def stands_for(o: Choice, c: Choice) -> bool:  # o in the set leaves no room for c beside it
            return any(c is p or narrower(c.candidate, p.candidate) for p in (o, *parts.get(id(o), ())))

        self.covers = {id(o): {id(c) for c in options if c is not o and stands_for(o, c)} for o in options}

    def start(self, config: list[Choice], required: list[set[int]]) -> None:
        """Begin from `config` (every index of the set in its narrowest form): the greedy then spends what the
        budget leaves on widening them and on merges, and no step leaves a set of `required` (the ids of the
        forms of one index of the set) without one of its forms."""
        # an option that stands for a form of the index (a wider one over a shared prefix) keeps it too
        self.chosen = list(config)
        self.required = [forms | {id(o) for o in self.options if self.covers[id(o)] & forms} for forms in required]
        self.current.update(self.planned(self.chosen))

    def holds(self, config: list[Choice]) -> bool:
        """Does config keep a form of every index the search started from?"""
        ids = {id(c) for c in config}
        return all(ids & forms for forms in self.required)

    def covered(self, o: Choice) -> bool:
        """Does an index of the set already stand for o?"""
        return any(id(o) in self.covers[id(c)] for c in self.chosen)

    def with_(self, o: Choice, out: Choice | None = None) -> tuple[list[Choice], int]:
        """The set with o in (the options it stands for, and `out`, taken out) and its bytes."""
        config = [c for c in self.chosen if c is not out and id(c) not in self.covers[id(o)]] + [o]
        return config, sum(c.size_bytes or 0 for c in config)

    def bar(self, o: Choice, added: int) -> float:
        """What o must save for the bytes it adds: the set's rule, threshold x (1 + added / table size)."""
        return self.threshold * (1 + max(0, added) / o.table_bytes if o.table_bytes else 1)

    def score(self, o: Choice) -> tuple[float, list[Choice], dict[int, float]]:
        """o's saving per added byte given the set (-inf: it does not fit or does not earn its bar)."""
        config, total = self.with_(o)
        added = total - sum(c.size_bytes or 0 for c in self.chosen)
        if total > self.limit or self.covered(o) or not self.holds(config):
            return -math.inf, config, {}
        new = self.planned(config)
        if net(self.current, new) < self.bar(o, added):
            return -math.inf, config, {}
        return saved(self.current, new) / max(added, 1), config, new

    def greedy(self) -> None:
        """Lazy greedy: the best stale score is scored again, and taken when it stays on top."""
        stale = {id(o): math.inf for o in self.options}
        fresh: dict[int, tuple[list[Choice], dict[int, float]]] = {}
        while True:
            pool = [o for o in self.options if o not in self.chosen and stale[id(o)] > -math.inf]
            if not pool:
                return
            top = max(pool, key=lambda o: stale[id(o)])  # the first of equals: options keep the set's order
            if id(top) not in fresh:
                stale[id(top)], config, new = self.score(top)
                fresh[id(top)] = (config, new)
                continue
            self.chosen, new = fresh[id(top)]
            self.current.update(new)
            fresh = {}
            for o in self.options:  # the same table's options are scored again (a narrower one: unplanned)
                if o.candidate.table == top.candidate.table:
                    stale[id(o)] = math.inf

    def swaps(self) -> None:
        """What the greedy leaves unused, one exchange at a time (the best first): an option that does not fit
        goes in for an index of the set when it then fits, earns its own bar there (what eliminate() asks of
        every index of a set) and the workload's planned cost falls (`saved` > 0).  No margin beyond
        that: both indexes earn their bar, without the budget both would be in the set; the budget only
        forces a choice between them, and a margin would leave that choice to the greedy's order (by gain
        per byte: TPC-H's 2.4 MB partial index for Q10, cost -43%, kept out Q4's 5.6 MB one, cost -63%)."""
        for _ in range(len(self.options)):
            best: tuple[float, list[Choice], dict[int, float]] | None = None
            # an exchange gains at most what o gains beside the whole set (planned costs never rise with one
            # more index): the options whose bound cannot beat the best exchange found are not tried
            bounds = {id(o): saved(self.current, self.planned(self.with_(o)[0])) for o in self.options if self.open(o)}
            for o in sorted((o for o in self.options if self.open(o)), key=lambda o: -bounds[id(o)]):
                for out in self.chosen:
                    if bounds[id(o)] <= (best[0] if best else 0.0):
                        break
                    config, total = self.with_(o, out)
                    if total > self.limit or not self.holds(config):
                        continue
                    new = self.planned(config)
                    gained = saved(self.current, new)
                    if gained <= (best[0] if best else 0.0):
                        continue
                    if net(self.planned([c for c in config if c is not o]), new) >= self.bar(o, o.size_bytes or 0):
                        best = (gained, config, new)
            if best is None:
                return
            _, self.chosen, new = best
            self.current.update(new)

    def open(self, o: Choice) -> bool:
        """Neither in the set nor stood for by it."""
        return o not in self.chosen and not self.covered(o)

    def planned(self, config: list[Choice]) -> dict[int, float]:
        """costs(config), each configuration planned once."""
        key = frozenset(id(c) for c in config)
        if key not in self.seen:
            self.seen[key] = self.costs(config)
        return self.seen[key]


class Fit:
    """The set chosen again under `limit` bytes (module docstring), as often as the clock asks: the options are
    built once (in the caller's transaction) and each configuration planned once (ConfigPlans).
    before: query key -> cost with no new index; plan(keys) -> key -> (cost, indexes used), as the database
    is now; queries: by query key, its run and its plan with no new index (advisor/indexes/reach.py: which
    options can change it; without: all of them)."""

    def __init__(
        self,
        conn,
        kept: list[Choice],
        names: dict[int, str],
        limit: int,
        threshold: float,
        before: dict[int, float],
        plan: Callable[[list[int]], dict],
        qualified: Callable[[str, str], str],
        queries: tuple[dict, dict] = ({}, {}),
        floor: bool = False,
    ) -> None:
        from advisor.indexes.reach import reach
        from advisor.indexes.replan import ConfigPlans

        self.conn, self.kept, self.names, self.threshold = conn, kept, names, threshold
        self.before = before
        self.options, self.parts, self.origin = _options(conn, kept, names, qualified)
        # the default budget's floor: never less than the narrowest form of every index of the set
        self.limit = max(limit, self.narrowest()) if floor else limit
        runs, plans = queries
        can = reach(conn, [o.candidate for o in self.options], runs, plans)
        every = set(range(len(self.options)))
        self.configs = ConfigPlans(conn, self.options, names, plan, {k: can.get(k, every) for k in before})

    def narrowest(self, options: Sequence[Choice] | None = None) -> int:
        """The bytes of the smallest form of each index of the set: what holds every one of them."""
        return sum(o.size_bytes or 0 for o in self.forms(self.options if options is None else options))

    def forms(self, options: Sequence[Choice]) -> list[Choice]:
        """The smallest built form among `options` of each index of the set (itself or a narrower variant of it,
        not a merge), each distinct option once."""
        smallest: dict[int, Choice] = {}
        for ch in self.kept:
            ids = self.forms_of(ch, options)
            forms = [o for o in options if id(o) in ids and id(o) not in self.parts]
            if forms:
                o = min(forms, key=lambda o: o.size_bytes or 0)
                smallest[id(o)] = o
        return list(smallest.values())

    def forms_of(self, ch: Choice, options: Sequence[Choice]) -> set[int]:
        """The ids of the options that come from ch, an index of the set: itself, its variants, its merges."""
        return {id(o) for o in options if id(ch) in self.origin[id(o)]}

    def choose(self, out: Sequence[Choice] = ()) -> Fitted:
        """The set under the budget without `out` (options the clock left out) nor any option that comes from
        an index of the set one of them comes from; every option not taken is dropped (in the caller's
        transaction: a savepoint brings them back)."""
        gone = set().union(*(self.origin[id(o)] for o in out))
        options = [o for o in self.options if not self.origin[id(o)] & gone]
        search = Search(options, self.limit, self.threshold, self.before, self.configs.costs, self.parts)
        if self.narrowest(options) <= self.limit:  # room for every index narrowed: none is left out for bytes
            required = [self.forms_of(ch, options) for ch in self.kept]
            search.start(self.forms(options), [r for r in required if r])
        search.greedy()
        search.swaps()
        chosen = search.chosen
        for o in self.options:
            if o not in chosen:
                self.conn.execute(f"DROP INDEX {self.names[id(o)]}")
        fitted = Fitted([c for c in options if c in chosen])
        for ch in self.kept:
            if ch in chosen or id(ch) in gone:
                continue
            narrowed = [c for c in chosen if id(c) in search.covers[id(ch)]]  # a variant of it
            merges = [c for c in chosen if id(c) in self.parts and id(ch) in search.covers[id(c)]]
            standing = [c for c in chosen if search.covers[id(c)] & self.forms_of(ch, options)]
            if narrowed:
                fitted.narrowed.append((ch, narrowed[0]))
            elif merges:
                fitted.merged.append((ch, merges[0]))
            elif standing:
                fitted.standing.append((ch, standing[0]))
            else:
                fitted.left_out.append(ch)
        return fitted
