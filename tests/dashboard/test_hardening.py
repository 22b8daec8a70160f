"""Findings of the outside security review, one regression test each, over HTTP against the sandbox."""

import csv
import datetime as dt
import io
import logging
import tracemalloc
import uuid

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import F
from django.test import Client

from dashboard.models import AuditEntry, ImportRun
from dashboard.roles import Role
from prism_sandbox import chaos

from .conftest import login

FORMULAS = ['=HYPERLINK("http://x","click")', "@SUM(1+1)", "+1+1", "-1+1", "\t=1+1", "\r=1+1"]


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def csv_text(rows) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def upload_csv(client, name: str, body: str, segment: str = "contact"):
    return client.post(f"/import/{segment}/", {"file": SimpleUploadedFile(name, body.encode(), content_type="text/csv")})


# --- 1. CSV formula injection ------------------------------------------------------------------


def test_csv_cells_a_spreadsheet_would_run_are_written_as_text_and_import_back_as_they_were(editor_client, prism):
    marker = f"Formula{uuid.uuid4().hex[:8]}"
    for name in FORMULAS:
        created = prism.request("POST", "contact", json={"default": {"first_name": name, "last_name": marker, "score": -5}})
        assert created.status_code in (200, 201), created.text

    export = editor_client.get(f"/records/contact/export.csv?cols=first_name,score&f0=last_name&o0=%3D&v0={marker}")
    assert export.status_code == 200
    header, *rows = read_csv(export)
    assert header[1:] == ["First name", "Last name", "Score"]  # the title's parts first, as the table's first column
    assert sorted(r[1] for r in rows) == sorted("'" + f for f in FORMULAS)
    assert {r[3] for r in rows} == {"-5"}  # a number property's value stays a number

    body = csv_text([["First name", "Last name", "Score", "Email"], *([f, marker, "-5", "not-an-email"] for f in FORMULAS)])
    assert upload_csv(editor_client, "f.csv", body).status_code == 302
    run = ImportRun.objects.get()
    data = {f"col{i}": run.mapping.get(c, "") for i, c in enumerate(run.headers)}
    assert editor_client.post(f"/imports/{run.pk}/", {**data, "dedupe_by": "", "action": "import"}).status_code == 302
    header, *rows = read_csv(editor_client.get(f"/imports/{run.pk}/failed.csv"))
    assert [r[0] for r in rows] == ["'" + f for f in FORMULAS]
    assert {r[2] for r in rows} == {"-5"} and all(r[4].startswith("Email:") for r in rows)

    # Fixed and imported again, the downloaded file gives the API the values as they were.
    fixed = csv_text([header[:4], *([*row[:3], f"f{n}@example.org"] for n, row in enumerate(rows))])
    assert upload_csv(editor_client, "fixed.csv", fixed).status_code == 302
    again = ImportRun.objects.get(filename="fixed.csv")
    data = {f"col{i}": again.mapping.get(c, "") for i, c in enumerate(again.headers)}
    assert editor_client.post(f"/imports/{again.pk}/", {**data, "dedupe_by": "", "action": "import"}).status_code == 302
    again.refresh_from_db()
    assert again.succeeded == len(FORMULAS), again.results
    query = {
        "query": {"select": ["first_name", "email"], "filter": [{"email": {"contains": "@example.org"}}, {"last_name": {"=": marker}}]}
    }
    stored = prism.request("POST", "contact/query", json=query).json()["data"]
    assert sorted(r["properties"]["first_name"] for r in stored) == sorted(f.strip() for f in FORMULAS)  # the importer trims text


# --- 2. Off-site redirects ---------------------------------------------------------------------

OFF_SITE = ["https://evil.example/", "//evil.example", "/\\evil.example", "http://testserver.evil.example/", "javascript:alert(1)"]


def test_redirects_after_a_form_never_leave_the_site(editor_client, prism):
    deal = prism.request("POST", "deal", json={"default": {"name": "Redirected"}}).json()["id"]
    detail, deals = f"/records/deal/{deal}/", "/records/deal/"
    for target in OFF_SITE:
        delete = editor_client.post(f"/records/deal/{deal}/delete/", {"next": target, "label": "Redirected"})
        assert (delete.status_code, delete["Location"]) == (302, deals), target
        restore = editor_client.post(f"/records/deal/{deal}/restore/", {"next": target})
        assert (restore.status_code, restore["Location"]) == (302, detail), target
        unnamed_view = editor_client.post("/records/deal/views/", {"name": "", "query_string": "cols=name", "next": target})
        assert (unnamed_view.status_code, unnamed_view["Location"]) == (302, deals), target
    # The API refusing (the record is gone) redirects the same way.
    missing = str(uuid.uuid4())
    assert (
        editor_client.post(f"/records/deal/{missing}/delete/", {"next": "https://evil.example/"})["Location"] == f"/records/deal/{missing}/"
    )
    assert editor_client.post(f"/records/deal/{missing}/restore/", {"next": "//evil.example"})["Location"] == deals
    # A page of this site is still where the form goes back to.
    assert editor_client.post(f"/records/deal/{deal}/delete/", {"next": "/records/deal/?trash=1"})["Location"] == "/records/deal/?trash=1"


# --- 5. Ids that are not ids -------------------------------------------------------------------

RECORD_PAGES = {
    "": "get",
    "edit/": "get",
    "resolve/": "post",
    "delete/": "post",
    "restore/": "post",
    "duplicate/": "post",
    "history/": "get",
    "permissions/": "get",
}
NOT_IDS = ["%2e%2e", "..", ".", "%2e", "a%2fb", "..%2f..", "x;y", "%00", "not-a-uuid", "00000000-0000-4000-8000-00000000000Z"]


def test_a_record_id_that_is_not_a_uuid_is_a_404_before_any_api_call(admin_client, prism):
    admin_client.get("/records/deal/")  # the schema is cached; from here on only record calls would reach the API
    chaos.clear_request_log()
    for bad in NOT_IDS:
        for page, method in RECORD_PAGES.items():
            response = getattr(admin_client, method)(f"/records/deal/{bad}/{page}")
            assert response.status_code == 404, (bad, page, response.status_code)
    assert prism.logged_requests() == []
    # A well-formed id the API does not know still goes to the API (and is a 404 from there).
    missing = str(uuid.uuid4())
    assert admin_client.get(f"/records/deal/{missing}/permissions/").status_code == 404
    # (The grant and the record's title are read at once; a missing record is looked for in the trash too.)
    calls = {(r.method, "/".join(r.path.rsplit("/", 2)[-2:])) for r in prism.logged_requests()}
    assert calls == {("GET", f"{missing}/grant"), ("GET", f"deal/{missing}"), ("POST", "deal/query")}
    # An audit entry left by such a request earlier is listed without a link (not a failing page);
    # home lists only records the person can read now, and this is none.
    AuditEntry.objects.create(username="admin", action="delete", segment="deal", record_id="..", record_repr="odd")
    assert admin_client.get("/").status_code == 200
    response = admin_client.get("/audit/")
    assert response.status_code == 200 and "odd" in response.content.decode()


# --- 7. Logs -----------------------------------------------------------------------------------


@pytest.fixture
def server_log():
    """What the configured console handler writes (settings.LOGGING), for the duration of a test."""
    (console,) = [h for h in logging.getLogger().handlers if h.name == "console"]
    out = io.StringIO()
    previous = console.setStream(out)
    yield out
    console.setStream(previous)


def test_refusals_are_logged_in_one_line_and_real_errors_with_their_traceback(client, prism, server_log):
    viewer = login(client, Role.VIEWER)
    assert viewer.get("/records/no-such-type/").status_code == 404
    assert viewer.get("/imports/00000000-0000-4000-8000-000000000000/").status_code == 403
    deal = uuid.uuid4()
    assert viewer.post(f"/records/deal/{deal}/delete/").status_code == 403
    assert server_log.getvalue().splitlines() == [
        "Not Found: /records/no-such-type/",
        "Forbidden (Permission denied): /imports/00000000-0000-4000-8000-000000000000/",
        f"Forbidden (Permission denied): /records/deal/{deal}/delete/",
    ]

    editor = login(Client(raise_request_exception=False), Role.EDITOR)
    broken = ImportRun.objects.create(
        user=get_user_model().objects.get(username="editor"), segment="contact", status="complete", results=[{}]
    )
    assert editor.get(f"/imports/{broken.pk}/").status_code == 500
    error = server_log.getvalue().split("\n", 3)[3]
    assert error.startswith(f"Internal Server Error: /imports/{broken.pk}/\nTraceback (most recent call last):") and "KeyError" in error


# --- 3. Guessing at the sign-in forms ----------------------------------------------------------

HELD_BACK = "Too many failed sign-ins for this username from your address."


def sign_in(client, path: str, username: str, password: str, address: str = "127.0.0.1", **headers):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def move_clock(seconds: int) -> None:
    """Let `seconds` pass for the failures recorded so far."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(seconds=seconds))


def test_every_sign_in_form_slows_guessing_per_username_and_address_with_a_growing_wait(client, django_user_model, db):
    django_user_model.objects.create_superuser("boss", "boss@example.org", "right-password-123")
    django_user_model.objects.create_user("colleague", password="colleague-password-123")
    for _ in range(4):
        response = sign_in(client, "/admin/login/", "boss", "wrong")
        assert response.status_code == 200 and HELD_BACK not in response.content.decode()
    fifth = sign_in(client, "/admin/login/", "boss", "wrong")
    assert fifth.status_code == 429 and HELD_BACK in fifth.content.decode() and "Try again in 1 minute;" in fifth.content.decode()
    assert 'class="errornote"' in fifth.content.decode()  # the admin's own form, with the sentence in it
    for path in ("/admin/login/", "/accounts/login/"):  # every form, even with the right password
        held = sign_in(client, path, "boss", "right-password-123")
        assert held.status_code == 429 and HELD_BACK in held.content.decode(), path
        assert "_auth_user_id" not in client.session
    dashboard_page = sign_in(client, "/accounts/login/", "boss", "right-password-123").content.decode()
    assert f'<div class="banner banner-error" role="alert">{HELD_BACK}' in dashboard_page
    # A header anyone can send does not make another address.
    assert sign_in(client, "/accounts/login/", "boss", "right-password-123", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429

    # Others behind the same address (a proxy, an office) sign in; so does this username from elsewhere.
    assert sign_in(Client(), "/accounts/login/", "colleague", "colleague-password-123").status_code == 302
    assert sign_in(Client(), "/admin/login/", "boss", "right-password-123", address="198.51.100.7").status_code == 302

    # Each failure after the wait doubles the next one.
    for minutes in (2, 4, 8):
        move_clock(minutes * 30 + 1)  # the last wait (half of this one) is over
        again = sign_in(client, "/accounts/login/", "boss", "wrong")
        assert again.status_code == 429 and f"Try again in {minutes} minutes;" in again.content.decode(), minutes
    assert sign_in(client, "/accounts/login/", "boss", "right-password-123").status_code == 429
    move_clock(8 * 60 + 1)
    assert sign_in(client, "/accounts/login/", "boss", "right-password-123").status_code == 302
    assert not AccessAttempt.objects.filter(username="boss", ip_address="127.0.0.1").exists()  # forgotten on success


def test_behind_trusted_proxies_the_address_is_the_one_the_nearest_proxy_saw(client, django_user_model, db, settings):
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR",)  # as TRUSTED_PROXY_COUNT=1 sets it
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.IPWARE_STRICT = False
    django_user_model.objects.create_user("ann", password="ann-password-123")
    for _ in range(5):
        last = sign_in(client, "/accounts/login/", "ann", "wrong", address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert last.status_code == 429
    # The same client, writing its own X-Forwarded-For in front of what the proxy adds: still held back.
    spoofed = sign_in(
        client, "/accounts/login/", "ann", "ann-password-123", address="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5"
    )
    assert spoofed.status_code == 429
    # Another client behind the same proxy is not.
    assert (
        sign_in(Client(), "/accounts/login/", "ann", "ann-password-123", address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code
        == 302
    )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}


# --- 6. Password reset -------------------------------------------------------------------------

RESET_PAGES = ["/accounts/password_reset/", "/accounts/password_reset/done/", "/accounts/reset/MQ/set-password/", "/accounts/reset/done/"]


def test_password_reset_is_off_without_email_and_throttled_with_it(client, django_user_model, db, settings, mailoutbox):
    cache.clear()
    django_user_model.objects.create_user("ann", "ann@example.org", "ann-password-123")
    assert settings.PASSWORD_RESET_ENABLED is False  # no EMAIL_URL in the test environment
    for path in RESET_PAGES:
        assert client.get(path).status_code == 404, path
    assert client.post("/accounts/password_reset/", {"email": "ann@example.org"}).status_code == 404
    assert "Forgot your password?" not in client.get("/accounts/login/").content.decode()

    settings.PASSWORD_RESET_ENABLED = True  # as EMAIL_URL would (tests send email into mailoutbox)
    assert 'href="/accounts/password_reset/">Forgot your password?' in client.get("/accounts/login/").content.decode()
    for _ in range(settings.PASSWORD_RESET_LIMIT):
        assert client.post("/accounts/password_reset/", {"email": "ann@example.org"})["Location"] == "/accounts/password_reset/done/"
    assert len(mailoutbox) == settings.PASSWORD_RESET_LIMIT
    for email in ("ann@example.org", "someone-else@example.org"):  # the same address asks for another account
        refused = client.post("/accounts/password_reset/", {"email": email})
        assert refused.status_code == 429 and "Too many password reset requests. Try again in an hour." in refused.content.decode()
    assert len(mailoutbox) == settings.PASSWORD_RESET_LIMIT
    # The same account, asked for from elsewhere, is held back too (no flood of mail to one person).
    assert client.post("/accounts/password_reset/", {"email": "ann@example.org"}, REMOTE_ADDR="198.51.100.7").status_code == 429
    # Someone else, elsewhere, is not.
    assert Client().post("/accounts/password_reset/", {"email": "bo@example.org"}, REMOTE_ADDR="198.51.100.8").status_code == 302


# --- 9. Large uploads ----------------------------------------------------------------------------


@pytest.fixture
def file_readings(monkeypatch):
    """How many times the dashboard reads an uploaded file's text (csv_import._lines, each time it is read)."""
    from dashboard import csv_import

    count = {"n": 0}
    original = csv_import._lines

    def counted(text):
        count["n"] += 1
        return original(text)

    monkeypatch.setattr(csv_import, "_lines", counted)
    return count


def big_csv(rows: int, extras: int) -> str:
    header = ",".join(["first_name", "email", "score", *(f"extra_{i}" for i in range(extras))])
    filler = ",".join("7" if i % 3 else "" for i in range(extras))
    return header + "\n" + "".join(f"Ann{i},ann{i}@example.org,{'x' if i % 1000 == 0 else i % 100},{filler}\n" for i in range(rows))


def test_a_large_upload_is_read_once_the_mapping_page_does_not_read_it_again_and_the_text_is_not_kept(editor_client, prism, file_readings):
    body = big_csv(10_000, 100)  # 2.2 MB
    assert upload_csv(editor_client, "big.csv", body).status_code == 302
    run = ImportRun.objects.get()
    assert (run.row_count, len(run.headers), file_readings["n"]) == (10_000, 103, 1)
    page = f"/imports/{run.pk}/"
    for traced in (False, True):  # (the first load compiles the templates)
        if traced:
            tracemalloc.start()
        html = editor_client.get(page).content.decode()
        assert "10 rows of the file have values that cannot be imported (9,990 can)" in html and "Ann1" in html
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert file_readings["n"] == 1 and peak < 10 * 2**20, peak  # reading the file on each load took 22 MB
    form = {f"col{i}": run.mapping.get(c, "") for i, c in enumerate(run.headers)} | {"dedupe_by": "", "action": "preview"}
    assert editor_client.post(page, form, HTTP_HX_REQUEST="true").status_code == 200
    assert file_readings["n"] == 1  # the same mapping: counted already
    changed = form | {"col2": ""}  # score no longer imported: every row can be
    assert "Every row's values fit their properties." in editor_client.post(page, changed, HTTP_HX_REQUEST="true").content.decode()
    assert file_readings["n"] == 2  # counted again, once, for the new mapping
    assert "Every row's values fit their properties." in editor_client.get(page).content.decode()
    assert file_readings["n"] == 2

    # A run that ended keeps its results, labels and failed rows, not the file.
    small = "first_name,email\nAda,ada@example.org\nBad,not-an-email\n"
    assert upload_csv(editor_client, "small.csv", small).status_code == 302
    ended = ImportRun.objects.get(filename="small.csv")
    form = {f"col{i}": ended.mapping.get(c, "") for i, c in enumerate(ended.headers)} | {"dedupe_by": "", "action": "import"}
    assert editor_client.post(f"/imports/{ended.pk}/", form).status_code == 302
    ended.refresh_from_db()
    assert ended.status == "complete" and ended.csv_text == "" and ended.labels == ["Ada · ada@example.org", "Bad · not-an-email"]
    results = editor_client.get(f"/imports/{ended.pk}/").content.decode()
    assert "Bad · not-an-email" in results and "Download the 1 failed row (CSV)" in results
    assert read_csv(editor_client.get(f"/imports/{ended.pk}/failed.csv"))[1][:2] == ["Bad", "not-an-email"]

    # After the retention period, `clean_imports` deletes the draft and the failed rows' file.
    ImportRun.objects.update(created_at=F("created_at") - dt.timedelta(days=8), updated_at=F("updated_at") - dt.timedelta(days=8))
    call_command("clean_imports", stdout=io.StringIO())
    assert list(ImportRun.objects.values_list("filename", "failed_csv")) == [("small.csv", "")]
    assert editor_client.get(f"/imports/{ended.pk}/failed.csv").status_code == 404
    assert "The failed rows' file was deleted 7 days after the import." in editor_client.get(f"/imports/{ended.pk}/").content.decode()


def test_clean_imports_lets_an_ended_run_that_still_holds_its_file_go_of_it(client, db):
    user = login(client, Role.EDITOR)
    editor = get_user_model().objects.get(username="editor")
    results = [{"status": "created", "id": str(uuid.uuid4()), "error": ""}, {"status": "failed", "id": None, "error": "email: bad"}]
    old = ImportRun.objects.create(
        user=editor,
        segment="contact",
        status="complete",
        csv_text="name,email\nAda,a@x.io\nBo,nope\n",
        headers=["name", "email"],
        row_count=2,
        results=results,
    )
    call_command("clean_imports", stdout=io.StringIO())
    old.refresh_from_db()
    assert (old.csv_text, old.labels) == ("", ["Ada · a@x.io", "Bo · nope"])
    assert read_csv(user.get(f"/imports/{old.pk}/failed.csv")) == [["name", "email", "error"], ["Bo", "nope", "email: bad"]]
