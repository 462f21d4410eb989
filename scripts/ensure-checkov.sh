#!/usr/bin/env bash
# Install checkov (static security scan of infra/) into a virtual environment
# of its own, .venv/checkov/ (inside the git-ignored .venv/, which ruff skips):
# its pins (networkx 2.x, an older botocore) conflict with the project's.
set -euo pipefail
cd "$(dirname "$0")/.."
version=3.3.30
venv=.venv/checkov
python=${PYTHON:-python3}
if [ -x "$venv/bin/checkov" ] && [ "$("$venv/bin/checkov" --version 2>/dev/null)" = "$version" ]; then
  exit 0
fi
echo "installing checkov $version in $venv" >&2
test -x "$venv/bin/python" || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$version"
