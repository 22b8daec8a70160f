"""Settings for the servers of tests/reliability/test_bounded_pool.py: the test settings
(DEBUG off, no collectstatic needed), with Django's real password hasher, so that signing
in costs what it costs in production."""

from dashboard.settings_test import *  # noqa: F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
