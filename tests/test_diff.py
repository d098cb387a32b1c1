"""`advisor check --diff BASE` on a real git repository built in a temporary directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor import diff
from advisor.cli import main
from advisor.engine import Options
from advisor.ir import Finding, Location

CONFIG = 'large-tables = ["*"]\ndialect = "postgres"\nschema = ["migrations/*.sql"]\n'
SCHEMA = """\
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, name text);
CREATE INDEX idx_users_email ON users (email);
"""
OLD = "".join(f"SELECT id FROM users ORDER BY random() LIMIT {i + 1};\n" for i in range(10))  # ten order-by-random findings
BAD = "SELECT id, email FROM users WHERE name = $1;\n"  # missing-index: nothing indexes name
GOOD = "SELECT id, name FROM users WHERE email = $1;\n"
BY_EMAIL = "SELECT id, name FROM users WHERE email = $1;\n"


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main",
                           "-c", "commit.gpgsign=false", *args], cwd=repo, capture_output=True, text=True,
                          check=True)
    return proc.stdout.strip()


def write(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A base commit with ten old problems; the test makes the change on a branch."""
    root = tmp_path / "app"
    root.mkdir()
    git(root, "init", "-q")
    write(root, {"advisor.toml": CONFIG, "migrations/001_init.sql": SCHEMA, "queries/old.sql": OLD,
                 "queries/by_email.sql": BY_EMAIL})
    commit(root, "base")
    git(root, "branch", "base")
    git(root, "checkout", "-q", "-b", "change")
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return root


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, ["check", *args], env=env)


def annotations(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(("::error", "::warning", "::notice"))]


def test_without_diff_every_old_problem_is_reported(repo):
    result = run("--format", "github")
    assert len(annotations(result.output)) == 10
    assert result.exit_code == 1


def test_a_new_bad_query_is_the_only_annotation(repo, tmp_path):
    write(repo, {"queries/new.sql": GOOD + BAD})
    commit(repo, "change")
    summary = tmp_path / "summary.md"
    result = run("--diff", "base", "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    found = annotations(result.output)
    assert len(found) == 1, result.output
    assert found[0].startswith("::warning file=queries/new.sql,line=2,")
    assert "title=IDX001 missing-index" in found[0]
    assert result.exit_code == 1
    text = summary.read_text(encoding="utf-8")
    assert "1 finding" in text and "IDX001 missing-index" in text and "`queries/new.sql:2:" in text
    assert "CREATE INDEX CONCURRENTLY idx_users_name ON users (name);" in text


def test_the_same_change_without_the_bad_query_exits_0(repo):
    write(repo, {"queries/new.sql": GOOD})
    commit(repo, "change")
    result = run("--diff", "base", "--format", "github")
    assert annotations(result.output) == []
    assert result.exit_code == 0, result.output


def test_lines_moved_by_an_insertion_above_are_not_new(repo):
    write(repo, {"queries/old.sql": BAD + "\n" + OLD})  # every old query moves down two lines
    commit(repo, "change")
    result = run("--diff", "base", "--format", "json")
    import json

    findings = json.loads(result.output)["findings"]
    assert [(f["rule"], f["path"], f["line"]) for f in findings] == [("IDX001", "queries/old.sql", 1)]


def test_a_dropped_index_is_caused_by_the_change(repo):
    """The query file is untouched; the migration makes its missing-index new."""
    write(repo, {"migrations/002_drop.sql": "DROP INDEX idx_users_email;\n"})
    commit(repo, "change")
    result = run("--diff", "base", "--format", "github")
    found = annotations(result.output)
    assert len(found) == 1, result.output
    assert "file=queries/by_email.sql" in found[0] and "IDX001" in found[0]
    assert result.exit_code == 1


def test_uncommitted_and_untracked_work_counts_as_the_change(repo):
    write(repo, {"queries/scratch.sql": BAD})  # never added to git
    result = run("--diff", "base", "--format", "github")
    assert [a.split(",")[0] for a in annotations(result.output)] == ["::warning file=queries/scratch.sql"]


def test_an_untracked_pipe_or_symlink_is_not_opened(repo, tmp_path):
    """Counting an untracked file's lines would block forever on a named pipe, and follow a symlink out of the
    repository: neither is opened (the walk that reads the project skips them too, with a note)."""
    import os

    from advisor.diff import changed_lines

    os.mkfifo(repo / "queries" / "pipe.sql")
    outside = tmp_path / "outside.sql"
    outside.write_text("SELECT 1;\n" * 3, encoding="utf-8")
    (repo / "queries" / "link.sql").symlink_to(outside)
    write(repo, {"queries/scratch.sql": BAD})
    changed = changed_lines("base")
    assert "queries/scratch.sql" in changed
    assert "queries/pipe.sql" not in changed and "queries/link.sql" not in changed


def test_merge_base_ignores_what_landed_on_base_since(repo):
    git(repo, "checkout", "-q", "base")
    write(repo, {"queries/theirs.sql": BAD})
    commit(repo, "someone else's change on base")
    git(repo, "checkout", "-q", "change")
    write(repo, {"queries/new.sql": GOOD})
    commit(repo, "our change")
    result = run("--diff", "base", "--format", "github")
    assert annotations(result.output) == [] and result.exit_code == 0


def test_paths_are_display_paths_from_a_subdirectory(repo, monkeypatch):
    write(repo, {"queries/new.sql": BAD})
    commit(repo, "change")
    monkeypatch.chdir(repo / "queries")
    result = run("--diff", "base", "--format", "github", ".")
    found = annotations(result.output)
    assert len(found) == 1 and found[0].startswith("::warning file=new.sql,"), result.output


def test_unknown_base_is_a_clear_usage_error(repo):
    result = run("--diff", "origin/nope")
    assert result.exit_code == 2
    assert "git fetch --depth=1 origin nope" in result.output


def test_outside_a_repository_is_a_usage_error(tmp_path, monkeypatch):
    elsewhere = tmp_path / "plain"
    elsewhere.mkdir()
    (elsewhere / "q.sql").write_text(BAD, encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    result = run("--diff", "main")
    assert result.exit_code == 2 and "git repository" in result.output


def test_the_base_worktree_is_always_removed(repo, monkeypatch):
    write(repo, {"queries/new.sql": BAD})
    commit(repo, "change")
    base = diff.resolve_base("base")

    def boom(paths, options):
        raise RuntimeError("check failed")

    with pytest.raises(RuntimeError):
        diff.base_findings(base, ["."], Options(), check=boom)
    assert git(repo, "worktree", "list").count("\n") == 0  # only the main worktree
    assert os.getcwd() == str(repo)


def test_parse_diff_reads_hunks_renames_and_deletions():
    text = """\
diff --git a/q.sql b/q.sql
--- a/q.sql
+++ b/q.sql
@@ -3,0 +4,2 @@
+a
+b
@@ -9 +11 @@
-c
+d
@@ -20,2 +21,0 @@
-gone
-gone
diff --git a/old.sql b/new.sql
similarity index 90%
rename from old.sql
rename to new.sql
--- a/old.sql
+++ b/new.sql
@@ -1 +1 @@
-x
+y
diff --git a/dead.sql b/dead.sql
--- a/dead.sql
+++ /dev/null
@@ -1 +0,0 @@
-z
diff --git "a/sp ace\\tq.sql" "b/sp ace\\tq.sql"
--- "a/sp ace\\tq.sql"
+++ "b/sp ace\\tq.sql"
@@ -0,0 +1 @@
+w
"""
    assert diff.parse_diff(text) == {"q.sql": {4, 5, 11}, "new.sql": {1}, "sp ace\tq.sql": {1}}


def test_filter_findings_counts_repeated_fingerprints_as_a_multiset():
    def finding(line: int, fingerprint: str) -> Finding:
        return Finding("SQL001", "m", Location("q.sql", line), fingerprint=fingerprint)

    head = [finding(1, "aa:1"), finding(5, "aa:2"), finding(9, "bb:1")]
    base = [finding(4, "aa:1"), finding(8, "bb:1")]
    kept = diff.filter_findings(head, {"q.sql": {1}}, base)
    assert [f.location.line for f in kept] == [1]  # the new copy is the one on the changed line
    kept = diff.filter_findings(head, {}, base)
    assert [f.location.line for f in kept] == [5]  # nothing changed here: the later copy is the new one
    assert diff.filter_findings(head, {"q.sql": {9}}, None) == [head[2]]


def test_done_criterion_through_the_installed_command(repo, tmp_path):
    """The issue's acceptance test, run as CI would: a subprocess, GITHUB_STEP_SUMMARY set."""
    write(repo, {"queries/new.sql": BAD})
    commit(repo, "change")
    summary = tmp_path / "step-summary.md"
    env = dict(os.environ, GITHUB_STEP_SUMMARY=str(summary))
    command = [sys.executable, "-m", "advisor.cli", "check", "--diff", "base", "--format", "github"]
    proc = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert len(annotations(proc.stdout)) == 1
    assert "queries/new.sql:1" in summary.read_text(encoding="utf-8")

    git(repo, "reset", "-q", "--hard", "base")
    write(repo, {"queries/new.sql": GOOD})
    commit(repo, "change without the bad query")
    summary.unlink()
    proc = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert annotations(proc.stdout) == []
    assert "No findings" in summary.read_text(encoding="utf-8")


# --- annotations on the pull request: GitHub's per-step limits ------------------------------


def test_github_annotates_the_most_severe_within_the_limits_and_counts_the_rest():
    import io

    from advisor.engine import Report
    from advisor.reporters import get

    levels = ["info"] * 15 + ["warning"] * 25 + ["error"] * 12
    findings = [Finding("SQL001", f"m{i}", Location("q.sql", i + 1, 1), level) for i, level in enumerate(levels)]
    out = io.StringIO()
    get("github")(Report(findings, ["q.sql"], len(findings)), out)
    lines = out.getvalue().splitlines()
    found = annotations(out.getvalue())
    kinds = [line.split(" ", 1)[0] for line in found]
    assert kinds[:10] == ["::error"] * 10  # most severe first
    assert kinds.count("::error") == 10 and kinds.count("::warning") == 10
    assert kinds.count("::notice") == 10  # nine findings and the closing count
    assert found[-1].startswith("::notice title=advisor::")
    assert "23 more finding(s) not annotated (2 error, 15 warning, 6 notice)" in found[-1]
    assert "title=SQL001 select-star" in found[0]
    plain = [line for line in lines if line.startswith("q.sql:")]
    assert len(plain) == 23 and all("SQL001 select-star: m" in line for line in plain)


def test_github_within_the_limits_adds_no_notice():
    import io

    from advisor.engine import Report
    from advisor.reporters import get

    findings = [Finding("SQL001", f"m{i}", Location("q.sql", i + 1, 1), "info") for i in range(10)]
    out = io.StringIO()
    get("github")(Report(findings, ["q.sql"], 10), out)
    assert len(out.getvalue().splitlines()) == 10 and "title=advisor" not in out.getvalue()
