# Shared by bin/run and bin/test: make .venv and install a requirements file into it,
# skipping pip when that file set has not changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"

ensure_venv() {  # $1: requirements file relative to ROOT
  local req="$1"
  if [ ! -x "$PY" ]; then
    "${PYTHON:-python3}" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
      || { echo "Python 3.11+ is required (set PYTHON=...)" >&2; exit 1; }
    "${PYTHON:-python3}" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-$(basename "$req" .txt)"
  local digest
  digest="$(cat "$ROOT"/requirements/*.txt | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    "$PY" -m pip install --quiet --disable-pip-version-check -r "$ROOT/$req"
    echo "$digest" > "$stamp"
  fi
}
