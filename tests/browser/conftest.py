"""Browser fixtures: Debian's Chromium (its headless shell) driven by Playwright (sync API) against live_server.

The dashboard is pointed at a provisioned sandbox team (the `sandbox` fixture) over
real HTTP, the team is seeded with demo records, and one user per role signs in
through the real login form.
"""

import contextlib
import io
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from dashboard.roles import Role
from tests.conftest import connect_key

pytest.register_assert_rewrite("tests.browser.tables")

# Playwright's sync API runs an event loop in this thread; the ORM calls the fixtures
# make between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# One patience for actions (the contexts' default timeout) and expectations (5 s unless
# told): a swap the server answers slowly on a busy machine is waited for, not failed.
TIMEOUT_MS = 10_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct-horse-battery-staple"
SCHEMES = ("light", "dark")
HTMX_ABORT = re.compile(r"htmx:(sendAbort|afterRequest), ")
SEED_CONTACTS = 120


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item, so fixtures can tell a failed test.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver):
    # Debian's chromium-headless-shell: the same engine as its chromium, without the desktop
    # browser around it (Playwright's own default for headless runs); it takes about half
    # the CPU of `chromium --headless` per test, and the browser tests are most of the suite's.
    executable = shutil.which("chromium-headless-shell")
    if executable is None:
        pytest.fail("Chromium's headless shell is not installed: scripts/test installs Debian's chromium-headless-shell (as root).")
    browser = playwright_driver.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Dashboard:
    """The dashboard under live_server, pointed at a seeded sandbox team."""

    url: str
    sandbox: object
    users: dict[Role, object] = field(default_factory=dict)
    password: str = PASSWORD

    def api_rows(self, segment: str, query: dict, **body) -> list[dict]:
        """Every row the API returns for a query body, following the cursor."""
        rows: list[dict] = []
        cursor = None
        while True:
            payload = {"query": query, **body, **({"cursor": cursor} if cursor else {})}
            response = self.sandbox.request("POST", f"{segment}/query", json=payload)
            assert response.status_code == 200, response.text
            data = response.json()
            rows += data["data"]
            if not data["has_more"]:
                return rows
            cursor = data["next_cursor"]


@pytest.fixture
def dashboard(sandbox, settings, live_server) -> Dashboard:
    settings.MICRO_BASE_URL = sandbox.base_url
    settings.MICRO_API_KEY = sandbox.api_key
    settings.MICRO_TEAM_ID = sandbox.team_id
    cache.clear()  # the schema cache starts cold for this team
    call_command("seed_demo", "--team", sandbox.team_id, "--size", str(SEED_CONTACTS), stdout=io.StringIO())
    board = Dashboard(url=live_server.url, sandbox=sandbox)
    User = get_user_model()
    for role in Role:
        user = User.objects.create_user(role.value.lower(), f"{role.value.lower()}@example.com", PASSWORD)
        user.groups.set([role_group(role)])
        connect_key(user, sandbox.api_key)  # per-person mode: the test team's key, as theirs
        board.users[role] = user
    yield board
    cache.clear()


def role_group(role: Role) -> Group:
    """The role's group. The data migration made it, but transactional tests flush
    tables after each test (permissions come back through post_migrate; groups don't)."""
    group, created = Group.objects.get_or_create(name=role.value)
    if created:
        group.permissions.set(Permission.objects.filter(content_type__app_label="dashboard", codename__in=role.codenames))
    return group


def sign_in_with_form(page, dashboard: Dashboard, role: Role = Role.VIEWER, next_path: str = "", username: str = "") -> None:
    """Sign in through the real login form (as the role's demo user, or `username`) and wait
    for the landing page. For the tests about signing in; the others use sign_in()."""
    from playwright.sync_api import expect

    page.goto(f"{dashboard.url}/accounts/login/{'?next=' + next_path if next_path else ''}")
    page.get_by_label("Username").fill(username or role.value.lower())
    page.get_by_label("Password").fill(dashboard.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def signed_in(page, server, user) -> None:
    """Give the page's browser context a session of `user`'s, made on the server as the login
    form would make it, without loading a page. The form has tests of its own
    (test_sign_in.py, the axe walk); skipping it saves each test three page loads (the form,
    its post, home), about a fifth of a browser test's time."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": server.url, "httpOnly": True}])


def sign_in(page, dashboard: Dashboard, role: Role = Role.VIEWER, next_path: str = "", username: str = "") -> None:
    """Sign in as the role's demo user (or `username`) and open `next_path` (home unless given)."""
    from playwright.sync_api import expect

    user = get_user_model().objects.get(username=username) if username else dashboard.users[role]
    signed_in(page, dashboard, user)
    page.goto(f"{dashboard.url}{next_path or '/'}")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def loaded(page) -> None:
    """Wait until the page shown has loaded: by then its scripts (htmx, app.js) have set up
    its controls. Call it once an expectation saw the page reached by a click. Before the
    load, a control looks ready (visible, enabled) but does nothing: a change sends no
    request, a click adds no row; on a busy machine a test acts in that window."""
    page.wait_for_load_state("load")


@dataclass
class PageProblems:
    """JavaScript errors and console errors (CSP violations among them) a page ran into."""

    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=list)

    def console(self, message) -> None:
        # A page answered with an error status on purpose (403, 404, a 422 form) is not
        # a problem; failed styles, scripts and images are (see response()). Nor is a
        # request htmx aborted (a newer one replaced it, or the page went elsewhere while
        # it was on its way): htmx logs the abort, and an afterRequest line beside it, as
        # errors. A request that failed logs its own line (htmx:sendError,
        # htmx:responseError), which stays a problem.
        if message.type == "error" and not message.text.startswith("Failed to load resource") and not HTMX_ABORT.match(message.text):
            self.errors.append(f"console: {message.text}")

    def response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type not in ("document", "xhr", "fetch"):
            self.errors.append(f"{response.status}: {response.request.resource_type} {response.url}")

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


def in_each_scheme(page) -> Iterator[str]:
    """Switch the page to each colour scheme in turn, in place (the stylesheet follows
    prefers-color-scheme and has no transitions, so nothing reloads); once through, the page
    is back in the scheme it was in."""
    was_dark = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    try:
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            yield scheme
    finally:
        page.emulate_media(color_scheme="dark" if was_dark else "light")


def screenshots(page, stem: str, **options) -> None:
    """Screenshots of the page as it is, in light and dark mode, kept in test-artifacts/ as
    STEM-light.png and STEM-dark.png for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    for scheme in in_each_scheme(page):
        page.screenshot(path=str(ARTIFACTS / f"{stem}-{scheme}.png"), **options)


def _artifact_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])[:120]


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


def new_page(browser, problems: PageProblems):
    """A page in a browser context of its own, its problems collected."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: problems.console(msg))
    page.on("response", lambda response: problems.response(response))
    return page


def create(dashboard: Dashboard, segment: str = "contact", **props) -> str:
    """A new record made through the API (the dashboard's sandbox team): its id."""
    return dashboard.sandbox.create(segment, **props)


@contextlib.contextmanager
def another_person(browser, dashboard: Dashboard, username: str, role: Role) -> Iterator[object]:
    """The second of two people: a user of their own with their own Prism key, signed in in a
    browser context of their own; their page's problems fail the test too."""
    user = get_user_model().objects.create_user(username, f"{username}@example.com", dashboard.password)
    user.groups.set([role_group(role)])
    connect_key(user, dashboard.sandbox.api_key)
    problems = PageProblems()
    page = new_page(browser, problems)
    signed_in(page, dashboard, user)
    yield page
    if not page.is_closed():
        page.context.close()
    assert problems.unexpected() == [], f"{username}'s page logged errors"


@pytest.fixture
def editor_page(anonymous_page, dashboard):
    """The page of the demo Editor, signed in, no page loaded yet."""
    signed_in(anonymous_page, dashboard, dashboard.users[Role.EDITOR])
    return anonymous_page


@pytest.fixture
def anonymous_page(browser, request, page_problems) -> Iterator[object]:
    page = new_page(browser, page_problems)
    context = page.context
    yield page
    call = getattr(request.node, "report_call", None)
    failure_shot = ARTIFACTS / f"failed-{_artifact_name(request.node.nodeid)}.png"
    if call is not None and call.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(failure_shot), full_page=True)
    elif call is not None and call.passed:
        failure_shot.unlink(missing_ok=True)  # from an earlier, failed run
    context.close()
    if call is not None and call.passed:
        assert page_problems.unexpected() == [], "The page logged errors"


@pytest.fixture
def page(anonymous_page, dashboard) -> object:
    """A browser page signed in as the Viewer user, no page loaded yet."""
    signed_in(anonymous_page, dashboard, dashboard.users[Role.VIEWER])
    return anonymous_page
