"""Stored and reflected XSS in Chromium: hostile text in property values, property and
option names, option colours and slugs, an organization's name, saved-view names, CSV
headers, cells and file names, rendered by the table, the filter builder, the detail
page, the editor, the conflict screen, history, the audit trail, bulk pages, lookup and
the import wizard.

Every payload would set `window.__xss` (or open a dialog) if it ran. The walk is done
twice: with the CSP the dashboard sends, and with the CSP bypassed, so that nothing is
only blocked: payloads must be escaped. With the CSP on, no `securitypolicyviolation`
may fire (a blocked inline handler would mean markup got through); with it off,
nothing may run; either way the DOM may hold no injected handler attribute,
`javascript:` URL, nonce-less script, frame, base or meta refresh.
"""

import csv
import io
import re
import uuid
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from playwright.sync_api import expect

from dashboard.models import ImportRun, SavedView
from dashboard.roles import Role
from prism_sandbox.models import PropertyDefinition
from prism_sandbox.schemas import clear_schema_cache

from .conftest import ARTIFACTS, PASSWORD

PAYLOADS = [
    '<script>window.__xss="script"</script>',
    '"><img src=x onerror="window.__xss=\'img\'">',
    "'><img src=x onerror=window.__xss='img2'>",
    "javascript:window.__xss='jsurl'//",
    '</textarea><script>window.__xss="textarea"</script>',
    '</title><script>window.__xss="title"</script>',
    "<svg onload=\"window.__xss='svg'\">",
    '<svg><script>window.__xss="svgscript"</script></svg>',
    "{{ request.user }} {% debug %} {{ 7|add:7 }}",
    '" autofocus onfocus="window.__xss=\'attr\'" x="',
    "' autofocus onfocus='window.__xss=\"attr2\"' x='",
    "<a href=\"javascript:window.__xss='href'\">click me</a>",
    "<iframe srcdoc=\"<script>parent.__xss='srcdoc'</script>\"></iframe>",
    '\u202e<script>window.__xss="rlo"</script>\u202c',
    "\uff1cscript\uff1ewindow.__xss='fullwidth'\uff1c/script\uff1e",
    '<scr\u200bipt>window.__xss="zwsp"</script>',
    "<details open ontoggle=\"window.__xss='details'\">",
    '<math><mtext><table><mglyph><style><img src=x onerror=window.__xss="mxss">',
    "<img src=x onerror=alert('alert')>",
    '<base href="https://evil.invalid/">',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=\'meta\'">',
    "</script><script>window.__xss='endscript'</script>",
    '<!--<img src="--><img src=x onerror=window.__xss="comment">',
    "&lt;script&gt;window.__xss='entity'&lt;/script&gt;",
    "<input autofocus onfocus=window.__xss='input'>",
    "${window.__xss='tpl'}`",
]
EMAILS = ['"><svg/onload=window.__xss="email">@example.com', "a'onmouseover='window.__xss=1'@example.com", "x@example.com<script>"]
URLS = [
    'https://example.com/?q="><script>window.__xss="url"</script>',
    "javascript:window.__xss='website'",
    "https://example.com/#'onmouseover='x",
]
OPTION = {"slug": '"><svg onload=window.__xss="optslug">', "name": PAYLOADS[1], "color": "gray\" onmouseover=\"window.__xss='color'"}

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ''}`));
"""
SCAN = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.startsWith('on')) bad.push(`${el.tagName} ${a.name}=${a.value}`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster'].includes(a.name) && /^\\s*javascript:/i.test(a.value)) bad.push(`${el.tagName} ${a.name}=${a.value}`);
      if (a.name === 'srcdoc') bad.push(`${el.tagName} srcdoc`);
    }
  }
  for (const s of document.querySelectorAll('script')) if (!s.nonce) bad.push('script without the nonce: ' + (s.src || s.textContent.slice(0, 80)));
  for (const el of document.querySelectorAll('iframe, object, embed, base, meta[http-equiv="refresh"], svg script, img[src="x"], math')) bad.push(el.outerHTML.slice(0, 120));
  return bad;
}"""


class Walk:
    """One signed-in page, checked after every step."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base = base_url
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.visited = 0
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))

    def go(self, path: str, status: int = 200):
        response = self.page.goto(self.base + path)
        assert response.status == status, (path, response.status)
        self.check(path)
        return response

    def check(self, where: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        assert page.evaluate("window.__xss") is None, f"a payload ran on {where}: {page.evaluate('window.__xss')}"
        assert self.dialogs == [], f"a dialog opened on {where}: {self.dialogs}"
        assert page.evaluate("window.__csp") == [], f"the CSP had to block something on {where}: {page.evaluate('window.__csp')}"
        assert page.evaluate(SCAN) == [], f"injected markup on {where}"
        unexpected = [e for e in self.errors if not re.search(r"status of (409|422)", e)]
        assert unexpected == [], f"errors on {where}: {unexpected}"
        self.visited += 1

    def text(self) -> str:
        return self.page.evaluate("document.body.textContent")

    def shows(self, *texts: str) -> None:
        """Each text is on the page as text: escaped, not dropped."""
        body = self.text()
        missing = [t for t in texts if t not in body]
        assert not missing, f"not shown as text on {self.page.url}: {missing}"


def api(sandbox, method: str, path: str, **body):
    response = sandbox.request(method, path, json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def first_accepted(sandbox, segment: str, slug: str, candidates: list[str]) -> list[str]:
    ok = [c for c in candidates if sandbox.request("POST", segment, json={"default": {slug: c, "name": "probe"}}).status_code == 201]
    return ok


@pytest.fixture
def hostile(dashboard):
    """Hostile text everywhere the dashboard shows stored text, for the sandbox team."""
    sandbox = dashboard.sandbox
    marker = f"xss{uuid.uuid4().hex[:8]}"
    # Names and options written straight into the sandbox's schema, then both caches cleared.
    status = PropertyDefinition.objects.get(team_id=sandbox.team_id, segment="contact", slug="status")
    status.options = [{**o, "name": PAYLOADS[i]} for i, o in enumerate(status.options)] + [{**OPTION, "id": str(uuid.uuid4())}]
    status.save()
    tags = PropertyDefinition.objects.get(team_id=sandbox.team_id, segment="contact", slug="tags")
    tags.options = [{**o, "name": PAYLOADS[3 + i], "color": OPTION["color"]} for i, o in enumerate(tags.options)]
    tags.save()
    PropertyDefinition.objects.filter(team_id=sandbox.team_id, segment="contact", slug="title").update(name=PAYLOADS[6])
    PropertyDefinition.objects.filter(team_id=sandbox.team_id, segment="contact", slug="notes").update(name=PAYLOADS[0])
    clear_schema_cache()
    cache.clear()

    websites = [
        u for u in URLS if sandbox.request("POST", "organization", json={"default": {"name": "probe", "website": u}}).status_code == 201
    ]
    org = api(sandbox, "POST", "organization", default={"name": PAYLOADS[2], **({"website": websites[0]} if websites else {})})["id"]
    emails = [e for e in EMAILS if sandbox.request("POST", "contact", json={"default": {"email": e}}).status_code == 201]
    slugs = [o["slug"] for o in status.options]
    contacts = []
    for i, payload in enumerate(PAYLOADS):
        default = {
            "first_name": payload,
            "last_name": marker,
            "title": PAYLOADS[(i + 1) % len(PAYLOADS)],
            "notes": f"{payload}\nline two {PAYLOADS[(i + 2) % len(PAYLOADS)]}",
            "status": slugs[i % len(slugs)],
            "tags": ["vip", "partner"],
            "organization": org,
        }
        if emails:
            default["email"] = emails[i % len(emails)]
        contacts.append(api(sandbox, "POST", "contact", default=default)["id"])
    admin = get_user_model().objects.get(username=Role.ADMIN.value.lower())
    views = [
        SavedView.objects.create(owner=admin, segment="contact", name=p[:80], query_string=f"f0=last_name&o0=%3D&v0={marker}", shared=True)
        for p in PAYLOADS[:6]
    ]
    return {"marker": marker, "contacts": contacts, "org": org, "emails": emails, "websites": websites, "views": views}


@pytest.fixture(params=["csp-enforced", "csp-bypassed"])
def walk(request, browser, dashboard):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=request.param == "csp-bypassed")
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH)
    page = context.new_page()
    page.goto(f"{dashboard.url}/accounts/login/")
    page.get_by_label("Username").fill(Role.ADMIN.value.lower())
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    yield Walk(page, dashboard.url)
    call = getattr(request.node, "report_call", None)
    if call is not None and call.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"failed-xss-{request.param}.png"), full_page=True)
    context.close()


def test_hostile_text_is_shown_as_text_and_never_runs(walk, dashboard, hostile):
    page, marker, contacts = walk.page, hostile["marker"], hostile["contacts"]
    sandbox = dashboard.sandbox

    # The table: values, option chips, names in headers, the filter builder, saved views in the sidebar.
    cols = "first_name,title,notes,email,status,tags,organization.name,organization.website"
    response = walk.go(f"/records/contact/?f0=last_name&o0=%3D&v0={marker}&size=50&cols={cols}")
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp
    expect(page.locator("#results tbody tr")).to_have_count(len(PAYLOADS))
    walk.shows(*PAYLOADS, PAYLOADS[6], *(v.name for v in hostile["views"]))
    page.locator("[data-add-row]").click()  # a row from the <template> (innerHTML)
    new_row = page.locator("#filter-rows .filter-row").last
    new_row.locator("select").first.select_option("status")  # htmx: the row with the option names
    new_row = page.locator('#filter-rows .filter-row[data-property="status"]')
    expect(new_row).to_have_count(1)  # the row rendered for the property, not the one it replaces
    new_row.locator("select").nth(1).select_option("in")
    new_row = page.locator('#filter-rows .filter-row[data-property="status"][data-operator="in"]')
    expect(new_row.locator("select[name^=v]")).to_be_attached()  # the row, again, with the options
    assert PAYLOADS[1] in new_row.locator("select[name^=v] option").all_text_contents()
    walk.check("the filter builder")
    page.get_by_text("Columns", exact=True).click()
    walk.check("the column picker")

    # Reflected: the search box, a filter value, an option value, a sort key.
    reflected = PAYLOADS[1]
    walk.go(
        "/records/contact/?"
        + urlencode(
            {
                "q": reflected,
                "f0": "first_name",
                "o0": "=",
                "v0": PAYLOADS[9],
                "f1": "status",
                "o1": "=",
                "v1": PAYLOADS[4],
                "sort": PAYLOADS[0],
            }
        )
    )
    assert page.locator("#quick-search").input_value() == reflected
    assert page.locator("#v0").input_value() == PAYLOADS[9]

    # Detail pages and editors, every one.
    for i, record_id in enumerate(contacts):
        walk.go(f"/records/contact/{record_id}/")
        walk.shows(PAYLOADS[i], PAYLOADS[2])
        walk.go(f"/records/contact/{record_id}/edit/")
        assert page.locator("input[name=first_name]").input_value() == PAYLOADS[i]
        assert page.locator("textarea[name=notes]").input_value() == f"{PAYLOADS[i]}\nline two {PAYLOADS[(i + 2) % len(PAYLOADS)]}"
    walk.go(f"/records/organization/{hostile['org']}/")
    walk.go(f"/records/organization/{hostile['org']}/edit/")

    # A conflict: the value opened, theirs now, mine, and another value typed in.
    target = contacts[4]
    walk.go(f"/records/contact/{target}/edit/")
    api(sandbox, "PATCH", f"contact/{target}", default={"title": PAYLOADS[12]})
    page.locator("input[name=title]").fill(PAYLOADS[13])
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Someone changed this contact"))).to_be_visible()
    walk.check("the conflict screen")
    row = page.locator("tr[data-conflict=title]")
    for column, value in enumerate((PAYLOADS[5], PAYLOADS[12], PAYLOADS[13])):
        assert value in row.locator("td").nth(column).text_content()
    row.locator("input[type=text], input:not([type])").first.fill(PAYLOADS[14])
    row.get_by_role("radio", name="Another value").check()
    page.get_by_role("button", name="Save these values").click()
    expect(page).to_have_url(f"{dashboard.url}/records/contact/{target}/")
    walk.check("after resolving")
    walk.shows(PAYLOADS[14])
    assert sandbox.request("GET", f"contact/{target}").json()["default"]["title"] == PAYLOADS[14]
    walk.go(f"/records/contact/{target}/history/")
    walk.go("/audit/")

    # Saved views: their names in the sidebar and in the rename form.
    view = hostile["views"][1]
    walk.go(f"/records/contact/?f0=last_name&o0=%3D&v0={marker}&view={view.pk}")
    assert page.locator("#rename-view").input_value() == view.name
    walk.go("/")

    # Lookup: several matches listed by name; the value typed, reflected.
    walk.go("/lookup/?" + urlencode({"type": "contact", "slug": "last_name", "value": marker}))
    walk.shows(*PAYLOADS[:5])
    walk.go("/lookup/?" + urlencode({"type": "contact", "slug": "first_name", "value": PAYLOADS[10] + "nobody"}))

    # Bulk: set a property to hostile text on two selected records; the job page describes it.
    walk.go(f"/records/contact/?f0=last_name&o0=%3D&v0={marker}&size=50")
    page.locator("input[data-row-select]").nth(0).check()
    page.locator("input[data-row-select]").nth(1).check()
    page.locator("#bulk-action").select_option("set")
    page.get_by_role("button", name="Apply to selected").click()
    walk.check("the bulk confirm page")
    page.locator("#bulk-slug").select_option("title")
    page.get_by_label("New value").fill(PAYLOADS[0])
    walk.check("the bulk value field")
    page.get_by_role("button", name="Set a property").last.click() if page.get_by_role(
        "button", name="Set a property"
    ).count() else page.locator("button[name=confirm]").click()
    expect(page.locator("#bulk-progress")).to_have_attribute("data-status", "complete")
    walk.check("the bulk job page")
    walk.shows(PAYLOADS[0])  # in the description (a repr: no quotes inside)

    # Import: a hostile file name, headers and cells, through mapping, preview and results.
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["first_name", "last_name", PAYLOADS[1], PAYLOADS[3]])
    writer.writerows([p, f"{marker}-import", PAYLOADS[0], "x"] for p in PAYLOADS[:8])
    csv_text = out.getvalue()
    walk.go("/import/contact/")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": f"{PAYLOADS[6]}.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}]
    )
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name=re.compile("match the columns"))).to_be_visible()
    walk.check("the import mapping page")
    filename = ImportRun.objects.latest("created_at").filename  # as the browser sent it (quotes encoded)
    assert filename.startswith("<svg onload=")
    walk.shows(PAYLOADS[1], PAYLOADS[3], filename, *PAYLOADS[:8])
    page.get_by_role("button", name=re.compile("^Import")).click()
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    walk.check("the import results")
    walk.shows(PAYLOADS[2])
    walk.go("/import/contact/")  # the recent imports, by file name
    walk.shows(filename)
    assert walk.visited > 2 * len(PAYLOADS) + 20


def test_the_checks_see_markup_that_got_through(walk, request):
    """The same checks, on a page where markup is injected on purpose: they must notice."""
    page = walk.page
    walk.go("/records/contact/")
    # A data: image fails to decode at once: the handler's fate does not wait on a request
    # to the server (src="x" fetched /records/contact/x, a page that calls the API, which
    # on a loaded machine could take longer than the wait below).
    page.evaluate(
        """() => document.querySelector('main').insertAdjacentHTML('beforeend', '<img src="data:," onerror="window.__xss = 1">')"""
    )
    expect(page.locator("main img[onerror]")).to_be_attached()
    if "bypassed" in request.node.callspec.params["walk"]:
        page.wait_for_function("window.__xss === 1")  # it ran
    else:
        page.wait_for_function("window.__csp.length > 0")  # the CSP blocked it, and said so
        assert page.evaluate("window.__xss") is None
    assert page.evaluate(SCAN) != []
    with pytest.raises(AssertionError):
        walk.check("a page with injected markup")
    walk.errors.clear()  # the CSP's console report, expected here
