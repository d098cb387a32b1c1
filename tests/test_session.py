"""advisor explain: the session driven through prompt_toolkit's pipe input, a pipe, and one-shot forms."""

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


def _controller(project: Path, **kw):
    from rich.console import Console

    from advisor.cli_db import _project
    from advisor.session.commands import Controller
    from advisor.session.workspace import Workspace

    config, _, schema = _project([str(project)], None)
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None, highlight=False)
    return Controller(Workspace(config, schema, **kw), console), out


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
    controller, out = _controller(dchat, analyze=True)
    try:
        controller.handle("SELECT 1;")  # connect first, so the signal meets the query
        timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        controller.handle("SELECT pg_sleep(20);")
        timer.join()
        assert "cancelled" in out.getvalue()
        assert controller.handle(SLOW)
        assert "EXPLAIN ANALYZE: cost" in out.getvalue()  # the next query ran: the session is usable
    finally:
        controller.ws.close()


def test_analyze_params_seed_and_save(dchat, tmp_path):
    controller, out = _controller(dchat)
    try:
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
    finally:
        controller.ws.close()


def test_mongo_mode_static_planner(tmp_path):
    project = tmp_path / "m"
    shutil.copytree(ROOT / "fixtures/wallet-connection", project)
    controller, out = _controller(project)
    try:
        controller.handle("\\mongo")
        controller.handle("db.walletconnections.find({ status: 'active' }).sort({ createdAt: -1 })")
        screen = out.getvalue()
        assert "winning plan (static planner)" in screen
        assert "MGO" in screen
    finally:
        controller.ws.close()


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
    controller, out = _controller(dchat, dsn=_dsn(user_db, "reader"), analyze=True)
    try:
        controller.handle("UPDATE users SET name = 'x' WHERE id = 1;")
        controller.handle("\\try CREATE INDEX ON users (name)")
        controller.handle(SLOW)
        controller.handle("\\seed 10")
    finally:
        controller.ws.close()
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
