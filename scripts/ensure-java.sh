#!/usr/bin/env bash
# pyspark 4 needs Java 17+. Install it when we can (root + apt), else say what to install.
set -euo pipefail
java_major() {
  java -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'
}
if command -v java >/dev/null 2>&1 && [ "$(java_major)" -ge 17 ] 2>/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Java 17+ not found; installing openjdk-17-jre-headless with apt-get" >&2
  apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless
  exit 0
fi
echo "error: Spark needs Java 17 or newer. Install it, e.g. 'sudo apt-get install openjdk-17-jre-headless'" >&2
echo "       (macOS: 'brew install openjdk@17'), then run the command again." >&2
exit 1
