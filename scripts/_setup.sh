# Shared by scripts/run and scripts/test: a virtualenv with the project installed.
# Sourced, not run. Installs again only when pyproject.toml changes.
shopt -s inherit_errexit  # a failing step inside $(...) stops the script too

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.13 python3.12 python python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Python 3.12 or newer is needed (set PYTHON=/path/to/python3.13)." >&2
  return 1
}

setup_venv() {
  local extras=$1 stamp
  if [ ! -x .venv/bin/python ]; then
    local py
    py=$(find_python)
    echo "Creating .venv with $($py --version)…"
    "$py" -m venv .venv
  fi
  stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${extras:-base}"
  if [ ! -f "$stamp" ]; then
    echo "Installing the project${extras:+ with [$extras]}…"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
    touch "$stamp"
  fi
}

# A local .env with a new sandbox team and key, once (the dashboard and the sandbox read it).
write_demo_env() {
  local port=$1 team key secret fernet
  [ -f .env ] && return 0
  team=$(.venv/bin/python -c 'import uuid; print(uuid.uuid4())')
  key="sk_sandbox_$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')"
  secret=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')
  fernet=$(.venv/bin/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')
  cat > .env <<ENV
# Written by scripts/run or scripts/serve-demo for local use with the embedded sandbox. Not for production.
DEBUG=true
SECRET_KEY=$secret
MICRO_BASE_URL=http://127.0.0.1:$port/sandbox
MICRO_TEAM_ID=$team
MICRO_API_KEY=$key
PRISM_KEY_ENCRYPTION_KEYS=$fernet
ENV
  echo "Wrote .env with a new sandbox team and API key." >&2
}

# Migrate, seed the demo data (DEMO_SIZE contacts) once, and print the demo logins.
prepare_demo() {
  .venv/bin/python manage.py migrate --no-input -v0 >&2
  .venv/bin/python manage.py seed_demo --if-empty --size "${DEMO_SIZE:-500}" >&2
  .venv/bin/python manage.py demo_users
}
