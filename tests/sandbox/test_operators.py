"""The sandbox's operator list, held against the client's vocabulary (API_CONTRACT.md, "Query body").

The sandbox keeps its own list on purpose: it must not import the client. This test
holds the two together: the same wire keys, every value shape the client builds
accepted, and the same arity where an operator takes several values.
"""

import pytest

from prism_client import Filter, InvalidQuery, Operator
from prism_client.query import COMPARISON_OPERATORS, LIST_OPERATORS, PRESENCE_OPERATORS
from prism_sandbox.query import OPERATORS, PRESENCE_OPS, RANGE_OPS

from .conftest import assert_error, create, ids_of, query

# One filter per operator, as the client builds it: slug, operator, value.
CLIENT_SHAPES = {
    Operator.EQ: ("first_name", "Ada"),
    Operator.NE: ("is_vip", True),
    Operator.LT: ("score", 50),
    Operator.GT: ("score", 5),
    Operator.LTE: ("birthday", "1990-12-31"),
    Operator.GTE: ("score", "10"),
    Operator.CONTAINS: ("tags", ["vip"]),
    Operator.BEGINS_WITH: ("first_name", "Ad"),
    Operator.ENDS_WITH: ("email", "example.com"),
    Operator.NOT_CONTAINS: ("first_name", "zz"),
    Operator.EXISTS: ("email", True),
    Operator.NOT_EXISTS: ("phone", True),
    Operator.IS_NULL: ("phone", True),
    Operator.IS_NOT_NULL: ("score", True),
    Operator.BETWEEN: ("score", [10, 20]),
    Operator.IN: ("status", ["lead", "customer"]),
    Operator.NOT_IN: ("status", ["churned"]),
}
# Values of the wrong arity: the client refuses to build them, the sandbox answers 400.
WRONG_ARITY = [
    (Operator.BETWEEN, "score", [10]),
    (Operator.BETWEEN, "score", [10, 20, 30]),
    (Operator.IN, "status", []),
    (Operator.NOT_IN, "status", []),
]


def test_the_same_wire_keys():
    assert {o.value for o in Operator} == OPERATORS  # the sandbox's own list
    assert set(CLIENT_SHAPES) == set(Operator)


def test_the_same_groups_of_value_shapes():
    assert set(PRESENCE_OPS) == {o.value for o in PRESENCE_OPERATORS}  # true/false, no operand
    assert set(RANGE_OPS) == {o.value for o in COMPARISON_OPERATORS}  # one ordered operand
    assert {o.value for o in LIST_OPERATORS} == {"in", "not_in"}  # a non-empty list (checked below)


@pytest.fixture
def people(sandbox):
    """Three contacts the shapes above pick from: Ada matches most of them."""
    ada = create(sandbox, "contact", first_name="Ada", email="ada@example.com", score=15, status="lead", tags=["vip"], is_vip=False)
    bo = create(sandbox, "contact", first_name="Bo", email="bo@example.org", score=70, status="churned", birthday="1980-01-01")
    cy = create(sandbox, "contact", first_name="Cy", phone="+1 555 0100", status="customer", tags=["partner"], is_vip=True)
    return {"ada": ada["id"], "bo": bo["id"], "cy": cy["id"]}


# Who each client-built filter finds among the three: the sandbox reads the shapes as the contract says.
EXPECTED = {
    Operator.EQ: {"ada"},
    Operator.NE: {"ada", "bo"},  # != matches a missing value too
    Operator.LT: {"ada"},
    Operator.GT: {"ada", "bo"},
    Operator.LTE: {"bo"},
    Operator.GTE: {"ada", "bo"},
    Operator.CONTAINS: {"ada"},
    Operator.BEGINS_WITH: {"ada"},
    Operator.ENDS_WITH: {"ada"},
    Operator.NOT_CONTAINS: {"ada", "bo", "cy"},
    Operator.EXISTS: {"ada", "bo"},
    Operator.NOT_EXISTS: {"ada", "bo"},
    Operator.IS_NULL: {"ada", "bo"},
    Operator.IS_NOT_NULL: {"ada", "bo"},
    Operator.BETWEEN: {"ada"},
    Operator.IN: {"ada", "cy"},
    Operator.NOT_IN: {"ada", "cy"},
}


@pytest.mark.parametrize("op", list(Operator), ids=[o.name for o in Operator])
def test_every_value_shape_the_client_builds_is_taken_as_meant(sandbox, people, op):
    slug, value = CLIENT_SHAPES[op]
    body = {"filter": [Filter(slug, op, value).to_wire()], "limit": 50}
    found = set(ids_of(query(sandbox, "contact", body)))
    assert {name for name, record_id in people.items() if record_id in found} == EXPECTED[op]


@pytest.mark.parametrize(("op", "slug", "value"), WRONG_ARITY, ids=[f"{o.value}-{len(v)}" for o, _, v in WRONG_ARITY])
def test_the_same_arity_both_sides(sandbox, op, slug, value):
    with pytest.raises(InvalidQuery):
        Filter(slug, op, value)
    assert_error(query(sandbox, "contact", {"filter": [{slug: {op.value: value}}]}), 400, "invalid_request")


def test_an_operator_outside_the_vocabulary_is_refused_both_sides(sandbox):
    with pytest.raises(InvalidQuery, match="unknown operator 'like'"):
        Filter("first_name", "like", "A")
    error = assert_error(query(sandbox, "contact", {"filter": [{"first_name": {"like": "A"}}]}), 400, "invalid_request")
    assert "Unknown operator `like`" in error["message"]
