"""Reading and driving a record table page, for the browser tests."""

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

ROW_LINKS = '#results tbody tr a[aria-label^="Open "]'
# The record ids shown, in order: the last path segment of each row's "Open" link.
SHOWN_IDS_JS = f"""() => [...document.querySelectorAll({ROW_LINKS!r})]
    .map(a => a.pathname.split("/").filter(Boolean).pop())"""


def shown_ids(page: Page) -> list[str]:
    return page.evaluate(SHOWN_IDS_JS)


def expect_ids(page: Page, ids: list[str], timeout: float = 10_000) -> None:
    """Wait until the table shows exactly these records, in this order."""
    try:
        page.wait_for_function(
            f"expected => JSON.stringify(({SHOWN_IDS_JS})()) === JSON.stringify(expected)", arg=ids, timeout=timeout
        )
    except Exception:
        assert shown_ids(page) == ids  # the informative failure
        raise


def header_labels(page: Page) -> list[str]:
    """The data columns' header labels (without sort marks)."""
    texts = [t.strip() for t in page.locator("#results thead th").all_inner_texts()]
    labels = [re.sub(r"\s*[▲▼]\d*$", "", t) for t in texts]
    return labels[labels.index("Open") + 1 :]


def column_texts(page: Page, label: str) -> list[str]:
    """Cell texts of the column headed `label`."""
    texts = [re.sub(r"\s*[▲▼]\d*$", "", t.strip()) for t in page.locator("#results thead th").all_inner_texts()]
    return page.locator(f"#results tbody tr td:nth-child({texts.index(label) + 1})").all_inner_texts()


def query_params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query, keep_blank_values=True)


def header(page: Page, label: str):
    return page.get_by_role("columnheader", name=label, exact=True)


def add_filter(page: Page, prop: str, op: str, value: str | None = None) -> None:
    """Add one filter row with the builder, as a person would: property, operator, value."""
    rows = page.locator("#filter-rows .filter-row")
    before = rows.count()
    page.get_by_role("link", name="+ Add filter").click()  # a link styled as a button, enhanced by app.js
    row = rows.nth(before)
    number = int(row.get_attribute("data-index")) + 1
    row.get_by_role("combobox").first.select_option(label=prop)
    operator = row.get_by_label(f"Filter {number} operator")
    expect(operator).to_be_enabled()  # the row re-rendered for the property's type
    operator.select_option(label=op)
    if value is None:
        return
    value_input = row.get_by_label(f"Filter {number} value")
    expect(value_input).to_be_visible()
    if value_input.evaluate("e => e.tagName") == "SELECT":
        value_input.select_option(label=value)
    else:
        value_input.fill(value)
