"""axe finds no serious or critical violations, in light and dark mode.

blocking_violations() checks a page in both colour schemes, switched in place: the
stylesheet follows prefers-color-scheme and has no transitions, so one page load serves
both (the walk in test_accessibility_walk.py covers every screen; the feature tests check
the states only they reach)."""

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .conftest import in_each_scheme

BLOCKING = ("serious", "critical")
AXE_SCRIPT = Axe().axe_script
COLOUR_RULES = ["color-contrast", "link-in-text-block"]  # what the colour scheme can change


def blocking_violations(page) -> list[str]:
    """Serious and critical violations in each colour scheme, each named by its scheme; also
    what axe could not decide ("incomplete") except colour contrast, which it leaves
    undecided for icon-only buttons. The page is left in the scheme it was in.

    The dark scheme changes colours only (custom properties under prefers-color-scheme in
    app.css), so after the first scheme only the rules that read colours run again: every
    other rule would look at the same document and the same layout (a page costs Chromium
    0.8 CPU seconds instead of 1.1)."""
    found = []
    for turn, scheme in enumerate(in_each_scheme(page)):
        results = axe(page, only=COLOUR_RULES if turn else None)
        undecided = [v for v in results["incomplete"] if v["id"] != "color-contrast"]
        found += [
            f"{scheme}: {v['id']} ({v['impact']}): {v['help']} — " + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
            for v in results["violations"] + undecided
            if v["impact"] in BLOCKING
        ]
    return found


def axe(page, only: list[str] | None = None) -> dict:
    """axe's results for the page as it is: every rule, or only those named. Its half-megabyte
    script is put into a document once."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    options = {"resultTypes": ["violations", "incomplete"], **({"runOnly": {"type": "rule", "values": only}} if only else {})}
    return page.evaluate("options => axe.run(document, options)", options)


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


def test_messages_and_saved_views_pass_axe(page, dashboard):
    page.goto(f"{dashboard.url}/records/contact/?sort=last_name")
    page.get_by_label("View name").fill("By last name")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("status").filter(has_text="Saved the view")).to_be_visible()
    assert blocking_violations(page) == []


def test_the_check_finds_what_only_dark_mode_breaks_and_every_other_rule_in_the_first_scheme(page, dashboard):
    # A paragraph unreadable in dark mode only (a rule added to app.css through the CSSOM, which
    # the CSP allows) and an image without a text alternative (the same in both schemes).
    page.goto(f"{dashboard.url}/records/contact/")
    expect(page.locator("#results tbody tr").first).to_be_visible()
    page.evaluate(
        """() => {
        const sheet = [...document.styleSheets].find(s => s.href && s.href.includes('app'));
        sheet.insertRule('@media (prefers-color-scheme: dark) { #probe { color: #1c2027; } }', sheet.cssRules.length);
        document.querySelector('main').insertAdjacentHTML('afterbegin',
          '<p id="probe">Hard to read in the dark</p><img id="no-alt" src="/static/icons/favicon.svg">');
    }"""
    )
    found = blocking_violations(page)
    assert sorted(re.match(r"(\w+): ([\w-]+) ", f).groups() for f in found) == [("dark", "color-contrast"), ("light", "image-alt")]
    assert all("#probe" in f for f in found if "color-contrast" in f)
