"""The error contract (JSON bodies, x-should-retry, never a 500 or HTML for bad
input) and authentication (keys, team scope, provisioning, the sandbox_key command)."""

import hashlib
import io
import uuid

import pytest
import requests
from django.core.management import CommandError, call_command

from prism_sandbox import api
from prism_sandbox.models import ApiKey, PropertyDefinition, Record, Team
from tests.conftest import make_team

from .conftest import assert_error, create

NIL = "00000000-0000-4000-8000-000000000000"


def post_raw(sandbox, path: str, data: bytes, **headers):
    return sandbox.request("POST", path, data=data, headers={"Content-Type": "application/json", **headers})


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"{",
        b'{"default": {"first_name": "Ada"}',
        b"\xff\xfe\x00garbage",
        b"{'default': {}}",
        b'{"default": {"first_name": "A"}} trailing',
        b"[" * 100_000,
        b'{"default": {"score": NaN}}',
        b'{"query": {"limit": Infinity}}',
    ],
)
def test_malformed_json_is_400(sandbox, data):
    assert_error(post_raw(sandbox, "contact", data), 400, "invalid_request")
    assert_error(post_raw(sandbox, "contact/query", data), 400, "invalid_request")
    assert Record.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("contact", b'{"default": {"score": ' + b"9" * 5000 + b"}}"),
        ("contact/query", b'{"query": {"limit": ' + b"9" * 5000 + b"}}"),
        ("contact/query", b'{"query": {"limit": 1e400}}'),
        ("contact/query", b'{"query": {"limit": Infinity}}'),
        ("contact/query", b'{"query": {"limit": -Infinity}}'),
        ("contact/query", b'{"query": {"limit": NaN}}'),
        ("contact/query", b'{"query": {"page": 100000000000000000000}}'),
        ("contact/query", b'{"query": {"page": 9223372036854775807}}'),
        ("contact/query", b'{"query": {"filter": [{"score": {">": 1e400}}]}}'),
        ("contact/query", b'{"query": {"filter": [{"score": {">": "1e400"}}]}}'),
        ("contact/query", b'{"query": {"filter": [{"first_name": {"=": "\\ud800"}}]}}'),
        ("contact/query", b'{"query": {"filter": [{"first_name": {"contains": "\\udfff"}}]}}'),
        ("contact", b'{"default": {"first_name": "\\ud800"}}'),
        ("contact", b'{"default": {"\\ud800": 1}}'),
    ],
)
def test_numbers_and_strings_python_cannot_take_are_4xx_not_500(sandbox, path, data):
    response = post_raw(sandbox, path, data)
    assert 400 <= response.status_code < 500, response.text
    assert_error(response, response.status_code)
    assert Record.objects.count() == 0


def test_a_page_far_past_the_end_is_empty_or_refused(sandbox):
    create(sandbox, "contact", first_name="Ada")
    response = sandbox.request("POST", "contact/query", json={"query": {"page": 10**6}})
    assert response.status_code == 200
    assert response.json()["data"] == [] and response.json()["has_more"] is False


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("record_id", ["not-a-uuid", "123", "%20", "' OR 1=1 --", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"])
def test_bad_uuid_in_path_is_404_json(sandbox, method, record_id):
    assert_error(sandbox.request(method, f"contact/{record_id}", json={"default": {}}), 404, "not_found")


@pytest.mark.parametrize("action", ["duplicate", "restore"])
def test_bad_or_unknown_uuid_on_record_actions_is_404(sandbox, action):
    assert_error(sandbox.request("POST", f"contact/nope/{action}"), 404, "not_found")
    assert_error(sandbox.request("POST", f"contact/{NIL}/{action}"), 404, "not_found")


def test_record_of_another_type_is_404(sandbox):
    org = create(sandbox, "organization", name="Acme")
    assert_error(sandbox.request("GET", f"contact/{org['id']}"), 404, "not_found")


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "path",
    ["contact/a/b/c/d", "unicorn", "unicorn/query", "contact/" + NIL + "/explode", "../../etc/passwd"],
)
def test_unknown_routes_are_404_json(sandbox, method, path):
    assert_error(sandbox.request(method, path, json={}), 404, "not_found")


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_unknown_routes_outside_the_team_prefix_are_404_json(sandbox, method):
    response = sandbox.session.request(method, f"{sandbox.base_url}/v3/whatever", json={}, headers={"x-api-key": sandbox.api_key})
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "contact"), ("DELETE", "contact"), ("GET", "contact/query"), ("POST", "contact/count"), ("POST", "properties")],
)
def test_wrong_method_is_405_json_with_allow(sandbox, method, path):
    response = sandbox.request(method, path, json={})
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"]


def test_body_above_the_upload_limit_is_413(sandbox, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    big = {"default": {"notes": "x" * 5_000}}
    assert_error(sandbox.request("POST", "contact", json=big), 413)
    assert_error(sandbox.request("POST", "contact/query", json={"query": {"select": ["first_name"] * 500}}), 413)
    assert Record.objects.count() == 0
    assert sandbox.request("POST", "contact", json={"default": {"notes": "small"}}).status_code == 201


def test_form_encoded_body_is_400(sandbox):
    response = sandbox.request("POST", "contact", data={"first_name": "Ada"})
    assert_error(response, 400, "invalid_request")


def test_error_bodies_are_json_and_4xx_say_do_not_retry(sandbox):
    for response in [
        sandbox.request("GET", "contact/nope"),
        sandbox.request("POST", "contact", json={"default": {"nope": 1}}),
        sandbox.request("POST", "contact/query", json={"query": {"limit": 99}}),
        sandbox.request("GET", "contact", key="wrong"),
    ]:
        assert response.headers["x-should-retry"] == "false"
        assert response.headers["x-request-id"]
        assert response.json()["error"]["code"]


def test_request_id_is_echoed(sandbox):
    response = sandbox.request("GET", "contact", headers={"x-request-id": "req_mine"})
    assert response.headers["x-request-id"] == "req_mine"


# --- authentication ------------------------------------------------------------------------


def test_missing_key_is_401(sandbox):
    response = requests.get(sandbox.url("contact"), timeout=30)
    assert_error(response, 401, "unauthorized")
    response = requests.post(sandbox.url("contact"), json={"default": {"first_name": "X"}}, timeout=30)
    assert_error(response, 401, "unauthorized")
    assert Record.objects.count() == 0


@pytest.mark.parametrize("key", ["sk_unknown", "sk_test_" + "x" * 5000, "é"])
def test_unknown_key_is_401(sandbox, key):
    assert_error(sandbox.request("GET", "contact", key=key), 401, "unauthorized")


def test_key_on_another_teams_path_is_403_and_does_nothing(sandbox):
    other_team, other_key = make_team()
    mine = create(sandbox, "contact", first_name="Mine")
    theirs = requests.Session()
    url = sandbox.url(f"contact/{mine['id']}")
    assert_error(theirs.get(url, headers={"x-api-key": other_key}, timeout=30), 403, "forbidden")
    assert_error(theirs.delete(url, headers={"x-api-key": other_key}, timeout=30), 403, "forbidden")
    assert_error(theirs.post(sandbox.url("contact"), json={}, headers={"x-api-key": other_key}, timeout=30), 403, "forbidden")
    assert sandbox.request("GET", f"contact/{mine['id']}").status_code == 200
    assert Record.objects.filter(team_id=other_team).count() == 0


def test_team_segment_that_is_not_a_uuid_is_403(sandbox):
    response = sandbox.session.get(f"{sandbox.base_url}/v2/prism/not-a-team/contact", headers={"x-api-key": sandbox.api_key})
    assert_error(response, 403, "forbidden")


def test_member_key_reads_and_writes_team_records(sandbox):
    member = sandbox.make_key(role="member")
    made = create(sandbox, "contact", key=member, first_name="By member")
    assert sandbox.request("GET", f"contact/{made['id']}").status_code == 200


def test_keys_are_stored_hashed(sandbox):
    raw = sandbox.make_key(role="admin")
    assert sandbox.request("GET", "contact", key=raw).status_code == 200
    stored = ApiKey.objects.get(key_hash=hashlib.sha256(raw.encode()).hexdigest())
    for field in ApiKey._meta.concrete_fields:
        assert raw not in str(getattr(stored, field.attname))
    assert not ApiKey.objects.filter(key_hash=raw).exists()
    assert len(stored.prefix) < len(raw) / 2


@pytest.fixture
def provisioned_settings(settings):
    api._provisioned.clear()
    team_id, key = str(uuid.uuid4()), "sk_from_env_" + uuid.uuid4().hex
    settings.MICRO_TEAM_ID, settings.MICRO_API_KEY = team_id, key
    yield team_id, key
    api._provisioned.clear()


def test_settings_team_and_key_are_provisioned_on_first_request(sandbox, provisioned_settings):
    team_id, key = provisioned_settings
    assert not Team.objects.filter(id=team_id).exists()
    url = f"{sandbox.base_url}/v2/prism/{team_id}/contact"
    made = requests.post(url, json={"default": {"first_name": "Env"}}, headers={"x-api-key": key}, timeout=30)
    assert made.status_code == 201
    assert Team.objects.filter(id=team_id).exists()
    assert ApiKey.objects.get(team_id=team_id).is_admin
    definitions = PropertyDefinition.objects.filter(team_id=team_id).count()
    assert definitions > 0

    api._provisioned.clear()  # as after a restart
    listed = requests.get(url, headers={"x-api-key": key}, timeout=30)
    assert [r["id"] for r in listed.json()["data"]] == [made.json()["id"]]
    assert PropertyDefinition.objects.filter(team_id=team_id).count() == definitions
    assert ApiKey.objects.filter(team_id=team_id).count() == 1


def test_settings_key_is_refused_on_other_teams(sandbox, provisioned_settings):
    _, key = provisioned_settings
    assert_error(sandbox.request("GET", "contact", key=key), 403, "forbidden")


def test_sandbox_key_command_prints_a_working_key(sandbox):
    out = io.StringIO()
    call_command("sandbox_key", "--team", sandbox.team_id, stdout=out)
    raw = out.getvalue().strip()
    assert raw and "\n" not in raw
    assert sandbox.request("POST", "contact", key=raw, json={"default": {"first_name": "Cli"}}).status_code == 201
    assert ApiKey.objects.get(key_hash=hashlib.sha256(raw.encode()).hexdigest()).is_admin


def test_sandbox_key_command_for_a_member_of_a_new_team(sandbox):
    team, user, group = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    out = io.StringIO()
    call_command("sandbox_key", "--team", str(team), "--role", "member", "--user-id", str(user), "--group-id", str(group), stdout=out)
    raw = out.getvalue().strip()
    key = ApiKey.objects.get(key_hash=hashlib.sha256(raw.encode()).hexdigest())
    assert (key.team_id, key.role, key.user_id, key.group_ids) == (team, "member", user, [str(group)])
    response = sandbox.session.get(f"{sandbox.base_url}/v2/prism/{team}/contact/count", headers={"x-api-key": raw})
    assert response.json() == {"total": 0}
    assert_error(sandbox.request("GET", "contact", key=raw), 403, "forbidden")


def test_sandbox_key_command_refuses_bad_ids(sandbox):
    with pytest.raises(CommandError):
        call_command("sandbox_key", "--team", "not-a-uuid", stdout=io.StringIO())


def test_escaped_surrogate_pairs_are_fine(sandbox):
    response = post_raw(sandbox, "contact", b'{"default": {"first_name": "Ada \\ud83d\\ude00"}}')
    assert response.status_code == 201
    assert response.json()["default"]["first_name"] == "Ada \U0001f600"
