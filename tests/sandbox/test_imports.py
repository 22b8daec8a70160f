"""POST /{t}/import and GET /imports/{jobId} (docs/sandbox.md, "Imports"): sync up to
100 rows, async jobs above run by a real `manage.py db_worker`, per-row results in
order, dedupe, row-level failure, the 10,000-row cap, idempotency, a job-level
failure and the resumption of a job whose worker died."""

import datetime as dt
import itertools
import time
import uuid

import pytest
from django_tasks_db.models import DBTaskResult
from micro_so import APIStatusError

from prism_sandbox.models import ImportJob, Record

from .conftest import assert_error, create, sdk_as

POLL_DEADLINE = 60  # seconds; a shared two-core machine can be slow


def contact_rows(n: int, start: int = 0) -> list[dict]:
    return [{"default": {"first_name": f"Row{i}", "email": f"row{i}@import.test", "score": i}} for i in range(start, start + n)]


def poll(client, job_id: str, deadline: float = POLL_DEADLINE) -> list:
    """Every snapshot `imports.get` returned until the job finished (complete or failed)."""
    snapshots = []
    stop = time.monotonic() + deadline
    while True:
        snap = client.prism.imports.get(job_id)
        snapshots.append(snap)
        if snap.status != "processing":
            return snapshots
        assert time.monotonic() < stop, f"import {job_id} still processing after {deadline}s: {snap}"
        time.sleep(0.02)


def scores_by_id(ids) -> dict[str, int]:
    rows = Record.objects.filter(id__in=[i for i in ids if i]).values_list("id", "properties")
    return {str(pk): props.get("score") for pk, props in rows}


def live_contacts(sandbox) -> int:
    return Record.objects.filter(team_id=sandbox.team_id, segment="contact", deleted_at__isnull=True).count()


# --- sync -------------------------------------------------------------------------------


def test_up_to_100_rows_import_synchronously_with_results_inline(sandbox):
    raw = sandbox.request("POST", "contact/import", json={"objects": contact_rows(100)})
    assert raw.status_code == 200, raw.text
    assert "Location" not in raw.headers
    body = raw.json()
    assert body["job_id"] is None and body["status"] == "complete"
    assert (body["total"], body["processed"], body["succeeded"], body["failed"]) == (100, 100, 100, 0)
    results = body["results"]
    assert len(results) == 100
    assert all(r["created"] is True and r["existing"] is False and r["error"] is None for r in results)
    # one result per input row, in input order
    assert scores_by_id([r["id"] for r in results]) == {r["id"]: i for i, r in enumerate(results)}
    assert live_contacts(sandbox) == 100
    record = sandbox.request("GET", f"contact/{results[7]['id']}").json()
    assert record["default"]["email"] == "row7@import.test"


def test_sync_import_through_the_sdk(sandbox):
    made = sandbox.sdk().prism.objects.contacts.bulk_create(objects=contact_rows(3))
    assert made.job_id is None and made.status == "complete" and made.total == 3
    assert [r.created for r in made.results] == [True, True, True]
    assert [scores_by_id([r.id])[r.id] for r in made.results] == [0, 1, 2]


def test_a_bad_row_fails_alone(sandbox):
    rows = [
        {"default": {"first_name": "Good0"}},
        {"default": {"no_such_slug": "x"}},
        {"default": {"first_name": "Good2", "score": "not a number"}},
        "not an object",
        {"default": {"first_name": "Good4", "status": "no-such-option"}},
        {"default": {"first_name": "Good5", "organization": str(uuid.uuid4())}},
        {"default": ["a", "list"]},
        {"default": {"first_name": "Good7", "email": "Good7@Import.Test"}},
    ]
    body = sandbox.request("POST", "contact/import", json={"objects": rows}).json()
    results = body["results"]
    assert len(results) == len(rows)
    ok = [0, 7]
    for i, result in enumerate(results):
        if i in ok:
            assert result["error"] is None and result["created"] is True and result["id"], result
        else:
            assert result["id"] is None and result["created"] is False and result["existing"] is False, result
            assert result["error"]["code"] in ("validation_error", "invalid_row", "invalid_request"), result
            assert result["error"]["message"]
    assert results[1]["error"]["code"] == "validation_error" and "no_such_slug" in results[1]["error"]["message"]
    assert results[2]["error"]["code"] == "validation_error" and "score" in results[2]["error"]["message"]
    assert (body["succeeded"], body["failed"], body["processed"]) == (2, 6, 8)
    names = {r.properties.get("first_name") for r in Record.objects.filter(team_id=sandbox.team_id)}
    assert names == {"Good0", "Good7"}  # the bad rows left nothing behind


def test_references_are_checked_per_row(sandbox):
    live = create(sandbox, "organization", name="Live")["id"]
    gone = create(sandbox, "organization", name="Gone")["id"]
    assert sandbox.request("DELETE", f"organization/{gone}").status_code == 204
    contact = create(sandbox, "contact", first_name="Not an org")["id"]
    list_id = str(uuid.uuid4())
    rows = [
        {"default": {"first_name": "Good", "organization": live.upper()}},
        {"default": {"first_name": "Deleted", "organization": gone}},
        {"default": {"first_name": "Missing", "organization": str(uuid.uuid4())}},
        {"default": {"first_name": "Wrong type", "organization": contact}},
        {"default": {"first_name": "Malformed", "organization": "not-a-uuid"}},
        {"default": {"first_name": "Listed"}, "list": {list_id: {"organization": live}}},
        {"default": {"first_name": "Listed gone"}, "list": {list_id: {"organization": gone}}},
        {"default": {"first_name": "Good again", "organization": live}},
    ]
    results = sandbox.request("POST", "contact/import", json={"objects": rows}).json()["results"]
    assert [r["error"] is None for r in results] == [True, False, False, False, False, True, False, True]
    assert all("organization" in r["error"]["message"] for r in results if r["error"])
    good = sandbox.request("GET", f"contact/{results[0]['id']}", params={"select": "organization.name"}).json()
    assert good["default"]["organization"] == {"id": live, "properties": {"name": "Live"}}
    listed = Record.objects.get(id=results[5]["id"])
    assert listed.list_values == {list_id: {"organization": live}}
    assert live_contacts(sandbox) == 1 + 3


def test_dedupe_applies_a_row_to_the_matching_live_record(sandbox):
    ada = create(sandbox, "contact", first_name="Ada", email="Ada@Example.com", score=1)
    gone = create(sandbox, "contact", first_name="Gone", email="gone@example.com")
    assert sandbox.request("DELETE", f"contact/{gone['id']}").status_code == 204
    rows = [
        {"default": {"email": "ada@example.COM", "score": 9}},
        {"default": {"email": "gone@example.com", "first_name": "Back"}},  # deleted: not a match
        {"default": {"email": "new@example.com", "first_name": "New"}},
    ]
    body = sandbox.sdk().prism.objects.contacts.bulk_create(objects=rows, options={"dedupe_by": "email", "case_insensitive": True})
    first, second, third = body.results
    assert (first.id, first.existing, first.created, first.error) == (ada["id"], True, False, None)
    assert second.existing is False and second.created is True and second.id != gone["id"]
    assert third.existing is False and third.created is True
    after = sandbox.request("GET", f"contact/{ada['id']}")
    assert after.json()["default"]["score"] == 9 and after.json()["default"]["first_name"] == "Ada"
    assert after.headers["ETag"] != '"1"'
    assert live_contacts(sandbox) == 3


def test_dedupe_is_case_sensitive_unless_asked(sandbox):
    create(sandbox, "contact", first_name="Ada", email="Ada@Example.com")
    rows = [{"default": {"email": "ada@example.com", "first_name": "Other"}}]
    body = sandbox.request("POST", "contact/import", json={"objects": rows, "options": {"dedupe_by": "email"}}).json()
    assert body["results"][0]["existing"] is False and body["results"][0]["created"] is True
    exact = [{"default": {"email": "Ada@Example.com", "score": 3}}]
    body = sandbox.request("POST", "contact/import", json={"objects": exact, "options": {"dedupe_by": "email"}}).json()
    assert body["results"][0]["existing"] is True
    assert live_contacts(sandbox) == 2


def test_dedupe_with_several_matches_fails_that_row_only(sandbox):
    create(sandbox, "contact", first_name="Twin", email="twin@example.com")
    create(sandbox, "contact", first_name="Twin", email="twin2@example.com")
    rows = [{"default": {"first_name": "twin", "score": 1}}, {"default": {"first_name": "Solo"}}]
    body = sandbox.request(
        "POST",
        "contact/import",
        json={"objects": rows, "options": {"dedupe_by": "first_name", "caseInsensitive": True}},
    ).json()
    assert body["results"][0]["error"]["code"] == "multiple_matches"
    assert body["results"][1]["created"] is True
    assert live_contacts(sandbox) == 3


def test_import_options_are_validated(sandbox):
    assert_error(sandbox.request("POST", "contact/import", json={"objects": {}}), 400, "invalid_request")
    bad = {"objects": contact_rows(1), "options": {"dedupe_by": "no_such_slug"}}
    assert_error(sandbox.request("POST", "contact/import", json=bad), 400, "invalid_request")
    assert_error(sandbox.request("POST", "event/import", json={"objects": []}), 405, "method_not_allowed")
    assert live_contacts(sandbox) == 0


def test_more_than_10000_rows_is_413_and_nothing_is_done(sandbox):
    response = sandbox.request("POST", "contact/import", json={"objects": [{"default": {"first_name": "x"}}] * 10_001})
    assert_error(response, 413, "too_many_items")
    assert live_contacts(sandbox) == 0
    assert not ImportJob.objects.exists()


def test_a_member_import_cannot_dedupe_into_records_it_may_not_write(sandbox):
    member_user = str(uuid.uuid4())
    member = sandbox.make_key(user_id=member_user)
    hidden = create(sandbox, "deal", name="Hidden")
    readonly = create(sandbox, "deal", name="Readonly")
    sandbox.request("PUT", f"deal/{hidden['id']}/grant", json={"team_id": {}, "user_id": []})
    sandbox.request("PUT", f"deal/{readonly['id']}/grant", json={"user_id": [{member_user: "r"}]})
    rows = [{"default": {"name": "Hidden", "amount": 1}}, {"default": {"name": "Readonly", "amount": 1}}]
    body = sandbox.request("POST", "deal/import", key=member, json={"objects": rows, "options": {"dedupe_by": "name"}}).json()
    hidden_row, readonly_row = body["results"]
    # a record the key cannot read is no match (the row creates one); one it can only read is 403
    assert hidden_row["created"] is True and hidden_row["id"] != hidden["id"]
    assert readonly_row["error"]["code"] == "forbidden"
    assert Record.objects.get(id=hidden["id"]).properties.get("amount") is None
    assert Record.objects.get(id=readonly["id"]).properties.get("amount") is None


# --- async ------------------------------------------------------------------------------


def test_above_100_rows_runs_as_a_background_job_polled_to_completion(sandbox, task_worker):
    client = sandbox.sdk()
    org = create(sandbox, "organization", name="Org")["id"]
    gone = create(sandbox, "organization", name="Gone")["id"]
    sandbox.request("DELETE", f"organization/{gone}")
    rows = contact_rows(1500)
    for row in rows[::2]:
        row["default"]["organization"] = org
    rows[3] = {"default": {"first_name": "Bad", "score": "three"}}
    rows[701]["default"]["organization"] = gone
    rows[1200] = {"default": {"nope": 1}}
    raw = client.prism.objects.contacts.with_raw_response.bulk_create(objects=rows)
    assert raw.status_code == 202
    started = raw.parse()
    assert started.status == "processing" and started.job_id and started.total == 1500
    assert started.results is None
    assert raw.headers["location"] == f"/v2/prism/{sandbox.team_id}/imports/{started.job_id}"
    assert started.expires_at - started.created_at == dt.timedelta(hours=24)
    # the Location is the job, under the API's base URL
    located = sandbox.session.get(sandbox.base_url + raw.headers["location"], headers={"x-api-key": sandbox.api_key})
    assert located.status_code == 200 and located.json()["job_id"] == started.job_id

    snapshots = poll(client, started.job_id)
    done = snapshots[-1]
    assert done.status == "complete" and done.error is None
    assert (done.total, done.processed, done.succeeded, done.failed) == (1500, 1500, 1497, 3)
    # the counters only grow, and pollers saw them part-way
    counters = [(s.processed, s.succeeded, s.failed) for s in snapshots]
    assert all(a <= b for before, after in itertools.pairwise(counters) for a, b in zip(before, after, strict=True))
    assert all(s.processed == s.succeeded + s.failed for s in snapshots)
    assert any(0 < s.processed < 1500 for s in snapshots), counters
    assert all(s.results is None for s in snapshots if s.status == "processing")
    # one result per row, in input order
    results = done.results
    assert len(results) == 1500
    assert results[3].error.code == "validation_error" and results[3].id is None
    assert results[1200].error.code == "validation_error"
    assert results[701].error.code == "validation_error" and "organization" in results[701].error.message
    scores = scores_by_id([r.id for r in results])
    good = [i for i in range(1500) if i not in (3, 701, 1200)]
    assert [scores[results[i].id] for i in good] == good
    assert all(results[i].created and not results[i].existing for i in good)
    assert live_contacts(sandbox) == 1497
    # run as a Django task by the database backend's worker
    task = DBTaskResult.objects.get(args_kwargs__args=[started.job_id])
    assert task.task_path == "prism_sandbox.imports.run_import"
    stop = time.monotonic() + 10  # the worker records the outcome just after the job's last write
    while task.status not in ("SUCCESSFUL", "FAILED") and time.monotonic() < stop:
        time.sleep(0.02)
        task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    linked = Record.objects.filter(team_id=sandbox.team_id, segment="contact", properties__organization=org)
    assert linked.count() == 749  # the even rows, less row 1200
    assert done.expires_at - done.created_at == dt.timedelta(hours=24)


def test_exactly_10000_rows_is_accepted_as_a_job(sandbox, task_worker):
    client = sandbox.sdk()
    started = client.prism.objects.contacts.bulk_create(objects=["x"] * 10_000)  # each row fails fast
    assert started.status == "processing" and started.total == 10_000
    done = poll(client, started.job_id)[-1]
    assert (done.status, done.processed, done.failed, done.succeeded) == ("complete", 10_000, 10_000, 0)
    assert len(done.results) == 10_000 and {r.error.code for r in done.results} == {"invalid_row"}


def test_async_dedupe_reports_existing_rows(sandbox, task_worker):
    client = sandbox.sdk()
    existing = create(sandbox, "contact", first_name="Row5", email="ROW5@import.test")
    started = client.prism.objects.contacts.bulk_create(objects=contact_rows(150), options={"dedupe_by": "email", "case_insensitive": True})
    done = poll(client, started.job_id)[-1]
    assert done.status == "complete" and done.succeeded == 150
    assert (done.results[5].id, done.results[5].existing, done.results[5].created) == (existing["id"], True, False)
    assert sum(r.existing for r in done.results) == 1
    assert live_contacts(sandbox) == 150


def test_unknown_expired_or_other_teams_jobs_are_404(sandbox):
    client = sandbox.sdk()
    with pytest.raises(APIStatusError) as unknown:
        client.prism.imports.get(str(uuid.uuid4()))
    assert unknown.value.status_code == 404
    assert_error(sandbox.request("GET", "imports/not-a-uuid"), 404, "not_found")
    other_team = uuid.uuid4()
    from prism_sandbox.teams import provision_team

    provision_team(other_team)
    now = dt.datetime.now(dt.UTC)
    job = ImportJob.objects.create(
        team_id=other_team,
        segment="contact",
        total=1,
        status="complete",
        created_at=now,
        updated_at=now,
        expires_at=now + dt.timedelta(hours=1),
    )
    assert_error(sandbox.request("GET", f"imports/{job.id}"), 404, "not_found")
    expired = make_job(sandbox, ["x"], ago=dt.timedelta(hours=25))
    ImportJob.objects.filter(id=expired.id).update(status="complete")
    assert_error(sandbox.request("GET", f"imports/{expired.id}"), 404, "not_found")


def make_job(sandbox, rows, *, processed=0, results=(), ago=dt.timedelta(minutes=2), object_type="contact") -> ImportJob:
    """A job as a worker that died would leave it: processing, not touched for a while."""
    from prism_sandbox.models import ApiKey, hash_key

    then = dt.datetime.now(dt.UTC) - ago
    return ImportJob.objects.create(
        team_id=sandbox.team_id,
        api_key=ApiKey.objects.get(key_hash=hash_key(sandbox.api_key)),
        segment=object_type,
        total=len(rows) if isinstance(rows, list) else 1,
        processed=processed,
        succeeded=processed,
        objects_json=rows,
        results=list(results),
        created_at=then,
        updated_at=then,
        expires_at=then + dt.timedelta(hours=24),
    )


def test_a_job_whose_worker_died_resumes_and_applies_each_row_once(sandbox, task_worker):
    rows = contact_rows(600)
    applied = Record.objects.bulk_create(
        Record(team_id=sandbox.team_id, segment="contact", properties=row["default"], source="import") for row in rows[:250]
    )
    results = [{"id": str(r.id), "created": True, "existing": False, "error": None} for r in applied]
    job = make_job(sandbox, rows, processed=250, results=results)
    client = sandbox.sdk()

    snapshots = poll(client, str(job.id))
    assert (snapshots[0].status, snapshots[0].processed) == ("processing", 250)
    done = snapshots[-1]
    assert done.status == "complete"
    assert (done.total, done.processed, done.succeeded, done.failed) == (600, 600, 600, 0)
    assert [r.id for r in done.results[:250]] == [str(r.id) for r in applied]
    scores = scores_by_id([r.id for r in done.results])
    assert [scores[r.id] for r in done.results] == list(range(600))
    # each row applied exactly once
    emails = [p["email"] for p in Record.objects.filter(team_id=sandbox.team_id).values_list("properties", flat=True)]
    assert sorted(emails) == sorted(f"row{i}@import.test" for i in range(600))


def test_a_recently_updated_job_is_left_to_its_worker(sandbox):
    job = make_job(sandbox, contact_rows(200), ago=dt.timedelta(seconds=1))
    snap = sandbox.request("GET", f"imports/{job.id}").json()
    assert snap["status"] == "processing" and snap["processed"] == 0
    job.refresh_from_db()
    assert job.updated_at < dt.datetime.now(dt.UTC) - dt.timedelta(milliseconds=500)  # not re-enqueued


def test_a_job_level_failure_is_reported_on_the_job(sandbox, task_worker):
    job = make_job(sandbox, {"rows": "are not a list"})  # storage the task cannot read
    done = poll(sdk_as(sandbox, sandbox.api_key), str(job.id))[-1]
    assert done.status == "failed"
    assert done.error.code and done.error.message
    assert live_contacts(sandbox) == 0


# --- idempotency ------------------------------------------------------------------------


def test_a_sync_import_with_an_idempotency_key_replays_and_imports_once(sandbox):
    body = {"objects": contact_rows(5)}
    first = sandbox.request("POST", "contact/import", headers={"Idempotency-Key": "imp-1"}, json=body)
    again = sandbox.request("POST", "contact/import", headers={"Idempotency-Key": "imp-1"}, json=body)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert live_contacts(sandbox) == 5
    other = sandbox.request("POST", "contact/import", headers={"Idempotency-Key": "imp-1"}, json={"objects": contact_rows(6)})
    assert_error(other, 409, "idempotency_key_reused")
    assert live_contacts(sandbox) == 5


def test_an_async_import_with_an_idempotency_key_starts_one_job(sandbox, task_worker):
    client = sandbox.sdk()
    rows = contact_rows(120)
    first = client.prism.objects.contacts.with_raw_response.bulk_create(objects=rows, idempotency_key="imp-async")
    again = client.prism.objects.contacts.with_raw_response.bulk_create(objects=rows, idempotency_key="imp-async")
    assert first.status_code == again.status_code == 202
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.headers["location"] == first.headers["location"]
    job_id = first.parse().job_id
    assert again.parse().job_id == job_id
    assert poll(client, job_id)[-1].succeeded == 120
    assert ImportJob.objects.filter(team_id=sandbox.team_id).count() == 1
    assert live_contacts(sandbox) == 120
