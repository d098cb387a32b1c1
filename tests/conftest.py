import atexit
import os
import shutil
import signal
import tempfile
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_SESSION_CACHE = tempfile.mkdtemp(prefix="advisor-test-cache-")


def _remove_session_cache() -> None:
    """The session's cache, and (as root) the server files kept for it outside it."""
    os.environ["ADVISOR_CACHE_DIR"] = _SESSION_CACHE
    try:
        from advisor.seed import dbcache

        dbcache.clear()
    finally:
        shutil.rmtree(_SESSION_CACHE, True)


atexit.register(_remove_session_cache)

# A shell starts a background job (`pytest &`) with SIGINT ignored, and every child inherits that: the tests of
# Ctrl-C (the session's, the scratch database dropped on SIGINT) need it delivered as a terminal delivers it.
signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A throwaway project directory: write files into it, then check it from inside."""
    monkeypatch.chdir(tmp_path)

    def write(files: dict[str, str]) -> Path:
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return tmp_path

    return write


@pytest.fixture(autouse=True)
def _no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    # advisor's caches (results, seeded databases) go to a directory of the test session, never the user's
    monkeypatch.setenv("ADVISOR_CACHE_DIR", _SESSION_CACHE)
