"""Inline cell editing and edit presence in Chromium, with two people in two browser
contexts: a conflict on the same property waits for a choice and loses nothing, a change
to another property merges, Escape cancels without a request, Tab moves on, presence
comes and goes; axe is clean while a cell is edited. Outcomes are checked through the API."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from dashboard.roles import Role

from .conftest import PageProblems, another_person, create, loaded, new_page, sign_in
from .test_accessibility import blocking_violations

ANA = "ana"


def api_record(dashboard, record_id: str) -> dict:
    response = dashboard.sandbox.request("GET", f"contact/{record_id}")
    assert response.status_code == 200, response.text
    return response.json()["default"]


@pytest.fixture
def ana_page(browser, dashboard) -> Iterator[object]:
    """Ana, a second Editor, in a browser context of her own."""
    with another_person(browser, dashboard, ANA, Role.EDITOR) as page:
        yield page


def open_table(page, dashboard, name: str) -> None:
    page.goto(f"{dashboard.url}/records/contact/?q={name}&cols=first_name,status,score,title")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    loaded(page)


def cell(page, slug: str):
    return page.locator(f'#results td[data-col="{slug}"]')


def edit(page, slug: str):
    """Start editing a cell by keyboard (focus it, Enter) and wait for its input."""
    cell(page, slug).focus()
    page.keyboard.press("Enter")
    expect(cell(page, slug).locator("[data-cell-editor]")).to_be_visible()


def test_same_property_conflict_shows_both_values_and_who_and_loses_nothing(editor_page, ana_page, dashboard):
    mine, theirs = editor_page, ana_page
    record_id = create(dashboard, first_name="Quorra", score=10, status="lead")
    open_table(mine, dashboard, "Quorra")
    open_table(theirs, dashboard, "Quorra")

    edit(mine, "score")  # my version read: score 10
    edit(theirs, "score")
    theirs.get_by_label("Score of Quorra").fill("20")
    theirs.keyboard.press("Enter")
    expect(cell(theirs, "score")).to_have_text(re.compile(r"^20"))
    assert api_record(dashboard, record_id)["score"] == 20

    mine.get_by_label("Score of Quorra").fill("30")
    mine.keyboard.press("Enter")
    conflict = cell(mine, "score").locator("[data-cell-conflict]")
    expect(conflict.get_by_role("alert")).to_contain_text(
        re.compile(r"ana saved a change at \d\d:\d\d:\d\d UTC\. Nothing has been overwritten")
    )
    expect(conflict.locator("[data-theirs]")).to_have_text("20")
    expect(conflict.locator("[data-mine]")).to_have_text("30")
    assert api_record(dashboard, record_id)["score"] == 20  # nothing written until I choose

    assert blocking_violations(mine) == [], "a cell's conflict"

    conflict.get_by_role("button", name="Keep mine").click()
    expect(cell(mine, "score")).to_have_text(re.compile(r"^30"))
    assert api_record(dashboard, record_id)["score"] == 30


def test_take_theirs_writes_nothing(editor_page, ana_page, dashboard):
    mine, theirs = editor_page, ana_page
    record_id = create(dashboard, first_name="Quill", score=1, title="Scribe")
    open_table(mine, dashboard, "Quill")
    open_table(theirs, dashboard, "Quill")
    edit(mine, "title")
    edit(theirs, "title")
    theirs.get_by_label("Job title of Quill").fill("Poet")
    theirs.keyboard.press("Enter")
    expect(cell(theirs, "title")).to_have_text(re.compile(r"^Poet"))

    mine.get_by_label("Job title of Quill").fill("Bard")
    mine.keyboard.press("Enter")
    conflict = cell(mine, "title").locator("[data-cell-conflict]")
    expect(conflict.locator("[data-theirs]")).to_have_text("Poet")
    expect(conflict.locator("[data-mine]")).to_have_text("Bard")
    writes = []
    mine.on("request", lambda r: r.method == "POST" and "/cell/" in r.url and writes.append(r))
    with mine.expect_response(lambda r: "/cell/title/" in r.url):
        conflict.get_by_role("button", name="Take theirs").click()
    expect(cell(mine, "title")).to_have_text(re.compile(r"^Poet"))
    assert api_record(dashboard, record_id)["title"] == "Poet"
    assert len(writes) == 1  # the choice itself, which writes nothing to the API


def test_a_change_to_another_property_merges_silently(editor_page, ana_page, dashboard):
    mine, theirs = editor_page, ana_page
    record_id = create(dashboard, first_name="Rinzler", score=5, status="lead")
    open_table(mine, dashboard, "Rinzler")
    open_table(theirs, dashboard, "Rinzler")
    edit(mine, "score")
    edit(theirs, "status")
    theirs.get_by_label("Status of Rinzler").select_option(label="Customer")
    theirs.keyboard.press("Enter")
    expect(cell(theirs, "status")).to_have_text(re.compile(r"^Customer"))

    mine.get_by_label("Score of Rinzler").fill("55")
    mine.keyboard.press("Enter")
    expect(cell(mine, "score")).to_have_text(re.compile(r"^55"))
    expect(cell(mine, "score").locator("[data-cell-conflict]")).to_have_count(0)
    saved = api_record(dashboard, record_id)
    assert (saved["score"], saved["status"]) == (55, "customer")


def test_escape_cancels_without_a_request_and_tab_moves_to_the_next_cell(editor_page, dashboard):
    page = editor_page
    record_id = create(dashboard, first_name="Sark", score=3, status="lead", title="Guard")
    open_table(page, dashboard, "Sark")
    sent = []
    page.on("request", lambda r: "/cell/" in r.url and sent.append((r.method, r.url.rsplit("/cell/", 1)[1])))

    # Double-click opens the cell too; Escape puts the value back, asking nothing.
    cell(page, "score").dblclick()
    score = page.get_by_label("Score of Sark")
    expect(score).to_be_focused()
    score.fill("999")
    page.keyboard.press("Escape")
    expect(cell(page, "score")).to_have_text("3")
    expect(cell(page, "score")).to_be_focused()
    assert sent == [("GET", "score/")]

    # Tab from a changed value saves it and moves to the next cell.
    edit(page, "status")
    page.get_by_label("Status of Sark").select_option(label="Customer")
    with page.expect_response(lambda r: r.request.method == "POST" and "/cell/status/" in r.url):
        page.keyboard.press("Tab")
    expect(cell(page, "score")).to_be_focused()
    expect(cell(page, "status")).to_have_text(re.compile(r"^Customer"))
    # Tab from an unchanged value moves on with no request; arrows move between cells.
    edit(page, "score")
    page.keyboard.press("Tab")
    expect(cell(page, "title")).to_be_focused()
    expect(cell(page, "score")).to_have_text("3")
    page.keyboard.press("ArrowLeft")
    expect(cell(page, "score")).to_be_focused()
    assert sent == [("GET", "score/"), ("GET", "status/"), ("POST", "status/"), ("GET", "score/")]
    saved = api_record(dashboard, record_id)
    assert (saved["score"], saved["status"], saved["title"]) == (3, "customer", "Guard")


def test_a_bad_value_says_why_in_place_and_axe_is_clean_while_editing(editor_page, dashboard, page_problems):
    page = editor_page
    record_id = create(dashboard, first_name="Yori", score=8, email="yori@example.com")
    page.goto(f"{dashboard.url}/records/contact/?q=Yori&cols=first_name,email,score")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    loaded(page)
    edit(page, "email")
    assert blocking_violations(page) == [], "a cell being edited"
    page.set_viewport_size({"width": 390, "height": 844})
    assert blocking_violations(page) == [], "a cell being edited, 390 px"
    page.set_viewport_size({"width": 1280, "height": 900})
    email = page.get_by_label("Email of Yori")
    expect(email).to_have_accessible_description(re.compile("Enter saves, Escape cancels"))
    email.fill("not-an-email")
    page.keyboard.press("Enter")  # the form's own validation, from the server
    expect(cell(page, "email").get_by_role("alert")).to_have_text("Enter a valid email address.")
    expect(page.get_by_label("Email of Yori")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Email of Yori")).to_have_value("not-an-email")  # what I typed is kept
    assert blocking_violations(page) == [], "a cell's error"
    page.keyboard.press("Escape")
    expect(cell(page, "email")).to_have_text("yori@example.com")

    # Text a number input cannot read is said so in place, not sent as an empty value.
    edit(page, "score")
    page.get_by_label("Score of Yori").press_sequentially("e")
    page.keyboard.press("Enter")
    expect(cell(page, "score").get_by_role("alert")).to_be_visible()
    page.keyboard.press("Escape")
    expect(cell(page, "score")).to_have_text("8")
    saved = api_record(dashboard, record_id)
    assert (saved["score"], saved["email"]) == (8, "yori@example.com")


def test_the_entry_point_for_other_code_starts_an_edit(editor_page, dashboard):
    page = editor_page
    create(dashboard, first_name="Trqnix", score=4)  # a name no other searchable value holds
    open_table(page, dashboard, "Trqnix")
    page.evaluate("() => window.prismDashboard.startCellEdit(document.querySelector('#results td[data-col=score]'))")
    expect(page.get_by_label("Score of Trqnix")).to_be_focused()
    page.keyboard.press("Escape")
    # The custom event, dispatched on any element of a row, edits its first editable cell.
    page.evaluate("() => document.querySelector('#results tbody tr td').dispatchEvent(new CustomEvent('prism:edit-cell', {bubbles: true}))")
    expect(page.get_by_label("First name of Trqnix")).to_be_focused()


def test_presence_appears_within_5_seconds_and_goes_when_she_leaves(editor_page, ana_page, dashboard, settings):
    settings.PRESENCE_HEARTBEAT = 2  # the pages ask every 2 s; the expiry stays the production one
    record_id = create(dashboard, first_name="Castor", score=2)
    mine, theirs = editor_page, ana_page
    mine.goto(f"{dashboard.url}/records/contact/{record_id}/")
    expect(mine.get_by_role("heading", name="Castor")).to_be_visible()
    note = mine.locator("[data-presence-person]")
    expect(note).to_have_count(0)

    with theirs.expect_response(lambda r: r.url.endswith("/presence/")):
        theirs.goto(f"{dashboard.url}/records/contact/{record_id}/edit/")
    expect(note).to_have_text(re.compile(r"^ana is editing this record"), timeout=5_000)
    # The table marks the row she is editing.
    theirs_table = f"{dashboard.url}/records/contact/?q=Castor&cols=first_name,score"
    other = new_page(mine.context.browser, PageProblems())
    try:
        sign_in(other, dashboard, Role.VIEWER)
        other.goto(theirs_table)
        expect(other.locator("[data-row-editing]")).to_have_attribute("title", "ana is editing this record")
    finally:
        other.context.close()

    # She leaves: her page says goodbye as it goes (a pagehide beacon), and my next heartbeat
    # (2 s) shows her gone, without waiting out the expiry (that one: tests/dashboard/test_presence.py).
    theirs.goto(f"{dashboard.url}/")
    expect(note).to_have_count(0, timeout=5_000)
