"""Titles: one configuration (prism.TITLE_SLUGS), one function that makes a title from a
record's values, and the table's single query dot-selecting reference targets' titles."""

import datetime as dt
import zoneinfo

from django.http import QueryDict
from django.utils import timezone

from dashboard import list_state
from dashboard.cells import table_rows, title_column
from dashboard.prism import TypeSchema
from dashboard.property_types import for_property
from dashboard.property_types.dates import exact, relative, when_html
from prism_client import PropertyDefinition, Row

CONTACT = TypeSchema(
    "contact",
    (
        PropertyDefinition("first_name", "First name", "text"),
        PropertyDefinition("last_name", "Last name", "text"),
        PropertyDefinition("email", "Email", "email"),
        PropertyDefinition("organization", "Organization", "reference", target="organization"),
    ),
)
ORGANIZATION = TypeSchema("organization", (PropertyDefinition("name", "Name", "text"), PropertyDefinition("domain", "Domain", "text")))
DEAL = TypeSchema(
    "deal",
    (
        PropertyDefinition("name", "Name", "text"),
        PropertyDefinition("organization", "Organization", "reference", target="organization"),
        PropertyDefinition("contact", "Contact", "reference", target="contact"),
        PropertyDefinition("amount", "Amount", "number"),
    ),
)
SCHEMAS = {"contact": CONTACT, "organization": ORGANIZATION, "deal": DEAL}


def test_a_contacts_title_is_first_and_last_name():
    assert CONTACT.title_slugs == ("first_name", "last_name")
    assert CONTACT.title({"first_name": "Ada", "last_name": "Lovelace"}) == "Ada Lovelace"
    assert CONTACT.title_label == "Name"


def test_a_title_skips_missing_parts_and_falls_back_when_it_has_none():
    assert CONTACT.title({"first_name": "Ada"}) == "Ada"
    assert CONTACT.title({"last_name": " Lovelace "}) == "Lovelace"
    assert CONTACT.title({"first_name": "", "last_name": None}, "the-id") == "the-id"
    assert CONTACT.title({"first_name": {"odd": 1}}, "the-id") == "the-id"  # not text: no title


def test_other_types_are_named_by_their_name_and_unknown_ones_by_a_text_property():
    assert DEAL.title({"name": "Renewal", "amount": 3}) == "Renewal"
    assert DEAL.title_label == "Name"
    other = TypeSchema("event", (PropertyDefinition("when", "When", "datetime"), PropertyDefinition("subject", "Subject", "text")))
    assert other.title_slugs == ("subject",)  # no configured title property: the first text one
    assert TypeSchema("event", ()).title({}, "x") == "x" and TypeSchema("event", ()).title_slug == "id"


def test_title_select_follows_a_reference_path():
    assert CONTACT.title_select("contact.") == ("contact.first_name", "contact.last_name")


def select(query: str, schema: TypeSchema = DEAL) -> list[str]:
    state = list_state.parse(QueryDict(query), schema, SCHEMAS)
    return list_state.to_query(state, schema, SCHEMAS).to_wire()["query"]["select"]


def test_the_table_query_selects_reference_targets_titles():
    assert select("cols=organization,contact,amount") == [
        "organization",
        "contact",
        "amount",
        "name",
        "organization.name",
        "contact.first_name",
        "contact.last_name",
    ]


def test_a_dot_path_to_a_reference_selects_its_title_too_within_two_references():
    assert select("cols=contact.organization") == ["contact.organization", "name", "contact.organization.name"]


def test_the_default_columns_leave_out_the_title_which_has_its_own_column():
    assert list_state.parse(QueryDict(""), CONTACT, SCHEMAS).columns == ("email", "organization")
    assert select("", CONTACT) == ["email", "organization", "first_name", "last_name", "organization.name"]


def test_a_reference_cell_shows_the_targets_title_linked_with_the_id_on_hover():
    ref = {"id": "2f1c8a70-0000-4000-8000-000000000001", "properties": {"first_name": "Ada", "last_name": "Lovelace"}}
    html = for_property(DEAL.get("contact")).render(ref, SCHEMAS)
    assert ">Ada Lovelace</a>" in html and f'title="{ref["id"]}"' in html and f"/records/contact/{ref['id']}/" in html


def test_the_title_cell_is_the_rows_link():
    row = Row(id="2f1c8a70-0000-4000-8000-000000000002", properties={"first_name": "Ada", "last_name": "Lovelace"})
    [table_row] = table_rows([row], [], "contact", SCHEMAS)
    assert table_row.title == "Ada Lovelace" and table_row.url == f"/records/contact/{row.id}/"
    assert table_row.cells == ()  # the title cell is the template's (with who is editing the row)
    assert title_column(CONTACT).label == "Name" and title_column(CONTACT).sortable


def test_relative_time_names_the_largest_unit():
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    assert relative(now - dt.timedelta(seconds=20), now) == "just now"
    assert relative(now - dt.timedelta(minutes=1), now) == "1 minute ago"
    assert relative(now - dt.timedelta(hours=5, minutes=59), now) == "5 hours ago"
    assert relative(now - dt.timedelta(days=3, hours=2), now) == "3 days ago"
    assert relative(now - dt.timedelta(days=400), now) == "1 year ago"
    assert relative(now + dt.timedelta(days=2, hours=1), now) == "in 2 days"


def test_the_exact_time_is_in_the_active_time_zone():
    moment = dt.datetime(2026, 6, 1, 12, 30, tzinfo=dt.UTC)
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        assert exact(moment) == "Jun 1, 2026, 21:30 JST"
        html = when_html(moment)
    assert 'datetime="2026-06-01T12:30:00Z"' in html and 'title="Jun 1, 2026, 21:30 JST"' in html and 'tabindex="0"' in html
    with timezone.override(dt.UTC):
        assert exact(moment) == "Jun 1, 2026, 12:30 UTC"
