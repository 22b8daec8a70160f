"""The independent API calls of one page, made at the same time through a small bounded pool.

A page that needs a dozen answers (home's counts, a board's columns, a global search over
every type, a record's related records) then waits for the slowest call, not for their sum.

- **Bounded.** At most ``PRISM_CONCURRENCY`` calls of one page are in flight, so one page
  never takes every upstream connection (nor every thread of the server).
- **As the same person.** Each call runs in a copy of the request's context, so
  ``prism.client()`` acts for the person the page is for (acting.py keeps them in a
  context variable); their key is read once, here, before any call goes out.
- **An outage ends the fan-out.** Once a call finds the API down (unreachable, past the
  deadline, refusing for now), the calls not yet started are not made, on this page's
  later fan-outs either (pass the same ``Outage``): each would wait as long to fail alike.
"""

import contextvars
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections

from prism_client import APIConnectionError, PrismError, RateLimited, ServerError

from . import acting

# Failures that say the API as a whole is unavailable now, not that one call was refused.
OUTAGES = (APIConnectionError, RateLimited, ServerError)


class Outage:
    """What one page has learnt of the API being down: the first outage error, once seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.error: PrismError | None = None

    def record(self, error: PrismError) -> None:
        if isinstance(error, OUTAGES):
            with self._lock:
                if self.error is None:
                    self.error = error


def fan_out[T](calls: Sequence[Callable[[], T]], *, outage: Outage | None = None, limit: int | None = None) -> list[T | PrismError]:
    """Each call's result, or the PrismError it raised, in the order of ``calls``.

    Other exceptions (a person with no key, a bug) are raised as they would be in a loop.
    """
    if not calls:
        return []
    outage = outage or Outage()
    limit = max(1, limit or settings.PRISM_CONCURRENCY)
    if outage.error is None:
        acting.current_actor()  # read in this thread: pool threads never query for the key
    if len(calls) <= 1 or limit == 1:
        return [_call(call, outage) for call in calls]
    with ThreadPoolExecutor(max_workers=min(limit, len(calls)), thread_name_prefix="prism-fan-out") as pool:
        # A context of its own per call: one context cannot be entered by two threads at once.
        futures = [pool.submit(contextvars.copy_context().run, _in_pool_thread, call, outage) for call in calls]
        try:
            return [future.result() for future in futures]
        except BaseException:
            pool.shutdown(cancel_futures=True)  # what has not started yet is not needed any more
            raise


def _call[T](call: Callable[[], T], outage: Outage) -> T | PrismError:
    if outage.error is not None:
        return outage.error
    try:
        return call()
    except PrismError as exc:
        outage.record(exc)
        return exc


def _in_pool_thread[T](call: Callable[[], T], outage: Outage) -> T | PrismError:
    try:
        return _call(call, outage)
    finally:
        # A connection a call opened in this short-lived thread (a database cache, say)
        # would otherwise stay open after the thread ends.
        connections.close_all()


def raise_first[T](results: list[T | PrismError]) -> list[T]:
    """The results of fan_out, or the first error among them raised, in the calls' order."""
    for result in results:
        if isinstance(result, PrismError):
            raise result
    return results  # type: ignore[return-value]  # no error among them
