#!/usr/bin/env bash
# One command on a fresh machine: install into .venv, fill the embedded SQLite database with the demo
# (first run only) and serve the platform on http://127.0.0.1:8000 .
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e . >/dev/null
exec .venv/bin/zhicheng serve --demo "$@"
