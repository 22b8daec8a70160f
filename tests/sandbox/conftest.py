"""Helpers for the sandbox acceptance tests: records made over HTTP, events made in
the database (events are read-only over the API), and the contract's error checks."""

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone

from prism_sandbox.models import Record
from tests.conftest import assert_error  # noqa: F401  (shared with other tiers: the tier's modules import it from here)


def create(sandbox, object_type: str, key: str | None = None, headers=None, **props: Any) -> dict:
    """Create a record over HTTP and return its read shape (asserts 201)."""
    response = sandbox.request("POST", object_type, key=key, headers=headers, json={"default": props})
    assert response.status_code == 201, response.text
    return response.json()


def make_event(sandbox, created_at=None, **props: Any) -> Record:
    """Events are read-only over the API, so tests write them straight to the table."""
    extra = {"created_at": created_at, "updated_at": created_at} if created_at else {}
    return Record.objects.create(team_id=uuid.UUID(sandbox.team_id), segment="event", properties=props, **extra)


def query(sandbox, object_type: str, body: dict | None = None, **top: Any):
    return sandbox.request("POST", f"{object_type}/query", json={"query": body or {}, **top})


def ids_of(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["data"]]


def seed(sandbox, object_type: str, rows: list[dict], start=None) -> list[Record]:
    """Many records at once, straight to the table, one second apart (oldest first)."""
    start = start or timezone.now() - dt.timedelta(days=1)
    team = uuid.UUID(sandbox.team_id)
    records = [
        Record(
            team_id=team,
            segment=object_type,
            properties=props,
            created_at=start + dt.timedelta(seconds=i),
            updated_at=start + dt.timedelta(seconds=i),
        )
        for i, props in enumerate(rows)
    ]
    return Record.objects.bulk_create(records)


def sdk_as(sandbox, key: str):
    """The official micro-so SDK with another key (a member's), no retries."""
    from micro_so import Micro

    return Micro(api_key=key, base_url=sandbox.base_url, team_id=sandbox.team_id, max_retries=0)
