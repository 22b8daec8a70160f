"""Deny by default: every dashboard view declares what it needs, in dashboard/urls.py.

`guard(needs, view)` wraps a view with its check; `DenyByDefaultMiddleware` refuses any
dashboard view that declares nothing, so a route added without a decision is a 403,
not an open page. Roles only narrow what the Prism API allows (acting.py): a check
here never lets anyone see more than their own key shows.
"""

import logging
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .roles import perm

logger = logging.getLogger(__name__)

PUBLIC = "public"  # the sign-in page
SIGNED_IN = "signed in"  # any signed-in person, with or without a role (their own profile, sign-out)


def allowed(user, needs: str) -> bool:
    if needs == PUBLIC:
        return True
    if not user.is_authenticated:
        return False
    return needs == SIGNED_IN or user.has_perm(perm(needs))


def guard(needs: str, view):
    """The view, callable only by people who hold `needs` (a dashboard permission codename,
    SIGNED_IN or PUBLIC). Class-based views are passed as classes."""
    if isinstance(view, type):
        view = view.as_view()

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not allowed(request.user, needs):
            raise PermissionDenied  # Django's 403 page (templates/403.html), logged in one line
        return view(request, *args, **kwargs)

    guarded.required_permission = needs
    if needs == PUBLIC:
        guarded.login_required = False  # LoginRequiredMiddleware lets it through
    return guarded


class DenyByDefaultMiddleware:
    """Refuses dashboard views that were routed without `guard` (after LoginRequiredMiddleware)."""

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
