"""prism_client.query: validation before sending and the exact wire format."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from prism_client import Filter, InvalidQuery, Operator, PrismError, Query, Sort
from prism_client.query import sort_param, to_wire_string, wire_value

# --- every operator's wire format ---------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value", "wire"),
    [
        ("=", "lead", {"status": {"=": "lead"}}),
        ("=", True, {"status": {"=": True}}),
        ("=", 5, {"status": {"=": "5"}}),
        ("!=", "lead", {"status": {"!=": "lead"}}),
        ("!=", False, {"status": {"!=": False}}),
        ("<", 10, {"status": {"<": "10"}}),
        (">", 2.5, {"status": {">": "2.5"}}),
        ("<=", Decimal("1.10"), {"status": {"<=": "1.10"}}),
        (">=", date(2024, 1, 31), {"status": {">=": "2024-01-31"}}),
        ("contains", "ad", {"status": {"contains": "ad"}}),
        ("contains", ["vip", "partner"], {"status": {"contains": ["vip", "partner"]}}),
        ("begins_with", "A", {"status": {"begins_with": "A"}}),
        ("ends_with", ".com", {"status": {"ends_with": ".com"}}),
        ("not_contains", "x", {"status": {"not_contains": "x"}}),
        ("exists", True, {"status": {"exists": True}}),
        ("not_exists", True, {"status": {"not_exists": True}}),
        ("is_null", False, {"status": {"is_null": False}}),
        ("is_not_null", True, {"status": {"is_not_null": True}}),
        ("between", (1, 9), {"status": {"between": ["1", "9"]}}),
        ("in", ["lead", "customer"], {"status": {"in": ["lead", "customer"]}}),
        ("not_in", ("churned",), {"status": {"not_in": ["churned"]}}),
    ],
)
def test_filter_wire_format(op, value, wire):
    assert Filter("status", op, value).to_wire() == wire


def test_every_operator_has_a_wire_test():
    keys = {
        "=",
        "!=",
        "<",
        ">",
        "<=",
        ">=",
        "contains",
        "begins_with",
        "ends_with",
        "not_contains",
        "exists",
        "not_exists",
        "is_null",
        "is_not_null",
        "between",
        "in",
        "not_in",
    }
    assert {o.value for o in Operator} == keys


def test_filter_accepts_operator_enum():
    assert Filter("score", Operator.GTE, 50).to_wire() == {"score": {">=": "50"}}


# --- value shape validation -----------------------------------------------------------


def test_unknown_operator_is_rejected():
    with pytest.raises(InvalidQuery, match="unknown operator 'like'"):
        Filter("name", "like", "x")


def test_invalid_query_is_a_prism_error_and_value_error():
    with pytest.raises(PrismError):
        Filter("name", "like", "x")
    with pytest.raises(ValueError):
        Filter("name", "like", "x")


@pytest.mark.parametrize("slug", ["", "  ", None])
def test_filter_needs_a_slug(slug):
    with pytest.raises(InvalidQuery, match="slug"):
        Filter(slug, "=", "x")


def test_between_needs_two_values():
    with pytest.raises(InvalidQuery, match="exactly 2 values"):
        Filter("score", "between", [1, 2, 3])


def test_between_needs_a_list():
    with pytest.raises(InvalidQuery, match="list of values"):
        Filter("score", "between", "1,2")


@pytest.mark.parametrize("op", ["in", "not_in"])
def test_in_needs_a_list(op):
    with pytest.raises(InvalidQuery, match="list of values"):
        Filter("status", op, "lead")


def test_in_needs_at_least_one_value():
    with pytest.raises(InvalidQuery, match="at least one"):
        Filter("status", "in", [])


def test_in_rejects_non_iterables():
    with pytest.raises(InvalidQuery, match="list of values"):
        Filter("status", "in", 5)


@pytest.mark.parametrize("op", ["exists", "not_exists", "is_null", "is_not_null"])
def test_presence_operators_take_a_bool(op):
    with pytest.raises(InvalidQuery, match="true or false"):
        Filter("email", op, "yes")


def test_comparison_rejects_booleans():
    with pytest.raises(InvalidQuery, match="cannot be ordered"):
        Filter("score", ">", True)


@pytest.mark.parametrize("op", ["begins_with", "ends_with", "not_contains"])
def test_text_operators_take_text(op):
    with pytest.raises(InvalidQuery, match="expected text"):
        Filter("name", op, 5)


def test_unsupported_value_type_is_rejected():
    with pytest.raises(InvalidQuery, match="got dict"):
        Filter("name", "=", {"a": 1})


def test_list_items_are_checked_too():
    with pytest.raises(InvalidQuery, match="got NoneType"):
        Filter("status", "in", ["lead", None])


def test_to_wire_string_conversions():
    assert to_wire_string(True, "x") == "true"
    assert to_wire_string(False, "x") == "false"
    assert to_wire_string(datetime(2024, 5, 1, 12, 0, tzinfo=UTC), "x") == "2024-05-01T12:00:00+00:00"


def test_wire_value_in_list_strings_booleans():
    assert wire_value(Operator.IN, [True, 1], "flag") == ["true", "1"]


# --- sort -----------------------------------------------------------------------------


def test_sort_parse_descending():
    assert Sort.parse("-updated_at") == Sort("updated_at", "desc")


def test_sort_parse_ascending():
    assert Sort.parse("name") == Sort("name", "asc")


def test_sort_rejects_bad_direction():
    with pytest.raises(InvalidQuery, match="asc or desc"):
        Sort("name", "up")


def test_sort_rejects_empty_slug():
    with pytest.raises(InvalidQuery, match="slug"):
        Sort.parse("-")


def test_sort_param_round_trips():
    assert sort_param(["-updated_at", Sort("name")]) == "-updated_at,name"


# --- query ----------------------------------------------------------------------------


def test_query_wire_format_full():
    query = Query(
        select=("first_name", "organization.name"),
        filters=(Filter("status", "=", "lead"), Filter("score", ">=", 50)),
        combinator="OR",
        sort=(Sort("updated_at", "desc"), Sort("last_name")),
        limit=25,
        list_id="L1",
        include_total=True,
        deleted=False,
        ids=("a", "b"),
        sources=("csv",),
    )
    assert query.to_wire(cursor="c1") == {
        "query": {
            "select": ["first_name", "organization.name"],
            "filter": [{"status": {"=": "lead"}}, {"score": {">=": "50"}}],
            "combinator": "OR",
            "sort": [{"updated_at": "desc"}, {"last_name": "asc"}],
            "limit": 25,
            "list_id": "L1",
        },
        "cursor": "c1",
        "include_total": True,
        "deleted": False,
        "id": ["a", "b"],
        "sources": ["csv"],
    }


def test_query_wire_format_minimal():
    assert Query().to_wire() == {
        "query": {"select": [], "filter": [], "combinator": "AND"},
        "include_total": False,
        "deleted": False,
    }


def test_query_builders_return_new_queries():
    base = Query()
    built = base.only("first_name").where("status", "in", ["lead"]).order_by("-score").with_limit(10).with_combinator("OR")
    assert base == Query()
    assert built.select == ("first_name",)
    assert built.filters == (Filter("status", "in", ["lead"]),)
    assert built.sort == (Sort("score", "desc"),)
    assert built.limit == 10
    assert built.combinator == "OR"


def test_query_is_hashable_with_list_input():
    query = Query(select=["a", "b"], filters=[Filter("a", "=", "1")])
    assert query.select == ("a", "b")
    assert hash(query) == hash(Query(select=("a", "b"), filters=(Filter("a", "=", "1"),)))


@pytest.mark.parametrize("limit", [0, 51, -1, True, 2.5])
def test_query_limit_must_be_1_to_50(limit):
    with pytest.raises(InvalidQuery, match="limit must be an integer from 1 to 50"):
        Query(limit=limit)


@pytest.mark.parametrize("limit", [1, 50])
def test_query_limit_bounds_are_inclusive(limit):
    assert Query(limit=limit).to_wire()["query"]["limit"] == limit


def test_query_rejects_bad_combinator():
    with pytest.raises(InvalidQuery, match="AND or OR"):
        Query(combinator="XOR")


def test_query_rejects_string_select():
    with pytest.raises(InvalidQuery, match="not a single string"):
        Query(select="first_name")


def test_query_rejects_empty_select_slug():
    with pytest.raises(InvalidQuery, match="select"):
        Query(select=("",))


def test_query_rejects_non_filter():
    with pytest.raises(InvalidQuery, match="Filter values"):
        Query(filters=({"status": {"=": "lead"}},))


def test_query_rejects_non_sort():
    with pytest.raises(InvalidQuery, match="Sort values"):
        Query(sort=("-name",))


@pytest.mark.parametrize("page", [0, -1, True, 2.5, "2"])
def test_query_page_is_a_whole_number_from_1(page):
    with pytest.raises(InvalidQuery, match="page must be a whole number from 1"):
        Query(page=page)


def test_query_page_goes_out_in_the_query_unless_a_cursor_says_where():
    numbered = Query(limit=50).at_page(3)
    assert numbered.page == 3
    assert numbered.to_wire()["query"]["page"] == 3
    assert "page" not in numbered.to_wire(cursor="abc")["query"]
    assert "page" not in Query().to_wire()["query"]
    assert numbered.at_page(None).page is None
