"""Reliability tests use the dashboard tests' fixtures: a seeded sandbox team and logins."""

from ..dashboard.conftest import login, prism  # noqa: F401  (fixtures and helpers, shared)
