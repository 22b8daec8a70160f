"""Dashboard tests talk to a real sandbox over HTTP (live_server), never to mocks.
The `prism` fixture (a seeded sandbox team) and login() are shared: tests/conftest.py."""

import pytest
from django.core.cache import cache

from dashboard.roles import Role
from tests.conftest import login


@pytest.fixture
def viewer_client(client, prism):
    return login(client, Role.VIEWER)


@pytest.fixture
def editor_client(client, prism):
    return login(client, Role.EDITOR)


@pytest.fixture
def admin_client(client, prism):
    return login(client, Role.ADMIN)


STUB_READ_TIMEOUT = 1.5  # the dashboard's read timeout against the stub API (PRISM_TIMEOUT)


@pytest.fixture
def stub(stub_api, settings, db):
    """The dashboard pointed at the stub API (tests/stub_api.py) instead of the sandbox;
    login() connects the stub's key as the signed-in person's own."""
    settings.MICRO_BASE_URL = stub_api.base_url
    settings.MICRO_API_KEY = stub_api.api_key
    settings.MICRO_TEAM_ID = stub_api.team_id
    settings.PRISM_MAX_RETRIES = 0
    settings.PRISM_TIMEOUT = STUB_READ_TIMEOUT
    # Enqueued tasks stay in this process (the tests run them with .call()): the task
    # worker another test started polls the shared database queue, and would take a job
    # meant for the stub and run it against its own API.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    cache.clear()  # the schema is cached per base URL and team: none from another test
    yield stub_api
    cache.clear()
