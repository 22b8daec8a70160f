"""The dashboard against a stateless API that answers every route with the API reference's
example response, exactly as printed (tests/stub_api.py `reference_examples`): has_more
true with next_cursor "next_cursor" on every page, total 0 beside a row, properties
{"foo": "bar"}, no ETag, no properties endpoint. Tried as a new user would.
"""

import re
import time
from html import unescape
from urllib.parse import urljoin

import requests
from django.conf import settings

from dashboard.bulk import run_bulk_job
from dashboard.models import BulkJob, ImportRun
from dashboard.roles import Role
from tests import stub_api as stubs

from .conftest import login
from .forms_html import form_values
from .test_odd_answers import text

ROW = stubs.EXAMPLE_ID
STOPPED = (
    '"# Export stopped after 1 row: The Prism API sent the same page of records again instead of the next one, '
    'so the rest could not be read."'
)


def test_the_reference_examples_as_a_new_user_meets_them(client, stub, live_server):
    stubs.reference_examples(stub)
    person = login(client, Role.EDITOR)

    # Home: the counts say 0; no schema endpoint, so types are inferred from a sampled row.
    assert person.get("/").status_code == 200
    assert stub.calls_to("GET", "properties") and stub.calls_to("GET", "contact/count")

    # The table: the one row, a word on the total, and a Next link that leads to the same page.
    table = text(person.get("/records/contact/?total=1&cols=foo"))
    assert "bar" in table
    assert "The Prism API counted 0 records in all but sent 1 record here, so that total may be wrong." in table
    next_url = unescape(re.search(r'href="([^"]*cursor=next_cursor[^"]*)"[^>]*rel="next"', table).group(1))
    again = text(person.get(urljoin("/records/contact/", next_url)))
    assert "bar" in again and 'rel="next"' not in again
    assert "The Prism API sent the same page again instead of the next one, so there is no next page to show." in again

    # The export, over HTTP as a browser downloads it: it ends at once, and says why.
    started = time.monotonic()
    with requests.get(
        f"{live_server.url}/records/contact/export.csv?cols=foo",
        cookies={settings.SESSION_COOKIE_NAME: person.cookies[settings.SESSION_COOKIE_NAME].value},
        timeout=5,
        stream=True,
    ) as response:
        body = b"".join(response.iter_content(chunk_size=None)).decode()
    took = time.monotonic() - started
    assert response.status_code == 200 and took < 1.0, took
    assert body.splitlines() == ["id,Foo", f"{ROW},bar", STOPPED]
    export_queries = [c for c in stub.calls_to("POST", "contact/query") if c.at >= started - 0.001]
    assert len(export_queries) == 2  # page one, then its repeat: nothing more
    print(f"\nreference examples: the export ended in {took * 1000:.0f} ms")

    # The record: shown, with a word that edits cannot detect others' changes (no ETag).
    detail = text(person.get(f"/records/contact/{ROW}/"))
    assert "bar" in detail and "Version (ETag)" not in detail
    form = person.get(f"/records/contact/{ROW}/edit/")
    assert "sent no version (ETag) for this record" in text(form)
    values = form_values(text(form), "record-form")
    saved = person.post(f"/records/contact/{ROW}/edit/", {**values, "foo": ["baz"]}, follow=True)
    assert "Saved." in text(saved)
    (patch,) = stub.calls_to("PATCH", f"contact/{ROW}")
    assert patch.body == {"default": {"foo": "baz"}} and "if-match" not in patch.headers

    # Bulk "all matching": the walk over pages stops at the repeat; nothing is written.
    response = person.post(
        "/records/contact/bulk/",
        {"action": "set", "scope": "all", "query_string": "cols=foo", "slug": "foo", "value": "x", "confirm": "1"},
    )
    job = BulkJob.objects.get()
    run_bulk_job.call(str(job.pk))
    job.refresh_from_db()
    assert (job.status, job.total, job.processed) == ("failed", None, 0)
    page = text(person.get(response["Location"]))
    assert "It stopped early: The Prism API sent the same page of records again instead of the next one" in page
    assert not stub.calls_to("POST", "contact/batch/update")

    # Bulk on the selected row: the answer names "id", not the row; the row sent is the one reported.
    done = person.post(
        "/records/contact/bulk/",
        {"action": "set", "scope": "selected", "ids": [ROW], "slug": "foo", "value": "x", "confirm": "1"},
        follow=True,
    )
    assert "1 succeeded, 0 failed" in text(done)
    assert len(stub.calls_to("POST", "contact/batch/update")) == 1

    # An import of two rows: the example answers one result (created, yet with an error); the
    # other row is said to have no result, and nothing is sent twice.
    upload = person.post("/import/contact/", {"text": "foo\none\ntwo\n"})
    run_url = upload["Location"]
    person.post(run_url, {"col0": "foo", "dedupe_by": "", "action": "import"})
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.COMPLETE
    assert [r["status"] for r in run.results] == ["failed", "failed"]
    assert [r["error"] for r in run.results] == ["message", "The Prism API gave no result for this row."]
    assert len(stub.calls_to("POST", "contact/import")) == 1
    assert "Import finished" in text(person.get(run_url))

    # Look up by a value: the example's one record.
    found = person.get("/lookup/?type=contact&slug=foo&value=bar")
    assert found.status_code == 302 and found["Location"] == f"/records/contact/{ROW}/"

    # A deal's permissions: the example grant names "foo" for the team, a user and a group.
    assert person.get(f"/records/deal/{ROW}/permissions/").status_code == 200
