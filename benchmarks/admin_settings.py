"""Benchmark-only settings: the dashboard's settings plus a Django admin over Record.

Used by benchmarks/list_vs_admin.py, never by the app. The admin lives at
/bench-admin/ (benchmarks/admin_urls.py); static files are collected into
benchmarks/.data/ so that the page's CSS and JS are served as in production
(WhiteNoise, hashed names).
"""

from pathlib import Path

from dashboard.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.admin_urls"
STATIC_ROOT = Path(__file__).resolve().parent / ".data" / "static"
