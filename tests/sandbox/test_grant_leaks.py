"""Nothing leaks around a grant (docs/sandbox.md, "Grants"): for a key that cannot read a
record, a reference to it answers exactly as a missing id would (dot-select expansion,
reference values on reads, references written on create/patch/import/batch), import
dedupe matches only readable records, counts and totals count only readable records,
and an import job is readable only by the key that started it and by team admins.

Each test compares a member key that cannot read the hidden deal with a reference to a
deal that is really gone, and checks that a key that can read it (its owner, a team
admin) does see it."""

import time
import uuid
from dataclasses import dataclass

from prism_sandbox.models import ApiKey, Record

from .conftest import assert_error, create

POLL_DEADLINE = 60  # seconds; a shared two-core machine can be slow


@dataclass
class World:
    owner_user: str
    owner: str  # a member key of owner_user, to whom the hidden deal is granted
    outsider: str  # a member key (with a group of its own) that may not read it
    hidden: str  # deal "Secret", readable only by `owner` (and team admins)
    gone: str  # a deal that was deleted: what a missing record looks like
    to_hidden: str  # a team-visible action whose deal is `hidden`
    to_gone: str  # a team-visible action whose deal is `gone`


def world(sandbox) -> World:
    owner_user = str(uuid.uuid4())
    owner = sandbox.make_key(user_id=owner_user)
    outsider = sandbox.make_key(user_id=str(uuid.uuid4()), group_ids=[str(uuid.uuid4())])
    hidden = create(sandbox, "deal", name="Secret", amount=100)["id"]
    grant = sandbox.request("PUT", f"deal/{hidden}/grant", json={"user_id": [{owner_user: "a"}]})
    assert grant.status_code == 200, grant.text
    gone = create(sandbox, "deal", name="Gone")["id"]
    to_hidden = create(sandbox, "action", title="To hidden", deal=hidden)["id"]
    to_gone = create(sandbox, "action", title="To gone", deal=gone)["id"]
    assert sandbox.request("DELETE", f"deal/{gone}").status_code == 204
    assert sandbox.request("GET", f"deal/{hidden}", key=outsider).status_code == 404
    return World(owner_user, owner, outsider, hidden, gone, to_hidden, to_gone)


def without(value, *ids: str):
    """`value` with the given ids replaced by one placeholder, to compare shapes."""
    if isinstance(value, dict):
        return {k: without(v, *ids) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without(v, *ids) for v in value]
    if isinstance(value, str):
        for i in ids:
            value = value.replace(i, "<id>")
    return value


# --- a. dot-select expansion ------------------------------------------------------------


def test_a_dot_select_expands_a_hidden_target_as_a_missing_one(sandbox):
    w = world(sandbox)

    def expanded(action_id: str, key: str) -> dict:
        response = sandbox.request("GET", f"action/{action_id}", key=key, params={"select": "title,deal.name,deal.amount"})
        assert response.status_code == 200, response.text
        return response.json()["default"]["deal"]

    assert expanded(w.to_gone, w.outsider) == {"id": w.gone, "properties": {}}
    assert expanded(w.to_hidden, w.outsider) == {"id": w.hidden, "properties": {}}
    # two references deep: nothing of the hidden deal, nor of what it points at
    deep = sandbox.request("GET", f"action/{w.to_hidden}", key=w.outsider, params={"select": "deal.organization.name"})
    assert deep.json()["default"]["deal"] == {"id": w.hidden, "properties": {}}
    for key in (w.owner, sandbox.api_key):
        assert expanded(w.to_hidden, key) == {"id": w.hidden, "properties": {"name": "Secret", "amount": 100}}


# --- b. reference values on plain reads -------------------------------------------------------


def test_reads_show_a_reference_to_a_hidden_record_as_one_to_a_missing_record(sandbox):
    w = world(sandbox)

    def deal_refs(key: str, select: list[str] | None) -> list[dict]:
        """The `deal` value of the two actions, as GET one, list and query show them."""
        shown = []
        params = {"select": ",".join(select)} if select else {}
        for rid in (w.to_hidden, w.to_gone):
            one = sandbox.request("GET", f"action/{rid}", key=key, params=params)
            assert one.status_code == 200, one.text
            shown.append(one.json()["default"]["deal"])
        listed = sandbox.request("GET", "action", key=key, params=params)
        queried = sandbox.request("POST", "action/query", key=key, json={"query": {"select": select} if select else {}})
        for response in (listed, queried):
            assert response.status_code == 200, response.text
            rows = {row["id"]: row["properties"]["deal"] for row in response.json()["data"]}
            shown += [rows[w.to_hidden], rows[w.to_gone]]
        return shown

    for select in (None, ["title", "deal"], ["title", "deal.name"]):
        shown = deal_refs(w.outsider, select)
        hidden, gone = shown[0::2], shown[1::2]
        assert without(hidden, w.hidden) == without(gone, w.gone), select
        assert all(ref == {"id": w.hidden, "properties": {}} for ref in hidden)
    # a key that can read the deal sees it expanded wherever it is selected
    owner_view = deal_refs(w.owner, ["title", "deal.name"])
    assert owner_view[0::2] == [{"id": w.hidden, "properties": {"name": "Secret"}}] * 3


# --- c. writing a reference -------------------------------------------------------------


def test_writing_a_reference_to_a_hidden_record_answers_as_for_a_missing_id(sandbox):
    w = world(sandbox)
    missing = str(uuid.uuid4())
    mine = create(sandbox, "action", key=w.outsider, title="Mine")["id"]
    list_id = str(uuid.uuid4())

    def answers(deal_id: str) -> list:
        """What every way of writing `deal = deal_id` answers the outsider."""
        out = []
        for method, path, body in (
            ("POST", "action", {"default": {"title": "New", "deal": deal_id}}),
            ("POST", "action", {"default": {"title": "Listed"}, "list": {list_id: {"deal": deal_id}}}),
            ("PATCH", f"action/{mine}", {"default": {"deal": deal_id}}),
            ("PUT", "action/by/title/Upserted", {"default": {"deal": deal_id}}),
        ):
            response = sandbox.request(method, path, key=w.outsider, json=body)
            error = assert_error(response, 422, "validation_error")
            out.append((response.status_code, error))
        imported = sandbox.request(
            "POST", "action/import", key=w.outsider, json={"objects": [{"default": {"title": "I", "deal": deal_id}}]}
        )
        assert imported.status_code == 200, imported.text
        out.append(imported.json()["results"])
        batch = sandbox.request("POST", "action/batch/update", key=w.outsider, json={"items": [{"id": mine, "default": {"deal": deal_id}}]})
        assert batch.status_code == 200, batch.text
        out.append(batch.json())
        return out

    to_hidden, to_missing = answers(w.hidden), answers(missing)
    assert without(to_hidden, w.hidden) == without(to_missing, missing)
    assert to_missing[0][1]["details"]["fields"] == {"deal": f"No deal with id {missing}."}
    assert to_missing[-2][0]["error"]["code"] == "validation_error"
    assert to_missing[-1]["summary"]["failed"] == 1
    # nothing the outsider wrote points at the hidden deal
    assert set(Record.objects.filter(properties__deal=w.hidden).values_list("id", flat=True)) == {uuid.UUID(w.to_hidden)}
    # a key that can read the deal may point at it
    made = sandbox.request("POST", "action", key=w.owner, json={"default": {"title": "Owner's", "deal": w.hidden}})
    assert made.status_code == 201, made.text


# --- d. import dedupe -------------------------------------------------------------------


def test_import_dedupe_matches_only_records_the_key_can_read(sandbox, task_worker):
    w = world(sandbox)
    visible_twin = create(sandbox, "deal", name="Twin")["id"]
    hidden_twin = create(sandbox, "deal", name="Twin")["id"]
    sandbox.request("PUT", f"deal/{hidden_twin}/grant", json={"user_id": [{w.owner_user: "a"}]})

    def dedupe(key: str, rows: list[dict]) -> list[dict]:
        body = {"objects": rows, "options": {"dedupe_by": "name"}}
        response = sandbox.request("POST", "deal/import", key=key, json=body)
        assert response.status_code == 200, response.text
        return response.json()["results"]

    # a key that can read the hidden deal matches it
    (owners,) = dedupe(w.owner, [{"default": {"name": "Secret", "amount": 7}}])
    assert (owners["id"], owners["existing"], owners["error"]) == (w.hidden, True, None)

    secret, nobody, twin = dedupe(
        w.outsider,
        [
            {"default": {"name": "Secret", "amount": 5}},
            {"default": {"name": "Nobody", "amount": 5}},
            {"default": {"name": "Twin", "amount": 5}},
        ],
    )
    # the hidden "Secret" is no match: a new deal, as for a name nobody has
    assert (
        (secret["created"], secret["existing"], secret["error"])
        == (nobody["created"], nobody["existing"], nobody["error"])
        == (True, False, None)
    )
    assert secret["id"] not in (w.hidden, None)
    assert Record.objects.get(id=w.hidden).properties["amount"] == 7
    # of two "Twin" deals only the readable one matches (no multiple_matches)
    assert (twin["id"], twin["existing"], twin["error"]) == (visible_twin, True, None)
    assert Record.objects.get(id=hidden_twin).properties.get("amount") is None

    # a key that can read both twins finds two
    (owners_twin,) = dedupe(w.owner, [{"default": {"name": "Twin"}}])
    assert owners_twin["error"]["code"] == "multiple_matches"

    # a background job dedupes as the key that started it
    rows = [{"default": {"name": f"Bulk {i}"}} for i in range(101)]
    rows[50] = {"default": {"name": "Hidden job twin", "amount": 9}}
    hidden_job_twin = create(sandbox, "deal", name="Hidden job twin")["id"]
    sandbox.request("PUT", f"deal/{hidden_job_twin}/grant", json={"user_id": [{w.owner_user: "a"}]})
    started = sandbox.request("POST", "deal/import", key=w.outsider, json={"objects": rows, "options": {"dedupe_by": "name"}})
    assert started.status_code == 202, started.text
    done = poll(sandbox, started.json()["job_id"], w.outsider)
    assert done["status"] == "complete" and done["failed"] == 0
    assert done["results"][50]["created"] is True and done["results"][50]["id"] != hidden_job_twin
    assert Record.objects.get(id=hidden_job_twin).properties.get("amount") is None


def poll(sandbox, job_id: str, key: str) -> dict:
    """GET /imports/{jobId} until the job has finished."""
    stop = time.monotonic() + POLL_DEADLINE
    while True:
        response = sandbox.request("GET", f"imports/{job_id}", key=key)
        assert response.status_code == 200, response.text
        if response.json()["status"] != "processing":
            return response.json()
        assert time.monotonic() < stop, f"import {job_id} still processing after {POLL_DEADLINE}s"
        time.sleep(0.02)


# --- e. import jobs ---------------------------------------------------------------------


def test_an_import_job_is_readable_only_by_its_key_and_team_admins(sandbox, task_worker):
    starter = sandbox.make_key(user_id=str(uuid.uuid4()))
    other = sandbox.make_key(user_id=str(uuid.uuid4()))
    admin = sandbox.make_key(role=ApiKey.Role.ADMIN)
    rows = [{"default": {"first_name": f"Row{i}"}} for i in range(101)]
    started = sandbox.request("POST", "contact/import", key=starter, json={"objects": rows})
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    missing = str(uuid.uuid4())

    def refused(key: str) -> None:
        hidden = assert_error(sandbox.request("GET", f"imports/{job_id}", key=key), 404, "not_found")
        unknown = assert_error(sandbox.request("GET", f"imports/{missing}", key=key), 404, "not_found")
        assert without(hidden, job_id) == without(unknown, missing)

    refused(other)
    for key in (starter, admin, sandbox.api_key):
        assert sandbox.request("GET", f"imports/{job_id}", key=key).json()["job_id"] == job_id
    done = poll(sandbox, job_id, starter)
    assert done["succeeded"] == 101
    refused(other)  # finished, its results still are the starter's
    assert sandbox.request("GET", f"imports/{job_id}", key=admin).json()["status"] == "complete"


# --- f. counts and totals ---------------------------------------------------------------


def test_counts_and_totals_count_only_readable_records(sandbox):
    w = world(sandbox)
    for i in range(3):
        create(sandbox, "deal", name=f"Open {i}")

    def totals(key: str) -> tuple[int, int, int, int]:
        count = sandbox.request("GET", "deal/count", key=key).json()["total"]
        listed = sandbox.request("GET", "deal", key=key, params={"include_total": "true", "limit": 1}).json()
        queried = sandbox.request("POST", "deal/query", key=key, json={"query": {"limit": 1}, "include_total": True}).json()
        # a filter the hidden deal matches too
        matching = {"limit": 1, "filter": [{"name": {"in": ["Secret", "Open 0"]}}]}
        filtered = sandbox.request("POST", "deal/query", key=key, json={"query": matching, "include_total": True}).json()
        assert len(listed["data"]) == len(queried["data"]) == 1
        return count, listed["total"], queried["total"], filtered["total"]

    assert totals(w.outsider) == (3, 3, 3, 1)  # "Secret" is not counted
    for key in (w.owner, sandbox.api_key):
        assert totals(key) == (4, 4, 4, 2)
