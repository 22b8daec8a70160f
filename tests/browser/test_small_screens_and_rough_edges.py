"""Issue 15 in the browser: small screens (the menu button, stacked cards, the team's name),
home's stage bars as links, the concurrent export's order and completeness, and the rough
edges a new user met (the Trash toggle, an empty trash, a saved view's title, delete back
to the table, the favicon, no CSP error on any page). axe at 390 px, light and dark."""

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import expect

from dashboard.roles import Role
from prism_sandbox import chaos

from .conftest import sign_in
from .test_accessibility import blocking_violations

PHONE = {"width": 390, "height": 844}
MENU = "Object types and saved views"


def at_phone_width(page, dashboard, role=Role.VIEWER):
    page.set_viewport_size(PHONE)
    sign_in(page, dashboard, role)


def narrower_than_the_window(page) -> bool:
    wide, window = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    return wide <= window


def test_at_phone_width_the_menu_button_opens_and_closes_the_sidebar_by_keyboard(anonymous_page, dashboard):
    page = anonymous_page
    at_phone_width(page, dashboard)
    page.goto(f"{dashboard.url}/records/contact/")
    menu = page.get_by_role("button", name="Menu")
    sidebar = page.get_by_role("navigation", name=MENU)
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_have_attribute("aria-controls", "sidebar")
    expect(sidebar).to_be_hidden()

    # By keyboard alone: Tab from the top of the page reaches the button before the sidebar.
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(sidebar).to_be_visible()
    expect(sidebar.get_by_role("link", name="Contacts")).to_be_focused()  # the first link, ready to go
    page.keyboard.press("Escape")
    expect(sidebar).to_be_hidden()
    expect(menu).to_be_focused()
    expect(menu).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("Space")
    expect(sidebar).to_be_visible()
    page.keyboard.press("Tab")
    expect(sidebar.get_by_role("link", name="Organizations")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Organizations", level=1)).to_be_visible()
    expect(sidebar).to_be_hidden()  # folded again on the next page
    assert narrower_than_the_window(page)

    # A wide window shows the sidebar and no menu button.
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(menu).to_be_hidden()
    expect(sidebar).to_be_visible()


def test_at_phone_width_tables_are_stacked_cards_and_the_header_names_the_team(anonymous_page, dashboard):
    page = anonymous_page
    at_phone_width(page, dashboard)
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name,last_name,status,organization.name&sort=first_name")
    row = page.locator("#results tbody tr").first
    expect(row).to_be_visible()
    assert row.evaluate("tr => getComputedStyle(tr).display") == "block"
    cells = row.locator("td[data-label]")
    labels = cells.evaluate_all("tds => tds.map(td => getComputedStyle(td, '::before').content)")
    assert labels == ['"Name"', '"First name"', '"Last name"', '"Status"', '"Organization › Name"']  # the title cell first
    # Each card's label sits beside its value, on one line of its own.
    first, second = cells.nth(0).bounding_box(), cells.nth(1).bounding_box()
    assert second["y"] >= first["y"] + first["height"] - 1 and first["width"] > 300
    expect(page.locator("#results thead").get_by_role("link", name="Status")).to_be_visible()  # sorting stays at hand
    assert narrower_than_the_window(page)

    team = page.locator(".topbar .team")
    expect(team).to_contain_text("Sandbox team")
    assert dashboard.sandbox.team_id not in team.inner_text()


def test_stage_bars_link_to_the_deals_table_filtered_by_that_stage(page, dashboard):
    page.goto(f"{dashboard.url}/")
    won = page.get_by_role("link", name="Won", exact=True)
    expect(won).to_be_visible()
    total = int(page.get_by_role("link", name=re.compile(r"deals in Won$")).inner_text())
    won.click()
    expect(page.get_by_role("heading", name="Deals", level=1)).to_be_visible()
    expect(page.locator("#f0")).to_have_value("stage")
    page.get_by_label("Show total").check()
    expect(page.locator(".table-meta")).to_contain_text(f"{total} record")
    expected = dashboard.api_rows("deal", {"select": [], "filter": [{"stage": {"=": "won"}}], "limit": 50})
    assert len(expected) == total > 0


def test_the_export_writes_every_row_once_in_the_tables_order_while_pages_are_read_side_by_side(page, dashboard, settings):
    settings.PRISM_CONCURRENCY = 2  # a window smaller than the pages: the order must hold across it
    chaos.configure(latency_ms=60)
    try:
        page.goto(f"{dashboard.url}/records/contact/?cols=first_name,status&sort=status")
        expected = [r["id"] for r in dashboard.api_rows("contact", {"select": [], "sort": [{"status": "asc"}], "limit": 50})]
        assert len(expected) > 100  # three pages at least
        with page.expect_download() as download_info:
            page.locator("a[data-export]").click()
        rows = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8"))))
    finally:
        chaos.configure()
    assert rows[0] == ["id", "First name", "Last name", "Status"]  # the title's parts first
    assert [r[0] for r in rows[1:]] == expected  # in order, none missing, none twice
    expect(page.locator(".export-progress")).to_have_js_property("value", len(expected))


def test_the_trash_toggle_changes_the_head_and_an_empty_trash_says_so(anonymous_page, dashboard):
    page = anonymous_page
    sign_in(page, dashboard, Role.EDITOR)
    page.goto(f"{dashboard.url}/records/deal/")
    head = page.locator("#page-head")
    expect(head.get_by_role("link", name="New deal")).to_be_visible()
    page.get_by_label("Trash").check()
    expect(head.locator(".badge")).to_have_text("Trash")
    expect(head.get_by_role("link", name="New deal")).to_have_count(0)
    expect(head.get_by_role("link", name="Import CSV")).to_have_count(0)
    expect(page.locator("#results")).to_contain_text("The trash is empty: no deals have been deleted.")
    page.get_by_label("Trash").uncheck()
    expect(head.get_by_role("link", name="New deal")).to_be_visible()
    expect(head.locator(".badge")).to_have_count(0)


def test_a_saved_view_is_the_title_and_delete_returns_to_the_table(anonymous_page, dashboard):
    page = anonymous_page
    sign_in(page, dashboard, Role.EDITOR)
    table = f"{dashboard.url}/records/contact/?cols=first_name,status&f0=status&o0=%3D&v0=lead&sort=first_name"
    page.goto(table)
    page.get_by_label("View name").fill("My leads")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("heading", name="My leads", level=1)).to_be_visible()
    expect(page).to_have_title(re.compile(r"^My leads · Contacts"))
    rename = page.get_by_label("Name of “My leads”")
    assert rename.evaluate("el => el.compareDocumentPosition(document.getElementById('results')) & Node.DOCUMENT_POSITION_FOLLOWING")

    page.goto(table)
    first = page.locator("#results tbody tr").first.locator("a").first
    first.click()
    expect(page.get_by_role("heading", name="Properties")).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    expect(page.locator("#messages")).to_contain_text("to the trash")
    assert page.url == table


def test_no_page_logs_a_csp_error_and_the_favicon_is_served(anonymous_page, dashboard, page_problems):
    page = anonymous_page
    page_problems.allow("status of 404")
    sign_in(page, dashboard, Role.ADMIN)
    contact = dashboard.api_rows("contact", {"select": [], "limit": 1})[0]["id"]
    deal = dashboard.api_rows("deal", {"select": [], "limit": 1})[0]["id"]
    paths = [
        "/",
        "/records/contact/?trash=1",
        f"/records/contact/{contact}/",
        f"/records/contact/{contact}/edit/",
        f"/records/contact/{contact}/history/",
        f"/records/deal/{deal}/permissions/",
        "/records/contact/new/",
        "/import/contact/",
        "/lookup/",
        "/audit/",
        "/directory/",
        "/me/",
        "/records/no-such-type/",
    ]
    for path in paths:
        page.goto(dashboard.url + path)
        page.wait_for_load_state("load")
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    assert page.request.get(dashboard.url + icon).status == 200
    assert [e for e in page_problems.errors if "Content Security Policy" in e or "Refused to" in e] == []


def test_the_changed_pages_pass_axe_at_phone_width(anonymous_page, dashboard):
    page = anonymous_page
    at_phone_width(page, dashboard, Role.EDITOR)
    found = {}
    page.goto(f"{dashboard.url}/")
    expect(page.get_by_role("link", name="Won", exact=True)).to_be_visible()
    found["home"] = blocking_violations(page)
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name,status,organization.name")
    expect(page.locator("#results tbody tr").first).to_be_visible()
    found["table as cards"] = blocking_violations(page)
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("navigation", name=MENU)).to_be_visible()
    found["menu open"] = blocking_violations(page)
    page.goto(f"{dashboard.url}/records/deal/?trash=1")
    expect(page.locator("#results")).to_contain_text("The trash is empty")
    found["empty trash"] = blocking_violations(page)
    page.get_by_label("View name").fill("Phone view")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("heading", name="Phone view", level=1)).to_be_visible()
    found["saved view"] = blocking_violations(page)
    assert {name: v for name, v in found.items() if v} == {}
