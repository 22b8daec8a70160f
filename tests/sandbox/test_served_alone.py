"""The sandbox served on its own (prism_sandbox/server/): only its routes, nothing of the
dashboard or the client imported, and the same settings as when mounted in the dashboard.
Each check runs in a fresh interpreter, since Django is set up once per process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEAM = "5705ab00-0000-4000-8000-00000000a10e"
KEY = "sk_sandbox_served_alone_key_0123456789"


def python(code: str, env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MICRO_", "PRISM_", "DJANGO_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean | {"PYTHONPATH": str(ROOT)} | env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


SETTINGS_OF = """
import importlib, json, sys
s = importlib.import_module(sys.argv[1])
db = s.DATABASES["default"]
print(json.dumps({
    "PRISM_SANDBOX": s.PRISM_SANDBOX, "PRISM_SANDBOX_CHAOS": s.PRISM_SANDBOX_CHAOS, "SECRET_KEY": s.SECRET_KEY,
    "MICRO_TEAM_ID": s.MICRO_TEAM_ID, "MICRO_API_KEY": s.MICRO_API_KEY, "TASKS": s.TASKS, "USE_TZ": s.USE_TZ,
    "DATA_UPLOAD_MAX_MEMORY_SIZE": s.DATA_UPLOAD_MAX_MEMORY_SIZE,
    "db": [db["ENGINE"], db["NAME"], db.get("OPTIONS"), db["CONN_MAX_AGE"]],
}, sort_keys=True, default=list))
"""


def test_the_sandbox_alone_has_the_settings_it_has_in_the_dashboard(tmp_path):
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "same-secret-for-both-0123456789",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'one.sqlite3'}",
        "MICRO_TEAM_ID": TEAM,
        "MICRO_API_KEY": KEY,
        "PRISM_KEY_ENCRYPTION_KEYS": "3Uz7Qc1bZxQmCqQ3s6r0Ck8mS2Kq9bVtF0yYh7y2o5E=",
        "PRISM_SANDBOX_RATE_LIMIT": "100/60",
        "PRISM_SANDBOX_CHAOS": '{"latency_ms": 5}',
    }
    alone = json.loads(python(SETTINGS_OF.replace("sys.argv[1]", '"prism_sandbox.server.settings"'), env))
    mounted = json.loads(python(SETTINGS_OF.replace("sys.argv[1]", '"dashboard.settings"'), env))
    assert alone == mounted
    assert alone["PRISM_SANDBOX"]["RATE_LIMIT"] == [100, 60]


SERVE = f"""
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
import prism_sandbox.server.wsgi
client = Client()
count = client.get("/sandbox/v2/prism/{TEAM}/contact/count", HTTP_X_API_KEY="{KEY}")
print(json.dumps({{
    "count": [count.status_code, count.json()],
    "sign_in": client.get("/accounts/login/").status_code,
    "home": client.get("/").status_code,
    "imported": sorted({{m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("dashboard", "prism_client")}}),
}}))
"""


def test_served_alone_the_sandbox_answers_and_nothing_else_is_there(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "prism_sandbox.server.settings",
        "DEBUG": "false",
        "SECRET_KEY": "sandbox-alone-secret-0123456789",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'alone.sqlite3'}",
        "MICRO_TEAM_ID": TEAM,
        "MICRO_API_KEY": KEY,
    }
    out = json.loads(python(SERVE, env))
    assert out["count"] == [200, {"total": 0}]  # the team and key of MICRO_* provisioned on first use
    assert (out["sign_in"], out["home"]) == (404, 404)
    assert out["imported"] == []


def test_without_a_secret_key_the_sandbox_alone_refuses_to_start_unless_debug():
    if (ROOT / ".env").exists():
        pytest.skip("a local .env (scripts/run) gives a SECRET_KEY")
    refused = subprocess.run(
        [sys.executable, "-c", "import prism_sandbox.server.settings"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")} | {"DEBUG": "false"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "SECRET_KEY must be set" in refused.stderr
    assert python("import prism_sandbox.server.settings as s; print(s.DEBUG)", {"DEBUG": "true"}).strip() == "True"
