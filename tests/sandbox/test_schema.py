"""Property schema endpoints, and the sandbox's type table held against docs/sandbox.md."""

import uuid

import pytest

from prism_sandbox.object_types import OBJECT_TYPES
from tests.conftest import make_team

from .conftest import assert_error

# docs/sandbox.md, "Object types": segment → (writable, grant endpoints)
CONTRACT_TYPES = {
    "contact": (True, False),
    "organization": (True, False),
    "identity": (True, False),
    "deal": (True, True),
    "action": (True, True),
    "document": (True, True),
    "event": (False, True),
}
PROPERTY_TYPES = {
    "text",
    "long_text",
    "email",
    "url",
    "phone",
    "number",
    "boolean",
    "date",
    "datetime",
    "select",
    "multiselect",
    "reference",
}
PROPERTY_KEYS = {"slug", "name", "type", "options", "target", "multiple", "required", "read_only"}


def test_sandbox_type_table_matches_the_contract():
    assert {t: (o.writable, o.has_grant) for t, o in OBJECT_TYPES.items()} == CONTRACT_TYPES


@pytest.mark.parametrize("object_type", list(CONTRACT_TYPES))
def test_type_properties_have_the_contract_shape(sandbox, object_type):
    response = sandbox.request("GET", f"{object_type}/properties")
    assert response.status_code == 200
    props = response.json()["data"]
    slugs = [p["slug"] for p in props]
    assert len(slugs) == len(set(slugs))
    for prop in props:
        assert set(prop) == PROPERTY_KEYS
        assert prop["type"] in PROPERTY_TYPES
        assert isinstance(prop["required"], bool) and isinstance(prop["read_only"], bool)
        if prop["type"] == "reference":
            assert prop["target"] in CONTRACT_TYPES
            assert isinstance(prop["multiple"], bool)
        else:
            assert prop["target"] is None
        if prop["type"] in ("select", "multiselect"):
            assert prop["options"]
            for option in prop["options"]:
                assert set(option) == {"id", "slug", "name", "color"}
                uuid.UUID(option["id"])
        else:
            assert prop["options"] == []
    system = {p["slug"]: p for p in props if p["slug"] in ("created_at", "updated_at")}
    assert {s: (p["type"], p["read_only"]) for s, p in system.items()} == {
        "created_at": ("datetime", True),
        "updated_at": ("datetime", True),
    }


def test_the_default_schema_marks_titles_required_and_references_their_targets(sandbox):
    org = {p["slug"]: p for p in sandbox.request("GET", "organization/properties").json()["data"]}
    assert org["name"]["required"] is True and org["domain"]["required"] is False
    contact = {p["slug"]: p for p in sandbox.request("GET", "contact/properties").json()["data"]}
    assert contact["organization"]["target"] == "organization"
    assert [o["slug"] for o in contact["status"]["options"]] == ["lead", "customer", "churned"]
    event = {p["slug"]: p for p in sandbox.request("GET", "event/properties").json()["data"]}
    assert event["attendee"]["target"] == "identity"
    assert event["starts_at"]["type"] == "datetime"


def test_all_properties_is_every_type_keyed_by_segment(sandbox):
    response = sandbox.request("GET", "properties")
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == set(CONTRACT_TYPES)
    for object_type, props in data.items():
        assert props == sandbox.request("GET", f"{object_type}/properties").json()["data"]


def test_option_ids_are_stable_and_per_team(sandbox):
    def status_ids(base, team, key):
        url = f"{base}/v2/prism/{team}/contact/properties"
        props = sandbox.session.get(url, headers={"x-api-key": key}).json()["data"]
        return [o["id"] for p in props if p["slug"] == "status" for o in p["options"]]

    mine = status_ids(sandbox.base_url, sandbox.team_id, sandbox.api_key)
    assert mine == status_ids(sandbox.base_url, sandbox.team_id, sandbox.api_key)
    other_team, other_key = make_team()
    theirs = status_ids(sandbox.base_url, other_team, other_key)
    assert len(theirs) == len(mine) == 3
    assert set(theirs).isdisjoint(mine)


def test_term_filters_by_slug_or_name(sandbox):
    props = sandbox.request("GET", "contact/properties", params={"term": "NAME"}).json()["data"]
    assert [p["slug"] for p in props] == ["first_name", "last_name"]
    everything = sandbox.request("GET", "properties", params={"term": "stage"}).json()["data"]
    assert [p["slug"] for p in everything["deal"]] == ["stage"]
    assert everything["contact"] == []


def test_unknown_type_properties_is_404(sandbox):
    assert_error(sandbox.request("GET", "unicorn/properties"), 404, "not_found")


def test_properties_need_a_key(sandbox):
    assert_error(sandbox.request("GET", "properties", key="nope"), 401, "unauthorized")
