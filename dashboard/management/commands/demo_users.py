"""Create one demo user per role (Viewer, Editor, Admin) for local demos; prints the logins.

With the embedded sandbox, each demo user also becomes a Prism person: the sandbox's
`sandbox_key --demo` mints a member key for each demo person (with their user id and
team groups), and the directory links them, so Prism grants bind the demo users as
they would real people.
"""

import io
import json
import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from dashboard.models import DirectoryEntry, PrismKey
from dashboard.roles import Role

DEMO_USERS = {Role.VIEWER: "viewer", Role.EDITOR: "editor", Role.ADMIN: "admin"}


class Command(BaseCommand):
    help = "Create (or reset) one demo user per role, linked to sandbox demo people. Refuses to run with DEBUG off."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo users are for local demos only (DEBUG is off).")
        password = os.environ.get("DEMO_PASSWORD", "prism-demo")
        User = get_user_model()
        users = {}
        for role, username in DEMO_USERS.items():
            user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
            user.set_password(password)
            # The admin user may also open Django's admin (sandbox keys, raw records).
            user.is_staff = user.is_superuser = role is Role.ADMIN
            user.save()
            user.groups.set([Group.objects.get(name=role.value)])
            users[username] = user
            self.stdout.write(f"{role.value:<7} user: {username:<7} password: {password}")
        if settings.PRISM_SANDBOX_ENABLED and settings.MICRO_TEAM_ID:
            link_demo_people(users, demo_people(settings.MICRO_TEAM_ID))
            self.stdout.write("Each demo user acts in Prism with a key of their own (see Directory).")


def demo_people(team_id: str) -> dict:
    """The sandbox's demo people with freshly minted member keys (its own command)."""
    out = io.StringIO()
    call_command("sandbox_key", "--team", team_id, "--demo", stdout=out)
    return json.loads(out.getvalue())


def link_demo_people(users: dict, demo: dict) -> None:
    """Directory entries for the demo groups and people, linked to the demo sign-ins, and
    each person's key stored as theirs."""
    groups = {}
    for g in demo["groups"]:
        groups[g["id"]], _ = DirectoryEntry.objects.update_or_create(
            kind=DirectoryEntry.Kind.GROUP, external_id=g["id"], defaults={"name": g["name"]}
        )
    for person in demo["people"]:
        user = users.get(person["username"])
        if user is None:
            continue
        DirectoryEntry.objects.filter(user=user).exclude(external_id=person["prism_user_id"]).update(user=None)
        entry, _ = DirectoryEntry.objects.update_or_create(
            kind=DirectoryEntry.Kind.USER,
            external_id=person["prism_user_id"],
            defaults={"name": person["name"], "user": user, "team_admin": False},
        )
        entry.groups.set([groups[g["id"]] for g in person["groups"] if g["id"] in groups])
        PrismKey.store(user, person["api_key"])
