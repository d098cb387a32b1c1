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
