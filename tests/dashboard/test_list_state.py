"""URL state ↔ Prism query: every operator of every property type, and the fallbacks."""

import importlib
from urllib.parse import parse_qsl

import pytest
from django.apps import apps
from django.http import QueryDict

from dashboard import list_state
from dashboard.models import SavedView
from dashboard.property_types import Input, for_property

from .schema_fixtures import CONTACT, SCHEMAS


def parse(query: str) -> list_state.ListState:
    return list_state.parse(QueryDict(query), CONTACT, SCHEMAS)


def wire(query: str) -> dict:
    state = parse(query)
    return list_state.to_query(state, CONTACT).to_wire(state.cursor)


def filters(query: str) -> list:
    return wire(query)["query"]["filter"]


# One valid value (or two, or several) per property type, as a person types it, and
# the wire value Prism receives.
ONE_VALUE = {
    "first_name": ("Ada", "Ada"),
    "email": ("ada@example.com", "ada@example.com"),
    "notes": ("call back", "call back"),
    "status": ("lead", "lead"),
    "tags": ("vip", "vip"),
    "score": ("42.5", "42.5"),
    "is_vip": ("true", True),
    "birthday": ("1990-02-03", "1990-02-03"),
    "organization": ("0b9e7c1e-8a6f-4c8e-9d55-8f0d3a2b1c11", "0b9e7c1e-8a6f-4c8e-9d55-8f0d3a2b1c11"),
    "created_at": ("2026-01-02T03:04", "2026-01-02T03:04:00Z"),
}
TWO_VALUES = {
    "score": (("10", "20"), ["10", "20"]),
    "birthday": (("1990-01-01", "1999-12-31"), ["1990-01-01", "1999-12-31"]),
    "created_at": (("2026-01-01T00:00", "2026-02-01T00:00"), ["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"]),
}
MANY_VALUES = {
    "first_name": (("Ada, Grace",), ["Ada", "Grace"]),
    "email": (("a@x.io\nb@x.io",), ["a@x.io", "b@x.io"]),
    "notes": (("x, y",), ["x", "y"]),
    "status": (("lead", "customer"), ["lead", "customer"]),
    "tags": (("vip", "partner"), ["vip", "partner"]),
    "score": (("1, 2, 3",), ["1", "2", "3"]),
    "organization": (
        ("0b9e7c1e-8a6f-4c8e-9d55-8f0d3a2b1c11, 1c9e7c1e-8a6f-4c8e-9d55-8f0d3a2b1c22",),
        ["0b9e7c1e-8a6f-4c8e-9d55-8f0d3a2b1c11", "1c9e7c1e-8a6f-4c8e-9d55-8f0d3a2b1c22"],
    ),
}


def every_operator():
    for prop in CONTACT.properties:
        if prop.slug == "updated_at":
            continue
        for spec in for_property(prop).operators:
            yield pytest.param(prop.slug, spec, id=f"{prop.type}-{prop.slug}-{spec.wire}-{spec.label}")


@pytest.mark.parametrize(("slug", "spec"), list(every_operator()))
def test_every_operator_of_every_type_reaches_the_wire(slug, spec):
    params = QueryDict(mutable=True)
    params["f0"], params["o0"] = slug, spec.wire
    if spec.input is Input.ONE:
        typed, expected = ONE_VALUE[slug]
        params.setlist("v0", [typed])
    elif spec.input is Input.TWO:
        typed, expected = TWO_VALUES[slug]
        params.setlist("v0", list(typed))
    elif spec.input is Input.MANY:
        typed, expected = MANY_VALUES[slug]
        params.setlist("v0", list(typed))
    else:
        expected = True
    assert filters(params.urlencode()) == [{slug: {spec.wire: expected}}]


@pytest.mark.parametrize(
    ("slug", "op", "value", "message"),
    [
        ("score", ">", "abc", "not a number"),
        ("score", "between", "5", "both ends"),
        ("birthday", "=", "03/02/1990", "not a date"),
        ("created_at", ">", "yesterday", "not a date and time"),
        ("status", "=", "zombie", "not an option"),
        ("is_vip", "=", "maybe", "yes or no"),
        ("organization", "=", "acme", "not a record id"),
    ],
)
def test_invalid_values_are_flagged_and_left_out_of_the_query(slug, op, value, message):
    query = f"f0={slug}&o0={op}&v0={value}&f1=first_name&o1=contains&v1=an"
    state = parse(query)
    assert message in state.filter_rows[0].error
    assert filters(query) == [{"first_name": {"contains": "an"}}]


def test_incomplete_rows_wait_without_an_error():
    state = parse("f0=score&o0=%3E&v0=&f1=status&f2=")
    assert [r.error for r in state.filter_rows] == [None, None, None]
    assert filters("f0=score&o0=%3E&v0=&f1=status&f2=") == []


def test_an_operator_that_does_not_fit_the_type_is_dropped():
    state = parse("f0=score&o0=contains&v0=1")
    assert state.filter_rows[0].op == "" and state.filter_rows[0].error is None


def test_unknown_property_asks_for_a_choice():
    assert parse("f0=nope&o0=%3D&v0=1").filter_rows[0].error == "Choose a property."


def test_rows_keep_their_order_and_gaps_in_numbering_are_fine():
    query = "f3=score&o3=%3E%3D&v3=5&f0=first_name&o0=begins_with&v0=A"
    assert filters(query) == [{"first_name": {"begins_with": "A"}}, {"score": {">=": "5"}}]


def test_combinator_or_and_default_and():
    assert wire("f0=score&o0=%3E&v0=1&f1=score&o1=%3C&v1=0&combinator=OR")["query"]["combinator"] == "OR"
    assert wire("f0=score&o0=%3E&v0=1&f1=score&o1=%3C&v1=0")["query"]["combinator"] == "AND"
    assert parse("combinator=OR").query_string().endswith("combinator=OR")


def test_a_bookmark_from_before_reads_its_join_as_the_combinator():
    assert wire("f0=score&o0=%3E&v0=1&f1=score&o1=%3C&v1=0&join=or")["query"]["combinator"] == "OR"
    state = parse("join=or")
    assert state.combinator == "OR"
    assert "join" not in dict(parse_qsl(state.query_string()[1:]))
    assert parse("join=or&combinator=AND").combinator == "AND"  # the new name wins


@pytest.mark.django_db
def test_saved_views_from_before_are_migrated_to_the_combinator(django_user_model):
    migration = importlib.import_module("dashboard.migrations.0006_saved_views_combinator")
    owner = django_user_model.objects.create_user("owner")
    before = "cols=first_name,score&join=or&f0=score&o0=%3E&v0=1"
    old = SavedView.objects.create(owner=owner, name="Any", segment="contact", query_string=before)
    other = SavedView.objects.create(owner=owner, name="All", segment="contact", query_string="cols=first_name&xjoin=or")
    migration.join_to_combinator(apps, None)
    old.refresh_from_db()
    assert parse_qsl(old.query_string) == [("cols", "first_name,score"), ("combinator", "OR"), ("f0", "score"), ("o0", ">"), ("v0", "1")]
    assert parse(old.query_string).combinator == "OR"
    assert SavedView.objects.get(pk=other.pk).query_string == "cols=first_name&xjoin=or"  # another parameter: left alone
    migration.combinator_to_join(apps, None)
    old.refresh_from_db()
    assert parse_qsl(old.query_string) == parse_qsl(before)


def test_trash_asks_for_deleted_records_only_and_joins_by_all():
    body = wire("trash=1&combinator=OR&f0=score&o0=%3E&v0=1&f1=score&o1=%3C&v1=0")
    assert body["deleted"] is True
    assert body["query"]["filter"][-1] == {"deleted_at": {"is_not_null": True}}
    assert body["query"]["combinator"] == "AND"


def test_columns_sort_size_and_total():
    body = wire("cols=email,organization.name&sort=-score,first_name&size=10&total=1")
    assert body["query"]["select"] == ["email", "organization.name", "first_name"]
    assert body["query"]["sort"] == [{"score": "desc"}, {"first_name": "asc"}]
    assert body["query"]["limit"] == 10
    assert body["include_total"] is True


def test_column_checkboxes_say_which_columns_and_the_compact_form_their_order():
    assert parse("cols=email&col=score&col=status").columns == ("score", "status")  # email unpicked
    # The table's order is kept; a column newly picked goes last.
    assert parse("cols=status,first_name&col=first_name&col=email&col=status").columns == ("status", "first_name", "email")


@pytest.mark.parametrize("query", ["size=7", "size=abc", "size=500"])
def test_bad_page_size_falls_back(query):
    assert parse(query).size == list_state.DEFAULT_SIZE


def test_unknown_columns_and_sort_keys_are_skipped():
    state = parse("cols=nope,email,organization.nope,score.x&sort=nope,-score,organization.name,-score")
    assert state.columns == ("email",)
    assert state.sort == ("-score",)
    assert state.notices


def test_default_columns_when_none_given():
    # The title (first_name here) has its own first column, the row's link: not repeated.
    assert parse("").columns == ("email", "status", "tags", "score", "is_vip")


def test_links_keep_state_and_changes_reset_the_page():
    state = parse("cols=email&sort=score&f0=score&o0=%3E&v0=3&cursor=abc&trail=")
    assert "cursor" not in dict(parse_qsl(state.query_string(size=10)[1:]))
    kept = dict(parse_qsl(state.query_string(size=10)[1:]))
    assert kept == {"cols": "email", "sort": "score", "size": "10", "f0": "score", "o0": ">", "v0": "3"}


def test_next_and_previous_walk_a_trail_of_cursors():
    first = parse("cols=email")
    second = parse(first.next_page("c2")[1:])
    third = parse(second.next_page("c3")[1:])
    assert (first.page_number, second.page_number, third.page_number) == (1, 2, 3)
    back = parse(third.previous_page()[1:])
    assert back.cursor == "c2" and back.page_number == 2
    assert parse(back.previous_page()[1:]).cursor is None
    assert first.previous_page() is None


@pytest.mark.parametrize(
    ("sort", "add", "expected"),
    [
        ("", False, "score"),
        ("score", False, "-score"),
        ("-score", False, "score"),
        ("first_name", False, "score"),
        ("first_name", True, "first_name,score"),
        ("first_name,score", True, "first_name,-score"),
    ],
)
def test_sort_links(sort, add, expected):
    state = parse(f"sort={sort}")
    assert dict(parse_qsl(state.sort_link("score", add=add)[1:])).get("sort") == expected


def test_sort_direction_for_headers():
    state = parse("sort=first_name,-score")
    assert state.sort_direction("score") == ("desc", 2)
    assert state.sort_direction("email") == (None, None)
