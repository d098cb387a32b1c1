"""Every PostgreSQL plan rule (PLN001-PLN010) seen firing on a real plan from the embedded
server, and silent on the fixed query.

PLN001-PLN008 run `advisor.checks.plans` over `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` of
small generated tables (each statement in a rolled-back transaction, so an index or a
setting made for the good variant disappears afterwards); PLN008 also, with PLN009 and
PLN010, through `advisor check --explain --analyze` on fixtures/wallet-ledger.  Last, a
property test: `parse_plan` takes any input and either parses it or raises PlanError.
"""

import shutil
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from advisor.checks.plans import PlanContext, partition_keys_of, plan_hits
from advisor.explain.plan import Plan, PlanError, parse_plan, render
from advisor.seed.settings import ExplainSettings
from tests.conftest_db import pg_server  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
DB = "plan_rules"

SETUP = """
-- big: 50k rows. a and b are the same column twice (the planner multiplies their
-- selectivities: 100x too few rows); k has 10 values (5000 rows each, indexed);
-- c is unindexed and independent of everything.
CREATE TABLE big (id int PRIMARY KEY, a int, b int, c int, k int, grp int, pad text);
INSERT INTO big SELECT g, g % 100, g % 100, g % 97, g % 10, g % 1000, md5(g::text)
  FROM generate_series(1, 50000) g;
CREATE INDEX big_k ON big (k);
CREATE TABLE big2 AS SELECT * FROM big;
ALTER TABLE big2 ADD PRIMARY KEY (id);
-- a nested loop: 1200 users, 400 events, no index on the join column
CREATE TABLE users (id int, name text);
INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 1200) g;
CREATE TABLE events (id int, user_id int);
INSERT INTO events SELECT g, g * 3 FROM generate_series(1, 400) g;
-- four monthly partitions, 5000 rows each
CREATE TABLE ledger (id int, ts timestamp NOT NULL, amount int) PARTITION BY RANGE (ts);
CREATE TABLE ledger_01 PARTITION OF ledger FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
CREATE TABLE ledger_02 PARTITION OF ledger FOR VALUES FROM ('2025-02-01') TO ('2025-03-01');
CREATE TABLE ledger_03 PARTITION OF ledger FOR VALUES FROM ('2025-03-01') TO ('2025-04-01');
CREATE TABLE ledger_04 PARTITION OF ledger FOR VALUES FROM ('2025-04-01') TO ('2025-05-01');
INSERT INTO ledger SELECT g, '2025-01-01'::timestamp + (g % 4) * interval '1 month' + (g % 28) * interval '1 day', g
  FROM generate_series(1, 20000) g;
ANALYZE;
"""


@pytest.fixture(scope="module")
def conn(pg_server):  # noqa: F811
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DB}")
    c = psycopg.connect(pg_server.conninfo(DB), autocommit=True)
    c.execute(SETUP)
    yield c
    c.close()
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def explain(conn, sql, *setup, analyze=True) -> Plan:
    """The plan of `sql` after `setup` statements (SET LOCAL, CREATE INDEX...), all rolled back."""
    with conn.transaction(force_rollback=True):
        for statement in setup:
            conn.execute(statement)
        options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "GENERIC_PLAN, FORMAT JSON"
        return parse_plan(conn.execute(f"EXPLAIN ({options}) {sql}").fetchone()[0])


def hits(conn, plan, *, keys=True, small=lambda name: False, **settings) -> dict[str, list[dict]]:
    """rule name -> metrics of each finding, the catalogue read the way `check --explain` reads it."""
    from advisor.explain.stage import catalog

    table_rows, partitions = catalog(conn)
    ctx = PlanContext(plan, table_rows, partitions, ExplainSettings(**settings),
                      partition_keys=partition_keys_of(conn) if keys else {}, small=small)
    out: dict[str, list[dict]] = {}
    for name, hit in plan_hits(ctx, lambda n: True):
        hit.metrics["message"] = hit.message
        out.setdefault(name, []).append(hit.metrics)
    return out


def node_at(plan: Plan, metrics: dict):
    return list(plan.root.walk())[metrics["node"]]


# --- PLN001 seq-scan-large-table -------------------------------------------------------------


def test_seq_scan_large_table(conn):
    bad = explain(conn, "SELECT id FROM big WHERE c = 5")
    found = hits(conn, bad)["seq-scan-large-table"]
    assert len(found) == 1
    m = found[0]
    assert m["relation"] == "big" and m["table_rows"] == 50000 and 400 < m["rows_kept"] < 700
    assert m["evidence"] == "measured" and node_at(bad, m).node_type == "Seq Scan"
    # planned only (no ANALYZE): the estimate stands in for the actual count
    planned = hits(conn, explain(conn, "SELECT id FROM big WHERE c = $1", analyze=False))["seq-scan-large-table"]
    assert planned[0]["evidence"] == "planned"

    good = explain(conn, "SELECT id FROM big WHERE c = 5", "CREATE INDEX ON big (c)")
    assert "seq-scan-large-table" not in hits(conn, good)
    # below the size threshold, or keeping most of the table: a seq scan is the right plan
    assert "seq-scan-large-table" not in hits(conn, bad, large_table_rows=100_000)
    most = explain(conn, "SELECT id FROM big WHERE c > 5")
    assert most.root.node_type == "Seq Scan" and "seq-scan-large-table" not in hits(conn, most)
    # a table the config says stays small, or a settings table (Schema.small): seeded large, small in production
    assert "seq-scan-large-table" not in hits(conn, bad, small=lambda name: name == "big")
    assert "seq-scan-large-table" in hits(conn, bad, small=lambda name: name == "other")


# --- PLN002 filter-waste -------------------------------------------------------------------


def test_filter_waste_seq_scan(conn):
    bad = explain(conn, "SELECT id FROM big WHERE c = 5")
    m = hits(conn, bad)["filter-waste"][0]
    assert m["relation"] == "big" and m["rows_removed"] > 49000 and m["rows_kept"] < 1000
    good = explain(conn, "SELECT id FROM big WHERE c = 5", "CREATE INDEX ON big (c)")
    assert "filter-waste" not in hits(conn, good)


def test_filter_waste_index_covers_part_of_the_condition(conn):
    # the index on k finds 5000 rows; the filter on c throws ~99% of them away
    bad = explain(conn, "SELECT id FROM big WHERE k = 3 AND c = 7")
    m = hits(conn, bad)["filter-waste"][0]
    scan = node_at(bad, m)
    assert scan.node_type in ("Bitmap Heap Scan", "Index Scan") and "c = 7" in scan.filter
    assert 4800 < m["rows_removed"] < 5000 and m["rows_kept"] < 100
    good = explain(conn, "SELECT id FROM big WHERE k = 3 AND c = 7", "CREATE INDEX ON big (k, c)")
    assert "filter-waste" not in hits(conn, good)


# --- PLN003 sort-not-indexed ---------------------------------------------------------------


def test_sort_not_indexed(conn):
    bad = explain(conn, "SELECT id FROM big ORDER BY pad LIMIT 10")
    m = hits(conn, bad)["sort-not-indexed"][0]
    assert m["input_rows"] == 50000 and m["sort_key"] == ["pad"] and node_at(bad, m).node_type == "Sort"
    good = explain(conn, "SELECT id FROM big ORDER BY pad LIMIT 10", "CREATE INDEX ON big (pad)")
    assert "sort-not-indexed" not in hits(conn, good)
    # a top-N over aggregates: no index returns count(*) in order
    top = explain(conn, "SELECT grp, count(*) FROM big GROUP BY grp ORDER BY count(*) DESC LIMIT 5")
    assert any(n.node_type == "Sort" for n in top.root.walk())
    assert "sort-not-indexed" not in hits(conn, top)


# --- PLN004 sort-spill -----------------------------------------------------------------------


def test_sort_spill(conn):
    low = "SET LOCAL work_mem = '64kB'"
    bad = explain(conn, "SELECT id, pad FROM big ORDER BY pad", low, "SET LOCAL max_parallel_workers_per_gather = 0")
    m = hits(conn, bad)["sort-spill"][0]
    assert m["sort_method"].startswith("external") and m["space_kb"] > 64
    assert node_at(bad, m).sort_space_type == "Disk"
    # the same rows sorted in memory, or only the first 100 of them (top-N heapsort)
    assert "sort-spill" not in hits(conn, explain(conn, "SELECT id, pad FROM big ORDER BY pad",
                                                  "SET LOCAL work_mem = '32MB'"))
    assert "sort-spill" not in hits(conn, explain(conn, "SELECT id, pad FROM big ORDER BY pad LIMIT 100", low))


def test_sort_spill_parallel_worker(conn):
    plan = explain(conn, "SELECT id, pad FROM big2 ORDER BY pad", "SET LOCAL work_mem = '64kB'",
                   "SET LOCAL parallel_setup_cost = 0", "SET LOCAL parallel_tuple_cost = 0",
                   "SET LOCAL min_parallel_table_scan_size = 0", "SET LOCAL parallel_leader_participation = off")
    if not any(n.node_type == "Gather Merge" for n in plan.root.walk()):
        pytest.skip("no parallel workers available")
    m = hits(conn, plan)["sort-spill"][0]
    assert m["sort_method"].startswith("external")


def test_sort_spill_incremental_sort(conn):
    # sorted on k by its index, each k group (5000 rows) sorted on pad: the groups spill
    bad = explain(conn, "SELECT id, pad FROM big ORDER BY k, pad", "SET LOCAL work_mem = '64kB'",
                  "SET LOCAL enable_seqscan = off", "SET LOCAL max_parallel_workers_per_gather = 0")
    m = hits(conn, bad)["sort-spill"][0]
    assert node_at(bad, m).node_type == "Incremental Sort"
    assert m["sort_method"].startswith("external") and m["space_kb"] > 0
    good = explain(conn, "SELECT id, pad FROM big ORDER BY k, pad", "SET LOCAL work_mem = '32MB'",
                   "SET LOCAL enable_seqscan = off", "SET LOCAL max_parallel_workers_per_gather = 0")
    assert any(n.node_type == "Incremental Sort" for n in good.root.walk())
    assert "sort-spill" not in hits(conn, good)


# --- PLN005 hash-spill -----------------------------------------------------------------------

JOIN = "SELECT b.id, c.pad FROM big b JOIN big2 c ON c.id = b.id"
HASH_ONLY = ("SET LOCAL enable_mergejoin = off", "SET LOCAL enable_nestloop = off",
             "SET LOCAL max_parallel_workers_per_gather = 0")


def test_hash_join_spill(conn):
    bad = explain(conn, JOIN, "SET LOCAL work_mem = '64kB'", *HASH_ONLY)
    m = hits(conn, bad)["hash-spill"][0]
    assert m["batches"] > 1 and node_at(bad, m).node_type == "Hash"
    good = explain(conn, JOIN, "SET LOCAL work_mem = '32MB'", *HASH_ONLY)
    assert any(n.node_type == "Hash" for n in good.root.walk())
    assert "hash-spill" not in hits(conn, good)


def test_hash_aggregate_spill(conn):
    query = "SELECT pad, count(*) FROM big GROUP BY pad"
    hashed = ("SET LOCAL enable_sort = off", "SET LOCAL max_parallel_workers_per_gather = 0")
    bad = explain(conn, query, "SET LOCAL work_mem = '64kB'", *hashed)
    m = hits(conn, bad)["hash-spill"][0]
    assert m["batches"] > 1 and node_at(bad, m).raw.get("Strategy") == "Hashed"
    assert "HashAggregate" in m["message"]
    good = explain(conn, query, "SET LOCAL work_mem = '32MB'", *hashed)
    assert "hash-spill" not in hits(conn, good)


# --- PLN006 row-misestimate ------------------------------------------------------------------


def test_row_misestimate_correlated_columns(conn):
    query = "SELECT id FROM big WHERE a = 1 AND b = 1"
    bad = explain(conn, query)
    m = hits(conn, bad)["row-misestimate"][0]
    assert m["actual_rows"] == 500 and m["plan_rows"] <= 10 and m["ratio"] >= 50
    # extended statistics tell the planner a and b move together (rolled back with the rest)
    good = explain(conn, query, "CREATE STATISTICS big_ab (dependencies) ON a, b FROM big", "ANALYZE big")
    assert good.root.plan_rows >= 250
    assert "row-misestimate" not in hits(conn, good)


def test_row_misestimate_ignores_rows_never_asked_for(conn):
    # a Sort under a LIMIT returns 10 of its 50000 planned rows; EXISTS stops at the first match;
    # partitions after the LIMIT is met never run
    for query in ("SELECT id FROM big ORDER BY pad LIMIT 10",
                  "SELECT u.id FROM users u WHERE EXISTS (SELECT 1 FROM big b WHERE b.grp = u.id)",
                  "SELECT id FROM ledger LIMIT 5"):
        assert "row-misestimate" not in hits(conn, explain(conn, query)), query
    # an underestimate under a LIMIT is still one
    under = explain(conn, "SELECT id FROM big WHERE a = 1 AND b = 1 ORDER BY pad LIMIT 1000")
    assert hits(conn, under)["row-misestimate"][0]["actual_rows"] == 500


# --- PLN007 nested-loop-rescan ---------------------------------------------------------------

LOOP_ONLY = ("SET LOCAL enable_hashjoin = off", "SET LOCAL enable_mergejoin = off")
LOOP = "SELECT u.id, e.id FROM users u LEFT JOIN events e ON e.user_id = u.id"


def test_nested_loop_rescan(conn):
    bad = explain(conn, LOOP, *LOOP_ONLY)
    m = hits(conn, bad)["nested-loop-rescan"][0]
    assert m["loops"] == 1200 and m["relation"] == "events" and node_at(bad, m).node_type == "Nested Loop"
    good = explain(conn, LOOP, *LOOP_ONLY, "CREATE INDEX ON events (user_id)")
    assert good.root.node_type == "Nested Loop" and good.root.inner.node_type in ("Index Scan", "Bitmap Heap Scan")
    assert "nested-loop-rescan" not in hits(conn, good)
    assert "nested-loop-rescan" not in hits(conn, bad, rescan_loops=5000)


def test_nested_loop_rescan_with_an_initplan(conn):
    # the InitPlan is the Nested Loop's first child: outer and inner are found by relationship
    plan = explain(conn, LOOP + " WHERE u.id >= (SELECT min(id) FROM events)", *LOOP_ONLY)
    assert plan.root.children[0].parent_relationship == "InitPlan"
    assert hits(conn, plan)["nested-loop-rescan"][0]["loops"] == 1200


# --- PLN008 partition-not-pruned -------------------------------------------------------------


def test_partition_not_pruned(conn):
    bad = explain(conn, "SELECT id FROM ledger WHERE ts::date = '2025-02-10'")
    m = hits(conn, bad)["partition-not-pruned"][0]
    assert m["partitions"] == 4 and m["relation"] == "ledger" and node_at(bad, m).node_type == "Append"
    good = explain(conn, "SELECT id FROM ledger WHERE ts >= '2025-02-10' AND ts < '2025-02-11'")
    assert "partition-not-pruned" not in hits(conn, good)
    # a range that covers every partition: pruning ran, nothing to skip
    assert "partition-not-pruned" not in hits(conn, explain(conn, "SELECT id FROM ledger WHERE ts > '2024-01-01'"))


def test_partition_not_pruned_generic_plan(conn):
    # without values, a generic plan lists every partition and prunes at run time: the key decides
    prunable = explain(conn, "SELECT id FROM ledger WHERE ts >= $1 AND ts < $2", analyze=False)
    assert len([n for n in prunable.root.walk() if n.relation]) == 4
    assert "partition-not-pruned" not in hits(conn, prunable)
    assert "partition-not-pruned" in hits(conn, prunable, keys=False)  # without the keys it cannot tell
    cast = explain(conn, "SELECT id FROM ledger WHERE ts::date = $1", analyze=False)
    assert hits(conn, cast)["partition-not-pruned"][0]["evidence"] == "planned"
    other = explain(conn, "SELECT id FROM ledger WHERE amount = $1", analyze=False)
    assert "partition-not-pruned" in hits(conn, other)
    assert partition_keys_of(conn) == {"ledger": ["ts"]}


def test_wallet_ledger_check_explain(tmp_path, monkeypatch, pg_server):  # noqa: F811
    """PLN008, PLN009 and PLN010 through `check --explain --analyze` on the partitioned fixture."""
    from advisor import engine

    project = tmp_path / "wallet-ledger"
    shutil.copytree(ROOT / "fixtures/wallet-ledger", project)
    with open(project / "advisor.toml", "a") as fh:
        fh.write("\n[seed]\nrows = 1500\n\n[explain]\nlarge_table_rows = 400\n")
    monkeypatch.chdir(tmp_path)
    report = engine.check(["wallet-ledger"], engine.Options(explain=True, analyze=True, dsn=pg_server.conninfo()))
    by_rule: dict[str, set[tuple[str, int]]] = {}
    for f in report.active:
        by_rule.setdefault(f.rule, set()).add((Path(f.location.path).as_posix().split("wallet-ledger/")[-1],
                                               f.location.line))
    # PLN008: the cast on the partition key scans every month; the keyset page and the
    # monthly totals (plain comparisons on timestamp) are pruned
    pln008 = by_rule.get("PLN008", set())
    assert ("queries/transactions.sql", 32) in pln008
    assert ("queries/transactions.sql", 2) not in pln008 and ("queries/transactions.sql", 14) not in pln008
    # PLN010: the unique index without the partition key, and only that statement
    assert by_rule.get("PLN010") == {("migrations/002_partition_transactions.sql", 50)}
    # PLN009: `network = 1` (text = integer) and the INSERT with one column too many cannot be planned: one note
    # for the project, at the first unplanned statement, naming each as path:line
    (note,) = [f for f in report.active if f.rule == "PLN009"]
    assert note.severity == "info" and note.metrics["lines"][0].endswith(f":{note.location.line}")
    pln009 = {
        (path.split("wallet-ledger/")[-1], int(line)) for path, line in (x.rsplit(":", 1) for x in note.metrics["lines"])
    }
    assert {("queries/transactions.sql", 42), ("queries/maintenance.sql", 14)} <= pln009
    assert not {loc for loc in pln009 if loc[0] == "queries/transactions.sql" and loc[1] != 42}


# --- parse_plan on anything ------------------------------------------------------------------

KEYS = ["Node Type", "Relation Name", "Alias", "Index Name", "Startup Cost", "Total Cost", "Plan Rows",
        "Plan Width", "Actual Rows", "Actual Loops", "Actual Total Time", "Filter", "Join Filter", "Index Cond",
        "Rows Removed by Filter", "Rows Removed by Join Filter", "Sort Key", "Sort Method", "Sort Space Type",
        "Sort Space Used", "Hash Batches", "HashAgg Batches", "Parent Relationship", "Join Type", "Inner Unique",
        "Workers", "Full-sort Groups", "Pre-sorted Groups", "Subplans Removed", "Strategy"]
NODE_TYPES = ["Seq Scan", "Sort", "Incremental Sort", "Hash", "Aggregate", "Nested Loop", "Limit", "Append",
              "Materialize", "Memoize", "Merge Join", "BitmapAnd"]
scalars = st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats() | st.text(max_size=8)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.sampled_from(KEYS + ["Sort Methods Used", "Sort Space Disk",
                                                                     "Peak Sort Space Used"]) | st.text(max_size=4),
                                             inner, max_size=4), max_leaves=6)


SHAPED = {"Node Type", "Relation Name", "Plan Rows", "Actual Rows", "Actual Loops", "Parent Relationship", "Filter",
          "Rows Removed by Filter", "Hash Batches", "Sort Method"}


def _node(children):
    fields = st.fixed_dictionaries({}, optional={k: json_values for k in KEYS}) \
        | st.fixed_dictionaries({"Node Type": st.sampled_from(NODE_TYPES),
                                 "Relation Name": st.sampled_from(["t", "p1", "p2", "ledger"]),
                                 "Plan Rows": st.floats(0, 1e7), "Actual Rows": st.floats(0, 1e7),
                                 "Actual Loops": st.integers(0, 5000),
                                "Parent Relationship": st.sampled_from(["Outer", "Inner", "InitPlan", "Member"]),
                                "Filter": st.sampled_from(["(ts < $1)", "((ts)::date = $1)", "(x = 1)"]),
                                "Rows Removed by Filter": st.floats(0, 1e6), "Hash Batches": st.integers(0, 64),
                                "Sort Method": st.sampled_from(["external merge", "quicksort"])},
                                optional={k: json_values for k in KEYS if k not in SHAPED})
    kids = st.none() | json_values if children is None else st.none() | st.lists(children, max_size=3) | json_values
    return st.builds(lambda d, plans: {**d, "Plans": plans} if plans is not None else d, fields, kids)


plan_nodes = st.recursive(_node(None), _node, max_leaves=6)
inputs = (json_values
          | st.builds(lambda n, extra: [{"Plan": n, **extra}], plan_nodes,
                      st.dictionaries(st.sampled_from(["Planning Time", "Execution Time"]), json_values))
          | st.builds(lambda n: {"Plan": n}, plan_nodes)
          | st.text(max_size=30) | st.binary(max_size=30))


@hsettings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs)
def test_parse_plan_takes_anything(value):
    try:
        plan = parse_plan(value)
    except PlanError:
        return
    assert isinstance(plan, Plan)
    render(plan.root)
    ctx = PlanContext(plan, {"t": 1e6, "p1": 1e4, "p2": 1e4}, {"ledger": ["p1", "p2"]}, ExplainSettings(),
                      partition_keys={"ledger": ["ts"]})
    for name, hit in plan_hits(ctx, lambda n: True):
        assert name != "rule-failed", hit.message
        assert isinstance(hit.message, str) and 0 <= hit.metrics["node"] < len(list(plan.root.walk()))


def test_parse_plan_errors():
    for bad in ("", "not json", "[]", "{}", '[{"Plan": 3}]', [1], {"Plan": {"Plans": {"a": 1}}}, None,
                b"\xff", {"Plan": {"Plans": [1]}}, "[" * 100000):
        with pytest.raises(PlanError):
            parse_plan(bad)
    deep: dict = {"Node Type": "Limit"}
    for _ in range(5000):
        deep = {"Node Type": "Limit", "Plans": [deep]}
    with pytest.raises(PlanError):
        parse_plan({"Plan": deep})
