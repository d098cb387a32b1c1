"""Embedded PostgreSQL fixtures for the database tests (imported by their modules)."""

import os

import pytest


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """One private server for the session: advisor's 'own' database server in tests."""
    from advisor.seed.server import temporary_server

    server = temporary_server()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def user_server():
    """A second server standing in for a user's database."""
    from advisor.seed.server import temporary_server

    server = temporary_server()
    server.start()
    yield server
    server.stop()


_CACHE = None


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch):
    """A cache directory of the session's own, traversable by the server's user when run as root."""
    import shutil
    import tempfile
    import atexit

    global _CACHE
    if _CACHE is None:
        _CACHE = tempfile.mkdtemp(prefix="advisor-test-cache-")
        os.chmod(_CACHE, 0o755)
        atexit.register(shutil.rmtree, _CACHE, True)
    monkeypatch.setenv("ADVISOR_CACHE_DIR", _CACHE)
