"""In the browser, against the stub API answering with the API reference's examples: an
export that the API's cursor stops early still downloads, and the page says it stopped."""

import csv
import io

from django.contrib.auth import get_user_model
from django.core.cache import cache
from playwright.sync_api import expect

from dashboard.roles import Role
from tests import stub_api as stubs
from tests.conftest import connect_key

from .conftest import PASSWORD, role_group, signed_in

SENTENCE = "The Prism API sent the same page of records again instead of the next one, so the rest could not be read."


def test_an_export_stopped_by_a_cursor_that_does_not_advance_says_so(anonymous_page, stub_api, settings, live_server, transactional_db):
    stubs.reference_examples(stub_api)
    settings.MICRO_BASE_URL = stub_api.base_url
    settings.MICRO_API_KEY = stub_api.api_key
    settings.MICRO_TEAM_ID = stub_api.team_id
    settings.PRISM_MAX_RETRIES = 0
    cache.clear()
    user = get_user_model().objects.create_user("viewer", "viewer@example.com", PASSWORD)
    user.groups.set([role_group(Role.VIEWER)])
    connect_key(user, stub_api.api_key)
    page = anonymous_page
    signed_in(page, live_server, user)

    page.goto(f"{live_server.url}/records/contact/?cols=foo")
    with page.expect_download() as download_info:
        page.locator("a[data-export]").click()
    with open(download_info.value.path(), encoding="utf-8") as file:
        rows = list(csv.reader(io.StringIO(file.read())))
    assert rows == [["id", "Foo"], [stubs.EXAMPLE_ID, "bar"], [f"# Export stopped after 1 row: {SENTENCE}"]]
    expect(page.locator("[data-export-stopped]")).to_have_text(
        f"Export stopped after 1 row: {SENTENCE} The file holds the rows read before that."
    )
    cache.clear()
