"""The CSV import wizard over HTTP, against the sandbox: upload, mapping, preview, import, results."""

import csv
import io
import time
import uuid
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dashboard import csv_import
from dashboard.models import AuditEntry, ImportRun
from dashboard.roles import Role
from prism_sandbox import chaos

from .conftest import login

HX = {"HX-Request": "true"}


@pytest.fixture
def editor_client(client, prism):
    return login(client, Role.EDITOR)


def text(response) -> str:
    html = unescape(response.content.decode())
    assert "<<MISSING" not in html  # string_if_invalid: every template variable is set
    return html


def upload(client, body: str | bytes, name: str = "people.csv", segment: str = "contact"):
    data = body.encode() if isinstance(body, str) else body
    return client.post(f"/import/{segment}/", {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def start_run(client, body: str, **kwargs) -> ImportRun:
    response = upload(client, body, **kwargs)
    assert response.status_code == 302, text(response)
    run = ImportRun.objects.get()
    assert response["Location"] == f"/imports/{run.pk}/"
    return run


def mapping_data(run: ImportRun, action: str = "import", **changes) -> dict:
    """The mapping form as submitted untouched (the auto-matched columns), with changes by column name."""
    mapping = {**run.mapping, **changes.pop("columns", {})}
    data = {f"col{i}": mapping.get(column, "") for i, column in enumerate(run.headers)}
    return {**data, "dedupe_by": "", "action": action, **changes}


def contacts_with(prism, slug: str, value: str) -> list[dict]:
    body = {
        "query": {
            "select": ["first_name", "email", "score", "is_vip", "status", "tags", "birthday"],
            "filter": [{slug: {"=": value}}],
            "limit": 50,
        }
    }
    response = prism.request("POST", "contact/query", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_small_import_end_to_end(editor_client, prism):
    existing = prism.request("POST", "contact", json={"default": {"first_name": "Old", "email": "grace@example.org"}}).json()["id"]
    missing_org = str(uuid.uuid4())
    body = (
        "First Name,E-mail,Score,VIP,Status,Tags,Birthday,organization,Shoe size\n"
        "Ada,ada@example.org,7,yes,Lead,VIP;partner,1815-12-10,,38\n"
        "Grace,GRACE@example.org,9,no,customer,,,,40\n"  # matches the existing contact, ignoring case
        "Bad,bad-email,x,maybe,,,,,41\n"  # fails in the dashboard: never sent
        f"Nobody,nobody@example.org,1,,,,,{missing_org},42\n"  # fails in the API: no such organization
    )
    assert "Import CSV" in text(editor_client.get("/records/contact/"))
    run = start_run(editor_client, body)
    assert (run.filename, run.row_count, run.status) == ("people.csv", 4, "draft")
    assert run.mapping == {
        "First Name": "first_name",
        "E-mail": "email",
        "Score": "score",
        "VIP": "is_vip",
        "Status": "status",
        "Tags": "tags",
        "Birthday": "birthday",
        "organization": "organization",
    }

    page = text(editor_client.get(f"/imports/{run.pk}/"))
    assert "Preview: the first 4 of 4 rows" in page
    assert "Not imported (mapped to no property): “Shoe size”." in page
    # Bad cells are flagged inline, in the preview, with the reason.
    assert "“bad-email” is not an email address." in page and "“maybe” is not yes or no" in page
    assert "1 row of the file has values that cannot be imported (3 can)" in page

    response = editor_client.post(f"/imports/{run.pk}/", mapping_data(run, dedupe_by="email", case_insensitive="on"))
    assert response.status_code == 302 and response["Location"] == f"/imports/{run.pk}/"
    run.refresh_from_db()
    assert run.status == "complete" and run.job_ids == []  # 3 rows: the API answered in the request
    assert [r["status"] for r in run.results] == ["created", "updated", "failed", "failed"]
    assert run.results[1]["id"] == existing
    assert "VIP: “maybe” is not yes or no" in run.results[2]["error"]
    assert "organization" in run.results[3]["error"]
    assert (run.processed, run.succeeded, run.failed) == (4, 2, 2)

    (ada,) = contacts_with(prism, "email", "ada@example.org")
    expected = {"first_name": "Ada", "score": 7, "is_vip": True, "status": "lead", "birthday": "1815-12-10"}
    assert {k: ada["properties"].get(k) for k in expected} == expected
    assert sorted(ada["properties"]["tags"]) == ["partner", "vip"]
    (grace,) = contacts_with(prism, "email", "grace@example.org")  # updated, not duplicated
    assert grace["id"] == existing and grace["properties"]["first_name"] == "Grace" and grace["properties"]["is_vip"] is False
    assert contacts_with(prism, "email", "nobody@example.org") == []

    results = text(editor_client.get(f"/imports/{run.pk}/"))
    assert "Import finished" in results and 'data-count="created">1<' in results and 'data-count="updated">1<' in results
    assert 'data-count="failed-rows">2<' in results and "Download the 2 failed rows (CSV)" in results
    assert f'href="/records/contact/{existing}/"' in results
    failed_only = text(editor_client.get(f"/imports/{run.pk}/?show=failed"))
    assert "Open record" not in failed_only and "Ada · ada@example.org" not in failed_only
    assert "Bad · bad-email · x" in failed_only and "Nobody · nobody@example.org · 1" in failed_only

    download = editor_client.get(f"/imports/{run.pk}/failed.csv")
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="people-failed-rows.csv"' in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["First Name", "E-mail", "Score", "VIP", "Status", "Tags", "Birthday", "organization", "Shoe size", "error"]
    assert [r[:9] for r in rows[1:]] == [
        ["Bad", "bad-email", "x", "maybe", "", "", "", "", "41"],
        ["Nobody", "nobody@example.org", "1", "", "", "", "", missing_org, "42"],
    ]
    assert rows[1][9].startswith("E-mail: “bad-email” is not an email address.")

    entry = AuditEntry.objects.get(action=AuditEntry.Action.IMPORT)
    assert (entry.username, entry.segment, entry.outcome, entry.record_repr) == ("editor", "contact", "ok", "people.csv")
    assert entry.after == {"rows": 4, "created": 1, "updated": 1, "failed": 2, "dedupe_by": "email", "import_run": str(run.pk)}
    assert entry.message == "1 created, 1 updated, 2 failed"


def test_pasted_csv_and_a_second_click_imports_once(editor_client, prism):
    response = editor_client.post("/import/organization/", {"text": "Name,Domain\nPasted Org One,one.example\n"})
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert run.filename == "" and run.mapping == {"Name": "name", "Domain": "domain"}
    assert editor_client.post(f"/imports/{run.pk}/", mapping_data(run)).status_code == 302
    again = editor_client.post(f"/imports/{run.pk}/", mapping_data(run))  # a double submit
    assert again.status_code == 302
    found = prism.request("GET", "organization", params={"domain": "one.example"}).json()["data"]
    assert len(found) == 1
    assert AuditEntry.objects.filter(action="import").count() == 1


def test_viewer_gets_403_everywhere_and_sees_no_import_link(client, prism):
    editor = login(client, Role.EDITOR)
    run = start_run(editor, "name\nx\n", segment="organization")
    client.logout()
    viewer = login_as_viewer(client)
    assert "Import CSV" not in text(viewer.get("/records/contact/"))
    assert viewer.get("/import/contact/").status_code == 403
    assert viewer.post("/import/contact/", {"text": "name\nx\n"}).status_code == 403
    for path in (f"/imports/{run.pk}/", f"/imports/{run.pk}/progress/", f"/imports/{run.pk}/failed.csv"):
        assert viewer.get(path).status_code == 403
    assert ImportRun.objects.count() == 1


def login_as_viewer(client):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username="viewer", password="pw-for-tests-only")
    user.groups.set([Group.objects.get(name=Role.VIEWER.value)])
    client.force_login(user)
    return client


def test_read_only_types_and_other_peoples_runs_are_404(editor_client, prism, django_user_model):
    assert editor_client.get("/import/event/").status_code == 404
    assert "Import CSV" not in text(editor_client.get("/records/event/"))
    other = ImportRun.objects.create(
        user=django_user_model.objects.create_user("other"), segment="contact", csv_text="a\nb\n", headers=["a"]
    )
    assert editor_client.get(f"/imports/{other.pk}/").status_code == 404
    assert editor_client.get(f"/imports/{other.pk}/failed.csv").status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("name,email\nZoë,z@example.org\n".encode("cp1252"), "The file is not UTF-8 text: byte 0xEB on line 2"),
        ("name\nx\n".encode("utf-16"), "saved as UTF-16"),
        (b"", "The file is empty."),
        (b"\n\nname\nx\n", "The first row is empty. It must name the columns"),
        (b"ada@example.org,Ada\n", "The first row looks like data (“ada@example.org”)"),
        (b"name,Email,email\nA,b,c\n", "The header row names the column “email” twice (columns 2 and 3)."),
        (b"name,email\n", "The file has a header row but no rows of data under it."),
        (b"name\n" + b"x\n" * 50_001, "The file has 50,001 rows; an import takes at most 50,000."),
        (b"name\n" + b"x" * (csv_import.MAX_BYTES + 1), "The file is 20.0 MB; an import takes files up to 20.0 MB."),
    ],
    ids=["latin1", "utf16", "empty", "empty-header", "no-header", "duplicate-columns", "no-rows", "too-many-rows", "too-large"],
)
def test_file_problems_are_shown_inline(editor_client, body, message):
    response = upload(editor_client, body)
    assert response.status_code == 422
    page = text(response)
    assert message in page and 'role="alert"' in page and "Traceback" not in page
    if "UTF" in message or "NUL" in message:
        assert "CSV UTF-8" in page  # how to save as UTF-8
    assert ImportRun.objects.count() == 0


def test_nothing_chosen_or_both_chosen(editor_client):
    assert "Choose a CSV file or paste CSV text." in text(editor_client.post("/import/contact/", {"text": "  "}))
    both = editor_client.post(
        "/import/contact/", {"text": "name\nx\n", "file": SimpleUploadedFile("a.csv", b"name\ny\n", content_type="text/csv")}
    )
    assert both.status_code == 422 and "Choose a file or paste text, not both." in text(both)


def test_mapping_problems_block_the_import_and_warnings_do_not(editor_client, prism):
    run = start_run(editor_client, "Domain,Website,Extra\nwarn.example,warn.example,1\n", segment="organization")
    page = text(editor_client.get(f"/imports/{run.pk}/"))
    assert "No column fills Name, which is required" in page
    assert "Not imported (mapped to no property): “Extra”." in page

    twice = editor_client.post(f"/imports/{run.pk}/", mapping_data(run, columns={"Extra": "domain"}))
    assert twice.status_code == 422
    assert "Columns “Domain” and “Extra” are both mapped to Domain." in text(twice)
    unmapped_dedupe = editor_client.post(f"/imports/{run.pk}/", mapping_data(run, dedupe_by="name"))
    assert unmapped_dedupe.status_code == 422 and "To match existing records by Name, map a column to Name." in text(unmapped_dedupe)
    nothing = editor_client.post(f"/imports/{run.pk}/", mapping_data(run, columns={"Domain": "", "Website": ""}))
    assert "Map at least one column to a property." in text(nothing)
    run.refresh_from_db()
    assert run.status == "draft" and not AuditEntry.objects.exists()

    # A warning is no error: the row goes to the API, which refuses it without a name.
    done = editor_client.post(f"/imports/{run.pk}/", mapping_data(run, columns={"Domain": "domain", "Website": "website"}))
    assert done.status_code == 302
    run.refresh_from_db()
    assert run.status == "complete" and run.results[0]["status"] == "failed" and "name" in run.results[0]["error"]
    assert run.results[0]["error"] in text(editor_client.get(f"/imports/{run.pk}/"))


def test_changing_the_mapping_refreshes_the_preview_with_htmx(editor_client, prism):
    run = start_run(editor_client, "first_name,score\nAda,lots\n")
    before = editor_client.get(f"/imports/{run.pk}/")
    assert "“lots” is not a number" in text(before)
    partial = editor_client.post(f"/imports/{run.pk}/", mapping_data(run, action="", columns={"score": ""}), headers=HX)
    assert partial.status_code == 200
    html = text(partial)
    assert html.strip().startswith('<section id="preview"') and "<html" not in html
    assert "is not a number" not in html and "Not imported (mapped to no property): “score”." in html
    assert "Every row's values fit their properties." in html
    run.refresh_from_db()
    assert run.mapping == {"first_name": "first_name"} and run.status == "draft"


def test_an_api_outage_at_start_keeps_the_draft_and_says_so(editor_client, prism):
    run = start_run(editor_client, "first_name\nOutage Olga\n")
    assert editor_client.get(f"/imports/{run.pk}/").status_code == 200  # the schema is cached now
    chaos.configure(error_rate=1.0, error_status=503)
    response = editor_client.post(f"/imports/{run.pk}/", mapping_data(run))
    chaos.configure()
    assert response.status_code == 503
    assert "Nothing was imported. The Prism API had a problem answering." in text(response)
    run.refresh_from_db()
    assert run.status == "draft"
    entry = AuditEntry.objects.get(action="import")
    assert entry.outcome == "failed" and entry.after["rows"] == 1
    assert editor_client.post(f"/imports/{run.pk}/", mapping_data(run)).status_code == 302  # try again: it goes in
    assert len(contacts_with(prism, "first_name", "Outage Olga")) == 1


def poll_until_finished(client, run: ImportRun, timeout: float = 90.0) -> list[str]:
    """Poll the progress fragment as the page does, until the run has ended; the fragments seen."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        fragment = client.get(f"/imports/{run.pk}/progress/", headers=HX)
        assert fragment.status_code == 200
        seen.append(text(fragment))
        if 'hx-trigger="every 1s"' not in seen[-1]:
            return seen
        time.sleep(0.2)
    pytest.fail(f"The import did not finish in {timeout} s: {seen[-1]}")


def test_a_large_import_goes_in_chunks_as_api_jobs_and_the_page_polls_them(editor_client, prism, task_worker, monkeypatch):
    monkeypatch.setattr(csv_import, "API_CHUNK_ROWS", 150)
    tag = uuid.uuid4().hex[:8]
    lines = ["first_name,last_name,score"] + [f"Row{i},{tag},{i}" for i in range(1, 301)]
    lines[100] = f"Row100,{tag},not-a-number"
    run = start_run(editor_client, "\n".join(lines) + "\n")
    response = editor_client.post(f"/imports/{run.pk}/", mapping_data(run))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == "running" and len(run.job_ids) == 2  # 299 rows sent: 150 + 149
    assert run.results[99] == csv_import.failed(
        "score: “not-a-number” is not a number (write it like 1234.5, without thousands separators)."
    )

    page = text(editor_client.get(f"/imports/{run.pk}/"))
    assert 'hx-trigger="every 1s"' in page and 'id="import-progress-bar" max="300"' in page
    fragments = poll_until_finished(editor_client, run)
    final = fragments[-1]
    assert 'max="300" value="300"' in final and "Import finished" in final
    assert 'data-count="created">299<' in final and 'data-count="failed-rows">1<' in final
    run.refresh_from_db()
    assert run.status == "complete" and (run.processed, run.succeeded, run.failed) == (300, 299, 1)

    # Results are in CSV order: row i created the record named Row{i}.
    ids = {r["id"]: i for i, r in enumerate(run.results, start=1) if r["id"]}
    body = {"query": {"select": ["first_name"], "filter": [{"last_name": {"=": tag}}], "limit": 50}}
    api = []
    while True:
        data = prism.request("POST", "contact/query", json=body).json()
        api += data["data"]
        if not data["has_more"]:
            break
        body["cursor"] = data["next_cursor"]
    assert len(api) == 299
    assert all(row["properties"]["first_name"] == f"Row{ids[row['id']]}" for row in api)
    entry = AuditEntry.objects.get(action="import")
    assert entry.after["created"] == 299 and entry.after["failed"] == 1 and entry.username == "editor"


def running_run(user, job_id: str) -> ImportRun:
    """A run waiting for one API job (as start() leaves it), without sending anything."""
    return ImportRun.objects.create(
        user=user,
        segment="contact",
        filename="late.csv",
        csv_text="first_name\nA\nB\n",
        headers=["first_name"],
        row_count=2,
        mapping={"first_name": "first_name"},
        status="running",
        job_ids=[job_id],
        results=[{"status": "pending", "job": 0}, {"status": "pending", "job": 0}],
    )


def test_polling_through_an_api_outage_keeps_polling_and_says_so(editor_client, prism, django_user_model):
    run = running_run(django_user_model.objects.get(username="editor"), str(uuid.uuid4()))
    chaos.configure(error_rate=1.0, error_status=503)
    fragment = text(editor_client.get(f"/imports/{run.pk}/progress/", headers=HX))
    chaos.configure()
    assert "The Prism API had a problem answering. Try again in a moment. The import goes on" in fragment
    assert 'hx-trigger="every 1s"' in fragment  # still polling
    run.refresh_from_db()
    assert run.status == "running"
    assert editor_client.get(f"/imports/{run.pk}/progress/").status_code == 302  # only htmx polls


def test_a_job_the_api_no_longer_knows_ends_the_run_with_its_rows_failed(editor_client, prism, django_user_model):
    run = running_run(django_user_model.objects.get(username="editor"), str(uuid.uuid4()))
    fragment = text(editor_client.get(f"/imports/{run.pk}/progress/", headers=HX))
    assert "The import stopped" in fragment and "hx-trigger" not in fragment
    assert "no longer knows this import's job" in fragment
    run.refresh_from_db()
    assert run.status == "failed" and [r["status"] for r in run.results] == ["failed", "failed"]
    entry = AuditEntry.objects.get(action="import")
    assert entry.outcome == "failed" and entry.after["failed"] == 2
    rows = list(csv.reader(io.StringIO(editor_client.get(f"/imports/{run.pk}/failed.csv").content.decode("utf-8-sig"))))
    assert [r[0] for r in rows] == ["first_name", "A", "B"]
