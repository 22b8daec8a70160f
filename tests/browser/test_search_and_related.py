"""Search that finds and related records, in Chromium: the table's quick search over every
searchable property (alone and beside filters), the header's global search by keyboard
alone, and a record page's related records; axe on each (light, dark, 390 px)."""

import re

import pytest
from playwright.sync_api import expect

from dashboard.roles import Role

from .conftest import create, loaded, screenshots, sign_in
from .tables import expect_ids, shown_ids
from .test_accessibility import blocking_violations


@pytest.fixture
def drakes(dashboard):
    """Contacts whose only "drake" is in their last name, email or job title."""
    return {
        "lead": create(dashboard, "contact", first_name="Nadia", last_name="Drakeford", status="lead", score=10),
        "customer": create(dashboard, "contact", first_name="Omar", last_name="Drake", status="customer", score=20),
        "by_email": create(dashboard, "contact", first_name="Pia", last_name="Stone", email="p.drake@example.com", status="lead", score=30),
    }


def api_ids(dashboard, filters: list, combinator: str = "AND") -> set[str]:
    return {
        r["id"] for r in dashboard.api_rows("contact", {"select": ["first_name"], "filter": filters, "combinator": combinator, "limit": 50})
    }


def drake_ids(dashboard) -> set[str]:
    slugs = ("first_name", "last_name", "email", "phone", "title")
    return api_ids(dashboard, [{s: {"contains": "drake"}} for s in slugs], "OR")


def test_a_last_name_typed_in_the_search_box_finds_its_contacts(page, dashboard, drakes):
    page.goto(f"{dashboard.url}/records/contact/?sort=score")
    loaded(page)
    box = page.get_by_role("searchbox", name="Search contacts")
    expect(box).to_have_accessible_description(re.compile(r"Looks in First name, Last name, Email, Phone or Job title"))
    box.fill("Drakeford")
    expect_ids(page, [drakes["lead"]])
    box.fill("drake")  # last names and an email
    expected = drake_ids(dashboard)
    assert {drakes["lead"], drakes["customer"], drakes["by_email"]} <= expected
    page.wait_for_function("() => new URL(location.href).searchParams.get('q') === 'drake'")
    expect(page.locator("#results tbody tr")).to_have_count(len(expected))
    assert set(shown_ids(page)) == expected


def test_search_beside_a_filter_never_shows_a_row_the_filter_excludes(page, dashboard, drakes):
    page.goto(f"{dashboard.url}/records/contact/?sort=score&f0=status&o0=%3D&v0=lead")
    loaded(page)
    page.get_by_role("searchbox", name="Search contacts").fill("drake")
    leads = api_ids(dashboard, [{"status": {"=": "lead"}}])
    expected = drake_ids(dashboard) & leads
    assert {drakes["lead"], drakes["by_email"]} <= expected and drakes["customer"] not in expected
    expect(page.locator("[data-search-note]")).to_contain_text("queries at once")
    page.wait_for_function("() => new URL(location.href).searchParams.get('q') === 'drake'")
    expect(page.locator("#results tbody tr")).to_have_count(len(expected))
    assert set(shown_ids(page)) == expected
    # "any": the search and (lead or a score of 20): the customer Drake too, nobody else.
    page.goto(f"{dashboard.url}/records/contact/?sort=score&q=drake&combinator=OR&f0=status&o0=%3D&v0=lead&f1=score&o1=%3D&v1=20")
    either = leads | api_ids(dashboard, [{"score": {"=": "20"}}])
    assert set(shown_ids(page)) == drake_ids(dashboard) & either


def test_the_global_search_by_keyboard_alone(page, dashboard, drakes):
    page.goto(f"{dashboard.url}/")
    loaded(page)
    page.keyboard.press("Control+k")
    box = page.locator("#global-search")
    expect(box).to_be_focused()
    page.keyboard.type("Drakeford")
    results = page.get_by_role("listbox", name="Search results")
    expect(results.get_by_role("option", name="Nadia")).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(results.get_by_role("group", name="Contacts")).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "gs-contact-1")
    expect(results.get_by_role("option", name="Nadia")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")  # closes, keeps the text
    expect(results).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("ArrowDown")  # opens again on the first result
    expect(results).to_be_visible()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/records/contact/{drakes['lead']}/")
    expect(page.get_by_role("heading", name="Properties")).to_be_visible()


def test_an_organizations_page_lists_its_contacts_and_deals(anonymous_page, dashboard):
    page = anonymous_page
    sign_in(page, dashboard, Role.EDITOR)
    org = create(dashboard, "organization", name="Qx Widgets")
    people = [create(dashboard, "contact", first_name=f"Qx person {i}", organization=org) for i in range(6)]
    deal = create(dashboard, "deal", name="Qx widget deal", organization=org)
    page.goto(f"{dashboard.url}/records/organization/{org}/")
    related = page.get_by_role("region", name="Related records")
    contacts = related.get_by_role("region", name=re.compile(r"^Contacts"))
    expect(contacts.locator("[data-related-count]")).to_have_text("6")
    expect(contacts.get_by_role("listitem")).to_have_count(5)
    deals = related.get_by_role("region", name=re.compile(r"^Deals"))
    expect(deals.locator("[data-related-count]")).to_have_text("1")
    expect(deals.get_by_role("link", name="Qx widget deal")).to_have_attribute("href", f"/records/deal/{deal}/")
    loaded(page)
    # "See all": the contacts table filtered to this organization.
    contacts.get_by_role("link", name="See all contacts (6) in their table").click()
    expect(page.get_by_role("heading", name="Contacts", exact=True)).to_be_visible()
    expect(page.locator("#results tbody tr")).to_have_count(6)
    assert set(shown_ids(page)) == set(people)
    # "New deal": the form opens with the organization picked, by its name.
    page.go_back()
    related.get_by_role("link", name="New deal").click()
    expect(page.get_by_role("heading", name="New deal")).to_be_visible()
    expect(page.get_by_role("combobox", name="Organization")).to_have_value("Qx Widgets")
    page.get_by_label("Name").fill("Qx second deal")
    with page.expect_navigation():
        page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Qx second deal")).to_be_visible()
    page.goto(f"{dashboard.url}/records/organization/{org}/")
    expect(page.get_by_role("region", name=re.compile(r"^Deals")).locator("[data-related-count]")).to_have_text("2")


def test_a_contacts_page_lists_its_identities_and_their_deals(page, dashboard, drakes):
    identity = create(dashboard, "identity", name="Nadia D.", contact=drakes["lead"])
    deal = create(dashboard, "deal", name="Qx Drakeford renewal", owner=identity)
    page.goto(f"{dashboard.url}/records/contact/{drakes['lead']}/")
    identities = page.get_by_role("region", name=re.compile(r"^Identities"))
    expect(identities.get_by_role("link", name="Nadia D.")).to_have_attribute("href", f"/records/identity/{identity}/")
    expect(identities.locator("[data-related-count]")).to_have_text("1")
    expect(identities.get_by_role("link", name="New identity")).to_have_count(0)  # a Viewer creates nothing
    deals = page.get_by_role("region", name=re.compile(r"^Deals · Owner, through identities"))
    expect(deals.get_by_role("link", name="Qx Drakeford renewal")).to_have_attribute("href", f"/records/deal/{deal}/")
    expect(deals.locator("[data-related-count]")).to_have_text("1")
    loaded(page)
    deals.get_by_role("link", name=re.compile(r"^See all deals")).click()
    expect(page.locator("#results tbody tr")).to_have_count(1)
    assert shown_ids(page) == [deal]


@pytest.mark.parametrize("width", [1280, 390])
def test_global_search_and_related_records_pass_axe(page, dashboard, drakes, width):
    page.set_viewport_size({"width": width, "height": 844 if width < 800 else 900})
    org = create(dashboard, "organization", name="Qx Drake Labs")
    create(dashboard, "deal", name="Qx Drake pilot", organization=org)
    page.goto(f"{dashboard.url}/records/organization/{org}/")
    expect(page.locator("[data-related-group]").first).to_be_visible()
    found = {"record page": blocking_violations(page)}
    screenshots(page, f"related-{width}", full_page=True)
    loaded(page)
    page.keyboard.press("Control+k")
    page.keyboard.type("drake")
    expect(page.get_by_role("listbox", name="Search results").get_by_role("group", name="Contacts")).to_be_visible()
    page.keyboard.press("ArrowDown")
    found["global search"] = blocking_violations(page)
    screenshots(page, f"global-search-{width}")
    page.goto(f"{dashboard.url}/search/?q=drake")
    found["results page"] = blocking_violations(page)
    page.goto(f"{dashboard.url}/records/contact/?q=drake&f0=status&o0=%3D&v0=lead")
    expect(page.locator("[data-search-note]")).to_be_visible()
    found["table"] = blocking_violations(page)
    assert found == {"record page": [], "global search": [], "results page": [], "table": []}
