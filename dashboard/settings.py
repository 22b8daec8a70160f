"""Settings for Prism Dashboard, read from the environment (and an optional .env).

Every value has a safe default: with DEBUG off, a missing SECRET_KEY is an error,
cookies are secure and only explicitly allowed hosts are served.
"""

import datetime as dt
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])

# --- Prism API --------------------------------------------------------------
# The embedded sandbox is mounted under /sandbox/ when switched on: by default only
# with DEBUG (scripts/run); a demo server turns it on explicitly. Production points
# MICRO_BASE_URL at the real API and leaves it off.
PRISM_SANDBOX_ENABLED = env.bool("PRISM_SANDBOX_ENABLED", default=DEBUG)
# ...and served by this server under /sandbox/, unless it runs as a server of its own
# (scripts/serve-demo: a bounded pool must never wait on itself; see README).
PRISM_SANDBOX_MOUNTED = PRISM_SANDBOX_ENABLED and env.bool("PRISM_SANDBOX_MOUNTED", default=True)
# Served by a fixed pool of worker threads other than gunicorn (which says so itself): the
# start-up check that MICRO_BASE_URL is not this very server then applies (dashboard/serving.py).
BOUNDED_WORKER_POOL = env.bool("BOUNDED_WORKER_POOL", default=False)
# Same names as the official SDK. With the sandbox mounted and nothing set, the dashboard
# talks to the sandbox of this very server (the dev server's shape).
MICRO_BASE_URL = env.str("MICRO_BASE_URL", default="http://127.0.0.1:8000/sandbox" if PRISM_SANDBOX_MOUNTED else "")
MICRO_API_KEY = env.str("MICRO_API_KEY", default="")
MICRO_TEAM_ID = env.str("MICRO_TEAM_ID", default="")
# What the header calls the team (the API has no endpoint that names it); a readable fallback without.
MICRO_TEAM_NAME = env.str("MICRO_TEAM_NAME", default="")
# Who the API sees. "per_person" (default): each signed-in person's calls go out with
# their own Micro API key, so Prism grants bind them. "shared": one team key
# (MICRO_API_KEY) for everyone; grants then do not restrict dashboard users.
PRISM_ACCESS = env.str("PRISM_ACCESS", default="per_person")
if PRISM_ACCESS not in ("per_person", "shared"):
    raise ImproperlyConfigured('PRISM_ACCESS must be "per_person" or "shared".')
# Fernet keys (newest first) that encrypt the personal API keys stored by the dashboard.
# Required with DEBUG off; see README "Connecting a Prism key" for rotation.
PRISM_KEY_ENCRYPTION_KEYS = env.list("PRISM_KEY_ENCRYPTION_KEYS", default=[])
# How long the dashboard waits for the API (read timeout, seconds) and how often it retries.
PRISM_TIMEOUT = env.float("PRISM_TIMEOUT", default=15.0)
PRISM_MAX_RETRIES = env.int("PRISM_MAX_RETRIES", default=2)
# The most one API call may take, connect, reads, retries and their waits together (seconds):
# past it the person gets the one-sentence outage message, and no server thread is held longer.
PRISM_DEADLINE = env.float("PRISM_DEADLINE", default=10.0)
if not PRISM_DEADLINE > 0:
    raise ImproperlyConfigured("PRISM_DEADLINE must be a positive number of seconds.")
# How many API calls one page (or one CSV export) makes at the same time: see dashboard/fan_out.py.
# 16 lets home's calls (7 counts, one per deal stage, the latest changes' checks) go out in one round.
PRISM_CONCURRENCY = env.int("PRISM_CONCURRENCY", default=16)
if PRISM_CONCURRENCY < 1:
    raise ImproperlyConfigured("PRISM_CONCURRENCY must be 1 or more.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "axes",
    "django_tasks_db",  # background work of the dashboard (bulk actions) and of the sandbox
    "dashboard",
]
if PRISM_SANDBOX_ENABLED:
    INSTALLED_APPS += ["prism_sandbox"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page behind login; the sandbox API (key auth) opts out per view.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "dashboard.permissions.DenyByDefaultMiddleware",
    "dashboard.acting.ActingMiddleware",
    "dashboard.time_zones.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dashboard.errors.PrismErrorMiddleware",
    # Last, as axes asks: turns a held-back sign-in into the form with a sentence (dashboard/sign_in.py).
    "axes.middleware.AxesMiddleware",
]

if PRISM_SANDBOX_MOUNTED:
    # Fault injection and rate limiting for the sandbox's API paths only.
    MIDDLEWARE.insert(2, "prism_sandbox.chaos.ChaosMiddleware")

ROOT_URLCONF = "dashboard.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context_processors.navigation",
            ],
        },
    },
]

# Form widgets render with the project's templates (templates/widgets/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

WSGI_APPLICATION = "dashboard.wsgi.application"
ASGI_APPLICATION = "dashboard.asgi.application"

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db' / 'prism.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Written from several threads (dashboard, sandbox, task worker): WAL, a busy
    # timeout and IMMEDIATE transactions make writers wait instead of failing.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824;",
        }
    )
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(BASE_DIR / "db" / "test.sqlite3")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# An import's draft (the uploaded file) is deleted this many days after the upload, and an
# ended import's failed-rows download this many days after it ended (`manage.py clean_imports`).
IMPORT_RETENTION_DAYS = env.int("IMPORT_RETENTION_DAYS", default=7)

# Imports and CSV uploads can be large; the sandbox answers 413 above this.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=32 * 1024 * 1024)

# --- Signing in ---------------------------------------------------------------
# Every sign-in form (the dashboard's, Django admin's) goes through authenticate(), where
# django-axes holds back a username and address after repeated failures, with a growing
# wait (see dashboard/sign_in.py).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "dashboard.sign_in.SignInThrottle"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # together: one address's failures lock out no one else
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = "dashboard.sign_in.cool_off"
AXES_LOCKOUT_CALLABLE = "dashboard.sign_in.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a try while held back is refused, not counted
LOGIN_FIRST_WAIT = dt.timedelta(seconds=env.int("LOGIN_FIRST_WAIT_SECONDS", default=60))
LOGIN_MAX_WAIT = dt.timedelta(seconds=env.int("LOGIN_MAX_WAIT_SECONDS", default=60 * 60))
LOGIN_FAILURE_MEMORY = dt.timedelta(seconds=env.int("LOGIN_FAILURE_MEMORY_SECONDS", default=24 * 60 * 60))
# The client's address: REMOTE_ADDR, unless TRUSTED_PROXY_COUNT reverse proxies (each adding
# to X-Forwarded-For) stand in front; then ipware takes the address the nearest one was
# reached from, whatever a client wrote into the header itself.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT > 0:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR",)
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1  # ipware counts the proxies listed in the header
    IPWARE_STRICT = False  # a longer header (a client's own entries in front) is read from the right
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# Password reset by email: only when the dashboard can send email (EMAIL_URL, e.g.
# smtp+tls://user:password@smtp.example.com:587); otherwise its pages do not exist.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    _mail = env.email_url_config(EMAIL_URL)
    _smtp = {"host": "EMAIL_HOST", "port": "EMAIL_PORT", "username": "EMAIL_HOST_USER", "password": "EMAIL_HOST_PASSWORD"}
    _smtp |= {"use_tls": "EMAIL_USE_TLS", "use_ssl": "EMAIL_USE_SSL"}
    _is_smtp = _mail["EMAIL_BACKEND"].endswith(".smtp.EmailBackend")
    MAILERS = {
        "default": {"BACKEND": _mail["EMAIL_BACKEND"], "OPTIONS": {k: _mail[v] for k, v in _smtp.items() if _is_smtp and _mail.get(v)}}
    }
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
PASSWORD_RESET_ENABLED = bool(EMAIL_URL)
# Reset emails asked for per hour, per client address and per email address.
PASSWORD_RESET_LIMIT = env.int("PASSWORD_RESET_LIMIT", default=5)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")  # where collectstatic writes
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security -----------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is hard to undo (browsers ship the list): only when asked for.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if TRUSTED_PROXY_COUNT > 0:
        # Only behind a proxy the operator declared (which sets the header itself, and
        # without which clients cannot reach the dashboard) is X-Forwarded-Proto believed.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]  # not preloading is the choice, not an oversight
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://prism-dashboard"),
}

# Edit presence (presence.py), kept in the cache above: pages say "still here" every
# PRESENCE_HEARTBEAT seconds, and a person stops counting PRESENCE_TTL seconds after the
# last one, so a closed page is gone within that time (30 s at most, the goal). Another
# person shows within one heartbeat of opening the record (5 s at most, the goal).
PRESENCE_HEARTBEAT = env.int("PRESENCE_HEARTBEAT_SECONDS", default=4)
PRESENCE_TTL = env.int("PRESENCE_TTL_SECONDS", default=25)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_refusals": {"()": "dashboard.log_filters.OneLineRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["one_line_refusals"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# --- Background tasks ----------------------------------------------------------
# Django's tasks framework with the database backend: `manage.py db_worker` runs them.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Sandbox ----------------------------------------------------------------


def _rate_limit(raw: str) -> tuple[int, int] | None:
    if not raw:
        return None
    try:
        count, seconds = (int(n) for n in raw.split("/"))
    except ValueError:
        raise ImproperlyConfigured("PRISM_SANDBOX_RATE_LIMIT must look like 100/60 (requests/seconds).") from None
    return count, seconds


# Imports above this many rows run as background jobs.
PRISM_SANDBOX = {
    "SYNC_IMPORT_LIMIT": 100,
    "MAX_IMPORT_ROWS": 10_000,
    "MAX_BATCH_ITEMS": 100,
    "MAX_QUERY_LIMIT": 50,
    "DEFAULT_QUERY_LIMIT": 25,
    "IDEMPOTENCY_TTL_SECONDS": 24 * 60 * 60,
    # A key still in flight after this long was left by a process that died: taken over.
    "IDEMPOTENCY_STALE_SECONDS": env.int("PRISM_SANDBOX_IDEMPOTENCY_STALE_SECONDS", default=60),
    # (requests, seconds) per API key, e.g. PRISM_SANDBOX_RATE_LIMIT=100/60; off when empty.
    "RATE_LIMIT": _rate_limit(env.str("PRISM_SANDBOX_RATE_LIMIT", default="")),
}
# Fault injection (see prism_sandbox/chaos.py), e.g.
# PRISM_SANDBOX_CHAOS='{"error_rate": 0.2, "error_status": 503, "latency_ms": 300, "drop_rate": 0.05}'
PRISM_SANDBOX_CHAOS = env.json("PRISM_SANDBOX_CHAOS", default={})
