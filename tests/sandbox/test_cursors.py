"""Keyset cursors: exact has_more, every sort kind paged across ties and nulls,
no drift under inserts, and cursors bound to their query."""

import datetime as dt

import pytest

from prism_sandbox.models import Record

from .conftest import assert_error, create, ids_of, query, seed


def walk(sandbox, object_type: str, body: dict, limit: int, **top) -> list[dict]:
    """Every page of a query, following next_cursor; returns the pages' bodies."""
    pages = [query(sandbox, object_type, {**body, "limit": limit}, **top).json()]
    while pages[-1]["has_more"]:
        assert pages[-1]["next_cursor"]
        pages.append(query(sandbox, object_type, {**body, "cursor": pages[-1]["next_cursor"]}, **top).json())
        assert len(pages) < 100
    assert pages[-1]["next_cursor"] is None
    return pages


def flat(pages) -> list[str]:
    return [row["id"] for page in pages for row in page["data"]]


@pytest.mark.parametrize(("count", "sizes"), [(10, [5, 5]), (12, [5, 5, 2]), (4, [4]), (0, [0])])
def test_has_more_is_exact(sandbox, count, sizes):
    seed(sandbox, "contact", [{"score": i} for i in range(count)])
    pages = walk(sandbox, "contact", {}, limit=5)
    assert [len(p["data"]) for p in pages] == sizes
    assert [p["has_more"] for p in pages] == [True] * (len(sizes) - 1) + [False]


def test_walking_the_default_order_visits_every_record_once(sandbox):
    records = seed(sandbox, "contact", [{"first_name": f"P{i}"} for i in range(23)])
    assert flat(walk(sandbox, "contact", {}, limit=4)) == [str(r.id) for r in reversed(records)]


# Values with ties and gaps (None = property absent) for each kind of sort key.
SORT_CASES = {
    "first_name": ["b", "A", None, "a", "B", None, "c", "a"],
    "score": [3, None, 1.5, 3, -2, None, 10, 3],
    "birthday": ["2000-01-01", None, "1999-12-31", "2000-01-01", None, "2010-05-05", "1990-01-01", "2000-01-01"],
    "is_vip": [True, False, None, True, False, True, None, False],
    "status": ["lead", "customer", None, "lead", "churned", "customer", None, "lead"],
    "tags": [["vip"], None, ["partner", "vip"], ["vip"], None, ["newsletter"], ["vip"], None],
    "organization": [
        "3f1e0c7a-0000-4000-8000-000000000002",
        None,
        "3f1e0c7a-0000-4000-8000-000000000001",
        "3f1e0c7a-0000-4000-8000-000000000002",
        "ffffffff-0000-4000-8000-000000000000",
        None,
        "00000000-0000-4000-8000-000000000009",
        "3f1e0c7a-0000-4000-8000-000000000001",
    ],
}


@pytest.mark.parametrize("slug", list(SORT_CASES))
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_paging_matches_one_big_page_for_every_sort_kind(sandbox, slug, direction):
    seed(sandbox, "contact", [{slug: v} if v is not None else {} for v in SORT_CASES[slug]] * 2)
    body = {"sort": [{slug: direction}]}
    expected = ids_of(query(sandbox, "contact", {**body, "limit": 50}))
    assert len(expected) == 16
    for limit in (1, 3):
        assert flat(walk(sandbox, "contact", body, limit=limit)) == expected


@pytest.mark.parametrize(
    "sort",
    [
        [{"status": "asc"}, {"score": "desc"}],
        [{"score": "desc"}, {"first_name": "asc"}],
        [{"is_vip": "desc"}, {"birthday": "asc"}, {"first_name": "desc"}],
        [{"created_at": "asc"}],
        [{"updated_at": "desc"}],
        [{"id": "asc"}],
        [{"first_name": "asc"}, {"id": "desc"}],
    ],
)
def test_multi_key_sorts_page_without_gaps_or_repeats(sandbox, sort):
    rows = [{k: SORT_CASES[k][i] for k in SORT_CASES if SORT_CASES[k][i] is not None} for i in range(8)] * 3
    seed(sandbox, "contact", rows)
    body = {"sort": sort}
    expected = ids_of(query(sandbox, "contact", {**body, "limit": 50}))
    assert len(expected) == 24
    assert flat(walk(sandbox, "contact", body, limit=5)) == expected


def test_pages_do_not_drift_when_records_are_inserted_between_fetches(sandbox):
    original = seed(sandbox, "contact", [{"score": i * 10} for i in range(10)])
    first = query(sandbox, "contact", {"limit": 4}).json()
    # newer records sort before the cursor in the default (newest first) order
    for i in range(3):
        create(sandbox, "contact", score=i)
    rest = walk(sandbox, "contact", {"cursor": first["next_cursor"]}, limit=4)
    seen = [row["id"] for row in first["data"]] + flat(rest)
    assert seen == [str(r.id) for r in reversed(original)]


def test_pages_sorted_by_a_property_do_not_drift_under_inserts(sandbox):
    original = seed(sandbox, "contact", [{"score": i * 10} for i in range(10)])
    body = {"sort": [{"score": "asc"}]}
    first = query(sandbox, "contact", {**body, "limit": 4}).json()  # 0, 10, 20, 30
    create(sandbox, "contact", score=5)  # before the cursor: not seen
    create(sandbox, "contact", score=55)  # after it: seen in order
    second = query(sandbox, "contact", {**body, "cursor": first["next_cursor"]}).json()
    scores = [row["properties"]["score"] for row in second["data"]]
    assert scores == [40, 50, 55, 60]
    assert len(original) == 10


def test_deleting_the_last_row_of_a_page_does_not_break_the_cursor(sandbox):
    records = seed(sandbox, "contact", [{"score": i} for i in range(6)])
    first = query(sandbox, "contact", {"limit": 3}).json()
    sandbox.request("DELETE", f"contact/{first['data'][-1]['id']}")
    second = query(sandbox, "contact", {"cursor": first["next_cursor"]}).json()
    assert ids_of_rows(second) == [str(r.id) for r in reversed(records[:3])]


def ids_of_rows(body) -> list[str]:
    return [row["id"] for row in body["data"]]


@pytest.mark.parametrize("explicit", [{"limit": 7, "page": 3}, {"limit": 500}, {"limit": "x", "page": -1}])
def test_cursor_fixes_the_limit_and_explicit_limit_and_page_are_ignored(sandbox, explicit):
    seed(sandbox, "contact", [{} for _ in range(10)])
    first = query(sandbox, "contact", {"limit": 3}).json()
    second = query(sandbox, "contact", {"cursor": first["next_cursor"], **explicit})
    assert second.status_code == 200, second.text
    assert len(second.json()["data"]) == 3
    assert set(ids_of_rows(second.json())).isdisjoint(ids_of_rows(first))


def test_cursor_beside_query_works_and_query_cursor_wins(sandbox):
    seed(sandbox, "contact", [{} for _ in range(6)])
    first = query(sandbox, "contact", {"limit": 2}).json()
    beside = query(sandbox, "contact", cursor=first["next_cursor"]).json()
    inside = query(sandbox, "contact", {"cursor": first["next_cursor"]}).json()
    assert ids_of_rows(beside) == ids_of_rows(inside)
    assert len(beside["data"]) == 2 and set(ids_of_rows(beside)).isdisjoint(ids_of_rows(first))
    won = query(sandbox, "contact", {"cursor": first["next_cursor"]}, cursor="garbage").json()
    assert ids_of_rows(won) == ids_of_rows(inside)
    assert_error(query(sandbox, "contact", {"cursor": "garbage"}, cursor=first["next_cursor"]), 400, "invalid_request")


def test_include_total_stays_the_whole_count_on_later_pages(sandbox):
    seed(sandbox, "contact", [{} for _ in range(7)])
    first = query(sandbox, "contact", {"limit": 3}, include_total=True).json()
    second = query(sandbox, "contact", {"cursor": first["next_cursor"]}, include_total=True).json()
    assert first["total"] == second["total"] == 7


def test_list_endpoint_cursors(sandbox):
    records = seed(sandbox, "contact", [{"status": "lead", "score": i} for i in range(7)])
    seen, params = [], {"status": "lead", "sort": "score", "limit": "3"}
    page = sandbox.request("GET", "contact", params=params).json()
    seen += ids_of_rows(page)
    while page["has_more"]:
        page = sandbox.request("GET", "contact", params={**params, "cursor": page["next_cursor"]}).json()
        seen += ids_of_rows(page)
    assert seen == [str(r.id) for r in records]
    assert page["next_cursor"] is None


@pytest.mark.parametrize(
    "other",
    [
        {"body": {"filter": [{"score": {">": "1"}}]}},
        {"body": {"sort": [{"score": "asc"}]}},
        {"body": {}, "top": {"deleted": True}},
        {"body": {}, "top": {"id": ["1f0b4c39-7a55-4c39-9d3f-91e2c9b1a001"]}},
        {"body": {}, "object_type": "organization"},
    ],
)
def test_cursor_from_another_query_is_400(sandbox, other):
    seed(sandbox, "contact", [{"score": i} for i in range(5)])
    seed(sandbox, "organization", [{"name": f"O{i}"} for i in range(5)])
    cursor = query(sandbox, "contact", {"limit": 2}).json()["next_cursor"]
    response = query(sandbox, other.get("object_type", "contact"), {**other["body"], "cursor": cursor}, **other.get("top", {}))
    assert_error(response, 400, "invalid_request")


def test_cursor_from_the_list_endpoint_is_bound_to_its_filters(sandbox):
    seed(sandbox, "contact", [{"status": "lead"} for _ in range(5)])
    cursor = sandbox.request("GET", "contact", params={"limit": "2"}).json()["next_cursor"]
    assert_error(sandbox.request("GET", "contact", params={"cursor": cursor, "status": "lead"}), 400, "invalid_request")


@pytest.mark.parametrize("cursor", ["garbage", "", "a" * 5000, "eyJmIjoiMSJ9:1abc:def", 12, ["x"], {"v": []}])
def test_garbage_cursors_are_400(sandbox, cursor):
    seed(sandbox, "contact", [{} for _ in range(3)])
    response = query(sandbox, "contact", {"cursor": cursor})
    if cursor == "":
        assert response.status_code == 200  # empty means none
        return
    assert_error(response, 400, "invalid_request")
    assert_error(sandbox.request("GET", "contact", params={"cursor": str(cursor)}), 400, "invalid_request")


def test_tampered_cursor_is_400(sandbox):
    seed(sandbox, "contact", [{} for _ in range(3)])
    cursor = query(sandbox, "contact", {"limit": 1}).json()["next_cursor"]
    flipped = cursor[:-3] + ("A" if cursor[-3] != "A" else "B") + cursor[-2:]
    assert_error(query(sandbox, "contact", {"cursor": flipped}), 400, "invalid_request")


def test_cursor_survives_records_with_equal_timestamps(sandbox):
    same = dt.datetime(2025, 5, 5, tzinfo=dt.UTC)
    seed(sandbox, "contact", [{} for _ in range(9)])
    Record.objects.filter(team_id=sandbox.team_id).update(created_at=same)
    expected = ids_of(query(sandbox, "contact", {"limit": 50}))
    assert flat(walk(sandbox, "contact", {}, limit=2)) == expected


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_paging_events_by_a_datetime_property(sandbox, direction):
    values = ["2025-01-02T10:00:00.000Z", None, "2024-12-31T23:59:59.999Z", "2025-01-02T10:00:00.000Z", "0999-01-01T00:00:00.000Z"]
    seed(sandbox, "event", [{"title": "E", "starts_at": v} if v else {"title": "E"} for v in values] * 2)
    body = {"sort": [{"starts_at": direction}]}
    expected = ids_of(query(sandbox, "event", {**body, "limit": 50}))
    assert flat(walk(sandbox, "event", body, limit=3)) == expected
    starts = [r["properties"].get("starts_at") for r in query(sandbox, "event", {**body, "limit": 50}).json()["data"]]
    present = [v for v in starts if v]
    assert present == sorted(present, reverse=direction == "desc")


def test_next_cursor_after_a_numbered_page_continues_from_it(sandbox):
    seed(sandbox, "contact", [{"score": i} for i in range(9)])
    body = {"sort": [{"score": "asc"}], "limit": 3}
    second = query(sandbox, "contact", {**body, "page": 2}).json()
    third = query(sandbox, "contact", {**body, "page": 3}).json()
    after = query(sandbox, "contact", {"sort": body["sort"], "cursor": second["next_cursor"]}).json()
    assert ids_of_rows(after) == ids_of_rows(third)


@pytest.mark.parametrize(
    "body",
    [
        {},  # the default order
        {"sort": [{"status": "asc"}]},  # ties on a select: the order stays total
        {"sort": [{"score": "desc"}], "filter": [{"status": {"in": ["lead", "customer"]}}]},
    ],
)
def test_numbered_pages_read_side_by_side_are_the_cursor_walk(sandbox, body):
    # What a one-shot export relies on: page n of a query, read in any order, is the n-th
    # page of its cursor walk, and page 1's total says how many pages there are.
    seed(sandbox, "contact", [{"score": i % 7, "status": ("lead", "customer", "churned")[i % 3]} for i in range(23)])
    walked = flat(walk(sandbox, "contact", body, limit=5))
    first = query(sandbox, "contact", {**body, "limit": 5, "page": 1}, include_total=True).json()
    assert first["total"] == len(walked)
    pages = {n: query(sandbox, "contact", {**body, "limit": 5, "page": n}).json() for n in range(-(-first["total"] // 5), 1, -1)}
    numbered = [row["id"] for row in first["data"]] + [row["id"] for n in sorted(pages) for row in pages[n]["data"]]
    assert numbered == walked
    assert [pages[n]["has_more"] for n in sorted(pages)] == [True] * (len(pages) - 1) + [False]
