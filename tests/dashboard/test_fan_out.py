"""dashboard/fan_out.py: a page's independent API calls at once, bounded, as the same person,
and no more calls once the API is found down. Home's counts go through it."""

import threading
import time

import pytest
from django.contrib.auth import get_user_model

from dashboard import acting
from dashboard.fan_out import Outage, fan_out, in_order
from dashboard.roles import Role
from prism_client import NotFound, Timeout

from ..conftest import connect_key
from .conftest import login

WAIT = 5.0  # the most any test here waits on a condition that should come at once


def wait_until(condition) -> bool:
    ends = time.monotonic() + WAIT
    while not condition() and time.monotonic() < ends:
        time.sleep(0.005)
    return condition()


def test_results_come_back_in_order_with_errors_in_their_place(settings, db):
    settings.PRISM_ACCESS = "shared"
    missing = NotFound("no such record", status=404)

    def refused():
        raise missing

    assert fan_out([lambda: 1, refused, lambda: 3]) == [1, missing, 3]
    assert fan_out([]) == []


def test_no_more_than_the_limit_are_in_flight_and_the_limit_is_reached(settings, db):
    settings.PRISM_ACCESS = "shared"
    settings.PRISM_CONCURRENCY = 3
    state = threading.Condition()
    in_flight, most = [0], [0]

    def call():
        with state:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
            state.notify_all()
            # Hold on until the pool is full (or it is clear it never will be).
            state.wait_for(lambda: in_flight[0] >= 3, timeout=WAIT)
        with state:
            in_flight[0] -= 1
        return threading.current_thread().name

    names = fan_out([call] * 9)
    assert most[0] == 3
    assert len(set(names)) == 3 and all(n.startswith("prism-fan-out") for n in names)


def test_in_order_streams_results_in_order_no_more_than_the_limit_ahead(db):
    missing = NotFound("no such page", status=404)
    started: list[int] = []
    release = threading.Event()

    def call(n):
        def run():
            started.append(n)
            if n == 0:
                release.wait(WAIT)  # the first is the slowest: the others wait in the window behind it
            if n == 4:
                raise missing
            return n

        return run

    results: list = []
    reader = threading.Thread(target=lambda: results.extend(in_order((call(n) for n in range(8)), limit=3)))
    reader.start()
    assert wait_until(lambda: len(started) == 3)
    assert sorted(started) == [0, 1, 2] and results == []  # no more than the limit; nothing before the first
    release.set()
    reader.join(WAIT)
    assert results == [0, 1, 2, 3, missing, 5, 6, 7]


def test_in_order_stopped_early_starts_nothing_more(db):
    made: list[int] = []

    def call(n):
        return lambda: made.append(n) or n

    results = in_order((call(n) for n in range(50)), limit=2)
    assert next(results) == 0
    results.close()  # the reader went away
    assert len(made) <= 4


def test_a_limit_of_one_runs_the_calls_in_this_thread(settings, db):
    settings.PRISM_ACCESS = "shared"
    here = threading.current_thread().name
    assert fan_out([lambda: threading.current_thread().name] * 3, limit=1) == [here] * 3


def test_once_the_api_is_down_no_further_call_is_made(settings, db):
    settings.PRISM_ACCESS = "shared"
    outage = Outage()
    slow = Timeout("took too long")
    made = []

    def times_out():
        made.append("first")
        raise slow

    def after():
        made.append("later")
        return "answered"

    results = fan_out([times_out] + [after] * 5, outage=outage, limit=1)
    assert results == [slow] * 6 and made == ["first"]
    # A later fan-out of the same page asks nothing either.
    assert fan_out([after, after], outage=outage) == [slow, slow] and made == ["first"]


def test_once_the_api_is_down_calls_not_yet_started_in_the_pool_are_not_made(settings, db):
    settings.PRISM_ACCESS = "shared"
    outage = Outage()
    slow = Timeout("took too long")
    made = []
    beside = threading.Event()

    def times_out():
        assert beside.wait(WAIT)
        raise slow

    def waits_for_the_outage():
        # In flight beside the failing call: it ends only once the outage is known.
        beside.set()
        assert wait_until(lambda: outage.error is not None)
        return "answered"

    def later():
        made.append("later")
        return "answered"

    results = fan_out([times_out, waits_for_the_outage, later, later, later], outage=outage, limit=2)
    assert results == [slow, "answered", slow, slow, slow]
    assert made == []


def test_a_refusal_is_not_an_outage(settings, db):
    settings.PRISM_ACCESS = "shared"
    outage = Outage()

    def refused():
        raise NotFound("gone", status=404)

    fan_out([refused, lambda: 2], outage=outage, limit=1)
    assert outage.error is None


def test_calls_in_pool_threads_act_for_the_person_of_the_request(settings, db):
    settings.PRISM_ACCESS = "per_person"
    User = get_user_model()
    ann = connect_key(User.objects.create_user("ann"), "sk_test_ann_own_key")
    ben = connect_key(User.objects.create_user("ben"), "sk_test_ben_own_key")

    def key_and_thread():
        return acting.current_actor().api_key, threading.current_thread().name

    for person, key in ((ann, "sk_test_ann_own_key"), (ben, "sk_test_ben_own_key")):
        with acting.acting_as(person):
            results = fan_out([key_and_thread] * 6, limit=3)
        assert {k for k, _ in results} == {key}
        assert all(name.startswith("prism-fan-out") for _, name in results)


def test_a_person_without_a_key_is_told_before_any_call_goes_out(settings, db):
    settings.PRISM_ACCESS = "per_person"
    nobody = get_user_model().objects.create_user("no-key")
    made = []
    with acting.acting_as(nobody), pytest.raises(acting.NoPrismKey):
        fan_out([lambda: made.append(1)] * 3)
    assert made == []


def test_an_unexpected_error_is_raised_and_what_has_not_started_is_dropped(settings, db):
    settings.PRISM_ACCESS = "shared"
    made = []

    def broken():
        raise RuntimeError("a bug")

    def later():
        made.append(1)

    with pytest.raises(RuntimeError, match="a bug"):
        fan_out([broken] + [later] * 50, limit=2)
    assert len(made) < 50


# --- home, through the stub API: every count call with the person's own key ------------------------


def test_home_counts_go_out_with_the_persons_own_key(client, stub):
    viewer = login(client, Role.VIEWER)
    stub.reset_log()
    response = viewer.get("/")
    assert response.status_code == 200
    counts = stub.calls_to("GET", r"\w+/count")
    assert len(counts) == 7
    assert {c.headers["x-api-key"] for c in counts} == {stub.api_key}
    assert response.context["counts"][0]["total"] == len(stub.store.live("contact"))
