"""The client: configuration, one pooled ``requests.Session``, and the retry loop.

Every call goes through :meth:`PrismClient.request`, which adds the API key, an
``Idempotency-Key`` for writes (created once, before the first attempt, so every
retry resends it) and turns error responses into :mod:`prism_client.errors`.
"""

from __future__ import annotations

import copy
import ipaddress
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import requests

from .deadline import WatchedAdapter, watched
from .errors import (
    APIConnectionError,
    APIError,
    ConfigurationError,
    DeadlineExceeded,
    PrismError,
    RedirectRefused,
    Timeout,
    error_from_response,
)
from .object_types import OBJECT_TYPES, object_type
from .resources import ImportService, PropertyService, RecordService, quote_segment
from .retry import RetryPolicy, backoff_delay, is_replayable, parse_retry_after, should_retry

logger = logging.getLogger("prism_client")

DEFAULT_BASE_URL = "https://developers.micro.so"
# (connect, read) seconds: fail fast on a dead host, allow slow queries.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
DEFAULT_POOL_SIZE = 10

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT"})
# Transport failures worth another attempt; anything else (a malformed URL, say)
# would fail the same way again.
TRANSIENT_ERRORS: tuple[type[requests.RequestException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)

Params = Mapping[str, str | list[str]]


@dataclass(frozen=True, slots=True)
class Reply:
    """A successful response: status, headers (lower-cased names) and parsed JSON."""

    status: int
    headers: Mapping[str, str]
    data: object


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed attempt: the error to raise and what the retry decision needs."""

    error: PrismError
    status: int | None
    headers: Mapping[str, str]
    cause: BaseException | None
    # False for transport errors that would fail the same way again.
    transient: bool = True


def new_idempotency_key() -> str:
    return f"prism-client-{uuid.uuid4()}"


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, the default port filled in: what a redirect may not change."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or {"https": 443, "http": 80}.get(scheme)


def check_base_url(url: str) -> None:
    """The API key travels in every request: https only, or plain http to this very machine."""
    try:
        scheme, host, _ = origin(url)
    except ValueError as exc:  # a port that is not a number, a broken [IPv6] host
        raise ConfigurationError(f"the base URL {url!r} is not a URL: {exc}") from None
    if scheme == "https" and host:
        return
    if scheme == "http" and _is_loopback(host):
        return
    raise ConfigurationError(
        f"the base URL {url!r} must start with https:// (plain http:// only to a loopback address such as 127.0.0.1): "
        "the API key is sent with every request"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _RedirectToOtherOrigin(requests.RequestException):
    """Raised inside requests' redirect loop, before the next request is sent."""


class _SameOriginSession(requests.Session):
    """A session that follows a redirect only within the origin it was sent to: every request
    carries x-api-key, which requests itself strips only from Authorization headers."""

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        target = prepared_request.url or ""
        if origin(target) != origin(response.request.url or ""):
            raise _RedirectToOtherOrigin(target)
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]  # (untyped in types-requests)


class PrismClient:
    """A typed client for one Prism team.

    Arguments fall back to ``MICRO_BASE_URL``, ``MICRO_API_KEY`` and ``MICRO_TEAM_ID``
    (the official SDK's names). Use it as a context manager, or call :meth:`close`.

    ``timeout`` bounds each connect and each socket read; ``deadline`` (seconds, off when
    None) bounds one whole call: every attempt and the waits between them together. When
    it passes, the call raises :class:`DeadlineExceeded` (a :class:`Timeout`).
    """

    contacts: RecordService
    organizations: RecordService
    identities: RecordService
    deals: RecordService
    actions: RecordService
    documents: RecordService
    events: RecordService

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        team_id: str | None = None,
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        pool_maxsize: int = DEFAULT_POOL_SIZE,
        user_agent: str = "prism-client",
        deadline: float | None = None,
    ) -> None:
        base_url = base_url or os.environ.get("MICRO_BASE_URL") or DEFAULT_BASE_URL
        api_key = api_key or os.environ.get("MICRO_API_KEY")
        team_id = team_id or os.environ.get("MICRO_TEAM_ID")
        if not api_key:
            raise ConfigurationError("no API key: pass api_key or set MICRO_API_KEY")
        if not team_id:
            raise ConfigurationError("no team id: pass team_id or set MICRO_TEAM_ID")
        check_base_url(base_url)
        if deadline is not None and not deadline > 0:
            raise ConfigurationError(f"the deadline must be a positive number of seconds, not {deadline!r}")
        self.deadline = deadline
        self.base_url = base_url.rstrip("/")
        self.team_id = team_id
        # Private and sent per request (not in session.headers), so neither repr,
        # logs nor a printed session shows it.
        self.__api_key = api_key
        self.timeout = timeout
        policy = retry_policy or RetryPolicy()
        if max_retries is not None:
            policy = replace(policy, max_retries=max_retries)
        self.retry_policy = policy
        self.sleep: Callable[[float], None] = time.sleep
        self.clock: Callable[[], float] = time.monotonic
        self._prefix = f"{self.base_url}/v2/prism/{quote_segment(team_id)}/"

        self._session = _SameOriginSession()
        # Retries are ours (they need the idempotency key and x-should-retry), so
        # the adapter itself never retries. Its connections can be cut at the deadline.
        adapter = WatchedAdapter(pool_connections=pool_maxsize, pool_maxsize=pool_maxsize, max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._session.headers.update({"Accept": "application/json", "User-Agent": user_agent})

        self._owns_session = True
        self._build_services()

    def _build_services(self) -> None:
        # One service per object type, generated from the table.
        self.services: dict[str, RecordService] = {}
        for t in OBJECT_TYPES:
            service = RecordService(self, t)
            self.services[t.segment] = service
            setattr(self, t.attr, service)
        self.imports = ImportService(self)
        self.properties = PropertyService(self)

    def with_api_key(self, api_key: str) -> PrismClient:
        """This client acting with another key (a person's own), sharing its settings and
        connection pool. Closing the copy closes nothing; close the original."""
        if not api_key:
            raise ConfigurationError("no API key: with_api_key needs one")
        clone = copy.copy(self)
        clone.__api_key = api_key
        clone._owns_session = False
        clone._build_services()
        return clone

    def service(self, segment: str) -> RecordService:
        """The service for an object type's path segment, e.g. ``"contact"``."""
        return self.services[object_type(segment).segment]

    def __repr__(self) -> str:
        return f"PrismClient(base_url={self.base_url!r}, team_id={self.team_id!r})"

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: object = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        read_only: bool = False,
    ) -> Reply:
        """Send one API call (with retries) and return the parsed reply.

        ``path`` is relative to ``/v2/prism/{teamId}/``. ``read_only`` marks a POST
        that only reads (``/query``): it gets no idempotency key and is retried
        like a GET.
        """
        method = method.upper()
        url = self._prefix + path.lstrip("/")
        sent = dict(headers or {})
        if method in WRITE_METHODS and not read_only:
            # Before the first attempt, so every retry carries the same key; a
            # caller's key wins.
            sent.setdefault("Idempotency-Key", idempotency_key or new_idempotency_key())
        replayable = read_only or is_replayable(method, has_idempotency_key="Idempotency-Key" in sent)
        sent["x-api-key"] = self.__api_key

        ends = None if self.deadline is None else self.clock() + self.deadline
        retries_done = 0
        while True:
            outcome = self._send_once(method, url, path, params, json, sent, retries_done, ends)
            if isinstance(outcome, Reply):
                return outcome
            retry_after = parse_retry_after(outcome.headers)
            if not outcome.transient or not should_retry(
                replayable=replayable,
                retries_done=retries_done,
                max_retries=self.retry_policy.max_retries,
                status=outcome.status,
                should_retry_header=outcome.headers.get("x-should-retry"),
                retry_after=retry_after,
                max_retry_after=self.retry_policy.max_retry_after,
            ):
                raise outcome.error from outcome.cause
            delay = backoff_delay(retries_done, self.retry_policy, retry_after=retry_after)
            if ends is not None and self.clock() + delay >= ends:
                # The next attempt could not even start in time: this failure is the answer.
                raise outcome.error from outcome.cause
            # The idempotency key is logged (never the API key) to trace replays.
            logger.info(
                "retrying %s %s in %.2f s (idempotency key %s) after: %s",
                method,
                path,
                delay,
                sent.get("Idempotency-Key", "-"),
                outcome.error.message,
            )
            self.sleep(delay)
            retries_done += 1

    def _send_once(
        self,
        method: str,
        url: str,
        path: str,
        params: Params | None,
        json: object,
        headers: Mapping[str, str],
        retries_done: int,
        ends: float | None,
    ) -> Reply | Failure:
        """One attempt; with a deadline, watched so that it ends by then whatever the server does."""
        if ends is None:
            return self._exchange(method, url, path, params, json, headers, retries_done, self.timeout)
        left = ends - self.clock()
        if left <= 0:
            return self._out_of_time(method, path, None)
        timeouts = _within(self.timeout, left)
        with watched(left) as attempt:
            try:
                outcome = self._exchange(method, url, path, params, json, headers, retries_done, timeouts)
            except APIError as exc:  # a body cut short at the deadline does not parse
                if not attempt.expired:
                    raise
                return self._out_of_time(method, path, exc)
        if attempt.expired:
            return self._out_of_time(method, path, outcome.cause if isinstance(outcome, Failure) else None)
        if isinstance(outcome, Failure) and _timed_out_at_the_deadline(outcome.cause, timeouts, left):
            return self._out_of_time(method, path, outcome.cause)
        return outcome

    def _out_of_time(self, method: str, path: str, cause: BaseException | None) -> Failure:
        error = DeadlineExceeded(f"{self.base_url} did not answer {method} {path} within the client's {self.deadline:g} s deadline")
        return Failure(error, None, {}, cause, transient=False)

    def _exchange(
        self,
        method: str,
        url: str,
        path: str,
        params: Params | None,
        json: object,
        headers: Mapping[str, str],
        retries_done: int,
        timeout: float | tuple[float, float],
    ) -> Reply | Failure:
        started = time.perf_counter()
        try:
            response = self._session.request(method, url, params=params, json=json, headers=headers, timeout=timeout)
        except _RedirectToOtherOrigin as exc:
            refused = RedirectRefused(
                f"{method} {path}: the API redirected to {exc}, another origin than {self.base_url}; "
                "not followed, since the request carries the API key"
            )
            return Failure(refused, None, {}, None, transient=False)
        except requests.RequestException as exc:
            return Failure(self._transport_error(exc), None, {}, exc, transient=isinstance(exc, TRANSIENT_ERRORS))
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.debug("%s %s -> %d in %.0f ms (try %d)", method, path, response.status_code, elapsed_ms, retries_done + 1)
        response_headers = _lower(response.headers)
        if response.status_code < 400:
            return Reply(response.status_code, response_headers, self._parse(response))
        error = error_from_response(
            response.status_code, response.content, response_headers, reason=response.reason or "", secret=self.__api_key
        )
        return Failure(error, response.status_code, response_headers, None)

    def _transport_error(self, exc: requests.RequestException) -> APIConnectionError:
        # The message names the server, never the request's headers.
        detail = str(exc).replace(self.__api_key, "***")
        if isinstance(exc, requests.Timeout):
            return Timeout(f"{self.base_url} did not answer in time: {detail}")
        return APIConnectionError(f"could not reach {self.base_url}: {detail}")

    def _parse(self, response: requests.Response) -> object:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise APIError(
                "the response body is not JSON",
                status=response.status_code,
                code="invalid_response",
                request_id=response.headers.get("x-request-id"),
                headers=_lower(response.headers),
                body=response.text[:200],
            ) from None


def _within(timeout: float | tuple[float, float], left: float) -> tuple[float, float]:
    """(connect, read) timeouts of one attempt, neither above the time left before the deadline."""
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return min(connect, left), min(read, left)


def _timed_out_at_the_deadline(cause: BaseException | None, timeouts: tuple[float, float], left: float) -> bool:
    """Whether the socket timeout that ended an attempt was the one cut to the time left, so
    that the deadline ended it. That timeout can go off a moment before the watchdog marks
    the attempt expired (on a loaded machine its thread wakes late)."""
    connect, read = timeouts
    if isinstance(cause, requests.ConnectTimeout):
        return connect >= left
    if isinstance(cause, requests.ReadTimeout):
        return read >= left
    return False


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}
