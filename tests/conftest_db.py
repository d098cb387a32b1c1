"""Embedded PostgreSQL fixtures for the database tests (imported by their modules)."""


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

