#!/usr/bin/env bash
# Peak memory (maximum resident set size) of the release binary on the big hostile inputs
# that are too large for the test suite. Generates each input in a temporary directory, runs
# `custos` under `/usr/bin/time -v`, and prints one row per case: peak RSS, wall time, exit
# code. The figures in docs/limits.md come from this script.
#
# Usage: scripts/peak-rss.sh [path/to/custos]   (default: target/release/custos; build it
# first with `cargo build --release`). Needs python3 and GNU time. Uses about 1.5 GB of disk
# in $TMPDIR while it runs.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/custos}"
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

gen() { python3 - "$work" "$@"; }

printf '%-44s %10s %9s %5s\n' case "peak RSS" wall exit
run() { # run NAME DIR ARGS...
    local name="$1" dir="$2"
    shift 2
    local stats="$work/time.txt" rc=0
    (cd "$dir" && /usr/bin/time -v "$bin" "$@" >"$work/out.txt" 2>"$stats") || rc=$?
    local kb wall
    kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$stats")
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$stats")
    if grep -q panicked "$stats"; then rc="$rc!"; fi
    printf '%-44s %7s MB %9s %5s\n' "$name" "$((kb / 1024))" "$wall" "$rc"
}

# Baseline: one small Terraform file.
mkdir -p "$work/base"
printf 'provider "aws" {\n  access_key = "AKIA2E0A8F3B244C9986"\n}\n' >"$work/base/main.tf"
run "baseline: one .tf" "$work/base" scan --no-config --format json .

# 1. A 200 MB single-line log with an email at its end.
mkdir -p "$work/line"
gen <<'EOF'
import sys
with open(sys.argv[1] + "/line/one.log", "w") as f:
    f.write('{"k": "')
    chunk = "abcdefgh" * 131072  # 1 MiB
    for _ in range(200):
        f.write(chunk)
    f.write('", "email": "jane.doe@acme-corp.io"}\n')
EOF
run "200 MB single-line log" "$work/line" scan --no-config --format json .

# 2. The same 200 MB line as JSON: skipped by the default 5 MiB limit...
cp "$work/line/one.log" "$work/line/one.json"
rm "$work/line/one.log"
run "200 MB single-line .json (default limit)" "$work/line" scan --no-config --format json .
# ...and parsed when the limit is raised to 256 MiB.
run "200 MB single-line .json (limit 256 MiB)" "$work/line" scan --no-config --format json \
    --max-file-size 268435456 .
rm -rf "$work/line"

# 3. A 5 MiB JSON file (the default limit) of many small objects: the per-file parse budget.
mkdir -p "$work/wide"
gen <<'EOF'
import sys
with open(sys.argv[1] + "/wide/items.json", "w") as f:
    f.write("[")
    n = 0
    while f.tell() < 5 * 1024 * 1024 - 64:
        f.write('{"name": "item%07d", "enabled": true},' % n)
        n += 1
    f.write("{}]")
EOF
run "5 MiB JSON, 140k objects" "$work/wide" scan --no-config --format json .
rm -rf "$work/wide"

# 4. Large logs: 2M lines (~190 MB), every line with an email and two AWS key ids, so the
# listing cap sheds findings all the way through.
mkdir -p "$work/logs"
gen <<'EOF'
import sys
with open(sys.argv[1] + "/logs/app.log", "w") as f:
    for i in range(2_000_000):
        f.write("2026-12-02T10:00:00Z user%07d@acme-corp.io key AKIA2E0A8F3B244C%04d AKIA2E0A8F3B244D%04d\n" % (i, i % 10000, i % 10000))
EOF
run "190 MB log, 6M findings" "$work/logs" scan --no-config --format json .
# The same log as nginx access lines with percent-encoded emails.
gen <<'EOF'
import sys
with open(sys.argv[1] + "/logs/app.log", "w") as f:
    for i in range(1_000_000):
        f.write('198.51.100.%d - - [02/Dec/2026:10:00:00 +0000] "GET /reset?mail=user%07d%%40acme-corp.io HTTP/1.1" 200 12 "-" "agent/1"\n' % (i % 250, i))
EOF
run "nginx log, 1M lines" "$work/logs" scan --no-config --format json .
rm -rf "$work/logs"

# 5. Alias bombs with merge keys, 200 of them.
mkdir -p "$work/bombs"
gen <<'EOF'
import sys
for b in range(200):
    s = "l0: &l0 {a: 1, b: 2, c: 3, d: 4}\n"
    for i in range(1, 16):
        s += "l%d: &l%d\n  <<: *l%d\n" % (i, i, i - 1)
        s += "".join("  k%d: *l%d\n" % (k, i - 1) for k in range(9))
    open(sys.argv[1] + "/bombs/bomb%03d.yaml" % b, "w").write(s)
EOF
run "200 merge-key alias bombs" "$work/bombs" scan --no-config --format json .
rm -rf "$work/bombs"

# 6. Total findings: 20,000 files with a finding each.
mkdir -p "$work/many"
gen <<'EOF'
import sys, os
for d in range(20):
    os.makedirs(sys.argv[1] + "/many/d%02d" % d)
    for i in range(1000):
        open(sys.argv[1] + "/many/d%02d/f%04d.tf" % (d, i), "w").write(
            'provider "aws" {\n  access_key = "AKIA2E0A8F3B244C%04d"\n}\n' % i)
EOF
run "20,000 .tf files, 20,000 findings" "$work/many" scan --no-config --format json .
rm -rf "$work/many"

# 7. Chain verify: a 10 MB record, and 1M small records.
mkdir -p "$work/chain"
gen <<'EOF'
import sys
d = sys.argv[1] + "/chain/"
open(d + "big.jsonl", "w").write('{"blob": "%s"}\n' % ("x" * 10_000_000))
with open(d + "many.jsonl", "w") as f:
    for i in range(1_000_000):
        f.write('{"i": %d, "event": "login", "user": "u%d"}\n' % (i, i))
EOF
"$bin" chain seal "$work/chain/big.jsonl" -o "$work/chain/big.chain" 2>/dev/null
"$bin" chain seal "$work/chain/many.jsonl" -o "$work/chain/many.chain" 2>/dev/null
run "chain verify, one 10 MB record" "$work/chain" chain verify big.chain
run "chain verify, 1M records" "$work/chain" chain verify many.chain
