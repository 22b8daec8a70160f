"""Settings for the test suite: production defaults, with what tests need on top."""

import os

# Set before the main settings read the environment (and an optional .env), so a
# developer's .env never changes how tests run.
os.environ["DEBUG"] = "false"
os.environ["SECRET_KEY"] = "test-only-secret-key-not-for-production-use-0123456789"
os.environ["MICRO_API_KEY"] = ""
os.environ["MICRO_TEAM_ID"] = ""
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ["SESSION_COOKIE_SECURE"] = "false"
os.environ["CSRF_COOKIE_SECURE"] = "false"
os.environ["SECURE_HSTS_SECONDS"] = "0"

from .settings import *  # noqa: E402,F403
from .settings import STORAGES, TEMPLATES  # noqa: E402

ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# Missing context variables show up instead of rendering as empty strings.
TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = "<<MISSING %s>>"
