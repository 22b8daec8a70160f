"""Screenshots of the table page in light and dark mode (kept in test-artifacts/), with layout checks."""

from playwright.sync_api import expect

from .conftest import in_each_scheme, screenshots

TABLE = (
    "/records/contact/?cols=first_name,last_name,status,tags,score,is_vip,organization.name,birthday"
    "&sort=-score&total=1&f0=status&o0=in&v0=lead&v0=customer&f1=score&o1=%3E&v1=abc"
)


def page_overflow(page) -> int:
    """How far the page is wider than the window (the table scrolls inside its own box)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def test_table_page_screenshot(page, dashboard):
    page.goto(f"{dashboard.url}{TABLE}")
    expect(page.locator("#results tbody tr")).to_have_count(25)
    expect(page.get_by_role("alert")).to_have_text("“abc” is not a number.")
    page.get_by_text("Columns", exact=True).click()
    backgrounds = {"light": "rgb(246, 247, 249)", "dark": "rgb(20, 23, 28)"}
    for scheme in in_each_scheme(page):
        assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == backgrounds[scheme], scheme
    assert page_overflow(page) <= 0
    # Sidebar beside the content, the table inside the main column.
    sidebar = page.get_by_role("navigation", name="Object types and saved views").bounding_box()
    table = page.locator("#results .table-wrap").bounding_box()
    assert sidebar["x"] + sidebar["width"] <= table["x"]
    screenshots(page, "table", full_page=True)


def test_table_page_on_a_narrow_screen(page, dashboard):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{dashboard.url}{TABLE}")
    expect(page.locator("#results tbody tr")).to_have_count(25)
    assert page_overflow(page) <= 0
    screenshots(page, "table-narrow")
