"""What the benchmarks share: a throwaway database, the environment for it, servers, seeding."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / ".data"


def django_env(db: Path, team: str, key: str, *, settings: str = "dashboard.settings", base_url: str | None = None) -> dict[str, str]:
    """Production-like settings (DEBUG off) over a benchmark's own SQLite file; chaos off."""
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{db}",
        "MICRO_TEAM_ID": team,
        "MICRO_API_KEY": key,
        # Personal keys (per-person mode, the default) are stored encrypted with this.
        "PRISM_KEY_ENCRYPTION_KEYS": "bWVhc3VyZS1vbmx5LWJlbmNobWFyay1rZXktMDEyMzQ=",
        "DJANGO_SETTINGS_MODULE": settings,
        "PYTHONPATH": str(ROOT),
        "PRISM_SANDBOX_ENABLED": "true",  # off by default with DEBUG off
        "PRISM_SANDBOX_CHAOS": "{}",
        "PRISM_SANDBOX_RATE_LIMIT": "",
    }
    if base_url:
        env["MICRO_BASE_URL"] = base_url
    return env


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def setup_django(env: dict[str, str]) -> None:
    """Use the benchmark's settings in this process too (for seeding)."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def fresh_database(db: Path, env: dict[str, str]) -> None:
    """An empty, migrated database at `db`, and this process set up to use it."""
    DATA.mkdir(parents=True, exist_ok=True)
    remove_db(db)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    setup_django(env)


def manage(*args: str, env: dict[str, str]) -> subprocess.Popen:
    """A quiet `manage.py …` process (runserver, db_worker) with the benchmark's environment."""
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until_up(url: str, seconds: float = 30) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:  # not listening yet, or too slow to answer on a busy machine
            time.sleep(0.1)
    raise SystemExit(f"the server at {url} did not start")


def seed_to(target: int, seeder, have: int) -> int:
    """Add contacts until the team has `target` of them; ANALYZE so the planner knows."""
    from django.db import connection

    if target > have:
        seeder.insert("contact", target - have, lambda *a: None)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return target


def session_key(user) -> str:
    """A session for `user`, made the way django.contrib.auth.login makes one: its key is the
    sessionid cookie a benchmark's requests carry (no sign-in page, no password hashing)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key
