"""prism_client.retry: the retry decision, backoff and Retry-After, as pure functions."""

import email.utils

import pytest

from prism_client.retry import RetryPolicy, add_jitter, backoff_delay, is_replayable, parse_retry_after, should_retry


def decide(**overrides):
    args = {"replayable": True, "retries_done": 0, "max_retries": 2, "status": 503}
    return should_retry(**(args | overrides))


# --- is_replayable --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "get", "PUT", "DELETE", "HEAD", "OPTIONS"])
def test_idempotent_methods_are_replayable(method):
    assert is_replayable(method, has_idempotency_key=False)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_writes_without_key_are_not_replayable(method):
    assert not is_replayable(method, has_idempotency_key=False)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_writes_with_key_are_replayable(method):
    assert is_replayable(method, has_idempotency_key=True)


# --- should_retry: one test per branch ----------------------------------------------


def test_no_retry_when_retries_are_used_up():
    assert not decide(retries_done=2, max_retries=2)


def test_no_retry_when_max_retries_is_zero():
    assert not decide(max_retries=0)


def test_no_retry_when_not_replayable():
    assert not decide(replayable=False, status=None)


def test_retry_on_connection_error():
    assert decide(status=None)


def test_no_retry_when_retry_after_exceeds_cap():
    assert not decide(status=429, retry_after=120, max_retry_after=60)


def test_retry_when_retry_after_within_cap():
    assert decide(status=429, retry_after=60, max_retry_after=60)


def test_should_retry_header_true_overrides_status():
    assert decide(status=400, should_retry_header="true")


def test_should_retry_header_is_case_insensitive():
    assert decide(status=409, should_retry_header=" TRUE ")


def test_should_retry_header_false_overrides_status():
    assert not decide(status=503, should_retry_header="false")


def test_unknown_should_retry_header_falls_back_to_status():
    assert decide(status=503, should_retry_header="maybe")


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retry_on_retryable_status(status):
    assert decide(status=status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 412, 413, 422])
def test_no_retry_on_other_client_errors(status):
    assert not decide(status=status)


# --- backoff --------------------------------------------------------------------------


def test_add_jitter_bounds():
    assert add_jitter(2.0, 0.0) == 1.0
    assert add_jitter(2.0, 1.0) == 2.0


def test_add_jitter_clamps_fraction():
    assert add_jitter(2.0, -5) == 1.0
    assert add_jitter(2.0, 7) == 2.0


def test_backoff_is_exponential():
    policy = RetryPolicy(initial_delay=0.5, max_delay=100)
    assert [backoff_delay(n, policy, jitter=1.0) for n in range(4)] == [0.5, 1.0, 2.0, 4.0]


def test_backoff_is_capped():
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0)
    assert backoff_delay(10, policy, jitter=1.0) == 8.0
    assert backoff_delay(10_000, policy, jitter=1.0) == 8.0


def test_backoff_uses_policy_jitter_when_not_pinned():
    policy = RetryPolicy(initial_delay=1.0, jitter=lambda: 0.0)
    assert backoff_delay(0, policy) == 0.5


def test_backoff_honours_retry_after():
    assert backoff_delay(0, RetryPolicy(), retry_after=3.0, jitter=1.0) == 3.0


def test_backoff_ignores_retry_after_above_cap():
    policy = RetryPolicy(initial_delay=1.0, max_retry_after=60)
    assert backoff_delay(0, policy, retry_after=61, jitter=1.0) == 1.0


def test_backoff_ignores_negative_retry_after():
    assert backoff_delay(0, RetryPolicy(initial_delay=1.0), retry_after=-1, jitter=1.0) == 1.0


def test_policy_rejects_negative_retries():
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)


# --- parse_retry_after ----------------------------------------------------------------


def test_retry_after_seconds():
    assert parse_retry_after({"Retry-After": "7"}) == 7.0


def test_retry_after_ms_wins():
    assert parse_retry_after({"retry-after-ms": "1500", "Retry-After": "7"}) == 1.5


def test_retry_after_ms_malformed_falls_back():
    assert parse_retry_after({"retry-after-ms": "soon", "retry-after": "2"}) == 2.0


def test_retry_after_missing():
    assert parse_retry_after({}) is None


def test_retry_after_negative_seconds_is_zero():
    assert parse_retry_after({"retry-after": "-3"}) == 0.0


def test_retry_after_http_date():
    now = 1_700_000_000.0
    value = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after({"retry-after": value}, now=now) == 30.0


def test_retry_after_http_date_in_the_past_is_zero():
    now = 1_700_000_000.0
    assert parse_retry_after({"retry-after": email.utils.formatdate(now - 30, usegmt=True)}, now=now) == 0.0


def test_retry_after_http_date_uses_clock_by_default():
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0


def test_retry_after_garbage():
    assert parse_retry_after({"retry-after": "whenever"}) is None
