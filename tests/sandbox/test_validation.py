"""Writes are checked against the team's schema: 422 with the offending fields."""

import uuid

import pytest

from prism_sandbox.models import PropertyDefinition, Record
from prism_sandbox.schemas import clear_schema_cache
from tests.conftest import make_team

from .conftest import assert_error, create


def fields_of(response) -> dict:
    return assert_error(response, 422, "validation_error")["details"]["fields"]


def count(sandbox, object_type="contact") -> int:
    return Record.objects.filter(team_id=sandbox.team_id, segment=object_type).count()


def option_id(sandbox, object_type: str, slug: str, option: str) -> str:
    props = sandbox.request("GET", f"{object_type}/properties").json()["data"]
    prop = next(p for p in props if p["slug"] == slug)
    return next(o["id"] for o in prop["options"] if o["slug"] == option)


@pytest.mark.parametrize(
    ("slug", "value"),
    [
        ("nickname", "Ada"),  # unknown slug
        ("first_name", 12),
        ("first_name", ["Ada"]),
        ("first_name", {"text": "Ada"}),
        ("first_name", "x" * 10_001),
        ("first_name", "nul\x00byte"),
        ("notes", 3.5),
        ("score", "12"),
        ("score", True),
        ("score", 1e16),
        ("score", [1]),
        ("is_vip", "true"),
        ("is_vip", 1),
        ("birthday", "2024-13-01"),
        ("birthday", "yesterday"),
        ("birthday", 20240101),
        ("birthday", "2024-01-01Tgarbage"),
        ("birthday", "2024-01-01 and more"),
        ("email", "not-an-email"),
        ("phone", "call me"),
        ("status", "prospect"),  # an option of another property
        ("status", ["lead"]),
        ("status", 1),
        ("tags", ["vip", "nope"]),
        ("tags", {"vip": True}),
        ("tags", [1]),
        ("organization", "not-a-uuid"),
        ("organization", 42),
        ("organization", ["5d6a4f0e-95c7-4a53-8a1b-6f7f1f0b2c3d"]),
        ("organization", "5d6a4f0e-95c7-4a53-8a1b-6f7f1f0b2c3d"),  # no such record
        ("created_at", "2025-01-01T00:00:00Z"),  # read-only
        ("updated_at", "2025-01-01T00:00:00Z"),
    ],
)
def test_bad_value_is_422_naming_the_field_and_nothing_is_written(sandbox, slug, value):
    fields = fields_of(sandbox.request("POST", "contact", json={"default": {"first_name": "Ok", slug: value}}))
    assert list(fields) == [slug]
    assert isinstance(fields[slug], str) and fields[slug]
    assert count(sandbox) == 0


@pytest.mark.parametrize(
    ("object_type", "slug", "value"),
    [
        ("organization", "website", "ftp://files.example.com"),
        ("organization", "industry", "aerospace"),
        ("deal", "close_date", "31/12/2025"),
        ("document", "url", "javascript:alert(1)"),
    ],
)
def test_bad_values_on_other_types(sandbox, object_type, slug, value):
    title = {"organization": "name", "deal": "name", "document": "title"}[object_type]
    response = sandbox.request("POST", object_type, json={"default": {title: "T", slug: value}})
    assert list(fields_of(response)) == [slug]


def test_every_bad_field_is_reported_at_once(sandbox):
    response = sandbox.request("POST", "contact", json={"default": {"score": "x", "is_vip": "y", "zzz": 1}})
    assert set(fields_of(response)) == {"score", "is_vip", "zzz"}


def test_reference_must_point_at_a_live_record_of_the_target_type_in_this_team(sandbox):
    contact = create(sandbox, "contact", first_name="Not an org")
    gone = create(sandbox, "organization", name="Gone")
    sandbox.request("DELETE", f"organization/{gone['id']}")
    for target in (contact["id"], gone["id"]):
        response = sandbox.request("POST", "contact", json={"default": {"organization": target}})
        assert list(fields_of(response)) == ["organization"]


def test_reference_to_another_teams_record_is_422(sandbox):
    other_team, _ = make_team()
    theirs = Record.objects.create(team_id=other_team, segment="organization", properties={"name": "Theirs"})
    response = sandbox.request("POST", "contact", json={"default": {"organization": str(theirs.id)}})
    assert list(fields_of(response)) == ["organization"]


def test_reference_accepts_the_read_shape_back(sandbox):
    acme = create(sandbox, "organization", name="Acme")
    made = create(sandbox, "contact", organization={"id": acme["id"], "properties": {"name": "Acme"}})
    assert made["default"]["organization"]["id"] == acme["id"]


def test_required_property_missing_on_create_is_422(sandbox):
    assert list(fields_of(sandbox.request("POST", "organization", json={"default": {"domain": "x.io"}}))) == ["name"]
    assert list(fields_of(sandbox.request("POST", "organization", json={}))) == ["name"]
    assert list(fields_of(sandbox.request("POST", "organization", json={"default": {"name": ""}}))) == ["name"]
    assert count(sandbox, "organization") == 0


def test_clearing_a_required_property_is_422_and_changes_nothing(sandbox):
    created = sandbox.request("POST", "deal", json={"default": {"name": "Deal", "amount": 5}})
    rid = created.json()["id"]
    response = sandbox.request("PATCH", f"deal/{rid}", json={"default": {"name": None, "amount": 6}})
    assert list(fields_of(response)) == ["name"]
    after = sandbox.request("GET", f"deal/{rid}")
    assert after.json()["default"]["amount"] == 5
    assert after.headers["ETag"] == created.headers["ETag"]


def test_upsert_that_creates_checks_required_properties(sandbox):
    response = sandbox.request("PUT", "organization/by/domain/acme.test", json={"default": {}})
    assert list(fields_of(response)) == ["name"]
    made = sandbox.request("PUT", "organization/by/name/Acme", json={"default": {}})
    assert made.status_code == 201 and made.json()["default"]["name"] == "Acme"


def test_patch_with_bad_value_changes_nothing(sandbox):
    created = sandbox.request("POST", "contact", json={"default": {"first_name": "Ada", "score": 1}})
    rid = created.json()["id"]
    response = sandbox.request("PATCH", f"contact/{rid}", json={"default": {"first_name": "Bea", "score": "two"}})
    assert list(fields_of(response)) == ["score"]
    after = sandbox.request("GET", f"contact/{rid}")
    assert after.json()["default"]["first_name"] == "Ada"
    assert after.headers["ETag"] == created.headers["ETag"]


def test_select_options_write_by_slug_or_uuid_and_read_as_slugs(sandbox):
    customer = option_id(sandbox, "contact", "status", "customer")
    partner = option_id(sandbox, "contact", "tags", "partner")
    made = create(sandbox, "contact", status=customer, tags=[partner, "vip", partner])
    assert made["default"]["status"] == "customer"
    assert made["default"]["tags"] == ["partner", "vip"]
    got = sandbox.request("GET", f"contact/{made['id']}").json()["default"]
    assert (got["status"], got["tags"]) == ("customer", ["partner", "vip"])
    won = option_id(sandbox, "deal", "stage", "won")
    deal = create(sandbox, "deal", name="D", stage=won)
    assert deal["default"]["stage"] == "won"


def test_option_uuid_of_another_property_is_refused(sandbox):
    partner = option_id(sandbox, "contact", "tags", "partner")
    assert list(fields_of(sandbox.request("POST", "contact", json={"default": {"status": partner}}))) == ["status"]


def test_values_are_stored_in_their_canonical_form(sandbox):
    made = create(
        sandbox,
        "deal",
        name="D",
        amount=2.5,
        close_date="2025-12-31",
    )["default"]
    assert made["amount"] == 2.5 and made["close_date"] == "2025-12-31"
    ident = create(sandbox, "identity", name="I")
    action = create(sandbox, "action", title="A", due_date="2025-01-02", assignee=ident["id"].upper())
    assert action["default"]["assignee"]["id"] == ident["id"]


@pytest.fixture
def met_at(sandbox):
    """A datetime property on contacts, added the way an admin would add one."""
    PropertyDefinition.objects.create(
        team_id=sandbox.team_id, segment="contact", slug="met_at", name="Met at", type="datetime", position=99
    )
    clear_schema_cache()
    yield "met_at"
    clear_schema_cache()


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("2025-01-02T11:00:00+01:00", "2025-01-02T10:00:00.000Z"),
        ("2025-01-02T10:00:00.123456Z", "2025-01-02T10:00:00.123Z"),
        ("2025-01-02T10:00:00", "2025-01-02T10:00:00.000Z"),
        ("2025-01-02", "2025-01-02T00:00:00.000Z"),
        ("0999-03-04T05:06:07Z", "0999-03-04T05:06:07.000Z"),
    ],
)
def test_datetimes_are_stored_as_fixed_width_utc(sandbox, met_at, raw, stored):
    assert create(sandbox, "contact", met_at=raw)["default"]["met_at"] == stored
    found = sandbox.request("POST", "contact/query", json={"query": {"filter": [{"met_at": {"=": raw}}]}})
    assert len(found.json()["data"]) == 1


def test_datetimes_sort_as_instants_across_centuries(sandbox, met_at):
    for raw in ["2025-01-01T00:00:00Z", "0999-01-01T00:00:00Z", "1999-12-31T23:00:00-02:00"]:
        create(sandbox, "contact", met_at=raw)
    rows = sandbox.request("POST", "contact/query", json={"query": {"sort": [{"met_at": "asc"}]}}).json()["data"]
    assert [r["properties"]["met_at"] for r in rows] == [
        "0999-01-01T00:00:00.000Z",
        "2000-01-01T01:00:00.000Z",
        "2025-01-01T00:00:00.000Z",
    ]


@pytest.mark.parametrize("raw", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "noon", 1700000000])
def test_datetimes_out_of_range_or_malformed_are_refused(sandbox, met_at, raw):
    assert list(fields_of(sandbox.request("POST", "contact", json={"default": {"met_at": raw}}))) == ["met_at"]
    response = sandbox.request("POST", "contact/query", json={"query": {"filter": [{"met_at": {">": raw}}]}})
    assert_error(response, 400, "invalid_request")
    response = sandbox.request("POST", "contact/query", json={"query": {"filter": [{"created_at": {">": raw}}]}})
    assert_error(response, 400, "invalid_request")


def test_empty_text_clears_the_value(sandbox):
    made = create(sandbox, "contact", first_name="Ada", last_name="")
    assert "last_name" not in made["default"]


def test_list_values_are_validated_with_their_list_in_the_field_name(sandbox):
    list_id = str(uuid.uuid4())
    response = sandbox.request("POST", "contact", json={"default": {}, "list": {list_id: {"score": "x"}}})
    assert list(fields_of(response)) == [f"list.{list_id}.score"]
    response = sandbox.request("POST", "contact", json={"default": {}, "list": {"not-a-list": {}}})
    assert list(fields_of(response)) == ["list.not-a-list"]


@pytest.mark.parametrize("body", [{"default": []}, {"default": "x"}, {"list": []}, [], "text", 3])
def test_body_of_the_wrong_shape_is_400(sandbox, body):
    assert_error(sandbox.request("POST", "contact", json=body), 400, "invalid_request")
    assert count(sandbox) == 0


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("2024-01-31", "2024-01-31"), ("2024-01-31T23:30:00-05:00", "2024-01-31"), ("2024-01-31T00:00:00Z", "2024-01-31")],
)
def test_dates_keep_the_calendar_day_written(sandbox, raw, stored):
    assert create(sandbox, "contact", birthday=raw)["default"]["birthday"] == stored


def test_option_uuids_are_case_insensitive(sandbox):
    customer = option_id(sandbox, "contact", "status", "customer")
    made = create(sandbox, "contact", status=customer.upper(), tags=[option_id(sandbox, "contact", "tags", "vip").upper()])
    assert (made["default"]["status"], made["default"]["tags"]) == ("customer", ["vip"])
    found = sandbox.request("POST", "contact/query", json={"query": {"filter": [{"status": {"=": customer.upper()}}]}})
    assert [r["id"] for r in found.json()["data"]] == [made["id"]]
