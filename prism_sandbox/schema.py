"""A team's property schema: provisioning, cached reads and the wire shape."""

import threading
import time
import uuid
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from .models import ApiKey, PropertyDefinition, Team, hash_key
from .object_types import DEFAULT_SCHEMA, OBJECT_TYPES, SYSTEM_PROPERTIES


@dataclass(frozen=True)
class Property:
    slug: str
    name: str
    type: str
    options: tuple[dict, ...] = ()
    target: str = ""
    multiple: bool = False
    required: bool = False
    read_only: bool = False
    system: bool = False
    option_slugs: frozenset[str] = field(default=frozenset(), compare=False)
    option_ids: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def as_wire(self) -> dict:
        return {
            "slug": self.slug,
            "name": self.name,
            "type": self.type,
            "options": [dict(o) for o in self.options],
            "target": self.target or None,
            "multiple": self.multiple,
            "required": self.required,
            "read_only": self.read_only,
        }


@dataclass(frozen=True)
class TypeSchema:
    object_type: str
    properties: dict[str, Property]

    def get(self, slug: str) -> Property | None:
        return self.properties.get(slug)


def _property(defn: PropertyDefinition) -> Property:
    options = tuple(defn.options or ())
    return Property(
        slug=defn.slug,
        name=defn.name,
        type=defn.type,
        options=options,
        target=defn.target,
        multiple=defn.multiple,
        required=defn.required,
        read_only=defn.read_only,
        option_slugs=frozenset(o["slug"] for o in options),
        option_ids={o["id"]: o["slug"] for o in options},
    )


_SYSTEM = {p["slug"]: Property(system=True, **p) for p in SYSTEM_PROPERTIES}

# The schema has no write endpoints, so a short per-process cache is safe; the TTL
# covers edits made in Django's admin.
_CACHE_TTL = 60.0
_cache: dict[uuid.UUID, tuple[float, dict[str, TypeSchema]]] = {}
_cache_lock = threading.Lock()


def team_schema(team_id: uuid.UUID) -> dict[str, TypeSchema]:
    now = time.monotonic()
    hit = _cache.get(team_id)
    if hit and now - hit[0] < _CACHE_TTL:
        return hit[1]
    by_type: dict[str, dict[str, Property]] = {t: {} for t in OBJECT_TYPES}
    for defn in PropertyDefinition.objects.filter(team_id=team_id).order_by("object_type", "position"):
        by_type.setdefault(defn.object_type, {})[defn.slug] = _property(defn)
    schema = {t: TypeSchema(t, {**props, **_SYSTEM}) for t, props in by_type.items()}
    with _cache_lock:
        _cache[team_id] = (now, schema)
    return schema


def clear_schema_cache() -> None:
    with _cache_lock:
        _cache.clear()


def provision_team(team_id: uuid.UUID | str, name: str = "") -> Team:
    """Create the team (if missing) with the default schema. Safe to call twice."""
    team_id = uuid.UUID(str(team_id))
    with transaction.atomic():
        team, created = Team.objects.get_or_create(id=team_id, defaults={"name": name or "Sandbox team"})
        if created or not PropertyDefinition.objects.filter(team=team).exists():
            defs = []
            for object_type, props in DEFAULT_SCHEMA.items():
                for position, p in enumerate(props):
                    options = [
                        {"id": str(uuid.uuid5(team_id, f"{object_type}.{p['slug']}.{o['slug']}")), **o} for o in p.get("options", ())
                    ]
                    defs.append(
                        PropertyDefinition(
                            team=team,
                            object_type=object_type,
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
    with _cache_lock:
        _cache.pop(team_id, None)
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
