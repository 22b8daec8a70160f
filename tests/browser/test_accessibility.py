"""axe finds no serious or critical violations, in light and dark mode."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .tables import ROW_LINKS

BLOCKING = ("serious", "critical")


def blocking_violations(page) -> list[str]:
    """Serious and critical violations; also what axe could not decide ("incomplete")
    except colour contrast, which it leaves undecided for icon-only buttons."""
    results = Axe().run(page, options={"resultTypes": ["violations", "incomplete"]}).response
    undecided = [v for v in results["incomplete"] if v["id"] != "color-contrast"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in results["violations"] + undecided
        if v["impact"] in BLOCKING
    ]


def open_table_with_filters(page, dashboard) -> None:
    # Every kind of filter row input, an error message, a related column and a sort.
    page.goto(
        f"{dashboard.url}/records/contact/?cols=first_name,status,score,tags,is_vip,organization.name,birthday"
        "&sort=-score&f0=status&o0=in&v0=lead&v0=customer&f1=score&o1=between&v1=10&v1=90"
        "&f2=is_vip&o2=%3D&v2=true&f3=score&o3=%3E&v3=abc&f4=birthday&o4=%3C&v4=2000-01-01&f5="
    )
    expect(page.locator("#results tbody tr").first).to_be_visible()
    page.get_by_text("Columns", exact=True).click()  # the picker's checkboxes, open
    page.get_by_text("API request", exact=True).click()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_home_table_and_detail_pages_pass_axe(page, dashboard, scheme):
    page.emulate_media(color_scheme=scheme)
    found = {}

    page.goto(f"{dashboard.url}/")
    expect(page.get_by_role("heading", name="Deals by stage")).to_be_visible()
    found["home"] = blocking_violations(page)

    open_table_with_filters(page, dashboard)
    expect(page.get_by_role("alert")).to_contain_text("is not a number")
    found["table"] = blocking_violations(page)

    page.locator(ROW_LINKS).first.click()
    expect(page.get_by_role("heading", name="Properties")).to_be_visible()
    found["detail"] = blocking_violations(page)

    page.goto(f"{dashboard.url}/records/deal/?size=10&total=1")
    expect(page.locator("#results tbody tr")).to_have_count(10)
    found["deals"] = blocking_violations(page)

    assert found == {"home": [], "table": [], "detail": [], "deals": []}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_sign_in_page_passes_axe(anonymous_page, dashboard, scheme):
    page = anonymous_page
    page.emulate_media(color_scheme=scheme)
    page.goto(f"{dashboard.url}/accounts/login/")
    page.get_by_label("Username").fill("viewer")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert blocking_violations(page) == []


def test_messages_and_saved_views_pass_axe(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?sort=last_name")
    page.get_by_label("View name").fill("By last name")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("status").filter(has_text="Saved the view")).to_be_visible()
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert blocking_violations(page) == [], scheme
