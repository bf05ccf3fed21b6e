#!/usr/bin/env bash
# Installs what tests/schemas.rs validates against into target/schemas/ (inside the checkout,
# never committed): the official SARIF 2.1.0 JSON schema and validator, and a JUnit XSD, each
# from a package registry through its ordinary client, pinned by version and checked by
# SHA-256. See README.md beside this script. Idempotent: does nothing when all are in place.
set -euo pipefail
cd "$(dirname "$0")/../../.."
dest=target/schemas
mkdir -p "$dest"

SARIF_SCHEMA_SHA256=1c49a0f2b60444c71bb14878e21e0d882198eff4c539861b133093ad89ed798c
JUNIT_XSD_SHA256=a1a816f58d1bf95ebabf371994df0b9246dee66ea9572fbec4f9296f1b2c0ff6

check() { # file sha256
    echo "$2  $1" | sha256sum --check --quiet -
}

# SARIF: @microsoft/sarif-multitool (MIT) ships the schema (sarif-2.1.0.json) and the validator.
tool="$dest/npm/node_modules/@microsoft/sarif-multitool-linux"
if ! [ -x "$tool/Sarif.Multitool" ] || ! check "$tool/sarif-2.1.0.json" "$SARIF_SCHEMA_SHA256" >/dev/null 2>&1; then
    npm install --prefix "$dest/npm" --no-audit --no-fund --no-save @microsoft/sarif-multitool@5.7.0 >&2
    chmod u+x "$tool/Sarif.Multitool"
fi
check "$tool/sarif-2.1.0.json" "$SARIF_SCHEMA_SHA256"
cp "$tool/sarif-2.1.0.json" "$dest/sarif-2.1.0.json"

# JUnit: the Jenkins xunit plugin's junit-10.xsd (MIT), as shipped in pytest's source
# distribution (testing/example_scripts/junit-10.xsd), which pytest validates its own JUnit
# XML against.
if ! check "$dest/junit-10.xsd" "$JUNIT_XSD_SHA256" >/dev/null 2>&1; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    python3 -m pip download --quiet --no-deps --no-binary :all: pytest==8.3.4 -d "$tmp" >&2
    tar -xzf "$tmp/pytest-8.3.4.tar.gz" -C "$tmp" pytest-8.3.4/testing/example_scripts/junit-10.xsd
    cp "$tmp/pytest-8.3.4/testing/example_scripts/junit-10.xsd" "$dest/junit-10.xsd"
fi
check "$dest/junit-10.xsd" "$JUNIT_XSD_SHA256"

command -v xmllint >/dev/null || echo "fetch.sh: xmllint is missing: apt-get install -y libxml2-utils" >&2
echo "schemas ready in $dest" >&2
