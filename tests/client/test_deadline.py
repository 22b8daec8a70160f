"""prism_client's total deadline: one call, all its attempts and waits, ends in time.

The servers here are real sockets: one that accepts and never answers, and one that
trickles its answer a byte at a time, each byte well inside the read timeout, which
per-read timeouts alone would wait on for as long as it goes on.
"""

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from urllib3.connection import HTTPConnection
from urllib3.poolmanager import pool_classes_by_scheme as default_pool_classes

from prism_client import APIConnectionError, APIError, ConfigurationError, DeadlineExceeded, PrismClient, RetryPolicy, ServerError, Timeout
from prism_client.client import _timed_out_at_the_deadline, _within
from prism_client.deadline import WATCHED_POOLS, Attempt, Watchdog, WatchedAdapter, watchdog
from tests.stub_api import Answer

KEY = "sk_test_deadline_0123456789"
SLACK = 0.75  # what the cut and the unwinding may add to a deadline on a loaded machine


@contextmanager
def raw_server(serve) -> Iterator[int]:
    """A local TCP server; ``serve(conn, stop)`` handles each connection in a thread of its own."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    stop = threading.Event()
    open_connections: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            open_connections.append(conn)
            threading.Thread(target=serve, args=(conn, stop), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in open_connections:
            conn.close()
        listener.close()


def silent(conn: socket.socket, stop: threading.Event) -> None:
    stop.wait(30)


def trickle(head: bytes, body: bytes, every: float = 0.2):
    """Send ``head`` at once, then ``body`` one byte every ``every`` seconds (then stay silent)."""

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        conn.settimeout(1)
        try:
            conn.recv(65536)
            conn.sendall(head)
            for byte in body:
                if stop.wait(every):
                    return
                conn.sendall(bytes([byte]))
            stop.wait(30)
        except OSError:  # the client cut the connection: that is the point
            return

    return serve


def client_for(port: int, **kwargs) -> PrismClient:
    kwargs.setdefault("timeout", (1.0, 1.0))
    return PrismClient(f"http://127.0.0.1:{port}", KEY, "team-1", **kwargs)


def timed(call):
    started = time.monotonic()
    try:
        call()
    except Exception as exc:
        return exc, time.monotonic() - started
    pytest.fail("the call returned instead of failing")


# --- the deadline against servers that do not finish answering ---------------------------


def test_a_silent_server_with_retries_fails_within_the_deadline():
    with raw_server(silent) as port:
        client = client_for(port, deadline=1.0, timeout=(1.0, 30.0), max_retries=5)
        error, took = timed(client.contacts.count)
    assert isinstance(error, DeadlineExceeded) and isinstance(error, Timeout)
    assert "1 s deadline" in str(error)
    assert 1.0 <= took < 1.0 + SLACK


def test_a_read_timeout_cut_to_the_deadline_is_the_deadline_even_before_the_watchdog_wakes(monkeypatch):
    """On a loaded machine the socket's own timeout (cut to the time left) can go off before
    the watchdog's thread wakes to mark the attempt expired: the deadline ended it all the same."""
    monkeypatch.setattr(watchdog, "watch", lambda attempt, seconds: None)  # a watchdog that wakes too late
    with raw_server(silent) as port:
        client = client_for(port, deadline=1.0, timeout=(1.0, 30.0), max_retries=5)
        error, took = timed(client.contacts.count)
    assert isinstance(error, DeadlineExceeded), repr(error)
    assert 1.0 <= took < 1.0 + SLACK


@pytest.mark.parametrize(
    ("cause", "timeouts", "left", "expected"),
    [
        (requests.ReadTimeout(), (1.0, 2.0), 2.0, True),  # the read timeout was the time left
        (requests.ReadTimeout(), (1.0, 5.0), 8.0, False),  # its own read timeout: time is left to retry
        (requests.ConnectTimeout(), (2.0, 2.0), 2.0, True),
        (requests.ConnectTimeout(), (0.5, 2.0), 2.0, False),  # its own connect timeout
        (requests.ConnectionError(), (2.0, 2.0), 2.0, False),  # not a timeout
        (None, (2.0, 2.0), 2.0, False),  # an error status, not the transport
    ],
)
def test_only_a_timeout_cut_to_the_time_left_is_the_deadlines(cause, timeouts, left, expected):
    assert _timed_out_at_the_deadline(cause, timeouts, left) is expected


def test_a_silent_server_without_a_deadline_waits_each_read_timeout_and_retries():
    """What the deadline replaces: per-read timeouts, one per attempt, and waits between."""
    with raw_server(silent) as port:
        client = client_for(port, timeout=(1.0, 0.4), max_retries=2, retry_policy=RetryPolicy(initial_delay=0.1, jitter=lambda: 1.0))
        error, took = timed(client.contacts.count)
    assert type(error) is Timeout
    assert took >= 3 * 0.4 + 0.1 + 0.2


@pytest.mark.parametrize(
    ("head", "body"),
    [
        (b"", b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"),  # the status line and headers trickle
        (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n", b'{"count": 1' + b" " * 29),
        (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n", b'{"count": 1' + b" " * 29),
    ],
    ids=["trickled-headers", "trickled-body", "trickled-body-until-close"],
)
def test_a_trickling_server_is_cut_at_the_deadline(head, body):
    """Each byte comes well inside the 1 s read timeout: only the total deadline ends this."""
    with raw_server(trickle(head, body)) as port:
        client = client_for(port, deadline=1.0, max_retries=3)
        error, took = timed(client.contacts.count)
    assert isinstance(error, DeadlineExceeded)
    assert 1.0 <= took < 1.0 + SLACK


def test_a_trickling_proxy_is_cut_at_the_deadline_too(monkeypatch, unused_port):
    with raw_server(trickle(b"", b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")) as proxy:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy}")
        client = client_for(unused_port, deadline=1.0)
        error, took = timed(client.contacts.count)
    assert isinstance(error, DeadlineExceeded)
    assert 1.0 <= took < 1.0 + SLACK


@pytest.fixture
def tls_files(tmp_path):
    """A self-signed certificate for 127.0.0.1 (and its key), trusted by nothing but this test."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_file, key_file


def test_a_silent_https_server_is_cut_at_the_deadline(tls_files, monkeypatch):
    import ssl

    cert_file, key_file = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        conn.settimeout(5)
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                trickle(b"", b"HTTP/1.1 200 OK\r\n")(tls, stop)
        except OSError:
            return

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
    with raw_server(serve) as port:
        client = PrismClient(f"https://127.0.0.1:{port}", KEY, "team-1", timeout=(2.0, 1.0), deadline=1.0, max_retries=2)
        error, took = timed(client.contacts.count)
    assert isinstance(error, DeadlineExceeded), error
    assert 1.0 <= took < 1.0 + SLACK


def test_a_refused_connection_is_retried_within_the_deadline_and_refusal_is_the_answer(unused_port):
    client = client_for(unused_port, deadline=5.0, timeout=30.0, max_retries=1, retry_policy=RetryPolicy(jitter=lambda: 0.0))
    client.slept = []
    client.sleep = client.slept.append
    with pytest.raises(APIConnectionError) as info:
        client.contacts.count()
    assert type(info.value) is APIConnectionError
    assert client.slept == [0.25]


@pytest.mark.parametrize(
    ("timeout", "left", "expected"),
    [((5.0, 30.0), 10.0, (5.0, 10.0)), ((5.0, 30.0), 2.0, (2.0, 2.0)), (3.0, 10.0, (3.0, 3.0)), (3.0, 1.5, (1.5, 1.5))],
)
def test_an_attempts_timeouts_never_exceed_the_time_left(timeout, left, expected):
    assert _within(timeout, left) == expected


# --- retries within the deadline, and retries that would cross it ------------------------


def test_a_retry_that_fits_in_the_deadline_is_made(stub_api):
    answers = iter([Answer(503, {"error": {"code": "unavailable", "message": "busy"}}), Answer(200, {"total": 7})])
    stub_api.on("GET", "contact/count", lambda call, match: next(answers))
    client = PrismClient(stub_api.base_url, stub_api.api_key, stub_api.team_id, deadline=5.0, retry_policy=RetryPolicy(jitter=lambda: 0.0))
    client.slept = []
    client.sleep = client.slept.append
    assert client.contacts.count() == 7
    assert client.slept == [0.25]


def test_a_wait_that_would_cross_the_deadline_is_not_made_and_the_failure_is_the_answer(stub_api):
    stub_api.on("GET", "contact/count", Answer(503, {"error": {"code": "unavailable", "message": "busy"}}, {"Retry-After": "30"}))
    client = PrismClient(stub_api.base_url, stub_api.api_key, stub_api.team_id, deadline=2.0)
    client.sleep = pytest.fail
    with pytest.raises(ServerError):
        client.contacts.count()
    assert len(stub_api.calls_to("GET", "contact/count")) == 1


def test_no_attempt_starts_once_the_time_is_up(unused_port):
    """A wait that overran (a loaded machine): the next attempt is not sent at all."""
    now = [100.0]
    client = client_for(unused_port, deadline=1.0, max_retries=3, retry_policy=RetryPolicy(jitter=lambda: 0.0))
    client.clock = lambda: now[0]
    client.sleep = lambda seconds: now.__setitem__(0, now[0] + seconds + 5)
    with pytest.raises(DeadlineExceeded) as info:
        client.contacts.count()
    assert info.value.__cause__ is None


def test_a_body_that_is_not_json_in_time_is_still_an_api_error(stub_api):
    stub_api.on("GET", "contact/count", Answer(200, b"<html>not the API</html>", {"Content-Type": "text/html"}))
    client = PrismClient(stub_api.base_url, stub_api.api_key, stub_api.team_id, deadline=5.0)
    with pytest.raises(APIError) as info:
        client.contacts.count()
    assert not isinstance(info.value, DeadlineExceeded) and info.value.code == "invalid_response"


def test_an_answer_in_time_is_unchanged(stub_api):
    client = PrismClient(stub_api.base_url, stub_api.api_key, stub_api.team_id, deadline=5.0)
    assert client.contacts.count() == len(stub_api.store.live("contact"))
    assert client.with_api_key("another").deadline == 5.0


@pytest.mark.parametrize("deadline", [0, -1.0])
def test_a_deadline_must_be_positive(deadline):
    with pytest.raises(ConfigurationError, match="positive"):
        PrismClient("http://127.0.0.1:1", KEY, "team-1", deadline=deadline)


# --- the parts: attempts, the watchdog, the adapter ------------------------------------------


@pytest.fixture
def connected():
    """A urllib3 connection whose socket is one end of a real socket pair."""
    ours, theirs = socket.socketpair()
    connection = HTTPConnection("127.0.0.1", 1)
    connection.sock = ours
    theirs.settimeout(2)
    yield connection, theirs
    ours.close()
    theirs.close()


def test_expiring_an_attempt_shuts_its_connection(connected):
    connection, peer = connected
    attempt = Attempt()
    attempt.bind(connection)
    attempt.expire()
    assert attempt.expired
    assert peer.recv(1) == b""  # the other side sees the end at once


def test_a_connection_made_after_the_deadline_is_shut_as_soon_as_it_is_bound(connected):
    connection, peer = connected
    attempt = Attempt()
    attempt.expire()  # while connecting: nothing to cut yet
    attempt.bind(connection)
    assert peer.recv(1) == b""


def test_a_finished_attempt_is_left_alone(connected):
    connection, peer = connected
    attempt = Attempt()
    attempt.bind(connection)
    attempt.finish()
    attempt.expire()
    assert not attempt.expired
    connection.sock.sendall(b"x")
    assert peer.recv(1) == b"x"


def test_cutting_a_connection_still_connecting_or_already_closed_is_harmless(connected):
    connection, _ = connected
    attempt = Attempt()
    attempt.bind(HTTPConnection("127.0.0.1", 1))  # no socket yet
    attempt.expire()
    connection.sock.close()
    closed = Attempt()
    closed.bind(connection)
    closed.expire()
    assert attempt.expired and closed.expired


def test_the_watchdog_expires_what_is_due_in_order_and_says_how_long_to_the_next():
    now = [0.0]
    dog = Watchdog(clock=lambda: now[0])
    dog._thread = threading.current_thread()  # no thread of its own: expire_due is called by hand
    first, second, finished, last = Attempt(), Attempt(), Attempt(), Attempt()
    assert dog.expire_due() is None
    dog.watch(second, 2.0)
    dog.watch(first, 1.0)
    dog.watch(finished, 0.5)
    dog.watch(last, 3.0)  # not the soonest: the thread's wait is not cut short
    finished.finish()
    now[0] = 1.0
    assert dog.expire_due() == 1.0
    assert first.expired and not second.expired and not finished.expired
    now[0] = 2.5
    assert dog.expire_due() == 0.5
    assert second.expired and not last.expired
    now[0] = 3.0
    assert dog.expire_due() is None
    assert last.expired


def wait_for(condition, seconds: float = 5.0) -> bool:
    ends = time.monotonic() + seconds
    while not condition() and time.monotonic() < ends:
        time.sleep(0.01)
    return condition()


def test_the_watchdog_thread_starts_once_and_expires_on_time():
    dog = Watchdog()
    dog.watch(Attempt(), 30)
    thread = dog._thread
    attempt = Attempt()
    dog.watch(attempt, 0.05)
    assert dog._thread is thread and thread.is_alive()
    assert wait_for(lambda: attempt.expired)


def test_after_a_fork_the_next_watch_starts_a_thread():
    dog = Watchdog()
    dog._thread = threading.current_thread()  # as in a child: the parent's thread object, not running there
    dog.after_fork()
    assert dog._thread is None


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_gets_a_watchdog_of_its_own():
    """A gunicorn worker forked after the client was used: its calls are still cut."""
    watchdog.watch(Attempt(), 30)  # the parent's watchdog thread is running
    pid = os.fork()
    if pid == 0:  # the child: report by exit code only
        code = 3
        try:
            attempt = Attempt()
            watchdog.watch(attempt, 0.05)
            code = 0 if wait_for(lambda: attempt.expired) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_the_process_watchdog_is_the_one_attempts_use():
    assert isinstance(watchdog, Watchdog)


def test_the_adapter_watches_direct_and_http_proxy_pools_but_leaves_socks_pools():
    adapter = WatchedAdapter()
    assert adapter.poolmanager.pool_classes_by_scheme is WATCHED_POOLS
    manager = adapter.proxy_manager_for("http://127.0.0.1:3128")
    assert manager.pool_classes_by_scheme is WATCHED_POOLS
    socks_like = adapter.proxy_manager_for("http://127.0.0.1:1080")
    socks_like.pool_classes_by_scheme = own = {"http": object}  # as a SOCKS manager's would be
    del adapter.proxy_manager["http://127.0.0.1:1080"]
    adapter.proxy_manager["http://127.0.0.1:1080"] = socks_like
    assert adapter.proxy_manager_for("http://127.0.0.1:1080").pool_classes_by_scheme is own
    assert default_pool_classes is not WATCHED_POOLS
