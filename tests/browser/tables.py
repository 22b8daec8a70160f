"""Reading and driving a record table page, for the browser tests."""

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route, expect

# Each row's link: its title cell.
ROW_LINKS = "#results tbody tr a[data-row-link]"
# The record ids shown, in order: the last path segment of each row's link.
SHOWN_IDS_JS = f"""() => [...document.querySelectorAll({ROW_LINKS!r})]
    .map(a => a.pathname.split("/").filter(Boolean).pop())"""


def shown_ids(page: Page) -> list[str]:
    return page.evaluate(SHOWN_IDS_JS)


def expect_ids(page: Page, ids: list[str], timeout: float = 10_000) -> None:
    """Wait until the table shows exactly these records, in this order."""
    try:
        page.wait_for_function(f"expected => JSON.stringify(({SHOWN_IDS_JS})()) === JSON.stringify(expected)", arg=ids, timeout=timeout)
    except Exception:
        assert shown_ids(page) == ids  # the informative failure
        raise


def header_labels(page: Page) -> list[str]:
    """The data columns' header labels (without sort marks), after the title column."""
    texts = [t.strip() for t in page.locator("#results thead th").all_inner_texts()]
    labels = [re.sub(r"\s*[▲▼]\d*$", "", t) for t in texts]
    first = page.locator("#results thead th").evaluate_all("ths => ths.findIndex(th => th.hasAttribute('data-title-column'))")
    return labels[first + 1 :]


def column_texts(page: Page, label: str) -> list[str]:
    """Cell texts of the column headed `label`."""
    texts = [re.sub(r"\s*[▲▼]\d*$", "", t.strip()) for t in page.locator("#results thead th").all_inner_texts()]
    return page.locator(f"#results tbody tr td:nth-child({texts.index(label) + 1})").all_inner_texts()


def query_params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query, keep_blank_values=True)


def header(page: Page, label: str):
    return page.get_by_role("columnheader", name=label, exact=True)


def choose_in_row(page: Page, index: int, control: str, label: str) -> None:
    """Choose an option of a filter row's property or operator select, then wait for the
    row the server renders for it: the *new* row, known by its data attribute (the old
    row's controls can already look ready, e.g. an enabled operator select).

    The row waited for is the one for the value chosen (select_option's answer), not for
    the select's value read back afterwards: that reads whichever row is there by then,
    and a row that lost the choice reads "" and, having data-operator="", passes for the
    new one; the test then fails later and elsewhere, waiting for a value control."""
    row = page.locator(f'#filter-rows .filter-row[data-index="{index}"]')
    select = row.get_by_label(f"Filter {index + 1} {control}") if control == "operator" else row.locator("select").first
    (chosen,) = select.select_option(label=label)
    attribute = "data-operator" if control == "operator" else "data-property"
    expect(page.locator(f'#filter-rows .filter-row[data-index="{index}"][{attribute}="{chosen}"]')).to_have_count(1)


def add_filter(page: Page, prop: str, op: str, value: str | None = None) -> None:
    """Add one filter row with the builder, as a person would: property, operator, value."""
    rows = page.locator("#filter-rows .filter-row")
    before = rows.count()
    page.get_by_role("link", name="+ Add filter").click()  # a link styled as a button, enhanced by app.js
    expect(rows).to_have_count(before + 1)
    index = int(rows.nth(before).get_attribute("data-index"))
    choose_in_row(page, index, "property", prop)
    choose_in_row(page, index, "operator", op)
    if value is None:
        return
    row = page.locator(f'#filter-rows .filter-row[data-index="{index}"]')
    value_input = row.get_by_label(f"Filter {index + 1} value")
    expect(value_input).to_be_visible()
    if value_input.evaluate("e => e.tagName") == "SELECT":
        value_input.select_option(label=value)
    else:
        value_input.fill(value)


class Held:
    """Holds the first `count` requests matching a URL pattern until released; later ones pass."""

    def __init__(self, page: Page, pattern: str, count: int = 1) -> None:
        self.page = page
        self.count = count
        self.routes: list[Route] = []
        page.route(pattern, self._handle)

    def _handle(self, route: Route) -> None:
        if len(self.routes) < self.count:
            self.routes.append(route)
        else:
            route.continue_()

    def wait_until_held(self, n: int = 1) -> None:
        # Route handlers run while Playwright is waiting: poll through a short wait, bounded.
        for _ in range(200):
            if len(self.routes) >= n:
                return
            self.page.wait_for_timeout(25)
        raise AssertionError(f"{n} request(s) to hold were never sent")

    def release(self, index: int = 0) -> None:
        try:
            self.routes[index].continue_()
        except PlaywrightError:  # the page aborted it (hx-sync "replace"): nothing left to release
            return
