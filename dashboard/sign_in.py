"""Password guessing, slowed down on every sign-in form (the dashboard's and Django admin's) by django-axes.

Failures count per username and client address together: one address's failures never
lock out the other people behind it (an office, a proxy), and the failures of one
person never lock anyone else out of their account. After AXES_FAILURE_LIMIT failures,
each further attempt waits after the last failure: 1 minute, then 2, 4, 8… up to
LOGIN_MAX_WAIT. The failures are forgotten LOGIN_FAILURE_MEMORY after the last one, or
at a successful sign-in. The client address is the one ipware reads with the
trusted-proxy settings (TRUSTED_PROXY_COUNT), never a header a client can just send.

Attempts live in the database (axes' AccessAttempt), so every instance sees them.
"""

import datetime as dt
import math

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone


def delay(failures: int) -> dt.timedelta:
    """The wait after the last of `failures` failures: none below the limit, then doubling."""
    if failures < settings.AXES_FAILURE_LIMIT:
        return dt.timedelta(0)
    first, longest = settings.LOGIN_FIRST_WAIT, settings.LOGIN_MAX_WAIT
    return min(first * 2 ** min(failures - settings.AXES_FAILURE_LIMIT, 32), longest)


def remembered(request: HttpRequest, credentials: dict | None = None) -> tuple[int, dt.datetime | None]:
    """(failures, time of the last one) of this request's username and address still remembered.

    Summed over axes' records, which it keeps per user agent too: changing one's
    User-Agent starts no fresh count.
    """
    AxesProxyHandler.update_request(request)
    since = timezone.now() - settings.LOGIN_FAILURE_MEMORY
    best: tuple[int, dt.datetime | None] = (0, None)
    for attempts in AxesProxyHandler.get_implementation().filter_user_attempts(request, credentials):
        seen = attempts.filter(attempt_time__gt=since).aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        if (seen["failures"] or 0) > best[0]:
            best = (seen["failures"], seen["last"])
    return best


def cool_off(request: HttpRequest | None) -> dt.timedelta:
    """AXES_COOLOFF_TIME: how long this username and address wait after their last failure."""
    return delay(remembered(request)[0]) if request is not None else settings.LOGIN_FIRST_WAIT


def wait_left(request: HttpRequest, credentials: dict | None = None) -> dt.timedelta:
    failures, last = remembered(request, credentials)
    return _left(failures, last)


def _left(failures: int, last: dt.datetime | None) -> dt.timedelta:
    if last is None:
        return dt.timedelta(0)
    return max(last + delay(failures) - timezone.now(), dt.timedelta(0))


class SignInThrottle(AxesDatabaseHandler):
    """axes' database handler, with the growing wait: a username and address are held back
    while the wait after their last failure runs, and their failures are remembered for
    LOGIN_FAILURE_MEMORY (axes would forget them when a wait ends, so it could never grow)."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        failures, last = remembered(request, credentials)
        return failures if _left(failures, last) else 0  # compared with AXES_FAILURE_LIMIT

    def clean_expired_user_attempts(self, request=None, credentials: dict | None = None) -> int:
        count, _ = AccessAttempt.objects.filter(attempt_time__lte=timezone.now() - settings.LOGIN_FAILURE_MEMORY).delete()
        return count


def in_words(wait: dt.timedelta) -> str:
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def lockout_message(request: HttpRequest, credentials: dict | None = None) -> str:
    return (
        f"Too many failed sign-ins for this username from your address. Try again in {in_words(wait_left(request, credentials))}; "
        "each further failed attempt doubles the wait."
    )


def locked_out(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the same sign-in page (the dashboard's or the admin's), the sentence
    in place of "wrong password", answered 429."""
    message = lockout_message(request, credentials)
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    if original_response is None or form is None:
        return HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    form.errors.clear()
    form.add_error(None, message)
    # Rendered here: a response made in a middleware is not rendered by Django.
    return TemplateResponse(request, original_response.template_name, context, status=429).render()
