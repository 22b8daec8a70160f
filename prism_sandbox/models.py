"""Sandbox storage: teams, API keys, property schemas, records and idempotency keys.

All records of every type live in one table with a JSON `properties` column.
Expression indexes on the JSON paths of the schemas' indexed properties keep
equality, range and sort fast at a million records (see expressions.py).
"""

import hashlib
import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .expressions import index_expression
from .object_types import DEFAULT_SCHEMAS, INDEXED_PROPERTIES


def hash_key(raw_key: str) -> str:
    # API keys are long random strings, so one round of SHA-256 is enough to keep
    # them out of the database in the clear.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class Team(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name or str(self.id)


class ApiKey(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Team admin"
        MEMBER = "member", "Member"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="api_keys")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16, help_text="The key's first characters, to recognise it.")
    label = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.ADMIN)
    user_id = models.UUIDField(default=uuid.uuid4)
    group_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class PropertyDefinition(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="properties")
    segment = models.CharField(max_length=20)
    slug = models.CharField(max_length=63)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20)
    options = models.JSONField(default=list, blank=True)
    target = models.CharField(max_length=20, blank=True)
    multiple = models.BooleanField(default=False)
    required = models.BooleanField(default=False)
    read_only = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "segment", "slug"], name="sandbox_property_unique_slug"),
        ]
        ordering = ["team", "segment", "position"]

    def __str__(self) -> str:
        return f"{self.segment}.{self.slug}"


def _kind_of(slug: str) -> str:
    kinds = {p["type"] for props in DEFAULT_SCHEMAS.values() for p in props if p["slug"] == slug}
    if len(kinds) != 1:
        raise ValueError(f"indexed slug {slug!r} has several types {kinds}; index expressions need one")
    return kinds.pop()


_LIVE = Q(deleted_at__isnull=True)
_INDEXED_SLUGS = sorted({slug for _, slug in INDEXED_PROPERTIES})


class Record(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)
    segment = models.CharField(max_length=20)
    properties = models.JSONField(default=dict)
    list_values = models.JSONField(default=dict, blank=True)
    revision = models.PositiveIntegerField(default=1)
    source = models.CharField(max_length=40, default="api")
    is_user_object = models.BooleanField(default=False)
    grant = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Default order (created_at desc, id desc) of live records.
            models.Index(F("team"), F("segment"), F("created_at"), F("id"), name="rec_default_order", condition=_LIVE),
            # Everything, deleted included (trash views, lookups by id).
            models.Index(F("team"), F("segment"), F("deleted_at"), name="rec_deleted"),
            models.Index(F("team"), F("segment"), F("updated_at"), F("id"), name="rec_updated", condition=_LIVE),
        ] + [
            models.Index(
                F("team"),
                F("segment"),
                index_expression(slug, _kind_of(slug)),
                F("created_at"),
                F("id"),
                name=f"rec_p_{slug}"[:30],
                condition=_LIVE,
            )
            for slug in _INDEXED_SLUGS
        ]

    def __str__(self) -> str:
        return f"{self.segment} {self.id}"

    @property
    def etag(self) -> str:
        return f'"{self.revision}"'


class IdempotencyEntry(models.Model):
    class State(models.TextChoices):
        IN_FLIGHT = "in_flight"
        COMPLETE = "complete"

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.IN_FLIGHT)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.BinaryField(null=True)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="sandbox_idempotency_unique_key"),
        ]

    def __str__(self) -> str:
        return f"Idempotency-Key {self.key} ({self.state})"


class ImportJob(models.Model):
    """An asynchronous import: its input, progress counters and per-row results."""

    class Status(models.TextChoices):
        PROCESSING = "processing"
        COMPLETE = "complete"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    api_key = models.ForeignKey(ApiKey, null=True, on_delete=models.SET_NULL, related_name="+")
    segment = models.CharField(max_length=20)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROCESSING)
    total = models.PositiveIntegerField()
    processed = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    objects_json = models.JSONField(default=list, help_text="The rows to import; emptied once done.")
    options = models.JSONField(default=dict)
    results = models.JSONField(default=list)
    error = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"import {self.id} ({self.status})"
