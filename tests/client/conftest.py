"""Fixtures for the client tests: a client bound to the sandbox team, a dead port."""

import socket

import pytest

from prism_client import PrismClient


@pytest.fixture
def prism(sandbox):
    """A PrismClient for the sandbox's team. No retries: a failure shows at once.
    (Here it stands for tests/conftest.py's `prism`, the dashboard pointed at a seeded team.)"""
    with PrismClient(sandbox.base_url, sandbox.api_key, sandbox.team_id, max_retries=0) as client:
        yield client


@pytest.fixture
def unused_port():
    """A local port nothing listens on, for real connection-refused errors."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
