"""Security by default: login everywhere, CSRF on every write, roles, no key leaks, CSP, deploy checks."""

import os
import re
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from dashboard.roles import Role

from .conftest import login

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = {"login", "logout", "password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete"}
# Not record writes: a person's own saved views and preferences, and signing out.
# Presence (who has a record open) is said by every reader's page: a heartbeat, not a write to a record.
VIEWER_MAY_POST = {
    "saved-view-create",
    "saved-view-edit",
    "logout",
    "password_change",
    "profile-key",
    "profile-time-zone",
    "presence",
    "presence-leave",
}
SAMPLE = {"segment": "deal", "record_id": "5a3b1e00-0000-4000-8000-000000000001", "pk": 1, "user_pk": 1, "uidb64": "MQ", "token": "x-y"}


def dashboard_patterns():
    """(name, url) for every dashboard URL pattern, with sample arguments."""
    out = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                route = str(p.pattern)
                if route.startswith(("admin/", "sandbox/")):
                    continue
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern) and p.name:
                route = prefix + str(p.pattern)
                # A UUID derived from the route, not a random one: the URL is in the test's id,
                # and pytest-xdist's workers must collect the same ids.
                stable = str(uuid.uuid5(uuid.NAMESPACE_URL, route))
                url = "/" + re.sub(
                    r"<(?:(\w+):)?(\w+)>",
                    lambda m, stable=stable: stable if m.group(1) == "uuid" else str(SAMPLE.get(m.group(2), "x")),
                    route,
                )
                out.append((p.name, url))

    walk(get_resolver().url_patterns)
    return out


PATTERNS = dashboard_patterns()


def test_the_url_list_is_not_empty():
    names = {n for n, _ in PATTERNS}
    assert {"home", "record-list", "record-detail", "record-edit", "bulk-action", "audit"} <= names


@pytest.mark.parametrize(("name", "url"), [p for p in PATTERNS if p[0] not in PUBLIC], ids=lambda v: v if isinstance(v, str) else "")
def test_every_page_redirects_anonymous_people_to_login(client, name, url, db):
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302, (name, url, response.status_code)
        assert response["Location"].startswith("/accounts/login/")


# Refusals happen before any API call (CSRF middleware, permission decorators), so these
# need no sandbox: a plain database is enough, and much faster.
@pytest.fixture
def csrf_admin(db):
    return login(Client(enforce_csrf_checks=True), Role.ADMIN)


@pytest.fixture
def plain_viewer(db):
    return login(Client(), Role.VIEWER)


@pytest.mark.parametrize(("name", "url"), [p for p in PATTERNS if p[0] not in PUBLIC], ids=lambda v: v if isinstance(v, str) else "")
def test_every_write_without_a_csrf_token_is_refused(csrf_admin, name, url):
    response = csrf_admin.post(url, {"name": "x"})
    assert response.status_code == 403, (name, url, response.status_code)


WRITES = [p for p in PATTERNS if p[0] not in PUBLIC | VIEWER_MAY_POST]


@pytest.mark.parametrize(("name", "url"), WRITES, ids=lambda v: v if isinstance(v, str) else "")
def test_a_viewer_gets_403_on_every_write(plain_viewer, name, url):
    viewer_client = plain_viewer
    response = viewer_client.post(url, {"action": "delete", "scope": "selected", "confirm": "1", "ids": [SAMPLE["record_id"]]})
    # A GET-only page answers 405 to a POST, which is a refusal too.
    assert response.status_code in (403, 405), (name, url, response.status_code)


def test_the_api_key_appears_in_no_response_and_every_page_has_a_nonce_csp(admin_client, prism):
    deal = prism.request("POST", "deal", json={"default": {"name": "Visible"}}).json()["id"]
    pages = [
        "/",
        "/records/contact/",
        "/records/deal/?total=1",
        f"/records/deal/{deal}/",
        f"/records/deal/{deal}/edit/",
        f"/records/deal/{deal}/permissions/",
        f"/records/deal/{deal}/history/",
        "/records/deal/new/",
        "/lookup/?type=contact&slug=email&value=x@example.com",
        "/audit/",
        "/directory/",
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert prism.api_key not in body and all(prism.api_key not in v for v in response.headers.values()), url
        csp = response["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", csp)
        assert nonce and "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp, url
        for script in re.findall(r"<script\b[^>]*>", body):
            assert f'nonce="{nonce.group(1)}"' in script, (url, script)
        assert not re.search(r"\son[a-z]+\s*=", body), url  # no inline event handlers
        assert not re.search(r'\sstyle\s*=\s*"', body), url  # no inline styles


def test_login_attempts_are_throttled(client, django_user_model, settings):
    django_user_model.objects.create_user("target", password="right-password-123")
    for _ in range(4):
        assert client.post("/accounts/login/", {"username": "target", "password": "wrong"}).status_code == 200
    assert client.post("/accounts/login/", {"username": "target", "password": "wrong"}).status_code == 429
    blocked = client.post("/accounts/login/", {"username": "target", "password": "right-password-123"})
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.content.decode()
    assert "_auth_user_id" not in client.session


def production_env(**changes: str | None) -> dict[str, str]:
    """The environment of a production start; `changes` adds to it (None removes a name)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "dashboard.example.com",
        "MICRO_BASE_URL": "https://developers.micro.so",
        "MICRO_API_KEY": "sk_live_example",
        "MICRO_TEAM_ID": str(uuid.uuid4()),
        "PRISM_KEY_ENCRYPTION_KEYS": "3Uz7Qc1bZxQmCqQ3s6r0Ck8mS2Kq9bVtF0yYh7y2o5E=",
        "CACHE_URL": "redis://127.0.0.1:6379/0",
    }
    # The test settings' own choices, and Playwright's DJANGO_ALLOW_ASYNC_UNSAFE: production has none of them.
    for name in (
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "PRISM_SANDBOX_ENABLED",
        "STATIC_ROOT",
    ):
        env.pop(name, None)
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = production_env(STATIC_ROOT=str(tmp_path / "static"))
    collected = manage(env, "collectstatic", "--no-input", "-v0")
    assert collected.returncode == 0, collected.stderr
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_production_start_says_what_is_missing(tmp_path):
    env = production_env(STATIC_ROOT=str(tmp_path / "empty"), MICRO_BASE_URL="", CACHE_URL=None, PRISM_SANDBOX_ENABLED="true")
    result = manage(env, "check", "--deploy")
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "MICRO_BASE_URL is empty" in out  # dashboard.E004
    assert "The static files are not collected" in out  # dashboard.E005
    assert "The cache lives in each process's memory" in out  # dashboard.W003
    assert "The embedded sandbox is mounted with DEBUG off" in out  # dashboard.W002


def test_with_debug_off_the_sandbox_is_off_unless_asked_and_the_task_worker_is_there():
    show = "from django.conf import settings; print(settings.PRISM_SANDBOX_ENABLED, 'django_tasks_db' in settings.INSTALLED_APPS)"
    assert manage(production_env(), "shell", "--no-imports", "-c", show).stdout.split() == ["False", "True"]
    assert manage(production_env(PRISM_SANDBOX_ENABLED="true"), "shell", "--no-imports", "-c", show).stdout.split() == ["True", "True"]
    # "all matching" bulk actions need the worker whatever the sandbox setting
    worker = manage(production_env(), "help", "db_worker")
    assert worker.returncode == 0, worker.stderr


def test_forwarded_proto_is_believed_only_behind_a_declared_proxy():
    show = "from django.conf import settings; print(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None), settings.SECURE_HSTS_PRELOAD)"
    assert manage(production_env(), "shell", "--no-imports", "-c", show).stdout.split() == ["None", "False"]
    behind = manage(production_env(TRUSTED_PROXY_COUNT="1", SECURE_HSTS_PRELOAD="true"), "shell", "--no-imports", "-c", show).stdout
    assert behind.strip() == "('HTTP_X_FORWARDED_PROTO', 'https') True"
