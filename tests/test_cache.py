"""The result cache (advisor/cache.py): a cached run says exactly what a full run says,
and anything a file's findings depend on invalidates them."""

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor import cache, engine
from advisor.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@pytest.fixture(autouse=True)
def _private_results(tmp_path_factory, monkeypatch):
    """Each test its own cache, outside the project it checks (records are .json files)."""
    directory = tmp_path_factory.mktemp("results-cache")
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(directory))
    monkeypatch.delenv("ADVISOR_NO_CACHE", raising=False)
    return directory


def records(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "results").glob("*.json"))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *args])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, result.output


def no_analysis(monkeypatch):
    """Make any analysis fail: what still succeeds came from the cache."""
    def fail(*args, **kwargs):
        raise AssertionError("analysed although every file is cached")

    monkeypatch.setattr(engine, "_analyse_project", fail)


def assert_miss(monkeypatch, *args: str) -> None:
    """The cache cannot serve this run: it analyses."""
    with monkeypatch.context() as m:
        no_analysis(m)
        result = CliRunner().invoke(main, ["check", *args])
    assert result.exit_code == 2 and "analysed although every file is cached" in result.output, result.output


def assert_cached_same(monkeypatch, *args: str) -> str:
    """A full run, a run that writes the cache and one that reads it: the same exit code and output."""
    full = run(*args, "--no-cache")
    cold = run(*args)
    with monkeypatch.context() as m:
        no_analysis(m)
        warm = run(*args)
    assert cold == full
    assert warm == full
    return full[1]


def fixture_targets():
    yield pytest.param(".", ["."], id="all-fixtures")  # one run, a project per fixture
    for app in sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()):
        yield pytest.param(app, ["."], id=f"{app}-all")
        files = sorted(str(p.relative_to(FIXTURES / app)) for p in (FIXTURES / app).rglob("*")
                       if p.suffix in (".sql", ".py", ".js", ".ts", ".json", ".yaml"))
        for name in files:  # one file at a time, as pre-commit passes them
            yield pytest.param(app, [name], id=f"{app}-{name}")
        yield pytest.param(app, files[:2], id=f"{app}-first-two")


@pytest.mark.parametrize("app,paths", list(fixture_targets()))
def test_cached_and_uncached_json_are_identical_on_fixtures(app, paths, monkeypatch):
    monkeypatch.chdir(FIXTURES / app)
    output = assert_cached_same(monkeypatch, "--format", "json", *paths)
    json.loads(output)


@pytest.mark.parametrize("fmt", ["terminal", "sarif", "github"])
def test_other_formats_are_identical_too(fmt, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert_cached_same(monkeypatch, "--format", fmt, "fixtures/dchat", "fixtures/wallet-connection")


def test_a_warm_run_does_not_import_sqlglot(tmp_path):
    env = {**os.environ, "ADVISOR_CACHE_DIR": str(tmp_path / "cache")}
    script = ("import sys\nfrom advisor.cli import main\n"
              "try:\n    main(['check', 'fixtures/dchat/queries/users.sql', '--format', 'json'])\n"
              "except SystemExit:\n    pass\n"
              "sys.stderr.write('SQLGLOT=%s' % ('sqlglot' in sys.modules))\n")
    cold = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    warm = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert "SQLGLOT=True" in cold.stderr
    assert "SQLGLOT=False" in warm.stderr, warm.stderr
    assert warm.stdout == cold.stdout and '"rule": "SQL001"' in warm.stdout


def test_no_cache_neither_reads_nor_writes(project, monkeypatch, _private_results):
    project({"q.sql": "SELECT * FROM users;\n"})
    run(".", "--no-cache")
    assert records(_private_results) == []
    run(".")
    assert records(_private_results)
    assert_miss(monkeypatch, ".", "--no-cache")  # a warm cache is not read either
    monkeypatch.setenv("ADVISOR_NO_CACHE", "1")  # the same, from the environment
    assert_miss(monkeypatch, ".")


def test_the_library_default_is_no_cache(project, _private_results):
    project({"q.sql": "SELECT * FROM users;\n"})
    engine.check(["."])
    assert records(_private_results) == []


def edit(path: str, text: str) -> None:
    Path(path).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


SCHEMA = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name text);\n"
QUERY = "SELECT id FROM users WHERE email = 'a@b.c';\n"


def rules(output: str) -> list[tuple[str, int, str]]:
    return [(f["path"], f["line"], f["rule"]) for f in json.loads(output)["findings"]]


def test_editing_the_file_invalidates(project, monkeypatch):
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["schema.sql"]\n', "schema.sql": SCHEMA, "q.sql": QUERY})
    before = assert_cached_same(monkeypatch, "--format", "json", "q.sql")
    assert ("q.sql", 1, "IDX001") in rules(before)
    edit("q.sql", "-- moved down\n\nSELECT id FROM users ORDER BY random();\n")
    assert_miss(monkeypatch, "--format", "json", "q.sql")
    after = assert_cached_same(monkeypatch, "--format", "json", "q.sql")
    assert rules(after) == [("q.sql", 3, "SQL008")]


def test_editing_a_schema_file_invalidates(project, monkeypatch):
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["schema.sql"]\n', "schema.sql": SCHEMA, "q.sql": QUERY})
    assert ("q.sql", 1, "IDX001") in rules(assert_cached_same(monkeypatch, "--format", "json", "q.sql"))
    edit("schema.sql", SCHEMA + "CREATE INDEX users_email ON users (email);\n")
    assert_miss(monkeypatch, "--format", "json", "q.sql")
    assert rules(run("--format", "json", "q.sql")[1]) == []
    assert rules(assert_cached_same(monkeypatch, "--format", "json", "q.sql")) == []
    edit("schema.sql", SCHEMA + "CREATE INDEX users_email ON users (email;\n")  # a parse error in the schema
    output = assert_cached_same(monkeypatch, "--format", "json", "q.sql")
    assert ("schema.sql", 2, "ADV001") in rules(output)  # kept in the record of the context


def test_ddl_in_another_checked_file_counts(project, monkeypatch):
    """Checked .sql files add their DDL to the schema: a file's findings depend on its neighbours."""
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["schema.sql"]\n', "schema.sql": SCHEMA, "q.sql": QUERY,
             "idx.sql": "CREATE INDEX users_email ON users (email);\n"})
    alone = assert_cached_same(monkeypatch, "--format", "json", "q.sql")
    both = assert_cached_same(monkeypatch, "--format", "json", "q.sql", "idx.sql")
    assert ("q.sql", 1, "IDX001") in rules(alone) and ("q.sql", 1, "IDX001") not in rules(both)
    edit("idx.sql", "CREATE INDEX users_name ON users (name);\n")
    assert ("q.sql", 1, "IDX001") in rules(assert_cached_same(monkeypatch, "--format", "json", "q.sql", "idx.sql"))
    assert rules(run("--format", "json", "q.sql")[1]) == rules(alone)


def test_mongo_index_declarations_in_another_file_count(project, monkeypatch):
    project({
        "advisor.toml": 'large-tables = ["*"]\n',
        "find.js": "db.collection('users').find({ email: 'a' }).toArray();\n",
        "indexes.js": "db.collection('users').createIndex({ email: 1 });\n",
    })
    alone = assert_cached_same(monkeypatch, "--format", "json", "find.js")
    both = assert_cached_same(monkeypatch, "--format", "json", "find.js", "indexes.js")
    assert rules(alone) != [r for r in rules(both) if r[0] == "find.js"]
    edit("indexes.js", "db.collection('users').createIndex({ name: 1 });\n")
    changed = assert_cached_same(monkeypatch, "--format", "json", "find.js", "indexes.js")
    # no declaration at all: no-index-declarations; one on another field: a collection scan
    assert ("find.js", 1, "MGO015") in rules(alone) and ("find.js", 1, "MGO001") not in rules(both)
    assert ("find.js", 1, "MGO001") in rules(changed)


def test_calls_in_another_python_file_count(project, monkeypatch):
    """A parameter takes what the function's calls in the project pass it (advisor.facts.callers)."""
    pg = ("class Pg:\n    def slot(self, name):\n"
          "        self.cur.execute(\"SELECT 1 FROM pg_replication_slots WHERE slot_name = '%s'\" % name)\n")
    project({"pg.py": pg, "cli.py": 'def main(pg):\n    pg.slot("standby")\n'})
    constant = assert_cached_same(monkeypatch, "--format", "json", ".")
    edit("cli.py", "def main(pg, args):\n    pg.slot(args.name)\n")
    assert ("pg.py", 3, "SQL015") in rules(assert_cached_same(monkeypatch, "--format", "json", "."))
    edit("cli.py", 'def main(pg):\n    pg.slot("standby")\n')  # back: the records of the first run, not the second's
    with monkeypatch.context() as m:
        no_analysis(m)
        assert run("--format", "json", ".")[1] == constant
    assert ("pg.py", 3, "SQL015") not in rules(constant)


@pytest.mark.parametrize("config", [
    'large-tables = ["*"]\nschema = ["schema.sql"]\nignore = ["missing-index"]\n',
    'large-tables = ["*"]\nschema = ["schema.sql"]\n[severity]\nmissing-index = "error"\n',
    'large-tables = ["*"]\nschema = ["schema.sql"]\ndialect = "mysql"\n',
    'large-tables = ["*"]\nschema = []\n',
])
def test_editing_the_config_invalidates(project, monkeypatch, config):
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["schema.sql"]\n', "schema.sql": SCHEMA, "q.sql": QUERY})
    before = assert_cached_same(monkeypatch, "--format", "json", "q.sql")
    edit("advisor.toml", config)
    assert_miss(monkeypatch, "--format", "json", "q.sql")
    assert_cached_same(monkeypatch, "--format", "json", "q.sql")
    edit("advisor.toml", 'large-tables = ["*"]\nschema = ["schema.sql"]\n')
    with monkeypatch.context() as m:  # back as it was: served from the cache again
        no_analysis(m)
        assert run("--format", "json", "q.sql") == (1, before)


def test_command_line_rule_selection_is_part_of_the_key(project, monkeypatch):
    project({"q.sql": "SELECT * FROM users ORDER BY random() LIMIT 10 OFFSET 20;\n"})
    default = assert_cached_same(monkeypatch, "--format", "json", ".")
    only = assert_cached_same(monkeypatch, "--format", "json", ".", "--select", "offset-pagination")
    ignored = assert_cached_same(monkeypatch, "--format", "json", ".", "--ignore", "SQL008")
    opted_in = assert_cached_same(monkeypatch, "--format", "json", ".", "--select", "DEFAULT,select-star")
    assert len({default, only, ignored, opted_in}) == 4


def test_suppressions_and_unused_suppressions_survive_the_cache(project, monkeypatch):
    project({"q.sql": """
        -- advisor: ignore order-by-random
        SELECT id FROM users ORDER BY random();
        SELECT 1; -- advisor: ignore SQL008
    """})
    output = assert_cached_same(monkeypatch, "--format", "json", ".")
    doc = json.loads(output)
    assert [(f["line"], f["rule"], f["suppressed"]) for f in doc["findings"]] == [(2, "SQL008", "comment"),
                                                                                 (3, "ADV002", None)]


def test_baseline_and_fingerprints_are_applied_after_the_cache(project, monkeypatch):
    project({"q.sql": "SELECT id FROM users ORDER BY random();\nSELECT id FROM users ORDER BY random();\n"})
    assert run("q.sql", "--no-cache")[0] == 1
    run("q.sql", "--write-baseline", "b.json")
    full = run("q.sql", "--baseline", "b.json", "--format", "json", "--no-cache")
    with monkeypatch.context() as m:
        no_analysis(m)
        assert run("q.sql", "--baseline", "b.json", "--format", "json") == full
    assert full[0] == 0


@pytest.mark.parametrize("garbage", [b"", b"{", b"[]", b"null", b'{"key": "x"}', b"\xff\xfe not utf-8",
                                     "same key, wrong shape"])
def test_a_corrupt_cache_is_ignored(project, monkeypatch, _private_results, garbage):
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["schema.sql"]\n', "schema.sql": SCHEMA, "q.sql": QUERY})
    full = run("--format", "json", "q.sql", "--no-cache")
    run("--format", "json", "q.sql")
    for path in records(_private_results):
        if garbage == "same key, wrong shape":
            data = json.loads(path.read_text())
            if "findings" in data:  # the contributions stay valid: the findings records are read, and fail
                data.update(findings=[{"rule": 3}], queries="x")
            path.write_text(json.dumps(data))
        else:
            path.write_bytes(garbage)
    assert run("--format", "json", "q.sql") == full  # recomputed, and the cache rewritten
    with monkeypatch.context() as m:
        no_analysis(m)
        assert run("--format", "json", "q.sql") == full


def test_an_unusable_cache_directory_is_no_cache(project, monkeypatch, tmp_path_factory):
    blocker = tmp_path_factory.mktemp("blocked") / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(blocker))
    project({"q.sql": QUERY})
    cached = CliRunner().invoke(main, ["check", "--format", "json", "."])
    full = CliRunner().invoke(main, ["check", "--format", "json", ".", "--no-cache"])
    assert (cached.exit_code, cached.stdout) == (full.exit_code, full.stdout)
    assert "results are not cached" in cached.stderr  # the one line that says why


def test_explain_runs_bypass_the_cache(project, monkeypatch, _private_results):
    """Plan findings depend on a database: with --explain nothing is read from or written to the cache."""
    project({"find.js": "db.collection('users').find({ email: 'a' }).toArray();\n"})  # no SQL: no database needed
    explained = engine.check(["."], engine.Options(cache=True, explain=True))
    assert records(_private_results) == []
    engine.check(["."], engine.Options(cache=True))
    assert records(_private_results)
    with monkeypatch.context() as m:  # a warm cache is not read either
        no_analysis(m)
        with pytest.raises(AssertionError, match="analysed although"):
            engine.check(["."], engine.Options(cache=True, explain=True))
    assert explained.findings


def test_code_version_follows_the_rule_pages(tmp_path, monkeypatch):
    import advisor.catalogue

    page = tmp_path / "SQL001.md"
    page.write_text("+++\n+++\n")
    monkeypatch.setattr(advisor.catalogue, "rules_dir", lambda: tmp_path)
    before = cache.code_version.__wrapped__()
    assert cache.code_version.__wrapped__() == before
    page.write_text("+++\n+++\nmore\n")
    assert cache.code_version.__wrapped__() != before


def test_findings_round_trip_through_json(monkeypatch):
    monkeypatch.chdir(FIXTURES / "dchat")
    for finding in engine.check(["."]).findings:
        finding.fingerprint = ""
        assert cache.finding_from_json(json.loads(json.dumps(cache.finding_to_json(finding)))) == finding


def test_metrics_that_json_cannot_return_exactly_are_not_cached(tmp_path):
    from advisor.ir import Finding, Location

    store = cache.Store(tmp_path)
    results = cache.ProjectCache(store, "settings", [], [])
    results.keys = {"q.sql": "k"}
    results._file_keys = lambda: {"q.sql": "k"}
    finding = Finding("SQL001", "m", Location("q.sql", 1), metrics={"pair": (1, 2)})
    results.save([finding], {"q.sql": 1}, {"q.sql": ""})
    assert list(tmp_path.iterdir()) == []
    finding.metrics = {"pair": [1, 2]}
    results.save([finding], {"q.sql": 1}, {"q.sql": ""})
    assert len(list(tmp_path.glob("*.json"))) == 3  # the contribution, the findings, the unchecked findings


def _aged_records(store: cache.Store, ages: list[float]) -> int:
    """One record per age (seconds ago), named k00, k01...; the disk size of one record."""
    now = time.time()
    for i, age in enumerate(ages):
        store.save(f"k{i:02d}", {"n": i})
        os.utime(store.directory / f"k{i:02d}.json", (now - age, now - age))
    return os.stat(store.directory / "k00.json").st_blocks * 512


def names(directory: Path) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.json"))


def test_prune_past_the_size_limit_removes_the_least_recently_used(tmp_path):
    store = cache.Store(tmp_path)
    size = _aged_records(store, [100.0 - i for i in range(20)])  # k19 is the most recent
    assert store.prune(keep_since=time.time() + 10, max_bytes=10 * size, every=0) == 13
    assert names(tmp_path) == [f"k{i:02d}" for i in range(13, 20)]  # down to 3/4 of the limit
    assert store.load("k19") == {"key": "k19", "n": 19} and store.load("k00") is None


def test_prune_never_removes_what_this_run_wrote(tmp_path):
    """A project whose own records exceed the limit is still served from the cache."""
    store = cache.Store(tmp_path)
    size = _aged_records(store, [1000.0] * 5 + [0.0] * 15)
    assert store.prune(keep_since=time.time() - 100, max_bytes=4 * size, every=0) == 5
    assert names(tmp_path) == [f"k{i:02d}" for i in range(5, 20)]


def test_prune_by_age_and_at_most_once_in_a_while(tmp_path):
    store = cache.Store(tmp_path)
    _aged_records(store, [40 * cache.DAY, 29 * cache.DAY, 0.0])
    assert store.prune(keep_since=time.time() + 10) == 1  # the first prune: no stamp yet
    assert names(tmp_path) == ["k01", "k02"]
    _aged_records(store, [40 * cache.DAY])
    assert store.prune(keep_since=time.time() + 10) == 0  # pruned within the hour: not again
    assert store.prune(keep_since=time.time() + 10, every=0) == 1


def test_a_record_read_is_kept_past_the_age_limit(tmp_path):
    store = cache.Store(tmp_path)
    _aged_records(store, [29 * cache.DAY])
    assert store.load("k00") is not None
    assert time.time() - os.stat(tmp_path / "k00.json").st_mtime < 60


def test_records_are_never_read_or_pruned_through_a_symlink(tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"key": "evil", "findings": []}))
    os.utime(outside, (0, 0))
    store = cache.Store(tmp_path / "results")
    store.directory.mkdir()
    (store.directory / "evil.json").symlink_to(outside)
    os.mkfifo(store.directory / "fifo.json")
    assert store.load("evil") is None and store.load("fifo") is None  # no hang on the FIFO either
    os.utime(store.directory / "evil.json", (0, 0), follow_symlinks=False)
    assert store.prune(keep_since=time.time(), every=0) == 1
    assert outside.exists() and not (store.directory / "evil.json").is_symlink()


def test_a_project_whose_records_exceed_the_size_limit_is_served_from_the_cache(tmp_path, monkeypatch):
    """Records used to be capped by count (10,000: a 5,000-file project evicted its own); the size
    limit never applies to the records of the run that wrote them."""
    root = tmp_path / "big"
    for i in range(60):
        (root / f"d{i // 20}").mkdir(parents=True, exist_ok=True)
        (root / f"d{i // 20}" / f"q{i}.sql").write_text(f"SELECT * FROM t{i % 7} WHERE a = {i} ORDER BY random();\n")
    monkeypatch.chdir(root)
    monkeypatch.setattr(cache, "MAX_BYTES", 1)  # far below what this project writes
    cold = run(".")
    assert cold[0] == 1  # findings, served from records too
    assert len(records(Path(os.environ["ADVISOR_CACHE_DIR"]))) > 2 * 60  # each file: contribution, findings
    with monkeypatch.context() as m:
        no_analysis(m)
        assert run(".") == cold


# --- the cache directory -------------------------------------------------------------


def test_cache_directory_is_created_private(tmp_path, monkeypatch):
    from advisor.home import cache_root

    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "a" / "cache"))
    root = cache_root()
    assert stat.S_IMODE(os.stat(root).st_mode) == 0o700 and os.stat(root).st_uid == os.geteuid()
    root.chmod(0o755)  # made by an older advisor: tightened
    cache_root()
    assert stat.S_IMODE(os.stat(root).st_mode) == 0o700


def test_default_cache_directory_is_the_users_own_even_for_root(tmp_path, monkeypatch):
    from advisor.home import cache_root

    monkeypatch.delenv("ADVISOR_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "advisor"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "advisor"


def _planted(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "planted"
    if kind == "symlink":
        (tmp_path / "elsewhere").mkdir()
        path.symlink_to(tmp_path / "elsewhere")
    elif kind == "writable":
        path.mkdir()
        path.chmod(0o777)
    elif kind == "file":
        path.write_text("")
    else:
        path.mkdir()
        os.chown(path, 65534, 65534)  # another user's (the tests run as root where this matters)
    return path


@pytest.mark.parametrize("kind", ["symlink", "writable", "file"] + (["foreign"] if os.geteuid() == 0 else []))
def test_a_planted_cache_directory_is_refused(tmp_path, monkeypatch, kind):
    from advisor.home import CacheError, cache_root

    planted = _planted(tmp_path, kind)
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "q.sql").write_text("SELECT a FROM t ORDER BY random();\n")
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(planted))
    with pytest.raises(CacheError, match=f"cache directory {planted}"):
        cache_root()
    monkeypatch.chdir(tmp_path / "project")
    result = CliRunner().invoke(main, ["check", "."])  # no cache, the same findings
    assert result.exit_code == 1 and "SQL008" in result.output and "results are not cached" in result.output
    assert not list(tmp_path.glob("planted/**/*.json")) and not list(tmp_path.glob("elsewhere/*"))
    (tmp_path / "project" / "advisor.toml").write_text('schema = ["q.sql"]\n')
    explained = CliRunner().invoke(main, ["check", "--explain", "."])  # a seeded database needs the cache
    assert explained.exit_code == 2 and f"advisor: error: the cache directory {planted}" in explained.output


def test_cached_and_uncached_agree_on_every_rule_example(tmp_path, monkeypatch):
    """The rule pages' examples (each with its schema): full run, cold run, warm run alike."""
    from dataclasses import asdict

    from tests.test_rule_examples import _cases, run_example

    real_check = engine.check
    for case in _cases():
        spec, example = case.values
        root = tmp_path / case.id
        root.mkdir()
        monkeypatch.chdir(root)
        outcomes = []
        for options in (engine.Options(), engine.Options(cache=True), engine.Options(cache=True)):
            monkeypatch.setattr(engine, "check", lambda paths, o=options: real_check(paths, o))
            with monkeypatch.context() as m:
                if len(outcomes) == 2:
                    no_analysis(m)  # the third run is served from the cache
                outcomes.append([asdict(f) for f in run_example(spec, example, root)])
        assert outcomes[0] == outcomes[1] == outcomes[2], case.id


@pytest.mark.parametrize("loader, one, both", [
    ("load.sql", "\\i q/a.sql\n", "\\i q/a.sql\n\\i q/b.sql\n"),
    ("queries.yaml", "files: [q/a.sql]\n", "files: [q/a.sql, q/b.sql]\n"),
])
def test_which_sql_files_the_project_loads_is_part_of_the_context(project, monkeypatch, loader, one, both):
    """A `.sql` file nothing names, beside one that is named, holds no query (sources/sql_file_use):
    a file that starts naming it changes its findings, though neither file's DDL changed. Back and
    forth between the two (a branch switch), the cache must serve each state its own findings."""
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["schema.sql"]\n', "schema.sql": SCHEMA, "q/a.sql": QUERY,
             "q/b.sql": "SELECT id FROM users WHERE name = 'x';\n", loader: one})
    first = assert_cached_same(monkeypatch, "--format", "json", ".")
    assert ("q/a.sql", 1, "IDX001") in rules(first) and not [r for r in rules(first) if r[0] == "q/b.sql"]
    edit(loader, both)
    assert ("q/b.sql", 1, "IDX001") in rules(assert_cached_same(monkeypatch, "--format", "json", "."))
    edit(loader, one)  # back: the records of the first state, not the second's
    assert run("--format", "json", ".") == run("--format", "json", ".", "--no-cache")


def test_a_temporary_table_another_kind_of_file_creates_is_part_of_the_context(project, monkeypatch):
    """A table a non-SQL file creates at run time is a gap of the schema (schema/assemble.py): its
    queries' findings in other files change when it appears, and back again."""
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["schema.sql"]\n', "schema.sql": SCHEMA, "q.sql": QUERY,
             "setup.yaml": "note: none\n"})
    first = assert_cached_same(monkeypatch, "--format", "json", ".")
    edit("setup.yaml", "sql: CREATE TABLE child (extra int) INHERITS (users)\n")
    second = assert_cached_same(monkeypatch, "--format", "json", ".")
    assert rules(first) != rules(second)
    edit("setup.yaml", "note: none\n")
    assert run("--format", "json", ".") == run("--format", "json", ".", "--no-cache")


def test_the_stats_file_is_part_of_the_key(project, monkeypatch):
    """Production's row counts (`[seed] stats`) decide which tables are tiny, and a claim about a tiny
    table is not made: a stats file that changes, and back, changes the findings each time."""
    stats = '{{"version": 1, "tables": [{{"schema": "public", "table": "users", "reltuples": {}}}]}}'
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["schema.sql"]\n[seed]\nstats = "prod.json"\n', "schema.sql": SCHEMA,
             "q.sql": QUERY, "prod.json": stats.format(12)})
    tiny = assert_cached_same(monkeypatch, "--format", "json", "q.sql")
    edit("prod.json", stats.format(5_000_000))
    large = assert_cached_same(monkeypatch, "--format", "json", "q.sql")
    assert ("q.sql", 1, "IDX001") in rules(large) and ("q.sql", 1, "IDX001") not in rules(tiny)
    edit("prod.json", stats.format(12))
    assert run("--format", "json", "q.sql") == run("--format", "json", "q.sql", "--no-cache")


def test_the_drivers_the_manifests_declare_are_part_of_the_key(project, monkeypatch):
    """Whether a statement can run under a generic plan rests on the project's drivers (advisor.facts.drivers):
    a package.json that changes its driver, and back, changes optional-filter's findings each time."""
    schema = SCHEMA + "CREATE INDEX users_email ON users (email);\n"
    query = "SELECT name, count(*) FROM users WHERE ($1::text IS NULL OR email = $1) GROUP BY name;\n"
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["schema.sql"]\n', "schema.sql": schema, "q.sql": query,
             "package.json": '{"dependencies": {"pg": "^8"}}'})
    unnamed = assert_cached_same(monkeypatch, "--format", "json", "q.sql")
    edit("package.json", '{"dependencies": {"postgres": "^3"}}')
    prepared = assert_cached_same(monkeypatch, "--format", "json", "q.sql")
    assert ("q.sql", 1, "SQL016") in rules(prepared) and ("q.sql", 1, "SQL016") not in rules(unnamed)
    edit("package.json", '{"dependencies": {"pg": "^8"}}')
    assert run("--format", "json", "q.sql") == run("--format", "json", "q.sql", "--no-cache")


def test_a_long_statement_with_many_findings_is_stored_once(project, monkeypatch, _private_results):
    """Red-team pass 7: each cached finding stored its whole statement, so one statement of N terms with a
    finding each made a record of N x its length (a 218 kB file, an 874 MB record, 1.8 GB of memory).  Each
    distinct statement is stored once per record; the cached run gives the same JSON, fingerprints included."""
    terms = " AND ".join(f"EXISTS (SELECT 1 FROM t{i} WHERE a LIKE '%x{i}')" for i in range(300))
    statement = f"SELECT 1 FROM t WHERE {terms};\n"
    project({"advisor.toml": 'paths = ["q.sql"]\n', "q.sql": statement})
    text = assert_cached_same(monkeypatch, ".", "--format", "json")
    found = json.loads(text)["findings"]
    assert len(found) >= 300 and all(f["fingerprint"] for f in found)
    stored = sum(p.stat().st_size for p in records(_private_results))
    assert stored < 3 * len(statement) + 2_000 * len(found), stored  # linear: the statement once, not per finding
