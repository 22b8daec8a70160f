"""The demo world (prism_sandbox.demo): seed_demo's records with grants for the demo
people, and `sandbox_key --demo`, which mints a member key for each of them."""

import io
import json
import uuid

import pytest
from django.core.management import CommandError, call_command

from prism_sandbox import demo
from prism_sandbox.models import ApiKey, Record, hash_key

SIZE = "60"


def seed(team_id: str, *flags: str) -> None:
    call_command("seed_demo", "--team", team_id, "--size", SIZE, *flags, stdout=io.StringIO())


def demo_keys(team_id: str) -> dict:
    out = io.StringIO()
    call_command("sandbox_key", "--team", team_id, "--demo", stdout=out)
    return json.loads(out.getvalue())  # one JSON document, nothing else


def named(sandbox, object_type: str, name: str) -> str:
    """The id of the one record with this title (admin key)."""
    title = {"deal": "name", "action": "title"}[object_type]
    response = sandbox.request("GET", f"{object_type}/by/{title}/{name}")
    assert response.status_code == 200, response.text
    return response.json()["id"]


def test_seed_demo_adds_records_granted_to_the_demo_people(sandbox):
    seed(sandbox.team_id)
    board_only = named(sandbox, "deal", demo.BOARD_ONLY_DEAL)
    pipeline = named(sandbox, "deal", "Sales pipeline review")
    briefing = named(sandbox, "action", "Prepare the merger briefing")
    ada, eddie = demo.ADA.prism_user_id, demo.EDDIE.prism_user_id
    # stored as a PUT of the grant stores it, and read back through the API
    assert sandbox.request("GET", f"deal/{board_only}/grant").json() == {
        "team_id": {},
        "user_id": [{ada: "a"}],
        "team_group_id": [],
    }
    assert sandbox.request("GET", f"deal/{pipeline}/grant").json() == {
        "team_id": {},
        "user_id": [{ada: "a"}, {eddie: "w"}],
        "team_group_id": [{demo.SALES.id: "r"}],
    }
    action = sandbox.request("GET", f"action/{briefing}", params={"select": "title,deal.name"}).json()
    assert action["default"]["deal"] == {"id": board_only, "properties": {"name": demo.BOARD_ONLY_DEAL}}
    assert sandbox.request("GET", f"action/{briefing}/grant").json()["team_id"] == {sandbox.team_id: "a"}  # no grant

    # --if-empty leaves a seeded team alone; --reset seeds it afresh, the same records once
    before = Record.objects.filter(team_id=sandbox.team_id).count()
    seed(sandbox.team_id, "--if-empty")
    assert Record.objects.filter(team_id=sandbox.team_id).count() == before
    seed(sandbox.team_id, "--reset")
    assert Record.objects.filter(team_id=sandbox.team_id).count() == before
    assert named(sandbox, "deal", demo.BOARD_ONLY_DEAL) == board_only


def test_sandbox_key_demo_mints_a_member_key_per_demo_person(sandbox):
    seed(sandbox.team_id)
    printed = demo_keys(sandbox.team_id)
    groups = [{"id": demo.BOARD.id, "name": "Board"}, {"id": demo.SALES.id, "name": "Sales"}]
    assert printed["groups"] == groups
    assert [{k: v for k, v in p.items() if k != "api_key"} for p in printed["people"]] == [
        {"username": "admin", "name": "Ada Admin", "prism_user_id": demo.ADA.prism_user_id, "groups": groups},
        {"username": "editor", "name": "Eddie Editor", "prism_user_id": demo.EDDIE.prism_user_id, "groups": groups[1:]},
        {"username": "viewer", "name": "Vera Viewer", "prism_user_id": demo.VERA.prism_user_id, "groups": groups[1:]},
    ]
    keys = {p["username"]: p["api_key"] for p in printed["people"]}
    for person in printed["people"]:
        stored = ApiKey.objects.get(key_hash=hash_key(person["api_key"]))
        assert person["api_key"].startswith("sk_sandbox_")
        assert (str(stored.team_id), stored.role) == (sandbox.team_id, ApiKey.Role.MEMBER)
        assert str(stored.user_id) == person["prism_user_id"]
        assert stored.group_ids == [g["id"] for g in person["groups"]]

    board_only = named(sandbox, "deal", demo.BOARD_ONLY_DEAL)
    pipeline = named(sandbox, "deal", "Sales pipeline review")
    briefing = named(sandbox, "action", "Prepare the merger briefing")
    admin_total = sandbox.request("GET", "deal/count").json()["total"]

    def sees(username: str) -> tuple[int, bool, bool, int]:
        key = keys[username]
        get = sandbox.request("GET", f"deal/{board_only}", key=key).status_code
        by_query = sandbox.request("POST", "deal/query", key=key, json={"query": {"filter": [{"name": {"=": demo.BOARD_ONLY_DEAL}}]}})
        in_query = [row["id"] for row in by_query.json()["data"]] == [board_only]
        in_pipeline = sandbox.request("GET", f"deal/{pipeline}", key=key).status_code == 200
        return get, in_query, in_pipeline, sandbox.request("GET", "deal/count", key=key).json()["total"]

    assert sees("admin") == (200, True, True, admin_total)
    assert sees("editor") == (404, False, True, admin_total - 1)
    assert sees("viewer") == (404, False, True, admin_total - 1)
    # the team-visible action does not give the deal away to Vera
    expanded = sandbox.request("GET", f"action/{briefing}", key=keys["viewer"], params={"select": "deal.name"})
    assert expanded.json()["default"]["deal"] == {"id": board_only, "properties": {}}
    # Eddie may write the Sales deal, Vera only read it
    change = {"default": {"stage": "proposal"}}
    assert sandbox.request("PATCH", f"deal/{pipeline}", key=keys["editor"], json=change).status_code == 200
    assert sandbox.request("PATCH", f"deal/{pipeline}", key=keys["viewer"], json=change).status_code == 403

    # asked again: fresh keys, the old ones still work
    again = demo_keys(sandbox.team_id)
    assert {p["api_key"] for p in again["people"]}.isdisjoint(keys.values())
    assert [p["prism_user_id"] for p in again["people"]] == [p["prism_user_id"] for p in printed["people"]]
    assert sandbox.request("GET", f"deal/{board_only}", key=keys["admin"]).status_code == 200
    assert sandbox.request("GET", f"deal/{board_only}", key=again["people"][0]["api_key"]).status_code == 200


def test_sandbox_key_demo_refuses_options_for_a_single_key(sandbox):
    for extra in (["--key", "sk_x"], ["--role", "admin"], ["--user-id", str(uuid.uuid4())]):
        with pytest.raises(CommandError):
            call_command("sandbox_key", "--team", sandbox.team_id, "--demo", *extra, stdout=io.StringIO())
