"""Sandbox teams and their API keys: provisioning a team with the default schemas,
storing a key (hashed)."""

import uuid

from django.db import IntegrityError, transaction

from .models import ApiKey, PropertyDefinition, Team, hash_key
from .object_types import DEFAULT_SCHEMAS
from .schemas import clear_schema_cache


def provision_team(team_id: uuid.UUID | str, name: str = "") -> Team:
    """Create the team (if missing) with the default schemas. Safe to call twice."""
    team_id = uuid.UUID(str(team_id))
    with transaction.atomic():
        team, created = Team.objects.get_or_create(id=team_id, defaults={"name": name or "Sandbox team"})
        if created or not PropertyDefinition.objects.filter(team=team).exists():
            defs = []
            for segment, props in DEFAULT_SCHEMAS.items():
                for position, p in enumerate(props):
                    options = [{"id": str(uuid.uuid5(team_id, f"{segment}.{p['slug']}.{o['slug']}")), **o} for o in p.get("options", ())]
                    defs.append(
                        PropertyDefinition(
                            team=team,
                            segment=segment,
                            slug=p["slug"],
                            name=p["name"],
                            type=p["type"],
                            options=options,
                            target=p.get("target", ""),
                            multiple=p.get("multiple", False),
                            required=p.get("required", False),
                            read_only=p.get("read_only", False),
                            position=position,
                        )
                    )
            PropertyDefinition.objects.bulk_create(defs)
    clear_schema_cache(team_id)
    return team


def create_key(
    team: Team,
    raw_key: str,
    *,
    role: str = ApiKey.Role.ADMIN,
    user_id: uuid.UUID | str | None = None,
    group_ids: list[str] | tuple[str, ...] = (),
    label: str = "",
) -> ApiKey:
    """Store a key (hashed). Returns the existing one if this key is already known."""
    try:
        with transaction.atomic():
            return ApiKey.objects.create(
                team=team,
                key_hash=hash_key(raw_key),
                prefix=raw_key[:12],
                role=role,
                user_id=uuid.UUID(str(user_id)) if user_id else uuid.uuid4(),
                group_ids=[str(uuid.UUID(str(g))) for g in group_ids],
                label=label,
            )
    except IntegrityError:
        return ApiKey.objects.get(key_hash=hash_key(raw_key))
