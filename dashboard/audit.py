"""Every write made through the dashboard leaves an AuditEntry: who, what, before, after, outcome."""

from typing import Any

from prism_client import APIError, PrismError

from . import acting
from .models import AuditEntry, DirectoryEntry


def log(
    user,
    action: str,
    segment: str,
    record_id: str = "",
    *,
    record_repr: str = "",
    before: Any = None,
    after: Any = None,
    outcome: str = AuditEntry.Outcome.OK,
    error: PrismError | None = None,
    message: str = "",
) -> AuditEntry:
    return AuditEntry.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        username=getattr(user, "username", "") or "",
        action=action,
        segment=segment,
        record_id=record_id or "",
        record_repr=str(record_repr or "")[:200],
        before=before,
        after=after,
        outcome=outcome,
        message=message or (str(getattr(error, "message", "") or error) if error else ""),
        request_id=(error.request_id or "") if isinstance(error, APIError) else "",
        prism_user_id=acting_identity(user),
    )


def acting_identity(user) -> str:
    """The Prism user whose key made the call: the person's own in per-person mode, none
    (the shared team key) otherwise."""
    if not acting.per_person() or not getattr(user, "is_authenticated", False):
        return ""
    return DirectoryEntry.objects.filter(user=user).values_list("external_id", flat=True).first() or ""


def last_change_by_others(segment: str, record_id: str, user, since) -> AuditEntry | None:
    """The newest successful write to a record by someone else since a moment, if we made it."""
    return (
        AuditEntry.objects.filter(segment=segment, record_id=record_id, outcome=AuditEntry.Outcome.OK, created_at__gt=since)
        .exclude(user=user)
        .first()
    )
