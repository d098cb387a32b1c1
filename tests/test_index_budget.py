"""The storage budget of `advisor indexes` (--max-size, [indexes] max_size): advisor/indexes/budget.py."""

from __future__ import annotations

from dataclasses import replace

import pytest
from click.testing import CliRunner

from advisor.errors import ConfigError
from advisor.explain.stage import make_explainer
from advisor.facts.sql import build_facts
from advisor.indexes.budget import MaxSize, Search, max_size_setting, net, parse_max_size
from advisor.indexes.candidates import Candidate
from advisor.indexes.migration import migration
from advisor.indexes.select import Choice, select
from advisor.ir import IndexKey
from advisor.parse import parse_sql
from advisor.schema.ddl import schema_from_queries
from advisor.sources.sql_files import extract_sql
from tests.conftest_db import pg_server  # noqa: F401
from tests.test_index_select import _fake_clock, _run, _visits, db  # noqa: F401

EVENTS = "CREATE TABLE events (id int PRIMARY KEY, account int NOT NULL, kind int NOT NULL, note text NOT NULL);"
ORDERS = "CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL, total int NOT NULL);"


def _schema():
    return schema_from_queries(extract_sql("s.sql", EVENTS + ORDERS, source="schema"))


def _runs(db, schema):
    """a.sql reads `note` (128 bytes) from events (20,000 rows) by account, so its best is the covering
    events(account) INCLUDE (note) -- many times the size of events(account), which deduplicates;
    b.sql, on another table, wants orders(customer, total)."""
    db.execute(
        ORDERS + "INSERT INTO orders SELECT g, g % 3000, g % 97 FROM generate_series(1, 20000) g; ANALYZE orders"
    )
    covering = Candidate("events", (IndexKey("account"),), include=("note",))
    pair = Candidate("orders", (IndexKey("customer"), IndexKey("total")))
    runs = [
        _run(db, "a.sql", "SELECT note FROM events WHERE account = 17", covering),
        _run(db, "b.sql", "SELECT id FROM orders WHERE customer = 7 AND total > 50", pair),
    ]
    for r in runs:
        r.facts = build_facts(parse_sql(r.sql), schema)
    return runs, covering, pair


@pytest.mark.parametrize("text", ["35MB", "35 mb", "1.5GB", "500kB", "20%", "0.5%", "4096B"])
def test_sizes_people_write_parse(text):
    size = parse_max_size(text)
    assert (size.bytes or 0) > 0 or (size.fraction or 0) > 0
    assert parse_max_size("35MB").bytes == 35 * 1024 * 1024 and parse_max_size("20%").fraction == pytest.approx(0.2)


@pytest.mark.parametrize("text", ["35", "lots", "35 parsecs", "-1MB", "0MB", "0%", "2000%", "MB", "1e9MB", ""])
def test_a_bad_size_is_a_clear_error(text):
    with pytest.raises(ConfigError, match=r"--max-size: .*(not a size|above zero|at most)"):
        parse_max_size(text)


def test_without_a_budget_the_set_is_as_before_and_with_one_it_never_exceeds_it(db):
    """The property: whatever the budget, the set's measured total is at or below it (a budget no index
    fits leaves none); a budget the set fits changes nothing."""
    schema = _schema()
    runs, covering, pair = _runs(db, schema)
    free, free_summary = select(db, runs, schema, 0.3, make_explainer, 5000)
    assert {ch.candidate for ch in free} == {covering, pair} and free_summary.max_bytes is None
    total = free_summary.size_bytes
    for budget in [
        MaxSize("8kB", bytes=8192),
        MaxSize("300kB", bytes=300 * 1024),
        MaxSize("half", bytes=total // 2),
        MaxSize("10%", fraction=0.1),
        MaxSize("all", bytes=total),
    ]:
        chosen, summary = select(db, runs, schema, 0.3, make_explainer, 5000, max_size=budget)
        assert summary.max_bytes is not None
        assert summary.size_bytes == sum(ch.size_bytes for ch in chosen) <= summary.max_bytes, budget
        if budget.text == "all":
            assert [ch.candidate for ch in chosen] == [ch.candidate for ch in free]  # it fits: unchanged
        if budget.text == "10%":
            heap = db.execute("SELECT pg_relation_size('events') + pg_relation_size('orders')").fetchone()[0]
            assert summary.max_bytes == int(0.1 * heap)
    chosen, summary = select(db, runs, schema, 0.3, make_explainer, 5000, max_size=MaxSize("8kB", bytes=8192))
    assert chosen == [] and summary.cost_after == summary.cost_before  # no index fits 8 kB
    assert db.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'events'").fetchone()[0] == 1  # rolled back


def test_the_narrower_variant_replaces_the_covering_index_when_the_budget_binds(db):
    """Over the budget, events(account) -- a fraction of the covering index's bytes, nearly all its
    saving -- stands in for it, and the migration says so; the pair still fits beside it."""
    schema = _schema()
    runs, covering, pair = _runs(db, schema)
    free, _ = select(db, runs, schema, 0.3, make_explainer, 5000)
    sizes = {ch.candidate: ch.size_bytes for ch in free}
    budget = sizes[pair] + sizes[covering] // 2  # the covering index does not fit beside the pair
    chosen, summary = select(db, runs, schema, 0.3, make_explainer, 5000, max_size=MaxSize("b", bytes=budget))
    plain = Candidate("events", (IndexKey("account"),))
    assert {(ch.candidate.keys, ch.candidate.include) for ch in chosen} == {(plain.keys, ()), (pair.keys, ())}
    assert summary.size_bytes <= budget < sum(sizes.values())
    assert [(a.candidate, b.candidate.include) for a, b in summary.narrowed] == [(covering, ())]
    served = {s.run.query.location.path for ch in chosen for s in ch.served}
    assert served == {"a.sql", "b.sql"}
    text = migration(chosen, summary)
    assert "-- storage budget: " in text
    assert "--   events(account) INCLUDE (note) (" in text and ") narrowed to events(account) (" in text
    assert "CREATE INDEX CONCURRENTLY idx_events_account ON events (account);" in text


def test_the_default_budget_narrows_and_never_leaves_an_index_out(project):
    """No `[indexes] max_size`: the default, 25% of the tables the workload reads but never less than the
    narrowest form of every index of the set.  On this project of a narrow 30,000-row lineitem (each
    single-column index over a tenth of it) a share alone leaves queries without their index (an explicit
    `--max-size 25%` does); the default keeps an index for each query, no larger than the set without a
    budget, and its header says which bound it; `--max-size none` lifts it."""
    import re

    from advisor.cli import main
    from tests.test_index_select import DDL, LINEITEM_PROJECT

    root = project(
        {
            "advisor.toml": LINEITEM_PROJECT,
            "schema.sql": DDL,
            "queries/by_part.sql": "SELECT l_orderkey, l_quantity FROM lineitem WHERE l_partkey = 42;\n",
            "queries/by_supplier.sql": "SELECT l_orderkey, l_comment FROM lineitem WHERE l_suppkey = 7;\n",
            "queries/by_day.sql": "SELECT count(*) FROM lineitem WHERE l_shipdate = DATE '2020-01-01';\n",
        }
    )
    runs = {
        how: CliRunner().invoke(main, ["indexes", str(root), *args])
        for how, args in {"free": ["--max-size", "none"], "default": [], "share": ["--max-size", "25%"]}.items()
    }
    for how, result in runs.items():
        assert result.exit_code == 0, (how, result.output)
    free, default, share = (runs[k].stdout for k in ("free", "default", "share"))
    assert "storage budget" not in free
    assert re.search(r"-- storage budget: .+, 25% of the tables the workload reads \(--max-size, \[indexes\]", share)
    floored = re.search(
        r"-- storage budget: (.+), the narrowest form of each index of the set \(25% of the tables the workload "
        r"reads is less\) \(the default; --max-size none lifts it\)\n",
        default,
    )
    assert floored, default
    assert free.count("\nCREATE INDEX") == default.count("\nCREATE INDEX") == 3 > share.count("\nCREATE INDEX") >= 1
    size = re.compile(r"with 3 index\(es\), (.+) on the seeded data")
    # each index is its own narrowest form here: the budget is the set, which is not chosen again
    assert size.search(free).group(1) == size.search(default).group(1) == floored.group(1)
    assert "was chosen again" not in default
    for query in ("by_part", "by_supplier", "by_day"):  # every query keeps an index, in some form
        assert f"serves queries/{query}.sql:1" in default, query


def test_none_in_the_config_lifts_the_budget_and_unset_is_the_default():
    from pathlib import Path

    from advisor.config import Config

    assert parse_max_size("none").none and parse_max_size(" None ").none and not parse_max_size("25%").none
    default = max_size_setting(Config(Path(".")))
    assert default.default and not default.none and default.fraction == pytest.approx(0.25)
    assert max_size_setting(Config(Path("."), indexes={"max_size": "none"})).none
    chosen = max_size_setting(Config(Path("."), indexes={"max_size": "25%"}))
    assert not chosen.default and chosen.fraction == pytest.approx(0.25)


def test_indexes_command_refuses_a_bad_size_before_any_database(project):
    from advisor.cli import main

    root = project({"advisor.toml": 'paths = ["q"]\n', "q/a.sql": "SELECT 1;\n"})
    result = CliRunner().invoke(main, ["indexes", str(root), "--max-size", "35 parsecs"])
    assert result.exit_code == 2
    assert "advisor: error: --max-size: '35 parsecs' is not a size (expected a size such as 35MB" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ('max_size = "lots"', "[indexes] max_size: 'lots' is not a size"),
        ("max_size = 35", '[indexes] max_size: expected a string such as "35MB"'),
        ('maxsize = "35MB"', "[indexes]: unknown key 'maxsize'"),
    ],
)
def test_config_max_size_is_checked_on_every_command(project, setting, message):
    from advisor.cli import main

    root = project({"advisor.toml": f'paths = ["q"]\n[indexes]\n{setting}\n', "q/a.sql": "SELECT 1;\n"})
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output


# --- the search over plain numbers: costs(config) -> per query planned cost ------------------------


def _opt(keys: tuple[str, ...], size: int) -> Choice:
    return Choice(Candidate("t", tuple(IndexKey(k) for k in keys)), size_bytes=size, table_bytes=1000)


def _search(options, limit, table):
    """table: query -> {option's candidate or None: cost}; a query's cost with a set is the lowest its options give."""
    before = {q: costs[None] for q, costs in table.items()}

    def costs(config):
        return {q: min([c[None]] + [c[o.candidate] for o in config if o.candidate in c]) for q, c in table.items()}

    search = Search(options, limit, 0.3, before, costs)
    search.greedy()
    return search


def test_a_wider_variant_replaces_the_narrower_one_when_it_pays_for_its_bytes_and_fits():
    narrow, wide = _opt(("a",), 100), _opt(("a", "b"), 500)
    table = {"q1": {None: 100.0, narrow.candidate: 20.0, wide.candidate: 10.0}}
    assert _search([wide, narrow], 300, table).chosen == [narrow]  # the wide one does not fit
    # it fits: 20 -> 10 saves 0.5 >= 0.3 x (1 + 400 / 1000) for the bytes it adds, and replaces the narrow one
    assert _search([wide, narrow], 600, table).chosen == [wide]


def test_an_exchange_uses_the_bytes_the_greedy_left():
    """The greedy takes the small index first (more per byte); the large one then does not fit beside it,
    though alone it fits and saves more: one exchange puts it in.  Both earn their bar, so the queries'
    net gain decides (no margin): 0.95 for q2 against 0.7 for q1."""
    small, large = _opt(("a",), 100), _opt(("b",), 800)
    table = {"q1": {None: 100.0, small.candidate: 30.0}, "q2": {None: 100.0, large.candidate: 5.0}}
    search = _search([small, large], 850, table)
    assert search.chosen == [small]
    search.swaps()
    assert search.chosen == [large]
    # not when the queries would lose more than they gain (0.7 against 0.65)
    table["q2"][large.candidate] = 35.0
    search = _search([small, large], 850, table)
    search.swaps()
    assert search.chosen == [small]
    # nor when the option going in does not earn its own bar there (0.5 < 0.3 x (1 + 800 / 1000))
    table["q1"][small.candidate], table["q2"][large.candidate] = 60.0, 50.0
    search = _search([small, large], 850, table)
    search.swaps()
    assert search.chosen == [small]


def test_a_merge_stands_for_the_two_indexes_and_is_charged_for_what_it_serves_worse():
    """TPC-H's pair lineitem(l_partkey, l_quantity) (Q17) and (l_partkey, l_suppkey) (Q20), 18 and 6 MB, as
    one 18 MB index: one's keys, the other's column carried.  Under a budget the pair does not fit, the
    merge does, and it stands for both.  The other order serves Q20 worse than the index it replaces (its
    search on l_suppkey lost): that loss counts against its gain for Q17."""
    a, b = _opt(("p", "q"), 180), _opt(("p", "s"), 60)
    good = replace(b, candidate=replace(b.candidate, include=("q",)), size_bytes=180)
    bad = replace(a, candidate=replace(a.candidate, include=("s",)), size_bytes=181)
    table = {
        "q17": {None: 100.0, a.candidate: 1.0, b.candidate: 10.0, good.candidate: 4.0, bad.candidate: 1.0},
        "q20": {None: 100.0, a.candidate: 50.0, b.candidate: 5.0, good.candidate: 5.0, bad.candidate: 50.0},
    }
    before = {q: costs[None] for q, costs in table.items()}

    def costs(config):
        return {q: min([c[None]] + [c[o.candidate] for o in config]) for q, c in table.items()}

    search = Search([a, b, good, bad], 200, 0.3, before, costs, {id(good): (a, b), id(bad): (b, a)})
    search.greedy()
    assert search.chosen == [good]  # b first (most per byte), then the merge in its place
    assert search.covered(a) and search.covered(b) and not search.covered(bad)
    # bad for b: Q17 10 -> 1 gains 0.9, Q20 5 -> 50 loses 0.9: nothing together, below any bar
    assert net(costs([b]), costs([bad])) == pytest.approx(0.0)


def test_indexes_command_takes_the_budget_from_the_config_and_the_option_overrides_it(project):
    """End to end: `[indexes] max_size` reaches the selection (no index of lineitem fits 8 kB: none is
    printed, the migration says what was left out); `--max-size` overrides it."""
    from advisor.cli import main
    from tests.test_index_select import DDL, LINEITEM_PROJECT

    root = project(
        {
            "advisor.toml": LINEITEM_PROJECT + '[indexes]\nmax_size = "8kB"\n',
            "schema.sql": DDL,
            "queries/by_part.sql": "SELECT l_orderkey, l_quantity FROM lineitem WHERE l_partkey = 42;\n",
        }
    )
    result = CliRunner().invoke(main, ["indexes", str(root)])
    assert result.exit_code == 0, result.output
    assert "0 index(es), 0 kB on the seeded data (budget 8 kB)" in result.stderr
    assert (
        "\nCREATE INDEX" not in result.stdout
        and "-- storage budget: 8 kB (--max-size, [indexes] max_size; --max-size none lifts it)" in result.stdout
    )
    assert (
        "--   lineitem(l_partkey" in result.stdout
        and "left out, larger than the 8 kB the budget leaves" in result.stdout
    )
    result = CliRunner().invoke(main, ["indexes", str(root), "--max-size", "10MB"])
    assert result.exit_code == 0, result.output
    assert "(budget 10.0 MB)" in result.stderr and "CREATE INDEX CONCURRENTLY" in result.stdout


def test_two_indexes_with_one_leading_key_are_merged_when_the_pair_does_not_fit(db):
    """a.sql wants pairs(a, b), b.sql reads c for one a: pairs(a, c).  Nearly every key is unique, so
    btree deduplication saves nothing and the pair is twice one index; pairs(a, b) INCLUDE (c) serves
    both, b.sql index-only, in less than the pair.  Under a budget the pair does not fit, the merge does."""
    db.execute("SET synchronous_commit = on")  # VACUUM marks pages all-visible only once their commit is flushed
    db.execute(
        "CREATE TABLE pairs (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL, c int NOT NULL, pad text NOT NULL);"
        "INSERT INTO pairs SELECT g, g % 200, (g * 7919) % 20011, (g * 104729) % 20021, repeat('x', 60)"
        " FROM generate_series(1, 20000) g"
    )
    db.execute("VACUUM (ANALYZE) pairs")  # the visibility map of a live table: b.sql can be served index-only
    schema = schema_from_queries(
        extract_sql("s.sql", "CREATE TABLE pairs (id int PRIMARY KEY, a int, b int, c int, pad text);", source="schema")
    )
    ab, ac = (Candidate("pairs", (IndexKey("a"), IndexKey(k))) for k in ("b", "c"))
    runs = [
        _run(db, "a.sql", "SELECT id FROM pairs WHERE a = 5 AND b = 1234", ab),
        _run(db, "b.sql", "SELECT sum(c) FROM pairs WHERE a = 5", ac),
    ]
    for r in runs:
        r.facts = build_facts(parse_sql(r.sql), schema)
    free, _ = select(db, runs, schema, 0.3, make_explainer, 5000)
    assert {ch.candidate for ch in free} == {ab, ac}  # without a budget: each query its own
    pair = sum(ch.size_bytes for ch in free)
    budget = MaxSize("b", bytes=pair * 3 // 4)
    chosen, summary = select(db, runs, schema, 0.3, make_explainer, 5000, max_size=budget)
    assert [ch.candidate.describe() for ch in chosen] == ["pairs(a, b) INCLUDE (c)"]
    served = {s.run.query.location.path for s in chosen[0].served}
    assert summary.size_bytes <= budget.bytes and served == {"a.sql", "b.sql"}
    assert {a.candidate for a, _ in summary.merged} == {ab, ac} and not summary.over_budget
    text = migration(chosen, summary)
    assert "--   pairs(a, c) (" in text and ") merged into pairs(a, b) INCLUDE (c) (" in text
    assert "CREATE INDEX CONCURRENTLY idx_pairs_a_b ON pairs (a, b) INCLUDE (c);" in text


def test_an_index_the_clock_drops_spends_none_of_the_budget(db):
    """The set under the budget is timed; an index the clock drops there is left out and the set chosen again
    without it: visits(ts) serves three queries, the greedy takes it first, and makes b.sql and e.sql 10x
    slower (fake times on real plans); visits(account), which the budget left out beside it, comes in
    (TPC-H: lineitem(l_suppkey), taken by the greedy, dropped for Q21's slowdown, had left Q17's index
    out).  q.sql, which either index serves, ran without any new index once: the second check reuses it."""
    schema, account, ts, runs = _visits(db)
    both = "SELECT id FROM visits WHERE account = 3 AND ts = 4"
    runs = [runs[0], runs[1], _run(db, "e.sql", "SELECT id FROM visits WHERE ts = 7", ts), _run(db, "q.sql", both, ts)]
    for r in runs:
        r.facts = build_facts(parse_sql(r.sql), schema)
    fake = {"a.sql": (20.0, 12.0), "b.sql": (10.0, 100.0), "e.sql": (10.0, 100.0), "q.sql": (50.0, 45.0)}
    free, _ = select(db, runs, schema, 0.3, _fake_clock(fake, []), 5000, max_size=MaxSize("none"))
    assert {ch.candidate for ch in free} == {account}  # without a budget the clock drops ts too
    sizes = {c: ch.size_bytes for ch in select(db, runs, schema, 0.3, make_explainer, 5000)[0] for c in [ch.candidate]}
    assert set(sizes) == {account, ts}
    timed: list[str] = []
    limit = sum(sizes.values()) - 1  # both do not fit
    chosen, summary = select(db, runs, schema, 0.3, _fake_clock(fake, timed), 5000, max_size=MaxSize("b", bytes=limit))
    assert [ch.candidate for ch in chosen] == [account]
    assert [d.choice.candidate for d in summary.time_dropped] == [ts]
    assert not summary.over_budget and not summary.narrowed and not summary.merged
    assert "ON visits (ts)" not in migration(chosen, summary)
    # the second check: a.sql with account and without the set; q.sql with account only (its run without the
    # set, from the first check, reused)
    assert timed[-3:] == ["a.sql", "a.sql", "q.sql"] and timed.count("q.sql") == 2 + 3 + 1, " ".join(timed)


def test_the_budget_keeps_the_index_that_saves_the_most_cost_not_the_most_relative_saving(db):
    """b.sql scans 45% of `wide` (40,000 rows); wide(account) makes it a fraction cheaper in relative terms
    but saves many times the cost small(k) saves a.sql on a 3,000-row table, where it saves more of a.sql's
    cost relative to it.  Both earn their bar; the budget fits one.  By each query's relative saving the
    small index would win (more per byte, and more in the exchange); by the workload's cost saved the
    large one does (TPC-H: Q17's 18 MB index against lineitem(l_suppkey)'s third off Q7's and Q21's cost)."""
    db.execute(
        "CREATE TABLE wide (id int PRIMARY KEY, account int NOT NULL, pad text NOT NULL);"
        "INSERT INTO wide SELECT g, g / 20, repeat('x', 100) FROM generate_series(1, 40000) g;"
        "CREATE TABLE small (id int PRIMARY KEY, k int NOT NULL);"
        "INSERT INTO small SELECT g, g % 300 FROM generate_series(1, 3000) g; ANALYZE wide; ANALYZE small"
    )
    schema = schema_from_queries(
        extract_sql(
            "s.sql",
            "CREATE TABLE wide (id int PRIMARY KEY, account int, pad text); CREATE TABLE small (id int PRIMARY KEY, k int);",
            source="schema",
        )
    )
    big, little = Candidate("wide", (IndexKey("account"),)), Candidate("small", (IndexKey("k"),))
    runs = [
        _run(db, "a.sql", "SELECT id FROM small WHERE k = 5", little),
        _run(db, "b.sql", "SELECT sum(length(pad)) FROM wide WHERE account < 900", big),
    ]
    for r in runs:
        r.facts = build_facts(parse_sql(r.sql), schema)
    fake = {"a.sql": (5.0, 1.0), "b.sql": (50.0, 20.0)}  # both faster with their index: the clock drops neither
    free, _ = select(db, runs, schema, 0.3, _fake_clock(fake, []), 5000)
    assert {ch.candidate for ch in free} == {big, little}
    by = {ch.candidate: ch for ch in free}
    (small_before, small_after), (wide_before, wide_after) = (
        (by[c].served[0].cost_before, by[c].served[0].cost_after) for c in (little, big)
    )
    assert by[little].benefit > by[big].benefit  # relative to each query's cost, the small index saves more
    assert wide_before - wide_after > 5 * (small_before - small_after)  # in cost, many times less
    limit = by[big].size_bytes + by[little].size_bytes - 1  # one fits, not both
    chosen, summary = select(db, runs, schema, 0.3, _fake_clock(fake, []), 5000, max_size=MaxSize("b", bytes=limit))
    assert [ch.candidate for ch in chosen] == [big] and [ch.candidate for ch in summary.over_budget] == [little]
    assert summary.cost_after == pytest.approx(summary.cost_before - (wide_before - wide_after))


def test_from_the_narrowest_forms_the_budget_widens_and_never_leaves_an_index_out():
    """TPC-H at 25% of the heap: a greedy from nothing took the 18 MB index for its huge saving (Q20's cost is
    in the millions), then an exchange put it in for Q12's 2.8 MB index, so Q12 lost its index for a few ms
    of Q17.  Started from every index of the set in its narrowest form, the search spends what the budget
    leaves on widening them, and no step (greedy or exchange) leaves an index of the set without a form."""
    wide = _opt(("p", "q"), 180)  # Q17's, whose narrowest form is p alone
    narrow = _opt(("p",), 45)
    q12 = replace(_opt(("m", "o"), 28), candidate=Candidate("u", (IndexKey("m"), IndexKey("o"))))
    q12_narrow = replace(q12, candidate=replace(q12.candidate, keys=q12.candidate.keys[:1]), size_bytes=5)
    table = {
        "q17": {None: 1000.0, narrow.candidate: 600.0, wide.candidate: 2.0},
        "q20": {None: 1_000_000.0, narrow.candidate: 10.0, wide.candidate: 10.0},
        "q12": {None: 100.0, q12_narrow.candidate: 40.0, q12.candidate: 20.0},
    }
    free = _search([wide, q12], 200, table)  # from nothing: the wide one, then no room for Q12's
    free.greedy()
    free.swaps()
    assert free.chosen == [wide]
    started = _search([wide, q12, narrow, q12_narrow], 200, table)
    started.start([narrow, q12_narrow], [{id(wide), id(narrow)}, {id(q12), id(q12_narrow)}])
    started.greedy()
    started.swaps()
    # Q17's widening saves most per byte and fits (185 bytes); Q12's then does not (208): it keeps its narrow form
    assert [o.candidate for o in started.chosen] == [q12_narrow.candidate, wide.candidate]
    assert started.holds(started.chosen) and not started.holds([wide]) and not started.holds([q12, q12_narrow])


def test_the_migration_says_which_index_stands_for_one_left_out():
    """An index of the set the budget left out whose queries an index over its narrowest form serves (TPC-H's
    lineitem(l_partkey, l_quantity) for Q17, beside lineitem(l_partkey, l_suppkey)) is named with that index,
    not as if its queries had none."""
    from advisor.indexes.select import Summary

    out, kept = _opt(("p", "q"), 18 * 1024 * 1024), _opt(("p", "s"), 6 * 1024 * 1024)
    summary = Summary(threshold=0.3, indexes=1, size_bytes=kept.size_bytes, max_bytes=32 * 1024 * 1024)
    summary.max_size, summary.standing = MaxSize("25%", fraction=0.25, default=True), [(out, kept)]
    text = migration([kept], summary)
    assert "-- storage budget: 32.0 MB, 25% of the tables the workload reads (the default; --max-size none lifts it)" in text
    assert "--   t(p, q) (18.0 MB) left out; its queries have t(p, s) (6.0 MB), which leads with its narrowest form" in text


def test_a_default_budget_below_a_set_of_narrowest_forms_changes_nothing(db):
    """The default's floor: when every index of the set is already its narrowest form (one key column, no
    INCLUDE), the budget is the set itself -- not chosen again, and the migration does not say it was."""
    schema = _schema()
    _runs(db, schema)  # fills orders
    plain = Candidate("orders", (IndexKey("customer"),))
    runs = [_run(db, "c.sql", "SELECT id FROM orders WHERE customer = 7", plain)]
    for r in runs:
        r.facts = build_facts(parse_sql(r.sql), schema)
    tiny = MaxSize("1%", fraction=0.01, default=True)
    chosen, summary = select(db, runs, schema, 0.3, make_explainer, 5000, max_size=tiny)
    assert [ch.candidate for ch in chosen] == [plain]
    assert summary.floored and summary.max_bytes == summary.size_bytes and summary.unbudgeted_bytes is None
    text = migration(chosen, summary)
    assert "the narrowest form of each index of the set (1% of the tables the workload reads is less)" in text
    assert "was chosen again" not in text
