"""Fault injection and rate limiting for the sandbox API, for reliability tests.

Both are off by default and apply only to API paths (/sandbox/v2/…), never to the
dashboard's own pages. Chaos is read from settings.PRISM_SANDBOX_CHAOS (itself
from the PRISM_SANDBOX_CHAOS environment variable, JSON) and can be changed while
the server runs with `configure(...)` — tests in the same process use that.

- latency_ms: added to every API request
- error_rate + error_status: that share of requests answer 500, 503 or 429
  (with Retry-After) before anything is done
- error_mix: several statuses at once, {status: share}, e.g. {503: 0.2, 429: 0.05}
  (adds to error_rate + error_status; the shares sum to at most 1)
- processing_ms: added to a keyed write after its Idempotency-Key is claimed and
  before it runs (prism_sandbox.idempotency), so a process that dies meanwhile
  leaves the claim in flight
- drop_rate: that share of requests are processed, then the connection is cut
  mid-response: the client sees a broken connection although the write happened,
  which is what idempotency keys are for

Tests in the same process can also read which API requests arrived
(`request_log()`, `clear_request_log()`: method, path, status and when), e.g. to count the
calls one page makes, and how many of them went out one after another (`sequential_rounds()`).
"""

import hashlib
import random
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field, fields, replace
from typing import NamedTuple

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse

API_PREFIX = "/sandbox/v2/"
INJECTED_CODES = {500: "internal_error", 502: "bad_gateway", 503: "service_unavailable", 504: "gateway_timeout"}
INJECTABLE = (*INJECTED_CODES, 429)


@dataclass(frozen=True)
class Chaos:
    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    retry_after: int = 1
    drop_rate: float = 0.0
    seed: int | None = None
    error_mix: dict[int, float] = field(default_factory=dict)
    processing_ms: int = 0

    def __post_init__(self) -> None:
        if self.error_status not in INJECTABLE:
            raise ValueError("error_status must be 429 or a 5xx status")
        if not (0 <= self.error_rate <= 1 and 0 <= self.drop_rate <= 1):
            raise ValueError("rates are between 0 and 1")
        try:  # JSON (the environment) has string keys: {"503": 0.2}
            mix = {int(status): float(rate) for status, rate in dict(self.error_mix).items()}
        except (TypeError, ValueError):
            raise ValueError("error_mix maps statuses to rates, e.g. {503: 0.2, 429: 0.05}") from None
        if any(status not in INJECTABLE for status in mix):
            raise ValueError("error_mix statuses must be 429 or 5xx statuses")
        if any(not 0 <= rate <= 1 for rate in mix.values()) or self.error_rate + sum(mix.values()) > 1 + 1e-9:
            raise ValueError("error rates are between 0 and 1 and sum to at most 1")
        object.__setattr__(self, "error_mix", mix)

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.error_rate or self.drop_rate or self.error_mix or self.processing_ms)

    @property
    def errors(self) -> tuple[tuple[int, float], ...]:
        """(status, share) of every injected error, error_rate's first."""
        single = ((self.error_status, self.error_rate),) if self.error_rate else ()
        return single + tuple((status, rate) for status, rate in self.error_mix.items() if rate)


_lock = threading.Lock()
# None until first read: then from settings. Building a middleware chain (each test
# Client builds one) must not reset what configure() set.
_state: dict = {"chaos": None, "rng": random.Random()}


def _from_settings() -> Chaos:
    raw = getattr(settings, "PRISM_SANDBOX_CHAOS", None) or {}
    known = {f.name for f in fields(Chaos)}
    return Chaos(**{k: v for k, v in raw.items() if k in known})


def configure(**changes) -> Chaos:
    """Change chaos while running: configure(error_rate=0.3), configure() resets to off."""
    with _lock:
        chaos = replace(Chaos(), **changes) if changes else Chaos()
        _state["chaos"] = chaos
        _state["rng"] = random.Random(chaos.seed)
    return chaos


def current() -> Chaos:
    if _state["chaos"] is None:
        load_settings()
    return _state["chaos"]


def load_settings() -> None:
    chaos = _from_settings()
    with _lock:
        _state["chaos"] = chaos
        _state["rng"] = random.Random(chaos.seed)


@receiver(setting_changed)
def _reload(setting: str, **kwargs) -> None:
    if setting in ("PRISM_SANDBOX_CHAOS", "PRISM_SANDBOX"):
        load_settings()
        _buckets.clear()


def _roll() -> float:
    with _lock:
        return _state["rng"].random()


def _injected_status(chaos: Chaos) -> int | None:
    """The status to answer instead of running the request, if any: one roll per request."""
    errors = chaos.errors
    if not errors:
        return None
    roll, threshold = _roll(), 0.0
    for status, rate in errors:
        threshold += rate
        if roll < threshold:
            return status
    return None


def slow_processing() -> None:
    """Chaos's processing_ms, where a keyed write has claimed its key and not yet run."""
    delay = current().processing_ms
    if delay:
        time.sleep(delay / 1000)


def _error(status: int, code: str, message: str, retry_after: int | None = None) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message, "details": {}}}, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _socket_of(request: HttpRequest) -> socket.socket | None:
    # Django's development server (runserver, live_server) hands the socket's
    # buffered reader to the app as wsgi.input; other servers may not.
    stream = request.environ.get("wsgi.input")
    reader = getattr(getattr(stream, "_read", None), "__self__", stream)  # unwrap LimitedStream
    raw = getattr(reader, "raw", None)
    sock = getattr(raw, "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _dropped(request: HttpRequest, response: HttpResponse) -> StreamingHttpResponse:
    """Send part of the response, then cut the connection.

    With no body to cut short (204, empty), the connection goes before the headers:
    otherwise the client would take the bodiless answer for a whole one.
    """
    body = response.content if not response.streaming else b""
    sock = _socket_of(request)

    def cut_short():
        if body:
            yield body[: max(1, len(body) // 3)]
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        raise ConnectionAbortedError("sandbox chaos: connection dropped")

    dropped = StreamingHttpResponse(cut_short(), status=response.status_code, content_type=response.get("Content-Type"))
    dropped["Content-Length"] = str(len(body) + 1)
    return dropped


# --- request log, for tests in the same process ------------------------------------------


class LoggedRequest(NamedTuple):
    method: str
    path: str
    status: int
    # When it arrived and when its answer was ready (time.monotonic(), latency included).
    started: float = 0.0
    ended: float = 0.0


_requests: deque[LoggedRequest] = deque(maxlen=10_000)


def request_log() -> list[LoggedRequest]:
    """(method, path, status, started, ended) of every API request since the last clear,
    in the order they ended."""
    return list(_requests)


def clear_request_log() -> None:
    _requests.clear()


def sequential_rounds(requests: list[LoggedRequest]) -> int:
    """How many of these requests had to wait for one another: the most that can be lined
    up each starting after the previous one ended. Requests sent together overlap and count
    once; a page that asks, waits, then asks again counts two."""
    rounds, free_from = 0, float("-inf")
    for request in sorted(requests, key=lambda r: r.ended):  # earliest end first: the longest chain
        if request.started >= free_from:
            rounds, free_from = rounds + 1, request.ended
    return rounds


class ChaosMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        started = time.monotonic()
        response = self.api_response(request)
        _requests.append(LoggedRequest(request.method, request.path, response.status_code, started, time.monotonic()))
        return response

    def api_response(self, request: HttpRequest) -> HttpResponse:
        limited = rate_limited(request)
        if limited is not None:
            return limited
        chaos = current()
        if not chaos.active:
            return self.get_response(request)
        if chaos.latency_ms:
            time.sleep(chaos.latency_ms / 1000)
        status = _injected_status(chaos)
        if status == 429:
            return _error(429, "rate_limited", "Injected by sandbox chaos: slow down.", chaos.retry_after)
        if status is not None:
            return _error(status, INJECTED_CODES[status], "Injected by sandbox chaos: try again.")
        response = self.get_response(request)
        if chaos.drop_rate and _roll() < chaos.drop_rate:
            return _dropped(request, response)
        return response


# --- rate limit per API key -----------------------------------------------------------

_buckets: dict[str, deque] = {}
_bucket_lock = threading.Lock()


def rate_limited(request: HttpRequest) -> JsonResponse | None:
    """A sliding window per key: settings.PRISM_SANDBOX["RATE_LIMIT"] = (requests, seconds)."""
    limit = settings.PRISM_SANDBOX.get("RATE_LIMIT")
    if not limit:
        return None
    count, window = limit
    key = hashlib.sha256(request.headers.get("x-api-key", "").encode()).hexdigest()
    now = time.monotonic()
    with _bucket_lock:
        hits = _buckets.setdefault(key, deque())
        while hits and now - hits[0] >= window:
            hits.popleft()
        if len(hits) >= count:
            retry_after = max(1, int(window - (now - hits[0]) + 0.999))
            return _error(429, "rate_limited", f"More than {count} requests in {window} s with this key.", retry_after)
        hits.append(now)
    return None
