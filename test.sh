#!/usr/bin/env bash
# One command on a fresh machine: install with test extras into .venv and run the whole suite
# (SQLite always; PostgreSQL at $ZHICHENG_TEST_PG_URL or 127.0.0.1:5432/test when reachable;
# browser tests with Debian's chromium when installed).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e ".[test]" >/dev/null
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
# pytest exits 5 when it collected no test: that is a failure of the suite, not a pass
if [ "$rc" -eq 5 ]; then echo "no tests collected" >&2; exit 1; fi
exit "$rc"
