#!/usr/bin/env bash
# Stop with a clear message when the interpreter is missing or older than 3.11.
set -euo pipefail
python="${1:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
  echo "error: $python not found; install Python 3.11+ (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: Groundwork needs Python 3.11+, $python is $("$python" --version 2>&1)" >&2
  exit 1
fi
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv
  else
    echo "error: the venv module is missing; install it (Debian: apt-get install python3-venv)" >&2
    exit 1
  fi
fi
