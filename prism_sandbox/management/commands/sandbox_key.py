"""Create an API key for a sandbox team (the team is provisioned if new).

With --demo, one member key per demo person of prism_sandbox.demo, printed as one
JSON document: {"people": [{username, name, prism_user_id, groups, api_key}], "groups"}.
"""

import json
import secrets
import uuid

from django.core.management.base import BaseCommand, CommandError

from prism_sandbox import demo
from prism_sandbox.models import ApiKey
from prism_sandbox.teams import create_key, provision_team


def new_key() -> str:
    return f"sk_sandbox_{secrets.token_urlsafe(32)}"


class Command(BaseCommand):
    help = "Create a sandbox API key for a team (provisioning the team with the default schemas if new)."

    def add_arguments(self, parser):
        parser.add_argument("--team", required=True, help="Team id (UUID).")
        parser.add_argument("--role", choices=[r.value for r in ApiKey.Role], help="Default: admin.")
        parser.add_argument("--user-id", help="The key's user id (UUID); random when omitted.")
        parser.add_argument("--group-id", action="append", default=[], help="A team group the user is in (repeatable).")
        parser.add_argument("--key", help="Use this key instead of generating one.")
        parser.add_argument("--label", default="")
        parser.add_argument(
            "--demo",
            dest="for_demo",
            action="store_true",
            help="Mint a fresh member key for each demo person and print them, with their groups, as JSON.",
        )

    def handle(self, *args, team, role, user_id, group_id, key, label, for_demo, **options):
        try:
            team_id = uuid.UUID(team)
            user = uuid.UUID(user_id) if user_id else None
            groups = [str(uuid.UUID(g)) for g in group_id]
        except ValueError as exc:
            raise CommandError(f"Ids must be UUIDs: {exc}") from None
        if for_demo:
            if role or user or groups or key:
                raise CommandError("--demo makes member keys for the demo people; it takes no --role, --user-id, --group-id or --key.")
            self.stdout.write(json.dumps(demo_keys(team_id), indent=2))
            return
        raw = key or new_key()
        record = create_key(provision_team(team_id), raw, role=role or ApiKey.Role.ADMIN, user_id=user, group_ids=groups, label=label)
        if record.team_id != team_id:
            raise CommandError("That key already belongs to another team.")
        self.stdout.write(raw)


def demo_keys(team_id: uuid.UUID) -> dict:
    """A new member key for each demo person (earlier ones stay valid)."""
    team = provision_team(team_id)
    people = []
    for person in demo.PEOPLE:
        raw = new_key()
        group_ids = [g.id for g in person.groups]
        create_key(
            team,
            raw,
            role=ApiKey.Role.MEMBER,
            user_id=person.prism_user_id,
            group_ids=group_ids,
            label=f"demo: {person.name}",
        )
        people.append(
            {
                "username": person.username,
                "name": person.name,
                "prism_user_id": person.prism_user_id,
                "groups": [g.as_json() for g in person.groups],
                "api_key": raw,
            }
        )
    return {"people": people, "groups": [g.as_json() for g in demo.GROUPS]}
