"""advisor explain: the session driven through prompt_toolkit's pipe input, a pipe, and one-shot forms."""

import contextlib
import io
import json
import os
import shutil
import signal
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from tests.conftest_db import user_server  # noqa: F401
from tests.test_safety import PASSWORD, _checksums, _dsn, user_db  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
SLOW = "SELECT id, name FROM users WHERE lower(name) = 'bob';"


def _cli():
    from advisor.cli import main

    return main


@pytest.fixture(scope="module")
def dchat(tmp_path_factory):
    dst = tmp_path_factory.mktemp("session") / "dchat"
    shutil.copytree(ROOT / "fixtures/dchat", dst)
    with open(dst / "advisor.toml", "a") as fh:
        fh.write("\n[seed]\nrows = 4000\n\n[explain]\nlarge_table_rows = 1000\nstatement_timeout_ms = 30000\n")
    return dst


@contextlib.contextmanager
def _session(project: Path, **kw):
    """A controller over the project and its screen; the session (its database) closed after."""
    controller, out = _controller(project, **kw)
    try:
        yield controller, out
    finally:
        controller.ws.close()


def _controller(project: Path, **kw):
    from rich.console import Console

    from advisor.loader import load_project
    from advisor.options import Options
    from advisor.session.commands import Controller
    from advisor.session.workspace import Workspace

    loaded = load_project([str(project)], Options())
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None, highlight=False)
    return Controller(Workspace(loaded, **kw), console), out


# --- input handling -----------------------------------------------------------------------------


def test_complete_inputs():
    from advisor.session.repl import complete

    assert complete("SELECT 1;")
    assert complete("SELECT 1\nFROM t;  -- done\n")
    assert not complete("SELECT 1")
    assert not complete("SELECT ';'")  # the ; is inside a string
    assert not complete("SELECT $$ ; $$")
    assert complete("SELECT $$ ; $$;")
    assert not complete("SELECT 1 /* ; */")
    assert complete("\\d users")
    assert complete("db.users.find({a: 1})", "mongo")
    assert not complete("db.users.find({a: 1}", "mongo")
    assert not complete("db.users.find({a: ')'}", "mongo")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("SELECT abc;'\"$-/*()\n\\{}")), max_size=60))
def test_complete_never_raises_and_a_closing_statement_completes(text):
    from advisor.session.repl import complete, inputs

    complete(text)
    complete(text, "mongo")
    # whatever the lines, splitting them into inputs loses no non-blank text
    chunks = list(inputs(io.StringIO(text), lambda: "sql"))
    assert "".join("".join(chunks).split()) == "".join(text.split())


def test_piped_lines_split_into_statements_and_commands():
    from advisor.session.repl import inputs

    lines = io.StringIO("\\analyze on\nSELECT a\nFROM t\nWHERE b = ';';\n\\d t\nSELECT 2;\nSELECT 3")
    assert list(inputs(lines, lambda: "sql")) == [
        "\\analyze on", "SELECT a\nFROM t\nWHERE b = ';';\n", "\\d t", "SELECT 2;\n", "SELECT 3\n"]


# --- the terminal session through prompt_toolkit's pipe input ------------------------------------------


def test_terminal_session_query_try_describe_error_ctrl_c(dchat, tmp_path):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from advisor.session.repl import run_terminal

    controller, out = _controller(dchat)
    history = tmp_path / "history"
    try:
        with create_pipe_input() as pipe:
            # a multi-line query: Enter before the ; continues the statement
            pipe.send_text("SELECT id, name\rFROM users\rWHERE lower(name) = 'bob';\r")
            pipe.send_text("\\try CREATE INDEX ON users (lower(name))\r")
            pipe.send_text("\\d users\r")
            pipe.send_text("SELEC nonsense FROM;\r")
            pipe.send_text("SELECT half typed\x03")  # Ctrl-C at the prompt drops the text, the session goes on
            pipe.send_text("\\drop\r")
            pipe.send_text("\x04")  # Ctrl-D leaves
            run_terminal(controller, input=pipe, output=DummyOutput(), history_path=history)
    finally:
        controller.ws.close()
    screen = out.getvalue()
    # the query: plan tree, plan finding, static finding, measured advice
    assert "Seq Scan on users" in screen
    assert "PLN001 seq-scan-large-table" in screen
    assert "SQL003" in screen and "function-on-column" in screen
    assert "Index advice" in screen and "users(LOWER(name)): cost" in screen
    # \try: both plans side by side, the new one using the index
    assert "before: cost" in screen and "after: cost" in screen
    assert "Index Scan using advisor_try_1 on users" in screen
    assert "the planner uses it" in screen
    # \d users: the tried index is in the database, marked
    assert "advisor_try_1 (tried)" in screen and "wallet_address" in screen
    # bad SQL: a message, and the session went on to \drop
    assert "error:" in screen and "ADV001" in screen
    assert "SELECT half typed" not in screen
    assert "dropped advisor_try_1" in screen
    assert "lower(name) = 'bob'" in history.read_text()  # persistent history


def test_tried_index_never_outlives_the_session(dchat):
    """\\try builds in the session's transaction: after the session the cached seeded database is unchanged."""
    from advisor.seed.server import connect

    controller, out = _controller(dchat)
    controller.handle("\\try CREATE INDEX tried_here ON users (name)")
    conninfo = controller.ws._prepared.target.conninfo
    controller.ws.close()
    controller2, _ = _controller(dchat)
    try:
        controller2.ws.connection()
        assert controller2.ws._prepared.reused  # the same cached database
        with connect(controller2.ws._prepared.target.conninfo, autocommit=True) as conn:
            assert conn.execute("SELECT to_regclass('tried_here')").fetchone()[0] is None
    finally:
        controller2.ws.close()
    assert conninfo


def test_ctrl_c_cancels_the_running_query_and_keeps_the_session(dchat):
    with _session(dchat, analyze=True) as (controller, out):
        controller.handle("SELECT 1;")  # connect first, so the signal meets the query
        timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        controller.handle("SELECT pg_sleep(20);")
        timer.join()
        assert "cancelled" in out.getvalue()
        assert controller.handle(SLOW)
        assert "EXPLAIN ANALYZE: cost" in out.getvalue()  # the next query ran: the session is usable


def test_analyze_params_seed_and_save(dchat, tmp_path):
    with _session(dchat) as (controller, out):
        controller.handle("\\analyze on")
        controller.handle("\\params 'no such name'")
        controller.handle("SELECT id FROM users WHERE name = $1;")
        assert "params: $1='no such name'" in out.getvalue()
        assert "EXPLAIN ANALYZE" in out.getvalue()
        controller.handle("\\params")
        controller.handle("\\seed 500")
        controller.handle("\\d")
        assert "seeded again with 500 rows per table" in out.getvalue()
        assert "│ users " in out.getvalue() and " 500 " in out.getvalue()
        controller.handle(SLOW)
        assert "cheap already" in out.getvalue()  # 500 rows: a seq scan is fine
        target = tmp_path / "indexes.sql"
        controller.handle(f"\\save {target}")
        text = target.read_text()
        assert "CREATE INDEX CONCURRENTLY idx_users_name ON users (name);" in text  # from the 4,000-row run


def test_mongo_mode_static_planner(tmp_path):
    project = tmp_path / "m"
    shutil.copytree(ROOT / "fixtures/wallet-connection", project)
    with _session(project) as (controller, out):
        controller.handle("\\mongo")
        controller.handle("db.walletconnections.find({ status: 'active' }).sort({ createdAt: -1 })")
        screen = out.getvalue()
        assert "winning plan (static planner)" in screen
        assert "MGO" in screen


# --- one shot, JSON, --file, --dsn -------------------------------------------------------------------------


def test_one_shot_json(dchat):
    result = CliRunner().invoke(_cli(), ["explain", "-C", str(dchat), "--format", "json",
                                         "SELECT id, name FROM users WHERE lower(name) = 'bob'"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    assert doc["plan"]["type"] == "Seq Scan" and doc["plan"]["relation"] == "users"
    assert doc["plan"]["findings"] == ["seq-scan-large-table"]
    assert doc["advice"]["recommended"] and doc["advice"]["cost_after"] < doc["advice"]["cost_before"] / 10
    assert any(f["rule"] == "SQL003" for f in doc["findings"])
    assert not any(f["rule"] == "IDX001" for f in doc["findings"])  # the measured advice replaces the guess


def test_one_shot_bad_sql_is_a_message_and_exit_2(dchat):
    result = CliRunner().invoke(_cli(), ["explain", "-C", str(dchat), "SELEC FROM"])
    assert result.exit_code == 2
    assert "error:" in result.stdout and "Traceback" not in result.output


def test_file_form(dchat, tmp_path):
    queries = tmp_path / "q.sql"
    queries.write_text("SELECT id FROM users WHERE id = 1;\nSELECT * FROM messages ORDER BY timestamp DESC LIMIT 5;\n")
    result = CliRunner().invoke(_cli(), ["explain", "-C", str(dchat), "--file", str(queries), "--format", "json"])
    assert result.exit_code == 0, result.output
    docs = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert len(docs) == 2
    assert docs[0]["plan"]["index"] == "users_pkey"
    assert docs[0]["outcome"] == "cheap"


def test_dsn_read_only_session(user_db, dchat):
    """Over a role that may not create databases: plans only, \\try needs HypoPG, nothing written."""
    before = _checksums(user_db)
    with _session(dchat, dsn=_dsn(user_db, "reader"), analyze=True) as (controller, out):
        controller.handle("UPDATE users SET name = 'x' WHERE id = 1;")
        controller.handle("\\try CREATE INDEX ON users (name)")
        controller.handle(SLOW)
        controller.handle("\\seed 10")
    screen = out.getvalue()
    assert "read-only and the statement writes" in screen
    assert "needs HypoPG" in screen
    assert "Seq Scan on users" in screen
    assert "embedded database, not on a --dsn" in screen
    assert PASSWORD not in screen
    assert _checksums(user_db) == before


def test_no_project_is_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(_cli(), ["explain", "SELECT 1"])
    assert result.exit_code == 2
    assert "no advisor config (advisor.toml)" in result.stdout and "--dsn" in result.stdout
    assert "Traceback" not in result.output


# --- regressions found by using the session ------------------------------------------------------------


def _json_controller(project: Path, **kw):
    controller, out = _controller(project, **kw)
    controller.fmt = "json"
    return controller, out


def _docs(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]  # every line a JSON document


def test_json_lines_for_commands_and_errors(dchat, tmp_path):
    """--format json wrote \\help, \\d, \\analyze, \\params... as rich text between the JSON documents."""
    controller, out = _json_controller(dchat)
    try:
        for text in ("\\help", "\\d", "\\d\tusers", "\\d nosuch", "\\analyze on", "\\params 'a b' it's",
                     "\\analyze off", SLOW, "\\try CREATE INDEX ON users (lower(name))", "\\drop", "\\mongo",
                     "\\sql", f"\\save {tmp_path}/no/such/dir.sql", "\\bogus"):
            controller.handle(text)
    finally:
        controller.ws.close()
    docs = _docs(out)
    by_command = {d.get("command"): d for d in docs if "command" in d}
    assert [c["input"] for c in by_command["help"]["commands"]][0] == "<SQL>;"
    assert any(d.get("table") == "users" and d["columns"][0]["name"] == "id" for d in docs)
    assert {"command": "d", "error": "no table 'nosuch' in the schema: \\d lists them"} in docs
    assert by_command["analyze"]["analyze"] is False and by_command["mongo"]["mode"] == "mongo"
    assert by_command["try"]["used"] is True and by_command["drop"]["dropped"] == "advisor_try_1"
    assert "cannot write" in by_command["save"]["error"] and "unknown command" in by_command["bogus"]["error"]


def test_comment_only_input_is_not_a_failed_statement(dchat, tmp_path):
    """A comment on its own (a file ending with one) was "no statement found" and exit 2."""
    controller, out = _controller(dchat)
    controller.handle("-- nothing to run here\n/* nor here */;")
    assert out.getvalue() == "" and not controller.failed
    queries = tmp_path / "q.sql"
    queries.write_text("SELECT id FROM users WHERE id = 1;\n-- the end\n")
    result = CliRunner().invoke(_cli(), ["explain", "-C", str(dchat), "--file", str(queries)])
    assert result.exit_code == 0, result.output
    assert "error" not in result.stdout


def test_try_index_names_and_existing_indexes(dchat):
    with _session(dchat) as (controller, out):
        controller.handle(SLOW)
        controller.handle("\\try CREATE INDEX MixedCase ON users (lower(name))")  # PostgreSQL folds it to mixedcase
        controller.handle("\\try CREATE INDEX advisor_try_2 ON users (username)")
        controller.handle("\\try CREATE INDEX ON users (created_at, name)")  # advisor_try_2 is taken
        controller.handle("\\try CREATE INDEX IF NOT EXISTS idx_users_created_at ON users (name)")
        controller.handle("\\try CREATE INDEX ON users (name); SELECT 1")
        screen = out.getvalue()
        assert [t.name for t in controller.ws.tried] == ["mixedcase", "advisor_try_2", "advisor_try_3"]
        assert "Index Scan using mixedcase on users" in screen and "the planner uses it" in screen
        assert "idx_users_created_at already exists in the database" in screen  # not passed off as built
        assert "\\try takes one CREATE INDEX statement" in screen


def test_ctrl_c_during_try_keeps_the_session_usable(dchat):
    """Ctrl-C while \\try built the index left the session's transaction aborted: every later input failed."""
    with _session(dchat) as (controller, out):
        conn = controller.ws.connection()  # in the session's transaction: gone with it
        conn.execute("CREATE FUNCTION slow_id(bigint) RETURNS bigint IMMUTABLE LANGUAGE sql "
                     "AS 'SELECT $1 + 0 * length(pg_sleep(0.01)::text)'")
        timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        controller.handle("\\try CREATE INDEX ON users (slow_id(id))")
        timer.join()
        assert "cancelled" in out.getvalue() and not controller.ws.tried
        controller.handle(SLOW)
        assert "Seq Scan on users" in out.getvalue()
        assert "transaction is aborted" not in out.getvalue()


def test_try_on_a_partitioned_table(dchat):
    """A partitioned index is used through its partitions' indexes, and has no size of its own: the
    session said "the planner does not use it", size 0 kB."""
    with _session(dchat) as (controller, out):
        conn = controller.ws.connection()
        conn.execute("CREATE TABLE parted (id int, k int) PARTITION BY RANGE (id)")
        conn.execute("CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (5000)")
        conn.execute("CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM (5000) TO (10000)")
        conn.execute("INSERT INTO parted SELECT i, i % 1000 FROM generate_series(0, 9999) i")
        conn.execute("ANALYZE parted")
        controller.handle("SELECT id FROM parted WHERE k = 5;")
        controller.handle("\\try CREATE INDEX ON parted (k)")
        result_line = out.getvalue().splitlines()
        assert any("the planner uses it" in line for line in result_line)
        assert controller.ws.tried[0].size_bytes > 0
        assert len(controller.ws.tried[0].names) == 3  # the partitioned index and one per partition


def test_describe_partition_qualified_and_case(dchat):
    from advisor.ir import Table as TableDef

    controller, out = _controller(dchat)
    try:
        controller.ws.schema.tables["users_p1"] = TableDef("users_p1", partition_of="users")
        controller.handle("\\d users_p1")
        controller.handle("\\d public.USERS")
        screen = out.getvalue()
        assert "table users_p1 (partition of users)" in screen and "wallet_address" in screen.split("users_p1")[1]
        assert "table users" in screen.split("(partition of users)")[1]
        assert not controller.failed
    finally:
        controller.ws.schema.tables.pop("users_p1", None)
        controller.ws.close()


def test_too_few_params_and_params_shown_only_where_used(dchat):
    with _session(dchat, analyze=True) as (controller, out):
        controller.handle("\\params bob")
        controller.handle("SELECT id FROM users WHERE name = $1 AND created_at > $2;")
        controller.handle("SELECT 1;")
        screen = out.getvalue()
        assert "the statement has 2 parameters ($1..$2) and \\params gave 1" in screen
        assert "there is no parameter" not in screen
        assert "$1='bob'" not in screen  # neither statement ran with it: no params line


def test_statement_postgresql_reads_as_two_never_runs_the_second(dchat):
    """advisor's splitter saw one statement where PostgreSQL reads `NAME'x\\'` then `; COMMIT; CREATE ...`:
    the COMMIT ended the session's transaction and the table was created in the cached database."""
    from advisor.seed.server import connect

    with _session(dchat, analyze=True) as (controller, out):
        controller.handle("SELECT NAME'x\\'; COMMIT; CREATE TABLE leaked_plain(x int); --';")
        controller.handle("\\params \"; COMMIT; CREATE TABLE leaked_param(x int); --\"")
        controller.handle("SELECT id FROM users WHERE name = $1 AND 'x$1' <> '';")
        screen = out.getvalue()
        # the splitter reads it as PostgreSQL does: COMMIT and CREATE are statements of their own, never run;
        # the value stays one literal, and the '$1' inside the string is not a placeholder
        assert screen.count("not a statement advisor can plan") == 2
        assert "'; COMMIT; CREATE TABLE leaked_param(x int); --'" in screen
        # a committed table would show from another connection
        with connect(controller.ws._prepared.target.conninfo, autocommit=True) as conn:
            leaked = conn.execute("SELECT relname FROM pg_class WHERE relname LIKE 'leaked_%'").fetchall()
            for (name,) in leaked:
                conn.execute(f"DROP TABLE {name}")  # keep the cached database clean for the other tests
        assert leaked == []


def test_dml_under_analyze_is_rolled_back(dchat):
    with _session(dchat, analyze=True) as (controller, out):
        count = "SELECT count(*) FROM users WHERE name IS NOT NULL"
        before = controller.ws.connection().execute(count).fetchone()[0]
        controller.handle("UPDATE users SET name = NULL WHERE id < 100;")
        controller.handle("DELETE FROM group_members WHERE user_id < 100;")
        assert "EXPLAIN ANALYZE" in out.getvalue()
        assert controller.ws.connection().execute(count).fetchone()[0] == before


def test_lost_connection_is_opened_again(dchat):
    with _session(dchat, analyze=True) as (controller, out):
        controller.handle("\\try CREATE INDEX ON users (name)")
        controller.handle("SELECT pg_terminate_backend(pg_backend_pid());")
        controller.handle(SLOW)
        screen = out.getvalue()
        assert "connection to the database was lost and is opened again; tried indexes gone: advisor_try_1" in screen
        assert "EXPLAIN ANALYZE: cost" in screen.split("opened again")[1]


def test_seed_rebuilds_tried_indexes_and_notes_a_failure(dchat):
    with _session(dchat) as (controller, out):
        controller.handle("\\try CREATE INDEX ON users (name)")
        controller.handle("\\try CREATE INDEX ON users (username)")
        controller.ws.tried[1].ddl = "CREATE INDEX gone ON no_such_table (x)"  # a rebuild that fails
        controller.handle("\\seed 300")
        controller.handle("\\d users")
        screen = out.getvalue()
        assert "not rebuilt on the new data: CREATE INDEX gone ON no_such_table" in screen
        assert "tried indexes rebuilt: advisor_try_1" in screen and "advisor_try_1 (tried)" in screen
        assert [t.name for t in controller.ws.tried] == ["advisor_try_1"]


def test_save_writes_an_index_tried_and_recommended_once(dchat, tmp_path):
    with _session(dchat) as (controller, out):
        controller.handle(SLOW)  # recommends users(LOWER(name))
        ddl = controller.ws.last.advice.ddl
        controller.handle("\\try " + ddl.replace("CONCURRENTLY ", "").replace("idx_users_lower_name", "by_me"))
        target = tmp_path / "with space" / "m.sql"
        target.parent.mkdir()
        controller.handle(f'\\save "{target}"')
        text = target.read_text()
        assert text.count("CREATE INDEX") == 1 and "by_me" in text and "tried in the session" in text
        assert "wrote 1 index statement(s)" in out.getvalue()


def test_statements_that_are_not_queries_say_what_to_type(dchat):
    with _session(dchat) as (controller, out):
        controller.handle("CREATE INDEX ON users (name);")
        controller.handle("EXPLAIN SELECT 1;")
        screen = out.getvalue()
        assert "an index is built with \\try: \\try CREATE INDEX ON users (name)" in screen
        assert "type the statement without EXPLAIN" in screen


def test_mongo_describe_try_and_chained_lines(tmp_path):
    from advisor.session.repl import inputs

    project = tmp_path / "m"
    shutil.copytree(ROOT / "fixtures/wallet-connection", project)
    with _session(project) as (controller, out):
        controller.handle("\\d")  # no SQL schema: the collections
        controller.handle("\\mongo")
        controller.handle("\\d walletsessions")
        controller.handle("\\try CREATE INDEX ON x (y)")
        screen = out.getvalue()
        assert "wallet_sessions" in screen and "address_1_status_1_expiresAt_1 { address: 1" in screen
        assert "\\try builds a PostgreSQL index" in screen and "no schema files" not in screen
    lines = io.StringIO("db.users.find({ a: 1 })\n  .sort({ b: -1 })\n  .limit(5)\ndb.users.find({ c: 1 })\n")
    assert list(inputs(lines, lambda: "mongo")) == [
        "db.users.find({ a: 1 })\n  .sort({ b: -1 })\n  .limit(5)\n", "db.users.find({ c: 1 })\n"]


def test_completion_quotes_mixed_case_names():
    from types import SimpleNamespace

    from prompt_toolkit.document import Document

    from advisor.ir import Column, Schema, Table as TableDef
    from advisor.session.repl import _completer

    schema = Schema(tables={"UserAccounts": TableDef("UserAccounts", columns={"Email": Column("Email", "text")}),
                            "orders": TableDef("orders")})
    completer = _completer(SimpleNamespace(ws=SimpleNamespace(schema=schema)))

    def texts(typed):
        return [c.text for c in completer.get_completions(Document(typed), None)]

    assert texts("SELECT * FROM Us")[0] == '"UserAccounts"'
    assert texts('SELECT * FROM "Us')[0] == 'UserAccounts"'
    assert texts("SELECT u.Em") == ['"Email"'] and texts("SELECT * FROM ord")[0] == "orders"
    assert "\\sql" in texts("\\s")


def test_plan_tree_join_conditions_and_never_executed():
    from rich.console import Console

    from advisor.explain.plan import parse_plan
    from advisor.session.render import plan_tree

    plan = parse_plan([{"Plan": {
        "Node Type": "Hash Join", "Hash Cond": "(m.sender_id = u.id)", "Actual Rows": 0, "Actual Loops": 1,
        "Actual Total Time": 0.1, "Plans": [
            {"Node Type": "Bitmap Heap Scan", "Relation Name": "messages", "Recheck Cond": "(status = 'x')",
             "Actual Rows": 0, "Actual Loops": 1, "Actual Total Time": 0.05},
            {"Node Type": "Hash", "Actual Rows": 0, "Actual Loops": 0, "Actual Total Time": 0.0}]}}])
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(plan_tree(plan))
    screen = console.file.getvalue()
    assert "hash cond: (m.sender_id = u.id)" in screen
    assert "recheck cond: (status = 'x')" in screen and "index cond" not in screen
    assert "Hash  cost 0.00..0.00  rows 0  never executed" in screen


def test_try_side_by_side_only_when_both_plans_fit():
    from rich.console import Console

    from advisor.explain.plan import parse_plan
    from advisor.session.render import try_renderable
    from advisor.session.report import QueryReport, TryReport

    node = {"Node Type": "Seq Scan", "Relation Name": "users", "Filter": "(lower((name)::text) = 'bob'::text)",
            "Total Cost": 342.0}
    before = QueryReport("q", plan=parse_plan([{"Plan": node}]))
    after = QueryReport("q", plan=parse_plan([{"Plan": dict(node, **{"Node Type": "Index Scan",
                                                                      "Index Name": "i", "Total Cost": 8.3})}]))
    result = TryReport("CREATE INDEX i ON users (lower(name));", "i", before=before, after=after)

    def lines(width):
        console = Console(file=io.StringIO(), width=width, color_system=None)
        console.print(try_renderable(result, console))
        return console.file.getvalue().splitlines()

    assert any("before: cost" in line and "after: cost" in line for line in lines(160))
    narrow = lines(80)
    assert any(line.startswith("after: cost") for line in narrow)  # stacked, not squeezed into 40 columns
    assert any("the planner uses it" in line for line in narrow)
