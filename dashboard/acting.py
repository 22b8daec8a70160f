"""Whom the dashboard acts for when it calls the Prism API.

In `per_person` mode every call made for a person (pages, htmx partials, exports, the
jobs they start) goes out with that person's own Micro API key, so the API enforces
Prism grants on them. The person is set per request by `ActingMiddleware` and per job
by `acting_as(job.user)`; `prism.client()` reads it. Their key is looked up and
decrypted only when a call is made, so pages that call nothing work without a key.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from . import key_vault


class NoPrismKey(Exception):
    """Per-person mode, and the person has no usable key: a page explains how to connect one."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "missing", "unreadable" or "nobody"


@dataclass(frozen=True)
class Actor:
    api_key: str | None  # None: the shared team key


def per_person() -> bool:
    return settings.PRISM_ACCESS == "per_person"


class _Acting:
    """The user a request or job acts for; their key is read once, when first needed."""

    def __init__(self, user) -> None:
        self.user = user
        self._actor: Actor | None = None

    def actor(self) -> Actor:
        if self._actor is None:
            self._actor = resolve(self.user)
        return self._actor


_current: contextvars.ContextVar[_Acting | None] = contextvars.ContextVar("prism_acting", default=None)


def resolve(user) -> Actor:
    """The key a user's calls go out with."""
    from .models import PrismKey

    if not per_person():
        return Actor(api_key=None)
    if user is None or not user.is_authenticated:
        raise NoPrismKey("nobody")
    try:
        stored = PrismKey.objects.get(user=user)
    except PrismKey.DoesNotExist:
        raise NoPrismKey("missing") from None
    try:
        return Actor(api_key=key_vault.decrypt(stored.token))
    except key_vault.VaultError:
        raise NoPrismKey("unreadable") from None


def current_actor() -> Actor:
    """Whom an API call made now is for. Outside any request or job (management
    commands, the schema warm-up) in shared mode: the team key."""
    acting = _current.get()
    if acting is None:
        if per_person():
            raise NoPrismKey("nobody")
        return Actor(api_key=None)
    return acting.actor()


@contextmanager
def acting_as(user) -> Iterator[None]:
    token = _current.set(_Acting(user))
    try:
        yield
    finally:
        _current.reset(token)


class ActingMiddleware:
    """Each request acts for its signed-in person (after AuthenticationMiddleware)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting_as(getattr(request, "user", None)):
            return self.get_response(request)
