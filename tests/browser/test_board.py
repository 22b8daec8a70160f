"""The board in Chromium: dragging a card while another person changes the same deal (two
browser contexts), a card moved by keyboard alone, filters and a column's "Load more", a
saved board, and axe. Outcomes are checked through the API."""

import re

import pytest
from playwright.sync_api import expect

from dashboard import board
from dashboard.roles import Role

from .conftest import PageProblems, create, new_page, screenshots, sign_in
from .test_accessibility import blocking_violations
from .test_accessibility_walk import sideways
from .test_keyboard import tab_to

BOARD = "/records/deal/?layout=board&group=stage"


def column(page, label: str):
    return page.locator(".board-column").filter(has=page.get_by_role("heading", name=re.compile(f"^{label}")))


def card(page, title: str):
    return page.locator(".board-card").filter(has=page.get_by_role("link", name=title, exact=True))


def drag(page, title: str, label: str) -> None:
    # Onto the column's head: a long column's middle can lie below the window.
    card(page, title).drag_to(column(page, label), target_position={"x": 30, "y": 15})


def stage(dashboard, record_id: str):
    return dashboard.sandbox.request("GET", f"deal/{record_id}").json()["default"].get("stage")


@pytest.fixture
def other_person(browser, dashboard):
    """The Admin, in a browser context of their own."""
    problems = PageProblems()
    page = new_page(browser, problems)
    sign_in(page, dashboard, Role.ADMIN)
    yield page
    page.context.close()
    assert problems.unexpected() == [], "The other person's page logged errors"


def test_a_card_dragged_after_someone_else_changed_the_deal_goes_back_and_names_them(editor_page, other_person, dashboard, page_problems):
    page_problems.allow(r"status of 409")  # the refused move's answer
    record_id = create(dashboard, "deal", name="Tug of war", stage="prospect", amount=100)
    editor_page.goto(f"{dashboard.url}{BOARD}&q=Tug")
    expect(card(editor_page, "Tug of war")).to_be_visible()
    expect(column(editor_page, "Prospect").locator("[data-board-count]")).to_have_text("1")

    # Meanwhile the other person moves it along in the record's editor.
    other_person.goto(f"{dashboard.url}/records/deal/{record_id}/edit/")
    other_person.get_by_label("Stage").select_option(label="Proposal")
    other_person.get_by_role("button", name="Save").click()
    expect(other_person.locator("#messages").get_by_role("status").filter(has_text="Saved.")).to_be_visible()

    with editor_page.expect_response(lambda r: r.url.endswith(f"/{record_id}/move/")) as answer:
        drag(editor_page, "Tug of war", "Won")
    assert answer.value.status == 409
    # Back in its column, saying who changed it; nothing of theirs was written over.
    shown = column(editor_page, "Prospect").locator(".board-card")
    expect(shown).to_have_count(1)
    expect(shown.get_by_role("alert")).to_contain_text(re.compile(r"admin changed this deal at \d\d:\d\d:\d\d UTC, so it was not moved"))
    expect(shown.get_by_role("alert")).to_contain_text("Its stage is now “Proposal”")
    expect(column(editor_page, "Won").locator(".board-card")).to_have_count(0)
    expect(column(editor_page, "Prospect").locator("[data-board-count]")).to_have_text("1")
    assert stage(dashboard, record_id) == "proposal"

    # After a reload the card shows where it is now, and the next drag goes through.
    editor_page.reload()
    with editor_page.expect_response(lambda r: r.url.endswith(f"/{record_id}/move/")) as answer:
        drag(editor_page, "Tug of war", "Won")
    assert answer.value.status == 200
    expect(editor_page.locator("[data-board-status]")).to_have_text("Moved “Tug of war” to Won.")
    expect(column(editor_page, "Won").locator("[data-board-count]")).to_have_text("1")
    expect(column(editor_page, "Proposal").locator("[data-board-count]")).to_have_text("0")
    assert stage(dashboard, record_id) == "won"


def test_a_card_moves_by_keyboard_alone(editor_page, dashboard):
    record_id = create(dashboard, "deal", name="Keys only", stage="prospect")
    create(dashboard, "deal", name="Keys other", stage="qualified")
    editor_page.goto(f"{dashboard.url}{BOARD}&q=Keys")
    status = editor_page.locator("[data-board-status]")
    moving = card(editor_page, "Keys only")
    tab_to(editor_page, moving)

    # Picked up, moved, and cancelled: it stays where it was, and nothing is sent.
    editor_page.keyboard.press("Space")
    expect(status).to_contain_text("Picked up Keys only in Prospect")
    editor_page.keyboard.press("ArrowRight")
    expect(column(editor_page, "Qualified").locator(".board-card").first).to_be_focused()
    editor_page.keyboard.press("Escape")
    expect(status).to_have_text("Cancelled: Keys only stays in Prospect.")
    expect(column(editor_page, "Prospect").locator(".board-card")).to_have_count(1)
    expect(moving).to_be_focused()

    # Picked up again, two columns on, dropped with Space.
    editor_page.keyboard.press("Space")
    editor_page.keyboard.press("ArrowRight")
    editor_page.keyboard.press("ArrowRight")
    expect(status).to_have_text("Proposal")
    with editor_page.expect_response(lambda r: r.url.endswith(f"/{record_id}/move/")):
        editor_page.keyboard.press("Space")
    expect(status).to_have_text("Moved “Keys only” to Proposal.")
    expect(column(editor_page, "Proposal").locator(".board-card")).to_have_count(1)
    expect(moving).to_be_focused()
    assert stage(dashboard, record_id) == "proposal"

    # Arrow keys move the focus between cards; Enter opens the focused card's record.
    editor_page.keyboard.press("ArrowLeft")
    expect(card(editor_page, "Keys other")).to_be_focused()
    editor_page.keyboard.press("Enter")
    expect(editor_page.get_by_role("heading", name="Keys other")).to_be_visible()


def test_filters_load_more_and_a_saved_board(editor_page, dashboard):
    for i in range(board.BOARD_SIZE + 2):
        create(dashboard, "deal", name=f"Pile {i:02}", stage="lost", amount=i)
    create(dashboard, "deal", name="Pile won", stage="won", amount=500)
    editor_page.goto(f"{dashboard.url}/records/deal/?q=Pile&sort=name")
    editor_page.get_by_role("navigation", name="Show as").get_by_role("link", name="Board").click()
    lost = column(editor_page, "Lost")
    expect(lost.locator(".board-card")).to_have_count(board.BOARD_SIZE)
    expect(lost.locator("[data-board-count]")).to_have_text(str(board.BOARD_SIZE + 2))

    # Load more in one column: its next cards, then no more button.
    lost.get_by_role("button", name="Load more in Lost").click()
    expect(lost.locator(".board-card")).to_have_count(board.BOARD_SIZE + 2)
    expect(lost.locator(".board-card").last).to_contain_text("Pile 11")
    expect(lost.get_by_role("button", name=re.compile("Load more"))).to_have_count(0)

    # A filter from the table's filter builder narrows every column; the board stays a board.
    editor_page.get_by_label(re.compile("^Search deals")).fill("Pile won")
    expect(column(editor_page, "Won").locator(".board-card")).to_have_count(1)
    expect(lost.locator(".board-card")).to_have_count(0)
    expect(editor_page).to_have_url(re.compile(r"q=Pile(\+|%20)won.*&layout=board"))

    # Saved as a view, it opens again as a board.
    editor_page.get_by_label("View name").fill("Won piles")
    editor_page.get_by_role("button", name="Save view").click()
    expect(editor_page.get_by_role("status").filter(has_text="Saved the view")).to_be_visible()
    editor_page.goto(f"{dashboard.url}/records/deal/")
    editor_page.get_by_role("navigation", name="Object types and saved views").get_by_role("link", name="Won piles").click()
    expect(column(editor_page, "Won").locator(".board-card")).to_have_text(re.compile("Pile won"))
    expect(editor_page.get_by_role("navigation", name="Show as").get_by_role("link", name="Board")).to_have_attribute(
        "aria-current", "page"
    )


def test_the_board_passes_axe(editor_page, dashboard, page_problems):
    page_problems.allow(r"status of 409")
    record_id = create(dashboard, "deal", name="Axe deal", stage="prospect")
    editor_page.goto(f"{dashboard.url}{BOARD}")
    expect(card(editor_page, "Axe deal")).to_be_visible()
    found = {"board": blocking_violations(editor_page)}
    screenshots(editor_page, "board")
    # A card picked up by keyboard, and one refused with its message shown.
    tab_to(editor_page, card(editor_page, "Axe deal"))
    editor_page.keyboard.press("Space")
    found["picked up"] = blocking_violations(editor_page)
    editor_page.keyboard.press("Escape")
    dashboard.sandbox.request("PATCH", f"deal/{record_id}", json={"default": {"amount": 5}})
    drag(editor_page, "Axe deal", "Won")
    expect(card(editor_page, "Axe deal").get_by_role("alert")).to_contain_text("not moved")
    found["refused"] = blocking_violations(editor_page)
    editor_page.set_viewport_size({"width": 390, "height": 844})
    found["390 px"] = blocking_violations(editor_page) + sideways(editor_page)
    screenshots(editor_page, "board-narrow")
    assert found == {"board": [], "picked up": [], "refused": [], "390 px": []}
