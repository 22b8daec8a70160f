"""The dashboard's one connection to the Prism API, and the property schema it caches.

Every API call goes through prism_client over HTTP, to the embedded sandbox or the
real API alike. The schema comes from the properties endpoint, cached per team for
a short time; where that endpoint is missing (the real API need not have it),
property types are inferred from sampled rows.
"""

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver

from prism_client import OBJECT_TYPES, NotFound, PrismClient, PropertyDefinition, Query
from prism_client.client import DEFAULT_POOL_SIZE

from . import acting
from .property_types import infer_type

SCHEMA_TTL = 300
SAMPLE_ROWS = 25
# What names a record, per type: its title is these properties' values joined by a
# space (a contact is "first last"). The one place titles are configured; every page
# title, title cell, reference label, picker and look-up by title follows it.
TITLE_SLUGS = {
    "contact": ("first_name", "last_name"),
    "organization": ("name",),
    "identity": ("name",),
    "deal": ("name",),
    "action": ("title",),
    "document": ("title",),
    "event": ("title",),
}
# What tells apart two records of the same title in a list of suggestions ("Phelps LLC ·
# phelps.example"); the start of the id where a type has none or the value is empty.
DETAIL_SLUGS = {"contact": "email", "organization": "domain", "identity": "email"}
SYSTEM_SLUGS = ("created_at", "updated_at", "deleted_at")

_lock = threading.Lock()
_pool: PrismClient | None = None


def _pooled(api_key: str) -> PrismClient:
    """The process-wide client (one pooled session), built from MICRO_* settings on first use."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = PrismClient(
                base_url=settings.MICRO_BASE_URL,
                api_key=api_key,
                team_id=settings.MICRO_TEAM_ID or None,
                timeout=(3.05, settings.PRISM_TIMEOUT),
                max_retries=settings.PRISM_MAX_RETRIES,
                deadline=settings.PRISM_DEADLINE,
                # Kept connections for the calls in flight at once: up to PRISM_CONCURRENCY per page
                # or export (fan_out.py) on each of a worker's 4 threads (dashboard/gunicorn_conf.py);
                # fewer would open and drop a connection per call past the pool's size.
                pool_maxsize=max(DEFAULT_POOL_SIZE, 4 * settings.PRISM_CONCURRENCY),
                user_agent="prism-dashboard",
            )
        return _pool


def client() -> PrismClient:
    """A client acting for the current person (acting.py): their own key in per-person
    mode, the team key in shared mode; every one shares the pooled session."""
    key = acting.current_actor().api_key or settings.MICRO_API_KEY
    if not key:
        raise acting.NoPrismKey("missing")
    return client_with_key(key)


def client_with_key(api_key: str) -> PrismClient:
    return _pooled(api_key).with_api_key(api_key)


@receiver(setting_changed)
def _reset(setting: str, **kwargs) -> None:
    global _pool
    if setting.startswith(("MICRO_", "PRISM_TIMEOUT", "PRISM_MAX_RETRIES", "PRISM_DEADLINE", "PRISM_CONCURRENCY")):
        with _lock:
            if _pool is not None:
                _pool.close()
            _pool = None


@dataclass(frozen=True)
class TypeSchema:
    """One object type's properties, in display order, plus how it is named."""

    segment: str
    properties: tuple[PropertyDefinition, ...]
    inferred: bool = False
    by_slug: dict[str, PropertyDefinition] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_slug.update({p.slug: p for p in self.properties})

    def get(self, slug: str) -> PropertyDefinition | None:
        return self.by_slug.get(slug)

    @property
    def title_slugs(self) -> tuple[str, ...]:
        """The properties a title is made of (those of TITLE_SLUGS the schema has; else its
        first text property; else none: the id stands in)."""
        present = tuple(s for s in TITLE_SLUGS.get(self.segment, ()) if s in self.by_slug)
        if present:
            return present
        texts = [p.slug for p in self.properties if p.type == "text"]
        return (texts[0],) if texts else ()

    @property
    def title_slug(self) -> str:
        """The title's first property: what a table sorts and searches a title by."""
        return self.title_slugs[0] if self.title_slugs else "id"

    @property
    def title_label(self) -> str:
        """The title column's heading: its property's name, or "Name" for a composite title."""
        if len(self.title_slugs) == 1:
            return self.by_slug[self.title_slugs[0]].name
        return "Name"

    def title(self, values: Mapping[str, object], fallback: str = "") -> str:
        """A record's title from its values ("first last"), or `fallback` when it has none."""
        parts = (_title_part(values.get(slug)) for slug in self.title_slugs)
        return " ".join(p for p in parts if p) or fallback

    @property
    def detail_slug(self) -> str | None:
        slug = DETAIL_SLUGS.get(self.segment)
        return slug if slug in self.by_slug else None

    def title_select(self, prefix: str = "") -> tuple[str, ...]:
        """The select entries that read a title, under a reference path (`organization.`)."""
        return tuple(prefix + slug for slug in self.title_slugs)

    @property
    def user_properties(self) -> tuple[PropertyDefinition, ...]:
        return tuple(p for p in self.properties if p.slug not in SYSTEM_SLUGS)


def _title_part(value: object) -> str:
    """One title property's value as text: text or a number; anything else is no title."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def _cache_key() -> str:
    return f"prism-schema:{settings.MICRO_BASE_URL}:{settings.MICRO_TEAM_ID}"


def schemas() -> dict[str, TypeSchema]:
    """Every object type's schema: one cached API call (or sampling where unavailable)."""
    key = _cache_key()
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        raw = client().properties.list_all()
        result = {t.segment: TypeSchema(t.segment, tuple(raw.get(t.segment, ()))) for t in OBJECT_TYPES}
    except NotFound:
        result = {t.segment: infer_schema(t.segment) for t in OBJECT_TYPES}
    cache.set(key, result, SCHEMA_TTL)
    return result


def schema(segment: str) -> TypeSchema:
    return schemas()[segment]


def infer_schema(segment: str) -> TypeSchema:
    page = client().service(segment).query(Query(limit=SAMPLE_ROWS))
    slugs: dict[str, list[object]] = {}
    for row in page.rows:
        for slug, value in row.properties.items():
            slugs.setdefault(slug, []).append(value)
    props = []
    for slug, values in slugs.items():
        ptype, multiple = infer_type(values)  # by the property types' own look of their values
        props.append(
            PropertyDefinition(
                slug=slug,
                name=slug.replace("_", " ").capitalize(),
                type=ptype,
                multiple=multiple,
                read_only=slug in SYSTEM_SLUGS,
            )
        )
    return TypeSchema(segment, tuple(props), inferred=True)
