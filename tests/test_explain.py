"""check --explain on dchat: plan findings and verified index advice with numbers."""

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from tests.conftest_db import pg_server  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


def _cli():
    from advisor.cli import main
    from advisor.cli_db import register

    if "indexes" not in main.commands:
        register(main)
    return main


def _dchat(tmp_path):
    dst = tmp_path / "dchat"
    shutil.copytree(ROOT / "fixtures/dchat", dst)
    with open(dst / "advisor.toml", "a") as fh:
        fh.write("\n[seed]\nrows = 4000\n\n[explain]\nlarge_table_rows = 1000\n")
    return dst


def test_placeholders_normalised():
    from advisor.explain.params import normalise

    assert normalise("SELECT a FROM t WHERE a = %s AND b = %(x)s AND c = %(x)s")[0] == \
        "SELECT a FROM t WHERE a = $1 AND b = $2 AND c = $2"
    assert normalise("SELECT a::text FROM t WHERE a = :id AND b = ':x' AND c = ?") == \
        ("SELECT a::text FROM t WHERE a = $1 AND b = ':x' AND c = $2", 2)


def test_check_explain_dchat_verified_advice(tmp_path, monkeypatch):
    project = _dchat(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--format", "json", "dchat"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    findings = data["findings"] if isinstance(data, dict) else data
    by_rule = {}
    for f in findings:
        by_rule.setdefault(f["rule"], []).append(f)
    # each seq scan on a large table is the evidence of the finding that explains it on that table (the verified
    # index, the leading wildcard), not a second finding at the same statement
    assert "PLN001" not in by_rule
    scans = [(f["path"].rsplit("/", 1)[-1], f["line"], p["relation"]) for f in findings
             for p in f.get("metrics", {}).get("plan", []) if p["rule"] == "seq-scan-large-table"]
    assert ("users.sql", 5, "users") in scans
    measured = [f for f in by_rule.get("IDX001", []) if f.get("evidence") == "measured"
                and f.get("metrics", {}).get("cost_after") is not None]
    lower = [f for f in measured if "lower(name)" in f["message"].lower()]
    assert lower, [f["message"] for f in by_rule.get("IDX001", [])]
    m = lower[0]["metrics"]
    assert m["cost_after"] < m["cost_before"] * 0.7 and m["index_size"] > 0 and m["build_ms"] >= 0
    assert "the plan shows it: Seq Scan on users" in lower[0]["help"]
    # the verified index is the expression index function-on-column asks for: one problem, one finding, at the
    # wrapped expression, the rule it answers said in its help and metrics
    assert (lower[0]["path"].rsplit("/", 1)[-1], lower[0]["line"], lower[0]["column"]) == ("users.sql", 5, 27)
    assert "users.name is wrapped in lower()" in lower[0]["help"].lower()
    assert [a["rule"] for a in m["answers"]] == ["function-on-column"]
    wrapped = [f for f in findings if f["name"] == "function-on-column"]
    assert not [f for f in wrapped if f["path"].endswith("users.sql") and f["line"] == 5], wrapped
    # the static missing-index finding of that query is replaced, not repeated
    statics = [f for f in by_rule.get("IDX001", []) if f.get("evidence") == "static"
               and f["path"].endswith("users.sql") and f["line"] == 5]
    assert not statics
    # the migration's seed mistake is a schema-rejected finding, not the end of the run
    assert project.exists()


def test_indexes_writes_migration(tmp_path, monkeypatch):
    _dchat(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "migration.sql"
    result = CliRunner().invoke(_cli(), ["indexes", "dchat", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "CREATE INDEX CONCURRENTLY" in text and "lower(name)" in text.lower()
    assert "cheap already" in result.output  # queries without a recommendation say why


def test_explain_sends_exactly_one_statement(pg_server):
    """A second statement after the EXPLAIN is refused by PostgreSQL, never run; GENERIC_PLAN still works."""
    import psycopg
    import pytest

    from advisor.explain.stage import explain_row
    from advisor.seed.server import connect

    with connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS one_stmt; CREATE TABLE one_stmt (a int)")
        with pytest.raises(psycopg.errors.SyntaxError, match="multiple commands"):
            explain_row(conn, "EXPLAIN (FORMAT JSON) SELECT 1; CREATE TABLE leaked_one (a int)")
        with pytest.raises(psycopg.errors.SyntaxError, match="multiple commands"):
            explain_row(conn, "EXPLAIN (GENERIC_PLAN, FORMAT JSON) SELECT * FROM one_stmt WHERE a = $1; "
                              "CREATE TABLE leaked_two (a int)")
        plan = explain_row(conn, "EXPLAIN (GENERIC_PLAN, FORMAT JSON) SELECT * FROM one_stmt WHERE a = $1")[0]
        assert plan[0]["Plan"]["Node Type"] == "Seq Scan"
        with conn.transaction():  # inside a transaction the refusal of a bind must not abort it
            explain_row(conn, "EXPLAIN (GENERIC_PLAN, FORMAT JSON) SELECT * FROM one_stmt WHERE a = $1")
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert conn.execute("SELECT to_regclass('leaked_one'), to_regclass('leaked_two')").fetchone() == (None, None)


def test_values_substituted_once_and_not_inside_literals():
    from advisor.explain.params import substitute

    assert substitute("SELECT '$1', a FROM t WHERE a = $1 AND b = $2 -- $2", ["'x$2'", "7"]) == \
        "SELECT '$1', a FROM t WHERE a = 'x$2' AND b = 7 -- $2"
    assert substitute("SELECT $10, $1", [str(n) for n in range(1, 11)]) == "SELECT 10, 1"


def test_candidate_on_a_partitioned_table_is_measured(pg_server):
    """Each partition gets its own index under another name: the candidate counts as used, sized by its parts."""
    from advisor.explain.plan import parse_plan
    from advisor.indexes.candidates import Candidate
    from advisor.indexes.verify import measure
    from advisor.ir import IndexKey
    from advisor.seed.server import connect

    with connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS parted; CREATE TABLE parted (id int, addr text, ts date) "
                     "PARTITION BY RANGE (ts)")
        for n in (1, 2):
            conn.execute(f"CREATE TABLE parted_{n} PARTITION OF parted FOR VALUES FROM ('2025-0{n}-01') "
                         f"TO ('2025-0{n + 1}-01')")
        conn.execute("INSERT INTO parted SELECT g, 'a' || g, date '2025-01-01' + (g % 59) "
                     "FROM generate_series(1, 20000) g; ANALYZE parted")

        def explain(c):
            return parse_plan(c.execute("EXPLAIN (FORMAT JSON) SELECT id FROM parted WHERE addr = 'a7'")
                              .fetchone()[0]), None

        before = explain(conn)[0].cost
        m = measure(conn, Candidate("parted", (IndexKey("addr"),)), explain, owned=True)
        assert m.error is None and m.used
        assert m.cost_after < before / 5
        assert m.size_bytes > 2 * 8192  # two partitions' indexes, not the parent's empty one
        assert conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'parted%'").fetchone()[0] == 0


def test_a_plan_finding_is_folded_only_into_the_same_claim_on_the_same_table():
    """One problem, one finding: a Seq Scan on the table a static finding of the statement explains is its evidence;
    a scan of another table of the join, a finding withheld for an unseen table, or a plan claim of another kind
    (no partition pruned) stay findings of their own."""
    from advisor.checks import Hit
    from advisor.explain.findings import _unfolded
    from advisor.ir import Location

    at = Location("q.sql", 3, 1)

    def scan(table, rule="seq-scan-large-table"):
        return rule, Hit(f"Seq Scan on {table} reads all ~10,000 rows to keep ~1", at, metrics={"relation": table})

    lower = Hit("users.name is wrapped in LOWER() (LOWER(name)): an index on name cannot serve this condition", at,
                help="index the expression", subject="users.name")
    unseen = Hit("optional filter on a column of a table not seen whole", at, withheld="groups")
    left = _unfolded(
        [scan("public.users"), scan("messages"), scan("groups"), scan("users", "partition-not-pruned")],
        [("function-on-column", lower), ("optional-filter", unseen)],
    )
    assert [(name, h.metrics["relation"]) for name, h in left] == [
        ("seq-scan-large-table", "messages"),
        ("seq-scan-large-table", "groups"),
        ("partition-not-pruned", "users"),
    ]
    assert lower.help == "index the expression; the plan shows it: Seq Scan on public.users reads all ~10,000 rows to keep ~1"
    assert [p["rule"] for p in lower.metrics["plan"]] == ["seq-scan-large-table"] and not unseen.metrics


def test_a_settings_table_gets_no_plan_claim_on_its_size(tmp_path, monkeypatch):
    """kinto's `metadata (name, value)` and nominatim's `nominatim_properties (property, value)`: the seed fills them
    like any table, production holds a handful of rows; as the static rules, the plan rules claim nothing that
    rests on their size (Schema.small), while a table of the same statement shape that is not one still gets it."""
    project = tmp_path / "app"
    (project / "queries").mkdir(parents=True)
    (project / "schema.sql").write_text(
        "CREATE TABLE metadata (name text NOT NULL, value text);\n"
        "CREATE TABLE events (id bigint PRIMARY KEY, name text NOT NULL, value text, at timestamptz);\n"
    )
    (project / "queries" / "q.sql").write_text(
        "SELECT value FROM metadata WHERE name = $1;\n\nSELECT value FROM events WHERE name = $1;\n"
    )
    (project / "advisor.toml").write_text(
        'dialect = "postgres"\nschema = ["schema.sql"]\nlarge-tables = ["*"]\n[seed]\nrows = 3000\n'
        '[explain]\nlarge_table_rows = 1000\n'
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(_cli(), ["check", "--explain", "--format", "json", "app"])
    assert result.exit_code in (0, 1), result.output
    findings = json.loads(result.stdout)["findings"]
    scans = {p["relation"] for f in findings for p in [f.get("metrics", {}), *f.get("metrics", {}).get("plan", [])]
             if p.get("relation") and (f["name"] == "seq-scan-large-table" or "rule" in p)}
    assert scans == {"events"}
    assert not any("metadata" in f["message"] for f in findings)


def test_a_verified_index_answers_only_the_wrapped_expression_it_keys():
    """The verified index users(lower(name)) is the fix of `lower(name) = $1` on users; not of `upper(name)`, not of
    lower(name) on another table, not when only the column is indexed, and not when no index was recommended."""
    from types import SimpleNamespace

    from advisor.explain.findings import _answers_wrapped
    from advisor.indexes.candidates import Candidate
    from advisor.ir import IndexKey

    def run(keys, outcome="recommended", table="public.users"):
        return SimpleNamespace(outcome=outcome, best=SimpleNamespace(candidate=Candidate(table, keys)))

    lower = (IndexKey("LOWER(name)", False),)
    wrapped = {"table": "users", "expression": "LOWER(name)"}
    assert _answers_wrapped(run(lower), "function-on-column", wrapped)
    assert _answers_wrapped(run(lower), "SQL003", wrapped)
    assert not _answers_wrapped(run(lower), "function-on-column", {**wrapped, "expression": "UPPER(name)"})
    assert not _answers_wrapped(run(lower), "function-on-column", {**wrapped, "table": "admins"})
    assert not _answers_wrapped(run((IndexKey("name"),)), "function-on-column", {**wrapped, "expression": "name"})
    assert not _answers_wrapped(run(lower, "below-threshold"), "function-on-column", wrapped)
    assert not _answers_wrapped(run(lower), "implicit-cast", wrapped)
    assert not _answers_wrapped(run(lower), "function-on-column", {})  # a parameter in it: no index, no metrics


EXPLAIN_APP = (
    'dialect = "postgres"\nschema = ["schema.sql"]\nlarge-tables = ["*"]\n[seed]\nrows = {rows}\n'
    "[explain]\nlarge_table_rows = 1000\n"
)


def _explained(tmp_path, monkeypatch, files: dict[str, str], rows: int = 5000):
    """A project `app` of these files with EXPLAIN_APP as its config; returns it and a function that runs
    `check --explain` on it (never from the cache) and gives its findings."""
    project = tmp_path / "app"
    for name, text in {**files, "advisor.toml": EXPLAIN_APP.format(rows=rows)}.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    monkeypatch.chdir(tmp_path)

    def findings() -> list[dict]:
        result = CliRunner().invoke(_cli(), ["check", "--explain", "--no-cache", "--format", "json", "app"])
        assert result.exit_code in (0, 1), result.output
        return json.loads(result.stdout)["findings"]

    return project, findings


def test_advice_that_wins_by_a_constants_share_is_not_verified_by_the_seed(tmp_path, monkeypatch):
    """synapse's daily metrics (`type = 'm.room.encrypted' AND stream_ordering > $1`): a partial index, or one led by
    a column of states compared with a constant, wins on the seeded rows by how many hold that constant, which the
    seed never drew (here 'pending' too is in no seeded row). No such advice is said verified, and the static guess
    stands; described in the config, the measurement counts."""
    project, findings = _explained(tmp_path, monkeypatch, {
        "schema.sql": (
            "CREATE TABLE events (stream_ordering bigint PRIMARY KEY, type text NOT NULL, room_id text NOT NULL);\n"
            "CREATE TABLE push_actions (stream_ordering bigint NOT NULL, user_id text NOT NULL, notif smallint NOT NULL);\n"
            "CREATE INDEX push_so ON push_actions (stream_ordering, user_id);\n"
            "CREATE TABLE jobs (id bigint PRIMARY KEY, status text NOT NULL, payload text);\n"
        ),
        "queries/q.sql": (
            "SELECT COUNT(*) FROM events WHERE type = 'm.room.encrypted' AND stream_ordering > $1;\n\n"
            "SELECT DISTINCT user_id FROM push_actions WHERE stream_ordering >= $1 AND stream_ordering <= $2 AND notif = 1;\n\n"
            "SELECT id FROM jobs WHERE status = 'pending' ORDER BY id LIMIT 10;\n\n"
            "SELECT stream_ordering FROM events WHERE room_id = $1;\n"
        ),
    })

    def found():
        return [(f["line"], f.get("evidence"), f["message"]) for f in findings() if f["name"] == "missing-index"]

    got = found()
    assert [(line, evidence) for line, evidence, _ in got] == [(5, "static"), (7, "measured")], got
    assert "jobs serves this query's access (status)" in got[0][2]  # the static guess, not a share's measurement
    assert "events(room_id) verified on seeded data" in got[1][2]  # a value the call passes: measured as ever
    with open(project / "advisor.toml", "a") as fh:
        fh.write('[seed.tables.jobs.columns.status]\nvalues = ["done", "pending"]\n')
    assert 5 not in [line for line, _, _ in found()]  # described: half the rows pending, measured, no index pays


def test_advice_that_wins_by_a_flag_kept_as_a_number_is_not_verified(tmp_path, monkeypatch):
    """Synapse's `notif smallint` (no default, no CHECK) holds 0 or 1, and the code asks `notif = 1`; the seed draws
    the column as a range of numbers, so one seeded row in thousands holds 1 and an index on notif "verified" at -90 %
    (event_push_actions.py:843, :1352). The share is the seed's: not verified. An entity's number the statement names
    (`room = 42`) is measured as ever."""
    _, findings = _explained(tmp_path, monkeypatch, {
        "schema.sql": (
            "CREATE TABLE push_actions (stream_ordering bigint NOT NULL, room bigint NOT NULL, notif smallint NOT NULL,"
            " received_ts bigint, actions text);\n"
        ),
        "queries/q.sql": (
            "SELECT received_ts FROM push_actions WHERE stream_ordering > $1 AND notif = 1;\n\n"
            "SELECT received_ts FROM push_actions WHERE stream_ordering > $1 AND room = 42;\n"
        ),
    })
    verified = [(f["line"], f["message"]) for f in findings() if f["name"] == "missing-index" and f.get("evidence") == "measured"]
    assert not [m for _, m in verified if "(notif)" in m], verified
    assert [line for line, m in verified if "(room)" in m] == [3], verified


def test_the_indexes_the_code_builds_are_in_the_seeded_database(tmp_path, monkeypatch):
    """Synapse builds indexes in background updates (`register_background_index_update(...)` in Python), which
    production has: the seeded database builds them after the schema files, or a statement they serve is planned
    as a scan and advisor "verifies" an index production already has (user_filters' full_user_id, filter_id)."""
    _, findings = _explained(tmp_path, monkeypatch, {
        "schema.sql": (
            "CREATE TABLE user_filters (full_user_id text NOT NULL, filter_id bigint NOT NULL, filter_json bytea);\n"
        ),
        "store.py": (
            "class FilteringStore:\n"
            "    def __init__(self, db_pool):\n"
            "        self.db_pool = db_pool\n"
            "        self.db_pool.updates.register_background_index_update(\n"
            '            "full_users_filters_unique_idx",\n'
            '            index_name="full_users_unique_idx",\n'
            '            table="user_filters",\n'
            '            columns=["full_user_id, filter_id"],\n'
            "            unique=True,\n"
            "        )\n"
            "\n"
            "    def get_filter(self, txn, user_id, filter_id):\n"
            "        txn.execute(\n"
            '            "SELECT filter_json FROM user_filters WHERE full_user_id = ? AND filter_id = ?", (user_id, filter_id)\n'
            "        )\n"
            "        return txn.fetchone()\n"
        ),
    })
    found = findings()
    assert not [f for f in found if f["path"].endswith("store.py")], found  # the unique index serves it
    assert not [f for f in found if f["name"] == "schema-rejected"], found  # and it was built


def test_an_index_whose_keys_an_existing_index_leads_is_no_missing_index(tmp_path, monkeypatch):
    """Synapse's device-list stream: (stream_id, user_id) exists and serves `? < stream_id AND stream_id <= ?`; the
    seeded data "verified" (stream_id) INCLUDE (instance_name, user_id) at -93 %, an index-only copy of the one it
    has. That is no missing index: no finding says one is missing where an index leads with the same keys."""
    _, findings = _explained(tmp_path, monkeypatch, {
        "schema.sql": (
            "CREATE TABLE device_lists_stream (stream_id bigint NOT NULL, user_id text NOT NULL, device_id text NOT NULL,"
            " instance_name text);\n"
            "CREATE INDEX device_lists_stream_id ON device_lists_stream (stream_id, user_id);\n"
        ),
        "queries/q.sql": (
            "SELECT user_id, stream_id, instance_name FROM device_lists_stream WHERE ? < stream_id AND stream_id <= ?;\n"
        ),
    }, rows=10000)
    assert not [f for f in findings() if f["name"] == "missing-index"]


def test_a_sort_of_seeded_rows_is_claimed_only_on_a_table_that_grows(tmp_path, monkeypatch):
    """xtransit's `feed_state`, one row per configured feed, sorted by last_poll_at under a LIMIT: on advisor's seeded
    rows the sort is large, on the project's it is a handful. As the static `in-memory-sort`, the plan's
    sort-not-indexed is made only on a table advisor knows grows; otherwise the unknown-size note counts it."""
    project = tmp_path / "app"
    (project / "queries").mkdir(parents=True)
    (project / "schema.sql").write_text(
        "CREATE TABLE feed_state (feed_id text PRIMARY KEY, last_poll_at timestamptz, last_error text);\n"
    )
    (project / "queries" / "q.sql").write_text(
        "SELECT feed_id, last_error FROM feed_state WHERE last_error IS NOT NULL ORDER BY last_poll_at DESC LIMIT 20;\n"
    )

    def found(extra: str) -> tuple[set[str], list[dict]]:
        (project / "advisor.toml").write_text(
            f'dialect = "postgres"\nschema = ["schema.sql"]\n{extra}[seed]\nrows = 3000\n[explain]\nlarge_table_rows = 1000\n'
        )
        monkeypatch.chdir(tmp_path)
        result = CliRunner().invoke(_cli(), ["check", "--explain", "--format", "json", "app"])
        assert result.exit_code in (0, 1), result.output
        findings = json.loads(result.stdout)["findings"]
        rules = {f["name"] for f in findings} | {p["rule"] for f in findings for p in f.get("metrics", {}).get("plan", [])}
        return rules, findings

    rules, _ = found('large-tables = ["feed_state"]\n')
    assert "sort-not-indexed" in rules
    rules, findings = found("")
    assert "sort-not-indexed" not in rules
    note = next(f for f in findings if f["name"] == "unknown-size")
    assert "feed_state (" in note["message"] and "sort-not-indexed" in note["message"], note["message"]
    rules, findings = found("[seed.tables.feed_state]\nrows = 20\n")
    assert "sort-not-indexed" not in rules and not any(f["name"] == "unknown-size" for f in findings)
