"""iter_pages/iter_all always end: odd cursors from a stub API raise a typed error instead of looping."""

import itertools
import time

import pytest

from prism_client import CursorNotAdvancing, PagingError, PrismClient, PrismError, Query, TooManyPages
from tests import stub_api as stubs
from tests.stub_api import Answer


@pytest.fixture
def client(stub_api):
    with PrismClient(stub_api.base_url, stub_api.api_key, stub_api.team_id, max_retries=0, timeout=(2, 5)) as prism:
        yield prism


def queries(stub) -> int:
    return len(stub.calls_to("POST", "contact/query"))


def page(ids, *, more=True, cursor=None) -> Answer:
    return Answer(200, {"data": [{"id": i, "properties": {}} for i in ids], "has_more": more, "next_cursor": cursor})


def test_a_contract_walk_reads_every_page_and_ends(client, stub_api):
    assert [len(p.rows) for p in client.contacts.iter_pages(Query(limit=2))] == [2, 1]
    assert [row.id for row in client.contacts.iter_all(Query(limit=1))] == list(stubs.CONTACTS)
    assert queries(stub_api) == 2 + 3


def test_the_reference_example_same_cursor_every_time_stops_at_page_two(client, stub_api):
    stubs.reference_examples(stub_api)
    started = time.monotonic()
    rows = []
    with pytest.raises(CursorNotAdvancing, match="page 2 repeats the records of page 1") as info:
        for row in client.contacts.iter_all():
            rows.append(row.id)
    assert rows == [stubs.EXAMPLE_ID]  # the repeated page is never handed out
    assert info.value.pages == 2 and info.value.reason == "repeated_page"
    assert isinstance(info.value, PagingError) and isinstance(info.value, PrismError)
    assert queries(stub_api) == 2
    assert time.monotonic() - started < 1


def test_new_cursors_over_the_same_records_stop_at_page_two(client, stub_api):
    stubs.repeated_page(stub_api)
    with pytest.raises(CursorNotAdvancing, match="repeats the records"):
        list(client.contacts.iter_pages(Query(limit=2)))
    assert queries(stub_api) == 2


def test_the_same_cursor_twice_stops_even_when_the_records_differ(client, stub_api):
    fresh = itertools.count()
    stub_api.on("POST", "contact/query", lambda call, m: page([f"r{next(fresh)}"], cursor="again"))
    pages = []
    with pytest.raises(CursorNotAdvancing, match="cursor already followed: 'again'") as info:
        pages.extend(client.contacts.iter_pages())
    assert len(pages) == 2 and info.value.pages == 2 and info.value.reason == "same_cursor"
    assert [c.body.get("cursor") for c in stub_api.calls_to("POST", "contact/query")] == [None, "again"]


def test_a_cursor_cycle_is_caught_too(client, stub_api):
    cursors = itertools.cycle(["a", "b"])
    fresh = itertools.count()
    stub_api.on("POST", "contact/query", lambda call, m: page([f"r{next(fresh)}"], cursor=next(cursors)))
    with pytest.raises(CursorNotAdvancing, match="already followed: 'a'"):
        list(client.contacts.iter_all())
    assert queries(stub_api) == 3


def test_has_more_with_no_rows_is_an_error_not_an_end(client, stub_api):
    stubs.more_but_empty(stub_api)
    with pytest.raises(CursorNotAdvancing, match="page 1 says has_more but holds no records") as info:
        list(client.contacts.iter_all())
    assert info.value.reason == "empty_page"
    assert queries(stub_api) == 1


def test_has_more_with_no_cursor_is_an_error(client, stub_api):
    stub_api.on("POST", "contact/query", page(["a"], cursor=None))
    with pytest.raises(CursorNotAdvancing, match="gives no next_cursor") as info:
        list(client.contacts.iter_all())
    assert info.value.reason == "no_cursor"


def test_an_api_that_never_ends_stops_at_max_pages(client, stub_api):
    fresh = itertools.count()
    stub_api.on("POST", "contact/query", lambda call, m: page([f"r{next(fresh)}"], cursor=f"c{next(fresh)}"))
    with pytest.raises(TooManyPages, match="after 5 pages") as info:
        list(client.contacts.iter_pages(max_pages=5))
    assert info.value.pages == 5 and queries(stub_api) == 5


def test_max_pages_must_allow_one_page(client):
    with pytest.raises(ValueError, match="max_pages"):
        next(client.contacts.iter_pages(max_pages=0))


def test_a_first_page_already_read_is_not_asked_again(client, stub_api):
    query = Query(limit=2, include_total=True)
    first = client.contacts.query(query)
    assert first.total == 3
    pages = list(client.contacts.iter_pages(Query(limit=2), first=first))
    assert pages[0] is first and [len(p.rows) for p in pages] == [2, 1]
    assert queries(stub_api) == 2
