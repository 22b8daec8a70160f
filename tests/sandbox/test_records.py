"""Record endpoints for every object type: create, get, patch, delete, restore,
duplicate, find, upsert, list (query-string sugar), query and count."""

import pytest

from .conftest import assert_error, create, ids_of, make_event, query, seed

# type → (properties to create with, a unique lookup slug, a patch)
WRITABLE = {
    "contact": ({"first_name": "Ada", "email": "ada@example.com", "score": 7}, "email", {"first_name": "Grace"}),
    "organization": ({"name": "Acme", "domain": "acme.test", "employees": 12}, "domain", {"name": "Acme Corp"}),
    "identity": ({"name": "Ada L", "email": "ada@id.test"}, "email", {"name": "Ada Lovelace"}),
    "deal": ({"name": "Big deal", "amount": 1000, "stage": "prospect"}, "name", {"amount": 2500}),
    "action": ({"title": "Call Ada", "done": False, "due_date": "2025-03-01"}, "title", {"done": True}),
    "document": ({"title": "Spec", "url": "https://docs.test/spec"}, "title", {"summary": "The plan."}),
}
types = pytest.mark.parametrize("object_type", list(WRITABLE))


def without_system(default: dict) -> dict:
    return {k: v for k, v in default.items() if k not in ("created_at", "updated_at")}


@types
def test_create_returns_201_with_etag_and_get_round_trips(sandbox, object_type):
    props, _, _ = WRITABLE[object_type]
    created = sandbox.request("POST", object_type, json={"default": props})
    assert created.status_code == 201
    body = created.json()
    assert without_system(body["default"]) == props
    assert body["default"]["created_at"].endswith("Z")
    assert body["list"] == {}
    assert created.headers["ETag"].startswith('"')

    got = sandbox.request("GET", f"{object_type}/{body['id']}")
    assert got.status_code == 200
    assert got.json() == body
    assert got.headers["ETag"] == created.headers["ETag"]


@types
def test_patch_changes_only_the_given_slugs_and_the_etag(sandbox, object_type):
    props, _, patch = WRITABLE[object_type]
    created = sandbox.request("POST", object_type, json={"default": props})
    record_id = created.json()["id"]

    patched = sandbox.request("PATCH", f"{object_type}/{record_id}", json={"default": patch})
    assert patched.status_code == 200
    assert without_system(patched.json()["default"]) == {**props, **patch}
    assert patched.headers["ETag"] != created.headers["ETag"]
    got = sandbox.request("GET", f"{object_type}/{record_id}")
    assert without_system(got.json()["default"]) == {**props, **patch}
    assert got.headers["ETag"] == patched.headers["ETag"]


@types
def test_delete_is_soft_and_restore_brings_the_record_back(sandbox, object_type):
    props, _, _ = WRITABLE[object_type]
    record = create(sandbox, object_type, **props)
    path = f"{object_type}/{record['id']}"

    deleted = sandbox.request("DELETE", path)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_error(sandbox.request("GET", path), 404, "not_found")
    assert sandbox.request("GET", f"{object_type}/count").json() == {"total": 0}
    assert ids_of(sandbox.request("GET", object_type)) == []
    assert ids_of(sandbox.request("GET", object_type, params={"deleted": "true"})) == [record["id"]]
    assert ids_of(query(sandbox, object_type, deleted=True)) == [record["id"]]
    assert_error(sandbox.request("DELETE", path), 404, "not_found")

    restored = sandbox.request("POST", f"{path}/restore")
    assert restored.status_code == 200
    assert without_system(restored.json()["default"]) == props
    assert restored.headers["ETag"] != deleted.headers["ETag"]
    assert sandbox.request("GET", path).status_code == 200
    assert sandbox.request("GET", f"{object_type}/count").json() == {"total": 1}


@types
def test_duplicate_copies_properties_under_a_new_id(sandbox, object_type):
    props, _, _ = WRITABLE[object_type]
    record = create(sandbox, object_type, **props)

    copy = sandbox.request("POST", f"{object_type}/{record['id']}/duplicate")
    assert copy.status_code == 201
    assert copy.json()["id"] != record["id"]
    assert without_system(copy.json()["default"]) == props
    assert "ETag" in copy.headers
    assert sandbox.request("GET", f"{object_type}/count").json() == {"total": 2}


@types
def test_find_returns_the_one_match_404_none_409_several(sandbox, object_type):
    props, slug, _ = WRITABLE[object_type]
    record = create(sandbox, object_type, **props)
    value = props[slug]

    found = sandbox.request("GET", f"{object_type}/by/{slug}/{value}")
    assert found.status_code == 200
    assert found.json()["id"] == record["id"]
    assert "ETag" in found.headers
    assert_error(sandbox.request("GET", f"{object_type}/by/{slug}/nothing-like-this"), 404, "not_found")

    create(sandbox, object_type, **props)
    assert_error(sandbox.request("GET", f"{object_type}/by/{slug}/{value}"), 409, "multiple_matches")


@types
def test_upsert_patches_one_match_creates_when_none_409_when_several(sandbox, object_type):
    props, slug, patch = WRITABLE[object_type]
    record = create(sandbox, object_type, **props)
    value = props[slug]

    updated = sandbox.request("PUT", f"{object_type}/by/{slug}/{value}", json={"default": patch})
    assert updated.status_code == 200
    assert updated.json()["id"] == record["id"]
    assert without_system(updated.json()["default"]) == {**props, **patch}

    new_value = "other@example.com" if slug == "email" else "other-value"
    rest = {k: v for k, v in props.items() if k != slug}
    made = sandbox.request("PUT", f"{object_type}/by/{slug}/{new_value}", json={"default": rest})
    assert made.status_code == 201
    assert made.json()["id"] != record["id"]
    assert made.json()["default"][slug] == new_value

    create(sandbox, object_type, **props)
    assert_error(sandbox.request("PUT", f"{object_type}/by/{slug}/{value}", json={"default": patch}), 409, "multiple_matches")


@types
def test_list_query_and_count_see_the_live_records(sandbox, object_type):
    props, _, _ = WRITABLE[object_type]
    first = create(sandbox, object_type, **props)
    second = create(sandbox, object_type, **props)

    listed = sandbox.request("GET", object_type)
    assert ids_of(listed) == [second["id"], first["id"]]  # newest first by default
    row = listed.json()["data"][0]
    assert set(row) == {"id", "properties", "is_user_object", "source"}
    assert row["source"] == ["api"] and row["is_user_object"] is False
    assert without_system(row["properties"]) == props
    assert listed.json()["has_more"] is False and listed.json()["next_cursor"] is None
    assert "total" not in listed.json()

    assert ids_of(query(sandbox, object_type)) == [second["id"], first["id"]]
    assert sandbox.request("GET", f"{object_type}/count").json() == {"total": 2}


def test_upsert_by_number_slug_writes_a_number(sandbox):
    made = sandbox.request("PUT", "contact/by/score/42", json={"default": {"first_name": "Num"}})
    assert made.status_code == 201
    assert made.json()["default"]["score"] == 42
    again = sandbox.request("PUT", "contact/by/score/42.0", json={"default": {"last_name": "Again"}})
    assert again.status_code == 200
    assert again.json()["id"] == made.json()["id"]


def test_find_compares_by_type_and_ignores_case(sandbox):
    record = create(sandbox, "contact", email="Ada@Example.com", score=5, status="lead", tags=["vip", "partner"])
    for slug, value in [("email", "ada@example.COM"), ("score", "5.0"), ("status", "lead"), ("tags", "partner")]:
        found = sandbox.request("GET", f"contact/by/{slug}/{value}")
        assert found.status_code == 200, (slug, found.text)
        assert found.json()["id"] == record["id"]


def test_find_ignores_deleted_records(sandbox):
    record = create(sandbox, "contact", email="gone@example.com")
    sandbox.request("DELETE", f"contact/{record['id']}")
    assert_error(sandbox.request("GET", "contact/by/email/gone@example.com"), 404, "not_found")


def test_patch_null_clears_a_value(sandbox):
    record = create(sandbox, "contact", first_name="Ada", last_name="Lovelace")
    patched = sandbox.request("PATCH", f"contact/{record['id']}", json={"default": {"last_name": None}})
    assert patched.status_code == 200
    assert "last_name" not in patched.json()["default"]
    assert patched.json()["default"]["first_name"] == "Ada"


def test_patch_with_no_change_keeps_the_etag(sandbox):
    created = sandbox.request("POST", "contact", json={"default": {"first_name": "Ada"}})
    same = sandbox.request("PATCH", f"contact/{created.json()['id']}", json={"default": {"first_name": "Ada"}})
    assert same.headers["ETag"] == created.headers["ETag"]


def test_patch_and_duplicate_of_deleted_record_are_404(sandbox):
    record = create(sandbox, "contact", first_name="Ada")
    sandbox.request("DELETE", f"contact/{record['id']}")
    assert_error(sandbox.request("PATCH", f"contact/{record['id']}", json={"default": {}}), 404, "not_found")
    assert_error(sandbox.request("POST", f"contact/{record['id']}/duplicate"), 404, "not_found")
    got = sandbox.request("GET", f"contact/{record['id']}", params={"deleted": "true"})
    assert got.status_code == 200 and got.json()["id"] == record["id"]


def test_restore_of_unknown_record_is_404(sandbox):
    assert_error(sandbox.request("POST", "contact/6f1c0e0a-0000-4000-8000-000000000000/restore"), 404, "not_found")


def test_created_and_updated_at_are_utc_and_updated_at_moves(sandbox):
    record = create(sandbox, "contact", first_name="Ada")
    default = record["default"]
    assert default["created_at"] == default["updated_at"]
    patched = sandbox.request("PATCH", f"contact/{record['id']}", json={"default": {"first_name": "Bo"}}).json()
    assert patched["default"]["created_at"] == default["created_at"]
    assert patched["default"]["updated_at"] > default["updated_at"]


# --- list: query-string sugar -----------------------------------------------------------


def test_list_unknown_params_are_typed_equality_filters_and_repeats_mean_in(sandbox):
    a = create(sandbox, "contact", first_name="Ada", status="lead", score=5)
    b = create(sandbox, "contact", first_name="Bo", status="customer", score=50)
    create(sandbox, "contact", first_name="Cy", status="churned", score=500)

    assert ids_of(sandbox.request("GET", "contact", params={"status": "lead"})) == [a["id"]]
    assert ids_of(sandbox.request("GET", "contact", params={"first_name": "ADA"})) == [a["id"]]
    assert ids_of(sandbox.request("GET", "contact", params={"score": "50"})) == [b["id"]]
    assert ids_of(sandbox.request("GET", "contact", params={"status": ["lead", "customer"]})) == [b["id"], a["id"]]
    assert ids_of(sandbox.request("GET", "contact", params={"status": "lead", "score": "50"})) == []


def test_list_unknown_property_param_is_400(sandbox):
    assert_error(sandbox.request("GET", "contact", params={"favourite_colour": "red"}), 400, "invalid_request")


def test_list_limit_is_capped_at_50_silently(sandbox):
    seed(sandbox, "contact", [{"first_name": f"P{i}"} for i in range(55)])
    page = sandbox.request("GET", "contact", params={"limit": "500"})
    assert page.status_code == 200
    assert len(page.json()["data"]) == 50
    assert page.json()["has_more"] is True
    assert len(sandbox.request("GET", "contact").json()["data"]) == 25  # default
    assert len(sandbox.request("GET", "contact", params={"limit": "3"}).json()["data"]) == 3


def test_list_sort_select_and_include_total(sandbox):
    rows = [{"first_name": n, "score": s} for n, s in [("Ada", 2), ("Bo", 1), ("Cy", 2), ("Di", 3)]]
    seed(sandbox, "contact", rows)
    page = sandbox.request("GET", "contact", params={"sort": "-score,first_name", "select": "first_name", "include_total": "true"})
    body = page.json()
    assert [r["properties"] for r in body["data"]] == [
        {"first_name": "Di"},
        {"first_name": "Ada"},
        {"first_name": "Cy"},
        {"first_name": "Bo"},
    ]
    assert body["total"] == 4


def test_list_sorts_by_updated_at(sandbox):
    old, new = seed(sandbox, "contact", [{"first_name": "Old"}, {"first_name": "New"}])
    sandbox.request("PATCH", f"contact/{old.id}", json={"default": {"first_name": "Touched"}})
    assert ids_of(sandbox.request("GET", "contact", params={"sort": "-updated_at"})) == [str(old.id), str(new.id)]
    assert ids_of(sandbox.request("GET", "contact", params={"sort": "updated_at"})) == [str(new.id), str(old.id)]


def test_list_id_merges_list_values_into_rows(sandbox):
    list_id = "0b7a4a52-6c59-4a86-9a69-1f5d1c7d0c11"
    made = sandbox.request("POST", "contact", json={"default": {"first_name": "Ada", "score": 1}, "list": {list_id: {"score": 9}}})
    assert made.status_code == 201
    assert made.json()["list"] == {list_id: {"score": 9}}
    plain = sandbox.request("GET", "contact").json()["data"][0]["properties"]
    scoped = sandbox.request("GET", "contact", params={"list_id": list_id}).json()["data"][0]["properties"]
    assert plain["score"] == 1
    assert scoped["score"] == 9


# --- events: read-only ------------------------------------------------------------------


def test_event_read_endpoints_work(sandbox):
    event = make_event(sandbox, title="Kickoff", starts_at="2025-01-02T10:00:00.000Z")
    got = sandbox.request("GET", f"event/{event.id}")
    assert got.status_code == 200
    assert got.json()["default"]["title"] == "Kickoff"
    assert got.headers["ETag"] == '"1"'
    assert ids_of(sandbox.request("GET", "event")) == [str(event.id)]
    assert ids_of(query(sandbox, "event", {"filter": [{"title": {"=": "kickoff"}}]})) == [str(event.id)]
    assert sandbox.request("GET", "event/count").json() == {"total": 1}
    assert sandbox.request("GET", "event/by/title/Kickoff").json()["id"] == str(event.id)
    assert sandbox.request("GET", "event/properties").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "event"),
        ("PATCH", "event/{id}"),
        ("DELETE", "event/{id}"),
        ("PUT", "event/by/title/Kickoff"),
        ("POST", "event/{id}/duplicate"),
        ("POST", "event/{id}/restore"),
    ],
)
def test_event_writes_are_405_and_change_nothing(sandbox, method, path):
    event = make_event(sandbox, title="Kickoff")
    response = sandbox.request(method, path.format(id=event.id), json={"default": {"title": "Changed"}})
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
    event.refresh_from_db()
    assert event.properties == {"title": "Kickoff"} and event.revision == 1 and event.deleted_at is None
    assert sandbox.request("GET", "event/count").json() == {"total": 1}
