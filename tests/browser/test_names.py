"""Records read by their names: reference cells, page titles and breadcrumbs, history, the
audit trail and bulk reports by titles and labels; times as "3 days ago" with the exact
time, in the person's own time zone, on hover and on keyboard focus."""

import datetime as dt
import re
import zoneinfo

import pytest
from playwright.sync_api import expect

from dashboard.models import Profile
from dashboard.roles import Role

from .conftest import PageProblems, create, loaded, sign_in
from .tables import ROW_LINKS
from .test_accessibility import blocking_violations


@pytest.fixture
def named(dashboard) -> dict:
    """A deal whose organization and owner have names, and the owner's contact."""
    ids = {"organization": create(dashboard, "organization", name="Lovelace Engines")}
    ids["contact"] = create(dashboard, "contact", first_name="Ada", last_name="Lovelace", organization=ids["organization"])
    ids["identity"] = create(dashboard, "identity", name="Ida Owner", contact=ids["contact"])
    ids["deal"] = create(
        dashboard, "deal", name="Analytical renewal", stage="prospect", organization=ids["organization"], owner=ids["identity"]
    )
    return ids


def row_of(page, segment: str, record_id: str):
    return page.locator("#results tbody tr", has=page.locator(f'a[data-row-link][href$="/records/{segment}/{record_id}/"]'))


def test_a_deal_table_shows_its_references_by_name_linked_to_them(page, dashboard, named):
    page.goto(f"{dashboard.url}/records/deal/?cols=organization,owner,stage&ids={named['deal']}")
    row = row_of(page, "deal", named["deal"])
    expect(row.get_by_role("link", name="Analytical renewal", exact=True)).to_be_visible()  # the title cell is the link
    organization = row.get_by_role("link", name="Lovelace Engines", exact=True)
    expect(organization).to_have_attribute("href", f"/records/organization/{named['organization']}/")
    expect(organization).to_have_attribute("title", named["organization"])  # the id on hover
    expect(row.get_by_role("link", name="Ida Owner", exact=True)).to_have_attribute("href", f"/records/identity/{named['identity']}/")
    expect(row).not_to_contain_text(named["organization"][:8])
    expect(page.get_by_role("columnheader", name="Open")).to_have_count(0)

    # An identity's contact reads "First Last".
    page.goto(f"{dashboard.url}/records/identity/?cols=contact&ids={named['identity']}")
    contact = row_of(page, "identity", named["identity"]).get_by_role("link", name="Ada Lovelace", exact=True)
    expect(contact).to_have_attribute("href", f"/records/contact/{named['contact']}/")

    # The demo data's references all read as names: no cell shows a cut id.
    for segment, cols in (("deal", "organization,owner"), ("action", "deal,assignee"), ("document", "deal"), ("identity", "contact")):
        page.goto(f"{dashboard.url}/records/{segment}/?cols={cols}&size=50")
        expect(page.locator(ROW_LINKS).first).to_be_visible()
        assert not re.search(r"\b[0-9a-f]{8}…", page.locator("#results tbody").inner_text()), segment


def test_a_contacts_page_title_and_breadcrumbs_read_first_and_last_name(anonymous_page, dashboard, named):
    page = anonymous_page
    sign_in(page, dashboard, Role.ADMIN)
    page.goto(f"{dashboard.url}/records/contact/?ids={named['contact']}")
    page.get_by_role("link", name="Ada Lovelace", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    expect(page).to_have_title(re.compile(r"^Ada Lovelace · Contact"))
    expect(page.get_by_role("link", name="Lovelace Engines", exact=True)).to_be_visible()  # its organization, by name

    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    for path in ("edit/", "history/"):
        page.goto(f"{dashboard.url}/records/contact/{named['contact']}/{path}")
        expect(breadcrumb.get_by_role("link", name="Ada Lovelace", exact=True)).to_be_visible()
    page.goto(f"{dashboard.url}/records/deal/{named['deal']}/permissions/")
    expect(breadcrumb.get_by_role("link", name="Analytical renewal", exact=True)).to_be_visible()
    expect(page.get_by_text("Record", exact=True)).to_have_count(0)

    # The organization picker shows a name once: two organizations of one name are told apart.
    for domain in ("twins-a.example", "twins-b.example"):
        create(dashboard, "organization", name="Twin Works", domain=domain)
    page.goto(f"{dashboard.url}/records/contact/{named['contact']}/edit/")
    loaded(page)
    organization = page.get_by_role("combobox", name="Organization")
    expect(organization).to_have_value("Lovelace Engines")
    organization.fill("")
    organization.press_sequentially("twin", delay=20)
    options = page.get_by_role("listbox", name="Suggestions").get_by_role("option")
    expect(options).to_have_count(2)
    # (Same title: in the order of their ids, which are random.)
    assert sorted(options.all_inner_texts()) == ["Twin Works · twins-a.example", "Twin Works · twins-b.example"]

    # A contact is found by its last name too, and offered as "First Last".
    identity_editor = f"{dashboard.url}/records/identity/{named['identity']}/edit/"
    page.goto(identity_editor)
    loaded(page)
    box = page.get_by_role("combobox", name="Contact")
    expect(box).to_have_value("Ada Lovelace")
    box.fill("")
    box.press_sequentially("lovelace", delay=20)
    expect(page.get_by_role("option", name="Ada Lovelace", exact=True)).to_have_count(1)


def test_history_shows_labels_and_before_and_after(anonymous_page, dashboard, named):
    page = anonymous_page
    sign_in(page, dashboard, Role.EDITOR)
    page.goto(f"{dashboard.url}/records/deal/{named['deal']}/edit/")
    page.get_by_label("Stage").select_option(label="Qualified")
    page.get_by_label("Amount").fill("1200")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Analytical renewal")

    page.get_by_role("link", name="History").click()
    changes = page.locator("#main .change-list").first
    expect(changes.locator("li", has_text="Stage")).to_have_text("Stage: Prospect → changed to Qualified")
    expect(changes.locator("li", has_text="Amount")).to_contain_text("→")
    expect(changes).not_to_contain_text("stage:")  # labels, not slugs
    row = page.locator("#main tbody tr").first
    expect(row.get_by_role("link", name="Analytical renewal", exact=True)).to_be_visible()


def test_bulk_report_and_audit_read_labels_option_names_and_titles(anonymous_page, dashboard, named):
    page = anonymous_page
    second = create(dashboard, "deal", name="Difference engine pilot", stage="prospect")
    sign_in(page, dashboard, Role.ADMIN)
    page.goto(f"{dashboard.url}/records/deal/?cols=stage&ids={named['deal']},{second}")
    expect(page.locator(ROW_LINKS)).to_have_count(2)
    page.get_by_label("Select every record on this page").check()
    page.get_by_label("With the selected records").select_option("set")
    page.get_by_role("button", name="Apply to selected").click()
    loaded(page)
    with page.expect_response(lambda r: "/bulk/value-field/" in r.url):
        page.get_by_label("Property").select_option("stage")
    page.get_by_label("New value").select_option("won")
    page.get_by_role("button", name="Set a property").click()
    expect(page.locator("#bulk-progress")).to_have_attribute("data-status", "complete", timeout=60_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set Stage to “Won” on 2 selected deals")

    page.goto(f"{dashboard.url}/audit/")
    for title in ("Analytical renewal", "Difference engine pilot"):
        row = page.locator("tbody tr", has=page.get_by_role("link", name=title, exact=True))
        expect(row).to_contain_text("Bulk-updated")
        expect(row.locator(".change-list")).to_have_text("Stage: Won")

    # A permission change names its record and what it did.
    page.goto(f"{dashboard.url}/records/deal/{second}/permissions/")
    loaded(page)
    page.get_by_label("Everyone in the team").select_option("r")
    page.get_by_role("button", name="Save permissions").click()
    expect(page.locator("[data-grant-summary]")).to_contain_text("Everyone in the team can read")
    page.goto(f"{dashboard.url}/")
    latest = page.locator(".changes > li").first
    expect(latest).to_contain_text("changed permissions of Deal")
    expect(latest.get_by_role("link", name="Difference engine pilot", exact=True)).to_be_visible()
    expect(latest.locator(".change-list")).to_contain_text("Permissions: Everyone in the team can administer")
    expect(latest.locator(".change-list")).to_contain_text("Everyone in the team can read")


def exact_in(moment: str, zone: str) -> str:
    """The exact time as the dashboard writes it, in `zone` ("Jun 1, 2026, 21:30 JST")."""
    local = dt.datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(zoneinfo.ZoneInfo(zone))
    return f"{local:%b} {local.day}, {local.year}, {local:%H:%M} {local.tzname()}"


def test_relative_times_show_the_exact_time_in_the_profiles_zone_on_hover_and_focus(page, dashboard, named):
    page.goto(f"{dashboard.url}/me/")
    page.get_by_label("Your time zone").select_option("Asia/Kolkata")
    page.get_by_role("button", name="Save time zone").click()
    expect(page.get_by_text("Dates and times now show in Asia/Kolkata.")).to_be_visible()

    updated = dashboard.sandbox.request("GET", f"contact/{named['contact']}").json()["default"]["updated_at"]
    page.goto(f"{dashboard.url}/records/contact/{named['contact']}/")
    when = page.locator("dt:text-is('Updated at') + dd time.when")
    expect(when).to_have_text(re.compile(r"^(just now|\d+ minutes? ago)$"))
    expected = exact_in(updated, "Asia/Kolkata")
    assert expected.endswith("IST")
    expect(when).to_have_attribute("title", expected)  # on hover

    # On keyboard focus: the exact time shows beside it.
    after = "el => getComputedStyle(el, '::after').content"
    assert when.evaluate(after) in ("none", "normal", "")
    page.keyboard.press("Tab")
    while not when.evaluate("el => el === document.activeElement"):
        page.keyboard.press("Tab")
    expect(when).to_be_focused()
    assert when.evaluate(after) == f'"{expected}"'


def signed_in_from(browser, dashboard, zone: str, problems: PageProblems):
    """A page signed in as the Viewer from a browser whose time zone is `zone`."""
    context = browser.new_context(timezone_id=zone, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.errors.append(f"pageerror: {exc}"))
    page.on("console", problems.console)
    return page


def test_the_browser_tells_the_time_zone_once(browser, dashboard):
    problems = PageProblems()
    user = dashboard.users[Role.VIEWER]
    page = signed_in_from(browser, dashboard, "Asia/Tokyo", problems)
    with page.expect_response(lambda r: r.url.endswith("/me/time-zone/") and r.ok):
        sign_in(page, dashboard, Role.VIEWER)
    assert Profile.objects.get(user=user).time_zone == "Asia/Tokyo"
    page.goto(f"{dashboard.url}/me/")
    expect(page.get_by_label("Your time zone")).to_have_value("Asia/Tokyo")
    expect(page.locator("body[data-time-zone-url]")).to_have_count(0)  # asked once: known now

    # A zone chosen on the profile page is kept: a browser elsewhere does not replace it.
    page.get_by_label("Your time zone").select_option("Europe/Lisbon")
    page.get_by_role("button", name="Save time zone").click()
    expect(page.get_by_label("Your time zone")).to_have_value("Europe/Lisbon")
    page.context.close()
    other = signed_in_from(browser, dashboard, "America/Lima", problems)
    sign_in(other, dashboard, Role.VIEWER)
    expect(other.locator("body[data-time-zone-url]")).to_have_count(0)
    assert Profile.objects.get(user=user).time_zone == "Europe/Lisbon"
    other.context.close()
    assert problems.unexpected() == []


@pytest.mark.parametrize("width", [1280, 390])
def test_named_pages_pass_axe(anonymous_page, dashboard, named, width):
    page = anonymous_page
    page.set_viewport_size({"width": width, "height": 844 if width < 800 else 900})
    sign_in(page, dashboard, Role.ADMIN)
    page.goto(f"{dashboard.url}/records/deal/{named['deal']}/edit/")
    page.get_by_label("Stage").select_option(label="Won")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Analytical renewal")

    found = {}
    for name, path, ready in (
        ("deals", f"/records/deal/?cols=organization,owner,stage,close_date,updated_at&ids={named['deal']}", ROW_LINKS),
        ("contact", f"/records/contact/{named['contact']}/", "time.when"),
        ("history", f"/records/deal/{named['deal']}/history/", ".change-list"),
        ("audit", "/audit/", ".change-list"),
        ("home", "/", ".changes .change-list"),
        ("profile", "/me/", "#time-zone"),
    ):
        page.goto(f"{dashboard.url}{path}")
        expect(page.locator(ready).first).to_be_visible()
        found[name] = blocking_violations(page)
    assert found == {name: [] for name in found}
