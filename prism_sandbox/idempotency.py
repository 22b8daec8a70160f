"""Idempotency-Key handling: a write with a known key replays its first response.

The key is claimed (state in_flight) in its own committed transaction, so a
concurrent request with the same key sees it and gets 409; the write and the
stored response then commit together, so a crash leaves either nothing done or
the response recorded. A claim older than settings.PRISM_SANDBOX
["IDEMPOTENCY_STALE_SECONDS"] (STALE_AFTER by default) is taken to be abandoned by
a process that died, and may be taken over.
"""

import datetime as dt
import hashlib
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from . import chaos
from .errors import ApiError, bad_request
from .models import ApiKey, IdempotencyEntry

STALE_AFTER = dt.timedelta(seconds=60)
REPLAYED_HEADERS = ("ETag", "Location", "Content-Type")


def stale_after() -> dt.timedelta:
    seconds = settings.PRISM_SANDBOX.get("IDEMPOTENCY_STALE_SECONDS")
    return STALE_AFTER if seconds is None else dt.timedelta(seconds=seconds)


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def validate_key(key: str) -> str:
    if not 1 <= len(key) <= 255:
        raise bad_request("Idempotency-Key must be 1 to 255 characters.", field="Idempotency-Key")
    return key


def _replay(entry: IdempotencyEntry) -> HttpResponse:
    response = HttpResponse(bytes(entry.body or b""), status=entry.status)
    for name, value in entry.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _claim(api_key: ApiKey, key: str, print_: str) -> IdempotencyEntry | HttpResponse:
    ttl = dt.timedelta(seconds=settings.PRISM_SANDBOX["IDEMPOTENCY_TTL_SECONDS"])
    now = timezone.now()
    for _ in range(3):
        with transaction.atomic():
            entry = IdempotencyEntry.objects.select_for_update().filter(api_key=api_key, key=key).first()
            if entry is None:
                try:
                    with transaction.atomic():
                        return IdempotencyEntry.objects.create(api_key=api_key, key=key, fingerprint=print_, created_at=now)
                except IntegrityError:
                    continue  # claimed meanwhile: read it again
            if now - entry.created_at > ttl:
                entry.delete()
                continue
            if entry.fingerprint != print_:
                raise ApiError(
                    409,
                    "idempotency_key_reused",
                    "This Idempotency-Key was used with a different request.",
                )
            if entry.state == IdempotencyEntry.State.COMPLETE:
                return _replay(entry)
            if now - entry.created_at < stale_after():
                raise ApiError(
                    409,
                    "idempotency_key_in_use",
                    "A request with this Idempotency-Key is still being processed.",
                )
            entry.created_at = now  # abandoned claim: take it over
            entry.save(update_fields=["created_at"])
            return entry
    raise ApiError(409, "idempotency_key_in_use", "A request with this Idempotency-Key is still being processed.")


def run_idempotent(api_key: ApiKey, key: str, method: str, path: str, body: bytes, handler: Callable[[], HttpResponse]) -> HttpResponse:
    claimed = _claim(api_key, validate_key(key), fingerprint(method, path, body))
    if isinstance(claimed, HttpResponse):
        return claimed
    entry = claimed
    chaos.slow_processing()
    try:
        with transaction.atomic():
            response = handler()
            if response.status_code >= 500 or response.status_code in (409, 429):
                # Worth retrying: forget the key so a retry runs again.
                entry.delete()
                return response
            entry.state = IdempotencyEntry.State.COMPLETE
            entry.status = response.status_code
            entry.body = response.content
            entry.headers = {h: response[h] for h in REPLAYED_HEADERS if h in response}
            entry.save(update_fields=["state", "status", "body", "headers"])
            return response
    except BaseException:
        IdempotencyEntry.objects.filter(pk=entry.pk, state=IdempotencyEntry.State.IN_FLIGHT).delete()
        raise
