"""`advisor check fixtures/wallet-connection` finds the seed's real problems, with file:line in the JS."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def findings():
    out = subprocess.run([str(Path(sys.executable).with_name("advisor")), "check", "fixtures/wallet-connection", "--format", "json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out.stderr
    return json.loads(out.stdout)["findings"]


def _found(findings):
    return {(f["name"], f["path"].removeprefix("fixtures/wallet-connection/"), f["line"]) for f in findings}


def test_seed_index_conflict(findings):
    assert ("index-option-conflict", "db/indexes.js", 51) in _found(findings)
    conflict = next(f for f in findings if f["name"] == "index-option-conflict" and f["line"] == 51)
    assert "expireAfterSeconds 0 here, 86400 there" in conflict["message"]
    # the seed's same keys declared again under a name: the server refuses the second name
    for line, name in ((23, "active_sessions_lookup"), (37, "cleanup_index")):
        f = next(f for f in findings if f["name"] == "index-option-conflict" and f["line"] == line)
        assert name in f["message"] and "another name" in f["message"]
    assert not any(f["name"] == "duplicate-index" for f in findings)


def test_seed_unique_prefix(findings):
    found = {(f["line"], f["severity"]) for f in findings if f["name"] == "unique-prefix"}
    # { address: 1 } unique next to { address: 1, walletType: 1 } unique
    assert found == {(6, "warning")}


def test_same_findings_without_advisor_toml(findings, tmp_path):
    import shutil

    copy = tmp_path / "wallet-connection"
    shutil.copytree(ROOT / "fixtures" / "wallet-connection", copy, ignore=shutil.ignore_patterns("advisor.toml"))
    out = subprocess.run([str(Path(sys.executable).with_name("advisor")), "check", ".", "--format", "json"],
                         cwd=copy, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out.stderr
    bare = {(f["name"], f["path"].removeprefix("./"), f["line"]) for f in json.loads(out.stdout)["findings"]}
    # without a config the project is the directory checked (no git or package root above it): the
    # queries in services/ see the indexes declared in db/, and every true finding stays (but the config's
    # opt-ins: skip-pagination and unbounded-find check the team's pagination policy)
    opt_in = {("skip-pagination", "services/walletService.js", 33), ("unbounded-find", "services/sessionService.js", 36)}
    assert bare == _found(findings) - opt_in


def test_collection_scans_with_esr_index(findings):
    scans = {(f["path"].rsplit("/", 1)[-1], f["line"]): f["fix"] for f in findings if f["name"] == "collection-scan"}
    # scripts/troubleshooting.js:10 scans too, but it is a mongosh snippet run by hand to read a plan: a
    # script runs once by design (advisor/oneoff.py), and the application never filters on status alone
    assert scans == {
        ("analyticsService.js", 8): "db.wallet_sessions.createIndex({ createdAt: 1 })",
        ("analyticsService.js", 61): "db.wallet_sessions.createIndex({ creator: 1, createdAt: 1 })",
    }


def test_in_memory_sorts_with_esr_index(findings):
    sorts = {(f["path"].rsplit("/", 1)[-1], f["line"]): f["fix"] for f in findings if f["name"] == "in-memory-sort"}
    assert sorts == {
        ("walletService.js", 22): "db.wallet_connections.createIndex({ creator: 1, isConnected: 1, connectedAt: -1 })",
        ("walletService.js", 55): "db.wallet_connections.createIndex({ creator: 1, _id: 1 })",
    }


def test_esr_order_and_match_placement(findings):
    found = _found(findings)
    assert ("esr-order", "services/sessionService.js", 37) in found
    assert ("match-not-first", "services/analyticsService.js", 107) in found
    match = next(f for f in findings if f["name"] == "match-not-first")
    assert "{ $match: { network: network } }" in match["help"]


def test_other_seed_problems(findings):
    found = _found(findings)
    assert ("skip-pagination", "services/walletService.js", 33) in found
    assert ("unbounded-find", "services/sessionService.js", 36) in found
    # index-served reads stay quiet: getActiveSession, getWalletConnection, getWalletDistribution
    quiet = {("services/sessionService.js", 5), ("services/walletService.js", 6), ("services/analyticsService.js", 32)}
    assert not [f for f in findings if (f["path"].removeprefix("fixtures/wallet-connection/"), f["line"]) in quiet]
