"""One error tree for everything the client raises, and the one mapping to it.

Shaped after stripe-python's ``_error.py``: the base carries what a caller needs to
explain the failure (status, code, message, details, request id); each contract
status has its own subclass. Names avoid the builtins (no ``PermissionError``,
``ConnectionError`` or ``TimeoutError``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Literal

from .records import ImportJob, Record, as_mapping
from .retry import parse_retry_after

# Response headers worth keeping on an error; never request headers, which hold
# the API key.
_KEPT_HEADERS = ("x-request-id", "retry-after", "etag", "x-should-retry", "content-type")


class PrismError(Exception):
    """Base of every error raised by prism_client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(PrismError):
    """The client is missing its base URL, API key or team id."""


class RedirectRefused(PrismError):
    """The API answered with a redirect to another origin; it is not followed, since the
    request carries the API key. Not retried: the same request would be redirected again."""


class InvalidQuery(PrismError, ValueError):
    """A query or filter was rejected before sending (bad operator, value or limit)."""


class OperationNotSupported(PrismError):
    """The object type does not offer this operation (writes on events, grants on contacts)."""


class ImportNotFinished(PrismError):
    """Waiting for an import gave up; ``job`` is the last snapshot seen."""

    def __init__(self, message: str, job: ImportJob) -> None:
        super().__init__(message)
        self.job = job


class PagingError(PrismError):
    """Following the API's pages had to stop before their end; ``pages``: pages read by then."""

    def __init__(self, message: str, *, pages: int) -> None:
        super().__init__(message)
        self.pages = pages


NotAdvancingReason = Literal["repeated_page", "same_cursor", "empty_page", "no_cursor"]


class CursorNotAdvancing(PagingError):
    """The API's pages do not move on: a page repeating the previous page's ids, a cursor
    already followed, or ``has_more`` with no rows or no cursor. Following on would never end.
    ``reason`` says which, so a caller can word it for a person."""

    def __init__(self, message: str, *, pages: int, reason: NotAdvancingReason) -> None:
        super().__init__(message, pages=pages)
        self.reason: NotAdvancingReason = reason


class TooManyPages(PagingError):
    """A walk over pages reached its ``max_pages``: the last bound on an API that never says it is done."""


class APIConnectionError(PrismError):
    """No HTTP response: DNS, refused connection, reset, TLS. Safe to retry."""

    should_retry = True


class Timeout(APIConnectionError):
    """The server did not answer in time (connect or read timeout)."""


class DeadlineExceeded(Timeout):
    """The call did not end within the client's ``deadline``: every attempt, its connect
    and reads, and the waits between attempts together. Not retried: the time is up."""


class APIError(PrismError):
    """The server answered with an error status (or an unreadable body)."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        details: Mapping[str, object] | None = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: object = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.details: Mapping[str, object] = details or {}
        self.request_id = request_id
        self.headers: Mapping[str, str] = headers or {}
        self.body = body

    def __str__(self) -> str:
        label = f"{self.status} {self.code}" if self.code else str(self.status)
        suffix = f" (request id {self.request_id})" if self.request_id else ""
        return f"{label}: {self.message}{suffix}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r}, request_id={self.request_id!r})"
        )


class BadRequest(APIError):
    """400: malformed request, unknown operator, bad cursor, limit above the cap."""


class Unauthorized(APIError):
    """401: the API key is missing or unknown."""


class Forbidden(APIError):
    """403: the key may not do this (another team's path, no write access)."""


class NotFound(APIError):
    """404: no such record (or not readable), or no such endpoint."""


class MethodNotAllowed(APIError):
    """405: e.g. a write on a read-only object type."""


class Conflict(APIError):
    """409: several matches for find/upsert, or an idempotency key clash."""


class PreconditionFailed(APIError):
    """412: ``If-Match`` did not match. ``current``/``etag``: the server's record, when sent."""

    @property
    def etag(self) -> str | None:
        etag = self.details.get("etag")
        return etag if isinstance(etag, str) else None

    @property
    def current(self) -> Record | None:
        current = self.details.get("current")
        return Record.from_wire(current, self.etag) if isinstance(current, dict) else None


class TooManyItems(APIError):
    """413: a batch above 100 items or an import above 10,000 rows."""


class ValidationError(APIError):
    """422: unknown slug, wrong type or unknown option."""

    @property
    def field_errors(self) -> dict[str, str]:
        """Slug -> message for the offending properties."""
        return field_errors(self.details)


class RateLimited(APIError):
    """429: slow down."""

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked us to wait, when it said."""
        return parse_retry_after(self.headers)


class ServerError(APIError):
    """5xx: the server failed. Retried automatically where safe."""


ERRORS_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    412: PreconditionFailed,
    413: TooManyItems,
    422: ValidationError,
    429: RateLimited,
}


def field_errors(details: Mapping[str, object]) -> dict[str, str]:
    """Slug -> message from a 422's details, whichever of the usual shapes it has.

    Accepts ``{"fields": {slug: msg}}``, ``{"errors": [{"slug"|"field", "message"}]}``
    or a flat ``{slug: msg | [msgs]}``.
    """
    fields = details.get("fields")
    if isinstance(fields, dict):
        return {str(k): _text(v) for k, v in fields.items()}
    errors = details.get("errors")
    if isinstance(errors, list):
        found: dict[str, str] = {}
        for item in errors:
            entry = as_mapping(item)
            slug = entry.get("slug", entry.get("field"))
            if isinstance(slug, str):
                found[slug] = _text(entry.get("message", ""))
        return found
    return {k: _text(v) for k, v in details.items() if isinstance(v, (str, list))}


def _text(value: object) -> str:
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return str(value.get("message", value))
    return str(value)


def error_from_response(
    status: int,
    body: bytes | str,
    headers: Mapping[str, str],
    *,
    reason: str = "",
    secret: str | None = None,
) -> APIError:
    """The exception for an error response; never fails, whatever the body.

    ``secret`` (the API key) is scrubbed from the message and body in case a server
    echoes it back.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if secret:
        text = text.replace(secret, "***")
    parsed: object
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    code, message, details = _error_fields(parsed)
    if message is None:
        # Foreign or non-JSON body (a proxy's HTML page, say): keep a short excerpt.
        message = text.strip()[:200] or reason or "HTTP error"
    lowered = {k.lower(): v for k, v in headers.items()}
    kept = {k: lowered[k] for k in _KEPT_HEADERS if k in lowered}
    cls = ERRORS_BY_STATUS.get(status, ServerError if status >= 500 else APIError)
    return cls(
        message,
        status=status,
        code=code,
        details=details,
        request_id=lowered.get("x-request-id"),
        headers=kept,
        body=parsed if parsed is not None else text,
    )


def _error_fields(parsed: object) -> tuple[str | None, str | None, dict[str, object]]:
    """(code, message, details) from the contract's shape or a few common others."""
    body = as_mapping(parsed)
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        message = error.get("message")
        return (
            code if isinstance(code, str) else None,
            message if isinstance(message, str) else None,
            as_mapping(error.get("details")),
        )
    code = body.get("code")
    message = next(
        (v for v in (error, body.get("message"), body.get("detail")) if isinstance(v, str)),
        None,
    )
    return code if isinstance(code, str) else None, message, as_mapping(body.get("details"))
