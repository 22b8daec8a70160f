"""Idempotency-Key on every write: replays, reuse with another body, keys in flight,
persistence, scope and limits."""

import datetime as dt
import json
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.utils import timezone

from prism_sandbox.idempotency import fingerprint
from prism_sandbox.models import ApiKey, IdempotencyEntry, Record, hash_key

from .conftest import assert_error, create


def count(sandbox, object_type="contact") -> int:
    return Record.objects.filter(team_id=sandbox.team_id, segment=object_type).count()


def keyed(sandbox, method, path, key, **kwargs):
    return sandbox.request(method, path, headers={"Idempotency-Key": key, **kwargs.pop("headers", {})}, **kwargs)


def assert_replay(first, again):
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.status_code == first.status_code
    assert again.content == first.content
    assert again.headers.get("ETag") == first.headers.get("ETag")


def test_create_replays_the_first_response_and_creates_once(sandbox):
    body = {"default": {"first_name": "Ada"}}
    first = keyed(sandbox, "POST", "contact", "create-1", json=body)
    again = keyed(sandbox, "POST", "contact", "create-1", json=body)
    assert first.status_code == 201
    assert_replay(first, again)
    assert count(sandbox) == 1
    entry = IdempotencyEntry.objects.get(key="create-1")
    assert entry.state == IdempotencyEntry.State.COMPLETE and entry.status == 201


def test_patch_replay_does_not_redo_the_write(sandbox):
    record = create(sandbox, "contact", first_name="Ada")
    path = f"contact/{record['id']}"
    first = keyed(sandbox, "PATCH", path, "patch-1", json={"default": {"first_name": "Bea"}})
    sandbox.request("PATCH", path, json={"default": {"first_name": "Cy"}})  # someone else, later
    again = keyed(sandbox, "PATCH", path, "patch-1", json={"default": {"first_name": "Bea"}})
    assert_replay(first, again)
    assert again.json()["default"]["first_name"] == "Bea"
    assert sandbox.request("GET", path).json()["default"]["first_name"] == "Cy"  # not reapplied


@pytest.mark.parametrize("action", ["delete", "duplicate", "restore", "upsert"])
def test_every_write_endpoint_replays(sandbox, action):
    record = create(sandbox, "contact", first_name="Ada", email="ada@x.io")
    rid = record["id"]
    if action == "restore":
        sandbox.request("DELETE", f"contact/{rid}")
    method, path, body = {
        "delete": ("DELETE", f"contact/{rid}", None),
        "duplicate": ("POST", f"contact/{rid}/duplicate", None),
        "restore": ("POST", f"contact/{rid}/restore", None),
        "upsert": ("PUT", "contact/by/email/new@x.io", {"default": {"first_name": "New"}}),
    }[action]
    first = keyed(sandbox, method, path, f"k-{action}", json=body)
    assert first.status_code in (200, 201, 204)
    before = count(sandbox)
    again = keyed(sandbox, method, path, f"k-{action}", json=body)
    assert_replay(first, again)
    assert count(sandbox) == before


def test_same_key_with_another_body_or_path_is_409_reused(sandbox):
    keyed(sandbox, "POST", "contact", "reused", json={"default": {"first_name": "Ada"}})
    other_body = keyed(sandbox, "POST", "contact", "reused", json={"default": {"first_name": "Bea"}})
    assert_error(other_body, 409, "idempotency_key_reused")
    other_path = keyed(sandbox, "POST", "organization", "reused", json={"default": {"name": "Acme"}})
    assert_error(other_path, 409, "idempotency_key_reused")
    assert count(sandbox) == 1
    assert count(sandbox, "organization") == 0


def raw_post(sandbox, object_type: str, key: str, payload: dict) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    path = urllib.parse.urlsplit(sandbox.url(object_type)).path
    return body, fingerprint("POST", path, body)


def test_key_in_flight_is_409_in_use_and_nothing_runs(sandbox):
    api_key = ApiKey.objects.get(key_hash=hash_key(sandbox.api_key))
    body, print_ = raw_post(sandbox, "contact", "busy", {"default": {"first_name": "Ada"}})
    IdempotencyEntry.objects.create(api_key=api_key, key="busy", fingerprint=print_, created_at=timezone.now())

    response = keyed(sandbox, "POST", "contact", "busy", data=body, headers={"Content-Type": "application/json"})
    assert_error(response, 409, "idempotency_key_in_use")
    assert count(sandbox) == 0


def test_abandoned_in_flight_key_is_taken_over(sandbox):
    api_key = ApiKey.objects.get(key_hash=hash_key(sandbox.api_key))
    body, print_ = raw_post(sandbox, "contact", "crashed", {"default": {"first_name": "Ada"}})
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    IdempotencyEntry.objects.create(api_key=api_key, key="crashed", fingerprint=print_, created_at=long_ago)

    response = keyed(sandbox, "POST", "contact", "crashed", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 201
    assert count(sandbox) == 1


def test_concurrent_requests_with_one_key_create_one_record(sandbox):
    def post(_: int) -> requests.Response:
        with requests.Session() as session:
            return session.post(
                sandbox.url("contact"),
                json={"default": {"first_name": "Racer"}},
                headers={"x-api-key": sandbox.api_key, "Idempotency-Key": "race"},
                timeout=30,
            )

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(post, range(6)))
    assert count(sandbox) == 1
    created = [r for r in responses if r.status_code == 201]
    assert created
    assert {r.json()["id"] for r in created} == {str(Record.objects.get(team_id=sandbox.team_id).id)}
    for r in responses:
        if r.status_code != 201:
            assert_error(r, 409, "idempotency_key_in_use")


def test_keys_are_rows_in_the_database_and_outlive_the_connection(sandbox):
    body = {"default": {"first_name": "Ada"}}
    first = keyed(sandbox, "POST", "contact", "durable", json=body)
    assert IdempotencyEntry.objects.filter(key="durable", state="complete").count() == 1
    # a fresh client (new connection, as after a restart) still gets the replay
    with requests.Session() as fresh:
        again = fresh.post(sandbox.url("contact"), json=body, headers={"x-api-key": sandbox.api_key, "Idempotency-Key": "durable"})
    assert_replay(first, again)


def test_expired_key_runs_the_request_again(sandbox):
    body = {"default": {"first_name": "Ada"}}
    keyed(sandbox, "POST", "contact", "old", json=body)
    IdempotencyEntry.objects.filter(key="old").update(created_at=timezone.now() - dt.timedelta(hours=25))
    again = keyed(sandbox, "POST", "contact", "old", json=body)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert count(sandbox) == 2


def test_keys_are_scoped_to_the_api_key(sandbox):
    other_key = sandbox.make_key(role="admin")
    body = {"default": {"first_name": "Ada"}}
    keyed(sandbox, "POST", "contact", "shared-name", json=body)
    second = sandbox.request("POST", "contact", key=other_key, json=body, headers={"Idempotency-Key": "shared-name"})
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert count(sandbox) == 2


@pytest.mark.parametrize(("key", "ok"), [("", False), ("k" * 256, False), ("k", True), ("k" * 255, True)])
def test_key_length_must_be_1_to_255(sandbox, key, ok):
    response = keyed(sandbox, "POST", "contact", key, json={"default": {"first_name": "Ada"}})
    if ok:
        assert response.status_code == 201
    else:
        assert_error(response, 400, "invalid_request")
        assert count(sandbox) == 0


def test_a_validation_error_is_replayed_too(sandbox):
    body = {"default": {"score": "high"}}
    first = keyed(sandbox, "POST", "contact", "bad-write", json=body)
    assert_error(first, 422, "validation_error")
    again = keyed(sandbox, "POST", "contact", "bad-write", json=body)
    assert_replay(first, again)
    assert_error(again, 422, "validation_error")


def test_a_precondition_failure_is_replayed_without_touching_the_record(sandbox):
    record = create(sandbox, "contact", first_name="Ada")
    path = f"contact/{record['id']}"
    kwargs = {"json": {"default": {"first_name": "X"}}, "headers": {"If-Match": '"999"'}}
    first = keyed(sandbox, "PATCH", path, "stale", **kwargs)
    assert_error(first, 412, "precondition_failed")
    again = keyed(sandbox, "PATCH", path, "stale", **kwargs)
    assert_replay(first, again)
    assert_error(again, 412, "precondition_failed")


def test_a_conflict_is_not_stored_so_a_retry_runs_again(sandbox):
    create(sandbox, "contact", email="dup@x.io")
    extra = create(sandbox, "contact", email="dup@x.io")
    body = {"default": {"first_name": "Up"}}
    assert_error(keyed(sandbox, "PUT", "contact/by/email/dup@x.io", "upsert-conflict", json=body), 409, "multiple_matches")
    sandbox.request("DELETE", f"contact/{extra['id']}")
    retried = keyed(sandbox, "PUT", "contact/by/email/dup@x.io", "upsert-conflict", json=body)
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers


def test_reads_ignore_the_key(sandbox):
    create(sandbox, "contact", first_name="Ada")
    first = keyed(sandbox, "POST", "contact/query", "read", json={"query": {}})
    create(sandbox, "contact", first_name="Bea")
    again = keyed(sandbox, "POST", "contact/query", "read", json={"query": {}})
    assert len(first.json()["data"]) == 1 and len(again.json()["data"]) == 2
    assert "Idempotent-Replayed" not in again.headers
