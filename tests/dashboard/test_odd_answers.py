"""Never trust the API to behave: the dashboard against a stub API that answers oddly but validly.

The stub (tests/stub_api.py) is a real HTTP server; the dashboard calls it with the
signed-in person's own key. For each odd answer, every page, the export, both kinds of
bulk action, an import and the editor are used as a person would: none may fail with a
500, loop or wait without end, or write anything twice, and each says what it could not
show.
"""

import re
import time
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import urljoin

import pytest

from dashboard.bulk import run_bulk_job
from dashboard.models import BulkJob, ImportRun
from dashboard.roles import Role
from tests import stub_api as stubs

from .conftest import STUB_READ_TIMEOUT as READ_TIMEOUT
from .conftest import login
from .forms_html import form_values

C1, C2, C3 = stubs.CONTACTS
ENDS_WITHIN = 20.0  # seconds any one surface may take, however the API answers (bounded, with room for a loaded machine)
MAX_CALLS = 80  # API requests any one surface may make


@pytest.fixture
def editor(client, stub):
    return login(client, Role.EDITOR)


def text(response) -> str:
    return unescape(response.content.decode())


@dataclass
class Seen:
    """What one surface showed the person, and what it cost."""

    texts: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    @property
    def all(self) -> str:
        return "\n".join(self.texts)


def look(seen: Seen, response) -> str:
    assert response.status_code != 500
    body = text(response) if not response.streaming else ""
    assert "Traceback" not in body and "<<MISSING" not in body, body[:2000]
    seen.statuses.append(response.status_code)
    seen.texts.append(body)
    return body


# --- the surfaces: each used as a person would ----------------------------------------------------

TABLE = "/records/contact/?total=1&cols=first_name,last_name,email,score,active,status,tags,birthday,organization"


def pages(client, stub) -> Seen:
    seen = Seen()
    for url in (
        "/",
        TABLE,
        f"/records/contact/{C1}/",
        f"/records/contact/{C1}/history/",
        "/lookup/?type=contact&slug=email&value=ada@example.com",
        f"/records/deal/{stubs.DEAL}/permissions/",
        "/records/deal/",
    ):
        body = look(seen, client.get(url))
        found = re.search(r'href="([^"]*cursor=[^"]*)"[^>]*rel="next"', body)
        if found:  # the next page, as a person clicking "Next" would
            look(seen, client.get(urljoin(url, unescape(found.group(1)))))
    return seen


def export(client, stub) -> Seen:
    seen = Seen()
    started = time.monotonic()
    response = client.get("/records/contact/export.csv?cols=first_name,email,score")
    look(seen, response)
    if response.streaming:
        chunks = []
        for chunk in response.streaming_content:
            chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
            assert time.monotonic() - started < ENDS_WITHIN, f"the export is still streaming: {len(chunks)} lines"
        seen.texts.append("".join(chunks))
    return seen


def bulk_selected(client, stub) -> Seen:
    seen = Seen()
    response = client.post(
        "/records/contact/bulk/",
        {"action": "set", "scope": "selected", "ids": [C1, C2], "slug": "status", "value": "customer", "confirm": "1"},
        follow=True,
    )
    look(seen, response)
    job = BulkJob.objects.order_by("-created_at").first()
    assert job is None or job.status in ("complete", "failed")
    return seen


def bulk_all_matching(client, stub) -> Seen:
    seen = Seen()
    response = client.post(
        "/records/contact/bulk/",
        {
            "action": "set",
            "scope": "all",
            "query_string": "cols=first_name",
            "slug": "status",
            "value": "customer",
            "confirm": "1",
        },
    )
    assert response.status_code in (302, 503), response.status_code
    look(seen, response)
    if response.status_code == 302:
        job = BulkJob.objects.latest("created_at")
        run_bulk_job.call(str(job.pk))  # what the task worker does, here in-process
        job.refresh_from_db()
        assert job.status in ("complete", "failed")
        look(seen, client.get(response["Location"]))
    return seen


CSV = "first_name,last_name,email\nNew,Person,new@example.com\nOther,Person,other@example.com\n"


def import_csv(client, stub) -> Seen:
    seen = Seen()
    upload = client.post("/import/contact/", {"text": CSV})
    look(seen, upload)
    if upload.status_code != 302:
        return seen
    run_url = upload["Location"]
    mapping = {"col0": "first_name", "col1": "last_name", "col2": "email", "dedupe_by": "email", "action": "import"}
    look(seen, client.post(run_url, mapping))
    run = ImportRun.objects.latest("created_at")
    if run.status == ImportRun.Status.DRAFT:  # the API refused: a person tries once more
        look(seen, client.post(run_url, mapping))
        run.refresh_from_db()
    look(seen, client.get(run_url))
    if run.status == ImportRun.Status.RUNNING:
        look(seen, client.get(f"{run_url}progress/", headers={"HX-Request": "true"}))
    return seen


def edit(client, stub) -> Seen:
    seen = Seen()
    url = f"/records/contact/{C1}/edit/"
    form = client.get(url)
    body = look(seen, form)
    if form.status_code != 200:
        return seen
    values = form_values(body, "record-form")
    values["score"] = ["91"]
    saved = client.post(url, values, follow=True)
    look(seen, saved)
    return seen


def create(client, stub) -> Seen:
    seen = Seen()
    form = client.get("/records/contact/new/")
    body = look(seen, form)
    if form.status_code != 200:
        return seen
    values = {**form_values(body, "record-form"), "first_name": ["Newly"], "email": ["newly@example.com"]}
    created = client.post("/records/contact/new/", values, follow=True)
    look(seen, created)
    if created.redirect_chain == []:  # not created: the person sends the same form again
        look(seen, client.post("/records/contact/new/", values, follow=True))
    return seen


def delete_and_undo(client, stub) -> Seen:
    seen = Seen()
    detail = client.get(f"/records/contact/{C3}/")
    body = look(seen, detail)
    etag = re.search(r'name="etag" value="([^"]*)"', body)
    deleted = client.post(f"/records/contact/{C3}/delete/", {"etag": etag.group(1) if etag else "", "label": "Alan Turing"}, follow=True)
    look(seen, deleted)
    look(seen, client.post(f"/records/contact/{C3}/restore/", follow=True))
    return seen


SURFACES = {
    "pages": pages,
    "export": export,
    "bulk_selected": bulk_selected,
    "bulk_all_matching": bulk_all_matching,
    "import": import_csv,
    "edit": edit,
    "create": create,
    "delete_and_undo": delete_and_undo,
}

ODD = {
    **stubs.ODD_ANSWERS,
    "slow_just_under_timeout": stubs.slow(READ_TIMEOUT * 0.3),
    "slow_just_over_timeout": stubs.slow(READ_TIMEOUT * 2),
    "slow_writes_just_over_timeout": stubs.slow(READ_TIMEOUT * 2, writes_only=True),
}


SAME_PAGE = "The Prism API sent the same page of records again instead of the next one, so the rest could not be read."
NOT_SENT = "The Prism API said more records followed but did not send them, so the rest could not be read."
BUSY = "The Prism API is busy (too many requests). Try again in a moment."
SLOW = "The Prism API took too long to answer. Try again in a moment."

# What the person is told, per odd answer and surface (every surface also passes the
# checks in the test: no 500, bounded time and requests, nothing written twice).
TOLD = {
    ("same_cursor", "pages"): ["The Prism API sent the same page again instead of the next one, so there is no next page to show."],
    ("same_cursor", "export"): [f'"# Export stopped after 3 rows: {SAME_PAGE}"'],
    ("same_cursor", "bulk_all_matching"): [f"It stopped early: {SAME_PAGE}"],
    ("repeated_page", "pages"): ["The Prism API sent the same page again instead of the next one, so there is no next page to show."],
    ("repeated_page", "export"): [f'"# Export stopped after 3 rows: {SAME_PAGE}"'],
    ("repeated_page", "bulk_all_matching"): [f"It stopped early: {SAME_PAGE}"],
    ("more_but_empty", "pages"): ["The Prism API said more records follow but did not send them, so there is no next page to show."],
    ("more_but_empty", "export"): [f'"# Export stopped after 0 rows: {NOT_SENT}"'],
    ("more_but_empty", "bulk_all_matching"): [f"It stopped early: {NOT_SENT}"],
    ("total_zero", "pages"): ["The Prism API counted 0 records in all but sent 3 records here, so that total may be wrong."],
    ("total_too_high", "pages"): ["The Prism API counted 5,003 records in all but sent 3 records here, so that total may be wrong."],
    ("odd_values", "pages"): [
        '{"given": {"latin": "Ada"}}',
        "Other values",
        "mystery",
        '{"deep": [1, {"x": "y"}]}',
        "Love, lace",
    ],
    ("odd_values", "export"): ['{""given"": {""latin"": ""Ada""}}'],
    ("odd_values", "edit"): ["The Prism API sent this value in a shape this field cannot show", "Saved."],
    ("no_etag", "edit"): ["The Prism API sent no version (ETag) for this record", "Saved."],
    ("bare_412", "edit"): ["The Prism API refused the save as a conflicting change but showed no change to the record"],
    ("bare_412", "delete_and_undo"): ["The Prism API refused the delete as a conflicting change, so it was not deleted"],
    ("no_etag", "delete_and_undo"): ["Moved “Alan Turing” to the trash.", "Restored “Alan Turing”."],
    ("slow_writes_just_over_timeout", "create"): [SLOW],
    ("slow_just_under_timeout", "edit"): ["Saved."],
    ("slow_just_under_timeout", "bulk_selected"): ["2 succeeded, 0 failed."],
    ("slow_just_over_timeout", "pages"): [SLOW],
    ("slow_writes_just_over_timeout", "bulk_selected"): [f"It stopped early: {SLOW}"],
    ("slow_writes_just_over_timeout", "import"): ["Whether the rows went in is not known; importing again is safe"],
    ("slow_writes_just_over_timeout", "edit"): [f"{SLOW} Your changes are still here"],
    **{("bare_429", surface): [BUSY] for surface in SURFACES},
    **{("slow_just_over_timeout", surface): [SLOW] for surface in SURFACES},
}


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("odd", ODD)
def test_every_surface_holds_against_each_odd_answer(editor, stub, odd, surface):
    ODD[odd](stub)
    stub.reset_log()
    started = time.monotonic()
    seen = SURFACES[surface](editor, stub)
    elapsed = time.monotonic() - started
    assert elapsed < ENDS_WITHIN * (3 if odd.startswith("slow") else 1)
    assert len(stub.calls) <= MAX_CALLS, f"{len(stub.calls)} API requests"
    applied = list(stub.store.applied)
    assert len(applied) == len(set(applied)), f"written twice: {applied}"
    for sentence in TOLD.get((odd, surface), []):
        assert sentence in seen.all, sentence
    for status, body in zip(seen.statuses, seen.texts, strict=False):
        if status == 503:
            assert "The Prism API" in body  # an outage page always says what happened


# --- one odd answer at a time, more closely ---------------------------------------------------


def test_a_429_without_retry_after_is_retried_a_bounded_number_of_times(editor, stub, settings):
    settings.PRISM_MAX_RETRIES = 2  # the dashboard's default
    stubs.bare_429(stub)
    stub.reset_log()
    started = time.monotonic()
    response = editor.get("/records/contact/")
    assert response.status_code == 503 and BUSY in text(response)
    assert len(stub.calls) == 3  # the schema, asked once and retried twice (with backoff), then the page says so
    assert time.monotonic() - started < 5


def test_an_api_that_never_ends_is_cut_at_the_export_and_bulk_bounds(editor, stub, monkeypatch):
    fresh = iter(range(10**6))

    def endless(call, m):  # always a new page and a new cursor: the walk only ever ends at a bound
        n = next(fresh)
        return stubs.Answer(200, {"data": [{"id": f"row-{n}", "properties": {}}], "has_more": True, "next_cursor": f"c{n}"})

    stub.on("POST", "contact/query", endless)
    monkeypatch.setattr("dashboard.exporting.MAX_PAGES", 5)
    monkeypatch.setattr("dashboard.bulk.MAX_PAGES", 5)
    body = b"".join(editor.get("/records/contact/export.csv?cols=first_name").streaming_content).decode()
    lines = body.splitlines()
    assert len(lines) == 1 + 5 + 1
    assert lines[-1] == (
        '"# Export stopped after 5 rows: There were more than 5 pages of records to read at once, '
        'so reading stopped there; narrow the filters and try again."'
    )
    response = editor.post(
        "/records/contact/bulk/",
        {"action": "delete", "scope": "all", "query_string": "cols=first_name", "confirm": "1"},
    )
    job = BulkJob.objects.get()
    run_bulk_job.call(str(job.pk))
    job.refresh_from_db()
    assert job.status == "failed" and job.error.startswith("There were more than 5 pages")
    assert "It stopped early: There were more than 5 pages" in text(editor.get(response["Location"]))
    assert not stub.calls_to("POST", "contact/batch/delete")


def test_an_error_halfway_through_an_export_is_its_last_line(editor, stub):
    def second_page_fails(call, m):
        if (call.body or {}).get("cursor"):
            return stubs.error(503, "unavailable", "Down for a moment.")
        with stub.store.lock:
            return stubs.Answer(200, stub.store.page("contact", call.body))

    stub.on("POST", "contact/query", second_page_fails)
    response = editor.get("/records/contact/export.csv?cols=first_name&size=10")
    assert response.status_code == 200
    rows = b"".join(response.streaming_content).decode().splitlines()
    # Page one (all three contacts: the export reads 50 at a time) has no cursor to follow.
    assert len(rows) == 4 and "Export stopped" not in rows[-1]
    stub.store.add("contact", {"first_name": "More"})
    for i in range(50):
        stub.store.add("contact", {"first_name": f"Filler {i}"})
    rows = b"".join(editor.get("/records/contact/export.csv?cols=first_name").streaming_content).decode().splitlines()
    assert len(rows) == 1 + 50 + 1
    assert rows[-1] == "# Export stopped after 50 rows: The Prism API had a problem answering. Try again in a moment."


def test_editing_a_record_with_odd_values_changes_only_what_was_changed(editor, stub):
    stubs.odd_values(stub)
    url = f"/records/contact/{C1}/edit/"
    form = text(editor.get(url))
    # Shown as sent and locked: the values no field of their type can show as they are.
    locked = {"first_name", "last_name", "email", "status", "birthday", "rating"}
    assert form.count("cannot be changed here") == len(locked)
    values = form_values(form, "record-form")
    assert not locked & set(values)  # disabled: a browser does not send them either
    # Numbers as strings, "false", one option as a string and a bare reference id fit their fields.
    assert values["score"] == ["90"] and values["active"] == ["false"] and values["tags"] == ["vip"]
    assert values["organization"] == [stubs.ORG]
    stub.reset_log()
    saved = editor.post(url, {**values, "score": ["91"]}, follow=True)
    assert "Saved." in text(saved)
    (patch,) = stub.calls_to("PATCH", f"contact/{C1}")
    assert patch.body == {"default": {"score": 91}}  # "90" as a string is 90: only the change is sent
    kept = stub.store.records["contact"][C1]["default"]
    assert {k: kept[k] for k in stubs.ODD_VALUES if k != "score"} == {k: v for k, v in stubs.ODD_VALUES.items() if k != "score"}


def test_saving_again_after_a_lost_answer_writes_once(editor, stub):
    url = f"/records/contact/{C1}/edit/"
    values = form_values(text(editor.get(url)), "record-form")
    stubs.slow(READ_TIMEOUT * 2, writes_only=True)(stub)
    stub.reset_log()
    lost = editor.post(url, {**values, "score": ["12"]})
    assert lost.status_code == 503 and "took too long" in text(lost)
    assert stub.store.records["contact"][C1]["default"]["score"] == 12  # it did happen
    stub.filters.clear()
    again = editor.post(url, {**values, "score": ["12"]}, follow=True)  # the same form, sent again
    assert "Nothing changed." in text(again)
    assert stub.store.applied == [("update", "contact", C1)]


def test_an_export_from_an_api_without_page_numbers_reads_on_by_cursor(editor, stub):
    # The stub answers every `page` with page 1, as an API that does not know page numbers
    # would: the export sees page 2 repeat page 1 and follows the cursor instead.
    with stub.store.lock:
        for n in range(120):
            stub.store.add("contact", {"first_name": f"Row{n:03}"})
        expected = [r["id"] for r in stub.store.live("contact")]
    stub.reset_log()
    body = b"".join(editor.get("/records/contact/export.csv?cols=first_name").streaming_content).decode()
    ids = [line.split(",")[0] for line in body.splitlines()[1:]]
    assert ids == expected and len(ids) == 123  # every row once, in the API's order
    assert not body.splitlines()[-1].startswith("#")
