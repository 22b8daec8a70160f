"""prism_client.client: configuration, the pooled session, keys and the retry loop.

Failures here are real: a port nobody listens on (connection refused), a socket that
accepts but never answers (read timeout), and the sandbox's chaos switch (injected
5xx/429 and connections cut after the write happened).
"""

import functools
import http.server
import logging
import re
import socket
import threading
import uuid
from typing import ClassVar

import pytest

from prism_client import (
    APIConnectionError,
    APIError,
    ConfigurationError,
    Grant,
    NotFound,
    PrismClient,
    RateLimited,
    RedirectRefused,
    RetryPolicy,
    ServerError,
    Timeout,
    Unauthorized,
)
from prism_client.client import DEFAULT_BASE_URL, new_idempotency_key

SECRET = "sk_test_super_secret_value"


@pytest.fixture
def no_env(monkeypatch):
    for name in ("MICRO_BASE_URL", "MICRO_API_KEY", "MICRO_TEAM_ID"):
        monkeypatch.delenv(name, raising=False)


def dead_client(port, **kwargs):
    """A client for a port nobody listens on, recording its sleeps instead of sleeping."""
    client = PrismClient(f"http://127.0.0.1:{port}", SECRET, "team-1", **kwargs)
    client.slept = []
    client.sleep = client.slept.append
    return client


# --- configuration ----------------------------------------------------------------


def test_arguments_win_over_environment(monkeypatch):
    monkeypatch.setenv("MICRO_BASE_URL", "https://env")
    monkeypatch.setenv("MICRO_API_KEY", "env-key")
    monkeypatch.setenv("MICRO_TEAM_ID", "env-team")
    client = PrismClient("https://arg/", "arg-key", "arg-team")
    assert (client.base_url, client.team_id) == ("https://arg", "arg-team")


def test_environment_fallback(monkeypatch):
    monkeypatch.setenv("MICRO_BASE_URL", "https://env/sandbox/")
    monkeypatch.setenv("MICRO_API_KEY", "env-key")
    monkeypatch.setenv("MICRO_TEAM_ID", "env-team")
    client = PrismClient()
    assert (client.base_url, client.team_id) == ("https://env/sandbox", "env-team")


def test_default_base_url_is_the_real_api(no_env):
    assert PrismClient(api_key="k", team_id="t").base_url == DEFAULT_BASE_URL


def test_missing_key_is_a_configuration_error(no_env):
    with pytest.raises(ConfigurationError, match="MICRO_API_KEY"):
        PrismClient(team_id="t")


def test_missing_team_is_a_configuration_error(no_env):
    with pytest.raises(ConfigurationError, match="MICRO_TEAM_ID"):
        PrismClient(api_key="k")


def test_max_retries_overrides_the_policy():
    client = PrismClient("https://x", "k", "t", max_retries=5, retry_policy=RetryPolicy(initial_delay=0.1))
    assert (client.retry_policy.max_retries, client.retry_policy.initial_delay) == (5, 0.1)


def test_default_retry_policy():
    assert PrismClient("https://x", "k", "t").retry_policy.max_retries == 2


def test_session_pools_connections_and_never_retries_by_itself():
    client = PrismClient("https://x", "k", "t", pool_maxsize=7)
    for scheme in ("http://127.0.0.1", "https://x"):
        adapter = client._session.get_adapter(scheme)
        assert adapter._pool_maxsize == 7
        assert adapter.max_retries.total == 0


def test_context_manager_closes_pooled_connections(sandbox):
    with PrismClient(sandbox.base_url, sandbox.api_key, sandbox.team_id) as client:
        client.contacts.count()
        client.contacts.count()
        pools = client._session.get_adapter(sandbox.base_url).poolmanager.pools
        assert len(pools) == 1  # one keep-alive pool reused by both calls
    assert len(pools) == 0


def test_service_lookup_by_segment():
    client = PrismClient("https://x", "k", "t")
    assert client.service("deal") is client.deals


def test_new_idempotency_keys_are_unique_and_valid():
    one, two = new_idempotency_key(), new_idempotency_key()
    assert one != two and 1 <= len(one) <= 255


# --- the key stays secret -------------------------------------------------------------


def test_key_not_in_repr():
    client = PrismClient("https://x", SECRET, "t")
    assert SECRET not in repr(client)
    assert repr(client) == "PrismClient(base_url='https://x', team_id='t')"


def test_key_not_in_session_headers():
    client = PrismClient("https://x", SECRET, "t")
    assert SECRET not in repr(client._session.headers)


def test_key_not_in_connection_error_or_logs(unused_port, caplog):
    client = dead_client(unused_port, max_retries=1)
    with caplog.at_level(logging.DEBUG), pytest.raises(APIConnectionError) as info:
        client.contacts.get("r1")
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    assert SECRET not in caplog.text


def test_key_not_in_api_error_or_logs(sandbox, caplog):
    with caplog.at_level(logging.DEBUG):
        client = PrismClient(sandbox.base_url, SECRET, sandbox.team_id, max_retries=0)
        with pytest.raises(Unauthorized) as info:
            client.contacts.count()
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    assert SECRET not in repr(vars(info.value))
    assert SECRET not in caplog.text


def test_transport_error_message_is_scrubbed():
    import requests

    client = PrismClient("https://x", SECRET, "t")
    error = client._transport_error(requests.ConnectionError(f"boom {SECRET}"))
    assert SECRET not in str(error) and "***" in str(error)


# --- retries on real transport failures --------------------------------------------


def test_connection_errors_are_retried_with_backoff(unused_port):
    client = dead_client(unused_port, retry_policy=RetryPolicy(max_retries=3, initial_delay=0.1, jitter=lambda: 1.0))
    with pytest.raises(APIConnectionError) as info:
        client.contacts.get("r1")
    assert client.slept == [0.1, 0.2, 0.4]
    assert info.value.__cause__ is not None  # the requests exception, kept with `from`


def test_no_retry_with_max_retries_zero(unused_port):
    client = dead_client(unused_port, max_retries=0)
    with pytest.raises(APIConnectionError):
        client.contacts.count()
    assert client.slept == []


def test_write_retries_reuse_one_generated_key(unused_port, caplog):
    client = dead_client(unused_port, max_retries=2)
    with caplog.at_level(logging.INFO, logger="prism_client"), pytest.raises(APIConnectionError) as info:
        client.contacts.create({"first_name": "Ada"})
    logged = re.findall(r"idempotency key (\S+)\)", caplog.text)
    last_sent = info.value.__cause__.request.headers["Idempotency-Key"]
    assert len(logged) == 2 and set(logged) == {last_sent}
    assert last_sent.startswith("prism-client-")


def test_callers_key_wins_and_is_reused(unused_port, caplog):
    client = dead_client(unused_port, max_retries=1)
    with caplog.at_level(logging.INFO, logger="prism_client"), pytest.raises(APIConnectionError) as info:
        client.contacts.update("r1", {"first_name": "Ada"}, idempotency_key="mine-1", if_match='"1"')
    assert re.findall(r"idempotency key (\S+)\)", caplog.text) == ["mine-1"]
    sent = info.value.__cause__.request.headers
    assert (sent["Idempotency-Key"], sent["If-Match"]) == ("mine-1", '"1"')


@pytest.mark.parametrize("method", ["PUT", "PATCH", "POST"])
def test_every_write_method_gets_a_key(unused_port, method):
    client = dead_client(unused_port, max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        client.request(method, "contact/x", json={})
    assert info.value.__cause__.request.headers["Idempotency-Key"].startswith("prism-client-")


def test_reads_get_no_key_but_are_retried(unused_port):
    client = dead_client(unused_port, max_retries=1)
    with pytest.raises(APIConnectionError) as info:
        client.contacts.query()
    assert "Idempotency-Key" not in info.value.__cause__.request.headers
    assert len(client.slept) == 1


def test_api_key_header_is_sent(unused_port):
    client = dead_client(unused_port, max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        client.contacts.count()
    request = info.value.__cause__.request
    assert request.headers["x-api-key"] == SECRET
    assert request.url == f"http://127.0.0.1:{unused_port}/v2/prism/team-1/contact/count"


def test_unreachable_url_is_not_retried():
    client = PrismClient("https://exa mple.invalid", "k", "t", max_retries=3)
    client.sleep = pytest.fail
    with pytest.raises(APIConnectionError):
        client.contacts.count()


@pytest.fixture
def silent_port():
    """A port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_read_timeout_is_a_retried_timeout(silent_port):
    client = dead_client(silent_port, max_retries=1, timeout=(1.0, 0.05))
    with pytest.raises(Timeout, match="did not answer in time"):
        client.contacts.count()
    assert len(client.slept) == 1


# --- a server that is not Prism -----------------------------------------------------


@pytest.fixture
def static_server(tmp_path):
    """A plain file server: what a wrong MICRO_BASE_URL might point at."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_non_json_success_body_is_an_api_error(static_server):
    root, url = static_server
    (root / "v2/prism/t/contact").mkdir(parents=True)
    (root / "v2/prism/t/contact/r1").write_text("<html>hello</html>")
    client = PrismClient(url, "k", "t", max_retries=0)
    with pytest.raises(APIError) as info:
        client.contacts.get("r1")
    assert (info.value.status, info.value.code) == (200, "invalid_response")


def test_empty_success_body_is_none(static_server):
    root, url = static_server
    (root / "v2/prism/t").mkdir(parents=True)
    (root / "v2/prism/t/empty").write_text("")
    assert PrismClient(url, "k", "t").request("GET", "empty").data is None


def test_foreign_html_404_is_not_found(static_server):
    _, url = static_server
    client = PrismClient(url, "k", "t", max_retries=0)
    with pytest.raises(NotFound) as info:
        client.contacts.properties()
    assert info.value.code is None and info.value.message


# --- retries against the sandbox's chaos switch (real injected faults) ---------------


@pytest.fixture
def chaos(sandbox):
    """The sandbox's fault injection, switched off again after the test."""
    from prism_sandbox import chaos as sandbox_chaos

    yield sandbox_chaos.configure
    sandbox_chaos.configure()


def chaos_client(sandbox, **policy):
    """A sandbox client that records its backoff sleeps instead of sleeping."""
    client = PrismClient(sandbox.base_url, sandbox.api_key, sandbox.team_id, timeout=(5.0, 10.0), retry_policy=RetryPolicy(**policy))
    client.slept = []
    client.sleep = client.slept.append
    return client


def test_chaos_30_percent_503s_every_call_succeeds_once(sandbox, chaos):
    client = chaos_client(sandbox, max_retries=8, initial_delay=0.001)
    chaos(error_rate=0.3, error_status=503, seed=7)
    made = [client.contacts.create({"first_name": f"N{i}"}) for i in range(40)]
    got = [client.contacts.get(r.id) for r in made]
    assert client.slept  # faults were injected and retried
    chaos()
    assert [g.default["first_name"] for g in got] == [f"N{i}" for i in range(40)]
    assert client.contacts.count() == 40  # no write happened twice


def test_chaos_dropped_connections_replay_writes_by_idempotency_key(sandbox, chaos):
    client = chaos_client(sandbox, max_retries=8, initial_delay=0.001)
    chaos(drop_rate=0.3, seed=11)
    made = [client.contacts.create({"first_name": f"D{i}"}) for i in range(30)]
    chaos()
    assert client.slept  # some writes happened, lost their response and were resent
    assert len({r.id for r in made}) == 30
    assert client.contacts.count() == 30


def test_chaos_429_honours_retry_after(sandbox, chaos):
    client = chaos_client(sandbox, max_retries=2, initial_delay=0.001)
    chaos(error_rate=1.0, error_status=429, retry_after=3)
    with pytest.raises(RateLimited) as info:
        client.contacts.count()
    assert client.slept == [3.0, 3.0]
    assert info.value.retry_after == 3.0 and info.value.code == "rate_limited"


def test_chaos_persistent_5xx_gives_up_after_max_retries(sandbox, chaos):
    client = chaos_client(sandbox, max_retries=3, initial_delay=0.5, max_delay=1.0, jitter=lambda: 1.0)
    chaos(error_rate=1.0, error_status=500)
    with pytest.raises(ServerError) as info:
        client.contacts.create({"first_name": "Never"})
    assert client.slept == [0.5, 1.0, 1.0]
    assert info.value.status == 500


def test_rate_limit_above_the_cap_is_not_waited_for(sandbox, settings):
    settings.PRISM_SANDBOX = {**settings.PRISM_SANDBOX, "RATE_LIMIT": (2, 120)}
    client = chaos_client(sandbox, max_retries=3, max_retry_after=10)
    client.contacts.count()
    client.contacts.count()
    with pytest.raises(RateLimited) as info:
        client.contacts.count()
    assert client.slept == []
    assert info.value.retry_after > 10


def test_should_retry_false_on_client_errors_stops_retries(sandbox):
    client = chaos_client(sandbox, max_retries=3)
    with pytest.raises(NotFound) as info:
        client.contacts.get("00000000-0000-4000-8000-000000000000")
    assert info.value.headers["x-should-retry"] == "false"
    assert client.slept == []


def test_with_api_key_acts_with_the_other_key_and_shares_the_pool(sandbox):
    from prism_sandbox.models import ApiKey

    owner = PrismClient(sandbox.base_url, sandbox.api_key, sandbox.team_id)
    member_key = sandbox.make_key(role=ApiKey.Role.MEMBER)
    deal = owner.deals.create({"name": "Restricted"})
    owner.deals.put_grant(deal.id, Grant(team={}, users={str(uuid.uuid4()): "a"}))
    person = owner.with_api_key(member_key)
    assert person._session is owner._session  # one connection pool
    with pytest.raises(NotFound):
        person.deals.get(deal.id)  # the member's key: the grant hides it
    assert owner.deals.get(deal.id).id == deal.id  # the original still acts as the team admin
    assert member_key not in repr(person)
    person.close()  # closes nothing: the pool belongs to the original
    assert owner.deals.get(deal.id).id == deal.id
    owner.close()
    with pytest.raises(ConfigurationError):
        owner.with_api_key("")


# --- the key goes only to the API's origin, over https (or to this machine) ------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com",
        "http://127.0.0.1.example.com",
        "ftp://127.0.0.1",
        "https://",
        "developers.micro.so",
        "http://[bad",
        "https://x:port",
    ],
)
def test_base_url_without_https_is_refused_unless_it_is_this_machine(url):
    with pytest.raises(ConfigurationError, match="base URL"):
        PrismClient(url, SECRET, "t")


@pytest.mark.parametrize(
    "url", ["https://developers.micro.so", "HTTPS://X:8443/p", "http://localhost:8000/sandbox", "http://127.0.0.2", "http://[::1]:8000"]
)
def test_https_and_loopback_base_urls_are_accepted(url):
    assert PrismClient(url, SECRET, "t").base_url == url


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    """Answers each path from `routes` ({path: (status, headers, body)}), recording each request's headers."""

    routes: ClassVar[dict] = {}
    seen: ClassVar[list] = []

    def do_GET(self):
        self.seen.append((self.server.server_address[1], self.path, dict(self.headers)))
        status, headers, body = self.routes.get(self.path, (404, {}, b"{}"))
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PATCH = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def two_servers():
    """Two local HTTP servers (two origins) sharing the routes and the record of requests."""
    handler = type("Handler", (RecordingHandler,), {"routes": {}, "seen": []})
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield handler, [s.server_address[1] for s in servers]
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_redirect_to_another_origin_is_refused_and_the_key_goes_nowhere_else(two_servers):
    handler, (api, other) = two_servers
    prefix = "/v2/prism/t/contact"
    handler.routes.update(
        {
            f"{prefix}/r1": (302, {"Location": f"http://127.0.0.1:{other}/steal"}, b""),
            f"{prefix}/r2": (307, {"Location": f"//localhost:{api}/steal"}, b""),  # same port, other host
            f"{prefix}/r3": (301, {"Location": f"https://127.0.0.1:{api}/steal"}, b""),  # same host, other scheme
            f"{prefix}/old": (301, {"Location": f"{prefix}/new"}, b""),  # same origin: followed
            f"{prefix}/new": (200, {}, b'{"id": "new", "default": {}}'),
        }
    )
    client = PrismClient(f"http://127.0.0.1:{api}", SECRET, "t", max_retries=3)
    client.sleep = pytest.fail  # refused, never retried
    for record in ("r1", "r2", "r3"):
        with pytest.raises(RedirectRefused, match="another origin") as info:
            client.contacts.get(record)
        assert "/steal" in info.value.message and SECRET not in info.value.message
    with pytest.raises(RedirectRefused):
        client.contacts.update("r1", {"name": "x"})
    assert client.contacts.get("old").id == "new"
    assert [(port, path.split("?")[0]) for port, path, _ in handler.seen] == [
        (api, f"{prefix}/r1"),
        (api, f"{prefix}/r2"),
        (api, f"{prefix}/r3"),
        (api, f"{prefix}/r1"),
        (api, f"{prefix}/old"),
        (api, f"{prefix}/new"),
    ]
    assert all(headers["x-api-key"] == SECRET for _, _, headers in handler.seen)
