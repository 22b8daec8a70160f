"""People act as themselves: personal keys (encrypted), grants that bind dashboard users,
deny by default, and who has access. Against the sandbox over HTTP."""

import uuid
from html import unescape

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from dashboard import key_vault
from dashboard.models import AuditEntry, DirectoryEntry, PrismKey
from dashboard.roles import Role, sync_groups
from prism_sandbox.models import ApiKey

from ..conftest import connect_key
from .test_access_and_bulk import worker_prism  # noqa: F401  (a fixture)
from .test_editor_views import edit_form

ANA = "a0a0a0a0-0000-4000-8000-00000000000a"  # Prism user ids
BEN = "b0b0b0b0-0000-4000-8000-00000000000b"
BOARD = "c0c0c0c0-0000-4000-8000-0000000000c0"  # a team group


def text(response) -> str:
    return unescape(response.content.decode())


def signed_in(username: str, role: Role | None, key: str | None, prism_user_id: str | None = None, groups=()) -> Client:
    """A person with a dashboard role, their own key and (optionally) a directory entry."""
    sync_groups()
    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-only")
    if role:
        user.groups.set([Group.objects.get(name=role.value)])
    if key:
        connect_key(user, key)
    if prism_user_id:
        entry = DirectoryEntry.objects.create(kind="user", external_id=prism_user_id, name=username.capitalize(), user=user)
        entry.groups.set(groups)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def two_people(prism):
    """Ana (Admin, Prism member in group Board) and Ben (Editor, Prism member), each with a
    key of their own, and a deal only Ana may see."""
    board = DirectoryEntry.objects.create(kind="group", external_id=BOARD, name="Board")
    ana = signed_in("ana", Role.ADMIN, prism.make_key(user_id=ANA, group_ids=[BOARD]), ANA, [board])
    ben = signed_in("ben", Role.EDITOR, prism.make_key(user_id=BEN), BEN)
    deal = prism.request("POST", "deal", json={"default": {"name": "Board-only merger", "amount": 5}}).json()["id"]
    grant = {"team_id": {}, "user_id": [], "team_group_id": [{BOARD: "a"}]}
    assert prism.request("PUT", f"deal/{deal}/grant", json=grant).status_code == 200
    return ana, ben, deal


def found_by_lookup(client, deal: str) -> bool:
    response = client.get("/lookup/?type=deal&slug=name&value=Board-only merger")
    return deal in response.get("Location", "") or deal in text(response)


def sees(client, deal: str) -> dict[str, bool]:
    """Where the restricted deal shows for this person."""
    return {
        "table": deal in text(client.get("/records/deal/?size=100")),
        "search": deal in text(client.get("/records/deal/?q=Board-only")),
        "lookup": found_by_lookup(client, deal),
        "export": "Board-only merger" in b"".join(client.get("/records/deal/export.csv").streaming_content).decode(),
        "detail": client.get(f"/records/deal/{deal}/").status_code == 200,
        "history": client.get(f"/records/deal/{deal}/history/").status_code == 200,
    }


def test_a_restricted_deal_binds_the_dashboard_user_until_granted(two_people, prism):
    ana, ben, deal = two_people
    assert sees(ana, deal) == dict.fromkeys(sees(ana, deal), True)
    assert sees(ben, deal) == dict.fromkeys(sees(ben, deal), False)
    counts = text(ben.get("/"))
    assert "Board-only merger" not in counts

    # Ana gives Ben read access: his next page shows it, read-only, said in one sentence.
    ana.post(f"/records/deal/{deal}/permissions/", {"team_level": "", "kind": ["group", "user"], "who": [BOARD, BEN], "level": ["a", "r"]})
    assert all(sees(ben, deal).values())
    page = text(ben.get(f"/records/deal/{deal}/"))
    assert "You can read this deal but not change it: Prism gives you read access (directly)." in page
    assert f"/records/deal/{deal}/edit/" not in page
    # A write the API refuses is that sentence, with the typed value kept.
    refused = ben.post(f"/records/deal/{deal}/edit/", {**edit_form(ben, deal, "deal"), "name": "Renamed by Ben"})
    assert "you can see this record but not change it" in text(refused)
    assert "Renamed by Ben" in text(refused)
    assert prism.request("GET", f"deal/{deal}").json()["default"]["name"] == "Board-only merger"

    # Write access: Ben edits it.
    ana.post(f"/records/deal/{deal}/permissions/", {"team_level": "", "kind": ["group", "user"], "who": [BOARD, BEN], "level": ["a", "w"]})
    assert "You can read this deal but not change it" not in text(ben.get(f"/records/deal/{deal}/"))

    # Removed again: gone everywhere.
    ana.post(f"/records/deal/{deal}/permissions/", {"team_level": "", "kind": ["group"], "who": [BOARD], "level": ["a"]})
    assert not any(sees(ben, deal).values())


def test_who_has_access_names_each_person_level_and_reason(two_people, prism):
    ana, _, deal = two_people
    DirectoryEntry.objects.create(kind="user", external_id=str(uuid.uuid4()), name="Tess Teamadmin", team_admin=True)
    ana.post(f"/records/deal/{deal}/permissions/", {"team_level": "r", "kind": ["group"], "who": [BOARD], "level": ["a"]})
    page = ana.get(f"/records/deal/{deal}/permissions/")
    rows = {a.person.name: (a.label, a.reasons) for a in page.context["who_has_access"]}
    assert rows == {
        "Ana": ("Admin", ("through group Board",)),
        "Tess Teamadmin": ("Admin", ("as a team admin",)),
        "Ben": ("Read", ("team-wide",)),
    }
    assert "Through group Board" in text(page) and "Team-wide" in text(page)


def test_history_and_latest_changes_hide_records_the_person_cannot_read(two_people, prism):
    ana, ben, deal = two_people
    assert ana.post(f"/records/deal/{deal}/edit/", {**edit_form(ana, deal, "deal"), "name": "Board-only merger (v2)"}).status_code == 302
    assert AuditEntry.objects.filter(record_id=deal).exists()
    assert "Board-only merger" in text(ana.get("/"))
    assert "Board-only merger" not in text(ben.get("/"))
    assert ben.get(f"/records/deal/{deal}/history/").status_code == 404


def test_audit_entries_name_the_prism_identity_that_acted(two_people, prism):
    ana, _, deal = two_people
    ana.post(f"/records/deal/{deal}/permissions/", {"team_level": "r", "kind": ["group"], "who": [BOARD], "level": ["a"]})
    assert AuditEntry.objects.get(action="grant", record_id=deal).prism_user_id == ANA


# --- Keys: connecting, storage, rotation, revocation -------------------------------------


def test_connect_a_key_checks_it_and_stores_it_encrypted(prism):
    person = signed_in("cleo", Role.VIEWER, None)
    assert "Connect your Prism key" in text(person.get("/records/contact/"))  # a page that explains, not an error
    refused = person.post("/me/key/", {"action": "connect", "api_key": "sk_wrong_key_1234"})
    assert refused.status_code == 422 and "Prism did not accept this key" in text(refused)
    assert not PrismKey.objects.exists()

    key = prism.make_key()
    person.post("/me/key/", {"action": "connect", "api_key": key})
    stored = PrismKey.objects.get(user__username="cleo")
    assert stored.token != key and key not in stored.token and stored.last4 == key[-4:]
    assert key_vault.decrypt(stored.token) == key
    profile = text(person.get("/me/"))
    assert f"key ending in <code>{key[-4:]}</code>" in profile and key not in profile
    assert person.get("/records/contact/").status_code == 200


def test_rotating_the_encryption_key_keeps_stored_keys_working(prism, settings):
    old, new = settings.PRISM_KEY_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    person = signed_in("dora", Role.VIEWER, prism.make_key())
    settings.PRISM_KEY_ENCRYPTION_KEYS = [new, old]  # a new key first, the old one still listed
    assert person.get("/records/contact/").status_code == 200
    call_command("rotate_prism_keys", stdout=__import__("io").StringIO())
    settings.PRISM_KEY_ENCRYPTION_KEYS = [new]  # the old key dropped
    assert person.get("/records/contact/").status_code == 200
    settings.PRISM_KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # a key that never wrote it
    page = person.get("/records/contact/")
    assert page.status_code == 200 and "can no longer be read" in text(page)


def test_an_admin_revokes_a_key_and_the_person_is_asked_for_a_new_one(two_people, prism):
    ana, ben, _ = two_people
    ben_user = get_user_model().objects.get(username="ben")
    ana.post(f"/directory/users/{ben_user.pk}/revoke-key/")
    assert not PrismKey.objects.filter(user=ben_user).exists()
    page = ben.get("/records/deal/")
    assert page.status_code == 200 and "you have not connected one yet" in text(page)


def test_a_key_revoked_in_prism_gives_a_clear_page(prism):
    key = prism.make_key()
    person = signed_in("eve", Role.VIEWER, key)
    ApiKey.objects.filter(team_id=prism.team_id, role=ApiKey.Role.MEMBER).delete()  # revoked in Micro
    page = person.get("/records/contact/")
    assert page.status_code == 503 and "did not accept your API key" in text(page)


# --- Deny by default, and narrowing only ---------------------------------------------------


def test_a_user_without_a_role_is_refused_everywhere_but_their_own_pages(prism):
    nobody = signed_in("noel", None, prism.make_key())
    for url in ("/", "/records/contact/", "/records/contact/export.csv", "/lookup/", "/audit/", "/directory/", "/import/contact/"):
        assert nobody.get(url).status_code == 403, url
    assert nobody.get("/me/").status_code == 200
    assert "do not have a role" in text(nobody.get("/"))


def test_publishing_a_shared_view_needs_an_editor(prism):
    viewer = signed_in("vic", Role.VIEWER, prism.make_key())
    viewer.post("/records/contact/views/", {"name": "Mine", "query_string": "cols=first_name", "shared": "on", "next": "/records/contact/"})
    from dashboard.models import SavedView

    assert not SavedView.objects.filter(name="Mine").exists()
    viewer.post("/records/contact/views/", {"name": "Mine", "query_string": "cols=first_name", "next": "/records/contact/"})
    assert SavedView.objects.get(name="Mine").shared is False


def test_shared_mode_tells_admins_that_grants_do_not_bind(prism, settings):
    settings.PRISM_ACCESS = "shared"
    settings.MICRO_API_KEY = prism.api_key
    admin = signed_in("ada", Role.ADMIN, None)
    viewer = signed_in("val", Role.VIEWER, None)
    assert "Prism permissions (grants) do not restrict dashboard users" in text(admin.get("/records/contact/"))
    assert "do not restrict" not in text(viewer.get("/records/contact/"))
    settings.PRISM_ACCESS = "per_person"
    assert "do not restrict" not in text(admin.get("/me/"))


def test_a_background_job_acts_with_the_key_of_the_person_who_started_it(worker_prism):  # noqa: F811
    """Ben's "all matching" bulk edit, run by the task worker, changes only what Ben's key
    may change: the deal restricted to the Board is neither counted nor touched."""
    import time

    from dashboard.models import BulkJob

    marker = f"bg-{uuid.uuid4().hex[:6]}"
    open_ids = [
        worker_prism.request("POST", "deal", json={"default": {"name": f"{marker} {i}", "stage": "prospect"}}).json()["id"]
        for i in range(3)
    ]
    hidden = worker_prism.request("POST", "deal", json={"default": {"name": f"{marker} board", "stage": "prospect"}}).json()["id"]
    worker_prism.request("PUT", f"deal/{hidden}/grant", json={"team_id": {}, "user_id": [{ANA: "a"}], "team_group_id": []})
    ben = signed_in("ben", Role.EDITOR, worker_prism.make_key(user_id=BEN), BEN)
    ben.post(
        "/records/deal/bulk/",
        {"action": "set", "scope": "all", "query_string": f"cols=name&q={marker}", "slug": "stage", "value": "lost", "confirm": "1"},
    )
    job = BulkJob.objects.get()
    deadline = time.monotonic() + 60
    while job.status not in ("complete", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker is another process: poll its row
        job.refresh_from_db()
    assert (job.status, job.total, job.succeeded) == ("complete", 3, 3)
    assert {worker_prism.request("GET", f"deal/{i}").json()["default"]["stage"] for i in open_ids} == {"lost"}
    assert worker_prism.request("GET", f"deal/{hidden}").json()["default"]["stage"] == "prospect"


def test_demo_users_act_as_sandbox_demo_people(prism, settings):
    """./scripts/run's demo: each demo user gets a member key of a demo person, and the
    "Board-only merger" stays the admin's alone."""
    settings.DEBUG = True  # demo_users refuses to run otherwise
    settings.MICRO_TEAM_ID = prism.team_id
    sync_groups()
    out = __import__("io").StringIO()
    call_command("demo_users", stdout=out)
    assert "acts in Prism with a key of their own" in out.getvalue()
    people = {e.user.username: e for e in DirectoryEntry.objects.filter(kind="user").select_related("user")}
    assert set(people) == {"viewer", "editor", "admin"}
    assert {g.name for g in people["admin"].groups.all()} >= {"Board"}
    assert PrismKey.objects.count() == 3
    clients = {}
    for name, entry in people.items():
        clients[name] = Client()
        clients[name].force_login(entry.user)
    assert "Board-only merger" in text(clients["admin"].get("/records/deal/?q=Board-only"))
    for name in ("viewer", "editor"):
        assert "Board-only merger" not in text(clients[name].get("/records/deal/?q=Board-only")), name
        assert "Board-only merger" not in text(clients[name].get("/records/deal/?size=100")), name
