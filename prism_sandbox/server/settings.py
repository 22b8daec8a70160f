"""Settings to serve the sandbox as a server of its own, beside the dashboard.

The dashboard calls the sandbox over HTTP. Mounted in the dashboard's own server, each
of those calls needs a free thread of the pool serving the page that waits on it; under a
bounded pool (gunicorn) and load, all threads wait and none is left to answer. Served by
its own process on its own port, the sandbox answers whatever the dashboard is doing:

    DJANGO_SETTINGS_MODULE=prism_sandbox.server.settings gunicorn prism_sandbox.server.wsgi --bind 127.0.0.1:8001

(scripts/serve-demo starts both). These settings live in the sandbox package, which
imports neither the dashboard nor the client, so the sandbox can be served by itself.
They read the same environment as the dashboard's settings (.env, DATABASE_URL,
MICRO_TEAM_ID, MICRO_API_KEY, SECRET_KEY, DEBUG, PRISM_SANDBOX_*), so both servers use
one database: the dashboard's manage.py migrates it and seeds the demo data, and its
task worker runs the sandbox's background imports. Only the sandbox's routes are served,
under /sandbox/ as in the dashboard, so MICRO_BASE_URL changes by its port alone.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")  # signs the API's cursors
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG"

# Served to the dashboard on this machine; more names (a container's) through the environment.
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", *env.list("SANDBOX_ALLOWED_HOSTS", default=[])]

# The demo team and its admin key, provisioned on the first request (prism_sandbox.api).
MICRO_API_KEY = env.str("MICRO_API_KEY", default="")
MICRO_TEAM_ID = env.str("MICRO_TEAM_ID", default="")

INSTALLED_APPS = ["django_tasks_db", "prism_sandbox"]
MIDDLEWARE = ["prism_sandbox.chaos.ChaosMiddleware"]
ROOT_URLCONF = "prism_sandbox.server.urls"
WSGI_APPLICATION = "prism_sandbox.server.wsgi.application"

# The dashboard's database (see dashboard/settings.py: the same defaults and SQLite options).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db' / 'prism.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824;",
        }
    )
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=32 * 1024 * 1024)
USE_TZ = True
TIME_ZONE = "UTC"

# Large imports are queued here and run by the dashboard's task worker (`manage.py db_worker`).
TASKS = {"default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"), "QUEUES": ["default"]}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}


def _rate_limit(raw: str) -> tuple[int, int] | None:
    if not raw:
        return None
    try:
        count, seconds = (int(n) for n in raw.split("/"))
    except ValueError:
        raise ImproperlyConfigured("PRISM_SANDBOX_RATE_LIMIT must look like 100/60 (requests/seconds).") from None
    return count, seconds


# The same limits as when mounted in the dashboard (dashboard/settings.py; a test keeps them equal).
PRISM_SANDBOX = {
    "SYNC_IMPORT_LIMIT": 100,
    "MAX_IMPORT_ROWS": 10_000,
    "MAX_BATCH_ITEMS": 100,
    "MAX_QUERY_LIMIT": 50,
    "DEFAULT_QUERY_LIMIT": 25,
    "IDEMPOTENCY_TTL_SECONDS": 24 * 60 * 60,
    "IDEMPOTENCY_STALE_SECONDS": env.int("PRISM_SANDBOX_IDEMPOTENCY_STALE_SECONDS", default=60),
    "RATE_LIMIT": _rate_limit(env.str("PRISM_SANDBOX_RATE_LIMIT", default="")),
}
PRISM_SANDBOX_CHAOS = env.json("PRISM_SANDBOX_CHAOS", default={})
