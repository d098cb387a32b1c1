"""Which options can change a query's plan (advisor/indexes/reach.py), and the budget's search planning only
those (advisor/indexes/replan.py ConfigPlans): the same costs as planning every query, on real plans."""

from __future__ import annotations

import itertools
from dataclasses import replace

from advisor.explain.stage import make_explainer
from advisor.indexes.candidates import Candidate
from advisor.indexes.reach import can_use, names_in, reach
from advisor.indexes.replan import ConfigPlans, SetPlans
from advisor.indexes.select import Choice
from advisor.indexes.verify import build
from advisor.ir import IndexKey
from tests.conftest_db import pg_server  # noqa: F401
from tests.test_index_select import _run, db  # noqa: F401

COLUMNS = {"id", "account", "kind", "status", "ts", "note"}


def test_names_of_a_statement_are_its_identifiers_in_lower_case():
    named = names_in("SELECT \"Note\", count(*) FROM items i WHERE i.ts > 5 AND status = 'open'")
    assert {"note", "count", "items", "i", "ts", "status", "open", "select"} <= named and "5" not in named


def test_an_index_counts_for_a_query_that_names_a_key_its_predicate_or_only_what_it_carries():
    account = Candidate("items", (IndexKey("account"), IndexKey("kind")))
    assert can_use(account, {"id", "account"}, COLUMNS)
    assert can_use(account, {"id", "kind"}, COLUMNS)  # a skip scan past the leading column (PostgreSQL 18)
    assert not can_use(account, {"id", "ts"}, COLUMNS)
    assert can_use(Candidate("items", (IndexKey("ts"),), include=("id",)), {"id"}, COLUMNS)  # index-only, whole
    partial = Candidate("items", (IndexKey("ts"),), where="status = 'open'")
    assert can_use(partial, {"status", "id"}, COLUMNS) and not can_use(partial, {"ts", "id"}, COLUMNS)
    assert can_use(Candidate("items", (IndexKey("lower(note)", is_column=False),)), {"id"}, COLUMNS)


SETUP = """
CREATE TABLE items (id int PRIMARY KEY, account int NOT NULL, kind int NOT NULL, status text NOT NULL,
                    ts int NOT NULL, note text NOT NULL, pad text NOT NULL);
INSERT INTO items SELECT g, g % 2000, g % 50, CASE WHEN g % 20 = 0 THEN 'open' ELSE 'done' END, g,
                         md5(g::text), repeat('x', 300) FROM generate_series(1, 20000) g;
CREATE TABLE kinds (kind int PRIMARY KEY, label text NOT NULL);
INSERT INTO kinds SELECT g, 'k' || g FROM generate_series(0, 49) g;
CREATE VIEW open_items AS SELECT id, note FROM items WHERE status = 'open' AND kind = 3;
CREATE FUNCTION items_of(a int) RETURNS SETOF items LANGUAGE sql STABLE AS $$ SELECT * FROM items WHERE account = a $$;
CREATE TABLE logs (id int NOT NULL, account int NOT NULL) PARTITION BY RANGE (id);
CREATE TABLE logs_1 PARTITION OF logs FOR VALUES FROM (0) TO (10000);
CREATE TABLE logs_2 PARTITION OF logs FOR VALUES FROM (10000) TO (20001);
INSERT INTO logs SELECT g, g % 3000 FROM generate_series(1, 20000) g;
"""


def _setup(db) -> None:
    db.execute("SET synchronous_commit = on")  # VACUUM marks pages all-visible only once their commit is flushed
    db.execute(SETUP)
    db.execute("VACUUM ANALYZE items, kinds, logs")

QUERIES = {
    "by_account.sql": "SELECT id FROM items WHERE account = 7",
    "view.sql": "SELECT note FROM open_items WHERE id < 4000",  # the view's conditions: status, kind
    "natural.sql": "SELECT label FROM items NATURAL JOIN kinds WHERE account = 9",  # joins on kind unnamed
    "function.sql": "SELECT id FROM items_of(3)",  # the function's condition: account
    "positional.sql": "SELECT * FROM items ORDER BY 3 LIMIT 5",  # ORDER BY kind, unnamed
    "open.sql": "SELECT count(*) FROM items WHERE ts > 19000 AND status = 'open'",
    "range.sql": "SELECT id FROM items WHERE ts BETWEEN 100 AND 300",
    "logs.sql": "SELECT id FROM logs WHERE account = 3",
    "kinds.sql": "SELECT label FROM kinds WHERE kind = 4",
    "covered.sql": "SELECT count(note) FROM items",  # the key unnamed: an index-only scan of the whole index
}

OPTIONS = [
    Candidate("items", (IndexKey("kind"),)),
    Candidate("items", (IndexKey("account"), IndexKey("kind"))),
    Candidate("items", (IndexKey("ts"),), include=("id",)),
    Candidate("items", (IndexKey("ts"),), where="status = 'open'"),
    Candidate("logs", (IndexKey("account"),)),
    Candidate("items", (IndexKey("kind"),), include=("note",)),
]


def test_the_search_plans_only_what_an_option_can_change_and_gets_every_cost_planning_all_gets(db):
    """Every configuration of six options (64): ConfigPlans' costs are those of planning every query with
    exactly that configuration built -- through a view, an SQL function, NATURAL JOIN, `*` with a positional
    ORDER BY and a partitioned table too -- and it plans far fewer queries."""
    _setup(db)
    runs = [_run(db, path, sql, None) for path, sql in QUERIES.items()]
    plans = {id(r): r.plan for r in runs}
    with db.transaction(force_rollback=True):
        options = [Choice(c) for c in OPTIONS]
        names = {id(o): f"opt_{i}" for i, o in enumerate(options)}
        for o in options:
            build(db, o.candidate, names[id(o)])
        db.execute("ANALYZE items")
        explainers = {id(r): make_explainer(r, False, 5000) for r in runs}
        sets = SetPlans(db, runs, explainers, plans, names)
        can = reach(db, OPTIONS, {id(r): r for r in runs}, plans)
        by_path = {r.query.location.path: can[id(r)] for r in runs}
        assert by_path["kinds.sql"] == set() and by_path["logs.sql"] == {4}
        assert by_path["by_account.sql"] == {1} and by_path["range.sql"] == {2} and by_path["covered.sql"] == {5} 
        for hidden in ("view.sql", "natural.sql", "function.sql", "positional.sql"):
            assert by_path[hidden] == {0, 1, 2, 3, 5}, hidden  # every option on items
        configs = ConfigPlans(db, options, names, sets.plan, can)
        for n in range(len(options) + 1):
            for config in itertools.combinations(options, n):
                taken = {id(o) for o in config}
                with db.transaction(force_rollback=True):
                    for o in options:
                        if id(o) not in taken:
                            db.execute(f"DROP INDEX {names[id(o)]}")
                    truth = {k: cost for k, (cost, _) in sets.plan().items()}
                assert configs.costs(list(config)) == truth, [o.candidate.describe() for o in config]
        assert configs.planned <= 64 * len(runs) / 8, configs.planned  # 80 of 640 when written


def test_an_expression_option_is_planned_for_each_configuration_of_its_table(db):
    """An index on an expression brings statistics of its own (ANALYZE), which any estimate on its table may
    read: a query beside it is never answered by a larger configuration's plan."""
    _setup(db)
    runs = [_run(db, "a.sql", "SELECT id FROM items WHERE lower(note) > 'e'", None)]  # no index pays: a scan
    plans = {id(r): r.plan for r in runs}
    expression = Candidate("items", (IndexKey("lower(note)", is_column=False),))
    with db.transaction(force_rollback=True):
        options = [Choice(expression), Choice(replace(OPTIONS[0]))]
        names = {id(o): f"opt_{i}" for i, o in enumerate(options)}
        for o in options:
            build(db, o.candidate, names[id(o)])
        sets = SetPlans(db, runs, {id(runs[0]): make_explainer(runs[0], False, 5000)}, plans, names)
        can = reach(db, [o.candidate for o in options], {id(runs[0]): runs[0]}, plans)
        configs = ConfigPlans(db, options, names, sets.plan, can)
        assert configs.exact == {id(runs[0])}
        without = configs.costs([])
        assert configs.planned == 2  # every option, then none: not answered by the first, whose plan used none
        with db.transaction(force_rollback=True):
            for name in names.values():
                db.execute(f"DROP INDEX {name}")
            assert without == {k: cost for k, (cost, _) in sets.plan().items()}
