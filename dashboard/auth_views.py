"""Sign-in and password pages: Django's views. Password guessing is slowed by django-axes
(dashboard/sign_in.py); password reset exists only when email is configured, and is throttled."""

import hashlib

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import views
from django.core.cache import cache
from django.http import Http404, HttpResponse

from .permissions import PUBLIC, SIGNED_IN
from .routing import DashboardView

RESET_WINDOW = 60 * 60


class SignIn(DashboardView, views.LoginView):
    route = "accounts/login/"
    url_name = "login"
    permission = PUBLIC

    def get_context_data(self, **kwargs) -> dict:
        return {**super().get_context_data(**kwargs), "password_reset": settings.PASSWORD_RESET_ENABLED}


class SignOut(DashboardView, views.LogoutView):
    route = "accounts/logout/"
    url_name = "logout"
    permission = SIGNED_IN


class PasswordChange(DashboardView, views.PasswordChangeView):
    route = "accounts/password_change/"
    url_name = "password_change"
    permission = SIGNED_IN


class PasswordChangeDone(DashboardView, views.PasswordChangeDoneView):
    route = "accounts/password_change/done/"
    url_name = "password_change_done"
    permission = SIGNED_IN


class ResetPage(DashboardView):
    """A password reset page, or a 404 while the dashboard cannot send email (no EMAIL_URL)."""

    permission = PUBLIC

    def prepare(self, **kwargs) -> None:
        if not settings.PASSWORD_RESET_ENABLED:
            raise Http404("Password reset is off: no email is configured.")


def _count(key: str) -> int:
    """One more request under `key` within the window; the count so far."""
    if cache.add(key, 1, RESET_WINDOW):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RESET_WINDOW)
        return 1


class PasswordReset(ResetPage, views.PasswordResetView):
    """At most PASSWORD_RESET_LIMIT reset emails an hour per client address and per email
    address asked for (counted whether or not an account has it, so the answer tells nothing)."""

    route = "accounts/password_reset/"
    url_name = "password_reset"

    def form_valid(self, form) -> HttpResponse:
        email = hashlib.sha256(form.cleaned_data["email"].strip().lower().encode()).hexdigest()
        keys = (f"password-reset:address:{get_client_ip_address(self.request)}", f"password-reset:email:{email}")
        if max(_count(key) for key in keys) > settings.PASSWORD_RESET_LIMIT:
            form.add_error("email", "Too many password reset requests. Try again in an hour.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class PasswordResetDone(ResetPage, views.PasswordResetDoneView):
    route = "accounts/password_reset/done/"
    url_name = "password_reset_done"


class PasswordResetConfirm(ResetPage, views.PasswordResetConfirmView):
    route = "accounts/reset/<uidb64>/<token>/"
    url_name = "password_reset_confirm"


class PasswordResetComplete(ResetPage, views.PasswordResetCompleteView):
    route = "accounts/reset/done/"
    url_name = "password_reset_complete"
