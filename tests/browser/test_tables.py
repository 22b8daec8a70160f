"""Record tables: columns, sorting and paging, checked against what the API returns."""

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from prism_sandbox import chaos

from .tables import Held, add_filter, column_texts, expect_ids, header, header_labels, query_params
from .test_accessibility import blocking_violations

PAGE = 25


def ids(rows: list[dict]) -> list[str]:
    return [r["id"] for r in rows]


def test_a_filter_change_keeps_the_columns_in_their_order_and_a_picked_one_goes_last(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?cols=score,email,status")
    assert header_labels(page) == ["Score", "Email", "Status"]  # not the picker's (the schema's) order
    add_filter(page, "Status", "is", "Customer")
    expect(page).to_have_url(re.compile(r"v0=customer"))
    assert header_labels(page) == ["Score", "Email", "Status"]
    page.get_by_text("Columns", exact=True).click()
    page.get_by_role("checkbox", name="Job title").check()
    expect(header(page, "Job title")).to_be_visible()
    assert header_labels(page) == ["Score", "Email", "Status", "Job title"]


def test_add_a_related_column_with_the_columns_picker(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/")
    # The first column is the title ("First Last"), the row's link: its parts are not repeated.
    expect(page.locator("#results thead th[data-title-column]")).to_have_text("Name")
    assert header_labels(page) == ["Email", "Phone", "Job title", "Status", "Tags"]

    page.get_by_text("Columns", exact=True).click()
    page.get_by_role("checkbox", name="Organization › Name").check()

    expect(header(page, "Organization › Name")).to_be_visible()
    assert header_labels(page) == ["Email", "Phone", "Job title", "Status", "Tags", "Organization › Name"]
    assert query_params(page)["col"] == ["email", "phone", "title", "status", "tags", "organization.name"]

    api = dashboard.api_rows("contact", {"select": ["first_name", "organization.name"], "limit": PAGE})[:PAGE]
    expect_ids(page, ids(api))
    names = [(r["properties"].get("organization") or {}).get("properties", {}).get("name") for r in api]
    assert column_texts(page, "Organization › Name") == [n or "—\nempty" for n in names]
    # The related value links to the organization it was read from.
    first = next(r for r in api if r["properties"].get("organization"))
    name = first["properties"]["organization"]["properties"]["name"]
    link = page.locator("#results tbody tr").nth(api.index(first)).get_by_role("link", name=name, exact=True)
    expect(link).to_have_attribute("href", f"/records/organization/{first['properties']['organization']['id']}/")


def test_sort_by_header_click_and_add_a_key_with_shift_click(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name,last_name,score,status")
    score, last_name = header(page, "Score"), header(page, "Last name")
    expect(score).not_to_have_attribute("aria-sort", re.compile("."))

    score.get_by_role("link").click()
    expect(score).to_have_attribute("aria-sort", "ascending")
    expect(page).to_have_url(re.compile(r"sort=score(&|$)"))
    ascending = dashboard.api_rows("contact", {"select": ["score"], "sort": [{"score": "asc"}], "limit": 50})
    expect_ids(page, ids(ascending)[:PAGE])
    scores = [int(s) for s in column_texts(page, "Score")]
    assert scores == sorted(scores)

    score.get_by_role("link").click()
    expect(score).to_have_attribute("aria-sort", "descending")
    expect(page).to_have_url(re.compile(r"sort=-score(&|$)"))
    descending = dashboard.api_rows("contact", {"select": ["score"], "sort": [{"score": "desc"}], "limit": 50})
    expect_ids(page, ids(descending)[:PAGE])

    last_name.get_by_role("link").click(modifiers=["Shift"])
    expect(last_name).to_have_attribute("aria-sort", "ascending")
    expect(score).to_have_attribute("aria-sort", "descending")
    expect(page).to_have_url(re.compile(r"sort=-score%2Clast_name(&|$)"))
    expect(last_name).to_contain_text("▲2")
    both = dashboard.api_rows("contact", {"select": ["score"], "sort": [{"score": "desc"}, {"last_name": "asc"}], "limit": 50})
    expect_ids(page, ids(both)[:PAGE])
    assert page.context.pages == [page]  # shift-click did not open a window

    # Another control keeps both sort keys.
    page.get_by_label("Rows per page").select_option("10")
    expect(page).to_have_url(re.compile(r"size=10"))
    expect_ids(page, ids(both)[:10])
    assert query_params(page)["sort"] == ["-score,last_name"]


def test_page_forward_and_back(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name,score&sort=first_name")
    every = ids(dashboard.api_rows("contact", {"select": ["first_name"], "sort": [{"first_name": "asc"}], "limit": 50}))
    assert len(every) == 120
    pager = page.get_by_role("navigation", name="Pages")
    expect_ids(page, every[:PAGE])
    expect(pager.get_by_role("link", name="← Previous")).to_have_count(0)

    pager.get_by_role("link", name="Next →").click()
    expect_ids(page, every[PAGE : 2 * PAGE])
    expect(page).to_have_url(re.compile(r"cursor="))
    expect(page.locator(".table-meta")).to_contain_text("Page 2")

    pager.get_by_role("link", name="Next →").click()
    expect_ids(page, every[2 * PAGE : 3 * PAGE])
    expect(page.locator(".table-meta")).to_contain_text("Page 3")

    pager.get_by_role("link", name="← Previous").click()
    expect_ids(page, every[PAGE : 2 * PAGE])
    expect(page.locator(".table-meta")).to_contain_text("Page 2")

    pager.get_by_role("link", name="← Previous").click()
    expect_ids(page, every[:PAGE])
    expect(page.locator(".table-meta")).to_contain_text("Page 1")
    expect(pager.get_by_role("link", name="← Previous")).to_have_count(0)
    assert "cursor" not in query_params(page)


def test_last_page_has_no_next_link(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name&sort=-first_name&size=50")
    every = ids(dashboard.api_rows("contact", {"select": ["first_name"], "sort": [{"first_name": "desc"}], "limit": 50}))
    pager = page.get_by_role("navigation", name="Pages")
    for start in (0, 50):
        expect_ids(page, every[start : start + 50])
        pager.get_by_role("link", name="Next →").click()
    expect_ids(page, every[100:])
    expect(pager.get_by_role("link", name="Next →")).to_have_count(0)


def settled(page) -> None:
    """No table request in flight (htmx marks the form while its request runs)."""
    expect(page.locator("#table-form")).not_to_have_class(re.compile(r"\bhtmx-request\b"))


def test_a_sort_clicked_while_a_change_is_on_its_way_keeps_both(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name,status,score")
    expected = dashboard.api_rows("contact", {"select": [], "sort": [{"score": "asc"}], "limit": 10})[:10]
    chaos.configure(latency_ms=600)  # a slow API: the change is still on its way when the header is clicked
    try:
        page.get_by_label("Rows per page").select_option("10")
        header(page, "Score").get_by_role("link").click()
        expect(header(page, "Score")).to_have_attribute("aria-sort", "ascending", timeout=10_000)
        settled(page)
    finally:
        chaos.configure()
    expect_ids(page, ids(expected))
    params = query_params(page)
    assert (params["size"], params["sort"]) == (["10"], ["score"])


def test_paging_waits_for_a_change_on_its_way(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?cols=first_name,status,score&sort=score")
    expected = dashboard.api_rows("contact", {"select": [], "sort": [{"score": "asc"}], "limit": 10})[:10]
    chaos.configure(latency_ms=600)
    try:
        page.get_by_label("Rows per page").select_option("10")
        page.get_by_role("link", name="Next →").click()  # its cursor belongs to the 25-row query
        expect(page.locator("#results tbody tr")).to_have_count(10, timeout=10_000)
        settled(page)
    finally:
        chaos.configure()
    expect_ids(page, ids(expected))
    expect(page.locator(".table-meta")).to_contain_text("Page 1")
    assert "cursor" not in query_params(page)


def test_a_table_answer_that_fails_on_the_way_is_said_and_the_next_one_clears_it(page, dashboard, page_problems):
    # Between the browser and the dashboard, not the API (whose failures errors.py turns into
    # banners): a proxy's 502, then no answer at all. htmx swaps in neither; the page says so.
    page_problems.allow(r"Response Status Error Code 502|htmx:sendError")  # htmx logs both failures
    page.goto(f"{dashboard.url}/records/contact/?sort=last_name")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(PAGE)
    first_title = rows.first.locator("a[data-row-link]")
    before = first_title.inner_text()
    search = page.get_by_label(re.compile("^Search contacts"))
    alert = page.locator("#messages").get_by_role("alert")

    page.route(re.compile(r"/records/contact/\?.*q=Nobody1"), lambda route: route.fulfill(status=502, body="Bad gateway"))
    search.fill("Nobody1")
    expect(alert).to_have_text(re.compile(r"did not answer as expected \(status 502\), so this part of the page was not updated"))
    expect(rows).to_have_count(PAGE)
    expect(first_title).to_have_text(before)  # the old rows, under the banner that says they are old
    expect(search).to_be_focused()
    for width in (1280, 390):  # the banner, as people see it
        page.set_viewport_size({"width": width, "height": 900})
        assert blocking_violations(page) == [], width
    page.set_viewport_size({"width": 1280, "height": 900})

    page.route(re.compile(r"/records/contact/\?.*q=Nobody2"), lambda route: route.abort())
    search.fill("Nobody2")
    expect(alert).to_have_text(re.compile("could not be reached, so this part of the page was not updated"))

    search.fill("Nobody3")  # answered: the table is current again, and the banner goes
    expect(rows).to_have_text([re.compile("No contacts match")])  # a list: waits for the one row (one text on many rows fails at once)
    expect(alert).to_have_count(0)


def test_leaving_the_search_box_asks_nothing_and_a_refresh_keeps_the_view_name_being_typed(page, dashboard):
    """The search box's "change" on leaving it (its text already fetched while typing) asks
    for nothing: that answer would replace the table, and the name of the view being typed
    under it, with the same rows. A real refresh landing meanwhile keeps the name and its focus."""
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/records/contact/?" in r.url and r.resource_type == "xhr" else None)
    page.goto(f"{dashboard.url}/records/contact/?sort=last_name")
    search = page.get_by_label(re.compile("^Search contacts"))
    with page.expect_response(lambda r: "q=an" in r.url):
        search.fill("an")
    name = page.get_by_label("View name")
    name.fill("People called An")  # the search box loses the focus here: its change fires
    with page.expect_response(lambda r: "size=10" in r.url):
        page.get_by_label("Rows per page").select_option("10")
    assert [parse_qs(urlsplit(url).query)["size"] for url in asked] == [["25"], ["10"]], asked

    held = Held(page, "**/records/contact/?*size=50*")
    page.get_by_label("Rows per page").select_option("50")
    held.wait_until_held()
    name.focus()
    page.keyboard.type("n")  # typing on in the name while the table's answer is on its way
    held.release()
    expect(page).to_have_url(re.compile(r"size=50"))  # pushed once the answer is swapped in
    expect(name).to_have_value("People called Ann")
    expect(name).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Saved the view")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("People called Ann")
    params = query_params(page)
    assert (params["q"], params["size"]) == (["an"], ["50"]), params
