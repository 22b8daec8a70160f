"""The official micro-so SDK, unmodified, against the sandbox: every method of the
record endpoints for contacts and deals, the read methods of events, properties."""

import pytest
from micro_so import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    Micro,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableEntityError,
)

from tests.conftest import make_team

from .conftest import make_event

# resource name → (segment, properties to create with, a unique lookup slug, a patch)
RESOURCES = {
    "contacts": ("contact", {"first_name": "Ada", "email": "ada@sdk.test", "score": 5}, "email", {"score": 6}),
    "deals": ("deal", {"name": "SDK deal", "amount": 100, "stage": "won"}, "name", {"amount": 200}),
}
resources = pytest.mark.parametrize("name", list(RESOURCES))


def resource(client, name):
    return getattr(client.prism.objects, name)


def strip(default: dict) -> dict:
    return {k: v for k, v in (default or {}).items() if k not in ("created_at", "updated_at")}


@resources
def test_create_get_update_with_if_match(sandbox, name):
    res = resource(sandbox.sdk(), name)
    _, props, _, patch = RESOURCES[name]
    made = res.create(default=props)
    assert strip(made.default) == props

    raw = res.with_raw_response.get(made.id)
    etag = raw.headers["etag"]
    got = raw.parse()
    assert got.id == made.id and strip(got.default) == props
    assert strip(res.get(made.id, select="created_at").default) == {}

    updated = res.update(made.id, default=patch, if_match=etag)
    assert strip(updated.default) == {**props, **patch}
    with pytest.raises(APIStatusError) as stale:
        res.update(made.id, default={**patch}, if_match=etag)
    assert stale.value.status_code == 412
    assert stale.value.body["error"]["code"] == "precondition_failed"
    assert stale.value.body["error"]["details"]["current"]["id"] == made.id


@resources
def test_list_with_every_parameter(sandbox, name):
    res = resource(sandbox.sdk(), name)
    _segment, props, slug, _ = RESOURCES[name]
    ids = [res.create(default={**props, slug: f"{props[slug]}-{i}"}).id for i in range(3)]
    res.delete(ids[0])

    first = res.list(limit=2, include_total=True, select=slug, sort=f"-{slug}")
    assert [row.id for row in first.data] == [ids[2], ids[1]]
    assert first.total == 2 and first.has_more is False and first.next_cursor is None
    assert first.data[0].properties == {slug: f"{props[slug]}-2"}
    assert first.data[0].source == ["api"] and first.data[0].is_user_object is False

    paged = res.list(limit=1, sort=slug)
    assert paged.has_more is True
    rest = res.list(cursor=paged.next_cursor, sort=slug)
    assert [r.id for r in paged.data + rest.data] == [ids[1], ids[2]]

    with_deleted = res.list(deleted=True, limit=50)
    assert {r.id for r in with_deleted.data} == set(ids)

    list_id = "2b1c7a2e-4a64-4bde-a1a9-0d8cb5d0f1a1"
    assert len(res.list(list_id=list_id).data) == 2
    filtered = res.list(extra_query={slug: f"{props[slug]}-1"})
    assert [r.id for r in filtered.data] == [ids[1]]


@resources
def test_query_count_find_upsert_duplicate_delete_restore(sandbox, name):
    res = resource(sandbox.sdk(), name)
    _segment, props, slug, patch = RESOURCES[name]
    made = res.create(default=props, idempotency_key=f"{name}-create")
    again = res.create(default=props, idempotency_key=f"{name}-create")
    assert again.id == made.id  # replayed, not created twice
    assert res.count().total == 1

    page = res.query(
        query={"select": [slug], "filter": [{slug: {"=": props[slug].upper()}}], "sort": [{"created_at": "desc"}], "limit": 5},
        include_total=True,
    )
    assert [r.id for r in page.data] == [made.id] and page.total == 1
    assert res.query(query={"select": [slug]}, id=[made.id], sources=["api"], boxes=["b"], deleted=False).data[0].id == made.id

    assert res.find(props[slug], slug=slug).id == made.id
    upserted = res.upsert(props[slug], slug=slug, default=patch)
    assert upserted.id == made.id and strip(upserted.default) == {**props, **patch}
    fresh = "brand-new@sdk.test" if slug == "email" else "brand-new"
    created = res.upsert(fresh, slug=slug, default={k: v for k, v in props.items() if k != slug})
    assert created.id != made.id and created.default[slug] == fresh

    copy = res.duplicate(made.id, idempotency_key=f"{name}-dup")
    assert copy.id not in (made.id, created.id) and strip(copy.default) == {**props, **patch}
    assert res.count().total == 3

    etag = res.with_raw_response.get(made.id).headers["etag"]
    assert res.delete(made.id, if_match=etag) is None
    assert res.count().total == 2
    with pytest.raises(NotFoundError):
        res.get(made.id)
    restored = res.restore(made.id, idempotency_key=f"{name}-restore")
    assert restored.id == made.id
    assert res.count().total == 3

    with pytest.raises(ConflictError) as several:
        res.find(props[slug], slug=slug)  # the original and its copy
    assert several.value.body["error"]["code"] == "multiple_matches"


@resources
def test_sdk_errors_map_to_the_contract(sandbox, name):
    client = sandbox.sdk()
    res = resource(client, name)
    with pytest.raises(NotFoundError):
        res.get("00000000-0000-4000-8000-000000000000")
    with pytest.raises(UnprocessableEntityError) as invalid:
        res.create(default={"no_such_property": 1})
    assert "no_such_property" in invalid.value.body["error"]["details"]["fields"]
    with pytest.raises(BadRequestError):
        res.query(query={"select": [], "limit": 51})
    with pytest.raises(BadRequestError):
        res.list(cursor="not-a-cursor")
    _, props, _, patch = RESOURCES[name]
    res.create(default=props, idempotency_key="k1")
    with pytest.raises(ConflictError) as reused:
        res.create(default={**props, **patch}, idempotency_key="k1")
    assert reused.value.body["error"]["code"] == "idempotency_key_reused"


def test_sdk_auth_errors(sandbox):
    bad = Micro(api_key="sk_nope", base_url=sandbox.base_url, team_id=sandbox.team_id, max_retries=0)
    with pytest.raises(AuthenticationError):
        bad.prism.objects.contacts.count()
    other_team, _ = make_team()
    with pytest.raises(PermissionDeniedError):
        sandbox.sdk().prism.objects.contacts.count(team_id=other_team)


def test_sdk_does_not_retry_a_409_the_sandbox_marks_final(sandbox):
    client = Micro(api_key=sandbox.api_key, base_url=sandbox.base_url, team_id=sandbox.team_id, max_retries=3)
    contacts = client.prism.objects.contacts
    contacts.create(default={"email": "twin@sdk.test"})
    contacts.create(default={"email": "twin@sdk.test"})
    raw = contacts.with_raw_response
    with pytest.raises(ConflictError) as conflict:
        raw.find("twin@sdk.test", slug="email")
    assert conflict.value.response.headers["x-should-retry"] == "false"
    assert conflict.value.response.request.headers.get("x-stainless-retry-count") in (None, "0")


def test_event_read_methods(sandbox):
    ada = sandbox.sdk().prism.objects.contacts.create(default={"first_name": "Ada"})
    ident = sandbox.sdk().prism.objects.identities.create(default={"name": "ada@work", "contact": ada.id})
    kickoff = make_event(sandbox, title="Kickoff", starts_at="2025-01-02T10:00:00.000Z", attendee=ident.id)
    make_event(sandbox, title="Review", starts_at="2025-02-02T10:00:00.000Z")
    events = sandbox.sdk().prism.objects.events

    assert events.count().total == 2
    listed = events.list(sort="starts_at", select="title", limit=1, include_total=True)
    assert [r.properties for r in listed.data] == [{"title": "Kickoff"}]
    assert listed.total == 2 and listed.has_more
    assert events.get(str(kickoff.id)).default["title"] == "Kickoff"
    assert events.find("kickoff", slug="title").id == str(kickoff.id)
    page = events.query(query={"select": ["title", "attendee.contact.first_name"], "filter": [{"starts_at": {"<": "2025-01-15"}}]})
    assert page.data[0].properties["attendee"]["properties"]["contact"]["properties"] == {"first_name": "Ada"}
    # the SDK has no event writes; a raw POST through its client is refused
    with pytest.raises(APIStatusError) as refused:
        sandbox.sdk().post(f"/v2/prism/{sandbox.team_id}/event", cast_to=object, body={"default": {"title": "x"}})
    assert refused.value.status_code == 405


def test_properties_list_and_list_all(sandbox):
    props = sandbox.sdk().prism.properties
    contact = props.list("contact")
    slugs = [p["slug"] for p in contact["data"]]
    assert "first_name" in slugs and "created_at" in slugs
    assert [p["slug"] for p in props.list("deal", term="amount")["data"]] == ["amount"]
    everything = props.list_all()
    assert set(everything["data"]) == {"contact", "organization", "identity", "deal", "action", "document", "event"}
    assert everything["data"]["contact"] == contact["data"]
