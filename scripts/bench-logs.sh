#!/usr/bin/env bash
# Throughput and peak memory of the log scan and the access-log audit (docs/logs.md).
#
# Generates logs with scripts/gen-logs.py --scenario bench (seeded; ~2,040 principals, clean
# traffic; JSONL records ~262 bytes, ~326 with --pii; nginx lines ~157 bytes), then runs `custos scan` on each
# under GNU time with the bundled rules (secret and PII detectors with the default entities,
# record parsing, per-source aggregates, LOG001-LOG009 on the aggregate) and prints, per input,
# the median over RUNS runs of: MB per CPU-second (user + system), MB per wall second and peak
# RSS. Inputs:
#   jsonl      SIZE/10 and SIZE bytes of JSONL spread over the same HOURS (so the same
#              principals and windows): peak memory must not depend on the size;
#   jsonl-pii  SIZE/10 bytes of JSONL with an email address and a client IP in every record
#              (a PII finding on every line: the detectors' worst case);
#   nginx      SIZE/10 and SIZE bytes of nginx combined lines over the same HOURS.
#
# Usage: scripts/bench-logs.sh [path/to/custos] [SIZE]   (defaults: target/release/custos,
# 1000000000). Environment: RUNS (3), HOURS (4), EXTRA (more `custos scan` arguments, e.g.
# --no-bundled), BASE (another custos binary, e.g. an earlier build, measured on the same
# generated inputs: its rows are marked `base`). Build first with `cargo build --release`. Needs python3 and GNU time; uses
# about 1.1 × SIZE of disk in $TMPDIR at a time.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/custos}"
size="${2:-1000000000}"
runs="${RUNS:-3}"
hours="${HOURS:-4}"
extra="${EXTRA:-}"
base="${BASE:-}"
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release)" >&2; exit 2; }
[ -z "$base" ] || [ -x "$base" ] || { echo "no binary at $base" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "custos: $bin ${extra:+($extra)}; median of $runs runs; records over $hours h, ~2,040 principals"
printf '%-15s %12s %9s %10s %10s %10s %10s  %s\n' input bytes records "user+sys" wall "MB/cpu-s" "MB/s wall" "peak RSS"
measure() { # measure BINARY DIR NAME BYTES RECORDS
    local bin="$1" dir="$2" name="$3" bytes="$4" records="$5"
    : >"$work/runs.txt"
    for _ in $(seq "$runs"); do
        # shellcheck disable=SC2086
        (cd "$dir" && /usr/bin/time -v "$bin" scan . --no-config --format json $extra \
            >"$work/out.json" 2>"$work/time.txt") || true
        python3 - "$work/time.txt" >>"$work/runs.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def g(p):
    m = re.search(p, t)
    return m.group(1) if m else "0"
cpu = float(g(r"User time \(seconds\): ([\d.]+)")) + float(g(r"System time \(seconds\): ([\d.]+)"))
wall = [float(p) for p in g(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)").split(":")]
secs = sum(p * 60 ** i for i, p in enumerate(reversed(wall)))
print(cpu, secs, int(g(r"Maximum resident set size \(kbytes\): (\d+)")))
PY
    done
    python3 - "$work/runs.txt" "$bytes" "$name" "$records" "$work/out.json" <<'PY'
import json, statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
nbytes, name, records = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
cpu = statistics.median(r[0] for r in rows)
wall = statistics.median(r[1] for r in rows)
rss = statistics.median(r[2] for r in rows) / 1024
mb = nbytes / 1e6
try:
    s = json.load(open(sys.argv[5]))["summary"]
    extra = f"({s['findings']} findings, {s['documents']} documents)"
except Exception:
    extra = "(no report: see stderr)"
print(f"{name:<15} {nbytes:>12} {records:>9} {cpu:>9.2f}s {wall:>9.2f}s {mb / cpu if cpu else 0:>10.1f} "
      f"{mb / wall if wall else 0:>10.1f} {rss:>7.0f} MB  {extra}", flush=True)
PY
}
run() { # run NAME FORMAT SIZE [gen-logs options…]
    local name="$1" fmt="$2" n="$3"
    shift 3
    local dir="$work/$name-$n"
    mkdir -p "$dir"
    local records bytes
    records=$(python3 "$here/scripts/gen-logs.py" --scenario bench --format "$fmt" --bytes "$n" \
        --hours "$hours" --out "$dir" "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
    bytes=$(du -cb "$dir" | tail -1 | cut -f1)
    [ -z "$base" ] || measure "$base" "$dir" "$name base" "$bytes" "$records"
    measure "$bin" "$dir" "$name" "$bytes" "$records"
    rm -rf "$dir"
}
run jsonl jsonl "$((size / 10))"
run jsonl jsonl "$size"
run jsonl-pii jsonl "$((size / 10))" --pii
run nginx nginx "$((size / 10))"
run nginx nginx "$size"
