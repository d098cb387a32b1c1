"""Cached seeded databases (advisor/seed/dbcache.py): concurrent runs share one server safely,
the last one out stops it, `advisor cache` lists and removes them, `seed --keep` hands out a copy.
All against the real embedded PostgreSQL."""

import json
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """A fresh cache directory; what it holds (servers, root's server area) removed at the end."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(directory))
    monkeypatch.delenv("ADVISOR_NO_CACHE", raising=False)
    yield directory
    from advisor.seed import dbcache

    dbcache.clear()


def small_project(root: Path, rows: int = 200, table: str = "items") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "advisor.toml").write_text(f'schema = ["schema.sql"]\n\n[seed]\nrows = {rows}\n')
    (root / "schema.sql").write_text(f"CREATE TABLE {table} (id bigint PRIMARY KEY, name text NOT NULL);\n")
    (root / "q.sql").write_text(f"SELECT id FROM {table} WHERE name = 'x';\n")
    return root


def prepared(project: Path):
    from advisor import engine
    from advisor.seed.prepare import prepare

    return prepare(engine.collect([str(project)], engine.Options())[0].config)


def count(target, table: str = "items") -> int:
    from advisor.seed.server import connect

    with connect(target.conninfo, autocommit=True) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def only_database():
    from advisor.seed import dbcache

    cached = dbcache.list_databases()
    assert len(cached) == 1, cached
    return cached[0], dbcache.open_slot(cached[0].key)


# --- two runs at once, as processes ------------------------------------------------------


def _findings(text: str) -> list:
    """The findings of a JSON report, without what the clock decides (index build times)."""
    out = []
    for f in json.loads(text)["findings"]:
        f["message"] = re.sub(r"built in [\d.]+ ms", "built in N ms", f["message"])
        f["metrics"].pop("build_ms", None)
        out.append(f)
    return out


def _differences(a: list, b: list) -> list:
    return [(x["path"], x["line"], k, x[k], y[k]) for x, y in zip(a, b) for k in x if x[k] != y[k]]


def _two_runs(cache_dir: Path) -> list[list]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ADVISOR_CACHE_DIR": str(cache_dir)}
    cmd = [sys.executable, "-c", "from advisor.cli import main; main()",
           "check", "--explain", "--format", "json", "fixtures/dchat"]
    runs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    results = [run.communicate(timeout=600) for run in runs]
    for run, (out, err) in zip(runs, results):
        assert run.returncode == 1, err  # findings, no error
    return [_findings(out) for out, _ in results]


def test_two_runs_at_once_on_a_fresh_then_a_warm_cache_agree(cache_dir):
    fresh = _two_runs(cache_dir)  # both would run initdb on one directory without the setup lock
    assert fresh[0] == fresh[1], _differences(*fresh)
    assert any(f["rule"].startswith("PLN") for f in fresh[0])
    assert not [f for f in fresh[0] if "connection" in f["message"]]
    warm = _two_runs(cache_dir)  # one server, shared; the first out must not stop it under the other
    assert warm[0] == warm[1] == fresh[0], (_differences(*warm), _differences(warm[0], fresh[0]))
    cached, slot = only_database()
    assert cached.seeded and not cached.running  # the last one out stopped it
    from advisor.seed import dbcache

    assert dbcache.running(slot) is None and not (slot.meta / "server.json").exists()


# --- sharing, in one process -----------------------------------------------------------------


def test_the_server_stops_when_its_last_user_leaves(cache_dir, tmp_path):
    from psycopg.conninfo import conninfo_to_dict

    from advisor.seed import dbcache

    project = small_project(tmp_path / "p")
    a = prepared(project)
    b = prepared(project)
    assert not a.reused and b.reused and b.target.server.adopted
    a_info, b_info = (conninfo_to_dict(p.target.conninfo) for p in (a, b))
    assert a_info["host"] == b_info["host"]  # one server...
    assert a_info["dbname"] != b_info["dbname"]  # ...and a copy of the seeded database for each run
    assert count(b.target) == 200
    a.target.close()  # a started the server: b still uses it
    assert count(b.target) == 200
    _, slot = only_database()
    assert dbcache.running(slot) is not None
    b.target.close()
    assert dbcache.running(slot) is None
    assert not Path(b.target.conninfo.split()[0].removeprefix("host=")).exists()  # its socket directory too
    c = prepared(project)  # a later run starts it again on the seeded data
    assert c.reused and not c.target.server.adopted and count(c.target) == 200
    c.target.close()


def test_a_killed_run_leaves_no_lock_and_the_next_run_stops_its_server(cache_dir, tmp_path):
    from advisor.seed import dbcache

    project = small_project(tmp_path / "p")
    script = textwrap.dedent(f"""
        import os, signal
        from advisor import engine
        from advisor.seed.prepare import prepare
        prepare(engine.collect([{str(project)!r}], engine.Options())[0].config)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300,
                            check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    _, slot = only_database()
    orphan = dbcache.running(slot)
    assert orphan is not None  # nothing could stop it
    later = prepared(project)  # not blocked by the dead run's locks
    assert later.reused and later.target.server.adopted
    later.target.close()
    assert dbcache.running(slot) is None
    with pytest.raises(ProcessLookupError):
        os.kill(orphan.pid, 0)


# --- advisor cache list|clear, eviction ----------------------------------------------------


def test_cache_list_and_clear(cache_dir, tmp_path):
    from advisor.cli import main

    project = small_project(tmp_path / "p")
    prepared(project).target.close()
    cached, slot = only_database()
    assert cached.size > 1_000_000 and slot.data.is_dir()
    listed = CliRunner().invoke(main, ["cache", "list"])
    assert listed.exit_code == 0 and cached.key in listed.output and str(cache_dir) in listed.output
    using = prepared(project)
    busy = CliRunner().invoke(main, ["cache", "clear"])
    assert busy.exit_code == 0 and f"kept {cached.key}: another advisor run is using it" in busy.output
    assert count(using.target) == 200
    using.target.close()
    cleared = CliRunner().invoke(main, ["cache", "clear"])
    assert cleared.exit_code == 0 and "removed 1 seeded database(s)" in cleared.output
    assert not slot.data.exists() and not slot.meta.exists()
    from advisor.seed import dbcache

    assert dbcache.list_databases() == []


def test_least_recently_used_databases_are_evicted_past_the_limit(cache_dir, tmp_path, monkeypatch):
    from advisor.seed import dbcache

    first = small_project(tmp_path / "first", table="first")
    prepared(first).target.close()
    (cached, _) = only_database()
    # room for one database of this size, not two (one over the whole cap is not kept: test_hostile_db)
    monkeypatch.setenv("ADVISOR_CACHE_MAX_MB", str(cached.size * 1.5 / 2**20))
    second = prepared(small_project(tmp_path / "second", table="second"))  # evicts the first, never itself
    assert [c.key for c in dbcache.list_databases()] == [second.target.cached.slot.key]
    assert count(second.target, "second") == 200
    second.target.close()
    monkeypatch.setenv("ADVISOR_CACHE_MAX_MB", "lots")
    with pytest.raises(Exception, match="ADVISOR_CACHE_MAX_MB='lots'"):
        dbcache.max_bytes()


# --- seed --keep, seed --stop ----------------------------------------------------------------


def test_seed_keep_hands_out_a_copy_and_seed_stop_stops_it(cache_dir, tmp_path, monkeypatch):
    from advisor.cli import main
    from advisor.seed import dbcache
    from advisor.seed.kept import list_kept
    from advisor.seed.server import connect

    project = small_project(tmp_path / "p")
    prepared(project).target.close()  # the cached database later --explain runs reuse
    monkeypatch.chdir(project)
    kept = CliRunner().invoke(main, ["seed", "--keep", "."])
    assert kept.exit_code == 0, kept.output
    uri = kept.stdout.strip()
    with connect(uri, autocommit=True) as conn:
        conn.execute("DROP TABLE items")  # the user's copy: do anything with it
    [record] = list_kept()
    assert record.alive and record.data not in {c.data for c in dbcache.list_databases()}
    again = prepared(project)
    assert again.reused and count(again.target) == 200  # the cached one is untouched
    again.target.close()
    stopped = CliRunner().invoke(main, ["seed", "--stop", uri])
    assert stopped.exit_code == 0 and "stopped the server" in stopped.output
    assert not record.alive and not record.data.exists() and list_kept() == []
    unknown = CliRunner().invoke(main, ["seed", "--stop", uri])
    assert unknown.exit_code == 2 and "no server kept" in unknown.output


# --- as root: the server user's files ---------------------------------------------------------


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="the server-area layout exists only as root")
def test_as_root_the_server_user_reaches_its_files_and_nothing_else(cache_dir, tmp_path, monkeypatch):
    import pwd

    from advisor.seed import dbcache
    from advisor.seed import prepare as prepare_module

    server_user = os.environ.get("ADVISOR_PG_USER") or next(
        n for n in ("postgres", "nobody") if n in {e.pw_name for e in pwd.getpwall()})
    uid = pwd.getpwnam(server_user).pw_uid
    key = "0123456789abcdef0123"
    area = dbcache.server_area()
    planted = area / key  # as if left by another user, with a link out
    planted.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    (planted / "postmaster.pid").symlink_to(victim)
    os.chown(planted, 65534 if uid != 65534 else 1, 65534)
    monkeypatch.setattr(prepare_module, "cache_key", lambda *a, **k: key)
    target = prepared(small_project(tmp_path / "p")).target
    try:
        assert count(target) == 200
    finally:
        target.close()
    assert victim.read_text() == "keep me"
    for path, owner, mode in ((cache_dir, 0, 0o700), (dbcache.SERVER_AREA, 0, 0o711), (area, 0, 0o711),
                              (area / key, uid, 0o700), (cache_dir / "databases" / key, 0, 0o700)):
        st = os.lstat(path)
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (owner, mode), path


def test_schema_load_errors_are_shown_again_when_the_database_is_reused(cache_dir, tmp_path):
    project = small_project(tmp_path / "p")
    with open(project / "schema.sql", "a") as fh:
        fh.write("CREATE TABLE broken (id bigint REFERENCES nowhere(id));\n")
    first = prepared(project)
    first.target.close()
    again = prepared(project)
    again.target.close()
    assert again.reused and [(e.path, e.line) for e in again.load_errors] == [(e.path, e.line)
                                                                             for e in first.load_errors]
    assert [e.message for e in again.load_errors] == [e.message for e in first.load_errors] != []


def test_file_locks_shared_exclusive_and_removed(tmp_path):
    from advisor.locks import FileLock

    path = tmp_path / "locks" / "x.lock"
    path.parent.mkdir()
    a, b, c = FileLock(path), FileLock(path), FileLock(path)
    assert a.acquire(shared=True) and b.acquire(shared=True, wait=False)
    assert not c.acquire(wait=False)  # two users: no exclusive
    a.release()
    assert not c.acquire(wait=False)
    b.release()
    assert c.acquire(wait=False)
    import shutil

    shutil.rmtree(path.parent)  # advisor cache clear, while c holds the old file
    d = FileLock(path)
    assert d.acquire(wait=False) and path.exists()  # the directory and a new lock file, made again
    c.release()
    d.release()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
