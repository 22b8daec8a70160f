"""The total deadline seen from a person's side: against an API that accepts connections
and never answers, a page answers with the one-sentence outage message within the
deadline plus a second, retries on, however long the read timeout."""

import os
import socket
import subprocess
import sys
import time
from html import unescape

import pytest
from django.core.cache import cache

from dashboard.roles import Role

from .conftest import login

DEADLINE = 2.0
OUTAGE_SENTENCE = "The Prism API took too long to answer. Try again in a moment."


@pytest.fixture
def silent_api(settings, db):
    """A socket that accepts connections (the kernel's backlog) and never answers; the
    dashboard pointed at it with a small deadline, retries on and a long read timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        settings.MICRO_BASE_URL = f"http://127.0.0.1:{listener.getsockname()[1]}"
        settings.MICRO_API_KEY = "sk_test_silent_api_key"
        settings.MICRO_TEAM_ID = "5705ab00-0000-4000-8000-00000000dead"
        settings.PRISM_DEADLINE = DEADLINE
        settings.PRISM_MAX_RETRIES = 3
        settings.PRISM_TIMEOUT = 60.0
        cache.clear()
        yield listener
        cache.clear()


@pytest.fixture
def viewer(client, silent_api):
    """A signed-in viewer, the server warmed up (imports, templates) by a page that calls no API,
    so the time measured is the page's own."""
    login(client, Role.VIEWER)
    assert client.get("/me/").status_code == 200
    return client


def timed_get(client, url, **headers):
    """The page's answer and its time, less what this machine takes now to render a page that
    calls no API (a busy machine's slowness is not the deadline's)."""
    started = time.monotonic()
    assert client.get("/me/").status_code == 200
    own_work = time.monotonic() - started
    started = time.monotonic()
    response = client.get(url, **headers)
    return response, time.monotonic() - started - own_work


def test_home_answers_with_the_outage_sentence_within_the_deadline(viewer):
    response, took = timed_get(viewer, "/")
    assert took < DEADLINE + 1
    assert response.status_code == 200  # the page stands; its numbers say why they are missing
    assert OUTAGE_SENTENCE in unescape(response.content.decode())


def test_a_table_answers_with_the_outage_sentence_within_the_deadline(viewer):
    response, took = timed_get(viewer, "/records/contact/")
    assert took < DEADLINE + 1
    assert response.status_code == 503
    assert OUTAGE_SENTENCE in unescape(response.content.decode())


def test_an_htmx_request_gets_the_sentence_in_a_banner_within_the_deadline(viewer):
    response, took = timed_get(viewer, "/records/contact/?sort=-created_at", HTTP_HX_REQUEST="true")
    assert took < DEADLINE + 1
    assert OUTAGE_SENTENCE in unescape(response.content.decode())


@pytest.mark.parametrize(("name", "value"), [("PRISM_DEADLINE", "0"), ("PRISM_DEADLINE", "-3"), ("PRISM_CONCURRENCY", "0")])
def test_a_deadline_or_concurrency_that_cannot_work_is_refused_at_start(name, value):
    env = {**os.environ, "DEBUG": "true", name: value}
    result = subprocess.run([sys.executable, "-c", "import dashboard.settings"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"{name} must be" in result.stderr
