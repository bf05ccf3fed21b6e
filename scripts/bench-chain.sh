#!/usr/bin/env bash
# Chain seal and verify throughput beside `openssl dgst -sha256` on the same bytes.
#
# Generates N plain JSONL audit records (deterministic, ~390 bytes once sealed: timestamps,
# principals, actions, S3 resources, a float latency, a 128-bit request id), seals them,
# verifies the chain, and prints CPU seconds (user + system, median of RUNS) and the ratios.
# Usage: scripts/bench-chain.sh [N=300000] [RUNS=5]   (uses target/release/custos)
set -euo pipefail
N=${1:-300000}
RUNS=${2:-5}
BIN=${CUSTOS:-target/release/custos}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
python3 - "$N" > "$DIR/plain.jsonl" <<'PY'
import json, random, sys
random.seed(7)
for i in range(int(sys.argv[1])):
    print(json.dumps({"ts": "2026-11-%02dT%02d:%02d:%02dZ" % (1 + i % 28, i % 24, i % 60, i % 60),
        "user": "svc-%d" % (i % 500), "action": random.choice(["read", "write", "infer"]),
        "resource": "s3://ml-data/train/part-%05d.parquet" % (i % 9000), "model": "fraud-v%d" % (i % 7),
        "status": 200, "latency_ms": round(random.random() * 100, 3),
        "request_id": "%032x" % random.getrandbits(128), "tokens": random.randint(1, 4000)}))
PY
"$BIN" chain seal "$DIR/plain.jsonl" -o "$DIR/chain.jsonl" >/dev/null 2>&1
cpu() { # median user+sys seconds of RUNS runs of "$@"
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%U %S" -o "$DIR/t" "$@" >/dev/null 2>&1 || true
    awk '{print $1 + $2}' "$DIR/t"
  done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
seal=$(cpu "$BIN" chain seal "$DIR/plain.jsonl" -o "$DIR/out.jsonl")
verify=$(cpu "$BIN" chain verify "$DIR/chain.jsonl")
# openssl takes a few hundredths of a second, near the 10 ms resolution of `time`: each run
# hashes the file ten times, and the figure is divided by ten.
ssl10() { cpu sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do openssl dgst -sha256 '$1' >/dev/null; done" | awk '{print $1 / 10}'; }
ssl_plain=$(ssl10 "$DIR/plain.jsonl")
ssl_chain=$(ssl10 "$DIR/chain.jsonl")
bytes=$(stat -c %s "$DIR/chain.jsonl")
awk -v n="$N" -v b="$bytes" -v s="$seal" -v v="$verify" -v sp="$ssl_plain" -v sc="$ssl_chain" 'BEGIN {
  printf "records %d, chain %.1f MB (%.0f bytes per record)\n", n, b / 1e6, b / n
  printf "verify: %.3f s CPU, %.0fk records/s; openssl dgst -sha256 on the chain %.3f s: ratio %.1fx\n", v, n / v / 1000, sc, v / sc
  printf "seal:   %.3f s CPU, %.0fk records/s; openssl dgst -sha256 on the input %.3f s: ratio %.1fx\n", s, n / s / 1000, sp, s / sp
}'
