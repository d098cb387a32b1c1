"""A repository crafted to turn advisor's output against its user (red-team pass 3): files written
through a symbolic link of the checkout, `\\save` lines in a file, statements smuggled into the
migrations and shell commands advisor prints, forged CI log commands, schema-qualified tables read
as one. Each case first sets the trap, then shows it does not spring."""

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

from advisor.cli import main

VICTIM = "#!/bin/sh\necho untouched\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A checkout in tmp/repo, and a directory beside it the checkout must never write into."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.sh").write_text(VICTIM)
    root = tmp_path / "repo"
    root.mkdir()
    (root / "advisor.toml").write_text('select = ["ALL"]\n')
    (root / "q.sql").write_text('SELECT * FROM "$(touch PWNED)";\n')
    monkeypatch.chdir(root)
    return root, outside


def _check(*args: str):
    result = CliRunner().invoke(main, ["check", "--no-cache", *args])
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


@pytest.mark.parametrize("args", [["-o", "report.txt"], ["--format", "sarif", "-o", "report.txt"],
                                  ["--write-baseline", "report.txt"]])
def test_a_planted_symlink_at_the_output_is_replaced_not_written_through(repo, args):
    root, outside = repo
    (root / "report.txt").symlink_to(outside / "victim.sh")
    result = _check(*args, ".")
    assert result.exit_code in (0, 1), result.output
    assert (outside / "victim.sh").read_text() == VICTIM
    report = root / "report.txt"
    assert not report.is_symlink() and report.stat().st_size > 0


def test_a_planted_directory_symlink_on_the_output_path_is_refused(repo):
    root, outside = repo
    (root / "reports").symlink_to(outside)
    result = _check("-o", "reports/advisor.txt", ".")
    assert result.exit_code == 2
    assert "reports is a symbolic link or not a directory" in result.output
    assert sorted(p.name for p in outside.iterdir()) == ["victim.sh"]


def test_an_absolute_or_plain_output_path_is_written_as_named(repo, tmp_path):
    root, _ = repo
    for target in (tmp_path / "abs.txt", root / "sub" / "rel.txt"):
        target.parent.mkdir(exist_ok=True)
        name = str(target) if target.name == "abs.txt" else "sub/rel.txt"
        assert _check("-o", name, ".").exit_code == 1
        assert "SQL001" in target.read_text()


def test_save_lines_in_a_file_write_nothing(repo, tmp_path):
    """`advisor explain -f FILE`: the file may be the repository's; its `\\save` chooses no path."""
    root, outside = repo
    (root / "schema.sql").write_text("CREATE TABLE users (id int PRIMARY KEY, email text);\n")
    (root / "advisor.toml").write_text('schema = ["schema.sql"]\n')
    (root / "report.sql").write_text(f"\\save {outside}/written-by-repo.sql\n\\save ~/written-by-repo.sql\n")
    result = CliRunner().invoke(main, ["explain", "-f", "report.sql"])
    assert "Traceback" not in result.output
    assert result.output.count("writes a file only when typed in the session") == 2, result.output
    assert sorted(p.name for p in outside.iterdir()) == ["victim.sh"]
    assert not (Path.home() / "written-by-repo.sql").exists()


def test_the_markdown_migration_splits_statements_as_postgresql_does(repo):
    """A column named `x; DROP INDEX ...` stays inside its quotes: no DROP of the project's index appears."""
    root, _ = repo
    (root / "advisor.toml").write_text('large-tables = ["*"]\nschema = ["schema.sql"]\nselect = ["ALL"]\n')
    name = "x; DROP INDEX CONCURRENTLY orders_customer_idx; --"
    (root / "schema.sql").write_text(
        f'CREATE TABLE orders (id int PRIMARY KEY, "{name}" int, customer_id int);\n'
        "CREATE INDEX orders_customer_idx ON orders (customer_id);\n"
    )
    (root / "q.sql").write_text(f'SELECT id FROM orders WHERE "{name}" = $1;\n')
    result = _check("--format", "markdown", ".")
    block = result.output.split("```sql", 1)[1].split("```", 1)[0]
    statements = [line for line in block.splitlines() if line.strip()]
    assert statements and all(s.startswith("CREATE INDEX") and f'"{name}"' in s for s in statements), block


def _outside_strings(js: str) -> str:
    """The shell command with its JSON/JS string literals taken out: what runs."""
    return re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', "S", js)


def _crafted(repo, config: str, name: str, text: str) -> list[dict]:
    """The findings (JSON) of the checkout with `config` and one crafted file in place of q.sql."""
    root, _ = repo
    (root / "advisor.toml").write_text(config)
    (root / "q.sql").unlink()
    (root / name).write_text(text)
    return json.loads(_check("--format", "json", ".").output)["findings"]


def test_mongo_shell_commands_keep_collection_names_and_keys_as_strings(repo):
    findings = _crafted(
        repo,
        'large-tables = ["*"]\nselect = ["ALL"]\n',
        "app.py",
        "from pymongo import MongoClient\n"
        'db = MongoClient()["app"]\n'
        "def setup():\n"
        '    db["users; db.dropDatabase(); db.users"].create_index("name")\n'
        '    db.orders.create_index("name")\n'
        "def find_user(email):\n"
        '    return db["users; db.dropDatabase(); db.users"].find_one({"email": email})\n'
        "def find_order(cust):\n"
        "    return db.orders.find({\"a\\\\': 1 }); db.dropDatabase(); //\": cust})\n",
    )
    fixes = [f["fix"] for f in findings if f.get("fix") and "createIndex" in f["fix"]]
    assert len(fixes) == 2, findings
    assert "db.getCollection('users; db.dropDatabase(); db.users').createIndex({ email: 1 })" in fixes
    for fix in fixes:
        assert "dropDatabase" not in _outside_strings(fix), fix


def test_tables_of_two_schemas_are_not_one_and_drops_name_the_schema(repo):
    findings = _crafted(
        repo,
        'schema = ["schema.sql"]\n',
        "schema.sql",
        "CREATE TABLE audit.users (id int PRIMARY KEY, email text);\n"
        "CREATE INDEX audit_users_email ON audit.users (email);\n"
        "CREATE TABLE public.users (id int PRIMARY KEY, email text);\n"
        "CREATE INDEX users_email ON public.users (email);\n"
        "CREATE TABLE app.accounts (id int PRIMARY KEY, email text);\n"
        "CREATE INDEX accounts_email ON app.accounts (email);\n"
        "CREATE INDEX accounts_email2 ON app.accounts (email);\n",
    )
    duplicates = [f for f in findings if f["name"] == "duplicate-index"]
    assert [(f["line"], f["fix"]) for f in duplicates] == [(7, "DROP INDEX CONCURRENTLY app.accounts_email2;")]


def test_github_log_lines_past_the_annotation_limit_are_escaped(repo):
    root, _ = repo
    for n in range(12):
        (root / f"{n:02}.sql").write_text(f"SELECT * FROM t{n};\n")
    (root / "q.sql").write_text('SELECT * FROM "\x1b]0;pwned\x07 ##[error]forged";\n')
    out = _check("--format", "github", ".").output
    plain = [line for line in out.splitlines() if not line.startswith("::")]
    assert any("pwned" in line for line in plain), out
    assert "\x1b" not in out and "\x07" not in out and "##[error]" not in out


@pytest.mark.parametrize("fmt", ["json", "sarif", "gitlab"])
def test_the_machine_formats_carry_no_runner_command_and_read_back_the_same(repo, fmt):
    """A workflow that prints the report to its log (`| tee report.json`) must not hand the runner an `##[`
    command the repository wrote (a table name, a file name)."""
    root, _ = repo
    (root / "x ##[add-mask]SELECT.sql").write_text('SELECT * FROM "##[warning file=a.sql]forged";\n')
    out = _check("--format", fmt, ".").output
    assert "##[" not in out
    assert "##[warning file=a.sql]forged" in json.dumps(json.loads(out), ensure_ascii=False)


def test_a_malformed_statistics_file_is_one_line_naming_the_entry(repo):
    root, _ = repo
    (root / "schema.sql").write_text("CREATE TABLE users (id int PRIMARY KEY, email text);\n")
    (root / "advisor.toml").write_text('schema = ["schema.sql"]\n[seed]\nstats = "stats.json"\n')
    for tables, says in [
        ([{"schema": "public", "table": "users", "relpages": 10, "reltuples": "lots"}], "tables[0].reltuples"),
        ([{"table": "users"}], "tables[0].schema: expected a string"),
        (5, "tables: expected a list"),
    ]:
        (root / "stats.json").write_text(json.dumps({"version": 1, "tables": tables}))
        result = _check(".")
        assert result.exit_code == 2 and says in result.output, result.output


def test_a_file_name_cannot_close_its_markdown_code_span(repo):
    from advisor.reporters.markdown import _code

    text = "x`` [click me](http:evil.example) ``.sql:1:8"
    span = _code(text)
    fence = re.match(r"`+", span).group()
    assert len(fence) == 3 and span.endswith(fence) and fence not in span[len(fence):-len(fence)]


# --- red-team pass 4 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("shape", "says"), [
    ({"$where": "function(){ while(true){} }"}, "$where"),
    ({"a": {"$elemMatch": {"$expr": {"$function": {"body": "function(p){ throw p }", "args": ["$password"]}}}}},
     "$function"),
    ([{"$group": {"_id": "$a", "x": {"$accumulator": {"init": "function(){}"}}}}], "$accumulator"),
    ([{"$lookup": {"from": "b", "pipeline": [{"$out": "stolen"}], "as": "x"}}], "$out stage inside"),
    (json.loads('{"$and": [' * 150 + '{"a": 1}' + ']}' * 150), "deeper than MongoDB's 100 levels"),
])
def test_live_explain_sends_no_javascript_no_nested_write_no_deep_shape(shape, says):
    """`--mongo-uri` explains with executionStats, which runs the plan on the user's server: a shape holding
    the repository's JavaScript, a write below the pipeline's top, or nesting MongoDB refuses is not sent."""
    from advisor.mongo.live_explain import unsendable

    assert says in (unsendable(shape) or "")


def test_live_explain_sends_ordinary_shapes_and_fills_only_compared_values():
    from advisor.mongo.live_explain import fill_placeholders, unsendable
    from advisor.mongo.shape import Placeholder

    shape = {"status": Placeholder("string", "status"), "hash": {"$type": Placeholder("string", "t")},
             "n": {"$gt": Placeholder("number", "n")}, "tags": {"$size": Placeholder("number", "s")}}
    assert unsendable([{"$match": shape}, {"$sort": {"a": 1}}]) is None
    sample = {"status": "active", "hash": "s3cr3t-prod-hash", "n": 41, "tags": ["a", "b"]}
    filled = fill_placeholders(shape, sample)
    assert filled == {"status": "active", "hash": {"$type": ""}, "n": {"$gt": 41}, "tags": {"$size": 0}}


def _redundant_by_pairs(schema):
    """redundant-index as it was written before pass 4: every index against every other of its table."""
    from advisor.checks.schema import _is_prefix, _subset

    out = set()
    for index in schema.indexes:
        if index.unique or index.constraint or index.location is None:
            continue
        for other in schema.indexes:
            if other is not index and other.table == index.table and other.method == index.method \
                    and _subset(other) == _subset(index) and _is_prefix(index.keys, other.keys) \
                    and set(index.include) <= set(other.columns) | set(other.include):
                out.add(index.name)
                break
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from("abcd"), st.booleans()), min_size=1, max_size=3, unique_by=lambda k: k[0]),
                min_size=1, max_size=8))
def test_redundant_index_by_prefix_lookup_finds_what_every_pair_finds(indexes):
    """redundant-index finds the longer indexes by their prefixes (linear: 15,000 indexes on one table took
    100 s); it reports exactly the indexes a comparison of every pair reports."""
    from advisor.checks.schema import redundant_index
    from advisor.schema.ddl import schema_from_queries
    from advisor.sources.sql_files import extract_sql

    ddl = "CREATE TABLE t (a int, b int, c int, d int);\n" + "".join(
        f"CREATE INDEX i{n} ON t ({', '.join(c + (' DESC' if desc else '') for c, desc in keys)});\n"
        for n, keys in enumerate(indexes)
    )
    schema = schema_from_queries(extract_sql("schema.sql", ddl, source="schema"))
    found = {hit.subject.split(":")[1] for hit in redundant_index(schema)}
    assert found == _redundant_by_pairs(schema)


@pytest.mark.parametrize("fmt", ["terminal", "json", "sarif", "github", "markdown", "gitlab"])
def test_a_file_name_that_is_not_utf8_is_a_note_not_a_failed_run(repo, fmt):
    root, _ = repo
    (root / "q.sql").write_text("SELECT * FROM t WHERE lower(a) = 'x';\n")
    with open(bytes(root) + b"/bad\xff.sql", "wb") as fh:
        fh.write(b"SELECT * FROM users;\n")
    result = _check("--format", fmt, ".")
    assert result.exit_code == 1, result.output
    assert "its name is not UTF-8" in result.output and "\udcff" not in result.output


# --- red-team pass 5 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "says"), [
    ('[project]\nname = "x"\nclassifiers = ' + "[" * 1000 + "]" * 1000 + "\n", "nested too deeply"),
    ("tool = 5\n", None),
])
def test_a_crafted_pyproject_anywhere_is_one_line_or_nothing(repo, text, says):
    root, _ = repo
    (root / "vendor").mkdir()
    (root / "vendor" / "pyproject.toml").write_text(text)
    (root / "vendor" / "x.sql").write_text("SELECT 1;\n")
    result = _check(".")
    if says:
        assert result.exit_code == 2 and "vendor/pyproject.toml" in result.output and says in result.output
    else:
        assert result.exit_code == 1, result.output


def test_a_nested_projects_baseline_accepts_only_its_own_findings(repo):
    root, _ = repo
    (root / "q.sql").write_text("SELECT * FROM users;\n")
    first = json.loads(_check("--format", "json", ".").output)["findings"]
    fingerprints = [f["fingerprint"] for f in first if f["path"] == "q.sql"]
    assert fingerprints
    (root / "aaa").mkdir()
    (root / "aaa" / "advisor.toml").write_text('baseline = "b.json"\n')
    (root / "aaa" / "x.sql").write_text("SELECT 1;\n")
    (root / "aaa" / "b.json").write_text(json.dumps({"version": 1, "findings": [{"fingerprint": f} for f in fingerprints]}))
    for order in (["aaa/x.sql", "q.sql"], ["."]):
        findings = json.loads(_check("--format", "json", *order).output)["findings"]
        assert all(not f.get("suppressed") for f in findings if f["path"] == "q.sql"), findings


def test_a_file_added_or_removed_changes_the_cached_results_of_the_others(repo, tmp_path, monkeypatch):
    """A `.sql` file nothing names is left out when the others name files of its folder: a file the pull request
    added decided it, and its removal (the next checkout at the same path) must not reuse that result."""
    root, _ = repo
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    (root / "advisor.toml").write_text('large-tables = ["*"]\nschema = ["schema.sql"]\n')
    (root / "schema.sql").write_text("CREATE TABLE users (id int PRIMARY KEY, email text, name text);\n")
    (root / "q.sql").unlink()
    (root / "q").mkdir()
    (root / "q" / "c.sql").write_text("SELECT * FROM users WHERE email = $1;\n")
    (root / "q" / "b.sql").write_text("SELECT 1;\n")
    (root / "x.sql").write_text("SELECT 2; -- q/b.sql\n")
    run = lambda: CliRunner().invoke(main, ["check", "."])  # noqa: E731  with the cache
    assert run().exit_code == 0
    (root / "x.sql").unlink()
    assert run().exit_code == 1 == _check(".").exit_code


def test_suppression_lines_are_counted_in_one_pass():
    from advisor.sources.suppressions import find_suppressions

    text = "".join(f"SELECT {n};\n" + ("-- advisor: ignore select-star\n" if n % 3 == 0 else "") for n in range(200))
    found = find_suppressions("a.sql", text)
    expected = [n + 1 for n, line in enumerate(text.splitlines()) if "advisor: ignore" in line]
    assert [s.location.line for s in found] == expected and len(found) == 67


def test_a_reader_that_closes_the_pipe_ends_the_run_quietly(tmp_path):
    """`advisor check | head`: the reader goes away after a few bytes; no internal error, no traceback."""
    import os
    import subprocess
    import sys

    # about 1 MB of report: far more than a pipe holds, so the writer meets the closed end
    (tmp_path / "q.sql").write_text("".join(f"SELECT * FROM t{i} ORDER BY random();\n" for i in range(1500)))
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "ADVISOR_NO_CACHE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "advisor.cli", "check", "--format", "json", "q.sql"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(100)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert err == ""
