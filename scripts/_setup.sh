# Shared by scripts/run and scripts/test: a virtualenv with the project installed.
# Sourced, not run. Installs again only when pyproject.toml changes.

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
