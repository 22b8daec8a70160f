"""Create an API key for a sandbox team (the team is provisioned if new)."""

import secrets
import uuid

from django.core.management.base import BaseCommand, CommandError

from prism_sandbox.models import ApiKey
from prism_sandbox.schema import create_key, provision_team


class Command(BaseCommand):
    help = "Create a sandbox API key for a team (provisioning the team with the default schema if new)."

    def add_arguments(self, parser):
        parser.add_argument("--team", required=True, help="Team id (UUID).")
        parser.add_argument("--role", choices=[r.value for r in ApiKey.Role], default=ApiKey.Role.ADMIN)
        parser.add_argument("--user-id", help="The key's user id (UUID); random when omitted.")
        parser.add_argument("--group-id", action="append", default=[], help="A team group the user is in (repeatable).")
        parser.add_argument("--key", help="Use this key instead of generating one.")
        parser.add_argument("--label", default="")

    def handle(self, *args, team, role, user_id, group_id, key, label, **options):
        try:
            team_id = uuid.UUID(team)
            user = uuid.UUID(user_id) if user_id else None
            groups = [str(uuid.UUID(g)) for g in group_id]
        except ValueError as exc:
            raise CommandError(f"Ids must be UUIDs: {exc}") from None
        raw = key or f"sk_sandbox_{secrets.token_urlsafe(32)}"
        record = create_key(provision_team(team_id), raw, role=role, user_id=user, group_ids=groups, label=label)
        if record.team_id != team_id:
            raise CommandError("That key already belongs to another team.")
        self.stdout.write(raw)
