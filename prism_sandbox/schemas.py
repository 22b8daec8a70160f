"""Property schemas: one object type's properties (a TypeSchema), a team's schemas
of every type (cached reads), and their wire shape."""

import threading
import time
import uuid
from dataclasses import dataclass, field

from .models import PropertyDefinition
from .object_types import OBJECT_TYPES, SYSTEM_PROPERTIES


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
    segment: str
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

# Schemas have no write endpoints, so a short per-process cache is safe; the TTL
# covers edits made in Django's admin.
_CACHE_TTL = 60.0
_cache: dict[uuid.UUID, tuple[float, dict[str, TypeSchema]]] = {}
_cache_lock = threading.Lock()


def team_schemas(team_id: uuid.UUID) -> dict[str, TypeSchema]:
    """The team's schema of every object type, by segment."""
    now = time.monotonic()
    hit = _cache.get(team_id)
    if hit and now - hit[0] < _CACHE_TTL:
        return hit[1]
    by_type: dict[str, dict[str, Property]] = {t: {} for t in OBJECT_TYPES}
    for defn in PropertyDefinition.objects.filter(team_id=team_id).order_by("segment", "position"):
        by_type.setdefault(defn.segment, {})[defn.slug] = _property(defn)
    schemas = {t: TypeSchema(t, {**props, **_SYSTEM}) for t, props in by_type.items()}
    with _cache_lock:
        _cache[team_id] = (now, schemas)
    return schemas


def clear_schema_cache(team_id: uuid.UUID | None = None) -> None:
    """Forget the cached schemas of one team, or of all."""
    with _cache_lock:
        if team_id is None:
            _cache.clear()
        else:
            _cache.pop(team_id, None)
