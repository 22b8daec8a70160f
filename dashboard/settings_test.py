"""Settings for the test suite: production defaults, with what tests need on top."""

import os

# Set before the main settings read the environment (and an optional .env), so a
# developer's .env never changes how tests run.
os.environ["DEBUG"] = "false"
os.environ["SECRET_KEY"] = "test-only-secret-key-not-for-production-use-0123456789"
# Empty unless given (the test task worker is given a team of its own).
for name in ("MICRO_API_KEY", "MICRO_TEAM_ID", "MICRO_BASE_URL"):
    os.environ.setdefault(name, "")
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ["SESSION_COOKIE_SECURE"] = "false"
os.environ["CSRF_COOKIE_SECURE"] = "false"
os.environ["SECURE_HSTS_SECONDS"] = "0"
# The tests talk to the embedded sandbox over HTTP (off by default with DEBUG off).
os.environ.setdefault("PRISM_SANDBOX_ENABLED", "true")
# Two test-only encryption keys: the stored personal keys are encrypted for real.
os.environ.setdefault(
    "PRISM_KEY_ENCRYPTION_KEYS", "3Uz7Qc1bZxQmCqQ3s6r0Ck8mS2Kq9bVtF0yYh7y2o5E=,q7V5a0dUu3WvQkXwG8p4ZbHn2JcR6sT1eL9fM0iA3yY="
)

from .settings import *  # noqa: F403, E402
from .settings import STORAGES, TEMPLATES  # noqa: E402

ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# Missing context variables show up instead of rendering as empty strings.
TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = "<<MISSING %s>>"
# Email goes to django.core.mail.outbox (password reset tests switch the pages on).
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

# Under pytest-xdist on a shared Redis (the PostgreSQL + Redis run), each worker keeps its
# own Redis database: a test's cache.clear() must not empty another worker's cache.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if CACHES["default"]["BACKEND"].endswith("RedisCache") and _worker.startswith("gw"):  # noqa: F405
    _location = CACHES["default"]["LOCATION"]  # noqa: F405
    _base = _location.rsplit("/", 1)[0] if _location.count("/") > 2 else _location
    CACHES["default"]["LOCATION"] = f"{_base}/{1 + int(_worker[2:]) % 15}"  # noqa: F405
