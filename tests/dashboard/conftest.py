"""Dashboard tests talk to a real sandbox over HTTP (live_server), never to mocks."""

import io

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command

from dashboard.roles import Role, sync_groups
from prism_sandbox import chaos
from tests.conftest import connect_key


@pytest.fixture
def prism(sandbox, settings):
    """The dashboard pointed at this test's sandbox team, with demo records in it."""
    settings.MICRO_BASE_URL = sandbox.base_url
    settings.MICRO_API_KEY = sandbox.api_key
    settings.MICRO_TEAM_ID = sandbox.team_id
    settings.PRISM_MAX_RETRIES = 0
    cache.clear()
    call_command("seed_demo", "--team", sandbox.team_id, "--size", "60", stdout=io.StringIO())
    yield sandbox
    chaos.configure()
    cache.clear()


def login(client, role: Role):
    sync_groups()  # transactional tests flush the groups the migration made
    user = get_user_model().objects.create_user(username=role.value.lower(), password="pw-for-tests-only")
    user.groups.set([Group.objects.get(name=role.value)])
    if settings.MICRO_API_KEY:
        connect_key(user, settings.MICRO_API_KEY)  # per-person mode: the test team's key, as theirs
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(client, prism):
    return login(client, Role.VIEWER)


@pytest.fixture
def admin_client(client, prism):
    return login(client, Role.ADMIN)


STUB_READ_TIMEOUT = 0.8  # the dashboard's read timeout against the stub API (PRISM_TIMEOUT)


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
