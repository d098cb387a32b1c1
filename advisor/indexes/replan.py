"""The workload's plans on the index set `advisor indexes` weighs (advisor/indexes/select.py), as it stands
in select()'s transaction, and without some of its indexes -- re-planning only what can change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.indexes.verify import index_parts

if TYPE_CHECKING:
    from advisor.indexes.select import Choice


class SetPlans:
    """The plans of the workload's queries on the pool as it stands in select()'s transaction
    (names: id(choice) -> its index name).  `now` plans every query and remembers it; `without`
    plans the set minus some indexes, re-planning only the queries whose remembered plan uses one
    of them: the planner's cheapest plan stays the cheapest when an index it did not choose goes
    (an expression index aside: ANALYZE gathers statistics on its expression, which any query's
    estimates may read, so without one every query is planned again)."""

    def __init__(self, conn, planned: list, explainers: dict, plans: dict, names: dict[int, str]) -> None:
        self.conn, self.planned, self.explainers, self.plans, self.names = conn, planned, explainers, plans, names
        self.current: dict[int, tuple[float, set[str]]] = {}  # empty: nothing planned yet
        self.trials: dict[int, dict] = {}  # id(choice) -> the last `without_one` of it

    def plan(self, keys: list[int] | None = None) -> dict[int, tuple[float, set[str]]]:
        """query key -> (cost, indexes used) as the database is now: every query, or those of `keys`."""
        out = {}
        for r in self.planned if keys is None else [r for r in self.planned if id(r) in keys]:
            try:
                plan = self.explainers[id(r)](self.conn)[0]
                out[id(r)] = (plan.cost, plan.indexes_used())
            except Exception:  # noqa: BLE001  a query that no longer plans keeps its own cost
                out[id(r)] = (self.plans[id(r)].cost, set())
        return out

    def now(self) -> dict[int, tuple[float, set[str]]]:
        self.current = self.plan()
        return dict(self.current)

    def without(self, dropped: list[Choice]) -> dict[int, tuple[float, set[str]]]:
        # a plan names the index of each partition it reads, not the partitioned index
        gone = {part for ch in dropped for part, _ in index_parts(self.conn, self.names[id(ch)])}
        keys = None
        if self.current and all(k.is_column for ch in dropped for k in ch.candidate.keys):
            keys = [k for k, (_, used) in self.current.items() if used & gone]
        with self.conn.transaction(force_rollback=True):  # a savepoint: the drops are undone
            for ch in dropped:
                self.conn.execute(f"DROP INDEX {self.names[id(ch)]}")
            return {**self.current, **self.plan(keys)} if keys is not None else self.plan()

    def without_one(self, ch: Choice) -> dict[int, tuple[float, set[str]]]:
        self.trials[id(ch)] = self.without([ch])
        return self.trials[id(ch)]

    def drop(self, ch: Choice) -> None:
        """ch dropped for good (eliminate): the plans are those its last `without_one` made."""
        self.conn.execute(f"DROP INDEX {self.names[id(ch)]}")
        self.current = self.trials[id(ch)]


class ConfigPlans:
    """The planned costs of the workload's queries with exactly a configuration of built options (the others
    dropped in a savepoint), for the storage budget's search (advisor/indexes/budget.py), planning only what can
    change.  A query's cost depends only on the options that can change its plan (`reach`: query key -> their
    positions in `options`, advisor/indexes/reach.py), and -- as in SetPlans --
    a plan that uses only options of a smaller configuration is that configuration's plan too: the indexes it
    lacks were not chosen (unless an option's keys are an expression: its statistics may move any estimate
    on its table).  So each query is planned once with every option built, and again only for a configuration
    no plan made so far answers."""

    def __init__(self, conn, options: list[Choice], names: dict[int, str], plan, reach: dict[int, set[int]]) -> None:
        self.conn, self.options, self.names, self.plan = conn, options, names, plan
        self.keys = list(reach)
        self.parts = {part: id(o) for o in options for part, _ in index_parts(conn, names[id(o)])}
        # query key -> the options that can change its plan (advisor/indexes/reach.py, by their position)
        self.on = {k: frozenset(id(options[i]) for i in mine) for k, mine in reach.items()}
        # queries beside an expression option: only the same configuration answers
        self.exact = {
            k for k, mine in reach.items() if any(not key.is_column for i in mine for key in options[i].candidate.keys)
        }
        self.seen: dict[int, list[tuple[frozenset[int], frozenset[int], float]]] = {k: [] for k in self.keys}
        self.planned = 0  # queries planned (the cost of the search)
        self.costs(options)

    def _known(self, k: int, config: frozenset[int]) -> float | None:
        for built, used, cost in self.seen[k]:
            if built == config or (k not in self.exact and used <= config <= built):
                return cost
        return None

    def costs(self, config: list[Choice]) -> dict[int, float]:
        """Query key -> planned cost with exactly these options built."""
        ids = {id(c) for c in config}
        mine = {k: self.on[k] & ids for k in self.keys}
        out = {k: self._known(k, mine[k]) for k in self.keys}
        missing = [k for k, cost in out.items() if cost is None]
        if missing:
            with self.conn.transaction(force_rollback=True):  # a savepoint: the drops are undone
                for o in self.options:
                    if id(o) not in ids:
                        self.conn.execute(f"DROP INDEX {self.names[id(o)]}")
                for k, (cost, used) in self.plan(missing).items():
                    self.seen[k].append((mine[k], frozenset(self.parts[n] for n in used if n in self.parts), cost))
                    out[k] = cost
            self.planned += len(missing)
        return {k: float(cost) for k, cost in out.items() if cost is not None}
