"""GET/PUT /{t}/{id}/grant on deals, actions, documents and events (docs/sandbox.md,
"Grants"): the wire shape, validation, and enforcement for member keys (404 when not
readable, 403 when not writable, `a` to change the grant), groups, team-admin keys."""

import json
import uuid

import pytest
from micro_so import NotFoundError, PermissionDeniedError

from prism_sandbox.models import ApiKey, Record

from .conftest import assert_error, create, make_event, sdk_as

GRANT_TYPES = ["deal", "action", "document", "event"]
WRITABLE_GRANT_TYPES = ["deal", "action", "document"]
TITLE = {"deal": "name", "action": "title", "document": "title", "event": "title"}
SDK_RESOURCE = {"deal": "deals", "action": "actions", "document": "documents", "event": "events"}


def make(sandbox, object_type: str, title: str = "Granted") -> str:
    if object_type == "event":  # read-only over the API
        return str(make_event(sandbox, title=title).id)
    return create(sandbox, object_type, **{TITLE[object_type]: title})["id"]


def put_grant(sandbox, object_type, record_id, grant, key=None, headers=None):
    return sandbox.request("PUT", f"{object_type}/{record_id}/grant", key=key, headers=headers, json=grant)


def get_grant(sandbox, object_type, record_id, key=None):
    return sandbox.request("GET", f"{object_type}/{record_id}/grant", key=key)


def listed(sandbox, object_type, key) -> set[str]:
    response = sandbox.request("GET", object_type, key=key, params={"limit": 50})
    assert response.status_code == 200, response.text
    return {row["id"] for row in response.json()["data"]}


def queried(sandbox, object_type, key) -> set[str]:
    response = sandbox.request("POST", f"{object_type}/query", key=key, json={"query": {"limit": 50}})
    assert response.status_code == 200, response.text
    return {row["id"] for row in response.json()["data"]}


def counted(sandbox, object_type, key) -> int:
    return sandbox.request("GET", f"{object_type}/count", key=key).json()["total"]


# --- the wire shape ---------------------------------------------------------------------


@pytest.mark.parametrize("object_type", GRANT_TYPES)
def test_get_and_put_a_grant(sandbox, object_type):
    rid = make(sandbox, object_type)
    team = sandbox.team_id
    first = get_grant(sandbox, object_type, rid)
    assert first.status_code == 200
    assert first.json() == {"team_id": {team: "a"}, "user_id": [], "team_group_id": []}  # no grant: team-visible
    user1, user2, group = (str(uuid.uuid4()) for _ in range(3))
    grant = {"team_id": {team: "r"}, "user_id": [{user1: "w"}, {user2: "a"}], "team_group_id": [{group: "r"}]}
    put = put_grant(sandbox, object_type, rid, grant)
    assert put.status_code == 200, put.text
    assert put.json() == grant
    assert put.headers["ETag"]
    assert get_grant(sandbox, object_type, rid).json() == grant
    # PUT replaces the whole grant: what is left out is gone
    replaced = put_grant(sandbox, object_type, rid, {"user_id": [{user1: "r"}]})
    assert replaced.json() == {"team_id": {}, "user_id": [{user1: "r"}], "team_group_id": []}
    assert get_grant(sandbox, object_type, rid).json() == replaced.json()


def test_events_take_grant_changes_but_stay_read_only(sandbox):
    rid = make(sandbox, "event")
    assert put_grant(sandbox, "event", rid, {"team_id": {sandbox.team_id: "w"}}).status_code == 200
    assert_error(sandbox.request("PATCH", f"event/{rid}", json={"default": {"title": "x"}}), 405, "method_not_allowed")
    assert_error(sandbox.request("DELETE", f"event/{rid}"), 405, "method_not_allowed")


@pytest.mark.parametrize("object_type", GRANT_TYPES)
def test_grants_through_the_sdk(sandbox, object_type):
    rid = make(sandbox, object_type)
    grants = getattr(sandbox.sdk().prism.objects, SDK_RESOURCE[object_type]).grant
    user, group = str(uuid.uuid4()), str(uuid.uuid4())
    updated = grants.update(rid, body_team_id={sandbox.team_id: "w"}, user_id=[{user: "a"}], team_group_id=[{group: "r"}])
    assert updated.team_id == {sandbox.team_id: "w"} and updated.user_id == [{user: "a"}]
    got = grants.get(rid)
    assert (got.team_id, got.user_id, got.team_group_id) == ({sandbox.team_id: "w"}, [{user: "a"}], [{group: "r"}])


@pytest.mark.parametrize("object_type", ["contact", "organization", "identity"])
def test_types_without_grants_have_no_grant_endpoints(sandbox, object_type):
    title = {"contact": "first_name", "organization": "name", "identity": "name"}[object_type]
    rid = create(sandbox, object_type, **{title: "X"})["id"]
    assert_error(get_grant(sandbox, object_type, rid), 404, "not_found")
    assert_error(put_grant(sandbox, object_type, rid, {"team_id": {sandbox.team_id: "r"}}), 404, "not_found")
    assert Record.objects.get(id=rid).grant is None


# --- validation -------------------------------------------------------------------------

U, V, G = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222", "33333333-3333-4333-8333-333333333333"
OTHER_TEAM = "44444444-4444-4444-8444-444444444444"

INVALID = {
    "unknown letter": {"user_id": [{U: "x"}]},
    "two letters": {"user_id": [{U: "rw"}]},
    "upper case letter": {"user_id": [{U: "R"}]},
    "letter as a list": {"user_id": [{U: ["r"]}]},
    "letter as null": {"user_id": [{U: None}]},
    "team letter": {"team_id": {"TEAM": "x"}},
    "team letter as a list": {"team_id": {"TEAM": ["r"]}},
    "entry with two keys": {"user_id": [{U: "r", V: "w"}]},
    "empty entry": {"user_id": [{}]},
    "group entry with two keys": {"team_group_id": [{G: "r", U: "r"}]},
    "entry not an object": {"user_id": [U]},
    "entries not a list": {"user_id": {U: "r"}},
    "team not an object": {"team_id": "r"},
    "team as a list": {"team_id": [{"TEAM": "r"}]},
    "team as an empty list": {"team_id": []},
    "entries as an empty object": {"user_id": {}},
    "entries as false": {"team_group_id": False},
    "unknown field": {"group_id": [{G: "r"}]},
    "another team's id": {"team_id": {OTHER_TEAM: "r"}},
    "two teams": {"team_id": {"TEAM": "r", OTHER_TEAM: "r"}},
    "a user twice": {"user_id": [{U: "r"}, {U: "w"}]},
}


@pytest.mark.parametrize("body", INVALID.values(), ids=INVALID.keys())
def test_an_invalid_grant_is_422_and_changes_nothing(sandbox, body):
    rid = make(sandbox, "deal")
    before = put_grant(sandbox, "deal", rid, {"team_id": {sandbox.team_id: "w"}, "user_id": [{V: "a"}]})
    body = json.loads(json.dumps(body).replace("TEAM", sandbox.team_id))
    error = assert_error(put_grant(sandbox, "deal", rid, body), 422, "validation_error")
    assert error["details"]["fields"]
    after = get_grant(sandbox, "deal", rid)
    assert after.json() == before.json()
    assert after.headers["ETag"] == before.headers["ETag"]


def test_absent_or_null_fields_are_empty(sandbox):
    rid = make(sandbox, "deal")
    put = put_grant(sandbox, "deal", rid, {"team_id": None, "user_id": None})
    assert put.status_code == 200, put.text
    assert put.json() == {"team_id": {}, "user_id": [], "team_group_id": []}
    assert put_grant(sandbox, "deal", rid, {}).json() == put.json()


def test_a_grant_body_that_is_not_an_object_is_refused(sandbox):
    rid = make(sandbox, "deal")
    response = sandbox.request("PUT", f"deal/{rid}/grant", json=[{"team_id": {}}])
    assert response.status_code in (400, 422)
    assert Record.objects.get(id=rid).grant is None


def test_uuids_in_a_grant_match_whatever_their_case(sandbox):
    user, group = str(uuid.uuid4()), str(uuid.uuid4())
    by_user, by_group = sandbox.make_key(user_id=user), sandbox.make_key(group_ids=[group])
    rid = make(sandbox, "deal")
    put = put_grant(
        sandbox,
        "deal",
        rid,
        {"team_id": {sandbox.team_id.upper(): "r"}, "user_id": [{user.upper(): "w"}], "team_group_id": [{group.upper(): "w"}]},
    )
    assert put.status_code == 200, put.text
    assert put.json() == {"team_id": {sandbox.team_id: "r"}, "user_id": [{user: "w"}], "team_group_id": [{group: "w"}]}
    for key in (by_user, by_group):
        assert sandbox.request("PATCH", f"deal/{rid}", key=key, json={"default": {"amount": 1}}).status_code == 200


# --- enforcement ------------------------------------------------------------------------


def test_a_record_granted_only_to_a_is_invisible_to_b_until_the_grant_adds_b(sandbox):
    a_user, b_user = str(uuid.uuid4()), str(uuid.uuid4())
    as_a = sdk_as(sandbox, sandbox.make_key(user_id=a_user)).prism.objects.deals
    as_b = sdk_as(sandbox, sandbox.make_key(user_id=b_user)).prism.objects.deals
    deal = as_a.create(default={"name": "A's deal"})
    as_a.grant.update(deal.id, user_id=[{a_user: "a"}])

    with pytest.raises(NotFoundError):
        as_b.get(deal.id)
    assert deal.id not in {row.id for row in as_b.list().data}
    assert as_b.count().total == 0
    assert as_a.get(deal.id).id == deal.id

    as_a.grant.update(deal.id, user_id=[{a_user: "a"}, {b_user: "r"}])
    assert as_b.get(deal.id).default["name"] == "A's deal"
    assert deal.id in {row.id for row in as_b.list().data}
    assert as_b.count().total == 1
    with pytest.raises(PermissionDeniedError):
        as_b.update(deal.id, default={"name": "B was here"})


def not_readable(sandbox, object_type, rid, key):
    """Every way to reach the record answers 404, and no list shows it."""
    assert_error(sandbox.request("GET", f"{object_type}/{rid}", key=key), 404, "not_found")
    assert_error(get_grant(sandbox, object_type, rid, key=key), 404, "not_found")
    assert_error(put_grant(sandbox, object_type, rid, {"team_id": {sandbox.team_id: "a"}}, key=key), 404, "not_found")
    if object_type != "event":
        assert_error(sandbox.request("PATCH", f"{object_type}/{rid}", key=key, json={"default": {}}), 404, "not_found")
        assert_error(sandbox.request("DELETE", f"{object_type}/{rid}", key=key), 404, "not_found")
        assert_error(sandbox.request("POST", f"{object_type}/{rid}/duplicate", key=key), 404, "not_found")
    assert rid not in listed(sandbox, object_type, key)
    assert rid not in queried(sandbox, object_type, key)
    by_id = sandbox.request("POST", f"{object_type}/query", key=key, json={"id": rid})
    assert by_id.json()["data"] == []
    title = TITLE[object_type]
    assert_error(sandbox.request("GET", f"{object_type}/by/{title}/Secret", key=key), 404, "not_found")


@pytest.mark.parametrize("object_type", GRANT_TYPES)
def test_member_keys_see_only_what_they_may_read(sandbox, object_type):
    a_user, b_user = str(uuid.uuid4()), str(uuid.uuid4())
    key_a, key_b = sandbox.make_key(user_id=a_user), sandbox.make_key(user_id=b_user)
    admin = sandbox.make_key(role=ApiKey.Role.ADMIN)
    secret = make(sandbox, object_type, "Secret")
    public = make(sandbox, object_type, "Public")
    assert put_grant(sandbox, object_type, secret, {"user_id": [{a_user: "a"}]}).status_code == 200

    not_readable(sandbox, object_type, secret, key_b)
    assert listed(sandbox, object_type, key_b) == queried(sandbox, object_type, key_b) == {public}
    assert counted(sandbox, object_type, key_b) == 1
    for key in (key_a, admin, sandbox.api_key):
        assert listed(sandbox, object_type, key) == queried(sandbox, object_type, key) == {secret, public}
        assert counted(sandbox, object_type, key) == 2
        assert sandbox.request("GET", f"{object_type}/{secret}", key=key).status_code == 200

    # readable, not writable: 403 on writes and on the grant
    assert put_grant(sandbox, object_type, secret, {"user_id": [{a_user: "a"}, {b_user: "r"}]}, key=key_a).status_code == 200
    assert sandbox.request("GET", f"{object_type}/{secret}", key=key_b).status_code == 200
    assert get_grant(sandbox, object_type, secret, key=key_b).status_code == 200
    assert secret in listed(sandbox, object_type, key_b) and counted(sandbox, object_type, key_b) == 2
    assert_error(put_grant(sandbox, object_type, secret, {"user_id": [{b_user: "a"}]}, key=key_b), 403, "forbidden")
    if object_type != "event":
        assert_error(sandbox.request("PATCH", f"{object_type}/{secret}", key=key_b, json={"default": {}}), 403, "forbidden")
        assert_error(sandbox.request("DELETE", f"{object_type}/{secret}", key=key_b), 403, "forbidden")

        # writable, not admin: writes go through, the grant stays closed
        put_grant(sandbox, object_type, secret, {"user_id": [{a_user: "a"}, {b_user: "w"}]}, key=key_a)
        patched = sandbox.request("PATCH", f"{object_type}/{secret}", key=key_b, json={"default": {TITLE[object_type]: "B"}})
        assert patched.status_code == 200
        assert_error(put_grant(sandbox, object_type, secret, {"user_id": [{b_user: "a"}]}, key=key_b), 403, "forbidden")

    # admin on the record: B may change the grant, even to lock A out
    put_grant(sandbox, object_type, secret, {"user_id": [{a_user: "a"}, {b_user: "a"}]}, key=key_a)
    assert put_grant(sandbox, object_type, secret, {"user_id": [{b_user: "a"}]}, key=key_b).status_code == 200
    not_readable(sandbox, object_type, secret, key_a)


def test_group_grants_reach_the_keys_in_that_group(sandbox):
    sales, support = str(uuid.uuid4()), str(uuid.uuid4())
    seller = sandbox.make_key(group_ids=[support, sales])
    helper = sandbox.make_key(group_ids=[support])
    loner = sandbox.make_key()
    rid = make(sandbox, "deal", "Secret")
    put_grant(sandbox, "deal", rid, {"team_group_id": [{sales: "w"}, {support: "r"}]})
    assert sandbox.request("PATCH", f"deal/{rid}", key=seller, json={"default": {"amount": 5}}).status_code == 200
    assert sandbox.request("GET", f"deal/{rid}", key=helper).status_code == 200
    assert_error(sandbox.request("PATCH", f"deal/{rid}", key=helper, json={"default": {"amount": 6}}), 403, "forbidden")
    assert rid in listed(sandbox, "deal", helper) and rid in queried(sandbox, "deal", seller)
    not_readable(sandbox, "deal", rid, loner)
    assert_error(put_grant(sandbox, "deal", rid, {}, key=seller), 403, "forbidden")
    put_grant(sandbox, "deal", rid, {"team_group_id": [{sales: "a"}]})
    assert put_grant(sandbox, "deal", rid, {"team_group_id": [{sales: "a"}, {support: "w"}]}, key=seller).status_code == 200
    assert sandbox.request("PATCH", f"deal/{rid}", key=helper, json={"default": {"amount": 6}}).status_code == 200


@pytest.mark.parametrize(("level", "can_write", "can_grant"), [("r", False, False), ("w", True, False), ("a", True, True)])
def test_the_team_entry_sets_the_level_of_every_member(sandbox, level, can_write, can_grant):
    member = sandbox.make_key()
    rid = make(sandbox, "document", "Secret")
    put_grant(sandbox, "document", rid, {"team_id": {sandbox.team_id: level}})
    assert sandbox.request("GET", f"document/{rid}", key=member).status_code == 200
    assert rid in listed(sandbox, "document", member)
    patch = sandbox.request("PATCH", f"document/{rid}", key=member, json={"default": {"summary": "s"}})
    assert patch.status_code == (200 if can_write else 403)
    grant = put_grant(sandbox, "document", rid, {"team_id": {sandbox.team_id: level}}, key=member)
    assert grant.status_code == (200 if can_grant else 403)


def test_team_admin_keys_see_and_change_everything(sandbox):
    admin = sandbox.make_key(role=ApiKey.Role.ADMIN)
    rid = make(sandbox, "action", "Secret")
    put_grant(sandbox, "action", rid, {"team_id": {}, "user_id": [], "team_group_id": []})  # nobody
    member = sandbox.make_key()
    not_readable(sandbox, "action", rid, member)
    assert counted(sandbox, "action", admin) == 1
    assert sandbox.request("PATCH", f"action/{rid}", key=admin, json={"default": {"done": True}}).status_code == 200
    assert put_grant(sandbox, "action", rid, {"team_id": {sandbox.team_id: "r"}}, key=admin).status_code == 200
    assert sandbox.request("GET", f"action/{rid}", key=member).status_code == 200


def test_a_member_may_not_reach_a_hidden_record_through_references_or_restore(sandbox):
    user = str(uuid.uuid4())
    member = sandbox.make_key(user_id=user)
    rid = make(sandbox, "deal", "Secret")
    assert sandbox.request("DELETE", f"deal/{rid}").status_code == 204
    put = put_grant(sandbox, "deal", rid, {"user_id": []})
    assert put.status_code == 404  # deleted records have no grant endpoint either
    Record.objects.filter(id=rid).update(grant={"team_id": {}, "user_id": [], "team_group_id": []})
    assert_error(sandbox.request("POST", f"deal/{rid}/restore", key=member), 404, "not_found")
    assert sandbox.request("GET", "deal", key=member, params={"deleted": "true"}).json()["data"] == []


# --- idempotency ------------------------------------------------------------------------


def test_a_grant_put_with_an_idempotency_key_replays_and_is_applied_once(sandbox):
    rid = make(sandbox, "deal")
    grant = {"user_id": [{U: "a"}]}
    headers = {"Idempotency-Key": "grant-1"}
    first = put_grant(sandbox, "deal", rid, grant, headers=headers)
    etag = sandbox.request("GET", f"deal/{rid}").headers["ETag"]
    put_grant(sandbox, "deal", rid, {"user_id": [{V: "a"}]})  # someone else, later
    again = put_grant(sandbox, "deal", rid, grant, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    assert again.content == first.content and again.headers["ETag"] == first.headers["ETag"]
    assert get_grant(sandbox, "deal", rid).json()["user_id"] == [{V: "a"}]  # not applied again
    assert sandbox.request("GET", f"deal/{rid}").headers["ETag"] != etag
    assert_error(put_grant(sandbox, "deal", rid, {"user_id": []}, headers=headers), 409, "idempotency_key_reused")
