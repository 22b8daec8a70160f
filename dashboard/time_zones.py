"""Each person's time zone: detected once by their browser, kept in their profile, and
activated for each of their requests, so every date and time reads in their own zone."""

import zoneinfo
from functools import cache

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import Profile

# The zone is read from the profile once per session, not on every request.
SESSION_KEY = "time_zone"


@cache
def zones() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted (the profile page's choices)."""
    return tuple(sorted(zoneinfo.available_timezones()))


def is_zone(name: str) -> bool:
    return name in zones()


def zone_of(request: HttpRequest) -> str:
    """The person's zone ("" when not known yet), from the session or else their profile."""
    session = request.session
    if SESSION_KEY not in session:
        session[SESSION_KEY] = Profile.objects.filter(user=request.user).values_list("time_zone", flat=True).first() or ""
    return session[SESSION_KEY]


def remember(request: HttpRequest, name: str, *, detected: bool = False) -> bool:
    """Keep `name` as the person's zone; a detected zone never replaces one already kept
    (a zone chosen on the profile page, or detected before). Whether it was kept."""
    if not is_zone(name):
        return False
    profile, _ = Profile.objects.get_or_create(user=request.user)
    if detected and profile.time_zone:
        request.session[SESSION_KEY] = profile.time_zone
        return False
    profile.time_zone = name
    profile.save(update_fields=["time_zone"])
    request.session[SESSION_KEY] = name
    return True


class TimeZoneMiddleware:
    """Activates the signed-in person's zone for the request (UTC until it is known)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        name = zone_of(request) if user is not None and user.is_authenticated else ""
        if name and is_zone(name):
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
