"""Related records on a record's page, and "New …" prefilled with the record (over HTTP)."""

from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard import related
from dashboard.prism import TypeSchema
from prism_client import PropertyDefinition


def test_relations_are_every_reference_property_pointing_at_the_type():
    schemas = {
        "contact": TypeSchema("contact", (PropertyDefinition("organization", "Organization", "reference", target="organization"),)),
        "organization": TypeSchema("organization", (PropertyDefinition("name", "Name", "text"),)),
        "deal": TypeSchema(
            "deal",
            (
                PropertyDefinition("organization", "Organization", "reference", target="organization"),
                PropertyDefinition("partner", "Partner", "reference", target="organization", multiple=True),
                PropertyDefinition("owner", "Owner", "reference", target="identity"),
            ),
        ),
    }
    found = [(r.segment, r.prop.slug) for r in related.relations(schemas, "organization")]
    assert found == [("contact", "organization"), ("deal", "organization"), ("deal", "partner")]
    assert related.relations(schemas, "contact") == []


@pytest.fixture
def acme(prism):
    org = prism.create("organization", name="Qx Acme")
    contacts = [prism.create("contact", first_name=f"Qx{i}", organization=org) for i in range(7)]
    deals = [prism.create("deal", name="Qx big deal", organization=org)]
    return org, contacts, deals


def groups(client, segment: str, record_id: str) -> dict:
    response = client.get(f"/records/{segment}/{record_id}/related/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    return {f"{g.relation.segment}.{g.relation.prop.slug}": g for g in response.context["groups"]}, response.content.decode()


def test_an_organization_lists_its_contacts_and_deals_with_counts_and_links(admin_client, acme):
    org, contacts, deals = acme
    found, html = groups(admin_client, "organization", org)
    assert set(found) == {"contact.organization", "deal.organization"}
    people = found["contact.organization"]
    assert people.total == 7 and len(people.rows) == related.FIRST_ROWS and people.more
    assert {url.rsplit("/", 2)[-2] for _, url in people.rows} <= set(contacts)
    assert parse_qs(urlsplit(people.table_url).query) == {"f0": ["organization"], "o0": ["="], "v0": [org]}
    assert found["deal.organization"].total == 1 and found["deal.organization"].rows == (("Qx big deal", f"/records/deal/{deals[0]}/"),)
    assert found["deal.organization"].create_url == f"/records/deal/new/?organization={org}"
    assert "See all contacts (7) in their table" in html and "New deal" in html
    # The link's table shows exactly these records.
    table = admin_client.get(people.table_url)
    assert {row.id for row in table.context["table_rows"]} == set(contacts)


def test_the_record_page_loads_them_after_itself(viewer_client, acme):
    org, _, _ = acme
    html = viewer_client.get(f"/records/organization/{org}/").content.decode()
    assert f'hx-get="/records/organization/{org}/related/"' in html and 'hx-trigger="load"' in html


def test_a_viewer_is_offered_no_new_record(viewer_client, acme):
    org, _, _ = acme
    found, html = groups(viewer_client, "organization", org)
    assert all(g.create_url is None for g in found.values()) and "New deal" not in html


def test_a_relation_the_api_refuses_says_so_in_its_group(admin_client, acme):
    from django.core.cache import cache

    from dashboard import prism as dashboard_prism

    org, _, _ = acme
    # A schema listing a reference the API does not know: that group's query is refused.
    groups(admin_client, "organization", org)  # the schema, read and cached
    schemas = dict(cache.get(dashboard_prism._cache_key()))
    document = schemas["document"]
    odd = PropertyDefinition("sponsor", "Sponsor", "reference", target="organization")
    schemas["document"] = TypeSchema("document", (*document.properties, odd))
    cache.set(dashboard_prism._cache_key(), schemas, 60)
    found, _ = groups(admin_client, "organization", org)
    assert found["document.sponsor"].error.startswith("The Prism API refused the request")
    assert found["contact.organization"].total == 7 and not found["contact.organization"].error


def test_an_api_outage_is_a_sentence_in_each_group_not_an_error_page(admin_client, acme):
    from prism_sandbox import chaos

    org, _, _ = acme
    groups(admin_client, "organization", org)  # the schema is read (and cached) before the outage
    chaos.configure(error_rate=1.0)
    found, html = groups(admin_client, "organization", org)
    assert all(g.error == "The Prism API had a problem answering. Try again in a moment." for g in found.values())
    assert html.count('role="alert"') == len(found)


def test_new_deal_is_prefilled_with_the_organization_by_name(admin_client, acme):
    org, _, _ = acme
    html = admin_client.get(f"/records/deal/new/?organization={org}").content.decode()
    assert f'value="{org}" data-reference-id' in html and 'value="Qx Acme"' in html


def test_a_prefill_naming_no_record_is_left_out_and_said(admin_client, prism):
    for value in ("not-a-uuid", "00000000-0000-4000-8000-000000000000"):
        html = admin_client.get(f"/records/deal/new/?organization={value}").content.decode()
        assert "Organization was not filled in" in html and f'value="{value}"' not in html


def test_a_contact_lists_its_identities_and_what_points_at_them(admin_client, prism):
    person = prism.create("contact", first_name="Qx Ada", last_name="Lovelace")
    login = prism.create("identity", name="ada@qx", contact=person)
    deal = prism.create("deal", name="Qx engine", owner=login)
    prism.create("deal", name="Qx someone else's")
    action = prism.create("action", title="Qx call back", assignee=login)
    found, _ = groups(admin_client, "contact", person)
    assert list(found) == ["identity.contact", "deal.owner", "action.assignee", "event.attendee"]
    assert found["identity.contact"].rows == (("ada@qx", f"/records/identity/{login}/"),)
    deals = found["deal.owner"]
    assert deals.heading == "Deals · Owner, through identities"
    assert deals.rows == (("Qx engine", f"/records/deal/{deal}/"),) and deals.total == 1
    assert deals.create_url == f"/records/deal/new/?owner={login}"
    assert parse_qs(urlsplit(deals.table_url).query) == {"f0": ["owner"], "o0": ["="], "v0": [login]}
    assert found["action.assignee"].rows == (("Qx call back", f"/records/action/{action}/"),)
    assert found["event.attendee"].total == 0 and found["event.attendee"].create_url is None  # events are read-only
    # Two identities: the table link and the query take both; "New deal" could be either's, so none.
    second = prism.create("identity", name="ada2@qx", contact=person)
    found, _ = groups(admin_client, "contact", person)
    assert parse_qs(urlsplit(found["deal.owner"].table_url).query)["o0"] == ["in"]
    assert set(parse_qs(urlsplit(found["deal.owner"].table_url).query)["v0"]) == {login, second}
    assert found["deal.owner"].create_url is None and found["deal.owner"].total == 1
