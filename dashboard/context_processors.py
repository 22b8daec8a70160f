from django.conf import settings

from prism_client import OBJECT_TYPES

from . import time_zones
from .models import SavedView


def navigation(request) -> dict:
    """The sidebar: object types and the saved views this person can open."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    views = SavedView.objects.visible_to(request.user).select_related("owner")
    return {
        "nav_types": OBJECT_TYPES if request.user.has_perm("dashboard.view_records") else (),
        "nav_saved_views": views,
        "team_id": settings.MICRO_TEAM_ID,
        "team_name": team_name(),
        "using_sandbox": using_sandbox(),
        # Said to Admins on every page: in shared mode the API cannot tell people apart.
        "shared_access": settings.PRISM_ACCESS == "shared",
        # How often a page with a record open says so (presence.py).
        "presence_heartbeat": settings.PRESENCE_HEARTBEAT,
        # Until the person's zone is known, the page asks their browser for it (time_zone.js).
        "time_zone_unknown": not time_zones.zone_of(request),
    }


def using_sandbox() -> bool:
    return settings.MICRO_BASE_URL.rstrip("/").endswith("/sandbox")


def team_name() -> str:
    """The header's name for the team: MICRO_TEAM_NAME, else words rather than its UUID."""
    if settings.MICRO_TEAM_NAME:
        return settings.MICRO_TEAM_NAME
    if not settings.MICRO_TEAM_ID:
        return "No team configured"
    return "Sandbox team" if using_sandbox() else "Prism team"
