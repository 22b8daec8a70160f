"""How this process is served, as far as one question needs: is MICRO_BASE_URL this very
server, while a bounded pool of worker threads serves it?

With the sandbox mounted in the server that serves the dashboard, each API call a page
makes needs a free worker thread of the same server to answer. `runserver` starts a
thread per request, so that only costs time. gunicorn's pool is fixed (workers ×
threads): under load every thread is a page waiting on an API call that only a free
thread could answer, and the server hangs until the calls' deadline. The sandbox then
belongs in a server of its own (scripts/serve-demo), and the system check in checks.py
says so when this process starts (dashboard/wsgi.py runs it under any WSGI server).

What counts as bounded: gunicorn, which sets SERVER_SOFTWARE in its environment before
it loads the application, or any server when BOUNDED_WORKER_POOL is set. Which ports
this server listens on is known when it was started with dashboard/gunicorn_conf.py
(PRISM_SERVED_AT); otherwise a loopback MICRO_BASE_URL ending in this server's own
sandbox mount is taken to be this server.
"""

import ipaddress
import logging
import os
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import run_checks
from django.http.request import validate_host

SANDBOX_MOUNT = "sandbox/"  # where urls.py mounts the sandbox when PRISM_SANDBOX_MOUNTED
SERVED_AT = "PRISM_SERVED_AT"  # comma-separated listener addresses, set by gunicorn_conf.py
TAG = "serving"  # the tag of the checks run at start-up

logger = logging.getLogger(__name__)


def bounded_pool() -> str | None:
    """What serves this process with a fixed number of threads, or None (runserver, a
    management command, an unknown server)."""
    if os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/"):
        return "gunicorn"
    if settings.BOUNDED_WORKER_POOL:
        return "a bounded worker pool (BOUNDED_WORKER_POOL)"
    return None


def served_ports(environ=os.environ) -> set[int]:
    """The TCP ports this server listens on, when its start command said; else none."""
    ports = set()
    for address in environ.get(SERVED_AT, "").split(","):
        try:
            port = urlsplit(address.strip()).port
        except ValueError:
            continue
        if port is not None:
            ports.add(port)
    return ports


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def points_at_itself(base_url: str, *, mounted_at: str | None, ports: set[int], allowed_hosts: list[str]) -> bool:
    """Whether ``base_url`` is the sandbox mounted in this server (at ``mounted_at``, None
    when not mounted): a loopback address on one of its ``ports`` (any port when they are
    not known), or one of its own host names (through its reverse proxy)."""
    if mounted_at is None:
        return False
    try:
        parts = urlsplit(base_url)
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        return False
    if parts.path.strip("/") != mounted_at.strip("/"):
        return False
    host = (parts.hostname or "").lower()
    if _is_local(host):
        return not ports or port in ports
    return validate_host(host, allowed_hosts)


def report_at_start() -> None:
    """Log what the serving checks find: gunicorn and other WSGI servers run no system checks."""
    for message in run_checks(tags=[TAG]):
        if not message.is_silenced():
            logger.warning("%s", message)
