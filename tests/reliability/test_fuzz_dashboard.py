"""Hypothesis against the dashboard: whatever the query string or form body, no page
is a 500 (the Django test Client raises a view's exception; a 500 status fails too),
every 503 carries a sentence, templates never miss a variable, and the sandbox behind
it never answers 5xx. Plus the API bodies tests/sandbox/test_fuzz.py does not cover.

Pages that call the API go over HTTP to live_server; the schema is cached, so most
examples cost one API call. Full example counts add up to more than 5,000 (tests/fuzzing.py scales them).
"""

import re
import uuid
from html import unescape
from urllib.parse import quote, urlencode

import pytest
import requests
from django.http import QueryDict
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dashboard import list_state
from dashboard import prism as dashboard_prism
from dashboard.filter_builder import filter_rows_context
from dashboard.roles import Role
from prism_sandbox import chaos
from tests.fuzzing import examples

from .conftest import login


def fuzz(full: int) -> settings:
    return settings(max_examples=examples(full), deadline=None, suppress_health_check=list(HealthCheck), database=None)


SEGMENTS = ["contact", "organization", "deal", "event", "action", "document", "identity"]
SENTENCE = re.compile(r"The Prism API (had a problem answering|is busy|cannot be reached|took too long|refused the request|does not allow)")

# --- strategies ----------------------------------------------------------------------------

no_surrogates = st.characters(blacklist_categories=("Cs",))
texts = st.text(no_surrogates, max_size=30)
weird = st.sampled_from(
    [
        "",
        " ",
        "-",
        "--score",
        "-id",
        "id",
        ",",
        ",,",
        "score,-score",
        "organization.name",
        "organization.name.x",
        "a.b.c.d",
        "__proto__",
        "<script>alert(1)</script>",
        "{{ x }}",
        "{% debug %}",
        "\x00",
        "\x7f",
        "\u202e",
        "\ufeff",
        "０",
        "١",
        "9" * 5000,
        "-1",
        "1e309",
        "NaN",
        "inf",
        "-inf",
        "true",
        "false",
        "on",
        "or",
        "OR",
        "2025-02-30",
        "2025-01-01T25:00",
        "0000-00-00",
        str(uuid.uuid4()),
        "x" * 20_000,
        "%",
        "%zz",
        "é" * 300,
        "lead",
        "customer",
        "vip",
        "=",
        "!=",
        "between",
        "in",
        "not_in",
        "contains",
        "is_null",
        "exists",
        "<",
        ">=",
    ]
)
values = texts | weird
slugs = (
    st.sampled_from(
        [
            "first_name",
            "last_name",
            "email",
            "status",
            "tags",
            "score",
            "is_vip",
            "birthday",
            "organization",
            "notes",
            "created_at",
            "updated_at",
            "deleted_at",
            "name",
            "stage",
            "amount",
            "close_date",
            "industry",
            "id",
            "nope",
        ]
    )
    | values
)
ops = (
    st.sampled_from(
        [
            "=",
            "!=",
            "<",
            ">",
            "<=",
            ">=",
            "between",
            "in",
            "not_in",
            "contains",
            "not_contains",
            "begins_with",
            "ends_with",
            "exists",
            "not_exists",
            "is_null",
            "is_not_null",
        ]
    )
    | values
)
indexes = st.sampled_from(["0", "1", "2", "9", "10", "11", "9999", "10000", "00", "01", "-1", "", "x", "١", "²", " 1"])


@st.composite
def row_params(draw) -> list[tuple[str, str]]:
    out = []
    for _ in range(draw(st.integers(0, 4))):
        i = draw(indexes)
        out.append((f"f{i}", draw(slugs)))
        if draw(st.booleans()):
            out.append((f"o{i}", draw(ops)))
        out += [(f"v{i}", draw(values)) for _ in range(draw(st.integers(0, 3)))]
    return out


other_params = st.lists(
    st.tuples(
        st.sampled_from(
            ["cols", "col", "sort", "size", "q", "combinator", "trash", "cursor", "trail", "ids", "total", "view", "select", "page", "i"]
        ),
        values | st.lists(slugs, max_size=4).map(",".join) | st.lists(st.uuids().map(str), max_size=3).map(",".join),
    ),
    max_size=6,
)
list_params = st.tuples(row_params(), other_params).map(lambda t: t[0] + t[1])
# Query strings as bytes on the wire: bad percent-escapes and invalid UTF-8 too.
raw_queries = st.lists(
    st.sampled_from(
        [
            "f0=",
            "o0=",
            "v0=",
            "cols=",
            "sort=",
            "size=",
            "cursor=",
            "q=",
            "ids=",
            "&",
            "=",
            "%",
            "%zz",
            "%ff%fe",
            "%00",
            "%E2%80%AE",
            "+",
            "score",
            "between",
            "first_name",
            "%2C",
            ";",
            "#",
            "f%30=",
            "v0=%C0%AF",
        ]
    ),
    max_size=12,
).map("".join)


def check_page(response, request_log_start: int = 0) -> str:
    body = unescape(response.content.decode("utf-8", "replace"))
    assert response.status_code != 500 and "Traceback" not in body
    assert "<<MISSING" not in body, re.search(r"<<MISSING[^>]*>>", body)[0]
    if response.status_code == 503:
        assert SENTENCE.search(body), body[:1500]
    assert response.status_code in (200, 302, 400, 403, 404, 405, 422, 503), (response.status_code, body[:500])
    api = chaos.request_log()[request_log_start:]
    assert not [r for r in api if r.status >= 500], api
    return body


@pytest.fixture
def viewer(client, prism):
    login(client, Role.EDITOR)
    chaos.clear_request_log()
    return client


# --- the list state, as pure functions (fast: no HTTP) -----------------------------------------------


@fuzz(2500)
@given(params=list_params, segment=st.sampled_from(SEGMENTS))
def test_list_state_parses_anything(prism_schemas, params, segment):
    schemas = prism_schemas
    query = QueryDict(mutable=True)
    for key, value in params:
        query.appendlist(key, value)
    state = list_state.parse(query, schemas[segment], schemas)
    planned = list_state.to_plan(state, schemas[segment])
    for built in (planned.query, *planned.parts):
        built.to_wire(state.cursor)
    filter_rows_context(state, schemas[segment])
    # Links keep the state: parsing a link gives the same state back.
    again = list_state.parse(QueryDict(state.query_string()[1:]), schemas[segment], schemas)
    assert again.columns == state.columns and again.sort == state.sort and again.size == state.size
    assert [(r.slug, r.op) for r in again.filter_rows] == [(r.slug, r.op) for r in state.filter_rows]
    state.sort_link(state.columns[0], add=True)
    list_state.export_params(state)


@pytest.fixture
def prism_schemas(prism, settings):
    settings.PRISM_ACCESS = "shared"  # no person here: the schema is read with the team key
    return dashboard_prism.schemas()


# --- pages -------------------------------------------------------------------------------------------


@fuzz(600)
@given(params=list_params, segment=st.sampled_from(SEGMENTS), htmx=st.booleans())
@example(params=[("f0", "score"), ("o0", "between")], segment="contact", htmx=False)  # a range row before its values
def test_record_tables_never_fail(viewer, prism, params, segment, htmx):
    start = len(chaos.request_log())
    url = f"/records/{segment}/?{urlencode(params)}"
    response = viewer.get(url, headers={"HX-Request": "true"} if htmx else {})
    check_page(response, start)
    assert response.status_code == 200
    # Whatever the URL, the dashboard only sends queries the API takes (a stale cursor
    # is retried without it).
    # (This test's team only: an earlier test's request still in flight may end meanwhile.)
    refused = [r for r in chaos.request_log()[start:] if r.status >= 400 and prism.owns(r)]
    assert all(r.status == 400 and dict(params).get("cursor") for r in refused), refused


@fuzz(150)
@given(raw=raw_queries, segment=st.sampled_from(["contact", "deal"]))
def test_malformed_query_strings_never_fail(viewer, raw, segment):
    start = len(chaos.request_log())
    check_page(viewer.get(f"/records/{segment}/?{raw}"), start)
    check_page(viewer.get(f"/records/{segment}/filter-row/?{raw}"), start)


@fuzz(400)
@given(params=list_params, segment=st.sampled_from(SEGMENTS), index=indexes)
def test_filter_rows_never_fail(viewer, params, segment, index):
    response = viewer.get(f"/records/{segment}/filter-row/?{urlencode([('i', index), *params])}", headers={"HX-Request": "true"})
    check_page(response)
    assert response.status_code == 200


@fuzz(60)
@given(params=list_params, segment=st.sampled_from(["contact", "deal", "event"]))
def test_exports_never_fail(viewer, params, segment):
    start = len(chaos.request_log())
    response = viewer.get(f"/records/{segment}/export.csv?{urlencode(params)}")
    if response.streaming:
        b"".join(response.streaming_content)
        assert response.status_code == 200
    else:
        check_page(response, start)


bulk_bodies = st.fixed_dictionaries(
    {
        "action": st.sampled_from(["set", "delete", "restore", "grant"]) | values,
        "scope": st.sampled_from(["selected", "all"]) | values,
    },
    optional={
        "ids": st.lists(st.uuids().map(str) | values, max_size=4),
        "query_string": list_params.map(urlencode) | values,
        "slug": slugs,
        "value": values,
        "confirm": st.just("1"),
        "team_level": st.sampled_from(["", "r", "w", "a"]) | values,
        "kind": st.lists(st.sampled_from(["user", "group"]) | values, max_size=2),
        "who": st.lists(st.uuids().map(str) | values, max_size=2),
        "level": st.lists(st.sampled_from(["r", "w", "a"]) | values, max_size=2),
    },
)


@fuzz(300)
@given(body=bulk_bodies, segment=st.sampled_from(["contact", "deal", "event"]))
def test_bulk_forms_never_fail(viewer, body, segment):
    start = len(chaos.request_log())
    response = viewer.post(f"/records/{segment}/bulk/", body)
    check_page(response, start)
    if response.status_code == 302 and response["Location"].startswith("/bulk/"):
        check_page(viewer.get(response["Location"]), start)


@fuzz(120)
@given(name=values, query=list_params.map(urlencode) | values, shared=st.booleans(), segment=st.sampled_from(["contact", "deal"]))
def test_saved_views_never_fail(viewer, name, query, shared, segment):
    start = len(chaos.request_log())
    data = {"name": name, "query_string": query, "next": f"/records/{segment}/", **({"shared": "on"} if shared else {})}
    response = viewer.post(f"/records/{segment}/views/", data)
    check_page(response, start)
    if response.status_code == 302 and "view=" in response["Location"]:
        opened = viewer.get(response["Location"])
        check_page(opened, start)
        assert opened.status_code == 200


record_ids = st.uuids().map(str) | values.filter(lambda v: len(v) < 200 and "/" not in v and "?" not in v and "#" not in v)


@fuzz(150)
@given(
    record_id=record_ids,
    page=st.sampled_from(["", "edit/", "history/", "permissions/"]),
    segment=st.sampled_from(["contact", "deal", "event"]),
)
def test_record_pages_never_fail(viewer, record_id, page, segment):
    start = len(chaos.request_log())
    response = viewer.get(f"/records/{segment}/{quote(record_id, safe='')}/{page}")
    check_page(response, start)
    if response.status_code == 503:  # outages only: a bad id is a 400 or a 404, with its sentence
        raise AssertionError(unescape(response.content.decode())[:500])


contact_form = st.fixed_dictionaries(
    {},
    optional={
        "first_name": values,
        "last_name": values,
        "email": values | st.emails(),
        "phone": values | st.from_regex(r"\+?[0-9 ]{5,20}", fullmatch=True),
        "title": values,
        "status": st.sampled_from(["lead", "customer", "churned", ""]) | values,
        "tags": st.lists(st.sampled_from(["vip", "partner", "newsletter"]) | values, max_size=3),
        "score": values | st.floats(allow_nan=True).map(str) | st.integers(-(10**20), 10**20).map(str),
        "is_vip": st.sampled_from(["", "true", "false"]) | values,
        "birthday": values | st.dates().map(str),
        "organization": values | st.uuids().map(str),
        "organization__search": values,
        "notes": values,
    },
)


@fuzz(200)
@given(body=contact_form)
def test_the_record_form_never_fails(viewer, body):
    start = len(chaos.request_log())
    response = viewer.post("/records/contact/new/", body)
    check_page(response, start)
    assert response.status_code in (302, 422), response.status_code
    # The form checks values before the API sees them; the API refuses nothing as malformed.
    assert not [r for r in chaos.request_log()[start:] if r.status == 400]


@fuzz(80)
@given(kind=st.sampled_from(SEGMENTS) | values, slug=slugs, value=values)
def test_lookups_never_fail(viewer, kind, slug, value):
    start = len(chaos.request_log())
    check_page(viewer.get(f"/lookup/?{urlencode({'type': kind, 'slug': slug, 'value': value})}"), start)


@fuzz(80)
@given(q=values, field=values, segment=st.sampled_from(SEGMENTS))
def test_reference_suggestions_never_fail(viewer, q, field, segment):
    start = len(chaos.request_log())
    check_page(viewer.get(f"/records/{segment}/options/?{urlencode({'q': q, 'field': field})}", headers={"HX-Request": "true"}), start)


# --- API bodies that tests/sandbox/test_fuzz.py does not cover -----------------------------------------------

from ..sandbox.test_fuzz import assert_contract, encode, json_values, valid_contact  # noqa: E402

api_slugs = slugs.filter(lambda s: len(s) < 100)
patch_items = st.fixed_dictionaries(
    {},
    optional={
        "id": st.uuids().map(str) | json_values,
        "default": valid_contact | st.dictionaries(api_slugs, json_values, max_size=3) | json_values,
        "list": json_values,
    },
)
batch_update_bodies = st.fixed_dictionaries({}, optional={"items": st.lists(patch_items, max_size=4) | json_values}) | json_values
batch_delete_bodies = (
    st.fixed_dictionaries({}, optional={"ids": st.lists(st.uuids().map(str) | json_values, max_size=4) | json_values}) | json_values
)
import_bodies = (
    st.fixed_dictionaries(
        {},
        optional={
            "objects": st.lists(
                st.fixed_dictionaries({}, optional={"default": valid_contact | json_values, "list": json_values}) | json_values, max_size=4
            )
            | json_values,
            "options": st.fixed_dictionaries(
                {},
                optional={
                    "dedupe_by": api_slugs | json_values,
                    "caseInsensitive": st.booleans() | json_values,
                    "list_id": st.uuids().map(str) | json_values,
                },
            )
            | json_values,
        },
    )
    | json_values
)
levels = st.sampled_from(["r", "w", "a", "x", ""]) | json_values
grant_bodies = (
    st.fixed_dictionaries(
        {},
        optional={
            "team_id": st.dictionaries(st.uuids().map(str) | st.text(max_size=5), levels, max_size=2) | json_values,
            "user_id": st.lists(st.fixed_dictionaries({"id": st.uuids().map(str) | json_values, "level": levels}) | json_values, max_size=3)
            | json_values,
            "team_group_id": st.lists(
                st.fixed_dictionaries({"id": st.uuids().map(str) | json_values, "level": levels}) | json_values, max_size=3
            )
            | json_values,
        },
    )
    | json_values
)
header_values = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=300)


@pytest.fixture
def api(sandbox):
    rows = [
        sandbox.request("POST", t, json={"default": d}).json()
        for t, d in [("contact", {"first_name": "Fuzz"}), ("deal", {"name": "Fuzz deal"})]
    ]
    return sandbox, {r["id"] for r in rows}, rows


@fuzz(300)
@given(
    which=st.sampled_from(["batch/update", "batch/delete", "import"]),
    update=batch_update_bodies,
    delete=batch_delete_bodies,
    imported=import_bodies,
    segment=st.sampled_from(["contact", "deal", "event"]),
)
def test_batch_and_import_bodies_never_break_the_contract(api, which, update, delete, imported, segment):
    sandbox, _, _ = api
    body = {"batch/update": update, "batch/delete": delete, "import": imported}[which]
    response = sandbox.request("POST", f"{segment}/{which}", data=encode(body), headers={"Content-Type": "application/json"})
    data = assert_contract(response, {200, 202, 400, 405, 413, 422})
    if data is not None and which.startswith("batch"):
        assert len(data["results"]) == len(body.get("items", body.get("ids")))


@fuzz(250)
@given(
    body=grant_bodies,
    method=st.sampled_from(["GET", "PUT"]),
    segment=st.sampled_from(["deal", "event", "contact"]),
    record=st.sampled_from(["own", "other"]) | st.uuids().map(str) | st.text(max_size=10),
)
def test_grant_bodies_never_break_the_contract(api, body, method, segment, record):
    sandbox, _ids, rows = api
    record_id = {"own": rows[1]["id"], "other": rows[0]["id"]}.get(record, record)
    path = f"{segment}/{quote(str(record_id), safe='')}/grant"
    response = sandbox.request(method, path, data=encode(body) if method == "PUT" else None, headers={"Content-Type": "application/json"})
    assert_contract(response, {200, 400, 404, 405, 422})


@fuzz(250)
@given(
    method=st.sampled_from(["PATCH", "DELETE", "POST"]),
    if_match=st.none() | header_values | st.sampled_from(['"1"', '"2"', "*", 'W/"1"', '"1", "2"']),
    key=st.none() | header_values | st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=250, max_size=300),
    body=st.none() | json_values | st.fixed_dictionaries({"default": valid_contact}),
    tail=st.sampled_from(["", "/duplicate", "/restore"]),
)
def test_write_headers_never_break_the_contract(api, method, if_match, key, body, tail):
    sandbox, _, rows = api
    headers = {
        "Content-Type": "application/json",
        **({"If-Match": if_match} if if_match is not None else {}),
        **({"Idempotency-Key": key} if key is not None else {}),
    }
    path = f"contact/{rows[0]['id']}{tail}"
    try:
        response = sandbox.request(method, path, data=encode(body) if body is not None else None, headers=headers)
    except requests.exceptions.InvalidHeader:
        return  # not sendable (leading or trailing spaces): requests refuses it
    assert_contract(response, {200, 201, 204, 400, 404, 405, 409, 412, 422})


@fuzz(200)
@given(
    params=st.lists(
        st.tuples(st.sampled_from(["list_id", "deleted", "include_total", "select", "limit", "cursor", "x"]), st.text(max_size=20)),
        max_size=4,
    ),
    path=st.sampled_from(["contact/count", "properties", "contact/properties", "deal/count", "imports/" + str(uuid.uuid4()), "imports/x"]),
)
def test_read_parameters_never_break_the_contract(api, params, path):
    sandbox, _, _ = api
    response = sandbox.request("GET", path, params=params)
    assert_contract(response, {200, 400, 404})
