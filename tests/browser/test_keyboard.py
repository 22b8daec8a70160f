"""The main flows by keyboard alone (Tab, Shift+Tab, Enter, Space, arrows; no clicks), no
keyboard traps, and a visible focus on every kind of control. Outcomes are checked through the API."""

import re

from playwright.sync_api import expect

from dashboard.models import DirectoryEntry
from dashboard.roles import Role

from .conftest import create, in_each_scheme

RITA = "c0ffee00-3333-4333-8333-0000000000aa"
IS_FOCUSED = "el => el === document.activeElement"
# What can take focus by Tab on the page now: visible, enabled, not taken out of the order.
TABBABLE = """() => Array.from(document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]'))
  .filter(el => !el.disabled && el.tabIndex >= 0 && el.checkVisibility({visibilityProperty: true}))"""


def is_focused(locator) -> bool:
    return locator.count() == 1 and locator.evaluate(IS_FOCUSED)


def tab_to(page, target, *, backwards: bool = False, limit: int = 150) -> None:
    """Press Tab (or Shift+Tab) until `target` has the focus."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if is_focused(target):
            return
    raise AssertionError(f"{limit} presses of {key} never reached {target}")


def choose(page, select, label: str) -> None:
    """In the focused (closed) select, move with the arrow keys to the option `label`."""
    expect(select).to_be_focused()
    labels = select.evaluate("el => Array.from(el.options).map(o => o.label)")
    target = labels.index(label)
    for _ in range(len(labels)):
        at = select.evaluate("el => el.selectedIndex")
        if at == target:
            break
        page.keyboard.press("ArrowDown" if at < target else "ArrowUp")
    expect(select.locator("option:checked")).to_have_text(label)


def sign_in_by_keyboard(page, dashboard, role: Role) -> None:
    page.goto(f"{dashboard.url}/accounts/login/")
    tab_to(page, page.get_by_label("Username"))
    page.keyboard.type(role.value.lower())
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(dashboard.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_filter_open_edit_and_save_by_keyboard(anonymous_page, dashboard):
    page = anonymous_page
    record_id = create(dashboard, "contact", first_name="Kay", last_name="Board", status="customer", title="Typist")
    works = create(dashboard, "organization", name="Keyboard Works")
    create(dashboard, "contact", first_name="Kay", last_name="Lead", status="lead")
    sign_in_by_keyboard(page, dashboard, Role.EDITOR)
    page.goto(f"{dashboard.url}/records/contact/?q=Kay&cols=first_name,last_name,status")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(2)

    # Sort by a column header, twice: the new table keeps the focus on that header.
    sort = page.locator("#results thead").get_by_role("link", name="Last name")
    tab_to(page, sort)
    for order, names in (("last_name", ["Board", "Lead"]), ("-last_name", ["Lead", "Board"])):
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(f"sort={order}(&|$)"))
        expect(rows.locator("td:nth-child(4)")).to_have_text(names)
        expect(sort).to_be_focused()

    # A filter row: the new row's property select has the focus; the row is rendered
    # again by the server after each choice, and the focus stays where it was.
    add = page.get_by_role("link", name="+ Add filter")
    tab_to(page, add)
    page.keyboard.press("Enter")
    row = page.locator("#filter-rows .filter-row").last
    expect(row.locator("select")).to_be_focused()
    # Removed again: the focus goes back to "+ Add filter", not to the top of the page.
    page.keyboard.press("Tab")
    expect(row.get_by_role("button", name="Remove this filter")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#filter-rows .filter-row")).to_have_count(0)
    expect(add).to_be_focused()
    page.keyboard.press("Enter")
    prop, operator, value = row.locator('select[name^="f"]'), row.locator('select[name^="o"]'), row.locator('[name^="v"]')
    choose(page, prop, "Status")
    expect(row).to_have_attribute("data-property", "status")
    expect(prop).to_be_focused()
    page.keyboard.press("Tab")
    choose(page, operator, "is")
    expect(row).to_have_attribute("data-operator", "=")
    expect(operator).to_be_focused()
    page.keyboard.press("Tab")
    with page.expect_response(lambda r: "v1=customer" in r.url and "/filter-row/" not in r.url):  # row 1: row 0 was removed
        choose(page, value, "Customer")
    expect(page).to_have_url(re.compile(r"f1=status&o1=%3D&v1=customer"))
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Board")

    # Open the record from the table, then its editor.
    tab_to(page, page.get_by_role("link", name="Kay Board", exact=True))  # the title cell is the row's link
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Kay Board", exact=True)).to_be_visible()
    tab_to(page, page.get_by_role("link", name="Edit", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Edit contact")).to_be_visible()
    tab_to(page, page.get_by_label("Job title"))
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Keyboarder")

    # The reference picker: type, Escape closes the suggestions, arrows and Enter pick one.
    organization = page.get_by_role("combobox", name="Organization")
    options = page.locator("li[data-reference-option]")
    tab_to(page, organization)
    with page.expect_response(lambda r: "/records/organization/options/" in r.url):
        page.keyboard.type("Keyboard W")
    expect(options).to_have_text(["Keyboard Works"])
    page.keyboard.press("Escape")
    expect(options).to_have_count(0)
    expect(organization).to_have_value("Keyboard W")
    expect(organization).to_have_attribute("aria-expanded", "false")
    with page.expect_response(lambda r: "/records/organization/options/" in r.url):
        page.keyboard.type("o")
    expect(options).to_have_text(["Keyboard Works"])
    page.keyboard.press("ArrowDown")
    expect(options.first).to_be_focused()
    page.keyboard.press("Enter")
    expect(organization).to_have_value("Keyboard Works")
    expect(organization).to_be_focused()

    tab_to(page, page.get_by_role("button", name="Save"))
    page.keyboard.press("Space")
    expect(page.locator("#messages").get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    saved = dashboard.sandbox.request("GET", f"contact/{record_id}").json()["default"]
    assert (saved["first_name"], saved["title"], saved["organization"]["id"]) == ("Kay", "Keyboarder", works)


def test_grant_access_by_keyboard(anonymous_page, dashboard):
    page = anonymous_page
    deal = create(dashboard, "deal", name="Keyboard deal")
    DirectoryEntry.objects.create(kind="user", external_id=RITA, name="Rita Reviewer")
    sign_in_by_keyboard(page, dashboard, Role.ADMIN)
    page.goto(f"{dashboard.url}/records/deal/{deal}/")
    tab_to(page, page.get_by_role("navigation", name="Record sections").get_by_role("link", name="Permissions"))
    page.keyboard.press("Enter")
    expect(page.locator("[data-grant-summary]")).to_contain_text("Everyone in the team can administer")

    tab_to(page, page.get_by_label("Everyone in the team"))
    choose(page, page.get_by_label("Everyone in the team"), "Can read")
    tab_to(page, page.get_by_role("button", name="+ Add a person or group"))
    page.keyboard.press("Enter")
    expect(page.get_by_label("Name or id of entry 1")).to_be_focused()
    page.keyboard.type("Rita Reviewer")
    page.keyboard.press("Tab")
    choose(page, page.get_by_label("Access of entry 1"), "Can read and write")
    # A second entry, removed again: the focus moves to the entry before it.
    tab_to(page, page.get_by_role("button", name="+ Add a person or group"))
    page.keyboard.press("Enter")
    expect(page.get_by_label("Name or id of entry 2")).to_be_focused()
    tab_to(page, page.get_by_role("button", name="Remove entry 2"))
    page.keyboard.press("Space")
    expect(page.get_by_label("Name or id of entry 2")).to_have_count(0)
    expect(page.get_by_label("Kind of entry 1")).to_be_focused()
    # Back to the team's access, then forward to the button.
    tab_to(page, page.get_by_label("Everyone in the team"), backwards=True)
    expect(page.get_by_label("Everyone in the team")).to_have_value("r")
    tab_to(page, page.get_by_role("button", name="Save permissions"))
    page.keyboard.press("Enter")

    expect(page.locator("[data-grant-summary]")).to_have_text("Everyone in the team can read; 1 person can write.")
    stored = dashboard.sandbox.request("GET", f"deal/{deal}/grant").json()
    assert stored["user_id"] == [{RITA: "w"}]


def tab_order(page, stops: int, key: str = "Tab") -> list[str]:
    """The next `stops` elements the key moves the focus to, described. (A date input takes
    one press per part: day, month, year.)"""
    seen: list[str] = []
    for _ in range(stops * 4):
        page.keyboard.press(key)
        now = page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
        if not seen or seen[-1] != now:
            seen.append(now)
        if len(seen) == stops:
            break
    return seen


def test_no_keyboard_traps(anonymous_page, dashboard):
    """On busy pages, Tab reaches every control once before focus leaves the page, and
    Shift+Tab goes back the same way: no control holds the focus, none is skipped."""
    page = anonymous_page
    record_id = create(dashboard, "contact", first_name="Trap", email="trap@example.org")
    deal = create(dashboard, "deal", name="Trap deal")
    DirectoryEntry.objects.create(kind="user", external_id=RITA, name="Rita Reviewer")
    sign_in_by_keyboard(page, dashboard, Role.ADMIN)
    pages = {
        "table": "/records/contact/?f0=status&o0=in&v0=lead&f1=score&o1=between&v1=1&v1=9&f2=",
        "editor": f"/records/contact/{record_id}/edit/",
        "permissions": f"/records/deal/{deal}/permissions/",
        "board": "/records/deal/?layout=board&group=stage",
    }
    for name, path in pages.items():
        page.goto(f"{dashboard.url}{path}")
        expect(page.get_by_role("main")).to_be_visible()
        if name == "permissions":
            tab_to(page, page.get_by_role("button", name="+ Add a person or group"))
            page.keyboard.press("Enter")
        expected = page.evaluate(f"() => ({TABBABLE})().map(e => e.outerHTML.slice(0, 120))")
        page.locator(".skip-link").focus()  # the first stop: Tab goes on from here
        assert tab_order(page, len(expected) - 1) == expected[1:], name
        assert tab_order(page, len(expected) - 1, "Shift+Tab") == expected[-2::-1], name


RING = "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }"


def focus_ring(control) -> bool:
    """Whether the focused control draws an outline or a box shadow."""
    outline_style, outline_width, shadow = control.evaluate(RING)
    return (outline_style != "none" and outline_width not in ("0px", "")) or shadow != "none"


def unringed(page, control) -> dict[str, str]:
    """The colour schemes in which the focused control draws no ring, with its style there."""
    found = {}
    for scheme in in_each_scheme(page):
        if not focus_ring(control):
            found[scheme] = control.evaluate(RING)
    return found


def test_focus_is_visible_on_every_kind_of_control(anonymous_page, dashboard):
    page = anonymous_page
    sign_in_by_keyboard(page, dashboard, Role.EDITOR)
    page.goto(f"{dashboard.url}/records/contact/?f0=status&o0=%3D&v0=lead&f1=first_name&o1=contains&v1=a")
    expect(page.locator("#results tbody tr").first).to_be_visible()
    controls = {  # in the order Tab reaches them
        "link": page.get_by_role("link", name="New contact"),
        "search box": page.get_by_label(re.compile("^Search contacts")),
        "select": page.get_by_label("Rows per page"),
        "checkbox": page.get_by_label("Show total"),
        "text input": page.get_by_label("Filter 2 value"),
        "summary": page.get_by_text("Columns", exact=True),
        "button": page.get_by_role("button", name="Apply to selected"),
        "table link": page.locator("#results th a").first,
    }
    unseen = {}
    for name, control in controls.items():
        tab_to(page, control)
        if missing := unringed(page, control):
            unseen[name] = missing

    # A suggestion of the reference picker, reached with the down arrow.
    create(dashboard, "organization", name="Ringside Ltd")
    page.goto(f"{dashboard.url}/records/contact/new/")
    tab_to(page, page.get_by_role("combobox", name="Organization"))
    page.keyboard.type("Ringside")
    option = page.locator("li[data-reference-option]").first
    expect(option).to_have_text("Ringside Ltd")
    page.keyboard.press("ArrowDown")
    expect(option).to_be_focused()
    if missing := unringed(page, option):
        unseen["suggestion"] = missing
    assert unseen == {}


def test_shortcuts_move_through_rows_open_edit_search_and_list_themselves(anonymous_page, dashboard):
    page = anonymous_page
    for last in ("Alpha", "Bravo", "Charlie"):
        create(dashboard, "contact", first_name="Short", last_name=last)
    sign_in_by_keyboard(page, dashboard, Role.EDITOR)
    page.goto(f"{dashboard.url}/records/contact/?q=Short&sort=last_name&cols=first_name,last_name")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(3)

    # j/k and the arrows move a visible focus through the rows, and stop at the ends.
    for key, at in (("j", 0), ("j", 1), ("j", 2), ("j", 2), ("k", 1), ("ArrowUp", 0), ("ArrowUp", 0), ("ArrowDown", 1)):
        page.keyboard.press(key)
        expect(rows.nth(at)).to_be_focused()
    assert focus_ring(rows.nth(1))

    # e asks the inline editor (another part of the page) to edit the focused row's cell:
    # its first editable one opens its input; Escape puts it back, the focus on that cell.
    page.keyboard.press("e")
    expect(page.get_by_label("First name of Short")).to_be_focused()
    expect(page.get_by_label("First name of Short")).to_have_value("Short")
    page.keyboard.press("Escape")
    first_name = rows.nth(1).locator("td[data-edit-url]").first
    expect(first_name).to_be_focused()
    expect(first_name).to_have_text("Short")

    # / goes to the table's search, its text selected to type over; while typing there no shortcut fires.
    page.keyboard.press("/")
    search = page.get_by_label(re.compile("^Search contacts"))
    expect(search).to_be_focused()
    with page.expect_response(lambda r: "q=Sjk%3Fe%2F" in r.url):
        page.keyboard.type("Sjk?e/")
    expect(search).to_have_value("Sjk?e/")
    expect(search).to_be_focused()
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
    expect(rows).to_have_text([re.compile("No contacts match")])  # a list: waits for the one row (one text on many rows fails at once)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Short")
    expect(rows).to_have_count(3)

    # ? lists every shortcut in a dialog; Escape closes it and the focus goes back.
    opener = page.locator("#results").get_by_role("link", name="Last name")
    opener.focus()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Next row of a table")
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    page.keyboard.press("j")  # the dialog holds the keyboard: no row moves behind it
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    # The header's button opens it too.
    button = page.get_by_role("button", name="Keyboard shortcuts")
    button.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(button).to_be_focused()
    # The dialog's close event comes a task after it closes: a focus moved in between (a
    # quick Ctrl+K after Escape) is not taken back.
    button.click()
    expect(dialog).to_be_visible()
    page.evaluate(
        """() => new Promise((done) => {
            const dialog = document.getElementById("shortcuts-dialog");
            dialog.addEventListener("close", () => setTimeout(done, 0), { once: true });
            dialog.close();
            document.getElementById("global-search").focus();
        })"""
    )
    expect(page.get_by_label("Search all records")).to_be_focused()
    button.focus()

    # Ctrl/⌘+K goes to the header's global search, from a field too (tests/browser/test_search_and_related.py
    # walks the search itself by keyboard).
    page.keyboard.press("ControlOrMeta+k")
    expect(page.get_by_label("Search all records")).to_be_focused()
    search.focus()
    page.keyboard.press("ControlOrMeta+k")
    expect(page.get_by_label("Search all records")).to_be_focused()

    # Enter opens the focused row's record.
    page.locator("main").focus()
    page.keyboard.press("j")
    expect(rows.first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Short Alpha", exact=True)).to_be_visible()  # the first row, by last name
    expect(page).to_have_url(re.compile(r"/records/contact/[0-9a-f-]{36}/$"))
