"""POST /{t}/batch/update and /{t}/batch/delete (docs/sandbox.md, "Batch update
and delete"): up to 100 items, each on its own, results in input order, a summary, 200
even with failures; grants apply per item."""

import uuid

import pytest

from prism_sandbox.models import Record

from .conftest import assert_error, create, sdk_as


def get(sandbox, object_type, record_id, key=None):
    return sandbox.request("GET", f"{object_type}/{record_id}", key=key)


def test_batch_update_applies_each_item_on_its_own_in_input_order(sandbox):
    a = create(sandbox, "contact", first_name="A", score=1)
    b = create(sandbox, "contact", first_name="B", score=2)
    c = create(sandbox, "contact", first_name="C", score=3)
    missing = str(uuid.uuid4())
    items = [
        {"id": c["id"], "default": {"score": 30}},
        {"id": missing, "default": {"score": 0}},
        {"id": b["id"], "default": {"score": "not a number", "first_name": "B2"}},
        {"id": "not-a-uuid", "default": {"score": 0}},
        "not an object",
        {"id": a["id"], "default": {"first_name": "A2", "score": None}},
    ]
    response = sandbox.request("POST", "contact/batch/update", json={"items": items})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["summary"] == {"total": 6, "succeeded": 2, "failed": 4}
    results = body["results"]
    assert [r["status"] for r in results] == ["ok", "error", "error", "error", "error", "ok"]
    assert [r["id"] for r in results] == [c["id"], missing, b["id"], "not-a-uuid", None, a["id"]]
    assert results[0]["error"] is None and results[0]["record"]["default"]["score"] == 30
    assert results[1]["error"]["code"] == "not_found" and results[1]["record"] is None
    assert results[2]["error"]["code"] == "validation_error" and "score" in results[2]["error"]["message"]
    assert results[3]["error"]["code"] == "invalid_request"
    assert results[4]["error"]["code"] == "invalid_request"
    assert results[5]["record"]["id"] == a["id"] and "score" not in results[5]["record"]["default"]
    # the failed item changed nothing, not even its valid field
    assert get(sandbox, "contact", b["id"]).json()["default"]["first_name"] == "B"
    assert get(sandbox, "contact", b["id"]).headers["ETag"] == '"1"'
    assert get(sandbox, "contact", a["id"]).json()["default"]["first_name"] == "A2"
    assert get(sandbox, "contact", c["id"]).headers["ETag"] == '"2"'


def test_batch_delete_soft_deletes_each_item_on_its_own(sandbox):
    a = create(sandbox, "contact", first_name="A")
    b = create(sandbox, "contact", first_name="B")
    keep = create(sandbox, "contact", first_name="Keep")
    ids = [b["id"], str(uuid.uuid4()), a["id"], b["id"], 42]
    response = sandbox.request("POST", "contact/batch/delete", json={"ids": ids})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["ok", "error", "ok", "error", "error"]
    assert [r["id"] for r in body["results"]][:4] == ids[:4]
    assert [r["error"]["code"] for r in body["results"] if r["error"]] == ["not_found", "not_found", "invalid_request"]
    assert body["summary"] == {"total": 5, "succeeded": 2, "failed": 3}
    assert get(sandbox, "contact", a["id"]).status_code == 404
    assert get(sandbox, "contact", b["id"]).status_code == 404
    assert get(sandbox, "contact", keep["id"]).status_code == 200
    assert sandbox.request("GET", "contact/count").json() == {"total": 1}
    restored = sandbox.request("POST", f"contact/{a['id']}/restore")  # soft: it can come back
    assert restored.status_code == 200


@pytest.mark.parametrize(("path", "field", "item"), [("batch/update", "items", None), ("batch/delete", "ids", None)])
def test_more_than_100_items_is_413_and_nothing_is_done(sandbox, path, field, item):
    records = [create(sandbox, "contact", first_name=f"R{i}") for i in range(2)]
    ids = [r["id"] for r in records]
    if field == "items":
        many = [{"id": ids[i % 2], "default": {"first_name": "changed"}} for i in range(101)]
    else:
        many = [ids[i % 2] for i in range(101)]
    assert_error(sandbox.request("POST", f"contact/{path}", json={field: many}), 413, "too_many_items")
    for rid in ids:
        response = get(sandbox, "contact", rid)
        assert response.status_code == 200 and response.json()["default"]["first_name"] != "changed"
    exactly = many[:100]
    ok = sandbox.request("POST", f"contact/{path}", json={field: exactly})
    assert ok.status_code == 200 and ok.json()["summary"]["total"] == 100


@pytest.mark.parametrize("body", [{}, {"items": {"id": "x"}}, {"ids": "x"}])
def test_a_malformed_batch_body_is_400(sandbox, body):
    path = "contact/batch/delete" if "ids" in body else "contact/batch/update"
    assert_error(sandbox.request("POST", path, json=body), 400, "invalid_request")


def test_batches_through_the_sdk(sandbox):
    contacts = sandbox.sdk().prism.objects.contacts
    a = contacts.create(default={"first_name": "A"})
    b = contacts.create(default={"first_name": "B"})
    updated = contacts.bulk_update(items=[{"id": a.id, "default": {"score": 5}}, {"id": str(uuid.uuid4()), "default": {}}])
    assert (updated.summary.total, updated.summary.succeeded, updated.summary.failed) == (2, 1, 1)
    assert updated.results[0].status == "ok" and updated.results[0].record.default["score"] == 5
    assert updated.results[1].status == "error" and updated.results[1].error.code == "not_found"
    deleted = contacts.bulk_delete(ids=[b.id, a.id])
    assert [r.status for r in deleted.results] == ["ok", "ok"] and [r.id for r in deleted.results] == [b.id, a.id]
    assert contacts.count().total == 0


def test_events_take_no_batches(sandbox):
    assert_error(sandbox.request("POST", "event/batch/update", json={"items": []}), 405, "method_not_allowed")
    assert_error(sandbox.request("POST", "event/batch/delete", json={"ids": []}), 405, "method_not_allowed")


def test_batches_respect_grants_item_by_item(sandbox):
    user = str(uuid.uuid4())
    member = sandbox.make_key(user_id=user)
    hidden = create(sandbox, "deal", name="Hidden")
    readonly = create(sandbox, "deal", name="Readonly")
    mine = create(sandbox, "deal", name="Mine")
    open_ = create(sandbox, "deal", name="Open")
    sandbox.request("PUT", f"deal/{hidden['id']}/grant", json={"user_id": [{str(uuid.uuid4()): "a"}]})
    sandbox.request("PUT", f"deal/{readonly['id']}/grant", json={"user_id": [{user: "r"}]})
    sandbox.request("PUT", f"deal/{mine['id']}/grant", json={"user_id": [{user: "w"}]})
    order = [hidden, readonly, mine, open_]
    deals = sdk_as(sandbox, member).prism.objects.deals
    updated = deals.bulk_update(items=[{"id": d["id"], "default": {"amount": 7}} for d in order])
    assert [r.status for r in updated.results] == ["error", "error", "ok", "ok"]
    assert [r.error.code for r in updated.results[:2]] == ["not_found", "forbidden"]
    amounts = {str(r.id): r.properties.get("amount") for r in Record.objects.filter(segment="deal")}
    assert amounts == {hidden["id"]: None, readonly["id"]: None, mine["id"]: 7, open_["id"]: 7}
    deleted = deals.bulk_delete(ids=[d["id"] for d in order])
    assert [r.error.code if r.error else "ok" for r in deleted.results] == ["not_found", "forbidden", "ok", "ok"]
    assert Record.objects.filter(segment="deal", deleted_at__isnull=True).count() == 2


def test_a_batch_with_an_idempotency_key_is_done_once(sandbox):
    a = create(sandbox, "contact", first_name="A")
    body = {"ids": [a["id"]]}
    first = sandbox.request("POST", "contact/batch/delete", headers={"Idempotency-Key": "bd-1"}, json=body)
    again = sandbox.request("POST", "contact/batch/delete", headers={"Idempotency-Key": "bd-1"}, json=body)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json() and first.json()["summary"]["succeeded"] == 1  # not a second "not_found"
