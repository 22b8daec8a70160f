"""A total deadline for one API call: every attempt's connect, send and read, and the waits between.

``requests`` timeouts bound each socket operation, not their sum: a server that sends a
byte every few seconds, or a silent one tried again, can hold a caller far longer. So
each attempt is registered with one process-wide watchdog thread, and the connection
it is sent on (urllib3 connection classes that say which one they are) is shut down
when the deadline passes; the blocked read then fails at once and the client reports
the deadline (:class:`prism_client.errors.DeadlineExceeded`).
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3 import PoolManager, poolmanager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class Attempt:
    """One attempt of one call: the socket it uses, and whether its deadline has passed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # The socket itself, not the connection: http.client lets go of a connection's
        # socket (conn.sock = None) while a "Connection: close" body is still being read.
        self._sock: socket.socket | None = None
        self.expired = False
        self.finished = False

    def bind(self, connection: HTTPConnection) -> None:
        """The attempt is sent on ``connection`` (told again once it is connected)."""
        with self._lock:
            if connection.sock is None:  # not connected yet: the connect timeout (never above the time left) bounds that
                return
            self._sock = connection.sock
            if self.expired:
                _cut(self._sock)

    def expire(self) -> None:
        """The deadline passed: cut the connection, unless the attempt already ended."""
        with self._lock:
            if self.finished:
                return
            self.expired = True
            if self._sock is not None:
                _cut(self._sock)

    def finish(self) -> None:
        with self._lock:
            self.finished = True


def _cut(sock: socket.socket) -> None:
    # shutdown, not close: it wakes a read blocked in another thread at once.
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


class Watchdog:
    """One daemon thread that expires attempts whose deadline has passed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._order = itertools.count()
        self._reset()

    def _reset(self) -> None:
        self._condition = threading.Condition()
        self._due: list[tuple[float, int, Attempt]] = []
        self._thread: threading.Thread | None = None

    def watch(self, attempt: Attempt, seconds: float) -> None:
        """Expire ``attempt`` in ``seconds`` unless it finishes first."""
        with self._condition:
            entry = (self._clock() + seconds, next(self._order), attempt)
            heapq.heappush(self._due, entry)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="prism-client-deadline", daemon=True)
                self._thread.start()
            if self._due[0] is entry:  # sooner than what the thread waits for: it must wait less
                self._condition.notify()

    def expire_due(self) -> float | None:
        """Expire every attempt now due; seconds until the next one (None: none waiting)."""
        now = self._clock()
        while self._due:
            at, _, attempt = self._due[0]
            if at > now:
                return at - now
            heapq.heappop(self._due)
            attempt.expire()
        return None

    def _run(self) -> None:
        condition = self._condition
        with condition:
            while True:
                condition.wait(self.expire_due())

    def after_fork(self) -> None:
        """A forked child (a gunicorn worker) has no watchdog thread: the next watch starts one."""
        self._reset()


watchdog = Watchdog()
os.register_at_fork(after_in_child=watchdog.after_fork)

_attempt: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar("prism_client_attempt", default=None)


@contextmanager
def watched(seconds: float) -> Iterator[Attempt]:
    """Run one attempt under the watchdog: its connection is cut ``seconds`` from now."""
    attempt = Attempt()
    token = _attempt.set(attempt)
    watchdog.watch(attempt, seconds)
    try:
        yield attempt
    finally:
        attempt.finish()
        _attempt.reset(token)


def _bind(connection: HTTPConnection) -> None:
    attempt = _attempt.get()
    if attempt is not None:
        attempt.bind(connection)


class WatchedHTTPConnection(HTTPConnection):
    """Tells the current attempt which connection it is sent on (HTTPS too, below)."""

    def connect(self) -> None:
        super().connect()
        _bind(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _bind(self)
        super().request(*args, **kwargs)


class WatchedHTTPSConnection(WatchedHTTPConnection, HTTPSConnection):
    pass


class WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


WATCHED_POOLS: dict[str, type[HTTPConnectionPool]] = {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}


class WatchedAdapter(HTTPAdapter):
    """An adapter whose connections (direct or through an HTTP proxy) can be cut by the watchdog."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        # A SOCKS manager has pool classes of its own, left as they are.
        if manager.pool_classes_by_scheme is poolmanager.pool_classes_by_scheme:
            manager.pool_classes_by_scheme = WATCHED_POOLS
        return manager
