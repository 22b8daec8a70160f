"""Prism failures as sentences a person can act on: one mapping, used everywhere."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django_htmx.http import reswap, retarget

from prism_client import (
    APIConnectionError,
    BadRequest,
    CursorNotAdvancing,
    Forbidden,
    NotFound,
    PrismError,
    RateLimited,
    ServerError,
    Timeout,
    TooManyPages,
    Unauthorized,
)

from . import acting


def key_needed(request: HttpRequest, reason: str) -> HttpResponse:
    """Per-person mode without a usable key: how to connect one, not an error page."""
    if reason == "unreadable":
        sentence = "Your stored Prism key can no longer be read (the encryption keys changed). Connect it again to go on."
    else:
        sentence = "The dashboard acts as you in Prism, with your own API key, and you have not connected one yet."
    if getattr(request, "htmx", False):
        context = {"error": sentence, "retry_url": reverse("profile"), "retry_label": "Connect your key"}
        return reswap(retarget(render(request, "partials/error_banner.html", context), "#messages"), "innerHTML")
    return render(request, "key_needed.html", {"sentence": sentence, "reason": reason})


def describe(exc: PrismError) -> str:
    if isinstance(exc, Timeout):
        return "The Prism API took too long to answer. Try again in a moment."
    if isinstance(exc, APIConnectionError):
        return "The Prism API cannot be reached right now. Check the connection, then try again."
    if isinstance(exc, Unauthorized):
        if acting.per_person():
            return (
                "The Prism API did not accept your API key (it may have been revoked or mistyped). Connect a new one on your profile page."
            )
        return "The Prism API did not accept the dashboard's API key. An administrator needs to check MICRO_API_KEY."
    if isinstance(exc, Forbidden):
        if acting.per_person():
            return "Your Prism access does not allow this: you can see this record but not change it."
        return "The Prism API does not allow this with the dashboard's key."
    if isinstance(exc, NotFound):
        return "That record does not exist, or it was deleted."
    if isinstance(exc, RateLimited):
        wait = f" about {int(exc.retry_after)} seconds" if getattr(exc, "retry_after", None) else " a moment"
        return f"The Prism API is busy (too many requests). Try again in{wait}."
    if isinstance(exc, CursorNotAdvancing):
        if exc.reason in ("empty_page", "no_cursor"):
            return "The Prism API said more records followed but did not send them, so the rest could not be read."
        return "The Prism API sent the same page of records again instead of the next one, so the rest could not be read."
    if isinstance(exc, TooManyPages):
        return (
            f"There were more than {exc.pages:,} pages of records to read at once, "
            "so reading stopped there; narrow the filters and try again."
        )
    if isinstance(exc, ServerError):
        return "The Prism API had a problem answering. Try again in a moment."
    message = getattr(exc, "message", None) or str(exc)
    return f"The Prism API refused the request: {message}"


def status_for(exc: PrismError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, BadRequest):
        return 400  # the API refused what this request asked for: not an outage
    if isinstance(exc, Forbidden):
        return 403
    return 503


class PrismErrorMiddleware:
    """Any PrismError a view lets through becomes a page (or an htmx banner) with a sentence."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, acting.NoPrismKey):
            return key_needed(request, exc.reason)
        if not isinstance(exc, PrismError):
            return None
        context = {"error": describe(exc), "retry_url": request.get_full_path()}
        if getattr(request, "htmx", False):
            # htmx does not swap error statuses: answer 200 and put the banner in place.
            response = render(request, "partials/error_banner.html", context)
            return reswap(retarget(response, "#messages"), "innerHTML")
        return render(request, "error.html", context, status=status_for(exc))
