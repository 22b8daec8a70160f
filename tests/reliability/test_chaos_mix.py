"""Chaos with several statuses at once (`error_mix`) and slowed keyed writes
(`processing_ms`), beside the single `error_rate` + `error_status` switch, which
keeps working alone and together with the mix."""

import time
from collections import Counter

import pytest

from prism_sandbox import chaos
from prism_sandbox.models import Record
from tests.conftest import assert_error


@pytest.fixture(autouse=True)
def no_chaos():
    chaos.configure()
    yield
    chaos.configure()


def statuses(sandbox, n: int) -> list[int]:
    return [sandbox.request("GET", "contact/count").status_code for _ in range(n)]


def test_a_mix_answers_each_status_in_its_share_and_repeats_with_a_seed(sandbox):
    chaos.configure(error_mix={503: 0.2, 429: 0.05}, retry_after=2, seed=5)
    first = statuses(sandbox, 400)
    counts = Counter(first)
    assert set(counts) == {200, 503, 429}
    assert 50 <= counts[503] <= 110  # 20 % of 400 = 80
    assert 8 <= counts[429] <= 35  # 5 % of 400 = 20
    chaos.configure(error_mix={503: 0.2, 429: 0.05}, retry_after=2, seed=5)
    assert statuses(sandbox, 400) == first


def test_each_injected_status_has_the_contracts_error_body(sandbox):
    chaos.configure(error_mix={503: 0.5, 429: 0.5}, retry_after=4, seed=1)
    seen = {}
    for _ in range(40):
        response = sandbox.request("GET", "contact/count")
        seen.setdefault(response.status_code, response)
    assert set(seen) == {503, 429}
    assert_error(seen[503], 503, "service_unavailable")
    assert_error(seen[429], 429, "rate_limited")
    assert seen[429].headers["Retry-After"] == "4"
    assert "Retry-After" not in seen[503].headers


def test_an_injected_error_does_nothing(sandbox):
    chaos.configure(error_mix={500: 0.5, 502: 0.5})
    for _ in range(6):
        response = sandbox.request("POST", "contact", json={"default": {"first_name": "Ghost"}})
        assert response.status_code in (500, 502)
    assert not Record.objects.filter(team_id=sandbox.team_id).exists()


def test_error_rate_and_a_mix_add_up(sandbox):
    chaos.configure(error_rate=0.5, error_status=500, error_mix={504: 0.5}, seed=3)
    counts = Counter(statuses(sandbox, 60))
    assert set(counts) == {500, 504}  # 0.5 + 0.5: every request fails, with either status


def test_the_single_status_switch_is_unchanged(sandbox):
    chaos.configure(error_rate=0.5, error_status=503, seed=11)
    single = statuses(sandbox, 30)
    # the same shares as a mix of one status: the same rolls, the same answers
    chaos.configure(error_mix={503: 0.5}, seed=11)
    assert statuses(sandbox, 30) == single
    assert set(single) == {200, 503}


def test_a_mix_from_json_has_string_statuses():
    parsed = chaos.Chaos(error_mix={"503": 0.2, "429": "0.05"})
    assert parsed.error_mix == {503: 0.2, 429: 0.05}
    assert parsed.active and parsed.errors == ((503, 0.2), (429, 0.05))
    assert not chaos.Chaos().active and chaos.Chaos().errors == ()


@pytest.mark.parametrize(
    "bad",
    [{418: 0.1}, {503: 1.5}, {503: -0.1}, {503: 0.6, 429: 0.6}, {"x": 0.1}, [503]],
)
def test_a_bad_mix_is_refused(bad):
    with pytest.raises(ValueError):
        chaos.configure(error_mix=bad)
    with pytest.raises(ValueError):
        chaos.Chaos(error_rate=0.5, error_mix={503: 0.6})


def test_the_mix_comes_from_settings(sandbox, settings):
    settings.PRISM_SANDBOX_CHAOS = {"error_mix": {"429": 1}, "retry_after": 9}
    limited = sandbox.request("GET", "contact/count")
    assert_error(limited, 429, "rate_limited")
    assert limited.headers["Retry-After"] == "9"
    settings.PRISM_SANDBOX_CHAOS = {}
    assert sandbox.request("GET", "contact/count").status_code == 200


def test_processing_time_slows_keyed_writes_only(sandbox):
    chaos.configure(processing_ms=700)
    t0 = time.perf_counter()
    assert sandbox.request("GET", "contact/count").status_code == 200
    assert sandbox.request("POST", "contact", json={"default": {"first_name": "Unkeyed"}}).status_code == 201
    assert time.perf_counter() - t0 < 0.7
    t0 = time.perf_counter()
    keyed = sandbox.request("POST", "contact", json={"default": {"first_name": "Keyed"}}, headers={"Idempotency-Key": "slow-1"})
    assert keyed.status_code == 201 and time.perf_counter() - t0 >= 0.7
