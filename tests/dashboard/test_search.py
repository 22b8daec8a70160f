"""Quick search: which properties it looks in, and the queries it takes (search.py).

Planning is pure (no API); resolving and the table run against the sandbox over HTTP.
"""

from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from dashboard import list_state, search
from dashboard.prism import TypeSchema
from prism_client import PropertyDefinition

from .schema_fixtures import CONTACT, SCHEMAS


def plan(query: str) -> search.SearchPlan:
    state = list_state.parse(QueryDict(query), CONTACT, SCHEMAS)
    return list_state.to_plan(state, CONTACT)


def wire_filters(query) -> list:
    return query.to_wire()["query"]["filter"]


def test_the_searchable_properties_are_the_short_texts_title_first():
    schema = TypeSchema(
        "contact",
        (
            PropertyDefinition("email", "Email", "email"),
            PropertyDefinition("first_name", "First name", "text"),
            PropertyDefinition("phone", "Phone", "phone"),
            PropertyDefinition("website", "Website", "url"),
            PropertyDefinition("notes", "Notes", "long_text"),
            PropertyDefinition("score", "Score", "number"),
            PropertyDefinition("organization", "Organization", "reference", target="organization"),
            PropertyDefinition("created_at", "Created at", "datetime", read_only=True),
        ),
    )
    assert [p.slug for p in search.searchable_properties(schema)] == ["first_name", "email", "phone", "website"]
    assert search.search_hint(schema) == "First name, Email, Phone or Website"


def test_search_alone_is_one_query_any_searchable_property_containing_the_text():
    found = plan("q=drake")
    assert not found.split
    assert found.query.combinator == "OR"
    assert wire_filters(found.query) == [{"first_name": {"contains": "drake"}}, {"email": {"contains": "drake"}}]


def test_no_search_is_the_table_query_unchanged():
    found = plan("f0=score&o0=%3E&v0=1")
    assert not found.split and wire_filters(found.query) == [{"score": {">": "1"}}]


def test_search_with_all_filters_is_one_part_per_property_each_with_every_filter():
    found = plan("q=ada&f0=score&o0=%3E&v0=1&f1=status&o1=%3D&v1=lead&sort=-score&size=10")
    # The table's own query keeps its filters, sort and size; the parts restrict it by id.
    assert wire_filters(found.query) == [{"score": {">": "1"}}, {"status": {"=": "lead"}}]
    assert found.query.combinator == "AND" and found.query.limit == 10
    assert [wire_filters(p) for p in found.parts] == [
        [{"score": {">": "1"}}, {"status": {"=": "lead"}}, {"first_name": {"contains": "ada"}}],
        [{"score": {">": "1"}}, {"status": {"=": "lead"}}, {"email": {"contains": "ada"}}],
    ]
    for part in found.parts:  # in the table's order, ids only, as many as one page holds
        assert part.combinator == "AND" and [s.to_param() for s in part.sort] == ["-score"]
        assert part.select == ("first_name",) and part.limit == 50 and not part.include_total
    assert "2 queries" in search.split_note(CONTACT, found)


def test_search_with_any_filters_is_one_part_per_filter_and_property():
    found = plan("q=ada&f0=score&o0=%3E&v0=1&f1=status&o1=%3D&v1=lead&combinator=OR")
    assert found.query.combinator == "OR"
    assert [wire_filters(p) for p in found.parts] == [
        [{"score": {">": "1"}}, {"first_name": {"contains": "ada"}}],
        [{"score": {">": "1"}}, {"email": {"contains": "ada"}}],
        [{"status": {"=": "lead"}}, {"first_name": {"contains": "ada"}}],
        [{"status": {"=": "lead"}}, {"email": {"contains": "ada"}}],
    ]
    assert all(p.combinator == "AND" for p in found.parts)


def test_search_beside_too_many_any_filters_is_not_applied_and_says_so():
    rows = "&".join(f"f{i}=score&o{i}=%3E&v{i}={i}" for i in range(9))  # 9 filters × 2 properties = 18 parts
    found = plan(f"q=ada&combinator=OR&{rows}")
    assert not found.split and "not applied" in found.notice
    assert all("first_name" not in f for f in wire_filters(found.query))


def test_search_in_the_trash_keeps_to_the_trash():
    found = plan("q=ada&trash=1")
    assert found.split  # the trash is a filter: "deleted_at is set" AND the search
    assert all({"deleted_at": {"is_not_null": True}} in wire_filters(p) and p.deleted for p in found.parts)


def test_one_searchable_property_beside_all_filters_is_one_more_filter():
    schema = TypeSchema("deal", (PropertyDefinition("name", "Name", "text"), PropertyDefinition("amount", "Amount", "number")))
    state = list_state.parse(QueryDict("q=big&f0=amount&o0=%3E&v0=5"), schema, {"deal": schema})
    found = list_state.to_plan(state, schema)
    assert not found.split
    assert wire_filters(found.query) == [{"amount": {">": "5"}}, {"name": {"contains": "big"}}]


# --- against the sandbox -----------------------------------------------------------------------


def table_ids(client, segment: str, **params) -> list[str]:
    response = client.get(f"/records/{segment}/?{urlencode(params, doseq=True)}")
    assert response.status_code == 200
    return [row.id for row in response.context["table_rows"]]


@pytest.fixture
def contacts(prism):
    """Contacts with a text no demo record has ("qxdrake"), in different properties."""
    return {
        "last_name_lead": prism.create("contact", first_name="Nadia", last_name="Qxdrakewell", status="lead", score=10),
        "last_name_customer": prism.create("contact", first_name="Omar", last_name="Qxdrake", status="customer", score=20),
        "email_lead": prism.create(
            "contact", first_name="Pia", last_name="Stone", email="pia.qxdrake@example.com", status="lead", score=30
        ),
        "title_customer": prism.create("contact", first_name="Ivo", last_name="Lund", title="Qxdrake liaison", status="customer", score=40),
        "no_match": prism.create("contact", first_name="Qxdrak", last_name="Nope", status="lead", score=50),
    }


def test_a_last_name_finds_its_contact(viewer_client, contacts):
    assert set(table_ids(viewer_client, "contact", q="Qxdrakewell")) == {contacts["last_name_lead"]}
    # Every searchable property: last name, email, job title; case does not matter.
    assert set(table_ids(viewer_client, "contact", q="QXDRAKE")) == {
        contacts["last_name_lead"],
        contacts["last_name_customer"],
        contacts["email_lead"],
        contacts["title_customer"],
    }


def test_the_search_box_says_what_it_looks_in(viewer_client, prism):
    body = viewer_client.get("/records/contact/").content.decode()
    assert 'aria-describedby="quick-search-hint"' in body
    assert "Looks in First name, Last name, Email, Phone or Job title" in body


def test_search_with_all_filters_shows_no_row_a_filter_excludes(viewer_client, contacts):
    shown = table_ids(viewer_client, "contact", q="qxdrake", f0="status", o0="=", v0="lead", f1="score", o1="<", v1="25", sort="score")
    assert shown == [contacts["last_name_lead"]]
    shown = table_ids(viewer_client, "contact", q="qxdrake", f0="status", o0="=", v0="lead", sort="-score")
    assert shown == [contacts["email_lead"], contacts["last_name_lead"]]
    export = viewer_client.get("/records/contact/export.csv?q=qxdrake&f0=status&o0=%3D&v0=lead&sort=-score&cols=first_name")
    assert b"".join(export.streaming_content).decode().splitlines()[1:] == [
        f"{contacts['email_lead']},Pia,Stone",  # the title's parts first, as the table's first column
        f"{contacts['last_name_lead']},Nadia,Qxdrakewell",
    ]


def test_search_with_any_filters_is_the_search_and_any_filter(viewer_client, contacts):
    shown = table_ids(
        viewer_client, "contact", q="qxdrake", combinator="OR", f0="score", o0="=", v0="20", f1="score", o1=">=", v1="40", sort="score"
    )
    assert shown == [contacts["last_name_customer"], contacts["title_customer"]]


def test_a_search_with_filters_says_how_it_ran(viewer_client, contacts):
    response = viewer_client.get("/records/contact/?q=qxdrake&f0=status&o0=%3D&v0=lead")
    assert "ran 5 queries at once" in response.content.decode()
    response = viewer_client.get("/records/contact/?q=qxdrake")
    assert "ran 5 queries" not in response.content.decode()


def test_a_search_with_filters_matching_nothing_shows_nothing(viewer_client, contacts):
    assert table_ids(viewer_client, "contact", q="no-such-text-anywhere", f0="status", o0="=", v0="lead") == []


def test_a_broad_search_with_filters_pages_to_its_depth_and_says_where_it_stops(viewer_client, prism):
    objects = [{"default": {"first_name": f"Zebulon {i:03}", "status": "lead", "score": i}} for i in range(70)]
    assert prism.request("POST", "contact/import", json={"objects": objects}).status_code == 200
    params = {"q": "zebulon", "f0": "status", "o0": "=", "v0": "lead", "sort": "score", "size": 25, "total": 1}
    response = viewer_client.get(f"/records/contact/?{urlencode(params)}")
    names = [row.title for row in response.context["table_rows"]]
    assert names == [f"Zebulon {i:03}" for i in range(25)]
    response = viewer_client.get("/records/contact/" + response.context["next_url"])
    names = [row.title for row in response.context["table_rows"]]
    assert names == [f"Zebulon {i:03}" for i in range(25, 50)]  # in order, none missing, none twice
    assert response.context["next_url"] is None and response.context["page"].total is None
    assert "More than 50 records match “zebulon”" in response.content.decode()
    export = viewer_client.get(f"/records/contact/export.csv?{urlencode(params)}")
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert len(lines) == 1 + 50 + 1 and lines[-1].startswith('"# Export stopped after 50 rows: More than 50')


# --- the global search ---------------------------------------------------------------------------


def test_the_global_search_finds_every_type_grouped(viewer_client, contacts, prism):
    org = prism.create("organization", name="Qxdrake Holdings", domain="qxdrake.example")
    deal = prism.create("deal", name="Qxdrake renewal", organization=org)
    response = viewer_client.get("/search/?q=qxdrake", headers={"HX-Request": "true"})
    assert response.status_code == 200
    found = {g.object_type.segment: g for g in response.context["shown"]}
    assert set(found) == {"contact", "organization", "deal"}
    assert {url for _, url in found["contact"].rows} == {f"/records/contact/{contacts[k]}/" for k in contacts if k != "no_match"}
    assert found["organization"].rows == (("Qxdrake Holdings", f"/records/organization/{org}/"),)
    assert found["deal"].rows == (("Qxdrake renewal", f"/records/deal/{deal}/"),)
    html = response.content.decode()
    assert 'role="group" aria-labelledby="gs-contact"' in html and html.count('role="option"') == 4 + 1 + 1
    assert "<html" not in html  # the header's suggestions alone
    page = viewer_client.get("/search/?q=qxdrake").content.decode()
    assert "<h1>Search every record</h1>" in page and "Qxdrake Holdings" in page


def test_the_global_search_says_when_nothing_matches(viewer_client, prism):
    html = viewer_client.get("/search/?q=nothing-like-this", headers={"HX-Request": "true"}).content.decode()
    assert "No records match “nothing-like-this”." in html and "0 records found" in html
    assert viewer_client.get("/search/?q=", headers={"HX-Request": "true"}).context["shown"] == []


def test_the_global_search_shows_a_failing_type_as_a_sentence(viewer_client, prism):
    from prism_sandbox import chaos

    viewer_client.get("/search/?q=a", headers={"HX-Request": "true"})  # the schema, read before the outage
    chaos.configure(error_rate=1.0)
    response = viewer_client.get("/search/?q=a", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert {g.error for g in response.context["shown"]} == {"The Prism API had a problem answering. Try again in a moment."}
    assert len(response.context["shown"]) == 7


def test_the_header_has_the_global_search(viewer_client, prism):
    html = viewer_client.get("/records/contact/").content.decode()
    assert 'id="global-search"' in html and 'role="combobox"' in html and "js/global-search.js" in html


def test_all_matching_of_a_search_too_broad_to_read_is_refused_before_anything_changes(client, prism, settings):
    from dashboard.models import BulkJob
    from dashboard.roles import Role
    from tests.conftest import login

    # The job stays queued here: a task worker of another test must not take it.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    editor = login(client, Role.EDITOR)
    objects = [{"default": {"first_name": f"Yorick {i:03}", "status": "lead"}} for i in range(60)]
    assert prism.request("POST", "contact/import", json={"objects": objects}).status_code == 200
    table = "q=yorick&f0=status&o0=%3D&v0=lead"
    form = {"action": "set", "scope": "all", "query_string": table, "slug": "status", "value": "churned", "confirm": "1"}
    response = editor.post("/records/contact/bulk/", form, follow=True)
    assert "needs the search narrowed first" in response.content.decode()
    assert len(api_ids(prism, [{"status": {"=": "churned"}}, {"first_name": {"contains": "yorick"}}])) == 0
    # Narrowed to fewer than the search reads: the job runs on exactly those.
    form["query_string"] = "q=yorick 00&f0=status&o0=%3D&v0=lead"
    response = editor.post("/records/contact/bulk/", form)
    assert response.status_code == 302 and "/bulk/" in response["Location"]
    job = BulkJob.objects.get()
    ten = api_ids(prism, [{"first_name": {"contains": "yorick 00"}}])
    assert len(ten) == 10 and set(job.query["id"]) == ten  # the search's matches; the filters still apply
    assert job.query["query"]["filter"] == [{"status": {"=": "lead"}}]


def api_ids(sandbox, filters: list) -> set[str]:
    body = {"query": {"select": ["first_name"], "filter": filters, "limit": 50}}
    response = sandbox.request("POST", "contact/query", json=body)
    assert response.status_code == 200
    return {row["id"] for row in response.json()["data"]}
