"""Embedded PostgreSQL fixtures for the database tests (imported by their modules)."""

import contextlib
import uuid

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



@contextlib.contextmanager
def fresh_database(server, prefix: str = "t"):
    """A connection (autocommit) to a database of its own on the server, dropped afterwards."""
    from advisor.seed.server import connect

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with connect(server.conninfo(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with connect(server.conninfo(name), autocommit=True) as conn:
            yield conn
    finally:
        with connect(server.conninfo(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
