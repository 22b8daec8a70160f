"""Permissions editor and bulk actions in Chromium, checked through the API."""

from playwright.sync_api import expect

from dashboard.models import DirectoryEntry
from dashboard.roles import Role

from .conftest import loaded, sign_in

USER = "c0ffee00-1111-4111-8111-0000000000aa"


def test_grant_a_deal_to_one_user(anonymous_page, dashboard):
    page = anonymous_page
    sandbox = dashboard.sandbox
    deal = sandbox.request("POST", "deal", json={"default": {"name": "Confidential renewal"}}).json()["id"]
    DirectoryEntry.objects.create(kind="user", external_id=USER, name="Rita Reviewer")
    sign_in(page, dashboard, Role.ADMIN)
    page.goto(f"{dashboard.url}/records/deal/{deal}/")
    page.get_by_role("link", name="Permissions").click()
    expect(page.locator("[data-grant-summary]")).to_contain_text("Everyone in the team can administer")
    loaded(page)  # "+ Add a person or group" is app.js's

    page.get_by_label("Everyone in the team").select_option("")
    page.get_by_role("button", name="+ Add a person or group").click()
    page.get_by_label("Name or id of entry 1").fill("Rita Reviewer")
    page.get_by_label("Access of entry 1").select_option("w")
    page.get_by_role("button", name="Save permissions").click()

    expect(page.locator("[data-grant-summary]")).to_have_text("Only the people and groups below have access; 1 person can write.")
    expect(page.get_by_label("Name or id of entry 1")).to_have_value("Rita Reviewer")
    stored = sandbox.request("GET", f"deal/{deal}/grant").json()
    assert stored == {"team_id": {}, "user_id": [{USER: "w"}], "team_group_id": []}
    # Only that user's key can see the deal now.
    assert sandbox.request("GET", f"deal/{deal}", key=sandbox.make_key(user_id=USER)).status_code == 200
    assert sandbox.request("GET", f"deal/{deal}", key=sandbox.make_key()).status_code == 404


def test_bulk_set_the_stage_of_120_selected_deals(anonymous_page, dashboard):
    page = anonymous_page
    sandbox = dashboard.sandbox
    marker = "Bulkstage"
    ids = set()
    for start in (0, 60):  # two synchronous imports (≤ 100 rows each)
        body = {"objects": [{"default": {"name": f"{marker} {i:03d}", "stage": "prospect"}} for i in range(start, start + 60)]}
        imported = sandbox.request("POST", "deal/import", json=body).json()
        assert imported["succeeded"] == 60
        ids |= {r["id"] for r in imported["results"]}

    sign_in(page, dashboard, Role.EDITOR)
    page.goto(f"{dashboard.url}/records/deal/?cols=name,stage&size=50&q={marker}&total=1")
    expect(page.locator(".table-meta")).to_contain_text("120 records")
    for shown in (50, 100, 120):  # select the page, on each of the three pages
        page.get_by_label("Select every record on this page").check()
        expect(page.locator("[data-selection-count]")).to_have_text(f"{shown} selected")
        if shown < 120:
            page.get_by_role("link", name="Next →").click()
            expect(page.locator(".table-meta")).to_contain_text(f"Page {shown // 50 + 1}")
    page.get_by_label("With the selected records").select_option("set")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_text("120 selected deals, in chunks of 100")).to_be_visible()
    expect(page.get_by_role("heading", name="Set a property")).to_be_visible()
    loaded(page)  # the property select asks for its value field through htmx
    with page.expect_response(lambda r: "/bulk/value-field/" in r.url):
        page.get_by_label("Property").select_option("stage")
    page.get_by_label("New value").select_option("won")
    page.get_by_role("button", name="Set a property").click()
    expect(page.locator("#bulk-progress")).to_have_attribute("data-status", "complete", timeout=60_000)
    expect(page.locator("[data-bulk-summary]")).to_have_text("120 succeeded, 0 failed.")
    stages = {
        r["properties"]["stage"] for r in dashboard.api_rows("deal", {"select": ["stage"], "filter": [{"name": {"contains": marker}}]})
    }
    assert stages == {"won"}
    assert {r["id"] for r in dashboard.api_rows("deal", {"select": [], "filter": [{"name": {"contains": marker}}]})} == ids
