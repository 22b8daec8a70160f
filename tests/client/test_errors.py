"""prism_client.errors: one mapping from response to exception, whatever the body.

The pure tests need no server; the live ones provoke each error class from the
sandbox over real HTTP.
"""

import json
import uuid

import pytest

from prism_client import (
    APIConnectionError,
    APIError,
    BadRequest,
    Conflict,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    PreconditionFailed,
    PrismClient,
    PrismError,
    Query,
    RateLimited,
    Record,
    ServerError,
    Timeout,
    TooManyItems,
    Unauthorized,
    ValidationError,
)
from prism_client.errors import error_from_response, field_errors


def contract_body(code, message="msg", details=None):
    return json.dumps({"error": {"code": code, "message": message, "details": details or {}}})


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (405, MethodNotAllowed),
        (409, Conflict),
        (412, PreconditionFailed),
        (413, TooManyItems),
        (422, ValidationError),
        (429, RateLimited),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_maps_to_class(status, cls):
    error = error_from_response(status, contract_body("c"), {})
    assert type(error) is cls
    assert isinstance(error, APIError) and isinstance(error, PrismError)


def test_unmapped_client_error_is_plain_api_error():
    assert type(error_from_response(418, "", {})) is APIError


def test_contract_body_fields():
    error = error_from_response(404, contract_body("not_found", "No contact.", {"id": "x"}), {"X-Request-Id": "req-1", "Set-Cookie": "s"})
    assert (error.status, error.code, error.message, error.details) == (404, "not_found", "No contact.", {"id": "x"})
    assert error.request_id == "req-1"
    assert error.headers == {"x-request-id": "req-1"}  # only the headers worth keeping
    assert error.body == {"error": {"code": "not_found", "message": "No contact.", "details": {"id": "x"}}}


def test_str_and_repr():
    error = error_from_response(404, contract_body("not_found", "No contact."), {"x-request-id": "req-1"})
    assert str(error) == "404 not_found: No contact. (request id req-1)"
    assert repr(error) == "NotFound(status=404, code='not_found', message='No contact.', request_id='req-1')"


def test_str_without_code_or_request_id():
    assert str(error_from_response(502, b"", {}, reason="Bad Gateway")) == "502: Bad Gateway"


def test_non_json_body_becomes_api_error():
    error = error_from_response(502, b"<html><body>Bad gateway</body></html>", {"content-type": "text/html"})
    assert type(error) is ServerError
    assert error.code is None
    assert error.message == "<html><body>Bad gateway</body></html>"
    assert error.body == "<html><body>Bad gateway</body></html>"


def test_long_non_json_body_is_cut():
    assert len(error_from_response(500, "x" * 1000, {}).message) == 200


def test_empty_body_without_reason():
    assert error_from_response(500, "", {}).message == "HTTP error"


def test_undecodable_bytes_do_not_fail():
    assert error_from_response(500, b"\xff\xfe", {}).status == 500


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"error": "rate limit exceeded"}, None, "rate limit exceeded"),
        ({"message": "Internal", "code": "E1"}, "E1", "Internal"),
        ({"detail": "Not authenticated"}, None, "Not authenticated"),
        ({"error": {"message": 5, "code": 7}}, None, '{"error": {"message": 5, "code": 7}}'),
        ([1, 2], None, "[1, 2]"),
    ],
)
def test_foreign_json_bodies(body, code, message):
    error = error_from_response(400, json.dumps(body), {})
    assert (error.code, error.message) == (code, message)


def test_secret_is_scrubbed_from_message_and_body():
    error = error_from_response(401, contract_body("unauthorized", "bad key sk_live_123"), {}, secret="sk_live_123")
    assert "sk_live_123" not in str(error) and "sk_live_123" not in repr(error)
    assert "sk_live_123" not in json.dumps(error.body)


def test_precondition_failed_carries_current_record_and_etag():
    details = {"current": {"id": "r1", "default": {"first_name": "Ada"}}, "etag": '"4"'}
    error = error_from_response(412, contract_body("precondition_failed", details=details), {})
    assert error.etag == '"4"'
    assert error.current == Record("r1", {"first_name": "Ada"}, {}, '"4"')


def test_precondition_failed_without_details():
    error = error_from_response(412, "", {})
    assert error.current is None and error.etag is None


def test_validation_error_field_errors():
    error = error_from_response(422, contract_body("validation_error", details={"fields": {"nope": "Unknown"}}), {})
    assert error.field_errors == {"nope": "Unknown"}


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ({"fields": {"a": ["x", "y"]}}, {"a": "x; y"}),
        ({"errors": [{"slug": "a", "message": "bad"}, {"field": "b", "message": "worse"}, {"message": "?"}]}, {"a": "bad", "b": "worse"}),
        ({"a": "bad", "count": 2}, {"a": "bad"}),
        ({"fields": {"a": {"message": "bad"}}}, {"a": "bad"}),
        ({"fields": {"a": {"code": "x"}}}, {"a": "{'code': 'x'}"}),
    ],
)
def test_field_errors_shapes(details, expected):
    assert field_errors(details) == expected


def test_rate_limited_retry_after():
    error = error_from_response(429, contract_body("rate_limited"), {"Retry-After": "12"})
    assert error.retry_after == 12.0


def test_rate_limited_without_retry_after():
    assert error_from_response(429, "", {}).retry_after is None


def test_transport_errors():
    assert issubclass(Timeout, APIConnectionError) and APIConnectionError.should_retry


def test_no_builtin_is_shadowed():
    import builtins

    import prism_client

    shadowed = [name for name in prism_client.__all__ if hasattr(builtins, name)]
    assert shadowed == []


# --- live: each error class from the sandbox ----------------------------------------


def test_live_401_unknown_key(sandbox):
    with PrismClient(sandbox.base_url, "sk_test_wrong", sandbox.team_id, max_retries=0) as client, pytest.raises(Unauthorized) as info:
        client.contacts.count()
    assert info.value.status == 401 and info.value.code == "unauthorized"
    assert info.value.request_id


def test_live_403_other_teams_path(sandbox):
    with PrismClient(sandbox.base_url, sandbox.api_key, str(uuid.uuid4()), max_retries=0) as client, pytest.raises(Forbidden) as info:
        client.contacts.count()
    assert info.value.code == "forbidden"


def test_live_404_unknown_record(prism):
    with pytest.raises(NotFound) as info:
        prism.contacts.get(str(uuid.uuid4()))
    assert info.value.code == "not_found"


def test_live_409_find_with_several_matches(prism):
    prism.contacts.create({"email": "twin@example.com"})
    prism.contacts.create({"email": "twin@example.com"})
    with pytest.raises(Conflict) as info:
        prism.contacts.find("email", "twin@example.com")
    assert info.value.code == "multiple_matches"


def test_live_412_if_match_mismatch(prism):
    record = prism.contacts.create({"first_name": "Ada"})
    changed = prism.contacts.update(record.id, {"first_name": "Ada L."}, if_match=record.etag)
    with pytest.raises(PreconditionFailed) as info:
        prism.contacts.update(record.id, {"first_name": "Lost"}, if_match=record.etag)
    assert info.value.code == "precondition_failed"
    assert info.value.etag == changed.etag
    assert info.value.current.default["first_name"] == "Ada L."
    assert prism.contacts.get(record.id).default["first_name"] == "Ada L."


def test_live_422_unknown_slug(prism):
    with pytest.raises(ValidationError) as info:
        prism.contacts.create({"first_name": "Ada", "shoe_size": 42})
    assert info.value.code == "validation_error"
    assert "shoe_size" in info.value.field_errors


def test_live_422_unknown_option(prism):
    with pytest.raises(ValidationError) as info:
        prism.contacts.create({"status": "prospect"})
    assert "status" in info.value.field_errors


def test_live_400_query_limit_above_cap(prism):
    # Query() refuses limit 51 before sending, so send the body by hand.
    body = Query().to_wire()
    body["query"]["limit"] = 51
    with pytest.raises(BadRequest) as info:
        prism.request("POST", "contact/query", json=body, read_only=True)
    assert info.value.code == "invalid_request"


def test_live_405_write_on_events(prism):
    with pytest.raises(MethodNotAllowed) as info:
        prism.request("POST", "event", json={"default": {"title": "x"}})
    assert info.value.code == "method_not_allowed"


def test_live_connection_error(unused_port):
    client = PrismClient(f"http://127.0.0.1:{unused_port}", "k", "t", max_retries=0)
    with pytest.raises(APIConnectionError, match=f"could not reach http://127.0.0.1:{unused_port}"):
        client.contacts.count()
