"""The table's state is its URL: reload, back and forward show the same rows and controls."""

import re

from playwright.sync_api import expect

from .tables import ROW_LINKS, add_filter, expect_ids, header, header_labels, shown_ids


def snapshot(page) -> dict:
    return {
        "url": page.url,
        "ids": shown_ids(page),
        "columns": header_labels(page),
        "score_sort": header(page, "Score").get_attribute("aria-sort"),
        "size": page.get_by_label("Rows per page").input_value(),
        "combinator": page.get_by_label("Show records matching").input_value(),
        "filters": page.locator("#filter-rows .filter-row select").evaluate_all("els => els.map(e => e.value)"),
        "page": page.locator(".table-meta").inner_text(),
        "search": page.locator("#quick-search").input_value(),
    }


def expect_state(page, state: dict) -> None:
    expect(page).to_have_url(state["url"])
    expect_ids(page, state["ids"])
    assert snapshot(page) == state


def test_reload_keeps_the_table_state(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name,status,score")
    page.get_by_text("Columns", exact=True).click()
    page.get_by_role("checkbox", name="Organization › Name").check()
    expect(header(page, "Organization › Name")).to_be_visible()
    header(page, "Score").get_by_role("link").click()
    expect(header(page, "Score")).to_have_attribute("aria-sort", "ascending")
    add_filter(page, "Status", "is any of")
    page.get_by_label("Filter 1 values").select_option(["lead", "customer"])
    page.get_by_label("Rows per page").select_option("10")
    expect(page).to_have_url(re.compile(r"size=10"))
    page.get_by_role("link", name="Next →").click()
    expect(page.locator(".table-meta")).to_contain_text("Page 2")
    expected = dashboard.api_rows(
        "contact",
        {"select": [], "filter": [{"status": {"in": ["lead", "customer"]}}], "sort": [{"score": "asc"}], "limit": 50},
    )
    expect_ids(page, [r["id"] for r in expected[10:20]])
    before = snapshot(page)
    assert before["columns"] == ["First name", "Status", "Score", "Organization › Name"]

    page.reload()
    expect_state(page, before)
    assert page.get_by_label("Filter 1 values").evaluate("s => [...s.selectedOptions].map(o => o.value)") == [
        "lead",
        "customer",
    ]


def test_back_and_forward_restore_each_state(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name,score,status")
    states = [snapshot(page)]

    header(page, "Score").get_by_role("link").click()  # sort
    expect(header(page, "Score")).to_have_attribute("aria-sort", "ascending")
    states.append(snapshot(page))

    page.get_by_label("Rows per page").select_option("10")  # a control of the form
    expect(page.locator("#results tbody tr")).to_have_count(10)
    states.append(snapshot(page))

    page.get_by_role("link", name="Next →").click()  # paging
    expect(page.locator(".table-meta")).to_contain_text("Page 2")
    states.append(snapshot(page))

    page.locator("#quick-search").press_sequentially("an", delay=20)  # live search, one push after a pause
    expect(page).to_have_url(re.compile(r"q=an(&|$)"))
    expected = dashboard.api_rows(
        "contact",
        {  # quick search: any searchable property contains the text
            "select": [],
            "filter": [{slug: {"contains": "an"}} for slug in ("first_name", "last_name", "email", "phone", "title")],
            "combinator": "OR",
            "sort": [{"score": "asc"}],
            "limit": 10,
        },
    )[:10]
    expect_ids(page, [r["id"] for r in expected])
    states.append(snapshot(page))
    assert len({s["url"] for s in states}) == len({tuple(s["ids"]) for s in states}) == 5

    for state in reversed(states[:-1]):
        page.go_back()
        expect_state(page, state)
    for state in states[1:]:
        page.go_forward()
        expect_state(page, state)


def test_back_from_a_record_shows_the_whole_table_page(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name,score,status")
    add_filter(page, "Status", "is", "Customer")
    header(page, "Score").get_by_role("link").click()
    expect(header(page, "Score")).to_have_attribute("aria-sort", "ascending")
    state = snapshot(page)

    page.locator(ROW_LINKS).first.click()
    expect(page.get_by_role("heading", name="Properties")).to_be_visible()
    page.go_back()

    # The full page (layout, controls, filters), not the table fragment fetched for the same URL.
    expect(page.get_by_role("heading", level=1)).to_have_text("Contacts")
    expect(page.get_by_role("navigation", name="Object types and saved views")).to_be_visible()
    expect_state(page, state)
