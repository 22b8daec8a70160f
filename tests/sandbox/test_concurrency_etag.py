"""ETag on every single-record response; If-Match on PATCH and DELETE."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from .conftest import assert_error, create, make_event


def etag_of(sandbox, path: str) -> str:
    return sandbox.request("GET", path).headers["ETag"]


def test_every_single_record_response_carries_the_current_etag(sandbox):
    created = sandbox.request("POST", "contact", json={"default": {"email": "a@b.co"}})
    rid = created.json()["id"]
    tags = [created.headers["ETag"]]
    responses = {
        "get": sandbox.request("GET", f"contact/{rid}"),
        "find": sandbox.request("GET", "contact/by/email/a@b.co"),
        "patch": sandbox.request("PATCH", f"contact/{rid}", json={"default": {"first_name": "A"}}),
        "upsert-200": sandbox.request("PUT", "contact/by/email/a@b.co", json={"default": {"last_name": "B"}}),
        "upsert-201": sandbox.request("PUT", "contact/by/email/new@b.co", json={"default": {}}),
        "duplicate": sandbox.request("POST", f"contact/{rid}/duplicate"),
        "delete": sandbox.request("DELETE", f"contact/{rid}"),
        "restore": sandbox.request("POST", f"contact/{rid}/restore"),
    }
    for name, response in responses.items():
        assert response.status_code in (200, 201, 204), name
        tag = response.headers.get("ETag")
        assert tag and tag.startswith('"') and tag.endswith('"'), name
    own = ["get", "patch", "upsert-200", "delete", "restore"]
    tags += [responses[n].headers["ETag"] for n in own]
    # get matches create; every change after that makes a new tag
    assert tags[1] == tags[0]
    assert len(set(tags[1:])) == len(tags) - 1
    assert etag_of(sandbox, f"contact/{rid}") == responses["restore"].headers["ETag"]
    assert etag_of(sandbox, f"event/{make_event(sandbox, title='E').id}")


def test_patch_with_stale_if_match_is_412_with_current_record_and_changes_nothing(sandbox):
    created = sandbox.request("POST", "contact", json={"default": {"first_name": "Ada"}})
    rid, stale = created.json()["id"], created.headers["ETag"]
    moved = sandbox.request("PATCH", f"contact/{rid}", json={"default": {"first_name": "Bea"}}, headers={"If-Match": stale})
    assert moved.status_code == 200
    current = moved.headers["ETag"]

    conflict = sandbox.request("PATCH", f"contact/{rid}", json={"default": {"first_name": "Cy"}}, headers={"If-Match": stale})
    error = assert_error(conflict, 412, "precondition_failed")
    assert error["details"]["etag"] == current
    assert error["details"]["current"] == moved.json()
    assert conflict.headers["ETag"] == current
    after = sandbox.request("GET", f"contact/{rid}")
    assert after.json()["default"]["first_name"] == "Bea"
    assert after.headers["ETag"] == current


def test_delete_with_stale_if_match_is_412_and_keeps_the_record(sandbox):
    created = sandbox.request("POST", "contact", json={"default": {"first_name": "Ada"}})
    rid, stale = created.json()["id"], created.headers["ETag"]
    sandbox.request("PATCH", f"contact/{rid}", json={"default": {"first_name": "Bea"}})

    error = assert_error(sandbox.request("DELETE", f"contact/{rid}", headers={"If-Match": stale}), 412, "precondition_failed")
    assert error["details"]["current"]["default"]["first_name"] == "Bea"
    assert sandbox.request("GET", f"contact/{rid}").status_code == 200
    current = etag_of(sandbox, f"contact/{rid}")
    assert sandbox.request("DELETE", f"contact/{rid}", headers={"If-Match": current}).status_code == 204
    assert sandbox.request("GET", f"contact/{rid}").status_code == 404


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_if_match_star_matches_any_live_record(sandbox, method):
    record = create(sandbox, "contact", first_name="Ada")
    sandbox.request("PATCH", f"contact/{record['id']}", json={"default": {"first_name": "Bea"}})
    response = sandbox.request(method, f"contact/{record['id']}", json={"default": {"last_name": "X"}}, headers={"If-Match": "*"})
    assert response.status_code in (200, 204)
    # ...but not a deleted one
    sandbox.request("DELETE", f"contact/{record['id']}")
    assert_error(sandbox.request(method, f"contact/{record['id']}", json={"default": {}}, headers={"If-Match": "*"}), 404, "not_found")


def test_if_match_list_and_weak_tags_match_the_current_revision(sandbox):
    created = sandbox.request("POST", "contact", json={"default": {"first_name": "Ada"}})
    rid, tag = created.json()["id"], created.headers["ETag"]
    listed = sandbox.request("PATCH", f"contact/{rid}", json={"default": {"first_name": "B"}}, headers={"If-Match": f'"999", {tag}'})
    assert listed.status_code == 200
    weak = sandbox.request(
        "PATCH", f"contact/{rid}", json={"default": {"first_name": "C"}}, headers={"If-Match": f"W/{listed.headers['ETag']}"}
    )
    assert weak.status_code == 200
    assert_error(sandbox.request("PATCH", f"contact/{rid}", json={"default": {}}, headers={"If-Match": "garbage"}), 412)


def test_without_if_match_the_last_write_wins(sandbox):
    record = create(sandbox, "contact", first_name="Ada")
    sandbox.request("PATCH", f"contact/{record['id']}", json={"default": {"first_name": "One"}})
    sandbox.request("PATCH", f"contact/{record['id']}", json={"default": {"first_name": "Two"}})
    assert sandbox.request("GET", f"contact/{record['id']}").json()["default"]["first_name"] == "Two"


def test_concurrent_patches_with_one_etag_let_exactly_one_through(sandbox):
    created = sandbox.request("POST", "contact", json={"default": {"score": 0}})
    rid, tag = created.json()["id"], created.headers["ETag"]

    def patch(n: int) -> int:
        with requests.Session() as session:
            response = session.patch(
                sandbox.url(f"contact/{rid}"),
                json={"default": {"score": n}},
                headers={"x-api-key": sandbox.api_key, "If-Match": tag},
                timeout=30,
            )
        return response.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(patch, range(1, 7)))
    assert sorted(statuses) == [200] + [412] * 5
    final = sandbox.request("GET", f"contact/{rid}")
    assert final.headers["ETag"] != tag
    assert final.json()["default"]["score"] == statuses.index(200) + 1


def test_concurrent_upserts_of_a_new_value_create_one_record(sandbox):
    def upsert(n: int) -> int:
        with requests.Session() as session:
            response = session.put(
                sandbox.url("contact/by/email/race@upsert.test"),
                json={"default": {"score": n}},
                headers={"x-api-key": sandbox.api_key},
                timeout=30,
            )
        return response.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(upsert, range(6)))
    assert sorted(statuses) == [200] * 5 + [201]
    assert sandbox.request("GET", "contact/count").json() == {"total": 1}
    assert sandbox.request("GET", "contact/by/email/race@upsert.test").status_code == 200
