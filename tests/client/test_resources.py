"""prism_client.resources: every endpoint, live against the sandbox over HTTP.

Guards (read-only types, types without grants, oversized batches) are tested on a
client whose port nobody listens on: had a request gone out, the error would be
APIConnectionError instead.
"""

import uuid

import pytest

from prism_client import (
    Conflict,
    Filter,
    Forbidden,
    Grant,
    ImportJob,
    ImportNotFinished,
    InvalidQuery,
    NotFound,
    OperationNotSupported,
    PrismClient,
    PrismError,
    Query,
    RecordPatch,
    Sort,
)
from prism_client.resources import chunked, list_params, quote_segment

# --- pure helpers ---------------------------------------------------------------------


def test_quote_segment_escapes_slashes_and_spaces():
    assert quote_segment("a/b c@d") == "a%2Fb%20c%40d"


def test_quote_segment_rejects_empty():
    with pytest.raises(ValueError, match="non-empty"):
        quote_segment("")


def test_chunked():
    assert [list(c) for c in chunked(list(range(5)), 2)] == [[0, 1], [2, 3], [4]]


def list_args(**overrides):
    args = {"select": (), "sort": (), "limit": None, "cursor": None, "list_id": None, "deleted": False, "include_total": False, "where": {}}
    return args | overrides


def test_list_params_empty():
    assert list_params(**list_args()) == {}


def test_list_params_full():
    params = list_params(
        **list_args(
            select=("first_name", "organization.name"),
            sort=("-updated_at", Sort("last_name")),
            limit=10,
            cursor="c",
            list_id="L",
            deleted=True,
            include_total=True,
            where={"status": "lead", "tags": ["vip", "partner"], "score": 5, "is_vip": True},
        )
    )
    assert params == {
        "select": "first_name,organization.name",
        "sort": "-updated_at,last_name",
        "limit": "10",
        "cursor": "c",
        "list_id": "L",
        "deleted": "true",
        "include_total": "true",
        "status": "lead",
        "tags": ["vip", "partner"],
        "score": "5",
        "is_vip": "true",
    }


def test_list_params_reject_reserved_slug():
    with pytest.raises(ValueError, match="'limit' with list"):
        list_params(**list_args(where={"limit": "3"}))


def test_list_params_reject_bad_value():
    with pytest.raises(InvalidQuery, match="where 'x'"):
        list_params(**list_args(where={"x": None}))


@pytest.fixture
def offline(unused_port):
    return PrismClient(f"http://127.0.0.1:{unused_port}", "k", "t", max_retries=0)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.create({"title": "x"}),
        lambda s: s.update("r1", {"title": "x"}),
        lambda s: s.delete("r1"),
        lambda s: s.duplicate("r1"),
        lambda s: s.restore("r1"),
        lambda s: s.upsert("title", "x", {}),
        lambda s: s.import_([{"title": "x"}]),
        lambda s: s.batch_update([RecordPatch("r1", {"title": "x"})]),
        lambda s: s.batch_delete(["r1"]),
    ],
)
def test_event_writes_raise_before_any_request(offline, call):
    with pytest.raises(OperationNotSupported, match="Events are read-only"):
        call(offline.events)


@pytest.mark.parametrize("call", [lambda s: s.get_grant("r1"), lambda s: s.put_grant("r1", Grant())])
def test_grants_on_types_without_grants_raise_before_any_request(offline, call):
    with pytest.raises(OperationNotSupported, match="Contacts have no grants"):
        call(offline.contacts)


def test_batch_update_over_100_raises_before_any_request(offline):
    with pytest.raises(ValueError, match=r"at most 100 items.*batch_update_chunked"):
        offline.contacts.batch_update([RecordPatch(str(i)) for i in range(101)])


def test_batch_delete_over_100_raises_before_any_request(offline):
    with pytest.raises(ValueError, match="batch_delete_chunked"):
        offline.contacts.batch_delete([str(i) for i in range(101)])


def test_empty_id_raises_before_any_request(offline):
    with pytest.raises(ValueError, match="non-empty"):
        offline.contacts.get("")


def test_service_repr(offline):
    assert repr(offline.deals) == "<RecordService deal>"


def test_wait_on_finished_job_returns_it_without_a_request(offline):
    job = ImportJob(job_id=None, status="complete", total=0)
    assert offline.imports.wait(job) is job


def test_wait_gives_up_after_timeout_with_last_snapshot(offline):
    job = ImportJob(job_id="j1", status="processing", total=300, processed=20)
    with pytest.raises(ImportNotFinished, match="import j1 still processing after 0 s \\(20/300 rows\\)") as info:
        offline.imports.wait(job, timeout=0)
    assert info.value.job is job


def test_wait_on_processing_job_without_id(offline):
    with pytest.raises(PrismError, match="no job id"):
        offline.imports.wait(ImportJob(job_id=None, status="processing", total=3))


# --- live: single records -------------------------------------------------------------


def test_create_and_get(prism):
    created = prism.contacts.create({"first_name": "Ada", "score": 3, "tags": ["vip"]})
    assert created.etag and created.default["first_name"] == "Ada"
    got = prism.contacts.get(created.id)
    assert got.id == created.id and got.etag == created.etag
    assert got.default["tags"] == ["vip"] and got.default["score"] == 3


def test_get_with_select(prism):
    created = prism.contacts.create({"first_name": "Ada", "last_name": "Lovelace"})
    got = prism.contacts.get(created.id, select=["last_name"])
    assert got.default == {"last_name": "Lovelace"}


def test_update_with_if_match_changes_etag_and_clears_with_none(prism):
    created = prism.contacts.create({"first_name": "Ada", "title": "Countess"})
    updated = prism.contacts.update(created.id, {"title": None, "score": 9}, if_match=created.etag)
    assert updated.etag != created.etag
    assert updated.default.get("title") is None and updated.default["score"] == 9
    assert updated.default["first_name"] == "Ada"


def test_update_with_star_matches_any_live_record(prism):
    created = prism.contacts.create({"first_name": "Ada"})
    assert prism.contacts.update(created.id, {"score": 1}, if_match="*").default["score"] == 1


def test_delete_then_restore(prism):
    created = prism.contacts.create({"first_name": "Ada"})
    prism.contacts.delete(created.id, if_match=created.etag)
    with pytest.raises(NotFound):
        prism.contacts.get(created.id)
    assert created.id in [r.id for r in prism.contacts.list(deleted=True).rows]
    restored = prism.contacts.restore(created.id)
    assert restored.id == created.id and restored.default["first_name"] == "Ada"
    assert prism.contacts.get(created.id).id == created.id


def test_duplicate(prism):
    created = prism.organizations.create({"name": "Acme", "employees": 12})
    copy = prism.organizations.duplicate(created.id)
    assert copy.id != created.id and copy.default["name"] == "Acme" and copy.default["employees"] == 12


def test_find_one(prism):
    created = prism.contacts.create({"email": "ada@example.com"})
    assert prism.contacts.find("email", "ada@example.com").id == created.id


def test_find_none(prism):
    with pytest.raises(NotFound):
        prism.contacts.find("email", "nobody@example.com")


def test_upsert_creates_then_patches(prism):
    first = prism.contacts.upsert("email", "grace@example.com", {"first_name": "Grace"})
    assert first.created and first.record.default["email"] == "grace@example.com"
    second = prism.contacts.upsert("email", "grace@example.com", {"last_name": "Hopper"})
    assert not second.created and second.record.id == first.record.id
    assert second.record.default["first_name"] == "Grace" and second.record.default["last_name"] == "Hopper"


def test_upsert_with_several_matches_conflicts(prism):
    prism.contacts.create({"email": "twin@example.com"})
    prism.contacts.create({"email": "twin@example.com"})
    with pytest.raises(Conflict):
        prism.contacts.upsert("email", "twin@example.com", {"first_name": "x"})


def test_same_idempotency_key_replays_the_create(prism):
    one = prism.contacts.create({"first_name": "Once"}, idempotency_key="create-once-1")
    two = prism.contacts.create({"first_name": "Once"}, idempotency_key="create-once-1")
    assert one.id == two.id
    assert prism.contacts.count() == 1


def test_reference_written_as_id_read_with_dot_select(prism):
    org = prism.organizations.create({"name": "Acme"})
    contact = prism.contacts.create({"first_name": "Ada", "organization": org.id})
    page = prism.contacts.query(Query(select=("first_name", "organization.name"), ids=(contact.id,)))
    assert page.rows[0].properties["organization"] == {"id": org.id, "properties": {"name": "Acme"}}


# --- live: many records ---------------------------------------------------------------


@pytest.fixture
def people(prism):
    rows = [
        {"first_name": "Ada", "status": "lead", "score": 90, "tags": ["vip", "partner"], "birthday": "1815-12-10"},
        {"first_name": "Grace", "status": "customer", "score": 70, "tags": ["vip"], "email": "grace@example.com"},
        {"first_name": "Alan", "status": "churned", "score": 40, "tags": []},
        {"first_name": "Edsger", "status": "lead", "score": 10},
    ]
    return {r["first_name"]: prism.contacts.create(r) for r in rows}


def names(page):
    return sorted(r.properties["first_name"] for r in page.rows)


def test_list_with_equality_and_in_filters(prism, people):
    assert names(prism.contacts.list(select=["first_name"], where={"status": "lead"})) == ["Ada", "Edsger"]
    page = prism.contacts.list(select=["first_name"], where={"status": ["customer", "churned"]})
    assert names(page) == ["Alan", "Grace"]


def test_list_select_sort_limit_total_and_cursor(prism, people):
    args = {"select": ["first_name"], "sort": ["first_name"], "limit": 3, "include_total": True}
    first = prism.contacts.list(**args)
    assert [r.properties["first_name"] for r in first.rows] == ["Ada", "Alan", "Edsger"]
    assert first.rows[0].properties == {"first_name": "Ada"}
    assert first.has_more and first.next_cursor and first.total == 4
    second = prism.contacts.list(**args, cursor=first.next_cursor)
    assert [r.properties["first_name"] for r in second.rows] == ["Grace"]
    assert not second.has_more and second.next_cursor is None


def test_list_limit_is_capped_silently(prism):
    prism.contacts.import_([{"first_name": f"L{i}"} for i in range(60)])
    page = prism.contacts.list(limit=500)
    assert len(page.rows) == 50 and page.has_more


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([Filter("score", ">=", 70)], ["Ada", "Grace"]),
        ([Filter("score", "<", 40)], ["Edsger"]),
        ([Filter("score", "between", [40, 70])], ["Alan", "Grace"]),
        ([Filter("status", "in", ["lead", "churned"])], ["Ada", "Alan", "Edsger"]),
        ([Filter("status", "not_in", ["lead"])], ["Alan", "Grace"]),
        ([Filter("status", "!=", "lead")], ["Alan", "Grace"]),
        ([Filter("tags", "contains", ["vip", "partner"])], ["Ada"]),
        ([Filter("first_name", "begins_with", "a")], ["Ada", "Alan"]),
        ([Filter("first_name", "ends_with", "ER")], ["Edsger"]),
        ([Filter("first_name", "contains", "ra")], ["Grace"]),
        ([Filter("email", "is_null", True)], ["Ada", "Alan", "Edsger"]),
        ([Filter("email", "is_not_null", True)], ["Grace"]),
        ([Filter("birthday", "<", "1900-01-01")], ["Ada"]),
    ],
)
def test_query_operators(prism, people, filters, expected):
    assert names(prism.contacts.query(Query(select=("first_name",), filters=filters))) == expected


def test_query_or_combinator(prism, people):
    query = Query(select=("first_name",)).where("score", ">", 80).where("status", "=", "churned").with_combinator("OR")
    assert names(prism.contacts.query(query)) == ["Ada", "Alan"]


def test_query_sort_limit_total_and_cursor(prism, people):
    query = Query(select=("first_name",), sort=(Sort("score", "desc"),), limit=2, include_total=True)
    first = prism.contacts.query(query)
    assert [r.properties["first_name"] for r in first.rows] == ["Ada", "Grace"]
    assert first.total == 4 and first.has_more
    second = prism.contacts.query(query, cursor=first.next_cursor)
    assert [r.properties["first_name"] for r in second.rows] == ["Alan", "Edsger"]
    assert not second.has_more


def test_query_by_ids_and_deleted(prism, people):
    ada = people["Ada"]
    assert [r.id for r in prism.contacts.query(Query(ids=(ada.id,))).rows] == [ada.id]
    prism.contacts.delete(ada.id)
    assert prism.contacts.query(Query(ids=(ada.id,))).rows == ()
    assert [r.id for r in prism.contacts.query(Query(ids=(ada.id,), deleted=True)).rows] == [ada.id]


def test_count(prism, people):
    assert prism.contacts.count() == 4
    prism.contacts.delete(people["Ada"].id)
    assert prism.contacts.count() == 3


def test_iter_all_thousand_records(prism):
    for start in range(0, 1000, 100):
        job = prism.contacts.import_([{"first_name": f"P{i:04}", "score": i} for i in range(start, start + 100)])
        assert job.status == "complete" and job.succeeded == 100
    pages = list(prism.contacts.iter_pages(Query(select=("first_name",))))
    assert len(pages) == 20 and all(len(p.rows) == 50 for p in pages)
    ids = [row.id for row in prism.contacts.iter_all(Query(select=("score",)))]
    assert len(ids) == len(set(ids)) == 1000


def test_iter_all_keeps_an_explicit_limit(prism, people):
    assert len(list(prism.contacts.iter_pages(Query(limit=3)))) == 2


def test_numbered_pages_read_side_by_side_make_the_cursor_walk(prism, people):
    query = Query(select=("first_name",), limit=3, include_total=True).order_by("first_name")
    first = prism.contacts.query(query.at_page(1))
    second = prism.contacts.query(query.at_page(2))
    walked = [row.id for row in prism.contacts.iter_all(query)]
    assert first.total == 4 and first.has_more and not second.has_more
    assert [row.id for row in first.rows + second.rows] == walked


# --- live: import -----------------------------------------------------------------------


def test_import_sync_with_a_bad_row(prism):
    job = prism.contacts.import_([{"first_name": "Ada"}, {"status": "nope"}, {"first_name": "Alan"}])
    assert job.job_id is None and job.status == "complete" and job.total == 3
    assert [r.created for r in job.results] == [True, False, True]
    assert job.results[1].error is not None and job.results[1].error.code
    assert prism.contacts.count() == 2


def test_import_dedupe_by(prism):
    existing = prism.contacts.create({"email": "ada@example.com", "first_name": "Ada"})
    job = prism.contacts.import_(
        [{"email": "ADA@example.com", "last_name": "Lovelace"}, {"email": "new@example.com"}],
        dedupe_by="email",
        case_insensitive=True,
    )
    assert (job.results[0].existing, job.results[0].created, job.results[0].id) == (True, False, existing.id)
    assert job.results[1].created
    assert prism.contacts.get(existing.id).default["last_name"] == "Lovelace"


@pytest.fixture
def import_worker(settings):
    """Run the sandbox's background import tasks inline, as a worker would."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.usefixtures("import_worker")
def test_import_async_waits_with_progress(prism):
    seen = []
    rows = [{"first_name": f"A{i}"} for i in range(150)]
    job = prism.contacts.import_(rows, wait=True, on_progress=seen.append, wait_timeout=60)
    assert seen[0].status == "processing" and seen[0].job_id
    assert job.status == "complete" and job.succeeded == 150 and len(job.results) == 150
    assert seen[-1] == job
    assert prism.contacts.count() == 150


@pytest.mark.usefixtures("import_worker")
def test_imports_wait_and_get(prism):
    started = prism.contacts.import_([{"first_name": f"B{i}"} for i in range(120)])
    assert started.status == "processing" and started.job_id
    done = prism.imports.wait(started, poll_interval=0.05, timeout=60)
    assert done.finished and done.succeeded == 120
    assert prism.imports.get(started.job_id).status == "complete"


@pytest.fixture
def no_import_worker(settings):
    """Background import tasks are queued and never run: jobs stay processing."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


@pytest.mark.usefixtures("no_import_worker")
def test_wait_polls_until_timeout_reporting_progress(prism):
    started = prism.contacts.import_([{"first_name": f"W{i}"} for i in range(101)])
    seen = []
    with pytest.raises(ImportNotFinished) as info:
        prism.imports.wait(started, on_progress=seen.append, timeout=0.3, poll_interval=0.02, max_poll_interval=0.05)
    assert len(seen) >= 2 and all(job.status == "processing" for job in seen)
    assert info.value.job.job_id == started.job_id


def test_list_values_create_update_and_read_in_list_scope(prism):
    list_id = str(uuid.uuid4())
    created = prism.contacts.create({"first_name": "Ada", "status": "lead"}, list_values={list_id: {"status": "customer"}})
    assert created.list[list_id]["status"] == "customer"
    updated = prism.contacts.update(created.id, list_values={list_id: {"score": 5}})
    assert updated.list[list_id]["score"] == 5
    row = prism.contacts.query(Query(select=("status", "score"), list_id=list_id, ids=(created.id,))).rows[0]
    assert row.properties == {"status": "customer", "score": 5}
    assert prism.contacts.get(created.id).default["status"] == "lead"


def test_import_into_a_list(prism):
    list_id = str(uuid.uuid4())
    job = prism.contacts.import_([{"first_name": "Ada"}], list_id=list_id)
    # Where the values land is the server's choice; read in that list's scope they show.
    row = prism.contacts.query(Query(select=("first_name",), list_id=list_id, ids=(job.results[0].id,))).rows[0]
    assert row.properties["first_name"] == "Ada"


# --- live: batches ----------------------------------------------------------------------


def test_batch_update_partial_success(prism, people):
    missing = str(uuid.uuid4())
    result = prism.contacts.batch_update([RecordPatch(people["Ada"].id, {"score": 1}), RecordPatch(missing, {"score": 2})])
    assert [r.ok for r in result.results] == [True, False]
    assert result.results[0].record.default["score"] == 1
    assert result.failures[0].id == missing
    assert (result.summary.total, result.summary.succeeded, result.summary.failed) == (2, 1, 1)


def test_batch_update_chunked(prism):
    job = prism.contacts.import_([{"first_name": f"C{i}"} for i in range(100)])
    ids = [r.id for r in job.results]
    job = prism.contacts.import_([{"first_name": f"D{i}"} for i in range(50)])
    ids += [r.id for r in job.results]
    result = prism.contacts.batch_update_chunked([RecordPatch(i, {"score": 7}) for i in ids])
    assert result.summary.succeeded == 150 and [r.id for r in result.results] == ids
    assert prism.contacts.query(Query(include_total=True, limit=1).where("score", "=", 7)).total == 150


def test_batch_delete_and_chunked(prism):
    ids = [r.id for r in prism.contacts.import_([{"first_name": f"E{i}"} for i in range(100)]).results]
    ids += [r.id for r in prism.contacts.import_([{"first_name": f"F{i}"} for i in range(30)]).results]
    result = prism.contacts.batch_delete([*ids[:2], str(uuid.uuid4())])
    assert [r.ok for r in result.results] == [True, True, False]
    assert prism.contacts.batch_delete_chunked(ids[2:]).summary.succeeded == 128
    assert prism.contacts.count() == 0


# --- live: grants -----------------------------------------------------------------------


def test_grant_put_and_get(prism, sandbox):
    deal = prism.deals.create({"name": "Big deal", "amount": 1000, "stage": "prospect"})
    assert isinstance(prism.deals.get_grant(deal.id), Grant)  # what "no grant" reads as is the server's choice
    user_1, user_2, group = (str(uuid.uuid4()) for _ in range(3))
    grant = Grant(team={sandbox.team_id: "r"}, users={user_1: "w", user_2: "a"}, groups={group: "r"})
    assert prism.deals.put_grant(deal.id, grant) == grant
    assert prism.deals.get_grant(deal.id) == grant


def test_grant_is_enforced_for_member_keys(prism, sandbox):
    owner_id, outsider_id = str(uuid.uuid4()), str(uuid.uuid4())
    deal = prism.deals.create({"name": "Secret"})
    prism.deals.put_grant(deal.id, Grant(users={owner_id: "a"}))
    outsider = PrismClient(sandbox.base_url, sandbox.make_key(user_id=outsider_id), sandbox.team_id, max_retries=0)
    with pytest.raises(NotFound):
        outsider.deals.get(deal.id)
    owner = PrismClient(sandbox.base_url, sandbox.make_key(user_id=owner_id), sandbox.team_id, max_retries=0)
    assert owner.deals.get(deal.id).default["name"] == "Secret"


def test_grant_read_only_member_gets_forbidden_on_write(prism, sandbox):
    reader_id = str(uuid.uuid4())
    deal = prism.deals.create({"name": "Look, don't touch"})
    prism.deals.put_grant(deal.id, Grant(users={reader_id: "r"}))
    reader = PrismClient(sandbox.base_url, sandbox.make_key(user_id=reader_id), sandbox.team_id, max_retries=0)
    assert reader.deals.get(deal.id).id == deal.id
    with pytest.raises(Forbidden):
        reader.deals.update(deal.id, {"amount": 1})


# --- live: events are read-only ---------------------------------------------------------


def test_event_reads(prism):
    assert prism.events.list().rows == ()
    assert prism.events.query().rows == ()
    assert prism.events.count() == 0
    assert list(prism.events.iter_all()) == []
    with pytest.raises(NotFound):
        prism.events.get(str(uuid.uuid4()))
    with pytest.raises(NotFound):
        prism.events.find("title", "Standup")
    with pytest.raises(NotFound):
        prism.events.get_grant(str(uuid.uuid4()))


# --- live: schema -----------------------------------------------------------------------


def test_type_properties(prism):
    schema = {p.slug: p for p in prism.contacts.properties()}
    assert schema["status"].type == "select"
    assert [o.slug for o in schema["status"].options] == ["lead", "customer", "churned"]
    assert schema["organization"].target == "organization"
    assert schema["email"].type == "email"


def test_all_properties(prism):
    everything = prism.properties.list_all()
    assert {"contact", "organization", "identity", "deal", "action", "document", "event"} <= set(everything)
    assert {p.slug for p in everything["deal"]} >= {"name", "amount", "stage", "close_date", "organization", "owner"}
    assert next(p for p in everything["organization"] if p.slug == "name").required
