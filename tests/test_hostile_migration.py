"""The migration `advisor indexes` prints is run as printed (red-team pass 6): a name or a literal of the
repository holding a control, bidirectional or invisible character is written with escapes PostgreSQL
reads back as that character, so no terminal, log or colour-stripping tool (click strips ANSI sequences
when standard output is not a terminal: its pattern ate a closing quote) can change the statement; and
standard output carries the migration alone, not the per-query lines that name the repository's files."""

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.indexes.candidates import Candidate
from advisor.ir import IndexKey
from advisor.names import inert, quote
from advisor.reporters import UNSAFE_CHARACTERS
from tests.conftest_db import fresh_database, pg_server  # noqa: F401

ESC = "\x1b"
UNSAFE = [ESC, "\x07", "\x9b", "\u200b", "\u200f", "\u061c", "\u202e", "\u2066", "\u2060", "\ufeff", "\u2028"]


def _unsafe_left(text: str) -> list[str]:
    import re

    return re.findall(f"[{UNSAFE_CHARACTERS}]", text)


@pytest.fixture
def conn(pg_server):  # noqa: F811
    with fresh_database(pg_server, "mig") as conn:
        yield conn


@pytest.mark.parametrize("char", UNSAFE)
def test_a_name_and_a_literal_with_a_control_character_build_as_printed(conn, char):
    table, column, value = f"t{char}[", f'c{char}["\\', f"x{char}'\\n"
    conn.execute(f"CREATE TABLE {quote(table)} (id int PRIMARY KEY, {quote(column)} int, name text)")
    lit = "'" + value.replace("'", "''") + "'"  # as the parser writes a literal: raw characters inside
    candidate = Candidate(table, (IndexKey(column),), where=f"name = {lit}")
    ddl = candidate.ddl(concurrently=False, name="printed")
    assert _unsafe_left(ddl) == []
    conn.execute(ddl)
    columns, predicate = conn.execute(
        """SELECT array_agg(a.attname ORDER BY a.attnum), pg_get_expr(i.indpred, i.indrelid)
             FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indexrelid = 'printed'::regclass GROUP BY i.indpred, i.indrelid"""
    ).fetchone()
    assert columns == [column]  # the very column, not one named by the escape's text
    matches = conn.execute(f"SELECT %s::text = {inert(lit)}", (value,)).fetchone()[0]
    assert matches and "name" in predicate


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", "'", '"', "\\", "&", "U", "E", " ", *UNSAFE]), max_size=12))
def test_inert_leaves_no_unsafe_character_and_keeps_safe_text(text):
    for sql in (text, f"lower(\"{text}\") = '{text}'"):
        out = inert(sql)
        assert _unsafe_left(out) == []
        if not _unsafe_left(sql):
            assert out == sql  # nothing to escape: the text is the parser's, untouched


def test_indexes_prints_the_migration_alone_and_it_runs_as_printed(tmp_path, monkeypatch, pg_server):  # noqa: F811
    from advisor.cli import main
    from advisor.cli_db import register
    from advisor.sources.sql_files import split_statements

    if "indexes" not in main.commands:
        register(main)
    root = tmp_path / "repo"
    (root / "queries").mkdir(parents=True)
    (root / "schema.sql").write_text(
        f'CREATE TABLE "t{ESC}[" (id int PRIMARY KEY, "c{ESC}[" int, name text);\nCREATE TABLE victims (id int);\n'
    )
    (root / "queries" / "x;DROP TABLE victims;--.sql").write_text(
        f"SELECT id FROM \"t{ESC}[\" WHERE \"c{ESC}[\" = 3 AND name = 'x\"); DROP TABLE victims; --';\n"
    )
    (root / "advisor.toml").write_text('schema = ["schema.sql"]\n\n[seed]\nrows = 3000\n\n[explain]\ncache = false\n')
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["indexes", "."])
    assert result.exit_code == 0, result.output
    assert ESC not in result.stdout and "recommended" not in result.stdout  # the per-query lines: standard error
    assert "x;DROP TABLE victims;--.sql:1: recommended" in result.stderr
    statements = [result.stdout[a:b] for a, b in split_statements(result.stdout)]
    assert statements and all(s.lstrip().startswith("CREATE INDEX CONCURRENTLY") for s in statements)
    # run as printed on a database of the same schema: one index on the table, the victim kept
    with fresh_database(pg_server, "mig") as db:
        db.execute((root / "schema.sql").read_text())
        for statement in statements:
            db.execute(statement)
        assert db.execute("SELECT to_regclass('victims') IS NOT NULL").fetchone()[0]
        assert db.execute(f"SELECT count(*) FROM pg_indexes WHERE tablename = 't{ESC}['").fetchone()[0] == 2


def test_the_explain_session_shows_the_repositorys_names_escaped(tmp_path, monkeypatch):
    """`advisor explain` prints plan nodes, filters, advice, DDL and `\\d` from the repository's names and
    literals: each control character is shown escaped, whatever renderable carries it (one console hook)."""
    from advisor.cli import main
    from advisor.cli_db import register

    if "indexes" not in main.commands:
        register(main)
    title = f"{ESC}]0;PWNED{ESC}\\"
    root = tmp_path / "repo"
    root.mkdir()
    (root / "schema.sql").write_text(
        f'CREATE TABLE "evil{title}" (id int PRIMARY KEY, "c{ESC}[31mRED" int, name text);\n'
    )
    (root / "q.sql").write_text(
        f"SELECT id FROM \"evil{title}\" WHERE name = 'x{ESC}[41m\u202eBG' AND \"c{ESC}[31mRED\" = 3;\n\\d\n"
    )
    (root / "advisor.toml").write_text('schema = ["schema.sql"]\n\n[seed]\nrows = 3000\n\n[explain]\ncache = false\n')
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["explain", "--file", "q.sql"])
    assert result.exit_code == 0, result.output
    assert "PWNED" in result.output and "RED" in result.output  # shown, escaped
    assert _unsafe_left(result.output) == [], result.output


def test_sizes_and_plans_find_a_table_whose_name_needs_escapes(pg_server):  # noqa: F811
    """The sizes the selection weighs (an index's bar, the budget's share of the heap) and the relations a
    plan reads are looked up by name: a name printed with escapes (`U&"t\\001B["`) is SQL syntax the
    regclass reader does not take, so the lookups read names as written (`regclass_text`): before, the
    table had no size (every bar as if the table were empty) and the budget's search stopped the run
    ('relation "u&"t\\001b["" does not exist')."""
    from advisor.indexes.budget import heap_bytes
    from advisor.indexes.candidates import regclass_text, table_sql
    from advisor.indexes.reach import _relations
    from advisor.indexes.verify import relation_bytes

    names = [f"t{ESC}[", "Mixed Case", 'q"uote']
    with fresh_database(pg_server, "regclass") as db:
        for name in names:
            db.execute(f"CREATE TABLE {table_sql(name)} AS SELECT g AS id FROM generate_series(1, 1000) g")
        for name in names:
            assert relation_bytes(db, regclass_text(name)) > 0, name
            assert _relations(db, name) == {name}
        assert heap_bytes(db, set(names)) == sum(relation_bytes(db, regclass_text(n)) for n in names) > 0
