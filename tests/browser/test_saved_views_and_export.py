"""Saving a table as a view and opening it again; exporting the table as CSV."""

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import expect

from .tables import expect_ids, header, header_labels, query_params

STATE = (
    "cols=first_name,status,score,organization.name&sort=-score,first_name&size=10"
    "&combinator=OR&f0=status&o0=%3D&v0=churned&f1=score&o1=%3E%3D&v1=90"
)
FILTERS = [{"status": {"=": "churned"}}, {"score": {">=": "90"}}]


def ids(rows):
    return [r["id"] for r in rows]


def table_controls(page) -> dict:
    """What the controls and the table say about the state."""
    rows = page.locator("#filter-rows .filter-row")
    return {
        "columns": header_labels(page),
        "sort": {label: header(page, label).get_attribute("aria-sort") for label in ("Score", "First name")},
        "size": page.get_by_label("Rows per page").input_value(),
        "combinator": page.get_by_label("Show records matching").input_value(),
        "filters": [
            [rows.nth(i).locator("select, input:not([type=hidden])").nth(k).input_value() for k in range(3)] for i in range(rows.count())
        ],
        "checked": page.locator(".columns-picker input[type=checkbox]:checked").evaluate_all("els => els.map(e => e.value)"),
    }


def test_save_a_view_and_reopen_it_from_the_sidebar(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?{STATE}")
    expected = dashboard.api_rows(
        "contact",
        {"select": [], "filter": FILTERS, "combinator": "OR", "sort": [{"score": "desc"}, {"first_name": "asc"}], "limit": 50},
    )
    expect_ids(page, ids(expected)[:10])
    before = table_controls(page)
    assert before["columns"] == ["First name", "Status", "Score", "Organization › Name"]
    assert before["sort"] == {"Score": "descending", "First name": "ascending"}
    assert before["filters"] == [["status", "=", "churned"], ["score", ">=", "90"]]
    assert (before["size"], before["combinator"]) == ("10", "OR")

    page.get_by_label("View name").fill("Churned or high score")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("status").filter(has_text="Saved the view “Churned or high score”")).to_be_visible()
    sidebar = page.get_by_role("navigation", name="Object types and saved views")
    expect(sidebar.get_by_role("link", name="Churned or high score")).to_be_visible()

    # Elsewhere, then back through the sidebar.
    sidebar.get_by_role("link", name="Deals").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Deals")
    sidebar.get_by_role("link", name="Churned or high score").click()
    page.wait_for_url(re.compile(r"/records/contact/\?.*view=\d+"))

    expect_ids(page, ids(expected)[:10])
    assert table_controls(page) == before
    assert "cursor" not in query_params(page)
    expect(page.get_by_label("Name of “Churned or high score”")).to_have_value("Churned or high score")


def test_a_view_saved_on_a_later_page_starts_at_the_first(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name&sort=first_name")
    page.get_by_role("link", name="Next →").click()
    expect(page.locator(".table-meta")).to_contain_text("Page 2")
    page.get_by_label("View name").fill("By first name")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("status").filter(has_text="Saved the view")).to_be_visible()
    expect(page.locator(".table-meta")).to_contain_text("Page 1")
    expected = dashboard.api_rows("contact", {"select": [], "sort": [{"first_name": "asc"}], "limit": 25})[:25]
    expect_ids(page, ids(expected))


def test_export_csv_has_every_matching_row(page, dashboard):
    # More rows than one API page (50) and one table page, in the table's sort.
    page.goto(
        f"{dashboard.url}/records/contact/?cols=first_name,score,organization.name,tags&sort=-score&f0=status&o0=in&v0=lead&v0=customer"
    )
    expected = dashboard.api_rows(
        "contact",
        {
            "select": ["first_name", "last_name", "score", "organization.name", "tags"],
            "filter": [{"status": {"in": ["lead", "customer"]}}],
            "sort": [{"score": "desc"}],
            "limit": 50,
        },
    )
    assert len(expected) > 50

    with page.expect_download() as download_info:
        page.locator("a[data-export]").click()
    download = download_info.value
    assert download.suggested_filename == "contact-export.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))

    # The title's parts first (the table's first column), then the table's columns.
    assert rows[0] == ["id", "First name", "Last name", "Score", "Organization › Name", "Tags"]
    want = []
    for r in expected:
        props = r["properties"]
        org = (props.get("organization") or {}).get("properties", {}).get("name", "")
        want.append(
            [r["id"], props["first_name"], props.get("last_name") or "", str(props["score"]), org, "; ".join(props.get("tags") or [])]
        )
    assert rows[1:] == want
    # The progress bar counted every row against the total the server announced.
    bar = page.locator(".export-progress")
    expect(bar).to_have_js_property("max", len(expected))
    expect(bar).to_have_js_property("value", len(expected))
    expect(bar).to_be_hidden()
