"""`advisor check --diff BASE`: keep the findings a change is responsible for.

A finding is the change's when either
  * its span (or the span of the statement it is about) touches a line the change
    added or modified, or
  * the change caused it somewhere else: the same check run on the BASE tree does
    not produce it (compared by fingerprint, which survives line moves). A migration
    that drops an index, for instance, makes an untouched query's missing-index new.

What "the change" is: the working tree compared with the merge base of BASE and
HEAD (`git diff MERGE_BASE`), plus untracked files that are not ignored. In CI the
working tree is the checked-out head, so this is exactly the pull request; locally it
also covers staged and unstaged edits. Using the merge base means commits that landed
on BASE after the branch forked are not counted as the change. On a shallow clone
with no common history the merge base is unknown: BASE itself is used and a note
says so (fetch more history for exact results).

Plain functions over plain data; git is run with `subprocess`, never a library.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from advisor.config import ConfigError
from advisor.ir import Finding

Changed = dict[str, set[int]]  # display path -> changed line numbers (1-based, in the new file)

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


class DiffError(ConfigError):
    """BASE cannot be compared with: a usage error (exit 2), with what to do about it."""


@dataclass
class Base:
    """The commit the change is measured against."""

    name: str  # as the user wrote it
    commit: str  # the commit compared with: the merge base, or BASE itself
    notes: list[str] = field(default_factory=list)


# --- git ---------------------------------------------------------------------------


def _git(args: list[str], cwd: str | Path, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_LFS_SKIP_SMUDGE="1")
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", errors="surrogateescape"
        )
    except FileNotFoundError:
        raise DiffError("--diff needs git, and no `git` executable was found on PATH") from None
    if check and proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()
        raise DiffError(f"git {' '.join(args[:2])} failed: {detail[-1] if detail else 'exit ' + str(proc.returncode)}")
    return proc


def repo_root(cwd: str | Path | None = None) -> Path:
    cwd = Path(cwd or os.getcwd())
    proc = _git(["rev-parse", "--show-toplevel"], cwd, check=False)
    if proc.returncode != 0:
        raise DiffError(f"--diff needs a git repository, and {cwd} is not inside one")
    return Path(proc.stdout.strip()).resolve()


def resolve_base(base: str, cwd: str | Path | None = None) -> Base:
    """The commit to compare with: merge-base(BASE, HEAD), or BASE when history is too shallow."""
    cwd = cwd or os.getcwd()
    repo_root(cwd)
    proc = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{base}^{{commit}}"], cwd, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        branch = base.split("/", 1)[1] if base.startswith("origin/") else base
        raise DiffError(
            f"--diff {base}: not a commit this clone knows. Fetch it first, e.g. "
            f"`git fetch --depth=1 origin {branch}:refs/remotes/origin/{branch}` (or `git fetch --depth=1 origin "
            f"{branch}` and --diff FETCH_HEAD), or check out with full history (actions/checkout with fetch-depth: 0)"
        )
    commit = proc.stdout.strip()
    head = _git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cwd, check=False)
    if head.returncode != 0:  # no commit yet: everything is new relative to BASE
        return Base(base, commit)
    merge = _git(["merge-base", commit, "HEAD"], cwd, check=False)
    if merge.returncode == 0 and merge.stdout.strip():
        return Base(base, merge.stdout.strip().splitlines()[0])
    return Base(
        base,
        commit,
        [
            f"no common ancestor of {base} and HEAD in this clone (shallow?): comparing with {base} itself. That is "
            "exact when HEAD is a pull request's merge commit; otherwise changes made on the base since the branch "
            "forked count too, and more history (fetch-depth: 0) gives exact results"
        ],
    )


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual paths ("a\\tb", octal escapes for bytes)."""
    if not (path.startswith('"') and path.endswith('"')):
        return path
    body = path[1:-1]
    out = bytearray()
    i = 0
    simple = {
        "n": b"\n",
        "t": b"\t",
        "r": b"\r",
        '"': b'"',
        "\\": b"\\",
        "a": b"\a",
        "b": b"\b",
        "f": b"\f",
        "v": b"\v",
    }
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in simple:
                out += simple[nxt]
                i += 2
                continue
            if re.match(r"[0-7]{3}", body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
        out += ch.encode("utf-8", "surrogateescape")
        i += 1
    return out.decode("utf-8", "surrogateescape")


def parse_diff(text: str) -> dict[str, set[int]]:
    """Added or modified lines per new-side path (repository-relative) of a `--unified=0` diff.

    A pure deletion adds no line; what it breaks is found by the fingerprint comparison.
    Deleted files are left out.
    """
    changed: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in text.splitlines():
        if line.startswith("+++ "):
            target = line[4:]
            if target == "/dev/null":
                current = None
                continue
            target = _unquote(target.rstrip("\t"))
            current = changed.setdefault(target[2:] if target.startswith("b/") else target, set())
            continue
        m = _HUNK.match(line)
        if m and current is not None:
            start, count = int(m.group(1)), int(m.group(2) if m.group(2) is not None else 1)
            current.update(range(start, start + count))
    return changed


def _display(root: Path, repo_path: str, cwd: Path) -> str:
    """The path as findings show it: relative to the working directory (see discovery.display_path)."""
    path = root / repo_path
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def changed_lines(base: str | Base, cwd: str | Path | None = None) -> Changed:
    """Lines the change added or modified, keyed by display path (relative to `cwd`).

    The change is the working tree against the merge base of BASE and HEAD, plus
    untracked, not ignored files (all of their lines).
    """
    cwd = Path(cwd or os.getcwd()).resolve()
    root = repo_root(cwd)
    resolved = base if isinstance(base, Base) else resolve_base(base, cwd)
    proc = _git(
        [
            "-c",
            "core.quotepath=false",
            "diff",
            "--unified=0",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "-M",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            resolved.commit,
            "--",
        ],
        root,
    )
    by_repo_path = parse_diff(proc.stdout)
    untracked = _git(["ls-files", "-z", "--others", "--exclude-standard"], root)
    for name in filter(None, untracked.stdout.split("\0")):
        try:
            if not stat.S_ISREG((root / name).lstat().st_mode):
                continue  # a symlink (perhaps out of the repository), a pipe that would block, a device
            with open(root / name, "rb") as handle:
                count = sum(1 for _ in handle)
        except OSError:
            continue
        by_repo_path[name] = set(range(1, max(count, 1) + 1))
    return {_display(root, p, cwd): lines for p, lines in by_repo_path.items()}


# --- the base tree --------------------------------------------------------------------


@contextmanager
def worktree(commit: str, cwd: str | Path | None = None) -> Iterator[Path]:
    """A detached checkout of `commit` in a temporary directory, always removed afterwards."""
    root = repo_root(cwd)
    holder = Path(tempfile.mkdtemp(prefix="advisor-base-"))
    tree = holder / "tree"
    try:
        # no hooks: a checkout for reading must not run the project's post-checkout scripts
        _git(["-c", "core.hooksPath=/dev/null", "worktree", "add", "--detach", "--quiet", str(tree), commit], root)
        yield tree
    finally:
        _git(["worktree", "remove", "--force", str(tree)], root, check=False)
        shutil.rmtree(holder, ignore_errors=True)
        _git(["worktree", "prune"], root, check=False)


def _in_tree(path: str, root: Path, tree: Path) -> str | None:
    """`path` (as given on the command line) mapped into the base tree; None if it is not there."""
    absolute = Path(path).resolve()
    try:
        rel = absolute.relative_to(root)
    except ValueError:
        return path  # outside the repository: the same file on both sides
    mapped = tree / rel
    if not mapped.exists():
        return None
    return path if not Path(path).is_absolute() else str(mapped)


def base_findings(
    base: Base, paths: Iterable[str], options, check: Callable | None = None, cwd: str | Path | None = None
) -> list[Finding] | None:
    """The findings the same check produces on the BASE tree, with the same display paths.

    Runs in a temporary worktree from the directory that corresponds to the current
    one, so paths and fingerprints line up. None when none of the paths exists there.
    """
    if check is None:
        from advisor.engine import check as engine_check

        check = engine_check
    cwd = Path(cwd or os.getcwd()).resolve()
    root = repo_root(cwd)
    paths = list(paths)
    with worktree(base.commit, root) as tree:
        here = tree / cwd.relative_to(root) if cwd.is_relative_to(root) else cwd
        mapped = [m for m in (_in_tree(p, root, tree) for p in paths) if m is not None]
        if not mapped:
            return []
        opts = replace(options)
        if opts.config:
            opts.config = _in_tree(opts.config, root, tree) or opts.config
        if opts.baseline:  # suppressed or not, findings are compared alike: use the current file as is
            opts.baseline = str(Path(opts.baseline).resolve()) if Path(opts.baseline).exists() else None
        here.mkdir(parents=True, exist_ok=True)  # a directory the change created
        previous = os.getcwd()
        os.chdir(here)
        try:
            return check(mapped, opts).findings
        finally:
            os.chdir(previous)


# --- filtering -------------------------------------------------------------------------


def _spans(finding: Finding) -> list[tuple[str, int, int]]:
    out = []
    for loc in (finding.location, finding.query_location):
        if loc is not None:
            out.append((loc.path, loc.line, max(loc.end_line or loc.line, loc.line)))
    return out


def touches(finding: Finding, changed: Changed) -> bool:
    for path, start, end in _spans(finding):
        lines = changed.get(path)
        if lines and any(start <= n <= end for n in lines):
            return True
    return False


def _digest(finding: Finding) -> str:
    return finding.fingerprint.rsplit(":", 1)[0]


def filter_findings(findings: list[Finding], changed: Changed, base: list[Finding] | None = None) -> list[Finding]:
    """The findings on changed lines, plus those the change caused (absent from `base`).

    Fingerprints carry an occurrence count, so findings are compared as multisets of
    their digest: if HEAD has k more of a digest than BASE, k of them are new, and
    those on changed lines are taken to be the new ones first.
    """
    keep = {id(f) for f in findings if touches(f, changed)}
    if base is not None:
        before: dict[str, int] = defaultdict(int)
        for f in base:
            before[_digest(f)] += 1
        groups: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            groups[_digest(f)].append(f)
        for digest, group in groups.items():
            new = len(group) - before.get(digest, 0)
            if new <= 0:
                continue
            new -= sum(1 for f in group if id(f) in keep)
            for f in reversed(group):  # later occurrences are the likelier additions
                if new <= 0:
                    break
                if id(f) not in keep:
                    keep.add(id(f))
                    new -= 1
    return [f for f in findings if id(f) in keep]


def filter_report(report, changed: Changed, base: list[Finding] | None = None):
    """A copy of `report` holding only the change's findings (see filter_findings)."""
    return replace(report, findings=filter_findings(report.findings, changed, base))


def restrict_to_change(report, base_name: str, paths: list[str], options, warn: Callable[[str], None] = print):
    """What `advisor check --diff BASE` does after the full check: resolve, diff, re-check BASE, filter."""
    base = resolve_base(base_name)
    for note in base.notes:
        warn(note)
    changed = changed_lines(base)
    try:
        before = base_findings(base, paths, options)
    except ConfigError as exc:  # e.g. BASE predates the config or the schema files
        warn(f"cannot check {base_name} for comparison ({exc}); reporting findings on changed lines only")
        before = None
    return filter_report(report, changed, before)
