"""A repository crafted to hurt advisor: every case ends in a report (exit 0/1) or one clear
line naming the file and key (exit 2); none prints a traceback, hangs, or shows a file from
outside the project."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import main

ROOT = Path(__file__).resolve().parent.parent
SECRET = "TOP-SECRET-OUTSIDE-CONTENT"


def run(*args: str):
    result = CliRunner().invoke(main, ["check", "--no-cache", *args])
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    assert SECRET not in result.output
    return result


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A project in tmp/repo with a secret file beside it (outside the project)."""
    (tmp_path / "secret.sql").write_text(f"SELECT '{SECRET}';\n", encoding="utf-8")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "q.sql").write_text("SELECT id FROM users WHERE id = 1;\n", encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def config(root: Path, text: str) -> None:
    (root / "advisor.toml").write_text(text, encoding="utf-8")


# --- paths out of the project ------------------------------------------------------------


@pytest.mark.parametrize("key,text,says", [
    ("schema", 'schema = ["../secret.sql"]\n', "outside the project"),
    ("baseline", 'baseline = "../secret.sql"\n', "outside the project"),
    ("[seed.csv] users", '[seed.csv]\nusers = "../secret.sql"\n', "outside the project"),
    ("[seed] stats", '[seed]\nstats = "../secret.sql"\n', "outside the project"),
    # a NUL: an internal error (os.path.realpath's ValueError) for the [seed] paths, before red-team pass 9
    ("[seed] stats", '[seed]\nstats = "a\\u0000b"\n', "NUL"),
    ("[seed.csv] users", '[seed.csv]\nusers = "a\\u0000b"\n', "NUL"),
    ("baseline", 'baseline = "a\\u0000b"\n', "expected a file path"),
])
def test_config_paths_leaving_the_project_or_holding_a_nul_are_refused(repo, key, text, says):
    config(repo, text)
    result = run(".")
    assert result.exit_code == 2
    assert "advisor.toml" in result.output and key in result.output and says in result.output, result.output


def test_a_schema_pattern_above_the_root_lists_nothing_there(repo):
    """Refused before the glob runs: the message names no file of the folder above (red-team pass 6)."""
    (repo.parent / "outside").mkdir()
    (repo.parent / "outside" / "hidden-name.sql").write_text("SELECT 1;\n")
    config(repo, 'schema = ["../outside/*.sql"]\n')
    result = run(".")
    assert result.exit_code == 2 and "outside the project root" in result.output
    assert "hidden-name" not in result.output


def test_a_schema_pattern_through_a_linked_folder_names_the_link_not_what_is_behind_it(repo):
    (repo.parent / "outside").mkdir()
    (repo.parent / "outside" / "hidden-name.sql").write_text("SELECT 1;\n")
    (repo / "linked").symlink_to(repo.parent / "outside")
    config(repo, 'schema = ["linked/*.sql"]\n')
    result = run(".")
    assert result.exit_code == 2 and "outside the project root through linked" in result.output
    assert "hidden-name" not in result.output


def test_dot_dot_after_a_name_in_a_schema_pattern_is_refused_at_once(repo):
    """`*/../*/../...` made the glob's work the directory count to the power of its depth (N=6: minutes)."""
    for n in range(10):
        (repo / f"d{n}").mkdir()
    config(repo, 'schema = ["' + "*/../" * 8 + 'schema.sql"]\n')
    result = run(".")  # refused when the config is read, before any glob runs
    assert result.exit_code == 2 and "'..' can only lead a pattern" in result.output


def test_a_config_that_links_outside_the_checkout_is_not_read(repo):
    (repo.parent / "credentials.toml").write_text('dialect = "hunter2-token"\n')
    (repo / "advisor.toml").unlink(missing_ok=True)
    (repo / "advisor.toml").symlink_to(repo.parent / "credentials.toml")
    result = run(".")
    assert result.exit_code == 2 and "advisor.toml: a symbolic link leading outside the repository" in result.output
    assert "hunter2" not in result.output


def test_a_config_that_links_inside_the_checkout_is_read(repo):
    (repo / ".git").mkdir()
    (repo / "configs").mkdir()
    (repo / "configs" / "advisor.toml").write_text('select = ["ALL"]\n')
    (repo / "star.sql").write_text("SELECT * FROM users;\n")
    (repo / "advisor.toml").unlink(missing_ok=True)
    (repo / "advisor.toml").symlink_to(repo / "configs" / "advisor.toml")
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", "."])
    assert result.exit_code in (0, 1), result.output
    assert "select-star" in result.output  # off by default: on because the linked config was read


def test_a_named_pipe_as_seed_csv_is_refused(repo):
    os.mkfifo(repo / "users.csv")
    config(repo, '[seed.csv]\nusers = "users.csv"\n')
    result = run(".")
    assert result.exit_code == 2 and "[seed.csv] users" in result.output and "not a regular file" in result.output


def test_an_absolute_schema_path_in_the_config_is_refused(repo):
    config(repo, f'schema = ["{repo.parent / "secret.sql"}"]\n')
    result = run(".")
    assert result.exit_code == 2 and "advisor.toml" in result.output and "absolute" in result.output


def test_a_schema_symlink_leaving_the_project_is_refused_unless_allowed(repo):
    (repo / "schema").mkdir()
    (repo / "schema" / "evil.sql").symlink_to(repo.parent / "secret.sql")
    config(repo, 'schema = ["schema/*.sql"]\n')
    refused = run("q.sql")
    assert refused.exit_code == 2 and "advisor.toml" in refused.output and "schema" in refused.output
    allowed = CliRunner().invoke(main, ["check", "--no-cache", "--allow-outside", "q.sql"])
    assert allowed.exit_code in (0, 1), allowed.output  # the user's own choice on the command line


def test_a_sql_symlink_leaving_the_project_is_skipped_with_a_note(repo):
    (repo / "leak.sql").symlink_to(repo.parent / "secret.sql")
    result = run(".")
    assert result.exit_code in (0, 1)
    assert "leak.sql:1:1" in result.output and "symlink leading outside the project" in result.output


def test_a_directory_symlink_leaving_the_project_is_noted_not_followed(repo):
    (repo.parent / "outside").mkdir()
    (repo.parent / "outside" / "leak.sql").write_text(f"SELECT '{SECRET}';\n", encoding="utf-8")
    (repo / "linked").symlink_to(repo.parent / "outside")
    result = run(".")
    assert result.exit_code in (0, 1)
    assert "linked:1:1" in result.output and "symlink leading outside the project" in result.output


def test_a_symlink_named_on_the_command_line_is_the_users_choice(repo):
    (repo / "leak.sql").symlink_to(repo.parent / "secret.sql")
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", "leak.sql"])
    assert result.exit_code in (0, 1) and "skipped" not in result.output


def test_symlink_loops_devices_and_pipes_are_skipped_without_hanging(repo):
    (repo / "a.sql").symlink_to(repo / "b.sql")
    (repo / "b.sql").symlink_to(repo / "a.sql")
    (repo / "zero.sql").symlink_to("/dev/zero")
    os.mkfifo(repo / "x.sql")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ADVISOR_NO_CACHE": "1"}
    done = subprocess.run([sys.executable, "-m", "advisor.cli", "check", "."], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    out = done.stdout + done.stderr
    assert done.returncode in (0, 1), out
    assert "Traceback" not in out
    assert "a.sql:1:1" in out and "symlink loop" in out
    assert "zero.sql:1:1" in out and "outside the project" in out
    assert "x.sql:1:1" in out and "named pipe" in out
    assert "q.sql" not in out or "Traceback" not in out  # the ordinary file is still checked


def test_a_file_larger_than_max_file_size_is_a_finding_not_a_read(repo):
    config(repo, "max-file-size = 1000\n")
    (repo / "big.sql").write_text("SELECT 1;\n" * 500, encoding="utf-8")
    result = run("--format", "json", ".")
    assert result.exit_code == 1  # a warning: the file was not checked
    assert '"path": "big.sql"' in result.output and "larger than max-file-size (5,000 > 1,000 bytes)" in result.output


def test_a_bundle_larger_than_max_file_size_is_built_code_not_a_warning(repo):
    # a bundler's chunk (fiftyone ships its web app's: server/static/assets/spark.module-EtAkeOhY.js, 5 MB) is
    # never read, as a smaller one is not; a written JavaScript file over the limit is still a warning
    config(repo, "max-file-size = 1000\n")
    (repo / "spark.module-EtAkeOhY.js").write_text('import{a as e}from"./rt-DAXXjFlN.js";' + "e();" * 500)
    (repo / "store.js").write_text("import { a } from './rt.js';\n" + "a();\n" * 500)
    result = run("--format", "json", ".")
    assert "spark.module" not in result.output
    assert '"path": "store.js"' in result.output and "larger than max-file-size" in result.output


def test_the_file_size_limit_is_also_applied_when_reading(tmp_path):
    from advisor.files import read_text

    path = tmp_path / "q.sql"
    path.write_text("x" * 2000, encoding="utf-8")
    assert read_text(path, 1000) == (None, "larger than max-file-size (2,000 > 1,000 bytes)")
    assert read_text(path, 5000) == ("x" * 2000, None)


def test_a_utf8_bom_is_dropped_and_positions_do_not_move(repo):
    (repo / "q.sql").write_bytes(b"\xef\xbb\xbfSELECT id FROM users ORDER BY random();\n")
    (repo / "plain.sql").write_bytes(b"SELECT id FROM users ORDER BY random();\n")
    result = run(".")
    assert "q.sql:1:31 SQL008" in result.output and "plain.sql:1:31 SQL008" in result.output
    assert "parse-error" not in result.output


# --- ignore files, tests, the project ------------------------------------------------------


def test_nested_gitignore_and_git_info_exclude_are_honoured(repo):
    (repo / ".git" / "info").mkdir(parents=True)
    (repo / ".git" / "info" / "exclude").write_text("local.sql\n", encoding="utf-8")
    (repo / "sub" / "deeper").mkdir(parents=True)
    (repo / "sub" / ".gitignore").write_text("*.sql\n!keep.sql\n", encoding="utf-8")
    (repo / "sub" / "deeper" / ".gitignore").write_text("keep.sql\n", encoding="utf-8")
    for name in ("local.sql", "sub/gone.sql", "sub/keep.sql", "sub/deeper/keep.sql", "sub/deeper/other.sql"):
        (repo / name).write_text("SELECT id FROM users ORDER BY random();\n", encoding="utf-8")
    result = run(".")
    shown = {line.split(":")[0] for line in result.output.splitlines() if "SQL008" in line}
    assert shown == {"sub/keep.sql"}


def test_tests_and_examples_are_not_checked_unless_named(repo):
    for name in ("tests/q.sql", "examples/q.sql", "src/user.test.sql", "src/app.sql"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("SELECT id FROM users ORDER BY random();\n", encoding="utf-8")
    walked = run(".").output
    assert "src/app.sql" in walked and "tests/q.sql" not in walked and "examples/q.sql" not in walked
    assert "user.test.sql" not in walked
    assert "tests/q.sql:1:31" in run("tests").output  # named on the command line: checked
    config(repo, "test-paths = []\n")
    assert "tests/q.sql:1:31" in run(".").output


def test_without_a_config_the_project_is_the_repository(tmp_path):
    from advisor.config import find_config

    (tmp_path / "app" / "db").mkdir(parents=True)
    (tmp_path / "app" / "services").mkdir()
    (tmp_path / "app" / "package.json").write_text("{}", encoding="utf-8")
    assert find_config(tmp_path / "app" / "services").root == (tmp_path / "app").resolve()
    assert find_config(tmp_path / "app" / "db").root == (tmp_path / "app").resolve()
    (tmp_path / "app" / "db" / "advisor.toml").write_text("", encoding="utf-8")
    assert find_config(tmp_path / "app" / "db").root == (tmp_path / "app" / "db").resolve()


def test_index_declarations_in_one_folder_serve_queries_in_another(repo):
    (repo / ".git").mkdir()
    (repo / "db").mkdir()
    (repo / "services").mkdir()
    (repo / "db" / "schema.sql").write_text(
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE INDEX users_email ON users (email);\n",
        encoding="utf-8")
    (repo / "services" / "q.sql").write_text("SELECT id FROM users WHERE email = $1;\n", encoding="utf-8")
    (repo / "q.sql").unlink()
    result = run("--format", "json", ".")
    assert result.exit_code == 0, result.output  # one project: the index in db/ serves services/
    assert '"findings": []' in result.output


def test_wallet_connection_copied_without_its_config_keeps_its_findings(tmp_path, monkeypatch):
    import shutil

    from advisor import engine

    def findings(directory):
        monkeypatch.chdir(directory)
        return sorted((f.location.path, f.location.line, f.rule) for f in engine.check(["."]).active)

    with_config = findings(ROOT / "fixtures" / "wallet-connection")
    copy = tmp_path / "wc"
    shutil.copytree(ROOT / "fixtures" / "wallet-connection", copy)
    (copy / "advisor.toml").unlink()  # the config sets the default dialect, and opts in to two rules
    opted_in = {f for f in with_config if f[2] in ("MGO010", "MGO009")}  # skip-pagination, unbounded-find
    assert opted_in and findings(copy) == sorted(set(with_config) - opted_in)


# --- bounded work ------------------------------------------------------------------------


def test_a_thousand_terms_of_or_do_not_stop_the_run(repo):
    where = " OR ".join(f"a = {i} OR b = {i}" for i in range(1000))
    (repo / "q.sql").write_text(f"SELECT id FROM t WHERE {where};\n", encoding="utf-8")
    # the rule needs the table's indexes: a has one, b none, so it speaks
    (repo / "schema.sql").write_text("CREATE TABLE t (id int, a int, b int);\nCREATE INDEX t_a ON t (a);\n")
    config(repo, 'schema = ["schema.sql"]\n')
    result = run(".")
    assert result.exit_code in (0, 1)
    assert "or-across-columns" in result.output and "failed" not in result.output


def test_deep_nesting_is_a_located_finding(repo):
    (repo / "q.sql").write_text("SELECT 1 WHERE " + "(" * 5000 + "1 = 1" + ")" * 5000 + ";\n", encoding="utf-8")
    result = run(".")
    assert result.exit_code == 1 and "q.sql:1:1" in result.output and "nested too deeply" in result.output


def test_a_yaml_alias_bomb_is_not_expanded(repo):
    lines = ["collection: users", 'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    lines.append("filter: {$or: [*a9]}")
    (repo / "bomb.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ADVISOR_NO_CACHE": "1"}
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30));"
    done = subprocess.run([sys.executable, "-c", limit + "from advisor.cli import main; main()", "check", "."],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode in (0, 1), done.stderr
    from advisor.sources.shapes import extract_shapes

    assert extract_shapes("bomb.yaml", (repo / "bomb.yaml").read_text()).queries == []
    plain = extract_shapes("users.yaml", "collection: users\nfilter: {a: {$gt: 1}}\n")
    assert [q.collection for q in plain.queries] == ["users"]


# --- the config ------------------------------------------------------------------------


@pytest.mark.parametrize("text,words", [
    ('[explain]\nthreshold = nan\n', ["[explain] threshold", "not a number"]),
    ('[explain]\nthreshold = inf\n', ["[explain] threshold"]),
    ('[explain]\nstatement_timeout_ms = 0\n', ["[explain] statement_timeout_ms", "out of range"]),
    ('[explain]\nstatement_timeout_ms = -5\n', ["[explain] statement_timeout_ms"]),
    ('[explain]\nstatement_timeout_ms = 99999999999\n', ["[explain] statement_timeout_ms"]),
    ('[explain]\nthreshold = 2\n', ["[explain] threshold"]),
    ('[seed]\nrows = -5\n', ["[seed] rows", "out of range"]),
    ('[seed.tables.users]\nrows = -1\n', ["tables.users.rows"]),
    ('[seed.tables.users.columns.status]\ndistinct = 0\n', ["columns.status.distinct"]),
    ('[seed.tables.users.columns.status]\nmin = 5\nmax = 1\n', ["columns.status", "min 5 is above max 1"]),
    ('[seed]\ncolour = "red"\n', ["[seed]", "unknown key 'colour'"]),
    ('[mongo]\nuri = "mongodb://x"\n', ["mongo", "unknown key 'uri'"]),
    ('schema = ["."]\n', ["schema", "not a file pattern"]),
    ('schema = ["**a/*.sql"]\n', ["schema", "'**'"]),
    ('schema = [""]\n', ["schema"]),
    ('max-file-size = 0\n', ["max-file-size", "out of range"]),
    ('max-file-size = 1e9\n', ["max-file-size", "expected a number of bytes"]),
    ('fail-on = "sometimes"\n', ["fail-on"]),
    ('test-paths = [1]\n', ["test-paths"]),
])
def test_bad_config_values_exit_2_naming_file_and_key(repo, text, words):
    config(repo, text)
    result = run(".")
    assert result.exit_code == 2, result.output
    assert "advisor.toml" in result.output
    for word in words:
        assert word in result.output


def test_every_command_validates_the_config(repo):
    config(repo, "[explain]\nthreshold = nan\n")
    for args in (["check", "."], ["check", "--format", "json", "q.sql"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "[explain] threshold" in result.output


@pytest.mark.parametrize("data,words", [
    ("dialect = 'mysql'\n".encode("utf-16"), ["not UTF-8"]),
    (b"\x00\x01\x02\xff\xfe binary", ["not UTF-8"]),
    (b"dialect = \n", ["invalid TOML"]),
    (b"x" * 2_000_001, ["larger than"]),
])
def test_unreadable_configs_exit_2(repo, data, words):
    (repo / "advisor.toml").write_bytes(data)
    result = run(".")
    assert result.exit_code == 2 and "advisor.toml" in result.output
    for word in words:
        assert word in result.output


def test_a_utf16_or_binary_baseline_exits_2(repo):
    (repo / "base.json").write_bytes('{"version": 1, "findings": []}'.encode("utf-16"))
    result = run("--baseline", "base.json", ".")
    assert result.exit_code == 2 and "base.json" in result.output and "not UTF-8" in result.output
    (repo / "base.json").write_bytes(b"\x00\xff" * 10)
    assert run("--baseline", "base.json", ".").exit_code == 2


def test_non_json_seed_stats_exits_2_naming_the_key(repo):
    (repo / "stats.json").write_text("rows: 5\n", encoding="utf-8")
    config(repo, '[seed]\nstats = "stats.json"\n')
    result = run(".")
    assert result.exit_code == 2 and "advisor.toml" in result.output and "stats" in result.output
    assert "not JSON" in result.output


def test_a_good_config_with_every_table_is_accepted(repo):
    (repo / "stats.json").write_text("{}", encoding="utf-8")
    (repo / "users.csv").write_text("id\n1\n", encoding="utf-8")
    config(repo, 'max-file-size = 100000\ntest-paths = ["t/"]\n[seed]\nrows = 10\nstats = "stats.json"\n'
                 '[seed.csv]\nusers = "users.csv"\n[seed.tables.users.columns.id]\nmin = 1\nmax = 9\n'
                 '[explain]\nthreshold = 0.5\nstatement_timeout_ms = 1000\n[mongo]\n')
    assert run(".").exit_code in (0, 1)


# --- red-team pass 7: file names that read as options, numbers and nesting past the parsers' limits --------


def test_the_hook_ends_advisors_options_before_the_file_names():
    """pre-commit appends the staged files' names to `entry`: a file named `--write-baseline=/abs/x.json` (a
    folder `--write-baseline=` in the repository) was read as that option, wrote outside the checkout and
    accepted every finding; after `--` it is a path."""
    import yaml

    hook = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))[0]
    assert hook["entry"].split()[-1] == "--"


def test_a_path_that_looks_like_an_option_after_the_double_dash_is_a_path(repo, tmp_path):
    outside = tmp_path / "pwned.json"
    name = f"--write-baseline={outside}"
    (repo / name.split("/")[0]).mkdir()
    bad = repo / name
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text("{}", encoding="utf-8")
    (repo / "bad.sql").write_text("SELECT * FROM users WHERE name LIKE '%x';\n", encoding="utf-8")
    result = run("--", name, "bad.sql")
    assert result.exit_code == 1 and "bad.sql:1" in result.output, result.output  # the gate still fails
    assert not outside.exists()


@pytest.mark.parametrize("where, text", [
    ("sub/pyproject.toml", f"[project]\nn = {'9' * 5000}\n"),
    ("advisor.toml", f"[seed]\nrows = {'9' * 5000}\n"),
    ("advisor.toml", 'baseline = "b.json"\n'),
    ("advisor.toml", '[seed]\nstats = "s.json"\n'),
])
def test_numbers_and_nesting_past_the_parsers_limits_are_one_line_naming_the_file(repo, where, text):
    """A 5,000-digit integer (Python's int limit raises ValueError, which no parser wraps) or JSON nested
    100,000 deep (RecursionError) in a file the config names ended the run with 'internal error'."""
    path = repo / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    (repo / "b.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (repo / "s.json").write_text('{"tables": {"t": {"rows": ' + "9" * 5000 + "}}}", encoding="utf-8")
    result = run(".")
    assert result.exit_code == 2, result.output
    named = {"sub/pyproject.toml": "pyproject.toml", "advisor.toml": "advisor.toml"}[where]
    if "baseline" in text:
        named = "b.json"
    elif "stats" in text:
        named = "s.json"
    assert named in result.output and len(result.output.strip().splitlines()) == 1, result.output


def test_a_schema_file_over_max_file_size_is_refused_before_any_cache_reads_it(repo):
    """The results cache hashed every schema file whole before the run refused it: a 3 GB file took 3 GB of
    memory. Here the run has 2 GB of address space, and the cache is on."""
    config(repo, 'schema = ["big.sql"]\n')
    with open(repo / "big.sql", "wb") as big:
        big.truncate(3 << 30)  # sparse: no disk
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ADVISOR_CACHE_DIR": str(repo.parent / "cache")}
    env.pop("ADVISOR_NO_CACHE", None)
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30));"
    done = subprocess.run([sys.executable, "-c", limit + "from advisor.cli import main; main()", "check", "."],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "big.sql: larger than max-file-size" in done.stderr, done.stderr


def test_a_file_s_key_is_its_content_read_in_chunks(tmp_path):
    import hashlib

    from advisor.files import content_key

    path = tmp_path / "users.csv"
    path.write_bytes(b"id,email\n1,a@b\n" * 100_000)
    assert content_key(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    over = content_key(path, limit=1000)
    assert over.startswith("unread:") and over != content_key(path)
    path.write_bytes(path.read_bytes() + b"2,c@d\n")
    assert content_key(path, limit=1000) != over  # a change still changes the key
    os.mkfifo(tmp_path / "pipe.sql")
    assert content_key(tmp_path / "pipe.sql").startswith("unread:")  # never waits on a writer


def test_the_config_s_paths_are_what_a_run_naming_none_checks_and_stay_inside(repo):
    for name in ("src/a.sql", "other/b.sql"):
        (repo / name).parent.mkdir(exist_ok=True)
        (repo / name).write_text("SELECT id FROM users ORDER BY random();\n", encoding="utf-8")
    config(repo, 'paths = ["src"]\n')
    shown = {line.split(":")[0] for line in run().output.splitlines() if "SQL008" in line}
    assert shown == {"src/a.sql"}
    named = {line.split(":")[0] for line in run(".").output.splitlines() if "SQL008" in line}
    assert named == {"src/a.sql", "other/b.sql"}  # a path named on the command line wins
    for text, says in (('paths = ["../"]\n', "outside the project root"), ('paths = ["/etc"]\n', "not a path relative"),
                       ('paths = ["a\\u0000"]\n', "not a path relative")):
        config(repo, text)
        result = run()
        assert result.exit_code == 2 and "paths" in result.output and says in result.output, result.output
