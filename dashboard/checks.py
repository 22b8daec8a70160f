"""System checks for how the dashboard reaches Prism, and what production needs."""

from pathlib import Path

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from . import serving


@register()
def check_key_encryption(app_configs, **kwargs) -> list[Error]:
    """Per-person keys need encryption keys of their own in production, and valid ones."""
    errors = []
    for raw in settings.PRISM_KEY_ENCRYPTION_KEYS:
        try:
            Fernet(raw)
        except ValueError:
            errors.append(
                Error(
                    "An entry of PRISM_KEY_ENCRYPTION_KEYS is not a Fernet key.",
                    hint="Make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
                    id="dashboard.E001",
                )
            )
    if settings.PRISM_ACCESS == "per_person" and not settings.DEBUG and not settings.PRISM_KEY_ENCRYPTION_KEYS:
        errors.append(
            Error(
                "PRISM_KEY_ENCRYPTION_KEYS is empty: personal Prism keys would be encrypted with a key derived from SECRET_KEY.",
                hint="Set PRISM_KEY_ENCRYPTION_KEYS to one or more Fernet keys (newest first), kept apart from the database.",
                id="dashboard.E002",
            )
        )
    if settings.PRISM_ACCESS == "shared" and not settings.MICRO_API_KEY:
        errors.append(Error("PRISM_ACCESS is shared but MICRO_API_KEY is empty.", id="dashboard.E003"))
    return errors


@register(deploy=True)
def check_production(app_configs, **kwargs) -> list[CheckMessage]:
    """What a production start (scripts/serve, `check --deploy`) needs, one sentence each."""
    messages: list[CheckMessage] = []
    if not settings.MICRO_BASE_URL:
        messages.append(
            Error(
                "MICRO_BASE_URL is empty: the dashboard has no Prism API to talk to.",
                hint="Set it to the API's address, e.g. https://api.micro.so (or a sandbox served on its own).",
                id="dashboard.E004",
            )
        )
    if not settings.DEBUG and not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        messages.append(
            Error(
                "The static files are not collected: with DEBUG off every page would fail to find its stylesheet.",
                hint="Run `manage.py collectstatic --no-input` (scripts/serve does).",
                id="dashboard.E005",
            )
        )
    backend = settings.CACHES["default"]["BACKEND"]
    if not settings.DEBUG and backend.endswith(("locmem.LocMemCache", "dummy.DummyCache")):
        messages.append(
            Warning(
                "The cache lives in each process's memory: sign-in throttles and the schema cache are not shared by several workers.",
                hint="Set CACHE_URL=redis://host:6379/0 (or dbcache://dashboard_cache after `manage.py createcachetable`).",
                id="dashboard.W003",
            )
        )
    if not settings.DEBUG and settings.PRISM_SANDBOX_ENABLED:
        messages.append(
            Warning(
                "The embedded sandbox is mounted with DEBUG off: anyone who can reach /sandbox/ can use it.",
                hint="Set PRISM_SANDBOX_ENABLED=false unless this is a demo server.",
                id="dashboard.W002",
            )
        )
    return messages


@register(serving.TAG)
def check_not_pointed_at_itself(app_configs, **kwargs) -> list[Warning]:
    """A bounded pool serving the sandbox that its own pages call would wait on itself (serving.py)."""
    pool = serving.bounded_pool()
    mounted_at = serving.SANDBOX_MOUNT if settings.PRISM_SANDBOX_MOUNTED else None
    ports = serving.served_ports()
    if pool is None or not serving.points_at_itself(
        settings.MICRO_BASE_URL, mounted_at=mounted_at, ports=ports, allowed_hosts=settings.ALLOWED_HOSTS
    ):
        return []
    return [
        Warning(
            f"MICRO_BASE_URL ({settings.MICRO_BASE_URL}) is the sandbox mounted in this very server, which {pool} serves "
            "with a fixed number of threads: under load every thread waits on an API call that needs a free thread to answer, "
            "and the server stops answering.",
            hint='Serve the sandbox as its own process on its own port (./scripts/serve-demo does; README, "Serving a shared demo"), '
            "point MICRO_BASE_URL there and set PRISM_SANDBOX_MOUNTED=false here.",
            id="dashboard.W001",
        )
    ]
