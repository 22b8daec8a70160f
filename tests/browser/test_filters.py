"""The visual filter builder: rows of property → operator → typed value, checked against the API."""

import json
import re

from playwright.sync_api import expect

from prism_sandbox import chaos

from .tables import add_filter, expect_ids, query_params

OR_FILTERS = [{"status": {"=": "churned"}}, {"score": {">=": "95"}}, {"first_name": {"begins_with": "A"}}]


def ids(rows):
    return [r["id"] for r in rows]


def test_three_row_or_filter_shows_what_the_api_returns(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name,status,score&size=50&total=1")
    add_filter(page, "Status", "is", "Churned")
    add_filter(page, "Score", "is at least", "95")
    add_filter(page, "First name", "begins with", "A")
    page.get_by_label("Show records matching").select_option(label="any filter")

    expected = dashboard.api_rows("contact", {"select": ["first_name"], "filter": OR_FILTERS, "combinator": "OR", "limit": 50})
    assert 0 < len(expected) <= 50
    every_and = dashboard.api_rows("contact", {"select": ["first_name"], "filter": OR_FILTERS, "limit": 50})
    assert len(expected) > len(every_and)  # "any" is not "all": the test tells them apart
    expect_ids(page, ids(expected))
    expect(page.locator(".table-meta")).to_contain_text(f"{len(expected)} records")

    params = query_params(page)
    assert params["combinator"] == ["OR"]
    assert [params[k] for k in ("f0", "o0", "v0", "f1", "o1", "v1", "f2", "o2", "v2")] == [
        ["status"],
        ["="],
        ["churned"],
        ["score"],
        [">="],
        ["95"],
        ["first_name"],
        ["begins_with"],
        ["A"],
    ]
    # The request the dashboard shows is the one it sent.
    page.get_by_text("API request", exact=True).click()
    # text_content, not inner_text: a table swap arriving meanwhile may have closed the panel again.
    body = json.loads(page.locator(".request-panel pre code").first.text_content())
    assert body["query"]["filter"] == OR_FILTERS and body["query"]["combinator"] == "OR"

    # Each row shown matches at least one of the three filters.
    for row in page.locator("#results tbody tr").all():
        first, status, score = [c.strip() for c in row.locator("td").all_inner_texts()[1:]]
        assert status == "Churned" or int(score) >= 95 or first.lower().startswith("a"), (first, status, score)


def test_typing_a_value_updates_the_table_without_leaving_the_field(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name,last_name&sort=last_name")
    add_filter(page, "Last name", "begins with")
    value = page.get_by_label("Filter 1 value")
    value.press_sequentially("Mi", delay=30)

    expected = dashboard.api_rows(
        "contact", {"select": ["last_name"], "filter": [{"last_name": {"begins_with": "Mi"}}], "sort": [{"last_name": "asc"}], "limit": 50}
    )
    assert 0 < len(expected) < 25
    expect_ids(page, ids(expected))
    expect(value).to_be_focused()
    expect(page).to_have_url(re.compile(r"v0=Mi(&|$)"))


def test_letters_in_a_number_filter_are_flagged_inline_and_never_sent(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name,score")
    chaos.clear_request_log()
    add_filter(page, "Score", "is any of")
    values = page.get_by_label("Filter 1 values, separated by commas")
    values.fill("5, ten")
    values.press("Tab")

    expect(page.locator("#filter-rows").get_by_role("alert")).to_have_text("“ten” is not a number.")
    expect(values).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("status").filter(has_text="left out until fixed")).to_be_visible()
    expect(page.locator("#results tbody tr")).to_have_count(25)  # the table still shows, unfiltered
    expect(page.locator("#messages .banner-error")).to_have_count(0)
    api_calls = dashboard.sandbox.logged_requests()
    assert api_calls and all(call.status < 400 for call in api_calls), api_calls

    # Fixing the value clears the flag and applies the filter.
    values.fill("5, 10")
    values.press("Tab")
    expect(page.locator("#filter-rows").get_by_role("alert")).to_have_count(0)
    expect(values).not_to_have_attribute("aria-invalid", "true")
    expected = dashboard.api_rows("contact", {"select": ["score"], "filter": [{"score": {"in": ["5", "10"]}}], "limit": 50})
    expect_ids(page, ids(expected))


def test_letters_in_a_number_filter_from_a_link_are_flagged_inline(page, dashboard):
    chaos.clear_request_log()
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name,score&f0=score&o0=%3E%3D&v0=abc&f1=status&o1=%3D&v1=lead")

    expect(page.get_by_role("alert")).to_have_text("“abc” is not a number.")
    value = page.get_by_label("Filter 1 value")
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(value).to_have_value("abc")  # shown as typed, not blanked by a number input
    expected = dashboard.api_rows("contact", {"select": ["score"], "filter": [{"status": {"=": "lead"}}], "limit": 25})[:25]
    expect_ids(page, ids(expected))  # the valid row still applies
    assert all(call.status < 400 for call in dashboard.sandbox.logged_requests())


def test_remove_a_filter_row(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name,status&f0=status&o0=%3D&v0=churned&f1=score&o1=%3E&v1=50")
    both = dashboard.api_rows("contact", {"select": [], "filter": [{"status": {"=": "churned"}}, {"score": {">": "50"}}], "limit": 50})
    expect_ids(page, ids(both))
    page.get_by_role("button", name="Remove filter 1").click()

    expected = dashboard.api_rows("contact", {"select": [], "filter": [{"score": {">": "50"}}], "limit": 25})[:25]
    expect_ids(page, ids(expected))
    assert "f0" not in query_params(page) and query_params(page)["f1"] == ["score"]


def test_a_row_added_after_many_removed_ones_still_filters(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name,status")
    for _ in range(10):  # rows are numbered on, never renumbered: the next one is f10
        page.get_by_role("link", name="+ Add filter").click()
        page.get_by_role("button", name="Remove this filter").click()
    add_filter(page, "Status", "is", "Churned")

    expected = dashboard.api_rows("contact", {"select": [], "filter": [{"status": {"=": "churned"}}], "limit": 50})
    expect_ids(page, ids(expected))
    assert query_params(page)["f10"] == ["status"]
