"""Reliability tests use the shared fixtures of tests/conftest.py: a seeded sandbox team (`prism`) and login()."""

from tests.conftest import login  # noqa: F401  (the tier's modules import it from here)
