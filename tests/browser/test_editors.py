"""Record editors in the browser: If-Match conflicts between two people, the reference
picker, inline errors, delete/undo, the trash, lookup, and what a Viewer may not do.
Every outcome is checked through the API."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from dashboard.models import AuditEntry
from dashboard.roles import Role

from .conftest import another_person, create, loaded
from .test_accessibility import blocking_violations

SECOND_EDITOR = "editor2"


def api_record(dashboard, record_id: str, segment: str = "contact") -> dict:
    response = dashboard.sandbox.request("GET", f"{segment}/{record_id}")
    assert response.status_code == 200, response.text
    return response.json()["default"]


def api_status(dashboard, record_id: str, segment: str = "contact") -> int:
    return dashboard.sandbox.request("GET", f"{segment}/{record_id}").status_code


def contacts_with_email(dashboard, email: str) -> list[dict]:
    query = {"select": ["email"], "filter": [{"email": {"=": email}}], "limit": 10}
    return dashboard.api_rows("contact", query)


def message(page, text: str):
    return page.locator("#messages").get_by_role("status").filter(has_text=text)


@pytest.fixture
def second_editor_page(browser, dashboard) -> Iterator[object]:
    """Another person, also an Editor, in a browser context of their own."""
    with another_person(browser, dashboard, SECOND_EDITOR, Role.EDITOR) as page:
        yield page


def open_editor(page, dashboard, record_id: str) -> None:
    page.goto(f"{dashboard.url}/records/contact/{record_id}/edit/")
    expect(page.get_by_role("heading", name="Edit contact")).to_be_visible()


def test_two_editors_conflict_and_the_chosen_values_are_saved(editor_page, second_editor_page, dashboard, page_problems):
    mine, theirs = editor_page, second_editor_page
    page_problems.allow(r"status of 409")  # the conflict screen's status
    record_id = create(dashboard, first_name="Ada", last_name="Lovelace", title="Engineer", status="lead", score=10)
    open_editor(mine, dashboard, record_id)
    open_editor(theirs, dashboard, record_id)

    theirs.get_by_label("Score").fill("20")
    theirs.get_by_label("Status").select_option(label="Customer")
    theirs.get_by_label("Job title").fill("CTO")
    theirs.get_by_label("Last name").fill("L.")
    theirs.get_by_role("button", name="Save").click()
    expect(message(theirs, "Saved.")).to_be_visible()

    mine.get_by_label("Score").fill("30")
    mine.get_by_label("Status").select_option(label="Churned")
    mine.get_by_label("Job title").fill("Architect")
    mine.get_by_label("First name").fill("Ada L.")
    mine.get_by_role("button", name="Save").click()

    expect(mine.get_by_role("heading", name="Someone changed this contact while you were editing")).to_be_visible()
    rows = mine.locator("tr[data-conflict]")
    expect(rows).to_have_count(3)
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.conflict)") == ["title", "status", "score"]
    # Columns: when you opened it, now on the server, yours.
    for slug, values in {
        "title": ("Engineer", "CTO", "Architect"),
        "status": ("Lead", "Customer", "Churned"),
        "score": ("10", "20", "30"),
    }.items():
        expect(mine.locator(f"tr[data-conflict={slug}] td").nth(0)).to_contain_text(values[0])
        expect(mine.locator(f"tr[data-conflict={slug}] td").nth(1)).to_contain_text(values[1])
        expect(mine.locator(f"tr[data-conflict={slug}] td").nth(2)).to_contain_text(values[2])
    # Who made the other change, and when (the audit trail knows).
    other = AuditEntry.objects.get(username=SECOND_EDITOR, record_id=record_id, action=AuditEntry.Action.UPDATE)
    expect(mine.get_by_role("status").filter(has_text="saved a change")).to_contain_text(
        f"{SECOND_EDITOR} saved a change at {other.created_at:%H:%M:%S} UTC."
    )
    expect(mine.get_by_text("Your changes to First name will be kept")).to_be_visible()
    expect(mine.get_by_text("Their changes to Last name are kept too")).to_be_visible()
    assert api_record(dashboard, record_id)["title"] == "CTO"  # nothing overwritten yet

    assert blocking_violations(mine) == [], "conflict screen"

    title, status, score = (mine.locator(f"tr[data-conflict={s}]") for s in ("title", "status", "score"))
    expect(score.get_by_role("radio", name="Mine")).to_be_checked()  # the default
    status.get_by_role("radio", name="Theirs").check()
    # Typing another value picks "Another value" for that property.
    title.get_by_label("New value for Job title").fill("Chief")
    expect(title.get_by_role("radio", name="Another value")).to_be_checked()
    mine.get_by_role("button", name="Save these values").click()

    expect(message(mine, "Saved.")).to_be_visible()
    expect(mine).to_have_url(f"{dashboard.url}/records/contact/{record_id}/")
    saved = api_record(dashboard, record_id)
    assert {k: saved[k] for k in ("first_name", "last_name", "title", "status", "score")} == {
        "first_name": "Ada L.",  # mine, nobody else changed it
        "last_name": "L.",  # theirs, kept
        "title": "Chief",  # another value
        "status": "customer",  # theirs
        "score": 30,  # mine
    }


def test_create_a_contact_with_the_reference_picker(editor_page, dashboard):
    page = editor_page
    create(dashboard, "organization", name="Zyxquor Labs")
    east = create(dashboard, "organization", name="Zyxquor Labs East")
    page.goto(f"{dashboard.url}/records/contact/")
    page.get_by_role("link", name="New contact").click()
    expect(page.get_by_role("heading", name="New contact")).to_be_visible()
    loaded(page)  # the reference picker asks for suggestions through htmx
    page.get_by_label("First name").fill("Piper")
    page.get_by_label("Email").fill("piper@zyxquor.example")

    search = page.get_by_role("combobox", name="Organization")
    with page.expect_response(lambda r: "/records/organization/options/" in r.url and "zyxq" in r.url.lower()):
        search.press_sequentially("zyxq")
    options = page.locator("li[data-reference-option]")
    expect(options).to_have_text(["Zyxquor Labs", "Zyxquor Labs East"])
    expect(search).to_have_attribute("aria-expanded", "true")
    options.filter(has_text="East").click()
    expect(search).to_have_value("Zyxquor Labs East")
    expect(search).to_have_attribute("aria-expanded", "false")
    expect(options).to_have_count(0)

    page.get_by_role("button", name="Create").click()
    expect(message(page, "Created the contact.")).to_be_visible()
    record_id = re.search(r"/records/contact/([0-9a-f-]{36})/$", page.url).group(1)
    saved = api_record(dashboard, record_id)
    assert (saved["first_name"], saved["email"], saved["organization"]["id"]) == ("Piper", "piper@zyxquor.example", east)
    expect(page.get_by_role("link", name="Zyxquor Labs East")).to_be_visible()


def test_an_invalid_email_is_shown_next_to_the_field_and_nothing_is_created(editor_page, dashboard, page_problems):
    page = editor_page
    page_problems.allow(r"status of 422")  # the form with errors
    before = dashboard.sandbox.request("GET", "contact/count").json()["total"]
    create(dashboard, "organization", name="Bobbin Works")
    page.goto(f"{dashboard.url}/records/contact/new/")
    page.get_by_label("First name").fill("Bo")
    page.get_by_label("Email").fill("not-an-email")
    organization = page.get_by_role("combobox", name="Organization")
    organization.fill("Bobbin")
    page.locator("li[data-reference-option]", has_text="Bobbin Works").click()
    page.get_by_role("button", name="Create").click()

    email = page.get_by_label("Email")
    field = page.locator(".form-field").filter(has=email)
    expect(field.get_by_role("alert")).to_have_text("Enter a valid email address.")
    expect(page.get_by_role("alert")).to_have_count(1)
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("Enter a valid email address.")
    expect(email).to_have_value("not-an-email")
    expect(page.get_by_label("First name")).to_have_value("Bo")
    expect(organization).to_have_value("Bobbin Works")  # the pick is kept, shown by name
    assert dashboard.sandbox.request("GET", "contact/count").json()["total"] == before


def test_the_edit_form_passes_axe(editor_page, dashboard, page_problems):
    page = editor_page
    page_problems.allow(r"status of 422")  # the form with errors
    org = create(dashboard, "organization", name="Axe Tools")
    record_id = create(dashboard, first_name="Ida", email="ida@example.com", organization=org, tags=["vip"], is_vip=True)
    open_editor(page, dashboard, record_id)
    expect(page.get_by_role("combobox", name="Organization")).to_have_value("Axe Tools")
    found = {"form": blocking_violations(page)}
    page.get_by_label("Email").fill("broken")
    page.get_by_role("combobox", name="Organization").fill("No such organization")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_have_count(2)
    found["errors"] = blocking_violations(page)
    assert found == {"form": [], "errors": []}


def test_delete_then_undo(editor_page, dashboard):
    page = editor_page
    record_id = create(dashboard, first_name="Undine")
    page.goto(f"{dashboard.url}/records/contact/{record_id}/")
    page.get_by_role("button", name="Delete").click()

    expect(message(page, "Moved “Undine” to the trash.")).to_be_visible()
    expect(page).to_have_url(f"{dashboard.url}/records/contact/")
    assert api_status(dashboard, record_id) == 404
    message(page, "to the trash").get_by_role("button", name="Undo").click()

    expect(message(page, "Restored “Undine”.")).to_be_visible()
    expect(page).to_have_url(f"{dashboard.url}/records/contact/{record_id}/")
    expect(page.get_by_text("In the trash")).to_have_count(0)
    assert api_record(dashboard, record_id)["first_name"] == "Undine"


def test_restore_from_the_trash(editor_page, dashboard):
    page = editor_page
    record_id = create(dashboard, first_name="Trashy")
    assert dashboard.sandbox.request("DELETE", f"contact/{record_id}").status_code in (200, 204)
    page.goto(f"{dashboard.url}/records/contact/")
    expect(page.get_by_role("link", name="Trashy", exact=True)).to_have_count(0)
    with page.expect_response(lambda r: "trash=1" in r.url and r.request.headers.get("hx-request") == "true"):
        page.get_by_label("Trash", exact=True).check()
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name="Trashy", exact=True)).to_be_visible()

    page.get_by_role("button", name="Restore Trashy").click()
    expect(message(page, "Restored “Trashy”.")).to_be_visible()
    assert api_record(dashboard, record_id)["first_name"] == "Trashy"
    # Back on the trash table, now empty.
    expect(page.get_by_label("Trash", exact=True)).to_be_checked()
    expect(page.get_by_role("button", name="Restore Trashy")).to_have_count(0)
    expect(page.locator("#results tbody")).to_contain_text("The trash is empty")


def test_look_up_by_email(editor_page, dashboard):
    page = editor_page
    record_id = create(dashboard, first_name="Luke", email="luke@lookup.example")
    page.goto(f"{dashboard.url}/")
    page.get_by_role("navigation", name="Object types and saved views").get_by_role("link", name="Look up a record").click()
    expect(page.get_by_role("heading", name="Look up a record")).to_be_visible()
    expect(page.get_by_role("combobox", name=re.compile(r"^Type\b"))).to_have_value("contact")
    expect(page.get_by_role("combobox", name=re.compile(r"^Property\b"))).to_have_value("email")
    page.get_by_label("Value").fill("luke@lookup.example")
    page.get_by_role("button", name="Find").click()
    expect(page).to_have_url(f"{dashboard.url}/records/contact/{record_id}/")
    expect(page.get_by_role("heading", name="Luke", exact=True)).to_be_visible()

    page.goto(f"{dashboard.url}/lookup/")
    page.get_by_label("Value").fill("nobody@lookup.example")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", name="No contact has email = “nobody@lookup.example”")).to_be_visible()
    assert contacts_with_email(dashboard, "nobody@lookup.example") == []
    page.get_by_role("button", name="Create a contact with this email").click()

    expect(page.get_by_role("heading", name="Edit contact")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("nobody@lookup.example")
    created = contacts_with_email(dashboard, "nobody@lookup.example")
    assert len(created) == 1
    expect(page).to_have_url(f"{dashboard.url}/records/contact/{created[0]['id']}/edit/")


def test_a_viewer_cannot_edit(page, dashboard, page_problems):
    record_id = create(dashboard, first_name="Vera")
    page.goto(f"{dashboard.url}/records/contact/{record_id}/")
    expect(page.get_by_role("heading", name="Vera", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Properties")).to_be_visible()
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)

    page_problems.allow(r"status of 403")  # Chromium logs the refused document load
    response = page.goto(f"{dashboard.url}/records/contact/{record_id}/edit/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text("Your role in the dashboard does not allow this.")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_count(0)
    assert api_record(dashboard, record_id)["first_name"] == "Vera"
