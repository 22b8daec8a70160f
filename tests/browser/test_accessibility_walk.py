"""Every screen, walked in light and dark mode and at phone width (390 × 844): axe finds no
serious or critical violations. One walk per width, each screen checked in both colour
schemes where it stands; a failure names every page."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from dashboard.models import DirectoryEntry
from dashboard.roles import Role

from .conftest import create, role_group, sign_in
from .test_accessibility import blocking_violations, open_table_with_filters

PERSON = "c0ffee00-2222-4222-8222-0000000000aa"
GROUP = "c0ffee00-2222-4222-8222-0000000000bb"
KEYLESS = "keyless"


def sideways(page) -> list[str]:
    """A page wider than the window hides controls off to the side (tables scroll in their own region)."""
    wide, window = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    return [f"the page is {wide} px wide in a {window} px window"] if wide > window else []


class Walk:
    """The pages seen so far, each with what axe found on it."""

    def __init__(self, page) -> None:
        self.page = page
        self.found: dict[str, list[str]] = {}

    def check(self, name: str) -> None:
        assert name not in self.found, name
        self.found[name] = blocking_violations(self.page) + sideways(self.page)

    def clean(self) -> dict[str, list[str]]:
        return {name: [] for name in self.found}

    def report(self) -> str:
        return "\n".join(f"{name}: {v}" for name, found in self.found.items() for v in found)


def bulk_confirm(page, dashboard, action: str) -> None:
    """Select two deals and choose a bulk action: its confirm page."""
    page.goto(f"{dashboard.url}/records/deal/?size=10")
    page.locator("[data-row-select]").nth(0).check()
    page.locator("[data-row-select]").nth(1).check()
    expect(page.locator("[data-selection-count]")).to_have_text("2 selected")
    page.get_by_label("With the selected records").select_option(action)
    page.get_by_role("button", name="Apply to selected").click()


def walk_as_admin(walk: Walk, dashboard, tmp_path) -> None:
    page, url = walk.page, dashboard.url
    org = create(dashboard, "organization", name="Walkway Ltd")
    contact = create(
        dashboard, "contact", first_name="Wanda", last_name="Walker", title="Engineer", email="wanda@example.org", organization=org
    )
    trashed = create(dashboard, "contact", first_name="Trashed", last_name="Walker")
    assert dashboard.sandbox.request("DELETE", f"contact/{trashed}").status_code in (200, 204)
    deal = create(dashboard, "deal", name="Walk deal")
    group = DirectoryEntry.objects.create(kind="group", external_id=GROUP, name="Walkers")
    person = DirectoryEntry.objects.create(kind="user", external_id=PERSON, name="Rita Walker", user=dashboard.users[Role.ADMIN])
    person.groups.set([group])

    sign_in(page, dashboard, Role.ADMIN)
    page.goto(f"{url}/")
    expect(page.get_by_role("heading", name="Deals by stage")).to_be_visible()
    walk.check("home")

    open_table_with_filters(page, dashboard)
    expect(page.get_by_role("alert")).to_contain_text("is not a number")
    walk.check("table with filters")

    page.goto(f"{url}/records/deal/?size=10&total=1")
    expect(page.locator("#results tbody tr")).to_have_count(10)
    walk.check("deals")

    page.goto(f"{url}/records/contact/?trash=1")
    expect(page.get_by_role("button", name="Restore Trashed")).to_be_visible()
    walk.check("trash")

    page.goto(f"{url}/records/contact/{contact}/")
    expect(page.get_by_role("heading", name="Properties")).to_be_visible()
    walk.check("record")

    page.goto(f"{url}/records/contact/new/")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert")).to_have_text("Enter a valid email address.")
    page.get_by_role("combobox", name="Organization").fill("Walkway")
    expect(page.get_by_role("option", name="Walkway Ltd")).to_be_visible()
    walk.check("new record, with an error and suggestions")

    page.goto(f"{url}/records/contact/{contact}/edit/")
    expect(page.get_by_role("combobox", name="Organization")).to_have_value("Walkway Ltd")
    walk.check("editor")
    page.get_by_label("Email").fill("broken")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_have_text("Enter a valid email address.")
    walk.check("editor, with an error")

    # Someone else changes the job title between opening the editor and saving it.
    page.goto(f"{url}/records/contact/{contact}/edit/")
    page.get_by_label("Job title").fill("Architect")
    patched = dashboard.sandbox.request("PATCH", f"contact/{contact}", json={"default": {"title": "CTO"}})
    assert patched.status_code == 200, patched.text
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Someone changed this contact while you were editing")).to_be_visible()
    walk.check("conflict")

    page.goto(f"{url}/records/contact/{contact}/history/")
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.get_by_role("table")).to_be_visible()
    walk.check("history")

    page.goto(f"{url}/records/deal/{deal}/permissions/")
    expect(page.locator("[data-who-has-access]")).to_contain_text("Rita Walker")
    page.get_by_role("button", name="+ Add a person or group").click()
    expect(page.get_by_label("Name or id of entry 1")).to_be_focused()
    walk.check("permissions")

    bulk_confirm(page, dashboard, "grant")
    expect(page.get_by_role("heading", name="Apply permissions")).to_be_visible()
    walk.check("bulk: permissions")
    bulk_confirm(page, dashboard, "set")
    expect(page.get_by_role("heading", name="Set a property")).to_be_visible()
    with page.expect_response(lambda r: "/bulk/value-field/" in r.url):
        page.get_by_label("Property").select_option("stage")
    expect(page.get_by_label("New value")).to_be_visible()
    walk.check("bulk: set a property")
    page.get_by_label("New value").select_option("won")
    page.get_by_role("button", name="Set a property").click()
    expect(page.locator("[data-bulk-summary]")).to_have_text("2 succeeded, 0 failed.")
    walk.check("bulk job")

    page.goto(f"{url}/import/contact/")
    page.get_by_label("Or paste CSV text").fill("name,Name\nA,B\n")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("names the column “Name” twice")
    walk.check("import: upload, with an error")
    path = tmp_path / "few.csv"
    path.write_text("first_name,email,score,notes\nAxe,axe@example.org,1,x\nBad,nope,abc,y\n", encoding="utf-8")
    page.get_by_label("Or paste CSV text").fill("")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("td.cell-error")).to_have_count(2)
    walk.check("import: mapping and preview")
    page.get_by_role("button", name="Import 2 rows").click()
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    walk.check("import: run")

    page.goto(f"{url}/lookup/?type=contact&slug=email&value=nobody%40example.org")
    expect(page.get_by_role("heading", name=re.compile("^No contact has email"))).to_be_visible()
    walk.check("lookup")

    page.goto(f"{url}/audit/")
    expect(page.get_by_role("table")).to_be_visible()
    walk.check("audit trail")

    page.goto(f"{url}/me/")
    page.get_by_label("Your Micro API key").fill("not-a-key")
    page.get_by_role("button", name="Replace key").click()
    expect(page.get_by_role("alert")).to_contain_text("Prism did not accept this key")
    walk.check("profile, with an error")

    page.goto(f"{url}/directory/")
    expect(page.get_by_role("region", name="People")).to_contain_text("Rita Walker")
    walk.check("directory")
    page.get_by_role("link", name="Edit Rita Walker").click()
    expect(page.get_by_role("heading", name="Rita Walker")).to_be_visible()
    walk.check("directory entry")

    page.goto(f"{url}/me/")
    page.get_by_role("link", name="Change your dashboard password").click()
    page.get_by_label("Old password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("a-new-horse-battery-staple")
    page.get_by_label("New password confirmation").fill("a-new-horse-battery-staple")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_contain_text("Your old password was entered incorrectly")
    walk.check("password change, with an error")
    page.get_by_label("Old password").fill(dashboard.password)
    page.get_by_label("New password", exact=True).fill("a-new-horse-battery-staple")
    page.get_by_label("New password confirmation").fill("a-new-horse-battery-staple")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    walk.check("password changed")

    page.goto(f"{url}/records/no-such-type/")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    walk.check("404")


def walk_without_a_key(walk: Walk, dashboard) -> None:
    """A Viewer who has connected no Prism key: the page that asks for one, and a 403."""
    page, url = walk.page, dashboard.url
    user = get_user_model().objects.create_user(KEYLESS, "keyless@example.com", dashboard.password)
    user.groups.set([role_group(Role.VIEWER)])
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(KEYLESS)
    page.get_by_label("Password").fill(dashboard.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Connect your Prism key")).to_be_visible()
    walk.check("key needed")
    page.goto(f"{url}/directory/")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    walk.check("403")


@pytest.mark.parametrize("width", [1280, 390])
def test_every_screen_passes_axe(anonymous_page, dashboard, page_problems, tmp_path, width):
    page = anonymous_page
    for status in (403, 404, 409, 422):  # pages that answer with an error status on purpose
        page_problems.allow(rf"status of {status}")
    page.set_viewport_size({"width": width, "height": 844 if width < 800 else 900})
    walk = Walk(page)

    page.goto(f"{dashboard.url}/accounts/login/")
    page.get_by_label("Username").fill("viewer")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    walk.check("sign in, with an error")

    walk_as_admin(walk, dashboard, tmp_path)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Username")).to_be_visible()
    walk_without_a_key(walk, dashboard)

    assert walk.found == walk.clean(), walk.report()
