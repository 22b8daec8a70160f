"""Hypothesis over real HTTP: whatever the body, the sandbox answers with the
contract (never a 500, a JSON error code on every 4xx), and typed filters agree
with a plain Python model of the contract."""

import itertools
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prism_sandbox.query import OPERATORS
from tests.fuzzing import examples

from .conftest import seed

FUZZ = settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

CONTACT_SLUGS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "status",
    "tags",
    "score",
    "is_vip",
    "birthday",
    "organization",
    "notes",
    "created_at",
    "updated_at",
]
slugs = st.sampled_from([*CONTACT_SLUGS, "id", "organization.name", "nope", "", "Score", "a" * 80])
surrogates = st.sampled_from(["\ud800", "a\udfffb", "\ud83d\ude00"])
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | surrogates
    | st.sampled_from(
        [
            "lead",
            "vip",
            "2025-01-02",
            "2025-01-02T10:00:00Z",
            "10",
            "-3.5",
            "1e400",
            "true",
            "00000000-0000-4000-8000-000000000000",
            "ada@example.com",
            "https://x.test",
        ]
    )
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6
)
operators = st.sampled_from([*sorted(OPERATORS), "like", "", "=="])


def encode(body) -> bytes:
    # json.dumps writes NaN/Infinity (not JSON) and \ud800 escapes: both are fair game.
    return json.dumps(body).encode()


def assert_contract(response, allowed: set[int]):
    assert response.status_code in allowed, (response.status_code, response.text[:500])
    assert response.status_code < 500
    if response.status_code >= 400:
        assert response.headers["Content-Type"].startswith("application/json")
        error = response.json()["error"]
        assert isinstance(error["code"], str) and error["code"]
        assert isinstance(error["details"], dict)
        assert response.headers["x-should-retry"] == "false"
    elif response.status_code != 204:
        return response.json()


filters = st.lists(
    st.dictionaries(slugs, st.dictionaries(operators, json_values, min_size=1, max_size=2), min_size=1, max_size=1), max_size=4
)
query_bodies = st.fixed_dictionaries(
    {},
    optional={
        "select": st.lists(slugs, max_size=4) | st.text(max_size=20) | json_values,
        "filter": filters | json_values,
        "combinator": st.sampled_from(["AND", "OR", "and", "XOR"]) | json_values,
        "sort": st.lists(st.dictionaries(slugs, st.sampled_from(["asc", "desc", "up"]), min_size=1, max_size=1), max_size=3) | json_values,
        "limit": st.integers(min_value=-5, max_value=80) | json_values,
        "page": st.integers(min_value=-1, max_value=10**20) | json_values,
        "cursor": st.text(max_size=40) | json_values,
        "list_id": st.uuids().map(str) | json_values,
    },
)
top_level = st.fixed_dictionaries(
    {},
    optional={
        "id": st.uuids().map(str) | st.lists(st.uuids().map(str), max_size=2) | json_values,
        "deleted": st.booleans() | json_values,
        "include_total": st.booleans() | json_values,
        "sources": st.lists(st.text(max_size=5), max_size=2) | json_values,
        "boxes": json_values,
        "cursor": st.text(max_size=40) | json_values,
    },
)


@pytest.fixture
def contacts(sandbox):
    rows = [{"first_name": f"P{i}", "score": i, "status": "lead", "tags": ["vip"], "birthday": "2000-01-02"} for i in range(4)]
    return seed(sandbox, "contact", rows)


@FUZZ
@given(query=query_bodies | json_values, top=top_level)
def test_query_bodies_never_break_the_contract(sandbox, contacts, query, top):
    body = {"query": query, **top} if isinstance(query, dict) else {"query": query}
    response = sandbox.request("POST", "contact/query", data=encode(body), headers={"Content-Type": "application/json"})
    data = assert_contract(response, {200, 400})
    if data is not None:
        assert set(data) >= {"data", "has_more", "next_cursor"}
        assert len(data["data"]) <= 50
        assert (data["next_cursor"] is None) == (not data["has_more"])


@FUZZ
@given(
    params=st.lists(
        st.tuples(
            slugs | st.sampled_from(["limit", "sort", "select", "cursor", "deleted", "include_total", "list_id"]), st.text(max_size=20)
        ),
        max_size=4,
    )
)
def test_list_query_strings_never_break_the_contract(sandbox, contacts, params):
    response = sandbox.request("GET", "contact", params=params)
    data = assert_contract(response, {200, 400})
    if data is not None:
        assert len(data["data"]) <= 50


valid_contact = st.fixed_dictionaries(
    {},
    optional={
        "first_name": st.text(max_size=20) | surrogates,
        "notes": st.text(max_size=50),
        "email": st.emails(),
        "score": st.integers(-(10**16), 10**16) | st.floats(allow_nan=False, allow_infinity=False),
        "is_vip": st.booleans() | st.none(),
        "birthday": st.dates().map(str),
        "status": st.sampled_from(["lead", "customer", "churned", None]),
        "tags": st.lists(st.sampled_from(["vip", "partner", "newsletter"]), max_size=3),
    },
)
write_bodies = st.fixed_dictionaries(
    {},
    optional={
        "default": valid_contact | st.dictionaries(slugs, json_values, max_size=4) | json_values,
        "list": st.dictionaries(st.uuids().map(str) | st.text(max_size=5), st.dictionaries(slugs, json_values, max_size=2), max_size=2)
        | json_values,
    },
)


@FUZZ
@given(body=write_bodies | json_values, object_type=st.sampled_from(["contact", "deal", "organization"]))
def test_write_bodies_never_break_the_contract(sandbox, body, object_type):
    response = sandbox.request("POST", object_type, data=encode(body), headers={"Content-Type": "application/json"})
    made = assert_contract(response, {201, 400, 422})
    if response.status_code == 422:
        fields = response.json()["error"]["details"]["fields"]
        assert fields and all(isinstance(v, str) for v in fields.values())
    if made is not None:
        again = sandbox.request("GET", f"{object_type}/{made['id']}")
        assert again.json() == made
        assert again.headers["ETag"] == response.headers["ETag"]
        patched = sandbox.request("PATCH", f"{object_type}/{made['id']}", data=encode(body), headers={"Content-Type": "application/json"})
        assert_contract(patched, {200, 400, 422})


@FUZZ
@given(slug=slugs | st.text(max_size=10), value=st.text(min_size=1, max_size=30), method=st.sampled_from(["GET", "PUT"]))
def test_find_and_upsert_paths_never_break_the_contract(sandbox, contacts, slug, value, method):
    path = f"contact/by/{slug}/{value}".replace("?", "%3F").replace("#", "%23")
    response = sandbox.request(method, path, json={"default": {}})
    assert_contract(response, {200, 201, 400, 404, 405, 409, 422})


@FUZZ
@given(data=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_raw_bytes_never_break_the_contract(sandbox, data):
    response = sandbox.request("POST", "contact", data=data, headers={"Content-Type": "application/json"})
    assert_contract(response, {201, 400, 422})


# --- typed filters against a model of the contract ---------------------------------------

RNG = random.Random(20250101)
MODEL_ROWS = [
    {
        k: v
        for k, v in {
            "first_name": RNG.choice(["ada", "Ada", "BO", "bob", "Cy", "cyd", None]),
            "score": RNG.choice([-10, -2.5, 0, 1, 9, 10, 10.0, 99.5, 100, None]),
            "birthday": RNG.choice(["1990-01-01", "1999-12-31", "2000-01-01", "2010-06-15", None]),
        }.items()
        if v is not None
    }
    for _ in range(40)
]
NUMBER_VALUES = st.sampled_from([-10, -3, 0, 1, 9, 9.5, 10, 50, 100, 101]).flatmap(lambda n: st.sampled_from([n, str(n)]))
TEXT_VALUES = st.sampled_from(["ada", "ADA", "b", "Bo", "bob", "cy", "d", "zz", ""])
DATE_VALUES = st.sampled_from(["1990-01-01", "1995-05-05", "1999-12-31", "2000-01-01", "2010-06-15", "2020-01-01"])
MODEL_OPS = ["=", "!=", "<", ">", "<=", ">=", "between", "in", "not_in", "exists", "not_exists", "is_null", "is_not_null"]


def model_holds(kind: str, stored, op: str, raw) -> bool:
    def norm(v):
        return float(v) if kind == "number" else (v.lower() if kind == "text" else v)

    if op in ("exists", "is_not_null"):
        return stored is not None
    if op in ("not_exists", "is_null"):
        return stored is None
    if op == "!=":
        return stored is None or norm(stored) != norm(raw)
    if op == "not_in":
        return stored is None or norm(stored) not in [norm(v) for v in raw]
    if stored is None:
        return False
    s = norm(stored)
    if op == "in":
        return s in [norm(v) for v in raw]
    if op == "between":
        return norm(raw[0]) <= s <= norm(raw[1])
    v = norm(raw)
    return {"=": s == v, "<": s < v, ">": s > v, "<=": s <= v, ">=": s >= v}[op]


def text_ops(kind):
    return MODEL_OPS + (["contains", "begins_with", "ends_with", "not_contains"] if kind == "text" else [])


@st.composite
def model_filters(draw):
    slug, kind, values = draw(
        st.sampled_from([("score", "number", NUMBER_VALUES), ("first_name", "text", TEXT_VALUES), ("birthday", "date", DATE_VALUES)])
    )
    op = draw(st.sampled_from(text_ops(kind)))
    if op in ("in", "not_in"):
        raw = draw(st.lists(values, min_size=1, max_size=3))
    elif op == "between":
        raw = draw(st.lists(values, min_size=2, max_size=2))
    elif op in ("exists", "not_exists", "is_null", "is_not_null"):
        raw = True
    else:
        raw = draw(values)
    return slug, kind, op, raw


def model_match(kind, stored, op, raw):
    if op in ("contains", "begins_with", "ends_with", "not_contains"):
        if stored is None:
            return op == "not_contains"
        s, v = stored.lower(), str(raw).lower()
        return {"contains": v in s, "begins_with": s.startswith(v), "ends_with": s.endswith(v), "not_contains": v not in s}[op]
    return model_holds(kind, stored, op, raw)


@pytest.fixture
def model(sandbox):
    records = seed(sandbox, "contact", MODEL_ROWS)
    return [(str(r.id), row) for r, row in zip(records, MODEL_ROWS, strict=False)]


@FUZZ
@given(conditions=st.lists(model_filters(), min_size=1, max_size=3), combinator=st.sampled_from(["AND", "OR"]))
def test_typed_filters_match_the_model(sandbox, model, conditions, combinator):
    body = {"query": {"filter": [{slug: {op: raw}} for slug, _, op, raw in conditions], "combinator": combinator, "limit": 50}}
    response = sandbox.request("POST", "contact/query", json=body)
    assert response.status_code == 200, response.text
    got = {row["id"] for row in response.json()["data"]}
    join = all if combinator == "AND" else any
    expected = {rid for rid, row in model if join(model_match(kind, row.get(slug), op, raw) for slug, kind, op, raw in conditions)}
    assert got == expected


@settings(FUZZ, max_examples=examples(40))  # each example walks every page
@given(
    sort=st.lists(st.sampled_from(["score", "first_name", "birthday"]), min_size=1, max_size=3, unique=True),
    directions=st.lists(st.sampled_from(["asc", "desc"]), min_size=3, max_size=3),
    limit=st.integers(3, 12),
)
def test_cursor_pages_concatenate_to_the_full_order(sandbox, model, sort, directions, limit):
    order = [{slug: d} for slug, d in zip(sort, directions, strict=False)]
    full = sandbox.request("POST", "contact/query", json={"query": {"sort": order, "limit": 50}}).json()
    expected = [row["id"] for row in full["data"]]
    assert len(expected) == len(MODEL_ROWS)
    seen, cursor = [], None
    while True:
        query = {"sort": order, "limit": limit} if cursor is None else {"sort": order, "cursor": cursor}
        page = sandbox.request("POST", "contact/query", json={"query": query}).json()
        seen += [row["id"] for row in page["data"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == expected
    # and the full order really is sorted by the keys, NULL lowest
    rows = dict(model)
    for a, b in itertools.pairwise(expected):
        assert sort_key(rows[a], order) <= sort_key(rows[b], order)


def sort_key(row, order):
    key = []
    for item in order:
        ((slug, direction),) = item.items()
        value = row.get(slug)
        if isinstance(value, str):
            value = value.lower()
        rank = (0, 0) if value is None else (1, value)
        key.append(rank if direction == "asc" else _Desc(rank))
    return key


class _Desc:
    def __init__(self, value):
        self.value = value

    def __le__(self, other):
        return other.value <= self.value

    def __lt__(self, other):
        return other.value < self.value

    def __eq__(self, other):
        return self.value == other.value
