"""Deny by default: the permissions a dashboard view can declare, and the check.

Every view declares what it needs on its class (routing.DashboardView);
`DenyByDefaultMiddleware` refuses any dashboard view that declares nothing, so a route
added without a decision is a 403, not an open page. Roles only narrow what the Prism
API allows (acting.py): a check here never lets anyone see more than their own key shows.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .roles import perm

logger = logging.getLogger(__name__)

PUBLIC = "public"  # the sign-in page
SIGNED_IN = "signed in"  # any signed-in person, with or without a role (their own profile, sign-out)
# The dashboard's own permissions (models.Access); roles are groups of these (roles.py).
VIEW = "view_records"
CHANGE = "change_records"
BULK = "bulk_change_records"
IMPORT = "import_records"
GRANTS = "manage_grants"
AUDIT = "view_audit"
DIRECTORY = "manage_directory"


def allowed(user, needs: str) -> bool:
    if needs == PUBLIC:
        return True
    if not user.is_authenticated:
        return False
    return needs == SIGNED_IN or user.has_perm(perm(needs))


class DenyByDefaultMiddleware:
    """Refuses dashboard views routed without a declared permission (after LoginRequiredMiddleware)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        module = getattr(view_func, "__module__", "") or ""
        if not module.startswith("dashboard.") or hasattr(view_func, "required_permission"):
            return None  # guarded, or not the dashboard's (admin, sandbox, Django's auth views)
        logger.error("View %s.%s has no permission declared: refused.", module, getattr(view_func, "__name__", "?"))
        raise PermissionDenied
