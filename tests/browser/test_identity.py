"""People act as themselves, in Chromium, with two people signed in at once.

Ana (Admin, Prism member in the group Board) and Ben (Editor, Prism member) each have a
Micro key of their own. A deal only the Board may see stays out of every place Ben's
pages read from, until Ana grants him access in the Permissions tab; then he reads it
(read-only), then changes it (write), then loses it again. Every check on Ben's side
would fail if both people's calls went out with one key.
"""

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from dashboard.models import DirectoryEntry
from dashboard.roles import Role
from tests.conftest import connect_key

from .conftest import PageProblems, loaded, new_page, sign_in
from .tables import ROW_LINKS

ANA = "a0a0a0a0-0000-4000-8000-00000000000a"  # Prism user ids
BEN = "b0b0b0b0-0000-4000-8000-00000000000b"
BOARD = "c0c0c0c0-0000-4000-8000-0000000000c0"  # a team group
DEAL_NAME = "Board-only merger"
ACTION_TITLE = "Prepare the board pack"
BOARD_ONLY = {"team_id": {}, "user_id": [], "team_group_id": [{BOARD: "a"}]}


@pytest.fixture
def second_context(browser) -> Iterator[object]:
    """A browser context of its own for the second person (signed in by the test)."""
    problems = PageProblems()
    page = new_page(browser, problems)
    yield page
    page.context.close()
    assert problems.unexpected() == [], "The second person's page logged errors"


def api_deal_count(dashboard, key: str) -> int:
    response = dashboard.sandbox.request("GET", "deal/count", key=key)
    assert response.status_code == 200, response.text
    return response.json()["total"]


def deal_link(page, deal: str):
    """The deal's link in the table (its title cell)."""
    return page.locator(f'#results tbody a[href="/records/deal/{deal}/"]')


def open_deals(page, dashboard, expected_rows: int) -> None:
    """The whole deals table on one page, waiting until it shows `expected_rows` rows."""
    page.goto(f"{dashboard.url}/records/deal/?size=50")
    expect(page.locator(ROW_LINKS)).to_have_count(expected_rows)


def exported_csv(page) -> str:
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    return open(info.value.path(), encoding="utf-8").read()


def grant_row_index(page, name: str) -> str:
    """The index N of the grant editor's row naming `name` ("Name or id of entry N")."""
    who = page.locator(f'#grant-rows input[data-grant-who][value="{name}"]')
    expect(who).to_have_count(1)
    return who.get_attribute("id").removeprefix("who-")


def save_permissions(page, summary: str) -> None:
    page.get_by_role("button", name="Save permissions").click()
    expect(page.locator("#messages")).to_contain_text(f"Permissions saved: {summary}.")
    expect(page.locator("[data-grant-summary]")).to_have_text(f"{summary}.")


def setup_two_people(dashboard) -> tuple[str, int]:
    """Ana and Ben with Prism ids, keys of their own and directory entries; a deal only
    the Board (Ana's group) may see, and an action open to the team that references it.
    Returns the deal's id and how many deals Ana's key reads."""
    sandbox = dashboard.sandbox
    ana, ben = dashboard.users[Role.ADMIN], dashboard.users[Role.EDITOR]
    ana_key, ben_key = sandbox.make_key(user_id=ANA, group_ids=[BOARD]), sandbox.make_key(user_id=BEN)
    connect_key(ana, ana_key)  # replaces the team key the fixture connected
    connect_key(ben, ben_key)
    board = DirectoryEntry.objects.create(kind="group", external_id=BOARD, name="Board")
    DirectoryEntry.objects.create(kind="user", external_id=ANA, name="Ana", user=ana).groups.set([board])
    DirectoryEntry.objects.create(kind="user", external_id=BEN, name="Ben", user=ben)
    created = sandbox.request("POST", "deal", json={"default": {"name": DEAL_NAME, "amount": 5, "stage": "proposal"}})
    assert created.status_code == 201, created.text
    deal = created.json()["id"]
    assert sandbox.request("PUT", f"deal/{deal}/grant", json=BOARD_ONLY).status_code == 200
    action = sandbox.request("POST", "action", json={"default": {"title": ACTION_TITLE, "deal": deal}})
    assert action.status_code == 201, action.text
    # As the API sees it: Ana's key reads the deal, Ben's does not (nor do they read the
    # seeded demo deals granted to the demo people).
    assert sandbox.request("GET", f"deal/{deal}", key=ana_key).status_code == 200
    assert sandbox.request("GET", f"deal/{deal}", key=ben_key).status_code == 404
    ana_total = api_deal_count(dashboard, ana_key)
    assert api_deal_count(dashboard, ben_key) == ana_total - 1
    assert ana_total <= 50  # every deal fits on one table page
    return deal, ana_total


def test_two_people_each_act_with_their_own_key(anonymous_page, second_context, dashboard, page_problems):
    ana_page, ben_page = anonymous_page, second_context
    sandbox = dashboard.sandbox
    page_problems.allow(r"status of 40[34]")  # Chromium logs the refused/not-found document loads

    deal, total = setup_two_people(dashboard)

    sign_in(ana_page, dashboard, Role.ADMIN)
    sign_in(ben_page, dashboard, Role.EDITOR)

    # Ana changes the deal (an audit entry for history and latest changes).
    ana_page.goto(f"{dashboard.url}/records/deal/{deal}/edit/")
    ana_page.get_by_label("Amount").fill("7")
    ana_page.get_by_role("button", name="Save").click()
    expect(ana_page.locator("#messages")).to_contain_text("Saved.")
    assert sandbox.request("GET", f"deal/{deal}").json()["default"]["amount"] == 7

    # --- Before any grant: the deal is nowhere in Ben's pages, and everywhere in Ana's.
    deal_href = f'a[href="/records/deal/{deal}/"]'
    deal_count = '.count-card a[href="/records/deal/"] .count'
    ana_page.goto(f"{dashboard.url}/")
    expect(ana_page.locator(deal_count)).to_have_text(str(total))
    expect(ana_page.locator(f"section[aria-labelledby=changes-heading] {deal_href}")).to_have_text(DEAL_NAME)
    ben_page.goto(f"{dashboard.url}/")
    expect(ben_page.locator(deal_count)).to_have_text(str(total - 1))  # one less than Ana's
    expect(ben_page.locator(f"section[aria-labelledby=changes-heading] {deal_href}")).to_have_count(0)
    expect(ben_page.locator("main")).not_to_contain_text(DEAL_NAME)

    # The deals table.
    open_deals(ana_page, dashboard, total)
    expect(deal_link(ana_page, deal)).to_have_count(1)
    open_deals(ben_page, dashboard, total - 1)
    expect(deal_link(ben_page, deal)).to_have_count(0)

    # The quick search.
    with ben_page.expect_response(lambda r: "q=Board-only" in r.url and r.request.headers.get("hx-request") == "true"):
        ben_page.get_by_label("Search deals").fill("Board-only")
    expect(ben_page.locator("#results tbody")).to_contain_text("No deals match these filters.")
    expect(deal_link(ben_page, deal)).to_have_count(0)
    with ana_page.expect_response(lambda r: "q=Board-only" in r.url and r.request.headers.get("hx-request") == "true"):
        ana_page.get_by_label("Search deals").fill("Board-only")
    expect(ana_page.locator(ROW_LINKS)).to_have_count(1)
    expect(deal_link(ana_page, deal)).to_have_count(1)

    # CSV export of the whole table.
    open_deals(ben_page, dashboard, total - 1)
    ben_csv = exported_csv(ben_page)
    assert DEAL_NAME not in ben_csv and deal not in ben_csv
    assert len(ben_csv.strip().splitlines()) == 1 + total - 1  # header + each deal Ben may read
    open_deals(ana_page, dashboard, total)
    assert DEAL_NAME in exported_csv(ana_page)

    # Lookup by name.
    lookup = f"{dashboard.url}/lookup/?type=deal&slug=name&value={DEAL_NAME}"
    ben_page.goto(lookup)
    expect(ben_page.get_by_role("heading", name=f"No deal has name = “{DEAL_NAME}”")).to_be_visible()
    assert f"/records/deal/{deal}/" not in ben_page.url
    ana_page.goto(lookup)
    expect(ana_page).to_have_url(f"{dashboard.url}/records/deal/{deal}/")

    # History and the record itself: not found for Ben.
    response = ben_page.goto(f"{dashboard.url}/records/deal/{deal}/history/")
    assert response.status == 404
    expect(ben_page.get_by_role("alert")).to_contain_text("That record does not exist, or it was deleted.")
    assert ben_page.goto(f"{dashboard.url}/records/deal/{deal}/").status == 404
    ana_page.goto(f"{dashboard.url}/records/deal/{deal}/history/")
    expect(ana_page.get_by_role("heading", name="History")).to_be_visible()

    # The reference picker on another record: the deal is no suggestion for Ben.
    ben_page.goto(f"{dashboard.url}/records/action/new/")
    with ben_page.expect_response(lambda r: "/records/deal/options/" in r.url):
        ben_page.get_by_role("combobox", name="Deal").press_sequentially("Board-only")
    expect(ben_page.get_by_role("option", name="No matches for “Board-only”")).to_be_visible()
    expect(ben_page.locator("li[data-reference-option]")).to_have_count(0)
    ana_page.goto(f"{dashboard.url}/records/action/new/")
    with ana_page.expect_response(lambda r: "/records/deal/options/" in r.url):
        ana_page.get_by_role("combobox", name="Deal").press_sequentially("Board-only")
    expect(ana_page.locator("li[data-reference-option]")).to_have_text([DEAL_NAME])

    # A reference column on another record: Ben reads the action, not its deal's name.
    actions = f"{dashboard.url}/records/action/?cols=title,deal.name&q={ACTION_TITLE}"
    ana_page.goto(actions)
    expect(ana_page.locator("#results tbody")).to_contain_text(DEAL_NAME)
    ben_page.goto(actions)
    expect(ben_page.locator(ROW_LINKS)).to_have_count(1)
    expect(ben_page.locator("#results tbody")).not_to_contain_text(DEAL_NAME)
    ben_page.locator(ROW_LINKS).click()
    expect(ben_page.get_by_role("heading", name=ACTION_TITLE, exact=True)).to_be_visible()
    expect(ben_page.locator("main")).not_to_contain_text(DEAL_NAME)

    # --- Ana grants Ben read access in the Permissions tab.
    ana_page.goto(f"{dashboard.url}/records/deal/{deal}/")
    ana_page.get_by_role("link", name="Permissions").click()
    expect(ana_page.locator("[data-grant-summary]")).to_have_text("Only the people and groups below have access; 1 group administers.")
    loaded(ana_page)  # "+ Add a person or group" is app.js's
    ana_page.get_by_role("button", name="+ Add a person or group").click()
    ana_page.get_by_label("Name or id of entry 2").fill("Ben")
    ana_page.get_by_label("Access of entry 2").select_option("r")
    save_permissions(ana_page, "Only the people and groups below have access; 1 person can read; 1 group administers")
    assert sandbox.request("GET", f"deal/{deal}/grant").json() == {
        "team_id": {},
        "user_id": [{BEN: "r"}],
        "team_group_id": [{BOARD: "a"}],
    }
    who = ana_page.locator("[data-who-has-access]")
    expect(who.locator('tr[data-person="Ben"][data-level="r"]')).to_have_count(1)
    expect(who.locator('tr[data-person="Ben"] td').nth(2)).to_have_text("Directly")
    expect(who.locator('tr[data-person="Ana"][data-level="a"] td').nth(2)).to_have_text("Through group Board")

    # Ben reloads: the deal is in his table, read-only, said in one sentence.
    ben_page.goto(f"{dashboard.url}/records/deal/?size=50")
    expect(deal_link(ben_page, deal)).to_have_count(1)
    expect(ben_page.locator(ROW_LINKS)).to_have_count(total)
    deal_link(ben_page, deal).click()
    expect(ben_page.get_by_role("heading", name=DEAL_NAME, exact=True)).to_be_visible()
    expect(ben_page.locator("[data-read-only]")).to_have_text(
        "You can read this deal but not change it: Prism gives you read access (directly)."
    )
    expect(ben_page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(ben_page.get_by_role("button", name="Delete")).to_have_count(0)
    # A write sent anyway is refused by the API for his key, with what he typed kept.
    ben_page.goto(f"{dashboard.url}/records/deal/{deal}/edit/")
    ben_page.get_by_label("Name").fill("Renamed while read-only")
    ben_page.get_by_role("button", name="Save").click()
    expect(ben_page.get_by_role("alert").filter(has_text="you can see this record but not change it")).to_be_visible()
    expect(ben_page.get_by_label("Name")).to_have_value("Renamed while read-only")
    assert sandbox.request("GET", f"deal/{deal}").json()["default"]["name"] == DEAL_NAME

    # --- Ana gives Ben write access; Ben renames the deal.
    ana_page.get_by_label(f"Access of entry {grant_row_index(ana_page, 'Ben')}").select_option("w")
    save_permissions(ana_page, "Only the people and groups below have access; 1 person can write; 1 group administers")
    expect(ana_page.locator('[data-who-has-access] tr[data-person="Ben"][data-level="w"]')).to_have_count(1)

    ben_page.goto(f"{dashboard.url}/records/deal/{deal}/")
    expect(ben_page.get_by_role("heading", name=DEAL_NAME, exact=True)).to_be_visible()
    expect(ben_page.locator("[data-read-only]")).to_have_count(0)
    ben_page.get_by_role("link", name="Edit", exact=True).click()
    expect(ben_page.get_by_role("heading", name="Edit deal")).to_be_visible()
    ben_page.get_by_label("Name").fill("Board-only merger, renamed by Ben")
    ben_page.get_by_role("button", name="Save").click()
    expect(ben_page.locator("#messages")).to_contain_text("Saved.")
    expect(ben_page).to_have_url(f"{dashboard.url}/records/deal/{deal}/")
    assert sandbox.request("GET", f"deal/{deal}").json()["default"]["name"] == "Board-only merger, renamed by Ben"

    # --- Ana removes Ben: the deal leaves his table again.
    ana_page.get_by_role("button", name=f"Remove entry {grant_row_index(ana_page, 'Ben')}").click()
    expect(ana_page.locator('#grant-rows input[data-grant-who][value="Ben"]')).to_have_count(0)
    save_permissions(ana_page, "Only the people and groups below have access; 1 group administers")
    expect(ana_page.locator('[data-who-has-access] tr[data-person="Ben"][data-level=""]')).to_have_count(1)
    assert sandbox.request("GET", f"deal/{deal}/grant").json() == BOARD_ONLY

    open_deals(ben_page, dashboard, total - 1)
    expect(deal_link(ben_page, deal)).to_have_count(0)
    assert ben_page.goto(f"{dashboard.url}/records/deal/{deal}/").status == 404
