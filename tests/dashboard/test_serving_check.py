"""The start-up warning for a dashboard pointed at its own sandbox under a bounded pool
(dashboard/serving.py, checks.py). The check as gunicorn runs it, against a real
gunicorn, is in tests/reliability/test_bounded_pool.py."""

import logging

import pytest
from django.core.checks import run_checks

from dashboard import serving

SELF = "http://127.0.0.1:8000/sandbox"


def warnings_now():
    return [m for m in run_checks(tags=[serving.TAG]) if m.id == "dashboard.W001"]


@pytest.fixture
def under_gunicorn(monkeypatch, settings):
    """This process as gunicorn's arbiter leaves it for its workers, listening on 8000."""
    monkeypatch.setenv("SERVER_SOFTWARE", "gunicorn/27.0.1")
    monkeypatch.setenv(serving.SERVED_AT, "http://127.0.0.1:8000")
    settings.PRISM_SANDBOX_MOUNTED = True
    settings.MICRO_BASE_URL = SELF


def test_gunicorn_serving_its_own_sandbox_is_warned_about(under_gunicorn):
    [warning] = warnings_now()
    assert "is the sandbox mounted in this very server, which gunicorn serves" in warning.msg
    assert "PRISM_SANDBOX_MOUNTED=false" in warning.hint


def test_the_sandbox_on_a_port_of_its_own_is_fine(under_gunicorn, settings):
    settings.MICRO_BASE_URL = "http://127.0.0.1:8001/sandbox"
    assert warnings_now() == []


def test_a_dashboard_not_serving_the_sandbox_cannot_wait_on_itself(under_gunicorn, settings):
    settings.PRISM_SANDBOX_MOUNTED = False
    assert warnings_now() == []


def test_runserver_and_management_commands_are_not_bounded(under_gunicorn, monkeypatch):
    monkeypatch.delenv("SERVER_SOFTWARE")
    assert warnings_now() == []


def test_another_bounded_server_is_named_by_a_setting(under_gunicorn, monkeypatch, settings):
    monkeypatch.delenv("SERVER_SOFTWARE")
    settings.BOUNDED_WORKER_POOL = True
    [warning] = warnings_now()
    assert "BOUNDED_WORKER_POOL" in warning.msg


def test_the_warning_is_logged_at_start_unless_silenced(under_gunicorn, settings, caplog):
    with caplog.at_level(logging.WARNING, logger="dashboard.serving"):
        serving.report_at_start()
    assert "dashboard.W001" in caplog.text
    caplog.clear()
    settings.SILENCED_SYSTEM_CHECKS = ["dashboard.W001"]
    with caplog.at_level(logging.WARNING, logger="dashboard.serving"):
        serving.report_at_start()
    assert caplog.text == ""


@pytest.mark.parametrize(
    ("base_url", "ports", "expected"),
    [
        (SELF, {8000}, True),
        ("http://localhost:8000/sandbox/", {8000}, True),
        ("http://[::1]:8000/sandbox", {8000}, True),
        ("http://0.0.0.0:8000/sandbox", {8000}, True),
        (SELF, set(), True),  # ports unknown (gunicorn started without gunicorn_conf): a loopback sandbox URL is taken to be this one
        ("http://127.0.0.1:8001/sandbox", {8000}, False),
        ("http://127.0.0.1/sandbox", {80}, True),
        ("http://127.0.0.1:8000/other", {8000}, False),
        ("https://dashboard.example.com/sandbox", {8000}, True),  # its own name, through its proxy
        ("https://developers.micro.so", {8000}, False),
        ("https://api.example.org/sandbox", {8000}, False),
        ("http://127.0.0.1:notaport/sandbox", {8000}, False),
    ],
)
def test_what_counts_as_this_server(base_url, ports, expected):
    allowed = ["dashboard.example.com", "localhost"]
    assert serving.points_at_itself(base_url, mounted_at="sandbox/", ports=ports, allowed_hosts=allowed) is expected
    assert serving.points_at_itself(base_url, mounted_at=None, ports=ports, allowed_hosts=allowed) is False


def test_served_ports_are_read_from_what_gunicorn_conf_wrote():
    assert serving.served_ports({}) == set()
    written = "http://127.0.0.1:8000,http://[::1]:8443,unix:/run/dash.sock,http://127.0.0.1:bad"
    assert serving.served_ports({serving.SERVED_AT: written}) == {8000, 8443}
