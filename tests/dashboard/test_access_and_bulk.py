"""Permissions editor, directory and bulk actions, against the sandbox over HTTP."""

import io
import re
import time
import uuid
from html import unescape

import pytest
from django.core.cache import cache
from django.core.management import call_command

from dashboard.models import AuditEntry, BulkJob, DirectoryEntry
from dashboard.roles import Role

from .conftest import login

USER_A = "aaaaaaaa-1111-4111-8111-00000000000a"
USER_B = "bbbbbbbb-1111-4111-8111-00000000000b"
GROUP = "99999999-1111-4111-8111-000000000099"


def text(response) -> str:
    return unescape(response.content.decode())


def make_deal(prism, name="Deal", **props) -> str:
    response = prism.request("POST", "deal", json={"default": {"name": name, **props}})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def admin(client, prism):
    return login(client, Role.ADMIN)


def test_admin_grants_a_deal_to_one_user_and_the_summary_says_so(admin, prism):
    deal = make_deal(prism)
    DirectoryEntry.objects.create(kind="user", external_id=USER_A, name="Alice Example")
    response = admin.post(
        f"/records/deal/{deal}/permissions/",
        {"team_level": "r", "kind": ["user", "group"], "who": ["alice example", GROUP], "level": ["w", "a"]},
        follow=True,
    )
    assert "Everyone in the team can read; 1 person can write; 1 group administers" in text(response)
    stored = prism.request("GET", f"deal/{deal}/grant").json()
    assert stored == {"team_id": {prism.team_id: "r"}, "user_id": [{USER_A: "w"}], "team_group_id": [{GROUP: "a"}]}
    page = text(admin.get(f"/records/deal/{deal}/permissions/"))
    assert 'value="Alice Example"' in page  # names from the directory, not ids
    entry = AuditEntry.objects.get(action="grant", record_id=deal)
    assert entry.after["user_id"] == [{USER_A: "w"}] and entry.before["team_id"] == {prism.team_id: "a"}


def test_a_record_restricted_in_the_dashboard_is_invisible_to_another_users_key(admin, prism):
    deal = make_deal(prism, "Secret")
    admin.post(f"/records/deal/{deal}/permissions/", {"team_level": "", "kind": ["user"], "who": [USER_A], "level": ["r"]})
    key_a, key_b = prism.make_key(user_id=USER_A), prism.make_key(user_id=USER_B)
    assert prism.request("GET", f"deal/{deal}", key=key_a).status_code == 200
    assert prism.request("GET", f"deal/{deal}", key=key_b).status_code == 404


def test_only_admins_change_grants(client, prism):
    deal = make_deal(prism)
    editor = login(client, Role.EDITOR)
    page = text(editor.get(f"/records/deal/{deal}/permissions/"))
    assert "Only Admins change permissions" in page and "Save permissions" not in page
    assert editor.post(f"/records/deal/{deal}/permissions/", {"team_level": ""}).status_code == 403
    assert prism.request("GET", f"deal/{deal}/grant").json()["team_id"] == {prism.team_id: "a"}


def test_bad_grant_input_is_a_message_and_changes_nothing(admin, prism):
    deal = make_deal(prism)
    response = admin.post(
        f"/records/deal/{deal}/permissions/",
        {"team_level": "r", "kind": ["user", "user"], "who": [USER_A, USER_A], "level": ["r", "w"]},
        follow=True,
    )
    assert "listed twice" in text(response)
    assert prism.request("GET", f"deal/{deal}/grant").json()["user_id"] == []


def test_contacts_have_no_permissions_tab(admin, prism):
    contact = prism.request("POST", "contact", json={"default": {"first_name": "X"}}).json()["id"]
    assert admin.get(f"/records/contact/{contact}/permissions/").status_code == 404
    assert "Permissions" not in text(admin.get(f"/records/contact/{contact}/"))


def test_bulk_set_stage_on_120_selected_deals(client, prism):
    editor = login(client, Role.EDITOR)
    ids = [make_deal(prism, f"Bulk {i}", stage="prospect") for i in range(120)]
    confirm = editor.post("/records/deal/bulk/", {"action": "set", "scope": "selected", "ids": ids, "slug": "stage"})
    assert confirm.status_code == 200 and "120 selected deals" in text(confirm) and "chunks of 100" in text(confirm)
    done = editor.post(
        "/records/deal/bulk/",
        {"action": "set", "scope": "selected", "ids": ids, "slug": "stage", "value": "won", "confirm": "1"},
        follow=True,
    )
    assert "120 succeeded, 0 failed" in text(done)
    stages = {prism.request("GET", f"deal/{i}").json()["default"]["stage"] for i in ids}
    assert stages == {"won"}
    assert AuditEntry.objects.filter(action="bulk_update", outcome="ok").count() == 120


def test_bulk_failures_are_reported_and_can_be_selected_again(client, prism):
    editor = login(client, Role.EDITOR)
    good = [make_deal(prism, f"Keep {i}") for i in range(3)]
    gone = make_deal(prism, "Gone")
    prism.request("DELETE", f"deal/{gone}")
    done = editor.post(
        "/records/deal/bulk/",
        {"action": "set", "scope": "selected", "ids": [*good, gone], "slug": "name", "value": "", "confirm": "1"},
        follow=True,
    )
    page = text(done)
    assert "0 succeeded, 4 failed" in page  # name is required: clearing it fails; the deleted one is not found
    assert "required" in page and "No deal with id" in page
    reselect = re.search(r'href="(/records/deal/\?ids=[^"]+)"', done.content.decode()).group(1)
    table = text(editor.get(unescape(reselect)))
    assert all(f'value="{i}"' in table for i in good)
    assert table.count("data-row-select") == 3 and table.count(" checked") >= 3


def test_viewers_have_no_bulk_actions(viewer_client, prism):
    deal = make_deal(prism)
    assert "bulk-form" not in text(viewer_client.get("/records/deal/"))
    response = viewer_client.post("/records/deal/bulk/", {"action": "delete", "scope": "selected", "ids": [deal], "confirm": "1"})
    assert response.status_code == 403
    assert prism.request("GET", f"deal/{deal}").status_code == 200


def test_bulk_delete_and_restore_in_the_trash(client, prism):
    editor = login(client, Role.EDITOR)
    ids = [make_deal(prism, f"Temp {i}") for i in range(3)]
    editor.post("/records/deal/bulk/", {"action": "delete", "scope": "selected", "ids": ids, "confirm": "1"})
    assert all(prism.request("GET", f"deal/{i}").status_code == 404 for i in ids)
    editor.post("/records/deal/bulk/", {"action": "restore", "scope": "selected", "ids": ids, "confirm": "1"})
    assert all(prism.request("GET", f"deal/{i}").status_code == 200 for i in ids)


def test_bulk_grant_on_many_records_has_a_result_per_record(admin, prism):
    ids = [make_deal(prism, f"G {i}") for i in range(3)]
    done = admin.post(
        "/records/deal/bulk/",
        {
            "action": "grant",
            "scope": "selected",
            "ids": ids,
            "team_level": "r",
            "kind": ["user"],
            "who": [USER_A],
            "level": ["w"],
            "confirm": "1",
        },
        follow=True,
    )
    assert "3 succeeded, 0 failed" in text(done)
    for i in ids:
        assert prism.request("GET", f"deal/{i}/grant").json()["user_id"] == [{USER_A: "w"}]


@pytest.fixture
def worker_prism(worker_sandbox, settings):
    settings.MICRO_BASE_URL = worker_sandbox.base_url
    settings.MICRO_API_KEY = worker_sandbox.api_key
    settings.MICRO_TEAM_ID = worker_sandbox.team_id
    cache.clear()
    call_command("seed_demo", "--team", worker_sandbox.team_id, "--size", "20", stdout=io.StringIO())
    yield worker_sandbox
    cache.clear()


def test_all_matching_runs_in_the_background_and_reports(client, worker_prism):
    editor = login(client, Role.EDITOR)
    marker = f"bg-{uuid.uuid4().hex[:6]}"
    ids = [make_deal(worker_prism, f"{marker} {i}", stage="prospect") for i in range(130)]
    table = f"cols=name,stage&q={marker}"
    response = editor.post(
        "/records/deal/bulk/", {"action": "set", "scope": "all", "query_string": table, "slug": "stage", "value": "lost", "confirm": "1"}
    )
    job_url = response["Location"]
    job = BulkJob.objects.get()
    assert job.query is not None and job.ids == []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in ("complete", "failed"):
            break
        progress = editor.get(job_url, headers={"HX-Request": "true"})
        assert 'id="bulk-progress"' in progress.content.decode()
        time.sleep(0.2)
    assert (job.status, job.total, job.succeeded, job.failed) == ("complete", 130, 130, 0)
    assert "130 succeeded, 0 failed" in text(editor.get(job_url))
    assert {worker_prism.request("GET", f"deal/{i}").json()["default"]["stage"] for i in ids} == {"lost"}
